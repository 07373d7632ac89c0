"""The one place where settings, adapters and services are wired together."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from deconflict.adapters.egress import WebhookTargets
from deconflict.adapters.heights import height_models
from deconflict.adapters.migrate import upgrade
from deconflict.adapters.projection import local_frame
from deconflict.adapters.sql import SqlUnitOfWork, make_engine
from deconflict.adapters.tokens import (
    JwksKeys,
    KeySource,
    NoLocalIssuer,
    OAuthTokenVerifier,
    RememberedTokens,
    StaticKeys,
    TokenIssuer,
    TokenVerifier,
    Verifier,
    load_or_create_key,
)
from deconflict.config import Settings
from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import FootprintLimits
from deconflict.services.audit import record_system
from deconflict.services.context import Limits, ServiceContext


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    uow: SqlUnitOfWork
    ctx: ServiceContext
    verifier: Verifier
    issuer: TokenIssuer | NoLocalIssuer

    def close(self) -> None:
        """Closes the database connections this container holds."""
        self.uow.engine.dispose()


def service_context(settings: Settings) -> ServiceContext:
    return ServiceContext(
        frames=local_frame,
        limits=Limits(
            footprint=FootprintLimits(settings.max_area_km2 * 1e6, settings.max_vertices),
            max_volumes=settings.max_volumes,
            max_window_s=settings.max_window_s,
            max_page_size=settings.max_page_size,
            max_lead_s=settings.max_lead_s,
        ),
        default_separation=Separation(
            settings.separation_horizontal_m,
            settings.separation_vertical_m,
            settings.separation_time_s,
        ),
        idempotency_ttl_s=settings.idempotency_ttl_s,
        webhook_targets=WebhookTargets(settings.webhook_allow_hosts),
        heights=height_models(
            settings.geoid_file,
            settings.terrain_file,
            settings.terrain_accuracy_m,
            settings.terrain_reference,
        ),
    )


def token_adapters(settings: Settings) -> tuple[Verifier, TokenIssuer | NoLocalIssuer]:
    """The verifier (and issuer) of the token mode: the local development key, or an
    OAuth2 authorization server's keys from its JWKS URL or from PEM files."""
    if settings.token_mode == "oauth2":  # noqa: S105 (a mode, not a secret)
        keys: KeySource
        if settings.jwks_url:
            keys = JwksKeys(
                settings.jwks_url,
                min_refresh_interval_s=settings.jwks_min_refresh_interval_s,
                cache_ttl_s=settings.jwks_cache_ttl_s,
                timeout_s=settings.jwks_timeout_s,
            )
        else:
            keys = StaticKeys.from_pem_files(settings.token_public_key_files)
        verifier = OAuthTokenVerifier(
            keys,
            issuer=settings.token_issuer,
            audience=settings.token_audience,
            leeway_s=settings.clock_skew_s,
            algorithms=settings.token_algorithms,
            party_claim=settings.claim_party,
            roles_claim=settings.claim_roles,
        )
        return verifier, NoLocalIssuer()
    key = load_or_create_key(
        settings.effective_signing_key_file, create=settings.env == "development"
    )
    return (
        TokenVerifier(
            key.public_key(), settings.token_issuer, settings.token_audience, settings.clock_skew_s
        ),
        TokenIssuer(key, settings.token_issuer, settings.token_audience),
    )


def bootstrap(settings: Settings, *, migrate: bool = True) -> Container:
    """Builds everything a process needs; with `migrate`, brings the schema up to date.
    Unsafe settings (see `Settings.refuse_unsafe`) or unusable token keys raise
    ValueError before anything is touched: the server does not start. A development
    signing key generated here is recorded in the audit log."""
    settings.refuse_unsafe()
    key_file = settings.effective_signing_key_file
    new_key = settings.token_mode == "local" and not key_file.exists()  # noqa: S105 (a mode)
    verifier, issuer = token_adapters(settings)
    verifier = RememberedTokens(verifier, leeway_s=settings.clock_skew_s)
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    pool: dict[str, Any] = {}
    if not url.startswith("sqlite"):
        pool = {
            "pool_size": settings.db_pool_size,
            "max_overflow": settings.db_max_overflow,
            "pool_timeout": settings.db_pool_timeout_s,
        }
    engine = make_engine(url, **pool)
    if migrate:
        upgrade(engine)
    container = Container(
        settings=settings,
        uow=SqlUnitOfWork(engine, local_frame, settings.retry_budget_s),
        ctx=service_context(settings),
        verifier=verifier,
        issuer=issuer,
    )
    if new_key and isinstance(issuer, TokenIssuer):
        record_system(
            container.uow,
            container.ctx,
            "key.generated",
            str(key_file),
            issuer.key_id,
            object_type="signing_key",
        )
    return container
