"""The review loop in the browser: the owner finds a claim without a necessity statement through
the rule counts and returns it; the therapist fixes and resubmits it; the owner approves it."""

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from claims.models import Claim, ClaimStatus, PlanOfCare
from claims.services import ServiceRow, SessionInput, claim_create_from_session
from ptclinic.demo import DEMO_CLINIC, DEMO_PASSWORD
from ptclinic.models import Clinic, Membership, Role
from tests.conftest import load_reference_data, make_patient
from tests.e2e.conftest import login

pytestmark = pytest.mark.e2e

NECESSITY = (
    "Skilled gait training with the therapist's hands-on facilitation is required: after the knee "
    "replacement she cannot manage stairs safely without cueing and balance assistance."
)


@pytest.fixture
def returned_claim_setup(transactional_db: None) -> Claim:
    """Reference data, the demo users, and one claim by demo-pt with no necessity statement."""
    from ptclinic import demo

    load_reference_data()
    demo.seed()
    clinic = Clinic.objects.get(name=DEMO_CLINIC)
    therapist = Membership.objects.get(user__username="demo-pt", clinic=clinic, role=Role.THERAPIST)
    patient = make_patient(clinic, first_name="Quinn", last_name="Reviewtest", mrn="E2E-0001")
    today = timezone.localdate()
    PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=today - dt.timedelta(days=14),
        cert_through=today + dt.timedelta(days=60),
        certified_on=today - dt.timedelta(days=12),
        certified_by_name="Dr. Rivera",
        frequency="2x/week for 6 weeks",
        goals="Climb one flight of stairs with the rail.",
    )
    claim = claim_create_from_session(
        clinic=clinic,
        user=therapist.user,
        data=SessionInput(
            patient=patient,
            therapist=therapist,
            payer=patient.primary_payer,
            date_of_service=today - dt.timedelta(days=1),
            rows=(ServiceRow("97116", 25), ServiceRow("97110", 15)),
            diagnoses=("M25.561",),
            subjective="Knee stiff on stairs.",
            objective="Ascends 4 steps with rail, step-to pattern.",
            assessment="Gait improving.",
            plan="Continue 2x/week.",
            medical_necessity="",
        ),
    )
    assert claim.flags.filter(rule_id="necessity-missing").exists()
    return claim


def as_owner_in_the_demo_clinic(page: Page, base_url: str) -> None:
    """demo-owner belongs to two clinics: make the demo clinic the active one."""
    login(page, base_url, "demo-owner", DEMO_PASSWORD)
    page.get_by_label("Active clinic").select_option(label=DEMO_CLINIC)
    page.get_by_role("button", name="Switch").click()
    expect(page.get_by_text(f"You are now working in {DEMO_CLINIC}.")).to_be_visible()


def test_owner_returns_a_claim_the_therapist_fixes_and_the_owner_approves_it(
    page: Page, live_server: Any, returned_claim_setup: Claim, shot: Any
) -> None:
    claim = returned_claim_setup
    base = live_server.url

    # The owner finds the claim through the rule counts above the queue.
    as_owner_in_the_demo_clinic(page, base)
    expect(page.get_by_test_id("review-counts")).to_contain_text("need")
    shot(page, "0-home")
    page.get_by_role("link", name="Open the review queue").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    expect(page.get_by_test_id("queue-table")).to_be_visible()
    shot(page, "1-queue")

    # Filters and sorting swap the table in place (htmx) and keep the URL.
    page.get_by_label("Flags", exact=True).select_option("errors")
    expect(page).to_have_url(re.compile(r"severity=errors"))
    expect(page.locator('tr[data-claim] [data-testid="errors"]')).to_have_count(
        page.locator("tr[data-claim]").count()
    )
    page.get_by_role("link", name="Date of service", exact=True).click()
    expect(page).to_have_url(re.compile(r"sort=date_of_service"))
    expect(page.locator("main h1")).to_have_count(1)

    page.locator('[data-testid="rule-counts"] a[data-rule="necessity-missing"]').click()
    expect(page).to_have_url(re.compile(r"rule=necessity-missing"))
    expect(page).to_have_url(re.compile(r"severity=errors"))
    row = page.locator(f'tr[data-claim="{claim.pk}"]')
    expect(row).to_be_visible()
    expect(page.locator("#id_rule")).to_have_value("necessity-missing")
    shot(page, "2-filtered")

    row.get_by_role("link", name=f"#{claim.pk}").click()
    expect(page).to_have_url(f"{base}/claims/{claim.pk}/")
    expect(page.locator("main h1")).to_have_count(1)  # a page of its own, not swapped in
    expect(page.get_by_role("heading", name=re.compile(f"Claim #{claim.pk}"))).to_be_visible()
    expect(page.get_by_test_id("session-note")).to_contain_text(
        "No statement of medical necessity."
    )
    expect(page.locator('[data-testid="flags"] [data-rule="necessity-missing"]')).to_be_visible()
    shot(page, "3-claim")

    comment = "Please add why this visit needed a therapist's skill (stairs, balance, cueing)."
    page.get_by_label("What should the therapist fix?").fill(comment)
    page.get_by_role("button", name="Return to therapist").click()
    expect(page.get_by_text(f"Claim #{claim.pk} returned to Dana Reyes, PT")).to_be_visible()
    expect(page.get_by_test_id("returned-banner")).to_contain_text(comment)
    shot(page, "4-returned")

    # The therapist sees the comment, fixes the note and resubmits.
    page.context.clear_cookies()
    login(page, base, "demo-pt", DEMO_PASSWORD)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="My sessions").click()
    mine = page.locator(f'tr[data-claim="{claim.pk}"]')
    expect(mine).to_contain_text(comment)
    shot(page, "5-my-sessions")
    mine.get_by_role("link", name="Fix and resubmit").click()
    page.get_by_label("Medical necessity").fill(NECESSITY)
    shot(page, "6-fixing")
    page.get_by_role("button", name="Save claim").click()
    expect(page.get_by_text(f"Claim #{claim.pk} resubmitted for review.")).to_be_visible()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW

    # The owner settles what is left and approves.
    page.context.clear_cookies()
    as_owner_in_the_demo_clinic(page, base)
    page.goto(f"{base}/claims/{claim.pk}/")
    expect(page.get_by_test_id("claim-version")).to_have_text("version 3")
    open_forms = page.locator('form[data-testid^="settle-"]')
    while open_forms.count():
        form = open_forms.first
        form.get_by_role("textbox").fill("Checked against the chart: acceptable for this payer.")
        form.get_by_role("button", name="Waive").click()
        expect(page.locator(".alert-success").first).to_be_visible()
    shot(page, "7-ready")
    page.get_by_role("button", name="Approve", exact=True).click()
    expect(page.get_by_text(f"Claim #{claim.pk} approved.")).to_be_visible()
    expect(page.get_by_test_id("approved-banner")).to_contain_text("Morgan Lee")
    timeline = page.get_by_test_id("timeline")
    expect(timeline).to_contain_text("Edited and resubmitted by the therapist")
    expect(timeline).to_contain_text(f"Returned: {comment}"[:60])
    shot(page, "8-approved")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_select_all_ticks_every_approvable_claim_with_the_keyboard_and_approves_them(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    as_owner_in_the_demo_clinic(page, live_server.url)
    page.goto(f"{live_server.url}/review/")
    boxes = page.locator('input[name="claim"]')
    approvable = page.locator('input[name="claim"]:not(:disabled)')
    count = approvable.count()
    assert count > 0, "the demo queue has claims without errors"
    select_all = page.get_by_label("Select all claims on this page")
    select_all.focus()
    page.keyboard.press("Space")
    for i in range(boxes.count()):
        box = boxes.nth(i)
        if box.is_disabled():
            expect(box).not_to_be_checked()
        else:
            expect(box).to_be_checked()
    shot(page, "selected")
    page.get_by_role("button", name="Approve selected").click()
    done = page.get_by_role("alert").filter(has_text=f"Approved {count}; skipped 0")
    expect(done).to_be_visible()


def focus_by_tab(page: Page, name: str, *, back: bool = False, limit: int = 80) -> None:
    """Press Tab (Shift+Tab with `back`) until the element named `name` has the focus."""
    key = "Shift+Tab" if back else "Tab"
    for _ in range(limit):
        focused = page.evaluate(
            "() => { const e = document.activeElement;"
            " return e ? (e.getAttribute('aria-label') || e.textContent || '').trim() : ''; }"
        )
        if focused == name:
            return
        page.keyboard.press(key)
    raise AssertionError(f"{limit} presses of {key} never reached {name!r}")


def test_the_queue_searches_a_patient_selects_all_and_approves_from_the_keyboard(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str]
) -> None:
    from tests.e2e.conftest import csp_violations

    clinic = Clinic.objects.get(name=DEMO_CLINIC)
    adler = Claim.objects.filter(
        clinic=clinic, status=ClaimStatus.NEEDS_REVIEW, patient__last_name="Adler"
    )
    approvable = sorted(c.pk for c in adler if not c.open_errors)
    blocked = [c.pk for c in adler if c.open_errors]
    assert len(approvable) == 2 and len(blocked) == 1, "the demo's Ruth Adler"

    as_owner_in_the_demo_clinic(page, live_server.url)
    page.goto(f"{live_server.url}/review/")
    count = page.get_by_test_id("selection-count")
    expect(count).to_have_text("No claims selected")

    # The search swaps the table in (htmx): the selection below works on the new rows.
    search = page.get_by_label("Patient: name or MRN")
    search.fill("Adler")
    search.press("Enter")
    expect(page).to_have_url(re.compile(r"[?&]q=Adler"))
    rows = page.locator("tr[data-claim]")
    expect(rows).to_have_count(3)
    expect(count).to_have_text("No claims selected")
    approve = page.get_by_role("button", name="Approve selected")
    expect(approve).to_have_attribute("aria-disabled", "true")

    select_all = page.get_by_label("Select all claims on this page")
    select_all.check()
    for pk in approvable:
        expect(page.locator(f'input[name="claim"][value="{pk}"]')).to_be_checked()
    expect(page.locator(f'input[name="claim"][value="{blocked[0]}"]')).not_to_be_checked()
    expect(count).to_have_text("2 claims selected")
    expect(approve).to_have_attribute("aria-disabled", "false")
    assert select_all.evaluate("box => box.checked && !box.indeterminate")
    shot(page, "all-selected")

    first = page.get_by_label(f"Select claim {approvable[0]} for Adler, Ruth")
    first.uncheck()
    expect(count).to_have_text("1 claim selected")
    assert select_all.evaluate("box => box.indeterminate && !box.checked")
    shot(page, "some-selected")
    page.get_by_label(f"Select claim {approvable[1]} for Adler, Ruth").uncheck()
    expect(count).to_have_text("No claims selected")
    assert select_all.evaluate("box => !box.indeterminate && !box.checked")

    # Nothing ticked: the button says so instead of sending an empty form.
    approve.focus()
    page.keyboard.press("Enter")
    expect(count).to_have_text("Select the claims to approve first.")
    shot(page, "none-selected")
    expect(page).to_have_url(re.compile(r"/review/\?q=Adler"))

    # The keyboard alone: Tab to a row's box, Space ticks it, Shift+Tab back to the button.
    search.focus()
    name = f"Select claim {approvable[0]} for Adler, Ruth"
    focus_by_tab(page, name)
    page.keyboard.press("Space")
    expect(first).to_be_checked()
    expect(count).to_have_text("1 claim selected")
    assert select_all.evaluate("box => box.indeterminate")
    focus_by_tab(page, "Approve selected", back=True)
    page.keyboard.press("Space")
    expect(page.get_by_role("alert").filter(has_text="Approved 1; skipped 0")).to_be_visible()
    expect(page.get_by_label("Patient: name or MRN")).to_have_value("Adler")  # back to the search
    assert Claim.objects.get(pk=approvable[0]).status == ClaimStatus.APPROVED
    assert Claim.objects.get(pk=approvable[1]).status == ClaimStatus.NEEDS_REVIEW
    expect(page.locator("tr[data-claim]")).to_have_count(2)
    assert csp_violations(console) == []
