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
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from claims import scrubber as rules
from claims.facts import ClaimSpec, ReferenceFacts, claim_context
from claims.models import (
    Authorization,
    AuthorizedUnits,
    Claim,
    Patient,
    PlanOfCare,
    PlanStatus,
    TherapyAmountUsed,
)
from claims.scrubbing import claims_scrub
from coding.models import BillingCode, Icd10Code, Payer
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
    **billing: Any,
) -> Patient:
    """A new patient; ``billing``: the fields a claim carries (`PATIENT_BILLING_FIELDS`)."""
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
        _set_billing(patient, billing)
        patient.full_clean()
        patient.save()
    return patient


# What a claim carries about the patient and the insured (billing-rules §11.1).
PATIENT_BILLING_FIELDS = (
    "sex",
    "address_line1",
    "address_line2",
    "city",
    "state",
    "zip_code",
    "phone",
    "relationship",
    "subscriber_first_name",
    "subscriber_last_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "group_number",
    "secondary_payer",
    "secondary_member_id",
)


def _set_billing(patient: Patient, billing: dict[str, Any]) -> None:
    unknown = set(billing) - set(PATIENT_BILLING_FIELDS)
    if unknown:
        raise TypeError(f"Not a patient billing field: {', '.join(sorted(unknown))}")
    for name, value in billing.items():
        setattr(patient, name, value)


def patient_update(
    *,
    patient: Patient,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    mrn: str,
    primary_payer: Payer,
    member_id: str = "",
    **billing: Any,
) -> Patient:
    """Save the patient's details; their open claims are scrubbed again, so a finding about a
    missing address or member id goes once it is filled in (§11.1)."""
    with transaction.atomic():
        patient.first_name = first_name
        patient.last_name = last_name
        patient.date_of_birth = date_of_birth
        patient.mrn = mrn
        patient.primary_payer = primary_payer
        patient.member_id = member_id
        _set_billing(patient, billing)
        patient.full_clean()
        patient.save()
        open_claims = list(
            Claim.objects.filter(patient=patient).open().values_list("pk", flat=True)
        )
        if open_claims:
            claims_scrub(open_claims, reason="Re-scrubbed after the patient's details changed")
    return patient


# ---- Diagnoses (billing-rules §7) --------------------------------------------------------


def diagnosis_titles(codes: Iterable[str]) -> dict[str, str]:
    return dict(Icd10Code.objects.filter(code__in=set(codes)).values_list("code", "title"))


def dx_options(q: str) -> list[Icd10Code]:
    """Billable ICD-10-CM codes for a diagnosis input: by code prefix when the text looks like a
    code (M54, m54.5), else by the words of the title (low back pain) and the words a clinic
    uses (frozen shoulder, TKA), in the search's order."""
    q = q.strip()
    if len(q) < 2:
        return []
    return list(Icd10Code.objects.search(q).filter(billable=True)[:DX_OPTIONS_MAX])


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
    canonical, problems = diagnoses_check(codes, day=start_date)
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
    _check_certification_period(plan)
    plan.save()


def _check_certification_period(plan: PlanOfCare) -> None:
    """The certification lasts at most as long as the patient's payer allows on the plan's start
    date (Medicare: 90 calendar days, the start counted; billing-rules §6.2, §6.10)."""
    payer = ReferenceFacts.current().payer(plan.patient.primary_payer_id, plan.start_date).rules
    longest = payer.certification_days
    if longest is None or (plan.cert_through - plan.start_date).days < longest:
        return
    last = plan.start_date + dt.timedelta(days=longest - 1)
    raise ValidationError(
        {
            "cert_through": f"{payer.name} accepts a certification of at most {longest} calendar "
            f"days: through {last.isoformat()} at the latest."
        }
    )


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


# ---- Prior authorizations and therapy used elsewhere (billing-rules §6.10, §10.8) --------


def _units_of(units: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Authorized units per code: each code once, a known code, at least 1 unit."""
    found: dict[str, int] = {}
    known = set(
        BillingCode.objects.filter(code__in={code for code, _ in units}).values_list(
            "code", flat=True
        )
    )
    for code, count in units:
        if code not in known:
            raise ValidationError({"units": f"{code} is not a billing code in the code table."})
        if code in found:
            raise ValidationError({"units": f"{code} is listed twice."})
        if count < 1:
            raise ValidationError({"units": f"{code}: give at least 1 unit, or leave it out."})
        found[code] = count
    return found


def _authorization_fill(
    authorization: Authorization,
    *,
    payer: Payer,
    number: str,
    start_date: dt.date,
    end_date: dt.date,
    visits: int | None,
    notes: str,
    units: Sequence[tuple[str, int]],
    reason: str,
) -> None:
    number = number.strip()
    if end_date < start_date:
        raise ValidationError({"end_date": "The authorization ends before it starts."})
    if visits is not None and visits < 1:
        raise ValidationError({"visits": "Give at least 1 visit, or leave it empty."})
    wanted = _units_of(units)
    clash = Authorization.objects.filter(
        patient=authorization.patient, payer=payer, number__iexact=number
    ).exclude(pk=authorization.pk)
    if clash.exists():
        raise ValidationError(
            {"number": f"Authorization {number} from {payer.name} is already on file."}
        )
    authorization.payer = payer
    authorization.number = number
    authorization.start_date = start_date
    authorization.end_date = end_date
    authorization.visits = visits
    authorization.notes = notes
    authorization._change_reason = reason  # type: ignore[attr-defined]  # simple_history reads it at save()
    authorization.full_clean()
    authorization.save()
    kept = {row.billing_code_id: row for row in authorization.units.all()}
    for code, row in kept.items():
        if code not in wanted:
            row.delete()
    for code, count in wanted.items():
        row = kept.get(code) or AuthorizedUnits(authorization=authorization, billing_code_id=code)
        if row.pk is None or row.units != count:
            row.units = count
            row.full_clean()
            row.save()


def authorization_create(
    *,
    patient: Patient,
    payer: Payer,
    number: str,
    start_date: dt.date,
    end_date: dt.date,
    visits: int | None = None,
    notes: str = "",
    units: Sequence[tuple[str, int]] = (),
) -> Authorization:
    """Record a payer's prior authorization for the patient: its number, dates, visits and
    (optionally) units per code."""
    authorization = Authorization(patient=patient)
    with transaction.atomic():
        _authorization_fill(
            authorization,
            payer=payer,
            number=number,
            start_date=start_date,
            end_date=end_date,
            visits=visits,
            notes=notes,
            units=units,
            reason="Authorization recorded",
        )
    return authorization


def authorization_update(
    *,
    authorization: Authorization,
    payer: Payer,
    number: str,
    start_date: dt.date,
    end_date: dt.date,
    visits: int | None = None,
    notes: str = "",
    units: Sequence[tuple[str, int]] = (),
) -> Authorization:
    with transaction.atomic():
        _authorization_fill(
            authorization,
            payer=payer,
            number=number,
            start_date=start_date,
            end_date=end_date,
            visits=visits,
            notes=notes,
            units=units,
            reason="Authorization changed",
        )
    return authorization


def therapy_used_save(
    *, patient: Patient, year: int, amount: Decimal, as_of: dt.date, source: str = ""
) -> TherapyAmountUsed:
    """The year's PT+SLP amount other providers billed for the patient, as the eligibility
    reply of ``as_of`` gives it (§10.8): it counts toward the KX threshold. One per year: a
    newer reply replaces the figure (its history is kept)."""
    if amount < 0:
        raise ValidationError({"amount": "The amount cannot be negative."})
    if as_of.year < year:
        raise ValidationError(
            {"as_of": f"A reply dated before {year} cannot give {year}'s amount."}
        )
    with transaction.atomic():
        used = TherapyAmountUsed.objects.filter(patient=patient, year=year).first()
        used = used or TherapyAmountUsed(patient=patient, year=year)
        used.amount = amount
        used.as_of = as_of
        used.source = source.strip()
        used.full_clean()
        used.save()
    return used


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
    """Treatment days since the last progress report, as the scrubber counts them, against the
    payer's interval (§6.3, §6.10)."""

    days: int  # treatment days so far since the last report (or the start of care)
    last_report: dt.date | None
    due: bool  # a report is due at the next visit by the payer's interval
    interval: str = ""  # "10 treatment days", "30 calendar days"; "" when the payer sets none


@dataclass(frozen=True)
class KxFigures:
    year: int
    allowed: Decimal
    threshold: Decimal | None
    review_threshold: Decimal | None
    applies: bool = True  # the payer's rules apply KX
    elsewhere: str = ""  # "includes $X from other providers (eligibility reply of …)"

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
    authorization: str = ""  # the authorization line of the next visit (§6.10)


def next_visit_facts(patient: Patient, today: dt.date) -> NextVisit:
    """The patient page's badges, from the one facts builder as the scrubber would see the
    patient's next visit (tomorrow): treatment days since the last progress report, whether a
    report is due at that visit by the payer's interval, the year's allowed amount before it
    (other providers' included) and the authorization it would use (§6.3, §6.10, §10.8)."""
    day = today + dt.timedelta(days=1)
    context = claim_context(
        ClaimSpec(
            patient_id=patient.pk,
            payer_id=patient.primary_payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=(),
            note=rules.VisitNote(""),
            clinic_id=patient.clinic_id,
        ),
        today=today,
        with_prices=False,
    )
    facts = context.facts
    clock = context.progress
    intervals = []
    if clock.every_visits is not None:
        intervals.append(f"{clock.every_visits} treatment days")
    if clock.every_days is not None:
        intervals.append(f"{clock.every_days} calendar days")
    kx = facts.kx
    fee_year = context.fee_year
    return NextVisit(
        progress=ProgressFacts(
            days=clock.treatment_day - 1,
            last_report=clock.last_report,
            due=clock.due,
            interval=" or ".join(intervals),
        ),
        kx=KxFigures(
            year=day.year,
            # A payer without the KX rule: nothing counts toward the threshold.
            allowed=kx.ytd_allowed_before_visit if kx else Decimal("0"),
            threshold=fee_year.kx_threshold if fee_year else None,
            review_threshold=fee_year.kx_review_threshold if fee_year else None,
            applies=kx is not None,
            elsewhere=context.kx_elsewhere,
        ),
        authorization=context.authorization_line,
    )
