"""Service: scrub claims. Looks up the facts `claims.scrubber` needs and stores its findings
as flags on the claim.

Built for batches (`claims_scrub`): the code tables are read once, and the per-claim facts
(sessions, plans, earlier visits, diagnoses, year-to-date amounts) with a fixed number of
queries per batch, so `manage.py rescrub` does not cost a query per claim.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from claims import scrubber as rules
from claims.models import (
    Claim,
    ClaimFlag,
    ClaimStatus,
    FlagStatus,
    PlanOfCare,
    Severity,
    TreatmentSession,
)
from coding.models import BillingCode, EditPair, FeeYear, Icd10Code, UnitLimit
from coding.units import Method

HISTORY_VISITS = 60  # earlier visits looked at: enough for copied notes and progress reports


@dataclass
class ReferenceFacts:
    """The code tables, read once per batch."""

    codes: dict[str, rules.CodeFacts]
    pairs: list[EditPair]
    limits: dict[str, list[UnitLimit]]
    years: dict[int, FeeYear]

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
        )

    def unit_limits(self, codes: set[str], day: dt.date) -> tuple[rules.UnitLimit, ...]:
        found = []
        for code in sorted(codes):
            in_force = [lim for lim in self.limits.get(code, []) if lim.effective <= day]
            if in_force:
                found.append(rules.UnitLimit(code, in_force[-1].max_units))
        return tuple(found)

    def edit_pairs(self, codes: set[str]) -> tuple[rules.EditPair, ...]:
        return tuple(
            rules.EditPair(
                p.column1_id, p.column2_id, p.modifier_indicator, p.effective, p.deletion
            )
            for p in self.pairs
            if p.column1_id in codes and p.column2_id in codes
        )


@dataclass
class BatchFacts:
    """Per-claim facts for a batch of claims, each gathered with one query."""

    plans: dict[int, list[PlanOfCare]] = field(default_factory=dict)
    visits: dict[int, list[TreatmentSession]] = field(default_factory=dict)
    first_visit: dict[int, dt.date] = field(default_factory=dict)
    icd: dict[str, Icd10Code] = field(default_factory=dict)
    ytd: dict[tuple[int, int], list[tuple[int, Decimal]]] = field(default_factory=dict)


def _batch_facts(claims: Sequence[Claim]) -> BatchFacts:
    patients = {c.patient_id for c in claims}
    facts = BatchFacts()
    for plan in PlanOfCare.objects.filter(patient__in=patients).order_by("start_date"):
        facts.plans.setdefault(plan.patient_id, []).append(plan)
    sessions = (
        TreatmentSession.objects.filter(patient__in=patients)
        .only("id", "patient_id", "date_of_service", "medical_necessity", "is_progress_report")
        .order_by("date_of_service", "id")
    )
    for session in sessions:
        facts.visits.setdefault(session.patient_id, []).append(session)
    dx_codes = {code for c in claims for code in c.session.diagnoses}
    facts.icd = {i.code: i for i in Icd10Code.objects.filter(code__in=dx_codes)}
    years = {c.date_of_service.year for c in claims}
    amounts = Claim.objects.filter(
        patient__in=patients, date_of_service__year__in=years, payer__kx_applies=True
    ).values_list("patient_id", "date_of_service__year", "id", "expected_amount")
    for patient_id, year, claim_id, total in amounts:
        facts.ytd.setdefault((patient_id, year), []).append((claim_id, total or Decimal(0)))
    return facts


def _plan_for(plans: list[PlanOfCare], day: dt.date) -> PlanOfCare | None:
    started = [p for p in plans if p.start_date <= day]
    covering = [p for p in started if p.cert_through >= day]
    return (covering or started or [None])[-1]


def claim_facts(claim: Claim, ref: ReferenceFacts, batch: BatchFacts) -> rules.ClaimFacts:
    session = claim.session
    day = claim.date_of_service
    lines = list(claim.lines.all())
    codes = {line.billing_code_id for line in lines}
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
    earlier = [v for v in visits if v.date_of_service < day and v.pk != session.pk][
        -HISTORY_VISITS:
    ]
    year = batch.ytd.get((claim.patient_id, day.year), [])
    fee_year = ref.years.get(day.year)
    kx = None
    if claim.payer.kx_applies:
        kx = rules.KxFacts(
            ytd_allowed_before_visit=sum(
                (total for claim_id, total in year if claim_id != claim.pk), Decimal(0)
            ),
            this_visit_allowed=claim.expected_amount or Decimal(0),
            threshold=fee_year.kx_threshold if fee_year else None,
            review_threshold=fee_year.kx_review_threshold if fee_year else Decimal("3000"),
        )
    return rules.ClaimFacts(
        date_of_service=day,
        payer=rules.Payer(
            name=claim.payer.name,
            kind=rules.PayerKind(claim.payer.kind),
            unit_method=Method(claim.payer.unit_method),
            daily_timed_unit_cap=claim.payer.daily_timed_unit_cap,
            kx_applies=claim.payer.kx_applies,
        ),
        therapist_credential=rules.Credential(claim.therapist.credential or "PT"),
        lines=tuple(
            rules.ClaimLine(
                code=line.billing_code_id,
                units=line.units,
                modifiers=tuple(line.modifiers),
                minutes=line.minutes,
                pta_minutes=line.pta_minutes,
                diagnosis_pointers=tuple(line.dx_pointers) or (1,),
            )
            for line in lines
        ),
        diagnoses=tuple(
            rules.Diagnosis(
                code=code,
                exists=code in batch.icd,
                billable=code in batch.icd and batch.icd[code].billable,
                title=batch.icd[code].title if code in batch.icd else "",
            )
            for code in session.diagnoses
        ),
        code_facts=tuple(ref.codes[c] for c in sorted(codes) if c in ref.codes),
        note=rules.VisitNote(
            medical_necessity=session.medical_necessity,
            subjective=session.subjective,
            objective=session.objective,
            assessment=session.assessment,
            plan=session.plan,
            includes_progress_report=session.is_progress_report,
        ),
        plan_of_care=plan_facts,
        edit_pairs=ref.edit_pairs(codes),
        unit_limits=ref.unit_limits(codes, day),
        history=tuple(
            rules.EarlierVisit(v.date_of_service, v.medical_necessity, v.is_progress_report)
            for v in earlier
        ),
        kx=kx,
    )


FlagKey = tuple[str, str, str, str]  # rule id, line code, severity, message


def _store_flags(
    claim: Claim,
    result: rules.ScrubResult,
    waived: set[tuple[str, str]],
    open_flags: dict[FlagKey, ClaimFlag],
) -> tuple[list[ClaimFlag], list[int]]:
    """What changes on the claim's open flags: findings not flagged yet are added, flags whose
    finding is gone are removed, unchanged ones are left alone (no history noise). A finding the
    reviewer waived stays waived; resolved and waived flags stay as the claim's history.
    Returns (flags to add, ids of flags to remove) and sets the claim's counts."""
    findings = {
        (f.rule_id, f.line_code or "", f.severity.value, f.message): f
        for f in result.findings
        if (f.rule_id, f.line_code or "") not in waived
    }
    add = [
        ClaimFlag(
            claim=claim,
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
    remove = [flag.pk for key, flag in open_flags.items() if key not in findings]
    claim.open_errors = sum(1 for key in findings if key[2] == Severity.ERROR)
    claim.open_warnings = sum(1 for key in findings if key[2] == Severity.WARNING)
    return add, remove


def claims_scrub(claims: Iterable[Claim], *, reason: str = "Scrubbed", bump: bool = True) -> int:
    """Scrub the given claims (any number) and store what changed in their flags.

    `bump`: a claim whose flags change gets a new version, so a page showing the old flags is
    refused as stale. Off when the scrub is part of a write that already set the version."""
    ref = ReferenceFacts.load()
    batch_claims = list(claims)
    if not batch_claims:
        return 0
    batch = _batch_facts(batch_claims)
    waived: dict[int, set[tuple[str, str]]] = defaultdict(set)
    open_flags: dict[int, dict[FlagKey, ClaimFlag]] = defaultdict(dict)
    for flag in ClaimFlag.objects.filter(claim__in=batch_claims).exclude(
        status=FlagStatus.RESOLVED
    ):
        if flag.status == FlagStatus.WAIVED:
            waived[flag.claim_id].add((flag.rule_id, flag.line_code))
        else:
            key = (flag.rule_id, flag.line_code, flag.severity, flag.message)
            open_flags[flag.claim_id][key] = flag
    to_add: list[ClaimFlag] = []
    to_remove: list[int] = []
    for claim in batch_claims:
        counts = (claim.open_errors, claim.open_warnings)
        add, remove = _store_flags(
            claim,
            rules.scrub(claim_facts(claim, ref, batch)),
            waived[claim.pk],
            open_flags[claim.pk],
        )
        to_add += add
        to_remove += remove
        if add or remove or (claim.open_errors, claim.open_warnings) != counts:
            if bump:
                claim.version += 1
            claim._change_reason = reason  # type: ignore[attr-defined]
            claim.save(update_fields=["open_errors", "open_warnings", "version"])
    for flag in ClaimFlag.objects.filter(pk__in=to_remove):
        flag._change_reason = reason  # type: ignore[attr-defined]
        flag.delete()  # one by one, so the history records who removed what
    bulk_create_with_history(to_add, ClaimFlag, default_change_reason=reason)
    return len(batch_claims)


def claim_scrub(*, claim: Claim, reason: str = "Scrubbed", bump: bool = False) -> Claim:
    """Scrub one claim, as part of the write that changed it (no version bump by default)."""
    with transaction.atomic():
        claims_scrub(
            [claims_for_scrub(Claim.objects.filter(pk=claim.pk)).get()], reason=reason, bump=bump
        )
    claim.refresh_from_db()
    return claim


def claims_for_scrub(qs: Any) -> Any:
    return qs.select_related("session", "payer", "therapist", "patient").prefetch_related("lines")


def open_claims_rescrub(*, batch_size: int = 500) -> tuple[int, float]:
    """Re-scrub every claim not yet approved, in batches. Returns (claims, seconds)."""
    started = timezone.now()
    ids = list(
        Claim.objects.exclude(status=ClaimStatus.APPROVED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    done = 0
    for start in range(0, len(ids), batch_size):
        chunk = ids[start : start + batch_size]
        with transaction.atomic():
            done += claims_scrub(
                claims_for_scrub(Claim.objects.filter(pk__in=chunk)).order_by("pk"),
                reason="Re-scrubbed after a rule or table change",
            )
    return done, (timezone.now() - started).total_seconds()
