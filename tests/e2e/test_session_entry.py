import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


def test_a_therapist_sees_units_live_saves_and_finds_the_claim(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="New session").click()
    expect(page.get_by_role("heading", name="New treatment session")).to_be_visible()

    page.locator("#id_patient").select_option(
        label="Benson, George — MRN RB-1002 — Medicare Part B"
    )
    codes = page.locator("input[name=code]")
    minutes = page.locator("input[name=minutes]")
    codes.nth(0).fill("97112")
    minutes.nth(0).fill("24")
    codes.nth(1).fill("97110")
    minutes.nth(1).fill("23")

    # The panel updates while typing: no button pressed.
    panel = page.locator("#suggestions")
    expect(panel.get_by_test_id("units-97112")).to_have_text("2")
    expect(panel.get_by_test_id("units-97110")).to_have_text("1")
    expect(panel.locator('[data-code="97112"] [data-modifier="GP"]')).to_be_visible()
    expect(panel.locator('[data-code="97110"] [data-modifier="GP"]')).to_be_visible()
    expect(panel.get_by_test_id("total-timed-minutes")).to_have_text("47")
    expect(panel.get_by_test_id("explanation")).to_contain_text("38–52 minutes = 3 units")
    shot(page, "suggested")

    page.locator("input[name=dx]").first.fill("M17.11")
    page.get_by_label("Medical necessity").fill(
        "Manual therapy and exercise progression by the therapist are needed to restore knee "
        "flexion after replacement; gains depend on skilled assessment of joint response."
    )
    page.get_by_role("button", name="Save claim").click()

    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    expect(page.get_by_role("alert").filter(has_text="is waiting for review")).to_be_visible()
    # Returned claims are listed first (the demo has one of George's): find the new one.
    rows = page.locator("tr", has_text="Benson, George")
    row = rows.filter(has_text="97112").first
    expect(rows.first).to_contain_text("Returned")
    expect(row.get_by_test_id("claim-status")).to_contain_text("Needs review")
    shot(page, "my-sessions")


def test_my_sessions_finds_a_patient_by_name_or_mrn(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/sessions/")
    table = page.get_by_test_id("session-table")
    search = page.get_by_label("Patient: name or MRN")
    search.fill("Adler")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Adler"))
    expect(table).to_contain_text("Adler, Ruth")
    expect(table.locator("tbody tr").filter(has_not_text="Adler, Ruth")).to_have_count(0)
    shot(page, "by-name")
    search.fill("RB-1002")
    search.press("Enter")
    expect(table.locator("tbody tr").filter(has_not_text="Benson, George")).to_have_count(0)
    expect(table).to_contain_text("Benson, George")
    search.fill("Nobody")
    search.press("Enter")
    expect(page.get_by_test_id("sessions-empty")).to_contain_text(
        "No sessions match this patient search."
    )
