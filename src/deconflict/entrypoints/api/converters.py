"""Explicit conversions between the API schemas and domain types, in both directions.

`from_api`/`to_api` for native shapes, `from_f3548`/`to_f3548` for ASTM F3548-21, and
`from_geojson`/`to_geojson` for GeoJSON Features. Input errors come out as InvalidInput
located at the field that caused them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from functools import partial
from typing import Any, TypeVar

from deconflict.domain.assessment import Assessment, Conflict, NoticeTarget, RequiredReview
from deconflict.domain.chain import AutoApprovalRule, DeadlineAction, ReviewChain, Stage, StageRule
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.heights import StatedVolume
from deconflict.domain.model import Agreement, Party, Zone
from deconflict.domain.notice import Notice
from deconflict.domain.operation import Flexibility, Operation, OperationVersion
from deconflict.domain.review import (
    Conditions,
    Decision,
    DecisionRecord,
    ImposedConditions,
    Proposal,
    ReviewCase,
)
from deconflict.domain.subscription import Delivery, OutboxEvent, Subscription
from deconflict.domain.suggestions import Suggestion
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    StatedBand,
    TimeWindow,
    Volume4D,
)
from deconflict.services import heights
from deconflict.services.audit import AuditEntry
from deconflict.services.context import ServiceContext
from deconflict.services.reviews import CaseView, DecisionCommand, History
from deconflict.services.subscriptions import SubscriptionCreate

from . import schemas as s

T = TypeVar("T")


Renames = Mapping[str | int, Loc]


def _renamed(loc: Loc, renames: Renames) -> Loc:
    """`loc` with its first part replaced as `renames` says (domain names to the names
    of the shape that was sent)."""
    if loc and loc[0] in renames:
        return (*renames[loc[0]], *loc[1:])
    return loc


def _at(loc: Loc, build: Callable[[], T], renames: Renames | None = None) -> T:
    """Runs a domain constructor, locating any InvalidInput it raises under `loc`."""
    try:
        return build()
    except InvalidInput as e:
        # dict: two fields renamed to one (a native band's one reference) say it once
        problems = dict.fromkeys((_renamed(p, renames or {}), msg) for p, msg in e.problems)
        raise InvalidInput(list(problems)).prefixed(loc) from None


def _point(p: s.LatLngPoint, loc: Loc) -> LatLng:
    return _at(loc, lambda: LatLng(p.lat, p.lng))


def _points(points: Sequence[s.LatLngPoint], loc: Loc) -> tuple[LatLng, ...]:
    return tuple(_point(p, (*loc, i)) for i, p in enumerate(points))


def _window(start: datetime, end: datetime, loc: Loc, renames: Renames | None = None) -> TimeWindow:
    return _at(loc, lambda: TimeWindow(start, end), renames)


def _band(
    lower: float, upper: float, reference: str, loc: Loc, renames: Renames | None = None
) -> AltitudeBand:
    return _at(loc, lambda: AltitudeBand(lower, upper, AltitudeReference(reference)), renames)


def _stated(
    lower: float,
    lower_reference: str,
    upper: float,
    upper_reference: str,
    loc: Loc,
    renames: Renames | None = None,
) -> StatedBand:
    """A band as sent; `heights.to_w84` converts it."""
    return _at(
        loc,
        lambda: StatedBand(
            lower, AltitudeReference(lower_reference), upper, AltitudeReference(upper_reference)
        ),
        renames,
    )


#: A problem `heights.to_w84` locates at a native limit, in a native volume or zone.
_NATIVE_HEIGHTS: Renames = {
    "altitude_lower_reference": ("altitude_reference",),
    "altitude_upper_reference": ("altitude_reference",),
}
_F3548_HEIGHTS: Renames = {
    "altitude_lower_reference": ("volume", "altitude_lower", "reference"),
    "altitude_upper_reference": ("volume", "altitude_upper", "reference"),
    "altitude_lower_m": ("volume", "altitude_lower", "value"),
    "altitude_upper_m": ("volume", "altitude_upper", "value"),
}
_F3548_NAMES: Renames = {
    "altitude_upper_m": ("altitude_upper", "value"),
    "time_start": ("time_start", "value"),
    "time_end": ("time_end", "value"),
}


def footprint_from_api(f: s.PolygonFootprint | s.CircleFootprint, loc: Loc) -> Footprint:
    if isinstance(f, s.CircleFootprint):
        center = _point(f.center, (*loc, "center"))
        return _at(loc, lambda: Circle(center, f.radius_m))
    exterior = _points(f.vertices, (*loc, "vertices"))
    holes = tuple(_points(h, (*loc, "holes", i)) for i, h in enumerate(f.holes))
    return _at(loc, lambda: Polygon(exterior, holes))


def footprint_to_api(f: Footprint) -> s.PolygonFootprint | s.CircleFootprint:
    if isinstance(f, Circle):
        return s.CircleFootprint(
            type="circle",
            center=s.LatLngPoint(lat=f.center.lat, lng=f.center.lng),
            radius_m=f.radius_m,
        )
    return s.PolygonFootprint(
        type="polygon",
        vertices=[s.LatLngPoint(lat=p.lat, lng=p.lng) for p in f.exterior],
        holes=[[s.LatLngPoint(lat=p.lat, lng=p.lng) for p in h] for h in f.holes],
    )


def from_api(v: s.VolumeNative, loc: Loc) -> StatedVolume:
    return StatedVolume(
        footprint_from_api(v.footprint, (*loc, "footprint")),
        _stated(
            v.altitude_lower_m,
            v.altitude_reference,
            v.altitude_upper_m,
            v.altitude_reference,
            loc,
        ),
        _window(v.time_start, v.time_end, loc),
    )


def to_api(v: Volume4D) -> s.VolumeNative:
    return s.VolumeNative(
        footprint=footprint_to_api(v.footprint),
        altitude_lower_m=v.altitude.lower_m,
        altitude_upper_m=v.altitude.upper_m,
        altitude_reference=v.altitude.reference.value,
        time_start=v.time.start,
        time_end=v.time.end,
    )


def from_f3548(v: s.F3548Volume4D, loc: Loc) -> StatedVolume:
    v3 = v.volume
    vloc = (*loc, "volume")
    if (v3.outline_circle is None) == (v3.outline_polygon is None):
        raise InvalidInput.at(vloc, "exactly one of outline_circle and outline_polygon is needed")
    footprint: Footprint
    if v3.outline_circle is not None:
        circle = v3.outline_circle
        center = _point(circle.center, (*vloc, "outline_circle", "center"))
        footprint = _at((*vloc, "outline_circle"), lambda: Circle(center, circle.radius.value))
    else:
        assert v3.outline_polygon is not None
        ploc = (*vloc, "outline_polygon")
        vertices = _points(v3.outline_polygon.vertices, (*ploc, "vertices"))
        footprint = _at(ploc, lambda: Polygon(vertices))
    lower, upper = v3.altitude_lower, v3.altitude_upper
    return StatedVolume(
        footprint,
        _stated(lower.value, lower.reference, upper.value, upper.reference, vloc, _F3548_NAMES),
        _window(v.time_start.value, v.time_end.value, loc, _F3548_NAMES),
    )


def _f3548_time(t: datetime) -> s.F3548Time:
    return s.F3548Time(value=t, format="RFC3339")


def to_f3548(v: Volume4D) -> s.F3548Volume4D:
    f = v.footprint
    if isinstance(f, Polygon) and f.holes:
        raise InvalidInput.at(
            ("query", "volume_format"),
            "F3548 polygons cannot hold holes; ask for native or geojson",
        )
    ref = v.altitude.reference.value
    return s.F3548Volume4D(
        volume=s.F3548Volume3D(
            outline_circle=s.F3548Circle(
                center=s.LatLngPoint(lat=f.center.lat, lng=f.center.lng),
                radius=s.F3548Radius(value=f.radius_m, units="M"),
            )
            if isinstance(f, Circle)
            else None,
            outline_polygon=s.F3548Polygon(
                vertices=[s.LatLngPoint(lat=p.lat, lng=p.lng) for p in f.exterior]
            )
            if isinstance(f, Polygon)
            else None,
            altitude_lower=s.F3548Altitude(value=v.altitude.lower_m, reference=ref, units="M"),
            altitude_upper=s.F3548Altitude(value=v.altitude.upper_m, reference=ref, units="M"),
        ),
        time_start=_f3548_time(v.time.start),
        time_end=_f3548_time(v.time.end),
    )


def _position(coords: Sequence[float], loc: Loc) -> LatLng:
    if len(coords) not in (2, 3):
        raise InvalidInput.at(loc, "a position is [longitude, latitude] (optionally an altitude)")
    return _at(loc, lambda: LatLng(coords[1], coords[0]), {"lng": (0,), "lat": (1,)})


def _geojson_ring(loc: Loc) -> Loc:
    """A polygon's ring location (`vertices`, `holes.<i>`) as a GeoJSON ring index."""
    match loc:
        case ("vertices", *rest):
            return (0, *rest)
        case ("holes", int(i), *rest):
            return (i + 1, *rest)
    return loc


def from_geojson(feature: s.GeoJSONFeature, loc: Loc) -> StatedVolume:
    props = feature.properties
    gloc = (*loc, "geometry", "coordinates")
    footprint: Footprint
    if isinstance(feature.geometry, s.GeoJSONPoint):
        center = _position(feature.geometry.coordinates, gloc)
        if props.radius_m is None:
            raise InvalidInput.at(
                (*loc, "properties", "radius_m"), "a Point footprint needs radius_m"
            )
        radius_m = props.radius_m
        footprint = _at(loc, lambda: Circle(center, radius_m))
    else:
        rings = feature.geometry.coordinates
        if not rings:
            raise InvalidInput.at(gloc, "a Polygon needs an outer ring")
        parsed: list[tuple[LatLng, ...]] = []
        for r, ring in enumerate(rings):
            points = tuple(_position(c, (*gloc, r, i)) for i, c in enumerate(ring))
            if len(points) < 4 or points[0] != points[-1]:
                raise InvalidInput.at(
                    (*gloc, r), "a GeoJSON ring is closed: at least 4 positions, last = first"
                )
            parsed.append(points)
        try:
            footprint = Polygon(parsed[0], tuple(parsed[1:]))
        except InvalidInput as e:  # rings are located as `vertices` and `holes.<i>`
            raise InvalidInput(
                [((*gloc, *_geojson_ring(p)), msg) for p, msg in e.problems]
            ) from None
    ploc = (*loc, "properties")
    return StatedVolume(
        footprint,
        _stated(
            props.altitude_lower_m,
            props.altitude_reference,
            props.altitude_upper_m,
            props.altitude_reference,
            ploc,
        ),
        _window(props.time_start, props.time_end, ploc),
    )


def _ring_to_geojson(ring: tuple[LatLng, ...]) -> list[list[float]]:
    return [[p.lng, p.lat] for p in (*ring, ring[0])]


def to_geojson(v: Volume4D) -> s.GeoJSONFeature:
    f = v.footprint
    geometry: s.GeoJSONPolygon | s.GeoJSONPoint
    if isinstance(f, Circle):
        geometry = s.GeoJSONPoint(type="Point", coordinates=[f.center.lng, f.center.lat])
    else:
        geometry = s.GeoJSONPolygon(
            type="Polygon",
            coordinates=[_ring_to_geojson(f.exterior), *(_ring_to_geojson(h) for h in f.holes)],
        )
    return s.GeoJSONFeature(
        type="Feature",
        geometry=geometry,
        properties=s.GeoJSONVolumeProperties(
            altitude_lower_m=v.altitude.lower_m,
            altitude_upper_m=v.altitude.upper_m,
            altitude_reference=v.altitude.reference.value,
            time_start=v.time.start,
            time_end=v.time.end,
            radius_m=f.radius_m if isinstance(f, Circle) else None,
        ),
    )


def volumes_from_api(
    volumes: Sequence[s.VolumeNative | s.F3548Volume4D | s.GeoJSONFeature],
    ctx: ServiceContext,
    at: Loc = ("body", "volumes"),
) -> tuple[Volume4D, ...]:
    """Every volume of a request body, in any accepted shape, its heights above WGS 84
    (`services.heights.to_w84`, keeping what was stated); all problems at once."""
    out: list[StatedVolume] = []
    problems: list[tuple[Loc, str]] = []
    for i, v in enumerate(volumes):
        loc: Loc = (*at, i)
        try:
            if isinstance(v, s.F3548Volume4D):
                out.append(from_f3548(v, loc))
            elif isinstance(v, s.GeoJSONFeature):
                out.append(from_geojson(v, loc))
            else:
                out.append(from_api(v, loc))
        except InvalidInput as e:
            problems.extend(e.problems)
    if problems:
        raise InvalidInput(problems)
    try:
        return heights.to_w84(ctx, out)
    except InvalidInput as e:  # located at ("volumes", index, native field)
        located: list[tuple[Loc, str]] = []
        for loc, msg in e.problems:
            match loc:
                case ("volumes", int(i), *rest):
                    located.append(((*at, i, *_as_sent(tuple(rest), volumes[i])), msg))
                case _:
                    located.append((at, msg))
        raise InvalidInput(list(dict.fromkeys(located))) from None


def _as_sent(loc: Loc, v: s.VolumeNative | s.F3548Volume4D | s.GeoJSONFeature) -> Loc:
    """A problem the service located in a volume's native shape (`footprint...`,
    `time_end`), located in the shape that volume was sent in."""
    if isinstance(v, s.F3548Volume4D) and loc[:1] and loc[0] in _F3548_HEIGHTS:
        return _renamed(loc, _F3548_HEIGHTS)
    loc = _renamed(loc, _NATIVE_HEIGHTS)
    if isinstance(v, s.F3548Volume4D):
        outline = "outline_circle" if v.volume.outline_circle is not None else "outline_polygon"
        return _renamed(loc, {"footprint": ("volume", outline), **_F3548_NAMES})
    if isinstance(v, s.GeoJSONFeature):
        if loc[:1] == ("footprint",):
            if isinstance(v.geometry, s.GeoJSONPoint):
                return ("properties", "radius_m")
            return ("geometry", "coordinates")
        return ("properties", *loc)
    return loc


def problems_as_sent(
    e: InvalidInput, volumes: Sequence[s.VolumeNative | s.F3548Volume4D | s.GeoJSONFeature]
) -> InvalidInput:
    """A service's InvalidInput about a command built from `volumes` (located as
    `volumes.<i>.<native field>`), located in the request body as it was sent."""
    problems: list[tuple[Loc, str]] = []
    for loc, msg in e.problems:
        match loc:
            case ("volumes", int(i), *rest) if 0 <= i < len(volumes):
                loc = ("volumes", i, *_as_sent(tuple(rest), volumes[i]))
        problems.append((("body", *loc), msg))
    return InvalidInput(problems)


VOLUME_WRITERS: dict[s.VolumeFormat, Callable[[Volume4D], s.VolumeOut]] = {
    s.VolumeFormat.NATIVE: to_api,
    s.VolumeFormat.F3548: to_f3548,
    s.VolumeFormat.GEOJSON: to_geojson,
}


def conflict_to_api(c: Conflict) -> s.ConflictPublic:
    return s.ConflictPublic(
        kind=c.kind.value,
        volume_index=c.volume_index,
        with_=s.ConflictWith(
            type="zone" if c.subject_type == "zone" else "operation",
            id=c.subject_id,
            party_id=c.party_id,
        ),
        time_start=c.overlap.time.start,
        time_end=c.overlap.time.end,
        altitude_lower_m=c.overlap.altitude.lower_m,
        altitude_upper_m=c.overlap.altitude.upper_m,
        altitude_reference=c.overlap.altitude.reference.value,
    )


def _review_to_api(r: RequiredReview) -> s.RequiredReviewPublic:
    return s.RequiredReviewPublic(
        party_id=r.party_id, agreement_id=r.agreement_id, zone_ids=list(r.zone_ids)
    )


def _notice_to_api(n: NoticeTarget) -> s.NoticePublic:
    return s.NoticePublic(
        party_id=n.party_id,
        zone_id=n.zone_id or None,  # "": a private zone, as its submitter sees it
        volume_index=n.volume_index,
        time_start=n.overlap.time.start,
        time_end=n.overlap.time.end,
    )


def check_to_api(a: Assessment) -> s.CheckPublic:
    return s.CheckPublic(
        conflicts=[conflict_to_api(c) for c in a.conflicts],
        required_reviews=[_review_to_api(r) for r in a.required_reviews],
        notices=[_notice_to_api(n) for n in a.notices],
        refused=a.refused,
    )


def _version_to_api(v: OperationVersion, fmt: s.VolumeFormat) -> s.VersionPublic:
    write = VOLUME_WRITERS[fmt]
    return s.VersionPublic(
        version=v.number,
        state=v.state.value,
        submitted_at=v.submitted_at,
        submitted_by=v.submitted_by,
        volumes=[write(x) for x in v.volumes],
    )


def operation_to_api(
    op: Operation, viewer_party_id: str, fmt: s.VolumeFormat, *, history: bool = False
) -> s.OperationPublic:
    current = op.current
    assessment = current.assessment.seen_by(viewer_party_id)
    write = VOLUME_WRITERS[fmt]
    return s.OperationPublic(
        id=op.id,
        party_id=op.party_id,
        name=op.name,
        priority=op.priority,
        version=current.number,
        state=current.state.value,
        created_at=op.created_at,
        volumes=[write(x) for x in current.volumes],
        conflicts=[conflict_to_api(c) for c in assessment.conflicts],
        required_reviews=[_review_to_api(r) for r in assessment.required_reviews],
        notices=[_notice_to_api(n) for n in assessment.notices],
        flexibility=flexibility_to_api(op.flexibility),
        conditions=[imposed_to_api(x) for x in current.conditions],
        versions=[_version_to_api(v, fmt) for v in op.versions] if history else None,
    )


def flexibility_from_api(f: s.FlexibilitySchema | None) -> Flexibility | None:
    if f is None:
        return None
    loc: Loc = ("body", "flexibility")
    return _at(loc, lambda: Flexibility(f.earliest_start, f.latest_start, f.lowest_m, f.highest_m))


def flexibility_to_api(f: Flexibility | None) -> s.FlexibilitySchema | None:
    if f is None:
        return None
    return s.FlexibilitySchema(
        earliest_start=f.earliest_start,
        latest_start=f.latest_start,
        lowest_m=f.lowest_m,
        highest_m=f.highest_m,
    )


def imposed_to_api(x: ImposedConditions) -> s.ConditionsPublic:
    c = x.conditions
    return s.ConditionsPublic(
        party_id=x.party_id,
        text=c.text,
        time_window=None
        if c.time is None
        else s.TimeWindowSchema(start=c.time.start, end=c.time.end),
        altitude_lower_m=None if c.altitude is None else c.altitude.lower_m,
        altitude_upper_m=None if c.altitude is None else c.altitude.upper_m,
    )


def party_to_api(p: Party) -> s.PartyPublic:
    return s.PartyPublic(id=p.id, name=p.name, authority=p.authority, created_at=p.created_at)


def separation_from_api(sep: s.SeparationSchema | None) -> Separation | None:
    return None if sep is None else Separation(sep.horizontal_m, sep.vertical_m, sep.time_s)


def separation_to_api(sep: Separation) -> s.SeparationSchema:
    return s.SeparationSchema(
        horizontal_m=sep.horizontal_m, vertical_m=sep.vertical_m, time_s=sep.time_s
    )


def agreement_to_api(a: Agreement, viewer_party_id: str) -> s.AgreementPublic:
    """The review chain is the proposer's own process: whole for it, as public labels,
    rules and deadlines for the partner."""
    sep = a.separation
    return s.AgreementPublic(
        id=a.id,
        kind=a.kind.value,
        proposer_party_id=a.proposer_party_id,
        partner_party_id=a.partner_party_id,
        state=a.state.value,
        separation=None if sep is None else separation_to_api(sep),
        review_chain=_chain_public(a.review_chain, whole=viewer_party_id == a.proposer_party_id),
        proposal_acceptance=a.proposal_acceptance.value,
        created_at=a.created_at,
    )


def zone_parts_from_api(
    z: s.ZoneCreate, ctx: ServiceContext
) -> tuple[Footprint, AltitudeBand, tuple[TimeWindow, ...]]:
    """A zone's parts, its band above WGS 84 (converted from AMSL or AGL as for volumes)."""
    loc: Loc = ("body",)
    footprint = footprint_from_api(z.footprint, (*loc, "footprint"))
    r = z.altitude_reference
    stated = _stated(z.altitude_lower_m, r, z.altitude_upper_m, r, loc)
    band = _at(loc, lambda: heights.zone_band_to_w84(ctx, footprint, stated), _NATIVE_HEIGHTS)
    names: Renames = {"time_start": ("start",), "time_end": ("end",)}
    periods = tuple(
        _window(p.start, p.end, (*loc, "active_periods", i), names)
        for i, p in enumerate(z.active_periods)
    )
    return footprint, band, periods


def zone_to_api(z: Zone, viewer_party_id: str) -> s.ZonePublic:
    """A zone the viewer may see: its name only for its owner or when public."""
    return s.ZonePublic(
        id=z.id,
        party_id=z.party_id,
        kind=z.kind.value,
        name=z.name if z.named_to(viewer_party_id) else None,
        disclosure=z.disclosure.value,
        footprint=footprint_to_api(z.footprint),
        altitude_lower_m=z.altitude.lower_m,
        altitude_upper_m=z.altitude.upper_m,
        altitude_reference=z.altitude.reference.value,
        active_periods=[s.TimeWindowSchema(start=p.start, end=p.end) for p in z.periods],
        created_at=z.created_at,
    )


# ---- review chains and cases -------------------------------------------------------------


def _stage_from_api(st: s.StageSchema) -> Stage:
    return Stage(
        st.name,
        tuple(st.roles),
        StageRule(st.rule),
        st.deadline_s,
        DeadlineAction(st.on_deadline),
        st.public_label,
    )


def _rule_from_api(r: s.AutoApprovalSchema) -> AutoApprovalRule:
    hours = tuple((h[0], h[1]) for h in r.outside_hours_utc)
    return AutoApprovalRule(r.name, r.max_altitude_m, hours, r.without_own_conflicts)


def chain_from_api(c: s.ReviewChainSchema | None) -> ReviewChain | None:
    if c is None:
        return None
    loc: Loc = ("body", "review_chain")
    stages = tuple(
        _at((*loc, "stages", i), partial(_stage_from_api, st)) for i, st in enumerate(c.stages)
    )
    rules = tuple(
        _at((*loc, "auto_approval", i), partial(_rule_from_api, r))
        for i, r in enumerate(c.auto_approval)
    )
    return _at(loc, lambda: ReviewChain(stages, rules))


def _chain_public(c: ReviewChain | None, *, whole: bool) -> s.ReviewChainPublic | None:
    if c is None:
        return None
    return s.ReviewChainPublic(
        stages=[
            s.ChainStagePublic(
                name=st.name if whole else None,
                roles=list(st.roles) if whole else None,
                public_label=st.public_label,
                rule=st.rule.value,
                deadline_s=st.deadline_s,
                on_deadline=st.on_deadline.value,
            )
            for st in c.stages
        ],
        auto_approval=[
            s.AutoApprovalSchema(
                name=r.name,
                max_altitude_m=r.max_altitude_m,
                outside_hours_utc=[list(h) for h in r.outside_hours_utc],
                without_own_conflicts=r.without_own_conflicts,
            )
            for r in c.auto_approval
        ],
    )


def decision_from_api(d: s.DecisionCreate, ctx: ServiceContext) -> DecisionCommand:
    loc: Loc = ("body",)
    conditions = None
    if d.conditions is not None:
        c = d.conditions
        band = None
        if (c.altitude_lower_m is None) != (c.altitude_upper_m is None):
            raise InvalidInput.at(
                (*loc, "conditions"), "give both altitude_lower_m and altitude_upper_m, or neither"
            )
        if c.altitude_lower_m is not None and c.altitude_upper_m is not None:
            band = _band(c.altitude_lower_m, c.altitude_upper_m, "W84", (*loc, "conditions"))
        window = None
        if c.time_window is not None:
            window = _window(
                c.time_window.start, c.time_window.end, (*loc, "conditions", "time_window")
            )
        conditions = Conditions(c.text, window, band)
    proposal = None
    if d.proposal is not None:
        volumes = volumes_from_api(d.proposal.volumes or [], ctx, ("body", "proposal", "volumes"))
        proposal = _at(
            (*loc,), lambda: Proposal(d.proposal.suggestion_id if d.proposal else None, volumes)
        )
    return DecisionCommand(Decision(d.decision), d.comment, conditions, proposal, d.internal_note)


def _conditions_to_api(c: Conditions | None) -> s.ConditionsSchema | None:
    if c is None:
        return None
    return s.ConditionsSchema(
        text=c.text,
        time_window=None
        if c.time is None
        else s.TimeWindowSchema(start=c.time.start, end=c.time.end),
        altitude_lower_m=None if c.altitude is None else c.altitude.lower_m,
        altitude_upper_m=None if c.altitude is None else c.altitude.upper_m,
    )


def _proposal_to_api(p: Proposal | None) -> dict[str, Any] | None:
    if p is None:
        return None
    return {
        "suggestion_id": p.suggestion_id,
        "volumes": [to_api(v).model_dump(mode="json") for v in p.volumes],
    }


def _stage_name(case: ReviewCase, index: int) -> str:
    return case.chain.stages[index].name if index < len(case.chain.stages) else ""


def _label(case: ReviewCase, index: int) -> str | None:
    return case.chain.stages[index].public_label if index < len(case.chain.stages) else None


def _decision_to_api(case: ReviewCase, d: DecisionRecord, whole: bool) -> s.DecisionPublic:
    return s.DecisionPublic(
        stage=d.stage_index if whole else None,
        stage_name=_stage_name(case, d.stage_index) if whole else None,
        stage_label=_label(case, d.stage_index),
        role=d.role if whole else None,
        subject=d.subject if whole else None,
        internal_note=d.internal_note if whole else None,
        party_id=d.party_id,
        decision=None if d.decision is None else d.decision.value,
        comment=d.comment,
        conditions=_conditions_to_api(d.conditions),
        proposal=_proposal_to_api(d.proposal),
        decided_at=d.decided_at,
        automatic=d.automatic,
    )


def _stages_to_api(case: ReviewCase, whole: bool) -> list[s.StagePublic]:
    """Every stage for the reviewing party; for the submitter, the labelled ones only."""
    return [
        s.StagePublic(
            index=i if whole else None,
            name=st.name if whole else None,
            public_label=st.public_label,
            roles=list(st.roles) if whole else None,
            rule=st.rule.value,
            deadline_s=st.deadline_s,
            on_deadline=st.on_deadline.value,
        )
        for i, st in enumerate(case.chain.stages)
        if whole or st.public_label is not None
    ]


def review_to_api(view: CaseView, fmt: s.VolumeFormat) -> s.ReviewPublic:
    """A case as its viewer may see it: whole for the reviewing party; for the submitter,
    the outcome, decision times, comments, conditions and public stage labels, never
    subjects, roles, stage names, internal notes or the reviewer's private zones."""
    case, operation = view.case, view.operation
    whole = view.viewer_is_reviewer
    write = VOLUME_WRITERS[fmt]
    version = operation.versions[case.version - 1]
    hidden_zones = set() if whole else version.assessment.private_zone_ids()
    return s.ReviewPublic(
        id=case.id,
        operation_id=case.operation_id,
        operation_name=operation.name,
        version=case.version,
        submitter_party_id=case.submitter_party_id,
        reviewer_party_id=case.reviewer_party_id,
        agreement_id=case.agreement_id,
        state=case.state.value,
        zone_ids=[z for z in case.zone_ids if z not in hidden_zones],
        stages=_stages_to_api(case, whole),
        current_stage=case.stage_index if case.is_open and whole else None,
        current_stage_label=case.stage.public_label if case.is_open else None,
        waiting_roles=sorted(case.waiting_roles()) if whole else [],
        due_at=case.due_at,
        created_at=case.created_at,
        closed_at=case.closed_at,
        # An escalation is the reviewing party's internal process: not the submitter's.
        decisions=[
            _decision_to_api(case, d, whole)
            for d in case.decisions
            if whole or d.decision is not None
        ],
        volumes=[write(v) for v in version.volumes],
        conflicts=[conflict_to_api(c) for c in view.assessment.conflicts],
        operation_names=view.operation_names,
    )


def suggestion_to_api(x: Suggestion, fmt: s.VolumeFormat) -> s.SuggestionPublic:
    write = VOLUME_WRITERS[fmt]
    return s.SuggestionPublic(
        id=x.id, kind=x.kind.value, summary=x.summary, volumes=[write(v) for v in x.volumes]
    )


def history_to_api(h: History, fmt: s.VolumeFormat) -> s.HistoryPublic:
    """The submitter's history: every version, each case as the submitter may see it. A
    reviewing party's: the versions it reviewed, its own cases whole, no submitter's
    subjects."""
    op = h.operation
    write = VOLUME_WRITERS[fmt]
    owner = h.viewer_party_id == op.party_id
    reviewed = {c.version for c in h.cases}
    return s.HistoryPublic(
        operation_id=op.id,
        name=op.name,
        party_id=op.party_id,
        state=op.state.value,
        versions=[
            s.HistoryVersion(
                version=v.number,
                state=v.state.value,
                submitted_at=v.submitted_at,
                submitted_by=v.submitted_by if owner else None,
                volumes=[write(x) for x in v.volumes],
                reviews=[
                    review_to_api(
                        CaseView(
                            c,
                            op,
                            v.assessment.seen_by(h.viewer_party_id, op.party_id),
                            {},
                            h.viewer_party_id == c.reviewer_party_id,
                        ),
                        fmt,
                    )
                    for c in h.cases
                    if c.version == v.number
                ],
            )
            for v in op.versions
            if owner or v.number in reviewed
        ],
    )


# ---- notices, subscriptions, events ---------------------------------------------------


def notice_to_api(n: Notice, submitter_name: str, separation: Separation) -> s.NoticeRecord:
    outline = footprint_to_api(n.outline) if n.outline is not None else None
    return s.NoticeRecord(
        id=n.id,
        kind=n.kind.value,
        reference=n.operation_id,
        version=n.version,
        submitter_party_id=n.submitter_party_id,
        submitter_name=submitter_name,
        recipient_party_id=n.recipient_party_id,
        zone_id=n.zone_id or None,
        outline=outline if isinstance(outline, s.PolygonFootprint) else None,
        altitude_lower_m=None if n.altitude is None else n.altitude.lower_m,
        altitude_upper_m=None if n.altitude is None else n.altitude.upper_m,
        altitude_reference=None if n.altitude is None else n.altitude.reference.value,
        time_start=None if n.time is None else n.time.start,
        time_end=None if n.time is None else n.time.end,
        separation=None if n.altitude is None else separation_to_api(separation),
        created_at=n.created_at,
        ack=n.ack.value,
        ack_comment=n.ack_comment,
        acked_at=n.acked_at,
    )


def subscription_from_api(body: s.SubscriptionCreate) -> SubscriptionCreate:
    loc: Loc = ("body",)
    volume = Volume4D(
        footprint_from_api(body.area, (*loc, "area")),
        _band(body.altitude_lower_m, body.altitude_upper_m, "W84", loc),
        _window(body.time_start, body.time_end, loc),
    )
    return SubscriptionCreate(volume, body.webhook_url)


def subscription_to_api(x: Subscription, *, with_secret: bool = False) -> s.SubscriptionPublic:
    return s.SubscriptionPublic(
        id=x.id,
        party_id=x.party_id,
        area=footprint_to_api(x.volume.footprint),
        altitude_lower_m=x.volume.altitude.lower_m,
        altitude_upper_m=x.volume.altitude.upper_m,
        time_start=x.volume.time.start,
        time_end=x.volume.time.end,
        webhook_url=x.webhook_url,
        created_at=x.created_at,
        next_sequence=x.next_sequence,
        secret=x.secret if with_secret else None,
    )


def event_to_api(e: OutboxEvent) -> s.EventPublic:
    return s.EventPublic(
        id=e.id,
        type=e.type.value,
        subscription_id=e.subscription_id,
        sequence=e.sequence,
        created_at=e.created_at,
        payload=e.payload,
    )


def delivery_to_api(d: Delivery) -> s.DeliveryPublic:
    return s.DeliveryPublic(
        event=event_to_api(d.event),
        url=d.url,
        state=d.state.value,
        attempts=d.attempts,
        next_attempt_at=d.next_attempt_at,
        last_error=d.last_error,
        delivered_at=d.delivered_at,
    )


def audit_to_api(entry: AuditEntry) -> s.AuditPublic:
    e = entry.event
    d = e.draft
    return s.AuditPublic(
        chain=e.chain,
        seq=e.seq,
        at=d.at,
        subject=d.subject if entry.own else None,
        party_id=d.party_id,
        roles=list(d.roles) if entry.own else None,
        action=d.action,
        object_type=d.object_type,
        object_id=d.object_id,
        before_digest=d.before,
        after_digest=d.after,
        prev_hash=e.prev_hash,
        hash=e.hash,
    )
