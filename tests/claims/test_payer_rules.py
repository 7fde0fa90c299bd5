"""The payer's own rules in the scrubber (docs/billing-rules.md §6.2, §6.3, §6.10, §10.8):
progress-report interval, certification period, plan of care, referral, visits a year, prior
authorization, and the year to date from other providers. No database: plain dataclasses; the
trigger and near miss of each rule are in `CASES` of test_scrubber.py, these pin the numbers and
the words."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest

from claims.scrubber import (
    AUTH_WARNING_DAYS,
    AUTH_WARNING_VISITS,
    Authorization,
    EarlierVisit,
    authorization_summary,
    covering_authorization,
    kx_other_providers_text,
    progress_clock,
    scrub,
)
from tests.claims.test_scrubber import (
    DOS,
    KX,
    MEDICARE,
    PLAN,
    make_claim,
    plan,
    rule_ids,
    with_modifiers,
)

AUTH_PAYER = replace(MEDICARE, name="Demo Commercial HMO", requires_authorization=True)
AUTH = Authorization("AUTH123", date(2026, 3, 1), date(2027, 1, 15), visits=12, visits_before=6)


def findings(rule_id: str, **claim: Any) -> list[Any]:
    return [f for f in scrub(make_claim(**claim)).findings if f.rule_id == rule_id]


def visits_from(first: date, n: int, *, every: int = 2) -> tuple[EarlierVisit, ...]:
    return tuple(EarlierVisit(first + timedelta(days=every * i), "Skilled cues.") for i in range(n))


# ---- progress reports: the payer's interval (§6.3, §6.10) ---------------------------------


@pytest.mark.parametrize(
    ("every_visits", "earlier", "due"),
    [
        (10, 9, True),  # Medicare: the 10th treatment day needs the report
        (10, 8, False),
        (6, 5, True),  # a payer that wants one every 6 treatment days
        (6, 4, False),
        (None, 20, False),  # a payer with no interval never asks
    ],
)
def test_the_progress_interval_is_the_payers(
    every_visits: int | None, earlier: int, due: bool
) -> None:
    payer = replace(MEDICARE, progress_report_visits=every_visits)
    claim = make_claim(payer=payer, history=visits_from(PLAN.first_visit_date, earlier))
    assert progress_clock(claim).treatment_day == earlier + 1
    assert ("progress-report-due" in rule_ids(claim)) is due
    if due:
        (finding,) = findings(
            "progress-report-due", payer=payer, history=visits_from(PLAN.first_visit_date, earlier)
        )
        assert f"treatment day {earlier + 1} since" in finding.message
        assert f"at least every {every_visits} treatment days" in finding.message


@pytest.mark.parametrize(
    ("history", "since", "days"),
    [
        # the last report, 2026-04-01, is where the calendar days start
        ((EarlierVisit(date(2026, 4, 1), "Report.", True),), date(2026, 4, 1), 14),
        # no report: the plan's first visit
        ((EarlierVisit(date(2026, 3, 20), "Visit."),), PLAN.first_visit_date, 44),
    ],
)
def test_calendar_days_run_from_the_last_report_or_the_start_of_care(
    history: tuple[EarlierVisit, ...], since: date, days: int
) -> None:
    payer = replace(MEDICARE, progress_report_visits=None, progress_report_days=days)
    clock = progress_clock(make_claim(payer=payer, history=history))
    assert (clock.since, clock.calendar_days, clock.due) == (since, days, True)
    (finding,) = findings("progress-report-due", payer=payer, history=history)
    assert f"It is {days} days since" in finding.message
    which = "the last progress report" if clock.last_report else "the start of care"
    assert f"{which} ({since.isoformat()})" in finding.message
    assert finding.fix == "Have the PT write a progress report at this visit."
    assert f"at least every {days} calendar days" in finding.message
    later = replace(payer, progress_report_days=days + 1)
    assert not findings("progress-report-due", payer=later, history=history)


def test_a_report_on_the_date_of_service_itself_is_not_an_earlier_one() -> None:
    # Another sitting of the same day marked as the report: the clock still runs from the
    # earlier one.
    history = (
        EarlierVisit(date(2026, 4, 1), "Report.", True),
        EarlierVisit(DOS, "Same day.", True),
    )
    clock = progress_clock(make_claim(history=history))
    assert (clock.last_report, clock.since, clock.calendar_days) == (date(2026, 4, 1),) * 2 + (14,)


def test_without_a_plan_or_an_earlier_visit_the_calendar_days_start_today() -> None:
    payer = replace(MEDICARE, progress_report_visits=None, progress_report_days=1)
    clock = progress_clock(make_claim(payer=payer, history=(), plan_of_care=None))
    assert (clock.since, clock.calendar_days, clock.due) == (DOS, 0, False)


def test_both_intervals_reached_are_said_in_one_finding() -> None:
    payer = replace(MEDICARE, progress_report_visits=4, progress_report_days=9)
    (finding,) = findings("progress-report-due", payer=payer)
    assert "treatment day 4" in finding.message and "it is 9 days since" in finding.message


# ---- plan of care and certification (§6.1, §6.2, §6.10) -----------------------------------


@pytest.mark.parametrize(
    ("longest", "recert"),
    [(90, False), (89, False), (88, True), (60, True), (None, False)],
)
def test_the_certification_period_is_the_payers(longest: int | None, recert: bool) -> None:
    # PLAN runs 2026-03-02 to 2026-05-29: 89 days, the start counted.
    found = findings("poc-recert-due", payer=replace(MEDICARE, certification_days=longest))
    assert bool(found) is recert
    if recert:
        assert "runs 89 days" in found[0].message
        assert f"at most {longest} calendar days" in found[0].message
        assert f"Recertify at least every {longest} days." == found[0].fix


def test_a_payer_that_needs_no_plan_of_care_raises_no_plan_finding() -> None:
    payer = replace(MEDICARE, requires_plan_of_care=False)
    for plan_of_care in (None, plan(start_date=date(2026, 4, 16)), plan(certified_on=None)):
        assert not [r for r in rule_ids(make_claim(payer=payer, plan_of_care=plan_of_care))
                    if r.startswith("poc-")]  # fmt: skip


# ---- referral and visits a year (§6.10) ---------------------------------------------------


@pytest.mark.parametrize(
    ("plan_of_care", "says"),
    [
        (None, "there is no plan of care naming the referring physician/NPP"),
        (PLAN, "the plan of care names no referring or certifying physician/NPP"),
        (plan(certified_by_name="   "), "the plan of care names no referring"),
    ],
)
def test_a_referral_is_missing_without_a_plan_naming_the_physician(
    plan_of_care: Any, says: str
) -> None:
    payer = replace(MEDICARE, name="Demo Commercial HMO", requires_referral=True)
    (finding,) = findings("referral-missing", payer=payer, plan_of_care=plan_of_care)
    assert finding.message.startswith("Demo Commercial HMO requires a referral")
    assert says in finding.message
    named = plan(certified_by_name="Dr. Jordan Avery")
    assert not findings("referral-missing", payer=payer, plan_of_care=named)


@pytest.mark.parametrize(("before", "over"), [(0, False), (29, False), (30, True), (45, True)])
def test_the_visit_limit_counts_this_visit(before: int, over: bool) -> None:
    payer = replace(MEDICARE, name="Demo Commercial HMO", visit_limit_per_year=30)
    found = findings("visit-limit-exceeded", payer=payer, visits_this_year=before)
    assert bool(found) is over
    if over:
        assert f"This is visit {before + 1} of 2026 with Demo Commercial HMO" in found[0].message
        assert "covers 30 visits a calendar year" in found[0].message


def test_a_claim_with_no_billed_line_meets_no_coverage_rule() -> None:
    payer = replace(AUTH_PAYER, requires_referral=True, visit_limit_per_year=1)
    claim = make_claim(payer=payer, lines=(), visits_this_year=5, plan_of_care=None)
    assert not {"auth-missing", "referral-missing", "visit-limit-exceeded"} & set(rule_ids(claim))


# ---- prior authorization (§6.10) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("payer", "authorizations", "line"),
    [
        (AUTH_PAYER, (AUTH,), "Visit 7 of 12 authorized (AUTH123), through 2027-01-15"),
        (
            AUTH_PAYER,
            (replace(AUTH, visits=None),),
            "Visit 7 under authorization AUTH123 (visits not limited), through 2027-01-15",
        ),
        (
            AUTH_PAYER,
            (replace(AUTH, visits_before=11),),
            "Visit 12 of 12 authorized (AUTH123), through 2027-01-15",
        ),
        (
            AUTH_PAYER,
            (replace(AUTH, visits_before=12),),
            "Visit 13, over the 12 authorized (AUTH123), through 2027-01-15",
        ),
        (AUTH_PAYER, (), "No authorization on file; Demo Commercial HMO requires one"),
        (
            AUTH_PAYER,
            (replace(AUTH, start_date=date(2026, 5, 1)),),
            "No authorization covers 2026-04-15; Demo Commercial HMO requires one",
        ),
        (MEDICARE, (), ""),  # needs none, has none: nothing to say
        (MEDICARE, (AUTH,), "Visit 7 of 12 authorized (AUTH123), through 2027-01-15"),
    ],
)
def test_the_authorization_line_says_what_covers_the_visit(
    payer: Any, authorizations: tuple[Authorization, ...], line: str
) -> None:
    claim = make_claim(payer=payer, authorizations=authorizations)
    assert authorization_summary(claim) == line


def test_the_latest_authorization_to_start_covers_a_day_two_cover() -> None:
    older = replace(AUTH, number="OLD", start_date=date(2026, 1, 1))
    newer = replace(AUTH, number="NEW", start_date=date(2026, 4, 1))
    claim = make_claim(payer=AUTH_PAYER, authorizations=(newer, older))
    found = covering_authorization(claim)
    assert found is not None and found.number == "NEW"


def test_an_authorization_covers_its_first_and_last_day() -> None:
    starts, ends = replace(AUTH, start_date=DOS), replace(AUTH, end_date=DOS)
    for auth in (starts, ends):
        assert covering_authorization(make_claim(authorizations=(auth,))) == auth
    assert not starts.covers(DOS - timedelta(days=1))
    assert not ends.covers(DOS + timedelta(days=1))


def test_outside_dates_names_the_three_nearest_authorizations() -> None:
    auths = tuple(
        replace(
            AUTH,
            number=f"N{i}",
            start_date=DOS + timedelta(days=10 * i),
            end_date=DOS + timedelta(days=10 * i + 5),
        )
        for i in range(1, 5)
    )
    (finding,) = findings("auth-outside-dates", payer=AUTH_PAYER, authorizations=auths)
    assert "N1 (" in finding.message and "N3 (" in finding.message
    assert "N4" not in finding.message


def test_outside_dates_names_the_authorizations_on_file() -> None:
    first = replace(AUTH, number="A1", start_date=date(2026, 1, 1), end_date=date(2026, 3, 31))
    second = replace(AUTH, number="A2", start_date=date(2026, 5, 1), end_date=date(2026, 8, 31))
    (one,) = findings("auth-outside-dates", payer=AUTH_PAYER, authorizations=(first,))
    assert one.message == (
        "The date of service 2026-04-15 is outside the authorization on file: "
        "A1 (2026-01-01 to 2026-03-31)."
    )
    (two,) = findings("auth-outside-dates", payer=AUTH_PAYER, authorizations=(first, second))
    assert two.message.startswith("The date of service 2026-04-15 is outside every authorization")
    # The nearest first: A2 starts 16 days after the visit, A1 104 days before it.
    assert two.message.endswith("A2 (2026-05-01 to 2026-08-31); A1 (2026-01-01 to 2026-03-31).")
    assert rule_ids(make_claim(payer=AUTH_PAYER, authorizations=(first,))) == ["auth-outside-dates"]


@pytest.mark.parametrize(
    ("before", "expected"),
    [
        (0, []),
        (12 - AUTH_WARNING_VISITS - 1, []),  # visit 10 of 12
        (12 - AUTH_WARNING_VISITS, ["auth-ending"]),  # visit 11: one of the last two
        (11, ["auth-ending"]),  # visit 12, the last
        (12, ["auth-visits-exceeded"]),  # visit 13: an error, and no warning besides
        (20, ["auth-visits-exceeded"]),
    ],
)
def test_visits_under_an_authorization(before: int, expected: list[str]) -> None:
    claim = make_claim(payer=AUTH_PAYER, authorizations=(replace(AUTH, visits_before=before),))
    assert rule_ids(claim) == expected
    for finding in scrub(claim).findings:
        if finding.rule_id == "auth-visits-exceeded":
            assert finding.message == (
                f"This is visit {before + 1} under authorization AUTH123, which allows 12 visits."
            )
        else:
            assert f"this is visit {before + 1} of the 12 authorized" in finding.message


@pytest.mark.parametrize(
    ("days_left", "warned", "says"),
    [
        (AUTH_WARNING_DAYS + 1, False, ""),
        (AUTH_WARNING_DAYS, True, "it ends on 2026-04-22, in 7 days"),
        (1, True, "in 1 day."),
        (0, True, "it ends today"),
    ],
)
def test_an_authorization_ends_within_a_week(days_left: int, warned: bool, says: str) -> None:
    auth = replace(AUTH, end_date=DOS + timedelta(days=days_left))
    found = findings("auth-ending", payer=AUTH_PAYER, authorizations=(auth,))
    assert bool(found) is warned
    if warned:
        assert found[0].message.startswith("Authorization AUTH123 is nearly used up: ")
        assert says in found[0].message


def test_an_authorization_in_its_last_visits_and_days_says_both() -> None:
    auth = replace(AUTH, visits_before=11, end_date=DOS + timedelta(days=2))
    (finding,) = findings("auth-ending", payer=AUTH_PAYER, authorizations=(auth,))
    assert "this is visit 12 of the 12 authorized and it ends on 2026-04-17" in finding.message


@pytest.mark.parametrize(
    ("authorized", "before", "flagged", "left"),
    [
        (10, 8, False, None),  # 8 + 2 billed today = 10
        (10, 9, True, "1 unit"),  # 11 > 10
        (2, 5, True, "0 units"),  # already over before this claim
    ],
)
def test_authorized_units_count_earlier_and_this_claims_units(
    authorized: int, before: int, flagged: bool, left: str | None
) -> None:
    auth = replace(AUTH, units=(("97112", authorized),), units_before=(("97112", before),))
    found = findings("auth-units-exceeded", payer=AUTH_PAYER, authorizations=(auth,))
    assert bool(found) is flagged
    if flagged:
        (finding,) = found
        assert finding.line_code == "97112"
        assert finding.message == (
            f"97112: {before} units billed before and 2 on this claim make {before + 2}, over "
            f"the {authorized} that authorization AUTH123 allows."
        )
        assert finding.fix == f"Bill at most {left} of 97112, or ask the payer to authorize more."


def test_units_of_a_code_not_billed_before_start_from_none() -> None:
    auth = replace(AUTH, units=(("97112", 2),))
    assert not findings("auth-units-exceeded", payer=AUTH_PAYER, authorizations=(auth,))
    (finding,) = findings(
        "auth-units-exceeded",
        payer=AUTH_PAYER,
        authorizations=(replace(auth, units=(("97112", 1),)),),
    )
    assert finding.message.startswith("97112: 0 units billed before and 2 on this claim make 2")
    assert finding.fix.startswith("Bill at most 1 unit of 97112")


def test_each_limited_code_is_checked_after_codes_that_are_not() -> None:
    # 97112 (billed first) is not limited; 97110 is, and is over.
    auth = replace(AUTH, units=(("97110", 1),), units_before=(("97110", 1),))
    (finding,) = findings("auth-units-exceeded", payer=AUTH_PAYER, authorizations=(auth,))
    assert finding.line_code == "97110"


def test_codes_the_authorization_does_not_limit_are_not_counted() -> None:
    auth = replace(AUTH, units=(("97140", 1),), units_before=(("97140", 1),))
    assert not findings("auth-units-exceeded", payer=AUTH_PAYER, authorizations=(auth,))


def test_authorization_rules_apply_only_when_the_payer_requires_one() -> None:
    over = replace(AUTH, visits_before=40, end_date=DOS)
    assert rule_ids(make_claim(authorizations=(over,))) == []
    assert "auth-visits-exceeded" in rule_ids(make_claim(payer=AUTH_PAYER, authorizations=(over,)))


# ---- KX: the year to date includes other providers (§10.8) --------------------------------


def test_kx_year_to_date_says_what_other_providers_billed() -> None:
    kx = replace(
        KX,
        ytd_allowed_before_visit=Decimal("2450.00"),
        other_providers=Decimal("2000.00"),
        other_providers_as_of=date(2026, 3, 10),
    )
    said = "includes $2,000.00 from other providers (eligibility reply of 2026-03-10)"
    assert kx_other_providers_text(kx) == said
    (finding,) = findings("kx-missing", kx=kx)
    assert finding.message.startswith(f"Year-to-date $2,450.00 ({said}) + this visit $62.00")
    assert kx_other_providers_text(KX) == ""
    cents = replace(kx, other_providers=Decimal("0.50"))
    assert kx_other_providers_text(cents).startswith("includes $0.50 from other providers")
    undated = replace(kx, other_providers_as_of=None)
    assert kx_other_providers_text(undated) == "includes $2,000.00 from other providers"
    assert not findings("kx-missing", kx=kx, lines=with_modifiers("GP", "KX"))
