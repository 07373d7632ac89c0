"""Request and response bodies. Pydantic lives here only; `converters` maps to the domain.

Three shapes of volume are accepted wherever volumes are: native, ASTM F3548-21
`Volume4D`, and GeoJSON Feature. Responses use the shape named by `volume_format`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    SerializerFunctionWrapHandler,
    StrictBool,
    Tag,
    model_serializer,
)
from pydantic_core import PydanticCustomError

from deconflict.domain.volumes import HIGHEST_ALTITUDE_M, LOWEST_ALTITUDE_M


def _json_number(value: Any) -> Any:
    """Numbers are JSON numbers: Pydantic would read `true` as 1 and "5" as 5."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError(
            "number_type", "Input should be a valid number (a JSON number, not a string or boolean)"
        )
    return value


#: A JSON number (not a boolean, not a string holding one); `Integer` one that is whole.
Number = Annotated[float, BeforeValidator(_json_number)]
Integer = Annotated[int, BeforeValidator(_json_number)]
Latitude = Annotated[Number, Field(ge=-90, le=90)]
Longitude = Annotated[Number, Field(ge=-180, le=180)]
AltitudeM = Annotated[Number, Field(ge=LOWEST_ALTITUDE_M, le=HIGHEST_ALTITUDE_M)]
#: Bounded so that no arithmetic on it overflows (half the Earth's circumference).
RadiusM = Annotated[Number, Field(gt=0, le=20_000_000)]
#: W84: above the WGS 84 ellipsoid; AMSL (EGM96 geoid) and AGL (the deployment's terrain
#: model) are converted to W84, conservatively (see README, Interchange).
ReferenceName = Literal["W84", "AMSL", "AGL"]


class Strict(BaseModel):
    """Unknown fields and NaN/infinity are errors, not silently dropped."""

    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class VolumeFormat(StrEnum):
    NATIVE = "native"
    F3548 = "f3548"
    GEOJSON = "geojson"


# ---- native -----------------------------------------------------------------------


class LatLngPoint(Strict):
    lat: Latitude
    lng: Longitude


#: A ring of vertices: the schema says how few make a polygon; the domain refuses fewer
#: (with a message that counts distinct vertices).
Ring = Annotated[list["LatLngPoint"], Field(json_schema_extra={"minItems": 3})]


class PolygonFootprint(Strict):
    type: Literal["polygon"]
    vertices: Ring = Field(
        description="Outer ring, unclosed or closed; edges are the shortest path between vertices"
    )
    holes: list[Ring] = Field(default_factory=list)


class CircleFootprint(Strict):
    type: Literal["circle"]
    center: LatLngPoint
    radius_m: RadiusM


Footprint = Annotated[PolygonFootprint | CircleFootprint, Field(discriminator="type")]


class VolumeNative(Strict):
    """A Volume4D in deconflict's own shape."""

    footprint: Footprint
    altitude_lower_m: AltitudeM
    altitude_upper_m: AltitudeM
    altitude_reference: ReferenceName = "W84"
    time_start: AwareDatetime
    time_end: AwareDatetime


# ---- ASTM F3548-21 ------------------------------------------------------------------


class F3548Time(Strict):
    value: AwareDatetime
    format: Literal["RFC3339"] = "RFC3339"


class F3548Altitude(Strict):
    value: AltitudeM
    reference: ReferenceName
    units: Literal["M"]


class F3548Radius(Strict):
    value: RadiusM
    units: Literal["M"]


class F3548Circle(Strict):
    center: LatLngPoint
    radius: F3548Radius


class F3548Polygon(Strict):
    vertices: list[LatLngPoint] = Field(min_length=3)


class F3548Volume3D(Strict):
    outline_circle: F3548Circle | None = None
    outline_polygon: F3548Polygon | None = None
    altitude_lower: F3548Altitude
    altitude_upper: F3548Altitude

    @model_serializer(mode="wrap")
    def _only_the_outline_in_use(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """F3548 names exactly one outline; the other is left out rather than null."""
        data: dict[str, Any] = handler(self)
        return {k: v for k, v in data.items() if not (k.startswith("outline_") and v is None)}


class F3548Volume4D(Strict):
    """ASTM F3548-21 Volume4D (altitudes and times are required here)."""

    volume: F3548Volume3D
    time_start: F3548Time
    time_end: F3548Time


# ---- GeoJSON ------------------------------------------------------------------------


class GeoJSONPolygon(Strict):
    type: Literal["Polygon"]
    coordinates: list[
        Annotated[
            list[Annotated[list[Number], Field(json_schema_extra={"minItems": 2})]],
            Field(json_schema_extra={"minItems": 4}),
        ]
    ] = Field(
        description="Rings of [lng, lat] positions, each closed (first = last)",
        json_schema_extra={"minItems": 1},
    )


class GeoJSONPoint(Strict):
    type: Literal["Point"]
    coordinates: Annotated[list[Number], Field(json_schema_extra={"minItems": 2})]


class GeoJSONVolumeProperties(BaseModel):
    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    altitude_lower_m: AltitudeM
    altitude_upper_m: AltitudeM
    altitude_reference: ReferenceName = "W84"
    time_start: AwareDatetime
    time_end: AwareDatetime
    radius_m: RadiusM | None = Field(None, description="Required when geometry is a Point")


class GeoJSONFeature(BaseModel):
    """A GeoJSON Feature: Polygon, or Point with `radius_m` for a circle."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    type: Literal["Feature"]
    geometry: Annotated[GeoJSONPolygon | GeoJSONPoint, Field(discriminator="type")]
    properties: GeoJSONVolumeProperties


def _volume_shape(value: Any) -> str:
    if isinstance(value, dict):
        if "volume" in value:
            return "f3548"
        if value.get("type") == "Feature":
            return "geojson"
        return "native"
    if isinstance(value, F3548Volume4D):
        return "f3548"
    return "geojson" if isinstance(value, GeoJSONFeature) else "native"


VolumeIn = Annotated[
    Annotated[VolumeNative, Tag("native")]
    | Annotated[F3548Volume4D, Tag("f3548")]
    | Annotated[GeoJSONFeature, Tag("geojson")],
    Discriminator(_volume_shape),
]
VolumeOut = VolumeNative | F3548Volume4D | GeoJSONFeature
VolumeList = Annotated[list[VolumeIn], Field(min_length=1)]


# ---- resources ----------------------------------------------------------------------


class PartyCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    f3548_subjects: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=50,
        description="Token subjects (client ids) of USSs acting for this party on /dss/v1",
    )
    authority: bool = Field(
        False, description="An aviation authority, say: its public restricted zones bind everyone"
    )


class AuthorityUpdate(Strict):
    authority: bool


class PartyPublic(BaseModel):
    id: str
    name: str
    authority: bool
    created_at: datetime


class SeparationSchema(Strict):
    horizontal_m: Number = Field(ge=0, le=100_000)
    vertical_m: Number = Field(ge=0, le=10_000)
    time_s: Number = Field(ge=0, le=7 * 86400)


class AgreementCreate(Strict):
    kind: Literal["coordination", "deconfliction"]
    partner_party_id: str = Field(min_length=1, max_length=64)
    separation: SeparationSchema | None = Field(
        None, description="Overrides the deployment's default minima between the two parties"
    )
    review_chain: ReviewChainSchema | None = Field(
        None,
        description="Coordination only: how the reviewing party reviews; unset: one stage "
        "in which any holder of the role `reviewer` decides",
    )
    proposal_acceptance: Literal["approve", "review"] = Field(
        "approve",
        description="A new version that keeps to the reviewing party's own proposal: "
        "approved by that party at once (approve), or reviewed again (review)",
    )


class AgreementPublic(BaseModel):
    id: str
    kind: str
    proposer_party_id: str
    partner_party_id: str
    state: str
    separation: SeparationSchema | None
    review_chain: ReviewChainPublic | None = Field(
        description="Whole for the proposer (whose review process it is); for the partner, "
        "each stage's public label, rule and deadline only"
    )
    proposal_acceptance: str
    created_at: datetime


class TimeWindowSchema(Strict):
    start: AwareDatetime
    end: AwareDatetime


class ZoneCreate(Strict):
    kind: Literal["review", "notify", "restricted"]
    name: str = Field(min_length=1, max_length=200)
    footprint: Footprint
    altitude_lower_m: AltitudeM
    altitude_upper_m: AltitudeM
    altitude_reference: ReferenceName = "W84"
    active_periods: list[TimeWindowSchema] = Field(
        default_factory=list, max_length=100, description="Empty: always active"
    )
    disclosure: Literal["public", "partners", "private"] | None = Field(
        None,
        description="Who else sees it: public (everyone, all of it), partners (agreement "
        "partners: shape and active windows, no name), private (nobody; a restricted zone "
        "cannot be private). Unset: public for an authority's restricted zones, else partners",
    )


class ZonePublic(BaseModel):
    id: str
    party_id: str
    kind: str
    name: str | None = Field(description="null for a partner's non-public zone")
    disclosure: str
    footprint: Footprint
    altitude_lower_m: float
    altitude_upper_m: float
    altitude_reference: str
    active_periods: list[TimeWindowSchema]
    created_at: datetime


class ConflictWith(BaseModel):
    type: Literal["zone", "operation"]
    id: str | None = Field(description="Hidden (null) for another party's operation")
    party_id: str | None


class ConflictPublic(BaseModel):
    kind: Literal["restricted_zone", "review_zone", "notify_zone", "operation"]
    volume_index: int = Field(description="Which submitted volume conflicts")
    with_: ConflictWith = Field(alias="with")
    time_start: datetime
    time_end: datetime
    altitude_lower_m: float
    altitude_upper_m: float
    altitude_reference: str

    model_config = ConfigDict(populate_by_name=True)


class RequiredReviewPublic(BaseModel):
    party_id: str
    agreement_id: str
    zone_ids: list[str]


class NoticePublic(BaseModel):
    party_id: str
    zone_id: str | None = Field(description="null for the partner's private zone")
    volume_index: int
    time_start: datetime
    time_end: datetime


class CheckCreate(Strict):
    """The dry run takes the body a submission would send: `name` and `priority` are
    validated as on submit, so a check says whether that body would be accepted, and are
    otherwise unused (a plan's conflicts do not depend on them)."""

    name: str | None = Field(None, min_length=1, max_length=200)
    priority: int = Field(0, ge=0, le=100)
    volumes: VolumeList


class CheckPublic(BaseModel):
    conflicts: list[ConflictPublic]
    required_reviews: list[RequiredReviewPublic]
    notices: list[NoticePublic]
    refused: bool


class FlexibilitySchema(Strict):
    """How far suggestions may move the plan; an unset bound: a shift of at most 6 h, a
    band no higher than twice the planned ceiling."""

    earliest_start: AwareDatetime | None = None
    latest_start: AwareDatetime | None = None
    lowest_m: AltitudeM | None = None
    highest_m: AltitudeM | None = None


class OperationCreate(Strict):
    name: str = Field(min_length=1, max_length=200)
    priority: Integer = Field(0, ge=0, le=100)
    volumes: VolumeList
    flexibility: FlexibilitySchema | None = None


class VersionPublic(BaseModel):
    version: int
    state: str
    submitted_at: datetime
    submitted_by: str
    volumes: list[VolumeOut]


class OperationPublic(BaseModel):
    id: str
    party_id: str
    name: str
    priority: int
    version: int
    state: str
    created_at: datetime
    volumes: list[VolumeOut]
    conflicts: list[ConflictPublic]
    required_reviews: list[RequiredReviewPublic]
    notices: list[NoticePublic]
    flexibility: FlexibilitySchema | None
    conditions: list[ConditionsPublic] = Field(
        description="What the reviewers' approvals ask (state approved_with_conditions)"
    )
    versions: list[VersionPublic] | None = Field(
        None, description="Earlier and current versions, when asked for with ?history=true"
    )


class ErrorItem(BaseModel):
    loc: list[str | int]
    msg: str


class ErrorPublic(BaseModel):
    detail: str
    errors: list[ErrorItem] = Field(default_factory=list)
    conflicts: list[ConflictPublic] | None = None


class Health(BaseModel):
    status: Literal["ok"]
    database: str
    schema_revision: str | None


# ---- review chains and cases ----------------------------------------------------------

RoleName = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")]


class StageSchema(Strict):
    name: str = Field(min_length=1, max_length=100)
    roles: list[RoleName] = Field(min_length=1, max_length=10)
    rule: Literal["any", "all"] = Field(
        "any", description="any: one decision closes the stage; all: every role decides"
    )
    deadline_s: Number | None = Field(None, gt=0, le=90 * 86400)
    on_deadline: Literal["escalate", "approve", "reject"] = "escalate"
    public_label: str | None = Field(
        None,
        min_length=1,
        max_length=100,
        description="What the submitting party may read of this stage; without one it "
        "learns nothing about the stage",
    )


class AutoApprovalSchema(Strict):
    name: str = Field(min_length=1, max_length=100)
    max_altitude_m: Number | None = Field(None, ge=-8000, le=100000)
    outside_hours_utc: list[Annotated[list[Integer], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list,
        max_length=24,
        description="[from_hour, to_hour) spans of each UTC day",
    )
    without_own_conflicts: StrictBool = False


class ReviewChainSchema(Strict):
    stages: list[StageSchema] = Field(min_length=1, max_length=10)
    auto_approval: list[AutoApprovalSchema] = Field(default_factory=list, max_length=20)


class ChainStagePublic(BaseModel):
    name: str | None = Field(description="null for the partner")
    roles: list[str] | None = Field(description="null for the partner")
    public_label: str | None
    rule: str
    deadline_s: float | None
    on_deadline: str


class ReviewChainPublic(BaseModel):
    stages: list[ChainStagePublic]
    auto_approval: list[AutoApprovalSchema]


class ConditionsPublic(BaseModel):
    """A condition of an approval, with the party that set it."""

    party_id: str
    text: str
    time_window: TimeWindowSchema | None
    altitude_lower_m: float | None
    altitude_upper_m: float | None


class ConditionsSchema(Strict):
    text: str = Field(min_length=1, max_length=4000)
    time_window: TimeWindowSchema | None = None
    altitude_lower_m: AltitudeM | None = None
    altitude_upper_m: AltitudeM | None = None


class ProposalSchema(Strict):
    suggestion_id: str | None = Field(None, max_length=64)
    volumes: list[VolumeIn] | None = Field(None, min_length=1)


class DecisionCreate(Strict):
    decision: Literal["approve", "approve_with_conditions", "request_modification", "reject"]
    comment: str = Field(
        "",
        max_length=4000,
        description="To the submitter; required to reject or request a modification",
    )
    internal_note: str = Field(
        "", max_length=4000, description="Seen only inside the reviewing party"
    )
    conditions: ConditionsSchema | None = None
    proposal: ProposalSchema | None = None


class DecisionPublic(BaseModel):
    """A decision: whole for the reviewing party; for the submitter only the outcome, its
    time, comment, conditions, proposal and the stage's public label."""

    stage: int | None = Field(description="null for the submitter")
    stage_name: str | None = Field(description="null for the submitter")
    stage_label: str | None = Field(description="The stage's public label, if it has one")
    role: str | None = Field(description="null for the submitter")
    subject: str | None = Field(description="null for the submitter")
    internal_note: str | None = Field(description="null for the submitter")
    party_id: str
    decision: str | None = Field(description="null: the stage was escalated at its deadline")
    comment: str
    conditions: ConditionsSchema | None
    proposal: dict[str, Any] | None
    decided_at: datetime
    automatic: bool


class StagePublic(BaseModel):
    """A stage of the case's chain: whole for the reviewing party; the submitter sees only
    stages with a public label, as that label, rule and deadline."""

    index: int | None = Field(description="null for the submitter")
    name: str | None = Field(description="null for the submitter")
    public_label: str | None
    roles: list[str] | None = Field(description="null for the submitter")
    rule: str
    deadline_s: float | None
    on_deadline: str


class ReviewPublic(BaseModel):
    id: str
    operation_id: str
    operation_name: str
    version: int
    submitter_party_id: str
    reviewer_party_id: str
    agreement_id: str
    state: str
    zone_ids: list[str]
    stages: list[StagePublic]
    current_stage: int | None = Field(
        description="null once the case is closed, and always for the submitter"
    )
    current_stage_label: str | None = Field(
        description="The current stage's public label, if it has one"
    )
    waiting_roles: list[str] = Field(description="Empty for the submitter")
    due_at: datetime | None
    created_at: datetime
    closed_at: datetime | None
    decisions: list[DecisionPublic]
    volumes: list[VolumeOut] = Field(description="The volumes of the version under review")
    conflicts: list[ConflictPublic] = Field(
        description="For the reviewer: conflicts with its own zones and operations; "
        "for the submitter: all, with other parties' operations anonymous"
    )
    operation_names: dict[str, str] = Field(
        description="Names of the viewer's own operations that appear in conflicts"
    )


class SuggestionPublic(BaseModel):
    id: str
    kind: str
    summary: str
    volumes: list[VolumeOut]


class HistoryVersion(BaseModel):
    version: int
    state: str
    submitted_at: datetime
    submitted_by: str | None = Field(description="null for a reviewing party")
    volumes: list[VolumeOut]
    reviews: list[ReviewPublic]


class HistoryPublic(BaseModel):
    operation_id: str
    name: str
    party_id: str
    state: str
    versions: list[HistoryVersion]


# ---- notices, subscriptions, events ---------------------------------------------------


class NoticeRecord(BaseModel):
    """A notice as its recipient (and the submitting party) sees it: where, how high and
    when the plan enters the recipient's zone, who sent it and a reference; nothing else.

    The band and window are the plan's own; `separation` is what the plan was grown by
    to count as entering (so a 20-100 m plan under a 10 m minimum came within 10-110 m)."""

    id: str
    kind: Literal["entry", "update", "cleared", "withdrawal"]
    reference: str = Field(description="Stable across versions and follow-up notices")
    version: int
    submitter_party_id: str
    submitter_name: str
    recipient_party_id: str
    zone_id: str | None = Field(description="null, to the submitter, for a private zone")
    outline: PolygonFootprint | None
    altitude_lower_m: float | None
    altitude_upper_m: float | None
    altitude_reference: str | None
    time_start: datetime | None
    time_end: datetime | None
    separation: SeparationSchema | None = Field(
        description="The separation minima applied between the two parties (null with "
        "the band and window, on cleared and withdrawal notices)"
    )
    created_at: datetime
    ack: Literal["pending", "acknowledged", "concern"]
    ack_comment: str
    acked_at: datetime | None


class NoticeAck(Strict):
    status: Literal["acknowledged", "concern"]
    comment: str = Field("", max_length=4000, description="Required with 'concern'")


class SubscriptionCreate(Strict):
    area: Footprint
    altitude_lower_m: AltitudeM = -8000
    altitude_upper_m: AltitudeM = 100000
    time_start: AwareDatetime
    time_end: AwareDatetime
    webhook_url: str | None = Field(None, max_length=2000)


class SubscriptionPublic(BaseModel):
    id: str
    party_id: str
    area: Footprint
    altitude_lower_m: float
    altitude_upper_m: float
    time_start: datetime
    time_end: datetime
    webhook_url: str | None
    created_at: datetime
    next_sequence: int
    secret: str | None = Field(
        None, description="HMAC key of the webhook signatures: returned once, at creation"
    )


class EventPublic(BaseModel):
    id: int
    type: str
    subscription_id: str
    sequence: int
    created_at: datetime
    payload: dict[str, Any]


class DeliveryPublic(BaseModel):
    event: EventPublic
    url: str
    state: Literal["pending", "delivered", "dead"]
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    delivered_at: datetime | None


class AuditPublic(BaseModel):
    chain: str = Field(description="The object's chain: `<object_type>:<object_id>`")
    seq: int = Field(description="Position in the object's chain, from 1")
    at: datetime
    subject: str | None = Field(
        description="Who acted; only for the reader's own people (else null: see party_id)"
    )
    party_id: str = Field(description="The party that acted (`system`: deconflict itself)")
    roles: list[str] | None = Field(description="The actor's roles; only for the reader's own")
    action: str
    object_type: str
    object_id: str
    before_digest: str | None
    after_digest: str | None
    prev_hash: str
    hash: str
