"""Lifecycle rules of agreements, zones and operations."""

from __future__ import annotations

import pytest

from deconflict.domain.assessment import Assessment
from deconflict.domain.errors import InvalidInput, StateConflict
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    Caller,
    OperationState,
    Role,
    Zone,
    ZoneKind,
)
from deconflict.domain.operation import Operation, OperationVersion
from deconflict.domain.volumes import ALWAYS, Circle
from tests.geometries import BAND, HOUR, NEXT_HOUR, T0, ZURICH, volume

EMPTY = Assessment((), (), ())


def proposed(proposer: str = "p1", partner: str = "p2") -> Agreement:
    return Agreement(
        "a1", AgreementKind.COORDINATION, proposer, partner, AgreementState.PROPOSED, None, T0
    )


def version(number: int, state: OperationState = OperationState.APPROVED) -> OperationVersion:
    return OperationVersion(number, (volume(Circle(ZURICH, 100.0)),), state, T0, "subject", EMPTY)


def new_operation(*versions: OperationVersion) -> Operation:
    op = Operation("op1", "p1", "survey", 0, T0)
    for v in versions:
        op.add_version(v)
    return op


# ---- agreements ---------------------------------------------------------------------------


def test_agreement_with_itself_is_refused() -> None:
    with pytest.raises(InvalidInput, match="two different parties") as e:
        proposed("p1", "p1")
    assert [loc for loc, _ in e.value.problems] == [("partner_party_id",)]


def test_accepted_agreement_becomes_active() -> None:
    agreement = proposed().accepted()
    assert agreement.state is AgreementState.ACTIVE


def test_agreement_accepted_twice_is_refused() -> None:
    active = proposed().accepted()
    with pytest.raises(StateConflict, match="already active"):
        active.accepted()


def test_agreement_names_the_other_party_from_either_side() -> None:
    agreement = proposed("p1", "p2")
    assert agreement.other("p1") == "p2"
    assert agreement.other("p2") == "p1"
    assert agreement.party_ids == frozenset({"p1", "p2"})


# ---- zones --------------------------------------------------------------------------------


def test_zone_without_periods_is_one_volume_active_always() -> None:
    zone = Zone("z1", "p1", ZoneKind.REVIEW, "zone", Circle(ZURICH, 10.0), BAND, (), T0)
    assert [v.time for v in zone.volumes()] == [ALWAYS]


def test_zone_has_one_volume_per_active_period() -> None:
    footprint = Circle(ZURICH, 10.0)
    zone = Zone("z1", "p1", ZoneKind.NOTIFY, "zone", footprint, BAND, (HOUR, NEXT_HOUR), T0)
    assert zone.volumes() == (volume(footprint, time=HOUR), volume(footprint, time=NEXT_HOUR))


# ---- operations ---------------------------------------------------------------------------


def test_operation_versions_are_numbered_from_one() -> None:
    op = new_operation()
    with pytest.raises(StateConflict, match="expects version 1"):
        op.add_version(version(2))
    op.add_version(version(1))
    with pytest.raises(StateConflict, match="expects version 2"):
        op.add_version(version(1))
    op.add_version(version(2, OperationState.IN_REVIEW))
    assert [v.number for v in op.versions] == [1, 2]
    assert op.current.number == 2
    assert op.state is OperationState.IN_REVIEW


def test_withdrawn_operation_keeps_its_volumes_and_stops_counting() -> None:
    op = new_operation(version(1))
    assert op.counts
    op.withdraw()
    assert op.state is OperationState.WITHDRAWN
    assert op.current.volumes == version(1).volumes
    assert not op.counts


def test_withdrawing_twice_is_a_state_conflict() -> None:
    op = new_operation(version(1))
    op.withdraw()
    with pytest.raises(StateConflict, match="already withdrawn"):
        op.withdraw()


def test_new_version_after_withdrawal_is_refused() -> None:
    op = new_operation(version(1))
    op.withdraw()
    with pytest.raises(StateConflict, match="cannot take a new version"):
        op.add_version(version(2))
    assert len(op.versions) == 1


@pytest.mark.parametrize("state", [OperationState.REJECTED, OperationState.ENDED])
def test_final_operations_take_no_new_version_nor_withdrawal(state: OperationState) -> None:
    op = new_operation(version(1, state))
    with pytest.raises(StateConflict):
        op.add_version(version(2))
    with pytest.raises(StateConflict):
        op.withdraw()


@pytest.mark.parametrize(
    ("state", "counts"),
    [
        (OperationState.APPROVED, True),
        (OperationState.IN_REVIEW, True),
        (OperationState.ACTIVATED, True),
        (OperationState.SUBMITTED, False),
        (OperationState.MODIFICATION_REQUESTED, False),
        (OperationState.REJECTED, False),
    ],
)
def test_only_approved_in_review_and_activated_operations_count(
    state: OperationState, counts: bool
) -> None:
    assert new_operation(version(1, state)).counts is counts


def test_operation_in_modification_requested_takes_a_new_version() -> None:
    op = new_operation(version(1, OperationState.MODIFICATION_REQUESTED))
    op.add_version(version(2))
    assert op.state is OperationState.APPROVED


# ---- callers ------------------------------------------------------------------------------


def test_caller_has_only_its_roles() -> None:
    caller = Caller("subject", "p1", frozenset({Role.SUBMITTER}))
    assert caller.has(Role.SUBMITTER)
    assert not caller.has(Role.ADMIN)
