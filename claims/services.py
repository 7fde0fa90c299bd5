"""The bridge between the database and the rule engines, and every write to claims data.

Reads gather plain facts for `coding.units`, `coding.modifiers`, `coding.pricing` and
`claims.scrubber`; writes are keyword-only `<entity>_<action>` functions, one transaction each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from claims.models import (
    AccessEvent,
    Claim,
    ClaimLine,
    ClaimStatus,
    Patient,
    SessionService,
    TreatmentSession,
)
from claims.scrubbing import claim_scrub
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Payer,
    RelativeValue,
    UnitLimit,
)
from coding.modifiers import (
    KxFacts,
    LineFacts,
    ModifierRequest,
    ModifierResult,
    PairFacts,
    suggest_modifiers,
)
from coding.pricing import (
    CENT,
    PricedLine,
    PriceLine,
    PricingRequest,
    PricingResult,
    RvuSplit,
    compute_expected_amount,
)
from coding.units import Method, ServiceInput, UnitsRequest, UnitsResult, compute_units
from ptclinic.models import Clinic, Credential, Membership


@dataclass(frozen=True)
class ServiceRow:
    """One service as the therapist typed it."""

    code: str
    minutes: int
    pta_minutes: int = 0


@dataclass(frozen=True)
class LineChoice:
    """The therapist's own units/modifiers for a suggested line, with the reason."""

    units: int
    modifiers: tuple[str, ...]
    reason: str


@dataclass
class SuggestedClaimLine:
    key: str  # "97110" or "97110-CQ": stable while the therapist types
    code: str
    short_name: str
    units: int
    modifiers: tuple[str, ...]
    cq: bool
    minutes: int
    pta_minutes: int
    fee: Decimal | None = None
    expected_amount: Decimal | None = None


@dataclass
class Suggestion:
    payer: Payer
    method: Method
    units: UnitsResult
    modifiers: ModifierResult
    pricing: PricingResult
    lines: list[SuggestedClaimLine]
    kx: KxFacts
    fee_year: FeeYear | None
    ytd_allowed: Decimal
    unknown_codes: list[str] = field(default_factory=list)

    @property
    def expected_total(self) -> Decimal:
        return self.pricing.total

    @property
    def kx_after_visit(self) -> Decimal:
        return self.kx.ytd_before_visit + self.kx.this_visit


def _code_facts(codes: Sequence[str]) -> dict[str, BillingCode]:
    return {c.code: c for c in BillingCode.objects.filter(code__in=set(codes))}


def session_suggest(
    *,
    patient: Patient | None,
    payer: Payer,
    date_of_service: dt.date,
    rows: Sequence[ServiceRow],
    therapist_credential: str = Credential.PT,
    tie_choice: tuple[str, ...] | None = None,
    exclude_claim: int | None = None,
    codes: dict[str, BillingCode] | None = None,
) -> Suggestion:
    """Codes, units, modifiers and the expected amount for a day's services (§1–§4, §6.9, §8).

    Rows must name known codes (the form checks that first). A PTA's minutes are all PTA minutes.
    `codes`: the rows' codes when the caller has just read them (the form has), saving a query.
    """
    if codes is None or any(r.code not in codes for r in rows):
        codes = _code_facts([r.code for r in rows])
    year = date_of_service.year
    fees = {
        f.billing_code_id: f.allowed_amount
        for f in FeeScheduleEntry.objects.filter(payer=payer, year=year, billing_code__in=codes)
    }
    limits: dict[str, int] = {}
    for limit in UnitLimit.objects.filter(
        billing_code__in=codes, effective__lte=date_of_service
    ).order_by("billing_code", "effective"):
        limits[limit.billing_code_id] = limit.max_units  # the latest in force wins
    is_pta = therapist_credential == Credential.PTA
    services = tuple(
        ServiceInput(
            code=r.code,
            minutes=r.minutes,
            timed=codes[r.code].timed,
            always_therapy=codes[r.code].always_therapy,
            pta_minutes=r.minutes if is_pta else r.pta_minutes,
            fee=fees.get(r.code),
            max_units=limits.get(r.code),
        )
        for r in rows
    )
    method = Method(payer.unit_method)
    units = compute_units(
        UnitsRequest(
            services=services,
            method=method,
            daily_timed_unit_cap=payer.daily_timed_unit_cap,
            tie_choice=tie_choice,
        )
    )
    pairs = tuple(
        PairFacts(p.column1_id, p.column2_id, p.modifier_indicator)
        for p in EditPair.objects.in_force(date_of_service).filter(
            column1__in=codes, column2__in=codes
        )
    )
    line_facts = tuple(
        LineFacts(line.code, line.units, line.cq_units, codes[line.code].always_therapy)
        for line in units.lines
    )
    rvus = {
        r.billing_code_id: RvuSplit(r.work_rvu, r.pe_rvu, r.mp_rvu)
        for r in RelativeValue.objects.filter(billing_code__in=codes, year=year)
    }
    pricing = compute_expected_amount(
        PricingRequest(
            lines=tuple(
                PriceLine(
                    code=line.code,
                    units=line.units,
                    fee=fees.get(line.code),
                    cq_units=line.cq_units,
                    always_therapy=codes[line.code].always_therapy,
                    rvu=rvus.get(line.code),
                )
                for line in units.lines
            ),
            applies_mppr=payer.applies_mppr,
            applies_cq_reduction=payer.applies_cq_reduction,
        )
    )
    fee_year = FeeYear.objects.filter(year=year).first()
    ytd = (
        Claim.objects.ytd_allowed(patient, year, excluding=exclude_claim)
        if patient is not None and payer.kx_applies
        else Decimal("0")
    )
    kx = KxFacts(
        applies=payer.kx_applies,
        threshold=fee_year.kx_threshold if fee_year else None,
        ytd_before_visit=ytd,
        this_visit=pricing.total,
    )
    modifiers = suggest_modifiers(ModifierRequest(lines=line_facts, pairs=pairs, kx=kx))
    minutes = _line_minutes(units, modifiers)
    priced = {p.code: p for p in pricing.lines}
    lines = [
        SuggestedClaimLine(
            key=f"{s.code}-CQ" if s.cq else s.code,
            code=s.code,
            short_name=codes[s.code].short_name,
            units=s.units,
            modifiers=s.modifiers,
            cq=s.cq,
            minutes=minutes[(s.code, s.cq)][0],
            pta_minutes=minutes[(s.code, s.cq)][1],
            fee=fees.get(s.code),
            expected_amount=_share_of(priced[s.code], s.units, cq=s.cq),
        )
        for s in modifiers.lines
    ]
    return Suggestion(
        payer=payer,
        method=method,
        units=units,
        modifiers=modifiers,
        pricing=pricing,
        lines=lines,
        kx=kx,
        fee_year=fee_year,
        ytd_allowed=ytd,
    )


def _line_minutes(
    units: UnitsResult, modifiers: ModifierResult
) -> dict[tuple[str, bool], tuple[int, int]]:
    """Minutes (and PTA minutes) per claim line. When a code is split into a GP line and a GP CQ
    line, the assistant's minutes go on the CQ line and the PT's own on the other, so the lines
    add up to the code's minutes."""
    split = {s.code for s in modifiers.lines if s.cq} & {
        s.code for s in modifiers.lines if not s.cq
    }
    found: dict[tuple[str, bool], tuple[int, int]] = {}
    for line in units.lines:
        if line.code in split:
            found[(line.code, False)] = (line.minutes - line.pta_minutes, 0)
            found[(line.code, True)] = (line.pta_minutes, line.pta_minutes)
        else:
            found[(line.code, False)] = found[(line.code, True)] = (line.minutes, line.pta_minutes)
    return found


def _share_of(priced: PricedLine, units: int, *, cq: bool) -> Decimal | None:
    """A split line's part of its code's expected amount: the CQ reduction falls on CQ units."""
    if priced.expected_amount is None or priced.units == 0:
        return None
    if priced.cq_units == 0 or priced.cq_units == priced.units:
        return (
            priced.expected_amount * units / priced.units
            if units != priced.units
            else (priced.expected_amount)
        )
    before_cq = priced.expected_amount + (priced.cq_reduction or Decimal(0))
    pt_part = (before_cq * (priced.units - priced.cq_units) / priced.units).quantize(CENT)
    return priced.expected_amount - pt_part if cq else pt_part


@dataclass(frozen=True)
class SessionInput:
    """Everything the session form collects, already validated field by field."""

    patient: Patient
    therapist: Membership
    payer: Payer
    date_of_service: dt.date
    rows: tuple[ServiceRow, ...]
    diagnoses: tuple[str, ...]
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    medical_necessity: str = ""
    is_progress_report: bool = False
    tie_choice: tuple[str, ...] | None = None
    choices: dict[str, LineChoice] = field(default_factory=dict)
    dx_pointers: dict[str, tuple[int, ...]] = field(default_factory=dict)


def _default_pointers(diagnoses: Sequence[str]) -> list[int]:
    return list(range(1, min(len(diagnoses), 4) + 1))


def _write_session(session: TreatmentSession, data: SessionInput) -> None:
    session.patient = data.patient
    session.therapist = data.therapist
    session.payer = data.payer
    session.date_of_service = data.date_of_service
    session.diagnoses = list(data.diagnoses)
    session.subjective = data.subjective
    session.objective = data.objective
    session.assessment = data.assessment
    session.plan = data.plan
    session.medical_necessity = data.medical_necessity
    session.is_progress_report = data.is_progress_report
    session.full_clean()
    session.save()
    session.services.all().delete()
    for position, row in enumerate(data.rows, start=1):
        service = SessionService(
            session=session,
            position=position,
            billing_code_id=row.code,
            minutes=row.minutes,
            pta_minutes=row.minutes
            if data.therapist.credential == Credential.PTA
            else row.pta_minutes,
        )
        service.full_clean()
        service.save()


def _write_claim(claim: Claim, data: SessionInput, suggestion: Suggestion, *, reason: str) -> None:
    claim.patient = data.patient
    claim.therapist = data.therapist
    claim.payer = data.payer
    claim.date_of_service = data.date_of_service
    claim.unit_method = suggestion.method.value
    claim.total_timed_minutes = suggestion.units.total_timed_minutes
    claim.total_treatment_minutes = suggestion.units.total_treatment_minutes
    claim.explanation = [
        {"text": step.text, "rule": step.rule}
        for step in (*suggestion.units.explanation, *suggestion.pricing.explanation)
    ]
    total_units = 0
    expected = Decimal("0")
    complete = True
    new_lines: list[ClaimLine] = []
    for position, line in enumerate(suggestion.lines, start=1):
        choice = data.choices.get(line.key)
        units = choice.units if choice else line.units
        modifiers = list(choice.modifiers) if choice else list(line.modifiers)
        amount = line.expected_amount
        if amount is not None and line.units and units != line.units:
            amount = (amount / line.units * units).quantize(Decimal("0.01"))
        claim_line = ClaimLine(
            position=position,
            billing_code_id=line.code,
            units=units,
            modifiers=modifiers,
            dx_pointers=list(data.dx_pointers.get(line.code) or _default_pointers(data.diagnoses)),
            minutes=line.minutes,
            pta_minutes=line.pta_minutes,
            expected_amount=amount,
            suggested_units=line.units,
            suggested_amount=line.expected_amount,
            suggested_modifiers=list(line.modifiers),
            change_reason=choice.reason if choice else "",
        )
        claim_line.full_clean(exclude=["claim"])
        new_lines.append(claim_line)
        total_units += units
        if amount is None:
            complete = False
        else:
            expected += amount
    claim.total_units = total_units
    claim.expected_amount = expected
    claim.expected_is_estimate = suggestion.pricing.is_estimate or not complete
    claim._change_reason = reason  # type: ignore[attr-defined]  (kept by simple-history)
    claim.full_clean(exclude=["session"])
    claim.save()
    claim.lines.all().delete()
    for claim_line in new_lines:
        claim_line.claim = claim
        claim_line.save()


def _suggest_for(data: SessionInput, *, exclude_claim: int | None = None) -> Suggestion:
    return session_suggest(
        patient=data.patient,
        payer=data.payer,
        date_of_service=data.date_of_service,
        rows=data.rows,
        therapist_credential=data.therapist.credential,
        tie_choice=data.tie_choice,
        exclude_claim=exclude_claim,
    )


def _check_scope(clinic: Clinic, data: SessionInput) -> None:
    if data.patient.clinic_id != clinic.pk or data.therapist.clinic_id != clinic.pk:
        raise ValidationError("The patient and the therapist must belong to this clinic.")
    if not data.rows:
        raise ValidationError("Add at least one service.")


@transaction.atomic
def claim_create_from_session(*, clinic: Clinic, user: Any, data: SessionInput) -> Claim:
    """Save the session and its claim in status "needs review", then scrub it."""
    _check_scope(clinic, data)
    suggestion = _suggest_for(data)
    session = TreatmentSession(clinic=clinic, created_by=user)
    _write_session(session, data)
    claim = Claim(clinic=clinic, session=session)
    _write_claim(claim, data, suggestion, reason="Created from the treatment session")
    return claim_scrub(claim=claim, reason="Scrubbed on save")


@transaction.atomic
def claim_resubmit(*, claim: Claim, user: Any, data: SessionInput) -> Claim:
    """The therapist's edit of a session whose claim is not yet approved: the engine runs again
    and the claim goes back to "needs review"."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status == ClaimStatus.APPROVED:
        raise ValidationError("This claim is approved and can no longer be changed.")
    _check_scope(claim.clinic, data)
    suggestion = _suggest_for(data, exclude_claim=claim.pk)
    _write_session(claim.session, data)
    claim.status = ClaimStatus.NEEDS_REVIEW
    claim.submitted_at = timezone.now()
    claim.version += 1
    _write_claim(claim, data, suggestion, reason="Edited and resubmitted by the therapist")
    return claim_scrub(claim=claim, reason="Scrubbed on resubmission")


# ---- review: owners act on claims (billing-rules §6; the review-queue issue) ----------------


class ClaimConflict(Exception):
    """Someone else changed the claim since this page was loaded."""


def _locked(claim: Claim, version: int | None) -> Claim:
    """The claim, locked for this transaction; refuses a stale page (optimistic version)."""
    fresh = Claim.objects.select_for_update().get(pk=claim.pk)
    if version is not None and fresh.version != version:
        raise ClaimConflict(
            f"Claim #{fresh.pk} was changed by someone else while you were looking at it "
            f"(it is now {fresh.get_status_display().lower()}). Reload it and try again."
        )
    return fresh


def _save_decision(claim: Claim, reason: str) -> Claim:
    claim.version += 1
    claim._change_reason = reason  # type: ignore[attr-defined]
    claim.full_clean(exclude=["session"])
    claim.save()
    return claim


@transaction.atomic
def claim_approve(
    *, claim: Claim, user: Any, version: int | None, override_reason: str = ""
) -> Claim:
    """Approve a claim waiting for review. Unresolved errors block it unless the owner writes
    why they approve anyway."""
    claim = _locked(claim, version)
    if claim.status != ClaimStatus.NEEDS_REVIEW:
        raise ValidationError(
            f"Only a claim that needs review can be approved; this one is "
            f"{claim.get_status_display().lower()}."
        )
    override_reason = override_reason.strip()
    if claim.open_errors and not override_reason:
        raise ValidationError(
            f"{claim.open_errors} unresolved error(s): resolve or waive them, or give a reason "
            "to approve anyway."
        )
    claim.status = ClaimStatus.APPROVED
    claim.decided_by = user
    claim.decided_at = timezone.now()
    claim.override_reason = override_reason
    reason = f"Approved with errors: {override_reason}" if override_reason else "Approved"
    return _save_decision(claim, reason)


@transaction.atomic
def claim_return(*, claim: Claim, user: Any, version: int | None, comment: str) -> Claim:
    """Send a claim back to its therapist with what to fix."""
    claim = _locked(claim, version)
    comment = comment.strip()
    if not comment:
        raise ValidationError("Tell the therapist what to fix.")
    if claim.status != ClaimStatus.NEEDS_REVIEW:
        raise ValidationError("Only a claim that needs review can be returned.")
    claim.status = ClaimStatus.RETURNED
    claim.return_comment = comment
    claim.decided_by = user
    claim.decided_at = timezone.now()
    return _save_decision(claim, f"Returned: {comment}")


@transaction.atomic
def flag_settle(*, flag: Any, user: Any, version: int | None, note: str, waive: bool) -> Any:
    """Mark one flag resolved (fixed) or waived (accepted as is), with a note."""
    claim = _locked(flag.claim, version)
    if claim.is_read_only:
        raise ValidationError("This claim is approved and can no longer be changed.")
    note = note.strip()
    if not note:
        raise ValidationError("Add a note: what was fixed, or why the flag can be waived.")
    try:
        flag.refresh_from_db()
    except type(flag).DoesNotExist:
        raise ClaimConflict(
            "That flag is gone: the claim was scrubbed again meanwhile. Reload it."
        ) from None
    if flag.status != "open":
        raise ValidationError("That flag is already settled.")
    flag.status = "waived" if waive else "resolved"
    flag.resolved_by = user
    flag.resolved_at = timezone.now()
    flag.resolution_note = note
    flag._change_reason = f"{flag.status.capitalize()}: {note}"
    flag.full_clean()
    flag.save()
    open_flags = claim.flags.filter(status="open")
    claim.open_errors = open_flags.filter(severity="error").count()
    claim.open_warnings = open_flags.filter(severity="warning").count()
    _save_decision(claim, f"Flag {flag.rule_id} {flag.status}")
    return flag


@transaction.atomic
def claim_line_update(
    *,
    line: ClaimLine,
    user: Any,
    version: int | None,
    units: int,
    modifiers: Sequence[str],
    reason: str,
) -> Claim:
    """A reviewer's correction of one line's units or modifiers; the claim is re-scrubbed."""
    claim = _locked(line.claim, version)
    if claim.is_read_only:
        raise ValidationError("This claim is approved and can no longer be changed.")
    reason = reason.strip()
    if not reason:
        raise ValidationError("Say why the line changes.")
    line.refresh_from_db()
    old = f"{line.units} × {' '.join(line.modifiers) or 'no modifiers'}"
    if line.suggested_amount is not None and line.suggested_units:
        per_unit = line.suggested_amount / line.suggested_units
        line.expected_amount = (per_unit * units).quantize(CENT)
    line.units = units
    line.modifiers = list(modifiers)
    line.change_reason = reason
    line._change_reason = f"{old} → {units} × {' '.join(modifiers)}: {reason}"  # type: ignore[attr-defined]
    line.full_clean()
    line.save()
    claim.total_units = sum(claim.lines.values_list("units", flat=True))
    amounts = list(claim.lines.values_list("expected_amount", flat=True))
    claim.expected_amount = sum((a for a in amounts if a is not None), Decimal(0))
    _save_decision(claim, f"Line {line.billing_code_id} changed by the reviewer")
    return claim_scrub(claim=claim, reason="Scrubbed after a line change")


@transaction.atomic
def claim_rescrub(*, claim: Claim, user: Any, version: int | None = None) -> Claim:
    """Run the scrubber again on demand (after a plan was certified, a table changed, …)."""
    claim = _locked(claim, version)
    if claim.is_read_only:
        raise ValidationError("This claim is approved and can no longer be changed.")
    return claim_scrub(claim=claim, reason="Re-scrubbed by the reviewer", bump=True)


def claims_bulk_approve(*, clinic: Clinic, user: Any, claim_ids: Sequence[int]) -> tuple[int, int]:
    """Approve the chosen claims that need review and have no unresolved errors.
    Returns (approved, skipped); each claim is its own transaction."""
    approved = 0
    for claim in Claim.objects.for_clinic(clinic).filter(pk__in=claim_ids):
        if claim.status != ClaimStatus.NEEDS_REVIEW or claim.open_errors:
            continue
        try:
            claim_approve(claim=claim, user=user, version=claim.version)
        except (ClaimConflict, ValidationError):
            continue
        approved += 1
    # Anything asked for and not approved was skipped: decided, with errors, or not found.
    return approved, len(set(claim_ids)) - approved


def access_record(
    *, clinic: Clinic, user: Any, patient: Patient, kind: str, object_id: int, path: str
) -> None:
    """Note that `user` opened a page showing `patient`'s data (the audit trail)."""
    event = AccessEvent(
        clinic=clinic,
        user=user,
        patient=patient,
        kind=kind,
        object_id=object_id,
        path=path[:300],
    )
    # The related objects come from the request, already fetched: no need to look them up again.
    event.full_clean(exclude=["clinic", "user", "patient"])
    event.save()
