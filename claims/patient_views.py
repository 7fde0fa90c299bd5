"""Patients, their plans of care, prior authorizations and therapy used elsewhere: list,
detail, and the forms that write them.

Therapists and owners of the active clinic only; every lookup goes through the clinic, so another
clinic's patient, plan or authorization is a 404. Plans of care are the PT's (a PTA may not write
them); authorizations and the therapy amount from the eligibility reply are administrative
records, which any therapist or owner/biller of the clinic may keep.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch
from django.forms import BaseForm
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from claims import patient_services as services
from claims.models import AccessKind, Authorization, Patient, PlanOfCare, TherapyAmountUsed
from claims.patient_forms import (
    AuthorizationForm,
    PatientForm,
    PlanForm,
    TherapyUsedForm,
    UnitsFormSet,
)
from claims.services import access_record, access_record_many
from ptclinic.http import HtmxHttpRequest, wants_partial
from ptclinic.models import Credential, Role
from ptclinic.roles import active_clinic, role_required, therapist_membership

PATIENTS_PER_PAGE = 25
RECENT_SESSIONS = 10
STAFF = (Role.THERAPIST, Role.OWNER)


def _patient_or_404(request: HtmxHttpRequest, patient_id: int) -> Patient:
    return get_object_or_404(
        Patient.objects.for_clinic(request.clinic).select_related("primary_payer"),
        pk=patient_id,
    )


def _add_service_errors(form: BaseForm, error: ValidationError) -> None:
    """Put a service's ValidationError on the form's fields (diagnoses on the first row)."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error)
        return
    for field, errors in error.error_dict.items():
        if field == "diagnoses":
            field = "dx_1"
        form.add_error(field if field in form.fields else None, errors)


def _partial(request: HtmxHttpRequest, template: str, partial: str) -> str:
    if wants_partial(request):
        return f"{template}#{partial}"
    return template


@login_required
@role_required(*STAFF)
@require_GET
@vary_on_headers("HX-Request")
def patient_list(request: HtmxHttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    patients = (
        Patient.objects.for_clinic(request.clinic)
        .search(q)
        .select_related("primary_payer")
        .annotate(last_visit=Max("sessions__date_of_service"))
        .prefetch_related(Prefetch("plans", to_attr="plan_list"))
        # An aggregate drops Meta.ordering; pagination needs a stable order.
        .order_by("last_name", "first_name", "id")
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [
        (p, services.plan_state(services.plan_shown(p.plan_list, today), today))  # type: ignore[attr-defined]  # plan_list: the Prefetch's to_attr above
        for p in page
    ]
    access_record_many(
        clinic=active_clinic(request),
        user=request.user,
        rows=((AccessKind.PATIENT, p.pk, p.pk) for p in page),
        path=request.get_full_path(),
    )
    template = _partial(request, "claims/patient_list.html", "patient-table")
    return render(request, template, {"q": q, "page": page, "rows": rows})


@login_required
@role_required(*STAFF)
@require_GET
def patient_detail(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    access_record(
        clinic=active_clinic(request),
        user=request.user,
        patient=patient,
        kind=AccessKind.PATIENT,
        object_id=patient.pk,
        path=request.get_full_path(),
    )
    today = timezone.localdate()
    plans = list(patient.plans.all())
    shown = services.plan_shown(plans, today)
    titles = services.diagnosis_titles(code for plan in plans for code in plan.diagnoses)

    def describe(plan: PlanOfCare) -> dict[str, Any]:
        return {
            "plan": plan,
            "state": services.plan_state(plan, today),
            "diagnoses": [(code, titles.get(code, "")) for code in plan.diagnoses],
        }

    sessions = patient.sessions.select_related("therapist__user", "claim")[:RECENT_SESSIONS]
    next_visit = services.next_visit_facts(patient, today)
    authorizations = list(patient.authorizations.select_related("payer").prefetch_related("units"))
    used = {u.year: u for u in patient.therapy_used.all()}
    context = {
        "patient": patient,
        "age": today.year
        - patient.date_of_birth.year
        - ((today.month, today.day) < (patient.date_of_birth.month, patient.date_of_birth.day)),
        "current": describe(shown) if shown else None,
        "no_plan_state": services.plan_state(None, today),
        "older": [describe(plan) for plan in plans if plan != shown],
        "progress": next_visit.progress,
        "kx": next_visit.kx,
        "authorization_line": next_visit.authorization,
        "authorizations": [(a, a.start_date <= today <= a.end_date) for a in authorizations],
        "used_elsewhere": used.get(today.year),
        "earlier_used": [u for year, u in sorted(used.items(), reverse=True) if year != today.year],
        "visits": [(s, getattr(s, "claim", None)) for s in sessions],
    }
    return render(request, "claims/patient_detail.html", context)


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def patient_create(request: HtmxHttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PatientForm(data, clinic=active_clinic(request))
    if form.is_bound and form.is_valid():
        try:
            patient = services.patient_create(clinic=active_clinic(request), **form.patient_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} was added.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/patient_form.html", {"form": form, "patient": None})


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def patient_update(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    data = request.POST if request.method == "POST" else None
    # The form works on a copy so that an invalid POST leaves the page header as saved.
    form = PatientForm(
        data, instance=Patient.objects.get(pk=patient.pk), clinic=active_clinic(request)
    )
    if form.is_bound and form.is_valid():
        try:
            services.patient_update(patient=patient, **form.patient_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name}'s details were saved.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/patient_form.html", {"form": form, "patient": patient})


def _refuse_assistant(request: HtmxHttpRequest) -> None:
    """Plans of care (and the discharge that ends them) are the PT's (§10.3)."""
    me = therapist_membership(request)
    if me is not None and me.credential == Credential.PTA:
        raise PermissionDenied(
            "A plan of care is written by the PT; a PTA cannot write or change it."
        )


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def plan_create(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    _refuse_assistant(request)
    patient = _patient_or_404(request, patient_id)
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, initial={"start_date": timezone.localdate()})
    if form.is_bound and form.is_valid():
        try:
            services.plan_create(patient=patient, **form.plan_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "The plan of care was added.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/plan_form.html", {"form": form, "patient": patient})


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def plan_update(request: HtmxHttpRequest, plan_id: int) -> HttpResponse:
    _refuse_assistant(request)
    plan = get_object_or_404(
        PlanOfCare.objects.select_related("patient__primary_payer"),
        pk=plan_id,
        patient__clinic=request.clinic,
    )
    data = request.POST if request.method == "POST" else None
    form = PlanForm(data, instance=plan)
    if form.is_bound and form.is_valid():
        try:
            services.plan_update(plan=plan, **form.plan_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "The plan of care was saved.")
            return redirect("patient-detail", patient_id=plan.patient_id)
    return render(
        request, "claims/plan_form.html", {"form": form, "patient": plan.patient, "plan": plan}
    )


@login_required
@role_required(*STAFF)
@require_GET
def dx_options(request: HtmxHttpRequest) -> HttpResponse:
    """`<option>`s for a diagnosis input's datalist: billable codes only."""
    # `q` from a search box; `dx` from the session page's diagnosis inputs (the last typed).
    text = request.GET.get("q") or (request.GET.getlist("dx") or [""])[-1]
    options = services.dx_options(text)
    return render(request, "claims/plan_form.html#dx-options", {"options": options})


# ---- prior authorizations and therapy used elsewhere (billing-rules §6.10, §10.8) ---------


def _authorization_page(
    request: HtmxHttpRequest,
    patient: Patient,
    form: AuthorizationForm,
    units: Any,
    authorization: Authorization | None = None,
) -> HttpResponse:
    from coding.models import BillingCode

    codes = BillingCode.objects.only("code", "short_name").order_by("code")
    return render(
        request,
        "claims/authorization_form.html",
        {
            "form": form,
            "units": units,
            "patient": patient,
            "authorization": authorization,
            "code_options": codes,
        },
    )


def _save_authorization(form: AuthorizationForm, units: Any, write: Any) -> bool:
    """Validate the form and its units, then write through the service; errors on the form."""
    if not (form.is_bound and form.is_valid() and units.is_valid()):
        return False
    try:
        write(**form.authorization_data(), units=units.units())
    except ValidationError as error:
        _add_service_errors(form, error)  # a units error goes to the top of the form
        return False
    return True


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def authorization_create(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    data = request.POST if request.method == "POST" else None
    form = AuthorizationForm(
        data,
        clinic=patient.clinic,
        initial={"payer": patient.primary_payer_id, "start_date": timezone.localdate()},
    )
    units = UnitsFormSet(data, prefix="units")

    def write(**fields: Any) -> None:
        services.authorization_create(patient=patient, **fields)

    if _save_authorization(form, units, write):
        messages.success(request, f"Authorization {form.cleaned_data['number']} was added.")
        return redirect("patient-detail", patient_id=patient.pk)
    return _authorization_page(request, patient, form, units)


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def authorization_update(request: HtmxHttpRequest, authorization_id: int) -> HttpResponse:
    authorization = get_object_or_404(
        Authorization.objects.select_related("patient__primary_payer"),
        pk=authorization_id,
        patient__clinic=request.clinic,
    )
    data = request.POST if request.method == "POST" else None
    # The form works on a copy so that an invalid POST leaves the page header as saved.
    form = AuthorizationForm(
        data,
        clinic=authorization.patient.clinic,
        instance=Authorization.objects.get(pk=authorization.pk),
    )
    initial = [{"code": u.billing_code_id, "units": u.units} for u in authorization.units.all()]
    units = UnitsFormSet(data, prefix="units", initial=initial)

    def write(**fields: Any) -> None:
        services.authorization_update(authorization=authorization, **fields)

    if _save_authorization(form, units, write):
        messages.success(request, f"Authorization {authorization.number} was saved.")
        return redirect("patient-detail", patient_id=authorization.patient_id)
    return _authorization_page(request, authorization.patient, form, units, authorization)


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def therapy_used_edit(request: HtmxHttpRequest, patient_id: int) -> HttpResponse:
    """The year's therapy amount other providers billed (the eligibility reply, §10.8)."""
    patient = _patient_or_404(request, patient_id)
    today = timezone.localdate()
    data = request.POST if request.method == "POST" else None
    current = TherapyAmountUsed.objects.filter(patient=patient, year=today.year).first()
    form = TherapyUsedForm(
        data,
        instance=current,
        initial=None if current else {"year": today.year, "as_of": today},
    )
    if form.is_bound and form.is_valid():
        try:
            services.therapy_used_save(patient=patient, **form.therapy_used_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, "The therapy amount used elsewhere was saved.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/therapy_used_form.html", {"form": form, "patient": patient})
