"""The interactive API documentation (/docs) in Chromium, offline: Swagger UI comes from
this server's vendored copy and renders every operation under the page's policy."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, Route, expect

from .conftest import Demo, shot


def test_the_api_docs_render_every_operation_with_no_request_leaving_the_server(
    page: Page, demo: Demo
) -> None:
    outside: list[str] = []

    def only_this_server(route: Route) -> None:
        if route.request.url.startswith(demo.url + "/"):
            route.continue_()
        else:  # what a machine without a network would not get
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", only_this_server)
    document = httpx.get(f"{demo.url}/openapi.json").json()
    operations = [
        (method.upper(), path)
        for path, item in document["paths"].items()
        for method in item
        if method in ("get", "post", "put", "delete", "patch")
    ]

    page.goto(f"{demo.url}/docs")

    blocks = page.locator(".opblock")
    expect(blocks).to_have_count(len(operations))
    expect(page.locator(".info .title")).to_contain_text("deconflict")
    shot(page, "08-api-docs")
    checks = page.locator(".opblock-post:has([data-path='/v1/checks'])")
    expect(checks).to_be_visible()
    expect(checks.locator(".opblock-summary-method")).to_have_text("POST")
    # Opening one shows its request body, read from the OpenAPI document.
    checks.locator(".opblock-summary").click()
    expect(checks.locator(".opblock-section-request-body")).to_be_visible()
    assert outside == []
