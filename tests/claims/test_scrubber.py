"""Claim scrubber (docs/billing-rules.md §1-§7, §10): for every rule, a claim that triggers it and
a nearly identical one that does not. No database: the claims are plain frozen dataclasses."""

import ast
import subprocess
import sys
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.scrubber import (
    MIN_NECESSITY_WORDS,
    NEAR_COPY_RATIO,
    PT_EVALUATIONS,
    PT_ONLY_CODES,
    RULES,
    TEMPLATE_PHRASES,
    TIMELY_FILING_WARNING_DAYS,
    Authorization,
    BillingGap,
    ClaimFacts,
    ClaimLine,
    CodeFacts,
    Credential,
    Diagnosis,
    Discipline,
    EarlierVisit,
    EditPair,
    KxFacts,
    LineCharge,
    MedicareStatus,
    Payer,
    PayerKind,
    PlanOfCare,
    SameDayClaim,
    Severity,
    UnitLimit,
    VisitNote,
    _near_copy_ratio,
    is_evaluation_only,
    is_initial_encounter,
    meaningful_words,
    normalise_for_copy,
    scrub,
    states_skilled_need,
    subsequent_encounter_code,
    template_phrases,
    timely_filing_deadline,
    treatment_days_since_report,
    without_template_phrases,
)
from coding.units import Method, ServiceInput, UnitsRequest, WarningKind, compute_units

REPO = Path(__file__).resolve().parents[2]
DOS = date(2026, 4, 15)


def facts(code: str, timed: bool, therapy: bool, category: str, **extra: Any) -> CodeFacts:
    return CodeFacts(code=code, timed=timed, always_therapy=therapy, category=category, **extra)


# Test copy of a few rows of coding/data/codes.csv (docs/billing-rules.md §3).
BUNDLED = {"medicare_status": MedicareStatus.BUNDLED}
INVALID = {"medicare_status": MedicareStatus.INVALID}
RESTRICTED = {"medicare_status": MedicareStatus.RESTRICTED}
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
    facts("97026", False, True, "supervised_modality", **RESTRICTED),
    facts("97799", False, True, "other", medicare_status=MedicareStatus.CARRIER_PRICED),
    facts("97039", False, True, "other", medicare_status=MedicareStatus.NONCOVERED),
    facts("97161", False, True, "evaluation", discipline=Discipline.PT),
    facts("97162", False, True, "evaluation", discipline=Discipline.PT),
    facts("97164", False, True, "evaluation", discipline=Discipline.PT),
    facts("97165", False, True, "evaluation", discipline=Discipline.OT),
    facts("95851", False, False, "tests_measurements"),
    facts("97598", False, False, "wound_care"),
)
# docs/billing-rules.md §5.2: the eval-vs-eval edits; the deleted 97530/97140 edit stays out of
# force.
EDIT_PAIRS = (
    EditPair("97162", "97161", 0, date(2017, 1, 1)),
    EditPair("97164", "97750", 1, date(2017, 1, 1)),
    EditPair("97530", "97140", 1, date(2004, 1, 1), deletion=date(2019, 12, 31)),
)
# docs/billing-rules.md §5.3
UNIT_LIMITS = tuple(
    UnitLimit(code, limit)
    for code, limit in [
        ("97110", 6), ("97112", 4), ("97140", 6), ("97530", 6), ("97161", 1), ("97162", 1),
        ("97164", 1), ("97598", 8),
    ]
)  # fmt: skip

# Medicare's rules as coding/data/payer_rules.csv gives them (docs/billing-rules.md §6.10).
MEDICARE = Payer(
    name="Medicare Part B",
    kind=PayerKind.MEDICARE,
    unit_method=Method.CMS,
    kx_applies=True,
    progress_report_visits=10,
    certification_days=90,
)
COMMERCIAL = Payer(name="Demo Commercial PPO", kind=PayerKind.COMMERCIAL, unit_method=Method.AMA)
SELF_PAY = Payer(
    name="Self-pay", kind=PayerKind.SELF_PAY, unit_method=Method.CMS, requires_plan_of_care=False
)

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


# docs/billing-rules.md §1 manual example 1: 24 + 23 = 47 minutes → 97112 x 2, 97110 x 1
L97112 = line("97112", 2, 24)
L97110 = line("97110", 1, 23)
# docs/billing-rules.md §2: the AMA method bills the 23 minutes of 97110 on their own → 2 units
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
EVALUATION_ONLY = (line("97161", 1, 45),)
EVALUATION_AND_TREATMENT = (line("97161", 1, 45), line("97110", 2, 23))
# §10.12: 21 meaningful words and "skilled", so the §6.5 heuristic alone would pass it; without
# its template phrases nothing says why a therapist's skill is needed.
TEMPLATE_STATEMENT = (
    "Skilled services per the plan of care for balance and gait deficits. Patient tolerated "
    "treatment well with no complaints. Continue per POC, progressing exercises as tolerated "
    "toward functional goals for home and community mobility next week."
)
PATIENT_SPECIFIC = (
    " Therapist cues weight shift on foam because impaired single-leg balance caused two falls."
)
# §10.12: a near copy of STATEMENT (a few words changed) and a rewrite just under NEAR_COPY_RATIO.
NEAR_COPY = STATEMENT.replace("two falls this month", "falls").replace("independent ", "")
NEAR_COPY = NEAR_COPY.replace("tactile and verbal", "tactile")
JUST_NOT_A_COPY = STATEMENT.replace("two falls this month", "falls").replace(
    "independent ", "safe "
)
JUST_NOT_A_COPY = JUST_NOT_A_COPY.replace("tactile and verbal", "tactile")
REWRITTEN = (
    "Skilled neuromuscular re-education with tactile cues is still needed: single-leg stance "
    "improved to 12 s, but the patient fell once on the ice; therapist adds perturbations toward "
    "community walking."
)
ON_DATE = STATEMENT + " Reassessed on 4/15/2026: stance 8 s."
ON_EARLIER_DATE = STATEMENT + " Reassessed on 4/13/2026: stance 6 s."
MEDICARE_365 = replace(MEDICARE, timely_filing_days=365)
DEADLINE = DOS + timedelta(days=365)  # 2027-04-15
FY2027_NOT_LOADED = (
    "No ICD-10-CM code set is loaded for FY2027 (from 2026-10-01): the diagnoses were checked "
    "against FY2026."
)
RVUS_NOT_LOADED = "No RVUs are loaded for CY2027: the MPPR figures are estimates from CY2026."
# §10.5: discharged the day before the date of service.
DISCHARGED = plan(status="discharged", discharged_on=date(2026, 4, 14))


# The payer's own rules (docs/billing-rules.md §6.10) and an authorization covering DOS: the 7th
# of 12 visits, from 2026-03-01 to 2026-06-30.
REFERRAL_PAYER = replace(MEDICARE, requires_referral=True)
LIMITED = replace(MEDICARE, visit_limit_per_year=30)
AUTH_PAYER = replace(MEDICARE, requires_authorization=True)
AUTH = Authorization("AUTH123", date(2026, 3, 1), date(2026, 6, 30), visits=12, visits_before=6)


def auth(**changes: Any) -> dict[str, Any]:
    return {"payer": AUTH_PAYER, "authorizations": (replace(AUTH, **changes),)}


def by_assistant(claim_line: ClaimLine, *modifiers: str) -> ClaimLine:
    return replace(claim_line, by_assistant=True, modifiers=modifiers or claim_line.modifiers)


def bare(claim_line: ClaimLine) -> ClaimLine:
    """The line without any modifier (``line`` gives GP when none is named)."""
    return replace(claim_line, modifiers=())


def same_day(claim_id: int, status: str, *codes: str) -> tuple[SameDayClaim, ...]:
    return (SameDayClaim(claim_id=claim_id, status=status, codes=codes),)


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
    named(
        "necessity-template",
        "no-skilled-need-left",
        {"note": note(medical_necessity=TEMPLATE_STATEMENT)},
        {"note": note(medical_necessity=TEMPLATE_STATEMENT + PATIENT_SPECIFIC)},
    ),
    named(
        "necessity-template",
        "too-few-words-left",
        {"note": note(medical_necessity="Skilled services per the plan of care; therapist cues.")},
        {"note": note(medical_necessity=STATEMENT + " Continue per POC.")},
    ),
    named(
        "necessity-copied",
        "word-for-word",
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), "  " + STATEMENT.upper()))},
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), REWRITTEN))},
    ),
    named(
        "necessity-copied",
        "a-few-words-changed",
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), NEAR_COPY))},
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), JUST_NOT_A_COPY))},
    ),
    named(
        "necessity-copied",
        "only-the-date-changed",
        {
            "note": note(medical_necessity=ON_DATE),
            "history": (*HISTORY, EarlierVisit(date(2026, 4, 13), ON_EARLIER_DATE)),
        },
        {
            "note": note(medical_necessity=ON_DATE),
            "history": (*HISTORY, EarlierVisit(date(2026, 4, 13), REWRITTEN)),
        },
    ),
    named(
        "necessity-copied",
        "a-later-visit-is-not-copied-from",
        {"history": (*HISTORY, EarlierVisit(date(2026, 4, 14), NEAR_COPY))},
        {
            "history": (
                *HISTORY,
                EarlierVisit(DOS, NEAR_COPY),
                EarlierVisit(date(2026, 4, 20), STATEMENT),
            )
        },
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
    named(
        "dx-initial-encounter",
        "injury-a",
        {"diagnoses": dx("S83.511A", "Sprain of anterior cruciate ligament of right knee")},
        {"diagnoses": dx("S83.511D", "Sprain of anterior cruciate ligament of right knee")},
    ),
    named(
        "dx-initial-encounter",
        "open-fracture-b",
        {"diagnoses": dx("S72.001B", "Fracture of right femoral neck, open type I or II")},
        {"diagnoses": dx("S72.001E", "Fracture of right femoral neck, open type I or II")},
    ),
    named(
        "dx-initial-encounter",
        "open-fracture-c",
        {"diagnoses": dx("S82.001C", "Fracture of right patella, open type IIIA-C")},
        {"diagnoses": dx("S82.001F", "Fracture of right patella, open type IIIA-C")},
    ),
    named(
        "dx-initial-encounter",
        "stress-fracture-m84",
        {"diagnoses": dx("M84.451A", "Pathological fracture, right femur")},
        {"diagnoses": dx("M84.451D", "Pathological fracture, right femur")},
    ),
    named(
        "dx-initial-encounter",
        "osteoporotic-fracture-m80",
        {"diagnoses": dx("M80.08XA", "Age-related osteoporosis with fracture, vertebra(e)")},
        {"diagnoses": dx("M80.08XD", "Age-related osteoporosis with fracture, vertebra(e)")},
    ),
    named(
        "dx-initial-encounter",
        "vertebral-fatigue-fracture-m48-4",
        {"diagnoses": dx("M48.46XA", "Fatigue fracture of vertebra, lumbar region")},
        {"diagnoses": dx("M48.46XD", "Fatigue fracture of vertebra, lumbar region")},
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
        "medicare-restricted-code",
        {"lines": (L97112, L97110, line("97026", 1, 10))},
        {"lines": (L97112, AMA_97110, line("97026", 1, 10)), "payer": COMMERCIAL},
    ),
    case(
        "medicare-noncovered-code",
        {"lines": (L97112, L97110, line("97039", 1, 10))},
        {"lines": (L97112, L97110, line("97012", 1, 10))},
    ),
    case(
        "medicare-contractor-priced",
        {"lines": (L97112, L97110, line("97799", 1, 10))},
        {"lines": (L97112, AMA_97110, line("97799", 1, 10)), "payer": COMMERCIAL},
    ),
    case(
        "ot-code-by-pt",
        {"lines": (line("97165", 1, 40), L97112, L97110)},
        {"lines": (line("97161", 1, 40), L97112, L97110)},
    ),
    named(
        "pta-evaluation",
        "claim-by-a-pta",
        {"therapist_credential": Credential.PTA, "lines": EVALUATION_ONLY},
        {"therapist_credential": Credential.PT, "lines": EVALUATION_ONLY},
    ),
    named(
        "pta-evaluation",
        "line-by-the-assistant",
        {"lines": (by_assistant(line("97164", 1, 20, "GP", "XU")), L97112, L97110)},
        {"lines": (line("97164", 1, 20, "GP", "XU"), L97112, L97110)},
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
    named(
        "line-kept-off",
        "test-kept-off-by-the-evaluation",
        {"lines": (line("97161", 1, 30),), "documented_codes": ("97161", "97750")},
        {"lines": (line("97161", 1, 30),), "documented_codes": ("97161",)},
    ),
    named(
        "line-kept-off",
        "indicator-0-pair",
        {
            "edit_pairs": (EditPair("97112", "97110", 0, date(2020, 1, 1)),),
            "lines": (L97112,),
            "documented_codes": ("97112", "97110"),
        },
        {
            "edit_pairs": (EditPair("97112", "97110", 0, date(2020, 1, 1), date(2026, 4, 14)),),
            "lines": (L97112,),
            "documented_codes": ("97112", "97110"),
        },
    ),
    # modifiers (§4)
    named("gp-missing", "no-modifier", {"lines": with_modifiers()}, {}),
    named("gp-missing", "go-instead-of-gp", {"lines": with_modifiers("GO")}, {}),
    named(
        "gp-missing",
        "sometimes-therapy-code",
        {"lines": (L97112, L97110, bare(line("95851", 1, 10)))},
        {"lines": (L97112, L97110, line("95851", 1, 10, "GP"))},
    ),
    named(
        "gp-missing",
        "self-pay-needs-no-modifiers",
        {"lines": with_modifiers()},
        {"lines": with_modifiers(), "payer": SELF_PAY},
    ),
    # The units engine decides how many units carry CQ (§10.2); these inputs give the same
    # answer under the old de-minimis rule and the per-unit rule.
    named(
        "cq-missing",
        "the-engine-gives-a-cq-unit",
        {"lines": (L97112, replace(L97110, pta_minutes=16))},
        {"lines": (L97112, line("97110", 1, 23, "GP", "CQ", pta=16))},
    ),
    named(
        "cq-missing",
        "the-pts-own-full-block-bills-without-cq",
        {"lines": (L97112, replace(L97110, pta_minutes=16))},
        {"lines": (L97112, replace(L97110, pta_minutes=8))},
    ),
    named(
        "cq-missing",
        "untimed-by-the-assistant-without-minutes",
        {"lines": (L97112, L97110, by_assistant(line("97012", 1, 0)))},
        {"lines": (L97112, L97110, by_assistant(line("97012", 1, 0), "GP", "CQ"))},
    ),
    named(
        "cq-missing",
        "fewer-cq-units-than-the-engine-gives",
        # 38 minutes → 3 units; the PT alone did 15: 1 unit GP, 2 units GP CQ
        {"lines": (line("97110", 2, 15), line("97110", 1, 23, "GP", "CQ", pta=23))},
        {"lines": (line("97110", 1, 15), line("97110", 2, 23, "GP", "CQ", pta=23))},
    ),
    named(
        "cq-missing",
        "self-pay-needs-no-cq",
        {"lines": (L97112, replace(L97110, pta_minutes=16))},
        {"lines": (L97112, replace(L97110, pta_minutes=16)), "payer": SELF_PAY},
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
        "evaluation-only-visit-needs-no-plan",
        {"plan_of_care": None, "lines": EVALUATION_AND_TREATMENT},
        {"plan_of_care": None, "lines": EVALUATION_ONLY},
    ),
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
        {"plan_of_care": plan(cert_through=date(2026, 4, 30))},
    ),
    case(
        "poc-before-start",
        {"plan_of_care": plan(start_date=date(2026, 4, 16))},
        {"plan_of_care": plan(start_date=date(2026, 4, 15))},
    ),
    named(
        "poc-discharged",
        "discharged-the-day-before",
        {"plan_of_care": DISCHARGED},
        {"plan_of_care": replace(DISCHARGED, discharged_on=DOS)},  # the discharge visit itself
    ),
    named(
        "poc-discharged",
        "the-new-episodes-evaluation",
        {"plan_of_care": DISCHARGED},
        {"plan_of_care": DISCHARGED, "lines": EVALUATION_ONLY},
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
        "ends-within-14-days",
        {"plan_of_care": plan(cert_through=date(2026, 4, 29))},
        {"plan_of_care": plan(cert_through=date(2026, 4, 30))},
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
    named(
        "progress-report-due",
        "the-payers-own-interval",
        {"payer": replace(MEDICARE, progress_report_visits=4)},  # day 4 since the 4/6 report
        {"payer": replace(MEDICARE, progress_report_visits=5)},
    ),
    named(
        "progress-report-due",
        "calendar-days",
        {"payer": replace(MEDICARE, progress_report_days=9)},  # 4/6 to 4/15
        {"payer": replace(MEDICARE, progress_report_days=10)},
    ),
    named(
        "progress-report-due",
        "a-payer-without-an-interval",
        {"history": NINE_DAYS},
        {"history": NINE_DAYS, "payer": replace(MEDICARE, progress_report_visits=None)},
    ),
    # the payer's plan-of-care and certification rules (§6.10)
    named(
        "poc-missing",
        "a-payer-that-needs-no-plan",
        {"plan_of_care": None},
        {"plan_of_care": None, "payer": replace(MEDICARE, requires_plan_of_care=False)},
    ),
    named(
        "poc-recert-due",
        "the-payers-certification-period",
        {"payer": replace(MEDICARE, certification_days=88)},  # 2026-03-02 to 05-29: 89 days
        {"payer": replace(MEDICARE, certification_days=89)},
    ),
    named(
        "poc-cert-late",
        "a-payer-that-asks-no-certification",
        {"plan_of_care": plan(certified_on=None)},
        {
            "plan_of_care": plan(certified_on=None),
            "payer": replace(MEDICARE, certification_days=None),
        },
    ),
    # referral, visits a year, prior authorization (§6.10)
    named(
        "referral-missing",
        "plan-names-no-referring-physician",
        {"payer": REFERRAL_PAYER},
        {"payer": REFERRAL_PAYER, "plan_of_care": plan(certified_by_name="Dr. Jordan Avery")},
    ),
    named("referral-missing", "the-payer-needs-none", {"payer": REFERRAL_PAYER}, {}),
    case(
        "visit-limit-exceeded",
        {"payer": LIMITED, "visits_this_year": 30},
        {"payer": LIMITED, "visits_this_year": 29},
    ),
    named(
        "auth-missing",
        "none-on-file",
        {"payer": AUTH_PAYER},
        {"payer": AUTH_PAYER, "authorizations": (AUTH,)},
    ),
    named("auth-missing", "the-payer-needs-none", {"payer": AUTH_PAYER}, {}),
    named("auth-outside-dates", "starts-the-next-day", auth(start_date=date(2026, 4, 16)), auth()),
    named(
        "auth-outside-dates",
        "ended-the-day-before",
        auth(end_date=date(2026, 4, 14)),
        auth(end_date=date(2026, 4, 30)),
    ),
    case("auth-visits-exceeded", auth(visits_before=12), auth(visits_before=9)),
    case(
        "auth-units-exceeded",
        auth(units=(("97112", 10),), units_before=(("97112", 9),)),  # 9 + 2 billed today
        auth(units=(("97112", 10),), units_before=(("97112", 8),)),
    ),
    named("auth-ending", "the-last-two-visits", auth(visits_before=10), auth(visits_before=9)),
    named(
        "auth-ending",
        "a-week-before-the-end",
        auth(end_date=DOS + timedelta(days=7)),
        auth(end_date=DOS + timedelta(days=8)),
    ),
    # one claim per patient per day (§10.1)
    named(
        "duplicate-claim",
        "same-code-on-an-open-claim",
        {"same_day_claims": same_day(412, "needs_review", "97140", "97110")},
        {"same_day_claims": same_day(412, "needs_review", "97140")},
    ),
    named(
        "same-day-claim-closed",
        "approved",
        {"same_day_claims": same_day(412, "approved", "97140")},
        {"same_day_claims": same_day(412, "returned", "97140")},
    ),
    named(
        "same-day-claim-closed",
        "submitted",
        {"same_day_claims": same_day(412, "submitted", "97140")},
        {"same_day_claims": same_day(412, "needs_review", "97140")},
    ),
    # timely filing (§10.10)
    named(
        "timely-filing-near",
        "30-days-left",
        {"payer": MEDICARE_365, "today": DEADLINE - timedelta(days=30)},
        {"payer": MEDICARE_365, "today": DEADLINE - timedelta(days=31)},
    ),
    named(
        "timely-filing-near",
        "on-the-deadline-day",
        {"payer": MEDICARE_365, "today": DEADLINE},
        {"payer": MEDICARE, "today": DEADLINE},  # the payer's window is not known
    ),
    named(
        "timely-filing-passed",
        "the-day-after-the-deadline",
        {"payer": MEDICARE_365, "today": DEADLINE + timedelta(days=1)},
        {"payer": MEDICARE_365, "today": None},  # no date to check against
    ),
    # what the claim must carry to be sent (§11)
    case(
        "claim-data-missing",
        {"billing_gaps": (BillingGap("patient", ("street address",), "the patient's page"),)},
        {"billing_gaps": ()},
    ),
    case(
        "charge-missing",
        {"charges_checked": True, "line_charges": (LineCharge("97110", None, Decimal("30")),)},
        # charges not looked up (a claim priced without its clinic): nothing to judge
        {"charges_checked": False, "line_charges": (LineCharge("97110", None, Decimal("30")),)},
    ),
    case(
        "charge-below-allowed",
        {
            "charges_checked": True,
            "line_charges": (LineCharge("97110", Decimal("29.99"), Decimal("30.00")),),
        },
        {
            "charges_checked": True,
            "line_charges": (LineCharge("97110", Decimal("30.00"), Decimal("30.00")),),
        },
    ),
    # reference data (§10.6)
    case("reference-not-loaded", {"missing_reference": (FY2027_NOT_LOADED,)}, {}),
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
        assert rule.source.startswith("docs/billing-rules.md §")


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


# --- §10: the December 2026 clarifications -----------------------------------------------------


# §10.3 who may do what


def test_pta_may_not_bill_an_evaluation() -> None:
    finding = only(
        make_claim(therapist_credential=Credential.PTA, lines=EVALUATION_ONLY), "pta-evaluation"
    )
    assert finding.line_code == "97161"
    assert "97161" in finding.message
    assert "the claim's treating clinician is a PTA" in finding.message
    assert finding.severity == Severity.ERROR


def test_an_evaluation_line_marked_as_the_assistants_is_a_pta_evaluation() -> None:
    lines = (by_assistant(line("97164", 1, 20, "GP", "XU")), L97112, L97110)
    finding = only(make_claim(lines=lines), "pta-evaluation")
    assert finding.line_code == "97164"
    assert "marked as furnished by the assistant" in finding.message


def test_a_ptas_evaluation_is_not_asked_for_cq() -> None:
    # CQ never makes an evaluation billable: only pta-evaluation speaks about 97161.
    lines = (line("97161", 1, 45), *with_modifiers("GP", "CQ"))
    claim = make_claim(therapist_credential=Credential.PTA, lines=lines)
    assert rule_ids(claim) == ["pta-evaluation"]


def test_pt_only_codes_are_the_pt_evaluations() -> None:
    assert PT_ONLY_CODES == PT_EVALUATIONS == {"97161", "97162", "97163", "97164"}


# §10.5 plan of care


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["97161"], True),
        (["97164"], True),
        (["97162", "97162"], True),
        (["97161", "97110"], False),
        (["97165"], False),  # an OT evaluation is not the PT's evaluation
        ([], False),
    ],
)
def test_is_evaluation_only(codes: list[str], expected: bool) -> None:
    assert is_evaluation_only(iter(codes)) is expected


PLAN_PROBLEMS = {
    "no-plan": None,
    "not-certified-after-30-days": plan(certified_on=None),
    "before-the-plan-starts": plan(start_date=date(2026, 4, 16)),
    "after-the-certification": plan(cert_through=date(2026, 4, 14)),
    "discharged": DISCHARGED,
}


@pytest.mark.parametrize("problem", PLAN_PROBLEMS)
def test_an_evaluation_only_visit_needs_no_prior_plan_of_care(problem: str) -> None:
    plan_of_care = PLAN_PROBLEMS[problem]
    treatment = rule_ids(make_claim(plan_of_care=plan_of_care, lines=EVALUATION_AND_TREATMENT))
    assert [r for r in treatment if r.startswith("poc-")]  # treatment still needs the plan
    assert rule_ids(make_claim(plan_of_care=plan_of_care, lines=EVALUATION_ONLY)) == []


def test_a_zero_unit_treatment_line_leaves_the_visit_evaluation_only() -> None:
    lines = (line("97161", 1, 45), line("97110", 0, 5))  # §10.11: 0 units is not a claim line
    assert "poc-missing" not in rule_ids(make_claim(plan_of_care=None, lines=lines))


def test_poc_before_start_is_its_own_rule() -> None:
    claim = make_claim(plan_of_care=plan(start_date=date(2026, 4, 16)))
    assert rule_ids(claim) == ["poc-before-start"]
    finding = only(claim, "poc-before-start")
    assert "2026-04-15 is before the plan starts (2026-04-16)" in finding.message


def test_poc_outside_cert_keeps_the_after_certification_case() -> None:
    finding = only(
        make_claim(plan_of_care=plan(cert_through=date(2026, 4, 14))), "poc-outside-cert"
    )
    assert "2026-04-15 is after the certification ended (2026-04-14)" in finding.message


def test_a_discharged_plan_covers_no_later_visit() -> None:
    # The discharged plan's own certification problems are not reported: it is not in force.
    claim = make_claim(plan_of_care=replace(DISCHARGED, certified_on=None))
    assert rule_ids(claim) == ["poc-discharged"]
    finding = only(claim, "poc-discharged")
    assert "discharged on 2026-04-14" in finding.message
    assert "2026-04-15" in finding.message
    assert "new plan of care" in finding.fix


@pytest.mark.parametrize(
    "plan_of_care",
    [
        pytest.param(replace(DISCHARGED, discharged_on=DOS), id="the-discharge-visit-itself"),
        pytest.param(replace(DISCHARGED, status="on_hold"), id="on-hold"),
        pytest.param(replace(DISCHARGED, status="active"), id="active"),
    ],
)
def test_only_a_plan_discharged_before_the_visit_is_discharged(plan_of_care: PlanOfCare) -> None:
    assert "poc-discharged" not in rule_ids(make_claim(plan_of_care=plan_of_care))


# §10.1 one claim per patient per day


def test_duplicate_claim_names_the_code_and_the_other_claim() -> None:
    claim = make_claim(same_day_claims=same_day(412, "needs_review", "97140", "97110"))
    (finding,) = scrub(claim).findings
    assert finding.rule_id == "duplicate-claim"
    assert finding.line_code == "97110"
    assert finding.message.startswith("97110 is also billed on claim 412 ")
    assert "CARC 18" in finding.message


def test_duplicate_claim_flags_each_shared_code_and_names_every_claim() -> None:
    others = (
        SameDayClaim(claim_id=412, status="needs_review", codes=("97112", "97110")),
        SameDayClaim(claim_id=415, status="returned", codes=("97110",)),
    )
    findings = scrub(make_claim(same_day_claims=others)).findings
    assert [(f.rule_id, f.line_code) for f in findings] == [
        ("duplicate-claim", "97112"),
        ("duplicate-claim", "97110"),
    ]
    assert "on claim 412 " in findings[0].message
    assert "on claims 412 and 415 " in findings[1].message


def test_a_zero_unit_line_is_not_a_duplicate() -> None:
    lines = (L97112, L97110, line("97140", 0, 5))
    assert rule_ids(make_claim(lines=lines, same_day_claims=same_day(412, "approved"))) == [
        "same-day-claim-closed"
    ]
    assert "duplicate-claim" not in rule_ids(
        make_claim(lines=lines, same_day_claims=same_day(412, "needs_review", "97140"))
    )


@pytest.mark.parametrize(
    ("status", "closed"),
    [("needs_review", False), ("returned", False), ("approved", True), ("submitted", True)],
)
def test_a_same_day_claim_that_left_review_needs_a_corrected_claim(
    status: str, closed: bool
) -> None:
    claim = make_claim(same_day_claims=same_day(412, status, "97140"))
    assert rule_ids(claim) == (["same-day-claim-closed"] if closed else [])
    if closed:
        finding = only(claim, "same-day-claim-closed")
        assert finding.message.startswith(
            f"Claim 412 of the same patient and date is already {status}"
        )
        assert "corrected claim of claim 412" in finding.fix


def test_a_closed_same_day_claim_with_the_same_code_is_also_a_duplicate() -> None:
    claim = make_claim(same_day_claims=same_day(412, "approved", "97112"))
    assert rule_ids(claim) == ["duplicate-claim", "same-day-claim-closed"]


# §10.10 timely filing


def test_timely_filing_deadline_is_the_date_of_service_plus_the_window() -> None:
    assert timely_filing_deadline(make_claim(payer=MEDICARE_365)) == date(2027, 4, 15)
    ninety = replace(COMMERCIAL, timely_filing_days=90)
    assert timely_filing_deadline(make_claim(payer=ninety)) == date(2026, 7, 14)
    assert timely_filing_deadline(make_claim(payer=MEDICARE)) is None


@pytest.mark.parametrize(
    ("days_left", "expected"),
    [
        (TIMELY_FILING_WARNING_DAYS + 1, []),
        (TIMELY_FILING_WARNING_DAYS, ["timely-filing-near"]),
        (1, ["timely-filing-near"]),
        (0, ["timely-filing-near"]),
        (-1, ["timely-filing-passed"]),
        (-200, ["timely-filing-passed"]),
    ],
)
def test_timely_filing_warns_within_30_days_and_errs_once_past(
    days_left: int, expected: list[str]
) -> None:
    assert TIMELY_FILING_WARNING_DAYS == 30
    claim = make_claim(payer=MEDICARE_365, today=DEADLINE - timedelta(days=days_left))
    assert rule_ids(claim) == expected


def test_timely_filing_messages_give_the_deadline_and_the_days() -> None:
    near = only(
        make_claim(payer=MEDICARE_365, today=DEADLINE - timedelta(days=12)), "timely-filing-near"
    )
    assert "The filing deadline is 2027-04-15, 12 days from today" in near.message
    assert "365 days after the date of service (2026-04-15)" in near.message
    passed = only(
        make_claim(payer=MEDICARE_365, today=DEADLINE + timedelta(days=1)), "timely-filing-passed"
    )
    assert "The filing deadline passed on 2027-04-15, 1 day ago" in passed.message
    assert scrub(make_claim(payer=MEDICARE_365, today=DEADLINE + timedelta(days=1))).blocks_approval


# §10.6 figures not loaded


def test_each_missing_reference_sentence_is_a_warning_of_its_own() -> None:
    result = scrub(make_claim(missing_reference=(FY2027_NOT_LOADED, RVUS_NOT_LOADED)))
    assert [(f.rule_id, f.message) for f in result.findings] == [
        ("reference-not-loaded", FY2027_NOT_LOADED),
        ("reference-not-loaded", RVUS_NOT_LOADED),
    ]
    assert (result.error_count, result.warning_count) == (0, 2)
    assert not result.blocks_approval


# §10.12 medical necessity text


def test_the_template_statement_would_pass_the_word_count_alone() -> None:
    # What makes necessity-template needed: the §6.5 heuristic on the whole text is satisfied.
    assert len(meaningful_words(TEMPLATE_STATEMENT)) >= MIN_NECESSITY_WORDS
    assert states_skilled_need(TEMPLATE_STATEMENT)


def test_necessity_template_quotes_the_phrases_and_what_is_left() -> None:
    finding = only(
        make_claim(note=note(medical_necessity=TEMPLATE_STATEMENT)), "necessity-template"
    )
    assert '"Skilled services per the plan of care"' in finding.message
    assert '"tolerated treatment well"' in finding.message
    assert '"Continue per POC"' in finding.message
    assert "no words stating skilled need" in finding.message
    assert "meaningful words (at least" not in finding.message  # 14 words are left


def test_necessity_template_replaces_necessity_thin() -> None:
    claim = make_claim(note=note(medical_necessity="Tolerated treatment well. Continue per POC."))
    assert rule_ids(claim) == ["necessity-template"]
    assert (
        "only 0 meaningful words (at least 12 expected)"
        in only(claim, "necessity-template").message
    )


@pytest.mark.parametrize("phrase", TEMPLATE_PHRASES)
def test_every_template_phrase_is_found_and_removed(phrase: str) -> None:
    text = f"Gait on stairs; {phrase.upper()}; knee flexion 95 degrees."
    assert [p.lower() for p in template_phrases(text)] == [phrase]
    assert without_template_phrases(text) == "Gait on stairs; ; knee flexion 95 degrees."


def test_template_phrases_match_across_punctuation_and_overlap() -> None:
    text = "Pt. tolerated treatment well, continue   per the plan of care."
    assert template_phrases(text) == [
        "Pt. tolerated",
        "tolerated treatment well",
        "continue per the plan of care",
    ]
    assert without_template_phrases(text) == ", ."


def test_template_words_inside_other_words_are_kept() -> None:
    # "per poc" only as whole words: "super pocket" is not a template.
    assert template_phrases("Super pocket of tolerated wellness") == []


def test_normalise_for_copy_drops_case_dates_digits_and_spacing() -> None:
    text = "Seen 4/14/2026, April 14, 2026 and 14th April:  3 x 10 reps\n2026-04-14"
    assert normalise_for_copy(text) == "seen , and : x reps"


def ratio(a: str, b: str) -> float:
    return SequenceMatcher(
        None, normalise_for_copy(a), normalise_for_copy(b), autojunk=False
    ).ratio()


def test_near_copy_threshold_is_0_9() -> None:
    assert NEAR_COPY_RATIO == 0.9
    # The table's near copy and rewrite sit on either side of the threshold.
    assert 0.9 <= ratio(STATEMENT, NEAR_COPY) < 0.91
    assert 0.89 < ratio(STATEMENT, JUST_NOT_A_COPY) < 0.9


def test_necessity_copied_says_word_for_word_or_nearly() -> None:
    exact = only(
        make_claim(history=(*HISTORY, EarlierVisit(date(2026, 4, 14), STATEMENT))),
        "necessity-copied",
    )
    assert exact.message == (
        "The necessity statement is word for word the one of the visit on 2026-04-14."
    )
    near = only(
        make_claim(history=(*HISTORY, EarlierVisit(date(2026, 4, 14), NEAR_COPY))),
        "necessity-copied",
    )
    assert near.message.startswith("The necessity statement is nearly word for word (90% the")
    assert near.message.endswith("the one of the visit on 2026-04-14.")


def test_necessity_copied_names_the_latest_earlier_copy() -> None:
    history = (
        *HISTORY,
        EarlierVisit(date(2026, 4, 9), STATEMENT),
        EarlierVisit(date(2026, 4, 14), NEAR_COPY),
    )
    assert "visit on 2026-04-14" in only(make_claim(history=history), "necessity-copied").message


@given(st.dates(date(2025, 1, 1), date(2026, 4, 14)), st.dates(date(2025, 1, 1), date(2026, 4, 14)))
def test_a_statement_with_only_its_date_changed_is_a_copy(earlier: date, today: date) -> None:
    def stated(day: date) -> str:
        return f"{STATEMENT} Reassessed {day:%m/%d/%Y} and on {day:%B} {day.day}, {day.year}."

    history = (EarlierVisit(date(2026, 4, 14), stated(earlier)),)
    claim = make_claim(note=note(medical_necessity=stated(today)), history=history)
    assert rule_ids(claim) == ["necessity-copied"]


# §10.7 7th characters


@pytest.mark.parametrize(
    ("code", "subsequent"),
    [
        ("S83.511A", "S83.511D"),
        ("s83.511a", "S83.511D"),
        ("T84.010A", "T84.010D"),
        ("S72.001B", "S72.001E"),  # open fracture type I/II: E is its routine healing
        ("S72.001C", "S72.001F"),  # open fracture type IIIA-C: F
        ("S82.001B", "S82.001E"),
        ("S52.501C", "S52.501F"),
        ("S42.001B", "S42.001D"),  # open fractures not typed: D for open and closed alike
        ("S02.0XXB", "S02.0XXD"),
        ("M84.451A", "M84.451D"),
        ("M80.08XA", "M80.08XD"),
        ("M48.46XA", "M48.46XD"),
        ("M48.50XA", "M48.50XD"),
        ("M97.01XA", "M97.01XD"),
    ],
)
def test_initial_encounters_and_their_subsequent_code(code: str, subsequent: str) -> None:
    assert is_initial_encounter(code)
    assert subsequent_encounter_code(code) == subsequent


@pytest.mark.parametrize(
    "code",
    [
        "S83.511D",  # subsequent
        "S83.511S",  # sequela
        "M84.451D",
        "M1A.0110",  # gout: the 7th character is the tophus, not an encounter
        "H54.413A",  # visual impairment category: A is not an encounter
        "M48.06",  # spinal stenosis: not a fracture category
        "M25.561",
        "S83.51",  # a header, not 7 characters
        "S72.00A",  # 6 characters: the A is not a 7th character
    ],
)
def test_other_codes_are_not_initial_encounters(code: str) -> None:
    assert not is_initial_encounter(code)
    assert subsequent_encounter_code(code) is None
    assert "dx-initial-encounter" not in rule_ids(make_claim(diagnoses=dx(code, "Some title")))


def test_initial_fracture_encounter_names_the_7th_character_and_the_fix() -> None:
    finding = only(
        make_claim(diagnoses=dx("S72.001B", "Fracture of right femoral neck, open type I or II")),
        "dx-initial-encounter",
    )
    assert finding.message.startswith("S72.001B is an injury code with 7th character B")
    assert "S72.001E" in finding.fix
    stress = only(
        make_claim(diagnoses=dx("M84.451A", "Pathological fracture, right femur")),
        "dx-initial-encounter",
    )
    assert stress.message.startswith("M84.451A is a fracture code with 7th character A")
    assert "M84.451D" in stress.fix


# §10.4 GP on every service


@pytest.mark.parametrize("code", ["95851", "97598"])
def test_gp_on_every_known_code_sometimes_therapy_included(code: str) -> None:
    claim = make_claim(lines=(L97112, L97110, bare(line(code, 1, 10))))
    finding = only(claim, "gp-missing")
    assert finding.line_code == code
    assert '"sometimes therapy" codes need GP too' in finding.message


def test_an_unknown_code_is_code_unknown_not_gp_missing() -> None:
    claim = make_claim(lines=(L97112, L97110, bare(line("97999", 1, 10))))
    assert rule_ids(claim) == ["code-unknown"]


def test_self_pay_needs_no_modifiers_even_from_a_pta() -> None:
    lines = (L97112, line("97110", 1, 23, pta=16), by_assistant(line("97012", 1, 0)))
    bare_lines = tuple(bare(claim_line) for claim_line in lines)
    claim = make_claim(payer=SELF_PAY, therapist_credential=Credential.PTA, lines=bare_lines)
    assert rule_ids(claim) == []
    assert set(rule_ids(replace(claim, payer=MEDICARE))) == {"gp-missing", "cq-missing"}


# §10.2 CQ


def test_cq_missing_names_the_engines_cq_units() -> None:
    finding = only(make_claim(lines=(L97112, replace(L97110, pta_minutes=16))), "cq-missing")
    assert finding.line_code == "97110"
    assert finding.message == (
        "97110: the assistant furnished 16 of its 23 minutes, so 1 unit must carry CQ, but 0 "
        "billed with CQ."
    )
    assert finding.fix == "Append CQ (with GP) to 97110."


def test_cq_missing_counts_the_units_on_the_codes_cq_lines() -> None:
    lines = (line("97110", 2, 15), line("97110", 1, 23, "GP", "CQ", pta=23))
    finding = only(make_claim(lines=lines), "cq-missing")
    assert "23 of its 38 minutes, so 2 units must carry CQ, but 1 billed with CQ" in finding.message
    assert finding.fix.startswith(
        "Split 97110: 2 units furnished in whole or part by the assistant on a GP CQ line"
    )


def test_an_untimed_service_by_the_assistant_carries_cq_whatever_its_minutes() -> None:
    for minutes in (0, 15):
        claim = make_claim(lines=(L97112, L97110, by_assistant(line("97012", 1, minutes))))
        finding = only(claim, "cq-missing")
        assert finding.line_code == "97012"
        assert "untimed" in finding.message


def test_a_timed_line_marked_as_the_assistants_follows_the_engines_cq_units() -> None:
    # 8 of 23 minutes by the assistant: the PT's own 15-minute block carries the one unit.
    shared = by_assistant(replace(L97110, pta_minutes=8))
    assert rule_ids(make_claim(lines=(L97112, shared))) == []
    assert rule_ids(make_claim(lines=(L97112, replace(shared, pta_minutes=16)))) == ["cq-missing"]


def test_a_ptas_visit_needs_cq_on_every_line() -> None:
    lines = (replace(L97112, modifiers=("GP", "CQ")), L97110)
    claim = make_claim(therapist_credential=Credential.PTA, lines=lines)
    assert [(f.rule_id, f.line_code) for f in scrub(claim).findings] == [("cq-missing", "97110")]


def test_cq_the_engine_did_not_ask_for_is_not_flagged() -> None:
    assert rule_ids(make_claim(lines=with_modifiers("GP", "CQ"))) == []


@given(
    st.integers(min_value=8, max_value=75),
    st.integers(min_value=0, max_value=75),
    st.integers(min_value=0, max_value=5),
)
def test_cq_missing_fires_exactly_when_fewer_cq_units_than_the_engine_gives(
    minutes: int, pta: int, cq_billed: int
) -> None:
    pta = min(pta, minutes)
    engine = compute_units(
        UnitsRequest(
            services=(ServiceInput("97110", minutes, timed=True, pta_minutes=pta),),
            method=Method.CMS,
        )
    )
    supported = engine.lines[0]
    cq_billed = min(cq_billed, supported.units)
    lines = (
        ClaimLine("97110", supported.units - cq_billed, ("GP",), minutes - pta),
        ClaimLine("97110", cq_billed, ("GP", "CQ"), pta, pta_minutes=pta),
    )
    fired = "cq-missing" in rule_ids(make_claim(lines=lines))
    assert fired is (cq_billed < supported.cq_units)


# §10.9 MUE adjudication indicator


@pytest.mark.parametrize(
    ("mai", "tail", "fix"),
    [
        (1, " (MAI 1, a line edit: units over the MUE on one line are denied).", "on the line"),
        (
            2,
            " (MAI 2, an absolute per-day limit set by policy: units over it are denied and "
            "cannot be appealed).",
            "not even on appeal",
        ),
        (
            3,
            " (MAI 3, a per-day limit from clinical benchmarks: a MAC may pay more on appeal "
            "with documentation).",
            "appeal with the documentation",
        ),
        (None, ".", "units over the MUE are denied"),
    ],
)
def test_mue_exceeded_explains_the_mai(mai: int | None, tail: str, fix: str) -> None:
    limits = (UnitLimit("97112", 4, mai=mai),)
    claim = make_claim(unit_limits=limits, lines=(line("97112", 5, 75), line("97110", 1, 15)))
    finding = only(claim, "mue-exceeded")
    assert finding.message == "97112: 5 units billed; the daily limit (MUE) is 4" + tail
    assert finding.fix.startswith("Bill at most 4")
    assert fix in finding.fix


# §10.8 KX: strictly above


@pytest.mark.parametrize(
    ("ytd", "fires"),
    [("2418.00", False), ("2418.01", True)],  # + 62.00 this visit against $2,480
)
def test_kx_is_needed_only_strictly_above_the_threshold(ytd: str, fires: bool) -> None:
    assert ("kx-missing" in rule_ids(make_claim(kx=kx(ytd)))) is fires


@pytest.mark.parametrize(("ytd", "fires"), [("2938.00", False), ("2938.01", True)])
def test_the_review_threshold_is_strictly_above_3000(ytd: str, fires: bool) -> None:
    claim = make_claim(kx=kx(ytd), lines=with_modifiers("GP", "KX"))
    assert ("kx-review-threshold" in rule_ids(claim)) is fires


# sources and the pipeline's fields


def test_sources_cite_the_repositorys_own_rules() -> None:
    text = (REPO / "claims" / "scrubber.py").read_text()
    assert "/work/shared" not in text
    assert "``docs/billing-rules.md``" in text.split('"""')[1]  # the module docstring
    assert RULES["pta-evaluation"].source == "docs/billing-rules.md §10.3 (BPM 15 §230.1, §220.3)"
    assert RULES["necessity-missing"].source == "docs/billing-rules.md §6.5 (BPM 15 §220)"


def test_new_fields_have_defaults_so_existing_callers_keep_working() -> None:
    claim = ClaimFacts(
        date_of_service=DOS,
        payer=Payer(name="P", kind=PayerKind.COMMERCIAL, unit_method=Method.AMA),
        therapist_credential=Credential.PT,
        lines=(ClaimLine(code="97110", units=1),),
        diagnoses=(),
        code_facts=(),
        note=VisitNote(medical_necessity=""),
        plan_of_care=PlanOfCare(start_date=DOS, first_visit_date=DOS),
    )
    assert claim.today is None
    assert claim.same_day_claims == ()
    assert claim.missing_reference == ()
    assert claim.lines[0].by_assistant is False
    assert claim.payer.timely_filing_days is None
    assert claim.plan_of_care is not None
    assert (claim.plan_of_care.status, claim.plan_of_care.discharged_on) == ("active", None)
    assert UnitLimit(code="97110", max_units=6).mai is None
    other = SameDayClaim(claim_id=7, status="approved", codes=("97110",))
    with pytest.raises(AttributeError):
        other.status = "returned"  # type: ignore[misc]  # frozen: the point of the test


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


def test_scrubber_imports_only_the_standard_library_the_units_engine_and_code_groups() -> None:
    tree = ast.parse((REPO / "claims" / "scrubber.py").read_text())
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    outside = {
        m
        for m in modules
        if m.split(".")[0] not in sys.stdlib_module_names
        and m not in ("coding.units", "coding.code_groups")
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


# --- edges that mutation testing pinned (docs/mutation-testing.md) ------------------------------


def line_codes(claim: ClaimFacts) -> set[str]:
    return {claim_line.code for claim_line in claim.lines} | set(claim.documented_codes)


@pytest.mark.parametrize("c", CASES)
def test_a_finding_about_a_line_names_its_code_and_a_claim_finding_names_none(c: Case) -> None:
    claim = make_claim(**c.trigger)
    for finding in scrub(claim).findings:
        first = finding.message.split()[0].rstrip(":")
        if first in line_codes(claim) and finding.rule_id != "two-evaluations":
            assert finding.line_code == first, finding
        else:
            assert finding.line_code is None, finding


def test_findings_of_one_rule_follow_the_claims_line_order() -> None:
    # The edit pairs come 97140 first, the claim lines 97112 first: findings follow the claim.
    pairs = (
        EditPair("97530", "97140", 0, date(2020, 1, 1)),
        EditPair("97530", "97112", 0, date(2020, 1, 1)),
    )
    lines = (line("97112", 1, 15), line("97530", 1, 15), line("97140", 1, 15))
    findings = scrub(make_claim(lines=lines, edit_pairs=pairs)).findings
    assert [(f.rule_id, f.line_code) for f in findings] == [
        ("ncci-indicator-0", "97112"),
        ("ncci-indicator-0", "97140"),
    ]


def test_an_unknown_code_does_not_stop_the_checks_of_the_codes_after_it() -> None:
    lines = (line("97999", 1, 15), line("97010", 1, 0), L97112)
    assert rule_ids(make_claim(lines=lines)) == ["code-unknown", "medicare-bundled-code"]


def test_a_code_of_the_group_category_is_one_unit_per_session() -> None:
    group = facts("97150G", False, True, "group")
    claim = make_claim(
        lines=(L97112, L97110, line("97150G", 2, 30)), code_facts=(*CODE_FACTS, group)
    )
    assert rule_ids(claim) == ["group-over-one-unit"]
    one = make_claim(lines=(L97112, L97110, line("97150G", 1, 30)), code_facts=(*CODE_FACTS, group))
    assert rule_ids(one) == []


@pytest.mark.parametrize(
    ("first", "title"),
    [
        pytest.param(dx("M54.5", "Low back pain", exists=False, billable=False), "invalid"),
        pytest.param(dx("M54.5", "Low back pain", billable=False), "header"),
    ],
)
def test_a_bad_diagnosis_does_not_stop_the_checks_of_the_next_one(
    first: tuple[Diagnosis], title: str
) -> None:
    side = Diagnosis("M25.569", exists=True, billable=True, title="Pain in unspecified knee")
    ids = rule_ids(make_claim(diagnoses=(*first, side)))
    assert "dx-unspecified-laterality" in ids


def test_a_later_visit_in_the_history_does_not_hide_an_earlier_copy() -> None:
    history = (
        EarlierVisit(date(2026, 4, 20), "Other words."),
        EarlierVisit(DOS - timedelta(2), STATEMENT),
    )
    finding = only(make_claim(history=history), "necessity-copied")
    assert "2026-04-13" in finding.message


def test_a_near_copy_of_a_long_earlier_statement_is_found_without_autojunk() -> None:
    # difflib's autojunk would treat spaces and common letters of the 210-character earlier
    # statement as junk and rate the near copy at 0.82 instead of 0.90.
    history = (EarlierVisit(DOS - timedelta(2), STATEMENT),)
    claim = make_claim(note=note(medical_necessity=NEAR_COPY), history=history)
    assert "necessity-copied" in rule_ids(claim)


def test_a_ratio_of_exactly_0_9_is_a_near_copy() -> None:
    # 9 of 10 + 11 characters match: 2 x 9 / 20 = 0.9, and the quick bounds are 0.9 too.
    history = (EarlierVisit(DOS - timedelta(2), "abcdefghijk"),)
    claim = make_claim(note=note(medical_necessity="abcdefghi"), history=history)
    assert ratio("abcdefghi", "abcdefghijk") == NEAR_COPY_RATIO
    assert "necessity-copied" in rule_ids(claim)


def _reference_near_copy(text: str, earlier: str) -> float | None:
    """The near-copy ratio as difflib computes it, bounds and all (what the rule must match)."""
    a, b = normalise_for_copy(text), normalise_for_copy(earlier)
    if not a or not b:
        return None
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    if matcher.real_quick_ratio() < NEAR_COPY_RATIO or matcher.quick_ratio() < NEAR_COPY_RATIO:
        return None
    found = matcher.ratio()
    return found if found >= NEAR_COPY_RATIO else None


@given(
    st.text(alphabet="abc de1/", max_size=40),
    st.text(alphabet="abc de1/", max_size=40),
)
def test_the_near_copy_ratio_is_difflibs_without_building_a_matcher_each_time(
    text: str, earlier: str
) -> None:
    assert _near_copy_ratio(text, earlier) == _reference_near_copy(text, earlier)


def test_statements_the_same_but_for_dates_and_numbers_are_a_full_copy() -> None:
    assert _near_copy_ratio("Gait 3x10 on 4/14/2026", "gait 2x12 on 5/1/2026") == 1.0
    history = (EarlierVisit(DOS - timedelta(2), STATEMENT.replace("a", "a 7", 1)),)
    finding = only(make_claim(history=history), "necessity-copied")
    assert "(100% the same once dates and numbers are removed)" in finding.message
    assert finding.fix == (
        "Write today's statement from today's findings: what changed, what skill was needed today."
    )


def test_statements_far_apart_are_ruled_out_without_the_costly_ratio(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def no_matcher(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the bounds should have ruled this pair out")

    monkeypatch.setattr("claims.scrubber.SequenceMatcher", no_matcher)
    # Lengths 4 and 6: 2 x 4 / 10 = 0.8 < 0.9, whatever the letters.
    assert _near_copy_ratio("abcd", "abcdef") is None
    # Same length, 8 of 9 letters in common: 2 x 8 / 18 = 0.89 < 0.9.
    assert _near_copy_ratio("abcd efgh", "abcd efgx") is None
    assert _near_copy_ratio("aaaa bbbb", "cccc dddd") is None


def test_twelve_meaningful_words_with_skilled_need_are_enough() -> None:
    statement = (
        "Skilled cues correct gait deviations after stroke, improving safety walking stairs at home"
    )
    assert len(meaningful_words(statement)) == MIN_NECESSITY_WORDS
    assert "necessity-thin" not in rule_ids(make_claim(note=note(medical_necessity=statement)))
    shorter = statement.removesuffix(" home")
    assert "necessity-thin" in rule_ids(make_claim(note=note(medical_necessity=shorter)))


def test_maintenance_in_the_plan_is_read_as_a_word_of_its_own() -> None:
    statement = (
        "Tactile cues and facilitation of balance reactions prevent falls during transfers; "
        "progression of standing tasks on foam toward community walking"
    )
    claim = make_claim(note=note(medical_necessity=statement, plan="maintenance program at home"))
    assert "maintenance-without-skill" in rule_ids(claim)


def test_units_at_the_codes_limit_are_not_called_under_billing() -> None:
    # 60 minutes of 97530 support 4 units; its limit here is 3, so 3 billed is not under billing.
    limits = (UnitLimit("97530", 3),)
    at_limit = make_claim(lines=(line("97530", 3, 60),), unit_limits=limits)
    assert rule_ids(at_limit) == []
    below = make_claim(lines=(line("97530", 2, 60),), unit_limits=limits)
    assert rule_ids(below) == ["units-below-supported"]


def test_billing_the_suggested_tie_keeps_the_engines_suggestion() -> None:
    # 20 + 20 minutes, no fees: the engine suggests the contested unit for 97110 (code order).
    lines = (line("97110", 2, 20), line("97112", 1, 20))
    units = scrub(make_claim(lines=lines)).units
    assert units is not None
    assert units.ties[0].chosen == ("97110",)
    assert not units.ties[0].chosen_by_therapist
    assert WarningKind.TIE_CHOICE_IGNORED not in {w.kind for w in units.warnings}


def test_billing_no_valid_tie_pick_keeps_the_engines_suggestion() -> None:
    lines = (line("97110", 2, 20), line("97112", 2, 20))
    units = scrub(make_claim(lines=lines)).units
    assert units is not None
    assert units.ties[0].chosen == ("97110",)
    assert not units.ties[0].chosen_by_therapist
    assert WarningKind.TIE_CHOICE_IGNORED not in {w.kind for w in units.warnings}


def test_treatment_days_without_a_plan_count_every_earlier_visit() -> None:
    history = (EarlierVisit(date(2025, 11, 3)), *visits(3))
    assert treatment_days_since_report(make_claim(history=history, plan_of_care=None)) == 5


def test_a_progress_report_on_the_date_of_service_is_not_an_earlier_report() -> None:
    history = (*visits(3), EarlierVisit(DOS, was_progress_report=True))
    assert treatment_days_since_report(make_claim(history=history)) == 4


def test_an_edit_pair_is_in_force_through_its_deletion_date() -> None:
    pair = EditPair("97530", "97140", 1, date(2004, 1, 1), deletion=date(2019, 12, 31))
    assert pair.in_force(date(2019, 12, 31))
    assert not pair.in_force(date(2020, 1, 1))
    assert not pair.in_force(date(2003, 12, 31))
    assert pair.in_force(date(2004, 1, 1))


def test_edit_pairs_read_only_the_known_codes_billed_with_units() -> None:
    pairs = (
        EditPair("97530", "97999", 0, date(2020, 1, 1)),
        EditPair("97162", "97161", 0, date(2017, 1, 1)),
    )
    lines = (line("97530", 1, 15), line("97999", 1, 15), line("97162", 1, 30), line("97161", 0, 0))
    ids = rule_ids(make_claim(lines=lines, edit_pairs=pairs))
    assert "ncci-indicator-0" not in ids
    assert "two-evaluations" not in ids


@pytest.mark.parametrize(
    "claim_line",
    [
        pytest.param(replace(L97110, pta_minutes=30), id="assistant-over-line"),
        pytest.param(replace(L97110, minutes=-5), id="negative-minutes"),
        pytest.param(replace(L97110, pta_minutes=-1), id="negative-assistant-minutes"),
    ],
)
def test_impossible_minutes_are_one_finding_on_their_line(claim_line: ClaimLine) -> None:
    finding = only(make_claim(lines=(L97112, claim_line)), "minutes-invalid")
    assert finding.line_code == "97110"
    assert finding.message.startswith("97110: ")


def test_minutes_the_engine_rejects_are_one_finding_about_the_claim() -> None:
    # Each line is possible, but the two sittings of 97110 add up to more than a day.
    lines = (line("97110", 1, 800), line("97110", 1, 800))
    finding = only(make_claim(lines=lines), "minutes-invalid")
    assert finding.line_code is None
    assert finding.message == (
        "The minutes cannot be right: 97110: 1600 minutes is more than a day (1440)."
    )
    assert scrub(make_claim(lines=lines)).units is None


def test_a_timed_line_with_no_units_is_not_billed_under_8_minutes() -> None:
    assert "units-under-8" not in rule_ids(make_claim(lines=(line("97110", 0, 5),)))


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param((line("97164", 1, 20),), id="re-evaluation-alone"),
        pytest.param((line("97164", 1, 20), line("95851", 1, 10)), id="with-a-sometimes-code"),
        pytest.param((line("97164", 1, 20), line("97165", 1, 20)), id="with-an-ot-evaluation"),
    ],
)
def test_a_re_evaluation_without_therapy_needs_no_59(lines: tuple[ClaimLine, ...]) -> None:
    assert "reeval-with-therapy-no-59" not in rule_ids(make_claim(lines=lines))


def test_the_same_edit_pair_listed_twice_is_one_finding() -> None:
    pair = EditPair("97530", "97140", 0, date(2020, 1, 1))
    lines = (line("97530", 1, 15), line("97140", 1, 15))
    assert rule_ids(make_claim(lines=lines, edit_pairs=(pair, pair))) == ["ncci-indicator-0"]


def test_kx_at_exactly_80_percent_of_the_threshold_is_not_premature() -> None:
    # 80% of $2,480 is $1,984.00: KX is premature only under it.
    kx_lines = with_modifiers("GP", "KX")
    at = make_claim(lines=kx_lines, kx=replace(KX, ytd_allowed_before_visit=Decimal("1922.00")))
    assert "kx-premature" not in rule_ids(at)
    under = make_claim(lines=kx_lines, kx=replace(KX, ytd_allowed_before_visit=Decimal("1921.99")))
    assert "kx-premature" in rule_ids(under)


def test_an_unknown_code_does_not_stop_the_modifier_checks_of_the_codes_after_it() -> None:
    lines = (line("97999", 1, 15), bare(L97112))
    assert rule_ids(make_claim(lines=lines)) == ["code-unknown", "gp-missing"]


def test_a_documented_code_is_kept_off_only_by_a_code_that_is_billed() -> None:
    # 97161 and 97750 are both in the note but neither is billed: nothing keeps 97750 off.
    claim = make_claim(documented_codes=("97112", "97110", "97161", "97750"))
    assert rule_ids(claim) == []


@pytest.mark.parametrize(
    ("lines", "pairs", "blocker"),
    [
        pytest.param((line("97161", 1, 45),), (), "97161", id="not-with-the-evaluation"),
        pytest.param(
            (line("97530", 1, 15),),
            (EditPair("97530", "97750", 0, date(2020, 1, 1)),),
            "97530",
            id="indicator-0",
        ),
    ],
)
def test_line_kept_off_names_the_code_that_keeps_it_off(
    lines: tuple[ClaimLine, ...], pairs: tuple[EditPair, ...], blocker: str
) -> None:
    claim = make_claim(lines=lines, edit_pairs=pairs, documented_codes=(lines[0].code, "97750"))
    finding = only(claim, "line-kept-off")
    assert f"cannot be billed with {blocker} on the same day" in finding.message
    assert f"instead of {blocker}, correct the codes" in finding.fix


def test_the_last_day_of_the_certification_is_inside_it_and_warns_to_recertify() -> None:
    assert rule_ids(make_claim(plan_of_care=plan(cert_through=DOS))) == ["poc-recert-due"]


def test_the_30th_day_after_the_first_visit_is_still_in_time_to_certify() -> None:
    first = DOS - timedelta(days=30)
    uncertified = plan(start_date=first, first_visit_date=first, certified_on=None)
    assert rule_ids(make_claim(plan_of_care=uncertified)) == ["poc-cert-pending"]
    late = replace(
        uncertified, start_date=first - timedelta(1), first_visit_date=first - timedelta(1)
    )
    assert rule_ids(make_claim(plan_of_care=late)) == ["poc-cert-late"]


def test_progress_reports_are_checked_only_under_medicare_rules() -> None:
    claim = make_claim(payer=COMMERCIAL, lines=(L97112, AMA_97110), history=NINE_DAYS)
    assert "progress-report-due" not in rule_ids(claim)
    assert "progress-report-due" in rule_ids(make_claim(history=NINE_DAYS))


def test_an_open_same_day_claim_does_not_hide_a_closed_one_after_it() -> None:
    others = (*same_day(11, "needs_review"), *same_day(12, "approved"))
    finding = only(make_claim(same_day_claims=others), "same-day-claim-closed")
    assert finding.message.startswith("Claim 12 ")


def test_twelve_meaningful_words_without_skilled_need_are_thin_only_for_the_missing_skill() -> None:
    statement = (
        "Patient walked laps around the gym, climbed stairs twice, rode the bike, stretched "
        "hamstrings and calves"
    )
    assert len(meaningful_words(statement)) == MIN_NECESSITY_WORDS
    finding = only(make_claim(note=note(medical_necessity=statement)), "necessity-thin")
    assert "meaningful words" not in finding.message
    assert "no words stating skilled need" in finding.message


# --- services with 0 units keep their minutes (docs/billing-rules.md §1, §10.11) ---------------

THREE_WAY_TIE = (line("97110", 1, 8), line("97112", 1, 8))


def test_a_three_way_tie_billed_as_the_engine_shares_it_is_clean() -> None:
    """24 minutes of three codes at 8 each earn 2 units: two codes get one each and the third,
    at 0 units, is not a claim line, but its 8 minutes are still the day's."""
    claim = make_claim(lines=THREE_WAY_TIE, unbilled_minutes=(("97140", 8, 0),))
    assert not {"units-total-over", "units-unsupported"} & set(rule_ids(claim))


def test_without_the_unbilled_minutes_the_same_lines_are_over() -> None:
    claim = make_claim(lines=THREE_WAY_TIE)
    assert {"units-total-over", "units-unsupported"} <= set(rule_ids(claim))


def test_a_service_cut_to_0_units_whose_minutes_earn_a_unit_is_below_supported() -> None:
    claim = make_claim(lines=(L97112,), unbilled_minutes=(("97110", 15, 0),))
    assert "units-below-supported" in rule_ids(claim)


def test_a_blocked_code_brings_no_minutes_to_the_day() -> None:
    """97750 is not separately reportable with the evaluation (§5.1): its minutes do not count
    toward the other timed codes' units."""
    claim = make_claim(
        lines=(line("97161", 1, 40), line("97110", 1, 10)),
        unbilled_minutes=(("97750", 20, 0),),
        documented_codes=("97161", "97110", "97750"),
    )
    found = set(rule_ids(claim))
    assert not {"units-below-supported", "units-unsupported", "units-total-over"} & found


def test_two_sessions_minutes_of_an_unbilled_code_add_up() -> None:
    """Two sittings of 4 minutes of 97140 (§10.1) are 8 minutes of the day: with 97110 and
    97112 at 8 each, the 24 minutes earn the 2 units billed."""
    claim = make_claim(lines=THREE_WAY_TIE, unbilled_minutes=(("97140", 4, 0), ("97140", 4, 0)))
    assert not {"units-total-over", "units-unsupported"} & set(rule_ids(claim))


def test_an_unknown_or_billed_code_among_the_unbilled_is_passed_over() -> None:
    claim = make_claim(
        lines=THREE_WAY_TIE,
        unbilled_minutes=(("97110", 30, 0), ("99999", 30, 0), ("97140", 8, 0)),
    )
    assert not {"units-total-over", "units-unsupported"} & set(rule_ids(claim))


def test_a_line_billed_over_its_minutes_is_still_flagged_beside_an_unbilled_code() -> None:
    claim = make_claim(lines=(line("97110", 3, 8),), unbilled_minutes=(("97140", 5, 0),))
    assert "units-unsupported" in rule_ids(claim)
