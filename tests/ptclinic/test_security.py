"""Login lockout, idle sessions, the Content-Security-Policy and the access audit trail."""

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import AccessEvent
from tests.conftest import PASSWORD, make_clinic, make_member, make_patient

pytestmark = pytest.mark.usefixtures("reference")


def login(client: Client, username: str, password: str) -> Any:
    return client.post(reverse("login"), {"username": username, "password": password})


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(pt: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = login(client, pt.username, "wrong-password")
        assert response.status_code == 200
        assert "Please enter a correct username and password" in response.content.decode()
    locked = login(client, pt.username, "wrong-password")
    assert locked.status_code == 429
    assert "Too many failed log-ins" in locked.content.decode()
    again = login(client, pt.username, PASSWORD)
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session


def test_a_successful_login_before_the_limit_resets_the_count(pt: Any) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        login(client, pt.username, "wrong-password")
    assert login(client, pt.username, PASSWORD).status_code == 302
    client.post(reverse("logout"))
    assert login(client, pt.username, "wrong-password").status_code == 200


def test_an_idle_session_expires_and_asks_for_login_again(client_for: Any, pt: Any) -> None:
    assert settings.SESSION_COOKIE_AGE == 30 * 60  # the default idle timeout
    client = client_for(pt)
    assert client.get(reverse("home")).status_code == 200
    Session.objects.update(expire_date=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_activity_keeps_the_session_alive(client_for: Any, pt: Any) -> None:
    client = client_for(pt)
    client.get(reverse("home"))
    Session.objects.update(expire_date=timezone.now() + dt.timedelta(minutes=1))
    client.get(reverse("home"))
    assert Session.objects.get().expire_date > timezone.now() + dt.timedelta(minutes=25)


def test_a_busy_session_is_written_at_most_once_a_minute(client_for: Any, pt: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(pt)
    client.get(reverse("home"))
    expiry = Session.objects.get().expire_date
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(reverse("home")).status_code == 200
    writes = [q["sql"] for q in ctx.captured_queries if "UPDATE" in q["sql"].upper()]
    assert not [sql for sql in writes if "django_session" in sql]
    assert Session.objects.get().expire_date == expiry
    # A minute on, the next request pushes the expiry back to the full idle timeout.
    age = dt.timedelta(seconds=settings.SESSION_COOKIE_AGE)
    Session.objects.update(expire_date=timezone.now() + age - dt.timedelta(seconds=61))
    client.get(reverse("home"))
    assert Session.objects.get().expire_date > timezone.now() + age - dt.timedelta(seconds=5)


def test_pages_carry_a_csp_whose_nonce_is_on_every_script(client_for: Any, pt: Any) -> None:
    response = client_for(pt).get(reverse("session-new"))
    policy = response["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "object-src 'none'" in policy
    assert "unsafe-eval" not in policy
    nonce = re.search(r"'nonce-([^']+)'", policy).group(1)  # type: ignore[union-attr]  # the policy has a nonce
    html = response.content.decode()
    for tag in re.findall(r"<script[^>]*>", html):
        assert "src=" in tag or f'nonce="{nonce}"' in tag, tag
    assert "hx-on" not in html and "onclick=" not in html


def test_opening_a_patient_or_claim_is_logged_and_owners_can_browse_it(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    patient = make_patient(clinic, last_name="Quincy")
    client_for(pt).get(reverse("patient-detail", args=[patient.pk]))
    event = AccessEvent.objects.get()
    assert (event.user, event.patient, event.kind) == (pt, patient, "patient")

    page = client_for(owner).get(reverse("access-log")).content.decode()
    assert "Quincy" in page and pt.username in page
    partial = (
        client_for(owner)
        .get(reverse("access-log"), {"q": "nobody"}, HTTP_HX_REQUEST="true")
        .content.decode()
    )
    assert "<html" not in partial and 'data-testid="access-empty"' in partial


def test_the_access_log_is_for_owners_and_admins_of_the_clinic(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    assert client_for(pt).get(reverse("access-log")).status_code == 403
    other = make_clinic(name="Other Street PT")
    stranger_patient = make_patient(other, last_name="Elsewhere")
    stranger = make_member(other, "therapist")
    client_for(stranger).get(reverse("patient-detail", args=[stranger_patient.pk]))
    assert AccessEvent.objects.count() == 1
    assert "Elsewhere" not in client_for(owner).get(reverse("access-log")).content.decode()


def test_a_signed_in_page_is_never_cached_and_carries_a_permissions_policy(
    client_for: Any, pt: Any
) -> None:
    response = client_for(pt).get("/patients/")
    cache = response.headers["Cache-Control"]
    assert "no-store" in cache and "private" in cache
    assert "camera=()" in response.headers["Permissions-Policy"]
    assert "Server" not in response.headers


def test_the_login_page_carries_the_policy_too(client: Any) -> None:
    response = client.get("/accounts/login/")
    assert "geolocation=()" in response.headers["Permissions-Policy"]


@pytest.mark.django_db
def test_readyz_answers_when_the_database_does(client: Any) -> None:
    response = client.get("/readyz/")
    assert (response.status_code, response.content) == (200, b"ready")


@pytest.mark.django_db
def test_readyz_is_503_when_the_database_cannot_be_reached(
    client: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.db import OperationalError, connection

    def down(*args: Any, **kwargs: Any) -> Any:
        raise OperationalError("connection refused")

    monkeypatch.setattr(connection, "cursor", down)
    response = client.get("/readyz/")
    assert response.status_code == 503
    assert b"database" in response.content


def test_browsers_asking_for_favicon_ico_get_the_icon(client: Any) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response.headers["Location"].endswith(".svg")


@pytest.mark.parametrize("host", ["evil.example", "bad host", "\x00", "a" * 300])
def test_a_bad_host_header_is_a_400_never_a_500(client: Any, host: str) -> None:
    assert client.get("/accounts/login/", HTTP_HOST=host).status_code == 400


def _started(client: Client, hours_ago: float) -> None:
    """Move the client's login back in time."""
    import time

    from ptclinic.middleware import LOGIN_AT_SESSION_KEY

    session = client.session
    session[LOGIN_AT_SESSION_KEY] = time.time() - hours_ago * 3600
    session.save()


def test_a_login_ends_after_twelve_hours_however_active(client_for: Any, pt: Any) -> None:
    assert settings.SESSION_ABSOLUTE_SECONDS == 12 * 3600
    client = client_for(pt)
    _started(client, 11.9)
    assert client.get(reverse("home")).status_code == 200
    _started(client, 12.1)
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
    assert client.get(reverse("home")).status_code == 302  # the session is gone


@pytest.mark.parametrize(
    ("password", "refused"),
    [
        ("short-pw-1", True),  # under 12 characters
        ("password1234", True),  # a common password
        ("ptclinic-demo", True),  # the demo's password, with DEBUG off
        ("a-long-unguessable-phrase", False),
    ],
)
def test_passwords_are_long_uncommon_and_never_the_demo_one(
    pt: Any, settings: Any, password: str, refused: bool
) -> None:
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    settings.DEBUG = False
    if refused:
        with pytest.raises(ValidationError):
            validate_password(password, pt)
    else:
        validate_password(password, pt)


def test_the_demo_password_may_be_set_on_a_development_machine(pt: Any, settings: Any) -> None:
    from django.contrib.auth.password_validation import validate_password

    from ptclinic.demo import DEMO_PASSWORD

    settings.DEBUG = True
    validate_password(DEMO_PASSWORD, pt)


def _login_from(client: Client, username: str, password: str, address: str) -> Any:
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR="10.0.0.2",  # the TLS proxy, the same for everyone
        HTTP_X_FORWARDED_FOR=f"198.51.100.77, {address}",  # the first part is the client's say
    )


def test_behind_the_proxy_a_stranger_locks_only_their_own_address(pt: Any, settings: Any) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    stranger, therapist = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        last = _login_from(stranger, pt.username, "guessing", "203.0.113.5")
    assert last.status_code == 429
    assert _login_from(stranger, pt.username, PASSWORD, "203.0.113.5").status_code == 429
    # The therapist, at the clinic's address, still signs in.
    assert _login_from(therapist, pt.username, PASSWORD, "203.0.113.9").status_code == 302


def test_without_a_trusted_proxy_the_forwarded_header_is_not_believed(pt: Any) -> None:
    from django.test import RequestFactory

    from ptclinic.http import client_address

    request = RequestFactory().get("/", REMOTE_ADDR="192.0.2.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "192.0.2.1"


def test_guessing_from_many_addresses_locks_the_username_everywhere(pt: Any, settings: Any) -> None:
    """The second, higher limit: per username from all addresses together (ptclinic/lockout.py)."""
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_USERNAME_FAILURE_LIMIT = settings.AXES_FAILURE_LIMIT + 3
    stranger, therapist = Client(), Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login_from(stranger, pt.username, "guessing", "203.0.113.5")
    # One address locked: the therapist elsewhere still signs in (and out again).
    assert _login_from(therapist, pt.username, PASSWORD, "203.0.113.9").status_code == 302
    therapist.post(reverse("logout"))
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        assert _login_from(stranger, pt.username, "guessing", address).status_code == 200
    refused = _login_from(therapist, pt.username, PASSWORD, "203.0.113.9")
    assert "locked for a while" in refused.content.decode()
    assert "_auth_user_id" not in therapist.session
    # Another user is not affected.
    other = make_member(make_clinic(), first_name="Other")
    assert _login_from(Client(), other.username, PASSWORD, "203.0.113.9").status_code == 302


def test_the_username_lock_ends_with_the_lockout_time(pt: Any, settings: Any) -> None:
    from axes.models import AccessAttempt

    settings.LOGIN_USERNAME_FAILURE_LIMIT = 2
    for address in ("198.51.100.1", "198.51.100.2"):
        _login_from(Client(), pt.username, "guessing", address)
    assert (
        "locked for a while"
        in _login_from(Client(), pt.username, PASSWORD, "203.0.113.9").content.decode()
    )
    AccessAttempt.objects.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME)
    assert _login_from(Client(), pt.username, PASSWORD, "203.0.113.9").status_code == 302
