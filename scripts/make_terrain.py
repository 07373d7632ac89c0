"""Makes data/terrain/veloria.tif, the fictional terrain model of the demo's Isle of
Veloria (and the tests'): a GeoTIFF DEM in EPSG:4326, 0.002 degree cells (about 200 m),
float32 heights above mean sea level, 0 over the sea. A peak of about 616 m (Mount Calder,
fictional too) rises west of the island's middle; Kestrel Rock stands 38 m.

Run with the project's interpreter: `.venv/bin/python scripts/make_terrain.py`. The
output is deterministic; the file is committed, so this runs only to change it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from shapely import contains_xy
from shapely.geometry import shape

ROOT = Path(__file__).resolve().parent.parent
OUTLINE = ROOT / "src/deconflict/entrypoints/web/data/veloria.geojson"
OUT = ROOT / "data/terrain/veloria.tif"
WEST, NORTH, CELL = -140.25, -29.80, 0.002
COLUMNS, ROWS = 250, 200
PEAK_LNG, PEAK_LAT, PEAK_M, SPREAD_M = -140.03, -29.98, 612.0, 5_000.0
ROCK_M = 38.0
M_PER_DEG = 111_320.0


def main() -> None:
    land = {
        f["properties"]["name"]: shape(f["geometry"])
        for f in json.loads(OUTLINE.read_text())["features"]
        if f["properties"].get("kind") == "land"
    }
    island, rock = land["Isle of Veloria"], land["Kestrel Rock"]
    lngs = WEST + CELL * (np.arange(COLUMNS) + 0.5)
    lats = NORTH - CELL * (np.arange(ROWS) + 0.5)
    x, y = np.meshgrid(lngs, lats)
    east_m = (x - PEAK_LNG) * M_PER_DEG * math.cos(math.radians(PEAK_LAT))
    north_m = (y - PEAK_LAT) * M_PER_DEG
    dome = PEAK_M * np.exp(-(east_m**2 + north_m**2) / (2 * SPREAD_M**2))
    on_island = contains_xy(island, x, y)
    heights = np.where(on_island, 4.0 + dome, 0.0)
    heights = np.where(contains_xy(rock, x, y), ROCK_M, heights).astype("float32")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with rasterio.open(
        OUT,
        "w",
        driver="GTiff",
        width=COLUMNS,
        height=ROWS,
        count=1,
        dtype="float32",
        crs="EPSG:4326",
        transform=from_origin(WEST, NORTH, CELL, CELL),
        nodata=-9999.0,
        compress="deflate",
        predictor=3,
    ) as dst:
        dst.write(heights, 1)
        dst.update_tags(
            DESCRIPTION="Fictional terrain of the Isle of Veloria (deconflict demo and tests)",
            VERTICAL_REFERENCE="EGM96 (mean sea level)",
        )
    print(f"{OUT.relative_to(ROOT)}: {heights.max():.1f} m highest, {OUT.stat().st_size} bytes")


if __name__ == "__main__":
    main()
