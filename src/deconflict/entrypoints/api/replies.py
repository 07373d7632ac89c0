"""Answers of the write routes that take an `Idempotency-Key`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from deconflict.domain.model import Caller
from deconflict.services.context import ServiceContext
from deconflict.services.idempotency import Answer, IdempotentRequest, once
from deconflict.services.ports import UnitOfWork

R = TypeVar("R")


def idempotent(
    uow: UnitOfWork,
    ctx: ServiceContext,
    caller: Caller,
    request: IdempotentRequest | None,
    write: Callable[[UnitOfWork], R],
    kind: type[R],
    render: Callable[[R], BaseModel],
    status_code: int = 200,
) -> JSONResponse:
    """Runs the write once per Idempotency-Key (see services.idempotency.once) and answers
    with its first answer; a replayed answer carries `Idempotent-Replayed: true`."""

    def answer(result: R) -> Answer:
        return Answer(status_code, render(result).model_dump(mode="json", by_alias=True))

    reply = once(uow, ctx, caller, request, write, kind, answer)
    headers = {"Idempotent-Replayed": "true"} if reply.replayed else None
    return JSONResponse(reply.body, status_code=reply.status_code, headers=headers)


def serialized(model: BaseModel, status_code: int = 200) -> Response:
    """`model` as JSON, as FastAPI would write a returned model (by alias), but in the
    route's own thread: FastAPI validates and serializes what a plain-function route
    returns in another trip to the thread pool. The route names the model as its
    `response_model` for the OpenAPI document."""
    return Response(
        model.model_dump_json(by_alias=True),
        status_code=status_code,
        media_type="application/json",
    )
