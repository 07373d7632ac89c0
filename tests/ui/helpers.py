"""What a person does on the page, as functions of the UI tests."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def tid(page: Page, testid: str, **kwargs: object):  # type: ignore[no-untyped-def]
    """The element(s) with data-testid `testid`."""
    return page.get_by_test_id(testid, **kwargs)  # type: ignore[arg-type]


def sign_in(page: Page, url: str, token: str) -> None:
    """Opens the page (fresh) and signs in with `token`; waits until everything loaded."""
    if not page.url.startswith(url):
        page.goto(url + "/")
    expect(tid(page, "token-input")).to_be_visible()
    tid(page, "token-input").fill(token)
    tid(page, "sign-in").click()
    expect(page.locator("body[data-session=ready]")).to_have_count(1)


def sign_out(page: Page) -> None:
    tid(page, "sign-out").click()
    expect(tid(page, "token-input")).to_be_visible()


def map_point(page: Page, lat: float, lng: float) -> tuple[float, float]:
    """Where (lat, lng) is on the screen, in page pixels."""
    x, y = page.evaluate(
        "([lat, lng]) => { const p = window.deconflictMap.latLngToContainerPoint([lat, lng]);"
        " return [p.x, p.y]; }",
        [lat, lng],
    )
    box = tid(page, "map").bounding_box()
    assert box is not None
    return box["x"] + x, box["y"] + y


def click_map(page: Page, lat: float, lng: float) -> None:
    x, y = map_point(page, lat, lng)
    page.mouse.move(x, y, steps=4)
    page.mouse.click(x, y)
