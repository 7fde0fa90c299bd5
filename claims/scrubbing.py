"""Service: scrub stored claims. Their facts come from the one facts builder (`claims.facts`),
their lines from the database as saved, and the findings are stored as flags on the claim.

Built for batches (`claims_scrub`): the code tables are read once, and the per-claim facts with a
fixed number of queries per batch, as plain values rather than model instances, so a re-scrub
(`claims.jobs`) costs neither a query nor an ORM object per claim and earlier visit.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import F
from simple_history.utils import bulk_create_with_history

from claims import scrubber as rules
from claims.facts import ClaimSpec, ReferenceFacts, claims_context, pool_notes
from claims.models import (
    Claim,
    ClaimFlag,
    ClaimLine,
    FlagStatus,
    SessionService,
    Severity,
    TreatmentSession,
)

__all__ = ["ReferenceFacts", "claim_scrub", "claims_scrub"]


@dataclass
class ClaimRow:
    """One claim as the scrubber reads it: the claim, its sessions' notes and its lines.
    Plain values (one query each for the claims, their sessions and their lines), not model
    instances: a re-scrub reads thousands of them."""

    pk: int
    patient_id: int
    payer_id: int
    clinic_id: int
    date_of_service: dt.date
    expected_amount: Decimal | None
    open_errors: int
    open_warnings: int
    credential: str
    diagnoses: list[str]
    notes: list[rules.VisitNote] = field(default_factory=list)
    lines: list[rules.ClaimLine] = field(default_factory=list)
    documented: list[str] = field(default_factory=list)
    documented_minutes: list[tuple[str, int, int]] = field(default_factory=list)
    therapist_id: int | None = None
    charges: list[rules.LineCharge] = field(default_factory=list)

    def spec(self) -> ClaimSpec:
        return ClaimSpec(
            patient_id=self.patient_id,
            payer_id=self.payer_id,
            date_of_service=self.date_of_service,
            credential=self.credential or "PT",
            diagnoses=tuple(self.diagnoses),
            note=pool_notes(self.notes) if self.notes else rules.VisitNote(""),
            codes=frozenset(line.code for line in self.lines),
            claim_id=self.pk,
            documented_codes=tuple(dict.fromkeys(self.documented)),
            clinic_id=self.clinic_id,
            therapist_id=self.therapist_id,
        )


def _claim_rows(claim_ids: Sequence[int]) -> list[ClaimRow]:
    values = (
        Claim.objects.filter(pk__in=claim_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "patient_id",
            "payer_id",
            "clinic_id",
            "date_of_service",
            "expected_amount",
            "open_errors",
            "open_warnings",
            "therapist__credential",
            "diagnoses",
            "therapist_id",
        )
    )
    rows = [
        ClaimRow(pk, patient, payer, clinic, day, amount, errors, warns, cred, dx, therapist_id=pt)
        for pk, patient, payer, clinic, day, amount, errors, warns, cred, dx, pt in values
    ]
    by_pk = {row.pk: row for row in rows}
    notes = (
        TreatmentSession.objects.filter(claim__in=by_pk)
        .order_by("claim_id", "pk")
        .values_list(
            "claim_id",
            "medical_necessity",
            "subjective",
            "objective",
            "assessment",
            "plan",
            "is_progress_report",
        )
    )
    for claim_id, necessity, subjective, objective, assessment, plan, progress in notes:
        by_pk[claim_id].notes.append(
            rules.VisitNote(necessity, subjective, objective, assessment, plan, progress)
        )
    for claim_id, code, minutes, pta in (
        SessionService.objects.filter(session__claim__in=by_pk)
        .order_by("session__claim_id", "session_id", "position")
        .values_list("session__claim_id", "billing_code__code", "minutes", "pta_minutes")
    ):
        by_pk[claim_id].documented.append(code)
        by_pk[claim_id].documented_minutes.append((code, minutes, pta))
    lines = (
        ClaimLine.objects.filter(claim__in=by_pk)
        .order_by("claim_id", "position")  # not "claim": that would join to sort by its date
        .values_list(
            "claim_id",
            "billing_code__code",  # the key itself, no join (django-stubs types _id as an int)
            "units",
            "modifiers",
            "minutes",
            "pta_minutes",
            "dx_pointers",
            "by_assistant",
            "charge",
            "expected_amount",
        )
    )
    for (
        claim_id, code, units, modifiers, minutes, pta_minutes, pointers, assistant, charge,
        amount,
    ) in lines:  # fmt: skip
        by_pk[claim_id].charges.append(rules.LineCharge(code, charge, amount))
        by_pk[claim_id].lines.append(
            rules.ClaimLine(
                code=code,
                units=units,
                modifiers=tuple(modifiers),
                minutes=minutes,
                pta_minutes=pta_minutes,
                diagnosis_pointers=tuple(pointers) or (1,),
                by_assistant=assistant,
            )
        )
    return rows


def stored_claim_facts(
    claims: Sequence[ClaimRow], ref: ReferenceFacts, *, today: dt.date | None = None
) -> list[rules.ClaimFacts]:
    """The scrubber's facts of stored claims: the builder's facts with the lines as saved and
    this visit's amount as saved."""
    contexts = claims_context([c.spec() for c in claims], ref=ref, today=today, with_prices=False)
    return [
        replace(
            context.facts,
            lines=tuple(claim.lines),
            # The sessions' services that are not claim lines (0 units) keep their minutes.
            unbilled_minutes=tuple(
                row
                for row in claim.documented_minutes
                if row[0] not in {line.code for line in claim.lines}
            ),
            kx=replace(context.facts.kx, this_visit_allowed=claim.expected_amount or Decimal(0))
            if context.facts.kx
            else None,
            # The lines' charges as saved (the panel's, §11.2).
            charges_checked=True,
            line_charges=tuple(claim.charges),
        )
        for claim, context in zip(claims, contexts, strict=True)
    ]


FlagKey = tuple[str, str, str, str]  # rule id, line code, severity, message


def _flag_changes(
    claim_id: int,
    result: rules.ScrubResult,
    waived: set[tuple[str, str]],
    open_flags: dict[FlagKey, int],
) -> tuple[list[ClaimFlag], list[int], tuple[int, int]]:
    """What changes on the claim's open flags: findings not flagged yet are added, flags whose
    finding is gone are removed, unchanged ones are left alone (no history noise). A finding the
    reviewer waived stays waived; resolved and waived flags stay as the claim's history.
    Returns (flags to add, ids of flags to remove, the claim's open (errors, warnings))."""
    findings = {
        (f.rule_id, f.line_code or "", f.severity.value, f.message): f
        for f in result.findings
        if (f.rule_id, f.line_code or "") not in waived
    }
    add = [
        ClaimFlag(
            claim_id=claim_id,
            rule_id=f.rule_id,
            severity=Severity(f.severity.value),
            message=f.message,
            fix=f.fix,
            source=f.source,
            line_code=f.line_code or "",
        )
        for key, f in findings.items()
        if key not in open_flags
    ]
    remove = [pk for key, pk in open_flags.items() if key not in findings]
    errors = sum(1 for key in findings if key[2] == Severity.ERROR)
    warnings = sum(1 for key in findings if key[2] == Severity.WARNING)
    return add, remove, (errors, warnings)


def claims_scrub(
    claim_ids: Iterable[int],
    *,
    reason: str = "Scrubbed",
    bump: bool = True,
    ref: ReferenceFacts | None = None,
    user: Any = None,
) -> int:
    """Scrub the given claims (any number) and store what changed in their flags.

    `bump`: a claim whose flags change gets a new version, so a page showing the old flags is
    refused as stale. Off when the scrub is part of a write that already set the version.
    `ref`: the code tables, when the caller scrubs several batches with the same ones.
    `user`: who ran it, kept on the history rows it writes (None: the system).

    Reads are plain values, a fixed number of queries per batch; only the claims whose flags
    change are loaded as models (locked) and written, with their history."""
    claims = _claim_rows(list(claim_ids))
    if not claims:
        return 0
    ref = ref or ReferenceFacts.current()
    facts = stored_claim_facts(claims, ref)
    waived: dict[int, set[tuple[str, str]]] = defaultdict(set)
    open_flags: dict[int, dict[FlagKey, int]] = defaultdict(dict)
    flags = (
        ClaimFlag.objects.filter(claim__in=[c.pk for c in claims])
        .exclude(status=FlagStatus.RESOLVED)
        .values_list("pk", "claim_id", "status", "rule_id", "line_code", "severity", "message")
    )
    for pk, claim_id, status, rule_id, line_code, severity, message in flags:
        if status == FlagStatus.WAIVED:
            waived[claim_id].add((rule_id, line_code))
        else:
            open_flags[claim_id][(rule_id, line_code, severity, message)] = pk
    to_add: list[ClaimFlag] = []
    to_remove: list[int] = []
    counts: dict[int, tuple[int, int]] = {}
    for claim, claim_facts in zip(claims, facts, strict=True):
        add, remove, now = _flag_changes(
            claim.pk,
            rules.scrub(claim_facts),
            waived[claim.pk],
            open_flags[claim.pk],
        )
        to_add += add
        to_remove += remove
        if add or remove or now != (claim.open_errors, claim.open_warnings):
            counts[claim.pk] = now
    if counts or to_remove or to_add:
        with transaction.atomic():
            _store(counts, to_add, to_remove, reason=reason, bump=bump, user=user)
    return len(claims)


def _store(
    counts: dict[int, tuple[int, int]],
    to_add: list[ClaimFlag],
    to_remove: list[int],
    *,
    reason: str,
    bump: bool,
    user: Any,
) -> None:
    changed = list(Claim.objects.select_for_update().filter(pk__in=counts).order_by("pk"))
    same_counts: dict[tuple[int, int], list[int]] = defaultdict(list)
    for claim in changed:
        claim.open_errors, claim.open_warnings = counts[claim.pk]
        if bump:
            claim.version += 1
        same_counts[counts[claim.pk]].append(claim.pk)
    # One UPDATE per distinct (errors, warnings): a handful, where bulk_update's CASE per row
    # grows with the batch. The rows are locked, so F("version") + 1 is the version set above.
    version = {"version": F("version") + 1} if bump else {}
    for (errors, warnings), pks in same_counts.items():
        Claim.objects.filter(pk__in=pks).update(
            open_errors=errors, open_warnings=warnings, **version
        )
    Claim.history.bulk_history_create(
        changed, update=True, default_change_reason=reason, default_user=user
    )
    for flag in ClaimFlag.objects.filter(pk__in=to_remove):
        flag._change_reason = reason  # type: ignore[attr-defined]  # simple_history reads it at save()
        flag._history_user = user  # type: ignore[attr-defined]  # simple_history reads it at save()
        flag.delete()  # one by one, so the history records who removed what
    bulk_create_with_history(to_add, ClaimFlag, default_change_reason=reason, default_user=user)


def claim_scrub(
    *, claim: Claim, reason: str = "Scrubbed", bump: bool = False, user: Any = None
) -> Claim:
    """Scrub one claim, as part of the write that changed it (no version bump by default)."""
    with transaction.atomic():
        claims_scrub([claim.pk], reason=reason, bump=bump, user=user)
    claim.refresh_from_db()
    return claim
