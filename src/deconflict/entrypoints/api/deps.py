"""FastAPI dependencies, as Annotated aliases: the container, the caller, paging."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Header, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from deconflict.adapters.tokens import InvalidToken, RememberedTokens, Verifier
from deconflict.bootstrap import Container
from deconflict.domain.errors import InvalidInput, Loc
from deconflict.domain.model import Caller
from deconflict.services.context import ServiceContext
from deconflict.services.idempotency import IdempotentRequest
from deconflict.services.ports import Page, UnitOfWork

from .schemas import VolumeFormat

_bearer = HTTPBearer(auto_error=False, description="ES256 JWT naming the caller's party and roles")


# The dependencies that do no I/O are coroutines: FastAPI runs a plain function in the
# thread pool, a hop of its own for each.


async def _container(request: Request) -> Container:
    container: Container = request.app.state.container
    return container


async def _uow(container: Annotated[Container, Depends(_container)]) -> UnitOfWork:
    return container.uow


async def _ctx(container: Annotated[Container, Depends(_container)]) -> ServiceContext:
    return container.ctx


async def _caller(
    container: Annotated[Container, Depends(_container)],
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    if credentials is None:
        raise InvalidToken("a bearer token is required (Authorization: Bearer <token>)")
    return await verified(container.verifier, credentials.credentials)


async def verified(verifier: Verifier, token: str) -> Caller:
    """The caller of `token`: a token verified a moment ago at once, any other in the
    thread pool (verifying may fetch the authorization server's JWKS)."""
    if isinstance(verifier, RememberedTokens):
        caller = verifier.peek(token)
        if caller is not None:
            return caller
    return await run_in_threadpool(verifier.verify, token)


def _page(
    container: Annotated[Container, Depends(_container)],
    limit: Annotated[int, Query(ge=1, description="Page size (capped by the server)")] = 100,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
) -> Page:
    cap = container.ctx.limits.max_page_size
    if limit > cap:
        raise InvalidInput.at(("query", "limit"), f"limit must be at most {cap}")
    return Page(limit=limit, offset=offset)


async def _idempotency(
    request: Request,
    key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            max_length=200,
            description="Send a retried write with the same key: it is done once, and the "
            "first answer comes back (24 h, per party; another body with it is a 422)",
        ),
    ] = None,
) -> IdempotentRequest | None:
    if key is None:
        return None
    return IdempotentRequest.of(key, request.method, request.url.path, await request.body())


ContainerDep = Annotated[Container, Depends(_container)]
IdempotencyDep = Annotated[IdempotentRequest | None, Depends(_idempotency)]
UowDep = Annotated[UnitOfWork, Depends(_uow)]
CtxDep = Annotated[ServiceContext, Depends(_ctx)]
CallerDep = Annotated[Caller, Depends(_caller)]
PageDep = Annotated[Page, Depends(_page)]
FormatDep = Annotated[
    VolumeFormat, Query(description="Shape of volumes in the response: native, f3548 or geojson")
]


@contextmanager
def located(*prefix: str | int) -> Iterator[None]:
    """Locates InvalidInput raised by a service (relative to its command) in the request."""
    loc: Loc = prefix
    try:
        yield
    except InvalidInput as e:
        raise e.prefixed(loc) from None
