"""Local metric frames from pyproj: azimuthal equidistant around a point on WGS 84.

Building a pyproj pipeline costs ~0.1 ms, so frames are cached by their centre rounded
to 0.01 degree: moving the centre by a kilometre changes distances inside a footprint by
far less than a millimetre at these scales.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

import numpy as np
from pyproj import Geod, Transformer

from deconflict.domain.geometry import GEODESIC_TOLERANCE_M, Coords
from deconflict.domain.volumes import LatLng

GEOD = Geod(ellps="WGS84")
#: Below the Earth's smallest radius of curvature: the bulge estimate errs high.
_R_MIN_M = 6.3e6
#: Where along an edge its bulge is measured (a curve can bend both ways).
_PROBES = (0.25, 0.5, 0.75)


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

    def ring_to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        """See `domain.geometry.LocalFrame.ring_to_xy`.

        The image of a geodesic bulges from its chord by about chord² x r / (12 R²) at
        distance r from the centre. Edges whose generous estimate of that stays under a
        quarter of the tolerance are taken as chords (all the edges of a footprint a few
        kilometres across). The others are measured at three points along the geodesic
        and cut into n equal geodesic pieces, n enough for each piece to bulge at most
        half the tolerance (the bulge shrinks with the square of the length). Each edge
        is measured and cut from its lesser end, so two rings sharing an edge get the
        very same points in a frame."""
        xs, ys = self.to_xy(lngs, lats)
        x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        x_next, y_next = np.concatenate((x[1:], x[:1])), np.concatenate((y[1:], y[:1]))
        chord2 = (x_next - x) ** 2 + (y_next - y) ** 2
        # Most rings are settled at once: their longest edge at their farthest vertex.
        longest = math.sqrt(float(chord2.max()))
        farthest = math.sqrt(float((x * x + y * y).max()))
        bound = 6 * _R_MIN_M**2 * GEODESIC_TOLERANCE_M / 4
        if longest**2 * (farthest + longest) <= bound:
            return xs, ys
        nxt = np.roll(np.arange(len(x)), -1)
        reach = np.maximum(np.hypot(x, y), np.hypot(x_next, y_next)) + np.sqrt(chord2)
        long_edges = np.nonzero(chord2 * reach > bound)[0]
        if len(long_edges) == 0:
            return xs, ys
        lng = np.asarray(lngs, dtype=float)
        lat = np.asarray(lats, dtype=float)
        pieces = self._pieces(lng, lat, x, y, long_edges, nxt[long_edges])
        out_x: list[float] = []
        out_y: list[float] = []
        inserted = dict(zip(long_edges.tolist(), pieces, strict=True))
        for i in range(len(x)):
            out_x.append(float(x[i]))
            out_y.append(float(y[i]))
            extra = inserted.get(i)
            if extra is not None:
                out_x.extend(extra[0])
                out_y.extend(extra[1])
        return out_x, out_y

    def rings_to_xy_many(
        self, lngs: Coords, lats: Coords, sizes: Sequence[int]
    ) -> tuple[Coords, list[int]]:
        """See `domain.geometry.RingsFrame.rings_to_xy_many`: `ring_to_xy` of several rings
        (their vertices concatenated, `sizes` giving each ring's count) in one projection.

        A ring that `ring_to_xy` would give back unchanged (its quick test below is the
        same arithmetic) is taken from the one projection; the others are passed to
        `ring_to_xy` itself, so each ring comes out exactly as `ring_to_xy` gives it."""
        if not sizes:
            return np.empty((0, 2)), []
        xs, ys = self.to_xy(lngs, lats)
        x, y = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        ends = np.cumsum(np.asarray(sizes, dtype=np.intp))
        starts = ends - np.asarray(sizes, dtype=np.intp)
        # Each vertex's successor within its ring (the last one's is the ring's first).
        nxt = np.arange(1, len(x) + 1)
        nxt[ends - 1] = starts
        chord2 = (x[nxt] - x) ** 2 + (y[nxt] - y) ** 2
        longest2 = np.maximum.reduceat(chord2, starts).tolist()
        farthest2 = np.maximum.reduceat(x * x + y * y, starts).tolist()
        bound = 6 * _R_MIN_M**2 * GEODESIC_TOLERANCE_M / 4
        redo = []
        for k in range(len(sizes)):
            longest = math.sqrt(longest2[k])
            farthest = math.sqrt(farthest2[k])
            if longest**2 * (farthest + longest) > bound:
                redo.append(k)
        if not redo:
            return np.column_stack((x, y)), list(sizes)
        out_x: list[float] = []
        out_y: list[float] = []
        out_sizes: list[int] = []
        lng, lat = np.asarray(lngs, dtype=float), np.asarray(lats, dtype=float)
        done = 0
        for k in redo:
            s, e = int(starts[k]), int(ends[k])
            out_x.extend(x[done:s].tolist())
            out_y.extend(y[done:s].tolist())
            out_sizes.extend(sizes[len(out_sizes) : k])
            rx, ry = self.ring_to_xy(lng[s:e].tolist(), lat[s:e].tolist())
            out_x.extend(float(v) for v in rx)
            out_y.extend(float(v) for v in ry)
            out_sizes.append(len(rx))
            done = e
        out_x.extend(x[done:].tolist())
        out_y.extend(y[done:].tolist())
        out_sizes.extend(sizes[len(out_sizes) :])
        return np.column_stack((out_x, out_y)), out_sizes

    def _pieces(
        self,
        lng: np.ndarray,
        lat: np.ndarray,
        xs: np.ndarray,
        ys: np.ndarray,
        first: np.ndarray,
        second: np.ndarray,
    ) -> list[tuple[list[float], list[float]] | None]:
        """For each edge first[k] -> second[k], the projected points to insert along it
        (in ring order), or None when its chord is close enough."""
        swap = (lng[first] > lng[second]) | (
            (lng[first] == lng[second]) & (lat[first] > lat[second])
        )
        a = np.where(swap, second, first)
        b = np.where(swap, first, second)
        azimuth, _, length = GEOD.inv(lng[a], lat[a], lng[b], lat[b])
        ax, ay, bx, by = xs[a], ys[a], xs[b], ys[b]
        chord = np.maximum(np.hypot(bx - ax, by - ay), 1e-9)
        bulge = np.zeros(len(a))
        for f in _PROBES:
            plng, plat, _ = GEOD.fwd(lng[a], lat[a], azimuth, length * f)
            px, py = (np.asarray(v, dtype=float) for v in self.to_xy(plng, plat))
            off = np.abs((bx - ax) * (ay - py) - (ax - px) * (by - ay)) / chord
            bulge = np.maximum(bulge, off)
        out: list[tuple[list[float], list[float]] | None] = []
        for k in range(len(a)):
            n = math.ceil(math.sqrt(bulge[k] / (GEODESIC_TOLERANCE_M / 2)))
            if n <= 1:
                out.append(None)
                continue
            points = GEOD.npts(lng[a[k]], lat[a[k]], lng[b[k]], lat[b[k]], n - 1)
            if swap[k]:
                points.reverse()
            px, py = self.to_xy([p[0] for p in points], [p[1] for p in points])
            out.append(([float(x) for x in px], [float(y) for y in py]))
        return out


@lru_cache(maxsize=8192)
def _frame(lat0: float, lng0: float) -> AeqdFrame:
    return AeqdFrame(lat0, lng0)


def local_frame(center: LatLng) -> AeqdFrame:
    """The (cached) local frame around `center`: the production `FrameFactory`."""
    return _frame(round(center.lat, 2), round(center.lng, 2))
