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
*before* the date of service, other providers' amount included (§10.8), the payer's rules in force
on the date of service (`ReferenceFacts.payer`: units, caps, filing window, plan of care,
certification, progress reports, referral, visits a year, authorization; §6.10, §10.10), and the
patient's authorizations and visits that year with the payer (§6.10). A date of service with no
figures loaded is said so in `missing_reference`, never priced at $0.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any, NamedTuple

from django.utils import timezone

from claims import scrubber as rules
from claims.models import (
    Authorization,
    Claim,
    ClaimLine,
    ClaimStatus,
    Patient,
    PlanOfCare,
    SessionService,
    TherapyAmountUsed,
)
from claims.models import TreatmentSession as SessionModel
from claims.pipeline import CodePrice, PayerTerms, Service
from claims.submission.readiness import (
    ClinicianRecord,
    ClinicRecord,
    PatientRecord,
    PayerRecord,
    PlanRecord,
    billing_gaps,
)
from coding import refcache
from coding.icd10 import Icd10Facts
from coding.models import (
    BillingCode,
    ChargeMasterEntry,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Gpci,
    Icd10Release,
    Payer,
    PayerRule,
    RelativeValue,
    UnitLimit,
    icd10_fiscal_year,
)
from coding.pricing import (
    NATIONAL_GPCI,
    RvuSplit,
    locality_fee,
    locality_fee_text,
)
from coding.pricing import (
    Gpci as GpciFactors,
)
from coding.selectors import icd10_facts
from coding.units import Method
from ptclinic.models import Clinic, Membership

HISTORY_VISITS = 60  # earlier visits looked at: enough for copied notes and progress reports
MEMO_LIMIT = 20_000  # memoised pair/limit look-ups kept by a long-lived (cached) copy
_CACHED: dict[str, ReferenceFacts] = {}  # this process's copy of the tables, by their stamp
OPEN_STATUSES = (ClaimStatus.NEEDS_REVIEW, ClaimStatus.RETURNED)


@dataclass(frozen=True)
class PayerFacts:
    """A payer as the rules see it on a date of service, with its terms for money and
    modifiers. ``effective``: the date the payer's rules in force took effect; None when the
    payer has no rules on file (then the defaults of `rules.Payer` stand in, and the claim says
    so, §6.10)."""

    pk: int
    rules: rules.Payer
    terms: PayerTerms
    effective: dt.date | None = None


class PriceArea(NamedTuple):
    """Where a clinic bills Medicare: its MAC and locality (empty: national amounts) and
    whether it is paid with the qualifying-APM conversion factor (§8, §10.13)."""

    mac: str
    locality: str
    qualifying_apm: bool


class RvuRow(NamedTuple):
    """A code's RVUs from one PFS release, in force from ``effective`` (§8, §10.13)."""

    effective: dt.date
    release: str
    status: str
    split: RvuSplit


# PFS status indicators (CMS PFS relative value file) → what the rules call them. A, R and T
# are paid from their RVUs; the others get no Medicare amount of their own.
PFS_STATUS = {
    "A": rules.MedicareStatus.ACTIVE,
    "T": rules.MedicareStatus.ACTIVE,
    "R": rules.MedicareStatus.RESTRICTED,
    "B": rules.MedicareStatus.BUNDLED,
    "P": rules.MedicareStatus.BUNDLED,
    "I": rules.MedicareStatus.INVALID,
    "G": rules.MedicareStatus.INVALID,
    "D": rules.MedicareStatus.INVALID,
    "N": rules.MedicareStatus.NONCOVERED,
    "X": rules.MedicareStatus.NONCOVERED,
    "E": rules.MedicareStatus.NONCOVERED,
    "C": rules.MedicareStatus.CARRIER_PRICED,
}
PAID_FROM_RVUS = frozenset({"A", "R", "T"})


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
    payer_rules: dict[int, tuple[PayerFacts, ...]]  # each payer's dated rules, oldest first
    payer_names: dict[int, str]
    icd_releases: list[tuple[int, dt.date, dt.date]]
    payer_kinds: dict[int, str] = field(default_factory=dict)
    areas: dict[int, PriceArea] = field(default_factory=dict)
    clinic_records: dict[int, ClinicRecord] = field(default_factory=dict)
    payer_records: dict[int, PayerRecord] = field(default_factory=dict)
    _fees: dict[tuple[int, int], dict[str, tuple[Decimal, bool]]] = field(default_factory=dict)
    _rvus: dict[int, dict[str, list[RvuRow]]] = field(default_factory=dict)
    _gpcis: dict[int, dict[tuple[str, str], tuple[str, GpciFactors]]] = field(default_factory=dict)
    _fee_years: dict[int, set[int]] = field(default_factory=dict)
    _memo: dict[tuple[object, ...], tuple[object, ...]] = field(default_factory=dict)
    _charges: dict[int, dict[str, list[tuple[dt.date, Decimal]]]] = field(default_factory=dict)

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
            pair_rows = pair_rows.filter(column1__code__in=wanted, column2__code__in=wanted)
            limit_rows = limit_rows.filter(billing_code__code__in=wanted)
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
            "billing_code__code", "effective", "max_units", "mai"
        ):
            limits[code].append((effective, max_units, mai))
        clinic_rows = list(
            Clinic.objects.values_list(
                "pk", "medicare_mac", "medicare_locality", "qualifying_apm",
                "npi", "tax_id", "address_line1", "city", "state", "zip_code", "medicare_mac",
            )
        )  # fmt: skip
        dated: dict[int, list[PayerRule]] = defaultdict(list)
        for rule in PayerRule.objects.order_by("payer_id", "effective"):
            dated[rule.payer_id].append(rule)
        payer_rules = {
            p.pk: tuple(_payer_facts(p, rule) for rule in dated[p.pk]) or (_payer_facts(p, None),)
            for p in payer_rows
        }
        return cls(
            codes=facts,
            names=names,
            pairs=[
                rules.EditPair(c1, c2, indicator, effective, deletion)
                for c1, c2, indicator, effective, deletion in pair_rows.values_list(
                    "column1__code", "column2__code", "modifier_indicator", "effective", "deletion"
                )
            ],
            limits=dict(limits),
            years={y.year: y for y in FeeYear.objects.all()},
            payer_rules=payer_rules,
            payer_names={p.pk: p.name for p in payer_rows},
            icd_releases=list(
                Icd10Release.objects.order_by("valid_from").values_list(
                    "fiscal_year", "valid_from", "valid_through"
                )
            ),
            payer_kinds={p.pk: p.kind for p in payer_rows},
            areas={row[0]: PriceArea(*row[1:4]) for row in clinic_rows},
            clinic_records={row[0]: ClinicRecord(*row[4:]) for row in clinic_rows},
            payer_records={p.pk: PayerRecord(p.kind, p.payer_id) for p in payer_rows},
        )

    def payer(self, payer_id: int, day: dt.date) -> PayerFacts:
        """The payer's rules in force on ``day`` (§6.10): the latest that took effect by then;
        before the first, the first (and `missing_reference` says so)."""
        dated = self.payer_rules[payer_id]
        in_force = [p for p in dated if p.effective is not None and p.effective <= day]
        return in_force[-1] if in_force else dated[0]

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
        return self._memo[key]  # type: ignore[return-value]  # _memo holds each kind under its own key

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
        return self._memo[key]  # type: ignore[return-value]  # _memo holds each kind under its own key

    def prices(
        self, payer_id: int, day: dt.date, codes: Iterable[str], *, clinic_id: int | None = None
    ) -> dict[str, CodePrice]:
        """Fee per unit and RVUs per code for the payer on ``day`` (§8, §10.13): for Medicare
        the amount at the clinic's locality from the RVUs, GPCIs and conversion factor in
        force; for other payers their fee schedule for the year. With a clinic, each code's
        billed charge per unit too (the clinic's charge master on ``day``)."""
        found: dict[str, CodePrice]
        if self.payer_kinds.get(payer_id) == "medicare":
            area = self.areas.get(clinic_id) if clinic_id is not None else None
            found = {code: self._medicare_price(code, day, area) for code in codes}
        else:
            fees = self._fee_rows(payer_id, day.year)
            rvus = self.rvus_on(day)
            found = {
                code: CodePrice(
                    fee=fees[code][0] if code in fees else None,
                    rvu=rvus[code].split if code in rvus else None,
                    demo=code in fees and fees[code][1],
                )
                for code in codes
            }
        if clinic_id is None:
            return found
        charges = self.charges(clinic_id, day)
        return {code: replace(price, charge=charges.get(code)) for code, price in found.items()}

    def charges(self, clinic_id: int, day: dt.date) -> dict[str, Decimal]:
        """The clinic's charge per unit of each code on ``day``: the latest entry of its charge
        master that took effect by then (a code without one has no charge)."""
        if clinic_id not in self._charges:
            rows: dict[str, list[tuple[dt.date, Decimal]]] = defaultdict(list)
            for code, effective, charge in (
                ChargeMasterEntry.objects.filter(clinic_id=clinic_id)
                .order_by("billing_code_id", "effective")
                .values_list("billing_code__code", "effective", "charge")
            ):
                rows[code].append((effective, charge))
            self._charges[clinic_id] = dict(rows)
        key = ("charges", clinic_id, day)
        if len(self._memo) > MEMO_LIMIT:
            self._memo.clear()
        if key not in self._memo:
            in_force: dict[str, Decimal] = {}
            for code, dated in self._charges[clinic_id].items():
                taken = [charge for effective, charge in dated if effective <= day]
                if taken:
                    in_force[code] = taken[-1]
            self._memo[key] = (in_force,)
        return self._memo[key][0]  # type: ignore[return-value]  # _memo holds each kind under its own key

    def _fee_rows(self, payer_id: int, year: int) -> dict[str, tuple[Decimal, bool]]:
        if (payer_id, year) not in self._fees:
            self._fees[(payer_id, year)] = {
                code: (amount, demo)
                for code, amount, demo in FeeScheduleEntry.objects.filter(
                    payer_id=payer_id, year=year
                )
                .order_by()
                .values_list("billing_code__code", "allowed_amount", "is_demo")
            }
        return self._fees[(payer_id, year)]

    def rvus_on(self, day: dt.date) -> dict[str, RvuRow]:
        """Each code's RVUs in force on ``day``: the latest release of that year that took
        effect by then (§10.6: last year's figures never price this year's visits)."""
        year = day.year
        if year not in self._rvus:
            by_code: dict[str, list[RvuRow]] = defaultdict(list)
            for code, effective, release, status, work, pe, mp in (
                RelativeValue.objects.filter(year=year)
                .order_by("billing_code_id", "effective")
                .values_list(
                    "billing_code__code", "effective", "release", "status", "work_rvu", "pe_rvu",
                    "mp_rvu",
                )
            ):  # fmt: skip
                by_code[code].append(RvuRow(effective, release, status, RvuSplit(work, pe, mp)))
            self._rvus[year] = dict(by_code)
        key = ("rvus", day)
        if key not in self._memo:
            found = {}
            for code, rows in self._rvus[year].items():
                in_force = [row for row in rows if row.effective <= day]
                if in_force:
                    found[code] = in_force[-1]
            self._memo[key] = tuple(found.items())
        return dict(self._memo[key])  # type: ignore[arg-type]  # _memo holds each kind under its own key

    def gpci(self, area: PriceArea | None, year: int) -> tuple[str, GpciFactors] | None:
        """The locality's name and GPCIs for the year; None when the clinic has no locality
        or that year's GPCIs are not loaded."""
        if area is None or not area.mac:
            return None
        if year not in self._gpcis:
            self._gpcis[year] = {
                (mac, locality): (f"{name.title()}, {state}", GpciFactors(work, pe, mp))
                for mac, locality, name, state, work, pe, mp in Gpci.objects.filter(
                    year=year
                ).values_list("mac", "locality", "name", "state", "work_gpci", "pe_gpci", "mp_gpci")
            }
        return self._gpcis[year].get((area.mac, area.locality))

    def conversion_factor(self, year: int, area: PriceArea | None) -> Decimal | None:
        fee_year = self.years.get(year)
        if fee_year is None:
            return None
        if area is not None and area.qualifying_apm and fee_year.conversion_factor_qualifying_apm:
            return fee_year.conversion_factor_qualifying_apm
        return fee_year.conversion_factor

    def _medicare_price(self, code: str, day: dt.date, area: PriceArea | None) -> CodePrice:
        row = self.rvus_on(day).get(code)
        cf = self.conversion_factor(day.year, area)
        if row is None or cf is None:
            return CodePrice()
        if row.status and row.status not in PAID_FROM_RVUS:
            return CodePrice(
                rvu=row.split,
                basis=f"Medicare status {row.status} in {row.release}: no amount of its own",
            )
        located = self.gpci(area, day.year)
        gpci = located[1] if located else NATIONAL_GPCI
        fee, adjusted = locality_fee(row.split, gpci, cf)
        if located and area is not None:  # gpci() finds a locality only for an area
            where = f"at {located[0]} (locality {area.mac}-{area.locality})"
        elif area is not None and area.mac:
            where = f"national: no {day.year} GPCIs are loaded for the clinic's locality"
        else:
            where = "national: the clinic has no Medicare locality set"
        apm = " (qualifying APM)" if area is not None and area.qualifying_apm else ""
        return CodePrice(
            fee=fee,
            rvu=adjusted,
            basis=(
                f"Medicare {day.year} amount {where}{apm}: "
                f"{locality_fee_text(row.split, gpci, cf, fee)} (RVUs of {row.release})"
            ),
        )

    def code_facts_on(self, code: str, day: dt.date) -> rules.CodeFacts:
        """The code's facts with the Medicare status of the PFS release in force on ``day``."""
        facts = self.codes[code]
        row = self.rvus_on(day).get(code)
        if row is None or not row.status:
            return facts
        status = PFS_STATUS.get(row.status, rules.MedicareStatus.ACTIVE)
        return facts if status == facts.medicare_status else replace(facts, medicare_status=status)

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


def fee_table(
    *, codes: Iterable[str], day: dt.date, clinic_id: int | None
) -> dict[int, dict[str, CodePrice]]:
    """Every payer's allowed amount per unit of each code on ``day`` at the clinic, as claims
    are priced (the code reference and the cheat sheet show these)."""
    ref = ReferenceFacts.current()
    wanted = set(codes)
    return {pk: ref.prices(pk, day, wanted, clinic_id=clinic_id) for pk in ref.payer_kinds}


class ChargeRow(NamedTuple):
    code: str
    name: str
    charge: Decimal | None  # in force on the day
    highest_allowed: Decimal | None  # the highest payer amount per unit at the clinic
    highest_payer: str

    @property
    def below_allowed(self) -> bool:
        return (
            self.charge is not None
            and self.highest_allowed is not None
            and self.charge < self.highest_allowed
        )


def charge_table(*, clinic_id: int, day: dt.date) -> list[ChargeRow]:
    """Each billable code's charge on ``day`` beside the highest amount a payer allows for it
    at the clinic (the charge master page, billing-rules §11.2)."""
    ref = ReferenceFacts.current()
    codes = sorted(ref.codes)
    charges = ref.charges(clinic_id, day)
    table = fee_table(codes=codes, day=day, clinic_id=clinic_id)
    rows = []
    for code in codes:
        best: tuple[Decimal, str] | None = None
        for payer_id, prices in table.items():
            fee = prices[code].fee
            if fee is not None and (best is None or fee > best[0]):
                best = (fee, ref.payer_names.get(payer_id, ""))
        rows.append(
            ChargeRow(
                code,
                ref.names.get(code, ""),
                charges.get(code),
                best[0] if best else None,
                best[1] if best else "",
            )
        )
    return rows


def _payer_facts(payer: Payer, rule: PayerRule | None) -> PayerFacts:
    """The payer with one of its dated rules (§6.10); without any, the defaults of
    `rules.Payer`: CMS units, a plan of care needed, nothing else."""
    kind = rules.PayerKind(payer.kind)
    therapy_modifier = None if kind == rules.PayerKind.SELF_PAY else "GP"
    if rule is None:
        return PayerFacts(
            pk=payer.pk,
            rules=rules.Payer(name=payer.name, kind=kind, unit_method=Method.CMS),
            terms=PayerTerms(
                applies_mppr=False, applies_cq_reduction=False, therapy_modifier=therapy_modifier
            ),
        )
    return PayerFacts(
        pk=payer.pk,
        rules=rules.Payer(
            name=payer.name,
            kind=kind,
            unit_method=Method(rule.unit_method),
            daily_timed_unit_cap=rule.daily_timed_unit_cap,
            kx_applies=rule.kx_applies,
            timely_filing_days=rule.timely_filing_days,
            progress_report_visits=rule.progress_report_visits,
            progress_report_days=rule.progress_report_days,
            certification_days=rule.certification_days,
            requires_plan_of_care=rule.requires_plan_of_care,
            requires_referral=rule.requires_referral,
            requires_authorization=rule.requires_authorization,
            visit_limit_per_year=rule.visit_limit_per_year,
        ),
        terms=PayerTerms(
            applies_mppr=rule.applies_mppr,
            applies_cq_reduction=rule.applies_cq_reduction,
            therapy_modifier=therapy_modifier,
        ),
        effective=rule.effective,
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
    clinic_id: int | None = None  # whose Medicare locality prices the claim (§10.13)
    therapist_id: int | None = None  # the claim's clinician (membership): its NPI is sent


class PlanRow(NamedTuple):
    pk: int
    start_date: dt.date
    certified_on: dt.date | None
    cert_through: dt.date
    status: str
    discharged_on: dt.date | None
    certified_by_name: str = ""
    certified_by_npi: str = ""


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

    @property
    def progress(self) -> rules.ProgressClock:
        """This visit against the payer's progress-report interval (§6.3, §6.10)."""
        return rules.progress_clock(self.facts)

    @property
    def authorization_line(self) -> str:
        """ "Visit 7 of 12 authorized (AUTH123), through 2027-01-15", or why there is none
        (§6.10): the panel, the claim page and the queue show this one sentence."""
        return rules.authorization_summary(self.facts)

    @property
    def kx_elsewhere(self) -> str:
        """What the year to date holds from other providers, in words (§10.8)."""
        return rules.kx_other_providers_text(self.facts.kx) if self.facts.kx else ""


class _Visit(NamedTuple):
    session_id: int
    claim_id: int
    date_of_service: dt.date
    earlier: rules.EarlierVisit
    payer_id: int = 0


class _AuthRow(NamedTuple):
    payer_id: int
    number: str
    start_date: dt.date
    end_date: dt.date
    visits: int | None
    units: dict[str, int]


class _LineRow(NamedTuple):
    claim_id: int
    date_of_service: dt.date
    payer_id: int
    code: str
    units: int


@dataclass
class _CoverageFacts:
    """What the patients of a batch have on file for their payers' rules (§6.10, §10.8):
    authorizations with their units, the billed lines inside them, therapy used elsewhere."""

    authorizations: dict[int, list[_AuthRow]] = field(default_factory=dict)
    lines: dict[int, list[_LineRow]] = field(default_factory=dict)
    used_elsewhere: dict[tuple[int, int], tuple[Decimal, dt.date]] = field(default_factory=dict)


def _coverage_facts(specs: Sequence[ClaimSpec], ref: ReferenceFacts) -> _CoverageFacts:
    """Authorizations (one query, with their units) for the patients whose payer requires one
    on the date of service, the lines billed inside them when they limit units (one query), and
    the therapy amounts used elsewhere for the patients whose payer applies KX (one query)."""
    found = _CoverageFacts()
    in_force = [(s, ref.payer(s.payer_id, s.date_of_service).rules) for s in specs]
    needing = {s.patient_id for s, payer in in_force if payer.requires_authorization}
    if needing:
        rows: dict[int, _AuthRow] = {}
        for pk, patient_id, payer_id, number, start, end, visits, code, units in (
            Authorization.objects.filter(patient__in=needing)
            .order_by("start_date", "pk")
            .values_list(
                "pk", "patient_id", "payer_id", "number", "start_date", "end_date", "visits",
                "units__billing_code__code", "units__units",
            )
        ):  # fmt: skip
            if pk not in rows:
                rows[pk] = _AuthRow(payer_id, number, start, end, visits, {})
                found.authorizations.setdefault(patient_id, []).append(rows[pk])
            if code is not None:
                rows[pk].units[code] = units
        limited = {
            patient
            for patient, auths in found.authorizations.items()
            if any(a.units for a in auths)
        }
        if limited:
            first = min(a.start_date for p in limited for a in found.authorizations[p])
            for patient_id, claim_id, day, payer_id, code, units in (
                ClaimLine.objects.filter(
                    claim__patient__in=limited,
                    claim__date_of_service__gte=first,
                    claim__date_of_service__lte=max(s.date_of_service for s in specs),
                ).values_list(
                    "claim__patient_id", "claim_id", "claim__date_of_service", "claim__payer_id",
                    "billing_code__code", "units",
                )
            ):  # fmt: skip
                found.lines.setdefault(patient_id, []).append(
                    _LineRow(claim_id, day, payer_id, code, units)
                )
    kx = {(s.patient_id, s.date_of_service.year) for s, payer in in_force if payer.kx_applies}
    if kx:
        for patient_id, year, amount, as_of in TherapyAmountUsed.objects.filter(
            patient__in={patient for patient, _ in kx}, year__in={year for _, year in kx}
        ).values_list("patient_id", "year", "amount", "as_of"):
            found.used_elsewhere[(patient_id, year)] = (amount, as_of)
    return found


def _authorizations(
    spec: ClaimSpec,
    claim_id: int | None,
    mine: set[int | None],
    facts: _CoverageFacts,
    visits: list[_Visit],
) -> tuple[rules.Authorization, ...]:
    """The patient's authorizations from the spec's payer, each with the treatment days and
    the units already billed to that payer inside its dates before the date of service (§6.10);
    the claim's own sessions and lines left out."""
    day = spec.date_of_service
    found = []
    for auth in facts.authorizations.get(spec.patient_id, []):
        if auth.payer_id != spec.payer_id:
            continue
        days = {
            v.date_of_service
            for v in visits
            if v.payer_id == spec.payer_id
            and auth.start_date <= v.date_of_service <= auth.end_date
            and v.date_of_service < day
            and v.session_id not in mine
            and v.claim_id != claim_id
        }
        used: dict[str, int] = defaultdict(int)
        for line in facts.lines.get(spec.patient_id, []):
            if (
                line.payer_id == spec.payer_id
                and line.code in auth.units
                and auth.start_date <= line.date_of_service <= auth.end_date
                and line.date_of_service < day
                and line.claim_id != claim_id
            ):
                used[line.code] += line.units
        found.append(
            rules.Authorization(
                number=auth.number,
                start_date=auth.start_date,
                end_date=auth.end_date,
                visits=auth.visits,
                visits_before=len(days),
                units=tuple(sorted(auth.units.items())),
                units_before=tuple(sorted(used.items())),
            )
        )
    return tuple(found)


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
    for row in (
        PlanOfCare.objects.filter(patient__in=patients)
        .order_by("start_date", "id")
        .values_list(
            "patient_id", "pk", "start_date", "certified_on", "cert_through", "status",
            "discharged_on", "certified_by_name", "certified_by_npi",
        )
    ):  # fmt: skip
        # Slicing keeps each field's type (a starred target would make them all `object`).
        plans[row[0]].append(PlanRow(*row[1:]))
    records = _billing_records(specs)
    visits: dict[int, list[_Visit]] = defaultdict(list)
    for patient_id, session_id, claim_id, day, necessity, progress, payer_id in (
        SessionModel.objects.filter(patient__in=patients)
        .order_by("date_of_service", "id")
        .values_list(
            "patient_id", "id", "claim_id", "date_of_service", "medical_necessity",
            "is_progress_report", "payer_id",
        )
    ):  # fmt: skip
        visits[patient_id].append(
            _Visit(
                session_id, claim_id, day, rules.EarlierVisit(day, necessity, progress), payer_id
            )
        )
    days = [s.date_of_service for s in specs]
    claims_of: dict[int, list[_ClaimRow]] = defaultdict(list)
    # A date range (not __year__in, which the index cannot use): one range of the (patient, date
    # of service) index per patient, the year's claims for KX and the day's for §10.1.
    year_claims: Iterable[tuple[Any, ...]] = Claim.objects.filter(
        patient__in=patients,
        date_of_service__gte=dt.date(min(days).year, 1, 1),
        date_of_service__lte=max(days),
    ).values_list("patient_id", "pk", "date_of_service", "expected_amount", "payer_id", "status")
    for patient_id, *claim_row in year_claims:
        claims_of[patient_id].append(_ClaimRow(*claim_row))
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
            "claim_id", "billing_code__code"
        ):
            codes_of[claim_id].add(code)
    pooled = _pooled_sessions(
        [(joined, spec) for spec, joined in zip(specs, joins, strict=True) if joined is not None]
    )
    diagnoses = {code for s in specs for code in s.diagnoses} | {
        code for sessions in pooled.values() for session in sessions for code in session.diagnoses
    }
    icd = icd10_facts(codes=diagnoses, releases=ref.icd_releases)  # judged per date (§10.6)
    coverage = _coverage_facts(specs, ref)
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
                coverage=coverage,
                records=records,
            )
        )
    return contexts


@dataclass
class _BillingRecords:
    patients: dict[int, PatientRecord]
    clinicians: dict[int, ClinicianRecord]


def _billing_records(specs: Sequence[ClaimSpec]) -> _BillingRecords:
    """The patients' and clinicians' fields a claim must carry (§11.1): two queries."""
    rows: Iterable[tuple[Any, ...]] = Patient.objects.filter(
        pk__in={s.patient_id for s in specs}
    ).values_list(
        "pk", "sex", "address_line1", "city", "state", "zip_code", "member_id",
        "relationship", "subscriber_first_name", "subscriber_last_name",
        "subscriber_date_of_birth",
    )  # fmt: skip
    patients = {pk: PatientRecord(*fields) for pk, *fields in rows}
    clinicians = {}
    wanted = {s.therapist_id for s in specs if s.therapist_id is not None}
    if wanted:
        for pk, first, last, username, npi, credential, s_first, s_last, s_npi in (
            Membership.objects.filter(pk__in=wanted).values_list(
                "pk", "user__first_name", "user__last_name", "user__username", "npi",
                "credential", "supervisor__user__first_name", "supervisor__user__last_name",
                "supervisor__npi",
            )
        ):  # fmt: skip
            supervisor = f"{s_first or ''} {s_last or ''}".strip()
            clinicians[pk] = ClinicianRecord(
                name=f"{first} {last}".strip() or username,
                npi=npi,
                is_assistant=credential == "PTA",
                supervisor_name=supervisor or ("a PT" if s_npi is not None else ""),
                supervisor_npi=s_npi or "",
            )
    return _BillingRecords(patients, clinicians)


def claim_context(
    spec: ClaimSpec,
    *,
    ref: ReferenceFacts | None = None,
    today: dt.date | None = None,
    with_prices: bool = True,
) -> ClaimContext:
    """The facts of one claim (see `claims_context`)."""
    return claims_context([spec], ref=ref, today=today, with_prices=with_prices)[0]


def stored_claims_context(claims: Sequence[Claim]) -> dict[int, ClaimContext]:
    """The patient facts of stored claims, by claim id, for the pages that show them beside
    the claim (the claim page, the review queue): the payer's rules on the date of service,
    the authorization line, the year to date (§6.10, §10.8). Not their lines or notes (the
    flags judged those), so a fixed handful of queries for any number of claims."""
    specs = [
        ClaimSpec(
            patient_id=c.patient_id,
            payer_id=c.payer_id,
            date_of_service=c.date_of_service,
            credential="PT",
            diagnoses=(),
            note=rules.VisitNote(""),
            claim_id=c.pk,
            clinic_id=c.clinic_id,
        )
        for c in claims
    ]
    contexts = claims_context(specs, with_prices=False)
    return {c.pk: context for c, context in zip(claims, contexts, strict=True)}


def authorization_lines(claims: Sequence[Claim]) -> dict[int, str]:
    """The authorization line of each stored claim whose payer requires one on its date of
    service (§6.10), by claim id: the review queue shows it beside the payer. Claims of other
    payers cost no query beyond the tables' stamp."""
    ref = ReferenceFacts.current()
    wanted = [
        c for c in claims if ref.payer(c.payer_id, c.date_of_service).rules.requires_authorization
    ]
    if not wanted:
        return {}
    return {pk: c.authorization_line for pk, c in stored_claims_context(wanted).items()}


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
        .values_list("session_id", "billing_code__code", "minutes", "pta_minutes", "dx_pointers")
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
    icd: Icd10Facts,
    with_prices: bool,
    coverage: _CoverageFacts,
    records: _BillingRecords | None = None,
) -> ClaimContext:
    day = spec.date_of_service
    payer = ref.payer(spec.payer_id, day)
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
            certified_by_name=plan.certified_by_name,
        )
    mine: set[int | None] = {spec.session_id, *(s.pk for s in others)}
    earlier = [
        v.earlier
        for v in visits
        if v.date_of_service < day and v.session_id not in mine and v.claim_id != claim_id
    ][-HISTORY_VISITS:]
    # §10.8: the year's amounts before the date of service on payers whose rules on each
    # claim's date apply KX, plus what other providers billed (the eligibility reply).
    ytd_before = sum(
        (
            c.amount or Decimal(0)
            for c in claims
            if c.date_of_service.year == day.year
            and c.date_of_service < day
            and c.pk != claim_id
            and ref.payer(c.payer_id, c.date_of_service).rules.kx_applies
        ),
        Decimal(0),
    )
    elsewhere = coverage.used_elsewhere.get((spec.patient_id, day.year))
    this_year = {
        v.date_of_service
        for v in visits
        if v.payer_id == spec.payer_id
        and v.date_of_service.year == day.year
        and v.date_of_service < day
        and v.session_id not in mine
        and v.claim_id != claim_id
    }
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
            if c.date_of_service == day and c.pk != claim_id and c.status != "voided"
        ],
        today=today,
        icd=icd,
        fees=with_prices,
        documented=[s.code for s in services] or spec.documented_codes,
        clinic_id=spec.clinic_id,
        used_elsewhere=elsewhere,
        authorizations=_authorizations(spec, claim_id, mine, coverage, visits),
        visits_this_year=len(this_year),
    )
    if records is not None and spec.clinic_id is not None:
        facts = replace(
            facts,
            billing_gaps=billing_gaps(
                clinic=ref.clinic_records.get(spec.clinic_id, ClinicRecord()),
                patient=records.patients.get(spec.patient_id, PatientRecord()),
                payer=ref.payer_records.get(spec.payer_id, PayerRecord(kind="")),
                clinician=records.clinicians.get(spec.therapist_id or 0),
                plan=PlanRecord(plan.certified_by_name, plan.certified_by_npi) if plan else None,
                plan_required=payer.rules.requires_plan_of_care,
            ),
        )
    prices = ref.prices(spec.payer_id, day, codes, clinic_id=spec.clinic_id) if with_prices else {}
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
    icd: Icd10Facts | None = None,
    fees: bool = True,
    documented: Sequence[str] | None = None,
    clinic_id: int | None = None,
    used_elsewhere: tuple[Decimal, dt.date] | None = None,
    authorizations: Sequence[rules.Authorization] = (),
    visits_this_year: int = 0,
) -> rules.ClaimFacts:
    """The facts of one claim from the code tables for its date of service (§5, §10.6, §10.9)
    and the patient facts given: `claims_context` gives them from the database; `manage.py
    preview_claim`, `manage.py units` and the load generator give them themselves. ``icd``:
    the diagnoses' rows, when already read (`coding.selectors.icd10_facts`), judged for the
    date of service (§7, §10.6). ``used_elsewhere``: the therapy
    amount other providers billed this year and the date of the eligibility reply (§10.8), on
    top of ``ytd_before``; ``authorizations`` and ``visits_this_year``: the patient's with this
    payer (§6.10)."""
    wanted = set(codes)
    kx = (
        kx_facts(ref, date_of_service, ytd_before, used_elsewhere=used_elsewhere)
        if payer.rules.kx_applies
        else None
    )
    if icd is None:
        icd = (
            icd10_facts(codes=diagnoses, releases=ref.icd_releases)
            if diagnoses
            else Icd10Facts.empty()
        )
    verdicts = [icd.judge(code, date_of_service) for code in diagnoses]
    return rules.ClaimFacts(
        date_of_service=date_of_service,
        payer=payer.rules,
        therapist_credential=rules.Credential(credential),
        lines=(),
        diagnoses=tuple(
            rules.Diagnosis(v.code, v.exists, v.billable, v.title, explanation=v.explanation)
            for v in verdicts
        ),
        code_facts=tuple(
            ref.code_facts_on(c, date_of_service) for c in sorted(wanted) if c in ref.codes
        ),
        note=note or rules.VisitNote(""),
        plan_of_care=plan,
        edit_pairs=ref.edit_pairs(wanted, date_of_service),
        unit_limits=ref.unit_limits(wanted, date_of_service),
        history=tuple(history),
        kx=kx,
        today=today,
        same_day_claims=tuple(same_day),
        missing_reference=missing_reference(
            ref, payer, date_of_service, diagnoses=bool(diagnoses), fees=fees, clinic_id=clinic_id
        ),
        charges_checked=clinic_id is not None and fees,
        documented_codes=tuple(dict.fromkeys(codes if documented is None else documented)),
        authorizations=tuple(authorizations),
        visits_this_year=visits_this_year,
    )


def kx_facts(
    ref: ReferenceFacts,
    day: dt.date,
    ytd_before: Decimal,
    *,
    used_elsewhere: tuple[Decimal, dt.date] | None = None,
) -> rules.KxFacts:
    """The KX figures of a date of service: the year's amount before it, other providers'
    amount (the eligibility reply) included, and the thresholds in force that year (§4, §10.8);
    no threshold when the year's figures are not loaded."""
    fee_year = ref.years.get(day.year)
    elsewhere, as_of = used_elsewhere or (Decimal(0), None)
    return rules.KxFacts(
        ytd_allowed_before_visit=ytd_before + elsewhere,
        this_visit_allowed=Decimal(0),
        threshold=fee_year.kx_threshold if fee_year else None,
        review_threshold=fee_year.kx_review_threshold if fee_year else Decimal("3000"),
        other_providers=elsewhere,
        other_providers_as_of=as_of,
    )


def missing_reference(
    ref: ReferenceFacts,
    payer: PayerFacts,
    day: dt.date,
    *,
    diagnoses: bool,
    fees: bool,
    clinic_id: int | None = None,
) -> tuple[str, ...]:
    """What is not loaded for a date of service, in plain sentences (§10.6): the year's KX
    threshold, the fiscal year's ICD-10-CM set, the payer's fees for the year (for Medicare:
    the RVUs, the conversion factor and the clinic's locality GPCIs)."""
    missing: list[str] = []
    if payer.effective is None or payer.effective > day:
        missing.append(
            f"No rules of {payer.rules.name} are on file for {day.isoformat()}: the claim was "
            "checked with "
            + (
                f"the rules from {payer.effective.isoformat()}, the first on file."
                if payer.effective
                else "the defaults (CMS units, a plan of care needed)."
            )
        )
    fee_year = ref.years.get(day.year)
    if payer.rules.kx_applies and (fee_year is None or fee_year.kx_threshold is None):
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
    if fees and ref.payer_kinds.get(payer.pk) == "medicare":
        area = ref.areas.get(clinic_id) if clinic_id is not None else None
        if not ref.rvus_on(day) or ref.conversion_factor(day.year, area) is None:
            missing.append(
                f"The {day.year} Medicare relative values or conversion factor are not "
                "loaded: no expected amount is shown."
            )
        elif area is not None and area.mac and ref.gpci(area, day.year) is None:
            missing.append(
                f"The {day.year} GPCIs of the clinic's Medicare locality are not loaded: "
                "amounts are national."
            )
    elif fees and ref.fee_years(payer.pk) and day.year not in ref.fee_years(payer.pk):
        missing.append(
            f"No {day.year} fee schedule is loaded for {payer.rules.name}: no expected amount "
            "is shown."
        )
    return tuple(missing)
