"""Small request helpers shared by the apps' views, and the request type they see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest
from django.utils.http import url_has_allowed_host_and_scheme

if TYPE_CHECKING:
    from django.contrib.auth.models import User
    from django_htmx.middleware import HtmxDetails

    from ptclinic.models import Clinic, Membership


class HtmxHttpRequest(HttpRequest):
    """A request once the middleware has run, for the views' annotations (the django-htmx
    example's pattern): django-htmx's HtmxMiddleware sets `htmx`, and
    ptclinic.middleware.ActiveClinicMiddleware sets the clinic attributes, on every request.
    `user` is a real user: LoginRequiredMiddleware turns anyone else away from views that
    take this type (a view marked @login_not_required takes a plain HttpRequest).

    Never instantiated: Django builds the request, this only tells mypy what it carries."""

    htmx: HtmxDetails
    clinic: Clinic | None  # None: no active membership (role_required answers 403)
    clinic_memberships: list[Membership]  # the user's memberships in the active clinic
    memberships: list[Membership]  # the user's active memberships in every clinic
    clinics: list[Clinic]  # every clinic the user belongs to, by name
    roles: frozenset[str]  # the user's roles (ptclinic.models.Role) in the active clinic
    user: User


def safe_next(request: HttpRequest, fallback: str) -> str:
    """The POSTed `next` when it is a path on this site, else `fallback`.

    Only paths: `redirect()` would take "home" or "1" for a view name (a 500), and a full URL
    could send the user to another site."""
    return safe_path(request, request.POST.get("next", ""), fallback)


def safe_path(request: HttpRequest, path: str, fallback: str) -> str:
    """`path` when it is a path on this site (as `safe_next` says), else `fallback`."""
    if path.startswith("/") and url_has_allowed_host_and_scheme(
        path, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return path
    return fallback


def client_address(request: HttpRequest) -> str | None:
    """The address of the person's computer, as the trusted proxies in front of the app saw it.

    Behind TRUSTED_PROXY_COUNT proxies (the TLS proxy, a load balancer), REMOTE_ADDR is the
    nearest proxy's, the same for everyone: locking logins by it would let one stranger lock a
    therapist out. Each trusted proxy appends the address it received from to
    X-Forwarded-For, so the client is the entry that many places from the right; entries
    further left were written by the client and are not believed. With no trusted proxy
    (the default) it is REMOTE_ADDR."""
    from django.conf import settings

    count = settings.TRUSTED_PROXY_COUNT
    remote = request.META.get("REMOTE_ADDR")
    if count <= 0:
        return remote
    forwarded: list[str] = [
        p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    forwarded = [p for p in forwarded if p]
    if len(forwarded) < count:
        return remote  # not through all the proxies: the nearest one is what is known
    return forwarded[-count][:45]


def wants_partial(request: HttpRequest) -> bool:
    """An htmx request for a page's region: the view answers the partial. A history restore
    (the browser's back button after the cache is gone) wants the whole page."""
    htmx: HtmxDetails | None = getattr(request, "htmx", None)
    return htmx is not None and bool(htmx) and not htmx.history_restore_request
