"""The session page's suggestion panel while the therapist types: refreshes that keep focus and
open sections, Enter that never saves, and a panel that stays in view on a laptop and a tablet."""

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from claims.models import Claim
from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import csp_violations, login

pytestmark = pytest.mark.e2e

BENSON = "Benson, George — MRN RB-1002 — Medicare Part B"


def count_panel_refreshes(page: Page) -> None:
    """From now on window.__panelRefreshes counts the panel's swaps (htmx settled)."""
    page.evaluate(
        """() => {
          window.__panelRefreshes = 0;
          document.body.addEventListener("htmx:afterSettle", (event) => {
            if (event.detail.target.id === "suggestions") window.__panelRefreshes += 1;
          });
        }"""
    )


def wait_for_panel_refresh(page: Page, count: int) -> None:
    page.wait_for_function("(n) => window.__panelRefreshes >= n", arg=count)


def wait_until_quiet(page: Page) -> None:
    """No refresh waiting for its typing delay (300 ms) or its response."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def start_session(page: Page, base_url: str) -> None:
    """Log in as the PT and enter 97112 for 24 minutes and 97110 for 23 for a Medicare patient."""
    login(page, base_url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{base_url}/sessions/new/")
    page.locator("#id_patient").select_option(label=BENSON)
    page.locator("input[name=code]").nth(0).fill("97112")
    page.locator("input[name=minutes]").nth(0).fill("24")
    page.locator("input[name=code]").nth(1).fill("97110")
    page.locator("input[name=minutes]").nth(1).fill("23")
    expect(page.get_by_test_id("units-97112")).to_have_text("2")
    expect(page.get_by_test_id("units-97110")).to_have_text("1")


def test_typing_a_unit_override_keeps_its_focus_and_the_open_sections_across_refreshes(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    start_session(page, live_server.url)
    panel = page.locator("#suggestions")
    line = panel.locator("tr.change-row", has=page.locator("#units-97112"))
    line_details = line.locator("details")
    how = panel.locator("details", has=page.get_by_test_id("explanation"))
    expect(line_details).not_to_have_attribute("open", "")
    expect(how).to_have_attribute("open", "")

    # The therapist opens the line's "Change units or modifiers" and closes the arithmetic.
    line_details.locator("summary").click()
    how.locator("summary").click()
    expect(line_details).to_have_attribute("open", "")
    expect(how).not_to_have_attribute("open", "")

    wait_until_quiet(page)  # leaving the minutes field refreshed the panel once more
    count_panel_refreshes(page)
    units = page.locator("#units-97112")
    units.click()
    # Two keys far enough apart that the panel refreshes after each, while the input is focused.
    units.press_sequentially("1", delay=0)
    wait_for_panel_refresh(page, 1)
    units.press_sequentially("0", delay=0)
    wait_for_panel_refresh(page, 2)

    expect(units).to_be_focused()
    expect(units).to_have_value("10")
    expect(line_details).to_have_attribute("open", "")
    expect(how).not_to_have_attribute("open", "")
    shot(page, "override-typed")

    # The reason input of the same line, after another refresh, keeps the focus too.
    reason = page.locator("#reason-97112")
    reason.click()
    reason.press_sequentially("Patient tolerated more", delay=20)
    wait_for_panel_refresh(page, 3)
    wait_until_quiet(page)
    expect(reason).to_be_focused()
    expect(reason).to_have_value("Patient tolerated more")
    expect(line_details).to_have_attribute("open", "")

    # Enter in an override input refreshes the panel; it saves nothing.
    reason.press("Enter")
    wait_for_panel_refresh(page, 4)
    expect(reason).to_be_focused()
    assert page.url == f"{live_server.url}/sessions/new/"
    expect(page.get_by_role("heading", name="New treatment session")).to_be_visible()
    assert not csp_violations(console), console


@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_enter_in_the_minutes_field_does_not_save_the_claim(
    browser: Browser, live_server: Any, demo: None, shot: Any, javascript: bool
) -> None:
    context = browser.new_context(
        viewport={"width": 1366, "height": 800}, java_script_enabled=javascript
    )
    page = context.new_page()
    claims_before = Claim.objects.count()
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/sessions/new/")
    page.locator("#id_patient").select_option(label=BENSON)
    page.locator("input[name=code]").first.fill("97112")
    page.locator("input[name=dx]").first.fill("M17.11")
    page.get_by_label("Medical necessity").fill(
        "Manual therapy by the therapist is needed to restore knee flexion after replacement."
    )
    minutes = page.locator("input[name=minutes]").first
    minutes.fill("24")

    if javascript:
        count_panel_refreshes(page)
        minutes.press("Enter")
        wait_for_panel_refresh(page, 1)  # Enter refreshed the panel at once
        expect(minutes).to_be_focused()
    else:
        # Without JavaScript, Enter presses the form's default button: Calculate, a full page.
        with page.expect_navigation():
            minutes.press("Enter")
        expect(page.get_by_test_id("save-errors")).to_have_count(0)
    expect(page.get_by_test_id("units-97112")).to_have_text("2")
    assert page.url == f"{live_server.url}/sessions/new/"
    expect(page.get_by_role("heading", name="New treatment session")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="waiting for review")).to_have_count(0)
    assert Claim.objects.count() == claims_before
    shot(page, "after-enter")

    # Save claim still saves, with or without JavaScript.
    page.get_by_role("button", name="Save claim").click()
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    assert Claim.objects.count() == claims_before + 1
    context.close()


def test_the_panel_stays_in_view_while_writing_the_note_on_a_laptop_and_a_tablet(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    start_session(page, live_server.url)
    panel = page.locator("#suggestions")
    necessity = page.get_by_label("Medical necessity")

    # 1366 × 800, two columns: the panel sticks beside the note fields.
    necessity.click()
    necessity.press_sequentially("Skilled balance retraining", delay=10)
    expect(necessity).to_be_in_viewport()
    assert page.evaluate("window.scrollY") > 0  # the note fields are below the fold
    expect(panel.locator("#suggestions-title")).to_be_in_viewport()
    expect(panel.get_by_test_id("units-97112")).to_be_in_viewport()
    summary = panel.get_by_test_id("panel-summary")
    expect(summary).to_be_in_viewport()
    shot(page, "laptop-note", full_page=False)

    # 768 × 1024, one column (the panel is below the form): its summary bar stays in view,
    # at the top of the form as at the note.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.evaluate("window.scrollTo(0, 0)")
    minutes = page.locator("input[name=minutes]").first
    minutes.click()
    minutes.press_sequentially("8", delay=10)  # 248 minutes
    expect(panel.get_by_test_id("units-97112")).not_to_be_in_viewport()
    expect(summary).to_be_in_viewport(ratio=1)
    assert_not_overlapping(page, minutes)
    shot(page, "tablet-minutes", full_page=False)

    necessity.click()
    necessity.press_sequentially(" on uneven ground.", delay=10)
    expect(necessity).to_be_focused()
    expect(necessity).to_be_in_viewport()
    expect(summary).to_be_in_viewport(ratio=1)
    assert_not_overlapping(page, necessity)
    shot(page, "tablet-note", full_page=False)

    # Tabbing on to Save claim brings it into view above the bar, not under it.
    necessity.press("Tab")
    page.keyboard.press("Tab")
    save = page.get_by_role("button", name="Save claim")
    expect(save).to_be_focused()
    expect(save).to_be_in_viewport(ratio=1)
    assert_not_overlapping(page, save)
    shot(page, "tablet-save", full_page=False)

    # At the very end of the page the bar hides nothing of the panel.
    page.evaluate("window.scrollTo(0, document.documentElement.scrollHeight)")
    assert_not_overlapping(page, panel.get_by_test_id("expected-total"))
    shot(page, "tablet-end", full_page=False)
    assert not csp_violations(console), console


def assert_not_overlapping(page: Page, locator: Any) -> None:
    """The element is not under the panel's summary bar."""
    bar = page.get_by_test_id("panel-summary").bounding_box()
    box = locator.bounding_box()
    assert bar and box
    assert box["y"] + box["height"] <= bar["y"], (box, bar)
