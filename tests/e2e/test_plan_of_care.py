"""The plan-of-care form in a real browser, under the site's Content-Security-Policy."""

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from claims.models import Patient
from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import csp_violations, login

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize("username", ["demo-owner", "demo-pt"])
def test_typing_words_in_a_diagnosis_field_offers_billable_codes_without_csp_violations(
    page: Page, live_server: Any, demo: None, shot: Any, console: list[str], username: str
) -> None:
    patient = Patient.objects.get(mrn="RB-1002")
    login(page, live_server.url, username, DEMO_PASSWORD)
    page.goto(f"{live_server.url}/patients/{patient.pk}/plans/new/")
    expect(page.get_by_role("heading", name="New plan of care")).to_be_visible()

    diagnosis = page.get_by_label("Diagnosis 2")
    options = page.locator(f"#{diagnosis.get_attribute('list')} option")
    expect(options).to_have_count(0)
    diagnosis.press_sequentially("knee pain", delay=40)

    expect(options.first).to_be_attached()
    values = options.evaluate_all("(all) => all.map((o) => o.value)")
    assert "M25.561" in values, values  # pain in right knee
    assert all(not value.endswith(".56") for value in values), values  # billable codes only
    labels = options.evaluate_all("(all) => all.map((o) => o.textContent)")
    assert all("knee" in label.lower() for label in labels), labels
    shot(page, "knee-pain-options")

    assert not csp_violations(console), console
    # No attempt to evaluate a string either (htmx refuses `js:` values when eval is off).
    assert not [m for m in console if "evalDisallowed" in m or "evalError" in m], console
