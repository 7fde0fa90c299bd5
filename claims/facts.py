"""The one facts builder: every fact a claim needs, read from the database, as plain values.

Everything that judges or prices a claim gets its facts here: the live panel, save, resubmit, a
reviewer's line edit, `rescrub`, `manage.py units`, `manage.py preview_claim` (through
`ReferenceFacts` alone) and the patient page's badges. A claim is described by a `ClaimSpec`
(patient, payer, date of service, clinician, codes, diagnoses, note, and the claim being edited);
`claims_context` answers for any number of them with a fixed number of queries, so a re-scrub of
thousands of claims costs no query per claim.

The facts (docs/billing-rules.md): code facts (§3), edit pairs and unit limits in force on the
date of service (§5, §10.9), fees and RVUs for the payer and year (§8, §10.13), ICD-10-CM validity
for the date (§7, §10.6), the plan of care in force (§6.1, §6.2, §10.5), earlier treatment days
and progress reports (§6.3), the patient's other claims that day (§10.1), the year-to-date amount
*before* the date of service (§10.8) and the payer's timely-filing window (§10.10). A date of
service with no figures loaded is said so in `missing_reference`, never priced at $0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import NamedTuple

from django.utils import timezone

from claims import scrubber as rules
from claims.models import Claim, ClaimLine, ClaimStatus, PlanOfCare, SessionService
from claims.models import TreatmentSession as SessionModel
from claims.pipeline import CodePrice, PayerTerms, Service
from coding import refcache
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Icd10Code,
    Icd10Release,
    Payer,
    RelativeValue,
    UnitLimit,
    icd10_fiscal_year,
)
from coding.pricing import RvuSplit
from coding.units import Method

HISTORY_VISITS = 60  # earlier visits looked at: enough for copied notes and progress reports
MEMO_LIMIT = 20_000  # memoised pair/limit look-ups kept by a long-lived (cached) copy
_CACHED: dict[str, ReferenceFacts] = {}  # this process's copy of the tables, by their stamp
OPEN_STATUSES = (ClaimStatus.NEEDS_REVIEW, ClaimStatus.RETURNED)


@dataclass(frozen=True)
class PayerFacts:
    """A payer as the rules see it, with its terms for money and modifiers."""

    pk: int
    rules: rules.Payer
    terms: PayerTerms


@dataclass
class ReferenceFacts:
    """The code tables and payers, read once per request or once per re-scrub run.

    ``load(codes=…)`` reads only those codes' rows (the panel); ``load()`` reads every row (a
    re-scrub). Fees and RVUs are read on first use, per payer and year.
    """

    codes: dict[str, rules.CodeFacts]
    names: dict[str, str]
    pairs: list[rules.EditPair]
    limits: dict[str, list[tuple[dt.date, int, int | None]]]
    years: dict[int, FeeYear]
    payers: dict[int, PayerFacts]
    payer_names: dict[int, str]
    icd_releases: list[tuple[int, dt.date, dt.date]]
    _fees: dict[tuple[int, int], dict[str, Decimal]] = field(default_factory=dict)
    _rvus: dict[int, dict[str, RvuSplit]] = field(default_factory=dict)
    _fee_years: dict[int, set[int]] = field(default_factory=dict)
    _memo: dict[tuple[object, ...], tuple[object, ...]] = field(default_factory=dict)

    @classmethod
    def current(cls) -> ReferenceFacts:
        """The whole code tables, kept in this process under their version stamp: one cheap
        read of the stamp per call, a full load only after a write to the tables (on any
        host) changed it (`coding.refcache`)."""
        token = refcache.current()
        if token is None:
            return cls.load()
        cached = _CACHED.get(token)
        if cached is None:
            cached = cls.load()
            _CACHED.clear()
            _CACHED[token] = cached
        return cached

    @classmethod
    def load(cls, *, codes: Iterable[str] | None = None) -> ReferenceFacts:
        wanted = set(codes) if codes is not None else None
        code_rows = BillingCode.objects.all()
        pair_rows = EditPair.objects.order_by()
        limit_rows = UnitLimit.objects.order_by("billing_code_id", "effective")
        payer_rows = Payer.objects.all()
        if wanted is not None:
            code_rows = code_rows.filter(code__in=wanted)
            pair_rows = pair_rows.filter(column1_id__in=wanted, column2_id__in=wanted)
            limit_rows = limit_rows.filter(billing_code_id__in=wanted)
        facts: dict[str, rules.CodeFacts] = {}
        names: dict[str, str] = {}
        for c in code_rows.only(
            "code", "short_name", "timed", "always_therapy", "category", "discipline",
            "medicare_status",
        ):  # fmt: skip
            facts[c.code] = rules.CodeFacts(
                code=c.code,
                timed=c.timed,
                always_therapy=c.always_therapy,
                category=c.category,
                discipline=rules.Discipline(c.discipline),
                medicare_status=rules.MedicareStatus(c.medicare_status),
            )
            names[c.code] = c.short_name
        limits: dict[str, list[tuple[dt.date, int, int | None]]] = defaultdict(list)
        for code, effective, max_units, mai in limit_rows.values_list(
            "billing_code_id", "effective", "max_units", "mai"
        ):
            limits[code].append((effective, max_units, mai))
        payers = {p.pk: _payer_facts(p) for p in payer_rows}
        return cls(
            codes=facts,
            names=names,
            pairs=[
                rules.EditPair(c1, c2, indicator, effective, deletion)
                for c1, c2, indicator, effective, deletion in pair_rows.values_list(
                    "column1_id", "column2_id", "modifier_indicator", "effective", "deletion"
                )
            ],
            limits=dict(limits),
            years={y.year: y for y in FeeYear.objects.all()},
            payers=payers,
            payer_names={pk: p.rules.name for pk, p in payers.items()},
            icd_releases=list(
                Icd10Release.objects.order_by("valid_from").values_list(
                    "fiscal_year", "valid_from", "valid_through"
                )
            ),
        )

    def unit_limits(self, codes: Iterable[str], day: dt.date) -> tuple[rules.UnitLimit, ...]:
        """Each code's unit limit (MUE) in force on ``day``: the latest that took effect."""
        key = ("limits", frozenset(codes), day)
        if len(self._memo) > MEMO_LIMIT:
            self._memo.clear()
        if key not in self._memo:
            found = []
            for code in sorted(set(codes)):
                in_force = [row for row in self.limits.get(code, []) if row[0] <= day]
                if in_force:
                    _, max_units, mai = in_force[-1]
                    found.append(rules.UnitLimit(code, max_units, mai=mai))
            self._memo[key] = tuple(found)
        return self._memo[key]  # type: ignore[return-value]

    def edit_pairs(self, codes: Iterable[str], day: dt.date) -> tuple[rules.EditPair, ...]:
        """The edit pairs among ``codes`` in force on ``day`` (§5.2, §10.6)."""
        wanted = frozenset(codes)
        key = ("pairs", wanted, day)
        if key not in self._memo:
            self._memo[key] = tuple(
                p
                for p in self.pairs
                if p.column1 in wanted and p.column2 in wanted and p.in_force(day)
            )
        return self._memo[key]  # type: ignore[return-value]

    def prices(self, payer_id: int, day: dt.date, codes: Iterable[str]) -> dict[str, CodePrice]:
        """Fee per unit (the payer's schedule for the year of ``day``) and RVUs per code."""
        year = day.year
        if (payer_id, year) not in self._fees:
            self._fees[(payer_id, year)] = dict(
                FeeScheduleEntry.objects.filter(payer_id=payer_id, year=year)
                .order_by()
                .values_list("billing_code_id", "allowed_amount")
            )
        if year not in self._rvus:
            self._rvus[year] = {
                code: RvuSplit(work, pe, mp)
                for code, work, pe, mp in RelativeValue.objects.filter(year=year)
                .order_by()
                .values_list("billing_code_id", "work_rvu", "pe_rvu", "mp_rvu")
            }
        fees, rvus = self._fees[(payer_id, year)], self._rvus[year]
        return {code: CodePrice(fee=fees.get(code), rvu=rvus.get(code)) for code in codes}

    def fee_years(self, payer_id: int) -> set[int]:
        """The years for which the payer has any fee on file (none for self-pay)."""
        if payer_id not in self._fee_years:
            self._fee_years[payer_id] = set(
                FeeScheduleEntry.objects.filter(payer_id=payer_id)
                .order_by()
                .values_list("year", flat=True)
                .distinct()
            )
        return self._fee_years[payer_id]

    def icd_release_for(self, day: dt.date) -> int | None:
        for fiscal_year, valid_from, valid_through in self.icd_releases:
            if valid_from <= day <= valid_through:
                return fiscal_year
        return None


def _payer_facts(payer: Payer) -> PayerFacts:
    kind = rules.PayerKind(payer.kind)
    return PayerFacts(
        pk=payer.pk,
        rules=rules.Payer(
            name=payer.name,
            kind=kind,
            unit_method=Method(payer.unit_method),
            daily_timed_unit_cap=payer.daily_timed_unit_cap,
            kx_applies=payer.kx_applies,
            timely_filing_days=payer.timely_filing_days,
        ),
        terms=PayerTerms(
            applies_mppr=payer.applies_mppr,
            applies_cq_reduction=payer.applies_cq_reduction,
            therapy_modifier=None if kind == rules.PayerKind.SELF_PAY else "GP",
        ),
    )


@dataclass(frozen=True)
class ClaimSpec:
    """What a claim is about. ``claim_id``: the claim being edited or re-scrubbed (None for a
    new session: it joins the day's open claim when there is one). ``session_id``: the session
    being edited, whose own stored services and note are replaced by ``services``/``note``."""

    patient_id: int
    payer_id: int
    date_of_service: dt.date
    credential: str
    diagnoses: tuple[str, ...]
    note: rules.VisitNote
    codes: frozenset[str] = frozenset()
    services: tuple[Service, ...] = ()
    claim_id: int | None = None
    session_id: int | None = None
    documented_codes: tuple[str, ...] = ()  # a stored claim's: its sessions' service codes


class PlanRow(NamedTuple):
    pk: int
    start_date: dt.date
    certified_on: dt.date | None
    cert_through: dt.date
    status: str
    discharged_on: dt.date | None


@dataclass(frozen=True)
class ClaimContext:
    """Every fact of one claim but its lines, and the day's services when sessions are pooled.

    ``claim_id`` is the claim these facts are for: the spec's, or the day's open claim that a
    new session joins. ``services`` are the day's services (the other sessions on that claim and
    the spec's, pooled, pointers mapped to ``facts.diagnoses``).
    """

    facts: rules.ClaimFacts
    payer: PayerFacts
    prices: dict[str, CodePrice]
    claim_id: int | None
    services: tuple[Service, ...]
    plan: PlanRow | None
    fee_year: FeeYear | None
    other_sessions: int = 0
    names: dict[str, str] = field(default_factory=dict)

    @property
    def treatment_day(self) -> int:
        """This visit's treatment day since the last progress report (§6.3), as the scrubber
        counts it."""
        return rules.treatment_days_since_report(self.facts)


class _Visit(NamedTuple):
    session_id: int
    claim_id: int
    date_of_service: dt.date
    earlier: rules.EarlierVisit


class _ClaimRow(NamedTuple):
    pk: int
    date_of_service: dt.date
    amount: Decimal | None
    payer_id: int
    status: str


def claims_context(
    specs: Sequence[ClaimSpec],
    *,
    ref: ReferenceFacts | None = None,
    today: dt.date | None = None,
    with_prices: bool = True,
) -> list[ClaimContext]:
    """The facts of each spec's claim, in order, with a fixed number of queries in all."""
    if not specs:
        return []
    today = today or timezone.localdate()
    if ref is None:
        ref = ReferenceFacts.current()
    patients = {s.patient_id for s in specs}
    plans: dict[int, list[PlanRow]] = defaultdict(list)
    for patient_id, *plan in (
        PlanOfCare.objects.filter(patient__in=patients)
        .order_by("start_date", "id")
        .values_list(
            "patient_id", "pk", "start_date", "certified_on", "cert_through", "status",
            "discharged_on",
        )
    ):  # fmt: skip
        plans[patient_id].append(PlanRow(*plan))
    visits: dict[int, list[_Visit]] = defaultdict(list)
    for patient_id, session_id, claim_id, day, necessity, progress in (
        SessionModel.objects.filter(patient__in=patients)
        .order_by("date_of_service", "id")
        .values_list(
            "patient_id", "id", "claim_id", "date_of_service", "medical_necessity",
            "is_progress_report",
        )
    ):  # fmt: skip
        visits[patient_id].append(
            _Visit(session_id, claim_id, day, rules.EarlierVisit(day, necessity, progress))
        )
    days = [s.date_of_service for s in specs]
    claims_of: dict[int, list[_ClaimRow]] = defaultdict(list)
    # A date range (not __year__in, which the index cannot use): one range of the (patient, date
    # of service) index per patient, the year's claims for KX and the day's for §10.1.
    for patient_id, *row in Claim.objects.filter(
        patient__in=patients,
        date_of_service__gte=dt.date(min(days).year, 1, 1),
        date_of_service__lte=max(days),
    ).values_list("patient_id", "pk", "date_of_service", "expected_amount", "payer_id", "status"):
        claims_of[patient_id].append(_ClaimRow(*row))
    joins = _joined_claims(specs, claims_of)
    same_day_ids = {
        c.pk
        for spec, joined in zip(specs, joins, strict=True)
        for c in claims_of[spec.patient_id]
        if c.date_of_service == spec.date_of_service and c.pk != joined
    }
    codes_of: dict[int, set[str]] = defaultdict(set)
    if same_day_ids:
        for claim_id, code in ClaimLine.objects.filter(claim__in=same_day_ids).values_list(
            "claim_id", "billing_code_id"
        ):
            codes_of[claim_id].add(code)
    pooled = _pooled_sessions(
        [(joined, spec) for spec, joined in zip(specs, joins, strict=True) if joined is not None]
    )
    diagnoses = {code for s in specs for code in s.diagnoses} | {
        code for sessions in pooled.values() for session in sessions for code in session.diagnoses
    }
    icd = {
        code: (billable, title)
        for code, billable, title in Icd10Code.objects.filter(code__in=diagnoses).values_list(
            "code", "billable", "title"
        )
    }
    contexts = []
    for spec, joined in zip(specs, joins, strict=True):
        others = [s for s in pooled.get(joined or 0, []) if s.pk != spec.session_id]
        contexts.append(
            _context(
                spec,
                joined,
                others,
                ref=ref,
                today=today,
                plans=plans[spec.patient_id],
                visits=visits[spec.patient_id],
                claims=claims_of[spec.patient_id],
                codes_of=codes_of,
                icd=icd,
                with_prices=with_prices,
            )
        )
    return contexts


def claim_context(spec: ClaimSpec, **kwargs: object) -> ClaimContext:
    """The facts of one claim (see `claims_context`)."""
    return claims_context([spec], **kwargs)[0]  # type: ignore[arg-type]


def _joined_claims(
    specs: Sequence[ClaimSpec], claims_of: dict[int, list[_ClaimRow]]
) -> list[int | None]:
    """The claim each spec is about: its own, or for a new session the patient's open claim of
    that day with the same payer, which the session joins (§10.1)."""
    found: list[int | None] = []
    for spec in specs:
        if spec.claim_id is not None:
            found.append(spec.claim_id)
            continue
        open_same_day = [
            c.pk
            for c in claims_of[spec.patient_id]
            if c.date_of_service == spec.date_of_service
            and c.payer_id == spec.payer_id
            and c.status in OPEN_STATUSES
        ]
        found.append(min(open_same_day) if open_same_day else None)
    return found


@dataclass
class _StoredSession:
    pk: int
    diagnoses: list[str]
    note: rules.VisitNote
    credential: str
    services: list[tuple[str, int, int, list[int]]] = field(default_factory=list)


def _pooled_sessions(
    wanted: Sequence[tuple[int, ClaimSpec]],
) -> dict[int, list[_StoredSession]]:
    """The stored sessions of the claims that specs are about, with their services (only the
    panel and saving need them: a re-scrub judges the stored lines)."""
    claim_ids = {claim_id for claim_id, spec in wanted if spec.services}
    if not claim_ids:
        return {}
    sessions: dict[int, _StoredSession] = {}
    by_claim: dict[int, list[_StoredSession]] = defaultdict(list)
    for row in (
        SessionModel.objects.filter(claim__in=claim_ids)
        .order_by("pk")
        .values_list(
            "pk", "claim_id", "diagnoses", "medical_necessity", "subjective", "objective",
            "assessment", "plan", "is_progress_report", "therapist__credential",
        )
    ):  # fmt: skip
        pk, claim_id, dx, necessity, subjective, objective, assessment, plan, progress, cred = row
        session = _StoredSession(
            pk,
            list(dx),
            rules.VisitNote(necessity, subjective, objective, assessment, plan, progress),
            cred or "PT",
        )
        sessions[pk] = session
        by_claim[claim_id].append(session)
    for session_id, code, minutes, pta, pointers in (
        SessionService.objects.filter(session__in=sessions)
        .order_by("session_id", "position")
        .values_list("session_id", "billing_code_id", "minutes", "pta_minutes", "dx_pointers")
    ):
        sessions[session_id].services.append((code, minutes, pta, list(pointers or [])))
    return dict(by_claim)


def pool_sessions(
    parts: Sequence[tuple[Sequence[str], Sequence[Service]]],
) -> tuple[tuple[str, ...], tuple[Service, ...]]:
    """The day's diagnoses (each session's, in order, without repeats) and services, each
    service's pointers mapped from its session's list to the day's (§10.1)."""
    diagnoses: list[str] = []
    for session_dx, _ in parts:
        diagnoses += [code for code in session_dx if code not in diagnoses]
    services: list[Service] = []
    for session_dx, session_services in parts:
        for s in session_services:
            pointers = tuple(
                diagnoses.index(session_dx[p - 1]) + 1
                for p in s.dx_pointers
                if 1 <= p <= len(session_dx)
            )
            services.append(Service(s.code, s.minutes, s.pta_minutes, s.by_assistant, pointers))
    return tuple(diagnoses), tuple(services)


def pool_notes(notes: Sequence[rules.VisitNote]) -> rules.VisitNote:
    """The day's note from its sessions' notes, in session order (§10.1)."""
    if len(notes) == 1:
        return notes[0]

    def joined(name: str) -> str:
        return "\n\n".join(t for t in (getattr(n, name).strip() for n in notes) if t)

    return rules.VisitNote(
        medical_necessity=joined("medical_necessity"),
        subjective=joined("subjective"),
        objective=joined("objective"),
        assessment=joined("assessment"),
        plan=joined("plan"),
        includes_progress_report=any(n.includes_progress_report for n in notes),
    )


def stored_services(
    services: Iterable[tuple[str, int, int, list[int]]], *, by_assistant: bool
) -> list[Service]:
    return [
        Service(code, minutes, pta, by_assistant, tuple(pointers))
        for code, minutes, pta, pointers in services
    ]


def plan_in_force(plans: Sequence[PlanRow], day: dt.date) -> PlanRow | None:
    """The plan of care for a date of service (§6.1, §6.2, §10.5): the latest started plan that
    covers it, else the latest started one (then the date is after its certification), else the
    next plan to start (the date is before the plan starts)."""
    started = [p for p in plans if p.start_date <= day]
    covering = [p for p in started if p.cert_through >= day]
    if covering or started:
        return (covering or started)[-1]
    upcoming = [p for p in plans if p.start_date > day]
    return upcoming[0] if upcoming else None


def _context(
    spec: ClaimSpec,
    claim_id: int | None,
    others: list[_StoredSession],
    *,
    ref: ReferenceFacts,
    today: dt.date,
    plans: list[PlanRow],
    visits: list[_Visit],
    claims: list[_ClaimRow],
    codes_of: dict[int, set[str]],
    icd: dict[str, tuple[bool, str]],
    with_prices: bool,
) -> ClaimContext:
    day = spec.date_of_service
    payer = ref.payers[spec.payer_id]
    if others:
        diagnoses, services = pool_sessions(
            [
                *(
                    (
                        s.diagnoses,
                        stored_services(s.services, by_assistant=s.credential == "PTA"),
                    )
                    for s in others
                ),
                (spec.diagnoses, spec.services),
            ]
        )
        note = pool_notes([*(s.note for s in others), spec.note])
    else:
        diagnoses, services, note = spec.diagnoses, spec.services, spec.note
    codes = set(spec.codes) | {s.code for s in services} | set(spec.documented_codes)
    plan = plan_in_force(plans, day)
    plan_facts = None
    if plan is not None:
        first_visit = next(
            (v.date_of_service for v in visits if v.date_of_service >= plan.start_date), day
        )
        plan_facts = rules.PlanOfCare(
            start_date=plan.start_date,
            first_visit_date=min(first_visit, day) if day >= plan.start_date else first_visit,
            certified_on=plan.certified_on,
            cert_through=plan.cert_through,
            status=plan.status,
            discharged_on=plan.discharged_on,
        )
    mine = {spec.session_id, *(s.pk for s in others)}
    earlier = [
        v.earlier
        for v in visits
        if v.date_of_service < day and v.session_id not in mine and v.claim_id != claim_id
    ][-HISTORY_VISITS:]
    kx_payers = {pk for pk, p in ref.payers.items() if p.rules.kx_applies}
    ytd_before = sum(
        (
            c.amount or Decimal(0)
            for c in claims
            if c.date_of_service.year == day.year
            and c.date_of_service < day
            and c.pk != claim_id
            and c.payer_id in kx_payers
        ),
        Decimal(0),
    )
    facts = facts_without_patient(
        ref=ref,
        payer=payer,
        date_of_service=day,
        credential=spec.credential or "PT",
        codes=codes,
        diagnoses=diagnoses,
        note=note,
        plan=plan_facts,
        history=earlier,
        ytd_before=ytd_before,
        same_day=[
            rules.SameDayClaim(c.pk, c.status, tuple(sorted(codes_of.get(c.pk, ()))))
            for c in claims
            if c.date_of_service == day and c.pk != claim_id
        ],
        today=today,
        icd=icd,
        fees=with_prices,
        documented=[s.code for s in services] or spec.documented_codes,
    )
    prices = ref.prices(spec.payer_id, day, codes) if with_prices else {}
    return ClaimContext(
        facts=facts,
        payer=payer,
        prices=prices,
        claim_id=claim_id,
        services=services,
        plan=plan,
        fee_year=ref.years.get(day.year),
        other_sessions=len(others),
        names={code: ref.names[code] for code in codes if code in ref.names},
    )


def facts_without_patient(
    *,
    ref: ReferenceFacts,
    payer: PayerFacts,
    date_of_service: dt.date,
    credential: str,
    codes: Iterable[str],
    diagnoses: Sequence[str] = (),
    note: rules.VisitNote | None = None,
    plan: rules.PlanOfCare | None = None,
    history: Sequence[rules.EarlierVisit] = (),
    ytd_before: Decimal = Decimal(0),
    same_day: Sequence[rules.SameDayClaim] = (),
    today: dt.date | None = None,
    icd: dict[str, tuple[bool, str]] | None = None,
    fees: bool = True,
    documented: Sequence[str] | None = None,
) -> rules.ClaimFacts:
    """The facts of one claim from the code tables for its date of service (§5, §10.6, §10.9)
    and the patient facts given: `claims_context` gives them from the database; `manage.py
    preview_claim`, `manage.py units` and the load generator give them themselves. ``icd``:
    the diagnoses' (billable, title), when already read."""
    wanted = set(codes)
    kx = kx_facts(ref, date_of_service, ytd_before) if payer.rules.kx_applies else None
    if icd is None:
        icd = {
            code: (billable, title)
            for code, billable, title in Icd10Code.objects.filter(code__in=set(diagnoses))
            .order_by()
            .values_list("code", "billable", "title")
        }
    return rules.ClaimFacts(
        date_of_service=date_of_service,
        payer=payer.rules,
        therapist_credential=rules.Credential(credential),
        lines=(),
        diagnoses=tuple(
            rules.Diagnosis(
                code=code,
                exists=code in icd,
                billable=code in icd and icd[code][0],
                title=icd[code][1] if code in icd else "",
            )
            for code in diagnoses
        ),
        code_facts=tuple(ref.codes[c] for c in sorted(wanted) if c in ref.codes),
        note=note or rules.VisitNote(""),
        plan_of_care=plan,
        edit_pairs=ref.edit_pairs(wanted, date_of_service),
        unit_limits=ref.unit_limits(wanted, date_of_service),
        history=tuple(history),
        kx=kx,
        today=today,
        same_day_claims=tuple(same_day),
        missing_reference=missing_reference(
            ref, payer, date_of_service, diagnoses=bool(diagnoses), fees=fees
        ),
        documented_codes=tuple(dict.fromkeys(codes if documented is None else documented)),
    )


def kx_facts(ref: ReferenceFacts, day: dt.date, ytd_before: Decimal) -> rules.KxFacts:
    """The KX figures of a date of service: the year's amount before it and the thresholds in
    force that year (§4, §10.8); no threshold when the year's figures are not loaded."""
    fee_year = ref.years.get(day.year)
    return rules.KxFacts(
        ytd_allowed_before_visit=ytd_before,
        this_visit_allowed=Decimal(0),
        threshold=fee_year.kx_threshold if fee_year else None,
        review_threshold=fee_year.kx_review_threshold if fee_year else Decimal("3000"),
    )


def missing_reference(
    ref: ReferenceFacts, payer: PayerFacts, day: dt.date, *, diagnoses: bool, fees: bool
) -> tuple[str, ...]:
    """What is not loaded for a date of service, in plain sentences (§10.6): the year's KX
    threshold, the fiscal year's ICD-10-CM set, the payer's fee schedule for the year."""
    missing: list[str] = []
    if payer.rules.kx_applies and day.year not in ref.years:
        missing.append(
            f"The {day.year} KX threshold is not loaded: whether KX is needed cannot be "
            "judged for this date of service."
        )
    if diagnoses and ref.icd_releases and ref.icd_release_for(day) is None:
        latest = ref.icd_releases[-1][0]
        fiscal_year = icd10_fiscal_year(day)
        missing.append(
            f"No ICD-10-CM code set is loaded for FY{fiscal_year} (in force from "
            f"{dt.date(fiscal_year - 1, 10, 1).isoformat()}): the diagnoses were checked "
            f"against FY{latest}, the latest loaded."
        )
    if fees and ref.fee_years(payer.pk) and day.year not in ref.fee_years(payer.pk):
        missing.append(
            f"No {day.year} fee schedule is loaded for {payer.rules.name}: no expected amount "
            "is shown."
        )
    return tuple(missing)
