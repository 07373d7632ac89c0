"""The one Settings class: every knob is an environment variable `DECONFLICT_<NAME>`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BeforeValidator, Field, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEVELOPMENT_ISSUER = "deconflict-local"
DEVELOPMENT_AUDIENCE = "deconflict"


def _listed(value: object) -> object:
    """A list from an environment variable: comma-separated, or a JSON list."""
    if isinstance(value, str):
        text = value.strip()
        if text.startswith("["):
            return json.loads(text)
        return [item.strip() for item in text.split(",") if item.strip()]
    return value


TokenAlgorithm = Literal["RS256", "ES256"]


def _every_algorithm() -> list[TokenAlgorithm]:
    return ["RS256", "ES256"]


class Settings(BaseSettings):
    """Configuration of one deployment. Development is the embedded default: SQLite and
    a signing key generated beside it. Production refuses both, and needs an OAuth2
    authorization server's tokens (TOKEN_MODE=oauth2) with its own issuer and audience."""

    model_config = SettingsConfigDict(env_prefix="DECONFLICT_", extra="ignore")

    env: Literal["development", "production"] = "development"
    data_dir: Path = Field(
        Path(".deconflict"), description="Where the embedded database and key live"
    )
    database_url: str | None = Field(None, description="SQLAlchemy URL; unset: SQLite in data_dir")
    host: str = "127.0.0.1"
    port: int = Field(8000, ge=0, le=65535)

    token_mode: Literal["local", "oauth2"] = Field(
        "local",
        description="local: tokens of the development key below; "
        "oauth2: an authorization server's tokens (JWKS_URL or TOKEN_PUBLIC_KEY_FILES)",
    )
    token_issuer: str = DEVELOPMENT_ISSUER
    token_audience: str = Field(
        DEVELOPMENT_AUDIENCE, description="Accepted audiences, comma-separated: a token needs one"
    )
    jwks_url: str | None = Field(None, description="The authorization server's JWK Set")
    token_public_key_files: Annotated[list[Path], NoDecode, BeforeValidator(_listed)] = Field(
        default_factory=list, description="PEM public keys (instead of JWKS_URL), comma-separated"
    )
    token_algorithms: Annotated[list[TokenAlgorithm], NoDecode, BeforeValidator(_listed)] = Field(
        default_factory=_every_algorithm, min_length=1
    )
    claim_party: str = Field("party", min_length=1, description="Claim naming the party")
    claim_roles: str = Field(
        "roles", min_length=1, description="Claim with the roles: a list or space-separated"
    )
    jwks_min_refresh_interval_s: float = Field(
        30.0, gt=0, description="Fetch the JWKS at most this often, whatever tokens arrive"
    )
    jwks_cache_ttl_s: float = Field(300.0, gt=0, description="Refetch the JWKS this old")
    jwks_timeout_s: float = Field(5.0, gt=0)
    signing_key_file: Path | None = Field(
        None,
        description="PEM EC P-256 private key for local tokens; unset: data_dir/signing-key.pem",
    )
    token_ttl_s: int = Field(8 * 3600, gt=0)
    clock_skew_s: int = Field(30, ge=0, le=300)

    max_body_bytes: int = Field(1_000_000, gt=0)
    max_vertices: int = Field(1_000, ge=3)
    max_area_km2: float = Field(10_000.0, gt=0)
    max_volumes: int = Field(50, gt=0)
    max_window_s: float = Field(24 * 3600.0, gt=0)
    max_page_size: int = Field(500, gt=0)
    max_lead_s: float = Field(
        20 * 365 * 86400.0,
        gt=0,
        description="How far ahead an operation may start (seconds); production: e.g. 90 days",
    )
    rate_limit_per_minute: int = Field(
        120, ge=0, description="Writes per minute per token subject and party; 0: unlimited"
    )
    rate_limit_burst: int = Field(60, ge=1, description="Writes one token may make at once")
    redis_url: str | None = Field(
        None,
        description="Redis for the rate limit's shared budget (else the database keeps it)",
    )

    workers: int = Field(1, ge=1, le=64, description="API processes `deconflict serve` runs")
    db_pool_size: int = Field(
        10, ge=1, description="Database connections each process keeps (PostgreSQL)"
    )
    db_max_overflow: int = Field(
        10, ge=0, description="Extra connections a process may open at a peak (PostgreSQL)"
    )
    db_pool_timeout_s: float = Field(
        5.0, gt=0, description="Wait for a free connection, then answer 503"
    )
    retry_budget_s: float = Field(
        2.0, gt=0, le=60, description="Retry a contended write this long, then answer 503"
    )
    idempotency_ttl_s: float = Field(
        24 * 3600.0, gt=0, description="How long an Idempotency-Key is remembered"
    )
    lease_s: float = Field(
        15.0, gt=0, description="Background work one process holds before another may take it"
    )
    audit_anchor_interval_s: float = Field(
        1.0, ge=0, description="How often the audit chains are anchored; 0: never"
    )

    deadline_interval_s: float = Field(
        30.0, ge=0, description="How often the server acts on passed review deadlines; 0: never"
    )

    dispatch_in_process: bool = Field(
        True, description="Deliver webhooks from the API process (else run `deconflict worker`)"
    )
    dispatch_interval_s: float = Field(0.5, gt=0, description="Idle wait between outbox polls")
    webhook_timeout_s: float = Field(10.0, gt=0)
    webhook_max_attempts: int = Field(8, ge=1, description="Then the delivery is dead-lettered")
    webhook_backoff_s: float = Field(
        2.0, ge=0, description="First retry delay; doubles per attempt"
    )
    webhook_max_backoff_s: float = Field(3600.0, ge=0)
    webhook_lease_s: float = Field(60.0, gt=0, description="How long a dispatcher owns a delivery")
    webhook_allow_hosts: Annotated[list[str], NoDecode, BeforeValidator(_listed)] = Field(
        default_factory=list,
        description="Webhook hosts allowed although not public (test and private deployments): "
        "host names and IP addresses or networks, comma-separated, e.g. 127.0.0.1,10.0.0.0/8",
    )

    map_tile_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s'\";,]+$",
        description="Web map tiles, e.g. https://tile.example.org/{z}/{x}/{y}.png ({s}: "
        "subdomains); unset: the offline base map only",
    )
    map_tile_attribution: str = Field("", max_length=500, description="Shown under the tiles")

    oauth2_authorize_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s'\";,]+$",
        description="The web page's sign-in: the authorization server's authorization endpoint "
        "(authorization code with PKCE, a public client); unset: tokens are pasted",
    )
    oauth2_token_url: str | None = Field(
        None,
        pattern=r"^https?://[^\s'\";,]+$",
        description="Its token endpoint (the page calls it: allowed by the page's CSP)",
    )
    oauth2_client_id: str | None = Field(
        None, min_length=1, max_length=200, description="The page's public client id"
    )
    oauth2_scope: str = Field("openid", max_length=500, description="Scopes the page asks for")

    f3548_register_unknown: bool = Field(
        False,
        description="/dss/v1: register a party for an unknown token subject on first use "
        "(test deployments); otherwise an unknown subject is refused (403)",
    )
    geoid_file: Path | None = Field(
        None,
        description="The EGM96 geoid grid egm96_15.gtx (Debian's proj-data) for AMSL heights; "
        "unset: looked up in PROJ's data directories and /usr/share/proj",
    )
    terrain_file: Path | None = Field(
        None, description="A GeoTIFF terrain model (DEM) for AGL heights; unset: AGL is refused"
    )
    terrain_accuracy_m: float | None = Field(
        None, ge=0, le=1000, description="The terrain model's stated vertical accuracy (metres)"
    )
    terrain_reference: Literal["AMSL", "W84"] = Field(
        "AMSL", description="What the terrain model's heights are above: mean sea level or WGS 84"
    )

    separation_horizontal_m: float = Field(50.0, ge=0)
    separation_vertical_m: float = Field(10.0, ge=0)
    separation_time_s: float = Field(60.0, ge=0)

    @model_validator(mode="after")
    def _no_development_defaults_in_production(self) -> Settings:
        self.refuse_unsafe()
        return self

    def refuse_unsafe(self) -> None:
        """Raises ValueError naming the variable at fault: a token mode without its keys,
        or, outside development, the embedded database, the local development key or the
        development issuer and audience. `bootstrap` asks again before starting."""
        mode = self.token_mode
        sources = [
            name
            for name, value in (
                ("DECONFLICT_JWKS_URL", self.jwks_url),
                ("DECONFLICT_TOKEN_PUBLIC_KEY_FILES", self.token_public_key_files),
            )
            if value
        ]
        if mode == "oauth2" and not sources:
            raise ValueError(
                "DECONFLICT_TOKEN_MODE=oauth2 needs DECONFLICT_JWKS_URL or "
                "DECONFLICT_TOKEN_PUBLIC_KEY_FILES"
            )
        if len(sources) > 1:
            raise ValueError(
                "set DECONFLICT_JWKS_URL or DECONFLICT_TOKEN_PUBLIC_KEY_FILES, not both"
            )
        if mode == "local" and sources:
            raise ValueError(f"{sources[0]} is used only with DECONFLICT_TOKEN_MODE=oauth2")
        login = {
            "DECONFLICT_OAUTH2_AUTHORIZE_URL": self.oauth2_authorize_url,
            "DECONFLICT_OAUTH2_TOKEN_URL": self.oauth2_token_url,
            "DECONFLICT_OAUTH2_CLIENT_ID": self.oauth2_client_id,
        }
        if any(login.values()) and not all(login.values()):
            missing = ", ".join(name for name, value in login.items() if not value)
            raise ValueError(f"the web page's OAuth2 sign-in also needs {missing}")
        jwks = urlsplit(self.jwks_url) if self.jwks_url else None
        if jwks is not None and (jwks.scheme not in ("http", "https") or not jwks.netloc):
            raise ValueError("DECONFLICT_JWKS_URL must be an http(s) URL")
        if self.env == "development":
            return
        if self.database_url is None:
            raise ValueError("DECONFLICT_DATABASE_URL must be set outside development")
        if mode != "oauth2":
            raise ValueError(
                "DECONFLICT_TOKEN_MODE must be oauth2 outside development (with "
                "DECONFLICT_JWKS_URL or DECONFLICT_TOKEN_PUBLIC_KEY_FILES): "
                "the local development key is refused"
            )
        if self.token_issuer == DEVELOPMENT_ISSUER:
            raise ValueError(
                "DECONFLICT_TOKEN_ISSUER must name the authorization server's issuer outside "
                f"development; the development default {DEVELOPMENT_ISSUER!r} is refused"
            )
        if self.token_audience == DEVELOPMENT_AUDIENCE:
            raise ValueError(
                "DECONFLICT_TOKEN_AUDIENCE must name this service's audience outside "
                f"development; the development default {DEVELOPMENT_AUDIENCE!r} is refused"
            )
        if jwks is not None and jwks.scheme != "https":
            raise ValueError("DECONFLICT_JWKS_URL must be https outside development")

    @property
    def embedded_database_file(self) -> Path:
        """The SQLite file used when no database_url is set."""
        return self.data_dir / "deconflict.db"

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.embedded_database_file}"

    @property
    def effective_signing_key_file(self) -> Path:
        return self.signing_key_file or self.data_dir / "signing-key.pem"
