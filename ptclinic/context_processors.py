from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from ptclinic.models import Role
from ptclinic.roles import is_platform_admin


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str] | None  # None: everyone signed in
    # The path prefix(es) that mark the entry as current ("" is the home page only).
    section: str | tuple[str, ...]

    def match_length(self, path: str) -> int:
        """How long a prefix of `path` this entry claims (0: none); the longest match wins."""
        sections = (self.section,) if isinstance(self.section, str) else self.section
        best = 0
        for prefix in sections:
            if (prefix == "" and path == "/") or (prefix and path.startswith(f"/{prefix}/")):
                best = max(best, len(prefix) + 1)
        return best


# The navbar, in order. Each page lands here when it is built.
NAV: tuple[NavEntry, ...] = (
    NavEntry("Home", "home", None, ""),
    NavEntry(
        "Reference",
        "code-list",
        None,
        ("codes", "icd10", "modifiers", "payers", "rules", "adjustment-codes"),
    ),
    NavEntry(
        "Patients", "patient-list", frozenset({Role.THERAPIST, Role.OWNER}), ("patients", "plans")
    ),
    NavEntry("Review queue", "review-queue", frozenset({Role.OWNER}), ("review", "claims")),
    NavEntry("New session", "session-new", frozenset({Role.THERAPIST}), ("sessions/new",)),
    NavEntry("My sessions", "session-list", frozenset({Role.THERAPIST}), ("sessions",)),
    NavEntry("Access log", "access-log", frozenset({Role.OWNER, Role.ADMIN}), ("audit",)),
    NavEntry("Billing", "batch-list", frozenset({Role.OWNER}), ("billing",)),
    NavEntry("Clinic", "clinic-settings", frozenset({Role.OWNER}), ("clinic/",)),
    NavEntry("Jobs", "jobs", frozenset({Role.OWNER, Role.ADMIN, "platform-admin"}), ("jobs",)),
    NavEntry("Admin", "admin:index", frozenset({Role.ADMIN, "platform-admin"}), "admin"),
)
ADMIN_ENTRY = "platform-admin"  # not a clinic role: what shows the Admin entry to staff


def clinic(request: HttpRequest) -> dict[str, Any]:
    roles: frozenset[str] = getattr(request, "roles", frozenset())
    user = getattr(request, "user", None)  # none on an error page raised before the login
    platform_admin = user is not None and is_platform_admin(user)
    return {
        "is_platform_admin": platform_admin,
        "active_clinic": getattr(request, "clinic", None),
        "user_clinics": getattr(request, "clinics", []),
        "is_therapist": Role.THERAPIST in roles,
        "is_owner": Role.OWNER in roles,
        "is_admin": Role.ADMIN in roles or platform_admin,
        # The admin is the platform admin's whichever clinic is active.
        "nav_items": _nav_items(request, roles | {ADMIN_ENTRY} if platform_admin else roles),
        # django-htmx puts this nonce on its <script> tags (Content-Security-Policy).
        "csp_nonce": getattr(request, "csp_nonce", ""),
    }


def _nav_items(request: HttpRequest, roles: frozenset[str]) -> list[dict[str, Any]]:
    user = getattr(request, "user", None)  # none on an error page raised before the login
    if user is None or not user.is_authenticated:
        return []
    entries = [e for e in NAV if e.roles is None or roles & e.roles]
    lengths = [e.match_length(request.path) for e in entries]
    best = max(lengths, default=0)
    return [
        {"label": e.label, "url": reverse(e.url_name), "active": best > 0 and length == best}
        for e, length in zip(entries, lengths, strict=True)
    ]


def reference_gaps(request: HttpRequest) -> dict[str, Any]:
    """The periods with reference data missing (coding.coverage), for the admins and owners who
    can act on it. Lazy: the query runs only when a page shows the banner (base.html), not for
    htmx partials."""
    roles: frozenset[str] = getattr(request, "roles", frozenset())
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not roles & {Role.ADMIN, Role.OWNER}:
        return {"reference_gaps": ()}

    def gaps() -> list[str]:
        from coding.coverage import reference_gaps

        return reference_gaps(timezone.localdate())

    return {"reference_gaps": SimpleLazyObject(gaps)}
