"""Refuses NUL characters at the edge, once for every route (see `domain.text`).

No NUL passes the API: in a path (an id) it is 404, as for any id that names nothing; in
a query parameter or anywhere in a JSON body (a value or a key, in any field, known or
not) it is 422 at that place.
XML bodies need nothing here: XML cannot hold a NUL, and the parser refuses it.
"""

from __future__ import annotations

import json

from fastapi import Request

from deconflict.domain.errors import InvalidInput, NotFound
from deconflict.domain.text import NUL, NUL_MESSAGE, nul_location

#: The only way a JSON text puts a NUL into a string: raw control characters are invalid.
_ESCAPED_NUL = b"\\u0000"


def _json_media(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


async def refuse_nul(request: Request) -> None:
    """FastAPI dependency of every route: a NUL in the path is 404, in a query
    parameter or a JSON body 422 naming where."""
    if any(NUL in str(value) for value in request.path_params.values()):
        raise NotFound("no such object: an id never holds a NUL character")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise InvalidInput.at(("query", name), NUL_MESSAGE)
    if not _json_media(request.headers.get("content-type")):
        return
    body = await request.body()  # read once: FastAPI keeps it for the route
    if _ESCAPED_NUL not in body:
        return
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        return  # not JSON: the route's own parsing says so
    loc = nul_location(document)
    if loc is not None:
        raise InvalidInput.at(("body", *loc), NUL_MESSAGE)
