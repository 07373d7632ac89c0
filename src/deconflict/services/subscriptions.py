"""Subscriptions, their event stream and their webhook deliveries."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlsplit

from deconflict.domain.errors import InvalidInput, NotFound, StateConflict
from deconflict.domain.geometry import check_footprint
from deconflict.domain.model import Caller
from deconflict.domain.subscription import Delivery, OutboxEvent, Subscription
from deconflict.domain.volumes import Volume4D

from .access import Action, authorize
from .audit import record
from .context import ServiceContext
from .ports import Page, Transaction, UnitOfWork

MAX_SUBSCRIPTIONS_PER_PARTY = 100


@dataclass(frozen=True, slots=True)
class SubscriptionCreate:
    volume: Volume4D
    webhook_url: str | None


def _check_url(url: str, ctx: ServiceContext) -> None:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput.at(("webhook_url",), "a webhook URL is an absolute http(s) URL")
    if parts.username or parts.password:
        raise InvalidInput.at(
            ("webhook_url",), "put no credentials in a webhook URL; verify the signature"
        )
    refusal = ctx.webhook_targets.refusal(url)
    if refusal is not None:
        raise InvalidInput.at(("webhook_url",), refusal)


def create_subscription(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, command: SubscriptionCreate
) -> Subscription:
    """Subscribes the caller's party to an area and time window (`POST /v1/subscriptions`).

    The returned subscription carries the signing secret of its webhooks; it is shown
    only here."""
    authorize(caller, Action.SUBSCRIPTION_MANAGE)
    try:
        check_footprint(command.volume.footprint, ctx.frames, ctx.limits.footprint)
    except InvalidInput as e:  # located under `footprint`: the request calls it `area`
        raise InvalidInput([(("area", *loc[1:]), msg) for loc, msg in e.problems]) from None
    if command.webhook_url is not None:
        _check_url(command.webhook_url, ctx)

    def work(tx: Transaction) -> Subscription:
        if tx.parties.get(caller.party_id) is None:
            raise StateConflict(f"the caller's party {caller.party_id} is not registered")
        if len(tx.subscriptions.of_party(caller.party_id)) >= MAX_SUBSCRIPTIONS_PER_PARTY:
            raise StateConflict(
                f"a party holds at most {MAX_SUBSCRIPTIONS_PER_PARTY} subscriptions"
            )
        subscription = Subscription(
            id=ctx.new_id(),
            party_id=caller.party_id,
            volume=command.volume,
            webhook_url=command.webhook_url,
            secret=secrets.token_urlsafe(32),
            created_at=ctx.clock(),
        )
        tx.subscriptions.add(subscription)
        record(tx, ctx, caller, "subscription.created", _public(subscription), subscription.id)
        return subscription

    return uow.run(work)


def _public(subscription: Subscription) -> Subscription:
    """The subscription without its secret: what the audit log fingerprints."""
    return replace(subscription, secret="")


def _own(tx: Transaction, caller: Caller, subscription_id: str) -> Subscription:
    subscription = tx.subscriptions.get(subscription_id)
    if subscription is None or subscription.party_id != caller.party_id:
        raise NotFound(f"no subscription {subscription_id}")
    return subscription


def list_subscriptions(uow: UnitOfWork, caller: Caller) -> list[Subscription]:
    """The caller's party's subscriptions (`GET /v1/subscriptions`)."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: tx.subscriptions.of_party(caller.party_id), write=False)


def get_subscription(uow: UnitOfWork, caller: Caller, subscription_id: str) -> Subscription:
    """One of the caller's subscriptions (`GET /v1/subscriptions/{id}`)."""
    authorize(caller, Action.READ)
    return uow.run(lambda tx: _own(tx, caller, subscription_id), write=False)


def delete_subscription(
    uow: UnitOfWork, ctx: ServiceContext, caller: Caller, subscription_id: str
) -> None:
    """Ends a subscription with its undelivered events (`DELETE /v1/subscriptions/{id}`)."""
    authorize(caller, Action.SUBSCRIPTION_MANAGE)

    def work(tx: Transaction) -> None:
        subscription = _own(tx, caller, subscription_id)
        tx.subscriptions.delete(subscription_id)
        record(tx, ctx, caller, "subscription.deleted", _public(subscription), subscription_id)

    uow.run(work)


def deliveries(uow: UnitOfWork, caller: Caller, subscription_id: str, page: Page) -> list[Delivery]:
    """Webhook deliveries of a subscription, newest first, with attempts and errors
    (`GET /v1/subscriptions/{id}/deliveries`)."""
    authorize(caller, Action.READ)

    def work(tx: Transaction) -> list[Delivery]:
        _own(tx, caller, subscription_id)
        return tx.outbox.deliveries(subscription_id, page)

    return uow.run(work, write=False)


def events_since(
    uow: UnitOfWork, caller: Caller, positions: Mapping[str, int], limit: int = 100
) -> list[OutboxEvent]:
    """The caller's party's events after the given per-subscription sequence numbers
    (`GET /v1/events`, resumable)."""
    authorize(caller, Action.READ)
    return uow.run(
        lambda tx: tx.outbox.events_after(caller.party_id, positions, limit), write=False
    )
