"""Checks and operations (services.operations) against the in-memory fakes."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import timedelta

import pytest

from deconflict.domain.assessment import Assessment, ConflictKind
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import Forbidden, InvalidInput, Loc, NotFound, StateConflict
from deconflict.domain.model import AgreementKind, Caller, OperationState, Role, ZoneKind
from deconflict.domain.volumes import LatLng, Polygon, Volume4D
from deconflict.services import operations
from deconflict.services.operations import Refused, validate_volumes
from deconflict.services.ports import Page

from .support import (
    FAR,
    HERE,
    MAX_AREA_KM2,
    MAX_VERTICES,
    MAX_VOLUMES,
    MAX_WINDOW_S,
    T0,
    World,
    caller,
    circle,
    command,
    square,
    submitter,
    unchanged,
    volume,
    window,
)

NOT_SUBMITTER = [Role.ADMIN, Role.REVIEWER, Role.OBSERVER]
WITHOUT_SUBMITTER = [(), *((r,) for r in NOT_SUBMITTER), tuple(NOT_SUBMITTER)]
#: About 1 km north of HERE.
NEARBY = LatLng(HERE.lat + 0.009, HERE.lng)
#: The radius of a circle just over the area limit.
TOO_WIDE_M = math.sqrt(MAX_AREA_KM2 * 1e6 / math.pi) * 1.01


def far() -> Volume4D:
    return volume(circle(FAR))


def regular_polygon(vertices: int, radius_deg: float = 0.01) -> Polygon:
    return Polygon(
        tuple(
            LatLng(
                HERE.lat + radius_deg * math.sin(2 * math.pi * i / vertices),
                HERE.lng + radius_deg * math.cos(2 * math.pi * i / vertices),
            )
            for i in range(vertices)
        )
    )


def bowtie() -> Polygon:
    d = 0.01
    return Polygon(
        (
            LatLng(HERE.lat - d, HERE.lng - d),
            LatLng(HERE.lat + d, HERE.lng + d),
            LatLng(HERE.lat + d, HERE.lng - d),
            LatLng(HERE.lat - d, HERE.lng + d),
        )
    )


def locs(error: InvalidInput) -> list[Loc]:
    return [loc for loc, _ in error.problems]


def kinds(assessment: Assessment) -> list[ConflictKind]:
    return [c.kind for c in assessment.conflicts]


# ---- roles -----------------------------------------------------------------------------

Prepared = Callable[[Caller], object]


def _submit(world: World) -> Prepared:
    return lambda who: operations.submit_operation(world.uow, world.ctx, who, command())


def _update(world: World) -> Prepared:
    operation_id = world.submit(world.alpha).operation.id
    return lambda who: operations.update_operation(
        world.uow, world.ctx, who, operation_id, command(far())
    )


def _withdraw(world: World) -> Prepared:
    operation_id = world.submit(world.alpha).operation.id
    return lambda who: operations.withdraw_operation(world.uow, world.ctx, who, operation_id)


SUBMITTER_ACTIONS: dict[str, Callable[[World], Prepared]] = {
    "submit_operation": _submit,
    "update_operation": _update,
    "withdraw_operation": _withdraw,
}


@pytest.mark.parametrize("roles", WITHOUT_SUBMITTER, ids=lambda roles: "+".join(roles) or "none")
@pytest.mark.parametrize("action", SUBMITTER_ACTIONS)
def test_each_operation_change_is_forbidden_without_the_submitter_role(
    world: World, action: str, roles: tuple[Role, ...]
) -> None:
    act = SUBMITTER_ACTIONS[action](world)
    with unchanged(world.uow), pytest.raises(Forbidden, match="submitter"):
        act(caller(world.alpha, *roles))


@pytest.mark.parametrize("action", SUBMITTER_ACTIONS)
def test_each_operation_change_is_allowed_to_a_submitter(world: World, action: str) -> None:
    act = SUBMITTER_ACTIONS[action](world)
    commits = world.uow.commits
    act(submitter(world.alpha))
    assert world.uow.commits == commits + 1


@pytest.mark.parametrize("roles", [(), ("a_stage_role",)], ids=["none", "stage role only"])
def test_a_check_is_forbidden_without_a_base_role(world: World, roles: tuple[Role, ...]) -> None:
    with unchanged(world.uow), pytest.raises(Forbidden):
        operations.check_volumes(world.uow, world.ctx, caller(world.alpha, *roles), [volume()])


@pytest.mark.parametrize("role", [Role.SUBMITTER, Role.OBSERVER, Role.ADMIN])
def test_a_check_is_allowed_to_submitters_observers_and_admins(world: World, role: Role) -> None:
    assessment = operations.check_volumes(
        world.uow, world.ctx, caller(world.alpha, role), [volume()]
    )
    assert assessment.conflicts == ()


def test_reading_operations_needs_any_one_role(world: World) -> None:
    operation = world.submit(world.alpha).operation
    nobody = caller(world.alpha, "a_stage_role")
    assert operations.get_operation(world.uow, nobody, operation.id) == operation
    assert operations.list_operations(world.uow, nobody, Page()) == [operation]


# ---- submitting ------------------------------------------------------------------------


def test_a_clear_submission_is_approved_and_stored_as_version_1(world: World) -> None:
    submission = world.submit(world.alpha, volume(), far(), name="Inspection")
    operation = submission.operation
    assert operation.state is OperationState.APPROVED
    assert (operation.party_id, operation.name) == (world.alpha, "Inspection")
    assert [v.number for v in operation.versions] == [1]
    assert operation.current.volumes == (volume(), far())
    assert operation.current.submitted_by == submitter(world.alpha).subject
    assert submission.assessment.conflicts == ()
    assert world.uow.store.operations == {operation.id: operation}
    assert world.uow.store.reviews == {}
    assert world.uow.store.notices == {}


def test_a_coordination_partners_review_zone_sends_the_operation_to_review(
    world: World,
) -> None:
    agreement = world.agree(world.alpha, world.bravo, AgreementKind.COORDINATION)
    zone = world.zone(world.bravo, ZoneKind.REVIEW)
    submission = world.submit(world.alpha)
    operation = submission.operation
    assert operation.state is OperationState.IN_REVIEW
    assert kinds(submission.assessment) == [ConflictKind.REVIEW_ZONE]
    assert submission.assessment.conflicts[0].subject_id == zone.id
    [review] = submission.assessment.required_reviews
    assert (review.party_id, review.agreement_id, review.zone_ids) == (
        world.bravo,
        agreement.id,
        (zone.id,),
    )
    [case] = world.uow.run(lambda tx: tx.reviews.of_operation(operation.id, 1))
    assert (case.reviewer_party_id, case.agreement_id, case.zone_ids) == (
        world.bravo,
        agreement.id,
        (zone.id,),
    )
    assert case.is_open
    assert case.submitter_party_id == world.alpha


@pytest.mark.parametrize(
    ("agreement", "zone_kind"),
    [
        (None, ZoneKind.REVIEW),
        (None, ZoneKind.NOTIFY),
        ("proposed", ZoneKind.REVIEW),
        (AgreementKind.DECONFLICTION, ZoneKind.REVIEW),
    ],
    ids=["unrelated-review", "unrelated-notify", "proposed-review", "deconfliction-review"],
)
def test_zones_of_parties_without_a_binding_agreement_leave_the_operation_approved(
    world: World, agreement: AgreementKind | str | None, zone_kind: ZoneKind
) -> None:
    if agreement == "proposed":
        world.agree(world.alpha, world.bravo, accept=False)
    elif isinstance(agreement, AgreementKind):
        world.agree(world.alpha, world.bravo, agreement)
    world.zone(world.bravo, zone_kind)
    submission = world.submit(world.alpha)
    assert submission.operation.state is OperationState.APPROVED
    assert submission.assessment.conflicts == ()
    assert world.uow.store.reviews == {}
    assert world.uow.store.notices == {}


def test_a_review_zone_outside_its_active_periods_does_not_send_to_review(
    world: World,
) -> None:
    world.agree(world.alpha, world.bravo)
    world.zone(world.bravo, ZoneKind.REVIEW, periods=(window(T0 + timedelta(hours=3)),))
    assert world.submit(world.alpha).operation.state is OperationState.APPROVED
    later = volume(start=T0 + timedelta(hours=3, minutes=30))
    assert world.submit(world.alpha, later).operation.state is OperationState.IN_REVIEW


def test_a_restricted_zone_refuses_the_submission_and_nothing_is_stored(world: World) -> None:
    zone = world.zone(world.charlie, ZoneKind.RESTRICTED)
    with unchanged(world.uow), pytest.raises(Refused) as raised:
        world.submit(world.alpha, far(), volume())
    assessment = raised.value.assessment
    assert assessment.refused
    assert [(c.kind, c.volume_index, c.subject_id) for c in assessment.conflicts] == [
        (ConflictKind.RESTRICTED_ZONE, 1, zone.id)
    ]


def test_a_restricted_zone_refuses_within_the_separation_minimum(world: World) -> None:
    world.zone(world.charlie, ZoneKind.RESTRICTED, circle(radius_m=1_000))
    just_outside = circle(LatLng(HERE.lat + 0.0115, HERE.lng), 250)  # ~29 m from its edge
    with unchanged(world.uow), pytest.raises(Refused):
        world.submit(world.alpha, volume(just_outside))


def test_a_partners_notify_zone_records_a_notice_and_approves(world: World) -> None:
    agreement = world.agree(world.bravo, world.alpha, AgreementKind.DECONFLICTION)
    zone = world.zone(world.bravo, ZoneKind.NOTIFY)
    submission = world.submit(world.alpha, far(), volume())
    operation = submission.operation
    assert operation.state is OperationState.APPROVED
    assert kinds(submission.assessment) == [ConflictKind.NOTIFY_ZONE]
    [notice] = world.uow.store.notices.values()
    assert (notice.operation_id, notice.version, notice.kind.value) == (operation.id, 1, "entry")
    assert (notice.recipient_party_id, notice.agreement_id, notice.zone_id) == (
        world.bravo,
        agreement.id,
        zone.id,
    )
    [target] = submission.assessment.notices
    assert target.volume_index == 1
    # The volume's band and window as planned, not grown by the separation (the notice
    # shows that apart).
    planned = operation.current.volumes[target.volume_index]
    assert (notice.altitude, notice.time) == (planned.altitude, planned.time)
    assert (notice.altitude, notice.time) != (target.overlap.altitude, target.overlap.time)
    assert notice.outline is not None, "the notice outlines where the plan enters the zone"
    page = Page(limit=10)
    assert [
        n.id for n in world.uow.run(lambda tx: tx.notices.for_recipient(world.bravo, page))
    ] == [notice.id]
    assert world.uow.run(lambda tx: tx.notices.for_recipient(world.alpha, page)) == []


def test_another_partys_operation_is_a_conflict_shown_without_its_identity(
    world: World,
) -> None:
    theirs = world.submit(world.bravo).operation
    submission = world.submit(world.alpha)
    assert submission.operation.state is OperationState.APPROVED
    [conflict] = submission.assessment.conflicts
    assert conflict.kind is ConflictKind.OPERATION
    assert (conflict.subject_id, conflict.party_id) == (None, None)
    stored = world.uow.store.operations[submission.operation.id].current.assessment
    assert stored.conflicts[0].subject_id == theirs.id  # the record keeps it


def test_the_partys_own_operations_never_conflict_with_each_other(world: World) -> None:
    world.submit(world.alpha)
    assert world.submit(world.alpha).assessment.conflicts == ()


def test_an_agreements_separation_replaces_the_default_between_the_partners(
    world: World,
) -> None:
    world.submit(world.bravo, volume(circle(HERE, 100)))
    nearby = volume(circle(NEARBY, 100))  # ~800 m apart: clear under the default 50 m
    unrelated = operations.check_volumes(world.uow, world.ctx, submitter(world.charlie), [nearby])
    assert unrelated.conflicts == ()
    world.agree(world.alpha, world.bravo, AgreementKind.DECONFLICTION, Separation(2_000, 10, 60))
    assert kinds(world.submit(world.alpha, nearby).assessment) == [ConflictKind.OPERATION]


def test_an_unregistered_party_cannot_submit(world: World) -> None:
    with unchanged(world.uow), pytest.raises(StateConflict, match="not registered"):
        world.submit("ghost")


def test_invalid_volumes_are_refused_before_any_transaction(world: World) -> None:
    runs = list(world.uow.runs)
    with unchanged(world.uow), pytest.raises(InvalidInput):
        world.submit(world.alpha, volume(hours=7))
    assert world.uow.runs == runs


# ---- updating --------------------------------------------------------------------------


def test_an_update_stores_version_2_and_assesses_it_afresh(world: World) -> None:
    world.agree(world.alpha, world.bravo)
    zone = world.zone(world.bravo, ZoneKind.REVIEW)
    first = world.submit(world.alpha, far()).operation
    assert first.state is OperationState.APPROVED

    submission = operations.update_operation(
        world.uow,
        world.ctx,
        submitter(world.alpha),
        first.id,
        command(volume(), name="Survey, moved", priority=3),
    )
    operation = submission.operation
    assert [v.number for v in operation.versions] == [1, 2]
    assert operation.state is OperationState.IN_REVIEW
    assert (operation.name, operation.priority) == ("Survey, moved", 3)
    assert operation.versions[0] == first.versions[0]
    assert [r.zone_ids for r in submission.assessment.required_reviews] == [(zone.id,)]
    assert [
        (c.operation_id, c.version, c.reviewer_party_id) for c in world.uow.store.reviews.values()
    ] == [(first.id, 2, world.bravo)]
    assert world.uow.store.operations[first.id] == operation


def test_an_update_out_of_a_review_zone_is_approved(world: World) -> None:
    world.agree(world.alpha, world.bravo)
    world.zone(world.bravo, ZoneKind.REVIEW)
    first = world.submit(world.alpha).operation
    assert first.state is OperationState.IN_REVIEW
    moved = operations.update_operation(
        world.uow, world.ctx, submitter(world.alpha), first.id, command(far())
    )
    assert moved.operation.state is OperationState.APPROVED
    assert moved.assessment.conflicts == ()
    assert [v.state for v in world.uow.store.operations[first.id].versions] == [
        OperationState.IN_REVIEW,
        OperationState.APPROVED,
    ]


def test_an_update_records_notices_for_the_new_version(world: World) -> None:
    world.agree(world.alpha, world.bravo)
    world.zone(world.bravo, ZoneKind.NOTIFY)
    first = world.submit(world.alpha, far()).operation
    operations.update_operation(
        world.uow, world.ctx, submitter(world.alpha), first.id, command(volume())
    )
    assert [
        (n.operation_id, n.version, n.kind.value) for n in world.uow.store.notices.values()
    ] == [(first.id, 2, "entry")]


def test_an_operations_earlier_version_never_conflicts_with_its_update(world: World) -> None:
    first = world.submit(world.alpha).operation
    again = operations.update_operation(
        world.uow, world.ctx, submitter(world.alpha), first.id, command(volume())
    )
    assert again.assessment.conflicts == ()


def test_an_update_of_another_partys_operation_is_not_found(world: World) -> None:
    theirs = world.submit(world.bravo).operation
    with unchanged(world.uow), pytest.raises(NotFound):
        operations.update_operation(
            world.uow, world.ctx, submitter(world.alpha), theirs.id, command(far())
        )
    with unchanged(world.uow), pytest.raises(NotFound):
        operations.update_operation(
            world.uow, world.ctx, submitter(world.alpha), "no-such-operation", command(far())
        )


def test_a_refused_update_leaves_the_operation_as_it_was(world: World) -> None:
    first = world.submit(world.alpha, far()).operation
    world.zone(world.charlie, ZoneKind.RESTRICTED)
    with unchanged(world.uow), pytest.raises(Refused):
        operations.update_operation(
            world.uow, world.ctx, submitter(world.alpha), first.id, command(volume(), name="X")
        )


def test_a_withdrawn_operation_takes_no_new_version(world: World) -> None:
    first = world.submit(world.alpha).operation
    operations.withdraw_operation(world.uow, world.ctx, submitter(world.alpha), first.id)
    with unchanged(world.uow), pytest.raises(StateConflict, match="withdrawn"):
        operations.update_operation(
            world.uow, world.ctx, submitter(world.alpha), first.id, command(far())
        )


def test_an_update_with_invalid_volumes_is_refused_before_any_transaction(world: World) -> None:
    first = world.submit(world.alpha).operation
    runs = list(world.uow.runs)
    with unchanged(world.uow), pytest.raises(InvalidInput):
        operations.update_operation(
            world.uow, world.ctx, submitter(world.alpha), first.id, command(*[far()] * 4)
        )
    assert world.uow.runs == runs


# ---- withdrawing -----------------------------------------------------------------------


def test_a_withdrawn_operation_no_longer_conflicts_for_others(world: World) -> None:
    theirs = world.submit(world.bravo).operation
    alpha = submitter(world.alpha)
    before = operations.check_volumes(world.uow, world.ctx, alpha, [volume()])
    assert kinds(before) == [ConflictKind.OPERATION]

    withdrawn = operations.withdraw_operation(
        world.uow, world.ctx, submitter(world.bravo), theirs.id
    )
    assert withdrawn.state is OperationState.WITHDRAWN
    assert world.uow.store.operations[theirs.id].state is OperationState.WITHDRAWN
    assert operations.check_volumes(world.uow, world.ctx, alpha, [volume()]).conflicts == ()
    assert world.submit(world.alpha).assessment.conflicts == ()


def test_withdrawing_twice_is_a_state_conflict(world: World) -> None:
    first = world.submit(world.alpha).operation
    operations.withdraw_operation(world.uow, world.ctx, submitter(world.alpha), first.id)
    with unchanged(world.uow), pytest.raises(StateConflict, match="already withdrawn"):
        operations.withdraw_operation(world.uow, world.ctx, submitter(world.alpha), first.id)


def test_withdrawing_another_partys_operation_is_not_found(world: World) -> None:
    theirs = world.submit(world.bravo).operation
    with unchanged(world.uow), pytest.raises(NotFound):
        operations.withdraw_operation(world.uow, world.ctx, submitter(world.alpha), theirs.id)


# ---- reading ---------------------------------------------------------------------------


def test_another_partys_operation_is_not_found(world: World) -> None:
    theirs = world.submit(world.bravo).operation
    with pytest.raises(NotFound):
        operations.get_operation(world.uow, submitter(world.alpha), theirs.id)
    with pytest.raises(NotFound):
        operations.get_operation(world.uow, submitter(world.alpha), "no-such-operation")


def test_operations_are_listed_newest_first_optionally_in_one_state(world: World) -> None:
    first = world.submit(world.alpha, name="first").operation
    second = world.submit(world.alpha, name="second").operation
    third = world.submit(world.alpha, name="third").operation
    world.submit(world.bravo, far())
    operations.withdraw_operation(world.uow, world.ctx, submitter(world.alpha), second.id)
    me = submitter(world.alpha)

    def names(page: Page | None = None, state: OperationState | None = None) -> list[str]:
        listed = operations.list_operations(world.uow, me, page or Page(), state)
        return [o.name for o in listed]

    assert names() == ["third", "second", "first"]
    assert names(Page(limit=1, offset=1)) == ["second"]
    assert names(state=OperationState.APPROVED) == ["third", "first"]
    assert names(state=OperationState.WITHDRAWN) == ["second"]
    assert names(state=OperationState.IN_REVIEW) == []
    assert operations.get_operation(world.uow, me, third.id).name == "third"
    assert first.created_at < second.created_at < third.created_at


# ---- checking --------------------------------------------------------------------------


def test_a_check_reports_what_a_submission_would_meet_and_stores_nothing(world: World) -> None:
    world.agree(world.alpha, world.bravo)
    world.zone(world.bravo, ZoneKind.REVIEW)
    world.zone(world.bravo, ZoneKind.NOTIFY)
    world.submit(world.charlie)
    world.zone(world.charlie, ZoneKind.RESTRICTED)
    runs = len(world.uow.runs)

    with unchanged(world.uow):
        assessment = operations.check_volumes(
            world.uow, world.ctx, submitter(world.alpha), [volume()]
        )
    assert world.uow.runs[runs:] == [False]
    assert sorted(kinds(assessment)) == sorted(
        [
            ConflictKind.REVIEW_ZONE,
            ConflictKind.NOTIFY_ZONE,
            ConflictKind.RESTRICTED_ZONE,
            ConflictKind.OPERATION,
        ]
    )
    assert assessment.refused  # a check reports a refusal; it does not raise it
    assert [r.party_id for r in assessment.required_reviews] == [world.bravo]
    assert len(assessment.notices) == 1
    [operation] = [c for c in assessment.conflicts if c.kind is ConflictKind.OPERATION]
    assert (operation.subject_id, operation.party_id) == (None, None)


def test_a_check_with_invalid_volumes_is_refused_before_any_transaction(world: World) -> None:
    runs = list(world.uow.runs)
    with pytest.raises(InvalidInput):
        operations.check_volumes(world.uow, world.ctx, submitter(world.alpha), [])
    assert world.uow.runs == runs


# ---- limits ----------------------------------------------------------------------------


def _problems(world: World, volumes: list[Volume4D]) -> list[Loc]:
    with pytest.raises(InvalidInput) as raised:
        validate_volumes(volumes, world.ctx)
    return locs(raised.value)


def test_volumes_within_every_limit_pass(world: World) -> None:
    validate_volumes(
        [
            volume(regular_polygon(MAX_VERTICES)),
            volume(hours=MAX_WINDOW_S / 3600),
            volume(circle(radius_m=TOO_WIDE_M / 1.02)),
        ][:MAX_VOLUMES],
        world.ctx,
    )


def test_no_volumes_is_invalid(world: World) -> None:
    assert _problems(world, []) == [("volumes",)]


def test_too_many_volumes_are_invalid(world: World) -> None:
    assert _problems(world, [volume()] * (MAX_VOLUMES + 1)) == [("volumes",)]


def test_a_time_window_too_long_is_invalid_at_its_end(world: World) -> None:
    too_long = volume(start=T0, hours=MAX_WINDOW_S / 3600 + 0.01)
    assert _problems(world, [volume(), too_long]) == [("volumes", 1, "time_end")]


@pytest.mark.parametrize(
    "footprint",
    [circle(radius_m=TOO_WIDE_M), square(half_deg=0.1)],
    ids=["circle", "polygon"],
)
def test_a_footprint_too_large_is_invalid(world: World, footprint: Polygon) -> None:
    assert _problems(world, [volume(footprint)]) == [("volumes", 0, "footprint")]


def test_a_polygon_with_too_many_vertices_is_invalid(world: World) -> None:
    polygon = regular_polygon(MAX_VERTICES + 1)
    assert _problems(world, [volume(), volume(polygon)]) == [
        ("volumes", 1, "footprint", "vertices")
    ]


def test_a_self_intersecting_polygon_is_invalid(world: World) -> None:
    assert _problems(world, [volume(bowtie())]) == [("volumes", 0, "footprint", "vertices")]


def test_every_volumes_problems_are_reported_together(world: World) -> None:
    volumes = [
        volume(circle(radius_m=TOO_WIDE_M), hours=7),
        volume(),
        volume(regular_polygon(MAX_VERTICES + 1)),
    ]
    assert _problems(world, volumes) == [
        ("volumes", 0, "footprint"),
        ("volumes", 0, "time_end"),
        ("volumes", 2, "footprint", "vertices"),
    ]
