"""The bridge between the database and the rule engines, and every write to claims data.

Every claim is drafted by one pipeline (`claims.pipeline.draft_claim`) over the facts of one
builder (`claims.facts`): the live panel, saving and resubmitting call `session_draft`, so what
the therapist sees is what is saved and what the reviewer sees. Writes are keyword-only
`<entity>_<action>` functions, one transaction each.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from claims import lifecycle
from claims import scrubber as rules
from claims.facts import ClaimContext, ClaimSpec, ReferenceFacts, claim_context
from claims.models import (
    AccessEvent,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimStatus,
    Patient,
    SessionService,
    TreatmentSession,
)
from claims.pipeline import (
    CodePrice,
    DraftClaim,
    DraftRequest,
    Override,
    Service,
    draft_claim,
    line_charge,
    price_lines,
)
from claims.scrubbing import claim_scrub
from coding.code_groups import PT_ONLY_CODES
from coding.models import Payer
from ptclinic.models import Clinic, Credential, Membership

__all__ = ["Override", "ServiceRow", "SessionDraft", "SessionInput", "session_draft"]


@dataclass(frozen=True)
class ServiceRow:
    """One service as the therapist typed it; ``dx_pointers`` point into the session's own
    diagnoses (1-based)."""

    code: str
    minutes: int
    pta_minutes: int = 0
    dx_pointers: tuple[int, ...] = ()


@dataclass(frozen=True)
class SessionDraft:
    """The claim a session makes (the day's claim, when it joins one), with its facts."""

    context: ClaimContext
    draft: DraftClaim

    @property
    def joins_claim(self) -> int | None:
        return self.context.claim_id

    @property
    def pooled(self) -> bool:
        """Other sessions of the same day are on this claim (§10.1)."""
        return self.context.other_sessions > 0


def _services(rows: Sequence[ServiceRow], credential: str) -> tuple[Service, ...]:
    """A PTA's visit is furnished by an assistant: all its minutes are assistant minutes."""
    by_assistant = credential == Credential.PTA
    return tuple(
        Service(
            code=r.code,
            minutes=r.minutes,
            pta_minutes=r.minutes if by_assistant else r.pta_minutes,
            by_assistant=by_assistant,
            dx_pointers=r.dx_pointers,
        )
        for r in rows
    )


def session_draft(
    *,
    patient_id: int | None,
    payer: Payer,
    date_of_service: dt.date,
    credential: str,
    rows: Sequence[ServiceRow],
    diagnoses: Sequence[str] = (),
    note: rules.VisitNote | None = None,
    tie_choice: tuple[str, ...] | None = None,
    overrides: dict[str, Override] | None = None,
    claim_id: int | None = None,
    session_id: int | None = None,
    ref: ReferenceFacts | None = None,
    clinic_id: int | None = None,
    therapist_id: int | None = None,
) -> SessionDraft:
    """The claim this session makes, through the one pipeline (docs/billing-rules.md §1-§10).

    A new session of a patient who already has an open claim that day with the same payer joins
    it: the draft is the day's claim, its minutes pooled (§10.1). Raises ValueError on impossible
    minutes (the engine's message)."""
    own = _services(rows, credential)
    spec = ClaimSpec(
        patient_id=patient_id or 0,
        payer_id=payer.pk,
        date_of_service=date_of_service,
        credential=credential,
        diagnoses=tuple(diagnoses),
        note=note or rules.VisitNote(""),
        services=own,
        claim_id=claim_id,
        session_id=session_id,
        clinic_id=clinic_id,
        therapist_id=therapist_id,
    )
    context = claim_context(spec, ref=ref)
    draft = draft_claim(
        DraftRequest(
            facts=context.facts,
            services=context.services,
            prices=context.prices,
            terms=context.payer.terms,
            tie_choice=tie_choice,
            overrides=overrides or {},
            names=context.names,
        )
    )
    return SessionDraft(context=context, draft=draft)


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
    overrides: dict[str, Override] = field(default_factory=dict)
    submission_token: str = ""

    @property
    def note(self) -> rules.VisitNote:
        return rules.VisitNote(
            medical_necessity=self.medical_necessity,
            subjective=self.subjective,
            objective=self.objective,
            assessment=self.assessment,
            plan=self.plan,
            includes_progress_report=self.is_progress_report,
        )


def session_draft_for(
    data: SessionInput, *, claim_id: int | None = None, session_id: int | None = None
) -> SessionDraft:
    """The draft of a validated session input (what saving stores)."""
    try:
        return session_draft(
            patient_id=data.patient.pk,
            payer=data.payer,
            date_of_service=data.date_of_service,
            credential=data.therapist.credential,
            rows=data.rows,
            diagnoses=data.diagnoses,
            note=data.note,
            tie_choice=data.tie_choice,
            overrides=data.overrides,
            claim_id=claim_id,
            session_id=session_id,
            clinic_id=data.patient.clinic_id,
            therapist_id=data.therapist.pk,
        )
    except ValueError as error:
        raise ValidationError(f"The minutes cannot be right: {error}.") from error


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
    session.full_clean(exclude=["claim"])
    session.save()
    session.services.all().delete()
    for position, service in enumerate(_services(data.rows, data.therapist.credential), start=1):
        row = SessionService(
            session=session,
            position=position,
            billing_code_id=service.code,
            minutes=service.minutes,
            pta_minutes=service.pta_minutes,
            dx_pointers=list(service.dx_pointers),
        )
        row.full_clean()
        row.save()


def _write_claim(claim: Claim, data: SessionInput, result: SessionDraft, *, reason: str) -> None:
    """Store the draft exactly as the panel showed it: its lines, units, modifiers, amounts."""
    draft = result.draft
    claim.patient = data.patient
    claim.payer = data.payer
    claim.date_of_service = data.date_of_service
    if claim.pk is None:
        claim.therapist = data.therapist
    claim.diagnoses = [dx.code for dx in result.context.facts.diagnoses]
    claim.unit_method = draft.units.method.value
    claim.total_timed_minutes = draft.units.total_timed_minutes
    claim.total_treatment_minutes = draft.units.total_treatment_minutes
    claim.explanation = [{"text": step.text, "rule": step.rule} for step in draft.explanation]
    claim.total_units = draft.total_units
    claim.expected_amount = draft.total
    claim.expected_is_estimate = draft.is_estimate
    claim.total_charge = draft.total_charge
    claim._change_reason = reason  # type: ignore[attr-defined]  # simple-history reads it
    claim.full_clean()
    claim.save()
    claim.lines.all().delete()
    for position, line in enumerate(draft.lines, start=1):
        claim_line = ClaimLine(
            claim=claim,
            position=position,
            billing_code_id=line.code,
            units=line.units,
            modifiers=list(line.modifiers),
            dx_pointers=list(line.dx_pointers),
            minutes=line.minutes,
            pta_minutes=line.pta_minutes,
            by_assistant=line.by_assistant,
            expected_amount=line.amount,
            charge=line.charge,
            suggested_units=line.suggested_units,
            suggested_amount=line.suggested_amount,
            suggested_modifiers=list(line.suggested_modifiers),
            change_reason=line.change_reason,
        )
        claim_line.full_clean()
        claim_line.save()


def _check_scope(clinic: Clinic, user: Any, data: SessionInput) -> None:
    """Who may document what (docs/billing-rules.md §10.3)."""
    if data.patient.clinic_id != clinic.pk or data.therapist.clinic_id != clinic.pk:
        raise ValidationError("The patient and the therapist must belong to this clinic.")
    if data.therapist.user_id != user.pk:
        raise PermissionDenied(
            "A session is documented by the treating clinician who signs in; it cannot be "
            "entered for another clinician."
        )
    if not data.rows:
        raise ValidationError("Add at least one service.")
    refusals = session_refusals(
        credential=data.therapist.credential,
        codes=[r.code for r in data.rows],
        is_progress_report=data.is_progress_report,
    )
    if refusals:
        raise ValidationError(refusals)


def session_refusals(
    *, credential: str, codes: Sequence[str], is_progress_report: bool
) -> list[str]:
    """What no clinician's choice can save, in plain words: a PTA's evaluation or
    re-evaluation, or a progress report by a PTA (docs/billing-rules.md §10.3). The panel says
    it before saving; saving refuses it."""
    if credential != Credential.PTA:
        return []
    refusals = []
    pt_only = sorted(set(codes) & PT_ONLY_CODES)
    if pt_only:
        refusals.append(
            f"{', '.join(pt_only)}: evaluations and re-evaluations are the PT's; a PTA may not "
            "bill them."
        )
    if is_progress_report:
        refusals.append("A progress report must be written by the PT, not the PTA.")
    return refusals


def _refuse_block(result: SessionDraft) -> None:
    if result.draft.blocked:
        raise ValidationError(" ".join(result.draft.block_notes))


@transaction.atomic
def claim_create_from_session(*, clinic: Clinic, user: Any, data: SessionInput) -> Claim:
    """Save the session and the day's claim ("needs review"), then scrub it.

    The session joins the patient's open claim of that day with the same payer, if there is one
    (its units are recomputed over the pooled minutes, §10.1); otherwise it makes a new claim.
    A form submitted twice (the same one-time token) saves once."""
    if data.submission_token:
        earlier = TreatmentSession.objects.filter(submission_token=data.submission_token).first()
        if earlier is not None:
            return earlier.claim
    _check_scope(clinic, user, data)
    # One writer per patient at a time: two sessions of one day must not both open a claim.
    Patient.objects.select_for_update().filter(pk=data.patient.pk).first()
    result = session_draft_for(data)
    _refuse_block(result)
    if result.joins_claim is not None:
        claim = Claim.objects.select_for_update().get(pk=result.joins_claim)
        before = claim.status
        claim.status = ClaimStatus.NEEDS_REVIEW
        claim.version += 1
        reason = "Another session of the same day joined the claim"
    else:
        claim = Claim(clinic=clinic)
        before = ""
        reason = "Created from the treatment session"
    _write_claim(claim, data, result, reason=reason)
    if before != claim.status:
        claim_event_record(claim=claim, before=before, user=user, note=reason)
    session = TreatmentSession(
        clinic=clinic,
        created_by=user,
        claim=claim,
        submission_token=data.submission_token or None,
    )
    try:
        with transaction.atomic():
            _write_session(session, data)
    except IntegrityError:
        # The same form, submitted twice at once: the other request saved it.
        raise ValidationError("This session was already saved.") from None
    return claim_scrub(claim=claim, reason="Scrubbed on save")


@transaction.atomic
def claim_resubmit(
    *, claim: Claim, user: Any, data: SessionInput, session: TreatmentSession | None = None
) -> Claim:
    """The therapist's edit of their session whose claim is not yet approved: the pipeline runs
    again over the day's sessions and the claim goes back to "needs review"."""
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.is_read_only:
        raise ValidationError(
            f"This claim is {claim.get_status_display().lower()} and can no longer be changed."
        )
    session = session or claim.sessions.order_by("pk").first()
    assert session is not None
    if session.therapist.user_id != user.pk:
        raise PermissionDenied("Only the clinician who documented a session may change it.")
    _check_scope(claim.clinic, user, data)
    result = session_draft_for(data, claim_id=claim.pk, session_id=session.pk)
    _refuse_block(result)
    _write_session(session, data)
    before = claim.status
    claim.status = ClaimStatus.NEEDS_REVIEW
    claim.submitted_at = timezone.now()
    claim.version += 1
    _write_claim(claim, data, result, reason="Edited and resubmitted by the therapist")
    if before != claim.status:
        claim_event_record(claim=claim, before=before, user=user, note="Resubmitted")
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


def claim_event_record(
    *,
    claim: Claim,
    before: str,
    user: Any,
    note: str = "",
    batch_file: Any = None,
    payment: Any = None,
) -> ClaimEvent:
    """One move of the claim's life, after the claim's status changed (§11.3)."""
    return ClaimEvent.objects.create(
        claim=claim,
        from_status=before,
        to_status=claim.status,
        user=user,
        note=note[:2000],
        batch_file=batch_file,
        payment=payment,
    )


def _move(claim: Claim, target: str) -> str:
    """Move the locked claim to ``target``; refuses a move its life does not allow."""
    why = lifecycle.refusal(claim.status, target, dict(ClaimStatus.choices))
    if why:
        raise ValidationError(why)
    before = claim.status
    claim.status = target
    return before


def _save_decision(claim: Claim, reason: str) -> Claim:
    claim.version += 1
    claim._change_reason = reason  # type: ignore[attr-defined]  # simple_history reads it at save()
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
    if claim.sessions.filter(therapist__user=user).exists():  # §10.3
        raise PermissionDenied(
            "You treated the patient on this claim: another person must approve it."
        )
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
    before = _move(claim, ClaimStatus.APPROVED)
    claim.decided_by = user
    claim.decided_at = timezone.now()
    claim.override_reason = override_reason
    reason = f"Approved with errors: {override_reason}" if override_reason else "Approved"
    _save_decision(claim, reason)
    claim_event_record(claim=claim, before=before, user=user, note=override_reason)
    return claim


@transaction.atomic
def claim_return(*, claim: Claim, user: Any, version: int | None, comment: str) -> Claim:
    """Send a claim back to its therapist with what to fix."""
    claim = _locked(claim, version)
    comment = comment.strip()
    if not comment:
        raise ValidationError("Tell the therapist what to fix.")
    if claim.status != ClaimStatus.NEEDS_REVIEW:
        raise ValidationError("Only a claim that needs review can be returned.")
    before = _move(claim, ClaimStatus.RETURNED)
    claim.return_comment = comment
    claim.decided_by = user
    claim.decided_at = timezone.now()
    _save_decision(claim, f"Returned: {comment}")
    claim_event_record(claim=claim, before=before, user=user, note=comment)
    return claim


@transaction.atomic
def claim_reopen(*, claim: Claim, user: Any, version: int | None, reason: str) -> Claim:
    """Take an approved claim that was not sent back into review."""
    claim = _locked(claim, version)
    reason = _required(reason, "Say why the claim goes back to review.")
    before = _move(claim, ClaimStatus.NEEDS_REVIEW)
    claim.decided_by, claim.decided_at = None, None
    _save_decision(claim, f"Reopened: {reason}")
    claim_event_record(claim=claim, before=before, user=user, note=reason)
    return claim_scrub(claim=claim, reason="Scrubbed on reopening")


@transaction.atomic
def claim_mark(*, claim: Claim, user: Any, version: int | None, status: str, note: str) -> Claim:
    """Record what the clearinghouse or payer said of a sent claim: accepted, or rejected
    (with its reason, which the biller fixes before sending it again)."""
    claim = _locked(claim, version)
    if status not in (ClaimStatus.ACCEPTED, ClaimStatus.REJECTED):
        raise ValidationError("A sent claim is marked accepted or rejected.")
    note = note.strip()
    if status == ClaimStatus.REJECTED and not note:
        raise ValidationError("Give the rejection's reason, as the clearinghouse reported it.")
    before = _move(claim, status)
    _save_decision(claim, f"Marked {claim.get_status_display().lower()}: {note}".strip(": "))
    claim_event_record(claim=claim, before=before, user=user, note=note)
    return claim


def _required(text: str, message: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError(message)
    return text


@transaction.atomic
def claim_correct(
    *, claim: Claim, user: Any, version: int | None, reason: str, payer_claim_number: str = ""
) -> Claim:
    """Correct a sent claim (§11.3): a rejected one goes back to review to be sent again as
    an original; an adjudicated one as a replacement (frequency 7) naming the payer's claim
    number. Either way it is reviewed again and its therapist may edit the session."""
    claim = _locked(claim, version)
    reason = _required(reason, "Say what is being corrected.")
    plan = lifecycle.correction(claim.status, claim.frequency_code)
    if plan is None:
        raise ValidationError(
            f"A claim that is {claim.get_status_display().lower()} is not corrected this way."
        )
    number = payer_claim_number.strip() or claim.payer_claim_number
    if plan.needs_original_number and not number:
        raise ValidationError(
            "Give the payer's claim number of the original (from its remittance): a "
            "replacement claim must name it."
        )
    before = _move(claim, ClaimStatus.NEEDS_REVIEW)
    claim.frequency_code = plan.frequency_code
    claim.payer_claim_number = number
    claim.decided_by, claim.decided_at = None, None
    claim.submitted_at = timezone.now()
    label = "replacement" if plan.frequency_code == lifecycle.REPLACEMENT else "new original"
    _save_decision(claim, f"Corrected ({label}): {reason}")
    claim_event_record(claim=claim, before=before, user=user, note=f"Corrected: {reason}")
    return claim_scrub(claim=claim, reason="Scrubbed on correction")


@transaction.atomic
def claim_void(
    *, claim: Claim, user: Any, version: int | None, reason: str, payer_claim_number: str = ""
) -> Claim:
    """Cancel an adjudicated claim: it is approved as a void (frequency 8) and goes out in the
    next file; sending it makes it voided."""
    claim = _locked(claim, version)
    reason = _required(reason, "Say why the claim is voided.")
    if not lifecycle.can_void(claim.status):
        raise ValidationError(
            "Only a claim the payer has on file (accepted, paid or denied) can be voided; an "
            "unsent claim is simply not sent."
        )
    number = _required(
        payer_claim_number.strip() or claim.payer_claim_number,
        "Give the payer's claim number of the claim to void.",
    )
    before = _move(claim, ClaimStatus.APPROVED)
    claim.frequency_code = lifecycle.VOID
    claim.payer_claim_number = number
    claim.decided_by, claim.decided_at = user, timezone.now()
    _save_decision(claim, f"Void approved: {reason}")
    claim_event_record(claim=claim, before=before, user=user, note=f"Void: {reason}")
    return claim


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
    line.units = units
    line.modifiers = list(modifiers)
    line.change_reason = reason
    line._change_reason = f"{old} → {units} × {' '.join(modifiers)}: {reason}"  # type: ignore[attr-defined]  # simple_history reads it at save()
    if units == 0:
        line.delete()  # a line with 0 units is not a claim line (§10.11)
        claim_reprice(claim=claim)
    else:
        line.full_clean()
        claim_reprice(claim=claim, changed=line)
    _save_decision(claim, f"Line {line.billing_code_id} changed by the reviewer")
    return claim_scrub(claim=claim, reason="Scrubbed after a line change")


@transaction.atomic
def claim_rescrub(*, claim: Claim, user: Any, version: int | None = None) -> Claim:
    """Run the scrubber again on demand (after a plan was certified, a table changed, …)."""
    claim = _locked(claim, version)
    if claim.is_read_only:
        raise ValidationError("This claim is approved and can no longer be changed.")
    before = claim.version
    claim = claim_scrub(claim=claim, reason="Re-scrubbed by the reviewer", bump=True, user=user)
    if claim.version == before:
        # Nothing changed, so the scrub wrote no history; the audit trail still says who ran
        # it and when (one history row of the claim as it stands). simple-history reads the
        # reason and the user off the instance (attributes the model does not declare).
        reason = "Re-scrubbed by the reviewer: no finding changed"
        claim._change_reason = reason  # type: ignore[attr-defined]  # simple_history reads it at save()
        claim._history_user = user  # type: ignore[attr-defined]  # simple_history reads it at save()
        claim.save(update_fields=["version"])
    return claim


def claim_reprice(*, claim: Claim, changed: ClaimLine | None = None) -> Claim:
    """The claim's amounts from its lines as they are now (with ``changed``, the line being
    edited, in place of its stored row), each priced as what it is: MPPR once for the day,
    then CQ; never pro rata (docs/billing-rules.md §10.11). Saves ``changed`` and every line
    whose amount moves, each with one history row."""
    lines = [changed if changed and line.pk == changed.pk else line for line in claim.lines.all()]
    codes = {line.billing_code_id for line in lines}
    ref = ReferenceFacts.current()
    prices = ref.prices(claim.payer_id, claim.date_of_service, codes, clinic_id=claim.clinic_id)
    pricing, amounts = price_lines(
        [
            (str(line.pk), line.billing_code_id, line.units, "CQ" in line.modifiers)
            for line in lines
        ],
        prices=prices,
        codes=ref.codes,
        terms=ref.payer(claim.payer_id, claim.date_of_service).terms,
    )
    for line in lines:
        amount = amounts.get(str(line.pk))
        charge = line_charge(prices.get(line.billing_code_id, CodePrice()), line.units)
        if line is changed:
            line.expected_amount = amount
            line.charge = charge
            line.save()
        elif (line.expected_amount, line.charge) != (amount, charge):
            line.expected_amount = amount
            line.charge = charge
            line._change_reason = "Re-priced with the day's changed line (MPPR)"  # type: ignore[attr-defined]  # simple_history reads it at save()
            line.save(update_fields=["expected_amount", "charge"])
    claim.total_units = sum(line.units for line in lines)
    claim.expected_amount = pricing.total
    claim.expected_is_estimate = pricing.is_estimate or not pricing.complete
    charges = [line.charge for line in lines]
    claim.total_charge = (
        None if None in charges else sum((c or Decimal(0) for c in charges), Decimal("0.00"))
    )
    return claim


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


def access_record_many(
    *, clinic: Clinic, user: Any, rows: Iterable[tuple[str, int, int]], path: str
) -> int:
    """Note that `user` saw a list showing these records: one access row per (kind, record id,
    patient id), in one INSERT (list, search and export pages; the audit trail). Returns the
    number of rows written."""
    events = [
        AccessEvent(
            clinic=clinic,
            user=user,
            patient_id=patient_id,
            kind=kind,
            object_id=object_id,
            path=path[:300],
        )
        for kind, object_id, patient_id in dict.fromkeys(rows)
    ]
    AccessEvent.objects.bulk_create(events)
    return len(events)


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
