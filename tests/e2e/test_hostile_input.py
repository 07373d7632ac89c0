"""Hostile input that used to reach a 500 (issue 17), on SQLite and PostgreSQL alike:
NUL characters in text, dates at the ends of the calendar in ED-269 files, non-JSON
bodies. Each is refused with a 4xx naming the field, and nothing stored changes."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from fastapi.testclient import TestClient

from deconflict.adapters.tokens import load_or_create_key
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from tests.conftest import Auth

from .helpers import (
    T0,
    T1,
    Json,
    all_pages,
    assert_problem,
    error_body,
    geojson_volume,
    latlngs,
    operation,
    spot,
    square,
    square_volume,
    zone,
)

NewParty = Callable[..., str]
NUL = "\u0000"


def _send(client: TestClient, method: str, path: str, body: Any, headers: dict[str, str]) -> Any:
    return client.request(
        method,
        path,
        content=json.dumps(body),
        headers={**headers, "content-type": "application/json"},
    )


def _ed269(name: str = "Harbour", ident: str = "H-1", **period: Any) -> Json:
    lat, lng = spot()
    ring = [[lng, lat], [lng + 0.01, lat], [lng + 0.01, lat + 0.01], [lng, lat]]
    return {
        "features": [
            {
                "identifier": ident,
                "name": name,
                "restriction": "PROHIBITED",
                "applicability": [period or {"permanent": "YES"}],
                "geometry": [
                    {
                        "uomDimensions": "M",
                        "lowerLimit": 0,
                        "lowerVerticalReference": "WGS84",
                        "upperLimit": 100,
                        "upperVerticalReference": "WGS84",
                        "horizontalProjection": {"type": "Polygon", "coordinates": [ring]},
                    }
                ],
            }
        ]
    }


class World:
    """A party (admin, submitter, reviewer) with one operation, one zone and one
    subscription of its own: what every refused request must leave as it was."""

    def __init__(self, client: TestClient, headers: dict[str, str], party: str) -> None:
        self.client, self.headers, self.party = client, headers, party
        lat, lng = spot()
        self.lat, self.lng = lat, lng
        made = client.post(
            "/v1/operations", json=operation(square_volume(lat, lng)), headers=headers
        )
        assert made.status_code == 201, made.text
        self.operation_id = made.json()["id"]
        zoned = client.post("/v1/zones", json=zone("notify", lat + 1, lng), headers=headers)
        assert zoned.status_code == 201, zoned.text
        self.zone_id = zoned.json()["id"]
        self.before = self.state()

    def state(self) -> Json:
        get = self.client.get
        return {
            "operations": all_pages(self.client, "/v1/operations", self.headers),
            "zones": [
                z
                for z in all_pages(self.client, "/v1/zones", self.headers)
                if z["party_id"] == self.party
            ],
            "subscriptions": get("/v1/subscriptions", headers=self.headers).json(),
            "parties": len(all_pages(self.client, "/v1/parties", self.headers)),
        }

    def assert_unchanged(self) -> None:
        assert self.state() == self.before


@pytest.fixture
def world(client: TestClient, auth: Auth, new_party: NewParty) -> World:
    # An authority: its restricted zones bind every party, as the tests here expect.
    party = new_party("hostile", authority=True)
    return World(client, auth(party, "admin", "submitter", "reviewer"), party)


def _subscription(w: World, **extra: Any) -> Json:
    return {
        "area": {"type": "polygon", "vertices": latlngs(square(w.lat, w.lng))},
        "time_start": T0,
        "time_end": T1,
        **extra,
    }


# (method, path, body given the world, location of the NUL)
NUL_IN_BODIES: list[Any] = [
    pytest.param("POST", "/v1/parties", lambda w: {"name": f"a{NUL}b"}, ["name"], id="party"),
    pytest.param(
        "POST",
        "/v1/operations",
        lambda w: operation(square_volume(w.lat, w.lng), name=f"Survey{NUL}"),
        ["name"],
        id="operation-name",
    ),
    pytest.param(
        "PUT",
        "/v1/operations/{op}",
        lambda w: operation(square_volume(w.lat, w.lng), name=NUL),
        ["name"],
        id="new-version-name",
    ),
    pytest.param(
        "POST",
        "/v1/checks",
        lambda w: {"volumes": [{**square_volume(w.lat, w.lng), "time_start": f"{T0}{NUL}"}]},
        ["volumes", 0, "time_start"],
        id="check-time",
    ),
    pytest.param(
        "POST",
        "/v1/operations",
        lambda w: operation(
            {
                **(v := geojson_volume(corners=square(w.lat, w.lng))),
                "properties": {**v["properties"], "note": f"x{NUL}"},
            }
        ),
        ["volumes", 0, "properties", "note"],
        id="geojson-extra-property",
    ),
    pytest.param(
        "POST",
        "/v1/operations",
        lambda w: {**operation(square_volume(w.lat, w.lng)), f"na{NUL}me": "x"},
        [f"na{NUL}me"],
        id="key",
    ),
    pytest.param(
        "POST",
        "/v1/zones",
        lambda w: zone("notify", w.lat, w.lng, name=f"Zone {NUL}"),
        ["name"],
        id="zone-name",
    ),
    pytest.param(
        "POST",
        "/v1/agreements",
        lambda w: {"kind": "coordination", "partner_party_id": f"p{NUL}"},
        ["partner_party_id"],
        id="agreement-partner",
    ),
    pytest.param(
        "POST",
        "/v1/agreements",
        lambda w: {
            "kind": "coordination",
            "partner_party_id": "someone",
            "review_chain": {"stages": [{"name": NUL, "roles": ["reviewer"]}]},
        },
        ["review_chain", "stages", 0, "name"],
        id="stage-name",
    ),
    pytest.param(
        "POST",
        "/v1/subscriptions",
        lambda w: _subscription(w, webhook_url=f"https://hooks.example.com/{NUL}"),
        ["webhook_url"],
        id="webhook-url",
    ),
    pytest.param(
        "POST",
        "/v1/reviews/{op}/decisions",
        lambda w: {"decision": "reject", "comment": f"no{NUL}"},
        ["comment"],
        id="decision-comment",
    ),
    pytest.param(
        "POST",
        "/v1/notices/{op}/ack",
        lambda w: {"status": "concern", "comment": NUL},
        ["comment"],
        id="ack-comment",
    ),
    pytest.param(
        "POST",
        "/v1/zones:import",
        lambda w: _ed269(name=f"Harbour{NUL}"),
        ["features", 0, "name"],
        id="ed269-name",
    ),
    pytest.param(
        "POST",
        "/v1/zones:import",
        lambda w: {**_ed269(), "title": [1, {"deep": f"{NUL}"}]},
        ["title", 1, "deep"],
        id="ed269-kept-attribute",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "loc"), NUL_IN_BODIES)
def test_a_nul_anywhere_in_a_json_body_is_refused_at_its_field_and_nothing_changes(
    world: World,
    method: str,
    path: str,
    body: Callable[[World], Json],
    loc: list[Any],
) -> None:
    url = path.format(op=world.operation_id)
    response = _send(world.client, method, url, body(world), world.headers)
    assert_problem(response, ["body", *loc], "NUL character")
    world.assert_unchanged()


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/operations/{nul}"),
        ("GET", "/v1/operations/{op}{nul}"),
        ("PUT", "/v1/operations/{nul}"),
        ("POST", "/v1/operations/{nul}/withdraw"),
        ("GET", "/v1/operations/{nul}/history"),
        ("GET", "/v1/operations/{nul}/notices"),
        ("GET", "/v1/operations/{nul}/suggestions"),
        ("POST", "/v1/operations/{op}/suggestions/{nul}/accept"),
        ("GET", "/v1/zones/{zone}{nul}"),
        ("DELETE", "/v1/zones/{zone}{nul}"),
        ("GET", "/v1/agreements/{nul}"),
        ("POST", "/v1/agreements/{nul}/accept"),
        ("GET", "/v1/reviews/{nul}"),
        ("POST", "/v1/reviews/{nul}/decisions"),
        ("POST", "/v1/notices/{nul}/ack"),
        ("GET", "/v1/subscriptions/{nul}"),
        ("DELETE", "/v1/subscriptions/{nul}"),
        ("GET", "/v1/subscriptions/{nul}/deliveries"),
    ],
)
def test_a_nul_in_an_id_of_the_path_is_404_and_nothing_changes(
    world: World, method: str, path: str
) -> None:
    url = path.format(nul="%00", op=world.operation_id, zone=world.zone_id)
    body = {
        "PUT": operation(square_volume(world.lat, world.lng)),
        "POST": {"decision": "approve", "status": "acknowledged"},
    }.get(method)
    response = world.client.request(method, url, json=body, headers=world.headers)
    assert error_body(response, 404)["detail"]
    world.assert_unchanged()


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/v1/audit?object_id=%00", "object_id"),
        ("/v1/audit?object_id=a%00b&limit=5", "object_id"),
        ("/v1/operations?state=approved%00", "state"),
        ("/v1/events?cursor=%00", "cursor"),
        ("/v1/zones:export?format=%00", "format"),
    ],
)
def test_a_nul_in_a_query_parameter_is_refused_at_the_parameter(
    world: World, path: str, name: str
) -> None:
    response = world.client.get(path, headers=world.headers)
    assert_problem(response, ["query", name], "NUL character")


def test_an_escaped_backslash_before_u0000_is_no_nul_and_is_stored_as_sent(world: World) -> None:
    name = "C:\\u0000 survey"  # a backslash, then the six characters u0000
    response = _send(
        world.client,
        "POST",
        "/v1/operations",
        operation(square_volume(world.lat + 0.5, world.lng), name=name),
        world.headers,
    )
    assert response.status_code == 201, response.text
    assert response.json()["name"] == name


def test_a_nul_in_a_kml_file_is_refused_by_the_parser_and_nothing_changes(world: World) -> None:
    kml = (
        '<?xml version="1.0"?><kml xmlns="http://www.opengis.net/kml/2.2"><Document>'
        '<Placemark id="p&#0;"><name>x</name></Placemark></Document></kml>'
    )
    response = world.client.post(
        "/v1/zones:import",
        content=kml.encode(),
        headers={**world.headers, "content-type": "application/vnd.google-earth.kml+xml"},
    )
    assert response.status_code == 422, response.text
    assert error_body(response, 422)["errors"][0]["loc"][0] == "body"
    world.assert_unchanged()


# ---- ED-269 dates at the ends of the calendar ------------------------------------------

DAILY = [{"day": "ANY", "startTime": "08:00Z", "endTime": "10:00Z"}]


@pytest.mark.parametrize(
    ("period", "field", "fragment"),
    [
        pytest.param(
            {"startDateTime": "0001-01-01T00:00:00Z", "endDateTime": "2030-01-01T00:00:00Z"}
            | {"schedule": DAILY},
            "startDateTime",
            "start after 0001-01-03",
            id="schedule-from-year-1",
        ),
        pytest.param(
            {"startDateTime": "0001-01-02T00:00:00Z", "endDateTime": "0001-01-05T00:00:00Z"}
            | {"schedule": [{"day": "ANY", "startTime": "08:00+14:00", "endTime": "10:00-12:00"}]},
            "startDateTime",
            "start after 0001-01-03",
            id="schedule-in-year-1-far-offsets",
        ),
        pytest.param(
            {"startDateTime": "9999-12-30T00:00:00Z", "endDateTime": "9999-12-31T23:00:00Z"}
            | {"schedule": [{"day": "ANY", "startTime": "22:00Z", "endTime": "02:00Z"}]},
            "endDateTime",
            "end before 9999-12-29",
            id="schedule-to-year-9999",
        ),
        pytest.param(
            {"startDateTime": "0001-01-01T00:00:00+01:00", "endDateTime": "2030-01-01T00:00:00Z"},
            "startDateTime",
            "outside the representable times",
            id="before-year-1-in-utc",
        ),
        pytest.param(
            {"startDateTime": "2030-01-01T00:00:00Z", "endDateTime": "9999-12-31T23:59:59-01:00"},
            "endDateTime",
            "outside the representable times",
            id="after-year-9999-in-utc",
        ),
    ],
)
def test_an_ed269_period_at_the_ends_of_the_calendar_is_refused_at_its_feature_and_field(
    world: World, period: Json, field: str, fragment: str
) -> None:
    response = _send(
        world.client,
        "POST",
        "/v1/zones:import",
        _ed269(ident="EDGE-1", permanent="NO", **period),
        world.headers,
    )
    assert_problem(response, ["body", "features", 0, "applicability", 0, field], fragment)
    assert "feature 'EDGE-1'" in response.json()["errors"][0]["msg"]
    world.assert_unchanged()


def test_an_ed269_period_from_year_1_without_a_schedule_is_imported_and_checked_against(
    world: World, auth: Auth, new_party: NewParty
) -> None:
    period = {"startDateTime": "0001-01-01T00:00:00Z", "endDateTime": "9999-12-30T00:00:00Z"}
    document = _ed269(ident="OLD-1", permanent="NO", **period)
    imported = _send(world.client, "POST", "/v1/zones:import", document, world.headers)
    assert imported.status_code == 200, imported.text
    exported = world.client.get("/v1/zones:export?format=ed269", headers=world.headers)
    [feature] = [f for f in exported.json()["features"] if f["identifier"] == "OLD-1"]
    assert feature["applicability"] == [{"permanent": "NO", **period}]
    ring = document["features"][0]["geometry"][0]["horizontalProjection"]["coordinates"][0]
    (lng, lat) = ring[0]
    check = world.client.post(
        "/v1/checks",
        json={"volumes": [square_volume(lat + 0.002, lng + 0.002)]},
        headers=auth(new_party("neighbour")),
    )
    assert check.status_code == 200, check.text
    assert [c["kind"] for c in check.json()["conflicts"]] == ["restricted_zone"]


# ---- tokens ------------------------------------------------------------------------------


def _local_token(container: Container, **changes: Any) -> str:
    """A token signed with the deployment's own key, with `changes` to its claims."""
    key = load_or_create_key(container.settings.effective_signing_key_file, create=False)
    now = int(time.time())
    claims = {
        "iss": container.settings.token_issuer,
        "aud": container.settings.token_audience,
        "sub": "someone",
        "party": "hostile-party",
        "roles": ["submitter"],
        "iat": now,
        "exp": now + 600,
        **changes,
    }
    return jwt.encode(claims, key, algorithm="ES256")


@pytest.mark.parametrize(
    ("changes", "fragment"),
    [
        pytest.param({"sub": ""}, "'sub'", id="empty-subject"),
        pytest.param({"sub": "\u0000"}, "'sub'", id="nul-subject"),
        pytest.param({"exp": "99999999999"}, "'exp' must be a number", id="exp-a-string"),
        pytest.param({"exp": "never"}, "(exp) must be an integer", id="exp-a-word"),
        pytest.param({"party": "p\u0000"}, "'party'", id="nul-party"),
    ],
)
def test_a_signed_token_with_a_bad_subject_or_expiry_is_refused(
    client: TestClient, container: Container, changes: Json, fragment: str
) -> None:
    token = _local_token(container, **changes)
    response = client.get("/v1/operations", headers={"Authorization": f"Bearer {token}"})
    assert fragment in error_body(response, 401)["detail"]
    assert response.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize(
    "token",
    ["t7e3.x.y", "not-a-token", "eyJhbGciOiJFUzI1NiJ9.bm90IGpzb24.c2ln"],
)
def test_a_malformed_token_is_named_as_no_jwt(client: TestClient, token: str) -> None:
    response = client.get("/v1/operations", headers={"Authorization": f"Bearer {token}"})
    detail = error_body(response, 401)["detail"]
    assert "the bearer token is not a JWT" in detail
    assert "utf-8" not in detail.lower()
    assert "codec" not in detail


# ---- webhook URLs ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("http://127.0.0.1:8080/hook", "127.0.0.1 is not a public address"),
        ("http://localhost:8000/", "localhost is this machine"),
        ("http://hooks.localhost/", "hooks.localhost is this machine"),
        ("http://10.0.0.5/", "10.0.0.5 is not a public address"),
        ("http://172.16.4.4/", "172.16.4.4 is not a public address"),
        ("http://192.168.1.1/", "192.168.1.1 is not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "169.254.169.254 is not a public address"),
        ("http://100.64.0.1/", "100.64.0.1 is not a public address"),
        ("http://0.0.0.0:22/", "0.0.0.0 is not a public address"),
        ("http://224.0.0.1/", "224.0.0.1 is not a public address"),
        ("http://[::1]/", "::1 is not a public address"),
        ("http://[fd00::1]/", "fd00::1 is not a public address"),
        ("http://[fe80::1]/", "fe80::1 is not a public address"),
        ("http://[::ffff:127.0.0.1]/", "::ffff:7f00:1 is not a public address"),
        ("http://[2002:7f00:1::]/", "2002:7f00:1:: is not a public address"),
        ("http://[64:ff9b::a9fe:a9fe]/", "64:ff9b::a9fe:a9fe is not a public address"),
        ("http://2130706433/", "127.0.0.1 is not a public address (2130706433 resolves to it)"),
        ("http://0x7f.1/", "127.0.0.1 is not a public address"),
    ],
)
def test_a_webhook_url_to_a_non_public_address_is_refused_and_not_stored(
    world: World, url: str, fragment: str
) -> None:
    response = world.client.post(
        "/v1/subscriptions", json=_subscription(world, webhook_url=url), headers=world.headers
    )
    assert_problem(response, ["body", "webhook_url"], fragment)
    world.assert_unchanged()


@pytest.mark.parametrize("url", ["https://hooks.example.com/in", "http://93.184.216.34:8443/"])
def test_a_webhook_url_to_a_public_or_not_yet_resolvable_host_is_accepted(
    world: World, url: str
) -> None:
    response = world.client.post(
        "/v1/subscriptions", json=_subscription(world, webhook_url=url), headers=world.headers
    )
    assert response.status_code == 201, response.text
    assert response.json()["webhook_url"] == url


def test_the_allow_list_lets_a_test_deployment_reach_its_own_receiver(
    settings: Settings, auth: Auth
) -> None:
    allowed = settings.model_copy(update={"webhook_allow_hosts": ["127.0.0.1", "hooks.lan"]})
    container = bootstrap(allowed)
    try:
        with TestClient(create_app(container=container)) as client:
            root = {"Authorization": f"Bearer {container.issuer.mint('root', ['operator'], 60)}"}
            party = client.post("/v1/parties", json={"name": f"lan-{spot()}"}, headers=root)
            token = container.issuer.mint(party.json()["id"], ["submitter"], 60)
            headers = {"Authorization": f"Bearer {token}"}
            lat, lng = spot()
            area = {"type": "polygon", "vertices": latlngs(square(lat, lng))}
            body = {"area": area, "time_start": T0, "time_end": T1}
            for url, status in [
                ("http://127.0.0.1:9/hook", 201),
                ("http://hooks.lan/", 201),
                ("http://127.0.0.2:9/hook", 422),
                ("http://10.0.0.1/", 422),
            ]:
                made = client.post(
                    "/v1/subscriptions", json={**body, "webhook_url": url}, headers=headers
                )
                assert made.status_code == status, (url, made.text)
    finally:
        container.close()


# ---- what the OpenAPI document promises ---------------------------------------------------


def test_the_openapi_document_states_the_limits_and_every_error_status(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    paths = document["paths"]
    [limit] = [p for p in paths["/v1/operations"]["get"]["parameters"] if p["name"] == "limit"]
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    polygon = document["components"]["schemas"]["PolygonFootprint"]["properties"]
    assert polygon["vertices"]["minItems"] == 3
    assert polygon["holes"]["items"]["minItems"] == 3
    assert set(paths["/v1/operations/{operation_id}"]["put"]["responses"]) == {
        "200", "400", "401", "403", "404", "409", "413", "422", "429", "503",
    }  # fmt: skip
    assert set(paths["/v1/operations"]["get"]["responses"]) == {"200", "401", "403", "422", "503"}
    assert "Retry-After" in paths["/v1/operations"]["post"]["responses"]["503"]["headers"]
    assert "415" in paths["/v1/zones:import"]["post"]["responses"]


@pytest.mark.parametrize(
    ("path", "allow"),
    [
        ("/v1/zones", "GET, POST"),
        ("/v1/operations/{op}", "GET, PUT"),
        ("/v1/subscriptions/x", "DELETE, GET"),
        ("/v1/checks", "POST"),
    ],
)
def test_a_method_not_allowed_is_405_with_every_method_of_the_path(
    world: World, path: str, allow: str
) -> None:
    url = path.format(op=world.operation_id)
    for method in ("OPTIONS", "PATCH"):
        response = world.client.request(method, url, headers=world.headers)
        assert error_body(response, 405)["detail"] == "Method Not Allowed"
        assert response.headers["allow"] == allow


@pytest.mark.parametrize(
    ("path", "body", "loc"),
    [
        pytest.param(
            "/v1/checks",
            lambda w: {"volumes": [_edit_center(square_volume(w.lat, w.lng), True)]},
            ["volumes", 0, "footprint", "vertices", 0, "lat"],
            id="latitude-true",
        ),
        pytest.param(
            "/v1/checks",
            lambda w: {"volumes": [{**square_volume(w.lat, w.lng), "altitude_upper_m": "120"}]},
            ["volumes", 0, "altitude_upper_m"],
            id="altitude-a-string",
        ),
        pytest.param(
            "/v1/operations",
            lambda w: operation(square_volume(w.lat, w.lng), priority=True),  # type: ignore[arg-type]
            ["priority"],
            id="priority-true",
        ),
        pytest.param(
            "/v1/checks",
            lambda w: {
                "volumes": [
                    {
                        **(g := geojson_volume(corners=square(w.lat, w.lng))),
                        "geometry": {
                            **g["geometry"],
                            "coordinates": [[[False, 1], *g["geometry"]["coordinates"][0][1:]]],
                        },
                    }
                ]
            },
            ["volumes", 0, "geometry", "coordinates", 0, 0, 0],
            id="geojson-coordinate-false",
        ),
        pytest.param(
            "/v1/agreements",
            lambda w: {
                "kind": "coordination",
                "partner_party_id": "x",
                "separation": {"horizontal_m": True, "vertical_m": 10, "time_s": 60},
            },
            ["separation", "horizontal_m"],
            id="separation-true",
        ),
        pytest.param(
            "/v1/agreements",
            lambda w: {
                "kind": "coordination",
                "partner_party_id": "x",
                "review_chain": {
                    "stages": [{"name": "s", "roles": ["reviewer"]}],
                    "auto_approval": [{"name": "a", "without_own_conflicts": "yes"}],
                },
            },
            ["review_chain", "auto_approval", 0, "without_own_conflicts"],
            id="boolean-a-string",
        ),
    ],
)
def test_a_boolean_or_a_string_is_no_number_and_vice_versa(
    world: World, path: str, body: Callable[[World], Json], loc: list[Any]
) -> None:
    response = _send(world.client, "POST", path, body(world), world.headers)
    assert_problem(response, ["body", *loc], "should be a valid")
    world.assert_unchanged()


def _edit_center(volume: Json, lat: Any) -> Json:
    volume["footprint"]["vertices"][0]["lat"] = lat
    return volume


# ---- bodies that are not JSON --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/v1/operations", "/v1/checks", "/v1/subscriptions"])
def test_a_body_that_is_not_utf8_is_400_saying_which_byte(world: World, path: str) -> None:
    response = world.client.post(
        path,
        content=b'{"name": "\xb7"}',
        headers={**world.headers, "content-type": "application/json"},
    )
    body = error_body(response, 400)
    assert "send JSON text (UTF-8)" in body["detail"]
    assert body["errors"] == [{"loc": ["body"], "msg": "byte 10 is not UTF-8 text"}]
    world.assert_unchanged()


@pytest.mark.parametrize(
    ("text", "where"),
    [
        (b'{"name": "Survey",\n "volumes": [,]}', "Expecting value at line 2, column 14"),
        (b'{"name": "Survey"', "Expecting ',' delimiter at line 1, column 18"),
        (
            b"\n\n   {'name': 1}",
            "Expecting property name enclosed in double quotes at line 3, column 5",
        ),
    ],
)
def test_malformed_json_is_refused_naming_line_and_column(
    world: World, text: bytes, where: str
) -> None:
    for method, path in [
        ("POST", "/v1/operations"),
        ("POST", "/v1/checks"),
        ("PUT", f"/v1/operations/{world.operation_id}"),
    ]:
        response = world.client.request(
            method,
            path,
            content=text,
            headers={**world.headers, "content-type": "application/json"},
        )
        assert_problem(response, ["body"], f"the body is not valid JSON: {where}")
    world.assert_unchanged()


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_a_json_body_without_the_json_content_type_is_refused_saying_so(
    world: World, content_type: str | None
) -> None:
    headers = dict(world.headers)
    if content_type is not None:
        headers["content-type"] = content_type
    text = json.dumps(operation(square_volume(world.lat, world.lng))).encode()
    response = world.client.post("/v1/operations", content=text, headers=headers)
    assert_problem(
        response,
        ["body"],
        f"the body must be JSON, sent with content-type: application/json "
        f"(content-type sent: {content_type or 'none'})",
    )
    assert "valid dictionary" not in response.text
    world.assert_unchanged()


# ---- a refusal names the zone --------------------------------------------------------------


def test_a_refused_submission_names_each_restricted_zone_it_may_see_by_name_and_id(
    client: TestClient, auth: Auth, new_party: NewParty
) -> None:
    authority, pilot = new_party("authority", authority=True), new_party("pilot")
    lat, lng = spot()
    ids = []
    for name, dlat in [("Naval yard", 0.0), ("Fuel depot", 0.004)]:
        made = client.post(
            "/v1/zones",
            json=zone("restricted", lat + dlat, lng, radius_m=300.0, name=name),
            headers=auth(authority, "admin"),
        )
        assert made.status_code == 201, made.text
        ids.append(made.json()["id"])
    response = client.post(
        "/v1/operations",
        json=operation(square_volume(lat - 0.001, lng - 0.001)),
        headers=auth(pilot),
    )
    body = error_body(response, 409)
    assert body["refused"] is True
    assert body["detail"] == (
        f"the operation enters the restricted zones 'Fuel depot' ({ids[1]}), "
        f"'Naval yard' ({ids[0]}) and is refused"
    )
    assert sorted(c["with"]["id"] for c in body["conflicts"]) == sorted(ids)
    assert all_pages(client, "/v1/operations", auth(pilot)) == []


def test_a_subscription_of_a_party_that_is_not_registered_is_409_not_a_server_error(
    client: TestClient, auth: Auth
) -> None:
    lat, lng = spot()
    response = client.post(
        "/v1/subscriptions",
        json={
            "area": {"type": "polygon", "vertices": latlngs(square(lat, lng))},
            "time_start": T0,
            "time_end": T1,
        },
        headers=auth("never-registered"),
    )
    assert "not registered" in error_body(response, 409)["detail"]
