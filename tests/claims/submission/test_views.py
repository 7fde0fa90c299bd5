"""The owner's pages for claims going out: Claims out (batches, 837P files and CMS-1500 forms, each
download logged), a claim's moves after review, the charge master and the billing provider page;
and what claim submission added to the therapist's live panel and the patient form."""

import datetime as dt
import html
import io
import re
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from claims.models import (
    AccessEvent,
    BatchFile,
    Claim,
    ClaimBatch,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
    FlagStatus,
    Patient,
    TreatmentSession,
)
from claims.submission.services import batch_create
from coding.models import ChargeMasterEntry, Payer
from ptclinic.models import Clinic, Role
from tests.claims.submission.test_batches import approved
from tests.claims.test_review import make_claim, make_plan
from tests.claims.test_sessions import post_data
from tests.conftest import TEST_CHARGE, make_clinic, make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()


@pytest.fixture
def sender(clinic: Clinic) -> Any:
    """An owner of a clinic whose clearinghouse is set up (as in test_batches)."""
    clinic.receiver_id = "CLEARHOUSE01"
    clinic.receiver_name = "Test Clearinghouse"
    clinic.submitter_id = "SUB12345"
    clinic.save()
    return make_member(clinic, Role.OWNER, first_name="Bea", last_name="Biller")


@pytest.fixture
def boss(client_for: Callable[[Any], Client], sender: Any) -> Client:
    return client_for(sender)


def text_of(response: Any) -> str:
    """The page as a reader sees it (entities such as &#x27; turned back into characters)."""
    return html.unescape(response.content.decode())


def waiting_ids(page: str) -> list[int]:
    """The claims the Claims out page offers to send (their checkboxes)."""
    return [int(pk) for pk in re.findall(r'name="claim" value="(\d+)"', page)]


def money(amount: Decimal | None) -> str:
    assert amount is not None
    return f"${amount:,.2f}"


def sent(clinic: Clinic, user: Any, *claims: Claim) -> ClaimBatch:
    return batch_create(clinic=clinic, user=user, claim_ids=[c.pk for c in claims])


def another_clinics_approved_claim(other_clinic: Clinic) -> tuple[Claim, Any]:
    their_pt = make_member(other_clinic, Role.THERAPIST, credential="PT")
    their_owner = make_member(other_clinic, Role.OWNER)
    return approved(other_clinic, their_pt, their_owner), their_owner


def open_flags(claim: Claim, rule_id: str) -> list[str]:
    """The messages of the claim's open flags of one rule, read from the database now."""
    return list(
        ClaimFlag.objects.filter(claim=claim, rule_id=rule_id, status=FlagStatus.OPEN)
        .order_by("pk")
        .values_list("message", flat=True)
    )


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


# ---- who may open the owner's pages -----------------------------------------------------------

OWNER_PAGES = ["batch-list", "charge-master", "clinic-billing"]


@pytest.mark.parametrize("name", OWNER_PAGES)
def test_an_anonymous_visitor_is_sent_to_login(client: Client, name: str) -> None:
    response = client.get(reverse(name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("name", OWNER_PAGES)
def test_a_therapist_may_not_open_the_owners_billing_pages(
    client_for: Any, pt: Any, name: str
) -> None:
    assert client_for(pt).get(reverse(name)).status_code == 403


def test_a_therapist_may_not_send_claims(
    client_for: Any, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    response = client_for(pt).post(reverse("batch-list"), {"claim": [claim.pk]})
    assert response.status_code == 403
    assert not ClaimBatch.objects.exists()


# ---- Claims out: the approved claims waiting --------------------------------------------------


def test_claims_out_lists_the_approved_claims_waiting_with_patient_date_payer_and_charge(
    boss: Client, clinic: Clinic, other_clinic: Clinic, pt: Any, sender: Any
) -> None:
    mine = approved(clinic, pt, sender)
    commercial = approved(clinic, pt, sender, payer_name="Demo Commercial PPO")
    make_claim(clinic, pt)  # still in review
    self_pay = make_claim(clinic, pt, payer_name="Self-pay")
    Claim.objects.filter(pk=self_pay.pk).update(status=ClaimStatus.APPROVED)
    theirs, _ = another_clinics_approved_claim(other_clinic)

    response = boss.get(reverse("batch-list"))
    page = text_of(response)
    assert response.status_code == 200
    assert sorted(waiting_ids(page)) == sorted([mine.pk, commercial.pk])
    assert self_pay.pk not in waiting_ids(page) and theirs.pk not in waiting_ids(page)
    row = re.search(rf'name="claim" value="{mine.pk}".*?</tr>', page, re.S)
    assert row is not None
    cells = row.group(0)
    assert f"{mine.patient.last_name}, {mine.patient.first_name}" in cells
    assert f"{mine.date_of_service:%b} {mine.date_of_service.day}, {mine.date_of_service.year}" in (
        cells
    )
    assert "Medicare Part B" in cells
    assert money(mine.total_charge) in cells
    assert "<strong>2</strong> approved claims," in page


def test_the_total_waiting_is_written_in_dollars_and_cents(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    for charge in ("100.25", "200.25"):
        claim = approved(clinic, pt, sender)
        Claim.objects.filter(pk=claim.pk).update(total_charge=Decimal(charge))
    page = text_of(boss.get(reverse("batch-list")))
    assert "$100.25" in page and "$200.25" in page  # each row
    assert "<strong>2</strong> approved claims, $300.50 billed." in page


def test_claims_out_says_so_when_no_approved_claim_is_waiting(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt)  # in review: not waiting to be sent
    page = text_of(boss.get(reverse("batch-list")))
    assert "No approved claims are waiting" in page
    assert 'data-testid="waiting-claims"' not in page
    assert "No batch yet." in page


def test_the_claims_out_page_runs_the_same_queries_for_one_claim_or_many(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert boss.get(reverse("batch-list")).status_code == 200
        return len(captured)

    approved(clinic, pt, sender)
    queries()  # the first request of the test also reads the session and the code tables
    one = queries()
    for _ in range(3):
        approved(clinic, pt, sender, payer_name="Demo Commercial PPO")
    assert queries() == one


# ---- Claims out: making a batch ----------------------------------------------------------------


def test_sending_the_picked_claims_makes_a_batch_and_shows_its_validated_file(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    response = boss.post(reverse("batch-list"), {"claim": [claim.pk], "note": "Week one"})

    batch = ClaimBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    (file,) = BatchFile.objects.filter(batch=batch)
    page = text_of(boss.get(response["Location"]))
    assert f"Batch {batch.pk}: 1 claim(s) sent." in page
    assert "Week one" in page
    assert "passed validation" in page
    assert f'href="{reverse("batch-file", args=[file.pk])}"' in page
    claims = page.split('data-testid="batch-claims"', 1)[1]
    assert claim.control_number in claims
    assert "<td>Submitted</td>" in claims
    assert money(claim.total_charge) in claims
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


@pytest.mark.parametrize("picked", ["nothing", "in review", "not a number", "huge"])
def test_sending_no_approved_claim_says_so_and_makes_nothing(
    boss: Client, clinic: Clinic, pt: Any, picked: str
) -> None:
    in_review = make_claim(clinic, pt)
    ids = {
        "nothing": [],
        "in review": [in_review.pk],
        "not a number": ["abc", "-1"],
        "huge": ["9" * 30],
    }[picked]
    response = boss.post(reverse("batch-list"), {"claim": ids}, follow=True)
    assert response.status_code == 200
    assert "Pick at least one approved claim: only approved claims are sent." in text_of(response)
    assert not ClaimBatch.objects.exists() and not BatchFile.objects.exists()
    in_review.refresh_from_db()
    assert in_review.status == ClaimStatus.NEEDS_REVIEW


def test_without_the_clearinghouse_the_page_warns_and_sending_is_refused(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    Clinic.objects.filter(pk=clinic.pk).update(receiver_id="")

    page = text_of(boss.get(reverse("batch-list")))
    assert "Set up the clearinghouse first." in page
    assert 'data-testid="setup-problems"' in page
    assert "Create batch and files</button>" in page
    assert re.search(r'<button type="submit" class="btn btn-primary" disabled>', page)

    response = boss.post(reverse("batch-list"), {"claim": [claim.pk]}, follow=True)
    assert "The clearinghouse (receiver id and name) is not set" in text_of(response)
    assert not ClaimBatch.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_a_claim_left_out_of_the_batch_is_listed_with_why(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    kept, lacking = approved(clinic, pt, sender), approved(clinic, pt, sender)
    Patient.objects.filter(pk=lacking.patient_id).update(address_line1="")
    response = boss.post(reverse("batch-list"), {"claim": [kept.pk, lacking.pk]}, follow=True)

    page = text_of(response)
    left_out = page.split('data-testid="left-out"', 1)[1].split("</div>", 1)[0]
    assert (
        f'href="{reverse("claim-detail", args=[lacking.pk])}">Claim #{lacking.pk}</a>' in left_out
    )
    assert "street address" in left_out
    claims = page.split('data-testid="batch-claims"', 1)[1]
    assert kept.control_number in claims and lacking.control_number not in claims
    lacking.refresh_from_db()
    assert lacking.status == ClaimStatus.APPROVED


# ---- the 837P file -----------------------------------------------------------------------------


def test_downloading_the_file_gives_the_837p_and_logs_each_patient_in_it(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    first, second = approved(clinic, pt, sender), approved(clinic, pt, sender)
    batch = sent(clinic, sender, first, second)
    (file,) = BatchFile.objects.filter(batch=batch)

    response = boss.get(reverse("batch-file", args=[file.pk]))
    assert response.status_code == 200
    text = response.content.decode("ascii")
    assert text.startswith("ISA*")
    for claim in (first, second):
        assert f"CLM*{claim.control_number}*" in text
    assert response["Content-Disposition"] == f'attachment; filename="{file.filename}"'
    assert "no-store" in response["Cache-Control"]
    logged = AccessEvent.objects.filter(kind="claim_file")
    assert sorted(logged.values_list("object_id", "patient_id", "user_id")) == sorted(
        [(c.pk, c.patient_id, sender.pk) for c in (first, second)]
    )


def test_a_file_that_failed_validation_is_not_released_and_its_errors_are_shown(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    batch = sent(clinic, sender, approved(clinic, pt, sender))
    (file,) = BatchFile.objects.filter(batch=batch)
    BatchFile.objects.filter(pk=file.pk).update(
        valid=False, errors=["Loop 2010BA: the subscriber's member id is missing."]
    )

    assert boss.get(reverse("batch-file", args=[file.pk])).status_code == 404
    page = text_of(boss.get(reverse("batch-detail", args=[batch.pk])))
    assert "failed validation: not released" in page
    assert "Loop 2010BA: the subscriber's member id is missing." in page
    assert f'href="{reverse("batch-file", args=[file.pk])}"' not in page
    assert not AccessEvent.objects.filter(kind="claim_file").exists()


def test_another_clinics_owner_finds_neither_the_batch_nor_its_file_nor_its_forms(
    client_for: Any, clinic: Clinic, other_clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    batch = sent(clinic, sender, claim)
    (file,) = BatchFile.objects.filter(batch=batch)
    _, their_owner = another_clinics_approved_claim(other_clinic)
    stranger = client_for(their_owner)

    assert stranger.get(reverse("batch-detail", args=[batch.pk])).status_code == 404
    assert stranger.get(reverse("batch-file", args=[file.pk])).status_code == 404
    assert stranger.get(reverse("batch-forms", args=[batch.pk])).status_code == 404
    assert stranger.get(reverse("claim-form", args=[claim.pk])).status_code == 404
    assert not AccessEvent.objects.exists()


# ---- the CMS-1500 forms ------------------------------------------------------------------------


def test_the_cms1500_of_an_approved_claim_is_a_pdf_with_member_id_and_control_number(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    response = boss.get(reverse("claim-form", args=[claim.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "no-store" in response["Cache-Control"]
    text = pdf_text(response.content)
    assert claim.patient.member_id in text
    assert f"PTC{claim.pk}" in text
    (event,) = AccessEvent.objects.all()
    assert (event.kind, event.object_id, event.patient_id, event.user_id) == (
        "claim_form",
        claim.pk,
        claim.patient_id,
        sender.pk,
    )


def test_a_claim_still_in_review_is_not_printed(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    response = boss.get(reverse("claim-form", args=[claim.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("claim-detail", args=[claim.pk])
    assert "A claim is printed once it is approved." in text_of(boss.get(response["Location"]))
    assert not AccessEvent.objects.filter(kind="claim_form").exists()


def test_a_form_that_lacks_data_is_not_printed_and_says_what_is_missing(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    Patient.objects.filter(pk=claim.patient_id).update(address_line1="")
    detail = reverse("claim-detail", args=[claim.pk])
    response = boss.get(reverse("claim-form", args=[claim.pk]), HTTP_REFERER=detail)
    assert response.status_code == 302
    assert response["Location"] == detail
    page = text_of(boss.get(detail))
    assert "The form cannot be printed yet:" in page and "street address" in page
    assert not AccessEvent.objects.filter(kind="claim_form").exists()


def test_the_batch_forms_print_one_page_per_claim(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claims = [approved(clinic, pt, sender) for _ in range(3)]
    batch = sent(clinic, sender, *claims)
    response = boss.get(reverse("batch-forms", args=[batch.pk]))

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    assert len(reader.pages) == 3
    for page, claim in zip(reader.pages, claims, strict=True):
        assert claim.control_number in page.extract_text()
    assert sorted(
        AccessEvent.objects.filter(kind="claim_form").values_list("object_id", flat=True)
    ) == sorted(c.pk for c in claims)


# ---- a claim's life after review ---------------------------------------------------------------


def life_forms(page: str) -> set[str]:
    return set(re.findall(r'data-testid="life-([a-z]+)"', page))


def move(client: Client, claim: Claim, action: str, **data: Any) -> Any:
    claim.refresh_from_db()
    data.setdefault("version", claim.version)
    return client.post(reverse("claim-lifecycle", args=[claim.pk, action]), data, follow=True)


def submitted_claim(clinic: Clinic, pt: Any, sender: Any) -> Claim:
    claim: Claim = approved(clinic, pt, sender)
    sent(clinic, sender, claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    return claim


def test_a_submitted_claim_offers_to_mark_it_accepted_or_rejected(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    page = text_of(boss.get(reverse("claim-detail", args=[claim.pk])))
    assert 'data-testid="claim-life"' in page
    assert life_forms(page) == {"accepted", "rejected"}
    assert "Mark accepted</button>" in page and "Mark rejected</button>" in page


def test_marking_a_claim_accepted_shows_the_move_in_its_life(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    response = move(boss, claim, "accepted", note="277CA: accepted")

    page = text_of(response)
    assert "Marked accepted." in page
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACCEPTED
    events = page.split('data-testid="claim-events"', 1)[1].split("</ol>", 1)[0]
    assert "Submitted → <strong>Accepted</strong> by Bea Biller: 277CA: accepted" in events
    assert life_forms(page) == {"rejected", "correct", "void"}


def test_marking_a_claim_rejected_needs_the_reason(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    refused = move(boss, claim, "rejected", note="  ")
    assert "Give the rejection's reason" in text_of(refused)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED

    done = move(boss, claim, "rejected", note="Member id not on file")
    assert "Marked rejected: fix it and correct it to send it again." in text_of(done)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.REJECTED


def test_correcting_a_paid_claim_needs_the_payers_claim_number(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID)
    events_before = ClaimEvent.objects.filter(claim=claim).count()

    refused = move(boss, claim, "correct", note="One unit too many")
    assert "Give the payer's claim number of the original" in text_of(refused)
    claim.refresh_from_db()
    assert (claim.status, claim.frequency_code) == (ClaimStatus.PAID, "1")
    assert ClaimEvent.objects.filter(claim=claim).count() == events_before

    done = move(boss, claim, "correct", note="One unit too many", payer_claim_number="PCN-77")
    assert "The claim is back in review as a correction." in text_of(done)
    claim.refresh_from_db()
    assert (claim.status, claim.frequency_code, claim.payer_claim_number) == (
        ClaimStatus.NEEDS_REVIEW,
        "7",
        "PCN-77",
    )


@pytest.mark.parametrize(
    ("status", "action", "said"),
    [
        (ClaimStatus.NEEDS_REVIEW, "void", "needs review"),
        (ClaimStatus.NEEDS_REVIEW, "accepted", "needs review"),
        (ClaimStatus.APPROVED, "correct", "approved"),
        (ClaimStatus.SUBMITTED, "reopen", "submitted"),
        (ClaimStatus.VOIDED, "correct", "voided"),
        (ClaimStatus.SUBMITTED, "pay", "submitted"),  # no such action at all
    ],
)
def test_a_move_the_claims_status_does_not_offer_is_refused_and_changes_nothing(
    boss: Client, clinic: Clinic, pt: Any, sender: Any, status: str, action: str, said: str
) -> None:
    # An approved claim is approved by someone (its page names them); the others are set.
    claim = (
        approved(clinic, pt, sender) if status == ClaimStatus.APPROVED else make_claim(clinic, pt)
    )
    Claim.objects.filter(pk=claim.pk).update(status=status)
    claim.refresh_from_db()
    version = claim.version
    events = ClaimEvent.objects.filter(claim=claim).count()

    response = move(boss, claim, action, note="Because", payer_claim_number="PCN-1")
    assert f"That is not possible for a claim that is {said}." in text_of(response)
    claim.refresh_from_db()
    assert (claim.status, claim.version, claim.frequency_code) == (status, version, "1")
    assert ClaimEvent.objects.filter(claim=claim).count() == events


def test_a_move_from_a_stale_page_is_refused(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    response = move(boss, claim, "accepted", version=claim.version - 1)
    assert "was changed by someone else" in text_of(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_a_therapist_may_not_move_a_claim(
    client_for: Any, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = submitted_claim(clinic, pt, sender)
    response = client_for(pt).post(
        reverse("claim-lifecycle", args=[claim.pk, "accepted"]), {"version": claim.version}
    )
    assert response.status_code == 403
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


# ---- the charge master -------------------------------------------------------------------------


def charges_shown(page: str) -> dict[str, str]:
    """Code → its "Charge today" cell, read from the charge table."""
    rows = re.findall(
        r'<th scope="row" class="code-mono"><a [^>]*>([A-Z0-9]+)</a></th>\s*<td>.*?</td>\s*'
        r'<td class="text-end">(.*?)</td>',
        page,
        re.S,
    )
    return dict(rows)


def set_charge(client: Client, code: str, effective: dt.date, charge: str) -> Any:
    return client.post(
        reverse("charge-master"),
        {"code": code, "effective": effective.isoformat(), "charge": charge},
    )


def test_the_charge_master_lists_each_code_with_its_charge_today(
    boss: Client, clinic: Clinic
) -> None:
    shown = charges_shown(text_of(boss.get(reverse("charge-master"))))
    assert shown["97110"] == f"${TEST_CHARGE}"
    assert shown["97161"] == f"${TEST_CHARGE}"
    assert len(shown) > 10


def test_a_new_charge_shows_today_and_a_later_dated_one_waits_for_its_date(
    boss: Client, clinic: Clinic
) -> None:
    response = set_charge(boss, "97110", TODAY, "310.00")
    assert response.status_code == 302
    page = text_of(boss.get(response["Location"]))
    assert f"97110 is charged $310.00 a unit from {TODAY:%b} {TODAY.day}, {TODAY.year}." in page
    assert charges_shown(page)["97110"] == "$310.00"

    later = TODAY + dt.timedelta(days=30)
    assert set_charge(boss, "97110", later, "400.00").status_code == 302
    assert charges_shown(text_of(boss.get(reverse("charge-master"))))["97110"] == "$310.00"
    assert ChargeMasterEntry.objects.get(clinic=clinic, billing_code_id="97110", effective=later)


def test_an_unknown_code_is_refused_on_the_field_and_nothing_is_saved(
    boss: Client, clinic: Clinic
) -> None:
    before = ChargeMasterEntry.objects.filter(clinic=clinic).count()
    response = set_charge(boss, "99999", TODAY, "100.00")
    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["99999 is not in the code table."]
    assert ChargeMasterEntry.objects.filter(clinic=clinic).count() == before


def test_a_new_charge_reprices_the_open_claims_of_its_code_from_its_date(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    open_claim = make_claim(clinic, pt, days_ago=1)  # 30 minutes of 97110: 2 units
    earlier = make_claim(clinic, pt, days_ago=10)
    approved_claim = approved(clinic, pt, sender, days_ago=1)
    untouched = {c.pk: c.total_charge for c in (earlier, approved_claim)}
    assert open_claim.total_charge == 2 * Decimal(TEST_CHARGE)

    set_charge(boss, "97110", TODAY - dt.timedelta(days=1), "300.00")
    open_claim.refresh_from_db()
    assert open_claim.total_charge == Decimal("600.00")
    page = text_of(boss.get(reverse("claim-detail", args=[open_claim.pk])))
    assert 'data-testid="claim-charge">$600.00<' in page
    for claim in (earlier, approved_claim):
        claim.refresh_from_db()
        assert claim.total_charge == untouched[claim.pk]


def test_the_missing_charge_flag_goes_once_the_charge_exists(client_for: Any) -> None:
    bare = make_clinic(charges=False)
    therapist = make_member(bare, Role.THERAPIST, credential="PT")
    owner = make_member(bare, Role.OWNER)
    claim = make_claim(bare, therapist)
    (message,) = open_flags(claim, "charge-missing")
    assert message.startswith("97110 has no charge in the clinic's charge master")
    assert claim.total_charge is None

    response = set_charge(client_for(owner), "97110", TODAY - dt.timedelta(days=30), "120.00")
    assert response.status_code == 302
    assert open_flags(claim, "charge-missing") == []
    claim.refresh_from_db()
    assert claim.total_charge == Decimal("240.00")


# ---- the billing provider page -----------------------------------------------------------------


def billing_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "legal_name": "Riverbend Physical Therapy LLC",
        "tax_id": "12-3456789",
        "taxonomy": "225100000X",
        "address_line1": "400 River Road",
        "address_line2": "Suite 2",
        "city": "Sacramento",
        "state": "ca",
        "zip_code": "95814-1234",
        "phone": "916-555-0100",
        "place_of_service": "11",
        "pay_to_line1": "",
        "pay_to_city": "",
        "pay_to_state": "",
        "pay_to_zip_code": "",
        "submitter_id": "SUB999",
        "submitter_contact": "Bea Biller",
        "submitter_phone": "9165550199",
        "receiver_id": "CLEARHOUSE02",
        "receiver_name": "Other Clearinghouse",
    }
    data.update(overrides)
    return data


def test_the_billing_provider_page_saves_its_fields_with_the_state_in_capitals(
    boss: Client, clinic: Clinic
) -> None:
    response = boss.post(reverse("clinic-billing"), billing_post())
    assert response.status_code == 302
    assert response["Location"] == reverse("clinic-billing")
    clinic.refresh_from_db()
    assert (clinic.legal_name, clinic.tax_id, clinic.state, clinic.zip_code) == (
        "Riverbend Physical Therapy LLC",
        "12-3456789",
        "CA",
        "95814-1234",
    )
    assert (clinic.receiver_id, clinic.receiver_name) == ("CLEARHOUSE02", "Other Clearinghouse")
    page = text_of(boss.get(response["Location"]))
    assert "The clinic's billing details are saved." in page
    assert 'data-testid="setup-problems"' not in page


def test_a_bad_ein_is_refused_on_the_field_and_nothing_is_saved(
    boss: Client, clinic: Clinic
) -> None:
    response = boss.post(
        reverse("clinic-billing"), billing_post(tax_id="12-345", legal_name="Renamed LLC")
    )
    assert response.status_code == 200
    assert "is not a valid EIN" in response.context["form"].errors["tax_id"][0]
    assert "Nothing was saved" in text_of(response)
    clinic.refresh_from_db()
    assert (clinic.legal_name, clinic.tax_id) == ("Test Physical Therapy LLC", "123456789")


def test_saving_the_billing_page_scrubs_the_open_claims_again(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt)
    assert open_flags(claim, "claim-data-missing") == []

    # Five digits are a ZIP code, but the billing provider of an 837P needs ZIP+4.
    assert boss.post(reverse("clinic-billing"), billing_post(zip_code="95814")).status_code == 302
    (message,) = open_flags(claim, "claim-data-missing")
    assert "The clinic record" in message and "ZIP+4" in message

    assert (
        boss.post(reverse("clinic-billing"), billing_post(zip_code="958141234")).status_code == 302
    )
    assert open_flags(claim, "claim-data-missing") == []
    claim.refresh_from_db()
    assert claim.open_errors == 0


# ---- the live panel ----------------------------------------------------------------------------


def test_the_live_panel_shows_what_is_billed_and_the_saved_claim_bills_the_same(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic)
    make_plan(patient)
    data = post_data(patient, membership(pt, clinic), [("97110", "30", ""), ("97140", "15", "")])
    client = client_for(pt)

    panel = client.post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    panel_page = text_of(panel)
    assert "Billed (the clinic's charges)" in panel_page
    shown = re.search(r'data-testid="billed-total">\$([\d,.]+)<', panel_page)
    assert shown is not None
    assert Decimal(shown.group(1).replace(",", "")) == 3 * Decimal(TEST_CHARGE)  # 3 units

    assert client.post(reverse("session-new"), data).status_code == 302
    claim = TreatmentSession.objects.get(patient=patient).claim
    assert claim is not None
    assert claim.total_charge == Decimal(shown.group(1).replace(",", ""))


def test_the_live_panel_says_when_a_charge_is_missing(client_for: Any) -> None:
    bare = make_clinic(charges=False)
    therapist = make_member(bare, Role.THERAPIST, credential="PT")
    patient = make_patient(bare)
    make_plan(patient)
    data = post_data(patient, membership(therapist, bare), [("97110", "30", "")])
    panel = client_for(therapist).post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    assert re.search(
        r'data-testid="billed-total"><span class="text-danger">a charge is missing</span>',
        panel.content.decode(),
    )


# ---- the patient form's billing fields ---------------------------------------------------------


def patient_post(payer: Payer, **overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "first_name": "Lee",
        "last_name": "Ient",
        "date_of_birth": "1950-01-01",
        "mrn": "B-200",
        "primary_payer": payer.pk,
        "member_id": "1EG4TE5MK72",
        "sex": "F",
        "address_line1": "12 Oak Ave",
        "address_line2": "Apt 3",
        "city": "Sacramento",
        "state": "ca",
        "zip_code": "95814",
        "phone": "",
        "relationship": "01",
        "subscriber_first_name": "Sam",
        "subscriber_last_name": "Spouse",
        "subscriber_date_of_birth": "1948-05-06",
        "subscriber_sex": "M",
        "group_number": "GRP-9",
        "secondary_payer": "",
        "secondary_member_id": "",
    }
    data.update(overrides)
    return data


def test_the_patient_form_saves_the_address_sex_and_a_spouse_as_the_insured(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    medicare = Payer.objects.get(name="Medicare Part B")
    client = client_for(pt)
    response = client.post(reverse("patient-create"), patient_post(medicare))
    assert response.status_code == 302

    patient = Patient.objects.get(mrn="B-200")
    assert (patient.sex, patient.address_line1, patient.state, patient.zip_code) == (
        "F",
        "12 Oak Ave",
        "CA",
        "95814",
    )
    assert (
        patient.relationship,
        patient.subscriber_first_name,
        patient.subscriber_last_name,
        patient.subscriber_date_of_birth,
        patient.subscriber_sex,
        patient.group_number,
    ) == ("01", "Sam", "Spouse", dt.date(1948, 5, 6), "M", "GRP-9")
    page = text_of(client.get(response["Location"]))
    assert "12 Oak Ave, Apt 3, Sacramento CA 95814" in page
    assert "missing (claims need it)" not in page


@pytest.mark.parametrize("relationship", ["18", ""])
def test_choosing_self_as_the_insured_clears_the_insured_fields(
    client_for: Any, clinic: Clinic, pt: Any, relationship: str
) -> None:
    medicare = Payer.objects.get(name="Medicare Part B")
    patient = make_patient(
        clinic,
        mrn="B-200",
        relationship="01",
        subscriber_first_name="Sam",
        subscriber_last_name="Spouse",
        subscriber_date_of_birth=dt.date(1948, 5, 6),
        subscriber_sex="M",
    )
    response = client_for(pt).post(
        reverse("patient-update", args=[patient.pk]),
        patient_post(medicare, relationship=relationship),  # the old insured still typed in
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (
        patient.relationship,
        patient.subscriber_first_name,
        patient.subscriber_last_name,
        patient.subscriber_date_of_birth,
        patient.subscriber_sex,
    ) == ("18", "", "", None, "")


def test_the_patient_page_says_when_the_address_claims_need_is_missing(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic, address_line1="", city="", state="", zip_code="")
    page = text_of(client_for(pt).get(reverse("patient-detail", args=[patient.pk])))
    assert "missing (claims need it)" in page


def test_the_owners_home_counts_the_approved_claims_waiting_to_be_sent(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    approved(clinic, pt, sender)
    approved(clinic, pt, sender)
    page = re.sub(r"<[^>]+>", "", text_of(boss.get(reverse("home"))))
    assert "2 approved claims waiting to be sent." in page
