"""Properties of the conflict test over random circles and rectangles built in metres
around random base points, antimeridian and high latitudes included."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import assume, given, settings
from hypothesis import strategies as st

from deconflict.domain.conflicts import Separation, volumes_conflict
from deconflict.domain.volumes import AltitudeBand, TimeWindow, Volume4D
from tests.geometries import T0, Shape, projector, shape_pairs, signed_gap

PROPERTY = settings(max_examples=200, deadline=None)

#: Away from ties by this much, the answer cannot depend on the frame of the check
#: (distances in two local frames a few km apart differ by well under a millimetre).
TIE_M = 0.05

T0_WINDOW = TimeWindow(T0, T0 + timedelta(hours=1))
BAND = AltitudeBand(0.0, 100.0)

windows = st.builds(
    lambda start, minutes: TimeWindow(
        T0 + timedelta(minutes=start), T0 + timedelta(minutes=start + minutes)
    ),
    st.integers(-120, 120),
    st.integers(1, 120),
)
bands = st.builds(
    lambda lower, height: AltitudeBand(float(lower), float(lower + height)),
    st.integers(-50, 300),
    st.integers(1, 300),
)
separations = st.builds(
    Separation,
    st.one_of(st.just(0.0), st.floats(0.0, 1000.0)),
    st.one_of(st.just(0.0), st.integers(0, 50).map(float)),
    st.one_of(st.just(0.0), st.integers(0, 600).map(float)),
)


def _volumes(
    pair: tuple[Shape, Shape],
    times: tuple[TimeWindow, TimeWindow],
    alts: tuple[AltitudeBand, AltitudeBand],
) -> tuple[Volume4D, Volume4D]:
    a, b = pair
    return Volume4D(a.footprint(), alts[0], times[0]), Volume4D(b.footprint(), alts[1], times[1])


def _conflict(a: Volume4D, b: Volume4D, separation: Separation) -> bool:
    return volumes_conflict(a, b, separation, projector(a)) is not None


@PROPERTY
@given(shape_pairs(), st.tuples(windows, windows), st.tuples(bands, bands), separations)
def test_conflict_is_symmetric(
    pair: tuple[Shape, Shape],
    times: tuple[TimeWindow, TimeWindow],
    alts: tuple[AltitudeBand, AltitudeBand],
    separation: Separation,
) -> None:
    assume(abs(signed_gap(*pair) - separation.horizontal_m) > TIE_M)
    a, b = _volumes(pair, times, alts)
    assert _conflict(a, b, separation) == _conflict(b, a, separation)


@PROPERTY
@given(shape_pairs(), separations)
def test_footprints_conflict_exactly_when_closer_than_the_separation(
    pair: tuple[Shape, Shape], separation: Separation
) -> None:
    """The answer of the projected test is the one of the shapes as built, in metres."""
    gap = signed_gap(*pair)
    assume(abs(gap - separation.horizontal_m) > TIE_M)
    a, b = _volumes(pair, (T0_WINDOW, T0_WINDOW), (BAND, BAND))
    assert _conflict(a, b, separation) == (gap < separation.horizontal_m)


@PROPERTY
@given(
    shape_pairs(),
    st.tuples(windows, windows),
    st.tuples(bands, bands),
    separations,
    st.integers(-(10**9), 10**9).map(lambda s: timedelta(seconds=s)),
)
def test_shifting_both_volumes_in_time_keeps_the_answer(
    pair: tuple[Shape, Shape],
    times: tuple[TimeWindow, TimeWindow],
    alts: tuple[AltitudeBand, AltitudeBand],
    separation: Separation,
    delta: timedelta,
) -> None:
    a, b = _volumes(pair, times, alts)
    a2 = Volume4D(a.footprint, a.altitude, a.time.shifted(delta))
    b2 = Volume4D(b.footprint, b.altitude, b.time.shifted(delta))
    before = volumes_conflict(a, b, separation, projector(a))
    after = volumes_conflict(a2, b2, separation, projector(a2))
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after.time == before.time.shifted(delta)
        assert after.altitude == before.altitude


@PROPERTY
@given(
    shape_pairs(),
    st.tuples(windows, windows),
    st.tuples(bands, bands),
    separations,
    separations,
)
def test_raising_separation_never_removes_a_conflict(
    pair: tuple[Shape, Shape],
    times: tuple[TimeWindow, TimeWindow],
    alts: tuple[AltitudeBand, AltitudeBand],
    separation: Separation,
    extra: Separation,
) -> None:
    wider = Separation(
        separation.horizontal_m + extra.horizontal_m,
        separation.vertical_m + extra.vertical_m,
        separation.time_s + extra.time_s,
    )
    a, b = _volumes(pair, times, alts)
    narrow_overlap = volumes_conflict(a, b, separation, projector(a))
    wide_overlap = volumes_conflict(a, b, wider, projector(a))
    if narrow_overlap is not None:
        assert wide_overlap is not None
        assert wide_overlap.time.start <= narrow_overlap.time.start
        assert wide_overlap.time.end >= narrow_overlap.time.end
        assert wide_overlap.altitude.lower_m <= narrow_overlap.altitude.lower_m
        assert wide_overlap.altitude.upper_m >= narrow_overlap.altitude.upper_m
