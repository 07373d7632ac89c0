"""The ASTM F3548-21 DSS use cases, on deconflict's own store (routes: /dss/v1/...).

Every write runs in one unit of work (SERIALIZABLE, retried from the start): the
candidate read of the key check, the OVN comparison and the writes are one atomic step,
so of two managers racing to create intersecting intents, the later one sees the
earlier and must present its OVN. Candidates come from the same spatial index the
native API uses (operation_volumes, zone_volumes); the exact 4D test follows.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterable, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from deconflict.domain.assessment import (
    Assessment,
    ConflictKind,
    NoticeTarget,
    VolumeFrame,
)
from deconflict.domain.conflicts import Separation, volumes_conflict
from deconflict.domain.errors import Forbidden, InvalidInput, NotFound, StateConflict
from deconflict.domain.f3548 import (
    CSTR_MAX_PLAN_HORIZON,
    CSTR_MAX_VERTICES,
    MAX_AREA_M2,
    MAX_CLOCK_SKEW,
    MAX_SUBSCRIPTION_DURATION,
    OI_MAX_PLAN_HORIZON,
    OI_MAX_VERTICES,
    START_LATENCY,
    Availability,
    ConstraintRef,
    DssSubscription,
    IntentRef,
    IntentState,
    Manager,
    MissingOvns,
    Notified,
    Report,
    Scope,
    UssAvailability,
    UssDown,
    covers,
)
from deconflict.domain.geometry import FootprintLimits, check_footprint
from deconflict.domain.model import (
    Caller,
    OperationState,
    Party,
    Zone,
    ZoneKind,
    default_disclosure,
)
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.subscription import EventType
from deconflict.domain.volumes import TimeWindow, Volume4D

from .audit import record
from .context import ServiceContext
from .events import emit
from .notices import issue_notices, withdrawal_notices
from .operations import _assess, operation_payload
from .ports import Transaction, UnitOfWork

log = logging.getLogger(__name__)

TOUCHING = Separation()


def new_token() -> str:
    """An OVN or version: 32 URL-safe characters from 192 random bits (not guessable)."""
    return secrets.token_urlsafe(24)


def caller_of(manager: Manager) -> Caller:
    """The audit log's view of a manager: its subject, party and scopes."""
    return Caller(manager.subject, manager.party_id, manager.scopes)


# ---- identity ------------------------------------------------------------------------


def resolve_manager(
    uow: UnitOfWork, ctx: ServiceContext, subject: str, scopes: frozenset[str], register: bool
) -> Manager:
    """The manager behind a verified token: the party whose `f3548_subjects` holds
    `subject`. Unknown subjects are Forbidden, unless `register` (test deployments:
    DECONFLICT_F3548_REGISTER_UNKNOWN), which registers a party for it, logged."""

    known = uow.run(lambda tx: tx.f3548.party_of(subject), write=False)
    if known is not None:
        return Manager(subject, known, scopes)
    if not register:
        raise Forbidden(f"the subject {subject!r} is not a USS known to this DSS")

    def work(tx: Transaction) -> str:
        party_id = tx.f3548.party_of(subject)
        if party_id is not None:  # registered meanwhile by a concurrent first request
            return party_id
        name = f"F3548 USS {subject}"[:200]
        if tx.parties.by_name(name) is not None:
            name = f"{name[:160]} {ctx.new_id()}"
        party = Party(ctx.new_id(), name, ctx.clock())
        tx.parties.add(party)
        tx.f3548.set_subjects(party.id, [subject])
        caller = Caller(subject, party.id, scopes)
        record(tx, ctx, caller, "party.created", party, party.id, parties=[party.id])
        log.warning("F3548: registered party %s for the unknown subject %r", party.id, subject)
        return party.id

    return Manager(subject, uow.run(work), scopes)


# ---- validation ----------------------------------------------------------------------


def validate_extents(
    ctx: ServiceContext,
    extents: Sequence[Volume4D],
    *,
    max_vertices: int,
    horizon: timedelta,
) -> None:
    """Raises InvalidInput (located at `extents.<i>`) unless each extent is a valid
    shape within the standard's vertex and area limits, ends after now, and starts
    within the planning horizon."""
    if not extents:
        raise InvalidInput.at(("extents",), "at least one extent is needed")
    now = ctx.clock()
    limits = FootprintLimits(MAX_AREA_M2, max_vertices)
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, volume in enumerate(extents):
        try:
            check_footprint(volume.footprint, ctx.frames, limits)
        except InvalidInput as e:
            problems.extend(e.prefixed(("extents", i, "volume")).problems)
        if volume.time.end <= now:
            problems.append((("extents", i, "time_end"), "ends in the past"))
        if volume.time.start - now > horizon:
            problems.append(
                (
                    ("extents", i, "time_start"),
                    f"starts more than {horizon.days} days ahead (the planning horizon)",
                )
            )
    if problems:
        raise InvalidInput(problems)


def validate_area(ctx: ServiceContext, volume: Volume4D, loc: tuple[str, ...]) -> None:
    """Raises InvalidInput at `loc` unless the area is a valid shape within the limits."""
    try:
        check_footprint(volume.footprint, ctx.frames, FootprintLimits(MAX_AREA_M2, OI_MAX_VERTICES))
    except InvalidInput as e:
        raise e.prefixed(loc) from None


def _meet(ctx: ServiceContext, a: Sequence[Volume4D], b: Sequence[Volume4D]) -> bool:
    """Whether some volume of `a` and some volume of `b` overlap in 4D (touching is no
    overlap)."""
    for va in a:
        frame = VolumeFrame(ctx.frames, va)
        if any(volumes_conflict(va, vb, TOUCHING, frame) is not None for vb in b):
            return True
    return False


# ---- reads shared by several use cases -------------------------------------------------


def intents_in(
    tx: Transaction, ctx: ServiceContext, volumes: Sequence[Volume4D]
) -> list[IntentRef]:
    """Every intent reference (of any manager) meeting `volumes`, by the spatial index then
    the exact test."""
    candidates = tx.operations.candidates(volumes, TOUCHING, "")
    intents = tx.f3548.intents_of_operations([c.id for c in candidates])
    return sorted(
        (i for i in intents if _meet(ctx, volumes, i.extents)), key=lambda i: (i.updated_at, i.id)
    )


def constraints_in(
    tx: Transaction, ctx: ServiceContext, volumes: Sequence[Volume4D]
) -> list[ConstraintRef]:
    """Every constraint reference meeting `volumes` (their zones are restricted ones,
    which the zone candidates always include)."""
    zones = tx.zones.candidates(volumes, TOUCHING, [])
    found = tx.f3548.constraints_of_zones([z.id for z in zones])
    return sorted(
        (c for c in found if _meet(ctx, volumes, c.extents)), key=lambda c: (c.updated_at, c.id)
    )


def _notify(
    tx: Transaction,
    ctx: ServiceContext,
    volumes: Sequence[Volume4D],
    *,
    intents: bool,
) -> list[Notified]:
    """Increments, once, the notification index of every subscription for intents (or
    constraints) whose volume the change touches; the writer must notify them."""
    touched = [
        s.id
        for s in tx.f3548.subscriptions_near(volumes)
        if (s.notify_for_operational_intents if intents else s.notify_for_constraints)
        and _meet(ctx, s.volumes, volumes)
    ]
    return tx.f3548.notify(sorted(set(touched)))


def availability_of(tx: Transaction, uss: str) -> Availability:
    status = tx.f3548.availability(uss)
    return Availability.UNKNOWN if status is None else status.availability


def availabilities(tx: Transaction, managers: Iterable[str]) -> dict[str, Availability]:
    return {m: availability_of(tx, m) for m in set(managers)}


# ---- operational intent references ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImplicitSubscription:
    uss_base_url: str
    notify_for_constraints: bool = False


@dataclass(frozen=True, slots=True)
class IntentCommand:
    """`PutOperationalIntentReferenceParameters`, converted."""

    extents: tuple[Volume4D, ...]
    state: IntentState
    uss_base_url: str
    key: frozenset[str] = frozenset()
    subscription_id: str | None = None
    new_subscription: ImplicitSubscription | None = None


@dataclass(frozen=True, slots=True)
class IntentChange:
    intent: IntentRef
    subscribers: list[Notified]
    availability: Availability


@dataclass(frozen=True, slots=True)
class References:
    """References as one manager may see them, with their managers' availability."""

    intents: list[IntentRef]
    constraints: list[ConstraintRef]
    availability: dict[str, Availability]


def _check_intent_command(manager: Manager, ovn: str | None, command: IntentCommand) -> None:
    if ovn is None and command.state is not IntentState.ACCEPTED:
        raise InvalidInput.at(
            ("state",), f"an operational intent is created Accepted, not {command.state}"
        )
    if command.state.off_nominal and not manager.has(Scope.CONFORMANCE_MONITORING_SA):
        raise Forbidden(
            f"the state {command.state} needs the scope {Scope.CONFORMANCE_MONITORING_SA}"
        )
    if command.new_subscription is not None:
        if command.subscription_id is not None:
            raise InvalidInput.at(
                ("new_subscription",), "give subscription_id or new_subscription, not both"
            )
        if command.new_subscription.notify_for_constraints and not manager.has(
            Scope.CONSTRAINT_PROCESSING
        ):
            raise Forbidden(f"notify_for_constraints needs the scope {Scope.CONSTRAINT_PROCESSING}")
    elif command.subscription_id is None and command.state.requires_subscription:
        raise InvalidInput.at(
            ("subscription_id",),
            f"the state {command.state} needs subscription_id or new_subscription",
        )


def _covers(
    ctx: ServiceContext,
    subscription: DssSubscription,
    extents: Sequence[Volume4D],
    late_start: timedelta = timedelta(0),
) -> bool:
    """Whether each extent lies in some volume of the subscription (see `covers`)."""
    return all(
        any(covers(s, v, ctx.frames, late_start) for s in subscription.volumes) for v in extents
    )


def _attached_subscription(
    tx: Transaction,
    ctx: ServiceContext,
    manager: Manager,
    intent_id: str,
    command: IntentCommand,
    previous: DssSubscription | None,
) -> DssSubscription | None:
    """The subscription the intent will depend on: a new implicit one, the one named
    (which must be the manager's and cover the extents; an implicit one is grown to),
    or none (Accepted only)."""
    if command.new_subscription is not None:
        implicit = DssSubscription(
            id=ctx.new_id(),
            manager=manager.subject,
            party_id=manager.party_id,
            version=new_token(),
            notification_index=0,
            volumes=command.extents,
            uss_base_url=command.new_subscription.uss_base_url,
            notify_for_operational_intents=True,
            notify_for_constraints=command.new_subscription.notify_for_constraints,
            implicit=True,
        )
        tx.f3548.put_subscription(implicit)
        return implicit
    if command.subscription_id is None:
        return None
    subscription = tx.f3548.get_subscription(command.subscription_id)
    if subscription is None:
        raise InvalidInput.at(
            ("subscription_id",), f"the subscription {command.subscription_id} does not exist"
        )
    if subscription.manager != manager.subject:
        raise Forbidden("the subscription is managed by another client")
    if not _covers(ctx, subscription, command.extents):
        if not subscription.implicit:
            raise InvalidInput.at(
                ("subscription_id",),
                "the subscription does not cover the operational intent's extents",
            )
        subscription = replace(subscription, volumes=(*subscription.volumes, *command.extents))
        tx.f3548.put_subscription(subscription)
    return subscription


def _missing(
    tx: Transaction,
    ctx: ServiceContext,
    manager: Manager,
    intent_id: str,
    command: IntentCommand,
    subscription: DssSubscription | None,
) -> None:
    """The key check: raises MissingOvns unless the key holds the OVN of every other
    Accepted or Activated intent meeting the extents, and (when the intent's
    subscription is notified of constraints) of every constraint meeting them. Counting
    operations of other parties submitted through the native API that the extents meet
    refuse the write too: the same candidates, one consistency model."""
    candidates = tx.operations.candidates(command.extents, TOUCHING, "")
    meeting = [c for c in candidates if _meet(ctx, command.extents, c.volumes)]
    backed = {i.operation_id: i for i in tx.f3548.intents_of_operations([c.id for c in meeting])}
    intents = tuple(
        sorted(
            (
                i
                for i in backed.values()
                if i.id != intent_id and i.state.requires_key and i.ovn not in command.key
            ),
            key=lambda i: (i.updated_at, i.id),
        )
    )
    native = sum(1 for c in meeting if c.id not in backed and c.party_id != manager.party_id)
    constraints: tuple[ConstraintRef, ...] = ()
    if subscription is not None and subscription.notify_for_constraints:
        constraints = tuple(
            c for c in constraints_in(tx, ctx, command.extents) if c.ovn not in command.key
        )
    if intents or constraints or native:
        raise MissingOvns(intents, constraints, native)


def _native_assessment(
    tx: Transaction, ctx: ServiceContext, party_id: str, volumes: Sequence[Volume4D]
) -> Assessment:
    """The native assessment of an intent's extents, with the policy of the DSS path:
    nothing is refused or sent to review (the key check is the F3548 consistency
    rule); a coordination partner whose review zone it enters gets a notice instead,
    like a deconfliction partner whose notify zone it enters."""
    assessment = _assess(tx, ctx, party_id, volumes)
    by_party = {r.party_id: r.agreement_id for r in assessment.required_reviews}
    reviews = tuple(
        NoticeTarget(
            party_id=c.party_id,
            agreement_id=by_party[c.party_id],
            zone_id=c.subject_id,
            volume_index=c.volume_index,
            overlap=c.overlap,
        )
        for c in assessment.conflicts
        if c.kind is ConflictKind.REVIEW_ZONE
        and c.party_id in by_party
        and c.subject_id is not None
    )
    return Assessment(assessment.conflicts, (), assessment.notices + reviews)


_NATIVE_STATE = {
    IntentState.ACCEPTED: OperationState.APPROVED,
    IntentState.ACTIVATED: OperationState.ACTIVATED,
    IntentState.NONCONFORMING: OperationState.ACTIVATED,
    IntentState.CONTINGENT: OperationState.ACTIVATED,
}


def _store_operation(
    tx: Transaction,
    ctx: ServiceContext,
    manager: Manager,
    intent_id: str,
    command: IntentCommand,
    old: IntentRef | None,
) -> Operation:
    """Writes the deconflict operation behind the intent: a new one, or a new version."""
    caller = caller_of(manager)
    version = OperationVersion(
        number=1,
        volumes=command.extents,
        state=_NATIVE_STATE[command.state],
        submitted_at=ctx.clock(),
        submitted_by=manager.subject,
        assessment=_native_assessment(tx, ctx, manager.party_id, command.extents),
    )
    operation = None if old is None else tx.operations.get(old.operation_id)
    if operation is None:
        operation = Operation(
            id=ctx.new_id(),
            party_id=manager.party_id,
            name=f"F3548 operational intent {intent_id}",
            priority=0,
            created_at=ctx.clock(),
        )
        operation.add_version(version)
        tx.operations.add(operation)
        record(tx, ctx, caller, "operation.submitted", operation, operation.id)
        kind = EventType.OPERATION_CREATED
    else:
        before = deepcopy(operation)
        operation.add_version(replace(version, number=len(operation.versions) + 1))
        tx.operations.save(operation)
        record(tx, ctx, caller, "operation.version", operation, operation.id, before=before)
        kind = EventType.OPERATION_CHANGED
    issue_notices(tx, ctx, caller, operation)
    emit(tx, ctx, kind, operation.party_id, operation_payload(operation), command.extents)
    return operation


def put_intent(
    uow: UnitOfWork,
    ctx: ServiceContext,
    manager: Manager,
    intent_id: str,
    ovn: str | None,
    command: IntentCommand,
) -> IntentChange:
    """Creates (`ovn` None: `PUT /dss/v1/operational_intent_references/{id}`) or updates
    (`PUT .../{id}/{ovn}`) an operational intent reference.

    Raises InvalidInput (400), Forbidden (403: another manager's intent or
    subscription, a missing scope), StateConflict (409: exists already, or the OVN is
    not the current one), MissingOvns (409), UssDown (412)."""
    validate_extents(
        ctx,
        command.extents,
        max_vertices=OI_MAX_VERTICES,
        horizon=OI_MAX_PLAN_HORIZON,
    )
    _check_intent_command(manager, ovn, command)

    def work(tx: Transaction) -> IntentChange:
        old = tx.f3548.get_intent(intent_id)
        if old is None and ovn is not None:
            raise InvalidInput.at(
                ("entityid",), f"the operational intent {intent_id} does not exist"
            )
        if old is not None:
            if old.manager != manager.subject:
                raise Forbidden(f"the operational intent {intent_id} is managed by another client")
            if ovn is None:
                raise StateConflict(f"the operational intent {intent_id} exists already")
            if old.ovn != ovn:
                raise StateConflict(f"{ovn!r} is not the current OVN of {intent_id}")
        availability = availability_of(tx, manager.subject)
        if command.state.requires_key and availability is Availability.DOWN:
            raise UssDown(f"the USS {manager.subject} is marked Down")
        previous = None
        if old is not None and old.subscription_id is not None:
            previous = tx.f3548.get_subscription(old.subscription_id)
        subscription = _attached_subscription(tx, ctx, manager, intent_id, command, previous)
        if command.state.requires_key:
            _missing(tx, ctx, manager, intent_id, command, subscription)
        operation = _store_operation(tx, ctx, manager, intent_id, command, old)
        intent = IntentRef(
            id=intent_id,
            manager=manager.subject,
            party_id=manager.party_id,
            operation_id=operation.id,
            version=1 if old is None else old.version + 1,
            ovn=new_token(),
            state=command.state,
            extents=command.extents,
            uss_base_url=command.uss_base_url,
            subscription_id=None if subscription is None else subscription.id,
            updated_at=ctx.clock(),
        )
        tx.f3548.put_intent(intent)
        if previous is not None and (subscription is None or previous.id != subscription.id):
            _drop_implicit(tx, previous, intent_id)
        action = "f3548.intent.created" if old is None else "f3548.intent.updated"
        record(tx, ctx, caller_of(manager), action, intent, intent_id, before=old)
        changed = command.extents if old is None else (*command.extents, *old.extents)
        return IntentChange(intent, _notify(tx, ctx, changed, intents=True), availability)

    return uow.run(work)


def _drop_implicit(tx: Transaction, subscription: DssSubscription, intent_id: str) -> None:
    """Deletes an implicit subscription no other intent depends on any more."""
    if not subscription.implicit:
        return
    stored = tx.f3548.get_subscription(subscription.id)
    if stored is not None and not set(stored.dependent_operational_intents) - {intent_id}:
        tx.f3548.delete_subscription(subscription.id)


def delete_intent(
    uow: UnitOfWork, ctx: ServiceContext, manager: Manager, intent_id: str, ovn: str
) -> IntentChange:
    """Deletes an intent reference (`DELETE /dss/v1/operational_intent_references/{id}/
    {ovn}`): its operation is withdrawn, its implicit subscription deleted. NotFound
    (404), Forbidden (403), StateConflict (409: not the current OVN), UssDown (412)."""

    def work(tx: Transaction) -> IntentChange:
        old = tx.f3548.get_intent(intent_id)
        if old is None:
            raise NotFound(f"no operational intent {intent_id}")
        if old.manager != manager.subject:
            raise Forbidden(f"the operational intent {intent_id} is managed by another client")
        if old.ovn != ovn:
            raise StateConflict(f"{ovn!r} is not the current OVN of {intent_id}")
        availability = availability_of(tx, manager.subject)
        if availability is Availability.DOWN:
            raise UssDown(f"the USS {manager.subject} is marked Down")
        caller = caller_of(manager)
        operation = tx.operations.get(old.operation_id)
        if operation is not None and operation.counts:
            before = deepcopy(operation)
            operation.withdraw()
            tx.operations.save(operation)
            withdrawal_notices(tx, ctx, caller, operation)
            record(tx, ctx, caller, "operation.withdrawn", operation, operation.id, before=before)
            emit(
                tx,
                ctx,
                EventType.OPERATION_WITHDRAWN,
                operation.party_id,
                operation_payload(operation),
                old.extents,
            )
        tx.f3548.delete_intent(intent_id)
        if old.subscription_id is not None:
            subscription = tx.f3548.get_subscription(old.subscription_id)
            if subscription is not None:
                _drop_implicit(tx, subscription, intent_id)
        record(tx, ctx, caller, "f3548.intent.deleted", old, intent_id, before=old)
        return IntentChange(old, _notify(tx, ctx, old.extents, intents=True), availability)

    return uow.run(work)


def get_intent(uow: UnitOfWork, intent_id: str) -> tuple[IntentRef, Availability]:
    """One intent reference (`GET /dss/v1/operational_intent_references/{id}`); NotFound."""

    def work(tx: Transaction) -> tuple[IntentRef, Availability]:
        intent = tx.f3548.get_intent(intent_id)
        if intent is None:
            raise NotFound(f"no operational intent {intent_id}")
        return intent, availability_of(tx, intent.manager)

    return uow.run(work, write=False)


def query_intents(uow: UnitOfWork, ctx: ServiceContext, area: Volume4D) -> References:
    """Intent references meeting the area of interest, of every manager
    (`POST /dss/v1/operational_intent_references/query`)."""
    validate_area(ctx, area, ("area_of_interest", "volume"))

    def work(tx: Transaction) -> References:
        intents = intents_in(tx, ctx, [area])
        return References(intents, [], availabilities(tx, (i.manager for i in intents)))

    return uow.run(work, write=False)


# ---- constraint references -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConstraintCommand:
    extents: tuple[Volume4D, ...]
    uss_base_url: str


@dataclass(frozen=True, slots=True)
class ConstraintChange:
    constraint: ConstraintRef
    subscribers: list[Notified]
    availability: Availability


def _zones(
    tx: Transaction,
    ctx: ServiceContext,
    manager: Manager,
    constraint_id: str,
    extents: Sequence[Volume4D],
) -> list[Zone]:
    """The restricted zones holding a constraint: public, and so binding every party,
    when the manager's party is an authority (as a native restricted zone would be);
    else for its agreement partners only."""
    owner = tx.parties.get(manager.party_id)
    disclosure = default_disclosure(ZoneKind.RESTRICTED, owner is not None and owner.authority)
    return [
        Zone(
            id=ctx.new_id(),
            party_id=manager.party_id,
            kind=ZoneKind.RESTRICTED,
            name=f"F3548 constraint {constraint_id}" + (f" #{i + 1}" if len(extents) > 1 else ""),
            footprint=v.footprint,
            altitude=v.altitude,
            periods=(v.time,),
            created_at=ctx.clock(),
            disclosure=disclosure,
        )
        for i, v in enumerate(extents)
    ]


def put_constraint(
    uow: UnitOfWork,
    ctx: ServiceContext,
    manager: Manager,
    constraint_id: str,
    ovn: str | None,
    command: ConstraintCommand,
) -> ConstraintChange:
    """Creates (`PUT /dss/v1/constraint_references/{id}`) or updates (`.../{id}/{ovn}`)
    a constraint reference, held by restricted zones of the manager's party.
    StateConflict (409: exists, or not the current OVN), NotFound (404), Forbidden."""
    validate_extents(
        ctx,
        command.extents,
        max_vertices=CSTR_MAX_VERTICES,
        horizon=CSTR_MAX_PLAN_HORIZON,
    )

    def work(tx: Transaction) -> ConstraintChange:
        old = tx.f3548.get_constraint(constraint_id)
        if old is None and ovn is not None:
            raise NotFound(f"no constraint {constraint_id}")
        if old is not None:
            if old.manager != manager.subject:
                raise Forbidden(f"the constraint {constraint_id} is managed by another client")
            if ovn is None:
                raise StateConflict(f"the constraint {constraint_id} exists already")
            if old.ovn != ovn:
                raise StateConflict(f"{ovn!r} is not the current OVN of {constraint_id}")
            for zone_id in old.zone_ids:
                tx.zones.delete(zone_id)
        zones = _zones(tx, ctx, manager, constraint_id, command.extents)
        tx.zones.add_many(zones)
        constraint = ConstraintRef(
            id=constraint_id,
            manager=manager.subject,
            party_id=manager.party_id,
            zone_ids=tuple(z.id for z in zones),
            version=1 if old is None else old.version + 1,
            ovn=new_token(),
            extents=command.extents,
            uss_base_url=command.uss_base_url,
            updated_at=ctx.clock(),
        )
        tx.f3548.put_constraint(constraint)
        action = "f3548.constraint.created" if old is None else "f3548.constraint.updated"
        record(tx, ctx, caller_of(manager), action, constraint, constraint_id, before=old)
        changed = command.extents if old is None else (*command.extents, *old.extents)
        return ConstraintChange(
            constraint,
            _notify(tx, ctx, changed, intents=False),
            availability_of(tx, manager.subject),
        )

    return uow.run(work)


def delete_constraint(
    uow: UnitOfWork, ctx: ServiceContext, manager: Manager, constraint_id: str, ovn: str
) -> ConstraintChange:
    """Deletes a constraint reference and its zones (`DELETE /dss/v1/
    constraint_references/{id}/{ovn}`). NotFound, Forbidden, StateConflict."""

    def work(tx: Transaction) -> ConstraintChange:
        old = tx.f3548.get_constraint(constraint_id)
        if old is None:
            raise NotFound(f"no constraint {constraint_id}")
        if old.manager != manager.subject:
            raise Forbidden(f"the constraint {constraint_id} is managed by another client")
        if old.ovn != ovn:
            raise StateConflict(f"{ovn!r} is not the current OVN of {constraint_id}")
        for zone_id in old.zone_ids:
            tx.zones.delete(zone_id)
        tx.f3548.delete_constraint(constraint_id)
        record(tx, ctx, caller_of(manager), "f3548.constraint.deleted", old, constraint_id)
        return ConstraintChange(
            old,
            _notify(tx, ctx, old.extents, intents=False),
            availability_of(tx, manager.subject),
        )

    return uow.run(work)


def get_constraint(uow: UnitOfWork, constraint_id: str) -> tuple[ConstraintRef, Availability]:
    """One constraint reference (`GET /dss/v1/constraint_references/{id}`); NotFound."""

    def work(tx: Transaction) -> tuple[ConstraintRef, Availability]:
        constraint = tx.f3548.get_constraint(constraint_id)
        if constraint is None:
            raise NotFound(f"no constraint {constraint_id}")
        return constraint, availability_of(tx, constraint.manager)

    return uow.run(work, write=False)


def query_constraints(uow: UnitOfWork, ctx: ServiceContext, area: Volume4D) -> References:
    """Constraint references meeting the area of interest
    (`POST /dss/v1/constraint_references/query`)."""
    validate_area(ctx, area, ("area_of_interest", "volume"))

    def work(tx: Transaction) -> References:
        found = constraints_in(tx, ctx, [area])
        return References([], found, availabilities(tx, (c.manager for c in found)))

    return uow.run(work, write=False)


# ---- subscriptions ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubscriptionCommand:
    """`PutSubscriptionParameters`, converted; the window of `area` is replaced by
    `time_start` and `time_end`, which may be absent (see `put_subscription`)."""

    area: Volume4D
    time_start: datetime | None
    time_end: datetime | None
    uss_base_url: str
    notify_for_operational_intents: bool
    notify_for_constraints: bool


@dataclass(frozen=True, slots=True)
class SubscriptionChange:
    subscription: DssSubscription
    references: References


def _check_subscription_command(
    ctx: ServiceContext, manager: Manager, command: SubscriptionCommand
) -> None:
    if not (command.notify_for_operational_intents or command.notify_for_constraints):
        raise InvalidInput.at(
            ("notify_for_operational_intents",),
            "at least one of notify_for_operational_intents and notify_for_constraints "
            "must be true",
        )
    if command.notify_for_operational_intents and not manager.has(Scope.STRATEGIC_COORDINATION):
        raise Forbidden(
            f"notify_for_operational_intents needs the scope {Scope.STRATEGIC_COORDINATION}"
        )
    if command.notify_for_constraints and not manager.has(Scope.CONSTRAINT_PROCESSING):
        raise Forbidden(f"notify_for_constraints needs the scope {Scope.CONSTRAINT_PROCESSING}")
    start = command.time_start
    if start is not None and ctx.clock() - start > MAX_CLOCK_SKEW:
        raise InvalidInput.at(
            ("extents", "time_start", "value"),
            f"starts more than {MAX_CLOCK_SKEW.total_seconds():g} s in the past",
        )
    validate_area(ctx, command.area, ("extents", "volume"))


def _subscription_window(
    ctx: ServiceContext, command: SubscriptionCommand, old: DssSubscription | None
) -> TimeWindow:
    """The window asked for: an absent start is the old one's (a new subscription: now),
    an absent end the old one's (a new subscription: the start and the longest
    duration). It must end after now and last at most the standard's 24 h."""
    start = command.time_start or (ctx.clock() if old is None else old.time_start)
    end = command.time_end or (start + MAX_SUBSCRIPTION_DURATION if old is None else old.time_end)
    loc = ("extents", "time_end", "value")
    if end <= start:
        raise InvalidInput.at(loc, "time_end must be after time_start")
    if end <= ctx.clock():
        raise InvalidInput.at(loc, "ends in the past")
    if end - start > MAX_SUBSCRIPTION_DURATION:
        raise InvalidInput.at(
            loc,
            f"a subscription lasts at most {MAX_SUBSCRIPTION_DURATION.total_seconds() / 3600:g} h",
        )
    return TimeWindow(start, end)


def _own_subscription(tx: Transaction, manager: Manager, subscription_id: str) -> DssSubscription:
    subscription = tx.f3548.get_subscription(subscription_id)
    if subscription is None:
        raise NotFound(f"no subscription {subscription_id}")
    if subscription.manager != manager.subject:
        raise Forbidden(f"the subscription {subscription_id} is managed by another client")
    return subscription


def put_subscription(
    uow: UnitOfWork,
    ctx: ServiceContext,
    manager: Manager,
    subscription_id: str,
    version: str | None,
    command: SubscriptionCommand,
) -> SubscriptionChange:
    """Creates (`PUT /dss/v1/subscriptions/{id}`) or updates (`.../{id}/{version}`) a
    subscription; answers with the references in its area it asks to hear about.
    StateConflict (409: exists, or not the current version), NotFound, Forbidden,
    InvalidInput (also: an update that would uncover an intent depending on it)."""
    _check_subscription_command(ctx, manager, command)

    def work(tx: Transaction) -> SubscriptionChange:
        old = tx.f3548.get_subscription(subscription_id)
        if version is None and old is not None:
            _own_subscription(tx, manager, subscription_id)  # another manager's: 403
            raise StateConflict(f"the subscription {subscription_id} exists already")
        if version is not None:
            old = _own_subscription(tx, manager, subscription_id)
            if old.version != version:
                raise StateConflict(f"{version!r} is not the current version of {subscription_id}")
        volume = replace(command.area, time=_subscription_window(ctx, command, old))
        subscription = DssSubscription(
            id=subscription_id,
            manager=manager.subject,
            party_id=manager.party_id,
            version=new_token(),
            notification_index=0 if old is None else old.notification_index,
            volumes=(volume,),
            uss_base_url=command.uss_base_url,
            notify_for_operational_intents=command.notify_for_operational_intents,
            notify_for_constraints=command.notify_for_constraints,
            implicit=False if old is None else old.implicit,
            dependent_operational_intents=() if old is None else old.dependent_operational_intents,
        )
        for intent_id in subscription.dependent_operational_intents:
            intent = tx.f3548.get_intent(intent_id)
            if intent is not None and not _covers(ctx, subscription, intent.extents, START_LATENCY):
                raise InvalidInput.at(
                    ("extents",),
                    f"the operational intent {intent_id} depends on this subscription and "
                    "would no longer be covered",
                )
        tx.f3548.put_subscription(subscription)
        action = "f3548.subscription.created" if old is None else "f3548.subscription.updated"
        record(tx, ctx, caller_of(manager), action, subscription, subscription_id, before=old)
        intents = intents_in(tx, ctx, [volume]) if command.notify_for_operational_intents else []
        constraints = constraints_in(tx, ctx, [volume]) if command.notify_for_constraints else []
        managers = [*(i.manager for i in intents), *(c.manager for c in constraints)]
        return SubscriptionChange(
            subscription, References(intents, constraints, availabilities(tx, managers))
        )

    return uow.run(work)


def delete_subscription(
    uow: UnitOfWork, ctx: ServiceContext, manager: Manager, subscription_id: str, version: str
) -> DssSubscription:
    """Deletes a subscription (`DELETE /dss/v1/subscriptions/{id}/{version}`). NotFound,
    Forbidden, StateConflict (not the current version), InvalidInput (an intent depends
    on it)."""

    def work(tx: Transaction) -> DssSubscription:
        subscription = _own_subscription(tx, manager, subscription_id)
        if subscription.version != version:
            raise StateConflict(f"{version!r} is not the current version of {subscription_id}")
        if subscription.dependent_operational_intents:
            raise InvalidInput.at(
                ("subscriptionid",),
                "operational intents depend on this subscription: "
                + ", ".join(subscription.dependent_operational_intents),
            )
        tx.f3548.delete_subscription(subscription_id)
        record(
            tx, ctx, caller_of(manager), "f3548.subscription.deleted", subscription, subscription_id
        )
        return subscription

    return uow.run(work)


def get_subscription(uow: UnitOfWork, manager: Manager, subscription_id: str) -> DssSubscription:
    """One of the manager's subscriptions (`GET /dss/v1/subscriptions/{id}`)."""
    return uow.run(lambda tx: _own_subscription(tx, manager, subscription_id), write=False)


def query_subscriptions(
    uow: UnitOfWork, ctx: ServiceContext, manager: Manager, area: Volume4D
) -> list[DssSubscription]:
    """The manager's subscriptions meeting the area (`POST /dss/v1/subscriptions/query`);
    expired ones are left out, as the InterUSS DSS leaves them out."""
    validate_area(ctx, area, ("area_of_interest", "volume"))

    def work(tx: Transaction) -> list[DssSubscription]:
        now = ctx.clock()
        return sorted(
            (
                s
                for s in tx.f3548.subscriptions_near([area])
                if s.manager == manager.subject
                and s.time_end > now
                and _meet(ctx, s.volumes, [area])
            ),
            key=lambda s: s.id,
        )

    return uow.run(work, write=False)


# ---- availability and reports -----------------------------------------------------------


def get_availability(uow: UnitOfWork, uss: str) -> UssAvailability:
    """A USS's availability (`GET /dss/v1/uss_availability/{uss_id}`): Unknown with an
    empty version until someone sets it."""
    status = uow.run(lambda tx: tx.f3548.availability(uss), write=False)
    return status or UssAvailability(uss, Availability.UNKNOWN, "")


def set_availability(
    uow: UnitOfWork,
    ctx: ServiceContext,
    manager: Manager,
    uss: str,
    old_version: str,
    availability: Availability,
) -> UssAvailability:
    """Sets a USS's availability (`PUT /dss/v1/uss_availability/{uss_id}`);
    StateConflict unless `old_version` is the current version ("" before the first)."""

    def work(tx: Transaction) -> UssAvailability:
        current = tx.f3548.availability(uss)
        if (current.version if current else "") != old_version:
            raise StateConflict(
                f"{old_version!r} is not the current version of {uss}'s availability"
            )
        status = UssAvailability(uss, availability, new_token())
        tx.f3548.set_availability(status)
        record(tx, ctx, caller_of(manager), "f3548.availability.set", status, uss, before=current)
        return status

    return uow.run(work)


def make_report(
    uow: UnitOfWork, ctx: ServiceContext, manager: Manager, body: dict[str, object]
) -> Report:
    """Archives a report (`POST /dss/v1/reports`) and gives it an id."""
    report = Report(ctx.new_id(), manager.subject, manager.party_id, body, ctx.clock())

    def work(tx: Transaction) -> Report:
        tx.f3548.add_report(report)
        record(tx, ctx, caller_of(manager), "f3548.report.made", report, report.id)
        return report

    return uow.run(work)
