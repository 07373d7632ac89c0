"""Fixtures of the browser tests: Debian's Chromium driven by Playwright, and a real
server (uvicorn in a thread) with the demo scenario loaded, on SQLite: these tests are
about the page, not the database.

Chromium is never downloaded: `scripts/browser` installs Debian's package, and a run
without it fails here, loudly, rather than skipping."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, expect, sync_playwright

from deconflict.bootstrap import Container, bootstrap
from deconflict.config import Settings
from deconflict.entrypoints.api.app import create_app
from deconflict.services.demo import DemoParties, demo_people, load_demo

from ..e2e.live import serving

CHROMIUM = os.environ.get("DECONFLICT_CHROMIUM", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
#: Where screenshots go: docs/screenshots/ when DECONFLICT_UPDATE_SCREENSHOTS=1 (to refresh
#: the README's pictures), else a scratch folder, so that a test run leaves the tree clean.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("DECONFLICT_UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.gettempdir()) / "deconflict-screenshots"
)
# Generous: the whole suite runs beside these tests on two cores.
expect.set_options(timeout=60_000)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).parent == Path(__file__).parent:
            item.add_marker(pytest.mark.ui)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        pytest.fail(
            f"Chromium is required for the UI tests and was not found at {CHROMIUM} "
            "(run scripts/browser, which installs Debian's chromium, or set DECONFLICT_CHROMIUM)",
            pytrace=False,
        )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield browser
        browser.close()


@dataclass
class Demo:
    url: str
    container: Container
    parties: DemoParties
    start: datetime
    tokens: dict[str, str]  # demo person variable (NORTHWIND_TOKEN, ...) -> token


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Demo]:
    """A server with the Isle of Veloria scenario, operations from tomorrow 06:00 UTC."""
    data = tmp_path_factory.mktemp("ui")
    settings = Settings(
        data_dir=data,
        database_url=f"sqlite:///{data / 'deconflict.db'}",
        dispatch_in_process=False,
        deadline_interval_s=0,
    )
    container = bootstrap(settings)
    start = datetime.combine(datetime.now(UTC).date() + timedelta(days=1), time(6), UTC)
    parties = load_demo(container.uow, container.ctx, start)
    tokens = {
        person.variable: container.issuer.mint(
            person.caller.party_id, sorted(person.caller.roles), 3600, person.caller.subject
        )
        for person in demo_people(parties)
    }
    with serving(create_app(container=container)) as url:
        yield Demo(url, container, parties, start, tokens)
    container.uow.engine.dispose()


@pytest.fixture
def problems() -> list[str]:
    """Script errors and policy violations seen by `page` (a test that provokes one on
    purpose takes it out)."""
    return []


@pytest.fixture
def page(browser: Browser, problems: list[str]) -> Iterator[Page]:
    """A fresh tab; the test fails on any script error or Content-Security-Policy
    violation (failed requests that the page shows as field errors are expected)."""
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(60_000)

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            problems.append(f"console: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    page.add_init_script(CSP_WATCH)
    yield page
    if page.url.startswith("http"):
        problems += [f"CSP violation: {v}" for v in page.evaluate("() => window.cspViolations")]
    context.close()
    assert problems == []


#: Records the page's Content-Security-Policy violations (an init script runs whatever
#: the policy says; the page's own scripts cannot do this).
CSP_WATCH = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`);
});
"""


def shot(page: Page, name: str) -> None:
    """Saves a screenshot of the page as <SCREENSHOTS>/<name>.png (overwritten)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover tooltips in the pictures
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
