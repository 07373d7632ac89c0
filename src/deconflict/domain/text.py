"""Text never holds a NUL character: PostgreSQL cannot store one (SQLite can), so a NUL
would be a server error on one database and stored on the other. Every edge (the API,
file imports) refuses it where it finds it."""

from __future__ import annotations

from typing import Any

from .errors import Loc

NUL = "\x00"
NUL_MESSAGE = "must not contain a NUL character (\\u0000)"


def nul_location(document: Any) -> Loc | None:
    """Where the first string (a value or an object key) of a JSON-like document holds
    a NUL, or None. Iterative: a deeply nested document cannot exhaust the stack."""
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
