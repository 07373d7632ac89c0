"""Policy: what the conflicts of a submission mean under the submitter's agreements."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import pytest

from deconflict.adapters.projection import local_frame
from deconflict.domain.assessment import (
    Assessment,
    Conflict,
    ConflictKind,
    NoticeTarget,
    OperationCandidate,
    Relations,
    RequiredReview,
    assess,
)
from deconflict.domain.conflicts import Overlap, Separation
from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import (
    Agreement,
    AgreementKind,
    AgreementState,
    OperationState,
    Zone,
    ZoneDisclosure,
    ZoneKind,
    default_disclosure,
)
from deconflict.domain.volumes import AltitudeBand, Footprint, TimeWindow, Volume4D
from tests.geometries import BAND, HOUR, NEXT_HOUR, T0, ZURICH, rect, volume

ME = "party-me"
PARTNER = "party-partner"
STRANGER = "party-stranger"
DEFAULT = Separation(horizontal_m=50.0, vertical_m=10.0, time_s=60.0)

FRAME = local_frame(ZURICH)
#: The submitted footprint, 200 m square around ZURICH.
MINE = rect(FRAME, -100, -100, 100, 100)
#: Overlaps MINE.
OVERLAPPING = rect(FRAME, 50, 50, 250, 250)
#: 30 m east of MINE: within the 50 m default separation.
CLOSE = rect(FRAME, 130, -100, 330, 100)
#: 5 km away: clear of everything.
FAR = rect(FRAME, 5000, 5000, 5200, 5200)


def zone(
    zone_id: str,
    party_id: str,
    kind: ZoneKind,
    footprint: Footprint = OVERLAPPING,
    altitude: AltitudeBand = BAND,
    periods: tuple[TimeWindow, ...] = (),
    disclosure: ZoneDisclosure | None = None,
) -> Zone:
    """A zone; STRANGER stands for an authority, so its restricted zones are public."""
    return Zone(
        zone_id,
        party_id,
        kind,
        f"zone {zone_id}",
        footprint,
        altitude,
        periods,
        T0,
        disclosure=disclosure or default_disclosure(kind, party_id == STRANGER),
    )


def agreement(
    kind: AgreementKind,
    partner: str = PARTNER,
    separation: Separation | None = None,
    agreement_id: str = "agreement-1",
) -> Agreement:
    return Agreement(agreement_id, kind, ME, partner, AgreementState.ACTIVE, separation, T0)


def operation(op_id: str, party_id: str, *footprints: Footprint) -> OperationCandidate:
    return OperationCandidate(op_id, party_id, tuple(volume(f) for f in footprints))


def run(
    *,
    zones: Sequence[Zone] = (),
    operations: Sequence[OperationCandidate] = (),
    agreements: Sequence[Agreement] = (),
    volumes: Sequence[Volume4D] = (volume(MINE),),
    default: Separation = DEFAULT,
    authorities: Sequence[str] = (STRANGER,),
) -> Assessment:
    relations = Relations.of(ME, agreements, default, authorities)
    return assess(volumes, relations, zones, operations, local_frame)


# ---- restricted zones ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("authority", "disclosure", "partner", "binds"),
    [
        (True, ZoneDisclosure.PUBLIC, False, True),
        (True, ZoneDisclosure.PARTNERS, False, False),
        (True, ZoneDisclosure.PARTNERS, True, True),
        (False, ZoneDisclosure.PUBLIC, False, False),
        (False, ZoneDisclosure.PUBLIC, True, True),
        (False, ZoneDisclosure.PARTNERS, False, False),
        (False, ZoneDisclosure.PARTNERS, True, True),
    ],
)
def test_a_restricted_zone_binds_only_parties_that_may_see_it(
    authority: bool, disclosure: ZoneDisclosure, partner: bool, binds: bool
) -> None:
    """An authority's public zone binds everyone; any other binds agreement partners."""
    result = run(
        zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, disclosure=disclosure)],
        agreements=[agreement(AgreementKind.DECONFLICTION, STRANGER)] if partner else [],
        authorities=[STRANGER] if authority else [],
    )
    assert result.refused is binds
    assert len(result.conflicts) == int(binds)


def test_a_restricted_zone_cannot_be_private() -> None:
    with pytest.raises(InvalidInput) as refused:
        zone("z1", STRANGER, ZoneKind.RESTRICTED, disclosure=ZoneDisclosure.PRIVATE)
    assert refused.value.problems[0][0] == ("disclosure",)


def test_an_authoritys_public_restricted_zone_refuses_a_stranger() -> None:
    result = run(
        zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, disclosure=ZoneDisclosure.PUBLIC)],
        authorities=[STRANGER],
    )
    assert result.refused
    assert [(c.kind, c.subject_type, c.subject_id, c.party_id) for c in result.conflicts] == [
        (ConflictKind.RESTRICTED_ZONE, "zone", "z1", STRANGER)
    ]
    assert result.required_reviews == ()
    assert result.notices == ()


def test_restricted_zone_of_a_partner_refuses_too() -> None:
    result = run(
        zones=[zone("z1", PARTNER, ZoneKind.RESTRICTED)],
        agreements=[agreement(AgreementKind.COORDINATION)],
    )
    assert result.refused
    assert result.required_reviews == ()
    assert result.notices == ()


def test_restricted_zone_within_the_default_separation_refuses() -> None:
    result = run(zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, footprint=CLOSE)])
    assert result.refused


def test_restricted_zone_beyond_the_separation_does_not_refuse() -> None:
    result = run(zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, footprint=FAR)])
    assert not result.refused
    assert result.conflicts == ()
    assert result.state is OperationState.APPROVED


def test_restricted_zone_outside_its_active_periods_does_not_refuse() -> None:
    later = NEXT_HOUR.shifted(timedelta(hours=1))
    result = run(zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, periods=(later,))])
    assert not result.refused


def test_restricted_zone_reports_each_active_period_that_conflicts() -> None:
    periods = (
        TimeWindow(T0 - timedelta(hours=1), T0 + timedelta(minutes=10)),
        NEXT_HOUR.shifted(timedelta(hours=5)),
        TimeWindow(T0 + timedelta(minutes=50), T0 + timedelta(hours=3)),
    )
    result = run(zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, periods=periods)])
    assert [c.overlap.time for c in result.conflicts] == [
        TimeWindow(T0 - timedelta(minutes=1), T0 + timedelta(minutes=10)),
        TimeWindow(T0 + timedelta(minutes=50), T0 + timedelta(hours=1, minutes=1)),
    ]


def test_restricted_zone_above_the_volume_and_vertical_separation_does_not_refuse() -> None:
    high = AltitudeBand(BAND.upper_m + DEFAULT.vertical_m, 1000.0)
    result = run(zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED, altitude=high)])
    assert not result.refused


# ---- review zones -------------------------------------------------------------------------


def test_review_zone_of_a_coordination_partner_requires_review() -> None:
    coordination = agreement(AgreementKind.COORDINATION)
    result = run(zones=[zone("z1", PARTNER, ZoneKind.REVIEW)], agreements=[coordination])
    assert not result.refused
    assert result.required_reviews == (RequiredReview(PARTNER, coordination.id, ("z1",)),)
    assert result.state is OperationState.IN_REVIEW
    assert [(c.kind, c.subject_id) for c in result.conflicts] == [(ConflictKind.REVIEW_ZONE, "z1")]


def test_review_zones_entered_by_several_volumes_are_listed_once() -> None:
    coordination = agreement(AgreementKind.COORDINATION)
    result = run(
        zones=[zone("z1", PARTNER, ZoneKind.REVIEW), zone("z2", PARTNER, ZoneKind.REVIEW)],
        agreements=[coordination],
        volumes=[volume(MINE), volume(OVERLAPPING), volume(FAR)],
    )
    assert result.required_reviews == (RequiredReview(PARTNER, coordination.id, ("z1", "z2")),)
    assert [(c.volume_index, c.subject_id) for c in result.conflicts] == [
        (0, "z1"),
        (0, "z2"),
        (1, "z1"),
        (1, "z2"),
    ]


def test_reviews_of_several_partners_are_sorted_by_party() -> None:
    result = run(
        zones=[zone("z1", "party-b", ZoneKind.REVIEW), zone("z2", "party-a", ZoneKind.REVIEW)],
        agreements=[
            agreement(AgreementKind.COORDINATION, "party-b", agreement_id="ab"),
            agreement(AgreementKind.COORDINATION, "party-a", agreement_id="aa"),
        ],
    )
    assert result.required_reviews == (
        RequiredReview("party-a", "aa", ("z2",)),
        RequiredReview("party-b", "ab", ("z1",)),
    )


def test_review_zone_of_a_deconfliction_partner_is_not_reported() -> None:
    result = run(
        zones=[zone("z1", PARTNER, ZoneKind.REVIEW)],
        agreements=[agreement(AgreementKind.DECONFLICTION)],
    )
    assert result == Assessment((), (), ())
    assert result.state is OperationState.APPROVED


def test_review_zone_of_a_non_partner_is_not_reported() -> None:
    result = run(zones=[zone("z1", STRANGER, ZoneKind.REVIEW)])
    assert result == Assessment((), (), ())


def test_review_zone_of_a_coordination_partner_not_entered_requires_nothing() -> None:
    result = run(
        zones=[zone("z1", PARTNER, ZoneKind.REVIEW, footprint=FAR)],
        agreements=[agreement(AgreementKind.COORDINATION)],
    )
    assert result == Assessment((), (), ())
    assert result.state is OperationState.APPROVED


# ---- notify zones -------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(AgreementKind))
def test_notify_zone_of_a_partner_gives_a_notice(kind: AgreementKind) -> None:
    partnership = agreement(kind)
    result = run(zones=[zone("z1", PARTNER, ZoneKind.NOTIFY)], agreements=[partnership])
    assert not result.refused
    assert result.required_reviews == ()
    assert result.state is OperationState.APPROVED
    (conflict,) = result.conflicts
    assert conflict.kind is ConflictKind.NOTIFY_ZONE
    [notice] = result.notices
    assert notice == NoticeTarget(
        PARTNER, partnership.id, "z1", 0, conflict.overlap, notice.outline
    )
    assert notice.outline is not None, "a notice outlines where the plan comes near the zone"


def test_notify_zone_of_a_non_partner_is_not_reported() -> None:
    result = run(zones=[zone("z1", STRANGER, ZoneKind.NOTIFY)])
    assert result == Assessment((), (), ())


def test_notice_names_the_volume_that_entered_the_zone() -> None:
    result = run(
        zones=[zone("z1", PARTNER, ZoneKind.NOTIFY, footprint=FAR)],
        agreements=[agreement(AgreementKind.DECONFLICTION)],
        volumes=[volume(MINE), volume(FAR)],
    )
    assert [n.volume_index for n in result.notices] == [1]


# ---- own zones and operations -------------------------------------------------------------


@pytest.mark.parametrize("kind", list(ZoneKind))
def test_own_zones_never_conflict(kind: ZoneKind) -> None:
    result = run(zones=[zone("z1", ME, kind)])
    assert result == Assessment((), (), ())


def test_own_operations_never_conflict() -> None:
    result = run(operations=[operation("op1", ME, MINE)])
    assert result == Assessment((), (), ())


# ---- operations ---------------------------------------------------------------------------


def test_operation_of_another_party_conflicts_without_refusing() -> None:
    result = run(operations=[operation("op1", STRANGER, OVERLAPPING, FAR)])
    assert not result.refused
    assert result.state is OperationState.APPROVED
    assert [(c.kind, c.subject_type, c.subject_id, c.party_id) for c in result.conflicts] == [
        (ConflictKind.OPERATION, "operation", "op1", STRANGER)
    ]


def test_operation_conflict_reports_the_window_and_band_within_the_other_volume() -> None:
    other = OperationCandidate(
        "op1",
        STRANGER,
        (Volume4D(OVERLAPPING, AltitudeBand(100.0, 500.0), NEXT_HOUR),),
    )
    result = run(operations=[other])
    (conflict,) = result.conflicts
    assert conflict.overlap == Overlap(
        TimeWindow(NEXT_HOUR.start, NEXT_HOUR.start + timedelta(seconds=60)),
        AltitudeBand(100.0, 130.0),
    )


# ---- separation ---------------------------------------------------------------------------


def test_default_separation_applies_to_non_partners() -> None:
    result = run(operations=[operation("op1", STRANGER, CLOSE)])
    assert len(result.conflicts) == 1


def test_per_agreement_separation_overrides_a_larger_default() -> None:
    narrow = agreement(AgreementKind.DECONFLICTION, separation=Separation(10.0, 0.0, 0.0))
    result = run(operations=[operation("op1", PARTNER, CLOSE)], agreements=[narrow])
    assert result.conflicts == ()


def test_per_agreement_separation_overrides_a_smaller_default() -> None:
    wide = agreement(AgreementKind.COORDINATION, separation=Separation(40.0, 0.0, 0.0))
    result = run(
        operations=[operation("op1", PARTNER, CLOSE)],
        agreements=[wide],
        default=Separation(),
    )
    assert len(result.conflicts) == 1


def test_per_agreement_separation_applies_to_the_partners_zones() -> None:
    narrow = agreement(AgreementKind.COORDINATION, separation=Separation(10.0, 0.0, 0.0))
    result = run(zones=[zone("z1", PARTNER, ZoneKind.RESTRICTED, CLOSE)], agreements=[narrow])
    assert not result.refused


def test_per_agreement_separation_does_not_apply_to_other_parties() -> None:
    narrow = agreement(AgreementKind.DECONFLICTION, separation=Separation(10.0, 0.0, 0.0))
    result = run(operations=[operation("op1", STRANGER, CLOSE)], agreements=[narrow])
    assert len(result.conflicts) == 1


def test_agreement_without_separation_uses_the_default() -> None:
    plain = agreement(AgreementKind.DECONFLICTION, separation=None)
    relations = Relations.of(ME, [plain], DEFAULT)
    assert relations.separation_with(PARTNER) == DEFAULT


def test_relations_are_keyed_by_the_other_party_whichever_proposed() -> None:
    proposed_by_partner = Agreement(
        "a1", AgreementKind.COORDINATION, PARTNER, ME, AgreementState.ACTIVE, None, T0
    )
    relations = Relations.of(ME, [proposed_by_partner], DEFAULT)
    assert set(relations.agreements) == {PARTNER}


def test_widest_separation_is_the_largest_minimum_in_each_dimension() -> None:
    relations = Relations.of(
        ME,
        [
            agreement(AgreementKind.COORDINATION, "p1", Separation(500.0, 0.0, 0.0), "a1"),
            agreement(AgreementKind.COORDINATION, "p2", Separation(0.0, 0.0, 600.0), "a2"),
            agreement(AgreementKind.COORDINATION, "p3", None, "a3"),
        ],
        DEFAULT,
    )
    assert relations.widest_separation() == Separation(500.0, 10.0, 600.0)


# ---- need to know -------------------------------------------------------------------------


def _conflict(subject_type: str, party_id: str) -> Conflict:
    kind = ConflictKind.OPERATION if subject_type == "operation" else ConflictKind.NOTIFY_ZONE
    return Conflict(kind, 0, subject_type, "subject-1", party_id, Overlap(HOUR, BAND))


def test_conflict_seen_by_another_party_hides_the_operation_and_its_owner() -> None:
    seen = _conflict("operation", STRANGER).seen_by(ME)
    assert seen.subject_id is None
    assert seen.party_id is None
    assert seen.overlap == Overlap(HOUR, BAND)
    assert seen.kind is ConflictKind.OPERATION


def test_conflict_seen_by_the_operations_owner_shows_it() -> None:
    conflict = _conflict("operation", STRANGER)
    assert conflict.seen_by(STRANGER) == conflict


def test_zone_conflicts_are_shown_to_anyone() -> None:
    conflict = _conflict("zone", STRANGER)
    assert conflict.seen_by(ME) == conflict


def test_assessment_seen_by_hides_other_parties_operations_only() -> None:
    result = run(
        zones=[zone("z1", STRANGER, ZoneKind.RESTRICTED)],
        operations=[operation("op1", STRANGER, OVERLAPPING)],
    )
    seen = result.seen_by(ME)
    assert [(c.subject_id, c.party_id) for c in seen.conflicts] == [
        ("z1", STRANGER),
        (None, None),
    ]
    assert seen.refused
