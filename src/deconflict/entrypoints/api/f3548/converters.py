"""Between the `/dss/v1` shapes and the domain: `from_f3548` (requests), `to_f3548`
(responses). The OVN of a reference is shown to its manager only."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.f3548 import (
    Availability,
    ConstraintRef,
    DssSubscription,
    IntentRef,
    IntentState,
    Notified,
)
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from deconflict.services.f3548 import (
    ConstraintCommand,
    ImplicitSubscription,
    IntentCommand,
    References,
    SubscriptionCommand,
)

from . import schemas as s

#: The standard's bounds of altitude: what an area of interest without one stands for.
LOWEST_M, HIGHEST_M = -8000.0, 100000.0
#: What an area of interest without a time bound stands for.
EARLIEST = datetime(1970, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
#: What an instant or a single height of an area of interest stands for.
LEAST_TIME = timedelta(microseconds=1)
LEAST_M = 0.001
#: The subscription id of an intent without one (Accepted intents need none).
NULL_SUBSCRIPTION = "00000000-0000-4000-8000-000000000000"


def entity_id(value: str, name: str) -> str:
    """A path id as the standard writes it (a UUID), lower case; InvalidInput otherwise."""
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        raise InvalidInput.at((name,), f"{value!r} is not a UUID") from None
    if len(value) != 36:
        raise InvalidInput.at((name,), f"{value!r} is not a UUID in its 36-character form")
    return str(parsed)


def base_url(value: str, loc: Loc) -> str:
    """A USS base URL: absolute https, without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.netloc:
        raise InvalidInput.at(loc, f"{value!r} is not an https URL")
    return value


def _footprint(v: s.Volume3D, loc: Loc) -> Footprint:
    try:
        if (v.outline_circle is None) == (v.outline_polygon is None):
            raise InvalidInput.at((), "exactly one of outline_circle and outline_polygon is needed")
        if v.outline_circle is not None:
            c = v.outline_circle
            return Circle(LatLng(c.center.lat, c.center.lng), c.radius.value)
        assert v.outline_polygon is not None
        return Polygon(tuple(LatLng(p.lat, p.lng) for p in v.outline_polygon.vertices))
    except InvalidInput as e:
        raise e.prefixed(loc) from None


def from_f3548(
    v: s.Volume4D,
    loc: Loc,
    *,
    bounded: bool,
    area: bool = False,
) -> Volume4D:
    """A domain volume. `bounded`: times and altitudes are required (extents of
    intents and constraints). Otherwise an absent altitude is the standard's bound and
    an absent time is open. An `area` of interest may be an instant or a single height:
    it then stands for the least window or band around it."""
    v3 = v.volume
    footprint = _footprint(v3, (*loc, "volume"))
    missing = [
        name
        for name, value in (
            ("volume.altitude_lower", v3.altitude_lower),
            ("volume.altitude_upper", v3.altitude_upper),
            ("time_start", v.time_start),
            ("time_end", v.time_end),
        )
        if value is None
    ]
    if bounded and missing:
        raise InvalidInput.at(loc, f"{', '.join(missing)} required")
    lower = LOWEST_M if v3.altitude_lower is None else v3.altitude_lower.value
    upper = HIGHEST_M if v3.altitude_upper is None else v3.altitude_upper.value
    start = EARLIEST if v.time_start is None else v.time_start.value
    end = LATEST if v.time_end is None else v.time_end.value
    if area and upper == lower:
        upper = lower + LEAST_M
    if area and end == start:
        end = start + LEAST_TIME
    try:
        band = AltitudeBand(lower, upper, AltitudeReference.W84)
    except InvalidInput:
        raise InvalidInput.at(
            (*loc, "volume", "altitude_upper"), "altitude_upper must be above altitude_lower"
        ) from None
    try:
        window = TimeWindow(start, end)
    except InvalidInput:
        raise InvalidInput.at((*loc, "time_end"), "time_end must be after time_start") from None
    return Volume4D(footprint, band, window)


def area_from_f3548(body: s.QueryCreate) -> Volume4D:
    if body.area_of_interest is None:
        raise InvalidInput.at(("area_of_interest",), "area_of_interest is required")
    return from_f3548(body.area_of_interest, ("area_of_interest",), bounded=False, area=True)


def extents_from_f3548(extents: Sequence[s.Volume4D]) -> tuple[Volume4D, ...]:
    return tuple(from_f3548(v, ("extents", i), bounded=True) for i, v in enumerate(extents))


def intent_from_f3548(body: s.OperationalIntentReferenceCreate) -> IntentCommand:
    implicit = None
    if body.new_subscription is not None:
        implicit = ImplicitSubscription(
            base_url(body.new_subscription.uss_base_url, ("new_subscription", "uss_base_url")),
            body.new_subscription.notify_for_constraints,
        )
    return IntentCommand(
        extents=extents_from_f3548(body.extents),
        state=IntentState(body.state),
        uss_base_url=base_url(body.uss_base_url, ("uss_base_url",)),
        key=frozenset(body.key or ()),
        subscription_id=None
        if body.subscription_id in (None, NULL_SUBSCRIPTION)
        else entity_id(str(body.subscription_id), "subscription_id"),
        new_subscription=implicit,
    )


def constraint_from_f3548(body: s.ConstraintReferenceCreate) -> ConstraintCommand:
    return ConstraintCommand(
        extents=extents_from_f3548(body.extents),
        uss_base_url=base_url(body.uss_base_url, ("uss_base_url",)),
    )


def subscription_from_f3548(body: s.DssSubscriptionCreate) -> SubscriptionCommand:
    """The area with the times as sent (absent ones are resolved by the service)."""
    extents = body.extents
    return SubscriptionCommand(
        area=from_f3548(extents, ("extents",), bounded=False),
        time_start=None if extents.time_start is None else extents.time_start.value,
        time_end=None if extents.time_end is None else extents.time_end.value,
        uss_base_url=base_url(body.uss_base_url, ("uss_base_url",)),
        notify_for_operational_intents=body.notify_for_operational_intents,
        notify_for_constraints=body.notify_for_constraints,
    )


def _time(t: datetime) -> s.TimePublic:
    return s.TimePublic(value=t.isoformat().replace("+00:00", "Z"))


def intent_to_f3548(
    intent: IntentRef, viewer: str, availability: Availability
) -> s.OperationalIntentReferencePublic:
    return s.OperationalIntentReferencePublic(
        id=intent.id,
        manager=intent.manager,
        uss_availability=availability.value,
        version=intent.version,
        state=intent.state.value,
        ovn=intent.ovn if intent.manager == viewer else None,
        time_start=_time(intent.time_start),
        time_end=_time(intent.time_end),
        uss_base_url=intent.uss_base_url,
        subscription_id=intent.subscription_id or NULL_SUBSCRIPTION,
    )


def constraint_to_f3548(
    constraint: ConstraintRef, viewer: str, availability: Availability
) -> s.ConstraintReferencePublic:
    return s.ConstraintReferencePublic(
        id=constraint.id,
        manager=constraint.manager,
        uss_availability=availability.value,
        version=constraint.version,
        ovn=constraint.ovn if constraint.manager == viewer else None,
        time_start=_time(constraint.time_start),
        time_end=_time(constraint.time_end),
        uss_base_url=constraint.uss_base_url,
    )


def references_to_f3548(
    refs: References, viewer: str
) -> tuple[list[s.OperationalIntentReferencePublic], list[s.ConstraintReferencePublic]]:
    return (
        [intent_to_f3548(i, viewer, refs.availability[i.manager]) for i in refs.intents],
        [constraint_to_f3548(c, viewer, refs.availability[c.manager]) for c in refs.constraints],
    )


def subscribers_to_f3548(notified: Sequence[Notified]) -> list[s.SubscriberToNotifyPublic]:
    """One entry per base URL, with each of its subscriptions and its new index."""
    by_url: dict[str, list[s.SubscriptionStatePublic]] = {}
    for n in notified:
        by_url.setdefault(n.uss_base_url, []).append(
            s.SubscriptionStatePublic(
                subscription_id=n.subscription_id, notification_index=n.notification_index
            )
        )
    return [
        s.SubscriberToNotifyPublic(subscriptions=subs, uss_base_url=url)
        for url, subs in sorted(by_url.items())
    ]


def subscription_to_f3548(subscription: DssSubscription) -> s.DssSubscriptionPublic:
    return s.DssSubscriptionPublic(
        id=subscription.id,
        version=subscription.version,
        notification_index=subscription.notification_index,
        time_start=_time(subscription.time_start),
        time_end=_time(subscription.time_end),
        uss_base_url=subscription.uss_base_url,
        notify_for_operational_intents=subscription.notify_for_operational_intents,
        notify_for_constraints=subscription.notify_for_constraints,
        implicit_subscription=subscription.implicit,
        dependent_operational_intents=list(subscription.dependent_operational_intents),
    )
