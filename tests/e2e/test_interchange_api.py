"""`POST /v1/zones:import`, `GET /v1/zones:export` and `GET /v1/operations:export`
through HTTP: content types, dry runs, refusals, need-to-know."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from httpx import Response

from deconflict.adapters import interchange
from tests.conftest import Auth

DATA = Path(__file__).resolve().parents[1] / "data" / "interchange"
KML = "application/vnd.google-earth.kml+xml"
NewParty = Callable[..., str]


def _post(
    client: TestClient, headers: dict[str, str], name: str, media: str, query: str = ""
) -> Response:
    return client.post(
        f"/v1/zones:import{query}",
        content=(DATA / name).read_bytes(),
        headers={**headers, "content-type": media},
    )


def _own(client: TestClient, headers: dict[str, str], party: str) -> list[dict[str, object]]:
    response = client.get("/v1/zones?limit=500", headers=headers)
    assert response.status_code == 200, response.text
    return [z for z in response.json() if z["party_id"] == party]


@pytest.mark.parametrize(
    ("name", "media", "created"),
    [
        ("ed269_catalogue.json", "application/json", 5),
        ("zones.geojson", "application/geo+json", 5),
        ("zones.kml", KML, 4),
        ("zones.kml", "text/xml; charset=utf-8", 4),
    ],
)
def test_an_admin_imports_a_file_and_gets_the_plan(
    client: TestClient, auth: Auth, new_party: NewParty, name: str, media: str, created: int
) -> None:
    party = new_party("authority")
    admin = auth(party, "admin")
    response = _post(client, admin, name, media)
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["applied"] is True
    assert plan["counts"]["created"] == created
    assert len(_own(client, admin, party)) == created
    again = _post(client, admin, name, media).json()
    assert again["counts"]["unchanged"] == created
    assert again["counts"]["created"] == 0


def test_a_dry_run_answers_the_plan_and_stores_nothing(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("authority")
    admin = auth(party, "admin")
    response = _post(client, admin, "zones.geojson", "application/geo+json", "?dry_run=true")
    assert response.status_code == 200, response.text
    assert response.json()["dry_run"] is True
    assert response.json()["applied"] is False
    assert _own(client, admin, party) == []


def test_a_broken_file_is_422_naming_the_feature_and_field(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("authority")
    admin = auth(party, "admin")
    response = _post(client, admin, "broken/ed269_wrong_types.json", "application/json")
    assert response.status_code == 422, response.text
    first = response.json()["errors"][0]
    assert first["loc"] == ["body", "features", 0, "geometry", 0, "lowerLimit"]
    assert "feature 'VLR-B01'" in first["msg"]
    assert _own(client, admin, party) == []


def test_unrepresentable_zones_are_422_with_the_plan_unless_skipped(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("authority")
    admin = auth(party, "admin")
    refused = _post(client, admin, "ed269_unrepresentable.json", "application/json")
    assert refused.status_code == 422, refused.text
    body = refused.json()
    assert body["plan"]["counts"]["refused"] == 4
    assert ["body", "features", 0, "geometry", 0, "lowerVerticalReference"] in [
        e["loc"] for e in body["errors"]
    ]
    assert _own(client, admin, party) == []
    skipped = _post(
        client, admin, "ed269_unrepresentable.json", "application/json", "?skip_refused=true"
    )
    assert skipped.status_code == 200, skipped.text
    assert sorted(z["name"] for z in _own(client, admin, party)) == ["Fuel depot", "Radio mast"]


def test_an_unknown_content_type_is_415(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    admin = auth(new_party("authority"), "admin")
    response = _post(client, admin, "zones.geojson", "text/plain")
    assert response.status_code == 415
    assert "application/geo+json" in response.json()["detail"]


def test_importing_needs_the_admin_role(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("operator")
    response = _post(client, auth(party, "submitter"), "zones.kml", KML)
    assert response.status_code == 403


@pytest.mark.parametrize(
    ("fmt", "media"),
    [("ed269", "application/json"), ("geojson", "application/geo+json"), ("kml", KML)],
)
def test_an_export_holds_the_callers_own_zones_only(
    client: TestClient, auth: Auth, new_party: NewParty, fmt: str, media: str
) -> None:
    owner, partner = new_party("owner"), new_party("partner")
    proposal = client.post(
        "/v1/agreements",
        json={"kind": "coordination", "partner_party_id": partner},
        headers=auth(owner, "admin"),
    )
    assert proposal.status_code == 201, proposal.text
    accepted = client.post(
        f"/v1/agreements/{proposal.json()['id']}/accept", headers=auth(partner, "admin")
    )
    assert accepted.status_code == 200, accepted.text
    assert (
        _post(client, auth(partner, "admin"), "zones.geojson", "application/geo+json").status_code
        == 200
    )
    assert _post(client, auth(owner, "admin"), "zones.kml", KML).status_code == 200
    observer = auth(owner, "observer")
    listed = client.get("/v1/zones?limit=500", headers=observer).json()
    assert partner in {z["party_id"] for z in listed}  # the owner may list the partner's zones
    response = client.get(f"/v1/zones:export?format={fmt}", headers=observer)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith(media)
    assert "attachment" in response.headers["content-disposition"]
    parsed = interchange.read_zones(response.content)
    assert {d.source_id for d in parsed.drafts} == {
        "VLR-K30",
        "VLR-K31#1",
        "VLR-K31#2",
        "Signal hill mast",
    }


def test_an_unknown_export_format_is_422(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    response = client.get(
        "/v1/zones:export?format=shapefile", headers=auth(new_party("x"), "observer")
    )
    assert response.status_code == 422


def test_operations_export_is_the_callers_operations(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    party = new_party("operator")
    response = client.get("/v1/operations:export?format=geojson", headers=auth(party, "observer"))
    assert response.status_code == 200, response.text
    assert json.loads(response.content) == {"type": "FeatureCollection", "features": []}
    kml = client.get("/v1/operations:export?format=kml", headers=auth(party, "observer"))
    assert kml.status_code == 200
    assert kml.text.startswith("<?xml")
