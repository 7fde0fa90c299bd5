"""Claim scrubber (billing-rules §1-§7): for every rule, a claim that triggers it and a nearly
identical one that does not. No database: the claims are plain frozen dataclasses."""

import ast
import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.scrubber import (
    RULES,
    ClaimFacts,
    ClaimLine,
    CodeFacts,
    Credential,
    Diagnosis,
    Discipline,
    EarlierVisit,
    EditPair,
    KxFacts,
    MedicareStatus,
    Payer,
    PayerKind,
    PlanOfCare,
    Severity,
    UnitLimit,
    VisitNote,
    meaningful_words,
    scrub,
    states_skilled_need,
    treatment_days_since_report,
)
from coding.units import Method, ServiceInput, UnitsRequest, compute_units

REPO = Path(__file__).resolve().parents[2]
DOS = date(2026, 4, 15)


def facts(code: str, timed: bool, therapy: bool, category: str, **extra: Any) -> CodeFacts:
    return CodeFacts(code=code, timed=timed, always_therapy=therapy, category=category, **extra)


# Test copy of a few rows of coding/data/codes.csv (billing-rules §3).
BUNDLED = {"medicare_status": MedicareStatus.BUNDLED}
INVALID = {"medicare_status": MedicareStatus.INVALID}
CODE_FACTS = (
    facts("97110", True, True, "therapeutic_procedure"),
    facts("97112", True, True, "therapeutic_procedure"),
    facts("97140", True, True, "therapeutic_procedure"),
    facts("97530", True, True, "therapeutic_procedure"),
    facts("97150", False, True, "therapeutic_procedure"),
    facts("97750", True, True, "tests_measurements"),
    facts("97760", True, True, "orthotics_prosthetics"),
    facts("97012", False, True, "supervised_modality"),
    facts("G0283", False, True, "supervised_modality"),
    facts("97010", False, True, "supervised_modality", **BUNDLED),
    facts("97014", False, True, "supervised_modality", **INVALID),
    facts("97161", False, True, "evaluation", discipline=Discipline.PT),
    facts("97162", False, True, "evaluation", discipline=Discipline.PT),
    facts("97164", False, True, "evaluation", discipline=Discipline.PT),
    facts("97165", False, True, "evaluation", discipline=Discipline.OT),
    facts("95851", False, False, "tests_measurements"),
    facts("97598", False, False, "wound_care"),
)
# billing-rules §5.2: the eval-vs-eval edits; the deleted 97530/97140 edit stays out of force.
EDIT_PAIRS = (
    EditPair("97162", "97161", 0, date(2017, 1, 1)),
    EditPair("97164", "97750", 1, date(2017, 1, 1)),
    EditPair("97530", "97140", 1, date(2004, 1, 1), deletion=date(2019, 12, 31)),
)
# billing-rules §5.3
UNIT_LIMITS = tuple(
    UnitLimit(code, limit)
    for code, limit in [
        ("97110", 6), ("97112", 4), ("97140", 6), ("97530", 6), ("97161", 1), ("97162", 1),
        ("97164", 1), ("97598", 8),
    ]
)  # fmt: skip

MEDICARE = Payer(
    name="Medicare Part B", kind=PayerKind.MEDICARE, unit_method=Method.CMS, kx_applies=True
)
COMMERCIAL = Payer(name="Demo Commercial PPO", kind=PayerKind.COMMERCIAL, unit_method=Method.AMA)
SELF_PAY = Payer(name="Self-pay", kind=PayerKind.SELF_PAY, unit_method=Method.CMS)

STATEMENT = (
    "Skilled neuromuscular re-education with tactile and verbal cues is needed because impaired "
    "single-leg balance caused two falls this month; therapist progresses stance tasks toward "
    "independent community walking."
)
NOTE = VisitNote(
    medical_necessity=STATEMENT,
    subjective="Reports less knee pain on stairs.",
    objective="Single-leg stance 8 s right, 12 s left.",
    assessment="Balance improving; still unsafe on uneven ground.",
    plan="Progress to foam surface; review home program.",
)
PLAN = PlanOfCare(
    start_date=date(2026, 3, 2),
    first_visit_date=date(2026, 3, 2),
    certified_on=date(2026, 3, 9),
    cert_through=date(2026, 5, 29),
)
HISTORY = (
    EarlierVisit(date(2026, 3, 2), "Initial evaluation: skilled assessment of balance deficits."),
    EarlierVisit(date(2026, 4, 6), "Progress report: skilled balance training.", True),
    EarlierVisit(date(2026, 4, 8), "Skilled cues for weight shift after a near fall."),
    EarlierVisit(date(2026, 4, 10), "Skilled gait training on stairs with cues."),
    EarlierVisit(date(2026, 4, 13), "Skilled progression of stance tasks to foam."),
)
KX = KxFacts(
    ytd_allowed_before_visit=Decimal("1200.00"),
    this_visit_allowed=Decimal("62.00"),
    threshold=Decimal("2480"),
)


def line(
    code: str, units: int, minutes: int, *modifiers: str, pta: int = 0, ptrs: tuple[int, ...] = (1,)
) -> ClaimLine:
    return ClaimLine(
        code=code,
        units=units,
        modifiers=modifiers or ("GP",),
        minutes=minutes,
        pta_minutes=pta,
        diagnosis_pointers=ptrs,
    )


# billing-rules §1 manual example 1: 24 + 23 = 47 minutes → 97112 x 2, 97110 x 1
L97112 = line("97112", 2, 24)
L97110 = line("97110", 1, 23)
# billing-rules §2: the AMA method bills the 23 minutes of 97110 on their own → 2 units
AMA_97110 = line("97110", 2, 23)


def make_claim(**overrides: Any) -> ClaimFacts:
    """A clean Medicare claim with no findings; override any field."""
    fields: dict[str, Any] = {
        "date_of_service": DOS,
        "payer": MEDICARE,
        "therapist_credential": Credential.PT,
        "lines": (L97112, L97110),
        "diagnoses": (
            Diagnosis("M25.561", exists=True, billable=True, title="Pain in right knee"),
        ),
        "code_facts": CODE_FACTS,
        "note": NOTE,
        "plan_of_care": PLAN,
        "edit_pairs": EDIT_PAIRS,
        "unit_limits": UNIT_LIMITS,
        "history": HISTORY,
        "kx": KX,
    }
    fields.update(overrides)
    return ClaimFacts(**fields)


def note(**changes: Any) -> VisitNote:
    return replace(NOTE, **changes)


def plan(**changes: Any) -> PlanOfCare:
    return replace(PLAN, **changes)


def kx(ytd: str) -> KxFacts:
    return replace(KX, ytd_allowed_before_visit=Decimal(ytd))


def dx(code: str, title: str, exists: bool = True, billable: bool = True) -> tuple[Diagnosis]:
    return (Diagnosis(code, exists=exists, billable=billable, title=title),)


def with_modifiers(*modifiers: str) -> tuple[ClaimLine, ...]:
    return (replace(L97112, modifiers=modifiers), replace(L97110, modifiers=modifiers))


def visits(n: int) -> tuple[EarlierVisit, ...]:
    """n earlier treatment days from the first visit, none a progress report."""
    days = [date(2026, 3, 2 + 2 * i) for i in range(n)]
    return tuple(
        EarlierVisit(d, f"Skilled session {i}: cues for balance.") for i, d in enumerate(days)
    )


def rule_ids(claim: ClaimFacts) -> list[str]:
    return [finding.rule_id for finding in scrub(claim).findings]


# --- the clean claim ----------------------------------------------------------------------------


def test_the_clean_claim_has_no_findings() -> None:
    result = scrub(make_claim())
    assert result.findings == ()
    assert (result.error_count, result.warning_count) == (0, 0)
    assert not result.blocks_approval
    assert result.units is not None
    assert {line.code: line.units for line in result.units.lines} == {"97112": 2, "97110": 1}


# --- every rule: a trigger and a near miss ------------------------------------------------------

NINE_DAYS = visits(9)
EIGHT_DAYS = visits(8)
MAINTENANCE_STATEMENT = (
    "Maintenance program for Parkinson disease: balance and gait tasks with tactile cues and "
    "safety monitoring to keep walking at home without falls this winter."
)
NO_SKILL_STATEMENT = (
    "Patient performed strengthening exercises for the right knee and hip, walked on the "
    "treadmill, tolerated the session without increased pain, and will return Thursday."
)
AFTER_MPPR_EVAL = (line("97161", 1, 45), line("97750", 2, 30))


@dataclass(frozen=True)
class Case:
    rule_id: str
    trigger: dict[str, Any]
    near_miss: dict[str, Any]
    also: frozenset[str] = field(default_factory=frozenset)  # other rules the trigger fires


def case(rule_id: str, trigger: dict[str, Any], near_miss: dict[str, Any], *also: str) -> Any:
    return pytest.param(Case(rule_id, trigger, near_miss, frozenset(also)), id=rule_id)


def named(
    rule_id: str, name: str, trigger: dict[str, Any], near: dict[str, Any], *also: str
) -> Any:
    return pytest.param(Case(rule_id, trigger, near, frozenset(also)), id=f"{rule_id}:{name}")


CASES = [
    # medical necessity (§6.5)
    case("necessity-missing", {"note": note(medical_necessity="  ")}, {}),
    named(
        "necessity-thin",
        "too-few-words",
        {"note": note(medical_necessity="Skilled therapy for knee pain.")},
        {},
    ),
    named(
        "necessity-thin",
        "no-skilled-need",
        {"note": note(medical_necessity=NO_SKILL_STATEMENT)},
        {"note": note(medical_necessity=NO_SKILL_STATEMENT + " Needs skilled cues for control.")},
    ),
    case(
        "necessity-copied",
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), "  " + STATEMENT.upper()))},
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), STATEMENT + " Stairs added."))},
    ),
    case(
        "maintenance-without-skill",
        {"note": note(medical_necessity=MAINTENANCE_STATEMENT)},
        {
            "note": note(
                medical_necessity=MAINTENANCE_STATEMENT.replace(
                    "with tactile cues", "needing a therapist's skilled tactile cues"
                )
            )
        },
    ),
    # diagnoses (§7)
    named("dx-missing", "no-diagnosis", {"diagnoses": ()}, {}),
    named(
        "dx-missing",
        "pointer-out-of-range",
        {"lines": (L97112, replace(L97110, diagnosis_pointers=(2,)))},
        {"lines": (L97112, replace(L97110, diagnosis_pointers=(1,)))},
    ),
    named(
        "dx-missing",
        "no-pointer",
        {"lines": (L97112, replace(L97110, diagnosis_pointers=()))},
        {},
    ),
    case(
        "dx-invalid",
        {"diagnoses": dx("M54.5", "Low back pain", exists=False, billable=False)},
        {"diagnoses": dx("M54.50", "Low back pain, unspecified")},
    ),
    case(
        "dx-header",
        {"diagnoses": dx("Z96.64", "Presence of artificial hip joint", billable=False)},
        {"diagnoses": dx("Z96.641", "Presence of right artificial hip joint")},
    ),
    case(
        "dx-initial-encounter",
        {"diagnoses": dx("S83.511A", "Sprain of anterior cruciate ligament of right knee")},
        {"diagnoses": dx("S83.511D", "Sprain of anterior cruciate ligament of right knee")},
    ),
    case(
        "dx-unspecified-laterality",
        {"diagnoses": dx("M25.569", "Pain in unspecified knee")},
        {"diagnoses": dx("M25.561", "Pain in right knee")},
    ),
    # codes (§3, §6.8)
    case("code-unknown", {"lines": (L97112, L97110, line("97999", 1, 10))}, {}),
    named(
        "medicare-invalid-code",
        "97014-to-medicare",
        {"lines": (L97112, L97110, line("97014", 1, 15))},
        {"lines": (L97112, L97110, line("G0283", 1, 15))},
    ),
    named(
        "medicare-invalid-code",
        "97014-to-a-commercial-payer-is-fine",
        {"lines": (L97112, L97110, line("97014", 1, 15))},
        {"lines": (L97112, AMA_97110, line("97014", 1, 15)), "payer": COMMERCIAL},
    ),
    case(
        "medicare-bundled-code",
        {"lines": (L97112, L97110, line("97010", 1, 10))},
        {"lines": (L97112, L97110, line("97012", 1, 10))},
    ),
    case(
        "ot-code-by-pt",
        {"lines": (line("97165", 1, 40), L97112, L97110)},
        {"lines": (line("97161", 1, 40), L97112, L97110)},
    ),
    case(
        "group-over-one-unit",
        {"lines": (L97112, L97110, line("97150", 2, 30))},
        {"lines": (L97112, L97110, line("97150", 1, 30))},
    ),
    # units and limits (§1, §2, §5.3)
    named(
        "minutes-invalid",
        "assistant-over-line",
        {"lines": (L97112, replace(L97110, pta_minutes=30))},
        {"lines": (L97112, replace(L97110, pta_minutes=0))},
        "cq-missing",
    ),
    named(
        "minutes-invalid",
        "negative-minutes",
        {"lines": (L97112, replace(L97110, minutes=-5))},
        {},
    ),
    named(
        "units-under-8",
        "cms-one-timed-code",
        {"lines": (line("97110", 1, 5),)},
        {"lines": (line("97110", 1, 8),)},
    ),
    named(
        "units-under-8",
        "ama-each-code-alone",
        {"payer": COMMERCIAL, "lines": (line("97110", 2, 23), line("97140", 1, 5))},
        {"payer": COMMERCIAL, "lines": (line("97110", 2, 23), line("97140", 1, 8))},
    ),
    named(
        "units-unsupported",
        "untimed-code-two-units",
        {"lines": (L97112, L97110, line("97012", 2, 15))},
        {"lines": (L97112, L97110, line("97012", 1, 15))},
    ),
    named(
        "units-unsupported",
        "ama-30-minutes-is-2-units",
        {"payer": COMMERCIAL, "lines": (line("97110", 3, 30),)},
        {"payer": COMMERCIAL, "lines": (line("97110", 2, 30),)},
    ),
    named(
        "units-unsupported",
        "cms-units-on-the-wrong-code",
        {"lines": (replace(L97112, units=1), replace(L97110, units=2))},
        {},
        "units-below-supported",
    ),
    case("units-below-supported", {"lines": (replace(L97112, units=1), L97110)}, {}),
    named(
        "units-total-over",
        "20-plus-20-is-never-4",
        {"lines": (line("97112", 2, 20), line("97110", 2, 20))},
        {"lines": (line("97112", 1, 20), line("97110", 2, 20))},  # the therapist's tie pick
        "units-unsupported",
    ),
    case(
        "mue-exceeded",
        {"lines": (line("97112", 5, 75), line("97110", 1, 15))},
        {"lines": (line("97112", 4, 60), line("97110", 1, 15))},
    ),
    case(
        "daily-cap-exceeded",
        {"payer": replace(MEDICARE, daily_timed_unit_cap=2)},
        {"payer": replace(MEDICARE, daily_timed_unit_cap=3)},
    ),
    # edit pairs (§5.1)
    case(
        "two-evaluations",
        {"lines": (line("97161", 1, 30), line("97162", 1, 30))},
        {"lines": (line("97161", 1, 30),)},
    ),
    case(
        "reeval-with-therapy-no-59",
        {"lines": (line("97164", 1, 20), L97112, L97110)},
        {"lines": (line("97164", 1, 20, "GP", "XU"), L97112, L97110)},
    ),
    named(
        "test-with-evaluation",
        "97750-with-an-evaluation",
        {"lines": AFTER_MPPR_EVAL},
        {"lines": (line("97750", 2, 30),)},
    ),
    named(
        "test-with-evaluation",
        "97760-with-a-re-evaluation",
        {"lines": (line("97164", 1, 20, "GP", "XU"), line("97760", 2, 30))},
        {"lines": (line("97161", 1, 20), line("97760", 2, 30))},
    ),
    named(
        "ncci-indicator-0",
        "test-edit-in-force",
        {"edit_pairs": (*EDIT_PAIRS, EditPair("97112", "97110", 0, date(2020, 1, 1)))},
        {
            "edit_pairs": (
                *EDIT_PAIRS,
                EditPair("97112", "97110", 0, date(2020, 1, 1), deletion=date(2025, 12, 31)),
            )
        },
    ),
    named(
        "ncci-indicator-0",
        "indicator-9-is-not-applicable",
        {"edit_pairs": (EditPair("97112", "97110", 0, date(2020, 1, 1)),)},
        {"edit_pairs": (EditPair("97112", "97110", 9, date(2020, 1, 1)),)},
    ),
    named(
        "ncci-needs-modifier",
        "indicator-1-bypassed-by-xu",
        {"edit_pairs": (EditPair("97112", "97110", 1, date(2020, 1, 1)),)},
        {
            "edit_pairs": (EditPair("97112", "97110", 1, date(2020, 1, 1)),),
            "lines": (L97112, line("97110", 1, 23, "GP", "XU")),
        },
    ),
    named(
        "ncci-needs-modifier",
        "edit-not-yet-effective",
        {"edit_pairs": (EditPair("97112", "97110", 1, date(2026, 4, 15)),)},
        {"edit_pairs": (EditPair("97112", "97110", 1, date(2026, 4, 16)),)},
    ),
    # modifiers (§4)
    named("gp-missing", "no-modifier", {"lines": with_modifiers()}, {}),
    named("gp-missing", "go-instead-of-gp", {"lines": with_modifiers("GO")}, {}),
    named(
        "cq-missing",
        "assistant-over-10-percent",
        {"lines": (L97112, replace(L97110, pta_minutes=10))},
        {"lines": (L97112, line("97110", 1, 23, "GP", "CQ", pta=10))},
    ),
    named(
        "cq-missing",
        "assistant-under-10-percent-is-de-minimis",
        {"lines": (L97112, replace(L97110, pta_minutes=3))},
        {"lines": (L97112, replace(L97110, pta_minutes=2))},
    ),
    named(
        "cq-missing",
        "visit-by-a-pta",
        {"therapist_credential": Credential.PTA},
        {"therapist_credential": Credential.PTA, "lines": with_modifiers("GP", "CQ")},
    ),
    named(
        "kx-missing",
        "over-the-threshold",
        {"kx": kx("2450")},
        {"kx": kx("2400")},
    ),
    named(
        "kx-missing",
        "kx-on-every-line",
        {"kx": kx("2450")},
        {"kx": kx("2450"), "lines": with_modifiers("GP", "KX")},
    ),
    case(
        "kx-premature",
        {"lines": with_modifiers("GP", "KX")},
        {"lines": with_modifiers("GP", "KX"), "kx": kx("2000")},
    ),
    case(
        "kx-review-threshold",
        {"lines": with_modifiers("GP", "KX"), "kx": kx("3000")},
        {"lines": with_modifiers("GP", "KX"), "kx": kx("2900")},
    ),
    case("modifier-25-on-therapy", {"lines": with_modifiers("GP", "25")}, {}),
    # plan of care (§6.1, §6.2)
    named("poc-missing", "medicare", {"plan_of_care": None}, {}),
    named(
        "poc-missing",
        "self-pay-needs-no-plan",
        {"plan_of_care": None},
        {"plan_of_care": None, "payer": SELF_PAY},
    ),
    named(
        "poc-outside-cert",
        "after-certification",
        {"plan_of_care": plan(cert_through=date(2026, 4, 14))},
        {"plan_of_care": plan(cert_through=date(2026, 4, 23))},
    ),
    named(
        "poc-outside-cert",
        "before-plan-start",
        {"plan_of_care": plan(start_date=date(2026, 4, 16))},
        {"plan_of_care": plan(start_date=date(2026, 4, 15))},
    ),
    named(
        "poc-cert-late",
        "medicare",
        {"plan_of_care": plan(certified_on=None)},
        {},
    ),
    named(
        "poc-cert-late",
        "commercial-payer-not-checked",
        {"plan_of_care": plan(certified_on=None)},
        {
            "plan_of_care": plan(certified_on=None),
            "payer": COMMERCIAL,
            "lines": (L97112, AMA_97110),
        },
    ),
    case(
        "poc-cert-pending",
        {"plan_of_care": plan(certified_on=None, first_visit_date=date(2026, 4, 1))},
        {"plan_of_care": plan(certified_on=date(2026, 4, 10), first_visit_date=date(2026, 4, 1))},
    ),
    case(
        "poc-cert-delayed",
        {"plan_of_care": plan(certified_on=date(2026, 4, 2))},
        {"plan_of_care": plan(certified_on=date(2026, 4, 1))},
    ),
    named(
        "poc-recert-due",
        "ends-within-7-days",
        {"plan_of_care": plan(cert_through=date(2026, 4, 22))},
        {"plan_of_care": plan(cert_through=date(2026, 4, 23))},
    ),
    named(
        "poc-recert-due",
        "span-over-90-days",
        {"plan_of_care": plan(cert_through=date(2026, 5, 31))},
        {"plan_of_care": plan(cert_through=date(2026, 5, 30))},
    ),
    # progress report (§6.3)
    named(
        "progress-report-due",
        "tenth-treatment-day",
        {"history": NINE_DAYS},
        {"history": EIGHT_DAYS},
    ),
    named(
        "progress-report-due",
        "this-visit-is-the-report",
        {"history": NINE_DAYS},
        {"history": NINE_DAYS, "note": note(includes_progress_report=True)},
    ),
    named(
        "progress-report-due",
        "a-pta-cannot-write-it",
        {
            "history": NINE_DAYS,
            "therapist_credential": Credential.PTA,
            "lines": with_modifiers("GP", "CQ"),
        },
        {
            "history": EIGHT_DAYS,
            "therapist_credential": Credential.PTA,
            "lines": with_modifiers("GP", "CQ"),
        },
    ),
    case(
        "progress-report-by-pta",
        {
            "therapist_credential": Credential.PTA,
            "lines": with_modifiers("GP", "CQ"),
            "note": note(includes_progress_report=True),
        },
        {"note": note(includes_progress_report=True)},
    ),
]


@pytest.mark.parametrize("c", CASES)
def test_rule_fires_on_its_trigger(c: Case) -> None:
    result = scrub(make_claim(**c.trigger))
    fired = {finding.rule_id for finding in result.findings}
    assert fired == {c.rule_id} | c.also
    for finding in result.findings:
        rule = RULES[finding.rule_id]
        assert (finding.severity, finding.source) == (rule.severity, rule.source)
        assert finding.message
        assert finding.fix


@pytest.mark.parametrize("c", CASES)
def test_rule_stays_quiet_on_the_near_miss(c: Case) -> None:
    assert rule_ids(make_claim(**c.near_miss)) == []


def test_every_rule_in_the_catalogue_has_a_case() -> None:
    covered = {param.values[0].rule_id for param in CASES}
    assert covered == set(RULES)


def test_catalogue_lists_title_severity_and_source() -> None:
    for rule_id, rule in RULES.items():
        assert rule.rule_id == rule_id
        assert rule.title
        assert rule.severity in (Severity.ERROR, Severity.WARNING)
        assert rule.source.startswith("billing-rules §")


# --- messages name the exact problem ------------------------------------------------------------


def only(claim: ClaimFacts, rule_id: str) -> Any:
    (finding,) = [f for f in scrub(claim).findings if f.rule_id == rule_id]
    return finding


def test_units_unsupported_names_the_code_the_minutes_and_the_share() -> None:
    finding = only(
        make_claim(lines=(replace(L97112, units=1), replace(L97110, units=2))), "units-unsupported"
    )
    assert finding.line_code == "97110"
    assert "2 units billed, but 23 minutes support 1" in finding.message
    assert "47 timed minutes = 3 units" in finding.message
    assert finding.fix == "Bill 97110 x 1, or correct the minutes."


def test_medicare_invalid_code_points_to_the_replacement() -> None:
    finding = only(
        make_claim(lines=(L97112, L97110, line("97014", 1, 15))), "medicare-invalid-code"
    )
    assert "G0283" in finding.message
    assert finding.fix == "Bill G0283 instead."


def test_kx_missing_shows_the_arithmetic() -> None:
    finding = only(make_claim(kx=kx("2450")), "kx-missing")
    assert "$2,450.00 + this visit $62.00 = $2,512.00" in finding.message
    assert "$2,480.00" in finding.message


def test_cq_missing_suggests_splitting_the_assistant_units() -> None:
    finding = only(make_claim(lines=(line("97110", 3, 38, pta=8),)), "cq-missing")
    assert "8 of its 38 minutes" in finding.message
    assert "1 unit furnished in whole or part by the assistant" in finding.fix


def test_progress_report_due_by_a_pta_says_to_schedule_the_pt() -> None:
    claim = make_claim(
        history=NINE_DAYS, therapist_credential=Credential.PTA, lines=with_modifiers("GP", "CQ")
    )
    finding = only(claim, "progress-report-due")
    assert "treatment day 10" in finding.message
    assert "PTA cannot write it" in finding.fix


def test_initial_encounter_suggests_the_subsequent_code() -> None:
    claim = make_claim(
        diagnoses=dx("S83.511A", "Sprain of anterior cruciate ligament of right knee")
    )
    assert "S83.511D" in only(claim, "dx-initial-encounter").fix


def test_findings_are_sorted_errors_first_with_counts() -> None:
    claim = make_claim(
        diagnoses=dx("M25.569", "Pain in unspecified knee"),  # warning
        plan_of_care=None,  # error
        lines=with_modifiers(),  # errors
    )
    result = scrub(claim)
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=lambda s: s != Severity.ERROR)
    assert result.error_count == 3
    assert result.warning_count == 1
    assert result.blocks_approval
    assert [f.line_code for f in result.findings if f.rule_id == "gp-missing"] == ["97112", "97110"]


def test_billed_tie_pick_is_accepted_either_way() -> None:
    for units in [(2, 1), (1, 2)]:
        lines = (line("97112", units[0], 20), line("97110", units[1], 20))
        assert rule_ids(make_claim(lines=lines)) == []


def test_split_pt_and_assistant_lines_of_one_code_are_checked_together() -> None:
    lines = (L97112, line("97110", 1, 15), line("97110", 1, 15, "GP", "CQ", pta=15))
    # 24 + 30 = 54 minutes → 4 units: 97112 x 2, 97110 x 2
    assert rule_ids(make_claim(lines=lines)) == []


def test_add_on_units_within_the_limit_are_not_flagged_as_untimed_overbilling() -> None:
    assert rule_ids(make_claim(lines=(L97112, L97110, line("97598", 3, 20, "GP")))) == []


@given(
    st.lists(
        st.sampled_from(["97110", "97112", "97140", "97530"]), min_size=1, max_size=3, unique=True
    ),
    st.lists(st.integers(min_value=8, max_value=40), min_size=3, max_size=3),
    st.sampled_from([MEDICARE, COMMERCIAL]),
)
def test_billing_what_the_minutes_support_raises_no_unit_finding(
    codes: list[str], minutes: list[int], payer: Payer
) -> None:
    services = tuple(
        ServiceInput(code=code, minutes=m, timed=True)
        for code, m in zip(codes, minutes, strict=False)
    )
    supported = compute_units(UnitsRequest(services=services, method=payer.unit_method))
    lines = tuple(line(u.code, u.units, u.minutes) for u in supported.lines)
    fired = set(rule_ids(make_claim(payer=payer, lines=lines)))
    assert not fired & {
        "units-unsupported",
        "units-below-supported",
        "units-total-over",
        "units-under-8",
    }


# --- heuristics ---------------------------------------------------------------------------------


def test_meaningful_words_skip_short_and_stop_words() -> None:
    assert meaningful_words("The patient did ok with the PT and cues.") == ["did", "cues"]


@pytest.mark.parametrize(
    ("text", "skilled"),
    [
        ("Needs skilled cueing", True),
        ("Therapist assessed response", True),
        ("Manual mobilization of the knee", True),
        ("Did exercises, tolerated well", False),
        ("", False),
    ],
)
def test_skilled_need_vocabulary(text: str, skilled: bool) -> None:
    assert states_skilled_need(text) is skilled


def test_treatment_days_count_distinct_dates_after_the_last_report() -> None:
    history = (
        EarlierVisit(date(2026, 4, 1), was_progress_report=True),
        EarlierVisit(date(2026, 4, 3)),
        EarlierVisit(date(2026, 4, 3)),  # two visits, one treatment day
        EarlierVisit(date(2026, 4, 8)),
        EarlierVisit(DOS),  # same day as this visit
        EarlierVisit(date(2026, 4, 20)),  # later visits do not count
    )
    assert treatment_days_since_report(make_claim(history=history)) == 3


def test_treatment_days_without_a_report_start_at_the_plans_first_visit() -> None:
    history = (EarlierVisit(date(2025, 11, 3)), *visits(3))
    assert treatment_days_since_report(make_claim(history=history)) == 4


# --- no Django ----------------------------------------------------------------------------------


def test_scrubber_imports_only_the_standard_library_and_the_units_engine() -> None:
    tree = ast.parse((REPO / "claims" / "scrubber.py").read_text())
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    outside = {
        m for m in modules if m.split(".")[0] not in sys.stdlib_module_names and m != "coding.units"
    }
    assert outside == set()


def test_importing_the_scrubber_does_not_load_django() -> None:
    code = (
        "import sys, claims.scrubber; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(f'django loaded: {loaded[:3]}' if loaded else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


def test_units_cut_by_the_payers_daily_cap_are_not_called_under_billing() -> None:
    hmo = Payer(
        name="Demo Commercial HMO",
        kind=PayerKind.COMMERCIAL,
        unit_method=Method.AMA,
        daily_timed_unit_cap=8,
    )
    # 45 + 40 + 40 minutes support 3 + 3 + 3 units per code; the cap allows 8 in all.
    capped = (line("97110", 3, 45), line("97140", 2, 40), line("97530", 3, 40))
    assert "units-below-supported" not in rule_ids(make_claim(payer=hmo, lines=capped))
    under = (line("97110", 3, 45), line("97140", 1, 40), line("97530", 3, 40))
    assert "units-below-supported" in rule_ids(make_claim(payer=hmo, lines=under))
