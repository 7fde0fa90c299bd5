"""The code tables in the Django admin: edited by the admin role, every change kept with
django-simple-history, CSV import (with a preview and a per-row error list) and export."""

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import tablib
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from import_export import fields
from import_export.admin import ImportExportModelAdmin
from import_export.widgets import ForeignKeyWidget
from simple_history.admin import SimpleHistoryAdmin

from coding.admin_import_checks import CheckedImportMixin, CodeTableResource
from coding.jobs import rescrub_after_edit
from coding.models import (
    BillingCode,
    ChargeMasterEntry,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Icd10Code,
    Modifier,
    Pairing,
    Payer,
    PayerRule,
    RelativeValue,
    UnitLimit,
)
from ptclinic.admin_access import (
    ClinicRecordAccess,
    ParentDecidesInline,
    SharedTableAccess,
    admin_clinics,
    payer_may_change,
    shared_or_own,
)
from ptclinic.models import Clinic, Job, JobStatus
from ptclinic.roles import is_platform_admin, may_use_admin
from ptclinic.spreadsheets import spreadsheet_safe

if TYPE_CHECKING:
    _ModelAdmin = admin.ModelAdmin[Any]
else:
    _ModelAdmin = object


class CodeTableAccess(SharedTableAccess):
    """Code tables are shared by all clinics: the platform admin changes them, clinic admins
    read them (ptclinic/admin_access.py)."""


class CodeTableAdmin(SimpleHistoryAdmin, CodeTableAccess):
    """A code table whose every change is kept (django-simple-history)."""

    def _check_ids(self, object_id: str, version_id: str = "1") -> None:
        # simple-history looks the ids in the URL up unchecked: "x" for a number was a 500.
        try:
            self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            raise Http404("No such record.") from None
        if not (version_id.isascii() and version_id.isdigit()):
            raise Http404("No such version.")

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._check_ids(object_id)
        return super().history_view(request, object_id, extra_context)

    def history_form_view(
        self, request: HttpRequest, object_id: str, version_id: str, extra_context: Any = None
    ) -> HttpResponse:
        self._check_ids(object_id, version_id)
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response


class RescrubsOpenClaims(_ModelAdmin):
    """A code table the claims are scrubbed with: an admin's save or delete of its rows (one
    row, the delete action, a CSV import) re-scrubs the open claims they bear on, as a job
    (`claims.jobs.rescrub_start`, coalesced with a waiting one of the same scope), and says so
    with a link to the job. The rows before and after the change both count: a fee moved from
    one code to another bears on the claims of both.

    ``rescrub_codes``: the row's fields holding a billing code (the claims with a line of one);
    ``rescrub_payer``: the path from the row to its payer ("": the row is the payer; the claims
    billed to it); neither: the row bears on every open claim (a fee year)."""

    rescrub_codes: tuple[str, ...] = ()
    rescrub_payer: str | None = None

    def rescrub_rows(self, request: HttpRequest, rows: Iterable[Model | None]) -> Job | None:
        codes: set[str] = set()
        payers: dict[int, int | None] = {}  # payer id → its clinic's (None: a shared payer)
        for row in rows:
            if row is None:
                continue
            codes.update(c for c in (getattr(row, f) for f in self.rescrub_codes) if c)
            if self.rescrub_payer is not None:
                payer: Any = getattr(row, self.rescrub_payer) if self.rescrub_payer else row
                payers[payer.pk] = payer.clinic_id
        everything = not self.rescrub_codes and self.rescrub_payer is None
        if not (everything or codes or payers):
            return None
        owners = set(payers.values())
        # A clinic's own payer: its claims are that clinic's, and so is the job (its page).
        clinic = None
        if not codes and len(owners) == 1 and (owner := owners.pop()) is not None:
            clinic = Clinic.objects.get(pk=owner)
        job = rescrub_after_edit(
            user=request.user,
            codes=codes,
            payer_ids=payers,
            everything=everything,
            clinic=clinic,
        )
        if job is not None:
            self._rescrub_message(request, job)
        return job

    def _rescrub_message(self, request: HttpRequest, job: Job) -> None:
        from claims.jobs import open_claims_in_scope

        link = reverse("job-detail", args=[job.pk])
        if job.status == JobStatus.FAILED:
            messages.warning(
                request,
                format_html(
                    'The re-scrub of the open claims this change bears on failed: <a href="{}">'
                    "see the job</a>.",
                    link,
                ),
            )
            return
        done = job.status == JobStatus.DONE
        count = (
            int(job.result.get("count", 0))
            if done
            else open_claims_in_scope(job.params, job.clinic_id).count()
        )
        messages.info(
            request,
            format_html(
                '{} {} open claim{} this change bears on: <a href="{}">see the job</a>.',
                "Re-scrubbed" if done else "Re-scrubbing",
                f"{count:,}",
                "" if count == 1 else "s",
                link,
            ),
        )

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change and obj.pk is not None:
            obj._rescrub_before = type(obj)._default_manager.filter(pk=obj.pk).first()
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # "Save" on a form left as it was changes nothing: no re-scrub.
        form.instance._rescrub_unchanged = change and not (
            form.has_changed() or any(formset.has_changed() for formset in formsets)
        )

    # After the row and its inlines are saved (a payer's rules), and after a revert to an
    # earlier version (simple-history), which saves the row only.
    def response_add(
        self, request: HttpRequest, obj: Any, post_url_continue: str | None = None
    ) -> HttpResponse:
        response = super().response_add(request, obj, post_url_continue)
        self.rescrub_rows(request, [obj])
        return response

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        response = super().response_change(request, obj)
        if not getattr(obj, "_rescrub_unchanged", False):
            self.rescrub_rows(request, [getattr(obj, "_rescrub_before", None), obj])
        return response

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        super().delete_model(request, obj)
        self.rescrub_rows(request, [obj])

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> None:
        rows = list(queryset)
        super().delete_queryset(request, queryset)
        self.rescrub_rows(request, rows)


class ImportExportCodeTableAdmin(
    RescrubsOpenClaims, CheckedImportMixin, ImportExportModelAdmin, CodeTableAdmin
):
    def has_import_permission(self, request: HttpRequest) -> bool:
        return is_platform_admin(request.user)

    def has_export_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def get_data_for_export(self, request: HttpRequest, queryset: Any, **kwargs: Any) -> Any:
        """The rows to export, every text cell safe to open in a spreadsheet (a code table's
        descriptions and notes are typed by people; a cell starting with "=" would run)."""
        data = super().get_data_for_export(request, queryset, **kwargs)
        safe = tablib.Dataset(headers=[spreadsheet_safe(h) for h in data.headers or []])
        for row in data:
            safe.append([spreadsheet_safe(value) for value in row])
        return safe

    def process_result(self, result: Any, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = super().process_result(result, request)
        if not (result.has_errors() or result.has_validation_errors()):
            written = [r for r in result.rows if r.import_type in ("new", "update", "delete")]
            self.rescrub_rows(request, [row for r in written for row in (r.original, r.instance)])
        return response

    def export_action(self, request: HttpRequest) -> HttpResponse:
        try:
            response: HttpResponse = super().export_action(request)
            return response
        except IncorrectLookupParameters:
            # The changelist's filters as a URL carries them; one it cannot apply (edited by
            # hand) was a 500 in django-import-export. The changelist's own answer: start over.
            messages.error(request, "Those filters cannot be applied; export without them.")
            return HttpResponseRedirect(request.path)


def code_field(attribute: str, column: str) -> fields.Field:
    return fields.Field(
        attribute=attribute, column_name=column, widget=ForeignKeyWidget(BillingCode, "code")
    )


class BillingCodeResource(CodeTableResource):
    class Meta:
        model = BillingCode
        import_id_fields = ["code"]
        exclude = ["id"]
        clean_model_instances = True
        skip_unchanged = True
        report_skipped = False


class FeeScheduleResource(CodeTableResource):
    payer = fields.Field(
        attribute="payer", column_name="payer", widget=ForeignKeyWidget(Payer, "name")
    )
    billing_code = code_field("billing_code", "code")

    class Meta:
        model = FeeScheduleEntry
        import_id_fields = ["payer", "year", "billing_code"]
        fields = ["payer", "year", "billing_code", "allowed_amount", "is_demo", "source"]
        clean_model_instances = True
        skip_unchanged = True


class EditPairResource(CodeTableResource):
    column1 = code_field("column1", "column1")
    column2 = code_field("column2", "column2")

    class Meta:
        model = EditPair
        import_id_fields = ["column1", "column2", "effective"]
        fields = [
            "column1",
            "column2",
            "effective",
            "deletion",
            "modifier_indicator",
            "rationale",
            "source",
        ]
        clean_model_instances = True
        skip_unchanged = True


class UnitLimitResource(CodeTableResource):
    billing_code = code_field("billing_code", "code")

    class Meta:
        model = UnitLimit
        import_id_fields = ["billing_code", "effective"]
        fields = ["billing_code", "max_units", "effective", "source"]
        clean_model_instances = True
        skip_unchanged = True


@admin.register(BillingCode)
class BillingCodeAdmin(ImportExportCodeTableAdmin):
    resource_classes = [BillingCodeResource]
    rescrub_codes = ("code",)
    list_display = [
        "code",
        "short_name",
        "category",
        "timed",
        "always_therapy",
        "unit_basis",
        "medicare_status",
        "effective",
        "termination",
    ]
    list_filter = ["category", "timed", "always_therapy", "system", "discipline", "medicare_status"]
    search_fields = ["code", "short_name", "description"]


@admin.register(FeeScheduleEntry)
class FeeScheduleAdmin(ImportExportCodeTableAdmin):
    resource_classes = [FeeScheduleResource]
    rescrub_codes = ("billing_code_id",)
    list_display = ["billing_code", "payer", "year", "allowed_amount", "is_demo", "source"]
    list_filter = ["payer", "year", "is_demo"]
    search_fields = ["billing_code__code", "payer__name"]
    list_select_related = ["payer"]


@admin.register(EditPair)
class EditPairAdmin(ImportExportCodeTableAdmin):
    resource_classes = [EditPairResource]
    rescrub_codes = ("column1_id", "column2_id")
    list_display = ["column1", "column2", "modifier_indicator", "effective", "deletion", "source"]
    list_filter = ["modifier_indicator", "deletion"]
    search_fields = ["column1__code", "column2__code", "rationale"]


@admin.register(UnitLimit)
class UnitLimitAdmin(ImportExportCodeTableAdmin):
    resource_classes = [UnitLimitResource]
    rescrub_codes = ("billing_code_id",)
    list_display = ["billing_code", "max_units", "effective", "source"]
    search_fields = ["billing_code__code"]


@admin.register(Modifier)
class ModifierAdmin(CodeTableAdmin):
    list_display = ["code", "name", "source"]
    search_fields = ["code", "name", "meaning"]


class PayerRuleInline(ParentDecidesInline, admin.StackedInline):  # type: ignore[type-arg]  # django-stubs: generic over the model
    """A payer's dated rules (§6.10): add a row with a later date to change a rule from that
    date on; earlier dates of service keep the rules in force then. Every change is kept."""

    model = PayerRule
    extra = 0
    fieldsets = [
        (None, {"fields": ["effective", "unit_method", "daily_timed_unit_cap"]}),
        (
            "Documentation",
            {
                "fields": [
                    "requires_plan_of_care",
                    "certification_days",
                    "progress_report_visits",
                    "progress_report_days",
                ]
            },
        ),
        (
            "Coverage",
            {"fields": ["requires_referral", "requires_authorization", "visit_limit_per_year"]},
        ),
        (
            "Money and filing",
            {
                "fields": [
                    "kx_applies",
                    "applies_mppr",
                    "applies_cq_reduction",
                    "timely_filing_days",
                ]
            },
        ),
        (None, {"fields": ["notes", "source"]}),
    ]

    def parent_may_change(self, request: HttpRequest, obj: Any) -> bool:
        return payer_may_change(request, obj)


class PayerScope:
    """Payers: the shared ones and each clinic's own (ptclinic/admin_access.py). `payer_path`
    leads from the row to its payer."""

    payer_path = ""

    def _payer_of(self, obj: Any) -> Any:
        return getattr(obj, self.payer_path) if self.payer_path else obj

    def get_queryset(self, request: HttpRequest) -> Any:
        rows = super().get_queryset(request)  # type: ignore[misc]  # a mixin before ModelAdmin
        if is_platform_admin(request.user):
            return rows
        prefix = f"{self.payer_path}__" if self.payer_path else ""
        return rows.filter(shared_or_own(request, f"{prefix}clinic"))

    def has_add_permission(self, request: HttpRequest, *args: Any) -> bool:
        return payer_may_change(request, None)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return payer_may_change(request, None if obj is None else self._payer_of(obj))

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return payer_may_change(request, None if obj is None else self._payer_of(obj))


@admin.register(Payer)
class PayerAdmin(RescrubsOpenClaims, PayerScope, CodeTableAdmin):
    """The shared payers (the platform admin's) and the ones a clinic added (its admin's)."""

    rescrub_payer = ""

    list_display = ["name", "kind", "clinic", "payer_id", "filing_indicator"]
    list_filter = ["kind", ("clinic", admin.EmptyFieldListFilter)]
    search_fields = ["name", "payer_id"]
    inlines = [PayerRuleInline]

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field: Any = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "clinic" and not is_platform_admin(request.user):
            # A clinic admin's payer is one of their clinics': never a shared one.
            field.queryset = field.queryset.filter(pk__in=admin_clinics(request))
            field.required = True
            field.empty_label = None
            field.help_text = "Only this clinic sees and bills this payer."
        return field


@admin.register(PayerRule)
class PayerRuleAdmin(RescrubsOpenClaims, PayerScope, CodeTableAdmin):
    """The dated rules of every payer, each with its history of changes."""

    list_display = [
        "payer",
        "effective",
        "unit_method",
        "requires_plan_of_care",
        "requires_referral",
        "requires_authorization",
        "visit_limit_per_year",
        "kx_applies",
    ]
    list_filter = ["payer", "unit_method", "requires_authorization"]
    fieldsets = [(None, {"fields": ["payer"]}), *PayerRuleInline.fieldsets]
    payer_path = "payer"
    rescrub_payer = "payer"

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field: Any = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "payer" and not is_platform_admin(request.user):
            # A clinic admin sets the rules of their own payers only.
            field.queryset = field.queryset.filter(clinic__in=admin_clinics(request))
        return field


@admin.register(FeeYear)
class FeeYearAdmin(RescrubsOpenClaims, CodeTableAdmin):  # every open claim
    list_display = ["year", "conversion_factor", "kx_threshold", "kx_review_threshold"]


@admin.register(Pairing)
class PairingAdmin(CodeTableAdmin):
    list_display = ["billing_code", "icd10_code", "note", "source"]
    search_fields = ["billing_code__code", "icd10_code", "note"]


@admin.register(RelativeValue)
class RelativeValueAdmin(RescrubsOpenClaims, CodeTableAdmin):
    rescrub_codes = ("billing_code_id",)
    list_display = ["billing_code", "year", "work_rvu", "pe_rvu", "mp_rvu", "source"]
    list_filter = ["year"]


@admin.register(Icd10Code)
class Icd10CodeAdmin(CodeTableAccess):
    # No history: the code set is reloaded whole from simple-icd-10-cm, and simple-history's
    # history page needs a history table (it answered every request with a 500).
    list_display = ["code", "title", "billable", "first_valid", "last_valid", "parent", "chapter"]
    list_filter = ["billable", "chapter"]
    search_fields = ["code", "title"]
    show_full_result_count = False


# The "Load a CMS file" pages and the import records (coding/admin_imports.py).
from coding import admin_imports  # noqa: E402, F401


@admin.register(ChargeMasterEntry)
class ChargeMasterEntryAdmin(ClinicRecordAccess, CodeTableAdmin):
    """Each clinic's charge per unit of a code, from a date (owners also set it on the Clinic ›
    Charges page). A clinic's admin keeps their clinic's."""

    list_display = ["clinic", "billing_code", "effective", "charge"]
    list_filter = ["clinic"]
    search_fields = ["billing_code__code"]
    date_hierarchy = "effective"
