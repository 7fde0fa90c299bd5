"""Who may do what in the Django admin: two kinds of admin (README, "What each role does").

- The platform admin (Django staff) keeps what every clinic shares: the code tables, the shared
  payers and their rules, the CMS files, the clinics. They may read the shared tables' history.
- A clinic admin (the admin role in a clinic) keeps only that clinic's things: its settings,
  its charge master, the payers it added, its users' memberships and its patients' prior
  authorizations and therapy amounts. The shared tables are theirs to read, not to change.

The classes here are mixed into the model admins; each answers the admin's permission questions
from the user's roles (not Django's per-model permissions, which nobody is given).
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import Http404, HttpRequest

from ptclinic.roles import admin_clinic_ids, is_platform_admin, may_use_admin


def _clinics(request: HttpRequest) -> frozenset[int]:
    # Asked several times per admin page: once per request.
    cached: frozenset[int] | None = getattr(request, "_admin_clinic_ids", None)
    if cached is None:
        cached = admin_clinic_ids(request.user)
        request._admin_clinic_ids = cached  # type: ignore[attr-defined]  # a per-request cache
    return cached


class SharedTableAccess(admin.ModelAdmin):  # type: ignore[type-arg]  # mixed into many models
    """A table every clinic shares: the platform admin changes it, clinic admins read it."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)


class ClinicRecordAccess(admin.ModelAdmin):  # type: ignore[type-arg]  # mixed into many models
    """A record of one clinic (`clinic_path` leads from the record to its clinic's id): each
    clinic admin sees and keeps only their clinics' records; a platform admin who is no admin of
    the clinic does not see them (patients' records are the clinic's business)."""

    clinic_path = "clinic_id"
    #: The clinic admin may add records (a platform admin adds clinics, not their records).
    clinic_may_add = True
    clinic_may_delete = True

    def clinic_of(self, obj: Model) -> int | None:
        value: Any = obj
        for part in self.clinic_path.split("__"):
            value = getattr(value, part, None)
        return None if value is None else int(value)

    def _mine(self, request: HttpRequest, obj: Model | None) -> bool:
        clinics = _clinics(request)
        if not clinics:
            return False
        return obj is None or self.clinic_of(obj) in clinics

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            super().get_queryset(request).filter(**{f"{self.clinic_path}__in": _clinics(request)})
        )

    def has_module_permission(self, request: HttpRequest) -> bool:
        return bool(_clinics(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._mine(request, obj)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return self.clinic_may_add and bool(_clinics(request))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._mine(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.clinic_may_delete and self._mine(request, obj)

    def _in_scope(self, request: HttpRequest, object_id: str) -> None:
        # simple-history shows a record's history from the history table even when the record
        # is outside the admin's queryset: another clinic's would be one URL away.
        check_ids = getattr(self, "_check_ids", None)  # the code tables' id checks, if mixed in
        if check_ids is not None:
            check_ids(object_id)
        try:
            found = self.get_queryset(request).filter(pk=unquote(object_id)).exists()
        except (ValueError, ValidationError):  # not an id of this table at all
            found = False
        if not found:
            raise Http404("No such record.")

    def history_view(self, request: HttpRequest, object_id: str, *args: Any, **kw: Any) -> Any:
        self._in_scope(request, object_id)
        return super().history_view(request, object_id, *args, **kw)

    def history_form_view(self, request: HttpRequest, object_id: str, *args: Any, **kw: Any) -> Any:
        self._in_scope(request, object_id)
        return super().history_form_view(request, object_id, *args, **kw)  # type: ignore[misc]  # (see above)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        """A clinic or patient chosen on the form is one of the admin's clinics'."""
        target = db_field.related_model._meta.label
        if target == "ptclinic.Clinic":
            kwargs["queryset"] = db_field.related_model.objects.filter(pk__in=_clinics(request))
        elif target == "claims.Patient":
            kwargs["queryset"] = db_field.related_model.objects.filter(clinic__in=_clinics(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class ParentDecidesInline:
    """An inline answers as the page it is on: whoever may change the parent record (`obj`)
    may change its rows; whoever may use the admin may read them."""

    def parent_may_change(self, request: HttpRequest, obj: Any) -> bool:
        raise NotImplementedError

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return may_use_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.parent_may_change(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.parent_may_change(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.parent_may_change(request, obj)


def payer_may_change(request: HttpRequest, payer: Any) -> bool:
    """A shared payer (and its rules) is the platform admin's; a clinic's own payer is also its
    admin's. `payer` None: a new payer (a clinic admin's is their clinic's)."""
    if is_platform_admin(request.user):
        return True
    if payer is None:
        return bool(_clinics(request))
    return payer.clinic_id is not None and payer.clinic_id in _clinics(request)


def shared_or_own(request: HttpRequest, field: str = "clinic") -> Q:
    """Rows every clinic shares, or rows of the admin's own clinics."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__in": _clinics(request)})


def admin_clinics(request: HttpRequest) -> frozenset[int]:
    return _clinics(request)


class PlatformOnlyAccess(admin.ModelAdmin):  # type: ignore[type-arg]  # mixed into many models
    """Another package's admin (login attempts and lockouts, two-factor devices): the platform
    admin reads and deletes rows (deleting a lockout unlocks the user); nobody else sees them
    (usernames of every clinic)."""

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_platform_admin(request.user)


class PlatformReadOnlyAccess(PlatformOnlyAccess):
    """Another package's admin that the platform admin only reads: the job queue's own rows
    (a job is cancelled or retried by the queue, never by editing its row)."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


#: The apps whose admins are another package's: the platform admin's (PlatformOnlyAccess).
#: Apps whose admins only the platform admin opens: the login lockouts, and the job queue's
#: own tables (procrastinate, read-only; people follow their jobs on the Jobs pages).
PLATFORM_APPS = frozenset({"axes", "procrastinate"})
READ_ONLY_APPS = frozenset({"procrastinate"})
#: Apps whose admins are not shown at all: django-otp's device pages would show people's
#: two-factor secrets (a QR code of the key); a user's two-factor login is reset from the
#: user's page instead (ptclinic.admin.ClinicUserAdmin).
HIDDEN_APPS = frozenset({"otp_totp", "otp_static", "otp_email", "otp_hotp"})


def adopt_package_admins(site: admin.AdminSite) -> None:
    """Give other packages' model admins our permissions (after every admin module loaded):
    theirs ask for Django's per-model permissions, which nobody here is given."""
    for model, model_admin in list(site._registry.items()):
        if model._meta.app_label in HIDDEN_APPS:
            site.unregister(model)
        elif model._meta.app_label in PLATFORM_APPS and not isinstance(
            model_admin, PlatformOnlyAccess
        ):
            cls = type(model_admin)
            access = (
                PlatformReadOnlyAccess
                if model._meta.app_label in READ_ONLY_APPS
                else PlatformOnlyAccess
            )
            site.unregister(model)
            site.register(model, type(f"Platform{cls.__name__}", (access, cls), {}))
