"""Security headers on every response, as a small ASGI middleware.

The API answers JSON, so its Content-Security-Policy allows nothing at all. The
interactive documentation (/docs) is HTML that loads the vendored Swagger UI from this
server and starts it with one inline script: its policy allows 'self' and exactly the
inline scripts of that page (by their SHA-256), no other inline script, and nothing from
anywhere else.
"""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterable, Mapping

from fastapi.responses import JSONResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'{hashes}; style-src 'self'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
COMMON = (
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
)
_INLINE_SCRIPT = re.compile(rb"<script>(.*?)</script>", re.DOTALL)


def docs_policy(html: bytes) -> str:
    """The documentation page's policy: 'self' and the hashes of its inline scripts."""
    hashes = "".join(
        f" 'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
        for script in _INLINE_SCRIPT.findall(html)
    )
    return DOCS_POLICY.format(hashes=hashes)


def _with(
    headers: Iterable[tuple[bytes, bytes]], extra: Iterable[tuple[bytes, bytes]]
) -> list[tuple[bytes, bytes]]:
    """`headers` with each of `extra` set (replacing a header of that name)."""
    extra = list(extra)
    names = {name for name, _ in extra}
    return [(n, v) for n, v in headers if n.lower() not in names] + extra


class SecurityHeaders:
    """Adds X-Content-Type-Options, X-Frame-Options, Referrer-Policy and
    Content-Security-Policy to every response, and Cache-Control: no-store under /v1.
    An exception escaping the app before a response started is answered here with the
    JSON error body (and these headers), then raised on to be logged."""

    def __init__(
        self,
        app: ASGIApp,
        docs_paths: Iterable[str] = (),
        no_store_prefix: str = "/v1/",
        page_policies: Mapping[str, str] | None = None,
    ) -> None:
        self.app = app
        self.docs_paths = frozenset(docs_paths)
        self.page_policies = dict(page_policies or {})  # path -> its own policy (the web UI)
        self.no_store_prefix = no_store_prefix

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        extra = list(COMMON)
        if path.startswith(self.no_store_prefix):
            extra.append((b"cache-control", b"no-store"))
        docs = path in self.docs_paths
        started = False
        held: Message | None = None  # a docs page's start, until its body is known
        body = b""

        async def secured(message: Message) -> None:
            nonlocal started, held, body
            if message["type"] == "http.response.start":
                started = True
                if docs:
                    held = message
                    return
                own = self.page_policies.get(path, API_POLICY)
                policy = (b"content-security-policy", own.encode())
                message["headers"] = _with(message.get("headers", []), [*extra, policy])
            elif message["type"] == "http.response.body" and held is not None:
                body += message.get("body", b"")
                if message.get("more_body", False):
                    return
                policy = (b"content-security-policy", docs_policy(body).encode())
                held["headers"] = _with(held.get("headers", []), [*extra, policy])
                await send(held)
                held = None
                message = {"type": "http.response.body", "body": body}
            await send(message)

        try:
            await self.app(scope, receive, secured)
        except Exception:
            if not started:
                response = JSONResponse(
                    status_code=500, content={"detail": "internal server error", "errors": []}
                )
                await response(scope, receive, secured)
            raise
