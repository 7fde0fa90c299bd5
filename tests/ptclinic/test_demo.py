from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.test import RequestFactory

from ptclinic.demo import DEMO_PASSWORD
from ptclinic.models import Membership


@pytest.mark.django_db
def test_seed_demo_refuses_to_run_with_debug_off(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--force"):
        call_command("seed_demo", stdout=StringIO())
    assert not Membership.objects.exists()


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_the_logins(settings) -> None:  # type: ignore[no-untyped-def]
    settings.DEBUG = True
    out = StringIO()
    call_command("seed_demo", stdout=out)
    first = sorted(Membership.objects.values_list("user__username", "clinic__name", "role"))
    call_command("seed_demo", stdout=StringIO())
    assert sorted(Membership.objects.values_list("user__username", "clinic__name", "role")) == first
    assert "demo-pt" in out.getvalue() and DEMO_PASSWORD in out.getvalue()
    for username in ("demo-pt", "demo-pta", "demo-owner", "demo-admin"):
        request = RequestFactory().post("/accounts/login/")
        assert authenticate(request, username=username, password=DEMO_PASSWORD) is not None
