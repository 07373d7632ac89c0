"""AMSL and AGL heights through the API, on a deployment with the EGM96 geoid and the
fictional terrain model of the Isle of Veloria, on SQLite and PostgreSQL: volumes and
zones are stored above WGS 84, conflicts are found where the stated heights put them,
and exports give back what was stated."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from deconflict.adapters.heights import GEOID_INTERPOLATION_ERROR_M, Egm96Geoid, _find_grid
from deconflict.config import Settings
from tests.conftest import Auth

from .helpers import (
    assert_problem,
    circle_volume,
    f3548_volume,
    operation,
    spot,
    square_volume,
)

DEM = Path(__file__).resolve().parents[2] / "data" / "terrain" / "veloria.tif"
ACCURACY_M = 5.0
#: Mount Calder, the fictional DEM's peak (scripts/make_terrain.py): ground up to 616 m.
PEAK = (-29.98, -140.03)
NewParty = Callable[[str], str]


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        dispatch_in_process=False,
        deadline_interval_s=0,
        terrain_file=DEM,
        terrain_accuracy_m=ACCURACY_M,
    )


@pytest.fixture(scope="module")
def geoid() -> Egm96Geoid:
    grid = _find_grid(None)
    assert grid is not None
    return Egm96Geoid(grid)


def _amsl(volume: dict[str, object]) -> dict[str, object]:
    return {**volume, "altitude_reference": "AMSL"}


def test_an_amsl_volume_is_stored_above_wgs84_with_the_margins_and_exported_as_stated(
    client: TestClient, auth: Auth, new_party: NewParty, geoid: Egm96Geoid
) -> None:
    submitter = auth(new_party("amsl"))
    lat, lng = spot()
    created = client.post(
        "/v1/operations",
        json=operation(_amsl(square_volume(lat, lng, lower=100.0, upper=200.0))),
        headers=submitter,
    )
    assert created.status_code == 201, created.text
    [volume] = created.json()["volumes"]
    assert volume["altitude_reference"] == "W84"
    n = geoid.undulation_m(lat + 0.005, lng + 0.005)  # the square's middle
    error = GEOID_INTERPOLATION_ERROR_M
    # grown by the interpolation error at least, and by the geoid's range over the
    # square (one or two 15' cells) at most
    assert 100.0 + n - error - 5.0 < volume["altitude_lower_m"] <= 100.0 + n - error
    assert 200.0 + n + error <= volume["altitude_upper_m"] < 200.0 + n + error + 5.0

    stored = client.get(f"/v1/operations/{created.json()['id']}", headers=submitter).json()
    assert stored["volumes"] == created.json()["volumes"]

    exported = client.get("/v1/operations:export?format=geojson", headers=submitter)
    assert exported.status_code == 200, exported.text
    [feature] = exported.json()["features"]
    props = feature["properties"]
    assert (props["altitude_lower_m"], props["altitude_upper_m"]) == (100.0, 200.0)
    assert props["altitude_reference"] == "AMSL"


def test_an_agl_zone_on_the_island_binds_operations_above_the_ground_not_the_ellipsoid(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    """A zone 0-120 m above the ground around a 616 m peak reaches some 730 m above the
    ellipsoid: a partner's operation at 650-700 m there meets it, one at 800 m does not."""
    authority_id, operator_id = new_party("authority"), new_party("operator")
    authority, operator = auth(authority_id, "admin"), auth(operator_id, "admin", "submitter")
    proposed = client.post(
        "/v1/agreements",
        json={"kind": "deconfliction", "partner_party_id": authority_id},
        headers=operator,
    )
    assert proposed.status_code == 201, proposed.text
    accepted = client.post(f"/v1/agreements/{proposed.json()['id']}/accept", headers=authority)
    assert accepted.status_code == 200, accepted.text
    body = {
        "kind": "notify",
        "name": "Mount Calder summit",
        "footprint": {
            "type": "circle",
            "center": {"lat": PEAK[0], "lng": PEAK[1]},
            "radius_m": 400,
        },
        "altitude_lower_m": 0,
        "altitude_upper_m": 120,
        "altitude_reference": "AGL",
    }
    created = client.post("/v1/zones", json=body, headers=authority)
    assert created.status_code == 201, created.text
    zone = created.json()
    assert zone["altitude_reference"] == "W84"
    assert 120 + 610 + ACCURACY_M - 10 < zone["altitude_upper_m"] < 120 + 616 + ACCURACY_M

    def meets(lower: float, upper: float) -> bool:
        volume = circle_volume(*PEAK, radius_m=100.0, lower=lower, upper=upper)
        check = client.post("/v1/checks", json={"volumes": [volume]}, headers=operator)
        assert check.status_code == 200, check.text
        return zone["id"] in [c["with"]["id"] for c in check.json()["conflicts"]]

    assert meets(650.0, 700.0)
    assert not meets(800.0, 850.0)

    exported = client.get("/v1/zones:export?format=ed269", headers=authority)
    [limits] = [f["geometry"][0] for f in json.loads(exported.text)["features"]]
    assert {k: v for k, v in limits.items() if k != "horizontalProjection"} == {
        "uomDimensions": "M",
        "lowerLimit": 0,
        "lowerVerticalReference": "AGL",
        "upperLimit": 120,
        "upperVerticalReference": "AGL",
    }


def test_an_f3548_volume_may_give_each_limit_its_own_reference(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    submitter = auth(new_party("f3548"))
    volume = f3548_volume(circle=(*PEAK, 300.0), lower=30.0, upper=900.0)
    volume["volume"]["altitude_lower"]["reference"] = "AGL"
    volume["volume"]["altitude_upper"]["reference"] = "AMSL"
    created = client.post("/v1/operations", json=operation(volume), headers=submitter)
    assert created.status_code == 201, created.text
    [stored] = created.json()["volumes"]
    # 30 m above the lowest ground of the circle (a few hundred metres up the peak)
    assert 300.0 < stored["altitude_lower_m"] < 650.0
    exported = client.get("/v1/operations:export?format=geojson", headers=submitter).json()
    [feature] = exported["features"]
    assert {k: v for k, v in feature["properties"].items() if k.startswith("altitude")} == {
        "altitude_lower_m": 30.0,
        "altitude_lower_reference": "AGL",
        "altitude_upper_m": 900.0,
        "altitude_upper_reference": "AMSL",
    }


def test_agl_beyond_the_terrain_model_is_refused_at_the_reference(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    submitter = auth(new_party("far"))
    lat, lng = spot()
    volume = {**square_volume(lat, lng), "altitude_reference": "AGL"}
    response = client.post("/v1/checks", json={"volumes": [volume]}, headers=submitter)
    assert_problem(
        response, ["body", "volumes", 0, "altitude_reference"], "does not cover the whole footprint"
    )


def test_a_limit_the_conversion_pushes_below_the_lowest_altitude_is_refused_where_sent(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    """Mean sea level lies 8.8 m below the ellipsoid off the Isle of Veloria."""
    submitter = auth(new_party("deep"))
    volume = f3548_volume(circle=(-29.5, -139.5, 300.0), lower=-8000.0, upper=100.0)
    for side in ("altitude_lower", "altitude_upper"):
        volume["volume"][side]["reference"] = "AMSL"
    response = client.post("/v1/checks", json={"volumes": [volume]}, headers=submitter)
    assert_problem(
        response,
        ["body", "volumes", 0, "volume", "altitude_lower", "value"],
        "once converted: outside -8000 to 100000 m",
    )
