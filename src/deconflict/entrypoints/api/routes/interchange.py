"""Zone import and export in ED-269 JSON, GeoJSON and KML; operations export.

`POST /v1/zones:import` takes the file itself as the request body, with its content
type (`application/json` or `application/geo+json` for ED-269 and GeoJSON,
`application/vnd.google-earth.kml+xml`, `application/xml` or `text/xml` for KML); the
format is told from the content. Files larger than DECONFLICT_MAX_BODY_BYTES go through
`deconflict zones import`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from deconflict.adapters import interchange
from deconflict.domain.errors import InvalidInput
from deconflict.services import interchange as exchange

from ..deps import CallerDep, CtxDep, UowDep
from ..schemas import ErrorPublic

router = APIRouter(prefix="/v1", tags=["interchange"])

IMPORT_TYPES = frozenset(
    {
        "application/json",
        "application/geo+json",
        "application/vnd.google-earth.kml+xml",
        "application/xml",
        "text/xml",
    }
)


class ZoneFormat(StrEnum):
    ED269 = "ed269"
    GEOJSON = "geojson"
    KML = "kml"


class OperationFormat(StrEnum):
    GEOJSON = "geojson"
    KML = "kml"


class PlanEntryPublic(BaseModel):
    change: str
    identifier: str
    name: str
    kind: str | None
    zone_id: str | None
    detail: str
    loc: list[str | int]


class ImportPlanPublic(BaseModel):
    party_id: str
    format: str
    dry_run: bool
    applied: bool
    counts: dict[str, int]
    entries: list[PlanEntryPublic]


def _plan_to_api(plan: exchange.ImportPlan) -> ImportPlanPublic:
    return ImportPlanPublic(
        party_id=plan.party_id,
        format=plan.format,
        dry_run=plan.dry_run,
        applied=plan.applied,
        counts={c.value: n for c, n in plan.counts().items()},
        entries=[
            PlanEntryPublic(
                change=e.change.value,
                identifier=e.source_id,
                name=e.name,
                kind=None if e.kind is None else e.kind.value,
                zone_id=e.zone_id,
                detail=e.detail,
                loc=list(e.loc),
            )
            for e in plan.entries
        ],
    )


_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "description": "The file: ED-269 JSON, GeoJSON or KML (told apart by content)",
        "content": {
            "application/json": {"schema": {"type": "object"}},
            "application/geo+json": {"schema": {"type": "object"}},
            "application/vnd.google-earth.kml+xml": {"schema": {"type": "string"}},
            "application/xml": {"schema": {"type": "string"}},
            "text/xml": {"schema": {"type": "string"}},
        },
    }
}


@router.post(
    "/zones:import",
    openapi_extra=_BODY,
    response_model=ImportPlanPublic,
    responses={415: {"model": ErrorPublic, "description": "Not one of the file types read"}},
)
async def import_zones(
    request: Request,
    uow: UowDep,
    ctx: CtxDep,
    caller: CallerDep,
    dry_run: Annotated[bool, Query(description="Return the plan; store nothing")] = False,
    skip_refused: Annotated[
        bool, Query(description="Store the rest when some zones cannot be represented")
    ] = False,
) -> Any:
    """Imports a file of zones into the caller's party (admin): new identifiers are
    created, known ones updated (idempotent), in one transaction. The answer is the plan:
    created, updated, unchanged, removed, skipped and refused zones. Zones that cannot be
    represented (AGL or AMSL limits, daylight schedules) fail the import with 422 and
    the plan, unless `skip_refused`; a bad file fails with 422 naming feature and field."""
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if media not in IMPORT_TYPES:
        raise HTTPException(
            415, f"send the file as one of: {', '.join(sorted(IMPORT_TYPES))} (not {media!r})"
        )
    data = await request.body()
    try:
        parsed = await run_in_threadpool(interchange.read_zones, data)
        plan = await run_in_threadpool(
            lambda: exchange.import_zones(
                uow, ctx, caller, parsed, dry_run=dry_run, skip_refused=skip_refused
            )
        )
    except exchange.ImportRefused as e:
        located = e.prefixed(("body",))
        return JSONResponse(
            status_code=422,
            content={
                "detail": f"{len(e.plan.refused)} zone(s) cannot be represented; nothing was "
                "stored (skip_refused=true stores the others)",
                "errors": [{"loc": list(loc), "msg": msg} for loc, msg in located.problems],
                "plan": _plan_to_api(e.plan).model_dump(mode="json"),
            },
        )
    except InvalidInput as e:
        raise e.prefixed(("body",)) from None
    return _plan_to_api(plan)


def _attachment(text: str, fmt: str, stem: str) -> Response:
    return Response(
        text,
        media_type=interchange.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{interchange.EXTENSIONS[fmt]}"'
        },
    )


@router.get("/zones:export", response_class=Response)
def export_zones(
    uow: UowDep,
    caller: CallerDep,
    fmt: Annotated[ZoneFormat, Query(alias="format")] = ZoneFormat.GEOJSON,
) -> Response:
    """The caller's party's own zones as a file. Partners' zones and other parties'
    restricted zones, which `GET /v1/zones` lists, are not exported: they are theirs to
    publish."""
    export = exchange.export_zones(uow, caller)
    text = interchange.write_zones(
        fmt.value, export.zones, f"deconflict zones of {export.party.name}"
    )
    return _attachment(text, fmt.value, "zones")


@router.get("/operations:export", response_class=Response)
def export_operations(
    uow: UowDep,
    caller: CallerDep,
    fmt: Annotated[OperationFormat, Query(alias="format")] = OperationFormat.GEOJSON,
) -> Response:
    """The caller's party's operations (each volume of each current version) as a file."""
    operations = exchange.export_operations(uow, caller)
    text = interchange.write_operations(fmt.value, operations, "deconflict operations")
    return _attachment(text, fmt.value, "operations")
