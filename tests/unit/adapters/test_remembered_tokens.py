"""Verified tokens remembered for a while (`RememberedTokens`): the same answers as the
verifier it wraps, at most until the token expires or the memory's lifetime ends, on a
clock moved by hand."""

from __future__ import annotations

import time
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from deconflict.adapters.tokens import (
    InvalidToken,
    RememberedTokens,
    TokenIssuer,
    TokenVerifier,
)
from deconflict.domain.model import Caller, Role

ISSUER, AUDIENCE, LEEWAY_S, TTL_S = "https://issuer.test", "deconflict", 30, 60.0


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class Counting:
    """The real verifier, counting what it is asked; its own clock is the real one."""

    def __init__(self, verifier: TokenVerifier) -> None:
        self.verifier = verifier
        self.asked = 0

    def verify(self, token: str) -> Caller:
        self.asked += 1
        return self.verifier.verify(token)

    def claims(self, token: str) -> dict[str, Any]:
        self.asked += 1
        return self.verifier.claims(token)


@pytest.fixture
def key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


@pytest.fixture
def inner(key: ec.EllipticCurvePrivateKey) -> Counting:
    return Counting(TokenVerifier(key.public_key(), ISSUER, AUDIENCE, LEEWAY_S))


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def remembered(inner: Counting, clock: Clock) -> RememberedTokens:
    return RememberedTokens(inner, leeway_s=LEEWAY_S, ttl_s=TTL_S, max_entries=4, clock=clock)


def _token(key: ec.EllipticCurvePrivateKey, ttl_s: int = 3600, subject: str = "pilot") -> str:
    return TokenIssuer(key, ISSUER, AUDIENCE).mint("party-a", ["submitter"], ttl_s, subject)


def test_a_token_is_verified_once_then_remembered(
    remembered: RememberedTokens, inner: Counting, key: ec.EllipticCurvePrivateKey
) -> None:
    token = _token(key)
    assert remembered.peek(token) is None
    first = remembered.verify(token)
    assert first == Caller("pilot", "party-a", frozenset({Role.SUBMITTER}))
    assert remembered.verify(token) == first
    assert remembered.peek(token) == first
    assert inner.asked == 1


def test_claims_are_remembered_apart_and_handed_out_as_copies(
    remembered: RememberedTokens, inner: Counting, key: ec.EllipticCurvePrivateKey
) -> None:
    token = _token(key)
    remembered.verify(token)
    claims = remembered.claims(token)
    claims["party"] = "someone else"
    assert remembered.claims(token)["party"] == "party-a"
    assert inner.asked == 2  # verify, then claims once


def test_a_refused_token_is_asked_about_every_time(
    remembered: RememberedTokens, inner: Counting, key: ec.EllipticCurvePrivateKey
) -> None:
    header, claims, _ = _token(key).split(".")
    forged = f"{header}.{claims}.{jwt.utils.base64url_encode(b'x' * 64).decode()}"
    for _ in range(2):
        with pytest.raises(InvalidToken, match="invalid bearer token"):
            remembered.verify(forged)
        assert remembered.peek(forged) is None
    assert inner.asked == 2


def test_the_memory_ends_after_its_lifetime(
    remembered: RememberedTokens, inner: Counting, clock: Clock, key: ec.EllipticCurvePrivateKey
) -> None:
    token = _token(key)
    remembered.verify(token)
    clock.now += TTL_S
    assert remembered.peek(token) is None
    remembered.verify(token)
    assert inner.asked == 2


def test_an_expiring_token_is_remembered_no_longer_than_it_is_valid(
    remembered: RememberedTokens, clock: Clock, key: ec.EllipticCurvePrivateKey
) -> None:
    """Expiry 10 s ahead: remembered for 10 s and the leeway, not the whole lifetime."""
    token = _token(key, ttl_s=10)
    remembered.verify(token)
    clock.now += 10 + LEEWAY_S - 1
    assert remembered.peek(token) is not None
    clock.now += 1
    assert remembered.peek(token) is None


def test_the_memory_stays_bounded(
    remembered: RememberedTokens, inner: Counting, key: ec.EllipticCurvePrivateKey
) -> None:
    tokens = [_token(key, subject=f"pilot-{i}") for i in range(9)]
    for token in tokens:
        remembered.verify(token)
    assert sum(remembered.peek(t) is not None for t in tokens) <= 4
    assert remembered.peek(tokens[-1]) is not None  # the newest is kept
    assert inner.asked == 9
