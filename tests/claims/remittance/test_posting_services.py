"""Posting 835 files to claims: matching, money per line, denials traced to rules, the claim's
status and history, idempotency, the worklist, and files that cannot be posted."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from claims.models import (
    Adjustment,
    ClaimEvent,
    ClaimFlag,
    ClaimPayment,
    ClaimStatus,
    LinePayment,
    RemittanceFile,
)
from claims.remittance.answers import Denial, claim_answer, payment_of
from claims.remittance.sample import write_835
from claims.remittance.services import (
    AlreadyPosted,
    payment_dismiss,
    payment_match,
    remittance_post,
)
from claims.services import claim_correct, flag_settle
from claims.submission.services import batch_create
from tests.claims.submission.test_batches import approved
from tests.claims.test_review import make_claim
from tests.conftest import make_member

pytestmark = pytest.mark.usefixtures("reference")

PAID_ON = dt.date(2026, 11, 20)


@pytest.fixture
def sender(clinic: Any) -> Any:
    """The owner who sends the clinic's claims (the clearinghouse is set up)."""
    clinic.receiver_id = "CLEARHOUSE01"
    clinic.receiver_name = "Test Clearinghouse"
    clinic.save()
    return make_member(clinic, "owner", first_name="Bea", last_name="Biller")


def sent(clinic: Any, pt: Any, owner: Any, **kwargs: Any) -> Any:
    claim = approved(clinic, pt, owner, **kwargs)
    batch_create(clinic=clinic, user=owner, claim_ids=[claim.pk])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    return claim


def era_file(clinic: Any, claims: list[Any], *, trace: str = "EFT100", **answer: Any) -> bytes:
    answers = [claim_answer(claim, **answer) for claim in claims]
    payment = payment_of(clinic, claims[0].payer, answers, trace_number=trace, paid_on=PAID_ON)
    return write_835(payment).encode()


def post(clinic: Any, user: Any, content: bytes, name: str = "era.835") -> RemittanceFile:
    return remittance_post(clinic=clinic, user=user, content=content, filename=name)


def test_a_paid_claim_gets_its_money_per_line_and_becomes_paid(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    upload = post(clinic, sender, era_file(clinic, [claim]))
    assert (upload.claim_count, upload.matched_count) == (1, 1)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert claim.payer_claim_number == f"{claim.pk:013d}"
    (payment,) = claim.payments.all()
    assert payment.outcome == "paid"
    lines = list(LinePayment.objects.filter(payment=payment).order_by("id"))
    assert [line.claim_line_id for line in lines] == [
        line.pk for line in claim.lines.order_by("position")
    ]
    for line in lines:
        allowed = line.claim_line.expected_amount
        assert line.allowed == allowed
        assert line.patient_responsibility == (allowed * Decimal("0.2")).quantize(Decimal("0.01"))
        assert not line.denied
    reasons = set(Adjustment.objects.filter(payment=payment).values_list("group", "reason"))
    assert {("PR", "2"), ("CO", "253")} <= reasons
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert (event.from_status, event.to_status, event.payment) == ("submitted", "paid", payment)
    assert "EFT EFT100" in event.note


def test_the_same_file_twice_posts_once_and_says_so(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    first = post(clinic, sender, content)
    with pytest.raises(AlreadyPosted) as raised:
        post(clinic, sender, content, "again.835")
    assert raised.value.existing == first
    assert "already posted" in raised.value.messages[0]
    assert ClaimPayment.objects.filter(claim=claim).count() == 1


def test_the_same_payment_in_another_file_posts_once(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim]))
    # The clearinghouse sends the same payment again in a new interchange (another ISA13).
    resent = era_file(clinic, [claim]).replace(b"*000000001*", b"*000000002*")
    upload = post(clinic, sender, resent, "resent.835")
    assert (upload.claim_count, upload.already_posted) == (0, 1)
    assert ClaimPayment.objects.filter(claim=claim).count() == 1


def test_a_denied_line_makes_the_claim_partly_paid_and_names_the_waived_rule(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = make_claim(clinic, pt, rows=(("97110", 30), ("97140", 15)))
    # A warning the reviewer waived before sending: a modifier rule.
    flag = ClaimFlag.objects.create(
        claim=claim, rule_id="gp-missing", severity="warning", message="GP?", line_code="97140"
    )
    flag_settle(
        flag=flag, user=sender, version=claim.version, note="Payer does not need it", waive=True
    )
    claim.refresh_from_db()
    from claims.services import claim_approve

    claim = claim_approve(claim=claim, user=sender, version=claim.version)
    batch_create(clinic=clinic, user=sender, claim_ids=[claim.pk])
    post(
        clinic,
        sender,
        era_file(clinic, [claim], denials={"97140": Denial("4", remark="N519")}),
    )
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTLY_PAID
    denied = LinePayment.objects.get(payment__claim=claim, denied=True)
    assert (denied.code, denied.denial_code, denied.denial_family) == ("97140", "CO-4", "Modifiers")
    assert denied.caught_by_rule == "gp-missing"
    assert "waived by" in denied.caught_note and "Payer does not need it" in denied.caught_note
    assert denied.remarks == ["N519"]


def test_a_denial_no_rule_flagged_says_so(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim], denials={"97110": Denial("50")}))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.DENIED
    line = LinePayment.objects.get(payment__claim=claim)
    assert line.denied and line.denial_code == "CO-50" and line.caught_by_rule == ""
    assert line.caught_note.startswith("No rule caught this")
    assert line.expected_amount == claim.lines.get().expected_amount


def test_a_denied_claim_is_corrected_as_a_replacement_naming_the_payers_number(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim], denials={"97110": Denial("16")}))
    claim.refresh_from_db()
    corrected = claim_correct(claim=claim, user=sender, version=claim.version, reason="Add NPI")
    assert corrected.status == ClaimStatus.NEEDS_REVIEW
    assert (corrected.frequency_code, corrected.payer_claim_number) == ("7", f"{claim.pk:013d}")


def test_a_payment_for_an_unknown_claim_waits_on_the_worklist_until_matched(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim]).replace(
        f"CLP*{claim.control_number}*".encode(), b"CLP*XYZ999*"
    )
    upload = post(clinic, sender, content)
    assert (upload.claim_count, upload.matched_count) == (1, 0)
    (waiting,) = ClaimPayment.objects.for_clinic(clinic).unmatched()
    assert "No claim" in waiting.problem
    with pytest.raises(ValidationError):
        payment_match(payment=waiting, claim=claim, user=sender, note="  ")
    payment_match(payment=waiting, claim=claim, user=sender, note="Typo in the payer's file")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID
    assert not ClaimPayment.objects.for_clinic(clinic).unmatched().exists()
    assert LinePayment.objects.filter(payment=waiting, claim_line__isnull=False).count() == 1


def test_a_dismissed_payment_leaves_the_worklist_without_posting(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim]).replace(
        f"CLP*{claim.control_number}*".encode(), b"CLP*OTHER1*"
    )
    post(clinic, sender, content)
    (waiting,) = ClaimPayment.objects.for_clinic(clinic).unmatched()
    payment_dismiss(payment=waiting, user=sender, note="Another clinic's patient")
    assert not ClaimPayment.objects.for_clinic(clinic).unmatched().exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_a_payment_for_a_claim_not_sent_goes_to_the_worklist(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    upload = post(clinic, sender, era_file(clinic, [claim]))
    assert upload.matched_count == 0
    (waiting,) = ClaimPayment.objects.for_clinic(clinic).unmatched()
    assert "approved" in waiting.problem
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_another_clinics_claim_number_is_never_matched(
    clinic: Any, other_clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    upload = remittance_post(
        clinic=other_clinic, user=sender, content=era_file(clinic, [claim]), filename="x.835"
    )
    assert upload.matched_count == 0
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_a_reversal_takes_a_paid_claim_back_to_accepted(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim]))
    post(clinic, sender, era_file(clinic, [claim], trace="EFT200", status_code="22"))
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.ACCEPTED


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"", "empty"),
        (b"hello, this is not X12", "not an X12 file"),
        (b"ISA*00*short~", "not a readable X12 file"),
    ],
)
def test_a_file_that_cannot_be_read_posts_nothing_and_says_why(
    clinic: Any, sender: Any, content: bytes, says: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        post(clinic, sender, content)
    assert says in " ".join(raised.value.messages)
    assert not RemittanceFile.objects.exists()


def test_a_cut_off_file_posts_nothing(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    with pytest.raises(ValidationError) as raised:
        post(clinic, sender, content[: content.index(b"SE*")])
    assert "cut off" in " ".join(raised.value.messages)
    assert not ClaimPayment.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_an_amount_that_is_not_a_number_posts_nothing(clinic: Any, pt: Any, sender: Any) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    broken = content.replace(
        f"CLP*{claim.control_number}*1*".encode(), f"CLP*{claim.control_number}*1*ABC*".encode()
    )
    with pytest.raises(ValidationError) as raised:
        post(clinic, sender, broken)
    assert "is not an amount" in " ".join(raised.value.messages)
    assert not RemittanceFile.objects.exists()
