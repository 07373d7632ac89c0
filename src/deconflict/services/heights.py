"""Volumes stated in AMSL or AGL, converted to heights above the WGS 84 ellipsoid.

The one entry point for every edge that accepts stated heights (the native API, F3548
`Altitude.reference`, imports): `to_w84` returns the volumes that deconflict compares,
each band keeping what was stated (`AltitudeBand.stated`) so that it can be given back.
"""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.heights import HeightModels, StatedVolume, Unconvertible, volume_to_w84
from deconflict.domain.volumes import Volume4D

__all__ = ["StatedVolume", "Unconvertible", "to_w84"]


def to_w84(models: HeightModels, volumes: Sequence[StatedVolume]) -> tuple[Volume4D, ...]:
    """The volumes with their bands above WGS 84, converted conservatively (the band only
    grows: by the geoid's range over the footprint and its grid's interpolation error for
    AMSL, by the terrain's range under it and the model's accuracy for AGL).

    All problems at once, located at `(<index>, <field>)`: `altitude_lower_reference`
    or `altitude_upper_reference` when a model is missing or does not cover the footprint
    (raised as Unconvertible if that is all), `altitude_upper_m` when the converted band
    is empty. Callers: the native API's volume converters (`POST /v1/checks`,
    `/v1/operations`, `PUT /v1/operations/{id}`, decisions' proposals), `deconflict check`.
    """
    out: list[Volume4D] = []
    problems: list[tuple[Loc, str]] = []
    unconvertible = True
    for i, volume in enumerate(volumes):
        try:
            out.append(volume_to_w84(volume, models))
        except InvalidInput as e:
            unconvertible = unconvertible and isinstance(e, Unconvertible)
            problems.extend(((i, *loc), msg) for loc, msg in e.problems)
    if problems:
        raise (Unconvertible if unconvertible else InvalidInput)(problems)
    return tuple(out)
