"""Who may do what: the one table of roles x actions, checked by every service before
it acts (routes check nothing themselves).

Reads need any role; a party only ever reads what is its own or addressed to it (that is
need-to-know, enforced by the queries). The deployment's `operator` registers parties
(and marks authorities) and nothing else; a party's `admin` manages that party's own
zones, agreements and people. Deciding on a review case needs a role of the
case's current stage (checked by `ReviewCase.decide`), not a row of this table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum

from deconflict.domain.errors import Forbidden
from deconflict.domain.model import Caller, Role


class Action(StrEnum):
    PARTY_CREATE = "party.create"
    PARTY_AUTHORITY = "party.authority"
    AGREEMENT_PROPOSE = "agreement.propose"
    AGREEMENT_ACCEPT = "agreement.accept"
    ZONE_CREATE = "zone.create"
    ZONE_DELETE = "zone.delete"
    CHECK = "check"
    OPERATION_SUBMIT = "operation.submit"
    OPERATION_UPDATE = "operation.update"
    OPERATION_WITHDRAW = "operation.withdraw"
    SUGGESTION_ACCEPT = "suggestion.accept"
    REVIEW_DECIDE = "review.decide"
    NOTICE_ACK = "notice.ack"
    SUBSCRIPTION_MANAGE = "subscription.manage"
    AUDIT_READ = "audit.read"
    READ = "read"


_OPERATOR = frozenset({Role.OPERATOR})
_ADMIN = frozenset({Role.ADMIN})
_SUBMITTER = frozenset({Role.SUBMITTER})

#: Action -> the base roles that may take it; None: any role at all (stage roles too).
PERMISSIONS: Mapping[Action, frozenset[str] | None] = {
    Action.PARTY_CREATE: _OPERATOR,
    Action.PARTY_AUTHORITY: _OPERATOR,
    Action.AGREEMENT_PROPOSE: _ADMIN,
    Action.AGREEMENT_ACCEPT: _ADMIN,
    Action.ZONE_CREATE: _ADMIN,
    Action.ZONE_DELETE: _ADMIN,
    Action.CHECK: frozenset({Role.ADMIN, Role.SUBMITTER, Role.REVIEWER, Role.OBSERVER}),
    Action.OPERATION_SUBMIT: _SUBMITTER,
    Action.OPERATION_UPDATE: _SUBMITTER,
    Action.OPERATION_WITHDRAW: _SUBMITTER,
    Action.SUGGESTION_ACCEPT: _SUBMITTER,
    Action.REVIEW_DECIDE: None,
    Action.NOTICE_ACK: frozenset({Role.ADMIN, Role.SUBMITTER, Role.REVIEWER}),
    Action.SUBSCRIPTION_MANAGE: frozenset(
        {Role.ADMIN, Role.SUBMITTER, Role.REVIEWER, Role.OBSERVER}
    ),
    Action.AUDIT_READ: _ADMIN,
    Action.READ: None,
}


def authorize(caller: Caller, action: Action) -> None:
    """Raises Forbidden unless the caller's roles allow `action` (see PERMISSIONS)."""
    allowed = PERMISSIONS[action]
    if allowed is None:
        if not caller.roles:
            raise Forbidden(f"{action.value} needs a role; the token carries none")
        return
    if not caller.roles & allowed:
        wanted = " or ".join(sorted(allowed))
        raise Forbidden(f"{action.value} needs the role {wanted}")
