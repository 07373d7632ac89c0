"""The conservative conversion of AMSL and AGL limits to heights above WGS 84, with
models whose answers are fixed here so that each margin can be checked to the metre.
(The real models are checked against published values in tests/unit/adapters.)"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from deconflict.domain.errors import InvalidInput
from deconflict.domain.heights import (
    NO_GEOID,
    NO_TERRAIN,
    HeightModels,
    Unconvertible,
    to_w84,
)
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    LatLng,
    LengthUnit,
    StatedBand,
)

W84, AMSL, AGL = AltitudeReference.W84, AltitudeReference.AMSL, AltitudeReference.AGL
HERE = Circle(LatLng(-29.95, -139.92), 500.0)


@dataclass
class GridGeoid:
    """Undulations from -9.5 m to -8.0 m over any footprint, 1.2 m interpolation error."""

    interpolation_error_m: float = 1.2
    asked: list[Footprint] = field(default_factory=list)

    def undulation_range_m(self, footprint: Footprint) -> tuple[float, float]:
        self.asked.append(footprint)
        return (-9.5, -8.0)


@dataclass
class IslandTerrain:
    """Ground from 3 m to 410 m, stated accuracy 5 m."""

    reference: AltitudeReference = AMSL
    accuracy_m: float = 5.0
    covers: bool = True

    def height_range_m(self, footprint: Footprint) -> tuple[float, float]:
        if not self.covers:
            raise InvalidInput.at((), "the terrain model does not cover the whole footprint")
        return (3.0, 410.0)


def test_amsl_limits_grow_by_the_geoid_range_and_the_interpolation_error() -> None:
    geoid = GridGeoid()
    band = to_w84(StatedBand(100, AMSL, 200, AMSL), HERE, HeightModels(geoid))
    assert (band.lower_m, band.upper_m) == pytest.approx((100 - 9.5 - 1.2, 200 - 8.0 + 1.2))
    assert band.reference is W84
    assert band.stated == StatedBand(100, AMSL, 200, AMSL)
    assert geoid.asked == [HERE]  # asked once for both limits


def test_agl_limits_stand_on_the_lowest_and_highest_ground_then_on_the_geoid() -> None:
    models = HeightModels(GridGeoid(), IslandTerrain())
    band = to_w84(StatedBand(0, AGL, 120, AGL), HERE, models)
    assert band.lower_m == pytest.approx(0 + 3.0 - 5.0 - 9.5 - 1.2)
    assert band.upper_m == pytest.approx(120 + 410.0 + 5.0 - 8.0 + 1.2)


def test_terrain_above_the_ellipsoid_needs_no_geoid() -> None:
    band = to_w84(StatedBand(0, AGL, 120, AGL), HERE, HeightModels(None, IslandTerrain(W84)))
    assert (band.lower_m, band.upper_m) == (3.0 - 5.0, 120 + 410.0 + 5.0)


def test_each_limit_is_converted_in_its_own_reference_and_unit() -> None:
    models = HeightModels(GridGeoid(), IslandTerrain())
    band = to_w84(StatedBand(100, AGL, 1500, AMSL, LengthUnit.FT), HERE, models)
    assert band.lower_m == pytest.approx(100 * 0.3048 + 3.0 - 5.0 - 9.5 - 1.2)
    assert band.upper_m == pytest.approx(1500 * 0.3048 - 8.0 + 1.2)


def test_wgs84_limits_are_exact_and_keep_nothing() -> None:
    assert to_w84(StatedBand(10, W84, 20, W84), HERE, HeightModels()) == AltitudeBand(10, 20)
    feet = to_w84(StatedBand(100, W84, 400, W84, LengthUnit.FT), HERE, HeightModels())
    assert feet == AltitudeBand(100 * 0.3048, 400 * 0.3048)


def test_without_a_geoid_amsl_is_refused_at_each_limit_it_concerns() -> None:
    with pytest.raises(Unconvertible) as failure:
        to_w84(StatedBand(0, W84, 200, AMSL), HERE, HeightModels())
    assert failure.value.problems == [(("altitude_upper_reference",), NO_GEOID)]


def test_without_a_terrain_model_agl_is_refused_as_before() -> None:
    with pytest.raises(Unconvertible) as failure:
        to_w84(StatedBand(0, AGL, 120, AGL), HERE, HeightModels(GridGeoid()))
    assert failure.value.problems == [
        (("altitude_lower_reference",), NO_TERRAIN),
        (("altitude_upper_reference",), NO_TERRAIN),
    ]
    assert "needs a terrain model" in NO_TERRAIN


def test_ground_the_terrain_model_does_not_cover_is_refused() -> None:
    models = HeightModels(GridGeoid(), IslandTerrain(covers=False))
    with pytest.raises(Unconvertible, match="does not cover the whole footprint"):
        to_w84(StatedBand(0, AGL, 500, AMSL), HERE, models)


def test_a_band_that_is_empty_once_converted_is_refused() -> None:
    """300 m above ground that is nowhere below 3 m is above 200 m above the sea."""
    models = HeightModels(GridGeoid(), IslandTerrain())
    with pytest.raises(InvalidInput) as failure:
        to_w84(StatedBand(300, AGL, 200, AMSL), HERE, models)
    [(loc, message)] = failure.value.problems
    assert loc == ("altitude_upper_m",)
    assert "must be above the lower limit" in message
    assert not isinstance(failure.value, Unconvertible)


def test_a_limit_pushed_beyond_the_accepted_altitudes_by_the_conversion_is_refused() -> None:
    """-8000 m is the lowest altitude accepted anywhere: 8000 m below a sea level that
    lies below the ellipsoid is lower still, and would not fit any answer."""
    with pytest.raises(InvalidInput) as failure:
        to_w84(StatedBand(-8000, AMSL, 100, AMSL), HERE, HeightModels(GridGeoid()))
    [(loc, message)] = failure.value.problems
    assert loc == ("altitude_lower_m",)
    assert "-8010.7 m above WGS 84 once converted" in message
