"""The one place where settings, adapters and services are wired together."""

from __future__ import annotations

from dataclasses import dataclass

from deconflict.adapters.migrate import upgrade
from deconflict.adapters.projection import local_frame
from deconflict.adapters.sql import SqlUnitOfWork, make_engine
from deconflict.adapters.tokens import TokenIssuer, TokenVerifier, load_or_create_key
from deconflict.config import Settings
from deconflict.domain.conflicts import Separation
from deconflict.domain.geometry import FootprintLimits
from deconflict.services.context import Limits, ServiceContext


@dataclass(frozen=True, slots=True)
class Container:
    settings: Settings
    uow: SqlUnitOfWork
    ctx: ServiceContext
    verifier: TokenVerifier
    issuer: TokenIssuer

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
        ),
        default_separation=Separation(
            settings.separation_horizontal_m,
            settings.separation_vertical_m,
            settings.separation_time_s,
        ),
    )


def bootstrap(settings: Settings, *, migrate: bool = True) -> Container:
    """Builds everything a process needs; with `migrate`, brings the schema up to date."""
    url = settings.effective_database_url
    if url.startswith("sqlite"):
        settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(url)
    if migrate:
        upgrade(engine)
    key = load_or_create_key(
        settings.effective_signing_key_file, create=settings.env == "development"
    )
    return Container(
        settings=settings,
        uow=SqlUnitOfWork(engine, local_frame),
        ctx=service_context(settings),
        verifier=TokenVerifier(
            key.public_key(), settings.token_issuer, settings.token_audience, settings.clock_skew_s
        ),
        issuer=TokenIssuer(key, settings.token_issuer, settings.token_audience),
    )
