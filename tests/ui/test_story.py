"""The whole story in a browser, on the Isle of Veloria demo: a submitter draws a plan
into Veloria Coastal Command's review zone with the mouse, sees the dry run ask for a
review and submits; the duty commander requests a modification with a computed
suggestion; the submitter accepts it; the duty commander and both senior assessors
approve. Screenshots of each main screen go to docs/screenshots/."""

from __future__ import annotations

from datetime import timedelta

from playwright.sync_api import Page, expect
from pyproj import Proj

from .conftest import Demo, shot
from .helpers import click_map, sign_in, sign_out, tid

_ISLE = Proj(proj="aeqd", lat_0=-30.0, lon_0=-140.0, datum="WGS84")


def place(east_m: float, north_m: float) -> tuple[float, float]:
    """(lat, lng) this far east and north of the middle of the Isle of Veloria."""
    lng, lat = _ISLE(east_m, north_m, inverse=True)
    return lat, lng


def local(demo: Demo, hours: float) -> str:
    """A datetime-local value (UTC) `hours` after the scenario's start."""
    return (demo.start + timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


NAME = "Cliff nesting survey"


def open_operation(page: Page, name: str) -> None:
    tid(page, "tab-operations").click()
    page.locator(f'[data-testid="operation-item"][data-name="{name}"]').click()
    expect(tid(page, "operation-detail")).to_be_visible()


def open_case(page: Page, name: str) -> None:
    tid(page, "tab-reviews").click()
    page.locator(f'[data-testid="review-item"][data-name="{name}"]').click()
    expect(tid(page, "review-detail")).to_be_visible()


def test_submit_review_modify_accept_approve(page: Page, demo: Demo) -> None:
    submitter = demo.tokens["NORTHWIND_TOKEN"]
    commander = demo.tokens["VELORIA_TOKEN"]

    # The submitter signs in: own operations, visible zones, conflicts and the legend.
    sign_in(page, demo.url, submitter)
    expect(tid(page, "whoami-party")).to_have_text("Northwind Aerial Works")
    expect(tid(page, "legend")).to_contain_text("Restricted zone")
    expect(tid(page, "operation-item")).not_to_have_count(0)
    shot(page, "01-operations")

    # Draws a circle with the mouse inside Range Alpha, during the live firing window.
    tid(page, "tab-submit").click()
    tid(page, "draw-circle").click()
    centre = place(7000, 4000)
    edge = place(7600, 4000)
    click_map(page, *centre)
    click_map(page, *edge)
    expect(tid(page, "op-shape")).to_have_value("circle")
    lat = float(tid(page, "op-circle-lat").input_value())
    lng = float(tid(page, "op-circle-lng").input_value())
    radius = float(tid(page, "op-circle-radius").input_value())
    assert abs(lat - centre[0]) < 0.002
    assert abs(lng - centre[1]) < 0.002
    assert 450 < radius < 750, radius
    tid(page, "op-name").fill(NAME)
    tid(page, "op-alt-lower").fill("60")
    tid(page, "op-alt-upper").fill("150")
    tid(page, "op-start").fill(local(demo, 2.5))
    tid(page, "op-end").fill(local(demo, 3.5))

    # The dry run, live: a review by Veloria Coastal Command, and why.
    check = tid(page, "check-result")
    expect(check).to_have_attribute("data-outcome", "review")
    expect(check).to_contain_text("Needs review by Veloria Coastal Command")
    # A partner's zone is shown by its kind and owner: its name is Veloria's own.
    expect(tid(page, "check-conflicts")).to_contain_text("Review zone of Veloria Coastal Command")
    expect(tid(page, "check-conflicts")).not_to_contain_text("Range Alpha")
    expect(tid(page, "draft-shape")).to_have_count(1)
    shot(page, "02-new-operation-dry-run")
    tid(page, "op-submit").click()
    expect(tid(page, "submit-state")).to_have_text("in review")

    # The duty commander's queue: the case, its conflicts with their own operations by
    # name, the suggestions drawn as dashed alternatives.
    sign_out(page)
    sign_in(page, demo.url, commander)
    open_case(page, NAME)
    expect(tid(page, "review-conflicts")).to_contain_text("Range Alpha live firing window")
    later = page.locator('[data-testid="suggestion-choice"][data-kind="time_shift_later"]')
    expect(later).to_have_count(1)
    later.check()
    tid(page, "decision-comment").fill("Range Alpha is live until 11:00 UTC: please fly after it.")
    shot(page, "03-review-case")
    tid(page, "decide-request-modification").click()
    expect(tid(page, "review-state")).to_have_text("modification requested")

    # The submitter sees the request with the proposed suggestion, and accepts it.
    sign_out(page)
    sign_in(page, demo.url, submitter)
    open_operation(page, NAME)
    expect(tid(page, "operation-state")).to_have_text("modification requested")
    expect(tid(page, "modification-comment")).to_contain_text("Range Alpha is live")
    proposed = page.locator('[data-testid="suggestion-item"][data-proposed="true"]')
    expect(proposed).to_have_attribute("data-kind", "time_shift_later")
    shot(page, "04-modification-requested")
    proposed.get_by_test_id("accept-suggestion").click()
    expect(tid(page, "operation-state")).to_have_text("in review")
    expect(tid(page, "operation-detail")).to_contain_text("version 2")

    # Command review, then both senior assessors (the chain's "all" stage).
    for person, decision in (
        ("VELORIA_TOKEN", "decide-approve"),
        ("VELORIA_ASSESSOR_OPS_TOKEN", "decide-approve"),
        ("VELORIA_ASSESSOR_SAFETY_TOKEN", "decide-approve-with-conditions"),
    ):
        sign_out(page)
        sign_in(page, demo.url, demo.tokens[person])
        open_case(page, NAME)
        if decision == "decide-approve-with-conditions":
            tid(page, "decision-conditions").fill("Report airborne to Range Control.")
        tid(page, decision).click()
        expect(tid(page, "review-decisions")).to_contain_text(
            "approve with conditions" if "conditions" in decision else "approve"
        )
    expect(tid(page, "review-state")).to_have_text("approved")

    # The submitter: approved, with the history of both versions and every decision.
    sign_out(page)
    sign_in(page, demo.url, submitter)
    open_operation(page, NAME)
    expect(tid(page, "operation-state")).to_have_text("approved")
    expect(tid(page, "history-version")).to_have_count(2)
    decisions = tid(page, "history-decision")
    expect(decisions).to_have_count(4)
    expect(decisions.first).to_have_attribute("data-decision", "request_modification")
    expect(decisions.last).to_have_attribute("data-decision", "approve_with_conditions")
    expect(tid(page, "history")).to_contain_text("Report airborne to Range Control.")
    shot(page, "05-history")
