"""Webhooks go to public addresses only, checked again at each send after resolving the
name, and sent to the address checked (issue 17). The resolver is the one thing
scripted here: a test cannot make real DNS answer differently from one moment to the
next, which is what DNS rebinding does."""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest

from deconflict.adapters.egress import WebhookTargets
from deconflict.adapters.webhooks import NO_RESPONSE, HttpWebhookSender
from deconflict.bootstrap import Container
from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import Caller, Role
from deconflict.domain.subscription import DeliveryState
from deconflict.domain.volumes import AltitudeBand, Circle, LatLng, TimeWindow, Volume4D
from deconflict.services import operations as ops
from deconflict.services import registry, subscriptions
from deconflict.services.dispatch import DispatchPolicy, dispatch_once
from deconflict.services.ports import Page
from tests.receiver import Receiver, receiving

START = datetime.now(UTC).replace(microsecond=0) + timedelta(days=2)


class Dns:
    """Answers each name with the addresses set for it now."""

    def __init__(self) -> None:
        self.answers: dict[str, list[str]] = {}
        self.asked: list[str] = []

    def __call__(self, host: str, port: int) -> Sequence[str]:
        self.asked.append(host)
        if host not in self.answers:
            raise OSError("no such name")
        return self.answers[host]


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


opened: list[World] = []


@pytest.fixture(autouse=True)
def _close_worlds(container: Container) -> Iterator[None]:
    """Closes each world before the container's database goes."""
    yield
    while opened:
        opened.pop().close()


class World:
    """A party whose subscription's webhook goes to `url`, under `targets`."""

    def __init__(self, c: Container, targets: WebhookTargets, url: str) -> None:
        self.c = dataclasses.replace(c, ctx=dataclasses.replace(c.ctx, webhook_targets=targets))
        root = Caller("t", "t", frozenset({Role.OPERATOR}))
        party = registry.create_party(c.uow, c.ctx, root, f"hooks-{uuid.uuid4().hex[:8]}")
        self.pilot = Caller("pilot", party.id, frozenset({Role.SUBMITTER}))
        self.center = LatLng(-30.0 + uuid.uuid4().int % 1000 / 100, 60.0)
        area = Volume4D(
            Circle(self.center, 20_000),
            AltitudeBand(0, 1000),
            TimeWindow(START, START + timedelta(days=3)),
        )
        self.subscription = subscriptions.create_subscription(
            self.c.uow, self.c.ctx, self.pilot, subscriptions.SubscriptionCreate(area, url)
        )
        self.sender = HttpWebhookSender(timeout_s=5, targets=targets)
        opened.append(self)

    def close(self) -> None:
        """Ends the subscription with its pending deliveries: the session's PostgreSQL
        database is shared, and other tests' dispatchers would find them due."""
        subscriptions.delete_subscription(self.c.uow, self.c.ctx, self.pilot, self.subscription.id)

    def submit_and_dispatch(self) -> subscriptions.Delivery:
        volume = Volume4D(
            Circle(self.center, 200),
            AltitudeBand(10, 90),
            TimeWindow(START, START + timedelta(minutes=30)),
        )
        ops.submit_operation(
            self.c.uow, self.c.ctx, self.pilot, ops.OperationCommand("op", 0, (volume,))
        )
        # At least ours: the session's PostgreSQL database holds other tests' deliveries.
        assert dispatch_once(self.c.uow, self.c.ctx, self.sender, "d1", DispatchPolicy()) >= 1
        [delivery] = subscriptions.deliveries(
            self.c.uow, self.pilot, self.subscription.id, Page(limit=10)
        )
        return delivery


def test_a_name_that_resolves_to_loopback_by_the_time_of_sending_is_not_sent_to(
    container: Container, receiver: Receiver
) -> None:
    dns = Dns()
    port = urlsplit(receiver.url).port
    dns.answers["hooks.rebind.test"] = ["93.184.216.34"]  # public when subscribing
    world = World(container, WebhookTargets((), dns), f"http://hooks.rebind.test:{port}/hook")
    dns.answers["hooks.rebind.test"] = ["127.0.0.1"]  # loopback when sending
    delivery = world.submit_and_dispatch()
    assert delivery.state is DeliveryState.PENDING
    assert delivery.last_error == (
        "not sent: 127.0.0.1 is not a public address (hooks.rebind.test resolves to it): "
        "webhooks go to public hosts"
    )
    assert receiver.requests == [], "nothing reached the loopback receiver"
    assert dns.asked == ["hooks.rebind.test", "hooks.rebind.test"], "checked at both times"


def test_a_send_goes_to_the_address_checked_with_the_name_in_the_host_header(
    container: Container, receiver: Receiver
) -> None:
    dns = Dns()
    port = urlsplit(receiver.url).port
    # Only the scripted resolver knows this name: httpx, resolving it again, could not
    # connect, so a delivery shows that the request went to the pinned address.
    dns.answers["hooks.pinned.test"] = ["127.0.0.1"]
    targets = WebhookTargets(["127.0.0.0/8"], dns)
    world = World(container, targets, f"http://hooks.pinned.test:{port}/hook")
    delivery = world.submit_and_dispatch()
    assert (delivery.state, delivery.last_error) == (DeliveryState.DELIVERED, None)
    [received] = receiver.accepted
    assert received.headers["Host"] == f"hooks.pinned.test:{port}"
    assert received.json["subscription_id"] == world.subscription.id


def test_the_delivery_log_says_no_response_not_why_the_connection_failed(
    container: Container, receiver: Receiver
) -> None:
    closed = urlsplit(receiver.url).port
    with receiving() as other:  # a port that was open a moment ago and is closed now
        closed = urlsplit(other.url).port
    world = World(container, WebhookTargets(["127.0.0.1"]), f"http://127.0.0.1:{closed}/")
    delivery = world.submit_and_dispatch()
    assert (delivery.state, delivery.last_error) == (DeliveryState.PENDING, NO_RESPONSE)


@pytest.mark.parametrize(
    ("answers", "fragment"),
    [
        (["10.1.2.3"], "10.1.2.3 is not a public address (hooks.inside.test resolves to it)"),
        (["93.184.216.34", "169.254.169.254"], "169.254.169.254 is not a public address"),
        (["::ffff:192.168.0.1"], "::ffff:c0a8:1 is not a public address"),
    ],
)
def test_a_name_resolving_to_a_private_address_is_refused_when_subscribing(
    container: Container, answers: list[str], fragment: str
) -> None:
    dns = Dns()
    dns.answers["hooks.inside.test"] = answers
    with pytest.raises(InvalidInput) as refused:
        World(container, WebhookTargets((), dns), "https://hooks.inside.test/in")
    [(loc, message)] = refused.value.problems
    assert loc == ("webhook_url",)
    assert fragment in message
