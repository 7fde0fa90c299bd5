"""The owner's claim review: the queue of claims, one claim in full, and the decisions on it.

Owners of the active clinic only (`role_required(Role.OWNER)`); every lookup goes through
`request.clinic`, so another clinic's claim, line or flag is a 404. Each decision is one call
to a `claims.services` function; a stale page (`ClaimConflict`) gets a warning and a fresh page,
a refused decision (`ValidationError`) comes back on the claim page (status 200) with the
reason next to the form.
"""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import Count
from django.forms import Form
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from claims import lifecycle, services
from claims.facts import authorization_lines
from claims.filters import ClaimReviewFilter
from claims.models import AccessKind, Claim, ClaimFlag, ClaimLine, ClaimStatus, FlagStatus
from claims.pipeline import SRC_AUTH
from claims.remittance.reports import claim_payments
from claims.review_forms import (
    ApproveForm,
    FlagSettleForm,
    LineEditForm,
    ReturnForm,
    VersionedForm,
)
from claims.scrubber import RULES
from claims.services import (
    ClaimConflict,
    claim_approve,
    claim_line_update,
    claim_return,
    claims_bulk_approve,
    flag_settle,
)
from claims.tables import BULK_FORM_ID, ReviewQueueTable, flag_badges, status_badge
from coding.models import Icd10Code
from ptclinic.http import HtmxHttpRequest, safe_next, wants_partial
from ptclinic.models import Role
from ptclinic.roles import active_clinic, role_required
from ptclinic.spreadsheets import spreadsheet_text

PER_PAGE = 25
TIMELINE_GAP = dt.timedelta(seconds=2)  # records this close, by one person, are one event


def _claims(request: HtmxHttpRequest) -> Any:
    return Claim.objects.for_clinic(request.clinic)


# ---- /review/ -------------------------------------------------------------------------------


@dataclass
class RuleCount:
    rule_id: str
    title: str
    severity: str
    claims: int
    url: str
    active: bool


def _queue_claims(request: HtmxHttpRequest) -> Any:
    """The clinic's claims, errors first and then the oldest date of service first."""
    return (
        _claims(request)
        .select_related("patient", "payer", "therapist__user")
        .defer("explanation")  # the engine's steps (~1 kB a claim) are not shown in the queue
        .in_queue_order()
    )


def _rule_counts(request: HtmxHttpRequest, claims: Any) -> list[RuleCount]:
    """Per rule, how many of the filtered claims carry an open flag of it (one query)."""
    rows = (
        ClaimFlag.objects.filter(status=FlagStatus.OPEN, claim__in=claims.order_by().values("pk"))
        .values("rule_id")
        .annotate(claims=Count("claim", distinct=True))
        .order_by("-claims", "rule_id")
    )
    counts = []
    for row in rows:
        params = request.GET.copy()
        params.pop("page", None)
        params["rule"] = row["rule_id"]
        rule = RULES.get(row["rule_id"])
        counts.append(
            RuleCount(
                rule_id=row["rule_id"],
                title=rule.title if rule else row["rule_id"],
                severity=rule.severity.value if rule else "warning",
                claims=row["claims"],
                url=f"{reverse('review-queue')}?{params.urlencode()}",
                active=request.GET.get("rule") == row["rule_id"],
            )
        )
    return counts


@login_required
@role_required(Role.OWNER)
@require_GET
@vary_on_headers("HX-Request")
def review_queue(request: HtmxHttpRequest) -> HttpResponse:
    clinic = active_clinic(request)
    claim_filter = ClaimReviewFilter(request.GET, queryset=_queue_claims(request), clinic=clinic)
    # Only claims that need review can be approved: no checkboxes when none can be shown.
    can_bulk_approve = claim_filter.form.data.get("status") in ("", ClaimStatus.NEEDS_REVIEW)
    table = ReviewQueueTable(claim_filter.qs, exclude=() if can_bulk_approve else ("select",))
    RequestConfig(request, paginate={"per_page": PER_PAGE}).configure(table)
    shown = [row.record for row in table.paginated_rows]
    table.authorization_lines = authorization_lines(shown)
    services.access_record_many(
        clinic=clinic,
        user=request.user,
        rows=((AccessKind.CLAIM, c.pk, c.patient_id) for c in shown),
        path=request.get_full_path(),
    )
    export_params = request.GET.copy()
    for key in ("page", "sort", "status"):
        export_params.pop(key, None)
    context = {
        "filter": claim_filter,
        "table": table,
        "rule_counts": _rule_counts(request, claim_filter.qs),
        "sort": request.GET.get("sort", ""),
        "export_query": export_params.urlencode(),
        "bulk_form_id": BULK_FORM_ID,
        "can_bulk_approve": can_bulk_approve,
    }
    template = "claims/review_queue.html"
    if wants_partial(request):
        template += "#queue-table"
    return render(request, template, context)


@login_required
@role_required(Role.OWNER)
@require_POST
def review_bulk_approve(request: HtmxHttpRequest) -> HttpResponse:
    # ASCII digits that fit a database id: "²" is a digit to isdigit() but not to int(), and
    # SQLite cannot bind 10**30 in an IN list (both were 500s).
    ids = [int(v) for v in request.POST.getlist("claim") if v.isascii() and v.isdigit()]
    ids = [i for i in ids if i < 2**63]
    if not ids:
        messages.warning(request, "Select the claims to approve first.")
    else:
        approved, skipped = claims_bulk_approve(
            clinic=active_clinic(request),
            user=request.user,
            claim_ids=ids,
        )
        level = messages.SUCCESS if approved and not skipped else messages.WARNING
        messages.add_message(
            request, level, f"Approved {approved}; skipped {skipped} (errors or already decided)."
        )
    return redirect(safe_next(request, reverse("review-queue")))


class _Echo:
    """A file-like object whose write returns the line: csv.writer straight into a stream."""

    def write(self, value: str) -> str:
        return value


CSV_HEADER = (
    "Claim",
    "Date of service",
    "Patient",
    "MRN",
    "Payer",
    "Member ID",
    "Therapist",
    "NPI",
    "Code",
    "Modifiers",
    "Units",
    "Diagnoses",
    "Expected amount",
)


_cell = spreadsheet_text  # text a spreadsheet would run as a formula gets a leading quote


def _csv_rows(claims: Iterable[Claim]) -> Iterator[Sequence[str]]:
    yield CSV_HEADER
    for claim in claims:
        diagnoses = claim.diagnoses
        for line in claim.lines.all():
            dx = [diagnoses[p - 1] for p in line.dx_pointers if 0 < p <= len(diagnoses)]
            yield (
                str(claim.pk),
                claim.date_of_service.isoformat(),
                _cell(claim.patient.full_name),
                _cell(claim.patient.mrn),
                _cell(claim.payer.name),
                _cell(claim.patient.member_id),
                _cell(claim.therapist.display_name),
                claim.therapist.npi,
                line.billing_code_id,
                " ".join(line.modifiers),
                str(line.units),
                " ".join(dx),
                "" if line.expected_amount is None else f"{line.expected_amount:.2f}",
            )


@login_required
@role_required(Role.OWNER)
@require_GET
def review_export(request: HtmxHttpRequest) -> StreamingHttpResponse:
    """The approved claims (with the queue's other filters), one row per claim line."""
    params = request.GET.copy()
    params["status"] = ClaimStatus.APPROVED
    claims = ClaimReviewFilter(
        params,
        queryset=_claims(request)
        .select_related("patient", "payer", "therapist__user")
        .prefetch_related("lines")
        .order_by("date_of_service", "id"),
        clinic=request.clinic,
    ).qs
    # Every claim in the file holds a patient's name, member id and diagnoses: logged up front
    # (the file streams), in one INSERT.
    services.access_record_many(
        clinic=active_clinic(request),
        user=request.user,
        rows=(
            (AccessKind.CLAIM, pk, patient_id)
            for pk, patient_id in claims.order_by().values_list("pk", "patient_id")
        ),
        path=request.get_full_path(),
    )
    writer = csv.writer(_Echo())
    rows = (writer.writerow(row) for row in _csv_rows(claims.iterator(chunk_size=500)))
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    name = slugify(active_clinic(request).name) or "clinic"
    stamp = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="approved-claims-{name}-{stamp}.csv"'
    return response


# ---- /claims/<id>/ --------------------------------------------------------------------------


@dataclass
class LineRow:
    line: ClaimLine
    dx: list[str]
    form: LineEditForm


@dataclass
class FlagRow:
    flag: ClaimFlag
    title: str
    form: FlagSettleForm | None

    @property
    def settled(self) -> bool:
        return self.flag.status != FlagStatus.OPEN


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class TimelineItem:
    subject: str
    action: str
    summary: str = ""
    changes: list[Change] = field(default_factory=list)
    reason: str = ""


@dataclass
class TimelineEntry:
    when: dt.datetime
    who: str
    items: list[TimelineItem] = field(default_factory=list)


def _claim_or_404(request: HtmxHttpRequest, claim_id: int) -> Claim:
    claim: Claim = get_object_or_404(
        _claims(request)
        .select_related("patient", "payer", "therapist__user", "decided_by")
        .prefetch_related("sessions__therapist__user"),
        pk=claim_id,
    )
    return claim


def _detail(
    request: HtmxHttpRequest,
    claim: Claim,
    *,
    forms: dict[str, Form] | None = None,
) -> HttpResponse:
    """The claim page. `forms` holds a bound form that came back with errors, by its key
    ("approve", "return", "flag-<id>", "line-<id>"), so the page shows it as sent."""
    forms = forms or {}
    initial = {"version": claim.version}
    lines = list(claim.lines.select_related("billing_code").order_by("position"))
    flags = sorted(
        claim.flags.select_related("resolved_by"),
        key=lambda f: (f.status != FlagStatus.OPEN, f.severity != "error", f.rule_id),
    )
    diagnoses = claim.diagnoses
    titles = dict(Icd10Code.objects.filter(code__in=diagnoses).values_list("code", "title"))
    line_rows = [
        LineRow(
            line=line,
            dx=[diagnoses[p - 1] for p in line.dx_pointers if 0 < p <= len(diagnoses)],
            form=forms.get(f"line-{line.pk}")  # type: ignore[arg-type]  # a line-* key holds a LineEditForm
            or LineEditForm(
                initial={
                    **initial,
                    "units": line.units,
                    "modifiers": " ".join(line.modifiers),
                },
                auto_id=f"id_line{line.pk}_%s",
            ),
        )
        for line in lines
    ]
    flag_rows = [
        FlagRow(
            flag=flag,
            title=RULES[flag.rule_id].title if flag.rule_id in RULES else flag.rule_id,
            form=(
                forms.get(f"flag-{flag.pk}")  # type: ignore[arg-type]  # a flag-* key holds a FlagSettleForm
                or FlagSettleForm(initial=initial, auto_id=f"id_flag{flag.pk}_%s")
            )
            if flag.status == FlagStatus.OPEN
            else None,
        )
        for flag in flags
    ]
    context = {
        "claim": claim,
        "sessions": claim.day_sessions,
        "status_badge": status_badge(claim),
        "flag_badges": flag_badges(claim.open_errors, claim.open_warnings),
        "line_rows": line_rows,
        "flag_rows": flag_rows,
        "diagnoses": [(i, code, titles.get(code, "")) for i, code in enumerate(diagnoses, 1)],
        "approve_form": forms.get("approve") or ApproveForm(initial=initial),
        "return_form": forms.get("return") or ReturnForm(initial=initial),
        "can_decide": claim.status == ClaimStatus.NEEDS_REVIEW,
        "timeline": _timeline(claim),
        "life_actions": lifecycle.owner_actions(claim.status),
        "events": claim.events.select_related("user", "batch_file"),
        "payments": claim_payments(claim) if claim.is_read_only else [],
        # The authorization line, for a claim whose payer asked for one when it was saved: from
        # the facts builder as they are now, like the flags a re-scrub keeps current.
        "authorization_line": authorization_lines([claim]).get(claim.pk, "")
        if any(step.get("rule") == SRC_AUTH for step in claim.explanation)
        else "",
    }
    return render(request, "claims/claim_detail.html", context)


@login_required
@role_required(Role.OWNER)
@require_GET
def claim_detail(request: HtmxHttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)
    services.access_record(
        clinic=claim.clinic,
        user=request.user,
        patient=claim.patient,
        kind=AccessKind.CLAIM,
        object_id=claim.pk,
        path=request.get_full_path(),
    )
    return _detail(request, claim)


def _decide(
    request: HtmxHttpRequest,
    claim: Claim,
    form: VersionedForm,
    key: str,
    act: Callable[[dict[str, Any]], str],
) -> HttpResponse:
    """Run one decision: success → message and redirect; a stale page → warning and redirect;
    an invalid form or a refusal → the claim page again (200) with the reason on the form."""
    if form.is_valid():
        try:
            with transaction.atomic():
                done = act(form.cleaned_data)
        except ClaimConflict as exc:
            messages.warning(request, str(exc))
            return redirect("claim-detail", claim_id=claim.pk)
        except (ClaimFlag.DoesNotExist, ClaimLine.DoesNotExist):
            return _gone(request, claim)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, done)
            return redirect("claim-detail", claim_id=claim.pk)
    problems = [str(e) for errors in form.errors.values() for e in errors]
    messages.error(request, " ".join(problems))
    claim.refresh_from_db()
    return _detail(request, claim, forms={key: form})


def _gone(request: HtmxHttpRequest, claim: Claim) -> HttpResponse:
    """A flag or line of this claim that is no longer there: a re-scrub replaces the open
    flags and a resubmission the lines, so the page that named it is stale."""
    messages.warning(
        request,
        f"Claim #{claim.pk} was changed by someone else while you were looking at it (its flags "
        "or lines were rebuilt). Here it is as it is now: check it and try again.",
    )
    return redirect("claim-detail", claim_id=claim.pk)


@login_required
@role_required(Role.OWNER)
@require_POST
def claim_approve_view(request: HtmxHttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)

    def act(data: dict[str, Any]) -> str:
        done = claim_approve(
            claim=claim,
            user=request.user,
            version=data["version"],
            override_reason=data["override_reason"],
        )
        if done.override_reason:
            return f"Claim #{done.pk} approved with open errors; your reason is on the claim."
        return f"Claim #{done.pk} approved."

    return _decide(request, claim, ApproveForm(request.POST), "approve", act)


@login_required
@role_required(Role.OWNER)
@require_POST
def claim_return_view(request: HtmxHttpRequest, claim_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)

    def act(data: dict[str, Any]) -> str:
        claim_return(
            claim=claim, user=request.user, version=data["version"], comment=data["comment"]
        )
        return f"Claim #{claim.pk} returned to {claim.therapist.display_name} with your comment."

    return _decide(request, claim, ReturnForm(request.POST), "return", act)


@login_required
@role_required(Role.OWNER)
@require_POST
def flag_settle_view(request: HtmxHttpRequest, claim_id: int, flag_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)
    flag = ClaimFlag.objects.filter(pk=flag_id, claim=claim).first()
    if flag is None:
        return _gone(request, claim)
    form = FlagSettleForm(request.POST, auto_id=f"id_flag{flag.pk}_%s")

    def act(data: dict[str, Any]) -> str:
        waive = data["action"] == "waive"
        flag_settle(
            flag=flag, user=request.user, version=data["version"], note=data["note"], waive=waive
        )
        title = RULES[flag.rule_id].title if flag.rule_id in RULES else flag.rule_id
        return f"Flag “{title}” {'waived' if waive else 'resolved'}."

    return _decide(request, claim, form, f"flag-{flag.pk}", act)


@login_required
@role_required(Role.OWNER)
@require_POST
def claim_line_edit(request: HtmxHttpRequest, claim_id: int, line_id: int) -> HttpResponse:
    claim = _claim_or_404(request, claim_id)
    line = ClaimLine.objects.filter(pk=line_id, claim=claim).first()
    if line is None:
        return _gone(request, claim)
    form = LineEditForm(request.POST, auto_id=f"id_line{line.pk}_%s")

    def act(data: dict[str, Any]) -> str:
        done = claim_line_update(
            line=line,
            user=request.user,
            version=data["version"],
            units=data["units"],
            modifiers=data["modifiers"],
            reason=data["reason"],
        )
        mods = " ".join(data["modifiers"]) or "no modifiers"
        return (
            f"Line {line.billing_code_id} is now {data['units']} × {mods}. Re-scrubbed: "
            f"{_flag_summary(done)}."
        )

    return _decide(request, claim, form, f"line-{line.pk}", act)


def _flag_summary(claim: Claim) -> str:
    errors, warnings = claim.open_errors, claim.open_warnings
    return (
        f"{errors} open error{'' if errors == 1 else 's'}, "
        f"{warnings} warning{'' if warnings == 1 else 's'}"
    )


@login_required
@role_required(Role.OWNER)
@require_POST
def claim_rescrub(request: HtmxHttpRequest, claim_id: int) -> HttpResponse:
    """Run the scrubber again, e.g. after a plan of care was certified or a table changed."""
    claim = _claim_or_404(request, claim_id)
    try:
        claim = services.claim_rescrub(claim=claim, user=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("claim-detail", claim_id=claim.pk)
    messages.success(request, f"Claim #{claim.pk} re-scrubbed: {_flag_summary(claim)}.")
    return redirect("claim-detail", claim_id=claim.pk)


# ---- the history timeline -------------------------------------------------------------------

HIDDEN = {
    Claim: {
        "id",
        "version",
        "explanation",
        "submitted_at",
        "decided_by",
        "decided_at",
        "session",
        "clinic",
        "unit_method",
        "expected_is_estimate",
    },
    ClaimLine: {"id", "claim", "position", "suggested_units", "suggested_modifiers"},
    ClaimFlag: {"id", "claim", "resolved_by", "resolved_at", "created_at", "fix", "source"},
}


def _who(record: Any) -> str:
    user = record.history_user
    if user is None:
        return "System"
    return str(user.get_full_name() or user.get_username())


def _shown(model: type[models.Model], name: str, value: Any) -> str:
    model_field: Any = model._meta.get_field(name)  # a concrete field: history diffs name no rels
    if value is None or value == "" or value == []:
        return "—"
    if model_field.choices:
        return str(dict(model_field.flatchoices).get(value, value))
    if isinstance(value, list):
        return " ".join(str(v) for v in value)
    text = str(value)
    return text if len(text) <= 160 else text[:157] + "…"


def _changes(model: type[models.Model], new: Any, old: Any) -> list[Change]:
    delta = new.diff_against(old, excluded_fields=HIDDEN[model])
    changes = []
    for change in delta.changes:
        model_field: Any = model._meta.get_field(change.field)  # a concrete field (see _shown)
        label = str(model_field.verbose_name)
        if model_field.is_relation:
            changes.append(Change(label, "", "changed"))
        else:
            changes.append(
                Change(
                    label,
                    _shown(model, change.field, change.old),
                    _shown(model, change.field, change.new),
                )
            )
    return changes


def _line_summary(record: Any) -> str:
    mods = " ".join(record.modifiers)
    return f"{record.units} × {mods or 'no modifiers'}, {record.minutes} min"


def _subject(model: type[models.Model], record: Any) -> str:
    if model is ClaimLine:
        return f"Line {record.billing_code_id}"
    if model is ClaimFlag:
        rule = RULES.get(record.rule_id)
        title = rule.title if rule else record.rule_id
        on_line = f" ({record.line_code})" if record.line_code else ""
        return f"Flag “{title}”{on_line}"
    return f"Claim #{record.id}"


ACTIONS = {
    Claim: {"+": "created", "~": "changed", "-": "deleted"},
    ClaimLine: {"+": "added", "~": "changed", "-": "removed"},
    ClaimFlag: {"+": "raised", "~": "changed", "-": "no longer found"},
}


def _item(model: type[models.Model], record: Any, prev: Any) -> TimelineItem:
    kind = record.history_type
    item = TimelineItem(
        subject=_subject(model, record),
        action=ACTIONS[model][kind],
        reason=record.history_change_reason or "",
    )
    if kind == "~" and prev is not None:
        item.changes = _changes(model, record, prev)
    elif kind == "+" and model is ClaimLine:
        item.summary = _line_summary(record)
    elif kind == "+" and model is ClaimFlag:
        item.summary = f"{record.get_severity_display()}: {record.message}"
    return item


def _collapse_rebuilds(records: list[tuple[type[models.Model], Any, Any]]) -> list[TimelineItem]:
    """A resubmission or re-scrub deletes and re-creates lines and open flags. Shown as is
    that is noise: a line removed and added again becomes one change (or nothing when it is
    the same), a flag no longer found and raised again is left out."""
    removed_lines = {
        (r.billing_code_id, r.position): r
        for m, r, _ in records
        if m is ClaimLine and r.history_type == "-"
    }
    added_lines = {
        (r.billing_code_id, r.position): r
        for m, r, _ in records
        if m is ClaimLine and r.history_type == "+"
    }

    def flag_key(r: Any) -> tuple[str, str]:
        return (r.rule_id, r.line_code)

    gone_flags = {flag_key(r) for m, r, _ in records if m is ClaimFlag and r.history_type == "-"}
    new_flags = {flag_key(r) for m, r, _ in records if m is ClaimFlag and r.history_type == "+"}
    kept_flags = gone_flags & new_flags
    items = []
    for model, record, prev in records:
        if model is ClaimFlag and record.history_type in "+-" and flag_key(record) in kept_flags:
            continue
        if model is ClaimLine and record.history_type in "+-":
            key = (record.billing_code_id, record.position)
            if key in removed_lines and key in added_lines:
                if record.history_type == "+":
                    changes = _changes(ClaimLine, record, removed_lines[key])
                    if changes:
                        items.append(TimelineItem(_subject(model, record), "changed", "", changes))
                continue
        items.append(_item(model, record, prev))
    return items


def _timeline(claim: Claim) -> list[TimelineEntry]:
    """The history of the claim, its lines and its flags, newest first; the records one person
    made in one go (one request) form one entry. Three queries, whatever the length."""
    sources: list[tuple[type[models.Model], Any]] = [
        (Claim, claim.history.all()),
        (ClaimLine, ClaimLine.history.filter(claim_id=claim.pk)),
        (ClaimFlag, ClaimFlag.history.filter(claim_id=claim.pk)),
    ]
    records: list[tuple[type[models.Model], Any, Any]] = []
    for model, history in sources:
        last: dict[int, Any] = {}
        for record in history.select_related("history_user").order_by("history_date", "history_id"):
            records.append((model, record, last.get(record.id)))
            last[record.id] = record
    records.sort(key=lambda r: r[1].history_date)

    groups: list[list[tuple[type[models.Model], Any, Any]]] = []
    for entry in records:
        record = entry[1]
        if groups:
            previous = groups[-1][-1][1]
            same_person = previous.history_user_id == record.history_user_id
            if same_person and record.history_date - previous.history_date <= TIMELINE_GAP:
                groups[-1].append(entry)
                continue
        groups.append([entry])

    timeline = []
    for group in groups:
        items = [i for i in _collapse_rebuilds(group) if i.changes or i.action != "changed"]
        if items:
            first = group[-1][1]
            timeline.append(TimelineEntry(when=first.history_date, who=_who(first), items=items))
    timeline.reverse()
    return timeline
