"""The FastAPI application factory."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from sqlalchemy import text
from starlette.concurrency import run_in_threadpool

from deconflict import __version__
from deconflict.adapters.migrate import revision_of
from deconflict.adapters.ratelimits import RedisBuckets
from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings

from ..background import Background
from ..worker import Dispatcher
from . import schemas as s
from .deps import ContainerDep
from .docs import DOCS_PATHS, mount_docs
from .errors import BodyLimit, install_error_handlers
from .f3548.errors import install_f3548_error_handlers
from .f3548.routes import router as f3548_router
from .guards import refuse_nul
from .headers import SecurityHeaders
from .openapi import install_openapi
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
    503: {
        "model": s.ErrorPublic,
        "description": "Overloaded: nothing was changed; retry after `Retry-After` seconds",
        "headers": {"Retry-After": {"schema": {"type": "integer"}}},
    },
}


def create_app(settings: Settings | None = None, *, container: Container | None = None) -> FastAPI:
    """Builds the API for `settings` (from the environment when omitted), or around an
    already built `container` (tests, the CLI's demo)."""
    settings = settings or (container.settings if container else Settings())
    container = container or bootstrap(settings)
    built = container

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        background = Background(built)
        background.start()
        dispatcher = None
        if built.settings.dispatch_in_process:
            # One dispatcher per deployment among the API processes: the lease holder's.
            dispatcher = Dispatcher(built, gate=lambda: background.holds_lease("dispatch"))
            dispatcher.start()
        yield
        if dispatcher is not None:
            await run_in_threadpool(dispatcher.stop)
        await run_in_threadpool(background.stop)
        if isinstance(limits, RedisBuckets):
            await limits.aclose()

    app = FastAPI(
        lifespan=lifespan,
        title="deconflict",
        version=__version__,
        description=DESCRIPTION,
        docs_url=None,  # mount_docs: Swagger UI from the vendored copy
        redoc_url=None,
        openapi_url="/openapi.json",
        dependencies=[Depends(refuse_nul)],
    )
    app.state.container = container
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.state.write_limits = limits = buckets_for(settings, container.uow.engine)
    app.add_middleware(WriteRateLimit, verifier=container.verifier, buckets=limits)
    app.add_middleware(
        SecurityHeaders,
        docs_paths=DOCS_PATHS,
        page_policies={"/": page_policy(settings)},
    )
    install_error_handlers(app)
    install_f3548_error_handlers(app)
    for routes in (registry, operations, reviews, events):
        app.include_router(routes.router, responses=ERRORS)
    app.include_router(interchange.router, responses=ERRORS)
    app.include_router(f3548_router)
    mount_ui(app, settings)
    mount_docs(app)
    install_openapi(app, settings)

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
