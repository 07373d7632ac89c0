"""Operations lie ahead: they end after now and start at most `max_lead_s` from now."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.bootstrap import service_context
from deconflict.config import Settings
from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.volumes import Volume4D
from deconflict.services.context import ServiceContext
from deconflict.services.operations import validate_volumes

from .support import make_context, volume

NOW = datetime(2030, 1, 1, 12, tzinfo=UTC)
LEAD_S = 90 * 86400.0
HOUR = timedelta(hours=1)


def _ctx() -> ServiceContext:
    ctx = make_context()
    return replace(ctx, clock=lambda: NOW, limits=replace(ctx.limits, max_lead_s=LEAD_S))


def _problems(volumes: list[Volume4D]) -> list[Loc]:
    with pytest.raises(InvalidInput) as raised:
        validate_volumes(volumes, _ctx())
    return [loc for loc, _ in raised.value.problems]


def test_a_volume_starting_at_the_horizon_or_running_now_passes() -> None:
    validate_volumes(
        [
            volume(start=NOW + timedelta(seconds=LEAD_S)),
            volume(start=NOW - HOUR / 2),  # under way, ends in half an hour
            volume(start=NOW + timedelta(seconds=1)),
        ],
        _ctx(),
    )


def test_a_volume_starting_beyond_the_horizon_is_invalid_at_its_start() -> None:
    late = volume(start=NOW + timedelta(seconds=LEAD_S + 1))
    assert _problems([volume(start=NOW + HOUR), late]) == [("volumes", 1, "time_start")]


def test_the_message_names_the_horizon() -> None:
    with pytest.raises(InvalidInput) as raised:
        validate_volumes([volume(start=NOW + timedelta(days=91))], _ctx())
    [(_, msg)] = raised.value.problems
    assert "7776000 s ahead" in msg
    assert "2030-04-01T12:00:00+00:00" in msg


@pytest.mark.parametrize("ends_before_now_s", [0, 1, 86400 * 365])
def test_a_volume_that_has_ended_is_invalid_at_its_end(ends_before_now_s: int) -> None:
    ended = volume(start=NOW - HOUR - timedelta(seconds=ends_before_now_s))
    assert _problems([ended]) == [("volumes", 0, "time_end")]


def test_every_volume_out_of_time_is_named() -> None:
    assert _problems(
        [
            volume(start=NOW - 2 * HOUR),
            volume(start=NOW + HOUR),
            volume(start=NOW + timedelta(days=365)),
        ]
    ) == [("volumes", 0, "time_end"), ("volumes", 2, "time_start")]


def test_the_horizon_is_configured_by_max_lead_s() -> None:
    assert service_context(Settings(max_lead_s=123.0)).limits.max_lead_s == 123.0


def test_the_default_horizon_admits_operations_planned_years_ahead() -> None:
    ctx = replace(service_context(Settings()), clock=lambda: NOW)
    validate_volumes([volume(start=NOW + timedelta(days=10 * 366))], ctx)
