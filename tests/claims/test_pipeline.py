"""The claim pipeline (docs/billing-rules.md §1-§10): services → units → modifiers → the
clinician's tie pick and overrides → amounts → findings, in `draft_claim`; `price_lines` prices
any set of lines. No database: the facts are plain frozen dataclasses.

Fees are the 2026 national amounts of billing-rules §8 (97110 $29.06, 97112 $32.73, 97140
$27.72, 97530 $35.07, 97161 $97.86, 97164 $67.47); 97750 and 97012 get round made-up fees.
Most tests use a payer without MPPR so the amounts are fee x units.
"""

import ast
from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.pipeline import (
    SRC_BLOCK,
    SRC_OVERRIDE,
    CodePrice,
    DraftClaim,
    DraftRequest,
    Override,
    PayerTerms,
    Service,
    draft_claim,
    price_lines,
)
from claims.scrubber import (
    ClaimFacts,
    CodeFacts,
    Credential,
    Diagnosis,
    Discipline,
    EditPair,
    KxFacts,
    Payer,
    PayerKind,
    PlanOfCare,
    UnitLimit,
    VisitNote,
)
from coding.pricing import RvuSplit
from coding.units import Method

REPO = Path(__file__).resolve().parents[2]
D = Decimal
DOS = date(2026, 4, 15)


def code(
    code: str, timed: bool, category: str = "therapeutic_procedure", **extra: Any
) -> CodeFacts:
    return CodeFacts(code=code, timed=timed, always_therapy=True, category=category, **extra)


# Test copy of a few rows of coding/data/codes.csv (billing-rules §3).
CODE_FACTS = (
    code("97110", True),
    code("97112", True),
    code("97140", True),
    code("97530", True),
    code("97750", True, "tests_measurements"),
    code("97012", False, "supervised_modality"),
    code("97161", False, "evaluation", discipline=Discipline.PT),
    code("97164", False, "evaluation", discipline=Discipline.PT),
    CodeFacts("95851", timed=False, always_therapy=False, category="tests_measurements"),
)
FEES = {
    "97110": D("29.06"),
    "97112": D("32.73"),
    "97140": D("27.72"),
    "97530": D("35.07"),
    "97161": D("97.86"),
    "97164": D("67.47"),
    "97750": D("40.00"),
    "97012": D("15.00"),
}
PRICES = {c: CodePrice(fee) for c, fee in FEES.items()}
RVU_97110 = RvuSplit(work=D("0.45"), pe=D("0.41"), mp=D("0.01"))  # billing-rules §8
NO_MPPR = PayerTerms(applies_mppr=False, applies_cq_reduction=True)
MEDICARE = Payer("Medicare Part B", PayerKind.MEDICARE, Method.CMS, kx_applies=True)
COMMERCIAL = Payer("Demo Commercial PPO", PayerKind.COMMERCIAL, Method.AMA)
STATEMENT = (
    "Skilled neuromuscular re-education with tactile and verbal cues is needed because impaired "
    "single-leg balance caused two falls this month; therapist progresses stance tasks toward "
    "independent community walking."
)
PLAN = PlanOfCare(
    start_date=date(2026, 3, 2),
    first_visit_date=date(2026, 3, 2),
    certified_on=date(2026, 3, 9),
    cert_through=date(2026, 5, 29),
)
THRESHOLD = D("2480")  # billing-rules §4: 2026


def kx(ytd: str) -> KxFacts:
    return KxFacts(ytd_allowed_before_visit=D(ytd), this_visit_allowed=D(0), threshold=THRESHOLD)


def claim_facts(**overrides: Any) -> ClaimFacts:
    """A Medicare day with one diagnosis, a certified plan and a good note; `lines` is ignored."""
    fields: dict[str, Any] = {
        "date_of_service": DOS,
        "payer": MEDICARE,
        "therapist_credential": Credential.PT,
        "lines": (),
        "diagnoses": (
            Diagnosis("M25.561", exists=True, billable=True, title="Pain in right knee"),
        ),
        "code_facts": CODE_FACTS,
        "note": VisitNote(medical_necessity=STATEMENT),
        "plan_of_care": PLAN,
        "kx": kx("0"),
    }
    fields.update(overrides)
    return ClaimFacts(**fields)


def draft(*services: Service, facts: ClaimFacts | None = None, **fields: Any) -> DraftClaim:
    fields.setdefault("prices", PRICES)
    fields.setdefault("terms", NO_MPPR)
    return draft_claim(DraftRequest(facts=facts or claim_facts(), services=services, **fields))


def rows(claim: DraftClaim) -> list[tuple[str, int, tuple[str, ...], Decimal | None]]:
    return [(line.key, line.units, line.modifiers, line.amount) for line in claim.lines]


def texts(claim: DraftClaim) -> list[str]:
    return [step.text for step in claim.explanation]


# docs/billing-rules.md §1 manual example 1: 24 + 23 minutes → 97112 x 2, 97110 x 1.
EXAMPLE_1 = (Service("97112", 24), Service("97110", 23))


# --- the clean claim ------------------------------------------------------------------------------


def test_the_manual_example_drafts_a_clean_claim_with_gp_and_the_amounts() -> None:
    claim = draft(*EXAMPLE_1)
    assert rows(claim) == [
        ("97112", 2, ("GP",), D("65.46")),
        ("97110", 1, ("GP",), D("29.06")),
    ]
    assert claim.findings == ()
    assert claim.rule_ids == []
    assert claim.total == D("94.52")
    assert claim.total_units == 3
    assert claim.complete
    assert not claim.is_estimate
    assert not claim.blocked
    assert claim.block_notes == []
    assert claim.off_claim == ()
    assert claim.stopped == ()
    assert claim.scrub.units is not None
    line = claim.lines[0]
    assert (line.minutes, line.pta_minutes, line.cq, line.by_assistant) == (24, 0, False, False)
    assert (line.fee, line.suggested_units, line.suggested_modifiers) == (D("32.73"), 2, ("GP",))
    assert line.suggested_amount == D("65.46")
    assert (line.change_reason, line.short_name, line.kept_off) == ("", "", "")
    assert line.dx_pointers == (1,)
    assert not line.changed


def test_the_explanation_holds_the_units_then_the_amounts() -> None:
    claim = draft(*EXAMPLE_1)
    steps = list(claim.explanation)
    units, pricing = list(claim.units.explanation), list(claim.pricing.explanation)
    assert units and pricing
    assert steps == units + pricing


# --- units (§1, §2, §5.3) -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("payer", "expected"),
    [
        pytest.param(MEDICARE, {"97112": 2, "97110": 1}, id="cms-pools-the-day"),
        pytest.param(COMMERCIAL, {"97112": 2, "97110": 2}, id="ama-per-code"),
        pytest.param(
            replace(COMMERCIAL, daily_timed_unit_cap=3), {"97112": 2, "97110": 1}, id="cap"
        ),
    ],
)
def test_units_follow_the_payers_method_and_cap(payer: Payer, expected: dict[str, int]) -> None:
    claim = draft(*EXAMPLE_1, facts=claim_facts(payer=payer, kx=None))
    assert {line.code: line.units for line in claim.lines} == expected


def test_the_code_table_says_which_codes_are_timed() -> None:
    # 97012 is untimed: one unit whatever the minutes; 45 timed minutes of 97110 are 3 units.
    claim = draft(Service("97110", 45), Service("97012", 45))
    assert [(line.code, line.units) for line in claim.lines] == [("97110", 3), ("97012", 1)]
    assert claim.units.total_timed_minutes == 45


def test_a_code_missing_from_the_code_table_is_counted_as_untimed() -> None:
    claim = draft(Service("97999", 40), Service("97110", 8))
    assert [(line.code, line.units) for line in claim.lines] == [("97999", 1), ("97110", 1)]
    assert "code-unknown" in claim.rule_ids
    assert claim.lines[0].amount is None
    assert not claim.complete
    assert claim.is_estimate


@pytest.mark.parametrize(
    ("fees", "winner"),
    [
        pytest.param({"97112": D("32.73"), "97110": D("29.06")}, "97112", id="97112-pays-more"),
        pytest.param({"97112": D("29.06"), "97110": D("32.73")}, "97110", id="97110-pays-more"),
    ],
)
def test_a_tie_goes_to_the_code_that_pays_more(fees: dict[str, Decimal], winner: str) -> None:
    # §1 manual example 2: 20 + 20 minutes = 3 units, one code x 2.
    prices = {c: CodePrice(fee) for c, fee in fees.items()}
    claim = draft(Service("97110", 20), Service("97112", 20), prices=prices)
    assert {line.code: line.units for line in claim.lines}[winner] == 2
    assert claim.units.ties[0].chosen == (winner,)


def test_the_clinicians_tie_pick_is_applied_before_pricing_and_scrubbing() -> None:
    claim = draft(Service("97110", 20), Service("97112", 20), tie_choice=("97110",))
    assert rows(claim) == [("97110", 2, ("GP",), D("58.12")), ("97112", 1, ("GP",), D("32.73"))]
    assert claim.units.ties[0].chosen_by_therapist
    assert claim.findings == ()


def test_the_code_limit_cuts_the_units() -> None:
    facts = claim_facts(unit_limits=(UnitLimit("97110", 3), UnitLimit("97112", 1)))
    claim = draft(Service("97110", 75), facts=facts)
    assert [(line.code, line.units) for line in claim.lines] == [("97110", 3)]
    assert claim.units.lines[0].capped_from == 5


def test_the_same_code_twice_in_a_day_is_one_line_with_the_minutes_added() -> None:
    # §10.1: two sittings are one billing day; 12 + 11 minutes are 2 units, not 1 + 1.
    claim = draft(
        Service("97110", 12, pta_minutes=0, dx_pointers=()),
        Service("97110", 11, pta_minutes=11, dx_pointers=(1,)),
        Service("97112", 3, by_assistant=True),
        Service("97112", 3),
    )
    assert [(line.code, line.units) for line in claim.units.lines] == [("97110", 2), ("97112", 0)]
    assert claim.units.lines[0].minutes == 23
    assert claim.units.lines[0].pta_minutes == 11


def test_merged_sittings_keep_the_first_pointers_else_the_later_ones() -> None:
    facts = claim_facts(
        diagnoses=(
            Diagnosis("M25.561", exists=True, billable=True, title="Pain in right knee"),
            Diagnosis("R26.2", exists=True, billable=True, title="Difficulty in walking"),
        )
    )
    claim = draft(
        Service("97110", 12, dx_pointers=()),
        Service("97110", 11, dx_pointers=(2,)),
        Service("97112", 10, dx_pointers=(1,)),
        Service("97112", 15, dx_pointers=(2,)),
        facts=facts,
    )
    assert {line.code: line.dx_pointers for line in claim.lines} == {"97110": (2,), "97112": (1,)}


@pytest.mark.parametrize(
    ("first", "second", "cq"),
    [
        pytest.param(True, True, True, id="both-sittings-by-the-assistant"),
        pytest.param(True, False, False, id="only-one-by-the-assistant"),
        pytest.param(False, True, False, id="only-the-later-one"),
    ],
)
def test_merged_untimed_sittings_are_the_assistants_only_when_both_were(
    first: bool, second: bool, cq: bool
) -> None:
    claim = draft(Service("97012", by_assistant=first), Service("97012", by_assistant=second))
    assert [(line.units, line.cq, line.by_assistant) for line in claim.lines] == [(1, cq, cq)]


# --- modifiers and the CQ split (§4, §10.2, §10.4) ------------------------------------------------


def test_an_assistants_units_are_split_onto_a_gp_cq_line_with_its_own_minutes() -> None:
    # 38 minutes = 3 units; the assistant's 15-minute block carries CQ (§10.2).
    claim = draft(Service("97110", 38, pta_minutes=15))
    assert [
        (line.key, line.units, line.modifiers, line.minutes, line.pta_minutes, line.by_assistant)
        for line in claim.lines
    ] == [
        ("97110", 2, ("GP",), 23, 0, False),
        ("97110-CQ", 1, ("GP", "CQ"), 15, 15, True),
    ]
    # 3 x $29.06 = $87.18; the CQ unit loses 15% of $29.06 = $4.359 → $82.82 in all.
    assert [line.amount for line in claim.lines] == [D("58.12"), D("24.70")]
    assert [line.suggested_amount for line in claim.lines] == [D("58.12"), D("24.70")]
    assert claim.total == D("82.82")
    assert claim.findings == ()


def test_a_line_wholly_by_the_assistant_keeps_all_its_minutes() -> None:
    claim = draft(Service("97110", 30, pta_minutes=30), Service("97012", by_assistant=True))
    assert [
        (line.key, line.modifiers, line.minutes, line.pta_minutes, line.by_assistant)
        for line in claim.lines
    ] == [
        ("97110-CQ", ("GP", "CQ"), 30, 30, True),
        ("97012-CQ", ("GP", "CQ"), 0, 0, True),
    ]


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        # 28 + 2 minutes: the PT's 13 leftover minutes keep the shared unit (§10.2), no CQ line;
        # the one GP line keeps all 30 minutes, 2 of them the assistant's.
        pytest.param(Service("97110", 30, pta_minutes=2), [("97110", 30, 2)], id="no-cq-unit"),
        # 3 + 20 minutes: both units carry CQ; the one GP CQ line keeps all 23 minutes.
        pytest.param(Service("97110", 23, pta_minutes=20), [("97110-CQ", 23, 20)], id="all-cq"),
    ],
)
def test_a_code_on_one_line_keeps_all_its_minutes(
    service: Service, expected: list[tuple[str, int, int]]
) -> None:
    claim = draft(service)
    assert [(line.key, line.minutes, line.pta_minutes) for line in claim.lines] == expected


def test_a_line_marked_as_the_assistants_stays_so_without_cq_units() -> None:
    # A timed service marked as the assistant's but with no assistant minutes: no CQ unit.
    claim = draft(Service("97110", 30, by_assistant=True))
    assert [(line.key, line.cq, line.by_assistant) for line in claim.lines] == [
        ("97110", False, True)
    ]


def test_the_payers_therapy_modifier_is_the_one_used() -> None:
    terms = PayerTerms(applies_mppr=False, therapy_modifier=None)
    facts = claim_facts(payer=Payer("Self-pay", PayerKind.SELF_PAY, Method.CMS), kx=None)
    claim = draft(*EXAMPLE_1, facts=facts, terms=terms)
    assert [line.modifiers for line in claim.lines] == [(), ()]
    assert claim.findings == ()


def test_xu_goes_on_an_indicator_1_pair_in_force_on_the_date_of_service() -> None:
    pairs = (EditPair("97530", "97140", 1, date(2026, 1, 1)),)
    claim = draft(Service("97530", 30), Service("97140", 15), facts=claim_facts(edit_pairs=pairs))
    assert [line.modifiers for line in claim.lines] == [("GP",), ("GP", "XU")]
    assert claim.findings == ()


@pytest.mark.parametrize(
    "pair",
    [
        pytest.param(
            EditPair("97530", "97140", 1, date(2004, 1, 1), date(2019, 12, 31)), id="gone"
        ),
        pytest.param(EditPair("97530", "97140", 1, date(2026, 4, 16)), id="from-tomorrow"),
    ],
)
def test_an_edit_pair_out_of_force_adds_nothing(pair: EditPair) -> None:
    claim = draft(Service("97530", 30), Service("97140", 15), facts=claim_facts(edit_pairs=(pair,)))
    assert [line.modifiers for line in claim.lines] == [("GP",), ("GP",)]


# --- blocks keep the column-2 code off the claim (§5.1) -------------------------------------------


def test_a_test_with_the_evaluation_is_kept_off_the_claim_with_its_minutes() -> None:
    claim = draft(Service("97161", 45), Service("97750", 30))
    assert rows(claim) == [("97161", 1, ("GP",), D("97.86"))]
    assert [(line.key, line.units, line.minutes) for line in claim.off_claim] == [("97750", 0, 30)]
    stopped = claim.off_claim[0]
    assert stopped.kept_off == (
        "97750 is kept off the claim: it cannot be billed with 97161 on the same day, and no "
        "modifier bypasses that; its minutes stay in the note."
    )
    assert claim.stopped == (stopped,)
    assert (stopped.suggested_units, stopped.suggested_modifiers) == (0, ("GP",))
    assert stopped.suggested_amount == D("80.00")  # what the minutes alone would have paid
    assert (stopped.kept_off, SRC_BLOCK) in [(s.text, s.rule) for s in claim.explanation]
    assert not any("0 units, so it is not a claim line" in text for text in texts(claim))
    assert not claim.blocked
    assert claim.total == D("97.86")
    assert claim.findings == ()


def test_a_re_evaluation_whose_only_therapy_is_kept_off_gets_no_xu() -> None:
    # §5.1: once 97750 is off the claim 97164 is billed alone; XU (and the advice to remove
    # 97164 otherwise) would be wrong.
    claim = draft(Service("97164", 20), Service("97750", 30))
    assert rows(claim) == [("97164", 1, ("GP",), D("67.47"))]
    assert [line.code for line in claim.stopped] == ["97750"]


def test_an_indicator_0_pair_keeps_its_column_2_off_and_the_chain_stops_there() -> None:
    # 97140 is kept off by 97530; 97140 itself is off the claim, so it keeps nothing off.
    pairs = (
        EditPair("97530", "97140", 0, date(2020, 1, 1)),
        EditPair("97140", "97110", 0, date(2020, 1, 1)),
    )
    claim = draft(
        Service("97530", 30),
        Service("97140", 15),
        Service("97110", 15),
        facts=claim_facts(edit_pairs=pairs),
    )
    assert [line.code for line in claim.lines] == ["97530", "97110"]
    assert [line.code for line in claim.stopped] == ["97140"]
    assert "with 97530" in claim.stopped[0].kept_off


def test_putting_a_stopped_line_back_blocks_the_claim() -> None:
    overrides = {"97750": Override("97750", units=2, reason="payer allows it")}
    claim = draft(Service("97161", 45), Service("97750", 30), overrides=overrides)
    assert [(line.code, line.units) for line in claim.lines] == [("97161", 1), ("97750", 2)]
    assert claim.blocked
    assert claim.block_notes == [
        "97750 is not separately reportable with 97161 on the same date by the same discipline: "
        "no modifier bypasses it. Remove 97750."
    ]
    assert claim.stopped == ()
    assert "test-with-evaluation" in claim.rule_ids


def test_the_kx_decision_leaves_out_the_amount_of_a_stopped_code() -> None:
    # $2,382.14 + 97161's $97.86 = $2,480.00, not above the threshold; 97750's $80 would be.
    facts = claim_facts(kx=kx("2382.14"))
    claim = draft(Service("97161", 45), Service("97750", 30), facts=facts)
    assert not claim.modifiers.kx_needed
    assert rows(claim) == [("97161", 1, ("GP",), D("97.86"))]
    assert claim.kx.this_visit == D("97.86")
    assert claim.kx_after_visit == D("2480.00")


# --- KX (§4, §10.8) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ytd", "needed"),
    [
        pytest.param("2385.48", False, id="equal-is-not-enough"),  # + $94.52 = $2,480.00
        pytest.param("2385.49", True, id="one-cent-above"),
    ],
)
def test_kx_goes_on_every_line_once_the_year_with_this_visit_passes_the_threshold(
    ytd: str, needed: bool
) -> None:
    claim = draft(*EXAMPLE_1, facts=claim_facts(kx=kx(ytd)))
    expected = ("GP", "KX") if needed else ("GP",)
    assert [line.modifiers for line in claim.lines] == [expected, expected]
    assert claim.kx.applies
    assert claim.kx.threshold == THRESHOLD
    assert claim.kx.ytd_before_visit == D(ytd)
    assert claim.kx.this_visit == D("94.52")
    assert claim.kx_after_visit == D(ytd) + D("94.52")
    assert "kx-missing" not in claim.rule_ids


@pytest.mark.parametrize(
    "facts",
    [
        pytest.param(
            claim_facts(payer=replace(MEDICARE, kx_applies=False), kx=kx("3000")), id="no"
        ),
        pytest.param(claim_facts(kx=None), id="no-year-to-date-facts"),
        pytest.param(claim_facts(kx=replace(kx("3000"), threshold=None)), id="not-loaded"),
    ],
)
def test_no_kx_without_the_payers_kx_or_a_threshold(facts: ClaimFacts) -> None:
    claim = draft(*EXAMPLE_1, facts=facts)
    assert [line.modifiers for line in claim.lines] == [("GP",), ("GP",)]
    assert not claim.modifiers.kx_needed


def test_without_year_to_date_facts_the_year_starts_at_zero() -> None:
    claim = draft(*EXAMPLE_1, facts=claim_facts(kx=None))
    assert claim.kx.threshold is None
    assert claim.kx.ytd_before_visit == D(0)
    assert claim.kx_after_visit == D("94.52")


def test_the_scrubber_judges_kx_on_this_visits_final_amount() -> None:
    # Over the threshold only with this visit's amount; the clinician drops KX from one line.
    overrides = {"97110": Override("97110", modifiers=("GP",), reason="no KX")}
    claim = draft(*EXAMPLE_1, facts=claim_facts(kx=kx("2400")), overrides=overrides)
    assert [line.modifiers for line in claim.lines] == [("GP", "KX"), ("GP",)]
    assert "kx-missing" in claim.rule_ids
    assert claim.kx.this_visit == D("94.52")


def test_the_final_kx_amount_is_the_one_after_the_overrides() -> None:
    overrides = {"97112": Override("97112", units=1, reason="shorter session")}
    claim = draft(*EXAMPLE_1, facts=claim_facts(kx=kx("1000")), overrides=overrides)
    assert claim.total == D("61.79")
    assert claim.kx.this_visit == D("61.79")
    assert claim.kx_after_visit == D("1061.79")


# --- overrides (§10.11) ---------------------------------------------------------------------------


def test_an_override_is_priced_and_checked_as_it_stands() -> None:
    overrides = {"97110": Override("97110", units=2, reason="therapist's count")}
    claim = draft(*EXAMPLE_1, overrides=overrides, names={"97110": "Therapeutic exercise"})
    changed = claim.lines[1]
    assert (changed.units, changed.suggested_units, changed.amount) == (2, 1, D("58.12"))
    assert changed.suggested_amount == D("29.06")
    assert changed.change_reason == "therapist's count"
    assert changed.changed
    assert changed.short_name == "Therapeutic exercise"
    assert claim.lines[0].short_name == ""
    assert claim.total == D("123.58")
    assert "units-unsupported" in claim.rule_ids
    assert (
        "97110: changed by the clinician from 1 unit (GP) to 2 units (GP) (therapist's count); "
        "priced and checked as changed.",
        SRC_OVERRIDE,
    ) in [(s.text, s.rule) for s in claim.explanation]


def test_an_override_of_the_modifiers_keeps_the_suggested_units() -> None:
    overrides = {"97112": Override("97112", modifiers=("GP", "59"), reason="distinct")}
    claim = draft(*EXAMPLE_1, overrides=overrides)
    line = claim.lines[0]
    assert (line.units, line.modifiers, line.suggested_modifiers) == (2, ("GP", "59"), ("GP",))
    assert line.change_reason == "distinct"
    assert line.changed
    assert "from 2 units (GP) to 2 units (GP 59) (distinct)" in " ".join(texts(claim))


def test_the_scrubber_sees_the_assistants_service_without_its_cq() -> None:
    # §10.2: an untimed service by the assistant carries CQ whatever its minutes; the
    # clinician takes CQ off, and the scrubber knows the line is the assistant's.
    overrides = {"97012-CQ": Override("97012-CQ", modifiers=("GP",), reason="no CQ")}
    claim = draft(Service("97012", by_assistant=True), overrides=overrides)
    assert [(line.key, line.modifiers, line.by_assistant) for line in claim.lines] == [
        ("97012-CQ", ("GP",), True)
    ]
    assert "cq-missing" in claim.rule_ids


def test_the_scrubber_checks_the_lines_own_diagnosis_pointers() -> None:
    claim = draft(Service("97110", 23, dx_pointers=(2,)))
    assert claim.lines[0].dx_pointers == (2,)
    assert "dx-missing" in claim.rule_ids


def test_each_line_taken_off_by_the_clinician_is_explained_after_a_stopped_one() -> None:
    overrides = {"97110": Override("97110", units=0, reason="not done")}
    claim = draft(
        Service("97161", 45), Service("97750", 30), Service("97110", 8), overrides=overrides
    )
    assert [line.code for line in claim.off_claim] == ["97750", "97110"]
    assert "97110: 0 units, so it is not a claim line; its minutes stay in the treatment note." in (
        texts(claim)
    )


def test_an_override_that_repeats_the_suggestion_changes_nothing() -> None:
    overrides = {"97112": Override("97112", units=2, modifiers=("GP",), reason="same")}
    claim = draft(*EXAMPLE_1, overrides=overrides)
    line = claim.lines[0]
    assert (line.units, line.modifiers, line.change_reason, line.changed) == (2, ("GP",), "", False)
    assert "97112: changed by the clinician from 2 units (GP) to 2 units (GP) ()" in " ".join(
        texts(claim)
    )


def test_an_override_to_zero_units_takes_the_line_off_the_claim() -> None:
    overrides = {"97110": Override("97110", units=0, reason="not done")}
    claim = draft(*EXAMPLE_1, overrides=overrides)
    assert [line.code for line in claim.lines] == ["97112"]
    assert [(line.code, line.units, line.kept_off) for line in claim.off_claim] == [
        ("97110", 0, "")
    ]
    assert claim.stopped == ()
    assert claim.total == D("65.46")
    assert claim.total_units == 2
    assert (
        "97110: 0 units, so it is not a claim line; its minutes stay in the treatment note.",
        SRC_OVERRIDE,
    ) in [(s.text, s.rule) for s in claim.explanation]
    assert "0 units (no modifiers)" not in " ".join(texts(claim))


def test_an_override_without_modifiers_is_described_so() -> None:
    overrides = {"97110": Override("97110", modifiers=(), reason="self-pay")}
    claim = draft(*EXAMPLE_1, overrides=overrides)
    assert "from 1 unit (GP) to 1 unit (no modifiers) (self-pay)" in " ".join(texts(claim))


def test_the_override_of_the_cq_line_goes_by_its_key() -> None:
    overrides = {"97110-CQ": Override("97110-CQ", modifiers=("GP",), reason="PT did it")}
    claim = draft(Service("97110", 38, pta_minutes=15), overrides=overrides)
    assert [(line.key, line.modifiers, line.cq) for line in claim.lines] == [
        ("97110", ("GP",), False),
        ("97110-CQ", ("GP",), True),
    ]
    # Without CQ on either line the code is paid in full: 3 x $29.06.
    assert [line.amount for line in claim.lines] == [D("58.12"), D("29.06")]
    assert "cq-missing" in claim.rule_ids


# --- diagnosis pointers ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "pointers"),
    [(0, (1,)), (1, (1,)), (3, (1, 2, 3)), (4, (1, 2, 3, 4)), (6, (1, 2, 3, 4))],
)
def test_a_service_without_pointers_points_to_the_first_four_diagnoses(
    count: int, pointers: tuple[int, ...]
) -> None:
    diagnoses = tuple(
        Diagnosis(f"M25.56{i}", exists=True, billable=True, title="Knee pain") for i in range(count)
    )
    claim = draft(Service("97110", 23), facts=claim_facts(diagnoses=diagnoses))
    assert claim.lines[0].dx_pointers == pointers


def test_a_services_own_pointers_are_kept() -> None:
    facts = claim_facts(diagnoses=claim_facts().diagnoses * 3)
    claim = draft(Service("97110", 23, dx_pointers=(2, 3)), facts=facts)
    assert claim.lines[0].dx_pointers == (2, 3)


# --- amounts: MPPR and CQ (§6.9, §10.2) -----------------------------------------------------------


def test_mppr_uses_the_code_table_and_the_rvus_given() -> None:
    prices = {"97110": CodePrice(D("29.06"), RVU_97110), "97112": CodePrice(D("32.73"), RVU_97110)}
    claim = draft(*EXAMPLE_1, prices=prices, terms=PayerTerms())
    # 97112 holds the full-PE unit; the 2 other units lose half their PE share (47.1264%).
    assert [(p.code, p.full_pe_units, p.reduced_units) for p in claim.pricing.lines] == [
        ("97112", 1, 1),
        ("97110", 0, 1),
    ]
    assert not claim.is_estimate
    assert claim.total < D("94.52")


def test_mppr_without_rvus_is_an_estimate() -> None:
    claim = draft(*EXAMPLE_1, terms=PayerTerms())
    assert claim.pricing.is_estimate
    assert claim.is_estimate


def test_a_code_that_is_not_always_therapy_is_not_reduced_by_mppr() -> None:
    prices = {"97110": CodePrice(D("29.06")), "95851": CodePrice(D("20.00"))}
    claim = draft(Service("97110", 8), Service("95851"), prices=prices, terms=PayerTerms())
    assert [line.amount for line in claim.lines] == [D("29.06"), D("20.00")]


# --- price_lines ----------------------------------------------------------------------------------

CODES = {c.code: c for c in CODE_FACTS}


def price(lines: list[tuple[str, str, int, bool]], terms: PayerTerms = NO_MPPR, **fields: Any):
    fields.setdefault("prices", PRICES)
    return price_lines(lines, codes=fields.pop("codes", CODES), terms=terms, **fields)


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        pytest.param(
            [("97110", "97110", 2, False), ("97110-CQ", "97110", 1, True)],
            {"97110": D("58.12"), "97110-CQ": D("24.70")},
            id="gp-line-first",
        ),
        pytest.param(
            [("97110-CQ", "97110", 1, True), ("97110", "97110", 2, False)],
            {"97110-CQ": D("24.70"), "97110": D("58.12")},
            id="cq-line-first",
        ),
        pytest.param(
            [("a", "97110", 1, False), ("b", "97110", 1, False), ("c", "97110", 1, False)],
            {"a": D("29.06"), "b": D("29.06"), "c": D("29.06")},
            id="three-gp-lines",
        ),
    ],
)
def test_price_lines_prices_each_code_once_and_shares_it_out(
    lines: list[tuple[str, str, int, bool]], expected: dict[str, Decimal]
) -> None:
    pricing, amounts = price(lines)
    assert amounts == expected
    cq_units = sum(units for _, _, units, cq in lines if cq)
    assert [(p.code, p.units, p.cq_units) for p in pricing.lines] == [("97110", 3, cq_units)]
    assert pricing.total == sum(expected.values())


def test_price_lines_gives_the_last_line_of_a_code_what_the_others_left() -> None:
    # $10.00 x 3 = $30.00 shared by three one-unit lines: 10.00 + 10.00 + 10.00; with CQ on the
    # second: $30.00 - $1.50 = $28.50 → 10.00, 8.50, 10.00. Amounts always add up to the code's.
    prices = {"97110": CodePrice(D("10.00"))}
    lines = [("a", "97110", 1, False), ("b", "97110", 1, True), ("c", "97110", 1, False)]
    _, amounts = price(lines, prices=prices)
    assert amounts == {"a": D("10.00"), "b": D("8.50"), "c": D("10.00")}


def test_price_lines_rounds_a_share_and_the_last_line_takes_the_cent() -> None:
    # $10.01 x 3 = $30.03: $20.02 for two units, $10.01 left for the last.
    prices = {"97110": CodePrice(D("10.01"))}
    _, amounts = price([("a", "97110", 2, False), ("b", "97110", 1, False)], prices=prices)
    assert amounts == {"a": D("20.02"), "b": D("10.01")}
    # CQ on the first of two lines: 2 x 10.01 = 20.02 less 15% of it, 3.003 → 17.017 → 17.02.
    _, amounts = price([("a", "97110", 2, True), ("b", "97110", 1, False)], prices=prices)
    assert amounts == {"a": D("17.02"), "b": D("10.01")}
    _, amounts = price([("a", "97110", 1, False), ("b", "97110", 1, False)], prices=prices)
    assert amounts == {"a": D("10.01"), "b": D("10.01")}


def test_price_lines_share_of_an_odd_amount() -> None:
    # $10.00 x 3 with MPPR on a lone code: one full unit, two lose half of 45% PE (2.25 each):
    # $30.00 - $4.50 = $25.50 shared by lines of 2 and 1 units: 17.00 and 8.50.
    prices = {"97110": CodePrice(D("10.00"))}
    lines = [("a", "97110", 2, False), ("b", "97110", 1, False)]
    _, amounts = price(lines, prices=prices, terms=PayerTerms())
    assert amounts == {"a": D("17.00"), "b": D("8.50")}
    lines = [("a", "97110", 1, False), ("b", "97110", 2, False)]
    _, amounts = price(lines, prices=prices, terms=PayerTerms())
    assert amounts == {"a": D("8.50"), "b": D("17.00")}


def test_price_lines_cq_share_of_several_cq_lines() -> None:
    # $10.00 x 4, two CQ lines of 1 and 2 units: CQ reduction 15% x 3 x $10 = $4.50.
    prices = {"97110": CodePrice(D("10.00"))}
    lines = [("a", "97110", 1, True), ("b", "97110", 1, False), ("c", "97110", 2, True)]
    _, amounts = price(lines, prices=prices)
    assert amounts == {"a": D("8.50"), "b": D("10.00"), "c": D("17.00")}


def test_price_lines_of_a_zero_fee_gives_zero_on_every_line() -> None:
    # 97010 is bundled by Medicare: a fee of $0 is a fee, and each line's share is $0.00.
    prices = {"97010": CodePrice(D("0.00"))}
    lines = [("a", "97010", 1, False), ("b", "97010", 1, True), ("c", "97010", 1, False)]
    _, amounts = price(lines, prices=prices)
    assert amounts == {"a": D("0.00"), "b": D("0.00"), "c": D("0.00")}


def test_price_lines_gives_a_zero_unit_line_nothing_and_the_cents_to_the_last_billed_line() -> None:
    # §10.11: a 0-unit line is not a claim line. $32.73 x 4 with MPPR (45% PE assumed, 3 units
    # reduced by $7.36425) = $108.83: 54.42 + 54.41, and $0.00 on the empty line, even as the last.
    lines = [("a", "97112", 2, False), ("b", "97112", 2, False), ("c", "97112", 0, False)]
    _, amounts = price(lines, terms=PayerTerms())
    assert amounts == {"a": D("54.42"), "b": D("54.41"), "c": D("0.00")}


def test_price_lines_without_a_fee_or_units_gives_no_amount() -> None:
    pricing, amounts = price(
        [("97999", "97999", 2, False), ("97110", "97110", 0, False), ("97112", "97112", 1, False)]
    )
    assert amounts == {"97999": None, "97110": None, "97112": D("32.73")}
    assert not pricing.complete or pricing.total == D("32.73")
    assert pricing.total == D("32.73")


def test_price_lines_of_a_code_missing_from_the_table_is_not_therapy() -> None:
    prices = {"97110": CodePrice(D("10.00")), "97112": CodePrice(D("10.00"))}
    lines = [("97110", "97110", 1, False), ("97112", "97112", 1, False)]
    _, with_table = price(lines, prices=prices, terms=PayerTerms())
    _, without = price(lines, prices=prices, terms=PayerTerms(), codes={})
    assert with_table == {"97110": D("10.00"), "97112": D("7.75")}
    assert without == {"97110": D("10.00"), "97112": D("10.00")}


def test_price_lines_follows_the_payers_terms() -> None:
    lines = [("97110", "97110", 1, False), ("97110-CQ", "97110", 1, True)]
    no_cq = PayerTerms(applies_mppr=False, applies_cq_reduction=False)
    _, amounts = price(lines, terms=no_cq)
    assert amounts == {"97110": D("29.06"), "97110-CQ": D("29.06")}


@settings(max_examples=60)
@given(
    st.lists(
        st.tuples(st.sampled_from(["97110", "97112", "97999"]), st.integers(0, 4), st.booleans()),
        min_size=1,
        max_size=6,
    ),
    st.booleans(),
    st.booleans(),
)
def test_price_lines_amounts_add_up_to_each_codes_amount(
    raw: list[tuple[str, int, bool]], mppr: bool, cq: bool
) -> None:
    lines = [(f"k{i}", c, units, carries_cq) for i, (c, units, carries_cq) in enumerate(raw)]
    pricing, amounts = price(lines, terms=PayerTerms(applies_mppr=mppr, applies_cq_reduction=cq))
    assert set(amounts) == {key for key, *_ in lines}
    for p in pricing.lines:
        keys = [key for key, c, *_ in lines if c == p.code]
        if p.expected_amount is None or p.units == 0:
            assert all(amounts[key] is None for key in keys)
        else:
            assert sum(amounts[key] or D(0) for key in keys) == p.expected_amount
            assert all((amounts[key] or D(0)) >= 0 for key in keys)


# --- the module stays pure ------------------------------------------------------------------------


def test_pipeline_imports_only_the_standard_library_the_scrubber_and_coding() -> None:
    tree = ast.parse((REPO / "claims" / "pipeline.py").read_text())
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    assert modules <= {
        "__future__",
        "collections.abc",
        "dataclasses",
        "decimal",
        "claims",
        "coding.modifiers",
        "coding.pricing",
        "coding.units",
    }
