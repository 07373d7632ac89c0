"""Local metric frames from pyproj: azimuthal equidistant around a point on WGS 84.

Building a pyproj pipeline costs ~0.1 ms, so frames are cached by their centre rounded
to 0.01 degree: moving the centre by a kilometre changes distances inside a footprint by
far less than a millimetre at these scales.
"""

from __future__ import annotations

from functools import lru_cache

from pyproj import Transformer

from deconflict.domain.geometry import Coords
from deconflict.domain.volumes import LatLng


class AeqdFrame:
    """Implements `domain.geometry.LocalFrame` with a pyproj transformer."""

    __slots__ = ("_transformer",)

    def __init__(self, lat0: float, lng0: float) -> None:
        self._transformer = Transformer.from_pipeline(
            "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
            f"+step +proj=aeqd +lat_0={lat0} +lon_0={lng0} +ellps=WGS84"
        )

    def to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        xs, ys = self._transformer.transform(lngs, lats)
        return xs, ys

    def to_lnglat(self, xs: Coords, ys: Coords) -> tuple[Coords, Coords]:
        lngs, lats = self._transformer.transform(xs, ys, direction="INVERSE")
        return lngs, lats


@lru_cache(maxsize=8192)
def _frame(lat0: float, lng0: float) -> AeqdFrame:
    return AeqdFrame(lat0, lng0)


def local_frame(center: LatLng) -> AeqdFrame:
    """The (cached) local frame around `center`: the production `FrameFactory`."""
    return _frame(round(center.lat, 2), round(center.lng, 2))
