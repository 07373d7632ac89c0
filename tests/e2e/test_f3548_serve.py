"""`deconflict serve` as a real process, configured as docs/F3548.md says for a USS
(oauth2 mode, the authority's PEM key, issuer, audiences, registration of unknown
subjects), reached over a real socket with the authority's tokens."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from .f3548_helpers import AUDIENCE, ISSUER, SC, intent, new_id, place, sign, uss, volume


@pytest.fixture
def dss_server(tmp_path: Path, rsa_key: rsa.RSAPrivateKey) -> Iterator[str]:
    pem = tmp_path / "authority.pem"
    pem.write_bytes(
        rsa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("DECONFLICT_")}
    env.update(
        DECONFLICT_DATA_DIR=str(tmp_path / "data"),
        DECONFLICT_TOKEN_MODE="oauth2",
        DECONFLICT_TOKEN_PUBLIC_KEY_FILES=str(pem),
        DECONFLICT_TOKEN_ISSUER=ISSUER,
        DECONFLICT_TOKEN_AUDIENCE=f"localhost,{AUDIENCE}",
        DECONFLICT_F3548_REGISTER_UNKNOWN="true",
    )
    log = (tmp_path / "server.log").open("w+")
    process = subprocess.Popen(
        [sys.executable, "-m", "deconflict", "serve", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/dss/v1/healthy", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                pytest.fail(f"the server did not come up:\n{log.read()}")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=20)
        log.close()


def test_a_uss_plans_against_deconflict_serve_with_the_authoritys_tokens(
    dss_server: str, rsa_key: rsa.RSAPrivateKey
) -> None:
    headers = {"Authorization": f"Bearer {sign(rsa_key, uss(), SC, aud='localhost')}"}
    lat, lng = place()
    entity = new_id()
    created = httpx.put(
        f"{dss_server}/dss/v1/operational_intent_references/{entity}",
        json=intent(volume(lat, lng)),
        headers=headers,
        timeout=10,
    )
    assert created.status_code == 201, created.text
    found = httpx.post(
        f"{dss_server}/dss/v1/operational_intent_references/query",
        json={"area_of_interest": volume(lat, lng)},
        headers=headers,
        timeout=10,
    )
    assert [r["id"] for r in found.json()["operational_intent_references"]] == [entity]
    refused = httpx.post(
        f"{dss_server}/dss/v1/operational_intent_references/query",
        json={"area_of_interest": volume(lat, lng)},
        timeout=10,
    )
    assert refused.status_code == 401
    assert set(refused.json()) == {"message"}
