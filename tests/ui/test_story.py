"""The whole story in a browser, on the Isle of Veloria demo: a submitter draws a plan
into Veloria Coastal Command's review zone with the mouse, sees the dry run ask for a
review and submits; the duty commander requests a modification with a computed
suggestion and an internal note; the submitter accepts it and it is approved by proposal,
without the note, stage names or people ever reaching the submitter's page; an approval
with conditions shows them beside its state. Screenshots of each main screen go to docs/screenshots/."""

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
    """A time field's value (UTC, 24-hour) `hours` after the scenario's start."""
    return (demo.start + timedelta(hours=hours)).strftime("%Y-%m-%d %H:%M")


NAME = "Cliff nesting survey"


def open_operation(page: Page, name: str) -> None:
    tid(page, "tab-operations").click()
    page.locator(f'[data-testid="operation-item"][data-name="{name}"]').click()
    expect(tid(page, "operation-detail")).to_be_visible()


def open_case(page: Page, name: str) -> None:
    tid(page, "tab-reviews").click()
    page.locator(f'[data-testid="review-item"][data-name="{name}"]').click()
    expect(tid(page, "review-detail")).to_be_visible()


INTERNAL_NOTE = "MARKER-internal: firing window until eleven, ask Range Control"


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
    tid(page, "decision-comment").fill("Please fly after our activity: the proposed time is clear.")
    tid(page, "decision-internal-note").fill(INTERNAL_NOTE)
    shot(page, "03-review-case")
    tid(page, "decide-request-modification").click()
    expect(tid(page, "review-state")).to_have_text("modification requested")
    expect(tid(page, "review-decisions")).to_contain_text(INTERNAL_NOTE)

    # The submitter sees the request with the proposed suggestion, and accepts it; the
    # reviewer's own proposal is approved at once (approval by proposal).
    sign_out(page)
    sign_in(page, demo.url, submitter)
    open_operation(page, NAME)
    expect(tid(page, "operation-state")).to_have_text("modification requested")
    expect(tid(page, "modification-comment")).to_contain_text("the proposed time is clear")
    proposed = page.locator('[data-testid="suggestion-item"][data-proposed="true"]')
    expect(proposed).to_have_attribute("data-kind", "time_shift_later")
    expect(page.locator('[data-testid="suggestion-item"]')).to_have_count(1)
    shot(page, "04-modification-requested")
    proposed.get_by_test_id("accept-suggestion").click()
    expect(tid(page, "operation-state")).to_have_text("approved")
    expect(tid(page, "operation-detail")).to_contain_text("version 2")

    # The submitter: approved, with the history of both versions, every decision, and
    # nothing of the reviewer's inside: no internal note, stage name, role or subject.
    expect(tid(page, "history-version")).to_have_count(2)
    decisions = tid(page, "history-decision")
    expect(decisions).to_have_count(2)
    expect(decisions.first).to_have_attribute("data-decision", "request_modification")
    expect(decisions.first).to_contain_text("initial review")
    expect(decisions.last).to_have_attribute("data-decision", "approve")
    shot(page, "05-history")
    seen = page.locator("body").inner_text()
    for secret in (
        INTERNAL_NOTE,
        "command review",
        "command_review",
        "demo:veloria",
        "Range Alpha",
    ):
        assert secret not in seen, secret

    # Approved with conditions is its own state, the conditions beside it.
    tid(page, "back-to-operations").click()
    cliffs = page.locator('[data-testid="operation-item"][data-name="Cliff survey west"]')
    expect(cliffs).to_have_attribute("data-state", "approved_with_conditions")
    expect(cliffs.get_by_test_id("operation-item-conditions")).to_contain_text(
        "report airborne to Range Control"
    )
    cliffs.click()
    expect(tid(page, "operation-state")).to_have_text("approved with conditions")
    expect(tid(page, "operation-conditions")).to_contain_text("Stay below 100 m")

    # A case escalated at its deadline: the submitter sees where it is by the stage's
    # public label only.
    tid(page, "back-to-operations").click()
    open_operation(page, "Pier camera check")
    expect(tid(page, "history-stage-label")).to_contain_text("specialist assessment")
    assert "senior assessment" not in page.locator("body").inner_text()
