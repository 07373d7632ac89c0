"""Bearer tokens: ES256 JWTs minted and verified with PyJWT and `cryptography`.

The embedded default generates a P-256 key once, beside the database (mode 0600).
Verification checks signature, algorithm (ES256 only: `none` and HMAC tricks fail),
expiry, not-before, issuer and audience, with a small clock skew.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from deconflict.domain.errors import DomainError, InvalidInput
from deconflict.domain.model import Caller, role_name

ALGORITHM = "ES256"


class InvalidToken(DomainError):
    """The bearer token is missing, malformed, expired or not ours."""


def load_or_create_key(path: Path, *, create: bool = True) -> ec.EllipticCurvePrivateKey:
    """The private key at `path`; with `create`, a new P-256 key is written there (0600)
    if none exists, otherwise a missing key is an error."""
    if path.exists() or not create:
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey):
            raise ValueError(f"{path} does not hold an EC private key")
        return key
    path.parent.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


def key_id(public_key: ec.EllipticCurvePublicKey) -> str:
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    digest = hashes.Hash(hashes.SHA256())
    digest.update(der)
    return digest.finalize().hex()[:16]


class TokenIssuer:
    """Mints tokens for the embedded default (`deconflict token`, `deconflict demo`)."""

    def __init__(self, key: ec.EllipticCurvePrivateKey, issuer: str, audience: str) -> None:
        self._key = key
        self._kid = key_id(key.public_key())
        self._issuer = issuer
        self._audience = audience

    def mint(
        self, party_id: str, roles: Iterable[str], ttl_s: int, subject: str | None = None
    ) -> str:
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": self._issuer,
            "aud": self._audience,
            "sub": subject or f"{party_id}/{uuid.uuid4().hex[:8]}",
            "party": party_id,
            "roles": sorted({role_name(r) for r in roles}),
            "iat": now,
            "nbf": now,
            "exp": now + ttl_s,
        }
        return jwt.encode(claims, self._key, algorithm=ALGORITHM, headers={"kid": self._kid})


class TokenVerifier:
    """Turns a bearer token into a `Caller`, or raises InvalidToken saying why."""

    def __init__(
        self, public_key: ec.EllipticCurvePublicKey, issuer: str, audience: str, leeway_s: int
    ) -> None:
        self._key = public_key
        self._issuer = issuer
        self._audience = audience
        self._leeway_s = leeway_s

    def verify(self, token: str) -> Caller:
        try:
            claims = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=self._audience,
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(f"invalid bearer token: {e}") from None
        party, roles = claims.get("party"), claims.get("roles")
        if not isinstance(party, str) or not party:
            raise InvalidToken("invalid bearer token: no 'party' claim")
        if not isinstance(roles, list):
            raise InvalidToken("invalid bearer token: 'roles' must be a list")
        try:
            parsed = frozenset(role_name(r) for r in roles if isinstance(r, str))
        except InvalidInput as e:
            raise InvalidToken(f"invalid bearer token: {e}") from None
        return Caller(subject=str(claims["sub"]), party_id=party, roles=parsed)
