"""Money back in the browser: the owner reads the dashboard's money tiles, follows the denials to
the report and to a denied claim whose denial names the waived rule, posts a payer's 835 file for
a claim still waiting, and settles the worklist with the keyboard; on a tablet the dashboard's
charts still fit."""

import datetime as dt
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from claims.models import Claim, ClaimStatus
from claims.remittance.answers import claim_answer, payment_of
from claims.remittance.sample import write_835
from tests.e2e.conftest import console as console
from tests.e2e.conftest import csp_violations
from tests.e2e.test_review import as_owner_in_the_demo_clinic

pytestmark = pytest.mark.e2e


def test_owner_follows_denials_from_the_dashboard_to_the_rule_and_posts_a_remittance(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str], tmp_path: Any
) -> None:
    base = live_server.url
    as_owner_in_the_demo_clinic(page, base)
    page.goto(f"{base}/?start=2026-01-01&end={dt.date.today().isoformat()}")
    money = page.get_by_test_id("money-tiles")
    expect(money).to_be_visible()
    expect(money.get_by_test_id("tile-clean-rate")).to_contain_text("%")
    expect(money.locator("svg[role=img]").first).to_be_visible()
    shot(page, "0-dashboard")

    money.get_by_test_id("tile-denials").click()
    expect(page.get_by_role("heading", name="Denials", exact=True)).to_be_visible()
    expect(page.get_by_test_id("by-reason")).to_contain_text("CO-50")
    expect(page.get_by_test_id("by-rule")).to_contain_text("Necessity statement copied")
    expect(page.get_by_test_id("uncaught")).to_contain_text("Edit pairs")
    shot(page, "1-denials")
    page.get_by_test_id("by-reason").get_by_role("link", name="CO-50").click()
    lines = page.get_by_test_id("denied-lines")
    expect(lines).to_contain_text("waived by")
    lines.get_by_role("link").first.click()

    payments = page.get_by_test_id("claim-payments")
    expect(payments).to_contain_text("partly paid")
    trace = payments.get_by_test_id("denial-trace")
    expect(trace).to_contain_text("This rule flagged it before submission")
    expect(trace).to_contain_text("waived by Morgan Lee")
    payments.get_by_text("What the codes mean").click()
    expect(payments.get_by_test_id("code-glossary")).to_contain_text("sequestration")
    shot(page, "2-denied-claim")

    # A claim still waiting for its money: the payer's file for it is posted from the page.
    waiting = (
        Claim.objects.filter(status=ClaimStatus.SUBMITTED, clinic__name__contains="demo")
        .order_by("pk")
        .first()
    )
    assert waiting is not None
    answer = claim_answer(waiting)
    payment = payment_of(
        waiting.clinic, waiting.payer, [answer], trace_number="EFTE2E1", paid_on=dt.date.today()
    )
    path = tmp_path / "medicare-today.835"
    path.write_text(write_835(payment, control=77))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    page.get_by_role("link", name="Remittances").click()
    page.get_by_label("835 file", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Post the file").click()
    expect(page.get_by_role("alert").filter(has_text="Posted 1 of 1 payments")).to_be_visible()
    expect(page.get_by_test_id("payments")).to_contain_text(f"#{waiting.pk}")
    shot(page, "3-remittance")
    waiting.refresh_from_db()
    assert waiting.status == ClaimStatus.PAID

    # The same file again is not posted twice.
    page.get_by_role("link", name="Remittances").click()
    page.get_by_label("835 file", exact=True).set_input_files(str(path))
    page.get_by_role("button", name="Post the file").click()
    expect(page.get_by_text("already posted")).to_be_visible()

    # The worklist, with the keyboard only: the misdirected payment is dismissed.
    page.get_by_role("link", name="Unmatched payments").click()
    item = page.get_by_test_id("worklist-item").first
    expect(item).to_contain_text("A0099881")
    item.get_by_label("Why dismiss").focus()
    page.keyboard.type("Not our patient: returned to the payer")
    page.keyboard.press("Enter")
    expect(page.get_by_text("is off the worklist")).to_be_visible()
    expect(page.get_by_test_id("worklist-empty")).to_be_visible()
    shot(page, "4-worklist")
    assert not csp_violations(console)


def test_the_dashboard_fits_a_tablet(page: Page, live_server: Any, demo: None, shot: Any) -> None:
    as_owner_in_the_demo_clinic(page, live_server.url)
    page.set_viewport_size({"width": 820, "height": 1180})  # an iPad Air, upright
    page.reload()
    money = page.get_by_test_id("money-tiles")
    expect(money).to_be_visible()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 820, f"the page scrolls sideways on a tablet ({width}px)"
    shot(page, "tablet")


def test_a_claim_prints_as_the_record_without_the_app_around_it(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    as_owner_in_the_demo_clinic(page, live_server.url)
    claim = Claim.objects.filter(status=ClaimStatus.PARTLY_PAID).order_by("pk").first()
    assert claim is not None
    page.goto(f"{live_server.url}/claims/{claim.pk}/")
    page.emulate_media(media="print")
    expect(page.get_by_role("heading", name=f"Claim #{claim.pk}")).to_be_visible()
    expect(page.get_by_test_id("claim-payments")).to_be_visible()
    expect(page.get_by_role("navigation", name="Main")).to_be_hidden()
    expect(page.get_by_role("button", name="Correct and resubmit")).to_be_hidden()
    shot(page, "print")
