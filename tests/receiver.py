"""A real HTTP webhook receiver on 127.0.0.1 for the tests: records what it is sent and
answers as scripted (fail the first N requests, hang, or succeed)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict[str, Any]:
        doc: dict[str, Any] = json.loads(self.body)
        return doc


@dataclass
class Receiver:
    url: str
    requests: list[Received] = field(default_factory=list)
    accepted: list[Received] = field(default_factory=list)
    fail_next: int = 0  # answer this many requests with 500
    always_fail: bool = False
    hang: threading.Event | None = None  # while set, requests wait (a receiver that hangs)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, received: Received) -> int:
        with self.lock:
            self.requests.append(received)
            if self.always_fail or self.fail_next > 0:
                self.fail_next = max(0, self.fail_next - 1)
                return 500
        hang = self.hang
        if hang is not None:
            hang.wait(timeout=30)
            return 503
        with self.lock:
            self.accepted.append(received)
        return 204


@contextmanager
def receiving() -> Iterator[Receiver]:
    """Runs a receiver until the block ends."""
    receiver: Receiver

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status = receiver.answer(Received(dict(self.headers.items()), body))
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        if receiver.hang is not None:
            receiver.hang.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
