"""Webhook delivery from the outbox to a real local HTTP receiver: signatures, retries
with backoff, dead letters, order per subscription, and one delivery per try when
several dispatchers share the database."""

from __future__ import annotations

import dataclasses
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from deconflict.adapters.egress import WebhookTargets
from deconflict.adapters.webhooks import HttpWebhookSender, verify
from deconflict.bootstrap import Container
from deconflict.config import Settings
from deconflict.domain.model import Caller, Role
from deconflict.domain.subscription import DeliveryState
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import operations as ops
from deconflict.services import registry, subscriptions
from deconflict.services.dispatch import DispatchPolicy, dispatch_once
from deconflict.services.ports import Page
from tests.receiver import Receiver, receiving

START = datetime(2035, 3, 1, 8, tzinfo=UTC)
SLOW_RETRIES = DispatchPolicy(backoff_s=10)


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2035, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


#: The receiver listens on loopback, which webhooks may reach only when allowed.
ALLOW = ["127.0.0.1"]


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"webhook_allow_hosts": ALLOW})


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def timed(container: Container, clock: Clock) -> Container:
    return dataclasses.replace(container, ctx=dataclasses.replace(container.ctx, clock=clock))


class World:
    def __init__(self, c: Container, receiver: Receiver) -> None:
        self.c = c
        root = Caller("t", "t", frozenset({Role.OPERATOR}))
        party = registry.create_party(c.uow, c.ctx, root, f"op-{uuid.uuid4().hex[:8]}")
        self.pilot = Caller("pilot", party.id, frozenset({Role.SUBMITTER}))
        self.center = LatLng(-40.0 + uuid.uuid4().int % 1000 / 100, 100.0)
        self.subscription = subscriptions.create_subscription(
            c.uow,
            c.ctx,
            self.pilot,
            subscriptions.SubscriptionCreate(
                Volume4D(
                    Circle(self.center, 20_000),
                    AltitudeBand(0, 1000),
                    TimeWindow(START, START + timedelta(days=30)),
                ),
                receiver.url,
            ),
        )
        self.sender = HttpWebhookSender(timeout_s=5, targets=WebhookTargets(ALLOW))
        self.n = 0

    def submit(self) -> str:
        self.n += 1
        begin = START + timedelta(hours=self.n)
        volume = Volume4D(
            Circle(self.center, 200),
            AltitudeBand(10, 90),
            TimeWindow(begin, begin + timedelta(minutes=30)),
        )
        return ops.submit_operation(
            self.c.uow, self.c.ctx, self.pilot, ops.OperationCommand(f"op {self.n}", 0, (volume,))
        ).operation.id

    def dispatch(self, policy: DispatchPolicy = SLOW_RETRIES, owner: str = "d1") -> int:
        return dispatch_once(self.c.uow, self.c.ctx, self.sender, owner, policy)

    def deliveries(self) -> list[subscriptions.Delivery]:
        return subscriptions.deliveries(
            self.c.uow, self.pilot, self.subscription.id, Page(limit=100)
        )


def test_an_event_is_delivered_signed_with_the_subscription_secret(
    timed: Container, receiver: Receiver
) -> None:
    world = World(timed, receiver)
    operation_id = world.submit()
    assert world.dispatch() == 1
    [received] = receiver.accepted
    body = received.json
    assert (body["type"], body["sequence"], body["subscription_id"]) == (
        "operation.created",
        1,
        world.subscription.id,
    )
    assert body["payload"] == {
        "operation_id": operation_id,
        "name": "op 1",
        "version": 1,
        "state": "approved",
        "conditions": [],
    }
    assert verify(world.subscription.secret, received.headers, received.body)
    assert not verify("another secret", received.headers, received.body)
    assert not verify(world.subscription.secret, received.headers, received.body + b" ")
    [delivery] = world.deliveries()
    assert (delivery.state, delivery.attempts) == (DeliveryState.DELIVERED, 1)
    assert world.dispatch() == 0, "nothing is sent twice"


def test_a_delivery_is_retried_with_backoff_after_the_receiver_fails_twice(
    timed: Container, receiver: Receiver, clock: Clock
) -> None:
    world = World(timed, receiver)
    world.submit()
    receiver.fail_next = 2
    assert world.dispatch() == 1
    [failed] = world.deliveries()
    assert (failed.state, failed.attempts, failed.last_error) == (
        DeliveryState.PENDING,
        1,
        "HTTP 500",
    )
    assert failed.next_attempt_at >= clock.now + timedelta(seconds=9), "backs off about 10 s"
    assert world.dispatch() == 0, "not before the backoff has passed"
    clock.now += timedelta(seconds=12)
    assert world.dispatch() == 1
    second = world.deliveries()[0]
    assert second.attempts == 2
    assert second.next_attempt_at - clock.now >= timedelta(seconds=18), "the wait doubles"
    clock.now += timedelta(seconds=25)
    assert world.dispatch() == 1
    [done] = world.deliveries()
    assert (done.state, done.attempts) == (DeliveryState.DELIVERED, 3)
    assert len(receiver.requests) == 3
    assert len({r.headers["Deconflict-Event-Id"] for r in receiver.requests}) == 1


def test_a_delivery_that_keeps_failing_is_dead_lettered_and_the_next_one_flows(
    timed: Container, receiver: Receiver, clock: Clock
) -> None:
    world = World(timed, receiver)
    policy = DispatchPolicy(max_attempts=3, backoff_s=1)
    world.submit()
    receiver.always_fail = True
    for _ in range(3):
        assert world.dispatch(policy) == 1
        clock.now += timedelta(seconds=60)
    [dead] = world.deliveries()
    assert (dead.state, dead.attempts, dead.last_error) == (DeliveryState.DEAD, 3, "HTTP 500")
    assert world.dispatch(policy) == 0, "a dead letter is not retried"
    receiver.always_fail = False
    world.submit()
    assert world.dispatch(policy) == 1
    assert [d.state for d in world.deliveries()] == [DeliveryState.DELIVERED, DeliveryState.DEAD]


def test_events_of_a_subscription_arrive_in_order_even_when_one_fails_first(
    timed: Container, receiver: Receiver, clock: Clock
) -> None:
    world = World(timed, receiver)
    for _ in range(5):
        world.submit()
    receiver.fail_next = 1
    for _ in range(12):
        world.dispatch(DispatchPolicy(backoff_s=1))
        clock.now += timedelta(seconds=5)
    assert [r.json["sequence"] for r in receiver.accepted] == [1, 2, 3, 4, 5]
    assert [r.json["sequence"] for r in receiver.requests] == [1, 1, 2, 3, 4, 5]


def test_several_dispatchers_deliver_each_event_once(
    container: Container, receiver: Receiver
) -> None:
    world = World(container, receiver)
    for _ in range(24):
        world.submit()
    # A second subscription gives the dispatchers two queues to share.
    subscriptions.create_subscription(
        container.uow,
        container.ctx,
        world.pilot,
        subscriptions.SubscriptionCreate(world.subscription.volume, receiver.url),
    )
    for _ in range(6):
        world.submit()
    barrier = threading.Barrier(3)

    def run(owner: str) -> None:
        barrier.wait()
        while world.dispatch(DispatchPolicy(), owner):
            pass

    threads = [threading.Thread(target=run, args=(f"d{i}",)) for i in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids = [r.headers["Deconflict-Event-Id"] for r in receiver.accepted]
    assert len(ids) == 36, "30 events to the first subscription, 6 to the second"
    assert len(set(ids)) == len(ids), "no event delivered twice"
