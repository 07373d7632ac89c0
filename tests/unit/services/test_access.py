"""The role matrix, row by row: every action is called through its real service with a
caller holding one role at a time, and is refused exactly when the matrix says so."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from deconflict.domain.errors import DomainError, Forbidden
from deconflict.domain.model import AgreementKind, Caller, Role, ZoneKind
from deconflict.domain.notice import AckState
from deconflict.domain.review import Decision
from deconflict.services import audit, notices, registry, reviews, subscriptions
from deconflict.services import operations as ops
from deconflict.services.access import PERMISSIONS, Action, authorize
from deconflict.services.ports import Page

from .support import World, caller, circle, command, volume

Call = Callable[[World, Caller], object]


def _zone(w: World, who: Caller) -> object:
    return registry.create_zone(
        w.uow,
        w.ctx,
        who,
        registry.ZoneCreate(ZoneKind.NOTIFY, "Z", circle(), volume().altitude, ()),
    )


def _in_review(w: World) -> tuple[str, str]:
    """An operation of Alpha in Bravo's review zone: (operation id, case id)."""
    w.agree(w.alpha, w.bravo)
    w.zone(w.bravo, ZoneKind.REVIEW)
    operation = w.submit(w.alpha).operation
    [case] = w.uow.run(lambda tx: tx.reviews.of_operation(operation.id))
    return operation.id, case.id


def _notice(w: World) -> str:
    w.agree(w.alpha, w.bravo, AgreementKind.DECONFLICTION)
    w.zone(w.bravo, ZoneKind.NOTIFY)
    w.submit(w.alpha)
    [notice] = w.uow.store.notices.values()
    return notice.id


def _suggestion(w: World) -> tuple[str, str]:
    _in_review(w)
    w.submit(w.bravo)  # Bravo's own flight where Alpha's plan is: something to clear
    w.submit(w.alpha)
    ops_of_alpha = [o for o in w.uow.store.operations.values() if o.party_id == w.alpha]
    bravo = caller(w.bravo, Role.REVIEWER)
    for operation in ops_of_alpha:
        found = reviews.operation_suggestions(w.uow, bravo, operation.id)
        if found:
            # Only what the reviewer proposes is the submitter's to accept.
            [case] = w.uow.run(lambda tx, o=operation: tx.reviews.of_operation(o.id))
            proposal = reviews.Proposal(suggestion_id=found[0].id)
            request = reviews.DecisionCommand(Decision.REQUEST_MODIFICATION, "move", None, proposal)
            reviews.decide(w.uow, w.ctx, bravo, case.id, request)
            return operation.id, found[0].id
    raise AssertionError("no suggestion to accept")


#: Action -> (whose party acts, how the service is called).
CALLS: dict[Action, tuple[str, Call]] = {
    Action.PARTY_CREATE: (
        "alpha",
        lambda w, who: registry.create_party(w.uow, w.ctx, who, "New party"),
    ),
    Action.PARTY_AUTHORITY: (
        "alpha",
        lambda w, who: registry.mark_authority(w.uow, w.ctx, who, w.bravo, True),
    ),
    Action.AGREEMENT_PROPOSE: (
        "alpha",
        lambda w, who: registry.propose_agreement(
            w.uow, w.ctx, who, registry.AgreementCreate(AgreementKind.COORDINATION, w.charlie, None)
        ),
    ),
    Action.AGREEMENT_ACCEPT: (
        "bravo",
        lambda w, who: registry.accept_agreement(
            w.uow, w.ctx, who, w.agree(w.alpha, w.bravo, accept=False).id
        ),
    ),
    Action.ZONE_CREATE: ("alpha", _zone),
    Action.ZONE_DELETE: (
        "alpha",
        lambda w, who: registry.delete_zone(w.uow, w.ctx, who, w.zone(w.alpha, ZoneKind.NOTIFY).id),
    ),
    Action.CHECK: ("alpha", lambda w, who: ops.check_volumes(w.uow, w.ctx, who, (volume(),))),
    Action.OPERATION_SUBMIT: (
        "alpha",
        lambda w, who: ops.submit_operation(w.uow, w.ctx, who, command()),
    ),
    Action.OPERATION_UPDATE: (
        "alpha",
        lambda w, who: ops.update_operation(
            w.uow, w.ctx, who, w.submit(w.alpha).operation.id, command()
        ),
    ),
    Action.OPERATION_WITHDRAW: (
        "alpha",
        lambda w, who: ops.withdraw_operation(w.uow, w.ctx, who, w.submit(w.alpha).operation.id),
    ),
    Action.SUGGESTION_ACCEPT: (
        "alpha",
        lambda w, who: reviews.accept_suggestion(w.uow, w.ctx, who, *_suggestion(w)),
    ),
    Action.REVIEW_DECIDE: (
        "bravo",
        lambda w, who: reviews.decide(
            w.uow, w.ctx, who, _in_review(w)[1], reviews.DecisionCommand(Decision.APPROVE)
        ),
    ),
    Action.NOTICE_ACK: (
        "bravo",
        lambda w, who: notices.acknowledge(
            w.uow, w.ctx, who, _notice(w), AckState.ACKNOWLEDGED, ""
        ),
    ),
    Action.SUBSCRIPTION_MANAGE: (
        "alpha",
        lambda w, who: subscriptions.create_subscription(
            w.uow, w.ctx, who, subscriptions.SubscriptionCreate(volume(), None)
        ),
    ),
    Action.AUDIT_READ: ("alpha", lambda w, who: audit.list_audit(w.uow, who, Page())),
    Action.READ: ("alpha", lambda w, who: ops.list_operations(w.uow, who, Page())),
}

#: Stage roles act only in review stages; as base roles they allow nothing else.
ROLES = [*Role, "reviewer_stage_only"]


def test_every_action_has_a_row_and_a_call() -> None:
    assert set(CALLS) == set(Action) == set(PERMISSIONS)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("action", list(Action))
def test_each_action_is_refused_exactly_when_the_matrix_says(
    world: World, action: Action, role: str
) -> None:
    party, call = CALLS[action]
    allowed = PERMISSIONS[action]
    permitted = allowed is None or role in allowed
    if action is Action.REVIEW_DECIDE:
        permitted = role == Role.REVIEWER  # the default chain's one stage: `reviewer`
    who = caller(getattr(world, party), role)
    if permitted:
        call(world, who)
    else:
        with pytest.raises(Forbidden):
            call(world, who)


def test_a_caller_without_any_role_may_not_even_read(world: World) -> None:
    with pytest.raises(Forbidden, match="needs a role"):
        ops.list_operations(world.uow, caller(world.alpha), Page())


def test_the_refusal_says_which_roles_would_do() -> None:
    with pytest.raises(Forbidden, match="needs the role admin"):
        authorize(caller("p", Role.SUBMITTER), Action.ZONE_CREATE)
    assert issubclass(Forbidden, DomainError)
