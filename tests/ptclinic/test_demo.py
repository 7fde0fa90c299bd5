from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from ptclinic.demo import DEMO_PASSWORD
from ptclinic.models import Membership


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings) -> None:  # type: ignore[no-untyped-def]  # pytest-django's settings fixture
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins(settings) -> None:  # type: ignore[no-untyped-def]  # pytest-django's settings fixture
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = sorted(Membership.objects.values_list("user__username", "clinic__name", "role"))
    call_command("seed_demo", stdout=StringIO())
    assert sorted(Membership.objects.values_list("user__username", "clinic__name", "role")) == first
    assert "demo-pt" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    for username in ("demo-pt", "demo-pta", "demo-owner", "demo-admin", "demo-clinic-admin"):
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None


@pytest.mark.django_db
def test_the_demo_has_money_back_with_paid_adjusted_and_denied_lines(settings) -> None:  # type: ignore[no-untyped-def]  # pytest-django's settings fixture
    """`make run` shows remittances posted against the sent claims: paid, partly paid and
    denied claims, a denial a waived rule had flagged, one no rule caught, a payment on the
    worklist, and a claim returned to the PT with the reviewer's comment."""
    from claims.models import Claim, ClaimPayment, LinePayment
    from tests.conftest import load_reference_data

    settings.DEBUG = True
    load_reference_data()
    call_command("seed_demo", stdout=StringIO())
    statuses = set(Claim.objects.values_list("status", flat=True))
    assert {"paid", "partly_paid", "denied", "submitted", "returned"} <= statuses
    denied = LinePayment.objects.filter(denied=True)
    assert denied.filter(caught_note__contains="waived by").exists()
    assert denied.filter(caught_by_rule="").exists()
    assert LinePayment.objects.filter(denied=False, paid__gt=0).exists()
    assert ClaimPayment.objects.unmatched().count() == 1
    returned = Claim.objects.get(status="returned")
    assert returned.therapist.user.username == "demo-pt" and returned.return_comment
