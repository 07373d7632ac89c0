"""The DSS domain's names and limits are the standard's (as uas-standards spells them)."""

from __future__ import annotations

from uas_standards.astm.f3548.v21 import api, constants

from deconflict.domain import f3548


def test_scopes_states_and_availability_are_the_standards() -> None:
    assert {s.value for s in f3548.Scope} == {s.value for s in constants.Scope}
    assert {s.value for s in f3548.IntentState} == {s.value for s in api.OperationalIntentState}
    assert {a.value for a in f3548.Availability} == {a.value for a in api.UssAvailabilityState}


def test_limits_are_the_standards() -> None:
    assert f3548.OI_MAX_PLAN_HORIZON.days == constants.OiMaxPlanHorizonDays
    assert f3548.CSTR_MAX_PLAN_HORIZON.days == constants.CstrMaxPlanningHorizonDays
    assert constants.OiMaxVertices == f3548.OI_MAX_VERTICES
    assert constants.CstrMaxVertices == f3548.CSTR_MAX_VERTICES
    assert constants.CstrMaxAreaKm2 * 1e6 == f3548.MAX_AREA_M2
    hours = f3548.MAX_SUBSCRIPTION_DURATION.total_seconds() / 3600
    assert hours == constants.DSSMaxSubscriptionDurationHours


def test_only_nominal_intents_need_keys_and_only_accepted_ones_may_go_without_subscription() -> (
    None
):
    s = f3548.IntentState
    assert [x for x in s if x.requires_key] == [s.ACCEPTED, s.ACTIVATED]
    assert [x for x in s if not x.requires_subscription] == [s.ACCEPTED]
    assert [x for x in s if x.off_nominal] == [s.NONCONFORMING, s.CONTINGENT]
