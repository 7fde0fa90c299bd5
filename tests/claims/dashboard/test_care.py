"""The care lists: KX, plans of care, progress reports and authorizations of the patients seen
lately, each as the patient page shows it."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.dashboard.care import CareList, care_lists
from claims.models import Authorization, Patient, PlanOfCare, PlanStatus, TreatmentSession
from claims.patient_services import next_visit_facts, plan_state, therapy_used_save
from coding.models import FeeYear
from ptclinic.models import Clinic, Role
from tests.claims.test_review import make_claim
from tests.conftest import make_member, make_patient, make_payer, membership

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()
NEXT_VISIT = TODAY + dt.timedelta(days=1)


def plan_for(
    patient: Patient,
    *,
    started: int = 20,
    ends_in: int = 60,
    status: str = PlanStatus.ACTIVE,
) -> PlanOfCare:
    """A certified plan that started ``started`` days ago and is certified ``ends_in`` days
    more."""
    start = TODAY - dt.timedelta(days=started)
    return PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=start,
        cert_through=TODAY + dt.timedelta(days=ends_in),
        certified_on=start + dt.timedelta(days=1),
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
        frequency="2x/week",
        goals="Walk without pain.",
        status=status,
        discharged_on=TODAY if status == PlanStatus.DISCHARGED else None,
    )


def seen(clinic: Clinic, user: Any, patient: Patient, *, days_ago: int = 1) -> Patient:
    """A visit of the patient, saved the way the session page saves it."""
    make_claim(clinic, user, patient, days_ago=days_ago, payer_name=patient.primary_payer.name)
    return patient


def names(found: CareList) -> list[str]:
    return [item.name for item in found.items]


def name_of(patient: Patient) -> str:
    return f"{patient.last_name}, {patient.first_name}"


# ---- KX --------------------------------------------------------------------------------------


@pytest.fixture
def threshold(db: None) -> Decimal:
    """This year's KX threshold (loaded for the test if the shipped figures stop before it)."""
    year, _ = FeeYear.objects.get_or_create(
        year=NEXT_VISIT.year,
        defaults={"kx_threshold": Decimal("2480"), "kx_review_threshold": Decimal("3000")},
    )
    assert year.kx_threshold is not None
    return Decimal(year.kx_threshold)


def kx_patient(clinic: Clinic, user: Any, threshold: Decimal, below: Decimal) -> Patient:
    """A Medicare patient seen yesterday whose year to date is ``below`` under the threshold
    (negative: over it), most of it billed by other providers (the eligibility reply)."""
    patient = seen(clinic, user, plan_for(make_patient(clinic)).patient)
    billed_here = next_visit_facts(patient, TODAY).kx.allowed
    therapy_used_save(
        patient=patient,
        year=NEXT_VISIT.year,
        amount=threshold - below - billed_here,
        as_of=TODAY,
    )
    return patient


def test_patients_near_or_over_the_kx_threshold_are_listed_with_their_figures(
    clinic: Clinic, pt: Any, threshold: Decimal
) -> None:
    over = kx_patient(clinic, pt, threshold, Decimal("-50"))
    near = kx_patient(clinic, pt, threshold, Decimal("250"))
    kx_patient(clinic, pt, threshold, Decimal("350"))  # far enough below
    seen(clinic, pt, make_patient(clinic, "Demo Commercial PPO"))  # no KX rule

    found = care_lists(clinic=clinic, today=TODAY).kx

    assert names(found) == [name_of(over), name_of(near)]  # the highest amount first
    first, second = found.items
    assert first.urgent and not second.urgent
    for item, patient in ((first, over), (second, near)):
        page = next_visit_facts(patient, TODAY).kx  # what the patient page shows
        assert item.kx is not None
        assert (item.kx.allowed, item.kx.threshold) == (page.allowed, threshold)
        assert f"${page.allowed:,.2f} allowed this year" in item.detail
    assert "over the" in first.detail
    assert "$250.00 below the" in second.detail
    assert "from other providers" in second.detail


# ---- plans of care ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ends_in", "status", "listed"),
    [
        pytest.param(10, PlanStatus.ACTIVE, True, id="a plan ending in ten days is listed"),
        pytest.param(14, PlanStatus.ACTIVE, True, id="a plan ending in fourteen days is listed"),
        pytest.param(15, PlanStatus.ACTIVE, False, id="a plan ending in fifteen days is not"),
        pytest.param(-3, PlanStatus.ACTIVE, True, id="an expired active plan is listed"),
        pytest.param(5, PlanStatus.ON_HOLD, False, id="a plan on hold is not listed"),
        pytest.param(5, PlanStatus.DISCHARGED, False, id="a discharged patient is not listed"),
    ],
)
def test_plans_expiring_within_two_weeks_are_listed(
    clinic: Clinic, pt: Any, ends_in: int, status: str, listed: bool
) -> None:
    plan = plan_for(make_patient(clinic), ends_in=ends_in, status=status)
    seen(clinic, pt, plan.patient, days_ago=10)

    found = care_lists(clinic=clinic, today=TODAY).plans

    assert names(found) == ([name_of(plan.patient)] if listed else [])
    if listed:
        # The same sentence as the patient page's plan badge.
        assert found.items[0].detail == plan_state(plan, TODAY).meaning
        assert found.items[0].urgent == (ends_in < 0)


def test_plans_are_listed_soonest_ending_first(clinic: Clinic, pt: Any) -> None:
    later = plan_for(make_patient(clinic, last_name="Able"), ends_in=12).patient
    sooner = plan_for(make_patient(clinic, last_name="Baker"), ends_in=3).patient
    for patient in (later, sooner):
        seen(clinic, pt, patient)
    assert names(care_lists(clinic=clinic, today=TODAY).plans) == [
        name_of(sooner),
        name_of(later),
    ]


# ---- progress reports ------------------------------------------------------------------------


def test_a_progress_report_due_at_the_next_visit_is_listed(clinic: Clinic, pt: Any) -> None:
    payer = make_payer("Monthly Report Health", progress_report_days=30)
    due = plan_for(make_patient(clinic, payer.name), started=40).patient
    seen(clinic, pt, due, days_ago=40)
    seen(clinic, pt, due, days_ago=5)
    reported = plan_for(make_patient(clinic, payer.name), started=40).patient
    seen(clinic, pt, reported, days_ago=40)
    seen(clinic, pt, reported, days_ago=5)
    TreatmentSession.objects.filter(
        patient=reported, date_of_service=TODAY - dt.timedelta(5)
    ).update(is_progress_report=True)

    found = care_lists(clinic=clinic, today=TODAY).progress

    assert names(found) == [name_of(due)]
    assert next_visit_facts(due, TODAY).progress.due  # the patient page says the same
    assert not next_visit_facts(reported, TODAY).progress.due
    assert "41 days since the start of care" in found.items[0].detail


def test_medicare_counts_treatment_days_for_the_progress_report(clinic: Clinic, pt: Any) -> None:
    patient = plan_for(make_patient(clinic), started=30).patient
    for days_ago in range(10, 0, -1):  # ten treatment days: the next is the eleventh
        seen(clinic, pt, patient, days_ago=days_ago)

    (item,) = care_lists(clinic=clinic, today=TODAY).progress.items

    assert item.name == name_of(patient)
    assert "treatment day 11" in item.detail


# ---- authorizations --------------------------------------------------------------------------


@pytest.fixture
def needs_auth(db: None) -> Any:
    return make_payer("Prior Auth Health", requires_authorization=True)


def authorized(patient: Patient, payer: Any, *, visits: int | None, ends_in: int) -> None:
    Authorization.objects.create(
        patient=patient,
        payer=payer,
        number=f"AUTH{patient.pk}",
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=ends_in),
        visits=visits,
    )


@pytest.mark.parametrize(
    ("visits", "ends_in", "listed"),
    [
        pytest.param(3, 60, True, id="two visits left is running out"),
        pytest.param(4, 60, False, id="three visits left is not"),
        pytest.param(1, 60, True, id="visits used up is listed"),
        pytest.param(None, 10, True, id="ending in ten days is running out"),
        pytest.param(None, 20, False, id="ending in twenty days is not"),
    ],
)
def test_authorizations_running_out_are_listed(
    clinic: Clinic, pt: Any, needs_auth: Any, visits: int | None, ends_in: int, listed: bool
) -> None:
    patient = plan_for(make_patient(clinic, needs_auth.name)).patient
    authorized(patient, needs_auth, visits=visits, ends_in=ends_in)
    seen(clinic, pt, patient)

    found = care_lists(clinic=clinic, today=TODAY).authorizations

    assert names(found) == ([name_of(patient)] if listed else [])
    if listed:
        # The patient page's authorization line, word for word.
        assert found.items[0].detail == f"{next_visit_facts(patient, TODAY).authorization}."


def test_a_patient_without_the_authorization_their_payer_needs_comes_first(
    clinic: Clinic, pt: Any, needs_auth: Any
) -> None:
    ending = plan_for(make_patient(clinic, needs_auth.name, last_name="Able")).patient
    authorized(ending, needs_auth, visits=None, ends_in=5)
    missing = plan_for(make_patient(clinic, needs_auth.name, last_name="Zed")).patient
    for patient in (ending, missing):
        seen(clinic, pt, patient)

    found = care_lists(clinic=clinic, today=TODAY).authorizations

    assert names(found) == [name_of(missing), name_of(ending)]
    assert found.items[0].urgent
    assert "No authorization on file" in found.items[0].detail


# ---- who is looked at ------------------------------------------------------------------------


def test_only_active_patients_seen_in_the_last_sixty_days_are_listed(
    clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    recent = seen(clinic, pt, plan_for(make_patient(clinic), ends_in=5).patient, days_ago=59)
    long_ago = plan_for(make_patient(clinic), started=90, ends_in=5).patient
    seen(clinic, pt, long_ago, days_ago=61)
    inactive = seen(clinic, pt, plan_for(make_patient(clinic), ends_in=5).patient)
    Patient.objects.filter(pk=inactive.pk).update(active=False)
    elsewhere = make_member(other_clinic, Role.THERAPIST)
    seen(other_clinic, elsewhere, plan_for(make_patient(other_clinic), ends_in=5).patient)

    lists = care_lists(clinic=clinic, today=TODAY)

    assert names(lists.plans) == [name_of(recent)]
    assert lists.patients == 1


def test_a_therapist_sees_only_the_patients_they_treated(clinic: Clinic, pt: Any, pta: Any) -> None:
    mine = seen(clinic, pt, plan_for(make_patient(clinic, last_name="Mine"), ends_in=5).patient)
    theirs = seen(
        clinic, pta, plan_for(make_patient(clinic, last_name="Theirs"), ends_in=5).patient
    )

    assert names(
        care_lists(clinic=clinic, today=TODAY, therapist=membership(pt, clinic)).plans
    ) == [name_of(mine)]
    assert names(care_lists(clinic=clinic, today=TODAY).plans) == [name_of(mine), name_of(theirs)]


def test_a_long_list_shows_the_first_ones_and_counts_the_rest(clinic: Clinic, pt: Any) -> None:
    for i in range(4):
        seen(clinic, pt, plan_for(make_patient(clinic), ends_in=i).patient)

    found = care_lists(clinic=clinic, today=TODAY, limit=3).plans

    assert (len(found.items), found.total, found.more) == (3, 4, 1)


def test_an_empty_clinic_has_empty_lists(clinic: Clinic) -> None:
    lists = care_lists(clinic=clinic, today=TODAY)
    assert lists.empty
    assert lists.patients == 0


def test_the_lists_cost_the_same_queries_for_few_or_many_patients(
    clinic: Clinic, pt: Any, needs_auth: Any, threshold: Decimal
) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            care_lists(clinic=clinic, today=TODAY)
        return len(captured)

    def patients() -> None:
        kx_patient(clinic, pt, threshold, Decimal("100"))
        seen(clinic, pt, plan_for(make_patient(clinic), ends_in=5).patient)
        authorized_patient = plan_for(make_patient(clinic, needs_auth.name)).patient
        authorized(authorized_patient, needs_auth, visits=3, ends_in=60)
        seen(clinic, pt, authorized_patient)

    patients()
    few = queries()
    for _ in range(3):
        patients()
    lists = care_lists(clinic=clinic, today=TODAY)
    assert (lists.kx.total, lists.plans.total, lists.authorizations.total) == (4, 4, 4)
    assert queries() == few


def test_asking_the_facts_builder_about_fewer_patients_leaves_every_list_the_same(
    clinic: Clinic, pt: Any, needs_auth: Any, threshold: Decimal, monkeypatch: Any
) -> None:
    """Only patients whose payer has a KX, progress-report or authorization rule get facts; the
    lists are the ones the facts of every patient seen would give."""
    kx_patient(clinic, pt, threshold, Decimal("100"))
    reports = make_payer("Ten Visit Report Health", progress_report_visits=10)
    due = plan_for(make_patient(clinic, reports.name), started=30).patient
    for days_ago in range(10, 0, -1):  # a progress report due at the eleventh treatment day
        seen(clinic, pt, due, days_ago=days_ago)
    short = plan_for(make_patient(clinic, needs_auth.name)).patient
    authorized(short, needs_auth, visits=3, ends_in=60)
    seen(clinic, pt, short)
    seen(clinic, pt, plan_for(make_patient(clinic, needs_auth.name)).patient)  # no authorization
    # A payer with none of those rules: only the plans list can hold its patients.
    plain = plan_for(make_patient(clinic, "Demo Commercial PPO"), ends_in=5).patient
    seen(clinic, pt, plain)

    fewer = care_lists(clinic=clinic, today=TODAY)
    monkeypatch.setattr("claims.dashboard.care._needs_facts", lambda payer: True)
    everyone = care_lists(clinic=clinic, today=TODAY)

    assert fewer == everyone
    assert (fewer.kx.total, fewer.progress.total, fewer.authorizations.total) == (1, 1, 2)
    assert names(fewer.plans) == [name_of(plain)]
    assert fewer.patients == 5
