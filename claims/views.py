import uuid
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Case, IntegerField, Q, Value, When
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from claims.forms import SessionEntry, session_as_data
from claims.models import AccessEvent, AccessKind, ClaimStatus, Patient, TreatmentSession
from claims.services import (
    access_record,
    access_record_many,
    claim_create_from_session,
    claim_resubmit,
)
from coding.models import BillingCode
from ptclinic.http import HtmxHttpRequest, wants_partial
from ptclinic.models import Membership, Role
from ptclinic.roles import active_clinic, role_required, therapist_membership


def _code_options() -> list[BillingCode]:
    return list(BillingCode.objects.only("code", "short_name").order_by("code"))


def _page(request: HtmxHttpRequest, entry: SessionEntry, **extra: object) -> HttpResponse:
    return render(
        request,
        "claims/session_form.html",
        {"entry": entry, "code_options": _code_options(), **extra},
    )


def _check_patient_in_clinic(request: HtmxHttpRequest) -> None:
    """A patient id from another clinic is a 404, like any record the user may not see."""
    raw = request.POST.get("patient") or request.GET.get("patient") or ""
    # ASCII digits only: "²".isdigit() is true, and the lookup would fail on it (a 500).
    if not (raw.isascii() and raw.isdigit()):
        return
    if not Patient.objects.for_clinic(request.clinic).filter(pk=raw).exists():
        raise Http404("No such patient in this clinic.")


def _me(request: HtmxHttpRequest) -> Membership:
    """The signed-in clinician: every session is theirs (docs/billing-rules.md §10.3)."""
    me = therapist_membership(request)
    if me is None:
        raise PermissionDenied("Only a therapist of this clinic documents sessions.")
    return me


@login_required
@role_required(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def session_new(request: HtmxHttpRequest) -> HttpResponse:
    _check_patient_in_clinic(request)
    me = _me(request)
    if request.method == "GET":
        initial: dict[str, Any] = {
            "date_of_service": timezone.localdate(),
            "patient": request.GET.get("patient") or None,
            "submission_token": uuid.uuid4().hex,
            "rows": [{}, {}, {}],
            "dx": [""],
        }
        entry = SessionEntry(None, clinic=active_clinic(request), therapist=me, initial=initial)
        return _page(request, entry)
    entry = SessionEntry(request.POST, clinic=active_clinic(request), therapist=me)
    if request.POST.get("action") == "save" and entry.is_valid():
        try:
            claim = claim_create_from_session(
                clinic=active_clinic(request),
                user=request.user,
                data=entry.to_input(),
            )
        except ValidationError as exc:
            entry.form.add_error(None, exc)
        else:
            messages.success(
                request,
                f"Saved. Claim #{claim.pk} for {claim.patient.full_name} "
                f"({claim.total_units} units) is waiting for review.",
            )
            return redirect("session-list")
    return _page(request, entry, tried_save=request.POST.get("action") == "save")


@login_required
@role_required(Role.THERAPIST)
@require_http_methods(["GET", "POST"])
def session_edit(request: HtmxHttpRequest, session_id: int) -> HttpResponse:
    session = get_object_or_404(
        TreatmentSession.objects.for_clinic(request.clinic).select_related("claim", "therapist"),
        pk=session_id,
    )
    me = _me(request)
    if session.therapist_id != me.pk:
        raise PermissionDenied("Only the clinician who documented a session may change it.")
    claim = session.claim
    if request.method == "GET":
        access_record(
            clinic=session.clinic,
            user=request.user,
            patient=session.patient,
            kind=AccessKind.SESSION,
            object_id=session.pk,
            path=request.get_full_path(),
        )
    if claim.is_read_only:
        raise PermissionDenied(
            f"This claim is {claim.get_status_display().lower()}: it can no longer be changed."
        )
    _check_patient_in_clinic(request)
    data = request.POST if request.method == "POST" else session_as_data(session)
    entry = SessionEntry(
        data,
        clinic=active_clinic(request),
        therapist=me,
        claim_id=claim.pk,
        session_id=session.pk,
    )
    if request.method == "POST" and request.POST.get("action") == "save" and entry.is_valid():
        try:
            claim = claim_resubmit(
                claim=claim, user=request.user, data=entry.to_input(), session=session
            )
        except ValidationError as exc:
            entry.form.add_error(None, exc)
        else:
            messages.success(request, f"Claim #{claim.pk} resubmitted for review.")
            return redirect("session-list")
    return _page(
        request,
        entry,
        session=session,
        claim=claim,
        tried_save=request.POST.get("action") == "save",
    )


@login_required
@role_required(Role.THERAPIST)
@require_POST
def session_suggest(request: HtmxHttpRequest) -> HttpResponse:
    """The panel: the claim the form makes as it is now (htmx, while typing)."""
    me = _me(request)
    session_id = claim_id = None
    raw = request.POST.get("session_id", "")
    if raw.isascii() and raw.isdigit():
        session = get_object_or_404(
            TreatmentSession.objects.for_clinic(request.clinic).filter(therapist=me),
            pk=raw,
        )
        session_id, claim_id = session.pk, session.claim_id
    entry = SessionEntry(
        request.POST,
        clinic=active_clinic(request),
        therapist=me,
        claim_id=claim_id,
        session_id=session_id,
    )
    return render(request, "claims/session_form.html#suggestions", {"entry": entry})


@login_required
@role_required(Role.THERAPIST)
@require_GET
def session_row(request: HtmxHttpRequest) -> HttpResponse:
    """One blank service row, appended by the "Add service" button."""
    return render(
        request,
        "claims/session_form.html#service-row",
        {"row": None, "code_options": _code_options()},
    )


@login_required
@role_required(Role.THERAPIST)
@require_GET
@vary_on_headers("HX-Request")
def session_list(request: HtmxHttpRequest) -> HttpResponse:
    """My sessions: the therapist's own, returned claims first."""
    me = therapist_membership(request)
    status = request.GET.get("status", "")
    sessions = (
        TreatmentSession.objects.for_clinic(request.clinic)
        .filter(therapist=me)
        .select_related("patient", "claim", "payer")
        .prefetch_related("claim__lines")
        .annotate(
            returned_first=Case(
                When(claim__status=ClaimStatus.RETURNED, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("returned_first", "-date_of_service", "-id")
    )
    if status in ClaimStatus.values:
        sessions = sessions.filter(claim__status=status)
    q = request.GET.get("q", "").strip()[:60]
    sessions = sessions.of_patients_matching(request.clinic, q)
    page = Paginator(sessions, 25).get_page(request.GET.get("page"))
    access_record_many(
        clinic=active_clinic(request),
        user=request.user,
        rows=((AccessKind.SESSION, s.pk, s.patient_id) for s in page),
        path=request.get_full_path(),
    )
    template = "claims/session_list.html"
    if wants_partial(request):
        template += "#session-table"
    return render(
        request,
        template,
        {
            "page": page,
            "status": status,
            "q": q,
            "statuses": ClaimStatus.choices,
            # The filters, for the page links.
            "filter_query": urlencode({k: v for k, v in (("status", status), ("q", q)) if v}),
        },
    )


@login_required
@role_required(Role.THERAPIST)
@require_GET
def session_dx_row(request: HtmxHttpRequest) -> HttpResponse:
    """One more diagnosis input, appended by the "Add diagnosis" button."""
    return render(request, "claims/session_form.html#dx-input", {"value": ""})


@login_required
@role_required(Role.OWNER, Role.ADMIN)
@require_GET
@vary_on_headers("HX-Request")
def access_log(request: HtmxHttpRequest) -> HttpResponse:
    """Who opened which patient's data in this clinic, newest first (the audit trail)."""
    events = AccessEvent.objects.for_clinic(request.clinic).select_related("user", "patient")
    q = request.GET.get("q", "").replace("\x00", "").strip()[:60]  # PostgreSQL refuses NUL
    if q:
        events = events.filter(
            Q(user__username__icontains=q)
            | Q(user__last_name__icontains=q)
            | Q(patient__mrn__iexact=q)
            | Q(patient__last_name__icontains=q)
        )
    kind = request.GET.get("kind", "")
    if kind in AccessKind.values:
        events = events.filter(kind=kind)
    page = Paginator(events, 50).get_page(request.GET.get("page"))
    template = "claims/access_log.html"
    if wants_partial(request):
        template += "#access-table"
    return render(
        request, template, {"page": page, "q": q, "kind": kind, "kinds": AccessKind.choices}
    )


@login_required
@role_required(Role.THERAPIST)
@require_GET
def session_patient_options(request: HtmxHttpRequest) -> HttpResponse:
    """The patient choices narrowed to a name or MRN search (the session page's finder)."""
    q = request.GET.get("patient_q", "")[:60]
    patients = (
        Patient.objects.for_clinic(request.clinic)
        .filter(active=True)
        .search(q)
        .select_related("primary_payer")[:50]
    )
    access_record_many(
        clinic=active_clinic(request),
        user=request.user,
        rows=((AccessKind.PATIENT, p.pk, p.pk) for p in patients),
        path=request.get_full_path(),
    )
    return render(
        request,
        "claims/session_form.html#patient-options",
        {"patients": patients, "selected": request.GET.get("patient", "")},
    )
