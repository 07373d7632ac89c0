"""The ED-269, GeoJSON and KML readers and writers, without a database: the mapping
table, units, schedules, multi-part features, refusals and broken files."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from deconflict.adapters import interchange
from deconflict.adapters.interchange.detect import detect
from deconflict.domain.errors import InvalidInput
from deconflict.domain.heights import HeightModels, to_w84
from deconflict.domain.model import Zone, ZoneKind
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    LatLng,
    LengthUnit,
    Polygon,
    StatedBand,
    TimeWindow,
)
from deconflict.services.interchange import ZoneDraft, ZoneFile

W84, AMSL, AGL = AltitudeReference.W84, AltitudeReference.AMSL, AltitudeReference.AGL
DATA = Path(__file__).resolve().parents[2] / "data" / "interchange"
T0 = datetime(2030, 1, 1, tzinfo=UTC)


def _read(name: str) -> ZoneFile:
    return interchange.read_zones((DATA / name).read_bytes())


def _by_id(file: ZoneFile) -> dict[str, ZoneDraft]:
    return {d.source_id: d for d in file.drafts}


def _ed269(**overrides: object) -> bytes:
    """One ED-269 feature: a 100 m circle from 0 to 120 m above WGS84, permanent."""
    feature: dict[str, object] = {
        "identifier": "VLR-T01",
        "restriction": "PROHIBITED",
        "applicability": [{"permanent": "YES"}],
        "geometry": [
            {
                "uomDimensions": "M",
                "lowerLimit": 0,
                "lowerVerticalReference": "WGS84",
                "upperLimit": 120,
                "upperVerticalReference": "WGS84",
                "horizontalProjection": {
                    "type": "Circle",
                    "center": [-139.9, -29.9],
                    "radius": 100,
                },
            }
        ],
    }
    feature.update(overrides)
    return json.dumps({"features": [feature]}).encode()


@pytest.mark.parametrize(
    ("restriction", "kind"),
    [
        ("PROHIBITED", ZoneKind.RESTRICTED),
        ("REQ_AUTHORISATION", ZoneKind.REVIEW),
        ("REQ_AUTHORIZATION", ZoneKind.REVIEW),
        ("CONDITIONAL", ZoneKind.NOTIFY),
    ],
)
def test_each_restriction_becomes_the_documented_kind(restriction: str, kind: ZoneKind) -> None:
    [draft] = interchange.read_zones(_ed269(restriction=restriction)).drafts
    assert draft.kind is kind


def test_a_no_restriction_zone_is_skipped_with_a_reason() -> None:
    file = interchange.read_zones(_ed269(restriction="NO_RESTRICTION"))
    assert file.drafts == ()
    [skip] = file.refusals
    assert skip.skipped
    assert skip.loc == ("features", 0, "restriction")
    assert "'VLR-T01'" in skip.reason


def test_each_kind_is_exported_as_the_restriction_it_is_read_from() -> None:
    zones = [_zone(kind=k, source_id=f"Z-{k.value}") for k in ZoneKind]
    doc = json.loads(interchange.write_zones("ed269", zones, "t"))
    restrictions = {f["identifier"]: f["restriction"] for f in doc["features"]}
    assert restrictions == {
        "Z-restricted": "PROHIBITED",
        "Z-review": "REQ_AUTHORISATION",
        "Z-notify": "CONDITIONAL",
    }


def test_feet_are_converted_exactly() -> None:
    a02 = _by_id(_read("ed269_catalogue.json"))["VLR-A02"]
    assert isinstance(a02.footprint, Circle)
    assert a02.footprint.radius_m == 3000 * 0.3048
    assert (a02.altitude.lower_m, a02.altitude.upper_m) == (0.0, 400 * 0.3048)


def test_periods_in_other_time_zones_are_read_as_utc() -> None:
    a02 = _by_id(_read("ed269_catalogue.json"))["VLR-A02"]
    assert a02.periods == (
        TimeWindow(
            datetime(2030, 2, 28, 22, 0, tzinfo=UTC), datetime(2030, 3, 1, 8, 30, tzinfo=UTC)
        ),
        TimeWindow(
            datetime(2030, 3, 2, 11, 30, tzinfo=UTC), datetime(2030, 3, 2, 15, 30, tzinfo=UTC)
        ),
    )


def test_a_weekday_schedule_across_midnight_runs_into_the_next_day() -> None:
    c03 = _by_id(_read("ed269_catalogue.json"))["VLR-C03#1"]
    local = timezone(timedelta(hours=-10))
    nights = [
        TimeWindow(
            datetime(2030, 3, day, 22, tzinfo=local),
            datetime(2030, 3, day + 1, 6 if day < 8 else 0, tzinfo=local),
        )
        for day in range(4, 9)  # Monday 4 March to Friday 8 March; cut at the period's end
    ]
    assert c03.periods == tuple(nights)


def test_a_daily_schedule_is_merged_with_an_overlapping_period() -> None:
    s05 = _by_id(_read("ed269_catalogue.json"))["VLR-S05"]
    assert s05.kind is ZoneKind.REVIEW  # the restriction was in `type`, ED-318 style
    evening = [
        TimeWindow(datetime(2030, 3, d, 5, tzinfo=UTC), datetime(2030, 3, d, 10, 30, tzinfo=UTC))
        for d in (6, 7)
    ]
    merged = TimeWindow(datetime(2030, 3, 8, 5, tzinfo=UTC), datetime(2030, 3, 8, 12, tzinfo=UTC))
    assert s05.periods == (*evening, merged)


def test_several_airspace_volumes_make_one_zone_each() -> None:
    drafts = _by_id(_read("ed269_catalogue.json"))
    first, second = drafts["VLR-C03#1"], drafts["VLR-C03#2"]
    assert first.feature == second.feature == "VLR-C03"
    assert (first.altitude.upper_m, second.altitude.upper_m) == (60.0, 90.0)
    assert first.periods == second.periods


def test_a_polygon_keeps_its_hole_in_every_format() -> None:
    for name, ident in (
        ("ed269_catalogue.json", "VLR-P01"),
        ("zones.geojson", "VLR-G20"),
        ("zones.kml", "VLR-K30"),
    ):
        footprint = _by_id(_read(name))[ident].footprint
        assert isinstance(footprint, Polygon)
        assert len(footprint.holes) == 1, name


def test_the_attributes_of_a_feature_are_kept() -> None:
    p01 = _by_id(_read("ed269_catalogue.json"))["VLR-P01"]
    assert p01.attributes["country"] == "VLR"
    assert p01.attributes["reason"] == ["SENSITIVE"]
    assert p01.attributes["extendedProperties"] == {"drillDays": ["TUE"]}
    g22 = _by_id(_read("zones.geojson"))["VLR-G22"]
    assert g22.attributes == {
        "colour": "amber",
        "contact": "Isle Pictures, set@isle-pictures.example",
    }
    k30 = _by_id(_read("zones.kml"))["VLR-K30"]
    assert k30.attributes == {
        "description": "Boats and camera drones of the organiser only.",
        "organiser": "Veloria Yacht Club",
    }


def test_kml_reads_schema_data_timespans_and_names_as_identifiers() -> None:
    drafts = _by_id(_read("zones.kml"))
    assert (drafts["VLR-K31#1"].altitude.lower_m, drafts["VLR-K31#1"].altitude.upper_m) == (
        30.0,
        1200.0,
    )
    k30 = drafts["VLR-K30"]
    assert k30.periods == (
        TimeWindow(datetime(2030, 3, 7, 23, tzinfo=UTC), datetime(2030, 3, 8, 5, tzinfo=UTC)),
    )
    mast = drafts["Signal hill mast"]
    assert mast.footprint == Circle(LatLng(-29.91, -139.66), 400.0)


@pytest.mark.parametrize(
    ("ident", "field", "words"),
    [
        ("VLR-F15", "upperVerticalReference", "a flight level"),
        ("VLR-D12", "startEvent", "daylight event"),
        ("VLR-U13", "schedule", "without both startDateTime and endDateTime"),
    ],
)
def test_what_cannot_be_represented_is_refused_naming_feature_and_field(
    ident: str, field: str, words: str
) -> None:
    file = _read("ed269_unrepresentable.json")
    [refusal] = [r for r in file.refusals if r.source_id == ident]
    assert not refusal.skipped
    assert refusal.loc[-1] == field
    assert f"feature {ident!r}" in refusal.reason
    assert words in refusal.reason
    # AGL and AMSL are read as stated; the import converts them (or refuses them there)
    assert [d.source_id for d in file.drafts] == ["VLR-G10", "VLR-M11", "VLR-K14"]


def test_limits_are_read_as_stated_each_in_its_own_reference_and_unit() -> None:
    drafts = _by_id(_read("ed269_unrepresentable.json"))
    assert drafts["VLR-G10"].altitude == StatedBand(0, AGL, 120, AGL)
    assert drafts["VLR-M11"].altitude == StatedBand(0, W84, 1500, AMSL, LengthUnit.FT)
    assert drafts["VLR-M11"].reference_locs == (
        ("features", 1, "geometry", 0, "lowerVerticalReference"),
        ("features", 1, "geometry", 0, "upperVerticalReference"),
    )


def test_a_flight_level_in_a_geojson_feature_is_refused() -> None:
    doc = json.loads((DATA / "zones.geojson").read_text())
    doc["features"][2]["properties"]["altitude_reference"] = "STD"
    file = interchange.read_zones(json.dumps(doc).encode())
    [refusal] = [r for r in file.refusals if not r.skipped]
    assert refusal.loc == ("features", 2, "properties", "altitude_reference")
    assert "flight level" in refusal.reason


def test_a_geojson_feature_may_state_each_limit_in_its_own_reference() -> None:
    doc = json.loads((DATA / "zones.geojson").read_text())
    props = doc["features"][2]["properties"]
    props.update(altitude_lower_reference="AGL", altitude_upper_reference="AMSL")
    draft = next(
        d
        for d in interchange.read_zones(json.dumps(doc).encode()).drafts
        if d.loc == ("features", 2)
    )
    assert (draft.altitude.lower_reference, draft.altitude.upper_reference) == (AGL, AMSL)
    assert draft.reference_locs == (
        ("features", 2, "properties", "altitude_lower_reference"),
        ("features", 2, "properties", "altitude_upper_reference"),
    )


BROKEN = [
    ("ed269_wrong_types.json", ("features", 0, "geometry", 0, "lowerLimit"), "must be a number"),
    ("ed269_wrong_types.json", ("features", 1, "restriction"), "must be a string"),
    ("ed269_wrong_types.json", ("features", 2, "geometry"), "must be a list"),
    ("ed269_missing_fields.json", ("features", 0, "identifier"), "is missing"),
    ("ed269_missing_fields.json", ("features", 1, "geometry"), "is missing"),
    ("ed269_missing_fields.json", ("features", 2, "restriction"), "is missing"),
    (
        "ed269_open_ring.json",
        ("features", 0, "geometry", 0, "horizontalProjection", "coordinates", 0),
        "closed",
    ),
    (
        "ed269_open_ring.json",
        ("features", 1, "geometry", 0, "horizontalProjection", "center", 1),
        "latitude -95.0",
    ),
    ("geojson_not_an_area.geojson", ("features", 0, "geometry", "type"), "not an area"),
    ("geojson_not_an_area.geojson", ("features", 1, "properties", "radius_m"), "needs radius_m"),
    ("geojson_not_an_area.geojson", ("features", 2, "properties", "kind"), "'danger'"),
    ("kml_missing_altitude.kml", ("Placemark", 0, "ExtendedData", "altitude_lower_m"), "missing"),
    ("kml_not_well_formed.kml", ("kml",), "not well-formed"),
    ("kml_entities.kml", ("kml",), "Entities"),
    ("unknown_format.json", (), "cannot tell the format"),
]


@pytest.mark.parametrize(("name", "loc", "words"), BROKEN, ids=lambda v: str(v))
def test_a_broken_file_says_where_and_what(name: str, loc: tuple[object, ...], words: str) -> None:
    with pytest.raises(InvalidInput) as failure:
        _read(f"broken/{name}")
    messages = dict(failure.value.problems)
    assert loc in messages, failure.value.problems
    assert words in messages[loc]


def test_a_problem_names_the_feature() -> None:
    with pytest.raises(InvalidInput) as failure:
        _read("broken/ed269_wrong_types.json")
    assert [msg.split(":")[0] for _, msg in failure.value.problems] == [
        "feature 'VLR-B01'",
        "feature 'VLR-B02'",
        "feature 'VLR-B03'",
    ]


def test_an_external_entity_is_refused() -> None:
    xxe = (
        b'<?xml version="1.0"?><!DOCTYPE kml [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<kml xmlns="http://www.opengis.net/kml/2.2"><Placemark><name>&x;</name></Placemark></kml>'
    )
    with pytest.raises(InvalidInput, match="refused XML"):
        interchange.read_zones(xxe)


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("ed269_catalogue.json", "ed269"), ("zones.geojson", "geojson"), ("zones.kml", "kml")],
)
def test_the_format_is_told_from_the_content(name: str, fmt: str) -> None:
    assert detect((DATA / name).read_bytes())[0] == fmt
    assert _read(name).format == fmt


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\xff\xfe", "UTF-8"),
        (b"zones: []", "cannot tell"),
        (b"{", "not valid JSON"),
    ],
)
def test_what_is_no_zone_file_says_so(data: bytes, words: str) -> None:
    with pytest.raises(InvalidInput, match=words):
        interchange.read_zones(data)


def test_nan_is_no_number() -> None:
    with pytest.raises(InvalidInput, match="NaN"):
        interchange.read_zones(_ed269().replace(b'"upperLimit": 120', b'"upperLimit": NaN'))


def _zone(
    kind: ZoneKind = ZoneKind.REVIEW,
    source_id: str | None = "Z-1",
    footprint: Circle | Polygon | None = None,
    periods: tuple[TimeWindow, ...] = (),
    attributes: dict[str, object] | None = None,
) -> Zone:
    return Zone(
        "00000000-0000-4000-8000-000000000001",
        "p1",
        kind,
        "Zone",
        footprint or Circle(LatLng(-29.9, -139.9), 123.456),
        AltitudeBand(-12.25, 345.5),
        periods,
        T0,
        source_id,
        attributes or {},
    )


HOLED = Polygon(
    (LatLng(-29.9, -139.9), LatLng(-29.9, -139.8), LatLng(-29.8, -139.8), LatLng(-29.8, -139.9)),
    ((LatLng(-29.88, -139.88), LatLng(-29.88, -139.82), LatLng(-29.82, -139.85)),),
)
ODD_PERIODS = (
    TimeWindow(
        datetime(2030, 3, 1, 23, 59, 59, 500000, tzinfo=UTC),
        datetime(2030, 3, 2, 0, 0, 1, tzinfo=UTC),
    ),
    TimeWindow(datetime(2030, 3, 3, tzinfo=UTC), datetime(2030, 3, 4, tzinfo=UTC)),
)


@pytest.mark.parametrize("fmt", interchange.ZONE_FORMATS)
@pytest.mark.parametrize(
    "zone",
    [
        _zone(),
        _zone(footprint=HOLED, periods=ODD_PERIODS, kind=ZoneKind.RESTRICTED),
        _zone(
            source_id=None, kind=ZoneKind.NOTIFY, attributes={"message": "é ü <&>", "n": [1, 2.5]}
        ),
        _zone(periods=ODD_PERIODS[:1], attributes={"description": "one TimeSpan"}),
    ],
    ids=["circle", "holed-polygon-periods", "no-source-attributes", "one-period"],
)
def test_a_zone_written_and_read_again_is_the_same(fmt: str, zone: Zone) -> None:
    [draft] = interchange.read_zones(interchange.write_zones(fmt, [zone], "t").encode()).drafts
    assert draft.source_id == (zone.source_id or zone.id)
    band = to_w84(draft.altitude, draft.footprint, HeightModels())
    assert (draft.kind, draft.name, draft.footprint, band, draft.periods) == (
        zone.kind,
        zone.name,
        zone.footprint,
        zone.altitude,
        zone.periods,
    )
    assert dict(draft.attributes) == dict(zone.attributes)


STATED = [
    StatedBand(400, AMSL, 1500, AMSL, LengthUnit.FT),
    StatedBand(0, AGL, 120, AGL),
    StatedBand(30, AGL, 450.5, AMSL),
]


@pytest.mark.parametrize("fmt", interchange.ZONE_FORMATS)
@pytest.mark.parametrize("stated", STATED, ids=["amsl-feet", "agl", "agl-to-amsl"])
def test_a_zone_stated_in_amsl_or_agl_is_written_as_it_came(fmt: str, stated: StatedBand) -> None:
    """The converted band is what deconflict compares; a file gets what was stated. ED-269
    keeps the unit too; GeoJSON and KML hold metres."""
    zone = replace(_zone(), altitude=AltitudeBand(-30.0, 500.0, stated=stated))
    [draft] = interchange.read_zones(interchange.write_zones(fmt, [zone], "t").encode()).drafts
    if fmt == "ed269":
        assert draft.altitude == stated
    else:
        assert draft.altitude == StatedBand(
            stated.lower_m, stated.lower_reference, stated.upper_m, stated.upper_reference
        )
