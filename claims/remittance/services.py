"""Posting payers' remittances (835 files) to claims, in one transaction per file
(docs/billing-rules.md §12).

`remittance_post` reads the file (`claims.remittance.era`), stores every payment, finds each
one's claim by the patient control number we sent (``PTC<id>``) or the payer's claim number, and
posts it as `claims.remittance.posting` plans: the money per line, the adjustments and remarks,
the denials with the rule that guards against each, the claim's status and a line in its
history. A payment that finds no claim, or a claim that did not expect money, waits on the
worklist (`ClaimPayment.objects.unmatched()`), where `payment_match` or `payment_dismiss`
settles it.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from claims.models import (
    AccessEvent,
    AccessKind,
    Adjustment,
    Claim,
    ClaimFlag,
    ClaimPayment,
    ClaimStatus,
    LinePayment,
    Remittance,
    RemittanceFile,
)
from claims.remittance import era, posting
from claims.rule_help import Family, rule_help
from claims.scrubber import RULES
from claims.services import claim_event_record
from coding.models import Payer
from ptclinic.models import Clinic

MAX_FILE_BYTES = 20 * 1024 * 1024  # a large payer's weekly 835 is a few MB
MAX_WARNINGS = 50  # kept on the file; the rest are counted
CONTROL_NUMBER = re.compile(r"^PTC(\d{1,12})$", re.IGNORECASE)


class AlreadyPosted(ValidationError):
    """The same file was posted before: nothing is posted again."""

    def __init__(self, existing: RemittanceFile) -> None:
        super().__init__(
            f"This file was already posted on {timezone.localtime(existing.uploaded_at):%m/%d/%Y} "
            f"as {existing.filename!r}: nothing was posted twice."
        )
        self.existing = existing


class PostingBusy(ValidationError):
    """Another file with some of the same payments is being posted at this moment: posting this
    one again shortly posts what the other did not."""


# An X12 interchange opens with its ISA header, of fixed length: its 4th character separates
# the elements, its last ends the segment (X12.5; pyx12 reads it so).
ISA_LENGTH = 106


def remittance_check(content: bytes) -> None:
    """Refuse at once, with ValidationError, a file that is plainly not an 835 (too big, empty,
    binary, without an X12 header): what can be told without reading it, before a job posts it
    (`remittance_post` reads it and refuses the rest)."""
    _text(content)
    if b"\x00" in content:
        raise ValidationError("The file holds binary data, so it is not an X12 text file.")
    head = content.removeprefix(b"\xef\xbb\xbf").lstrip()[:ISA_LENGTH]
    if not head.startswith(b"ISA"):
        raise ValidationError(
            "The file does not start with an ISA header, so it is not an X12 file."
        )
    if len(head) < ISA_LENGTH:
        raise ValidationError(
            f"The file's ISA header is cut short ({len(head)} characters of {ISA_LENGTH}), so "
            "it is not a whole X12 file. Ask the payer or clearinghouse for the file again."
        )


def _families() -> dict[str, Family]:
    return {rule_id: rule_help(rule_id).family for rule_id in RULES}


def _text(content: bytes) -> str:
    if len(content) > MAX_FILE_BYTES:
        raise ValidationError(
            f"The file is {len(content) / 1_048_576:.1f} MB; an 835 over "
            f"{MAX_FILE_BYTES // 1_048_576} MB is refused. Ask the payer to split it."
        )
    if not content.strip():
        raise ValidationError("The file is empty.")
    try:
        return content.decode("utf-8")
    except UnicodeDecodeError:
        return content.decode("latin-1")


@transaction.atomic
def remittance_post(*, clinic: Clinic, user: Any, content: bytes, filename: str) -> RemittanceFile:
    """Post an 835 file to ``clinic``'s claims; a file already posted raises `AlreadyPosted`,
    one that cannot be read raises ValidationError with every reason and posts nothing."""
    text = _text(content)
    digest = hashlib.sha256(content).hexdigest()
    existing = RemittanceFile.objects.for_clinic(clinic).filter(sha256=digest).first()
    if existing:
        raise AlreadyPosted(existing)
    try:
        document = era.read_835(text)
    except era.EraError as error:
        raise ValidationError(error.problems) from None
    warnings = list(document.warnings)
    if len(warnings) > MAX_WARNINGS:
        warnings = [
            *warnings[:MAX_WARNINGS],
            f"… and {len(warnings) - MAX_WARNINGS} more of the same kind.",
        ]
    upload = RemittanceFile(
        clinic=clinic,
        uploaded_by=user,
        filename=(filename or "remittance.835")[:200],
        sha256=digest,
        warnings=warnings,
    )
    upload.file.save(f"{digest[:16]}.835", ContentFile(content), save=False)
    try:
        with transaction.atomic():
            upload.save()
    except IntegrityError:  # the same file, posted at the same moment by someone else
        existing = RemittanceFile.objects.for_clinic(clinic).filter(sha256=digest).first()
        if existing is None:
            raise
        raise AlreadyPosted(existing) from None
    payers = _payers(document.payments)
    stored: list[tuple[ClaimPayment, era.ClaimPayment]] = []
    for payment in document.payments:
        remittance = Remittance.objects.create(
            file=upload,
            clinic=clinic,
            payer=payers.get(payment.payer_identifier),
            payer_name=payment.payer_name[:60],
            payer_identifier=payment.payer_identifier[:80],
            trace_number=payment.trace_number[:50],
            method=payment.method[:3],
            amount=payment.amount,
            paid_on=payment.paid_on,
            provider_adjustments=[
                {"reason": a.reason, "reference": a.reference, "amount": str(a.amount)}
                for a in payment.provider_adjustments
            ],
        )
        stored += _store(clinic, remittance, payment)
    claims = _claims_for(clinic, [doc for _, doc in stored])
    families = _families()
    for row, doc in stored:
        claim = claims.get(doc.control_number.strip().upper()) or claims.get(
            f"#{doc.payer_claim_number}"
        )
        if claim is None:
            row.problem = "No claim of the clinic has this control number or payer's number."
            row.save(update_fields=["problem"])
            continue
        why = posting.refusal(claim.status, claim.get_status_display())
        if why:
            row.problem = f"Claim #{claim.pk}: {why}"[:300]
            row.save(update_fields=["problem"])
            continue
        _post(row, doc, claim, user=user, families=families, how="its control number")
    upload.claim_count = len(stored)
    upload.matched_count = sum(1 for row, _ in stored if row.claim_id)
    upload.already_posted = sum(len(p.claims) for p in document.payments) - len(stored)
    upload.total_paid = sum((p.amount for p in document.payments), Decimal("0.00"))
    upload.save()
    return upload


def _payers(payments: Iterable[era.Payment]) -> dict[str, Payer]:
    ids = {p.payer_identifier for p in payments if p.payer_identifier}
    return {p.payer_id: p for p in Payer.objects.filter(payer_id__in=ids)}


def _key(payment: era.Payment, claim: era.ClaimPayment, occurrence: int) -> str:
    parts = (
        payment.payer_identifier,
        payment.trace_number,
        claim.control_number,
        claim.payer_claim_number,
        claim.status_code,
        str(occurrence),
    )
    return "|".join(parts)[:250]


def _store(
    clinic: Clinic, remittance: Remittance, payment: era.Payment
) -> list[tuple[ClaimPayment, era.ClaimPayment]]:
    """The payment's claims as rows, those not posted by an earlier file (the same payer,
    check, claim and status: the same payment sent twice posts once)."""
    seen: dict[str, int] = {}
    keyed = []
    for doc in payment.claims:
        base = _key(payment, doc, 0)
        seen[base] = seen.get(base, 0) + 1
        keyed.append((_key(payment, doc, seen[base]), doc))
    posted = set(
        ClaimPayment.objects.for_clinic(clinic)
        .filter(key__in=[key for key, _ in keyed])
        .values_list("key", flat=True)
    )
    rows = []
    for key, doc in keyed:
        if key in posted:
            continue
        row = ClaimPayment(
            remittance=remittance,
            clinic=clinic,
            key=key,
            control_number=doc.control_number[:38],
            status_code=doc.status_code[:2],
            outcome=posting.PAID,
            charge=doc.charge,
            paid=doc.paid,
            patient_responsibility=doc.patient_responsibility,
            payer_claim_number=doc.payer_claim_number[:50],
            patient_name=doc.patient_name[:120],
            member_id=doc.member_id[:80],
            service_date=doc.service_date,
            paid_on=remittance.paid_on,
            remarks=list(doc.remarks),
        )
        rows.append((row, doc))
    try:
        with transaction.atomic():
            ClaimPayment.objects.bulk_create([row for row, _ in rows])
    except IntegrityError:  # another file with the same payments is being posted right now
        raise PostingBusy(
            "Another file with some of the same payments is being posted at this moment; "
            "nothing was posted. Post this file again in a minute: what is already posted is "
            "skipped."
        ) from None
    return rows


def _claims_for(clinic: Clinic, docs: Sequence[era.ClaimPayment]) -> dict[str, Claim]:
    """The clinic's claims the payments name, by ``PTC<id>`` and by ``#<payer's number>``."""
    ids = set()
    numbers = set()
    for doc in docs:
        match = CONTROL_NUMBER.match(doc.control_number.strip())
        if match:
            ids.add(int(match.group(1)))
        if doc.payer_claim_number:
            numbers.add(doc.payer_claim_number)
    found = (
        Claim.objects.for_clinic(clinic)
        .filter(Q(pk__in=ids) | Q(payer_claim_number__in=numbers))
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    claims: dict[str, Claim] = {}
    for claim in found:
        if claim.pk in ids:
            claims[claim.control_number.upper()] = claim
        if claim.payer_claim_number:
            claims.setdefault(f"#{claim.payer_claim_number}", claim)
    return claims


def _day(day: Any) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _flags(claim: Claim) -> list[posting.FlagRecord]:
    flags = ClaimFlag.objects.filter(claim=claim).select_related("resolved_by")
    return [
        posting.FlagRecord(
            rule_id=flag.rule_id,
            status=flag.status,
            line_code=flag.line_code,
            by=(flag.resolved_by.get_full_name() or flag.resolved_by.username)
            if flag.resolved_by
            else "",
            on=_day(timezone.localtime(flag.resolved_at).date()) if flag.resolved_at else "",
            note=flag.resolution_note[:120],
        )
        for flag in flags
    ]


def _post(
    row: ClaimPayment,
    doc: era.ClaimPayment,
    claim: Claim,
    *,
    user: Any,
    families: dict[str, Family],
    how: str,
) -> None:
    """Post one stored payment to ``claim``: lines, adjustments, denials traced, the status
    the money says, the payer's claim number, and a line in the claim's history."""
    lines = {line.pk: line for line in claim.lines.all()}
    records = [
        posting.LineRecord(
            id=line.pk,
            code=line.billing_code_id,
            modifiers=tuple(line.modifiers),
            charge=line.charge or Decimal(0),
            expected=line.expected_amount,
        )
        for line in lines.values()
    ]
    plan = posting.plan_posting(doc, records, _flags(claim), families)
    titles = {rule_id: rule.title for rule_id, rule in RULES.items()}

    def denial_fields(denial: era.Adjustment | None, trace: posting.Trace | None) -> dict[str, Any]:
        if trace is None:
            return {}
        return {
            "denial_code": denial.label if denial else "",
            "denial_family": trace.families[0].value if trace.families else "",
            "caught_by_rule": trace.flag.rule_id if trace.flag else "",
            "caught_note": trace.sentence(titles.get(trace.flag.rule_id, "") if trace.flag else "")[
                :300
            ],
        }

    line_rows = []
    for service, line_plan in zip(doc.services, plan.lines, strict=True):
        line = lines.get(line_plan.line_id) if line_plan.line_id else None
        line_rows.append(
            LinePayment(
                payment=row,
                claim_line=line,
                code=service.code[:48],
                modifiers=list(service.modifiers),
                units=max(0, min(service.units, 32767)),
                charge=service.charge,
                allowed=service.allowed
                if service.allowed is not None
                else _allowed(service.paid, service.adjustments),
                paid=service.paid,
                patient_responsibility=service.patient_responsibility,
                expected_amount=line.expected_amount if line else None,
                service_date=service.service_date,
                remarks=list(service.remarks),
                denied=line_plan.denied,
                **denial_fields(line_plan.denial, line_plan.trace),
            )
        )
    for line_id in plan.denied_claim_lines:  # a claim denied as a whole, without its lines
        line = lines[line_id]
        line_rows.append(
            LinePayment(
                payment=row,
                claim_line=line,
                code=line.billing_code_id,
                modifiers=list(line.modifiers),
                units=line.units,
                charge=line.charge or Decimal(0),
                allowed=Decimal(0),
                paid=Decimal(0),
                expected_amount=line.expected_amount,
                service_date=claim.date_of_service,
                denied=True,
                **denial_fields(plan.claim_denial, plan.claim_trace),
            )
        )
    LinePayment.objects.bulk_create(line_rows)
    adjustments = [
        Adjustment(
            payment=row,
            group=a.group[:2],
            reason=a.reason[:5],
            amount=a.amount,
            quantity=a.quantity,
        )
        for a in doc.adjustments
    ]
    for service, line_row in zip(doc.services, line_rows, strict=False):
        adjustments += [
            Adjustment(
                payment=row,
                line=line_row,
                group=a.group[:2],
                reason=a.reason[:5],
                amount=a.amount,
                quantity=a.quantity,
            )
            for a in service.adjustments
        ]
    Adjustment.objects.bulk_create(adjustments)
    row.claim = claim
    row.outcome = plan.outcome
    row.posted_at = timezone.now()
    row.problem = ""
    row.save()
    before = claim.status
    target = posting.status_after_payment(claim.status, plan.outcome)
    if target:
        claim.status = target
    if doc.payer_claim_number and doc.status_code != era.REVERSAL_CODE:
        claim.payer_claim_number = doc.payer_claim_number[:50]
    claim.version += 1
    claim._change_reason = (  # type: ignore[attr-defined]  # simple_history reads it at save()
        f"Payment posted ({row.get_outcome_display().lower()})"
    )
    claim.save()
    claim_event_record(
        claim=claim,
        before=before,
        user=user,
        note=_event_note(row, line_rows, how=how),
        payment=row,
    )


def _allowed(paid: Decimal, adjustments: Sequence[era.Adjustment]) -> Decimal:
    """The payer's allowed amount when it sends none: what it paid plus the patient's share."""
    return paid + sum((a.amount for a in adjustments if a.group == "PR"), Decimal(0))


def _event_note(row: ClaimPayment, lines: Sequence[LinePayment], *, how: str) -> str:
    remittance = row.remittance
    denied = [f"{line.denial_code or 'denied'} on {line.code}" for line in lines if line.denied]
    method = era.METHODS.get(remittance.method, remittance.method)
    parts = [
        f"{row.get_outcome_display()}: ${row.paid:,.2f} paid, ${row.patient_responsibility:,.2f} "
        f"patient responsibility, {method} {remittance.trace_number} of "
        f"{remittance.paid_on:%m/%d/%Y} (matched by {how})."
    ]
    if denied:
        parts.append("Denied: " + ", ".join(denied) + ".")
    return " ".join(parts)


@transaction.atomic
def payment_match(*, payment: ClaimPayment, claim: Claim, user: Any, note: str) -> ClaimPayment:
    """Post a worklist payment to the claim a person found for it."""
    payment = ClaimPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.claim_id or payment.dismissed_at:
        raise ValidationError("This payment is already settled.")
    if claim.clinic_id != payment.clinic_id:
        raise ValidationError("That claim is not one of this clinic's.")
    note = note.strip()
    if not note:
        raise ValidationError("Say why this payment belongs to that claim.")
    claim = Claim.objects.select_for_update().get(pk=claim.pk)
    if claim.status in (ClaimStatus.VOIDED,):
        raise ValidationError("That claim is voided; a payment cannot post to it.")
    payment.resolved_by = user
    payment.resolution_note = note
    _post(payment, _document(payment), claim, user=user, families=_families(), how=f"hand: {note}")
    return payment


@transaction.atomic
def payment_dismiss(*, payment: ClaimPayment, user: Any, note: str) -> ClaimPayment:
    """Take a payment off the worklist without posting it (not the clinic's, a test file…)."""
    payment = ClaimPayment.objects.select_for_update().get(pk=payment.pk)
    if payment.claim_id or payment.dismissed_at:
        raise ValidationError("This payment is already settled.")
    note = note.strip()
    if not note:
        raise ValidationError("Say why the payment is dismissed.")
    payment.dismissed_at = timezone.now()
    payment.resolved_by = user
    payment.resolution_note = note
    payment.full_clean(exclude=["claim"])
    payment.save()
    return payment


def _document(payment: ClaimPayment) -> era.ClaimPayment:
    """A stored worklist payment as the reader gave it, to post it as any other."""
    text = payment.remittance.file.file.open("rb").read().decode("utf-8", "replace")
    payment.remittance.file.file.close()
    document = era.read_835(text)
    keyed: dict[str, era.ClaimPayment] = {}
    for pay in document.payments:
        seen: dict[str, int] = {}
        for doc in pay.claims:
            base = _key(pay, doc, 0)
            seen[base] = seen.get(base, 0) + 1
            keyed[_key(pay, doc, seen[base])] = doc
    try:
        return keyed[payment.key]
    except KeyError:
        raise ValidationError("The payment's file no longer holds it; post it by hand.") from None


def remittance_access_record(*, upload: RemittanceFile, user: Any, path: str) -> None:
    """Opening a remittance shows each matched patient's payment: one access row each."""
    rows = (
        ClaimPayment.objects.filter(remittance__file=upload, claim__isnull=False)
        .values_list("claim_id", "claim__patient_id")
        .distinct()
    )
    AccessEvent.objects.bulk_create(
        AccessEvent(
            clinic_id=upload.clinic_id,
            user=user,
            patient_id=patient_id,
            kind=AccessKind.REMITTANCE,
            object_id=claim_id,
            path=path[:300],
        )
        for claim_id, patient_id in rows
    )


def denied_lines_access_record(*, lines: Sequence[LinePayment], user: Any, path: str) -> None:
    """The denial report's list of lines shows each claim's patient: one access row each."""
    claims = {line.payment.claim for line in lines if line.payment.claim is not None}
    AccessEvent.objects.bulk_create(
        AccessEvent(
            clinic_id=claim.clinic_id,
            user=user,
            patient_id=claim.patient_id,
            kind=AccessKind.CLAIM,
            object_id=claim.pk,
            path=path[:300],
        )
        for claim in sorted(claims, key=lambda c: c.pk)
    )
