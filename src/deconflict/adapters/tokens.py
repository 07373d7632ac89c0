"""Bearer tokens: JWTs minted and verified with PyJWT and `cryptography`.

Local mode (the embedded default): ES256 tokens, minted and verified with a P-256 key
generated once beside the database (mode 0600). OAuth2 mode: an authorization server's
RS256 or ES256 tokens, verified with keys from its JWKS URL or from PEM files. Both
verifiers check signature, algorithm (`none` and HMAC tricks fail), expiry, not-before,
issuer and audience, with a small clock skew.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn, Protocol

import httpx
import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from deconflict.domain.errors import DomainError, InvalidInput
from deconflict.domain.model import Caller, role_name

ALGORITHM = "ES256"


class InvalidToken(DomainError):
    """The bearer token is missing, malformed, expired or not ours."""


NOT_A_JWT = (
    "invalid bearer token: the bearer token is not a JWT "
    "(three base64url parts, header.claims.signature, with JSON header and claims)"
)


def check_structure(token: str) -> dict[str, Any]:
    """The token's header, unverified, or InvalidToken saying that it is no JWT at all
    (rather than what the decoder tripped on, such as a byte that is not UTF-8)."""
    try:
        header = jwt.get_unverified_header(token)
        jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        raise InvalidToken(NOT_A_JWT) from None
    return header


def check_registered(claims: dict[str, Any]) -> str:
    """The subject of verified claims, once `sub` is a non-empty string and each time
    claim a JSON number: PyJWT takes "9999999999" (a string) or `true` for a time, and
    an empty subject would make an anonymous caller."""
    for name in ("exp", "nbf", "iat"):
        value = claims.get(name)
        if name in claims and (isinstance(value, bool) or not isinstance(value, int | float)):
            raise InvalidToken(
                f"invalid bearer token: {name!r} must be a number (seconds since 1970), "
                f"not {_shown(value)}"
            )
    subject = claims.get("sub")
    if not isinstance(subject, str) or not subject.strip() or not subject.isprintable():
        raise InvalidToken(
            "invalid bearer token: the subject ('sub') must be a non-empty string of "
            "printable characters"
        )
    return subject


def audiences(audience: str) -> list[str]:
    """The accepted audiences of a comma-separated setting (a token needs one of them)."""
    return [a.strip() for a in audience.split(",") if a.strip()]


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
        self._audience = audiences(audience)[0]

    @property
    def key_id(self) -> str:
        return self._kid

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

    def claims(self, token: str) -> dict[str, Any]:
        """The claims of a token whose structure, signature, algorithm, expiry, issuer,
        audience and subject hold; InvalidToken otherwise."""
        check_structure(token)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self._key,
                algorithms=[ALGORITHM],
                issuer=self._issuer,
                audience=audiences(self._audience),
                leeway=self._leeway_s,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as e:
            raise InvalidToken(f"invalid bearer token: {e}") from None
        check_registered(claims)
        return claims

    def verify(self, token: str) -> Caller:
        claims = self.claims(token)
        subject: str = claims["sub"]
        party, roles = claims.get("party"), claims.get("roles")
        if not isinstance(party, str) or not party or not party.isprintable():
            raise InvalidToken("invalid bearer token: no 'party' claim")
        if not isinstance(roles, list):
            raise InvalidToken("invalid bearer token: 'roles' must be a list")
        try:
            parsed = frozenset(role_name(r) for r in roles if isinstance(r, str))
        except InvalidInput as e:
            raise InvalidToken(f"invalid bearer token: {e}") from None
        return Caller(subject=subject, party_id=party, roles=parsed)


# ---- tokens of an OAuth2 authorization server ----------------------------------------

log = logging.getLogger(__name__)

#: Algorithms a deployment may allow for an authorization server's tokens. `none` and
#: every HMAC algorithm are never among them: a public key must never become an HMAC secret.
SUPPORTED_ALGORITHMS = ("RS256", "ES256")
MIN_RSA_BITS = 2048
MAX_JWKS_BYTES = 1_000_000

PublicKey = rsa.RSAPublicKey | ec.EllipticCurvePublicKey


class Verifier(Protocol):
    """Turns a bearer token into a `Caller`, or raises InvalidToken saying why."""

    def verify(self, token: str) -> Caller: ...
    def claims(self, token: str) -> dict[str, Any]:
        """The verified claims, whatever they name (the F3548 API reads `sub` and
        `scope`, not the party and roles claims)."""
        ...


class LocalTokensUnavailable(DomainError):
    """Local tokens were asked for where the authorization server issues them."""


class NoLocalIssuer:
    """Stands in for `TokenIssuer` with DECONFLICT_TOKEN_MODE=oauth2: the authorization
    server issues tokens, and anything minted locally would be refused anyway."""

    def mint(
        self, party_id: str, roles: Iterable[str], ttl_s: int, subject: str | None = None
    ) -> NoReturn:
        raise LocalTokensUnavailable(
            "DECONFLICT_TOKEN_MODE=oauth2: tokens come from the authorization server; "
            "local tokens (deconflict token, demo tokens) need DECONFLICT_TOKEN_MODE=local"
        )


def _shown(value: object) -> str:
    """A value from a token, quoted and cut short for an error message."""
    text = repr(value)
    return text if len(text) <= 66 else f"{text[:60]}...{text[-3:]}"


def usable_public_key(key: object) -> PublicKey:
    """`key` (or the public half of a private key) if it may check RS256 or ES256
    signatures: RSA of at least 2048 bits, or EC on P-256; ValueError otherwise."""
    if isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        key = key.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        if key.key_size < MIN_RSA_BITS:
            raise ValueError(f"RSA key of {key.key_size} bits: at least {MIN_RSA_BITS} needed")
        return key
    if isinstance(key, ec.EllipticCurvePublicKey):
        if not isinstance(key.curve, ec.SECP256R1):
            raise ValueError(f"EC key on {key.curve.name}: only P-256 (ES256) is accepted")
        return key
    raise ValueError(f"{type(key).__name__}: only RSA and EC P-256 public keys are accepted")


@dataclass(frozen=True, slots=True)
class VerificationKey:
    """A public key that may check signatures; `kid` and `algorithm` as its JWK says."""

    key: PublicKey
    kid: str | None = None
    algorithm: str | None = None

    def suits(self, algorithm: str) -> bool:
        if self.algorithm is not None and self.algorithm != algorithm:
            return False
        if algorithm == "RS256":
            return isinstance(self.key, rsa.RSAPublicKey)
        if algorithm == "ES256":
            return isinstance(self.key, ec.EllipticCurvePublicKey)
        return False


class KeySource(Protocol):
    def candidates(self, kid: str | None, algorithm: str) -> list[VerificationKey]:
        """The keys that may have signed a token with this `kid` and `algorithm`."""
        ...


def load_public_keys(paths: Iterable[Path]) -> list[VerificationKey]:
    """Public keys from PEM files; a missing file, a private key or a key that does not
    suit RS256 or ES256 is a ValueError naming the file (the server does not start)."""
    keys = []
    for path in paths:
        try:
            pem = path.read_bytes()
        except OSError as e:
            raise ValueError(f"cannot read the public key file {path}: {e.strerror}") from None
        if b"PRIVATE KEY" in pem:
            raise ValueError(
                f"{path} holds a private key: give the authorization server's public key only"
            )
        try:
            key = usable_public_key(serialization.load_pem_public_key(pem))
        except ValueError as e:
            raise ValueError(f"{path}: not a usable PEM public key: {e}") from None
        keys.append(VerificationKey(key))
    if not keys:
        raise ValueError("no public key files given")
    return keys


class StaticKeys:
    """Keys read once from PEM files. A token's `kid` is not needed: each key that suits
    its algorithm is tried (there are few)."""

    def __init__(self, keys: Sequence[VerificationKey]) -> None:
        self.keys = tuple(keys)

    @classmethod
    def from_pem_files(cls, paths: Iterable[Path]) -> StaticKeys:
        return cls(load_public_keys(paths))

    def candidates(self, kid: str | None, algorithm: str) -> list[VerificationKey]:
        return [k for k in self.keys if k.suits(algorithm)]


class JwksUnavailable(Exception):
    """The JWKS URL did not give a key set."""


def parse_jwks(document: object) -> list[VerificationKey]:
    """The signing keys of a JWK Set that suit RS256 or ES256; other keys (HMAC `oct`,
    encryption keys, other curves, short RSA keys, malformed entries) are left out."""
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise JwksUnavailable("not a JWK Set (no 'keys' list)")
    keys = []
    for jwk in document["keys"]:
        if not isinstance(jwk, dict):
            continue
        kty, kid, alg = jwk.get("kty"), jwk.get("kid"), jwk.get("alg")
        if jwk.get("use", "sig") != "sig" or (alg is not None and alg not in SUPPORTED_ALGORITHMS):
            continue
        if kid is not None and not isinstance(kid, str):
            continue
        try:
            if kty == "RSA":
                loaded: object = RSAAlgorithm.from_jwk(jwk)
            elif kty == "EC":
                loaded = ECAlgorithm.from_jwk(jwk)
            else:
                continue
            key = usable_public_key(loaded)
        except (jwt.PyJWTError, ValueError, TypeError) as e:
            log.warning("JWKS: key %s left out: %s", _shown(kid), e)
            continue
        keys.append(VerificationKey(key, kid=kid, algorithm=alg))
    return keys


class JwksKeys:
    """Keys from a JWKS URL, fetched with httpx when first needed and cached.

    The set is fetched again when it is older than `cache_ttl_s`, or when a token names
    a `kid` the cache does not hold (key rotation); but never sooner than
    `min_refresh_interval_s` after the previous attempt, whatever tokens arrive, so
    tokens with made-up key ids cannot make us hammer the endpoint. A failed refresh
    keeps the keys fetched before; with none, tokens are refused (InvalidToken).
    """

    def __init__(
        self,
        url: str,
        *,
        min_refresh_interval_s: float = 30.0,
        cache_ttl_s: float = 300.0,
        timeout_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.url = url
        self._min_refresh_interval_s = min_refresh_interval_s
        self._cache_ttl_s = cache_ttl_s
        self._timeout_s = timeout_s
        self._clock = clock
        self._lock = threading.Lock()
        self._keys: tuple[VerificationKey, ...] | None = None
        self._fetched_at = 0.0
        self._attempted_at: float | None = None

    def candidates(self, kid: str | None, algorithm: str) -> list[VerificationKey]:
        keys = self._keys_for(kid)
        return [k for k in keys if (kid is None or k.kid == kid) and k.suits(algorithm)]

    def _fresh(self, kid: str | None) -> tuple[VerificationKey, ...] | None:
        keys = self._keys
        if keys is None or self._clock() - self._fetched_at >= self._cache_ttl_s:
            return None
        if kid is not None and all(k.kid != kid for k in keys):
            return None
        return keys

    def _keys_for(self, kid: str | None) -> tuple[VerificationKey, ...]:
        keys = self._fresh(kid)
        if keys is not None:
            return keys
        with self._lock:
            keys = self._fresh(kid)  # another thread may just have fetched them
            if keys is not None:
                return keys
            now = self._clock()
            if (
                self._attempted_at is None
                or now - self._attempted_at >= self._min_refresh_interval_s
            ):
                self._attempted_at = now
                try:
                    self._keys = tuple(self._fetch())
                    self._fetched_at = now
                except JwksUnavailable as e:
                    log.error("JWKS %s: cannot fetch the signing keys: %s", self.url, e)
            if self._keys is None:
                raise InvalidToken(
                    "invalid bearer token: the authorization server's signing keys are unavailable"
                )
            return self._keys

    def _fetch(self) -> list[VerificationKey]:
        deadline = time.monotonic() + self._timeout_s
        body = bytearray()
        try:
            with (
                httpx.Client(timeout=self._timeout_s, follow_redirects=False) as client,
                client.stream("GET", self.url, headers={"Accept": "application/json"}) as r,
            ):
                if r.status_code != 200:
                    raise JwksUnavailable(f"HTTP {r.status_code}")
                for chunk in r.iter_bytes():
                    body += chunk
                    if len(body) > MAX_JWKS_BYTES:
                        raise JwksUnavailable(f"larger than {MAX_JWKS_BYTES} bytes")
                    if time.monotonic() > deadline:
                        raise JwksUnavailable(f"took longer than {self._timeout_s} s")
        except httpx.HTTPError as e:
            raise JwksUnavailable(f"{type(e).__name__}: {e}") from None
        try:
            document = json.loads(body)
        except ValueError:
            raise JwksUnavailable("the response is not JSON") from None
        keys = parse_jwks(document)
        if not keys:
            log.warning("JWKS %s holds no RS256 or ES256 signing key", self.url)
        return keys


class OAuthTokenVerifier:
    """Verifies an OAuth2 authorization server's bearer JWTs (RFC 9068 access tokens):
    signature by one of `keys` with an allowed algorithm (RS256, ES256; never `none` or
    HMAC), `iss`, `aud`, `exp` and `sub` required, `nbf` and `iat` checked when present,
    all with `leeway_s` of clock skew; then the party and roles claims (their names are
    configurable; roles as a list or a space-separated string like `scope`)."""

    def __init__(
        self,
        keys: KeySource,
        *,
        issuer: str,
        audience: str,
        leeway_s: float = 30,
        algorithms: Iterable[str] = SUPPORTED_ALGORITHMS,
        party_claim: str = "party",
        roles_claim: str = "roles",
    ) -> None:
        self._algorithms = tuple(algorithms)
        unsupported = [a for a in self._algorithms if a not in SUPPORTED_ALGORITHMS]
        if unsupported or not self._algorithms:
            raise ValueError(
                f"token algorithms must be among {', '.join(SUPPORTED_ALGORITHMS)}; "
                f"got {', '.join(self._algorithms) or 'none'}"
            )
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._leeway_s = leeway_s
        self._party_claim = party_claim
        self._roles_claim = roles_claim

    def verify(self, token: str) -> Caller:
        return self._caller(self.claims(token))

    def claims(self, token: str) -> dict[str, Any]:
        header = check_structure(token)
        algorithm, kid = header.get("alg"), header.get("kid")
        if not isinstance(algorithm, str) or algorithm not in self._algorithms:
            raise InvalidToken(
                f"invalid bearer token: the algorithm {_shown(algorithm)} is not allowed "
                f"(allowed: {', '.join(self._algorithms)})"
            )
        if kid is not None and not isinstance(kid, str):
            raise InvalidToken("invalid bearer token: the key id (kid) must be a string")
        candidates = self._keys.candidates(kid, algorithm)
        if not candidates:
            named = f"with key id {_shown(kid)} " if kid is not None else ""
            raise InvalidToken(
                f"invalid bearer token: no {algorithm} key {named}to verify it "
                "(unknown to the authorization server)"
            )
        for candidate in candidates:
            try:
                claims: dict[str, Any] = jwt.decode(
                    token,
                    candidate.key,
                    algorithms=[algorithm],
                    issuer=self._issuer,
                    audience=audiences(self._audience),
                    leeway=self._leeway_s,
                    options={"require": ["exp", "iss", "aud", "sub"]},
                )
            except jwt.InvalidSignatureError:
                continue
            except jwt.PyJWTError as e:
                raise InvalidToken(f"invalid bearer token: {e}") from None
            check_registered(claims)
            iat = claims.get("iat")
            if iat is not None and iat > time.time() + self._leeway_s:
                raise InvalidToken("invalid bearer token: issued in the future (iat)")
            return claims
        raise InvalidToken("invalid bearer token: signature verification failed")

    def _caller(self, claims: dict[str, Any]) -> Caller:
        subject: str = claims["sub"]
        party = claims.get(self._party_claim)
        if not isinstance(party, str) or not party.strip() or not party.isprintable():
            raise InvalidToken(
                f"invalid bearer token: no {self._party_claim!r} claim naming the party"
            )
        roles = claims.get(self._roles_claim)
        if isinstance(roles, str):
            names = roles.split()
        elif isinstance(roles, list) and all(isinstance(r, str) for r in roles):
            names = roles
        else:
            raise InvalidToken(
                f"invalid bearer token: the {self._roles_claim!r} claim must be a list of "
                "role names or a space-separated string"
            )
        try:
            parsed = frozenset(role_name(r) for r in names)
        except InvalidInput as e:
            message = e.problems[0][1]
            raise InvalidToken(
                f"invalid bearer token: the {self._roles_claim!r} claim: {message}"
            ) from None
        return Caller(subject=subject, party_id=party, roles=parsed)


# ---- verified tokens, remembered -----------------------------------------------------


@dataclass(slots=True)
class _Verified:
    until: float  # time.time() from which the entry no longer counts
    claims: dict[str, Any] | None = None
    caller: Caller | None = None


class RememberedTokens:
    """A `Verifier` that remembers the tokens another one verified, for at most `ttl_s`
    and never past their expiry (with the same `leeway_s` the verifier allows): a client
    sends one token with every request, and its second request costs a dictionary
    lookup instead of a signature check (about 0.15 ms for ES256, twice per write: the
    rate limit and the route). What is checked is the whole token text, so nothing
    unverified passes; refusals are not remembered (each says why again). A key taken
    out of the JWKS stops being honoured within `ttl_s` of the last check with it, as it
    does within the JWKS cache's own lifetime."""

    def __init__(
        self,
        verifier: Verifier,
        *,
        leeway_s: float,
        ttl_s: float = 60.0,
        max_entries: int = 10_000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._verifier = verifier
        self._leeway_s = leeway_s
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: dict[str, _Verified] = {}
        self._lock = threading.Lock()

    def peek(self, token: str) -> Caller | None:
        """The caller of a token verified a moment ago, or None: never verifies, never
        blocks (for the event loop; `verify` may fetch a JWKS)."""
        entry = self._fresh(token)
        return None if entry is None else entry.caller

    def verify(self, token: str) -> Caller:
        entry = self._fresh(token)
        if entry is not None and entry.caller is not None:
            return entry.caller
        caller = self._verifier.verify(token)
        self._remember(token, caller=caller)
        return caller

    def claims(self, token: str) -> dict[str, Any]:
        entry = self._fresh(token)
        if entry is not None and entry.claims is not None:
            return dict(entry.claims)
        claims = self._verifier.claims(token)
        self._remember(token, claims=dict(claims))
        return claims

    def _fresh(self, token: str) -> _Verified | None:
        entry = self._entries.get(token)
        if entry is None or self._clock() < entry.until:
            return entry
        with self._lock:
            self._entries.pop(token, None)
        return None

    def _remember(
        self, token: str, *, claims: dict[str, Any] | None = None, caller: Caller | None = None
    ) -> None:
        # Verified: its expiry is a number (check_registered), read here without a key.
        expiry = jwt.decode(token, options={"verify_signature": False}).get("exp")
        if isinstance(expiry, bool) or not isinstance(expiry, int | float):
            return
        now = self._clock()
        until = min(now + self._ttl_s, expiry + self._leeway_s)
        with self._lock:
            entry = self._entries.get(token)
            if entry is None or now >= entry.until:
                if len(self._entries) >= self._max_entries:
                    self._forget_some(now)
                entry = self._entries[token] = _Verified(until)
            if claims is not None:
                entry.claims = claims
            if caller is not None:
                entry.caller = caller

    def _forget_some(self, now: float) -> None:
        """Drops the entries that no longer count, and the older half if that is not
        enough (under the lock)."""
        stale = [t for t, e in self._entries.items() if now >= e.until]
        for token in stale:
            del self._entries[token]
        if len(self._entries) >= self._max_entries:
            for token in list(self._entries)[: len(self._entries) // 2 + 1]:
                del self._entries[token]
