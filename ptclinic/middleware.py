import time
from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import SESSION_KEY as AUTH_SESSION_KEY
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_cache_control

from ptclinic.http import HtmxHttpRequest
from ptclinic.models import Clinic, Membership

ACTIVE_CLINIC_SESSION_KEY = "active_clinic_id"
LOGIN_AT_SESSION_KEY = "login_at"
RENEW_AFTER_SECONDS = 60


def session_login_record(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """At login (Django's `user_logged_in`): when this login began, for the absolute limit."""
    request.session[LOGIN_AT_SESSION_KEY] = time.time()


class SessionRenewalMiddleware:
    """The idle timeout: a session lasts SESSION_COOKIE_AGE from the user's last request, and
    the absolute one: a login lasts at most SESSION_ABSOLUTE_SECONDS (12 hours) from its start,
    whatever the activity (HIPAA §164.312(a)(2)(iii), automatic logoff).

    SESSION_SAVE_EVERY_REQUEST would do it with a database write (and commit) on every request;
    here a session read from the database (ptclinic.sessions) is saved again, with a new expiry
    and cookie, only once it has less than SESSION_COOKIE_AGE − 60 s left: at most once a minute
    per user. An idle session so ends 29 to 30 minutes after the last request. Listed after
    SessionMiddleware, so that its answer is ready when SessionMiddleware decides to save.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        session = getattr(request, "session", None)
        if session is not None and AUTH_SESSION_KEY in session:
            started = session.get(LOGIN_AT_SESSION_KEY)
            if started is None:  # a session from before the absolute limit: it starts now
                session[LOGIN_AT_SESSION_KEY] = time.time()
            elif time.time() - started > settings.SESSION_ABSOLUTE_SECONDS:
                # However active, a login lasts at most this long: sign in again.
                session.flush()
        response = self.get_response(request)
        expiry = getattr(session, "stored_expiry", None)
        if session is not None and expiry is not None and not session.modified:
            left = (expiry - timezone.now()).total_seconds()
            if left < settings.SESSION_COOKIE_AGE - RENEW_AFTER_SECONDS:
                session.modified = True
        return response


class ActiveClinicMiddleware:
    """Puts the user's active clinic and their roles in it on the request.

    `request.clinic` is None for a user with no active membership; views that touch clinic data
    are guarded by `ptclinic.roles.role_required`, which turns that into a 403.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # Django hands over a plain HttpRequest: setting these is what makes it the
        # HtmxHttpRequest the views are annotated with.
        clinic_request = cast(HtmxHttpRequest, request)
        clinic_request.clinic = None
        clinic_request.clinic_memberships = []
        clinic_request.memberships = []
        clinic_request.clinics = []
        clinic_request.roles = frozenset()
        if request.user.is_authenticated:
            self._attach(clinic_request)
        return self.get_response(request)

    def _attach(self, request: HtmxHttpRequest) -> None:
        memberships = list(Membership.objects.for_user(request.user))
        request.memberships = memberships
        if not memberships:
            return
        clinics: dict[int, Clinic] = {m.clinic_id: m.clinic for m in memberships}
        active_id = request.session.get(ACTIVE_CLINIC_SESSION_KEY)
        if active_id not in clinics:
            active_id = min(clinics, key=lambda pk: clinics[pk].name)
            request.session[ACTIVE_CLINIC_SESSION_KEY] = active_id
        mine = [m for m in memberships if m.clinic_id == active_id]
        request.clinic = clinics[active_id]
        request.clinic_memberships = mine
        request.clinics = sorted(clinics.values(), key=lambda c: c.name)
        request.roles = frozenset(m.role for m in mine)


# Browser features no page of ptclinic uses: a page can never ask for them (HIPAA's "minimum
# necessary" for the device: no camera, microphone or location on a billing tool).
PERMISSIONS_POLICY = (
    "camera=(), microphone=(), geolocation=(), payment=(), usb=(), serial=(), bluetooth=(), "
    "display-capture=(), browsing-topics=()"
)


class ResponseHeadersMiddleware:
    """Headers on every answer of the app: a Permissions-Policy, and no caching of any page
    answered to a signed-in user (patient data must not stay in a browser's or a proxy's
    cache: `Cache-Control: no-store`). Static files are answered by WhiteNoise before this."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            add_never_cache_headers(response)
            patch_cache_control(response, private=True)
        return response
