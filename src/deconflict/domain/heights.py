"""Heights as authorities publish them (AMSL, AGL) converted to heights above the WGS 84
ellipsoid, the only datum bands are compared in, conservatively for a volume.

The models are handed in (`HeightModels`), like the projection (`FrameFactory`): the
EGM96 geoid and the deployment's terrain model are adapters (`adapters/heights.py`).

- **AMSL** (above the EGM96 geoid): h = H + N, N the geoid's height above the ellipsoid.
  N varies over a footprint, and the grid that gives it is interpolated: a lower limit
  takes the lowest N over the footprint less the grid's interpolation error, an upper
  limit the highest N plus that error. The band only grows.
- **AGL** (above the terrain): a lower limit stands on the lowest terrain under the
  footprint less the model's stated accuracy, an upper limit on the highest terrain plus
  it; terrain heights above mean sea level are then converted as AMSL.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .errors import InvalidInput, Loc
from .volumes import (
    HIGHEST_ALTITUDE_M,
    LOWEST_ALTITUDE_M,
    AltitudeBand,
    AltitudeReference,
    Footprint,
    StatedBand,
    TimeWindow,
)


class Geoid(Protocol):
    """The EGM96 geoid as a grid of undulations."""

    #: Largest difference between the interpolated grid and the model, metres.
    interpolation_error_m: float

    def undulation_range_m(self, footprint: Footprint) -> tuple[float, float]:
        """(lowest, highest) interpolated undulation anywhere over the footprint."""
        ...


class Terrain(Protocol):
    """A terrain model: ground heights above `reference` (AMSL or W84)."""

    #: The model's stated vertical accuracy, metres.
    accuracy_m: float
    reference: AltitudeReference

    def height_range_m(self, footprint: Footprint) -> tuple[float, float]:
        """(lowest, highest) ground height under the footprint; raises InvalidInput
        when the model does not cover all of it."""
        ...


@dataclass(frozen=True, slots=True)
class HeightModels:
    """What a deployment can convert with: without a geoid AMSL is refused, without a
    terrain model AGL is."""

    geoid: Geoid | None = None
    terrain: Terrain | None = None


class Unconvertible(InvalidInput):
    """A stated height this deployment has no model to convert (a file's feature with one
    is refused, like any other it cannot hold)."""


NO_GEOID = (
    "AMSL (altitude above mean sea level) cannot be represented: converting it to heights "
    "above the WGS 84 ellipsoid needs the EGM96 geoid grid, and this deployment has none "
    "(egm96_15.gtx from Debian's proj-data; DECONFLICT_GEOID_FILE)"
)
NO_TERRAIN = (
    "AGL (height above ground level) cannot be represented: converting it to heights above "
    "the WGS 84 ellipsoid needs a terrain model, and this deployment has none "
    "(DECONFLICT_TERRAIN_FILE)"
)


@dataclass(frozen=True, slots=True)
class StatedVolume:
    """A volume as submitted or published: its band in the references it was stated in."""

    footprint: Footprint
    altitude: StatedBand
    time: TimeWindow


class _Ranges:
    """The models' answers for one footprint, each asked once."""

    def __init__(self, footprint: Footprint, models: HeightModels) -> None:
        self.footprint = footprint
        self.models = models
        self._geoid: tuple[float, float] | None = None
        self._terrain: tuple[float, float] | None = None

    def geoid(self, loc: Loc) -> tuple[float, float]:
        if self.models.geoid is None:
            raise Unconvertible([(loc, NO_GEOID)])
        if self._geoid is None:
            low, high = self.models.geoid.undulation_range_m(self.footprint)
            error = self.models.geoid.interpolation_error_m
            self._geoid = (low - error, high + error)
        return self._geoid

    def terrain(self, loc: Loc) -> tuple[float, float]:
        if self.models.terrain is None:
            raise Unconvertible([(loc, NO_TERRAIN)])
        if self._terrain is None:
            try:
                low, high = self.models.terrain.height_range_m(self.footprint)
            except InvalidInput as e:
                raise Unconvertible([(loc, msg) for _, msg in e.problems]) from None
            accuracy = self.models.terrain.accuracy_m
            self._terrain = (low - accuracy, high + accuracy)
        return self._terrain


def _limit(
    value_m: float, reference: AltitudeReference, ranges: _Ranges, lowest: bool, loc: Loc
) -> float:
    pick = 0 if lowest else 1
    if reference is AltitudeReference.AGL:
        value_m += ranges.terrain(loc)[pick]
        assert ranges.models.terrain is not None  # ranges.terrain raised otherwise
        reference = ranges.models.terrain.reference
    if reference is AltitudeReference.AMSL:
        value_m += ranges.geoid(loc)[pick]
    return value_m


def to_w84(stated: StatedBand, footprint: Footprint, models: HeightModels) -> AltitudeBand:
    """The band above the WGS 84 ellipsoid that holds every height the stated band may
    mean over the footprint (see the module's docstring), with `stated` kept. Problems
    are located at `altitude_lower_reference` or `altitude_upper_reference`; a missing
    model raises Unconvertible."""
    if stated.plain:
        return AltitudeBand(stated.lower_m, stated.upper_m)
    ranges = _Ranges(footprint, models)
    problems: list[tuple[Loc, str]] = []
    limits: list[float] = []
    for side, value_m, reference in (
        ("lower", stated.lower_m, stated.lower_reference),
        ("upper", stated.upper_m, stated.upper_reference),
    ):
        try:
            limits.append(
                _limit(value_m, reference, ranges, side == "lower", (f"altitude_{side}_reference",))
            )
        except Unconvertible as e:
            problems.extend(e.problems)
    if problems:
        raise Unconvertible(problems)
    lower_m, upper_m = limits
    for side, value_m in (("lower", lower_m), ("upper", upper_m)):
        if not LOWEST_ALTITUDE_M <= value_m <= HIGHEST_ALTITUDE_M:
            raise InvalidInput.at(
                (f"altitude_{side}_m",),
                f"the {side} limit is {value_m:.1f} m above WGS 84 once converted: outside "
                f"{LOWEST_ALTITUDE_M:.0f} to {HIGHEST_ALTITUDE_M:.0f} m",
            )
    if lower_m >= upper_m:
        raise InvalidInput.at(
            ("altitude_upper_m",),
            f"the upper limit ({upper_m:.1f} m above WGS 84 once converted) must be above "
            f"the lower limit ({lower_m:.1f} m)",
        )
    return AltitudeBand(lower_m, upper_m, stated=stated)
