"""Clinics, their members and users in the Django admin (who may do what:
ptclinic/admin_access.py). The platform admin adds clinics and sees every one; a clinic's admin
keeps their clinic's settings, members and the users who work only there."""

from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django_otp.plugins.otp_totp.models import TOTPDevice

from ptclinic.admin_access import ClinicRecordAccess, ParentDecidesInline, admin_clinics
from ptclinic.models import Clinic, Membership
from ptclinic.roles import is_platform_admin
from ptclinic.two_factor import two_factor_reset

User = get_user_model()


class MembershipInline(ParentDecidesInline, admin.TabularInline):  # type: ignore[type-arg]  # django-stubs: generic over the model
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]

    def parent_may_change(self, request: HttpRequest, obj: Any) -> bool:
        return is_platform_admin(request.user) or (
            obj is not None and obj.pk in admin_clinics(request)
        )


@admin.register(Clinic)
class ClinicAdmin(ClinicRecordAccess):
    """A clinic's own settings: its admin changes them; the platform admin adds clinics."""

    clinic_path = "pk"
    clinic_may_add = False
    clinic_may_delete = False
    list_display = ["name", "npi", "created_at"]
    search_fields = ["name", "npi"]
    inlines = [MembershipInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        if is_platform_admin(request.user):
            return Clinic.objects.all()
        return super().get_queryset(request)

    def _mine(self, request: HttpRequest, obj: Any) -> bool:
        return is_platform_admin(request.user) or super()._mine(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a clinic's claims and audit trail outlive it: close it, never delete


@admin.register(Membership)
class MembershipAdmin(ClinicRecordAccess):
    """Who works in which clinic, in which role. A clinic admin keeps their clinic's members."""

    list_display = ["user", "clinic", "role", "credential", "npi", "active"]
    list_filter = ["role", "credential", "active", "clinic"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "npi"]
    autocomplete_fields = ["user", "clinic"]
    clinic_may_delete = False  # ended by "active", so that the claims keep their clinician

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        if is_platform_admin(request.user):
            return Membership.objects.all()
        return rows

    def _mine(self, request: HttpRequest, obj: Any) -> bool:
        return is_platform_admin(request.user) or super()._mine(request, obj)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or super().has_module_permission(request)

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return is_platform_admin(request.user) or super().has_add_permission(request)


class UserMembershipInline(ParentDecidesInline, admin.TabularInline):  # type: ignore[type-arg]  # django-stubs: generic over the model
    """A user's memberships on their page; a clinic admin sees and adds their clinics' only."""

    model = Membership
    fk_name = "user"
    extra = 0
    fields = ["clinic", "role", "credential", "npi", "supervisor", "active"]
    raw_id_fields = ["supervisor"]
    can_delete = False

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request)
        if is_platform_admin(request.user):
            return rows
        return rows.filter(clinic__in=admin_clinics(request))

    def parent_may_change(self, request: HttpRequest, obj: Any) -> bool:
        return is_platform_admin(request.user) or bool(admin_clinics(request))

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "clinic" and not is_platform_admin(request.user):
            kwargs["queryset"] = Clinic.objects.filter(pk__in=admin_clinics(request))
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


admin.site.unregister(User)
# Who may do what comes from the roles (ptclinic/admin_access.py), not Django's groups.
admin.site.unregister(Group)


@admin.register(User)
class ClinicUserAdmin(UserAdmin):  # type: ignore[type-arg]  # django-stubs: generic over the model
    """Users. The platform admin sees everyone and the staff flags; a clinic admin sees the
    members of their clinics and may add users and change those who work only in their clinics
    (a user of another clinic too is that clinic's as well: a password change here would let
    this admin in there). Nobody is deleted: a user who leaves is made inactive."""

    limited_fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Personal info", {"fields": ("first_name", "last_name", "email")}),
        ("Access", {"fields": ("is_active", "last_login", "date_joined")}),
    )
    readonly_fields = ("last_login", "date_joined")
    inlines = [UserMembershipInline]
    list_display = ("username", "email", "first_name", "last_name", "is_staff", "two_factor_on")
    actions = ["reset_two_factor"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        users: QuerySet[Any] = (
            super()
            .get_queryset(request)
            .annotate(
                has_authenticator=Exists(
                    TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)
                )
            )
        )
        if is_platform_admin(request.user):
            return users
        members = Membership.objects.filter(user=OuterRef("pk"), clinic__in=admin_clinics(request))
        anywhere = Membership.objects.filter(user=OuterRef("pk"))
        # Their clinics' members, and a user just made who has no clinic yet (not staff).
        return users.filter(Exists(members) | (~Exists(anywhere) & Q(is_staff=False)))

    @admin.display(boolean=True, description="Two-factor", ordering="has_authenticator")
    def two_factor_on(self, user: Any) -> bool:
        return bool(user.has_authenticator)

    @admin.action(description="Reset two-factor login (lost phone and recovery codes)")
    def reset_two_factor(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        users = [u for u in queryset if self.has_change_permission(request, u)]
        skipped = queryset.count() - len(users)
        two_factor_reset(users)
        self.message_user(
            request,
            f"Two-factor login reset for {len(users)} user(s): at their next login, owners and "
            "admins set up an authenticator again."
            + (f" {skipped} not yours to change were left alone." if skipped else ""),
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = tuple(super().get_readonly_fields(request, obj))
        if request.user.is_superuser:
            return fields
        # Staff keep users; only a superuser makes superusers or hands out permissions.
        return (*fields, "is_superuser", "groups", "user_permissions")

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None or is_platform_admin(request.user):
            return super().get_fieldsets(request, obj)
        return self.limited_fieldsets

    def _only_mine(self, request: HttpRequest, user: Any) -> bool:
        if user.is_staff or user.is_superuser:
            return False
        clinics = set(
            Membership.objects.filter(user=user, active=True).values_list("clinic_id", flat=True)
        )
        return clinics <= admin_clinics(request)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user) or bool(admin_clinics(request))

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if is_platform_admin(request.user):
            return True
        if not admin_clinics(request):
            return False
        return obj is None or self._only_mine(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the audit trail names them: make a user inactive instead

    def user_change_password(self, request: HttpRequest, id: str, form_url: str = "") -> Any:
        user = self.get_object(request, id)
        if user is not None and not self.has_change_permission(request, user):
            raise PermissionDenied("This user works in another clinic too; ask its admin.")
        return super().user_change_password(request, id, form_url)
