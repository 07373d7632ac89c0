"""The FastAPI application factory."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from typing import Any

from fastapi import FastAPI
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from deconflict import __version__
from deconflict.adapters.migrate import revision_of
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.services.reviews import process_deadlines

from ..worker import Dispatcher
from . import schemas as s
from .deps import ContainerDep
from .errors import BodyLimit, install_error_handlers
from .f3548.errors import install_f3548_error_handlers
from .f3548.routes import router as f3548_router
from .headers import SecurityHeaders
from .ratelimit import WriteRateLimit, buckets_for
from .routes import events, interchange, operations, registry, reviews
from .ui import mount_ui, page_policy

log = logging.getLogger(__name__)

DESCRIPTION = """
Parties submit planned operations (4D volumes: footprint, altitude band, time window);
deconflict finds their conflicts with other parties' zones and operations and applies
the parties' agreements. Every request needs `Authorization: Bearer <token>` (mint one
with `deconflict token`). Errors are JSON: `{"detail": ..., "errors": [{"loc", "msg"}]}`.
"""

#: Every /v1 route answers these in the project's error shape (FastAPI would document
#: its own validation error shape for 422, which this API does not send).
ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": s.ErrorPublic, "description": "No valid bearer token"},
    422: {"model": s.ErrorPublic, "description": "Invalid input: which field and why"},
}


async def _act_on_deadlines(container: Container, interval_s: float) -> None:
    """Every `interval_s`, moves review cases whose stage deadline passed, so they move
    even when nobody reads them."""
    while True:
        await asyncio.sleep(interval_s)
        try:
            await run_in_threadpool(process_deadlines, container.uow, container.ctx)
        except Exception:  # keep ticking: one failed round must not stop the next
            log.exception("processing review deadlines failed")


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """Builds the API for `settings` (from the environment when omitted), or around an
    already built `container` (tests, the CLI's demo)."""
    settings = settings or (container.settings if container else Settings())
    container = container or bootstrap(settings)
    built = container

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        interval_s = built.settings.deadline_interval_s
        task = asyncio.create_task(_act_on_deadlines(built, interval_s)) if interval_s > 0 else None
        dispatcher = Dispatcher(built) if built.settings.dispatch_in_process else None
        if dispatcher is not None:
            dispatcher.start()
        yield
        if dispatcher is not None:
            await run_in_threadpool(dispatcher.stop)
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    app = FastAPI(
        lifespan=lifespan,
        title="deconflict",
        version=__version__,
        description=DESCRIPTION,
        docs_url="/docs",
        openapi_url="/openapi.json",
    )
    app.state.container = container
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.write_limits = buckets_for(settings.rate_limit_per_minute, settings.rate_limit_burst)
    app.add_middleware(WriteRateLimit, verifier=container.verifier, buckets=app.state.write_limits)
    app.add_middleware(
        SecurityHeaders,
        docs_paths=("/docs", "/docs/oauth2-redirect", "/redoc"),
        page_policies={"/": page_policy(settings)},
    )
    install_error_handlers(app)
    install_f3548_error_handlers(app)
    for routes in (registry, operations, reviews, events):
        app.include_router(routes.router, responses=ERRORS)
    app.include_router(interchange.router, responses=ERRORS)
    app.include_router(f3548_router)
    mount_ui(app, settings)

    @app.get("/healthz", tags=["health"])
    def healthz(c: ContainerDep) -> s.Health:
        """Liveness and database reachability (no token needed)."""
        with c.uow.engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return s.Health(
            status="ok",
            database=c.uow.engine.dialect.name,
            schema_revision=revision_of(c.uow.engine),
        )

    return app
