"""The DSS use cases on the in-memory fakes: the key check, off-nominal states,
implicit subscriptions, identity."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import timedelta

import pytest

from deconflict.domain.errors import Forbidden
from deconflict.domain.f3548 import IntentState, Manager, MissingOvns, Scope
from deconflict.domain.volumes import LatLng
from deconflict.services import f3548 as svc
from deconflict.services.context import ServiceContext
from tests.fakes import FakeUnitOfWork

from .support import FAR, HERE, T0, StepClock, make_context, square, unchanged, volume

SC = frozenset({Scope.STRATEGIC_COORDINATION.value})
CMSA = frozenset({Scope.CONFORMANCE_MONITORING_SA.value})
URL = "https://uss.example.test"


@pytest.fixture
def ctx() -> ServiceContext:
    return replace(make_context(), clock=StepClock(T0 - timedelta(hours=1)))


def manager(
    uow: FakeUnitOfWork, ctx: ServiceContext, subject: str, scopes: frozenset[str] = SC
) -> Manager:
    return svc.resolve_manager(uow, ctx, subject, scopes, register=True)


def command(
    where: LatLng = HERE,
    *,
    state: IntentState = IntentState.ACCEPTED,
    key: frozenset[str] = frozenset(),
) -> svc.IntentCommand:
    return svc.IntentCommand(
        extents=(volume(square(where)),),
        state=state,
        uss_base_url=URL,
        key=key,
        new_subscription=svc.ImplicitSubscription(URL),
    )


def test_an_unknown_subject_is_forbidden_unless_registration_is_asked_for(
    ctx: ServiceContext, caplog: pytest.LogCaptureFixture
) -> None:
    uow = FakeUnitOfWork()
    with unchanged(uow), pytest.raises(Forbidden):
        svc.resolve_manager(uow, ctx, "uss1", SC, register=False)
    with caplog.at_level(logging.WARNING, logger="deconflict.services.f3548"):
        first = svc.resolve_manager(uow, ctx, "uss1", SC, register=True)
    assert "registered party" in caplog.text
    assert "'uss1'" in caplog.text
    again = svc.resolve_manager(uow, ctx, "uss1", SC, register=False)
    assert first == again
    assert uow.store.parties[first.party_id].name == "F3548 USS uss1"


def test_the_managers_own_intersecting_intent_must_be_in_the_key_too(ctx: ServiceContext) -> None:
    uow = FakeUnitOfWork()
    me = manager(uow, ctx, "uss1")
    first = svc.put_intent(uow, ctx, me, "a", None, command())
    with unchanged(uow), pytest.raises(MissingOvns) as refused:
        svc.put_intent(uow, ctx, me, "b", None, command())
    assert [i.id for i in refused.value.intents] == ["a"]
    second = svc.put_intent(uow, ctx, me, "b", None, command(key=frozenset({first.intent.ovn})))
    assert second.intent.version == 1
    far = svc.put_intent(uow, ctx, me, "c", None, command(FAR))
    assert far.intent.id == "c"


def test_an_off_nominal_update_needs_no_key_and_keeps_counting_in_others_keys(
    ctx: ServiceContext,
) -> None:
    uow = FakeUnitOfWork()
    me = manager(uow, ctx, "uss1", SC | CMSA)
    other = manager(uow, ctx, "uss2")
    mine = svc.put_intent(uow, ctx, me, "a", None, command(FAR)).intent
    theirs = svc.put_intent(uow, ctx, other, "b", None, command()).intent
    moved = svc.put_intent(
        uow, ctx, me, "a", mine.ovn, command(state=IntentState.NONCONFORMING)
    ).intent
    assert moved.state is IntentState.NONCONFORMING
    assert moved.version == 2
    back = command(state=IntentState.ACTIVATED)
    with pytest.raises(MissingOvns):
        svc.put_intent(uow, ctx, me, "a", moved.ovn, back)
    activated = svc.put_intent(
        uow, ctx, me, "a", moved.ovn, replace(back, key=frozenset({theirs.ovn}))
    )
    assert activated.intent.state is IntentState.ACTIVATED


def test_an_implicit_subscription_is_replaced_with_each_new_one_and_dropped_with_its_intent(
    ctx: ServiceContext,
) -> None:
    uow = FakeUnitOfWork()
    me = manager(uow, ctx, "uss1")
    created = svc.put_intent(uow, ctx, me, "a", None, command()).intent
    first_sub = created.subscription_id
    assert first_sub in uow.store.f3548_subscriptions
    updated = svc.put_intent(uow, ctx, me, "a", created.ovn, command()).intent
    assert updated.subscription_id != first_sub
    assert first_sub not in uow.store.f3548_subscriptions
    svc.delete_intent(uow, ctx, me, "a", updated.ovn)
    assert uow.store.f3548_subscriptions == {}
    assert uow.store.f3548_intents == {}
    [operation] = uow.store.operations.values()
    assert operation.state.value == "withdrawn"


def test_an_expired_subscription_is_no_longer_found_by_area(ctx: ServiceContext) -> None:
    uow = FakeUnitOfWork()
    me = manager(uow, ctx, "uss1")
    area = volume(square(HERE))
    command = svc.SubscriptionCommand(
        area=area,
        time_start=None,
        time_end=None,
        uss_base_url=URL,
        notify_for_operational_intents=True,
        notify_for_constraints=False,
    )
    made = svc.put_subscription(uow, ctx, me, "s", None, command).subscription
    assert made.time_end - made.time_start == timedelta(hours=24)
    assert [s.id for s in svc.query_subscriptions(uow, ctx, me, area)] == ["s"]
    later = replace(ctx, clock=StepClock(made.time_end))
    assert svc.query_subscriptions(uow, later, me, area) == []
