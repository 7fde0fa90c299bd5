"""Claims out in the browser: the owner sends the approved claims waiting as a batch, downloads
its validated 837P file and opens a claim's CMS-1500 form, then marks a sent claim rejected and
corrects it back into review."""

from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from claims.models import AccessEvent, ClaimStatus
from claims.submission.validate import validate_837p
from tests.e2e.test_review import as_owner_in_the_demo_clinic

pytestmark = pytest.mark.e2e


def test_owner_sends_a_batch_downloads_the_file_and_corrects_a_rejected_claim(
    page: Page, live_server: Any, demo: None, shot: Any
) -> None:
    base = live_server.url
    as_owner_in_the_demo_clinic(page, base)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Billing").click()
    expect(page.get_by_role("heading", name="Claims out")).to_be_visible()
    waiting = page.get_by_test_id("waiting-claims")
    expect(waiting).to_be_visible()
    assert "Self-pay" not in waiting.inner_text()  # a self-pay visit is billed to the patient
    shot(page, "0-waiting")

    # Keyboard: the first claim is left out by unticking it, the rest go.
    first = waiting.locator('input[name="claim"]').first
    kept_out = first.get_attribute("value")
    first.focus()
    page.keyboard.press("Space")
    expect(first).not_to_be_checked()
    page.get_by_label("Note (optional)").fill("Browser test batch")
    page.get_by_role("button", name="Create batch and files").click()
    expect(page.get_by_role("heading", name="Batch")).to_contain_text("ready")
    expect(page.get_by_text("passed validation").first).to_be_visible()
    shot(page, "1-batch")
    claims_table = page.get_by_test_id("batch-claims")
    assert f"PTC{kept_out}" not in claims_table.inner_text()

    with page.expect_download() as info:
        page.get_by_role("link", name="Download").first.click()
    text = Path(info.value.path()).read_text(encoding="ascii")
    assert text.startswith("ISA*")
    assert validate_837p(text).valid
    assert AccessEvent.objects.filter(kind="claim_file").exists()

    # A sent claim: its form, then the clearinghouse's rejection and the correction.
    claims_table.get_by_role("link").first.click()
    expect(page.get_by_test_id("claim-life")).to_contain_text("Submitted")
    response = page.request.get(page.url + "form.pdf")
    assert response.headers["content-type"] == "application/pdf"
    life = page.get_by_test_id("life-rejected")
    life.get_by_label("Why").fill("Invalid subscriber id (277CA A7:164)")
    life.get_by_role("button", name="Mark rejected").click()
    expect(page.get_by_role("alert").filter(has_text="Marked rejected")).to_be_visible()
    correct = page.get_by_test_id("life-correct")
    correct.get_by_label("Why").fill("Member id corrected from the card")
    correct.get_by_role("button", name="Correct and resubmit").click()
    expect(page.get_by_role("alert").filter(has_text="as a correction")).to_be_visible()
    expect(page.get_by_test_id("claim-events")).to_contain_text("Rejected")
    shot(page, "2-corrected")
    claim_id = int(page.url.rstrip("/").rsplit("/", 1)[-1])
    from claims.models import Claim

    assert Claim.objects.get(pk=claim_id).status == ClaimStatus.NEEDS_REVIEW
