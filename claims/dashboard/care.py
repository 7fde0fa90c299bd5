"""The care lists: the patients whose next visit needs something done first.

Four lists, each as the patient page would show it: patients near or over the KX threshold this
year, plans of care expiring or expired, progress reports due at the next visit, and
authorizations running out. Every fact comes from where the patient page gets it: the one facts
builder (`claims.facts.claims_context`, one spec per patient for the next visit, as
`claims.patient_services.next_visit_facts` builds for one patient), the plan badge
(`claims.patient_services.plan_state`), the scrubber's progress clock and authorization
summary. So the dashboard never disagrees with the patient page or with the claim.

Only active patients seen in the last `SEEN_WITHIN_DAYS` days are looked at: those are the ones
with a next visit coming, and it keeps the batch bounded. The batch costs a fixed number of
queries whatever the number of patients. The facts builder is asked only about the patients
whose payer's rules for the next visit can put them on a facts-based list (`_needs_facts`): the
other patients' facts would be read and then never listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import Exists, OuterRef

from claims import scrubber as rules
from claims.facts import ClaimContext, ClaimSpec, ReferenceFacts, claims_context
from claims.models import Patient, PlanOfCare, PlanStatus, TreatmentSession
from claims.patient_services import KxFigures, plan_shown, plan_state
from ptclinic.models import Clinic, Membership

SEEN_WITHIN_DAYS = 60
# "Near" the KX threshold: this close below it, or over it. A typical visit is allowed
# $100–150, so this is two or three visits' warning.
KX_NEAR = Decimal("300")
# Authorizations ending within this many days are listed (the same look-ahead as plans of care:
# `claims.scrubber.RECERT_WARNING_DAYS`); the visits left use the scrubber's own number.
AUTH_LOOKAHEAD_DAYS = rules.RECERT_WARNING_DAYS
LISTED_PLAN_STATES = ("expired", "expiring")


@dataclass(frozen=True)
class CareItem:
    patient_id: int
    name: str  # "Last, First"
    mrn: str
    detail: str  # what is due, in a sentence
    urgent: bool = False  # already past: over the threshold, plan expired, visits used up
    kx: KxFigures | None = None  # the KX list's figures


@dataclass(frozen=True)
class CareList:
    items: tuple[CareItem, ...]  # the first `limit`, most pressing first
    total: int

    @property
    def more(self) -> int:
        return self.total - len(self.items)


@dataclass(frozen=True)
class CareLists:
    kx: CareList
    plans: CareList
    progress: CareList
    authorizations: CareList
    patients: int  # how many patients were looked at

    @property
    def empty(self) -> bool:
        return not any(
            lst.total for lst in (self.kx, self.plans, self.progress, self.authorizations)
        )


class _Patient(NamedTuple):
    """The few fields of a patient the lists need (read as values, not models)."""

    pk: int
    first_name: str
    last_name: str
    mrn: str
    payer_id: int
    clinic_id: int

    @property
    def name(self) -> str:
        return f"{self.last_name}, {self.first_name}"


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def _patients(*, clinic: Clinic, today: dt.date, therapist: Membership | None) -> list[_Patient]:
    seen = TreatmentSession.objects.filter(
        patient=OuterRef("pk"),
        date_of_service__gte=today - dt.timedelta(days=SEEN_WITHIN_DAYS),
        date_of_service__lte=today,
    )
    if therapist is not None:
        seen = seen.filter(therapist=therapist)
    rows = (
        Patient.objects.for_clinic(clinic)
        .filter(Exists(seen), active=True)
        .order_by("last_name", "first_name", "pk")
        .values_list("pk", "first_name", "last_name", "mrn", "primary_payer_id", "clinic_id")
    )
    return [_Patient(*row) for row in rows]


def _needs_facts(payer: rules.Payer) -> bool:
    """Whether a next visit with this payer can be on the KX, progress or authorization list.
    Each list item needs its payer rule: `facts_without_patient` gives KX figures only where KX
    applies, `rules.progress_clock` is never due without an interval, and `_authorization_item`
    lists nobody whose payer needs no authorization. (The plans list reads plans, not facts.)"""
    return bool(
        payer.kx_applies
        or payer.requires_authorization
        or payer.progress_report_visits is not None
        or payer.progress_report_days is not None
    )


def _next_visits(
    patients: Sequence[_Patient], today: dt.date, ref: ReferenceFacts
) -> dict[int, ClaimContext]:
    """Each patient's next visit (tomorrow, with the primary payer) as the facts builder sees
    it: the same spec `next_visit_facts` builds for the patient page, for all at once; by
    patient, for the patients `_needs_facts` keeps."""
    day = today + dt.timedelta(days=1)
    patients = [p for p in patients if _needs_facts(ref.payer(p.payer_id, day).rules)]
    specs = [
        ClaimSpec(
            patient_id=p.pk,
            payer_id=p.payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=(),
            note=rules.VisitNote(""),
            clinic_id=p.clinic_id,
        )
        for p in patients
    ]
    contexts = claims_context(specs, ref=ref, today=today, with_prices=False)
    return {p.pk: context for p, context in zip(patients, contexts, strict=True)}


def _kx_item(patient: _Patient, context: ClaimContext) -> CareItem | None:
    kx = context.facts.kx
    fee_year = context.fee_year
    if kx is None or fee_year is None or fee_year.kx_threshold is None:
        return None  # the payer does not apply KX, or the year's threshold is not loaded
    figures = KxFigures(
        year=context.facts.date_of_service.year,
        allowed=kx.ytd_allowed_before_visit,
        threshold=fee_year.kx_threshold,
        review_threshold=fee_year.kx_review_threshold,
        elsewhere=context.kx_elsewhere,
    )
    assert figures.threshold is not None and figures.remaining is not None
    if figures.remaining > KX_NEAR:
        return None
    if figures.over:
        detail = (
            f"${figures.allowed:,.2f} allowed this year, over the ${figures.threshold:,.2f} "
            "threshold: therapy lines need KX and a note that shows the need."
        )
    else:
        detail = (
            f"${figures.allowed:,.2f} allowed this year, ${figures.remaining:,.2f} below the "
            f"${figures.threshold:,.2f} threshold."
        )
    if figures.elsewhere:
        detail += f" The amount {figures.elsewhere}."
    return CareItem(patient.pk, patient.name, patient.mrn, detail, figures.over, figures)


def _plan_item(patient: _Patient, plans: list[PlanOfCare], today: dt.date) -> CareItem | None:
    plan = plan_shown(plans, today)
    if plan is None or plan.status != PlanStatus.ACTIVE:
        return None
    state = plan_state(plan, today)
    if state.key not in LISTED_PLAN_STATES:
        return None
    return CareItem(patient.pk, patient.name, patient.mrn, state.meaning, state.key == "expired")


def _progress_item(patient: _Patient, context: ClaimContext) -> CareItem | None:
    clock = context.progress
    if not clock.due:
        return None
    since = (
        f"the last report on {_day(clock.last_report)}"
        if clock.last_report
        else f"the start of care ({_day(clock.since)})"
    )
    reasons = []
    if clock.due_by_visits:
        reasons.append(f"the next visit is treatment day {clock.treatment_day} since {since}")
    if clock.due_by_days:
        reasons.append(f"it will be {clock.calendar_days} days since {since}")
    detail = "Due at the next visit: " + " and ".join(reasons) + "."
    return CareItem(patient.pk, patient.name, patient.mrn, detail)


def _authorization_item(
    patient: _Patient, context: ClaimContext, today: dt.date
) -> CareItem | None:
    facts = context.facts
    if not facts.payer.requires_authorization:
        return None  # the facts builder reads authorizations only where the payer needs one
    line = context.authorization_line
    found = rules.covering_authorization(facts)
    if found is None:
        return CareItem(patient.pk, patient.name, patient.mrn, f"{line}.", urgent=True)
    days_left = (found.end_date - today).days
    visits_left = None if found.visits is None else found.visits - found.visits_before
    running_out = visits_left is not None and visits_left <= rules.AUTH_WARNING_VISITS
    if not running_out and days_left > AUTH_LOOKAHEAD_DAYS:
        return None
    return CareItem(
        patient.pk,
        patient.name,
        patient.mrn,
        f"{line}.",
        urgent=visits_left is not None and visits_left <= 0,
    )


def _listed(items: list[CareItem], key: Callable[[CareItem], Any], limit: int) -> CareList:
    ordered = sorted(items, key=key)
    return CareList(tuple(ordered[:limit]), len(ordered))


def care_lists(
    *,
    clinic: Clinic,
    today: dt.date,
    therapist: Membership | None = None,
    limit: int = 10,
) -> CareLists:
    """The four care lists of the clinic's active patients seen in the last 60 days; with
    ``therapist``, of the patients that clinician treated in that time. Each list holds its
    first ``limit`` patients, most pressing first, and says how many there are in all."""
    patients = _patients(clinic=clinic, today=today, therapist=therapist)
    contexts = _next_visits(patients, today, ReferenceFacts.current())
    plans: dict[int, list[PlanOfCare]] = {p.pk: [] for p in patients}
    # In the model's order (newest start first), as the patient page reads them.
    for plan in PlanOfCare.objects.filter(patient__in=list(plans)):
        plans[plan.patient_id].append(plan)
    kx, plan_items, progress, authorizations = [], [], [], []
    for patient in patients:
        if (item := _plan_item(patient, plans[patient.pk], today)) is not None:
            plan_items.append(item)
        context = contexts.get(patient.pk)
        if context is None:
            continue  # no list but the plans' can hold this patient
        if (item := _kx_item(patient, context)) is not None:
            kx.append(item)
        if (item := _progress_item(patient, context)) is not None:
            progress.append(item)
        if (item := _authorization_item(patient, context, today)) is not None:
            authorizations.append(item)
    cert_through = {pk: plan_shown(p, today) for pk, p in plans.items()}

    def plan_end(item: CareItem) -> dt.date:
        plan = cert_through[item.patient_id]
        return plan.cert_through if plan is not None else today

    return CareLists(
        kx=_listed(kx, lambda i: (-(i.kx.allowed if i.kx else 0), i.name), limit),
        plans=_listed(plan_items, lambda i: (plan_end(i), i.name), limit),
        progress=_listed(progress, lambda i: i.name, limit),
        authorizations=_listed(authorizations, lambda i: (not i.urgent, i.name), limit),
        patients=len(patients),
    )
