"""services.batch.check_many on the fakes: who may, what it reads, bad plans."""

from __future__ import annotations

import pytest

from deconflict.domain.assessment import Assessment
from deconflict.domain.errors import Forbidden, InvalidInput
from deconflict.domain.model import AgreementKind, ZoneKind
from deconflict.domain.volumes import LatLng, Polygon
from deconflict.services import operations
from deconflict.services.batch import check_many

from .support import FAR, HERE, World, caller, circle, submitter, unchanged, volume


def _bow_tie() -> Polygon:
    lat, lng = HERE.lat, HERE.lng
    return Polygon(
        (
            LatLng(lat, lng),
            LatLng(lat + 0.01, lng + 0.01),
            LatLng(lat, lng + 0.01),
            LatLng(lat + 0.01, lng),
        )
    )


def test_a_batch_check_is_forbidden_without_a_base_role(world: World) -> None:
    runs = len(world.uow.runs)
    with unchanged(world.uow), pytest.raises(Forbidden):
        check_many(world.uow, world.ctx, caller(world.alpha, "a_stage_role"), [[volume()]])
    assert len(world.uow.runs) == runs  # refused before reading anything


def test_a_batch_answers_each_plan_in_one_read_and_a_bad_plan_as_refused(world: World) -> None:
    world.agree(world.alpha, world.bravo, AgreementKind.COORDINATION)
    world.zone(world.bravo, ZoneKind.REVIEW)
    world.zone(world.charlie, ZoneKind.RESTRICTED, circle(FAR, 2_000.0))
    world.submit(world.bravo, volume(circle(radius_m=100.0)))
    plans = [[volume()], [volume(_bow_tie())], [volume(circle(FAR))], [volume(circle(FAR))], []]
    who = submitter(world.alpha)
    runs = len(world.uow.runs)

    with unchanged(world.uow):
        answers = check_many(world.uow, world.ctx, who, plans)

    assert world.uow.runs[runs:] == [False]  # one read, whatever the number of plans
    assert isinstance(answers[1], InvalidInput)
    assert [loc for loc, _ in answers[1].problems] == [("volumes", 0, "footprint", "vertices")]
    assert isinstance(answers[4], InvalidInput)
    for i in (0, 2, 3):
        answer = answers[i]
        assert isinstance(answer, Assessment)
        assert answer == operations.check_volumes(world.uow, world.ctx, who, plans[i])
    assert isinstance(answers[0], Assessment)
    assert answers[0].required_reviews
    assert answers[0].conflicts
    assert isinstance(answers[2], Assessment)
    assert answers[2].refused
