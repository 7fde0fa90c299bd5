"""The panel is the claim, in the browser: what the therapist sees in the session panel (a tie
given to the other code, a changed line, a PTA's CQ lines) is what is saved and what the
reviewer sees on the claim page, lines and findings alike."""

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim
from ptclinic.demo import DEMO_CLINIC, DEMO_PASSWORD
from tests.e2e.conftest import csp_violations, login

pytestmark = pytest.mark.e2e

BENSON = "Benson, George — MRN RB-1002 — Medicare Part B"
NECESSITY = (
    "Skilled balance retraining and progressive strengthening by the therapist are needed: "
    "after the knee replacement he loses balance on stairs and needs cueing to climb safely."
)
SAVED = re.compile(r"Saved\. Claim #(\d+) for .* is waiting for review\.")

# Each claim line as (code, modifiers, units, amount) — the panel's off-claim lines are left out.
PANEL_LINES = """(rows) => rows.map((row) => [
  row.dataset.code,
  [...row.querySelectorAll('[data-modifier]')].map((m) => m.textContent.trim()).join(' '),
  row.querySelector('.units').firstChild.textContent.trim(),
  row.querySelector('[data-testid^="amount-"]').textContent.trim(),
])"""
CLAIM_LINES = """(rows) => rows.map((row) => [
  row.dataset.line,
  [...row.cells[2].querySelectorAll('.badge')].map((m) => m.textContent.trim()).join(' '),
  row.querySelector('[data-testid="line-units"]').textContent.trim(),
  row.cells[row.cells.length - 1].textContent.trim(),
])"""
RULES = "(findings) => findings.map((f) => f.dataset.rule).sort()"


def wait_until_quiet(page: Page) -> None:
    """No panel refresh waiting for its typing delay (300 ms) or its response."""
    page.wait_for_timeout(400)
    page.wait_for_function("() => !document.querySelector('.htmx-request')")


def start_session(page: Page, base_url: str, username: str = "demo-pt") -> None:
    login(page, base_url, username, DEMO_PASSWORD)
    page.goto(f"{base_url}/sessions/new/")
    expect(page.get_by_role("heading", name="New treatment session")).to_be_visible()
    page.locator("#id_patient").select_option(label=BENSON)


def enter_services(page: Page, rows: list[tuple[str, str]]) -> None:
    codes = page.locator("input[name=code]")
    minutes = page.locator("input[name=minutes]")
    for i, (code, mins) in enumerate(rows):
        codes.nth(i).fill(code)
        if mins:
            minutes.nth(i).fill(mins)


def write_the_note(page: Page) -> None:
    page.locator("input[name=dx]").first.fill("M17.11")
    page.get_by_label("Medical necessity").fill(NECESSITY)
    wait_until_quiet(page)


def panel_claim(page: Page) -> tuple[list[list[str]], list[str]]:
    """The claim lines and the rule ids of the findings the panel shows."""
    panel = page.locator("#suggestions")
    lines = panel.locator("tr[data-code]:not([data-off-claim])").evaluate_all(PANEL_LINES)
    rules = panel.locator('[data-testid="findings"] [data-rule]').evaluate_all(RULES)
    return sorted(lines), rules


def save(page: Page) -> int:
    """Save claim; back on My sessions, the number of the claim that was saved."""
    page.get_by_role("button", name="Save claim").click()
    expect(page.get_by_role("heading", name="My sessions")).to_be_visible()
    alert = page.get_by_role("alert").filter(has_text="is waiting for review")
    expect(alert).to_be_visible()
    found = SAVED.search(alert.inner_text())
    assert found, alert.inner_text()
    return int(found.group(1))


def open_as_the_reviewer(page: Page, base_url: str, claim_id: int) -> None:
    page.context.clear_cookies()
    login(page, base_url, "demo-owner", DEMO_PASSWORD)
    page.get_by_label("Active clinic").select_option(label=DEMO_CLINIC)
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text(f"You are now working in {DEMO_CLINIC}.")).to_be_visible()
    page.goto(f"{base_url}/claims/{claim_id}/")
    expect(page.get_by_role("heading", name=re.compile(f"Claim #{claim_id}"))).to_be_visible()


def claim_page_claim(page: Page) -> tuple[list[list[str]], list[str]]:
    lines = page.locator("tr[data-line]").evaluate_all(CLAIM_LINES)
    rules = page.locator('[data-testid="flags"] [data-rule]').evaluate_all(RULES)
    return sorted(lines), rules


def test_a_tie_given_to_the_other_code_is_the_claim_the_reviewer_sees(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    start_session(page, live_server.url)
    enter_services(page, [("97112", "20"), ("97110", "20")])
    panel = page.locator("#suggestions")

    # 40 minutes are 3 units: one code × 2 and the other × 1, never 3 of one. ptclinic gives
    # the last unit to the code that pays more, and says it was a tie.
    tie = panel.get_by_test_id("tie")
    expect(tie).to_contain_text("Tie:")
    expect(tie).to_contain_text("97112 and 97110")
    expect(panel.get_by_test_id("units-97112")).to_have_text("2")
    expect(panel.get_by_test_id("units-97110")).to_have_text("1")
    shot(page, "tie")

    tie.get_by_role("button", name="Give it to 97110").click()
    expect(panel.get_by_test_id("units-97110")).to_have_text("2")
    expect(panel.get_by_test_id("units-97112")).to_have_text("1")
    expect(tie).to_contain_text("(your choice)")
    expect(tie.get_by_role("button", name="Give it to 97112")).to_be_visible()
    expect(panel.get_by_test_id("total-timed-units")).to_have_text("3")

    # The pick holds while the rest of the note is written (every keystroke refreshes the panel).
    write_the_note(page)
    expect(panel.get_by_test_id("units-97110")).to_have_text("2")
    expect(panel.get_by_test_id("units-97112")).to_have_text("1")
    lines, rules = panel_claim(page)
    assert [line[:3] for line in lines] == [["97110", "GP", "2"], ["97112", "GP", "1"]], lines
    assert rules, "the panel shows what the review will raise"
    shot(page, "tie-given-to-97110")

    claim_id = save(page)
    open_as_the_reviewer(page, live_server.url, claim_id)
    assert claim_page_claim(page) == (lines, rules)
    shot(page, "claim-page")
    assert not csp_violations(console), console


def test_a_changed_line_is_priced_at_once_and_saved_as_changed(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    start_session(page, live_server.url)
    enter_services(page, [("97112", "24"), ("97110", "23")])
    panel = page.locator("#suggestions")
    expect(panel.get_by_test_id("units-97110")).to_have_text("1")
    suggested_amount = panel.get_by_test_id("amount-97110").inner_text()
    suggested_total = panel.get_by_test_id("expected-total").inner_text()

    line = panel.locator("tr.change-row", has=page.locator("#units-97110"))
    line.locator("summary").click()
    page.locator("#units-97110").fill("2")
    page.locator("#reason-97110").fill("A second set of supervised exercise was needed today")
    wait_until_quiet(page)

    # At once: the new units, a "changed" badge, and the line priced as it now stands.
    units = panel.get_by_test_id("units-97110")
    expect(units).to_contain_text("2")
    expect(units.locator(".badge")).to_have_text("changed")
    expect(units.locator(".badge")).to_have_attribute("title", "Suggested: 1 × GP")
    amount = panel.get_by_test_id("amount-97110")
    expect(amount).not_to_have_text(suggested_amount)
    expect(panel.get_by_test_id("expected-total")).not_to_have_text(suggested_total)
    expect(panel.get_by_test_id("summary-units")).to_have_text("4")
    changed_amount = amount.inner_text()
    assert re.fullmatch(r"\$\d+\.\d\d", changed_amount), changed_amount
    shot(page, "changed")

    write_the_note(page)
    lines, rules = panel_claim(page)
    assert ["97110", "GP", "2", changed_amount] in lines, lines
    claim_id = save(page)

    open_as_the_reviewer(page, live_server.url, claim_id)
    row = page.locator('tr[data-line="97110"]')
    expect(row.get_by_test_id("line-units")).to_have_text("2")
    expect(row.locator("td").last).to_have_text(changed_amount)
    changed = page.get_by_test_id("line-changed")
    expect(changed).to_contain_text("suggested 1 × GP")
    expect(changed).to_contain_text("A second set of supervised exercise was needed today")
    assert claim_page_claim(page) == (lines, rules)
    shot(page, "claim-page")
    assert not csp_violations(console), console


def test_a_ptas_lines_carry_gp_cq_and_a_pta_cannot_bill_an_evaluation(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    start_session(page, live_server.url, "demo-pta")
    expect(page.get_by_test_id("treating-clinician")).to_contain_text("PTA")
    enter_services(page, [("G0283", ""), ("97110", "30")])  # unattended e-stim: no minutes
    panel = page.locator("#suggestions")
    for code in ("G0283", "97110"):
        row = panel.locator(f'tr[data-code="{code}"]')
        expect(row.locator("[data-modifier]")).to_have_text(["GP", "CQ"])
    expect(panel.locator('[data-testid="units-97110-CQ"]')).to_have_text("2")
    expect(panel.locator('[data-testid="units-G0283-CQ"]')).to_have_text("1")
    write_the_note(page)
    lines, rules = panel_claim(page)
    shot(page, "pta-panel")

    claim_id = save(page)
    claim = Claim.objects.get(pk=claim_id)
    saved = sorted((x.billing_code_id, x.modifiers, x.units) for x in claim.lines.all())
    assert saved == [("97110", ["GP", "CQ"], 2), ("G0283", ["GP", "CQ"], 1)]

    # An evaluation is the PT's: the panel says so before saving, and saving refuses it.
    claims_before = Claim.objects.count()
    page.goto(f"{live_server.url}/sessions/new/")
    page.locator("#id_patient").select_option(label=BENSON)
    enter_services(page, [("97161", "")])
    write_the_note(page)
    expect(panel.locator('[data-testid="findings"] [data-rule="pta-evaluation"]')).to_be_visible()
    refused = panel.get_by_test_id("save-refused")
    expect(refused).to_contain_text("97161: evaluations and re-evaluations are the PT's")
    expect(panel.get_by_test_id("findings")).not_to_contain_text("You can save")
    page.get_by_role("button", name="Save claim").click()
    expect(page.get_by_role("heading", name="New treatment session")).to_be_visible()
    expect(page.get_by_test_id("not-saved")).to_have_text(
        "Not saved: 97161: evaluations and re-evaluations are the PT's; a PTA may not bill them."
    )
    assert page.url == f"{live_server.url}/sessions/new/"
    assert Claim.objects.count() == claims_before
    assert claim.lines.count() == 2  # the day's claim is as it was saved
    shot(page, "pta-evaluation-refused")

    open_as_the_reviewer(page, live_server.url, claim_id)
    assert claim_page_claim(page) == (lines, rules)
    assert not csp_violations(console), console
