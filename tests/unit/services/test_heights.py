"""`services.heights.to_w84`, the one conversion every edge calls: volumes in, volumes
above WGS 84 out with what was stated kept, problems located at each volume's index."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pytest

from deconflict.domain.errors import InvalidInput
from deconflict.domain.heights import NO_TERRAIN, HeightModels
from deconflict.domain.volumes import AltitudeReference, Circle, LatLng, StatedBand, TimeWindow
from deconflict.services import heights
from deconflict.services.context import ServiceContext

W84, AMSL, AGL = AltitudeReference.W84, AltitudeReference.AMSL, AltitudeReference.AGL
WINDOW = TimeWindow(datetime(2030, 1, 1, 8, tzinfo=UTC), datetime(2030, 1, 1, 9, tzinfo=UTC))
HERE = Circle(LatLng(-29.95, -139.92), 500.0)


def _volume(band: StatedBand) -> heights.StatedVolume:
    return heights.StatedVolume(HERE, band, WINDOW)


def test_volumes_come_back_above_wgs84_keeping_what_was_stated(ctx: ServiceContext) -> None:
    amsl = StatedBand(100, AMSL, 200, AMSL)
    plain, converted = heights.to_w84(ctx, [_volume(StatedBand(10, W84, 20, W84)), _volume(amsl)])
    assert (plain.altitude.lower_m, plain.altitude.upper_m, plain.altitude.stated) == (10, 20, None)
    assert converted.altitude.stated == amsl
    assert converted.altitude.lower_m < 100 - 8.0 < 200 - 8.0 < converted.altitude.upper_m
    assert (converted.footprint, converted.time) == (HERE, WINDOW)


def test_every_problem_is_located_at_its_volume(ctx: ServiceContext) -> None:
    with pytest.raises(heights.Unconvertible) as failure:
        heights.to_w84(
            replace(ctx, heights=HeightModels(ctx.heights.geoid, None)),
            [_volume(StatedBand(10, W84, 20, AMSL)), _volume(StatedBand(0, AGL, 20, AMSL))],
        )
    assert failure.value.problems == [(("volumes", 1, "altitude_lower_reference"), NO_TERRAIN)]


def test_an_empty_band_is_invalid_input_not_a_missing_model(ctx: ServiceContext) -> None:
    with pytest.raises(InvalidInput) as failure:
        heights.to_w84(ctx, [_volume(StatedBand(100, W84, 95, AMSL))])
    assert not isinstance(failure.value, heights.Unconvertible)
    assert failure.value.problems[0][0] == ("volumes", 0, "altitude_upper_m")


def test_a_footprint_beyond_the_limits_is_refused_before_the_models_work_on_it(
    ctx: ServiceContext,
) -> None:
    """A circle over half the Earth would make the geoid read a million grid nodes."""
    huge = heights.StatedVolume(
        Circle(LatLng(0, 0), 19_000_000.0), StatedBand(0, AMSL, 100, AMSL), WINDOW
    )
    with pytest.raises(InvalidInput) as failure:
        heights.to_w84(ctx, [_volume(StatedBand(0, AMSL, 100, AMSL)), huge])
    [(loc, message)] = failure.value.problems
    assert loc[:3] == ("volumes", 1, "footprint")
    assert "area" in message
    with pytest.raises(InvalidInput, match="exceed the maximum"):
        heights.to_w84(
            ctx, [_volume(StatedBand(0, AMSL, 100, AMSL))] * (ctx.limits.max_volumes + 1)
        )


def test_the_readme_example_holds(ctx: ServiceContext) -> None:
    """README, Heights: [100, 200] AMSL over a 500 m circle on the Isle of Veloria."""
    [volume] = heights.to_w84(ctx, [_volume(StatedBand(100, AMSL, 200, AMSL))])
    assert (volume.altitude.lower_m, volume.altitude.upper_m) == pytest.approx(
        (89.97, 192.38), abs=0.005
    )
