"""Load against a real `deconflict serve` process (one or several workers): many clients
submit pairs of mutually overlapping operations, each pair at a place of its own, and
retry with Idempotency-Key like a careful client. Shared by the concurrency test in the
suite (tests/e2e/test_load.py) and the throughput benchmark (bench/load.py).

What a run reports: every answer's status, the latency of each successful submission,
lost conflicts (pairs in which neither submission saw the other), duplicates (stored
operations beyond one per pair side), and the CPU time the server and database used.
"""

from __future__ import annotations

import os
import random
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx

from deconflict.bootstrap import bootstrap
from deconflict.config import Settings

ADMIN = "bootstrap-admin"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]
    settings: Settings
    log: Path

    def token(self, party_id: str, *roles: str, subject: str | None = None) -> str:
        container = bootstrap(self.settings, migrate=False)
        try:
            return container.issuer.mint(party_id, list(roles), 3600, subject)
        finally:
            container.close()

    def pids(self) -> list[int]:
        """The server process and its children (the worker processes)."""
        return [self.process.pid, *self.workers()]

    def workers(self) -> list[int]:
        """The pids of the worker processes (none when the server is one process)."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        pids = [int(p) for p in children.read_text().split()] if children.exists() else []
        return [p for p in pids if "spawn_main" in _cmdline(p)]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


@contextmanager
def serving(
    database_url: str, data_dir: Path, workers: int = 1, module: str = "deconflict", **env: str
) -> Iterator[Server]:
    """`deconflict serve --workers N` on a free port, rate limit off unless `env` sets one
    (DECONFLICT_* variables), until the block ends. `module` is what `python -m` runs:
    the CLI, or a wrapper of it."""
    port = free_port()
    settings = Settings(data_dir=data_dir, database_url=database_url)
    bootstrap(settings).close()  # migrate and make the signing key before the workers start
    environment = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    environment.update(
        {
            "DECONFLICT_DATA_DIR": str(data_dir),
            "DECONFLICT_DATABASE_URL": database_url,
            "DECONFLICT_RATE_LIMIT_PER_MINUTE": "0",
            "DECONFLICT_DB_POOL_SIZE": "20",
            "DECONFLICT_DB_MAX_OVERFLOW": "20",
            **env,  # the caller's settings win (e.g. a rate limit after all)
        }
    )
    log = data_dir / f"server-{port}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                module,
                "serve",
                "--port",
                str(port),
                "--workers",
                str(workers),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    server = Server(url, process, settings, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the server did not come up:\n{log.read_text()}")
            time.sleep(0.2)
        # Every worker answers only once it has started: give each a request.
        time.sleep(0.5 * workers)
        yield server
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _pair_volume(index: int, start: datetime, origin: tuple[float, float]) -> dict[str, Any]:
    """Pair `index`'s place: a 600 m circle on a grid 0.2 degrees apart (no pair meets
    another), an hour from `start`."""
    lat = origin[0] + (index // 50) * 0.2
    lng = origin[1] + (index % 50) * 0.2
    return {
        "footprint": {"type": "circle", "center": {"lat": lat, "lng": lng}, "radius_m": 600},
        "altitude_lower_m": 20,
        "altitude_upper_m": 120,
        "time_start": start.isoformat(),
        "time_end": (start + timedelta(hours=1)).isoformat(),
    }


@dataclass
class Result:
    clients: int
    submissions: int
    elapsed_s: float
    statuses: Counter[int] = field(default_factory=Counter)
    latencies_s: list[float] = field(default_factory=list)
    transport_errors: int = 0
    lost_conflicts: int = 0
    duplicates: int = 0
    replays_checked: int = 0
    replays_mismatched: int = 0
    acknowledged: list[str] = field(default_factory=list)
    cpu_s: float = 0.0

    @property
    def per_s(self) -> float:
        return len(self.acknowledged) / self.elapsed_s

    def percentile_ms(self, q: float) -> float:
        if not self.latencies_s:
            return float("nan")
        ordered = sorted(self.latencies_s)
        return 1000 * ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> str:
        return (
            f"{self.clients:>3} clients: {len(self.acknowledged)}/{self.submissions} "
            f"acknowledged in {self.elapsed_s:.1f} s = {self.per_s:.1f}/s, "
            f"p50 {self.percentile_ms(0.5):.0f} ms, p99 {self.percentile_ms(0.99):.0f} ms, "
            f"statuses {dict(sorted(self.statuses.items()))}, "
            f"transport errors {self.transport_errors}, lost conflicts {self.lost_conflicts}, "
            f"duplicates {self.duplicates}"
        )


def _cpu_s(pids: list[int]) -> float:
    """User + system CPU seconds of these processes so far."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick
    return total


def database_pids() -> list[int]:
    """PostgreSQL's processes on this machine (none for SQLite)."""
    return [p for p in _all_pids() if _cmdline(p).startswith("postgres")]


def _all_pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def two_parties(server: Server, prefix: str) -> list[str]:
    """Registers two fictional parties (east and west) through the API; their ids."""
    admin = {"Authorization": f"Bearer {server.token(ADMIN, 'operator')}"}
    ids = []
    for side in ("east", "west"):
        made = httpx.post(
            f"{server.url}/v1/parties",
            json={"name": f"{prefix}-{side}-{uuid.uuid4().hex[:8]}"},
            headers=admin,
            timeout=30,
        )
        made.raise_for_status()
        ids.append(made.json()["id"])
    return ids


class Load:
    """Two parties submit `pairs` pairs of overlapping operations through `clients`
    concurrent clients; each pair's two submissions are sent at the same moment."""

    def __init__(self, server: Server, pairs: int, clients: int, resend_share: float = 0.1):
        self.server = server
        self.pairs = pairs
        self.clients = clients
        self.resend_share = resend_share
        self.parties = two_parties(server, "load")
        self.headers = [
            {"Authorization": f"Bearer {server.token(p, 'submitter', subject=f'pilot-{p}')}"}
            for p in self.parties
        ]
        rng = random.SystemRandom()
        self.origin = (rng.uniform(-50, 10), rng.uniform(-170, 100))
        self.start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=rng.randint(2, 300))

    def _send(
        self, client: httpx.Client, side: int, index: int, result: Result, lock: threading.Lock
    ) -> dict[str, Any] | None:
        body = {"name": f"pair {index}", "volumes": [_pair_volume(index, self.start, self.origin)]}
        headers = {**self.headers[side], "Idempotency-Key": f"pair-{index}-{side}"}
        for _attempt in range(50):
            began = time.perf_counter()
            try:
                answer = client.post("/v1/operations", json=body, headers=headers)
            except httpx.TransportError:
                with lock:
                    result.transport_errors += 1
                time.sleep(0.05)
                continue
            with lock:
                result.statuses[answer.status_code] += 1
            if answer.status_code == 201:
                with lock:
                    result.latencies_s.append(time.perf_counter() - began)
                created: dict[str, Any] = answer.json()
                if random.random() < self.resend_share:
                    self._resend(client, body, headers, created["id"], result, lock)
                return created
            if answer.status_code in (429, 503):
                time.sleep(float(answer.headers.get("Retry-After", "1")) * random.random())
                continue
            return None
        return None

    @staticmethod
    def _resend(
        client: httpx.Client,
        body: dict[str, Any],
        headers: dict[str, str],
        created_id: str,
        result: Result,
        lock: threading.Lock,
    ) -> None:
        """Sends an acknowledged submission again with its key: the first answer returns."""
        try:
            again = client.post("/v1/operations", json=body, headers=headers)
        except httpx.TransportError:
            return
        if again.status_code == 503:
            return
        with lock:
            result.replays_checked += 1
            if again.status_code != 201 or again.json()["id"] != created_id:
                result.replays_mismatched += 1

    def run(self, extra_pids: list[int] | None = None) -> Result:
        result = Result(self.clients, 2 * self.pairs, 0.0)
        lock = threading.Lock()
        work = [(index, side) for index in range(self.pairs) for side in (0, 1)]
        answers: dict[tuple[int, int], dict[str, Any] | None] = {}
        cursor = iter(work)
        pids = self.server.pids() + database_pids() + (extra_pids or [])
        cpu_before = _cpu_s(pids)

        def client_loop() -> None:
            with httpx.Client(base_url=self.server.url, timeout=60) as client:
                while True:
                    with lock:
                        item = next(cursor, None)
                    if item is None:
                        return
                    index, side = item
                    answers[item] = self._send(client, side, index, result, lock)

        threads = [threading.Thread(target=client_loop) for _ in range(self.clients)]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        result.elapsed_s = time.perf_counter() - began
        result.cpu_s = _cpu_s(pids) - cpu_before
        for index in range(self.pairs):
            pair = [answers.get((index, side)) for side in (0, 1)]
            result.acknowledged.extend(a["id"] for a in pair if a is not None)
            saw = [
                answer is not None
                # Pairs lie far apart: an operation conflict can only be with the partner
                # (whose party and id need-to-know hides).
                and any(c["kind"] == "operation" for c in answer["conflicts"])
                for answer in pair
            ]
            if all(a is not None for a in pair) and not any(saw):
                result.lost_conflicts += 1
        return result

    def stored(self) -> Counter[str]:
        """How many operations each party stored under each pair's name (from the API)."""
        names: Counter[str] = Counter()
        for side, headers in enumerate(self.headers):
            offset, page = 0, [None]
            while page:
                page = httpx.get(
                    f"{self.server.url}/v1/operations",
                    params={"limit": 500, "offset": offset},
                    headers=headers,
                    timeout=60,
                ).json()
                names.update(f"{side}:{o['name']}" for o in page)
                offset += 500
        return names
