"""`deconflict demo` as a real server process, reached over a real socket."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[tuple[str, str]]:
    """A `python -m deconflict demo` process on the embedded SQLite default; yields its
    URL and the Northwind token it printed."""
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env.update(DECONFLICT_DATA_DIR=str(tmp_path / "data"), COLUMNS="400")
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "deconflict", "demo", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the demo server did not come up:\n{log.read()}")
            time.sleep(0.2)
        log.seek(0)
        token = re.search(r"export NORTHWIND_TOKEN=(\S+)", log.read())
        assert token, "the demo printed no token for Northwind"
        yield url, token.group(1)
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_the_demo_server_answers_with_the_scenario_for_the_printed_token(
    demo_server: tuple[str, str],
) -> None:
    url, token = demo_server
    headers = {"Authorization": f"Bearer {token}"}
    operations = httpx.get(f"{url}/v1/operations", headers=headers, timeout=10).json()
    states = {o["state"] for o in operations}
    assert {"approved", "in_review", "withdrawn"} <= states
    assert any(o["version"] == 2 for o in operations)
    assert any(o["notices"] for o in operations)
    assert httpx.get(f"{url}/v1/operations", timeout=10).status_code == 401
    docs = httpx.get(f"{url}/openapi.json", timeout=10).json()
    assert "/v1/checks" in docs["paths"]


def test_the_demo_shows_every_review_outcome(demo_server: tuple[str, str]) -> None:
    url, token = demo_server
    operations = httpx.get(
        f"{url}/v1/operations", headers={"Authorization": f"Bearer {token}"}, timeout=10
    ).json()
    states = {o["name"]: o["state"] for o in operations}
    assert states["Low beach photo run"] == "approved"
    assert states["Night relay test"] == "rejected"
    assert states["Sea stack survey"] == "modification_requested"
    assert states["Cliff survey east"] == "in_review"
    lighthouse = next(o for o in operations if o["name"] == "Lighthouse inspection")
    assert (lighthouse["version"], lighthouse["state"]) == (2, "approved")
    cliffs = next(o for o in operations if o["name"] == "Cliff survey west")
    assert cliffs["state"] == "approved_with_conditions"
    assert [c["text"] for c in cliffs["conditions"]] == [
        "Stay below 100 m; report airborne to Range Control."
    ]
    history = httpx.get(
        f"{url}/v1/operations/{lighthouse['id']}/history",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    assert [r["state"] for v in history["versions"] for r in v["reviews"]] == [
        "modification_requested",
        "approved",
    ]
    # Approved by proposal; the submitter reads the comment, never the internal note.
    assert history["versions"][1]["reviews"][0]["decisions"][0]["automatic"] is True
    assert "Range Control" not in str(history["versions"][0])
    pier = next(o for o in operations if o["name"] == "Pier camera check")
    pier_history = httpx.get(
        f"{url}/v1/operations/{pier['id']}/history",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    [case] = pier_history["versions"][0]["reviews"]
    # The submitter sees the stage's public label only, never its name or roles.
    assert case["current_stage_label"] == "specialist assessment", "escalated at its deadline"
    assert case["current_stage"] is None
    assert "senior assessment" not in str(pier_history)
