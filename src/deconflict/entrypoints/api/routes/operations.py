"""Checks (dry runs) and operations."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Annotated, Any

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse, Response

from deconflict.domain.errors import InvalidInput
from deconflict.domain.model import OperationState
from deconflict.domain.operation import Operation
from deconflict.services import operations as ops
from deconflict.services.context import ServiceContext
from deconflict.services.ports import UnitOfWork

from .. import converters as c
from .. import schemas as s
from ..deps import CallerDep, CtxDep, FormatDep, IdempotencyDep, PageDep, UowDep
from ..replies import idempotent, serialized

router = APIRouter(prefix="/v1")

_REFUSED: dict[int | str, dict[str, Any]] = {
    409: {"model": s.ErrorPublic, "description": "Refused (restricted zone) or state conflict"}
}
_INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": s.ErrorPublic, "description": "Invalid input: which field and why"}
}


@contextmanager
def located_as_sent(
    volumes: Sequence[s.VolumeNative | s.F3548Volume4D | s.GeoJSONFeature],
) -> Iterator[None]:
    """Locates a service's InvalidInput in the body, in the shape each volume was sent in."""
    try:
        yield
    except InvalidInput as e:
        raise c.problems_as_sent(e, volumes) from None


@router.post("/checks", tags=["checks"], responses=_INVALID, response_model=s.CheckPublic)
def check(body: s.CheckCreate, uow: UowDep, ctx: CtxDep, caller: CallerDep) -> Response:
    """Dry run: the conflicts, reviews and notices a submission of these volumes would
    meet, without storing anything."""
    volumes = c.volumes_from_api(body.volumes, ctx)
    with located_as_sent(body.volumes):
        return serialized(c.check_to_api(ops.check_volumes(uow, ctx, caller, volumes)))


def _command(body: s.OperationCreate, ctx: ServiceContext) -> ops.OperationCommand:
    return ops.OperationCommand(
        body.name,
        body.priority,
        c.volumes_from_api(body.volumes, ctx),
        c.flexibility_from_api(body.flexibility),
    )


def _submission_to_api(
    caller: CallerDep, volume_format: s.VolumeFormat
) -> Callable[[ops.Submission], s.OperationPublic]:
    return lambda sub: c.operation_to_api(sub.operation, caller.party_id, volume_format)


@router.post(
    "/operations",
    status_code=status.HTTP_201_CREATED,
    tags=["operations"],
    responses={**_REFUSED, **_INVALID},
    response_model=s.OperationPublic,
)
def submit(
    body: s.OperationCreate,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    key: IdempotencyDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> JSONResponse:
    """Submits an operation: `approved`, `in_review` (a partner's review zone), or 409
    refused (a restricted zone; nothing stored)."""
    command = _command(body, ctx)

    def write(u: UnitOfWork) -> ops.Submission:
        with located_as_sent(body.volumes):
            return ops.submit_operation(u, ctx, caller, command)

    return idempotent(
        uow,
        ctx,
        caller,
        key,
        write,
        ops.Submission,
        _submission_to_api(caller, volume_format),
        status.HTTP_201_CREATED,
    )


@router.get("/operations", tags=["operations"])
def list_operations(
    uow: UowDep,
    caller: CallerDep,
    page: PageDep,
    state: Annotated[OperationState | None, Query()] = None,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> list[s.OperationPublic]:
    """The caller's party's operations, newest first."""
    return [
        c.operation_to_api(o, caller.party_id, volume_format)
        for o in ops.list_operations(uow, caller, page, state)
    ]


@router.get("/operations/{operation_id}", tags=["operations"])
def get_operation(
    operation_id: str,
    uow: UowDep,
    caller: CallerDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
    history: bool = False,
) -> s.OperationPublic:
    """One of the caller's operations; with `history`, every version."""
    operation = ops.get_operation(uow, caller, operation_id)
    return c.operation_to_api(operation, caller.party_id, volume_format, history=history)


@router.put(
    "/operations/{operation_id}",
    tags=["operations"],
    responses={**_REFUSED, **_INVALID},
    response_model=s.OperationPublic,
)
def update(
    operation_id: str,
    body: s.OperationCreate,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    key: IdempotencyDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> JSONResponse:
    """Submits a new version, assessed afresh; a refused version changes nothing."""
    command = _command(body, ctx)

    def write(u: UnitOfWork) -> ops.Submission:
        with located_as_sent(body.volumes):
            return ops.update_operation(u, ctx, caller, operation_id, command)

    return idempotent(
        uow, ctx, caller, key, write, ops.Submission, _submission_to_api(caller, volume_format)
    )


@router.post(
    "/operations/{operation_id}/withdraw", tags=["operations"], response_model=s.OperationPublic
)
def withdraw(
    operation_id: str,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    key: IdempotencyDep,
    volume_format: FormatDep = s.VolumeFormat.NATIVE,
) -> JSONResponse:
    """Withdraws the operation: it no longer counts as a conflict for anyone."""
    return idempotent(
        uow,
        ctx,
        caller,
        key,
        lambda u: ops.withdraw_operation(u, ctx, caller, operation_id),
        Operation,
        lambda operation: c.operation_to_api(operation, caller.party_id, volume_format),
    )
