"""Role checks for views. Roles are per clinic: what a user may do depends on the active clinic."""

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.http.response import HttpResponseBase

from ptclinic.http import HtmxHttpRequest
from ptclinic.models import Clinic, Membership, Role

View = Callable[..., HttpResponseBase]  # a page or a streamed file


def has_role(request: HttpRequest, *roles: str) -> bool:
    return bool(getattr(request, "roles", frozenset()) & set(roles))


def is_platform_admin(user: Any) -> bool:
    """The platform admin (Django staff) keeps what every clinic shares: the code tables, the
    shared payers and their rules, the CMS files, the clinics themselves."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.is_superuser))


def admin_clinic_ids(user: Any) -> frozenset[int]:
    """The clinics whose admin `user` is: their settings, charge master, own payers, users and
    patient records in the Django admin. A superuser is every clinic's."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    memberships = Membership.objects.filter(role=Role.ADMIN, active=True)
    if not user.is_superuser:
        memberships = memberships.filter(user=user)
    return frozenset(memberships.values_list("clinic_id", flat=True))


def may_use_admin(user: Any) -> bool:
    """The Django admin is for the platform admin and for clinic admins."""
    return is_platform_admin(user) or bool(admin_clinic_ids(user))


def role_required(*roles: str) -> Callable[[View], View]:
    """Deny (403) unless the user holds one of `roles` in the active clinic."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if request.clinic is None or not has_role(request, *roles):
                raise PermissionDenied("Your role in this clinic does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def clinic_required(view: View) -> View:
    """Deny (403) a user who belongs to no clinic: there is no data they may see."""

    @wraps(view)
    def wrapper(request: HtmxHttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if request.clinic is None:
            raise PermissionDenied("You are not a member of any clinic.")
        return view(request, *args, **kwargs)

    return wrapper


def active_clinic(request: HtmxHttpRequest) -> Clinic:
    """The active clinic, for a view behind role_required or clinic_required (or shown only to
    a role in the clinic), where it is never None. Says so to the type checker; should it be
    None after all, the same 403 as clinic_required."""
    if request.clinic is None:
        raise PermissionDenied("You are not a member of any clinic.")
    return request.clinic


def therapist_membership(request: HttpRequest) -> Membership | None:
    memberships: list[Membership] = getattr(request, "clinic_memberships", [])
    for membership in memberships:
        if membership.role == Role.THERAPIST:
            return membership
    return None
