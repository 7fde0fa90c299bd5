"""Claims out of the building, for owners: batches of approved claims as 837P files, the files
and CMS-1500 forms to download (each download logged), and a claim's moves after review."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Sum
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims import lifecycle, services
from claims.models import AccessKind, BatchFile, BatchStatus, Claim, ClaimBatch
from claims.submission.cms1500 import render_cms1500
from claims.submission.collect import billing_provider, collect, setup_problems
from claims.submission.jobs import KIND as BUILD_837P
from claims.submission.jobs import batch_start
from claims.submission.services import (
    MAX_BATCH,
    claim_files_access_record,
    claim_forms_access_record,
)
from coding.models import Payer
from ptclinic.http import HtmxHttpRequest
from ptclinic.jobs.views import redirect_after_start
from ptclinic.models import ACTIVE_JOB_STATUSES, Clinic, Job, JobStatus, Role
from ptclinic.roles import active_clinic, role_required

PREVIEW_LIMIT = 500


class NoteForm(forms.Form):
    """The free text a batch or a claim's move carries (Django's fields refuse NUL bytes)."""

    note = forms.CharField(required=False, max_length=500)
    payer_claim_number = forms.CharField(required=False, max_length=50)


def _note_form(request: HtmxHttpRequest) -> NoteForm | None:
    form = NoteForm(request.POST)
    if form.is_valid():
        return form
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, f"{error}")
    return None


def _date(value: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _approved(request: HtmxHttpRequest) -> Any:
    """The clinic's approved claims, narrowed by the page's payer and date range."""
    claims = Claim.objects.for_clinic(request.clinic).ready_to_send()
    payer = request.GET.get("payer", "")
    if payer.isdigit():
        claims = claims.filter(payer_id=int(payer))
    start, end = _date(request.GET.get("from", "")), _date(request.GET.get("to", ""))
    if start:
        claims = claims.filter(date_of_service__gte=start)
    if end:
        claims = claims.filter(date_of_service__lte=end)
    return claims


@login_required
@role_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def batch_list(request: HtmxHttpRequest) -> HttpResponse:
    """Approved claims waiting to go out (pick by payer, dates, or all) and the batches sent."""
    clinic = active_clinic(request)
    if request.method == "POST":
        # An id past the largest a database holds is no claim (and would overflow the query).
        form = _note_form(request)
        if form is None:
            return redirect(request.get_full_path())
        ids = [
            int(v)
            for v in request.POST.getlist("claim")
            if v.isascii() and v.isdigit() and len(v) < 19
        ]
        try:
            picked = _picked(clinic, ids)
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
            return redirect(request.get_full_path())
        job = batch_start(
            clinic=clinic, user=request.user, claim_ids=picked, note=form.cleaned_data["note"]
        )
        if job.status == JobStatus.DONE and job.result.get("status") == BatchStatus.INVALID:
            messages.warning(request, job.message)  # built, but a file failed its check
            return redirect(job.result_url)
        return redirect_after_start(request, job)
    waiting = _approved(request).select_related("patient", "payer", "therapist__user")
    total = waiting.count()
    batches = (
        ClaimBatch.objects.for_clinic(clinic)
        .select_related("created_by")
        .annotate(files_count=Count("files"))[:50]
    )
    shown = list(waiting.order_by("payer__name", "date_of_service", "pk")[:PREVIEW_LIMIT])
    services.access_record_many(
        clinic=clinic,
        user=request.user,
        rows=((AccessKind.CLAIM, c.pk, c.patient_id) for c in shown),
        path=request.get_full_path(),
    )
    return render(
        request,
        "claims/submission/batch_list.html",
        {
            "waiting": shown,
            "waiting_total": total,
            "waiting_charge": (
                waiting.aggregate(s=Sum("total_charge"))["s"] or Decimal(0)
            ).quantize(Decimal("0.01")),
            "limit": PREVIEW_LIMIT,
            "payers": Payer.objects.for_clinic(clinic).order_by("name"),
            "chosen_payer": request.GET.get("payer", ""),
            "date_from": request.GET.get("from", ""),
            "date_to": request.GET.get("to", ""),
            "batches": batches,
            "setup_problems": setup_problems(clinic),
            "building": Job.objects.filter(
                clinic=clinic, kind=BUILD_837P, status__in=ACTIVE_JOB_STATUSES
            ).select_related("started_by"),
        },
    )


def _picked(clinic: Clinic, ids: list[int]) -> list[int]:
    """The picked claims that may go out now, or why none may: the checks `batch_create` makes
    first, made in the request so that the common refusals need no job. The job checks again
    (a claim may be un-approved before it runs)."""
    problems = setup_problems(clinic)
    if problems:
        raise ValidationError(problems)
    if len(set(ids)) > MAX_BATCH:
        raise ValidationError(f"At most {MAX_BATCH:,} claims in one batch; pick fewer.")
    picked = list(
        Claim.objects.for_clinic(clinic)
        .ready_to_send()
        .filter(pk__in=set(ids))
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if not picked:
        raise ValidationError("Pick at least one approved claim: only approved claims are sent.")
    return picked


def _batch_or_404(request: HtmxHttpRequest, batch_id: int) -> ClaimBatch:
    return get_object_or_404(ClaimBatch.objects.for_clinic(request.clinic), pk=batch_id)


@login_required
@role_required(Role.OWNER)
@require_GET
def batch_detail(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    files = list(batch.files.select_related("payer").order_by("payer__name"))
    entries = (
        Claim.objects.filter(sent__batch_file__batch=batch)
        .select_related("patient", "payer")
        .order_by("payer__name", "date_of_service", "pk")
        .distinct()
    )
    return render(
        request,
        "claims/submission/batch_detail.html",
        {"batch": batch, "files": files, "claims": entries},
    )


@login_required
@role_required(Role.OWNER)
@require_GET
def batch_file_download(request: HtmxHttpRequest, file_id: int) -> HttpResponse:
    """The 837P file, only once it passed validation; each patient in it is logged."""
    file = get_object_or_404(
        BatchFile.objects.select_related("batch"),
        pk=file_id,
        batch__clinic=request.clinic,
    )
    if not file.valid:
        raise Http404("This file failed validation and is not released.")
    claim_files_access_record(file=file, user=request.user, path=request.get_full_path())
    with file.file.open("rb") as handle:
        content = handle.read()
    response = HttpResponse(content, content_type="text/plain; charset=us-ascii")
    response["Content-Disposition"] = f'attachment; filename="{file.filename}"'
    response["Cache-Control"] = "no-store"
    return response


def _pdf(request: HtmxHttpRequest, claims: list[Claim], filename: str) -> HttpResponse:
    collected = collect([c.pk for c in claims])
    missing = [problem for c in collected for problem in c.problems]
    if missing:
        messages.error(request, "The form cannot be printed yet: " + " ".join(missing))
        return redirect(request.headers.get("referer") or reverse("batch-list"))
    billing = billing_provider(active_clinic(request))
    pdf = render_cms1500(
        [(c.document, billing) for c in collected if c.document is not None],
        form_background=request.GET.get("paper") == "plain",
    )
    claim_forms_access_record(claims=claims, user=request.user, path=request.get_full_path())
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    response["Cache-Control"] = "no-store"
    return response


@login_required
@role_required(Role.OWNER)
@require_GET
def batch_forms(request: HtmxHttpRequest, batch_id: int) -> HttpResponse:
    batch = _batch_or_404(request, batch_id)
    claims = list(Claim.objects.filter(sent__batch_file__batch=batch).distinct().order_by("pk"))
    if not claims:
        raise Http404("This batch has no claims.")
    return _pdf(request, claims, f"CMS-1500-batch-{batch.pk}.pdf")


@login_required
@role_required(Role.OWNER)
@require_GET
def claim_form(request: HtmxHttpRequest, claim_id: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.for_clinic(request.clinic), pk=claim_id)
    if not claim.is_read_only:  # still in review: printed once approved
        messages.error(request, "A claim is printed once it is approved.")
        return redirect("claim-detail", claim_id=claim.pk)
    return _pdf(request, [claim], f"CMS-1500-claim-{claim.pk}.pdf")


ACTIONS = {
    "reopen": lambda claim, user, version, data: services.claim_reopen(
        claim=claim, user=user, version=version, reason=data.get("note", "")
    ),
    "accepted": lambda claim, user, version, data: services.claim_mark(
        claim=claim, user=user, version=version, status="accepted", note=data.get("note", "")
    ),
    "rejected": lambda claim, user, version, data: services.claim_mark(
        claim=claim, user=user, version=version, status="rejected", note=data.get("note", "")
    ),
    "correct": lambda claim, user, version, data: services.claim_correct(
        claim=claim,
        user=user,
        version=version,
        reason=data.get("note", ""),
        payer_claim_number=data.get("payer_claim_number", ""),
    ),
    "void": lambda claim, user, version, data: services.claim_void(
        claim=claim,
        user=user,
        version=version,
        reason=data.get("note", ""),
        payer_claim_number=data.get("payer_claim_number", ""),
    ),
}
DONE = {
    "reopen": "The claim is back in review.",
    "accepted": "Marked accepted.",
    "rejected": "Marked rejected: fix it and correct it to send it again.",
    "correct": "The claim is back in review as a correction.",
    "void": "The void is approved: it goes out in the next batch.",
}


@login_required
@role_required(Role.OWNER)
@require_POST
def claim_lifecycle(request: HtmxHttpRequest, claim_id: int, action: str) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.for_clinic(request.clinic), pk=claim_id)
    if action not in ACTIONS or action not in lifecycle.owner_actions(claim.status):
        messages.error(
            request,
            f"That is not possible for a claim that is {claim.get_status_display().lower()}.",
        )
        return redirect("claim-detail", claim_id=claim.pk)
    form = _note_form(request)
    if form is None:
        return redirect("claim-detail", claim_id=claim.pk)
    version = request.POST.get("version", "")
    try:
        ACTIONS[action](
            claim,
            request.user,
            int(version) if version.isascii() and version.isdigit() else None,
            form.cleaned_data,
        )
    except services.ClaimConflict as conflict:
        messages.warning(request, str(conflict))
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
    else:
        messages.success(request, DONE[action])
    return redirect("claim-detail", claim_id=claim.pk)
