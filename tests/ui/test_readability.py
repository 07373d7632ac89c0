"""What the page shows reads at a glance: notices give the plan as planned with the
separation apart, and a notice about a withdrawn plan asks for no concern."""

from __future__ import annotations

import re
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


def _box(page: Page, locator) -> dict[str, float]:  # type: ignore[no-untyped-def]
    box = locator.bounding_box()
    assert box is not None
    return box  # type: ignore[no-any-return]


def _open_case(page: Page, name: str) -> None:
    tid(page, "tab-reviews").click()
    page.locator(f'[data-testid="review-item"][data-name="{name}"]').click()
    expect(tid(page, "review-detail")).to_be_visible()


def test_a_review_case_draws_the_overlap_the_plan_apart_and_the_plans_time(
    page: Page, demo: Demo
) -> None:
    # "Cliff survey east": a 700 m circle inside Range Alpha (6 km), 12:00-14:00Z on day 1,
    # when the Coastal Radar Sector (active days 0 and 2) is not.
    sign_in(page, demo.url, demo.tokens["VELORIA_TOKEN"])
    _open_case(page, "Cliff survey east")
    overlap = page.locator('[data-testid="conflict-shape"]')
    expect(overlap).to_have_count(1)
    zone = page.locator('[data-testid="zone"][data-name="Range Alpha"]')
    assert _box(page, overlap)["width"] < _box(page, zone)["width"] / 4
    expect(overlap).to_have_attribute("data-kind", "conflict")

    plan = page.locator('path[data-kind="plan"]')
    own = page.locator(
        '[data-testid="operation-shape"][data-name="Range Alpha live firing window"]'
    )
    expect(plan).to_have_count(1)
    expect(plan).to_have_attribute("stroke", "#000000")
    expect(own).to_have_attribute("stroke", "#0072B2")

    plan_start = demo.start + timedelta(days=1, hours=6)
    expect(tid(page, "time-all")).not_to_be_checked()
    expect(tid(page, "time-label")).to_have_text(f"{plan_start:%Y-%m-%d %H:%M}Z")
    radar = page.locator('[data-testid="zone"][data-name="Coastal Radar Sector (exercise days)"]')
    expect(radar).to_have_class(re.compile(r"\binactive\b"))

    # Roles read as words: in the header, the queue and the case.
    expect(tid(page, "whoami-roles")).to_contain_text("command review")
    expect(tid(page, "review-detail")).to_contain_text("waiting on command review")
    expect(page.locator("body")).not_to_contain_text("command_review")


def test_zones_carry_their_names_on_the_map(page: Page, demo: Demo) -> None:
    # Veloria reads its own zones' names and the authority's public one; a partner's
    # `partners` zone is drawn without a name (need-to-know).
    sign_in(page, demo.url, demo.tokens["VELORIA_TOKEN"])
    for name in ("Range Alpha", "Fuel Depot Kestrel", "Government House"):
        label = page.locator(".zone-label", has_text=name)
        expect(label).to_have_count(1)
        expect(label.locator("span")).to_be_visible()
        # Each label sits on its zone.
        zone = _box(page, page.locator(f'[data-testid="zone"][data-name="{name}"]'))
        at = _box(page, label.locator("span"))
        middle = (at["x"] + at["width"] / 2, at["y"] + at["height"] / 2)
        assert zone["x"] < middle[0] < zone["x"] + zone["width"], name
        assert zone["y"] < middle[1] < zone["y"] + zone["height"], name


def test_typed_coordinates_off_the_screen_bring_the_map_to_the_draft_in_24_hour_utc(
    page: Page, demo: Demo
) -> None:
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    tid(page, "tab-submit").click()
    start = tid(page, "op-start")
    expect(start).to_have_attribute("type", "text")
    expect(start).to_have_value(re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    # Far east of the island, well off the map in view.
    lat, lng = -29.9, -139.3
    assert not page.evaluate(
        "([lat, lng]) => window.deconflictMap.getBounds().contains([lat, lng])", [lat, lng]
    )
    tid(page, "op-circle-lat").fill(str(lat))
    tid(page, "op-circle-lng").fill(str(lng))
    tid(page, "op-circle-radius").fill("400")
    start.fill(f"{demo.start + timedelta(hours=8):%Y-%m-%d %H:%M}")  # 14:00: no AM/PM
    tid(page, "op-end").fill(f"{demo.start + timedelta(hours=9):%Y-%m-%d %H:%M}")
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "approved")
    expect(tid(page, "draft-shape")).to_be_in_viewport()
    assert page.evaluate(
        "([lat, lng]) => window.deconflictMap.getBounds().contains([lat, lng])", [lat, lng]
    )


def test_a_withdrawn_operation_carries_no_conflict_flag(page: Page, demo: Demo) -> None:
    northwind = {"Authorization": f"Bearer {demo.tokens['NORTHWIND_TOKEN']}"}
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    item = page.locator('[data-testid="operation-item"][data-name="Sea stack survey"]')
    expect(item).to_contain_text("2 conflicts")
    operations = httpx.get(f"{demo.url}/v1/operations", headers=northwind).json()
    stack = next(o for o in operations if o["name"] == "Sea stack survey")
    withdrawn = httpx.post(f"{demo.url}/v1/operations/{stack['id']}/withdraw", headers=northwind)
    assert withdrawn.status_code == 200, withdrawn.text

    page.reload()
    expect(page.locator("body[data-session=ready]")).to_have_count(1)
    expect(item).to_have_attribute("data-state", "withdrawn")
    expect(item).not_to_contain_text("conflict")
