"""What a deployment does by itself, once per deployment however many API processes run:
act on passed review deadlines, anchor the audit chains, forget expired idempotency
keys. Every process runs this loop; a lease in the database picks the one that acts,
and another takes over within a lease's time when that one dies."""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from deconflict.bootstrap import Container
from deconflict.services import audit, idempotency, leases
from deconflict.services.reviews import process_deadlines

log = logging.getLogger(__name__)

LEASE = "background"


def process_owner() -> str:
    """A name for this process in leases: host, pid and a random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass(slots=True)
class _Chore:
    name: str
    interval_s: float
    run: Callable[[], object]
    next_at: float = 0.0


class Background:
    """The loop; `tick()` does one round (tests call it directly)."""

    def __init__(self, container: Container, owner: str | None = None) -> None:
        self._c = container
        self.owner = owner or process_owner()
        s = container.settings
        uow, ctx = container.uow, container.ctx
        chores = [
            _Chore("review deadlines", s.deadline_interval_s, lambda: process_deadlines(uow, ctx)),
            _Chore("audit anchoring", s.audit_anchor_interval_s, lambda: audit.anchor(uow, ctx)),
            _Chore("idempotency keys", 60.0, lambda: idempotency.expire(uow, ctx)),
        ]
        self._chores = [c for c in chores if c.interval_s > 0]
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def idle(self) -> bool:
        """Nothing to do at all (every chore switched off)."""
        return not self._chores

    def holds_lease(self, name: str = LEASE) -> bool:
        c = self._c
        return leases.hold(c.uow, c.ctx, name, self.owner, c.settings.lease_s)

    def tick(self) -> bool:
        """Runs the chores that are due, if this process holds the lease; whether it did."""
        if not self.holds_lease():
            return False
        now = time.monotonic()
        for chore in self._chores:
            if now >= chore.next_at:
                chore.next_at = now + chore.interval_s
                try:
                    chore.run()
                except Exception:  # keep going: one failed chore must not stop the others
                    log.exception("%s failed", chore.name)
        return True

    def _loop(self) -> None:
        step_s = min([c.interval_s for c in self._chores] + [self._c.settings.lease_s / 3])
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # the database may be away for a moment: try again
                log.exception("background round failed")
            self._stop.wait(step_s)

    def start(self) -> None:
        if self.idle:
            return
        self._thread = threading.Thread(target=self._loop, name="background", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
