"""`manage.py generate_load_data` at a tiny size: the rows hang together and the open claims are
scrubbed. On PostgreSQL this runs the COPY path, on SQLite the bulk_create one."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Count, F, Q

from claims.management.commands.generate_load_data import LOAD_PASSWORD
from claims.models import (
    Claim,
    ClaimFlag,
    ClaimLine,
    ClaimStatus,
    FlagStatus,
    PlanOfCare,
    SessionService,
    TreatmentSession,
)
from ptclinic.models import Clinic, Membership, Role

pytestmark = pytest.mark.usefixtures("reference")

TINY = ["--clinics", "2", "--therapists", "3", "--patients", "8", "--lines", "400"]


def generate(*extra: str) -> str:
    out = StringIO()
    call_command("generate_load_data", *TINY, "--days", "30", "--batch", "40", *extra, stdout=out)
    return out.getvalue()


def test_it_makes_the_clinics_people_and_at_least_the_lines_asked_for() -> None:
    output = generate()
    assert "claim lines" in output
    assert Clinic.objects.filter(name__startswith="Load clinic").count() == 2
    assert Membership.objects.filter(role=Role.OWNER).count() == 2
    assert Membership.objects.filter(role=Role.THERAPIST).count() == 6
    assert ClaimLine.objects.count() >= 400
    owner = get_user_model().objects.get(username="load-owner-1")
    assert owner.check_password(LOAD_PASSWORD)


def test_every_session_has_its_services_and_a_claim_with_lines() -> None:
    generate()
    sessions = TreatmentSession.objects.annotate(n=Count("services"))
    assert sessions.count() == Claim.objects.count() > 0
    assert not sessions.filter(n=0).exists()
    assert SessionService.objects.count() >= sessions.count()
    assert not Claim.objects.annotate(n=Count("lines")).filter(n=0).exists()
    assert not TreatmentSession.objects.exclude(patient=F("claim__patient")).exists()
    assert not TreatmentSession.objects.exclude(
        date_of_service=F("claim__date_of_service")
    ).exists()
    claim = Claim.objects.first()
    assert claim is not None
    assert claim.total_units == sum(claim.lines.values_list("units", flat=True))
    assert claim.diagnoses == claim.sessions.get().diagnoses
    assert PlanOfCare.objects.exists()


def test_old_claims_are_approved_and_recent_ones_open_and_scrubbed() -> None:
    generate()
    approved = Claim.objects.filter(status=ClaimStatus.APPROVED)
    open_claims = Claim.objects.exclude(status=ClaimStatus.APPROVED)
    assert approved.exists() and open_claims.exists()
    assert not approved.filter(decided_by=None).exists()
    # The open claims went through the real scrubber: their counts are their open flags.
    counted = open_claims.annotate(
        errors=Count("flags", filter=Q(flags__status=FlagStatus.OPEN, flags__severity="error")),
        warnings=Count("flags", filter=Q(flags__status=FlagStatus.OPEN, flags__severity="warning")),
    )
    assert ClaimFlag.objects.exists()
    for claim in counted:
        assert (claim.open_errors, claim.open_warnings) == (claim.errors, claim.warnings)


def test_it_refuses_to_run_twice() -> None:
    generate("--no-scrub")
    with pytest.raises(CommandError, match="already there"):
        generate()
