"""Write throughput with a client that does not take the server's cores: wrk.

    .venv/bin/python -m bench.load_wrk                          # PostgreSQL, 1 and 2 workers
    .venv/bin/python -m bench.load_wrk --workers 2 --clients 16 --clients 64 --seconds 10

`bench/load.py` drives `deconflict serve` with Python clients (tests/load.py: threads of
httpx), which check every answer as they go but, at 64 threads, take about a core of a
2-core machine themselves. Here wrk (C and LuaJIT, one thread, N keep-alive connections)
sends the same work: two parties submit pairs of mutually overlapping operations, each
pair at its own place (a 600 m circle on a grid 0.2 degrees apart), the two sides of a
pair one after the other on different connections, each with its own Idempotency-Key.
After the run the database is read: every pair of which both sides were stored must
have one side that saw the other (a lost conflict otherwise), and no key made two
operations. wrk counts every answer that is not 2xx as an error. The rate limit is off.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from bench.http_checks import WRK_DONE, wrk
from deconflict.adapters import tables as t
from tests.conftest import _fresh_postgres
from tests.load import Server, serving, two_parties

_SCRIPT = """
local tokens = {{ {tokens} }}
local lat0, lng0 = {lat0}, {lng0}
local first = {first}
counter = 0
request = function()
  local n = first + counter
  counter = counter + 1
  local pair = math.floor(n / 2)
  local side = n % 2
  local lat = lat0 + math.floor(pair / 50) * 0.2
  local lng = lng0 + (pair % 50) * 0.2
  local body = string.format(
    '{{"name":"pair %d","volumes":[{{"footprint":{{"type":"circle","center":'
    .. '{{"lat":%.6f,"lng":%.6f}},"radius_m":600}},"altitude_lower_m":20,'
    .. '"altitude_upper_m":120,"time_start":"{start}","time_end":"{end}"}}]}}',
    pair, lat, lng)
  return wrk.format("POST", nil, {{
    ["Content-Type"] = "application/json",
    ["Authorization"] = tokens[side + 1],
    ["Idempotency-Key"] = "{run}-" .. n,
  }}, body)
end
"""


def _script(folder: Path, server: Server, parties: list[str], first: int) -> Path:
    tokens = ", ".join(
        f'"Bearer {server.token(p, "submitter", subject=f"pilot-{p}")}"' for p in parties
    )
    start = datetime.now(UTC).replace(microsecond=0) + timedelta(days=random.randint(2, 300))
    script = folder / f"load-{first}.lua"
    script.write_text(
        _SCRIPT.format(
            tokens=tokens,
            lat0=-70.0,
            lng0=-170.0,
            first=first,
            start=start.isoformat(),
            end=(start + timedelta(hours=1)).isoformat(),
            run=uuid.uuid4().hex[:8],
        )
        + WRK_DONE
    )
    return script


def _verify(url: str, parties: list[str]) -> tuple[int, int, int]:
    """(pairs stored on both sides, lost conflicts, duplicates) from the database."""
    engine = create_engine(url)
    o, v = t.operations.c, t.operation_versions.c
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                select(o.party_id, o.name, v.assessment)
                .join(t.operation_versions, (v.operation_id == o.id) & (v.number == 1))
                .where(o.party_id.in_(parties))
            ).all()
    finally:
        engine.dispose()
    sides: dict[str, list[bool]] = {}
    seen: set[tuple[str, str]] = set()
    duplicates = 0
    for party_id, name, assessment in rows:
        doc = json.loads(assessment) if isinstance(assessment, str) else assessment
        if (party_id, name) in seen:
            duplicates += 1
        seen.add((party_id, name))
        saw = any(c["kind"] == "operation" for c in doc["conflicts"])
        sides.setdefault(name, []).append(saw)
    both = [s for s in sides.values() if len(s) == 2]
    return len(both), sum(1 for s in both if not any(s)), duplicates


def run(workers: int, clients: list[int], seconds: float) -> list[str]:
    rows = []
    with tempfile.TemporaryDirectory() as folder, _fresh_postgres() as url:
        data = Path(folder)
        with serving(url, data, workers) as server:
            parties = two_parties(server, "wrk")
            first = 0
            for n in [min(clients), *clients]:  # the first run warms up pools and plans
                script = _script(data, server, parties, first)
                r = wrk(server, script, n, seconds, path="/v1/operations", threads=1)
                first += r.requests + 2 * n + 2  # the next run's pairs are new places
                first += first % 2
                rows.append(
                    f"| {workers} | {n} | {r.per_s:,.1f} | {r.p50_ms:.0f} | {r.p99_ms:.0f} | "
                    f"{r.errors} | {r.server_cpu_ms:.2f} | {r.database_cpu_ms:.2f} | "
                    f"{r.client_cpu_ms:.2f} |"
                )
            pairs, lost, duplicates = _verify(url, parties)
    measured = rows[1:]
    for row in measured:
        print(row, flush=True)
    print(
        f"  (workers {workers}: {pairs:,} pairs stored on both sides, {lost} lost conflicts, "
        f"{duplicates} duplicates)"
    )
    return measured


HEADER = (
    "| processes | clients | submissions/s | p50 ms | p99 ms | errors (non-2xx) | "
    "server CPU ms | PostgreSQL CPU ms | wrk CPU ms |\n"
    "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workers", type=int, action="append")
    parser.add_argument("--clients", type=int, action="append")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    print(HEADER)
    for workers in args.workers or [1, 2]:
        run(workers, args.clients or [1, 16, 64], args.seconds)


if __name__ == "__main__":
    main()
