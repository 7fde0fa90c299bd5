"""Money back, for owners: 835 files posted, their payments, the unmatched worklist, and the
denial report (docs/billing-rules.md §12)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Max, Min, Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from claims.dashboard.period import PeriodForm
from claims.models import Claim, ClaimPayment, RemittanceFile
from claims.remittance import codes, reports
from claims.remittance.jobs import remittance_post_start
from claims.remittance.services import (
    CONTROL_NUMBER,
    MAX_FILE_BYTES,
    denied_lines_access_record,
    payment_dismiss,
    payment_match,
    remittance_access_record,
    remittance_check,
)
from ptclinic.http import HtmxHttpRequest
from ptclinic.jobs.views import redirect_after_start
from ptclinic.models import Role
from ptclinic.roles import active_clinic, role_required


class UploadForm(forms.Form):
    file = forms.FileField(label="835 file", help_text="The electronic remittance (ERA) file.")

    content = b""

    def clean_file(self) -> object:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                f"The file is over {MAX_FILE_BYTES // 1_048_576} MB; ask the payer to split it."
            )
        upload.seek(0)
        self.content = upload.read()
        remittance_check(self.content)  # what can be told at once; the job reads the rest
        return upload


class MatchForm(forms.Form):
    claim = forms.CharField(
        label="Claim", max_length=20, help_text="Its number, e.g. 1234 or PTC1234."
    )
    note = forms.CharField(label="Why", max_length=500)

    def clean_claim(self) -> int:
        text = self.cleaned_data["claim"].strip().lstrip("#")
        match = CONTROL_NUMBER.match(text) or CONTROL_NUMBER.match(f"PTC{text}")
        if not match:
            raise ValidationError("Give the claim's number, e.g. 1234 or PTC1234.")
        return int(match.group(1))


class DismissForm(forms.Form):
    note = forms.CharField(label="Why", max_length=500)


@login_required
@role_required(Role.OWNER)
@require_http_methods(["GET", "POST"])
def remittance_list(request: HtmxHttpRequest) -> HttpResponse:
    """The 835 files posted, newest first, and the form to post one: a job posts it (at once
    inline, else on a worker while the job's page shows how far it has come)."""
    clinic = active_clinic(request)
    form = UploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        job = remittance_post_start(
            clinic=clinic,
            user=request.user,
            content=form.content,
            filename=form.cleaned_data["file"].name,
        )
        return redirect_after_start(request, job)
    files = (
        RemittanceFile.objects.for_clinic(clinic)
        .select_related("uploaded_by")
        .annotate(
            payments=Count("remittances"),
            paid_on=Max("remittances__paid_on"),
            payer_name=Min("remittances__payer_name"),
        )
        # An aggregate drops the model's ordering: say it again.
        .order_by("-uploaded_at", "-id")[:100]
    )
    unmatched = ClaimPayment.objects.for_clinic(clinic).unmatched().count()
    return render(
        request,
        "claims/remittance/remittance_list.html",
        {"form": form, "files": files, "unmatched": unmatched},
        status=400 if form.errors else 200,
    )


@login_required
@role_required(Role.OWNER)
@require_GET
def remittance_detail(request: HtmxHttpRequest, remittance_id: int) -> HttpResponse:
    clinic = request.clinic
    upload = get_object_or_404(RemittanceFile.objects.for_clinic(clinic), pk=remittance_id)
    remittance_access_record(upload=upload, user=request.user, path=request.get_full_path())
    remittances = list(upload.remittances.select_related("payer"))
    payments = (
        ClaimPayment.objects.filter(remittance__file=upload)
        .select_related("claim__patient", "remittance")
        .annotate(denied_lines=Count("lines", filter=Q(lines__denied=True)))
        .order_by("remittance", "id")
    )
    return render(
        request,
        "claims/remittance/remittance_detail.html",
        {"upload": upload, "remittances": remittances, "payments": payments},
    )


@login_required
@role_required(Role.OWNER)
@require_GET
def remittance_worklist(request: HtmxHttpRequest) -> HttpResponse:
    """Payments that found no claim, or a claim that expected none: match or dismiss each."""
    clinic = request.clinic
    payments = (
        ClaimPayment.objects.for_clinic(clinic)
        .unmatched()
        .select_related("remittance__file")
        .order_by("-paid_on", "id")[:200]
    )
    return render(request, "claims/remittance/worklist.html", {"payments": payments})


def _worklist_payment(request: HtmxHttpRequest, payment_id: int) -> ClaimPayment:
    return get_object_or_404(
        ClaimPayment.objects.for_clinic(request.clinic).unmatched(),
        pk=payment_id,
    )


@login_required
@role_required(Role.OWNER)
@require_POST
def payment_match_view(request: HtmxHttpRequest, payment_id: int) -> HttpResponse:
    payment = _worklist_payment(request, payment_id)
    form = MatchForm(request.POST)
    if form.is_valid():
        claims = Claim.objects.for_clinic(request.clinic)
        claim = claims.filter(pk=form.cleaned_data["claim"]).first()
        if claim is None:
            messages.error(request, "No claim of this clinic has that number.")
        else:
            try:
                payment_match(
                    payment=payment, claim=claim, user=request.user, note=form.cleaned_data["note"]
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(request, f"The payment is posted to claim #{claim.pk}.")
    else:
        for errors in form.errors.values():
            messages.error(request, " ".join(str(e) for e in errors))
    return redirect("remittance-worklist")


@login_required
@role_required(Role.OWNER)
@require_POST
def payment_dismiss_view(request: HtmxHttpRequest, payment_id: int) -> HttpResponse:
    payment = _worklist_payment(request, payment_id)
    form = DismissForm(request.POST)
    if form.is_valid():
        payment_dismiss(payment=payment, user=request.user, note=form.cleaned_data["note"])
        messages.success(request, f"Payment {payment.control_number} is off the worklist.")
    else:
        messages.error(request, "Say why the payment is dismissed.")
    return redirect("remittance-worklist")


FILTERS = ("reason", "rule", "payer", "clinician", "uncaught", "family")


@login_required
@role_required(Role.OWNER)
@require_GET
def denial_report(request: HtmxHttpRequest) -> HttpResponse:
    """Denials of a period by reason, rule, payer and clinician; a row opens its lines."""
    clinic = active_clinic(request)
    form = PeriodForm(request.GET, today=timezone.localdate())
    period = form.period()
    report = reports.denial_report(clinic=clinic, start=period.start, end=period.end)
    chosen = {name: request.GET[name] for name in FILTERS if name in request.GET}
    lines = (
        reports.denied_lines(clinic=clinic, start=period.start, end=period.end, filters=chosen)
        if chosen
        else []
    )
    denied_lines_access_record(lines=lines, user=request.user, path=request.get_full_path())
    return render(
        request,
        "claims/remittance/denials.html",
        {
            "form": form,
            "period": period,
            "report": report,
            "chosen": chosen,
            "lines": lines,
            "period_query": f"start={period.start.isoformat()}&end={period.end.isoformat()}",
        },
    )


@login_required
@require_GET
def adjustment_codes(request: HtmxHttpRequest) -> HttpResponse:
    """The codes of payers' remittances in plain words, for everyone (the reference)."""
    q = request.GET.get("q", "").replace("\x00", "").strip()[:100]
    words = q.lower().split()

    def keep(code: str, text: str) -> bool:
        haystack = f"{code} {text}".lower()
        return all(word in haystack for word in words)

    tables = [
        (
            "Group codes",
            "Who bears an adjustment (the letters before the reason code).",
            [(c, t) for c, t in codes.GROUPS.items() if keep(c, t)],
        ),
        (
            "Adjustment reason codes (CARC)",
            "Why the payment differs from the charge.",
            [(c, t) for c, t in codes.CARC.items() if keep(c, t)],
        ),
        (
            "Remark codes (RARC)",
            "More detail on a reason, or a notice.",
            [(c, t) for c, t in codes.RARC.items() if keep(c, t)],
        ),
    ]
    return render(request, "claims/remittance/adjustment_codes.html", {"tables": tables, "q": q})
