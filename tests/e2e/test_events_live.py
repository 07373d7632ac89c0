"""Events as a user meets them: a resumable server-sent event stream, `deconflict watch`,
and webhooks that survive the server being killed between commit and delivery."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from deconflict.entrypoints.cli import app as cli
from tests.e2e.live import serving
from tests.receiver import Receiver, receiving


@pytest.fixture
def url(container: Container) -> Iterator[str]:
    with serving(create_app(container=container)) as url:
        yield url


def _area(lat: float) -> dict[str, Any]:
    return {
        "area": {"type": "circle", "center": {"lat": lat, "lng": 60.0}, "radius_m": 10_000},
        "time_start": "2036-01-01T00:00:00Z",
        "time_end": "2036-02-01T00:00:00Z",
    }


def _operation(lat: float, hour: int) -> dict[str, Any]:
    return {
        "name": f"Patrol {hour}",
        "volumes": [
            {
                "footprint": {
                    "type": "circle",
                    "center": {"lat": lat, "lng": 60.0},
                    "radius_m": 300,
                },
                "altitude_lower_m": 10,
                "altitude_upper_m": 100,
                "time_start": f"2036-01-02T{hour:02d}:00:00Z",
                "time_end": f"2036-01-02T{hour:02d}:30:00Z",
            }
        ],
    }


def _party(url: str, container: Container) -> tuple[str, dict[str, str]]:
    admin = {"Authorization": f"Bearer {container.issuer.mint('root', ['operator'], 600)}"}
    party = httpx.post(
        f"{url}/v1/parties", json={"name": f"p-{uuid.uuid4().hex[:8]}"}, headers=admin
    ).json()["id"]
    token = container.issuer.mint(party, ["submitter", "admin"], 600)
    return party, {"Authorization": f"Bearer {token}"}


def _read_events(url: str, headers: dict[str, str], count: int) -> list[tuple[str, dict[str, Any]]]:
    """Reads `count` events from the stream, then hangs up; (id, data) for each."""
    events: list[tuple[str, dict[str, Any]]] = []
    with httpx.stream("GET", f"{url}/v1/events", headers=headers, timeout=20) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        fields: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(":")
                fields[name] = value.strip()
                continue
            if "data" in fields:
                events.append((fields["id"], json.loads(fields["data"])))
                if len(events) == count:
                    return events
            fields = {}
    return events


def test_the_event_stream_resumes_after_the_last_event_id(url: str, container: Container) -> None:
    lat = -30 + uuid.uuid4().int % 1000 / 100
    _, headers = _party(url, container)
    assert (
        httpx.post(f"{url}/v1/subscriptions", json=_area(lat), headers=headers).status_code == 201
    )
    for hour in (1, 2, 3):
        assert (
            httpx.post(
                f"{url}/v1/operations", json=_operation(lat, hour), headers=headers
            ).status_code
            == 201
        )
    first_two = _read_events(url, headers, 2)
    assert [e["sequence"] for _, e in first_two] == [1, 2]
    assert [e["type"] for _, e in first_two] == ["operation.created"] * 2
    cursor = first_two[-1][0]
    [(_, third)] = _read_events(url, {**headers, "Last-Event-ID": cursor}, 1)
    assert (third["sequence"], third["payload"]["name"]) == (3, "Patrol 3")
    bad = httpx.get(f"{url}/v1/events", headers={**headers, "Last-Event-ID": "not-a-cursor"})
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["loc"] == ["header", "last-event-id"]
    assert httpx.get(f"{url}/v1/events").status_code == 401


def test_watch_prints_events_live(url: str, container: Container) -> None:
    lat = -20 + uuid.uuid4().int % 1000 / 100
    _, headers = _party(url, container)
    httpx.post(f"{url}/v1/subscriptions", json=_area(lat), headers=headers)
    token = headers["Authorization"].split()[1]
    threading.Timer(
        0.5, lambda: httpx.post(f"{url}/v1/operations", json=_operation(lat, 4), headers=headers)
    ).start()
    result = CliRunner(env={"COLUMNS": "300"}).invoke(
        cli, ["watch", "--url", url, "--token", token, "--max-events", "1"]
    )
    assert result.exit_code == 0, result.output
    assert "operation.created" in result.output
    assert "Patrol 4" in result.output


def _process(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("ab") as out:  # the child keeps its own copy of the descriptor
        return subprocess.Popen(
            [sys.executable, "-m", "deconflict", *args],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait(condition: Any, what: str, log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out waiting for {what}; log:\n{log.read_text()}")
        time.sleep(0.1)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as receiver:
        yield receiver


def test_no_event_is_lost_when_the_server_is_killed_between_commit_and_delivery(
    settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env.update(
        DECONFLICT_DATA_DIR=str(settings.data_dir),
        DECONFLICT_WEBHOOK_LEASE_S="2",
        DECONFLICT_DISPATCH_INTERVAL_S="0.1",
        DECONFLICT_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
    )
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        env["DECONFLICT_DATABASE_URL"] = settings.database_url
    with socket_port() as port:
        pass
    log = tmp_path / "processes.log"
    server = _process(["serve", "--port", str(port)], env, log)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait(lambda: _up(url), "the server", log)
        container = bootstrap(
            Settings(data_dir=settings.data_dir, database_url=settings.database_url)
        )
        _, headers = _party(url, container)
        lat = -10 + uuid.uuid4().int % 1000 / 100
        created = httpx.post(
            f"{url}/v1/subscriptions",
            json={**_area(lat), "webhook_url": receiver.url},
            headers=headers,
        )
        assert created.status_code == 201, created.text
        receiver.hang = threading.Event()  # the first delivery will hang mid-flight
        assert (
            httpx.post(f"{url}/v1/operations", json=_operation(lat, 5), headers=headers).status_code
            == 201
        )
        _wait(lambda: len(receiver.requests) == 1, "the first delivery attempt", log)
        server.send_signal(signal.SIGKILL)
        server.wait(timeout=10)
        hung = receiver.hang
        receiver.hang = None
        hung.set()
        assert receiver.accepted == [], "the receiver never accepted the first attempt"

        worker = _process(["worker"], env, log)
        try:
            _wait(lambda: len(receiver.accepted) == 1, "redelivery by a new worker", log)
        finally:
            worker.send_signal(signal.SIGTERM)
            worker.wait(timeout=20)
        [delivered] = receiver.accepted
        assert (
            delivered.headers["Deconflict-Event-Id"]
            == receiver.requests[0].headers["Deconflict-Event-Id"]
        )
        assert delivered.json["payload"]["name"] == "Patrol 5"
        container.close()
    finally:
        if server.poll() is None:
            server.kill()
            server.wait(timeout=10)


def _up(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


class socket_port:
    """A free loopback port (released on exit, for a child process to take)."""

    def __enter__(self) -> int:
        import socket

        self._s = socket.socket()
        self._s.bind(("127.0.0.1", 0))
        port: int = self._s.getsockname()[1]
        return port

    def __exit__(self, *_: object) -> None:
        self._s.close()


def test_two_worker_processes_deliver_each_event_once(
    settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env.update(
        DECONFLICT_DATA_DIR=str(settings.data_dir),
        DECONFLICT_DISPATCH_INTERVAL_S="0.05",
        DECONFLICT_WEBHOOK_ALLOW_HOSTS="127.0.0.1",
    )
    if settings.database_url and not settings.database_url.startswith("sqlite"):
        env["DECONFLICT_DATABASE_URL"] = settings.database_url
    container = bootstrap(settings.model_copy(update={"webhook_allow_hosts": ["127.0.0.1"]}))
    log = tmp_path / "workers.log"
    try:
        with serving(create_app(container=container)) as url:
            _, headers = _party(url, container)
            lat = 10 + uuid.uuid4().int % 1000 / 100
            for _ in range(3):  # three subscriptions: three queues for the workers to share
                made = httpx.post(
                    f"{url}/v1/subscriptions",
                    json={**_area(lat), "webhook_url": receiver.url},
                    headers=headers,
                )
                assert made.status_code == 201
            for hour in range(12):
                assert (
                    httpx.post(
                        f"{url}/v1/operations", json=_operation(lat, hour), headers=headers
                    ).status_code
                    == 201
                )
        workers = [_process(["worker"], env, log) for _ in range(2)]
        try:
            _wait(lambda: len(receiver.accepted) >= 36, "36 deliveries", log, seconds=60)
            time.sleep(0.5)  # a duplicate would arrive now
        finally:
            for worker in workers:
                worker.send_signal(signal.SIGTERM)
            for worker in workers:
                worker.wait(timeout=20)
        ids = [r.headers["Deconflict-Event-Id"] for r in receiver.accepted]
        assert len(ids) == 36
        assert len(set(ids)) == 36, "no event was delivered twice"
        owners = {
            line.split()[1] for line in log.read_text().splitlines() if line.startswith("worker ")
        }
        assert len(owners) == 2, "both workers ran"
    finally:
        container.close()
