from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from ptclinic.models import Role


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    roles: frozenset[str] | None  # None: everyone signed in
    section: str  # the first path segment that marks the entry as current


# The navbar, in order. Each page lands here when it is built.
NAV: tuple[NavEntry, ...] = (
    NavEntry("Home", "home", None, ""),
    NavEntry("Admin", "admin:index", frozenset({Role.ADMIN}), "admin"),
)


def clinic(request: HttpRequest) -> dict[str, Any]:
    roles = getattr(request, "roles", frozenset())
    return {
        "active_clinic": getattr(request, "clinic", None),
        "user_clinics": getattr(request, "clinics", []),
        "is_therapist": Role.THERAPIST in roles,
        "is_owner": Role.OWNER in roles,
        "is_admin": Role.ADMIN in roles,
        "nav_items": _nav_items(request, roles),
    }


def _nav_items(request: HttpRequest, roles: frozenset[str]) -> list[dict[str, Any]]:
    if not request.user.is_authenticated:
        return []
    section = request.path.strip("/").split("/", 1)[0]
    return [
        {"label": e.label, "url": reverse(e.url_name), "active": e.section == section}
        for e in NAV
        if e.roles is None or roles & e.roles
    ]
