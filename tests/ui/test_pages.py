"""The rest of what a person does on the page: acknowledge a notice, see an API error
next to the field that caused it, draw a polygon with the mouse, type coordinates
instead of drawing, move the time slider, and sign in with a bad token."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from .conftest import Demo, shot
from .helpers import click_map, sign_in, sign_out, tid
from .test_story import local, place

INACTIVE = re.compile(r"\binactive\b")


def test_a_notice_is_acknowledged_and_the_submitter_sees_the_answer(page: Page, demo: Demo) -> None:
    sign_in(page, demo.url, demo.tokens["HARBOR_TOKEN"])
    expect(tid(page, "notices-count")).to_have_text("1")
    tid(page, "tab-notices").click()
    notice = page.locator('[data-testid="notice-item"][data-ack="pending"]')
    expect(notice).to_have_count(1)
    expect(notice).to_contain_text("Entry from Northwind Aerial Works")
    expect(notice).to_contain_text("Harbor Approaches")
    shot(page, "06-notices")
    notice.get_by_test_id("notice-ack").click()
    done = page.locator('[data-testid="notice-item"][data-ack="acknowledged"]')
    expect(done).to_have_count(1)
    expect(done.get_by_test_id("notice-status")).to_have_text("acknowledged")
    expect(tid(page, "notices-count")).to_have_text("")

    sign_out(page)
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    page.locator('[data-testid="operation-item"][data-name="Harbor crane inspection"]').click()
    expect(tid(page, "sent-notices")).to_contain_text("acknowledged")


def test_api_errors_are_shown_next_to_the_fields_that_caused_them(page: Page, demo: Demo) -> None:
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    tid(page, "tab-submit").click()
    # Coordinates typed instead of drawn (the keyboard way, for accessibility).
    lat, lng = place(-1000, -6000)
    tid(page, "op-circle-lat").fill(str(lat))
    tid(page, "op-circle-lng").fill(str(lng))
    tid(page, "op-circle-radius").fill("300")
    tid(page, "op-start").fill(local(demo, 1))
    tid(page, "op-end").fill(local(demo, 2))
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "approved")
    expect(tid(page, "draft-shape")).to_have_count(1)

    # The dry run's 422 lands beside the upper altitude, where the API located it.
    tid(page, "op-alt-lower").fill("300")
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "error")
    error = tid(page, "error-op-alt-upper")
    expect(error).to_be_visible()
    expect(error).to_contain_text("must be above lower altitude 300")
    expect(tid(page, "op-alt-upper")).to_have_attribute("aria-invalid", "true")
    expect(tid(page, "error-op-name")).to_be_hidden()

    # A submission without a name: the API's error lands beside the name.
    tid(page, "op-alt-lower").fill("20")
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "approved")
    expect(tid(page, "error-op-alt-upper")).to_be_hidden()
    tid(page, "op-submit").click()
    expect(tid(page, "error-op-name")).to_contain_text("at least 1 character")

    # An end before the start: beside the end.
    tid(page, "op-end").fill(local(demo, 0.5))
    expect(tid(page, "error-op-end")).to_contain_text("end time must be after start time")
    shot(page, "07-field-error")

    # Into the restricted fuel depot: refused in the dry run already.
    tid(page, "op-end").fill(local(demo, 2))
    depot = place(-7750, -3000)
    tid(page, "op-circle-lat").fill(str(depot[0]))
    tid(page, "op-circle-lng").fill(str(depot[1]))
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "refused")
    # A partner's restricted zone: by kind and owner, its name is Veloria's own.
    expect(tid(page, "check-conflicts")).to_contain_text(
        "Restricted zone of Veloria Coastal Command"
    )


def test_a_polygon_drawn_with_the_mouse_is_checked_and_submitted(page: Page, demo: Demo) -> None:
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    tid(page, "tab-submit").click()
    tid(page, "draw-polygon").click()
    corners = [place(x, y) for x, y in ((-1500, -8000), (500, -8000), (500, -6500), (-1500, -6000))]
    for corner in corners:
        click_map(page, *corner)
    click_map(page, *corners[0])  # the first corner again closes the polygon
    expect(tid(page, "op-shape")).to_have_value("polygon")
    lines = tid(page, "op-polygon").input_value().strip().splitlines()
    assert len(lines) == 4, lines
    for line, (lat, lng) in zip(lines, corners, strict=True):
        got_lat, got_lng = (float(x) for x in line.split(","))
        assert abs(got_lat - lat) < 0.002, (line, lat)
        assert abs(got_lng - lng) < 0.002, (line, lng)
    tid(page, "op-name").fill("Inland drainage survey")
    tid(page, "op-start").fill(local(demo, 4))
    tid(page, "op-end").fill(local(demo, 5))
    expect(tid(page, "check-result")).to_have_attribute("data-outcome", "approved")
    expect(tid(page, "check-result")).to_contain_text("Clear: would be approved at once.")
    tid(page, "op-submit").click()
    expect(tid(page, "submit-state")).to_have_text("approved")
    tid(page, "tab-operations").click()
    item = page.locator('[data-testid="operation-item"][data-name="Inland drainage survey"]')
    expect(item).to_have_attribute("data-state", "approved")
    expect(
        page.locator('[data-testid="operation-shape"][data-name="Inland drainage survey"]')
    ).to_have_count(1)


def test_the_time_slider_dims_what_is_not_active_then(page: Page, demo: Demo) -> None:
    # Veloria's own zones, by name (Northwind sees neither their names nor the private one).
    sign_in(page, demo.url, demo.tokens["VELORIA_TOKEN"])
    radar = page.locator('[data-testid="zone"][data-name="Coastal Radar Sector (exercise days)"]')
    always = page.locator('[data-testid="zone"][data-name="Range Alpha"]')
    expect(radar).not_to_have_class(INACTIVE)
    # The radar sector is active on days 0 and 2 from the start for 10 hours; not on day 1.
    slider = tid(page, "time-slider")
    base_ms = float(slider.get_attribute("data-base") or "nan")
    for hours, active in ((24 + 12, False), (2, True)):
        target_ms = (demo.start.timestamp() + hours * 3600) * 1000
        slider.fill(str(round((target_ms - base_ms) / (15 * 60 * 1000))))
        expect(tid(page, "time-all")).not_to_be_checked()
        if active:
            expect(radar).not_to_have_class(INACTIVE)
        else:
            expect(radar).to_have_class(INACTIVE)
        expect(always).not_to_have_class(INACTIVE)
    expect(tid(page, "time-label")).to_have_text(demo.start.strftime("%Y-%m-%d 08:00Z"))
    tid(page, "time-all").check()
    expect(radar).not_to_have_class(INACTIVE)
    expect(tid(page, "time-label")).to_have_text("All times")


def test_a_bad_token_is_refused_beside_the_token_field_and_sign_out_forgets_it(
    page: Page, demo: Demo
) -> None:
    page.goto(demo.url + "/")
    tid(page, "token-input").fill("not a token")
    tid(page, "sign-in").click()
    expect(tid(page, "error-token")).to_contain_text("not a token")
    forged = demo.tokens["NORTHWIND_TOKEN"][:-6] + "AAAAAA"
    tid(page, "token-input").fill(forged)
    tid(page, "sign-in").click()
    expect(tid(page, "error-token")).to_contain_text("The server refused this token")
    expect(tid(page, "whoami")).to_be_hidden()

    sign_in(page, demo.url, demo.tokens["HARBOR_TOKEN"])
    page.reload()  # the token lives in sessionStorage: still signed in
    expect(tid(page, "whoami-party")).to_have_text("Harbor Survey Cooperative")
    sign_out(page)
    assert page.evaluate("() => sessionStorage.length") == 0
    page.reload()
    expect(tid(page, "token-input")).to_be_visible()


def test_the_page_runs_under_its_content_security_policy(
    page: Page, demo: Demo, problems: list[str]
) -> None:
    sign_in(page, demo.url, demo.tokens["NORTHWIND_TOKEN"])
    assert page.evaluate("() => window.cspViolations") == []
    refused = page.evaluate(
        """() => {
            const s = document.createElement("script");
            s.textContent = "window.inlineRan = true";
            document.body.append(s);
            return window.inlineRan === undefined;
        }"""
    )
    assert refused
    page.wait_for_function("() => window.cspViolations.length > 0")
    assert page.evaluate("() => window.cspViolations") == ["script-src-elem inline"]
    page.evaluate("() => { window.cspViolations = []; }")
    assert len(problems) == 1, problems
    assert "Content Security Policy" in problems[0]
    problems.clear()
