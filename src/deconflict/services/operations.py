"""Checks and operations: the write path of the core service.

Every submission runs the same steps inside one transaction: candidates from the spatial
index, the exact 4D test in the domain, the policy, then the writes. Because the
candidate read and the writes share a SERIALIZABLE transaction, two overlapping
submissions can never both miss each other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from copy import deepcopy
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from deconflict.domain.assessment import Assessment, ConflictKind, Relations, VolumeFrame, assess
from deconflict.domain.conflicts import volume_within
from deconflict.domain.errors import DomainError, InvalidInput, NotFound, StateConflict
from deconflict.domain.geometry import check_footprint
from deconflict.domain.model import FINAL_STATES, Caller, OperationState, ProposalAcceptance
from deconflict.domain.operation import Flexibility, Operation, OperationVersion
from deconflict.domain.review import CaseState, Decision, ReviewCase
from deconflict.domain.review import operation_state as review_state
from deconflict.domain.subscription import EventType
from deconflict.domain.suggestions import SearchLimits, suggest
from deconflict.domain.volumes import TimeWindow, Volume4D

from .access import Action, authorize
from .audit import record
from .context import ServiceContext
from .events import emit
from .notices import issue_notices, withdrawal_notices
from .ports import Page, Transaction, UnitOfWork
from .registry import visible_zone


class Refused(DomainError):
    """The volumes enter a restricted zone: nothing was stored. Carries the assessment
    (as the submitter may see it) and the names of the zones the submitter may see."""

    def __init__(self, assessment: Assessment, zone_names: Mapping[str, str]) -> None:
        self.assessment = assessment
        zone_ids = sorted(
            {
                c.subject_id
                for c in assessment.conflicts
                if c.kind is ConflictKind.RESTRICTED_ZONE and c.subject_id is not None
            },
            key=lambda z: (zone_names.get(z, ""), z),
        )
        named = [f"{zone_names[z]!r} ({z})" if z in zone_names else f"({z})" for z in zone_ids]
        which = "the restricted zone" if len(named) == 1 else "the restricted zones"
        super().__init__(f"the operation enters {which} {', '.join(named)} and is refused")


@dataclass(frozen=True, slots=True)
class OperationCommand:
    """What a submitter sends for a new operation or a new version of one."""

    name: str
    priority: int
    volumes: tuple[Volume4D, ...]
    flexibility: Flexibility | None = None

    def validate(self, ctx: ServiceContext) -> None:
        """`validate_volumes`, and the plan keeps to its own flexibility."""
        validate_volumes(self.volumes, ctx)
        if self.flexibility is not None:
            try:
                self.flexibility.check(self.volumes)
            except InvalidInput as e:
                raise e.prefixed(("flexibility",)) from None


@dataclass(frozen=True, slots=True)
class Submission:
    """A stored operation and the assessment of its new version, as the caller may see it."""

    operation: Operation
    assessment: Assessment


def validate_volumes(volumes: Sequence[Volume4D], ctx: ServiceContext) -> None:
    """Raises InvalidInput, located at `volumes.<i>...`, unless every volume is within
    the configured limits (count, footprint validity, vertices, area, duration) and
    its window lies ahead: it ends after now and starts at most `max_lead_s` from now."""
    limits = ctx.limits
    if not volumes:
        raise InvalidInput.at(("volumes",), "at least one volume is needed")
    if len(volumes) > limits.max_volumes:
        raise InvalidInput.at(
            ("volumes",), f"{len(volumes)} volumes exceed the maximum of {limits.max_volumes}"
        )
    now = ctx.clock()
    horizon = now + timedelta(seconds=limits.max_lead_s)
    problems = []
    for i, volume in enumerate(volumes):
        try:
            check_footprint(volume.footprint, ctx.frames, limits.footprint)
        except InvalidInput as e:
            problems.extend(e.prefixed(("volumes", i)).problems)
        if volume.time.duration_s > limits.max_window_s:
            problems.append(
                (
                    ("volumes", i, "time_end"),
                    f"time window of {volume.time.duration_s:.0f} s exceeds the maximum of "
                    f"{limits.max_window_s:.0f} s",
                )
            )
        if volume.time.start > horizon:
            problems.append(
                (
                    ("volumes", i, "time_start"),
                    f"starts more than {limits.max_lead_s:.0f} s ahead (after "
                    f"{horizon.isoformat()})",
                )
            )
        if volume.time.end <= now:
            problems.append(
                (("volumes", i, "time_end"), f"ends in the past (now is {now.isoformat()})")
            )
    if problems:
        raise InvalidInput(problems)


def relations_of(tx: Transaction, ctx: ServiceContext, party_id: str) -> Relations:
    """The party's active agreements, the default minima and the authorities."""
    agreements = tx.agreements.active_of_party(party_id)
    return Relations.of(party_id, agreements, ctx.default_separation, tx.parties.authorities())


def _assess(
    tx: Transaction, ctx: ServiceContext, party_id: str, volumes: Sequence[Volume4D]
) -> Assessment:
    around = tx.airspace.around(party_id, volumes, ctx.default_separation)
    return assess(volumes, around.relations, around.zones, around.operations, ctx.frames)


def check_volumes(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, volumes: Sequence[Volume4D]
) -> Assessment:
    """Dry run (`POST /v1/checks`): what a submission of `volumes` would meet. Stores nothing."""
    authorize(caller, Action.CHECK)
    validate_volumes(volumes, ctx)
    assessment = uow.run(
        lambda tx: _assess(tx, ctx, caller.party_id, volumes), write=False, snapshot=False
    )
    return assessment.seen_by(caller.party_id)


def conditions_payload(operation: Operation) -> list[dict[str, Any]]:
    """The conditions the current version is approved with, for events to its owner."""
    return [
        {"party_id": x.party_id, "text": x.conditions.text} for x in operation.current.conditions
    ]


def operation_payload(operation: Operation) -> dict[str, Any]:
    """What an event tells the owner about its own operation."""
    return {
        "operation_id": operation.id,
        "name": operation.name,
        "version": operation.current.number,
        "state": operation.state.value,
        "conditions": conditions_payload(operation),
    }


def review_payload(case: ReviewCase) -> dict[str, Any]:
    """What an event tells a reviewer about a case addressed to it."""
    return {
        "case_id": case.id,
        "operation_id": case.operation_id,
        "version": case.version,
        "submitter_party_id": case.submitter_party_id,
        "case_state": case.state.value,
        "stage": case.stage.name if case.is_open else None,
    }


def decision_payload(case: ReviewCase, operation: Operation) -> dict[str, Any]:
    """What an event tells the submitter about a decision on its operation."""
    last = case.decisions[-1] if case.decisions else None
    return {
        "case_id": case.id,
        "operation_id": operation.id,
        "version": case.version,
        "reviewer_party_id": case.reviewer_party_id,
        "case_state": case.state.value,
        "operation_state": operation.state.value,
        "conditions": conditions_payload(operation),
        "decision": None if last is None or last.decision is None else last.decision.value,
        "comment": "" if last is None else last.comment,
        "automatic": bool(last and last.automatic),
    }


def _new_version(
    tx: Transaction, ctx: ServiceContext, caller: Caller, number: int, volumes: tuple[Volume4D, ...]
) -> OperationVersion:
    assessment = _assess(tx, ctx, caller.party_id, volumes)
    if assessment.refused:
        seen = assessment.seen_by(caller.party_id)
        names = {}
        for c in seen.conflicts:
            if c.kind is ConflictKind.RESTRICTED_ZONE and c.subject_id is not None:
                zone = visible_zone(tx, caller.party_id, c.subject_id)
                if zone is not None and zone.named_to(caller.party_id):
                    names[zone.id] = zone.name
        raise Refused(seen, names)
    return OperationVersion(
        number=number,
        volumes=volumes,
        state=assessment.state,
        submitted_at=ctx.clock(),
        submitted_by=caller.subject,
        assessment=assessment,
    )


def _covered(
    ctx: ServiceContext, volumes: Sequence[Volume4D], approved: Sequence[Volume4D]
) -> bool:
    """Every volume equals, or lies inside, some volume of `approved` (an earlier approved
    version, or a proposal). Equality first: the test of lying within is conservative,
    and a circle does not lie within itself by it."""
    return all(
        v in approved or any(volume_within(v, a, VolumeFrame(ctx.frames, v)) for a in approved)
        for v in volumes
    )


def _open_cases(
    tx: Transaction, ctx: ServiceContext, operation: Operation, previous: Operation | None
) -> list[ReviewCase]:
    """One review case per required review of the current version, auto-approved where a
    rule of the chain allows it or an earlier approved version already covered it."""
    version = operation.current
    assessment = version.assessment
    now = ctx.clock()
    cases = []
    for required in assessment.required_reviews:
        agreement = tx.agreements.get(required.agreement_id)
        assert agreement is not None  # the assessment was made from it in this transaction
        case = ReviewCase(
            id=ctx.new_id(),
            operation_id=operation.id,
            version=version.number,
            submitter_party_id=operation.party_id,
            reviewer_party_id=required.party_id,
            agreement_id=agreement.id,
            chain=agreement.chain,
            zone_ids=required.zone_ids,
            created_at=now,
        )
        in_zones = [
            version.volumes[i]
            for i in sorted(
                {
                    c.volume_index
                    for c in assessment.conflicts
                    if c.kind is ConflictKind.REVIEW_ZONE and c.party_id == required.party_id
                }
            )
        ]
        own_conflicts = any(
            c.kind is ConflictKind.OPERATION and c.party_id == required.party_id
            for c in assessment.conflicts
        )
        rule = agreement.chain.auto_approving_rule(in_zones, own_conflicts)
        earlier = _approved_by(tx, previous, required.party_id) if previous else None
        proposed = (
            _proposed_by(tx, previous, required.party_id)
            if previous and agreement.proposal_acceptance is ProposalAcceptance.APPROVE
            else ()
        )
        if rule is not None:
            case.auto_approve(rule.name, now)
        elif proposed and _covered(ctx, version.volumes, proposed):
            case.approve_by_proposal(now)
        elif earlier is not None and _covered(ctx, version.volumes, earlier.volumes):
            case.auto_approve(f"within version {earlier.number}, approved earlier", now)
        cases.append(case)
    return cases


def proposed_ids(cases: Sequence[ReviewCase]) -> set[str]:
    """The suggestions that modification requests of these cases propose."""
    return {
        d.proposal.suggestion_id
        for c in cases
        for d in c.decisions
        if d.decision is Decision.REQUEST_MODIFICATION
        and d.proposal is not None
        and d.proposal.suggestion_id is not None
    }


def _proposed_by(tx: Transaction, operation: Operation, reviewer: str) -> tuple[Volume4D, ...]:
    """The volumes of every proposal the reviewer attached to a modification request of
    the operation's current version (as stored before the new one)."""
    number = operation.current.number
    cases = [
        c for c in tx.reviews.of_operation(operation.id, number) if c.reviewer_party_id == reviewer
    ]
    ids = proposed_ids(cases)
    return tuple(
        v for x in tx.suggestions.of_version(operation.id, number) if x.id in ids for v in x.volumes
    )


def _approved_by(tx: Transaction, operation: Operation, reviewer: str) -> OperationVersion | None:
    """The latest version the reviewer approved, if that approval still stands (the
    version was not rejected or withdrawn as a whole)."""
    for case in reversed(tx.reviews.of_operation(operation.id)):
        if case.reviewer_party_id == reviewer and case.state is CaseState.APPROVED:
            version = operation.versions[case.version - 1]
            if version.state not in FINAL_STATES:
                return version
    return None


def _suggest(
    tx: Transaction, ctx: ServiceContext, operation: Operation, cases: Sequence[ReviewCase]
) -> None:
    """Computes and stores suggestions that clear the conflicts with each reviewer whose
    case is open and whose own operations the plan meets (each for that reviewer: it
    decides whether to propose one to the submitter)."""
    version = operation.current
    focus = {
        c.reviewer_party_id
        for c in cases
        if c.is_open
        and any(
            x.kind is ConflictKind.OPERATION and x.party_id == c.reviewer_party_id
            for x in version.assessment.conflicts
        )
    }
    if not focus:
        return
    limits = SearchLimits.of(version.volumes, operation.flexibility)
    reach = timedelta(seconds=limits.reach_s)
    widened = [
        replace(v, time=TimeWindow(v.time.start - reach, v.time.end + reach))
        for v in version.volumes
    ]
    relations = relations_of(tx, ctx, operation.party_id)
    separation = relations.widest_separation()
    zones = tx.zones.candidates(widened, separation, list(relations.agreements))
    others = tx.operations.candidates(widened, separation, operation.party_id)
    for party in sorted(focus):
        for suggestion in suggest(
            version.volumes, relations, zones, others, ctx.frames, party, ctx.new_id, limits
        ):
            tx.suggestions.add(operation.id, version.number, suggestion, ctx.clock())


def store_version(
    tx: Transaction,
    ctx: ServiceContext,
    caller: Caller,
    operation: Operation,
    previous: Operation | None,
) -> None:
    """Writes an operation whose current version is new: its review cases (settling the
    version's state), the operation itself, notices, suggestions, events and audit
    records. `previous` is the operation as stored before (None for a new operation)."""
    cases = _open_cases(tx, ctx, operation, previous)
    if cases:
        operation.settle(review_state(cases))
    reviewers = [c.reviewer_party_id for c in cases]
    if previous is None:
        tx.operations.add(operation)
        record(tx, ctx, caller, "operation.submitted", operation, operation.id, parties=reviewers)
    else:
        for case in tx.reviews.of_operation(operation.id):
            if case.is_open:
                before = deepcopy(case)
                case.end(CaseState.SUPERSEDED, ctx.clock())
                tx.reviews.save(case)
                record(
                    tx,
                    ctx,
                    caller,
                    "review.superseded",
                    case,
                    case.id,
                    before=before,
                    parties=[case.reviewer_party_id],
                )
        tx.operations.save(operation)
        record(
            tx,
            ctx,
            caller,
            "operation.version",
            operation,
            operation.id,
            before=previous,
            parties=reviewers,
        )
    for case in cases:
        tx.reviews.add(case)
        action = "review.opened" if case.is_open else "review.auto_approved"
        record(tx, ctx, caller, action, case, case.id, parties=[case.reviewer_party_id])
    issue_notices(tx, ctx, caller, operation)
    _suggest(tx, ctx, operation, cases)
    volumes = operation.current.volumes
    kind = EventType.OPERATION_CREATED if previous is None else EventType.OPERATION_CHANGED
    emit(tx, ctx, kind, operation.party_id, operation_payload(operation), volumes)
    for case in cases:
        if case.is_open:
            emit(
                tx,
                ctx,
                EventType.REVIEW_REQUESTED,
                case.reviewer_party_id,
                review_payload(case),
                volumes,
            )
        else:
            emit(
                tx,
                ctx,
                EventType.REVIEW_DECIDED,
                operation.party_id,
                decision_payload(case, operation),
                volumes,
            )


def submit_operation(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, command: OperationCommand
) -> Submission:
    """Submits a new operation (`POST /v1/operations`).

    Raises Refused (nothing stored) when it enters a restricted zone; otherwise stores
    version 1 with one review case per coordination partner whose review zone it enters
    (`in_review`, or `approved` when every case is auto-approved), or `approved`.
    """
    authorize(caller, Action.OPERATION_SUBMIT)
    command.validate(ctx)

    def work(tx: Transaction) -> Submission:
        if not tx.parties.exists(caller.party_id):
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        operation = Operation(
            id=ctx.new_id(),
            party_id=caller.party_id,
            name=command.name,
            priority=command.priority,
            created_at=ctx.clock(),
            flexibility=command.flexibility,
        )
        operation.add_version(_new_version(tx, ctx, caller, 1, command.volumes))
        store_version(tx, ctx, caller, operation, None)
        return Submission(operation, operation.current.assessment.seen_by(caller.party_id))

    # READ COMMITTED: a new operation reads its surroundings and writes only new rows (and
    # counters incremented in place); the one invariant across submissions, that of two
    # overlapping plans one sees the other, is kept by the area claims its candidate
    # search takes first (a nearby writer waits, and the search then sees its rows).
    # Nothing else a submission reads can make its outcome wrong; no SSI false positives.
    return uow.run(work, serializable=False)


def own_operation(tx: Transaction, caller: Caller, operation_id: str) -> Operation:
    """The caller's party's operation, or NotFound (also when it is another party's)."""
    operation = tx.operations.get(operation_id)
    if operation is None or operation.party_id != caller.party_id:
        raise NotFound(f"no operation {operation_id}")
    return operation


def native_only(tx: Transaction, operation: Operation) -> None:
    """Raises StateConflict for an operation behind an ASTM F3548 operational intent
    reference: its OVN and version live on /dss/v1, so only that API changes it."""
    if tx.f3548.intents_of_operations([operation.id]):
        raise StateConflict(
            f"operation {operation.id} is an ASTM F3548 operational intent: "
            "change or delete it through /dss/v1"
        )


def new_version(
    tx: Transaction,
    ctx: ServiceContext,
    caller: Caller,
    operation: Operation,
    command: OperationCommand,
) -> Submission:
    """Appends and stores a new version of `operation` (already loaded in `tx`)."""
    native_only(tx, operation)
    previous = deepcopy(operation)
    version = _new_version(tx, ctx, caller, len(operation.versions) + 1, command.volumes)
    operation.name, operation.priority = command.name, command.priority
    operation.flexibility = command.flexibility
    operation.add_version(version)
    store_version(tx, ctx, caller, operation, previous)
    return Submission(operation, operation.current.assessment.seen_by(caller.party_id))


def update_operation(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    operation_id: str,
    command: OperationCommand,
) -> Submission:
    """Submits a new version of one of the caller's operations (`PUT /v1/operations/{id}`).

    The new version is assessed afresh and gets new review cases; open cases of the
    version before are superseded. A reviewer's earlier approval carries over only when
    the new volumes lie within the approved ones. Refused versions change nothing."""
    authorize(caller, Action.OPERATION_UPDATE)
    command.validate(ctx)
    return uow.run(
        lambda tx: new_version(tx, ctx, caller, own_operation(tx, caller, operation_id), command)
    )


def withdraw_operation(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, operation_id: str
) -> Operation:
    """Withdraws one of the caller's operations (`POST /v1/operations/{id}/withdraw`);
    it stops counting as a conflict at once and its open review cases close."""
    authorize(caller, Action.OPERATION_WITHDRAW)

    def work(tx: Transaction) -> Operation:
        operation = own_operation(tx, caller, operation_id)
        native_only(tx, operation)
        before = deepcopy(operation)
        operation.withdraw()
        tx.operations.save(operation)
        volumes = operation.current.volumes
        for case in tx.reviews.of_operation(operation.id):
            if case.is_open:
                case.end(CaseState.WITHDRAWN, ctx.clock())
                tx.reviews.save(case)
                record(
                    tx,
                    ctx,
                    caller,
                    "review.withdrawn",
                    case,
                    case.id,
                    parties=[case.reviewer_party_id],
                )
                emit(
                    tx,
                    ctx,
                    EventType.OPERATION_WITHDRAWN,
                    case.reviewer_party_id,
                    review_payload(case),
                    volumes,
                )
        withdrawal_notices(tx, ctx, caller, operation)
        record(tx, ctx, caller, "operation.withdrawn", operation, operation.id, before=before)
        emit(
            tx,
            ctx,
            EventType.OPERATION_WITHDRAWN,
            operation.party_id,
            operation_payload(operation),
            volumes,
        )
        return operation

    return uow.run(work)


def get_operation(uow: UnitOfWork, caller: Caller, operation_id: str) -> Operation:
    """One of the caller's operations (`GET /v1/operations/{id}`); others' are NotFound."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: own_operation(tx, caller, operation_id), write=False)


def list_operations(
    uow: UnitOfWork, caller: Caller, page: Page, state: OperationState | None = None
) -> list[Operation]:
    """The caller's party's operations, newest first (`GET /v1/operations`)."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: tx.operations.of_party(caller.party_id, page, state), write=False)
