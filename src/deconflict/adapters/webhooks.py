"""Signed webhook delivery with httpx.

Each POST carries the event as JSON and these headers:

- `Deconflict-Event-Id`, `Deconflict-Subscription`, `Deconflict-Sequence`
- `Deconflict-Timestamp`: Unix seconds when it was signed
- `Deconflict-Signature`: `v1=` + hex HMAC-SHA256 over `<timestamp>.<body>` with the
  subscription's secret

A receiver recomputes the signature over the raw body (see `verify`), compares in
constant time, and refuses timestamps too far from its clock (replays).

Each send goes to an address checked by `egress.WebhookTargets` (public only, unless
allowed). The delivery log says what the receiver answered (`HTTP 503`), or that there
was no answer, never why the connection failed: that would tell a subscriber which
ports are open where the dispatcher runs.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Mapping
from typing import Any

import httpx

from deconflict.domain.subscription import OutboxEvent

from .egress import Unreachable, WebhookTargets

SIGNATURE = "Deconflict-Signature"
TIMESTAMP = "Deconflict-Timestamp"
NO_RESPONSE = "no HTTP response"


def body_of(event: OutboxEvent) -> bytes:
    document: dict[str, Any] = {
        "id": event.id,
        "type": event.type.value,
        "subscription_id": event.subscription_id,
        "sequence": event.sequence,
        "created_at": event.created_at.isoformat(),
        "payload": event.payload,
    }
    return json.dumps(document, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(secret: str, headers: Mapping[str, str], body: bytes, tolerance_s: int = 300) -> bool:
    """True when the headers carry a valid, fresh signature of `body` (receiver side)."""
    try:
        timestamp = int(headers[TIMESTAMP])
    except (KeyError, ValueError):
        return False
    if abs(time.time() - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), headers.get(SIGNATURE, ""))


class HttpWebhookSender:
    """Implements services.dispatch.WebhookSender."""

    def __init__(
        self,
        timeout_s: float,
        targets: WebhookTargets,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._client = httpx.Client(timeout=timeout_s, follow_redirects=False, transport=transport)
        self._targets = targets

    def send(self, url: str, secret: str, event: OutboxEvent) -> str | None:
        body = body_of(event)
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "deconflict-webhooks",
            "Deconflict-Event-Id": str(event.id),
            "Deconflict-Subscription": event.subscription_id,
            "Deconflict-Sequence": str(event.sequence),
            TIMESTAMP: str(timestamp),
            SIGNATURE: sign(secret, timestamp, body),
        }
        try:
            pinned = self._targets.pin(url)
        except Unreachable as e:
            return f"not sent: {e}"
        try:
            response = self._client.post(
                pinned.url,
                content=body,
                headers={**headers, **pinned.headers},
                extensions=pinned.extensions,
            )
        except httpx.HTTPError:
            return NO_RESPONSE
        if 200 <= response.status_code < 300:
            return None
        return f"HTTP {response.status_code}"

    def close(self) -> None:
        self._client.close()
