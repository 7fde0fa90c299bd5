"""Prior authorizations and the therapy amount used elsewhere in the Django admin, every change
kept (django-simple-history). They are a clinic's patient records: an admin sees and edits
only those of the clinics they are the admin of (a superuser, every clinic's). Clinic staff
keep them on the patient page."""

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse

from claims.models import Authorization, AuthorizedUnits, Patient, TherapyAmountUsed
from coding.admin import CodeTableAdmin
from ptclinic.models import Membership, Role
from ptclinic.roles import is_code_admin


def _clinic_ids(request: HttpRequest) -> list[int] | None:
    """The clinics whose patient records the user may see here; None: every clinic."""
    if request.user.is_superuser:
        return None
    return list(
        Membership.objects.filter(user=request.user, role=Role.ADMIN, active=True).values_list(
            "clinic_id", flat=True
        )
    )


class ClinicPatientRecordAdmin(CodeTableAdmin):
    """A record that belongs to a patient (`patient`), scoped to the admin's clinics; the admin
    role's permissions and the checked history pages of the code tables."""

    raw_id_fields = ["patient"]  # a clinic may have thousands of patients: no select of all

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        rows = super().get_queryset(request).select_related("patient")
        clinics = _clinic_ids(request)
        return rows if clinics is None else rows.filter(patient__clinic__in=clinics)

    def _in_scope(self, request: HttpRequest, object_id: str) -> None:
        # simple-history shows a record's history from the history table even when the record
        # is outside the admin's queryset: another clinic's would be one URL away.
        self._check_ids(object_id)
        if not self.get_queryset(request).filter(pk=unquote(object_id)).exists():
            raise Http404("No such record.")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._in_scope(request, object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._in_scope(request, object_id)
        return super().history_form_view(request, object_id, version_id, extra_context)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "patient":
            clinics = _clinic_ids(request)
            patients = Patient.objects.all()
            kwargs["queryset"] = (
                patients if clinics is None else patients.filter(clinic__in=clinics)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


class AuthorizedUnitsInline(admin.TabularInline):  # type: ignore[type-arg]
    model = AuthorizedUnits
    extra = 1

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_code_admin(request.user)

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_code_admin(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_code_admin(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_code_admin(request.user)


@admin.register(Authorization)
class AuthorizationAdmin(ClinicPatientRecordAdmin):
    list_display = ["number", "patient", "payer", "start_date", "end_date", "visits"]
    list_filter = ["payer"]
    search_fields = ["number", "patient__last_name", "patient__mrn"]
    inlines = [AuthorizedUnitsInline]


@admin.register(TherapyAmountUsed)
class TherapyAmountUsedAdmin(ClinicPatientRecordAdmin):
    list_display = ["patient", "year", "amount", "as_of", "source"]
    list_filter = ["year"]
    search_fields = ["patient__last_name", "patient__mrn"]
