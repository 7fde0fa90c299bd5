"""The printable cheat sheet in a real browser: what a therapist needs on paper, printed as a
PDF on A4 and Letter, one or two pages each, without the site's navigation."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import ARTIFACTS, login

pytestmark = pytest.mark.e2e

_PAGE = re.compile(rb"/Type\s*/Page(?![a-z])")


def pdf_pages(pdf: bytes) -> int:
    """How many pages Chromium's PDF has (its page objects are written uncompressed)."""
    return len(_PAGE.findall(pdf))


def test_a_therapist_prints_the_cheat_sheet_on_one_or_two_pages(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    login(page, live_server.url, "demo-pt", DEMO_PASSWORD)
    page.goto(f"{live_server.url}/codes/")
    page.get_by_role("link", name="Printable cheat sheet of the most-used codes").click()
    expect(page.get_by_role("heading", name="PT billing cheat sheet")).to_be_visible()
    expect(page.get_by_test_id("sheet-for")).to_contain_text("Riverbend Physical Therapy (demo)")
    expect(page.get_by_test_id("sheet-for")).to_contain_text("locality 01112-63")

    # The first code, its name in plain words, timed, and its Medicare amount at the locality.
    first = page.get_by_test_id("sheet-codes").locator("tbody tr").first
    expect(first).to_contain_text("97110")
    expect(first).to_contain_text("Therapeutic exercise")
    expect(first).to_contain_text("Timed (per 15 min)")
    # (0.45 x 1.036 + 0.41 x 1.163 + 0.01 x 0.536) x $33.4009: the 2026 RVUs, the locality's
    # GPCIs and the conversion factor.
    expect(first.locator("td").nth(2)).to_have_text("$31.68")
    expect(page.get_by_test_id("sheet-codes").locator("thead")).to_contain_text("demo")
    # The 8-minute table, the pairing advice and a rule the tips link to.
    units = page.get_by_test_id("unit-table")
    expect(units).to_contain_text("8–22")
    expect(units).to_contain_text("113–127")
    expect(page.get_by_test_id("sheet-pairing-97140-M54.5")).to_contain_text(
        "this code is not billable, use M54.50, M54.51 or M54.59"
    )
    rule = page.get_by_test_id("sheet-tips").get_by_role("link", name="Over the KX threshold")
    expect(rule).to_have_attribute("href", "/rules/#kx-missing")
    shot(page, "screen")

    # The Print button is a real button: Enter on it prints, as a click does.
    page.evaluate(
        "() => { window.__printed = 0; window.print = () => { window.__printed += 1; }; }"
    )
    button = page.get_by_role("button", name="Print")
    button.focus()
    page.keyboard.press("Enter")
    assert page.evaluate("window.__printed") == 1
    button.click()
    assert page.evaluate("window.__printed") == 2

    page.emulate_media(media="print")
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("navigation", name="Reference")).to_be_hidden()
    expect(button).to_be_hidden()
    expect(units).to_be_visible()
    shot(page, "print")
    for paper in ("A4", "Letter"):
        pdf = page.pdf(format=paper, print_background=True)
        (ARTIFACTS / f"cheat-sheet-{paper}.pdf").write_bytes(pdf)
        assert 1 <= pdf_pages(pdf) <= 2, (paper, pdf_pages(pdf))

    rule.click()
    expect(page).to_have_url(f"{live_server.url}/rules/#kx-missing")
    expect(page.locator("#kx-missing")).to_be_visible()
