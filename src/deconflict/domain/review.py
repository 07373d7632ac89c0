"""Review cases: one operation version under review by one reviewer party.

A case walks the agreement's `ReviewChain` stage by stage and ends in an outcome;
deadlines escalate or decide; auto-approval rules close it at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum

from .chain import DeadlineAction, ReviewChain, Stage, StageRule
from .errors import Forbidden, InvalidInput, NotFound, StateConflict
from .model import OperationState
from .volumes import AltitudeBand, TimeWindow, Volume4D


class Decision(StrEnum):
    APPROVE = "approve"
    APPROVE_WITH_CONDITIONS = "approve_with_conditions"
    REQUEST_MODIFICATION = "request_modification"
    REJECT = "reject"


class CaseState(StrEnum):
    OPEN = "open"
    APPROVED = "approved"
    MODIFICATION_REQUESTED = "modification_requested"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"  # a newer version of the operation replaced this one
    WITHDRAWN = "withdrawn"  # the submitter withdrew the operation
    CANCELLED = "cancelled"  # another reviewer's rejection ended the operation


@dataclass(frozen=True, slots=True)
class Conditions:
    """What an approval with conditions asks: free text, optionally a narrower window
    or band the operation must keep to."""

    text: str
    time: TimeWindow | None = None
    altitude: AltitudeBand | None = None


@dataclass(frozen=True, slots=True)
class ImposedConditions:
    """Conditions as they bind an operation: which reviewing party set them."""

    party_id: str
    conditions: Conditions


@dataclass(frozen=True, slots=True)
class Proposal:
    """What a modification request proposes: a computed suggestion, or volumes."""

    suggestion_id: str | None = None
    volumes: tuple[Volume4D, ...] = ()

    def __post_init__(self) -> None:
        if (self.suggestion_id is None) == (not self.volumes):
            raise InvalidInput.at(
                ("proposal",), "a proposal names a suggestion_id or volumes, not both"
            )


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """One decision: who (subject, party, role), which stage, what, when."""

    stage_index: int
    role: str
    subject: str
    party_id: str
    decision: Decision | None  # None: the stage was escalated at its deadline
    comment: str
    decided_at: datetime
    conditions: Conditions | None = None
    proposal: Proposal | None = None
    automatic: bool = False
    #: For the reviewing party only (colleagues, later stages); `comment` is to the submitter.
    internal_note: str = ""


@dataclass(slots=True)
class ReviewCase:
    """One operation version under review by one reviewer party."""

    id: str
    operation_id: str
    version: int
    submitter_party_id: str
    reviewer_party_id: str
    agreement_id: str
    chain: ReviewChain
    zone_ids: tuple[str, ...]
    created_at: datetime
    state: CaseState = CaseState.OPEN
    stage_index: int = 0
    stage_started_at: datetime | None = None
    closed_at: datetime | None = None
    decisions: list[DecisionRecord] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.submitter_party_id == self.reviewer_party_id:
            raise InvalidInput.at(("reviewer_party_id",), "a party cannot review its own operation")
        if self.stage_started_at is None:
            self.stage_started_at = self.created_at

    # ---- reading -----------------------------------------------------------------

    @property
    def is_open(self) -> bool:
        return self.state is CaseState.OPEN

    @property
    def stage(self) -> Stage:
        return self.chain.stages[self.stage_index]

    @property
    def due_at(self) -> datetime | None:
        if not self.is_open or self.stage.deadline_s is None:
            return None
        assert self.stage_started_at is not None
        return self.stage_started_at + timedelta(seconds=self.stage.deadline_s)

    def _stage_decisions(self) -> list[DecisionRecord]:
        return [d for d in self.decisions if d.stage_index == self.stage_index]

    def waiting_roles(self) -> frozenset[str]:
        """The roles that may still decide in the current stage (none once closed)."""
        if not self.is_open:
            return frozenset()
        decided = {d.role for d in self._stage_decisions()}
        return frozenset(r for r in self.stage.roles if r not in decided)

    def waits_for(self, party_id: str, roles: Iterable[str], subject: str) -> bool:
        if party_id != self.reviewer_party_id or not self.is_open:
            return False
        if any(d.subject == subject for d in self._stage_decisions()):
            return False
        return bool(self.waiting_roles() & set(roles))

    @property
    def conditions(self) -> tuple[Conditions, ...]:
        return tuple(d.conditions for d in self.decisions if d.conditions is not None)

    # ---- acting ------------------------------------------------------------------

    def decide(
        self,
        *,
        party_id: str,
        roles: Iterable[str],
        subject: str,
        decision: Decision,
        comment: str,
        now: datetime,
        conditions: Conditions | None = None,
        proposal: Proposal | None = None,
        internal_note: str = "",
    ) -> DecisionRecord:
        """Records one reviewer's decision in the current stage and moves the case on.

        Raises NotFound for a party that is not the reviewer, Forbidden for a caller with
        none of the stage's roles, StateConflict for a closed case or a second decision,
        InvalidInput for a decision without what it needs (reason, conditions)."""
        if party_id != self.reviewer_party_id:
            raise NotFound(f"no review case {self.id}")
        if not self.is_open:
            raise StateConflict(f"review case {self.id} is closed ({self.state})")
        stage_decisions = self._stage_decisions()
        if any(d.subject == subject for d in stage_decisions):
            raise StateConflict(f"{subject} has already decided in stage '{self.stage.name}'")
        held_roles = set(roles)  # once: `roles` may be a one-shot iterator
        held = [r for r in self.stage.roles if r in held_roles]
        if not held:
            raise Forbidden(
                f"stage '{self.stage.name}' is decided by {', '.join(self.stage.roles)}; "
                "the caller holds none of these roles"
            )
        open_roles = [r for r in held if r in self.waiting_roles()]
        if not open_roles:
            raise StateConflict(
                f"the caller's role has already decided in stage '{self.stage.name}'"
            )
        _check_decision(decision, comment, conditions, proposal)
        record = DecisionRecord(
            stage_index=self.stage_index,
            role=open_roles[0],
            subject=subject,
            party_id=party_id,
            decision=decision,
            comment=comment,
            decided_at=now,
            conditions=conditions,
            proposal=proposal,
            internal_note=internal_note,
        )
        self.decisions.append(record)
        self._advance(record, now)
        return record

    def _advance(self, record: DecisionRecord, now: datetime) -> None:
        if record.decision is Decision.REJECT:
            self._close(CaseState.REJECTED, now)
        elif record.decision is Decision.REQUEST_MODIFICATION:
            self._close(CaseState.MODIFICATION_REQUESTED, now)
        elif (
            self.stage.rule is StageRule.ANY or not self.waiting_roles() or record.decision is None
        ):
            self._next_stage(now)

    def _next_stage(self, now: datetime) -> None:
        if self.stage_index + 1 < len(self.chain.stages):
            self.stage_index += 1
            self.stage_started_at = now
        else:
            self._close(CaseState.APPROVED, now)

    def _close(self, state: CaseState, now: datetime) -> None:
        self.state = state
        self.closed_at = now

    def apply_deadline(self, now: datetime) -> bool:
        """Acts on a passed deadline (escalate, approve or reject, as the stage says);
        repeats for the stages after it if their deadlines passed too. True if it acted."""
        acted = False
        while (due := self.due_at) is not None and now >= due:
            action = self.stage.on_deadline
            decision = None if action is DeadlineAction.ESCALATE else Decision(action.value)
            record = DecisionRecord(
                stage_index=self.stage_index,
                role="deadline",
                subject="deadline",
                party_id=self.reviewer_party_id,
                decision=decision,
                # The submitter reads the comment: the stage's name stays inside the party.
                comment=_DEADLINE_COMMENTS[action],
                decided_at=due,
                automatic=True,
                internal_note=f"deadline of stage '{self.stage.name}' passed: {action.value}",
            )
            self.decisions.append(record)
            if decision is Decision.APPROVE:
                self._next_stage(due)
            else:
                self._advance(record, due)
            acted = True
        return acted

    def auto_approve(self, rule_name: str, now: datetime) -> None:
        """Closes a new case as approved by an auto-approval rule, recorded as such."""
        self._approve_at_once(
            "auto-approval",
            f"rule:{rule_name}",
            f"approved automatically by rule '{rule_name}'",
            now,
        )

    def approve_by_proposal(self, now: datetime) -> None:
        """Closes a new case as approved because its version keeps to what this reviewing
        party itself proposed (approval by proposal)."""
        self._approve_at_once(
            "proposal", "proposal", "approved by proposal: this version keeps to our proposal", now
        )

    def _approve_at_once(self, role: str, subject: str, comment: str, now: datetime) -> None:
        if self.decisions or not self.is_open:
            raise StateConflict("only a new case can be approved at once")
        self.decisions.append(
            DecisionRecord(
                stage_index=0,
                role=role,
                subject=subject,
                party_id=self.reviewer_party_id,
                decision=Decision.APPROVE,
                comment=comment,
                decided_at=now,
                automatic=True,
            )
        )
        self._close(CaseState.APPROVED, now)

    def end(self, state: CaseState, now: datetime) -> None:
        """Closes an open case from outside: superseded, withdrawn or cancelled."""
        if state not in (CaseState.SUPERSEDED, CaseState.WITHDRAWN, CaseState.CANCELLED):
            raise ValueError(f"{state} is an outcome of decisions, not of ending a case")
        if self.is_open:
            self._close(state, now)


_DEADLINE_COMMENTS = {
    DeadlineAction.ESCALATE: "",
    DeadlineAction.APPROVE: "approved: no decision was taken by the review deadline",
    DeadlineAction.REJECT: "rejected: no decision was taken by the review deadline",
}


def _check_decision(
    decision: Decision, comment: str, conditions: Conditions | None, proposal: Proposal | None
) -> None:
    if decision is Decision.REJECT and not comment.strip():
        raise InvalidInput.at(("comment",), "a rejection needs a reason in the comment")
    if decision is Decision.REQUEST_MODIFICATION and not comment.strip():
        raise InvalidInput.at(("comment",), "a modification request needs a comment")
    if decision is Decision.APPROVE_WITH_CONDITIONS and conditions is None:
        raise InvalidInput.at(("conditions",), "an approval with conditions needs conditions")
    if decision is not Decision.APPROVE_WITH_CONDITIONS and conditions is not None:
        raise InvalidInput.at(
            ("conditions",), f"a decision to {decision.value} takes no conditions"
        )
    if decision is not Decision.REQUEST_MODIFICATION and proposal is not None:
        raise InvalidInput.at(("proposal",), "only a modification request carries a proposal")


def operation_state(cases: Sequence[ReviewCase]) -> OperationState:
    """The state of an operation version from its review cases: any rejection rejects,
    else any modification request asks for one, else approved once all approve (with
    conditions, when any approval set some)."""
    states = {c.state for c in cases}
    if CaseState.REJECTED in states:
        return OperationState.REJECTED
    if CaseState.MODIFICATION_REQUESTED in states:
        return OperationState.MODIFICATION_REQUESTED
    if cases and all(c.state is CaseState.APPROVED for c in cases):
        if imposed_conditions(cases):
            return OperationState.APPROVED_WITH_CONDITIONS
        return OperationState.APPROVED
    return OperationState.IN_REVIEW


def imposed_conditions(cases: Sequence[ReviewCase]) -> tuple[ImposedConditions, ...]:
    """The conditions of the approved cases, in the order they were set."""
    return tuple(
        ImposedConditions(c.reviewer_party_id, x)
        for c in cases
        if c.state is CaseState.APPROVED
        for x in c.conditions
    )
