"""Writes to patients and plans of care, and the reads their pages need.

Writes are keyword-only `<entity>_<action>` functions, one transaction each, `full_clean()` before
saving. The plan-of-care facts (billing-rules §6.1–6.3) and the KX figures (§4) shown on the
patient page are computed here, not in templates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import transaction

from claims import scrubber as rules
from claims.facts import ClaimSpec, claim_context
from claims.models import Patient, PlanOfCare, PlanStatus
from coding.models import Icd10Code, Payer
from coding.modifiers import KxFacts, kx_needed
from coding.services import diagnoses_check
from ptclinic.models import Clinic

CERTIFICATION_SIGNATURE_DAYS = 30  # billing-rules §6.2: the physician/NPP signs within 30 days
DX_OPTIONS_MAX = 20


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


# ---- Patients ----------------------------------------------------------------------------


def patient_create(
    *,
    clinic: Clinic,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    mrn: str,
    primary_payer: Payer,
    member_id: str = "",
) -> Patient:
    with transaction.atomic():
        patient = Patient(
            clinic=clinic,
            first_name=first_name,
            last_name=last_name,
            date_of_birth=date_of_birth,
            mrn=mrn,
            primary_payer=primary_payer,
            member_id=member_id,
        )
        patient.full_clean()
        patient.save()
    return patient


def patient_update(
    *,
    patient: Patient,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    mrn: str,
    primary_payer: Payer,
    member_id: str = "",
) -> Patient:
    with transaction.atomic():
        patient.first_name = first_name
        patient.last_name = last_name
        patient.date_of_birth = date_of_birth
        patient.mrn = mrn
        patient.primary_payer = primary_payer
        patient.member_id = member_id
        patient.full_clean()
        patient.save()
    return patient


# ---- Diagnoses (billing-rules §7) --------------------------------------------------------


def diagnosis_titles(codes: Iterable[str]) -> dict[str, str]:
    return dict(Icd10Code.objects.filter(code__in=set(codes)).values_list("code", "title"))


def dx_options(q: str) -> list[Icd10Code]:
    """Billable ICD-10-CM codes for a diagnosis input: by code prefix when the text looks like a
    code (M54, m54.5), else by the words of the title (low back pain)."""
    q = q.strip()
    if len(q) < 2:
        return []
    return list(Icd10Code.objects.search(q).filter(billable=True).order_by("code")[:DX_OPTIONS_MAX])


# ---- Plans of care (billing-rules §6.1, §6.2) --------------------------------------------


def _plan_fill(
    plan: PlanOfCare,
    *,
    diagnoses: Sequence[str],
    start_date: dt.date,
    cert_through: dt.date,
    frequency: str,
    goals: str,
    certified_by_name: str,
    certified_by_npi: str,
    certified_on: dt.date | None,
    status: str,
    discharged_on: dt.date | None = None,
) -> None:
    codes = [c for c in diagnoses if c.strip()]
    if not codes:
        raise ValidationError({"diagnoses": "A plan of care needs at least one diagnosis."})
    canonical, problems = diagnoses_check(codes)
    if problems:
        raise ValidationError({"diagnoses": list(problems.values())})
    if len(set(canonical)) != len(canonical):
        raise ValidationError({"diagnoses": "A diagnosis is listed twice."})
    plan.diagnoses = canonical
    plan.start_date = start_date
    plan.cert_through = cert_through
    plan.frequency = frequency
    plan.goals = goals
    plan.certified_by_name = certified_by_name
    plan.certified_by_npi = certified_by_npi
    plan.certified_on = certified_on
    plan.status = status
    plan.discharged_on = discharged_on
    plan.full_clean()
    plan.save()


def plan_create(
    *,
    patient: Patient,
    diagnoses: Sequence[str],
    start_date: dt.date,
    cert_through: dt.date,
    frequency: str,
    goals: str,
    certified_by_name: str = "",
    certified_by_npi: str = "",
    certified_on: dt.date | None = None,
    status: str = PlanStatus.ACTIVE,
    discharged_on: dt.date | None = None,
) -> PlanOfCare:
    plan = PlanOfCare(patient=patient)
    with transaction.atomic():
        _plan_fill(
            plan,
            diagnoses=diagnoses,
            start_date=start_date,
            cert_through=cert_through,
            frequency=frequency,
            goals=goals,
            certified_by_name=certified_by_name,
            certified_by_npi=certified_by_npi,
            certified_on=certified_on,
            status=status,
            discharged_on=discharged_on,
        )
    return plan


def plan_update(
    *,
    plan: PlanOfCare,
    diagnoses: Sequence[str],
    start_date: dt.date,
    cert_through: dt.date,
    frequency: str,
    goals: str,
    certified_by_name: str = "",
    certified_by_npi: str = "",
    certified_on: dt.date | None = None,
    status: str = PlanStatus.ACTIVE,
    discharged_on: dt.date | None = None,
) -> PlanOfCare:
    with transaction.atomic():
        _plan_fill(
            plan,
            diagnoses=diagnoses,
            start_date=start_date,
            cert_through=cert_through,
            frequency=frequency,
            goals=goals,
            certified_by_name=certified_by_name,
            certified_by_npi=certified_by_npi,
            certified_on=certified_on,
            status=status,
            discharged_on=discharged_on,
        )
    return plan


# ---- Reads for the patient pages ---------------------------------------------------------


def plan_shown(plans: Sequence[PlanOfCare], day: dt.date) -> PlanOfCare | None:
    """The plan a patient's page leads with: the latest one started by `day`, else the next one
    to start. `plans` are in the model's order (newest start first)."""
    started = [p for p in plans if p.start_date <= day]
    if started:
        return started[0]
    return plans[-1] if plans else None


@dataclass(frozen=True)
class PlanState:
    key: str  # current, expiring, expired, uncertified, not-started, discharged, none
    label: str
    badge: str  # Bootstrap colour
    meaning: str


def plan_state(plan: PlanOfCare | None, day: dt.date) -> PlanState:
    if plan is None:
        return PlanState(
            "none",
            "No plan",
            "secondary",
            "No plan of care: therapy cannot be billed until one is written.",
        )
    if plan.status == PlanStatus.DISCHARGED:
        return PlanState("discharged", "Discharged", "secondary", "The patient was discharged.")
    state = plan.state_on(day)
    left = (plan.cert_through - day).days
    if state == "not yet started":
        return PlanState(
            "not-started", "Not started", "info", f"Starts on {_day(plan.start_date)}."
        )
    if state == "expired":
        ended = plan.cert_through + dt.timedelta(days=1)
        return PlanState(
            "expired",
            "Expired",
            "danger",
            f"Expired on {_day(ended)}: no treatment from that day on may be billed under "
            "it. Recertify or write a new plan.",
        )
    if state == "uncertified":
        due = plan.start_date + dt.timedelta(days=CERTIFICATION_SIGNATURE_DAYS)
        if day > due:
            meaning = (
                f"Not certified, and the 30 days for the physician's signature ended on "
                f"{_day(due)}: get it signed and document the reason for the delay (a late "
                "certification is accepted when its reason is on file)."
            )
        else:
            meaning = (
                "Not certified yet: the physician must sign within 30 days of the first visit "
                f"(by {_day(due)})."
            )
        return PlanState("uncertified", "Uncertified", "warning", meaning)
    if state == "expiring":
        when = "today" if left == 0 else f"in {left} day{'s' if left != 1 else ''}"
        return PlanState(
            "expiring",
            "Expiring",
            "warning",
            f"Expires {when} (certified through {_day(plan.cert_through)}): recertify.",
        )
    return PlanState(
        "current",
        "Current",
        "success",
        f"Certified through {_day(plan.cert_through)} ({left} days left).",
    )


@dataclass(frozen=True)
class ProgressFacts:
    """Treatment days since the last progress report, as the scrubber counts them (§6.3)."""

    days: int  # treatment days so far since the last report (or the start of care)
    last_report: dt.date | None
    due: bool  # the next visit is the 10th treatment day or later: a report is due at it
    every: int = rules.PROGRESS_REPORT_DAYS


@dataclass(frozen=True)
class KxFigures:
    year: int
    allowed: Decimal
    threshold: Decimal | None
    review_threshold: Decimal | None

    @property
    def percent(self) -> int:
        if not self.threshold:
            return 0
        return min(100, int(self.allowed * 100 / self.threshold))

    @property
    def over(self) -> bool:
        """The next visit needs KX whatever its amount: the KX rule (strictly above the
        threshold, §10.8) holds for the smallest amount a visit can add."""
        return kx_needed(
            KxFacts(
                applies=True,
                threshold=self.threshold,
                ytd_before_visit=self.allowed,
                this_visit=Decimal("0.01"),
            )
        )

    @property
    def over_review(self) -> bool:
        return self.review_threshold is not None and self.allowed > self.review_threshold

    @property
    def remaining(self) -> Decimal | None:
        return None if self.threshold is None else max(Decimal("0"), self.threshold - self.allowed)


@dataclass(frozen=True)
class NextVisit:
    progress: ProgressFacts
    kx: KxFigures


def next_visit_facts(patient: Patient, today: dt.date) -> NextVisit:
    """The patient page's badges, from the one facts builder as the scrubber would see the
    patient's next visit (tomorrow): treatment days since the last progress report, whether a
    report is due at that visit, and the year's allowed amount before it (§6.3, §10.8)."""
    day = today + dt.timedelta(days=1)
    context = claim_context(
        ClaimSpec(
            patient_id=patient.pk,
            payer_id=patient.primary_payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=(),
            note=rules.VisitNote(""),
        ),
        today=today,
        with_prices=False,
    )
    facts = context.facts
    reports = [v.visit_date for v in facts.history if v.was_progress_report]
    next_day = context.treatment_day
    kx = facts.kx
    fee_year = context.fee_year
    return NextVisit(
        progress=ProgressFacts(
            days=next_day - 1,
            last_report=max(reports) if reports else None,
            due=next_day >= rules.PROGRESS_REPORT_DAYS,
        ),
        kx=KxFigures(
            year=day.year,
            # A payer without the KX rule: nothing counts toward the threshold.
            allowed=kx.ytd_allowed_before_visit if kx else Decimal("0"),
            threshold=fee_year.kx_threshold if fee_year else None,
            review_threshold=fee_year.kx_review_threshold if fee_year else None,
        ),
    )
