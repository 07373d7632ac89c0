"""The webhook dispatcher as a running loop: in `deconflict serve` or `deconflict worker`."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from deconflict.adapters.egress import WebhookTargets
from deconflict.adapters.webhooks import HttpWebhookSender
from deconflict.bootstrap import Container
from deconflict.services.dispatch import DispatchPolicy, dispatch_once

from .background import process_owner

log = logging.getLogger(__name__)


def policy_of(container: Container) -> DispatchPolicy:
    s = container.settings
    return DispatchPolicy(
        max_attempts=s.webhook_max_attempts,
        backoff_s=s.webhook_backoff_s,
        max_backoff_s=s.webhook_max_backoff_s,
        lease_s=s.webhook_lease_s,
    )


class Dispatcher:
    """Polls the outbox and delivers webhooks until stopped; several may run at once
    against one database (leases keep them from sending one delivery twice). With a
    `gate`, a round runs only while the gate says so (the API processes' lease)."""

    def __init__(self, container: Container, gate: Callable[[], bool] | None = None) -> None:
        self._container = container
        self._gate = gate
        self._policy = policy_of(container)
        settings = container.settings
        self._sender = HttpWebhookSender(
            settings.webhook_timeout_s, WebhookTargets(settings.webhook_allow_hosts)
        )
        self.owner = process_owner()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run_once(self) -> int:
        c = self._container
        return dispatch_once(c.uow, c.ctx, self._sender, self.owner, self._policy)

    def run(self, on_idle: Callable[[], object] | None = None) -> None:
        """Loops until stopped: sends what is due, else runs `on_idle` and waits a poll
        interval."""
        interval_s = self._container.settings.dispatch_interval_s
        while not self._stop.is_set():
            try:
                sent = self.run_once() if self._gate is None or self._gate() else 0
                if not sent and on_idle is not None:
                    on_idle()
            except Exception:  # keep dispatching: one failed round must not stop the next
                log.exception("webhook dispatch round failed")
                sent = 0
            if not sent:
                self._stop.wait(interval_s)

    def stop_soon(self) -> None:
        """Asks the loop to end after the delivery in flight (safe from a signal handler)."""
        self._stop.set()

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="webhook-dispatcher", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
        self._sender.close()
