"""The owner's practice selectors: the review backlog, the flags by rule and clinician, and the
units by clinician, from claims made the way the session page makes them."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.dashboard.period import Period
from claims.dashboard.practice import (
    OTHER_RULES,
    flags_by_rule,
    review_backlog,
    units_by_clinician,
)
from claims.models import Claim, ClaimFlag, ClaimStatus, PlanOfCare
from claims.scrubber import RULES
from claims.services import claim_return
from ptclinic.models import Clinic, Role
from tests.claims.test_review import NECESSITY, make_claim
from tests.conftest import make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()
MISSING = "necessity-missing"


def long_plan_patient(clinic: Clinic, payer_name: str = "Medicare Part B") -> Any:
    """A patient whose certified plan covers the last 80 days (claims up to then are clean of
    plan-of-care flags)."""
    patient = make_patient(clinic, payer_name)
    start = TODAY - dt.timedelta(days=80)
    PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=start,
        cert_through=start + dt.timedelta(days=89),
        certified_on=start + dt.timedelta(days=1),
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
        frequency="2x/week",
        goals="Walk without pain.",
    )
    return patient


def sent_days_ago(claim: Claim, days: int) -> None:
    noon = timezone.make_aware(dt.datetime.combine(TODAY - dt.timedelta(days=days), dt.time(12)))
    Claim.objects.filter(pk=claim.pk).update(submitted_at=noon)


def void(claim: Claim) -> None:
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.VOIDED)


def recent() -> Period:
    """The last ten days: every claim `make_claim` makes by default (yesterday) is in it."""
    return Period(TODAY - dt.timedelta(days=10), TODAY)


# ---- the period ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "months"),
    [
        pytest.param(
            "2026-03-15", "2026-03-20", ["2026-03-01"], id="days of one month are one month"
        ),
        pytest.param(
            "2025-11-30",
            "2026-02-01",
            ["2025-11-01", "2025-12-01", "2026-01-01", "2026-02-01"],
            id="a period across new year has each month it touches",
        ),
    ],
)
def test_a_period_lists_the_months_it_touches(start: str, end: str, months: list[str]) -> None:
    period = Period(dt.date.fromisoformat(start), dt.date.fromisoformat(end))
    assert period.months() == [dt.date.fromisoformat(m) for m in months]


# ---- review backlog ------------------------------------------------------------------------


def test_the_backlog_counts_open_claims_errors_and_the_money_they_hold_up(
    clinic: Clinic, other_clinic: Clinic, pt: Any, owner: Any
) -> None:
    make_claim(clinic, pt)
    make_claim(clinic, pt)
    waiting_with_error = make_claim(clinic, pt, necessity="")
    returned = make_claim(clinic, pt, necessity="")
    claim_return(claim=returned, user=owner, version=returned.version, comment="Add the note.")
    approved = make_claim(clinic, pt)
    Claim.objects.filter(pk=approved.pk).update(status=ClaimStatus.APPROVED)
    elsewhere = make_member(other_clinic, Role.THERAPIST)
    make_claim(other_clinic, elsewhere, necessity="")

    backlog = review_backlog(clinic=clinic, today=TODAY)

    assert (backlog.needs_review, backlog.returned, backlog.total) == (3, 1, 4)
    assert (backlog.errors_needing_review, backlog.errors_returned) == (1, 1)
    assert waiting_with_error.expected_amount and returned.expected_amount
    assert backlog.dollars_at_risk == waiting_with_error.expected_amount + returned.expected_amount


@pytest.mark.parametrize(
    ("days_ago", "bucket"),
    [
        pytest.param(0, "0–2 days", id="sent today is new"),
        pytest.param(2, "0–2 days", id="two days old is still new"),
        pytest.param(3, "3–7 days", id="three days old is in the second bucket"),
        pytest.param(7, "3–7 days", id="a week old is in the second bucket"),
        pytest.param(8, "8–14 days", id="eight days old is in the third bucket"),
        pytest.param(14, "8–14 days", id="two weeks old is in the third bucket"),
        pytest.param(15, "15+ days", id="fifteen days old is overdue"),
        pytest.param(200, "15+ days", id="months old is overdue"),
    ],
)
def test_a_claim_is_aged_by_calendar_days_since_it_was_sent_for_review(
    clinic: Clinic, pt: Any, days_ago: int, bucket: str
) -> None:
    sent_days_ago(make_claim(clinic, pt), days_ago)
    ages = {b.label: b.count for b in review_backlog(clinic=clinic, today=TODAY).ages}
    assert ages == {label: int(label == bucket) for label in ages}
    assert list(ages) == ["0–2 days", "3–7 days", "8–14 days", "15+ days"]


def test_an_empty_clinic_has_an_empty_backlog(clinic: Clinic) -> None:
    backlog = review_backlog(clinic=clinic, today=TODAY)
    assert backlog.total == 0
    assert backlog.dollars_at_risk == Decimal("0")
    assert [b.count for b in backlog.ages] == [0, 0, 0, 0]


# ---- flags by rule ---------------------------------------------------------------------------


def test_flags_are_counted_per_month_of_the_date_of_service(clinic: Clinic, pt: Any) -> None:
    patient = long_plan_patient(clinic)
    last_month_day = TODAY.replace(day=1) - dt.timedelta(days=1)
    days_back = (TODAY - last_month_day).days
    make_claim(clinic, pt, patient, necessity="", days_ago=days_back)
    make_claim(clinic, pt, patient, necessity="", days_ago=days_back + 1)
    make_claim(clinic, pt, patient, necessity="", days_ago=0)
    period = Period(last_month_day.replace(day=1), TODAY)

    trend = flags_by_rule(clinic=clinic, period=period)

    assert trend.months == (last_month_day.replace(day=1), TODAY.replace(day=1))
    row = [r.rule_id for r in trend.rules].index(MISSING)
    assert trend.rules[row].title == RULES[MISSING].title
    assert trend.rules[row].count == 3
    assert trend.by_month[row] == (2, 1)
    assert trend.total == ClaimFlag.objects.filter(claim__clinic=clinic).count()
    assert sum(sum(months) for months in trend.by_month) == trend.total


def test_the_rules_past_the_top_ones_are_counted_together_as_other(clinic: Clinic, pt: Any) -> None:
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, certified=False)  # the warning that the plan is not certified yet
    all_rules = flags_by_rule(clinic=clinic, period=recent(), top=50)
    assert len(all_rules.rules) >= 2

    trend = flags_by_rule(clinic=clinic, period=recent(), top=1)

    assert [r.rule_id for r in trend.rules] == [all_rules.rules[0].rule_id, OTHER_RULES]
    assert trend.rules[1].title == "Other rules"
    assert trend.rules[1].count == all_rules.total - all_rules.rules[0].count
    assert trend.total == all_rules.total


def test_flags_of_voided_claims_other_clinics_and_other_periods_are_left_out(
    clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    counted = make_claim(clinic, pt, necessity="")
    void(make_claim(clinic, pt, necessity=""))
    make_claim(clinic, pt, long_plan_patient(clinic), necessity="", days_ago=70)
    make_claim(other_clinic, make_member(other_clinic, Role.THERAPIST), necessity="")
    period = Period(TODAY - dt.timedelta(days=10), TODAY)

    trend = flags_by_rule(clinic=clinic, period=period)

    assert trend.total == ClaimFlag.objects.filter(claim=counted).count()


def test_flags_are_split_by_the_clinician_of_the_claim(clinic: Clinic, pt: Any, pta: Any) -> None:
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pta, necessity="")

    trend = flags_by_rule(clinic=clinic, period=recent())

    column = [r.rule_id for r in trend.rules].index(MISSING)
    by_name = {c.name: c.counts[column] for c in trend.clinicians}
    assert by_name == {"Ava Ay, PTA": 1, "Pat Tee, PT": 2}
    for row in trend.clinicians:
        assert row.total == sum(row.counts)


def test_a_clinic_without_claims_has_no_flags(clinic: Clinic) -> None:
    trend = flags_by_rule(clinic=clinic, period=recent())
    assert (trend.total, trend.rules, trend.clinicians) == (0, (), ())
    assert trend.months[-1] == TODAY.replace(day=1)


# ---- units by clinician ----------------------------------------------------------------------


def test_units_per_visit_and_minutes_per_timed_unit_per_clinician(
    clinic: Clinic, pt: Any, pta: Any
) -> None:
    # The 8-minute rule: 30 minutes of one timed code are 2 units, 38 minutes are 3.
    make_claim(clinic, pt, rows=(("97110", 30),))
    make_claim(clinic, pt, rows=(("97110", 38),))
    make_claim(clinic, pta, rows=(("97110", 45),))

    rows = {r.name: r for r in units_by_clinician(clinic=clinic, period=recent())}

    assert list(rows) == ["Ava Ay, PTA", "Pat Tee, PT"]
    pat = rows["Pat Tee, PT"]
    assert (pat.visits, pat.units, pat.timed_minutes, pat.timed_units) == (2, 5, 68, 5)
    assert pat.units_per_visit == Decimal("2.5")
    assert pat.minutes_per_timed_unit == Decimal("13.6")
    ava = rows["Ava Ay, PTA"]
    assert (ava.visits, ava.units, ava.minutes_per_timed_unit) == (1, 3, Decimal("15.0"))


def test_untimed_codes_count_as_units_but_not_in_minutes_per_timed_unit(
    clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt, rows=(("97161", 45), ("97110", 30)))

    (row,) = units_by_clinician(clinic=clinic, period=recent())

    assert (row.visits, row.units) == (1, 3)  # the evaluation is one unit, whatever its minutes
    assert (row.timed_minutes, row.timed_units) == (30, 2)
    assert row.minutes_per_timed_unit == Decimal("15.0")


def test_units_leave_out_voided_claims_other_clinics_and_other_periods(
    clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt, rows=(("97110", 30),))
    void(make_claim(clinic, pt, rows=(("97110", 60),)))
    make_claim(clinic, pt, long_plan_patient(clinic), rows=(("97110", 60),), days_ago=70)
    make_claim(other_clinic, make_member(other_clinic, Role.THERAPIST), rows=(("97110", 60),))

    rows = units_by_clinician(clinic=clinic, period=Period(TODAY - dt.timedelta(days=10), TODAY))

    assert [(r.name, r.visits, r.units) for r in rows] == [("Pat Tee, PT", 1, 2)]


def test_a_clinician_with_only_untimed_codes_has_no_minutes_per_unit(
    clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt, rows=(("97161", 45),))
    (row,) = units_by_clinician(clinic=clinic, period=recent())
    assert row.minutes_per_timed_unit is None
    assert row.units_per_visit == Decimal("1.0")


# ---- a fixed number of queries ----------------------------------------------------------------


def queries_of(clinic: Clinic, period: Period) -> int:
    with CaptureQueriesContext(connection) as captured:
        review_backlog(clinic=clinic, today=TODAY)
        flags_by_rule(clinic=clinic, period=period)
        units_by_clinician(clinic=clinic, period=period)
    return len(captured)


def test_the_selectors_cost_the_same_queries_for_few_or_many_claims(
    clinic: Clinic, pt: Any, pta: Any
) -> None:
    period = recent()
    make_claim(clinic, pt, necessity="")
    few = queries_of(clinic, period)
    for therapist in (pt, pta, pt, pta, pt):
        make_claim(clinic, therapist, necessity="")
        make_claim(clinic, therapist, necessity=NECESSITY, rows=(("97110", 30), ("97140", 15)))
    assert Claim.objects.filter(clinic=clinic).count() == 11
    assert queries_of(clinic, period) == few == 5
    assert Claim.objects.filter(therapist=membership(pta, clinic)).count() == 4
