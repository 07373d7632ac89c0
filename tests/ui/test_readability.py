"""What the page shows reads at a glance: notices give the plan as planned with the
separation apart, and a notice about a withdrawn plan asks for no concern."""

from __future__ import annotations

from datetime import timedelta

import httpx
from playwright.sync_api import Page, expect

from .conftest import Demo
from .helpers import sign_in, tid

DASH = "\u2013"  # the page's ranges: "20\u2013120 m"


def _notice(page: Page, kind: str):  # type: ignore[no-untyped-def]
    return page.locator(f'[data-testid="notice-item"][data-kind="{kind}"]')


def test_a_notice_shows_the_planned_band_and_window_and_the_separation_apart(
    page: Page, demo: Demo
) -> None:
    # The demo's "Harbor crane inspection": 20-120 m, 11:00-12:00Z on the first day, into
    # Harbor Approaches under the default minima (50 m, 10 m, 60 s).
    start = demo.start + timedelta(hours=5)
    sign_in(page, demo.url, demo.tokens["HARBOR_TOKEN"])
    tid(page, "tab-notices").click()
    entry = _notice(page, "entry")
    expect(entry).to_have_count(1)
    expect(entry.get_by_test_id("notice-planned")).to_have_text(
        f": planned {start:%Y-%m-%d %H:%M}{DASH}{start + timedelta(hours=1):%H:%M}Z, 20{DASH}120 m"
    )
    expect(entry.get_by_test_id("notice-separation")).to_have_text(
        "Separation applied: 50 m horizontal, 10 m vertical, 60 s"
    )


def test_a_withdrawal_notice_is_acknowledged_without_offering_a_concern(
    page: Page, demo: Demo
) -> None:
    northwind = {"Authorization": f"Bearer {demo.tokens['NORTHWIND_TOKEN']}"}
    operations = httpx.get(f"{demo.url}/v1/operations", headers=northwind).json()
    crane = next(o for o in operations if o["name"] == "Harbor crane inspection")
    withdrawn = httpx.post(f"{demo.url}/v1/operations/{crane['id']}/withdraw", headers=northwind)
    assert withdrawn.status_code == 200, withdrawn.text

    sign_in(page, demo.url, demo.tokens["HARBOR_TOKEN"])
    tid(page, "tab-notices").click()
    withdrawal = _notice(page, "withdrawal")
    expect(withdrawal).to_have_count(1)
    expect(withdrawal).to_contain_text("Withdrawal from Northwind Aerial Works")
    expect(withdrawal.get_by_test_id("notice-ack")).to_be_visible()
    expect(withdrawal.get_by_test_id("notice-concern")).to_have_count(0)
    expect(withdrawal.get_by_test_id("notice-separation")).to_have_count(0)
    # The entry, still pending, may still be questioned.
    expect(_notice(page, "entry").get_by_test_id("notice-concern")).to_be_visible()
    withdrawal.get_by_test_id("notice-ack").click()
    expect(
        page.locator('[data-testid="notice-item"][data-kind="withdrawal"][data-ack="acknowledged"]')
    ).to_have_count(1)
