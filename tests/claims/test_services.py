"""Service-level guarantees of the review actions: stale pages, re-scrubs, bulk approval."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError

from claims.models import ClaimFlag, ClaimStatus, FlagStatus
from claims.scrubbing import open_claims_rescrub
from claims.services import (
    ClaimConflict,
    claim_approve,
    claim_line_update,
    claim_rescrub,
    claims_bulk_approve,
    flag_settle,
)
from tests.claims.test_review import make_claim
from tests.conftest import make_clinic, make_member

pytestmark = pytest.mark.usefixtures("reference")


def test_a_rescrub_that_changes_the_flags_makes_older_pages_stale(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    seen = claim.version
    session = claim.session
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


def test_a_rescrub_that_changes_nothing_keeps_the_version_and_history(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    history = claim.history.count() + ClaimFlag.history.filter(claim_id=claim.pk).count()
    claim = claim_rescrub(claim=claim, user=owner)
    assert claim.version == 1
    assert claim.history.count() + ClaimFlag.history.filter(claim_id=claim.pk).count() == history


def test_an_approved_claim_is_not_rescrubbed(clinic: Any, pt: Any, owner: Any) -> None:
    claim = make_claim(clinic, pt)
    claim = claim_approve(claim=claim, user=owner, version=claim.version)
    with pytest.raises(ValidationError, match="approved"):
        claim_rescrub(claim=claim, user=owner)
    assert open_claims_rescrub()[0] == 0


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


def test_a_line_raised_from_zero_units_is_priced_from_the_suggestion(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt)
    line = claim.lines.get()
    per_unit = line.expected_amount / line.units
    claim = claim_line_update(
        line=line, user=owner, version=claim.version, units=0, modifiers=["GP"], reason="x"
    )
    line.refresh_from_db()
    claim = claim_line_update(
        line=line, user=owner, version=claim.version, units=1, modifiers=["GP"], reason="back"
    )
    line.refresh_from_db()
    assert line.expected_amount == per_unit.quantize(line.expected_amount)
