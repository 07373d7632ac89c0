"""Volumes stated in AMSL or AGL, converted to heights above the WGS 84 ellipsoid.

The one entry point for every edge that accepts stated heights (the native API, F3548
`Altitude.reference`, `deconflict check`): `to_w84` returns the volumes that deconflict
compares, each band keeping what was stated (`AltitudeBand.stated`) so that it can be
given back. Imports convert their zones in `services.interchange`.
"""

from __future__ import annotations

from collections.abc import Sequence

from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.geometry import check_footprint
from deconflict.domain.heights import StatedVolume, Unconvertible
from deconflict.domain.heights import to_w84 as band_to_w84
from deconflict.domain.volumes import AltitudeBand, Footprint, StatedBand, Volume4D

from .context import ServiceContext

__all__ = ["StatedVolume", "Unconvertible", "to_w84", "zone_band_to_w84"]


def _converted(ctx: ServiceContext, footprint: Footprint, stated: StatedBand) -> AltitudeBand:
    """The band above WGS 84; a footprint is checked against the limits before the models
    are asked about it, so that no request makes them work over half the Earth."""
    if not stated.plain:
        check_footprint(footprint, ctx.frames, ctx.limits.footprint)
    return band_to_w84(stated, footprint, ctx.heights)


def to_w84(ctx: ServiceContext, volumes: Sequence[StatedVolume]) -> tuple[Volume4D, ...]:
    """The volumes with their bands above WGS 84, converted conservatively (the band only
    grows: by the geoid's range over the footprint and its grid's interpolation error for
    AMSL, by the terrain's range under it and the model's accuracy for AGL).

    All problems at once, located at `("volumes", <index>, <field>)` like the services'
    own checks: `altitude_lower_reference` or `altitude_upper_reference` when a model is
    missing or does not cover the footprint (raised as Unconvertible if that is all),
    `altitude_upper_m` when the converted band is empty, `footprint...` when a footprint
    to convert is outside the limits; `("volumes",)` for too many volumes. Callers: the
    native API's volume converters (`POST /v1/checks`, `/v1/operations`,
    `PUT /v1/operations/{id}`, decisions' proposals), `deconflict check`; the F3548 API.
    """
    if len(volumes) > ctx.limits.max_volumes:
        raise InvalidInput.at(
            ("volumes",),
            f"{len(volumes)} volumes exceed the maximum of {ctx.limits.max_volumes}",
        )
    out: list[Volume4D] = []
    problems: list[tuple[Loc, str]] = []
    unconvertible = True
    for i, v in enumerate(volumes):
        try:
            out.append(Volume4D(v.footprint, _converted(ctx, v.footprint, v.altitude), v.time))
        except InvalidInput as e:
            unconvertible = unconvertible and isinstance(e, Unconvertible)
            problems.extend(e.prefixed(("volumes", i)).problems)
    if problems:
        raise (Unconvertible if unconvertible else InvalidInput)(problems)
    return tuple(out)


def zone_band_to_w84(ctx: ServiceContext, footprint: Footprint, stated: StatedBand) -> AltitudeBand:
    """`to_w84` for a zone made through the API (`POST /v1/zones`): problems located at the
    band's fields or the footprint's."""
    return _converted(ctx, footprint, stated)
