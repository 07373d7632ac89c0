"""`assess` decides operations in bulk (time and altitude with plain comparisons, the
footprints of all pairs left projected and tested together, projections remembered for
the process); `assess_pairwise` is the pair-by-pair reference (`volumes_conflict` in
`PairFrames`). They must give the very same assessment, conflict for conflict, for every
input: the catalogue, random scenes (antimeridian and poles included), and plans of many
volumes."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import pytest
import shapely
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from deconflict.adapters.projection import local_frame
from deconflict.domain import assessment as assessment_module
from deconflict.domain import geometry
from deconflict.domain.assessment import (
    Assessment,
    OperationCandidate,
    Relations,
    assess,
    assess_pairwise,
)
from deconflict.domain.conflicts import Separation, trusted_band, trusted_window
from deconflict.domain.errors import IncomparableAltitudes
from deconflict.domain.geometry import (
    Coords,
    LocalFrame,
    PlanarFootprint,
    footprints_conflict,
    footprints_conflict_many,
    planar,
    planar_cached,
    planar_many,
)
from deconflict.domain.model import Agreement, AgreementKind, AgreementState, Zone, ZoneKind
from deconflict.domain.model import default_disclosure as _default_disclosure
from deconflict.domain.volumes import (
    AltitudeBand,
    AltitudeReference,
    Circle,
    Footprint,
    LatLng,
    Polygon,
    TimeWindow,
    Volume4D,
)
from tests.geometries import (
    CASES,
    FIJI,
    NORTH_POLE,
    SOUTH_POLE,
    T0,
    ZURICH,
    Case,
    bases,
    degrees,
    disc,
    rect,
    ring_at,
    shapes,
    volume,
)

ME = "me"
PARTIES = ("p1", "p2", "p3")
DEFAULT = Separation(50.0, 10.0, 60.0)


def both(
    volumes: Sequence[Volume4D],
    relations: Relations,
    operations: Sequence[OperationCandidate],
    zones: Sequence[Zone] = (),
) -> Assessment:
    """The bulk answer, computed cold and warm, after checking that both are the
    reference's (or that all three raise alike)."""
    outcomes: list[Any] = []
    for run, cold in ((assess_pairwise, False), (assess, True), (assess, False)):
        if cold:
            geometry.clear_planar_cache()
        try:
            outcomes.append(run(volumes, relations, zones, operations, local_frame))
        except IncomparableAltitudes as e:
            outcomes.append((type(e), str(e)))
    reference, cold_answer, warm_answer = outcomes
    assert cold_answer == reference
    assert warm_answer == reference
    return cold_answer  # type: ignore[no-any-return]


# ---- the catalogue ------------------------------------------------------------------------


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_bulk_and_pairwise_agree_over_the_catalogue_both_ways(case: Case) -> None:
    relations = Relations.of(ME, [], case.separation)
    for mine, theirs in ((case.a, case.b), (case.b, case.a)):
        found = both([mine], relations, [OperationCandidate("op", "them", (theirs,))])
        if case.symmetric:
            assert bool(found.conflicts) is case.conflict


def test_the_catalogue_pairs_all_at_once_agree_with_one_by_one() -> None:
    """One plan volume per case, every case's other volume a candidate: many frames,
    many pairs clear in time or altitude, ties in the pair frames."""
    relations = Relations.of(ME, [], Separation(10.0, 5.0, 30.0))
    plan = [c.a for c in CASES]
    operations = [OperationCandidate(f"op{i}", "them", (c.b,)) for i, c in enumerate(CASES)]
    found = both(plan, relations, operations)
    assert len(found.conflicts) > len(CASES) // 2


# ---- random scenes ------------------------------------------------------------------------

windows = st.builds(
    lambda start, minutes: TimeWindow(
        T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + minutes)
    ),
    st.integers(-90, 90),
    st.integers(1, 90),
)
bands = st.builds(
    lambda lower, height: AltitudeBand(float(lower), float(lower + height)),
    st.integers(-20, 200).map(lambda v: v - v % 5),
    st.integers(5, 200),
)
separations = st.builds(
    Separation,
    st.one_of(st.just(0.0), st.just(50.0), st.floats(0.0, 500.0)),
    st.sampled_from([0.0, 5.0, 10.0]),
    st.sampled_from([0.0, 60.0, 300.0]),
)


@st.composite
def footprints(draw: st.DrawFn, base: LatLng) -> Footprint:
    """Mostly circles and rectangles a few km around `base`; sometimes a polygon with
    a hole, or a large one whose long edges the frames densify."""
    kind = draw(st.sampled_from(["shape"] * 6 + ["holed", "large"]))
    if kind == "shape":
        return draw(shapes(base)).footprint()
    frame = local_frame(base)
    x, y = draw(st.floats(-2000, 2000)), draw(st.floats(-2000, 2000))
    if kind == "holed":
        outer = rect(frame, x - 900, y - 900, x + 900, y + 900)
        inner = rect(frame, x - 300, y - 300, x + 300, y + 300)
        return Polygon(outer.exterior, (inner.exterior,))
    side = draw(st.floats(20_000, 80_000))
    return rect(frame, x - side, y - 10, x + side, y + 10 + side / 3)


@st.composite
def scenes(
    draw: st.DrawFn,
) -> tuple[list[Volume4D], Relations, list[OperationCandidate]]:
    base = draw(st.one_of(bases(), st.sampled_from([FIJI, NORTH_POLE, SOUTH_POLE, ZURICH])))
    plan = [
        Volume4D(draw(footprints(base)), draw(bands), draw(windows))
        for _ in range(draw(st.integers(1, 3)))
    ]
    agreements = [
        Agreement(
            f"agreement-{party}",
            AgreementKind.DECONFLICTION,
            ME,
            party,
            AgreementState.ACTIVE,
            draw(st.one_of(st.none(), separations)),
            T0,
        )
        for party in draw(st.lists(st.sampled_from(PARTIES), unique=True, max_size=2))
    ]
    relations = Relations.of(ME, agreements, draw(separations))
    operations = []
    for i in range(draw(st.integers(0, 12))):
        party = draw(st.sampled_from((ME, *PARTIES)))
        volumes = tuple(
            Volume4D(draw(footprints(base)), draw(bands), draw(windows))
            for _ in range(draw(st.integers(0, 3)))
        )
        operations.append(OperationCandidate(f"op{i}", party, volumes))
    return plan, relations, operations


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes())
def test_bulk_and_pairwise_agree_on_random_scenes(
    scene: tuple[list[Volume4D], Relations, list[OperationCandidate]],
) -> None:
    both(*scene)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenes(), st.integers(0, 11))
def test_mixed_datums_raise_alike(
    scene: tuple[list[Volume4D], Relations, list[OperationCandidate]], which: int
) -> None:
    plan, relations, operations = scene
    if operations:
        op = operations[which % len(operations)]
        amsl = tuple(
            Volume4D(v.footprint, AltitudeBand(0.0, 500.0, AltitudeReference.AMSL), v.time)
            for v in op.volumes
        )
        operations[which % len(operations)] = OperationCandidate(op.id, op.party_id, amsl)
    both(plan, relations, operations)


def test_zone_conflicts_come_before_operation_conflicts_of_each_volume() -> None:
    frame = local_frame(ZURICH)
    square = rect(frame, -100, -100, 100, 100)
    plan = [volume(square), volume(disc(frame, 5000, 0, 100)), volume(square)]
    restricted = Zone(
        "z1",
        "authority",
        ZoneKind.RESTRICTED,
        "zone",
        rect(frame, 0, 0, 300, 300),
        AltitudeBand(0.0, 500.0),
        (),
        T0,
        disclosure=_default_disclosure(ZoneKind.RESTRICTED, True),
    )
    relations = Relations.of(ME, [], DEFAULT, ["authority"])
    ops = [OperationCandidate("op", "p1", (volume(square), volume(disc(frame, 5000, 0, 10))))]
    found = both(plan, relations, ops, [restricted])
    assert [(c.volume_index, c.subject_type) for c in found.conflicts] == [
        (0, "zone"),
        (0, "operation"),
        (1, "operation"),
        (2, "zone"),
        (2, "operation"),
    ]


def test_a_plan_of_many_volumes_agrees_and_finds_the_same_conflicts() -> None:
    """50 volumes along a 25 km route, 5 minutes each, against 400 candidates along and
    around it at all hours: the plan looks only at candidates near each volume in time."""
    frame = local_frame(ZURICH)
    plan = [
        Volume4D(
            disc(frame, 500.0 * i, 0.0, 300.0),
            AltitudeBand(50.0, 120.0),
            TimeWindow(T0 + timedelta(minutes=5 * i), T0 + timedelta(minutes=5 * i + 6)),
        )
        for i in range(50)
    ]
    operations = []
    for k in range(400):
        start = T0 + timedelta(minutes=(k * 37) % 400 - 60)
        fp: Footprint = (
            disc(frame, (k * 61) % 26000, (k * 17) % 1200 - 600, 100 + k % 300)
            if k % 3
            else rect(frame, (k * 61) % 26000, 0, (k * 61) % 26000 + 200, 150)
        )
        volumes = (
            Volume4D(
                fp,
                AltitudeBand(0.0, 60.0 + k % 100),
                TimeWindow(start, start + timedelta(minutes=10 + k % 50)),
            ),
        )
        operations.append(OperationCandidate(f"op{k}", PARTIES[k % 3], volumes))
    found = both(plan, Relations.of(ME, [], DEFAULT), operations)
    assert 20 < len(found.conflicts) < 50 * 400 // 4


# ---- the pieces -----------------------------------------------------------------------------


class RingByRing:
    """A frame without `rings_to_xy_many`: `planar_many` projects ring by ring."""

    def __init__(self, frame: LocalFrame) -> None:
        self._frame = frame

    def to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        return self._frame.to_xy(lngs, lats)

    def to_lnglat(self, xs: Coords, ys: Coords) -> tuple[Coords, Coords]:
        return self._frame.to_lnglat(xs, ys)

    def ring_to_xy(self, lngs: Coords, lats: Coords) -> tuple[Coords, Coords]:
        return self._frame.ring_to_xy(lngs, lats)

    __hash__ = None  # type: ignore[assignment]  # not remembered by `planar_cached`


FRAME_CENTRES = [ZURICH, FIJI, NORTH_POLE, SOUTH_POLE, LatLng(-30.0, -140.0)]


def _all_footprints() -> list[Footprint]:
    out: list[Footprint] = []
    for case in CASES:
        out += [case.a.footprint, case.b.footprint]
    out += [
        ring_at(89.5, 12),
        ring_at(-89.9, 5),
        degrees((-17.5, 179.5), (-17.5, -179.5), (-16.5, -179.5), (-16.5, 179.5)),
        Polygon(
            rect(local_frame(ZURICH), -1000, -1000, 1000, 1000).exterior,
            (rect(local_frame(ZURICH), -10, -10, 10, 10).exterior,),
        ),
    ]
    return out


def _same_planar(got: PlanarFootprint, expected: PlanarFootprint) -> None:
    assert got.radius_m == expected.radius_m
    assert got.core.geom_type == expected.core.geom_type
    assert shapely.equals_exact(got.core, expected.core, tolerance=0.0)
    assert shapely.get_coordinates(got.core).tolist() == (
        shapely.get_coordinates(expected.core).tolist()
    )


@pytest.mark.parametrize("centre", FRAME_CENTRES, ids=str)
def test_planar_many_gives_the_very_coordinates_of_planar(centre: LatLng) -> None:
    frame = local_frame(centre)
    footprints = _all_footprints()
    expected = [planar(f, frame) for f in footprints]
    for flats in (planar_many(footprints, frame), planar_many(footprints, RingByRing(frame))):
        assert len(flats) == len(expected)
        for got, want in zip(flats, expected, strict=True):
            _same_planar(got, want)
    densified = [
        f
        for f, p in zip(footprints, expected, strict=True)
        if isinstance(f, Polygon)
        and len(shapely.get_coordinates(p.core)) > f.vertex_count + 1 + len(f.holes)
    ]
    assert densified, "some rings are densified, so both branches of the batch are run"


def test_planar_cached_remembers_by_value_and_forgets_when_full(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    geometry.clear_planar_cache()
    frame = local_frame(ZURICH)
    a = rect(frame, 0, 0, 100, 100)
    decoded_anew = Polygon(tuple(LatLng(p.lat, p.lng) for p in a.exterior))
    first = planar_cached([a], frame)[0]
    assert planar_cached([decoded_anew], frame)[0] is first
    assert planar_cached([a], local_frame(FIJI))[0] is not first  # another frame
    assert planar_cached([a], RingByRing(frame))[0] is not first  # not remembered
    monkeypatch.setattr(geometry, "PLANAR_CACHE_SIZE", 2)
    planar_cached([disc(frame, 0, 0, 5)], frame)
    again = planar_cached([a], frame)[0]
    assert again is not first
    _same_planar(again, first)


def test_footprints_conflict_many_is_footprints_conflict_of_each_pair() -> None:
    pairs = []
    for case in CASES:
        frame = local_frame(
            case.a.footprint.center if isinstance(case.a.footprint, Circle) else ZURICH
        )
        a, b = planar(case.a.footprint, frame), planar(case.b.footprint, frame)
        for separation_m in (0.0, case.separation.horizontal_m, 1.0):
            pairs.append((a, b, separation_m))
    expected = [footprints_conflict(a, b, s) for a, b, s in pairs]
    assert footprints_conflict_many(pairs) == expected
    assert any(expected)
    assert not all(expected)
    assert footprints_conflict_many([]) == []


def test_trusted_windows_and_bands_equal_checked_ones() -> None:
    end = T0 + timedelta(minutes=3)
    assert trusted_window(T0, end) == TimeWindow(T0, end)
    assert hash(trusted_window(T0, end)) == hash(TimeWindow(T0, end))
    for reference in AltitudeReference:
        assert trusted_band(1.5, 2.5, reference) == AltitudeBand(1.5, 2.5, reference)


def test_a_wrong_footprint_answer_would_be_caught(monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: a bulk test that misses one conflict is noticed."""
    real = assessment_module.footprints_conflict_many

    def drops_the_first_conflict(pairs: Any) -> list[bool]:
        out = real(pairs)
        if True in out:
            out[out.index(True)] = False
        return out

    monkeypatch.setattr(assessment_module, "footprints_conflict_many", drops_the_first_conflict)
    frame = local_frame(ZURICH)
    operations = [OperationCandidate("op", "p1", (volume(rect(frame, 0, 0, 10, 10)),))]
    with pytest.raises(AssertionError):
        both([volume(rect(frame, 5, 5, 50, 50))], Relations.of(ME, [], DEFAULT), operations)


def test_origins_of_pairs_across_the_antimeridian_are_shared_by_both_parties() -> None:
    east, west = LatLng(-17.0, 179.99), LatLng(-17.0, -179.99)
    assert assessment_module._origin(east, west) == assessment_module._origin(west, east)
    assert math.isclose(abs(assessment_module._origin(east, west)[1]), 180.0)
