"""Service: scrub claims. Looks up the facts `claims.scrubber` needs and stores its findings
as flags on the claim.

Built for batches (`claims_scrub`): the code tables are read once, and the per-claim facts
(sessions, plans, earlier visits, diagnoses, year-to-date amounts) with a fixed number of
queries per batch, as plain values rather than model instances, so `manage.py rescrub` costs
neither a query nor an ORM object per claim and earlier visit.
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from collections import defaultdict
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.db import connection, connections, transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from claims import scrubber as rules
from claims.models import (
    Claim,
    ClaimFlag,
    ClaimLine,
    ClaimStatus,
    FlagStatus,
    PlanOfCare,
    Severity,
    TreatmentSession,
)
from coding.models import BillingCode, EditPair, FeeYear, Icd10Code, Payer, UnitLimit
from coding.units import Method

HISTORY_VISITS = 60  # earlier visits looked at: enough for copied notes and progress reports


@dataclass
class ReferenceFacts:
    """The code tables (and payers), read once per batch or once per re-scrub run."""

    codes: dict[str, rules.CodeFacts]
    pairs: list[EditPair]
    limits: dict[str, list[UnitLimit]]
    years: dict[int, FeeYear]
    payers: dict[int, rules.Payer]
    # Edit pairs and unit limits per set of codes (and day): few distinct ones in a batch.
    _memo: dict[tuple[object, ...], tuple[object, ...]] = field(default_factory=dict)

    @classmethod
    def load(cls) -> ReferenceFacts:
        codes = {
            c.code: rules.CodeFacts(
                code=c.code,
                timed=c.timed,
                always_therapy=c.always_therapy,
                category=c.category,
                discipline=rules.Discipline(c.discipline),
                medicare_status=rules.MedicareStatus(c.medicare_status),
            )
            for c in BillingCode.objects.all()
        }
        limits: dict[str, list[UnitLimit]] = defaultdict(list)
        for limit in UnitLimit.objects.order_by("effective"):
            limits[limit.billing_code_id].append(limit)
        return cls(
            codes=codes,
            pairs=list(EditPair.objects.all()),
            limits=dict(limits),
            years={y.year: y for y in FeeYear.objects.all()},
            payers={
                p.pk: rules.Payer(
                    name=p.name,
                    kind=rules.PayerKind(p.kind),
                    unit_method=Method(p.unit_method),
                    daily_timed_unit_cap=p.daily_timed_unit_cap,
                    kx_applies=p.kx_applies,
                )
                for p in Payer.objects.all()
            },
        )

    def unit_limits(self, codes: set[str], day: dt.date) -> tuple[rules.UnitLimit, ...]:
        key = ("limits", frozenset(codes), day)
        if key not in self._memo:
            found = []
            for code in sorted(codes):
                in_force = [lim for lim in self.limits.get(code, []) if lim.effective <= day]
                if in_force:
                    found.append(rules.UnitLimit(code, in_force[-1].max_units))
            self._memo[key] = tuple(found)
        return self._memo[key]  # type: ignore[return-value]

    def edit_pairs(self, codes: set[str]) -> tuple[rules.EditPair, ...]:
        key = ("pairs", frozenset(codes))
        if key not in self._memo:
            self._memo[key] = tuple(
                rules.EditPair(
                    p.column1_id, p.column2_id, p.modifier_indicator, p.effective, p.deletion
                )
                for p in self.pairs
                if p.column1_id in codes and p.column2_id in codes
            )
        return self._memo[key]  # type: ignore[return-value]


class Visit(NamedTuple):
    session_id: int
    date_of_service: dt.date
    earlier: rules.EarlierVisit  # as the scrubber sees it when the visit is in the history


class Plan(NamedTuple):
    start_date: dt.date
    certified_on: dt.date | None
    cert_through: dt.date


@dataclass
class ClaimRow:
    """One claim as the scrubber reads it: the claim, its session's note and its lines.
    Plain values (one query each for the claims and for their lines), not model instances:
    a re-scrub reads thousands of them."""

    pk: int
    patient_id: int
    payer_id: int
    date_of_service: dt.date
    expected_amount: Decimal | None
    open_errors: int
    open_warnings: int
    credential: str
    session_id: int
    diagnoses: list[str]
    note: rules.VisitNote
    lines: list[rules.ClaimLine] = field(default_factory=list)


def _claim_rows(claim_ids: Sequence[int]) -> list[ClaimRow]:
    rows = [
        ClaimRow(
            pk=pk,
            patient_id=patient_id,
            payer_id=payer_id,
            date_of_service=day,
            expected_amount=amount,
            open_errors=errors,
            open_warnings=warnings,
            credential=credential,
            session_id=session_id,
            diagnoses=diagnoses,
            note=rules.VisitNote(
                medical_necessity=necessity,
                subjective=subjective,
                objective=objective,
                assessment=assessment,
                plan=plan,
                includes_progress_report=progress,
            ),
        )
        for (
            pk,
            patient_id,
            payer_id,
            day,
            amount,
            errors,
            warnings,
            credential,
            session_id,
            diagnoses,
            necessity,
            subjective,
            objective,
            assessment,
            plan,
            progress,
        ) in Claim.objects.filter(pk__in=claim_ids)
        .order_by("pk")
        .values_list(
            "pk",
            "patient_id",
            "payer_id",
            "date_of_service",
            "expected_amount",
            "open_errors",
            "open_warnings",
            "therapist__credential",
            "session_id",
            "session__diagnoses",
            "session__medical_necessity",
            "session__subjective",
            "session__objective",
            "session__assessment",
            "session__plan",
            "session__is_progress_report",
        )
    ]
    by_pk = {row.pk: row for row in rows}
    lines = (
        ClaimLine.objects.filter(claim__in=by_pk)
        .order_by("claim_id", "position")  # not "claim": that would join to sort by its date
        .values_list(
            "claim_id",
            "billing_code_id",
            "units",
            "modifiers",
            "minutes",
            "pta_minutes",
            "dx_pointers",
        )
    )
    for claim_id, code, units, modifiers, minutes, pta_minutes, pointers in lines:
        by_pk[claim_id].lines.append(
            rules.ClaimLine(
                code=code,
                units=units,
                modifiers=tuple(modifiers),
                minutes=minutes,
                pta_minutes=pta_minutes,
                diagnosis_pointers=tuple(pointers) or (1,),
            )
        )
    return rows


@dataclass
class BatchFacts:
    """Per-claim facts for a batch of claims, each gathered with one query."""

    plans: dict[int, list[Plan]] = field(default_factory=dict)
    visits: dict[int, list[Visit]] = field(default_factory=dict)
    icd: dict[str, tuple[bool, str]] = field(default_factory=dict)  # code: (billable, title)
    # (patient, year): the year's allowed amounts on KX payers, in all and per claim
    ytd: dict[tuple[int, int], tuple[Decimal, dict[int, Decimal]]] = field(default_factory=dict)


def _batch_facts(claims: Sequence[ClaimRow], ref: ReferenceFacts) -> BatchFacts:
    patients = {c.patient_id for c in claims}
    facts = BatchFacts()
    plans = (
        PlanOfCare.objects.filter(patient__in=patients)
        .order_by("start_date", "id")
        .values_list("patient_id", "start_date", "certified_on", "cert_through")
    )
    for patient_id, *plan in plans:
        facts.plans.setdefault(patient_id, []).append(Plan(*plan))
    sessions = (
        TreatmentSession.objects.filter(patient__in=patients)
        .order_by("date_of_service", "id")
        .values_list(
            "patient_id", "id", "date_of_service", "medical_necessity", "is_progress_report"
        )
    )
    for patient_id, session_id, day, necessity, progress in sessions:
        facts.visits.setdefault(patient_id, []).append(
            Visit(session_id, day, rules.EarlierVisit(day, necessity, progress))
        )
    dx_codes = {code for c in claims for code in c.diagnoses}
    facts.icd = {
        code: (billable, title)
        for code, billable, title in Icd10Code.objects.filter(code__in=dx_codes).values_list(
            "code", "billable", "title"
        )
    }
    years = {c.date_of_service.year for c in claims}
    # A date range (not __year__in, which the index cannot use) and the payer checked here
    # (not joined): one range of the (patient, date of service) index per patient.
    amounts = Claim.objects.filter(
        patient__in=patients,
        date_of_service__gte=dt.date(min(years), 1, 1),
        date_of_service__lte=dt.date(max(years), 12, 31),
    ).values_list("patient_id", "date_of_service", "id", "expected_amount", "payer_id")
    kx_payers = {pk for pk, payer in ref.payers.items() if payer.kx_applies}
    per_claim: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(dict)
    for patient_id, day, claim_id, amount, payer_id in amounts:
        if payer_id in kx_payers:
            per_claim[(patient_id, day.year)][claim_id] = amount or Decimal(0)
    facts.ytd = {key: (sum(found.values(), Decimal(0)), found) for key, found in per_claim.items()}
    return facts


def _plan_for(plans: list[Plan], day: dt.date) -> Plan | None:
    started = [p for p in plans if p.start_date <= day]
    covering = [p for p in started if p.cert_through >= day]
    return (covering or started or [None])[-1]


def claim_facts(claim: ClaimRow, ref: ReferenceFacts, batch: BatchFacts) -> rules.ClaimFacts:
    day = claim.date_of_service
    codes = {line.code for line in claim.lines}
    visits = batch.visits.get(claim.patient_id, [])
    plan = _plan_for(batch.plans.get(claim.patient_id, []), day)
    plan_facts = None
    if plan is not None:
        first_visit = next(
            (v.date_of_service for v in visits if v.date_of_service >= plan.start_date), day
        )
        plan_facts = rules.PlanOfCare(
            start_date=plan.start_date,
            first_visit_date=first_visit,
            certified_on=plan.certified_on,
            cert_through=plan.cert_through,
        )
    earlier = [
        v.earlier for v in visits if v.date_of_service < day and v.session_id != claim.session_id
    ][-HISTORY_VISITS:]
    payer = ref.payers[claim.payer_id]
    kx = None
    if payer.kx_applies:
        total, per_claim = batch.ytd.get((claim.patient_id, day.year), (Decimal(0), {}))
        fee_year = ref.years.get(day.year)
        kx = rules.KxFacts(
            ytd_allowed_before_visit=total - per_claim.get(claim.pk, Decimal(0)),
            this_visit_allowed=claim.expected_amount or Decimal(0),
            threshold=fee_year.kx_threshold if fee_year else None,
            review_threshold=fee_year.kx_review_threshold if fee_year else Decimal("3000"),
        )
    return rules.ClaimFacts(
        date_of_service=day,
        payer=payer,
        therapist_credential=rules.Credential(claim.credential or "PT"),
        lines=tuple(claim.lines),
        diagnoses=tuple(
            rules.Diagnosis(
                code=code,
                exists=code in batch.icd,
                billable=code in batch.icd and batch.icd[code][0],
                title=batch.icd[code][1] if code in batch.icd else "",
            )
            for code in claim.diagnoses
        ),
        code_facts=tuple(ref.codes[c] for c in sorted(codes) if c in ref.codes),
        note=claim.note,
        plan_of_care=plan_facts,
        edit_pairs=ref.edit_pairs(codes),
        unit_limits=ref.unit_limits(codes, day),
        history=tuple(earlier),
        kx=kx,
    )


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
) -> int:
    """Scrub the given claims (any number) and store what changed in their flags.

    `bump`: a claim whose flags change gets a new version, so a page showing the old flags is
    refused as stale. Off when the scrub is part of a write that already set the version.
    `ref`: the code tables, when the caller scrubs several batches with the same ones.

    Reads are plain values, a fixed number of queries per batch; only the claims whose flags
    change are loaded as models (locked) and written, with their history."""
    claims = _claim_rows(list(claim_ids))
    if not claims:
        return 0
    ref = ref or ReferenceFacts.load()
    batch = _batch_facts(claims, ref)
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
    for claim in claims:
        add, remove, now = _flag_changes(
            claim.pk,
            rules.scrub(claim_facts(claim, ref, batch)),
            waived[claim.pk],
            open_flags[claim.pk],
        )
        to_add += add
        to_remove += remove
        if add or remove or now != (claim.open_errors, claim.open_warnings):
            counts[claim.pk] = now
    if counts or to_remove or to_add:
        with transaction.atomic():
            _store(counts, to_add, to_remove, reason=reason, bump=bump)
    return len(claims)


def _store(
    counts: dict[int, tuple[int, int]],
    to_add: list[ClaimFlag],
    to_remove: list[int],
    *,
    reason: str,
    bump: bool,
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
    Claim.history.bulk_history_create(  # type: ignore[attr-defined]
        changed, update=True, default_change_reason=reason
    )
    for flag in ClaimFlag.objects.filter(pk__in=to_remove):
        flag._change_reason = reason  # type: ignore[attr-defined]
        flag.delete()  # one by one, so the history records who removed what
    bulk_create_with_history(to_add, ClaimFlag, default_change_reason=reason)


def claim_scrub(*, claim: Claim, reason: str = "Scrubbed", bump: bool = False) -> Claim:
    """Scrub one claim, as part of the write that changed it (no version bump by default)."""
    with transaction.atomic():
        claims_scrub([claim.pk], reason=reason, bump=bump)
    claim.refresh_from_db()
    return claim


def _rescrub_batches(batches: list[list[int]]) -> int:
    ref = ReferenceFacts.load()
    done = 0
    for chunk in batches:
        with transaction.atomic():
            done += claims_scrub(chunk, reason="Re-scrubbed after a rule or table change", ref=ref)
    return done


def open_claims_rescrub(*, batch_size: int = 500, workers: int = 1) -> tuple[int, float]:
    """Re-scrub every claim not yet approved, in batches. Returns (claims, seconds).

    In patient order, so that a patient's open claims share one batch and their history is
    read once. `workers` > 1 (PostgreSQL): that many processes share the batches, each with
    its own connection; the scrubber is pure Python, so one process uses one core."""
    started = timezone.now()
    ids = list(
        Claim.objects.exclude(status=ClaimStatus.APPROVED)
        .order_by("patient_id", "pk")
        .values_list("pk", flat=True)
    )
    batches = [ids[start : start + batch_size] for start in range(0, len(ids), batch_size)]
    if workers > 1 and connection.vendor == "postgresql" and len(batches) > 1:
        connections.close_all()  # a forked child must open its own connection
        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
            done = sum(pool.map(_rescrub_batches, [batches[w::workers] for w in range(workers)]))
    else:
        done = _rescrub_batches(batches)
    return done, (timezone.now() - started).total_seconds()
