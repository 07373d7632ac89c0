"""Properties of the review state machine: random valid chains, random sequences of
decisions (well-formed or not, by the right people or not), clock advances with their
deadlines, auto-approval and endings from outside; the case must stay consistent."""

from __future__ import annotations

import copy
import math
import random
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from deconflict.domain.chain import MAX_DEADLINE_S, DeadlineAction, ReviewChain, Stage, StageRule
from deconflict.domain.errors import DomainError, Forbidden, InvalidInput, NotFound, StateConflict
from deconflict.domain.model import OperationState
from deconflict.domain.review import (
    CaseState,
    Conditions,
    Decision,
    DecisionRecord,
    Proposal,
    ReviewCase,
    operation_state,
)

T0 = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)
REVIEWER = "party-reviewer"
SUBMITTER = "party-submitter"
STRANGER = "party-stranger"
ROLES = ("ops", "safety", "legal", "atc")
#: Roles a caller may hold that no stage ever names.
FOREIGN_ROLES = ("viewer", "submitter")
SUBJECTS = ("alice", "bob", "carol", "dave", "erin")
APPROVALS = frozenset({Decision.APPROVE, Decision.APPROVE_WITH_CONDITIONS})
ENDINGS = (CaseState.SUPERSEDED, CaseState.WITHDRAWN, CaseState.CANCELLED)
DECISION_OUTCOMES = (
    CaseState.OPEN,
    CaseState.APPROVED,
    CaseState.MODIFICATION_REQUESTED,
    CaseState.REJECTED,
)
EXPECTED_OPERATION_STATE = {
    CaseState.OPEN: OperationState.IN_REVIEW,
    CaseState.APPROVED: OperationState.APPROVED,
    CaseState.MODIFICATION_REQUESTED: OperationState.MODIFICATION_REQUESTED,
    CaseState.REJECTED: OperationState.REJECTED,
    CaseState.SUPERSEDED: OperationState.IN_REVIEW,
    CaseState.WITHDRAWN: OperationState.IN_REVIEW,
    CaseState.CANCELLED: OperationState.IN_REVIEW,
}

MACHINE = settings(max_examples=150, stateful_step_count=30, deadline=None)
PROPERTY = settings(max_examples=200, deadline=None)


# ---- strategies --------------------------------------------------------------------


@st.composite
def stages(draw: st.DrawFn, index: int, last: bool) -> Stage:
    deadline = draw(st.none() | st.integers(1, 600).map(float))
    actions = (DeadlineAction.APPROVE, DeadlineAction.REJECT) if last else tuple(DeadlineAction)
    return Stage(
        name=f"stage-{index}",
        roles=tuple(draw(st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True))),
        rule=draw(st.sampled_from(StageRule)),
        deadline_s=deadline,
        on_deadline=draw(st.sampled_from(actions)),
    )


@st.composite
def chains(draw: st.DrawFn) -> ReviewChain:
    n = draw(st.integers(1, 4))
    return ReviewChain(tuple(draw(stages(i, i == n - 1)) for i in range(n)))


comments = st.sampled_from(("", "   ", "fine by us", "too close to the helipad"))
conditions = st.none() | st.builds(
    Conditions, st.sampled_from(("keep below 60 m", "notify the tower first"))
)
proposals = st.none() | st.just(Proposal(suggestion_id="suggestion-1"))


@dataclass(frozen=True, slots=True)
class Attempt:
    """Everything one call of `ReviewCase.decide` is given, except the time."""

    party_id: str
    roles: frozenset[str]
    subject: str
    decision: Decision
    comment: str
    conditions: Conditions | None
    proposal: Proposal | None


attempts = st.builds(
    Attempt,
    party_id=st.sampled_from((REVIEWER, REVIEWER, REVIEWER, REVIEWER, SUBMITTER, STRANGER)),
    roles=st.frozensets(st.sampled_from(ROLES + FOREIGN_ROLES), max_size=3),
    subject=st.sampled_from(SUBJECTS),
    decision=st.sampled_from(Decision),
    comment=comments,
    conditions=conditions,
    proposal=proposals,
)


def new_case(chain: ReviewChain, created_at: datetime = T0) -> ReviewCase:
    return ReviewCase(
        id="case-1",
        operation_id="operation-1",
        version=1,
        submitter_party_id=SUBMITTER,
        reviewer_party_id=REVIEWER,
        agreement_id="agreement-1",
        chain=chain,
        zone_ids=("zone-1",),
        created_at=created_at,
    )


# ---- what the documentation promises -------------------------------------------------


def well_formed(attempt: Attempt) -> bool:
    """A decision carries what it needs: a reason for a rejection or a modification
    request, conditions exactly with an approval with conditions, a proposal only with a
    modification request."""
    if (
        attempt.decision in (Decision.REJECT, Decision.REQUEST_MODIFICATION)
        and not attempt.comment.strip()
    ):
        return False
    if (attempt.decision is Decision.APPROVE_WITH_CONDITIONS) != (attempt.conditions is not None):
        return False
    return attempt.decision is Decision.REQUEST_MODIFICATION or attempt.proposal is None


def stage_records(case: ReviewCase, index: int) -> list[DecisionRecord]:
    return [d for d in case.decisions if d.stage_index == index]


def refusals(case: ReviewCase, attempt: Attempt) -> set[type[DomainError]]:
    """Every documented reason to refuse `attempt` on `case` as it is now."""
    reasons: set[type[DomainError]] = set()
    if attempt.party_id != case.reviewer_party_id:
        reasons.add(NotFound)
    if not case.is_open:
        reasons.add(StateConflict)
        return reasons
    records = stage_records(case, case.stage_index)
    if attempt.subject in {d.subject for d in records}:
        reasons.add(StateConflict)
    held = set(case.stage.roles) & attempt.roles
    if not held:
        reasons.add(Forbidden)
    elif not held - {d.role for d in records}:
        reasons.add(StateConflict)
    if not well_formed(attempt):
        reasons.add(InvalidInput)
    return reasons


def is_deadline_record(record: DecisionRecord) -> bool:
    return record.automatic and record.role == "deadline"


def is_auto_approval(case: ReviewCase) -> bool:
    return (
        len(case.decisions) == 1
        and case.decisions[0].automatic
        and case.decisions[0].role == "auto-approval"
        and case.decisions[0].decision is Decision.APPROVE
    )


def stage_passed(case: ReviewCase, index: int) -> bool:
    """The stage was passed: its rule is satisfied by approvals, or its deadline
    escalated or approved it."""
    stage = case.chain.stages[index]
    records = stage_records(case, index)
    if any(is_deadline_record(d) and d.decision in (None, Decision.APPROVE) for d in records):
        return True
    approving_roles = {d.role for d in records if not d.automatic and d.decision in APPROVALS}
    if stage.rule is StageRule.ANY:
        return bool(approving_roles)
    return approving_roles == set(stage.roles)


# ---- the machine ---------------------------------------------------------------------


class ReviewCaseMachine(RuleBasedStateMachine):
    """One review case driven by every kind of call, right and wrong."""

    case: ReviewCase
    now: datetime
    seen: list[DecisionRecord]
    closed: ReviewCase | None
    ended_from_outside: bool
    last_stage_index: int
    last_stage_started_at: datetime

    @initialize(chain=chains(), auto_approved=st.integers(0, 9).map(lambda n: n == 0))
    def open_case(self, chain: ReviewChain, auto_approved: bool) -> None:
        """A new case; now and then one an auto-approval rule closes at once."""
        self.now = T0
        self._start(chain, auto_approved)

    @precondition(lambda self: not self.case.is_open)
    @rule(chain=chains(), auto_approved=st.integers(0, 9).map(lambda n: n == 0))
    def review_another_case(self, chain: ReviewChain, auto_approved: bool) -> None:
        """Once a case is closed, the clock runs on with a new one (a next version, say)."""
        self._start(chain, auto_approved)

    def _start(self, chain: ReviewChain, auto_approved: bool) -> None:
        self.case = new_case(chain, self.now)
        self.seen = []
        self.closed = None
        self.ended_from_outside = False
        self.last_stage_index = 0
        self.last_stage_started_at = self.now
        if auto_approved:
            self.case.auto_approve("low and slow", self.now)
            self._assert_closed(CaseState.APPROVED, self.now)
            assert is_auto_approval(self.case)

    # ---- helpers ---------------------------------------------------------------

    def _decide(self, attempt: Attempt) -> None:
        case = self.case
        before = copy.deepcopy(case)
        reasons = refusals(case, attempt)
        waiting = case.waiting_roles()
        waits = case.waits_for(attempt.party_id, attempt.roles, attempt.subject)
        # waits_for answers exactly "may this caller decide now" (a well-formed decision).
        assert waits == (not reasons - {InvalidInput})
        refused: DomainError | None = None
        try:
            record = case.decide(
                party_id=attempt.party_id,
                roles=attempt.roles,
                subject=attempt.subject,
                decision=attempt.decision,
                comment=attempt.comment,
                now=self.now,
                conditions=attempt.conditions,
                proposal=attempt.proposal,
            )
        except (NotFound, Forbidden, StateConflict, InvalidInput) as e:
            refused = e
        if refused is not None:
            assert reasons, f"refused a decision nothing forbids: {refused!r}"
            if NotFound in reasons:  # need-to-know: a stranger learns nothing more
                assert type(refused) is NotFound
            else:
                assert type(refused) in reasons, (type(refused), reasons)
            assert case == before, "a refused decision changed the case"
            return
        assert not reasons, f"accepted a decision that should be refused: {reasons}"
        assert case.decisions[:-1] == before.decisions
        assert case.decisions[-1] is record
        assert record.stage_index == before.stage_index
        assert record.role in waiting & attempt.roles
        assert record.subject == attempt.subject
        assert record.party_id == REVIEWER
        assert record.decision is attempt.decision
        assert record.comment == attempt.comment
        assert record.conditions == attempt.conditions
        assert record.proposal == attempt.proposal
        assert record.decided_at == self.now
        assert not record.automatic
        stage = before.stage
        last_stage = before.stage_index == len(before.chain.stages) - 1
        if attempt.decision is Decision.REJECT:
            self._assert_closed(CaseState.REJECTED, self.now)
        elif attempt.decision is Decision.REQUEST_MODIFICATION:
            self._assert_closed(CaseState.MODIFICATION_REQUESTED, self.now)
        elif stage.rule is StageRule.ALL and waiting - {record.role}:
            assert case.is_open
            assert case.stage_index == before.stage_index
            assert case.stage_started_at == before.stage_started_at
            assert case.waiting_roles() == waiting - {record.role}
        elif last_stage:
            self._assert_closed(CaseState.APPROVED, self.now)
        else:
            assert case.is_open
            assert case.stage_index == before.stage_index + 1
            assert case.stage_started_at == self.now
            assert case.waiting_roles() == frozenset(case.stage.roles)

    def _assert_closed(self, state: CaseState, at: datetime) -> None:
        assert self.case.state is state
        assert self.case.closed_at == at

    # ---- rules -----------------------------------------------------------------

    @rule(attempt=attempts)
    def decide_anything(self, attempt: Attempt) -> None:
        """Anyone, with any roles and any decision, open case or closed."""
        self._decide(attempt)

    @precondition(lambda self: self.case.is_open)
    @rule(data=st.data())
    def decide_as_a_waiting_role(self, data: st.DataObject) -> None:
        """A reviewer holding a role the stage still waits for (so that cases progress);
        sometimes a subject who already decided in this stage, sometimes malformed."""
        case = self.case
        role = data.draw(st.sampled_from(sorted(case.waiting_roles())), label="role")
        decided = {d.subject for d in stage_records(case, case.stage_index)}
        fresh = [s for s in SUBJECTS if s not in decided]
        extra = data.draw(st.frozensets(st.sampled_from(ROLES + FOREIGN_ROLES)), label="extra")
        attempt = Attempt(
            party_id=REVIEWER,
            roles=extra | {role},
            subject=data.draw(st.sampled_from(fresh) | st.sampled_from(SUBJECTS), label="subject"),
            decision=data.draw(
                st.sampled_from(
                    (Decision.APPROVE,) * 6
                    + (Decision.APPROVE_WITH_CONDITIONS,) * 2
                    + (Decision.REQUEST_MODIFICATION, Decision.REJECT)
                ),
                label="decision",
            ),
            comment=data.draw(st.sampled_from(("ok", "ok", "")), label="comment"),
            conditions=None,
            proposal=None,
        )
        if attempt.decision is Decision.APPROVE_WITH_CONDITIONS:
            attempt = replace(attempt, conditions=data.draw(conditions, label="conditions"))
        self._decide(attempt)

    @rule(seconds=st.integers(0, 120) | st.integers(0, 3_000), apply=st.booleans())
    def advance_the_clock(self, seconds: int, apply: bool) -> None:
        self.now += timedelta(seconds=seconds)
        if apply:
            self._apply_deadline()

    @rule()
    def apply_deadline_now(self) -> None:
        self._apply_deadline()

    @precondition(lambda self: self.case.due_at is not None)
    @rule()
    def advance_the_clock_to_the_deadline(self) -> None:
        """A deadline is passed at its due time exactly."""
        assert self.case.due_at is not None
        self.now = max(self.now, self.case.due_at)
        self._apply_deadline()

    def _apply_deadline(self) -> None:
        case = self.case
        before = copy.deepcopy(case)
        acted = case.apply_deadline(self.now)
        assert acted == (case != before)
        assert case.decisions[: len(before.decisions)] == before.decisions
        new = case.decisions[len(before.decisions) :]
        # Every passed deadline was acted on, each once, in stage order, at its due time.
        assert case.due_at is None or case.due_at > self.now
        if not acted:
            assert before.due_at is None or before.due_at > self.now
            return
        expected_index = before.stage_index
        due = before.due_at
        for record in new:
            assert is_deadline_record(record)
            assert record.stage_index == expected_index
            assert due is not None
            assert record.decided_at == due <= self.now
            action = before.chain.stages[expected_index].on_deadline
            if action is DeadlineAction.ESCALATE:
                assert record.decision is None
            else:
                assert record.decision is Decision(action.value)
            expected_index += 1
            next_deadline = (
                before.chain.stages[expected_index].deadline_s
                if expected_index < len(before.chain.stages)
                else None
            )
            due = None if next_deadline is None else due + timedelta(seconds=next_deadline)
        if case.is_open:
            assert case.stage_index == expected_index
            assert case.stage_started_at == new[-1].decided_at
        else:
            assert case.closed_at == new[-1].decided_at

    @precondition(lambda self: self.case.due_at is not None)
    @rule(early_us=st.integers(1, 10**9))
    def apply_deadline_before_it_is_due(self, early_us: int) -> None:
        case = self.case
        assert case.due_at is not None
        before = copy.deepcopy(case)
        assert not case.apply_deadline(case.due_at - timedelta(microseconds=early_us))
        assert case == before

    @precondition(lambda self: self.case.decisions or not self.case.is_open)
    @rule()
    def auto_approve_a_case_under_way(self) -> None:
        """Only a new case can be auto-approved: not a decided one, not a closed one."""
        before = copy.deepcopy(self.case)
        with pytest.raises(StateConflict):
            self.case.auto_approve("low and slow", self.now)
        assert self.case == before

    @rule(state=st.sampled_from(ENDINGS), skip=st.integers(0, 4))
    def end(self, state: CaseState, skip: int) -> None:
        """Ends the case from outside: a closed one always (nothing happens), an open one
        one time in five (else few cases would get far)."""
        case = self.case
        if case.is_open and skip:
            return
        before = copy.deepcopy(case)
        case.end(state, self.now)
        if before.is_open:
            self._assert_closed(state, self.now)
            assert case.decisions == before.decisions
            self.ended_from_outside = True
        else:
            assert case == before

    @rule(state=st.sampled_from(DECISION_OUTCOMES))
    def end_with_an_outcome_of_decisions(self, state: CaseState) -> None:
        before = copy.deepcopy(self.case)
        with pytest.raises(ValueError, match="outcome of decisions"):
            self.case.end(state, self.now)
        assert self.case == before

    # ---- invariants --------------------------------------------------------------

    @invariant()
    def an_open_case_is_at_one_of_its_stages(self) -> None:
        case = self.case
        if case.is_open:
            assert 0 <= case.stage_index < len(case.chain.stages)
            assert case.closed_at is None
            waiting = case.waiting_roles()
            decided = {d.role for d in stage_records(case, case.stage_index)}
            assert waiting == frozenset(case.stage.roles) - decided
            assert waiting, "an open stage waits for somebody"
            deadline = case.stage.deadline_s
            assert case.stage_started_at is not None
            expected_due = (
                None if deadline is None else case.stage_started_at + timedelta(seconds=deadline)
            )
            assert case.due_at == expected_due

    @invariant()
    def a_closed_case_has_a_closing_time_and_waits_for_nobody(self) -> None:
        case = self.case
        if not case.is_open:
            assert case.closed_at is not None
            assert case.waiting_roles() == frozenset()
            assert case.due_at is None
            for subject in SUBJECTS:
                assert not case.waits_for(REVIEWER, ROLES, subject)

    @invariant()
    def a_closed_case_never_changes_again(self) -> None:
        if self.closed is not None:
            assert self.case == self.closed
        elif not self.case.is_open:
            self.closed = copy.deepcopy(self.case)

    @invariant()
    def the_stage_never_goes_back(self) -> None:
        case = self.case
        assert case.stage_index >= self.last_stage_index
        assert case.stage_started_at is not None
        assert case.stage_started_at >= self.last_stage_started_at
        self.last_stage_index = case.stage_index
        self.last_stage_started_at = case.stage_started_at

    @invariant()
    def decisions_are_append_only_in_stage_order(self) -> None:
        case = self.case
        assert case.decisions[: len(self.seen)] == self.seen
        self.seen = list(case.decisions)
        indices = [d.stage_index for d in case.decisions]
        assert indices == sorted(indices)
        assert all(0 <= i <= case.stage_index for i in indices)

    @invariant()
    def nobody_and_no_role_decides_twice_in_a_stage(self) -> None:
        case = self.case
        for index in range(len(case.chain.stages)):
            records = stage_records(case, index)
            subjects = [d.subject for d in records]
            roles = [d.role for d in records]
            assert len(set(subjects)) == len(subjects), subjects
            assert len(set(roles)) == len(roles), roles
            human = [d for d in records if not d.automatic]
            assert all(d.role in case.chain.stages[index].roles for d in human)

    @invariant()
    def the_stages_behind_an_open_case_were_passed(self) -> None:
        case = self.case
        if case.is_open:
            assert all(stage_passed(case, i) for i in range(case.stage_index))
            assert not stage_passed(case, case.stage_index)
            assert all(
                d.decision not in (Decision.REJECT, Decision.REQUEST_MODIFICATION)
                for d in case.decisions
            )

    @invariant()
    def an_approved_case_passed_every_stage(self) -> None:
        case = self.case
        if case.state is CaseState.APPROVED and not is_auto_approval(case):
            assert all(stage_passed(case, i) for i in range(len(case.chain.stages)))
            assert case.stage_index == len(case.chain.stages) - 1
            assert all(d.decision in (*APPROVALS, None) for d in case.decisions)

    @invariant()
    def a_refusing_case_ends_with_its_refusal(self) -> None:
        case = self.case
        expected = {
            CaseState.REJECTED: Decision.REJECT,
            CaseState.MODIFICATION_REQUESTED: Decision.REQUEST_MODIFICATION,
        }.get(case.state)
        if expected is not None:
            assert case.decisions
            last = case.decisions[-1]
            assert last.decision is expected
            assert last.stage_index == case.stage_index
            assert last.decided_at == case.closed_at
            if last.automatic:
                assert is_deadline_record(last)
                assert case.stage.on_deadline is DeadlineAction.REJECT

    @invariant()
    def only_an_ending_from_outside_supersedes_withdraws_or_cancels(self) -> None:
        assert (self.case.state in ENDINGS) == self.ended_from_outside

    @invariant()
    def the_operation_state_follows_the_case(self) -> None:
        expected = EXPECTED_OPERATION_STATE[self.case.state]
        if expected is OperationState.APPROVED and self.case.conditions:
            expected = OperationState.APPROVED_WITH_CONDITIONS
        assert operation_state([self.case]) is expected


def test_a_review_case_stays_consistent_through_any_sequence_of_calls() -> None:
    run_state_machine_as_test(ReviewCaseMachine, settings=MACHINE)


# ---- plain properties ------------------------------------------------------------------


def case_in(state: CaseState) -> ReviewCase:
    case = new_case(ReviewChain((Stage("review", ("reviewer",)),)))
    case.state = state
    if state is not CaseState.OPEN:
        case.closed_at = T0
    return case


@PROPERTY
@given(st.lists(st.sampled_from(CaseState), max_size=8))
def test_the_operation_state_is_the_strongest_outcome_of_its_cases(
    states: list[CaseState],
) -> None:
    result = operation_state([case_in(s) for s in states])
    if CaseState.REJECTED in states:
        assert result is OperationState.REJECTED
    elif CaseState.MODIFICATION_REQUESTED in states:
        assert result is OperationState.MODIFICATION_REQUESTED
    elif states and all(s is CaseState.APPROVED for s in states):
        assert result is OperationState.APPROVED
    else:
        assert result is OperationState.IN_REVIEW


@PROPERTY
@given(st.lists(st.sampled_from(CaseState), max_size=8), st.randoms(use_true_random=False))
def test_the_operation_state_does_not_depend_on_the_order_of_the_cases(
    states: list[CaseState], rng: random.Random
) -> None:
    shuffled = list(states)
    rng.shuffle(shuffled)
    assert operation_state([case_in(s) for s in states]) is operation_state(
        [case_in(s) for s in shuffled]
    )


@PROPERTY
@given(
    chains(),
    st.lists(st.sampled_from(SUBJECTS), max_size=4, unique=True),
    st.integers(0, 3_000),
    st.integers(1, 100_000_000),
)
def test_applying_a_deadline_before_it_is_due_changes_nothing(
    chain: ReviewChain, approvers: list[str], elapsed_s: int, early_us: int
) -> None:
    """Whatever stage the case reached (approvals by a few subjects, a clock that ran),
    acting on its deadline any time before it is due does nothing."""
    case = new_case(chain)
    now = T0
    for subject in approvers:
        if case.is_open:
            now += timedelta(seconds=30)
            case.decide(
                party_id=REVIEWER,
                roles=case.waiting_roles(),
                subject=subject,
                decision=Decision.APPROVE,
                comment="",
                now=now,
            )
            case.apply_deadline(now)
    case.apply_deadline(now + timedelta(seconds=elapsed_s))
    due = case.due_at
    before = copy.deepcopy(case)
    at = (due or now) - timedelta(microseconds=early_us)
    assert not case.apply_deadline(at)
    assert case == before


# ---- regressions: bugs these properties found (minimal examples pinned) ------------------


@PROPERTY
@example(stage_roles=("ops", "safety"), caller_roles=["safety"])
@given(
    st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True).map(tuple),
    st.lists(st.sampled_from(ROLES + FOREIGN_ROLES), max_size=4),
)
def test_a_decision_takes_the_roles_of_the_caller_from_any_iterable(
    stage_roles: tuple[str, ...], caller_roles: list[str]
) -> None:
    """`decide` takes `roles: Iterable[str]`: an iterator of the caller's roles is
    accepted or refused exactly like a tuple of them (it was once read anew for each
    stage role, so a one-shot iterator was used up by the first one)."""

    def outcome(roles: Iterable[str]) -> tuple[str, CaseState]:
        case = new_case(ReviewChain((Stage("review", stage_roles),)))
        try:
            case.decide(
                party_id=REVIEWER,
                roles=roles,
                subject="alice",
                decision=Decision.APPROVE,
                comment="",
                now=T0,
            )
        except DomainError as e:
            return type(e).__name__, case.state
        return "accepted", case.state

    assert outcome(iter(caller_roles)) == outcome(tuple(caller_roles))


@PROPERTY
@example(deadline_s=math.nan)
@example(deadline_s=math.inf)
@given(st.floats())
def test_a_stage_takes_only_a_positive_finite_deadline(deadline_s: float) -> None:
    """A NaN, infinite or absurdly long deadline was once accepted, and `due_at` then raised."""
    if math.isfinite(deadline_s) and 0 < deadline_s <= MAX_DEADLINE_S:
        Stage("review", ("reviewer",), deadline_s=deadline_s, on_deadline=DeadlineAction.APPROVE)
    else:
        with pytest.raises(InvalidInput):
            Stage(
                "review",
                ("reviewer",),
                deadline_s=deadline_s,
                on_deadline=DeadlineAction.APPROVE,
            )
