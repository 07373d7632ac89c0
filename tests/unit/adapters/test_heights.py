"""The height models against independently published values: the EGM96 geoid (PROJ's
egm96_15.gtx through pyproj) and the fictional terrain model of the Isle of Veloria.

The geoid is checked at points whose EGM96 undulations others published:

- NGA's EGM96 package (readme of WW15MGH.GRD, the sample output OUTINTPT.DAT of its
  INTPT.F interpolation program): six points.
- GeographicLib's GeoidEval (C. Karney, announcing it on the PROJ mailing list, 2009):
  Timbuktu, 16d46'33"N 3d00'34"W, 28.7068 m.

NGA and GeographicLib interpolate with splines, PROJ bilinearly: they agree to a few
centimetres at these points. A wrong grid, a flipped sign or swapped axes would be off by
metres to tens of metres.
"""

from __future__ import annotations

import math
import random
from pathlib import Path

import pytest
import rasterio
from affine import Affine
from pyproj import Transformer
from rasterio.warp import Resampling, reproject
from shapely.geometry import Point as ShapelyPoint
from shapely.geometry import Polygon as ShapelyPolygon

from deconflict.adapters.heights import (
    GEOID_INTERPOLATION_ERROR_M,
    Egm96Geoid,
    GeoTiffTerrain,
    _find_grid,
    _outline,
    height_models,
)
from deconflict.adapters.projection import local_frame
from deconflict.domain.errors import InvalidInput
from deconflict.domain.volumes import AltitudeReference, Circle, Footprint, LatLng, Polygon

ROOT = Path(__file__).resolve().parents[3]
DEM = ROOT / "data" / "terrain" / "veloria.tif"

#: (latitude, longitude east 0..360, undulation m): NGA, EGM96 readme, OUTINTPT.DAT.
NGA_OUTINTPT = [
    (38.6281550, 269.7791550, -31.628),
    (-14.6212170, 305.0211140, -2.969),
    (46.8743190, 102.4487290, -43.575),
    (-23.6174460, 133.8747120, 15.871),
    (38.6254730, 359.9995000, 50.066),
    (-0.4667440, 0.0023000, 17.329),
]
#: GeographicLib GeoidEval, egm96-5: Timbuktu.
TIMBUKTU = (16 + 46 / 60 + 33 / 3600, -(3 + 34 / 3600), 28.7068)
#: How far PROJ's bilinear interpolation may lie from the published spline values here.
AGREEMENT_M = 0.1


@pytest.fixture(scope="module")
def geoid() -> Egm96Geoid:
    grid = _find_grid(None)
    assert grid is not None, "egm96_15.gtx is missing: install Debian's proj-data (scripts/geoid)"
    return Egm96Geoid(grid)


@pytest.fixture(scope="module")
def terrain() -> GeoTiffTerrain:
    return GeoTiffTerrain(DEM, 5.0, AltitudeReference.AMSL)


def _east(lng_0_360: float) -> float:
    return (lng_0_360 + 180.0) % 360.0 - 180.0


@pytest.mark.parametrize(("lat", "lng", "published_m"), [*NGA_OUTINTPT, TIMBUKTU])
def test_the_geoid_matches_published_egm96_undulations(
    geoid: Egm96Geoid, lat: float, lng: float, published_m: float
) -> None:
    assert geoid.undulation_m(lat, _east(lng)) == pytest.approx(published_m, abs=AGREEMENT_M)


@pytest.mark.parametrize(("lat", "lng", "published_m"), [*NGA_OUTINTPT, TIMBUKTU])
def test_the_range_over_a_footprint_with_its_margin_holds_the_published_value(
    geoid: Egm96Geoid, lat: float, lng: float, published_m: float
) -> None:
    low, high = geoid.undulation_range_m(Circle(LatLng(lat, _east(lng)), 200.0))
    error = GEOID_INTERPOLATION_ERROR_M
    assert low - error <= published_m <= high + error
    assert high - low < 0.2  # the footprint's own range, not its cells' corners


def _inside(footprint: Footprint, n: int, seed: int) -> list[LatLng]:
    """`n` random points inside the footprint, drawn in its local frame."""
    center = footprint.center if isinstance(footprint, Circle) else footprint.exterior[0]
    frame = local_frame(center)
    if isinstance(footprint, Circle):
        shape = ShapelyPoint(0, 0).buffer(footprint.radius_m, 64)
    else:
        xs, ys = frame.to_xy(
            [p.lng for p in footprint.exterior], [p.lat for p in footprint.exterior]
        )
        shape = ShapelyPolygon(list(zip(xs, ys, strict=True)))
    rng = random.Random(seed)
    left, bottom, right, top = shape.bounds
    points: list[LatLng] = []
    while len(points) < n:
        x, y = rng.uniform(left, right), rng.uniform(bottom, top)
        if shape.contains(ShapelyPoint(x, y)):
            lngs, lats = frame.to_lnglat([x], [y])
            points.append(LatLng(float(lats[0]), _east(float(lngs[0]))))
    return points


FOOTPRINTS = [
    pytest.param(Circle(LatLng(-29.95, -139.92), 20_000.0), id="circle-veloria"),
    pytest.param(
        Polygon(
            (LatLng(46.5, 102.0), LatLng(46.5, 103.2), LatLng(47.3, 103.0), LatLng(47.2, 102.1))
        ),
        id="polygon-mongolia",
    ),
    pytest.param(
        Polygon(
            (
                LatLng(-16.9, 179.8),
                LatLng(-16.9, -179.7),
                LatLng(-16.5, -179.8),
                LatLng(-16.4, 179.9),
            )
        ),
        id="polygon-across-the-antimeridian",
    ),
    pytest.param(Circle(LatLng(89.9, 45.0), 30_000.0), id="circle-around-the-north-pole"),
]


@pytest.mark.parametrize("footprint", FOOTPRINTS)
def test_no_point_of_a_footprint_lies_outside_its_geoid_range(
    geoid: Egm96Geoid, footprint: Footprint
) -> None:
    low, high = geoid.undulation_range_m(footprint)
    points = _inside(footprint, 300, seed=7)
    values = geoid.undulations_m([p.lat for p in points], [p.lng for p in points])
    assert low <= min(values) <= max(values) <= high
    # and the range is the footprint's, not the world's (EGM96 spans -107 m to +86 m)
    assert high - low < 40.0


def test_a_footprint_around_a_pole_reaches_the_pole(geoid: Egm96Geoid) -> None:
    circle = Circle(LatLng(89.9, 45.0), 30_000.0)
    assert (_outline(circle).north, _outline(circle).south) == (True, False)
    low, high = geoid.undulation_range_m(circle)
    assert low <= geoid.undulation_m(90.0, 0.0) <= high
    ring = Polygon((LatLng(-80, -120), LatLng(-80, 0), LatLng(-80, 120)))
    assert (_outline(ring).north, _outline(ring).south) == (False, True)
    low, high = geoid.undulation_range_m(ring)
    assert low <= geoid.undulation_m(-90.0, 0.0) <= high


def test_a_circle_over_the_whole_earth_spans_the_whole_geoid(geoid: Egm96Geoid) -> None:
    """EGM96 on its 15' grid runs from -106.99 m (4.75N 78.75E, south of Sri Lanka) to
    +85.39 m (New Guinea)."""
    low, high = geoid.undulation_range_m(Circle(LatLng(0.0, 0.0), 20_000_000.0))
    assert (low, high) == pytest.approx((-106.99, 85.39), abs=0.01)


# ---- terrain ----------------------------------------------------------------------


def _sampled(points: list[LatLng]) -> list[float]:
    """The DEM's cells under each point, read by rasterio directly."""
    with rasterio.open(DEM) as ds:
        return [float(v[0]) for v in ds.sample([(p.lng, p.lat) for p in points])]


TERRAIN_FOOTPRINTS = [
    pytest.param(Circle(LatLng(-29.98, -140.03), 1_500.0), id="around-the-peak"),
    pytest.param(Circle(LatLng(-29.94, -139.85), 800.0), id="kestrel-rock"),
    pytest.param(
        Polygon((LatLng(-30.05, -140.10), LatLng(-30.05, -139.95), LatLng(-29.92, -139.97))),
        id="polygon-over-coast-and-sea",
    ),
]


@pytest.mark.parametrize("footprint", TERRAIN_FOOTPRINTS)
def test_no_ground_under_a_footprint_lies_outside_its_terrain_range(
    terrain: GeoTiffTerrain, footprint: Footprint
) -> None:
    low, high = terrain.height_range_m(footprint)
    ground = _sampled(_inside(footprint, 400, seed=11))
    assert low <= min(ground) <= max(ground) <= high


def test_the_terrain_range_around_the_peak_reaches_its_height(terrain: GeoTiffTerrain) -> None:
    """The script draws a 612 m dome on a 4 m island (scripts/make_terrain.py): the cell
    nearest the peak is within a few metres of 616 m."""
    _, high = terrain.height_range_m(Circle(LatLng(-29.98, -140.03), 500.0))
    assert 610.0 < high <= 616.0
    assert terrain.height_range_m(Circle(LatLng(-29.83, -140.2), 1_000.0)) == (0.0, 0.0)  # sea


def test_a_footprint_the_terrain_model_does_not_cover_is_refused(terrain: GeoTiffTerrain) -> None:
    with pytest.raises(InvalidInput, match="does not cover the whole footprint"):
        terrain.height_range_m(Circle(LatLng(-29.81, -139.76), 5_000.0))


def test_a_configured_terrain_model_needs_its_accuracy() -> None:
    with pytest.raises(ValueError, match="DECONFLICT_TERRAIN_ACCURACY_M"):
        height_models(None, DEM, None, "AMSL")


def test_a_terrain_file_that_is_no_raster_stops_the_start(tmp_path: Path) -> None:
    broken = tmp_path / "dem.tif"
    broken.write_text("not a GeoTIFF")
    with pytest.raises(ValueError, match="cannot be read"):
        height_models(None, broken, 5.0, "AMSL")


def test_the_circle_outline_holds_the_whole_circle() -> None:
    circle = Circle(LatLng(-29.95, -139.92), 1_000.0)
    points = _outline(circle).points
    frame = local_frame(circle.center)
    xs, ys = frame.to_xy([p[0] for p in points], [p[1] for p in points])
    inradius = min(
        math.hypot(x, y) * math.cos(math.pi / len(points)) for x, y in zip(xs, ys, strict=True)
    )
    assert inradius >= circle.radius_m * (1 - 1e-6)


def test_a_terrain_model_in_a_projected_crs_answers_like_the_same_in_degrees(
    terrain: GeoTiffTerrain, tmp_path: Path
) -> None:
    """The Isle of Veloria's DEM warped to UTM zone 7 South (100 m cells, each the highest
    of the cells it covers: resampling must not shave the peak)."""
    utm = tmp_path / "veloria-utm.tif"
    with rasterio.open(DEM) as src:
        to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32707", always_xy=True)
        left, bottom, right, top = to_utm.transform_bounds(*src.bounds)
        width, height = math.ceil((right - left) / 100), math.ceil((top - bottom) / 100)
        transform = Affine(100.0, 0.0, left, 0.0, -100.0, top)
        profile = {**src.profile, "crs": "EPSG:32707", "transform": transform}
        with rasterio.open(utm, "w", **{**profile, "width": width, "height": height}) as dst:
            reproject(
                rasterio.band(src, 1),
                rasterio.band(dst, 1),
                dst_transform=transform,
                dst_crs="EPSG:32707",
                resampling=Resampling.max,
            )
    projected = GeoTiffTerrain(utm, 5.0, AltitudeReference.AMSL)
    for footprint in (
        Circle(LatLng(-29.98, -140.03), 1_500.0),
        Polygon((LatLng(-30.05, -140.10), LatLng(-30.05, -139.95), LatLng(-29.92, -139.97))),
    ):
        degrees, metres = terrain.height_range_m(footprint), projected.height_range_m(footprint)
        # cells of 100 m against 200 m, on slopes of up to 7 %
        assert metres == pytest.approx(degrees, abs=15.0)
