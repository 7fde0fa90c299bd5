"""Service-level guarantees of the review actions: stale pages, re-scrubs, bulk approval."""

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from claims.jobs import rescrub_start
from claims.models import ClaimFlag, ClaimStatus, FlagStatus
from claims.services import (
    ClaimConflict,
    claim_approve,
    claim_line_update,
    claim_rescrub,
    claims_bulk_approve,
    flag_settle,
)
from coding.models import FeeYear, RelativeValue
from coding.pricing import PriceLine, PricingRequest, RvuSplit, compute_expected_amount
from tests.claims.test_review import make_claim
from tests.conftest import make_clinic, make_member

pytestmark = pytest.mark.usefixtures("reference")


def test_a_rescrub_that_changes_the_flags_makes_older_pages_stale(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    seen = claim.version
    session = claim.sessions.get()
    session.medical_necessity = (
        "Skilled therapist progression of exercise is needed to restore safe gait and stair "
        "climbing after the knee replacement, with cues for the quadriceps."
    )
    session.save()
    claim = claim_rescrub(claim=claim, user=owner)
    assert claim.version == seen + 1
    assert not claim.flags.filter(rule_id="necessity-missing", status=FlagStatus.OPEN).exists()
    with pytest.raises(ClaimConflict):
        claim_approve(claim=claim, user=owner, version=seen)


def test_a_rescrub_that_changes_nothing_keeps_the_version_and_records_who_ran_it(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    flags = ClaimFlag.history.filter(claim_id=claim.pk).count()
    history = claim.history.count()
    claim = claim_rescrub(claim=claim, user=owner)
    assert claim.version == 1
    assert ClaimFlag.history.filter(claim_id=claim.pk).count() == flags
    assert claim.history.count() == history + 1
    latest = claim.history.first()
    assert latest.history_user == owner
    assert latest.history_change_reason == "Re-scrubbed by the reviewer: no finding changed"


def test_a_rescrub_that_changes_the_flags_records_who_ran_it(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    session = claim.sessions.get()
    session.medical_necessity = (
        "Skilled therapist progression of exercise is needed to restore safe gait and stair "
        "climbing after the knee replacement, with cues for the quadriceps."
    )
    session.save()
    claim_rescrub(claim=claim, user=owner)
    assert claim.history.first().history_user == owner
    removed = ClaimFlag.history.filter(claim_id=claim.pk, history_type="-").get()
    assert (removed.rule_id, removed.history_user) == ("necessity-missing", owner)


def test_an_approved_claim_is_not_rescrubbed(clinic: Any, pt: Any, owner: Any) -> None:
    claim = make_claim(clinic, pt)
    claim = claim_approve(claim=claim, user=owner, version=claim.version)
    with pytest.raises(ValidationError, match="approved"):
        claim_rescrub(claim=claim, user=owner)
    job = rescrub_start(user=owner)
    assert (job.status, job.result["count"], job.message) == (
        "done",
        0,
        "No open claim to re-scrub.",
    )


def test_settling_a_flag_that_a_rescrub_removed_is_a_conflict(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    flag = claim.flags.get(rule_id="necessity-missing")
    ClaimFlag.objects.filter(pk=flag.pk).delete()
    with pytest.raises(ClaimConflict, match="scrubbed again"):
        flag_settle(flag=flag, user=owner, version=None, note="fixed", waive=False)


def test_bulk_approve_counts_what_it_could_not_approve(clinic: Any, pt: Any, owner: Any) -> None:
    clean = make_claim(clinic, pt)
    with_error = make_claim(clinic, pt, necessity="")
    elsewhere = make_claim(other := make_clinic(name="Other PT"), make_member(other))
    approved, skipped = claims_bulk_approve(
        clinic=clinic, user=owner, claim_ids=[clean.pk, with_error.pk, elsewhere.pk]
    )
    assert (approved, skipped) == (1, 2)
    clean.refresh_from_db()
    elsewhere.refresh_from_db()
    assert clean.status == ClaimStatus.APPROVED
    assert elsewhere.status == ClaimStatus.NEEDS_REVIEW


def test_a_reviewers_change_of_units_is_priced_as_it_is_not_pro_rata(
    clinic: Any, pt: Any, owner: Any
) -> None:
    """docs/billing-rules.md §10.11: 3 units of 97110 lose half their practice expense on two
    units (MPPR), not 3/2 of the 2-unit amount."""
    claim = make_claim(clinic, pt)  # 97110, 30 minutes: 2 units for Medicare
    line = claim.lines.get()
    two_units = line.expected_amount
    claim = claim_line_update(
        line=line, user=owner, version=claim.version, units=3, modifiers=["GP"], reason="longer"
    )
    line.refresh_from_db()
    rvu = RelativeValue.objects.get(billing_code="97110", year=claim.date_of_service.year)
    # Medicare's amount: the RVUs at national GPCIs (the test clinic has no locality) x CF.
    cf = FeeYear.objects.get(year=claim.date_of_service.year).conversion_factor
    fee = ((rvu.work_rvu + rvu.pe_rvu + rvu.mp_rvu) * cf).quantize(Decimal("0.01"))
    expected = compute_expected_amount(
        PricingRequest(
            lines=(
                PriceLine(
                    "97110",
                    3,
                    fee,
                    always_therapy=True,
                    rvu=RvuSplit(rvu.work_rvu, rvu.pe_rvu, rvu.mp_rvu),
                ),
            ),
            applies_mppr=True,
            applies_cq_reduction=True,
        )
    ).total
    assert line.expected_amount == expected
    assert line.expected_amount != (two_units / 2 * 3).quantize(Decimal("0.01"))
    claim.refresh_from_db()
    assert claim.expected_amount == expected
    assert claim.total_units == 3


def test_a_reviewer_setting_0_units_takes_the_line_off_the_claim(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, rows=(("97110", 30), ("97140", 15)))
    line = claim.lines.get(billing_code="97140")
    claim = claim_line_update(
        line=line, user=owner, version=claim.version, units=0, modifiers=["GP"], reason="dup"
    )
    claim.refresh_from_db()
    assert list(claim.lines.values_list("billing_code", flat=True)) == ["97110"]
    assert claim.total_units == 2
    assert claim.expected_amount == claim.lines.get().expected_amount
    # The documentation keeps the minutes.
    assert claim.sessions.get().services.filter(billing_code="97140", minutes=15).exists()
