"""Pairwise 4D conflicts: the catalogue, and the windows and bands they report."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from deconflict.adapters.projection import local_frame
from deconflict.domain.conflicts import (
    Overlap,
    Separation,
    altitude_overlap,
    time_overlap,
    volumes_conflict,
)
from deconflict.domain.errors import IncomparableAltitudes
from deconflict.domain.geometry import PlanarFootprint
from deconflict.domain.volumes import (
    ALWAYS,
    AltitudeBand,
    AltitudeReference,
    Footprint,
    TimeWindow,
)
from tests.geometries import (
    BAND,
    CASES,
    HOUR,
    NEXT_HOUR,
    T0,
    ZURICH,
    Case,
    projector,
    rect,
    volume,
)

SYMMETRIC_CASES = [c for c in CASES if c.symmetric]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_volumes_conflict_over_the_catalogue(case: Case) -> None:
    overlap = volumes_conflict(case.a, case.b, case.separation, projector(case.a))
    assert (overlap is not None) is case.conflict


@pytest.mark.parametrize("case", SYMMETRIC_CASES, ids=lambda c: c.name)
def test_volumes_conflict_over_the_catalogue_the_other_way_round(case: Case) -> None:
    overlap = volumes_conflict(case.b, case.a, case.separation, projector(case.b))
    assert (overlap is not None) is case.conflict


@pytest.mark.parametrize("case", [c for c in CASES if c.conflict], ids=lambda c: c.name)
def test_a_conflict_reports_a_window_and_band_within_the_other_volume(case: Case) -> None:
    overlap = volumes_conflict(case.a, case.b, case.separation, projector(case.a))
    assert overlap is not None
    assert case.b.time.start <= overlap.time.start < overlap.time.end <= case.b.time.end
    assert case.b.altitude.lower_m <= overlap.altitude.lower_m
    assert overlap.altitude.lower_m < overlap.altitude.upper_m <= case.b.altitude.upper_m


# ---- the windows and bands returned -------------------------------------------------------


def test_time_overlap_is_the_shared_part_of_the_other_window() -> None:
    other = TimeWindow(T0 + timedelta(minutes=30), T0 + timedelta(minutes=90))
    assert time_overlap(HOUR, other, 0.0) == TimeWindow(
        T0 + timedelta(minutes=30), T0 + timedelta(minutes=60)
    )


def test_time_overlap_with_separation_reaches_into_the_other_window() -> None:
    assert time_overlap(HOUR, NEXT_HOUR, 60.0) == TimeWindow(
        NEXT_HOUR.start, NEXT_HOUR.start + timedelta(seconds=60)
    )
    assert time_overlap(NEXT_HOUR, HOUR, 60.0) == TimeWindow(
        HOUR.end - timedelta(seconds=60), HOUR.end
    )


def test_time_overlap_never_exceeds_the_other_window() -> None:
    inner = TimeWindow(T0 + timedelta(minutes=10), T0 + timedelta(minutes=20))
    assert time_overlap(HOUR, inner, 3600.0) == inner
    assert time_overlap(inner, HOUR, 60.0) == TimeWindow(
        T0 + timedelta(minutes=9), T0 + timedelta(minutes=21)
    )


def test_time_windows_touching_do_not_overlap() -> None:
    assert time_overlap(HOUR, NEXT_HOUR, 0.0) is None
    assert time_overlap(NEXT_HOUR, HOUR, 0.0) is None


def test_time_windows_exactly_the_separation_apart_do_not_overlap() -> None:
    later = NEXT_HOUR.shifted(timedelta(seconds=60))
    assert time_overlap(HOUR, later, 60.0) is None
    assert time_overlap(HOUR, later, 60.000001) == TimeWindow(
        later.start, later.start + timedelta(microseconds=1)
    )


def test_time_separation_near_the_first_representable_time_does_not_overflow() -> None:
    first_minute = TimeWindow(datetime(1, 1, 1, tzinfo=UTC), datetime(1, 1, 1, 0, 1, tzinfo=UTC))
    assert time_overlap(first_minute, HOUR, 60.0) is None
    assert time_overlap(first_minute, ALWAYS, 60.0) == TimeWindow(
        ALWAYS.start, datetime(1, 1, 1, 0, 2, tzinfo=UTC)
    )


def test_time_separation_near_the_last_representable_time_does_not_overflow() -> None:
    last = datetime(9999, 12, 31, 23, 59, 59, tzinfo=UTC)
    last_minute = TimeWindow(last - timedelta(minutes=1), last)
    assert time_overlap(last_minute, HOUR, 120.0) is None
    tail = TimeWindow(last - timedelta(hours=1), last)
    assert time_overlap(last_minute, tail, 120.0) == TimeWindow(last - timedelta(minutes=3), last)


def test_an_always_active_volume_checked_with_time_separation_does_not_overflow() -> None:
    footprint = rect(local_frame(ZURICH), -100, -100, 100, 100)
    always = volume(footprint, time=ALWAYS)
    overlap = volumes_conflict(
        always, volume(footprint), Separation(time_s=60.0), projector(always)
    )
    assert overlap == Overlap(HOUR, BAND)


def test_altitude_overlap_is_the_shared_part_of_the_other_band() -> None:
    assert altitude_overlap(AltitudeBand(0, 100), AltitudeBand(50, 200), 0.0) == AltitudeBand(
        50, 100
    )


def test_altitude_overlap_with_separation_reaches_into_the_other_band() -> None:
    assert altitude_overlap(AltitudeBand(0, 100), AltitudeBand(100, 200), 30.0) == AltitudeBand(
        100, 130
    )
    assert altitude_overlap(AltitudeBand(100, 200), AltitudeBand(0, 100), 30.0) == AltitudeBand(
        70, 100
    )


def test_altitude_bands_touching_do_not_overlap() -> None:
    assert altitude_overlap(AltitudeBand(0, 100), AltitudeBand(100, 200), 0.0) is None
    assert altitude_overlap(AltitudeBand(100, 200), AltitudeBand(0, 100), 0.0) is None


def test_altitude_bands_exactly_the_separation_apart_do_not_overlap() -> None:
    assert altitude_overlap(AltitudeBand(0, 100), AltitudeBand(150, 200), 50.0) is None


def test_altitude_overlap_keeps_the_reference_of_the_other_band() -> None:
    band = altitude_overlap(BAND, AltitudeBand(100, 300), 0.0)
    assert band is not None
    assert band.reference is AltitudeReference.W84


def test_bands_of_one_reference_are_comparable() -> None:
    assert altitude_overlap(AltitudeBand(0, 10), AltitudeBand(5, 20), 0.0) == AltitudeBand(5, 10)


def test_a_band_left_above_mean_sea_level_is_never_compared_with_one_above_wgs84() -> None:
    """AMSL and AGL bands are converted (heights.to_w84) before any comparison; one that
    was not would be wrong by tens of metres, so comparing it is refused."""
    amsl = AltitudeBand(0, 10, AltitudeReference.AMSL)
    with pytest.raises(IncomparableAltitudes, match="AMSL cannot be compared with W84"):
        altitude_overlap(amsl, AltitudeBand(5, 20), 0.0)


# ---- separation and the order of the tests ------------------------------------------------


@pytest.mark.parametrize("field", ["horizontal_m", "vertical_m", "time_s"])
def test_negative_separation_is_refused(field: str) -> None:
    with pytest.raises(ValueError, match=f"separation {field} must not be negative"):
        Separation(**{field: -1.0})


def test_footprints_are_projected_only_when_time_and_altitude_overlap() -> None:
    footprint = rect(local_frame(ZURICH), -100, -100, 100, 100)
    projected: list[Footprint] = []
    project = projector(volume(footprint))

    def spy(f: Footprint) -> PlanarFootprint:
        projected.append(f)
        return project(f)

    apart_in_time = volumes_conflict(
        volume(footprint, time=HOUR), volume(footprint, time=NEXT_HOUR), Separation(), spy
    )
    apart_in_altitude = volumes_conflict(
        volume(footprint, altitude=AltitudeBand(0, 10)),
        volume(footprint, altitude=AltitudeBand(20, 30)),
        Separation(),
        spy,
    )
    assert apart_in_time is None
    assert apart_in_altitude is None
    assert projected == []
    overlap = volumes_conflict(volume(footprint), volume(footprint), Separation(), spy)
    assert overlap == Overlap(HOUR, BAND)
    assert projected == [footprint, footprint]
