"""A claim's life as the services apply it (docs/billing-rules.md §11.3): each move checked,
applied and recorded (`ClaimEvent`), with a clear refusal when the move is not allowed."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from claims.models import Claim, ClaimEvent, ClaimFlag, ClaimStatus
from claims.services import (
    ClaimConflict,
    claim_approve,
    claim_correct,
    claim_mark,
    claim_reopen,
    claim_return,
    claim_void,
)
from tests.claims.test_review import make_claim

S = ClaimStatus


# ---- the services (database) ---------------------------------------------------------------


def approved_claim(clinic: Any, pt: Any, owner: Any) -> Claim:
    claim = make_claim(clinic, pt)
    assert claim.open_errors == 0, list(
        ClaimFlag.objects.filter(claim=claim).values_list("rule_id", "message")
    )
    return claim_approve(claim=claim, user=owner, version=claim.version)


def with_status(claim: Claim, status: str) -> Claim:
    """The claim as the payer's answer leaves it (the remittance issue will set these)."""
    Claim.objects.filter(pk=claim.pk).update(status=status)
    claim.refresh_from_db()
    return claim


def events(claim: Claim) -> list[tuple[str, str, Any, str]]:
    return [
        (e.from_status, e.to_status, e.user, e.note)
        for e in ClaimEvent.objects.filter(claim=claim).order_by("at", "id")
    ]


@pytest.mark.usefixtures("reference")
def test_correcting_a_paid_claim_without_the_payers_claim_number_is_refused(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.PAID)
    before = events(claim)
    with pytest.raises(ValidationError) as refused:
        claim_correct(claim=claim, user=owner, version=claim.version, reason="Wrong units")
    assert "payer's claim number" in " ".join(refused.value.messages)
    claim.refresh_from_db()
    assert (claim.status, claim.frequency_code) == (S.PAID, "1")
    assert events(claim) == before


@pytest.mark.usefixtures("reference")
def test_a_corrected_paid_claim_goes_back_to_review_as_a_replacement(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.PAID)
    claim = claim_correct(
        claim=claim,
        user=owner,
        version=claim.version,
        reason="97110 billed 2 units, the note supports 1",
        payer_claim_number=" 2026123456789 ",
    )
    assert claim.status == S.NEEDS_REVIEW
    assert (claim.frequency_code, claim.payer_claim_number) == ("7", "2026123456789")
    assert claim.decided_by is None
    assert not claim.is_read_only  # its therapist may edit the session again
    assert events(claim)[-1] == (
        S.PAID,
        S.NEEDS_REVIEW,
        owner,
        "Corrected: 97110 billed 2 units, the note supports 1",
    )


@pytest.mark.usefixtures("reference")
def test_a_correction_names_what_is_corrected(clinic: Any, pt: Any, owner: Any) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.DENIED)
    with pytest.raises(ValidationError, match="Say what is being corrected"):
        claim_correct(
            claim=claim, user=owner, version=claim.version, reason="  ", payer_claim_number="9"
        )


@pytest.mark.usefixtures("reference")
def test_a_corrected_rejected_claim_goes_again_as_an_original(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.SUBMITTED)
    claim = claim_mark(
        claim=claim, user=owner, version=claim.version, status=S.REJECTED, note="Member not found"
    )
    claim = claim_correct(claim=claim, user=owner, version=claim.version, reason="Member id fixed")
    assert (claim.status, claim.frequency_code, claim.payer_claim_number) == (
        S.NEEDS_REVIEW,
        "1",
        "",
    )


@pytest.mark.usefixtures("reference")
def test_a_rejected_replacement_is_corrected_as_a_replacement_again(
    clinic: Any, pt: Any, owner: Any
) -> None:
    """The clearinghouse rejected the replacement, so the payer still has the original on file:
    sent again as an original, the same visit would be billed twice (a duplicate claim)."""
    claim = with_status(approved_claim(clinic, pt, owner), S.PAID)
    claim = claim_correct(
        claim=claim, user=owner, version=claim.version, reason="Units", payer_claim_number="PCN1"
    )
    claim = claim_approve(claim=claim, user=owner, version=claim.version)
    claim = with_status(claim, S.SUBMITTED)
    claim = claim_mark(
        claim=claim, user=owner, version=claim.version, status=S.REJECTED, note="Bad REF*F8"
    )
    claim = claim_correct(claim=claim, user=owner, version=claim.version, reason="Fixed it")
    assert (claim.frequency_code, claim.payer_claim_number) == ("7", "PCN1")


@pytest.mark.usefixtures("reference")
def test_voiding_a_denied_claim_approves_it_as_a_void(clinic: Any, pt: Any, owner: Any) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.DENIED)
    claim = claim_void(
        claim=claim,
        user=owner,
        version=claim.version,
        reason="Billed to the wrong payer",
        payer_claim_number="2026999",
    )
    assert (claim.status, claim.frequency_code, claim.payer_claim_number) == (
        S.APPROVED,
        "8",
        "2026999",
    )
    assert claim.decided_by == owner
    assert events(claim)[-1] == (S.DENIED, S.APPROVED, owner, "Void: Billed to the wrong payer")


@pytest.mark.usefixtures("reference")
def test_a_void_names_the_payers_claim_number(clinic: Any, pt: Any, owner: Any) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.PAID)
    with pytest.raises(ValidationError, match="payer's claim number"):
        claim_void(claim=claim, user=owner, version=claim.version, reason="Duplicate")
    claim.refresh_from_db()
    assert claim.status == S.PAID


@pytest.mark.usefixtures("reference")
def test_an_approved_claim_never_sent_cannot_be_voided(clinic: Any, pt: Any, owner: Any) -> None:
    claim = approved_claim(clinic, pt, owner)
    with pytest.raises(ValidationError) as refused:
        claim_void(
            claim=claim,
            user=owner,
            version=claim.version,
            reason="Not needed",
            payer_claim_number="123",
        )
    assert "simply not sent" in " ".join(refused.value.messages)
    claim.refresh_from_db()
    assert (claim.status, claim.frequency_code) == (S.APPROVED, "1")


@pytest.mark.usefixtures("reference")
def test_marking_a_claim_rejected_needs_the_clearinghouses_reason(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.SUBMITTED)
    with pytest.raises(ValidationError, match="rejection's reason"):
        claim_mark(claim=claim, user=owner, version=claim.version, status=S.REJECTED, note=" ")
    claim.refresh_from_db()
    assert claim.status == S.SUBMITTED
    claim = claim_mark(
        claim=claim,
        user=owner,
        version=claim.version,
        status=S.REJECTED,
        note="2010BA NM109 invalid",
    )
    assert claim.status == S.REJECTED
    assert events(claim)[-1] == (S.SUBMITTED, S.REJECTED, owner, "2010BA NM109 invalid")


@pytest.mark.usefixtures("reference")
@pytest.mark.parametrize(
    ("status", "mark", "message"),
    [
        (S.APPROVED, S.ACCEPTED, "cannot become accepted"),  # never sent
        (S.SUBMITTED, S.PAID, "marked accepted or rejected"),  # the remittance says paid
    ],
)
def test_only_a_sent_claim_is_marked_and_only_accepted_or_rejected(
    clinic: Any, pt: Any, owner: Any, status: str, mark: str, message: str
) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), status)
    with pytest.raises(ValidationError, match=message):
        claim_mark(claim=claim, user=owner, version=claim.version, status=mark, note="ok")
    claim.refresh_from_db()
    assert claim.status == status


@pytest.mark.usefixtures("reference")
def test_an_approved_claim_can_be_reopened_to_review(clinic: Any, pt: Any, owner: Any) -> None:
    claim = approved_claim(clinic, pt, owner)
    with pytest.raises(ValidationError, match="Say why"):
        claim_reopen(claim=claim, user=owner, version=claim.version, reason="")
    claim = claim_reopen(
        claim=claim, user=owner, version=claim.version, reason="Wrong date of service"
    )
    assert claim.status == S.NEEDS_REVIEW
    assert (claim.decided_by, claim.decided_at) == (None, None)
    assert events(claim)[-1] == (S.APPROVED, S.NEEDS_REVIEW, owner, "Wrong date of service")


@pytest.mark.usefixtures("reference")
def test_a_sent_claim_cannot_be_reopened(clinic: Any, pt: Any, owner: Any) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.SUBMITTED)
    with pytest.raises(ValidationError, match="submitted cannot become needs review"):
        claim_reopen(claim=claim, user=owner, version=claim.version, reason="Oops")


@pytest.mark.usefixtures("reference")
def test_a_move_from_a_stale_page_is_refused(clinic: Any, pt: Any, owner: Any) -> None:
    claim = with_status(approved_claim(clinic, pt, owner), S.PAID)
    with pytest.raises(ClaimConflict, match="changed by someone else"):
        claim_correct(
            claim=claim,
            user=owner,
            version=claim.version - 1,
            reason="Units",
            payer_claim_number="PCN1",
        )
    claim.refresh_from_db()
    assert claim.status == S.PAID


@pytest.mark.usefixtures("reference")
def test_every_move_leaves_an_event_with_from_to_who_and_why(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt)
    claim = claim_return(claim=claim, user=owner, version=claim.version, comment="Add the goal")
    with_status(claim, S.NEEDS_REVIEW)  # the therapist's resubmission, not under test here
    claim = claim_approve(claim=claim, user=owner, version=claim.version)
    claim = claim_reopen(claim=claim, user=owner, version=claim.version, reason="Wrong date")
    claim = claim_approve(claim=claim, user=owner, version=claim.version)
    claim = with_status(claim, S.SUBMITTED)  # a batch file (tests/claims/submission)
    claim = claim_mark(claim=claim, user=owner, version=claim.version, status=S.ACCEPTED, note="")
    claim = claim_mark(
        claim=claim, user=owner, version=claim.version, status=S.REJECTED, note="Member not found"
    )
    claim = claim_correct(claim=claim, user=owner, version=claim.version, reason="Member id")
    claim = claim_approve(claim=claim, user=owner, version=claim.version)

    assert events(claim) == [
        ("", S.NEEDS_REVIEW, pt, "Created from the treatment session"),
        (S.NEEDS_REVIEW, S.RETURNED, owner, "Add the goal"),
        (S.NEEDS_REVIEW, S.APPROVED, owner, ""),
        (S.APPROVED, S.NEEDS_REVIEW, owner, "Wrong date"),
        (S.NEEDS_REVIEW, S.APPROVED, owner, ""),
        (S.SUBMITTED, S.ACCEPTED, owner, ""),
        (S.ACCEPTED, S.REJECTED, owner, "Member not found"),
        (S.REJECTED, S.NEEDS_REVIEW, owner, "Corrected: Member id"),
        (S.NEEDS_REVIEW, S.APPROVED, owner, ""),
    ]
    assert all(e.at is not None for e in ClaimEvent.objects.filter(claim=claim))
