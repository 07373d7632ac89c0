"""Review cases under coordination agreements: the reviewer's queue, decisions,
deadlines, suggestions and the history both parties read."""

from __future__ import annotations

from collections.abc import Sequence
from copy import deepcopy
from dataclasses import dataclass, replace

from deconflict.domain.assessment import Assessment
from deconflict.domain.errors import Forbidden, InvalidInput, NotFound, StateConflict
from deconflict.domain.model import Caller, OperationState
from deconflict.domain.operation import Operation
from deconflict.domain.review import (
    CaseState,
    Conditions,
    Decision,
    Proposal,
    ReviewCase,
    imposed_conditions,
)
from deconflict.domain.review import operation_state as review_state
from deconflict.domain.subscription import EventType
from deconflict.domain.suggestions import Suggestion, SuggestionKind

from .access import Action, authorize
from .audit import SYSTEM, record
from .context import ServiceContext
from .events import emit
from .operations import (
    OperationCommand,
    Submission,
    decision_payload,
    new_version,
    proposed_ids,
    validate_volumes,
)
from .ports import Page, Transaction, UnitOfWork


@dataclass(frozen=True, slots=True)
class DecisionCommand:
    decision: Decision
    comment: str = ""
    conditions: Conditions | None = None
    proposal: Proposal | None = None
    internal_note: str = ""


@dataclass(frozen=True, slots=True)
class CaseView:
    """A review case as one party may see it."""

    case: ReviewCase
    operation: Operation
    assessment: Assessment  # of the case's version, as the viewer may see it
    operation_names: dict[str, str]  # the viewer's own operations named in conflicts
    viewer_is_reviewer: bool


@dataclass(frozen=True, slots=True)
class History:
    operation: Operation
    cases: list[ReviewCase]
    viewer_party_id: str


def _settle(
    tx: Transaction, ctx: ServiceContext, operation: Operation, decided: ReviewCase
) -> None:
    """Brings the operation's state in line with the cases of its current version (a
    rejection cancels the other reviewers' open cases) and tells the submitter of the
    decision (not of an escalation)."""
    cases = tx.reviews.of_operation(operation.id, operation.current.number)
    state = review_state(cases)
    if state is OperationState.REJECTED:
        for other in cases:
            if other.is_open:
                other.end(CaseState.CANCELLED, ctx.clock())
                tx.reviews.save(other)
    if operation.state is OperationState.IN_REVIEW and state is not OperationState.IN_REVIEW:
        operation.settle(state, imposed_conditions(cases))
        tx.operations.save(operation)
    if decided.is_open and decided.decisions[-1].decision is None:
        return  # an escalation is the reviewing party's own process, not the submitter's news
    emit(
        tx,
        ctx,
        EventType.REVIEW_DECIDED,
        operation.party_id,
        decision_payload(decided, operation),
        operation.versions[decided.version - 1].volumes,
    )


def process_deadlines(uow: UnitOfWork, ctx: ServiceContext, limit: int = 200) -> int:
    """Acts on every passed stage deadline (escalate, approve or reject); returns how many
    cases moved. Runs before each review read and periodically in `deconflict serve`."""

    def work(tx: Transaction) -> int:
        now = ctx.clock()
        moved = 0
        for case in tx.reviews.due(now, limit):
            before = deepcopy(case)
            if case.apply_deadline(now):
                tx.reviews.save(case)
                record(
                    tx,
                    ctx,
                    SYSTEM,
                    "review.deadline",
                    case,
                    case.id,
                    before=before,
                    parties=[case.reviewer_party_id, case.submitter_party_id],
                )
                operation = tx.operations.get(case.operation_id)
                if operation is not None and operation.current.number == case.version:
                    _settle(tx, ctx, operation, case)
                moved += 1
        return moved

    return uow.run(work)


def _view(tx: Transaction, case: ReviewCase, operation: Operation, viewer: str) -> CaseView:
    version = operation.versions[case.version - 1]
    assessment = version.assessment.seen_by(viewer, operation.party_id)
    names = {}
    for conflict in assessment.conflicts:
        if (
            conflict.subject_type == "operation"
            and conflict.party_id == viewer
            and conflict.subject_id
        ):
            own = tx.operations.get(conflict.subject_id)
            if own is not None:
                names[own.id] = own.name
    return CaseView(case, operation, assessment, names, viewer == case.reviewer_party_id)


def _case_for(tx: Transaction, caller: Caller, case_id: str) -> tuple[ReviewCase, Operation]:
    case = tx.reviews.get(case_id)
    if case is None or caller.party_id not in (case.reviewer_party_id, case.submitter_party_id):
        raise NotFound(f"no review case {case_id}")
    operation = tx.operations.get(case.operation_id)
    assert operation is not None  # cases reference operations by foreign key
    return case, operation


def review_queue(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, page: Page
) -> list[CaseView]:
    """Open cases waiting on a stage in which one of the caller's roles acts and the
    caller has not decided yet (`GET /v1/reviews`)."""
    authorize(caller, Action.READ)
    process_deadlines(uow, ctx)

    def work(tx: Transaction) -> list[CaseView]:
        views = []
        for case in tx.reviews.of_reviewer(caller.party_id, page, open_only=True):
            if case.waits_for(caller.party_id, caller.roles, caller.subject):
                operation = tx.operations.get(case.operation_id)
                assert operation is not None
                views.append(_view(tx, case, operation, caller.party_id))
        return views

    return uow.run(work, write=False)


def reviewed_cases(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, page: Page
) -> list[CaseView]:
    """Every case the caller's party reviews, open or closed (`GET /v1/reviews?scope=all`)."""
    authorize(caller, Action.READ)
    process_deadlines(uow, ctx)

    def work(tx: Transaction) -> list[CaseView]:
        views = []
        for case in tx.reviews.of_reviewer(caller.party_id, page, open_only=False):
            operation = tx.operations.get(case.operation_id)
            assert operation is not None
            views.append(_view(tx, case, operation, caller.party_id))
        return views

    return uow.run(work, write=False)


def get_review(uow: UnitOfWork, ctx: ServiceContext, caller: Caller, case_id: str) -> CaseView:
    """One case, for its reviewer or its submitter (`GET /v1/reviews/{id}`)."""
    authorize(caller, Action.READ)
    process_deadlines(uow, ctx)

    def work(tx: Transaction) -> CaseView:
        case, operation = _case_for(tx, caller, case_id)
        return _view(tx, case, operation, caller.party_id)

    return uow.run(work, write=False)


def decide(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, case_id: str, command: DecisionCommand
) -> CaseView:
    """Records the caller's decision in the case's current stage
    (`POST /v1/reviews/{id}/decisions`) and settles the operation when the case closes.

    NotFound unless the caller's party reviews the case; Forbidden for the submitter
    and for a caller with none of the stage's roles; StateConflict for a closed or
    superseded case and for a second decision; InvalidInput for a malformed decision."""
    authorize(caller, Action.REVIEW_DECIDE)
    process_deadlines(uow, ctx)
    if command.proposal is not None and command.proposal.volumes:
        validate_volumes(command.proposal.volumes, ctx)

    def work(tx: Transaction) -> CaseView:
        case, operation = _case_for(tx, caller, case_id)
        if caller.party_id == case.submitter_party_id:
            raise Forbidden("a party cannot review its own operation")
        if case.is_open and case.version != operation.current.number:
            raise StateConflict(f"review case {case_id} is for a superseded version")
        proposal = command.proposal
        if proposal is not None and proposal.suggestion_id is not None:
            known = {s.id for s in _suggestions_of(tx, operation, case.version, caller.party_id)}
            if proposal.suggestion_id not in known:
                raise InvalidInput.at(
                    ("proposal", "suggestion_id"), "no such suggestion for this version"
                )
        before = deepcopy(case)
        # A deadline that passed since the last sweep counts first: the stage may be over.
        case.apply_deadline(ctx.clock())
        case.decide(
            party_id=caller.party_id,
            roles=caller.roles,
            subject=caller.subject,
            decision=command.decision,
            comment=command.comment,
            now=ctx.clock(),
            conditions=command.conditions,
            proposal=proposal,
            internal_note=command.internal_note,
        )
        if proposal is not None and proposal.volumes:
            # Drawn volumes become a suggestion of the reviewer's, for the submitter to accept.
            drawn = Suggestion(
                ctx.new_id(),
                SuggestionKind.PROPOSAL,
                "the reviewer's proposal",
                proposal.volumes,
                caller.party_id,
            )
            tx.suggestions.add(operation.id, case.version, drawn, ctx.clock())
            case.decisions[-1] = replace(
                case.decisions[-1], proposal=Proposal(suggestion_id=drawn.id)
            )
        tx.reviews.save(case)
        record(
            tx,
            ctx,
            caller,
            "review.decided",
            case,
            case.id,
            before=before,
            parties=[case.submitter_party_id],
        )
        _settle(tx, ctx, operation, case)
        return _view(tx, case, operation, caller.party_id)

    return uow.run(work)


def _visible_operation(
    tx: Transaction, caller: Caller, operation_id: str
) -> tuple[Operation, list[ReviewCase]]:
    """The operation and the cases the caller may see: all for its owner, the caller's
    own for a reviewing party; NotFound for anyone else."""
    operation = tx.operations.get(operation_id)
    if operation is None:
        raise NotFound(f"no operation {operation_id}")
    cases = tx.reviews.of_operation(operation_id)
    if operation.party_id == caller.party_id:
        return operation, cases
    mine = [c for c in cases if c.reviewer_party_id == caller.party_id]
    if not mine:
        raise NotFound(f"no operation {operation_id}")
    return operation, mine


def operation_history(uow: UnitOfWork, caller: Caller, operation_id: str) -> History:
    """Versions, review cases and decisions (`GET /v1/operations/{id}/history`), for the
    submitter (all cases) and for each reviewing party (its own cases)."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> History:
        operation, cases = _visible_operation(tx, caller, operation_id)
        return History(operation, cases, caller.party_id)

    return uow.run(work, write=False)


def _suggestions_of(
    tx: Transaction, operation: Operation, version: int, viewer: str
) -> list[Suggestion]:
    """A version's suggestions as `viewer` may see them: the submitter only what a
    reviewer proposed to it; a reviewing party those computed for it and its own
    proposals."""
    stored = tx.suggestions.of_version(operation.id, version)
    if viewer == operation.party_id:
        proposed = proposed_ids(tx.reviews.of_operation(operation.id, version))
        return [x for x in stored if x.id in proposed]
    return [x for x in stored if x.party_id in (viewer, None)]


def operation_suggestions(
    uow: UnitOfWork, caller: Caller, operation_id: str
) -> Sequence[Suggestion]:
    """Suggestions for the current version (`GET /v1/operations/{id}/suggestions`): for
    a reviewing party, the verified alternatives computed for it; for the submitter, only
    those a reviewer proposed with a modification request (none before)."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> Sequence[Suggestion]:
        operation, _ = _visible_operation(tx, caller, operation_id)
        return _suggestions_of(tx, operation, operation.current.number, caller.party_id)

    return uow.run(work, write=False)


def accept_suggestion(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, operation_id: str, suggestion_id: str
) -> Submission:
    """The submitter takes a reviewer's proposal as the next version, in one call
    (`POST /v1/operations/{id}/suggestions/{sid}/accept`); that reviewer approves it at
    once unless its agreement asks for a full review (see `operations.store_version`)."""
    authorize(caller, Action.SUGGESTION_ACCEPT)

    def work(tx: Transaction) -> Submission:
        operation, _ = _visible_operation(tx, caller, operation_id)
        if operation.party_id != caller.party_id:
            raise Forbidden("only the submitting party can accept a suggestion")
        version = operation.current.number
        found = {s.id: s for s in _suggestions_of(tx, operation, version, caller.party_id)}
        suggestion = found.get(suggestion_id)
        if suggestion is None:
            raise NotFound(f"no suggestion {suggestion_id} for the current version")
        # Time passed since it was computed: the shifted plan may now start too late.
        validate_volumes(suggestion.volumes, ctx)
        command = OperationCommand(
            operation.name, operation.priority, suggestion.volumes, operation.flexibility
        )
        return new_version(tx, ctx, caller, operation, command)

    return uow.run(work)
