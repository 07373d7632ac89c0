"""`POST /v1/checks` over HTTP: `deconflict serve` in its own processes, driven by wrk.

    .venv/bin/python -m bench.http_checks                      # PostgreSQL, 1 and 2 workers
    .venv/bin/python -m bench.http_checks --database sqlite --workers 1 --operations 0
    .venv/bin/python -m bench.http_checks --rate-limit redis --workers 2 --clients 16

Each run gets a fresh database (PostgreSQL: created on the server of --postgres-url and
dropped at the end; SQLite: a file in a temporary folder), optionally seeded with the
bench scenario (`bench.scenario.seed`: the planted operations around the query and
N - 10 others spread over 500 km x 500 km and a week). The query is the scenario's: one
600 m circle, one hour, sent by the scenario's querying party with a submitter token.
Before the load one answer is checked (200, and the planted conflicts when seeded).

The load generator is wrk (Debian: `apt-get install -y wrk`), closed loop: each of
--clients connections sends its next check as soon as the previous answer arrived
(HTTP/1.1 keep-alive). wrk is C and LuaJIT: its CPU per request is printed beside the
server's and PostgreSQL's, so that one can see it did not take the server's cores.
Latencies are wrk's (HdrHistogram, microsecond resolution), over --seconds after a
warm-up of --warmup seconds with the same clients.

Rate limit: the production configuration, DECONFLICT_RATE_LIMIT_PER_MINUTE=120 and
burst 60 per token, would refuse a benchmark's second second. So the limiter stays on
with a budget no run exhausts. Where the buckets live: by default as in production
without Redis, in memory with one process and in the database with several;
--rate-limit redis sets DECONFLICT_REDIS_URL (--redis-url); --rate-limit off sets
DECONFLICT_RATE_LIMIT_PER_MINUTE=0.

"in-process ms" is `check_volumes` called directly in this process on the same
database, without HTTP (the median of 300 calls): the storage and service part of a check.
The difference from the HTTP p50 at one client is what the API layer and the socket add.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import scenario
from deconflict.bootstrap import bootstrap
from deconflict.config import Settings
from deconflict.domain.model import Party
from deconflict.services import operations as ops
from deconflict.services.ports import Transaction
from tests.conftest import POSTGRES_ADMIN_URL, _fresh_postgres
from tests.load import Server, _cpu_s, database_pids, serving

POSTGRES_URL_ENV = "DECONFLICT_BENCH_POSTGRES_URL"
REDIS_URL_ENV = "DECONFLICT_BENCH_REDIS_URL"
#: A budget no benchmark run spends: the limiter runs, and never refuses.
UNSPENDABLE = "1000000000"

#: wrk's `done` callback: the figures as one JSON line that `wrk()` reads.
WRK_DONE = """
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "WRK-RESULT {\\"requests\\": %d, \\"duration_us\\": %d, \\"connect\\": %d, "
    .. "\\"read\\": %d, \\"write\\": %d, \\"status\\": %d, \\"timeout\\": %d, "
    .. "\\"p50_us\\": %d, \\"p90_us\\": %d, \\"p99_us\\": %d, \\"max_us\\": %d}\\n",
    summary.requests, summary.duration, e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""

_WRK_SCRIPT = """
wrk.method = "POST"
wrk.body = {body}
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = {authorization}
""" + WRK_DONE.replace("{", "{{").replace("}", "}}")


def _lua_string(text: str) -> str:
    return "[==[" + text + "]==]"


def check_body() -> dict[str, Any]:
    """The scenario's query as the API takes it."""
    volume = scenario.query_volume()
    return {
        "volumes": [
            {
                "footprint": {
                    "type": "circle",
                    "center": {"lat": scenario.QUERY_CENTER.lat, "lng": scenario.QUERY_CENTER.lng},
                    "radius_m": scenario.QUERY_RADIUS_M,
                },
                "altitude_lower_m": volume.altitude.lower_m,
                "altitude_upper_m": volume.altitude.upper_m,
                "time_start": volume.time.start.isoformat(),
                "time_end": volume.time.end.isoformat(),
            }
        ]
    }


@dataclass
class Run:
    clients: int
    requests: int
    per_s: float
    p50_ms: float
    p99_ms: float
    errors: int  # non-2xx answers and socket errors
    server_cpu_ms: float  # per request: the API processes
    database_cpu_ms: float  # per request: PostgreSQL's processes
    client_cpu_ms: float  # per request: wrk


def wrk(
    server: Server,
    script: Path,
    clients: int,
    seconds: float,
    path: str = "/v1/checks",
    threads: int = 2,
) -> Run:
    """One closed-loop wrk run of `clients` connections for `seconds` against `path`."""
    threads = min(clients, threads)
    pids = server.pids()
    database = {pid: _cpu_s([pid]) for pid in database_pids()}
    server_before = _cpu_s(pids)
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        [
            "wrk",
            f"-t{threads}",
            f"-c{clients}",
            f"-d{max(1, round(seconds))}s",
            "--timeout",
            "30s",
            "-s",
            str(script),
            f"{server.url}{path}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu = (children.ru_utime + children.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    found = re.search(r"^WRK-RESULT (\{.*\})$", done.stdout, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk said:\n{done.stdout}\n{done.stderr}")
    r = json.loads(found.group(1))
    n = max(1, r["requests"])
    return Run(
        clients=clients,
        requests=r["requests"],
        per_s=r["requests"] / (r["duration_us"] / 1e6),
        p50_ms=r["p50_us"] / 1000,
        p99_ms=r["p99_us"] / 1000,
        errors=r["status"] + r["connect"] + r["read"] + r["write"] + r["timeout"],
        server_cpu_ms=1000 * (_cpu_s(pids) - server_before) / n,
        database_cpu_ms=1000 * _database_cpu_since(database) / n,
        client_cpu_ms=1000 * client_cpu / n,
    )


def _database_cpu_since(before: dict[int, float]) -> float:
    """PostgreSQL's CPU seconds since `before` (pid: CPU seconds then): a backend that
    started since counts whole, one that ended since is lost (pools rarely close any)."""
    return sum(_cpu_s([pid]) - before.get(pid, 0.0) for pid in database_pids())


@contextmanager
def fresh_database(database: str, folder: Path, postgres_url: str) -> Iterator[str]:
    if database == "sqlite":
        yield f"sqlite:///{folder / 'checks.db'}"
        return
    with _fresh_postgres(postgres_url) as url:
        yield url


def seed(url: str, data: Path, operations: int) -> float:
    """Stores the scenario's parties and `operations` counting operations (0: the
    querying party alone); returns the median in-process `check_volumes` time in ms."""
    container = bootstrap(Settings(data_dir=data, database_url=url, audit_anchor_interval_s=0))
    try:
        if operations:
            scenario.seed(container, operations)
        else:

            def party(tx: Transaction) -> None:
                created = scenario.T0 - scenario.SPAN
                tx.parties.add(Party(scenario.QUERY_PARTY, "Bench querying party", created))

            container.uow.run(party)
        caller, volumes = scenario.query_caller(), (scenario.query_volume(),)
        times = []
        for i in range(350):
            began = time.perf_counter()
            ops.check_volumes(container.uow, container.ctx, caller, volumes)
            if i >= 50:
                times.append(time.perf_counter() - began)
        return 1000 * statistics.median(times)
    finally:
        container.close()


def measure(
    database: str,
    workers: int,
    clients: list[int],
    operations: int,
    seconds: float,
    warmup: float,
    rate_limit: str,
    postgres_url: str,
    redis_url: str,
    stub: bool = False,
) -> list[str]:
    env: dict[str, str] = {}
    if rate_limit != "off":
        env.update(
            DECONFLICT_RATE_LIMIT_PER_MINUTE=UNSPENDABLE, DECONFLICT_RATE_LIMIT_BURST=UNSPENDABLE
        )
    if rate_limit == "redis":
        env["DECONFLICT_REDIS_URL"] = redis_url
    where = {"off": "off", "redis": "Redis", "default": "memory" if workers == 1 else "database"}[
        rate_limit
    ]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder)
        with fresh_database(database, data, postgres_url) as url:
            in_process_ms = seed(url, data, operations)
            module = "bench.stub_serve" if stub else "deconflict"
            with serving(url, data, workers, module, **env) as server:
                token = server.token(scenario.QUERY_PARTY, "submitter", subject="bench-submitter")
                body = json.dumps(check_body(), separators=(",", ":"))
                answer = httpx.post(
                    f"{server.url}/v1/checks",
                    content=body,
                    headers={
                        "Authorization": f"Bearer {token}",
                        "Content-Type": "application/json",
                    },
                    timeout=30,
                )
                if answer.status_code != 200:
                    raise RuntimeError(f"the check answered {answer.status_code}: {answer.text}")
                conflicts = len(answer.json()["conflicts"])
                if operations and not stub and conflicts != len(scenario.planted().conflicts):
                    raise RuntimeError(f"the check found {conflicts} conflicts: {answer.text}")
                script = data / "check.lua"
                script.write_text(
                    _WRK_SCRIPT.format(
                        body=_lua_string(body), authorization=_lua_string(f"Bearer {token}")
                    )
                )
                for n in clients:
                    wrk(server, script, n, warmup)
                    r = wrk(server, script, n, seconds)
                    stored = "stub" if stub else f"{operations:,}"
                    rows.append(
                        f"| {database} | {stored} | {workers} | {where} | {r.clients} | "
                        f"{r.per_s:,.0f} | {r.p50_ms:.2f} | {r.p99_ms:.2f} | {r.errors} | "
                        f"{r.server_cpu_ms:.2f} | {r.database_cpu_ms:.2f} | "
                        f"{r.client_cpu_ms:.3f} | {in_process_ms:.2f} |"
                    )
                    print(rows[-1], flush=True)
    return rows


HEADER = (
    "| database | stored | workers | rate limit | clients | checks/s | p50 ms | p99 ms | "
    "errors | server CPU ms/check | database CPU ms/check | wrk CPU ms/check | "
    "in-process ms |\n"
    "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database", choices=["postgresql", "sqlite"], action="append")
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--clients", type=int, action="append")
    parser.add_argument(
        "--operations", type=int, action="append", help="stored operations (default 0 and 10000)"
    )
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument(
        "--rate-limit",
        choices=["default", "redis", "off"],
        default="default",
        help="where the (unspendable) budget lives; default: memory with one process, "
        "the database with several",
    )
    parser.add_argument(
        "--stub",
        action="store_true",
        help="the API layer alone: check_volumes answers at once (bench.stub_serve; 1 worker)",
    )
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV, POSTGRES_ADMIN_URL),
        help=f"a PostgreSQL server's admin URL [env {POSTGRES_URL_ENV}]",
    )
    parser.add_argument(
        "--redis-url", default=os.environ.get(REDIS_URL_ENV, "redis://127.0.0.1:6379/15")
    )
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        parser.error("wrk is not installed (Debian: apt-get install -y wrk)")
    if args.stub and any(w != 1 for w in args.workers or [1, 2]):
        parser.error("--stub serves one process: pass --workers 1")
    minimum = scenario.planted().counting
    for n in args.operations or []:
        if 0 < n < minimum:
            parser.error(f"--operations is 0 or at least {minimum} (the planted ones)")
    print(HEADER, flush=True)
    for database in args.database or ["postgresql"]:
        for operations in args.operations or [0, 10_000]:
            for workers in args.workers or [1, 2]:
                measure(
                    database,
                    workers,
                    args.clients or [1, 16, 64],
                    operations,
                    args.seconds,
                    args.warmup,
                    args.rate_limit,
                    args.postgres_url,
                    args.redis_url,
                    args.stub,
                )


if __name__ == "__main__":
    main()
