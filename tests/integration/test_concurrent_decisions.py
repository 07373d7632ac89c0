"""Two reviewers decide the same `any` stage at the same instant: exactly one wins."""

from __future__ import annotations

import threading
import uuid
from datetime import UTC, datetime, timedelta

from deconflict.bootstrap import Container
from deconflict.domain.errors import StateConflict
from deconflict.domain.model import AgreementKind, Caller, Role, ZoneKind
from deconflict.domain.review import CaseState, Decision
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import operations as ops
from deconflict.services import registry, reviews

ROUNDS = 15


def test_of_two_simultaneous_decisions_on_an_any_stage_exactly_one_is_recorded(
    container: Container,
) -> None:
    uow, ctx = container.uow, container.ctx
    root = Caller("t", "t", frozenset({Role.OPERATOR}))
    operator, reviewer = (
        registry.create_party(uow, ctx, root, f"{n}-{uuid.uuid4().hex[:8]}") for n in ("op", "rev")
    )
    as_operator = Caller("pilot", operator.id, frozenset({Role.ADMIN, Role.SUBMITTER}))
    as_reviewer = Caller("boss", reviewer.id, frozenset({Role.ADMIN}))
    agreement = registry.propose_agreement(
        uow,
        ctx,
        as_operator,
        registry.AgreementCreate(AgreementKind.COORDINATION, reviewer.id, None),
    )
    registry.accept_agreement(uow, ctx, as_reviewer, agreement.id)
    center = LatLng(-70.0, 10.0 + uuid.uuid4().int % 1000 / 10)
    registry.create_zone(
        uow,
        ctx,
        as_reviewer,
        registry.ZoneCreate(
            ZoneKind.REVIEW, "Range", Circle(center, 20_000), AltitudeBand(0, 1000), ()
        ),
    )
    start = datetime(2033, 1, 1, tzinfo=UTC)
    outcomes = []
    for round_ in range(ROUNDS):
        window = TimeWindow(start + timedelta(days=round_), start + timedelta(days=round_, hours=1))
        volume = Volume4D(Circle(center, 300), AltitudeBand(10, 100), window)
        submitted = ops.submit_operation(
            uow, ctx, as_operator, ops.OperationCommand("op", 0, (volume,))
        )
        [case] = uow.run(lambda tx, op_id=submitted.operation.id: tx.reviews.of_operation(op_id))
        barrier = threading.Barrier(2)
        results: list[str] = []

        def decide(
            subject: str,
            decision: Decision,
            case_id: str = case.id,
            barrier: threading.Barrier = barrier,
            results: list[str] = results,
        ) -> None:
            caller = Caller(subject, reviewer.id, frozenset({Role.REVIEWER}))
            comment = "" if decision is Decision.APPROVE else "no"
            barrier.wait()
            try:
                reviews.decide(
                    uow, ctx, caller, case_id, reviews.DecisionCommand(decision, comment)
                )
                results.append(f"won:{decision.value}")
            except StateConflict:
                results.append("409")

        threads = [
            threading.Thread(target=decide, args=("alice", Decision.APPROVE)),
            threading.Thread(target=decide, args=("bob", Decision.REJECT)),
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(r.split(":")[0] for r in results) == ["409", "won"], results
        [stored] = uow.run(lambda tx, case_id=case.id: [tx.reviews.get(case_id)])
        assert stored is not None
        assert len(stored.decisions) == 1, "exactly one decision is recorded"
        winner = results[0] if results[0] != "409" else results[1]
        expected = CaseState.APPROVED if winner == "won:approve" else CaseState.REJECTED
        assert stored.state is expected
        operation = uow.run(lambda tx, op_id=submitted.operation.id: tx.operations.get(op_id))
        assert operation is not None
        assert operation.state.value == expected.value
        outcomes.append(winner)
    assert len(outcomes) == ROUNDS
