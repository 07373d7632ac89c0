"""The OAuth2 token verifier on keys in memory: algorithms, claims, claim mapping, JWK Sets
and PEM files. The JWKS URL over a real socket is in tests/integration/test_oauth_tokens.py.

The helpers at the top (keys, `sign`, `jwk_of`) are shared with that test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from functools import cache
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from deconflict.adapters.tokens import (
    InvalidToken,
    JwksUnavailable,
    OAuthTokenVerifier,
    StaticKeys,
    VerificationKey,
    load_public_keys,
    parse_jwks,
)
from deconflict.domain.model import Caller

ISSUER = "https://auth.example.test/realms/airspace"
AUDIENCE = "deconflict-api"
SKEW_S = 30

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def rsa_key(n: int = 0) -> rsa.RSAPrivateKey:
    """RSA 2048 private key number `n` (made once per test session)."""
    return _rsa(n)


def ec_key(n: int = 0) -> ec.EllipticCurvePrivateKey:
    """EC P-256 private key number `n` (made once per test session)."""
    return _ec(n)


@cache
def _rsa(n: int) -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@cache
def _ec(n: int) -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def algorithm_of(key: PrivateKey) -> str:
    return "RS256" if isinstance(key, rsa.RSAPrivateKey) else "ES256"


def claims(**changes: Any) -> dict[str, Any]:
    """The claims of a good token, with `changes` (None removes a claim)."""
    now = int(time.time())
    base: dict[str, Any] = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": "client-7f3a",
        "party": "northwind",
        "roles": ["submitter"],
        "iat": now,
        "nbf": now,
        "exp": now + 600,
        **changes,
    }
    return {k: v for k, v in base.items() if v is not None}


def sign(key: PrivateKey, kid: str | None = "k1", **changes: Any) -> str:
    """A token signed by `key` (RS256 or ES256 by its type), with `changes` to its claims."""
    headers = {"kid": kid} if kid is not None else None
    return jwt.encode(claims(**changes), key, algorithm=algorithm_of(key), headers=headers)


def jwk_of(key: PrivateKey, kid: str, **extra: Any) -> dict[str, Any]:
    """The public JWK of `key`, as an authorization server publishes it."""
    public = key.public_key()
    jwk = (
        RSAAlgorithm.to_jwk(public, as_dict=True)
        if isinstance(public, rsa.RSAPublicKey)
        else ECAlgorithm.to_jwk(public, as_dict=True)
    )
    return {**jwk, "kid": kid, "use": "sig", "alg": algorithm_of(key), **extra}


def public_pem(key: PrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hs256_with_public_key(key: PrivateKey, kid: str = "k1") -> str:
    """The algorithm-confusion attack: HMAC keyed with the (public) verification key PEM."""
    head = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    body = b64(json.dumps(claims(roles=["admin"])).encode())
    signature = hmac.new(public_pem(key), f"{head}.{body}".encode(), hashlib.sha256).digest()
    return f"{head}.{body}.{b64(signature)}"


def unsigned(kid: str = "k1") -> str:
    """`alg: none`: genuine-looking claims and no signature at all."""
    head = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{head}.{b64(json.dumps(claims(roles=['admin'])).encode())}."


def verifier(*keys: PrivateKey, **options: Any) -> OAuthTokenVerifier:
    """A verifier with the public halves of `keys`, this test's issuer and audience."""
    static = StaticKeys([VerificationKey(k.public_key()) for k in keys or (rsa_key(), ec_key())])
    settings: dict[str, Any] = {"issuer": ISSUER, "audience": AUDIENCE, "leeway_s": SKEW_S}
    return OAuthTokenVerifier(static, **(settings | options))


def refused(check: OAuthTokenVerifier, token: str) -> str:
    with pytest.raises(InvalidToken) as raised:
        check.verify(token)
    reason = str(raised.value)
    assert reason.startswith("invalid bearer token: "), reason
    return reason


KEYS = [pytest.param(rsa_key, id="RS256"), pytest.param(ec_key, id="ES256")]


# ---- signature and algorithm --------------------------------------------------------


@pytest.mark.parametrize("make_key", KEYS)
def test_a_token_signed_by_a_trusted_key_gives_its_caller(make_key: Any) -> None:
    caller = verifier().verify(sign(make_key(), roles=["submitter", "reviewer"]))
    assert caller == Caller("client-7f3a", "northwind", frozenset({"submitter", "reviewer"}))


@pytest.mark.parametrize("make_key", KEYS)
def test_a_token_signed_by_another_key_of_the_same_kind_is_refused(make_key: Any) -> None:
    reason = refused(verifier(), sign(make_key(1)))
    assert reason == "invalid bearer token: signature verification failed"


def test_a_token_whose_payload_was_swapped_is_refused() -> None:
    head, _, signature = sign(rsa_key()).split(".")
    body = b64(json.dumps(claims(roles=["admin"])).encode())
    reason = refused(verifier(), f"{head}.{body}.{signature}")
    assert reason == "invalid bearer token: signature verification failed"


def test_alg_none_is_refused() -> None:
    assert "the algorithm 'none' is not allowed" in refused(verifier(), unsigned())


@pytest.mark.parametrize("make_key", KEYS)
def test_hs256_keyed_with_the_public_key_pem_is_refused(make_key: Any) -> None:
    reason = refused(verifier(), hs256_with_public_key(make_key()))
    assert "the algorithm 'HS256' is not allowed (allowed: RS256, ES256)" in reason


def test_an_algorithm_left_out_of_the_allow_list_is_refused() -> None:
    only_rsa = verifier(algorithms=["RS256"])
    assert only_rsa.verify(sign(rsa_key())).party_id == "northwind"
    assert "the algorithm 'ES256' is not allowed (allowed: RS256)" in refused(
        only_rsa, sign(ec_key())
    )


@pytest.mark.parametrize("algorithms", [["HS256"], ["RS256", "none"], []])
def test_a_verifier_cannot_be_built_to_allow_hmac_none_or_nothing(algorithms: list[str]) -> None:
    with pytest.raises(ValueError, match="token algorithms must be among RS256, ES256"):
        verifier(algorithms=algorithms)


def test_an_rsa_key_is_never_used_for_an_es256_token_nor_an_ec_key_for_rs256() -> None:
    reason = refused(verifier(rsa_key()), sign(ec_key()))
    assert "no ES256 key with key id 'k1' to verify it" in reason
    reason = refused(verifier(ec_key()), sign(rsa_key()))
    assert "no RS256 key with key id 'k1' to verify it" in reason


@pytest.mark.parametrize(
    "token", ["not-a-token", "a.b.c", "", "eyJhbGciOiJSUzI1NiJ9.e30"], ids=repr
)
def test_garbage_is_refused_with_a_reason(token: str) -> None:
    assert len(refused(verifier(), token)) > len("invalid bearer token: ")


@pytest.mark.parametrize(
    "token",
    [
        "not-a-token",
        "a.b.c",
        "",
        "t7e3.x.y",  # base64url of bytes that are not UTF-8
        b64(b"\xb7\xff") + "." + b64(b"{}") + ".c2ln",
        b64(b'{"alg": "ES256"}') + "." + b64(b"[not json") + ".c2ln",
    ],
    ids=repr,
)
def test_a_token_that_is_no_jwt_at_all_is_refused_in_plain_words(token: str) -> None:
    assert "the bearer token is not a JWT" in refused(verifier(), token)


# ---- registered claims --------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        pytest.param({"iss": "https://evil.example.test"}, "Invalid issuer", id="wrong-issuer"),
        pytest.param({"aud": "another-api"}, "Audience doesn't match", id="wrong-audience"),
        pytest.param({"exp": -SKEW_S - 60}, "Signature has expired", id="expired-beyond-skew"),
        pytest.param({"nbf": SKEW_S + 60}, "not yet valid (nbf)", id="not-yet-valid-beyond-skew"),
        pytest.param({"iat": SKEW_S + 60}, "not yet valid (iat)", id="issued-in-the-future"),
        pytest.param({"exp": None}, '"exp"', id="no-expiry"),
        pytest.param({"iss": None}, '"iss"', id="no-issuer"),
        pytest.param({"aud": None}, '"aud"', id="no-audience"),
        pytest.param({"sub": None}, '"sub"', id="no-subject"),
        pytest.param({"sub": ""}, "'sub'", id="empty-subject"),
        pytest.param({"sub": "   "}, "'sub'", id="blank-subject"),
        pytest.param({"sub": "a\u0000b"}, "'sub'", id="subject-with-nul"),
        pytest.param({"exp": "9999999999"}, "'exp' must be a number", id="exp-a-numeric-string"),
        pytest.param({"exp": "soon"}, "(exp) must be an integer", id="exp-a-word"),
        pytest.param({"exp": True}, "Signature has expired", id="exp-a-boolean"),
        pytest.param({"exp": [1]}, "(exp) must be an integer", id="exp-a-list"),
        pytest.param({"nbf": "0"}, "'nbf' must be a number", id="nbf-a-string"),
        pytest.param({"iat": "0"}, "'iat' must be a number", id="iat-a-string"),
    ],
)
def test_a_token_with_a_bad_registered_claim_is_refused(
    changes: dict[str, Any], reason: str
) -> None:
    now = int(time.time())
    times = {
        k: now + v
        for k, v in changes.items()
        if k in ("exp", "nbf", "iat") and isinstance(v, int) and not isinstance(v, bool) and v
    }
    token = sign(rsa_key(), **(changes | times))
    assert reason in refused(verifier(), token)


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"exp": -SKEW_S + 5}, id="expired-within-skew"),
        pytest.param({"nbf": SKEW_S - 5}, id="not-yet-valid-within-skew"),
        pytest.param({"iat": SKEW_S - 5}, id="issued-ahead-within-skew"),
        pytest.param({"nbf": None, "iat": None}, id="without-nbf-and-iat"),
    ],
)
def test_a_token_within_the_clock_skew_is_accepted(changes: dict[str, Any]) -> None:
    now = int(time.time())
    times = {k: now + v if v is not None else None for k, v in changes.items()}
    assert verifier().verify(sign(ec_key(), **times)).party_id == "northwind"


def test_the_clock_skew_is_configurable() -> None:
    token = sign(ec_key(), exp=int(time.time()) - 10)
    assert verifier(leeway_s=30).verify(token).party_id == "northwind"
    assert "Signature has expired" in refused(verifier(leeway_s=0), token)


def test_an_audience_list_that_contains_ours_is_accepted() -> None:
    token = sign(rsa_key(), aud=["account", AUDIENCE])
    assert verifier().verify(token).party_id == "northwind"


# ---- party and roles ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("roles", "expected"),
    [
        (["submitter", "reviewer"], {"submitter", "reviewer"}),
        ("submitter reviewer", {"submitter", "reviewer"}),
        ("  observer\tcommand_review  ", {"observer", "command_review"}),
        ([], set()),
        ("", set()),
    ],
    ids=["list", "space-separated", "extra-whitespace", "empty-list", "empty-string"],
)
def test_roles_come_as_a_list_or_a_space_separated_string(
    roles: list[str] | str, expected: set[str]
) -> None:
    assert verifier().verify(sign(rsa_key(), roles=roles)).roles == expected


def test_claim_names_are_configurable_like_an_oauth2_scope() -> None:
    custom = verifier(party_claim="https://deconflict.example/party", roles_claim="scope")
    token = sign(
        ec_key(),
        party=None,
        roles=None,
        scope="submitter observer",
        **{"https://deconflict.example/party": "harbor-survey"},
    )
    caller = custom.verify(token)
    assert (caller.party_id, caller.roles) == (
        "harbor-survey",
        frozenset({"submitter", "observer"}),
    )
    reason = refused(custom, sign(ec_key()))  # has `party` and `roles`, not the named claims
    assert "no 'https://deconflict.example/party' claim naming the party" in reason


NOT_ROLES = "the 'scope' claim must be a list of role names or a space-separated string"


@pytest.mark.parametrize(
    ("roles", "reason"),
    [
        (["submitter", "Not A Role"], "the 'scope' claim: invalid role name 'Not A Role': "),
        ("submitter read:operations", "the 'scope' claim: invalid role name 'read:operations': "),
        (["admin", 7], NOT_ROLES),
        ({"admin": True}, NOT_ROLES),
        (None, NOT_ROLES),
    ],
    ids=["bad-name-in-list", "bad-name-in-string", "not-a-string", "an-object", "missing"],
)
def test_bad_roles_refuse_the_whole_token(roles: Any, reason: str) -> None:
    message = refused(verifier(roles_claim="scope"), sign(rsa_key(), roles=None, scope=roles))
    assert message.startswith(f"invalid bearer token: {reason}"), message


@pytest.mark.parametrize("party", [None, "", "  ", 42, ["northwind"]])
def test_a_token_without_a_party_is_refused(party: Any) -> None:
    assert "no 'party' claim naming the party" in refused(verifier(), sign(rsa_key(), party=party))


# ---- JWK Sets and PEM files ---------------------------------------------------------


def test_a_jwk_set_keeps_only_signing_keys_that_suit_rs256_or_es256() -> None:
    short_rsa = rsa.generate_private_key(public_exponent=65537, key_size=1024)
    p384 = ec.generate_private_key(ec.SECP384R1())
    private_ec = ECAlgorithm.to_jwk(ec_key(2), as_dict=True)
    keys = parse_jwks(
        {
            "keys": [
                jwk_of(rsa_key(), "rsa"),
                jwk_of(ec_key(), "ec"),
                {"kty": "oct", "kid": "hmac", "k": b64(public_pem(rsa_key()))},
                jwk_of(rsa_key(1), "encryption", use="enc"),
                jwk_of(rsa_key(1), "rs512", alg="RS512"),
                {**jwk_of(short_rsa, "short"), "alg": "RS256"},
                {**jwk_of(p384, "p384"), "alg": None},
                {**private_ec, "kid": "published-private", "use": "sig"},
                {**jwk_of(rsa_key(1), "numeric-kid"), "kid": 5},
                {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
                "not an object",
            ]
        }
    )
    assert [(k.kid, k.algorithm) for k in keys] == [
        ("rsa", "RS256"),
        ("ec", "ES256"),
        ("published-private", None),
    ]
    assert all(not hasattr(k.key, "private_bytes") for k in keys)  # public halves only


@pytest.mark.parametrize("document", [{}, {"keys": {}}, [], "keys", None])
def test_a_document_that_is_not_a_jwk_set_is_unavailable(document: object) -> None:
    with pytest.raises(JwksUnavailable, match="not a JWK Set"):
        parse_jwks(document)


def test_pem_public_key_files_verify_tokens_of_either_algorithm(tmp_path: Path) -> None:
    paths = []
    for name, key in (("rsa.pem", rsa_key()), ("ec.pem", ec_key())):
        (tmp_path / name).write_bytes(public_pem(key))
        paths.append(tmp_path / name)
    check = OAuthTokenVerifier(
        StaticKeys.from_pem_files(paths), issuer=ISSUER, audience=AUDIENCE, leeway_s=SKEW_S
    )
    assert check.verify(sign(rsa_key(), kid=None)).party_id == "northwind"
    assert check.verify(sign(ec_key(), kid="whatever-the-server-calls-it")).party_id == "northwind"
    assert "signature verification failed" in refused(check, sign(rsa_key(1)))
    assert "'HS256' is not allowed" in refused(check, hs256_with_public_key(rsa_key()))


def _private_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (None, "cannot read the public key file"),
        (b"not a key", "not a usable PEM public key"),
        ("private", "holds a private key: give the authorization server's public key only"),
        ("short-rsa", "RSA key of 1024 bits: at least 2048 needed"),
        ("p384", "EC key on secp384r1: only P-256 (ES256) is accepted"),
    ],
)
def test_a_pem_file_that_cannot_serve_is_refused_naming_the_file(
    tmp_path: Path, content: bytes | str | None, reason: str
) -> None:
    path = tmp_path / "idp.pem"
    if content == "private":
        path.write_bytes(_private_pem(rsa_key()))
    elif content == "short-rsa":
        path.write_bytes(public_pem(rsa.generate_private_key(public_exponent=65537, key_size=1024)))
    elif content == "p384":
        path.write_bytes(public_pem(ec.generate_private_key(ec.SECP384R1())))
    elif isinstance(content, bytes):
        path.write_bytes(content)
    with pytest.raises(ValueError) as raised:
        load_public_keys([path])
    assert str(path) in str(raised.value)
    assert reason in str(raised.value)
