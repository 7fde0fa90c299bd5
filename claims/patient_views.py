"""Patients and their plans of care: list, detail, and the forms that write them.

Therapists and owners of the active clinic only; every lookup goes through the clinic, so another
clinic's patient or plan is a 404.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Max, Prefetch
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods
from django.views.decorators.vary import vary_on_headers

from claims import patient_services as services
from claims.models import AccessKind, Patient, PlanOfCare
from claims.patient_forms import PatientForm, PlanForm
from claims.services import access_record
from ptclinic.models import Credential, Role
from ptclinic.roles import role_required, therapist_membership

PATIENTS_PER_PAGE = 25
RECENT_SESSIONS = 10
STAFF = (Role.THERAPIST, Role.OWNER)


def _patient_or_404(request: HttpRequest, patient_id: int) -> Patient:
    return get_object_or_404(
        Patient.objects.for_clinic(request.clinic).select_related("primary_payer"),  # type: ignore[attr-defined]
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


def _partial(request: HttpRequest, template: str, partial: str) -> str:
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        return f"{template}#{partial}"
    return template


@login_required
@role_required(*STAFF)
@require_GET
@vary_on_headers("HX-Request")
def patient_list(request: HttpRequest) -> HttpResponse:
    q = request.GET.get("q", "").strip()
    patients = (
        Patient.objects.for_clinic(request.clinic)  # type: ignore[attr-defined]
        .search(q)
        .select_related("primary_payer")
        .annotate(last_visit=Max("sessions__date_of_service"))
        .prefetch_related(Prefetch("plans", to_attr="plan_list"))
        # An aggregate drops Meta.ordering; pagination needs a stable order.
        .order_by("last_name", "first_name", "id")
    )
    page = Paginator(patients, PATIENTS_PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    rows = [(p, services.plan_state(services.plan_shown(p.plan_list, today), today)) for p in page]
    template = _partial(request, "claims/patient_list.html", "patient-table")
    return render(request, template, {"q": q, "page": page, "rows": rows})


@login_required
@role_required(*STAFF)
@require_GET
def patient_detail(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    access_record(
        clinic=request.clinic,  # type: ignore[attr-defined]
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
        "visits": [(s, getattr(s, "claim", None)) for s in sessions],
    }
    return render(request, "claims/patient_detail.html", context)


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def patient_create(request: HttpRequest) -> HttpResponse:
    data = request.POST if request.method == "POST" else None
    form = PatientForm(data, clinic=request.clinic)  # type: ignore[attr-defined]
    if form.is_bound and form.is_valid():
        try:
            patient = services.patient_create(clinic=request.clinic, **form.patient_data())  # type: ignore[attr-defined]
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name} was added.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/patient_form.html", {"form": form, "patient": None})


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def patient_update(request: HttpRequest, patient_id: int) -> HttpResponse:
    patient = _patient_or_404(request, patient_id)
    data = request.POST if request.method == "POST" else None
    # The form works on a copy so that an invalid POST leaves the page header as saved.
    form = PatientForm(data, instance=Patient.objects.get(pk=patient.pk), clinic=request.clinic)  # type: ignore[attr-defined]
    if form.is_bound and form.is_valid():
        try:
            services.patient_update(patient=patient, **form.patient_data())
        except ValidationError as error:
            _add_service_errors(form, error)
        else:
            messages.success(request, f"{patient.full_name}'s details were saved.")
            return redirect("patient-detail", patient_id=patient.pk)
    return render(request, "claims/patient_form.html", {"form": form, "patient": patient})


def _refuse_assistant(request: HttpRequest) -> None:
    """Plans of care (and the discharge that ends them) are the PT's (§10.3)."""
    me = therapist_membership(request)
    if me is not None and me.credential == Credential.PTA:
        raise PermissionDenied(
            "A plan of care is written by the PT; a PTA cannot write or change it."
        )


@login_required
@role_required(*STAFF)
@require_http_methods(["GET", "POST"])
def plan_create(request: HttpRequest, patient_id: int) -> HttpResponse:
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
def plan_update(request: HttpRequest, plan_id: int) -> HttpResponse:
    _refuse_assistant(request)
    plan = get_object_or_404(
        PlanOfCare.objects.select_related("patient__primary_payer"),
        pk=plan_id,
        patient__clinic=request.clinic,  # type: ignore[attr-defined]
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
def dx_options(request: HttpRequest) -> HttpResponse:
    """`<option>`s for a diagnosis input's datalist: billable codes only."""
    # `q` from a search box; `dx` from the session page's diagnosis inputs (the last typed).
    text = request.GET.get("q") or (request.GET.getlist("dx") or [""])[-1]
    options = services.dx_options(text)
    return render(request, "claims/plan_form.html#dx-options", {"options": options})
