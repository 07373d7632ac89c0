"""Refuses NUL characters at the edge, once for every route.

PostgreSQL text cannot hold a NUL (`\\u0000`), SQLite can: left to the database, a NUL
would be a 500 on one and stored on the other. So no NUL passes the edge: in a path
(an id) it is 404, as for any id that names nothing; in a query parameter or anywhere in
a JSON body (a value or a key, in any field, known or not) it is 422 at that place.
XML bodies need nothing here: XML cannot hold a NUL, and the parser refuses it.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request

from deconflict.domain.errors import InvalidInput, Loc, NotFound

NUL = "\x00"
MESSAGE = "must not contain a NUL character (\\u0000)"
#: The only way a JSON text puts a NUL into a string: raw control characters are invalid.
_ESCAPED_NUL = b"\\u0000"


def _json_media(content_type: str | None) -> bool:
    media = (content_type or "").split(";")[0].strip().lower()
    return media == "application/json" or (
        media.startswith("application/") and media.endswith("+json")
    )


def nul_location(document: Any) -> Loc | None:
    """Where the first string (a value or an object key) holding a NUL is, or None."""
    stack: list[tuple[Loc, Any]] = [((), document)]
    while stack:
        loc, node = stack.pop()
        if isinstance(node, str):
            if NUL in node:
                return loc
        elif isinstance(node, dict):
            for key, value in reversed(node.items()):
                if NUL in key:
                    return (*loc, key)
                stack.append(((*loc, key), value))
        elif isinstance(node, list):
            stack.extend(((*loc, i), item) for i, item in reversed(list(enumerate(node))))
    return None


async def refuse_nul(request: Request) -> None:
    """FastAPI dependency of every route: a NUL in the path is 404, in a query
    parameter or a JSON body 422 naming where."""
    if any(NUL in str(value) for value in request.path_params.values()):
        raise NotFound("no such object: an id never holds a NUL character")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise InvalidInput.at(("query", name), MESSAGE)
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
        raise InvalidInput.at(("body", *loc), MESSAGE)
