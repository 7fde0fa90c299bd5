"""Prior authorizations and the therapy amount used elsewhere in the Django admin, every change
kept (django-simple-history). They are a clinic's patient records: an admin sees and edits
only those of the clinics they are the admin of (a superuser, every clinic's). Clinic staff
keep them on the patient page."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from claims.models import Authorization, AuthorizedUnits, TherapyAmountUsed
from coding.admin import CodeTableAdmin
from ptclinic.admin_access import ClinicRecordAccess, ParentDecidesInline, admin_clinics


class ClinicPatientRecordAdmin(ClinicRecordAccess, CodeTableAdmin):
    """A record that belongs to a patient (`patient`), kept by the admins of the patient's
    clinic (ptclinic/admin_access.py), with the code tables' checked history pages."""

    clinic_path = "patient__clinic_id"
    raw_id_fields = ["patient"]  # a clinic may have thousands of patients: no select of all

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).select_related("patient")


class AuthorizedUnitsInline(ParentDecidesInline, admin.TabularInline):  # type: ignore[type-arg]  # django-stubs: generic over the model
    model = AuthorizedUnits
    extra = 1

    def parent_may_change(self, request: HttpRequest, obj: Any) -> bool:
        clinics = admin_clinics(request)
        return bool(clinics) and (obj is None or obj.patient.clinic_id in clinics)


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
