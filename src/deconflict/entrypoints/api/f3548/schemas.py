"""Pydantic shapes of the ASTM F3548-21 DSS API (`/dss/v1`), as the standard's OpenAPI
names them. Unknown fields are ignored, as the standard says; NaN and infinities are
refused. Requests are `...Create`, responses `...Public`."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field

Latitude = Annotated[float, Field(ge=-90, le=90)]
Longitude = Annotated[float, Field(ge=-180, le=180)]
IntentStateName = Literal["Accepted", "Activated", "Nonconforming", "Contingent"]
AvailabilityName = Literal["Unknown", "Normal", "Down"]


class Dss(BaseModel):
    model_config = ConfigDict(extra="ignore", allow_inf_nan=False)


def _text(value: object) -> object:
    """Only a string is a time: pydantic would otherwise read a number as Unix seconds,
    which the standard's schema (an RFC 3339 string) refuses."""
    if not isinstance(value, str):
        raise ValueError("a time must be an RFC 3339 string")
    return value


class Time(Dss):
    value: Annotated[AwareDatetime, BeforeValidator(_text)] = Field(
        description="RFC 3339, with a time zone"
    )
    format: Literal["RFC3339"] = "RFC3339"


class Altitude(Dss):
    value: float = Field(ge=-8000, le=100000)
    reference: Literal["W84"]
    units: Literal["M"]


class Radius(Dss):
    value: float = Field(gt=0, le=20_000_000)
    units: Literal["M"]


class DssLatLngPoint(Dss):
    lat: Latitude
    lng: Longitude


class Circle(Dss):
    center: DssLatLngPoint
    radius: Radius


class Polygon(Dss):
    vertices: list[DssLatLngPoint] = Field(min_length=3)


class Volume3D(Dss):
    outline_circle: Circle | None = None
    outline_polygon: Polygon | None = None
    altitude_lower: Altitude | None = None
    altitude_upper: Altitude | None = None


class Volume4D(Dss):
    volume: Volume3D
    time_start: Time | None = None
    time_end: Time | None = None


class QueryCreate(Dss):
    """QueryOperationalIntentReferenceParameters, QueryConstraintReferenceParameters and
    QuerySubscriptionParameters."""

    area_of_interest: Volume4D | None = None


class ImplicitSubscriptionCreate(Dss):
    uss_base_url: str
    notify_for_constraints: bool = False


class OperationalIntentReferenceCreate(Dss):
    """PutOperationalIntentReferenceParameters."""

    extents: list[Volume4D] = Field(min_length=1)
    key: list[str] | None = None
    state: IntentStateName
    uss_base_url: str
    subscription_id: str | None = None
    new_subscription: ImplicitSubscriptionCreate | None = None


class ConstraintReferenceCreate(Dss):
    """PutConstraintReferenceParameters."""

    extents: list[Volume4D] = Field(min_length=1)
    uss_base_url: str


class DssSubscriptionCreate(Dss):
    """PutSubscriptionParameters."""

    extents: Volume4D
    uss_base_url: str
    notify_for_operational_intents: bool = False
    notify_for_constraints: bool = False


def _availability_name(value: object) -> object:
    """The standard's spelling of an availability sent in another case (`normal`), as
    the InterUSS DSS accepts it; anything else is left for the enum to refuse."""
    names = {"unknown": "Unknown", "normal": "Normal", "down": "Down"}
    return names.get(value.lower(), value) if isinstance(value, str) else value


class AvailabilityCreate(Dss):
    """SetUssAvailabilityStatusParameters."""

    old_version: str = ""
    availability: Annotated[AvailabilityName, BeforeValidator(_availability_name)]


class ExchangeRecordCreate(BaseModel):
    """ExchangeRecord: its required fields are checked, the rest is kept as sent."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)

    url: str
    method: str
    recorder_role: Literal["Client", "Server"]
    request_time: Time
    request_source: str


class ReportCreate(Dss):
    """ErrorReport: archived as sent."""

    report_id: str | None = Field(None, max_length=128)
    exchange: ExchangeRecordCreate


# ---- responses ------------------------------------------------------------------------


class ErrorResponsePublic(BaseModel):
    """ErrorResponse."""

    message: str


class TimePublic(BaseModel):
    value: str
    format: Literal["RFC3339"] = "RFC3339"


class OperationalIntentReferencePublic(BaseModel):
    id: str
    manager: str
    uss_availability: AvailabilityName
    version: int
    state: IntentStateName
    ovn: str | None = Field(None, description="Only for the manager's own references")
    time_start: TimePublic
    time_end: TimePublic
    uss_base_url: str
    subscription_id: str


class ConstraintReferencePublic(BaseModel):
    id: str
    manager: str
    uss_availability: AvailabilityName
    version: int
    ovn: str | None = Field(None, description="Only for the manager's own references")
    time_start: TimePublic
    time_end: TimePublic
    uss_base_url: str


class SubscriptionStatePublic(BaseModel):
    subscription_id: str
    notification_index: int


class SubscriberToNotifyPublic(BaseModel):
    subscriptions: list[SubscriptionStatePublic]
    uss_base_url: str


class DssSubscriptionPublic(BaseModel):
    id: str
    version: str
    notification_index: int
    time_start: TimePublic
    time_end: TimePublic
    uss_base_url: str
    notify_for_operational_intents: bool
    notify_for_constraints: bool
    implicit_subscription: bool
    dependent_operational_intents: list[str]


class GetOperationalIntentReferencePublic(BaseModel):
    operational_intent_reference: OperationalIntentReferencePublic


class ChangeOperationalIntentReferencePublic(BaseModel):
    subscribers: list[SubscriberToNotifyPublic]
    operational_intent_reference: OperationalIntentReferencePublic


class QueryOperationalIntentReferencesPublic(BaseModel):
    operational_intent_references: list[OperationalIntentReferencePublic]


class GetConstraintReferencePublic(BaseModel):
    constraint_reference: ConstraintReferencePublic


class ChangeConstraintReferencePublic(BaseModel):
    subscribers: list[SubscriberToNotifyPublic]
    constraint_reference: ConstraintReferencePublic


class QueryConstraintReferencesPublic(BaseModel):
    constraint_references: list[ConstraintReferencePublic]


class AirspaceConflictPublic(BaseModel):
    message: str
    missing_operational_intents: list[OperationalIntentReferencePublic]
    missing_constraints: list[ConstraintReferencePublic]


class GetSubscriptionPublic(BaseModel):
    subscription: DssSubscriptionPublic


class PutSubscriptionPublic(BaseModel):
    """Each list only when the subscription asks for that kind of entity."""

    subscription: DssSubscriptionPublic
    operational_intent_references: list[OperationalIntentReferencePublic] | None = None
    constraint_references: list[ConstraintReferencePublic] | None = None


class QuerySubscriptionsPublic(BaseModel):
    subscriptions: list[DssSubscriptionPublic]


class AvailabilityStatusPublic(BaseModel):
    uss: str
    availability: AvailabilityName


class AvailabilityPublic(BaseModel):
    """UssAvailabilityStatusResponse."""

    status: AvailabilityStatusPublic
    version: str
