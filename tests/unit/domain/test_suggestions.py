"""Suggestions: useful, within the operation's flexibility, and not pinpointing the
reviewer's operations (whole 5 minutes and 10 m, review zone cleared when possible)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest

from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import OperationCandidate, Relations
from deconflict.domain.conflicts import Separation
from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import Agreement, AgreementKind, AgreementState, Zone, ZoneKind
from deconflict.domain.operation import Flexibility
from deconflict.domain.suggestions import SearchLimits, Suggestion, SuggestionKind, suggest
from deconflict.domain.volumes import AltitudeBand, TimeWindow, Volume4D
from tests.geometries import T0, ZURICH, rect

ME, PARTNER = "me", "partner"
FRAME = local_frame(ZURICH)
SQUARE = rect(FRAME, -100, -100, 100, 100)
SEPARATION = Separation(horizontal_m=50.0, vertical_m=10.0, time_s=60.0)
AGREEMENT = Agreement(
    "a1", AgreementKind.COORDINATION, ME, PARTNER, AgreementState.ACTIVE, None, T0
)
RELATIONS = Relations.of(ME, [AGREEMENT], SEPARATION)
#: The plan: 20-120 m, 10:00-11:00.
PLAN = Volume4D(SQUARE, AltitudeBand(20, 120), TimeWindow(T0, T0 + timedelta(hours=1)))


def _partner_flight(start_min: float, end_min: float, top_m: float = 1183.0) -> OperationCandidate:
    window = TimeWindow(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min))
    return OperationCandidate("own", PARTNER, (Volume4D(SQUARE, AltitudeBand(0, top_m), window),))


def _review_zone(start_min: float, end_min: float) -> Zone:
    window = TimeWindow(T0 + timedelta(minutes=start_min), T0 + timedelta(minutes=end_min))
    return Zone(
        "z", PARTNER, ZoneKind.REVIEW, "Range", SQUARE, AltitudeBand(0, 3000), (window,), T0
    )


def _suggest(
    operations: list[OperationCandidate],
    zones: tuple[Zone, ...] = (),
    limits: SearchLimits | None = None,
) -> dict[SuggestionKind, Suggestion]:
    ids = (f"s{i}" for i in itertools.count())
    found = suggest(
        [PLAN],
        RELATIONS,
        zones,
        operations,
        local_frame,
        PARTNER,
        lambda: next(ids),
        limits or SearchLimits.of([PLAN], None),
    )
    return {s.kind: s for s in found}


def test_moves_are_whole_five_minutes_and_never_reveal_the_partners_exact_end() -> None:
    # The partner flies until 12:31:17 (plus 60 s separation): exactly 2 h 32 min 17 s.
    found = _suggest([_partner_flight(-30, 151 + 17 / 60)])
    later = found[SuggestionKind.LATER]
    [moved] = later.volumes
    shift_s = (moved.time.start - PLAN.time.start).total_seconds()
    assert shift_s % 300 == 0
    assert 0 < shift_s - (151 * 60 + 17 + 60) < 300
    assert later.summary.startswith("start 2 h 35 min later")
    assert later.party_id == PARTNER


def test_the_band_stays_below_twice_the_planned_ceiling_by_default() -> None:
    # The partner's 1183 m ceiling: climbing above it would be a 1180 m move for a 20-120 m
    # survey, far above twice its ceiling (240 m). No such suggestion.
    found = _suggest([_partner_flight(-30, 90)])
    assert SuggestionKind.ABOVE not in found
    low = _suggest([_partner_flight(-30, 90, top_m=60)])
    [lifted] = low[SuggestionKind.ABOVE].volumes
    assert (lifted.altitude.lower_m, lifted.altitude.upper_m) == (70.0, 170.0)
    assert lifted.altitude.lower_m % 10 == 0


def test_a_shift_stays_within_six_hours_by_default_and_within_the_declared_flexibility() -> None:
    far = _suggest([_partner_flight(-30, 7 * 60)])
    assert SuggestionKind.LATER not in far, "more than 6 h later"
    flexible = SearchLimits.of([PLAN], Flexibility(latest_start=T0 + timedelta(hours=8)))
    allowed = _suggest([_partner_flight(-30, 7 * 60)], limits=flexible)
    assert SuggestionKind.LATER in allowed
    tight = SearchLimits.of([PLAN], Flexibility(latest_start=T0 + timedelta(minutes=30)))
    assert SuggestionKind.LATER not in _suggest([_partner_flight(-30, 45)], limits=tight)


def test_an_alternative_that_also_leaves_the_review_zone_is_preferred() -> None:
    # The flight ends at 10:45; the review zone is active until 12:00. Starting at 10:50
    # clears the flight but needs review again; 12:05 needs no review at all.
    zone = _review_zone(-60, 120)
    found = _suggest([_partner_flight(-30, 45)], (zone,))
    later = found[SuggestionKind.LATER]
    [moved] = later.volumes
    assert moved.time.start == T0 + timedelta(minutes=125)
    assert "no new review" in later.summary
    # Beyond the flexibility, the nearer one that clears the flight is still offered.
    limits = SearchLimits.of([PLAN], Flexibility(latest_start=T0 + timedelta(minutes=90)))
    nearer = _suggest([_partner_flight(-30, 45)], (zone,), limits)[SuggestionKind.LATER]
    assert nearer.volumes[0].time.start == T0 + timedelta(minutes=50)
    assert "no new review" not in nearer.summary


def test_a_trimmed_window_is_cut_at_whole_five_minutes() -> None:
    found = _suggest([_partner_flight(-30, 17 + 1 / 3)])
    [trimmed] = found[SuggestionKind.TRIM].volumes
    assert trimmed.time.start.minute % 5 == 0
    assert trimmed.time.start.second == 0
    assert trimmed.time.end == PLAN.time.end


@pytest.mark.parametrize(
    ("flexibility", "field"),
    [
        (Flexibility(earliest_start=T0 + timedelta(minutes=5)), "earliest_start"),
        (Flexibility(latest_start=T0 - timedelta(minutes=5)), "latest_start"),
        (Flexibility(lowest_m=30), "lowest_m"),
        (Flexibility(highest_m=100), "highest_m"),
    ],
)
def test_a_plan_outside_its_own_flexibility_is_refused_at_the_bound(
    flexibility: Flexibility, field: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        flexibility.check([PLAN])
    assert [loc for loc, _ in refused.value.problems] == [(field,)]


def test_a_flexibility_with_crossed_bounds_is_refused() -> None:
    with pytest.raises(InvalidInput):
        Flexibility(earliest_start=T0, latest_start=T0 - timedelta(seconds=1))
    with pytest.raises(InvalidInput):
        Flexibility(lowest_m=100, highest_m=100)
