"""The code reference pages in a real browser: live search, the code page, ICD-10-CM drill-down,
and the same search without JavaScript."""

import re
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from ptclinic.demo import DEMO_PASSWORD
from tests.conftest import load_reference_data
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e


@pytest.fixture
def reference_data(transactional_db: None) -> None:
    load_reference_data()


def code_rows(page: Page) -> Any:
    return page.get_by_test_id("code-table").locator("tbody tr")


def test_a_therapist_finds_gait_training_by_live_search_and_reads_its_page(
    page: Page, live_server: Any, reference_data: None, demo: None, shot: Any
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reference").click()
    expect(page.get_by_role("heading", name="Billing codes")).to_be_visible()
    expect(code_rows(page)).to_have_count(25)
    shot(page, "code-list")

    # Typing is enough: no Enter, no click, and no full page load.
    page.evaluate("window.__stillThisPage = true")
    page.get_by_label("Code or words").press_sequentially("gait", delay=60)
    expect(code_rows(page)).to_have_count(1)
    expect(code_rows(page).first).to_contain_text("Gait training")
    expect(page).to_have_url(re.compile(r"/codes/\?q=gait"))
    assert page.evaluate("window.__stillThisPage") is True
    shot(page, "live-search-gait")

    page.get_by_role("link", name="97116").click()
    expect(page).to_have_url(f"{live_server.url}/codes/97116/")
    expect(page.get_by_role("heading", name="97116 Gait training")).to_be_visible()
    expect(page.get_by_role("heading", name="Billing codes")).to_have_count(0)
    expect(page.get_by_role("navigation", name="Main")).to_have_count(1)
    expect(page.get_by_test_id("code-badges")).to_contain_text("Timed")
    units = page.get_by_test_id("unit-table")
    expect(units).to_be_visible()
    expect(units.locator("tbody tr")).to_have_count(9)
    expect(units.locator("tbody tr").nth(1)).to_contain_text("8–22")
    expect(page.get_by_test_id("modifier-GP")).to_contain_text("GP")
    # The demo clinic bills Medicare in Sacramento: (0.45 × 1.036 + 0.41 × 1.163 + 0.01 × 0.536)
    # × $33.4009, not the national $29.06.
    expect(page.get_by_test_id("fee-medicare-part-b")).to_contain_text("$31.68")
    expect(page.get_by_test_id("fees")).to_contain_text("Fees 2026")
    shot(page, "code-97116")


def test_an_icd10_header_leads_to_its_billable_codes(
    page: Page, live_server: Any, reference_data: None, demo: None, shot: Any
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/icd10/")
    page.get_by_label("Code or words of the title").press_sequentially("low back pain", delay=40)
    table = page.get_by_test_id("icd10-table")
    expect(table.locator("tbody tr")).to_have_count(4)
    expect(table).to_contain_text("M54.5")
    shot(page, "icd10-search")

    page.get_by_role("link", name="3 billable codes below").click()
    expect(page.get_by_test_id("icd10-parent")).to_contain_text("Codes under M54.5")
    expect(table.locator("tbody tr")).to_have_count(3)
    expect(page).to_have_url(re.compile(r"/icd10/\?parent=M54\.5"))
    shot(page, "icd10-children")

    page.go_back()
    expect(page).to_have_url(re.compile(r"/icd10/\?q=low"))
    expect(table.locator("tbody tr")).to_have_count(4)


def test_the_code_search_works_without_javascript(
    browser: Browser, live_server: Any, reference_data: None, demo: None, shot: Any
) -> None:
    context = browser.new_context(
        java_script_enabled=False, viewport={"width": 1366, "height": 800}
    )
    page = context.new_page()
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/codes/")
    page.get_by_label("Code or words").fill("manual")
    page.get_by_label("Timed", exact=True).select_option("yes")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"q=manual"))
    expect(code_rows(page)).to_have_count(1)
    expect(code_rows(page).first).to_contain_text("97140")
    page.get_by_role("link", name="Medicare 2026").click()  # sorting is a plain link too
    expect(page).to_have_url(re.compile(r"q=manual.*sort=medicare_fee"))
    shot(page, "no-js-search")
    context.close()
