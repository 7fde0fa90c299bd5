"""Modifier suggestions (docs/billing-rules.md §4, §5.1-5.2, §10.2, §10.4, §10.8). No database.

`suggest_modifiers` turns the unit engine's lines into claim lines: GP on every line under a PT
plan of care, the CQ split of an assistant's units, XU on the column-2 code of an indicator-1
pair and on a re-evaluation billed with therapy, a block where no modifier can help, and KX once
the year passes the threshold.
"""

from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding.modifiers import (
    DISTINCT_MODIFIERS,
    SRC_CQ,
    SRC_GP,
    SRC_KX,
    SRC_NCCI,
    KxFacts,
    LineFacts,
    ModifierRequest,
    ModifierResult,
    Note,
    PairFacts,
    SuggestedLine,
    kx_needed,
    suggest_modifiers,
)

D = Decimal
THRESHOLD_2026 = D("2480")  # billing-rules §4: the 2026 KX threshold


def ln(code: str, units: int = 1, cq: int = 0, therapy: bool = True) -> LineFacts:
    return LineFacts(code=code, units=units, cq_units=cq, always_therapy=therapy)


def suggest(*lines: LineFacts, **fields: Any) -> ModifierResult:
    return suggest_modifiers(ModifierRequest(lines=lines, **fields))


def rows(result: ModifierResult) -> list[tuple[str, int, tuple[str, ...], bool]]:
    return [(s.code, s.units, s.modifiers, s.cq) for s in result.lines]


def mods(result: ModifierResult) -> dict[str, tuple[str, ...]]:
    """Modifiers of each code's first (non-CQ when split) line."""
    found: dict[str, tuple[str, ...]] = {}
    for s in result.lines:
        found.setdefault(s.code, s.modifiers)
    return found


def notes(result: ModifierResult, kind: str | None = None) -> list[Note]:
    return [n for n in result.notes if kind is None or n.kind == kind]


def kinds(result: ModifierResult) -> list[str]:
    return [n.kind for n in result.notes]


def codes_of(result: ModifierResult, kind: str) -> list[tuple[str, ...]]:
    return [n.codes for n in notes(result, kind)]


def kx(
    ytd: str, visit: str, threshold: Decimal | None = THRESHOLD_2026, applies: bool = True
) -> KxFacts:
    return KxFacts(
        applies=applies, threshold=threshold, ytd_before_visit=D(ytd), this_visit=D(visit)
    )


# --- GP (§4, §10.4) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param((ln("97110", 2),), id="one-timed-code"),
        pytest.param((ln("97112", 2), ln("97110", 1), ln("97140", 3)), id="several-codes"),
        pytest.param((ln("97161"), ln("97012")), id="evaluation-and-supervised-modality"),
        pytest.param((ln("95851", therapy=False), ln("97110")), id="sometimes-therapy-code"),
    ],
)
def test_gp_goes_on_every_line_under_a_pt_plan(lines: tuple[LineFacts, ...]) -> None:
    result = suggest(*lines)
    assert rows(result) == [(line.code, line.units, ("GP",), False) for line in lines]
    assert notes(result, "gp") == [
        Note("gp", "GP marks every service as done under a PT plan of care.", SRC_GP)
    ]
    assert not result.blocked
    assert not result.kx_needed


def test_the_therapy_modifier_given_is_the_one_used() -> None:
    result = suggest(ln("97110", 2), therapy_modifier="GO")
    assert rows(result) == [("97110", 2, ("GO",), False)]
    assert notes(result, "gp")[0].message.startswith("GO marks every service")


@pytest.mark.parametrize("lines", [(ln("97110", 2),), (ln("97112", 2), ln("97010"))])
def test_a_payer_that_takes_no_therapy_modifier_gets_no_gp(lines: tuple[LineFacts, ...]) -> None:
    result = suggest(*lines, therapy_modifier=None)
    assert rows(result) == [(line.code, line.units, (), False) for line in lines]
    assert "gp" not in kinds(result)


def test_self_pay_lines_get_no_kx_even_over_the_threshold() -> None:
    result = suggest(ln("97110", 2), kx=kx("2500", "60"), therapy_modifier=None)
    assert rows(result) == [("97110", 2, (), False)]
    assert result.kx_needed


def test_self_pay_still_splits_the_assistants_units() -> None:
    result = suggest(ln("97110", 3, cq=1), therapy_modifier=None)
    assert rows(result) == [("97110", 2, (), False), ("97110", 1, ("CQ",), True)]
    assert "gp" not in kinds(result)


# --- lines with 0 units (§10.11) ------------------------------------------------------------------


def test_lines_with_zero_units_are_dropped() -> None:
    result = suggest(ln("97112", 2), ln("97110", 0), ln("97140", 1))
    assert [s.code for s in result.lines] == ["97112", "97140"]


def test_a_day_of_only_zero_unit_lines_has_no_lines_and_no_gp_note() -> None:
    result = suggest(ln("97110", 0), ln("97112", 0, cq=0))
    assert result.lines == ()
    assert result.notes == ()


def test_a_zero_unit_code_takes_no_part_in_an_edit_pair() -> None:
    pairs = (PairFacts("97530", "97140", 1), PairFacts("97110", "97112", 0))
    result = suggest(ln("97530", 0), ln("97140", 2), ln("97110", 2), ln("97112", 0), pairs=pairs)
    assert rows(result) == [("97140", 2, ("GP",), False), ("97110", 2, ("GP",), False)]
    assert kinds(result) == ["gp"]


def test_a_zero_unit_evaluation_blocks_nothing_and_needs_no_xu() -> None:
    result = suggest(ln("97164", 0), ln("97750", 2), ln("97760", 1), ln("97110", 1))
    assert not result.blocked
    assert "XU" not in {m for s in result.lines for m in s.modifiers}


# --- CQ per unit (§4, §10.2) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "cq_units", "expected"),
    [
        pytest.param(2, 0, [(2, ("GP",), False)], id="pt-only"),
        pytest.param(3, 1, [(2, ("GP",), False), (1, ("GP", "CQ"), True)], id="one-of-three"),
        pytest.param(4, 2, [(2, ("GP",), False), (2, ("GP", "CQ"), True)], id="two-of-four"),
        pytest.param(2, 1, [(1, ("GP",), False), (1, ("GP", "CQ"), True)], id="one-of-two"),
        pytest.param(2, 2, [(2, ("GP", "CQ"), True)], id="all-by-the-assistant"),
        pytest.param(1, 1, [(1, ("GP", "CQ"), True)], id="untimed-by-the-assistant"),
    ],
)
def test_cq_splits_a_line_into_a_gp_line_and_a_gp_cq_line(
    units: int, cq_units: int, expected: list[tuple[int, tuple[str, ...], bool]]
) -> None:
    result = suggest(ln("97110", units, cq=cq_units))
    assert rows(result) == [("97110", *row) for row in expected]


def test_each_split_code_gets_a_cq_note_naming_it() -> None:
    result = suggest(ln("97112", 3, cq=1), ln("97110", 2), ln("97140", 2, cq=2))
    assert notes(result, "cq") == [
        Note(
            "cq",
            "97112: 1 of 3 unit(s) furnished in whole or part by a PT assistant carry CQ "
            "(paid at 85% by Medicare).",
            SRC_CQ,
            ("97112",),
        ),
        Note(
            "cq",
            "97140: 2 of 2 unit(s) furnished in whole or part by a PT assistant carry CQ "
            "(paid at 85% by Medicare).",
            SRC_CQ,
            ("97140",),
        ),
    ]


def test_cq_goes_right_after_gp_and_before_xu_and_kx() -> None:
    result = suggest(
        ln("97530", 2),
        ln("97140", 3, cq=1),
        pairs=(PairFacts("97530", "97140", 1),),
        kx=kx("2470", "60"),
    )
    assert rows(result) == [
        ("97530", 2, ("GP", "KX"), False),
        ("97140", 2, ("GP", "XU", "KX"), False),
        ("97140", 1, ("GP", "CQ", "XU", "KX"), True),
    ]


# --- NCCI pairs: XU, blocks (§5.1, §5.2) ----------------------------------------------------------


def test_xu_goes_on_the_column_2_code_of_an_indicator_1_pair() -> None:
    result = suggest(ln("97530", 2), ln("97140", 1), pairs=(PairFacts("97530", "97140", 1),))
    assert mods(result) == {"97530": ("GP",), "97140": ("GP", "XU")}
    assert notes(result, "distinct") == [
        Note(
            "distinct",
            "97140 is bundled into 97530 unless it was a distinct service in a different time "
            "interval: XU added to 97140 (59 only when no X modifier fits). Remove it if they "
            "overlapped.",
            SRC_NCCI,
            ("97530", "97140"),
        )
    ]
    assert not result.blocked
    assert "XU" in DISTINCT_MODIFIERS


@pytest.mark.parametrize(
    ("lines", "pair"),
    [
        pytest.param((ln("97530", 2), ln("97140")), PairFacts("97530", "97140", 9), id="ind-9"),
        pytest.param((ln("97530", 2),), PairFacts("97530", "97140", 1), id="column-2-absent"),
        pytest.param((ln("97140", 2),), PairFacts("97530", "97140", 1), id="column-1-absent"),
        pytest.param((ln("97110", 2), ln("97112")), PairFacts("97530", "97140", 1), id="other"),
    ],
)
def test_a_pair_that_does_not_apply_adds_no_modifier_and_no_note(
    lines: tuple[LineFacts, ...], pair: PairFacts
) -> None:
    result = suggest(*lines, pairs=(pair,))
    assert all(s.modifiers == ("GP",) for s in result.lines)
    assert kinds(result) == ["gp"]


def test_a_pair_that_does_not_apply_does_not_hide_the_pairs_after_it() -> None:
    pairs = (
        PairFacts("97110", "97112", 1),  # 97112 not billed today
        PairFacts("97530", "97140", 1),
        PairFacts("97530", "97116", 1),
    )
    result = suggest(ln("97530", 2), ln("97140"), ln("97116"), pairs=pairs)
    assert mods(result) == {"97530": ("GP",), "97140": ("GP", "XU"), "97116": ("GP", "XU")}


def test_an_indicator_0_pair_is_a_block_and_gets_no_xu() -> None:
    result = suggest(ln("97162"), ln("97161"), pairs=(PairFacts("97162", "97161", 0),))
    assert notes(result, "block") == [
        Note(
            "block",
            "97162 and 97161 cannot be billed together on one day: no modifier bypasses this "
            "edit (indicator 0). Keep one of them.",
            SRC_NCCI,
            ("97162", "97161"),
        )
    ]
    assert result.blocked
    assert mods(result) == {"97162": ("GP",), "97161": ("GP",)}
    assert "distinct" not in kinds(result)


def test_an_indicator_0_pair_wins_over_a_later_indicator_1_row_of_the_same_pair() -> None:
    pairs = (PairFacts("97530", "97140", 0), PairFacts("97530", "97140", 1))
    result = suggest(ln("97530", 2), ln("97140"), pairs=pairs)
    assert kinds(result) == ["block", "gp"]
    assert mods(result)["97140"] == ("GP",)


def test_indicator_1_pairs_on_several_codes_each_get_xu() -> None:
    pairs = (PairFacts("97530", "97140", 1), PairFacts("97530", "97116", 1))
    result = suggest(ln("97530", 2), ln("97140"), ln("97116"), ln("97110"), pairs=pairs)
    assert mods(result) == {
        "97530": ("GP",),
        "97140": ("GP", "XU"),
        "97116": ("GP", "XU"),
        "97110": ("GP",),
    }
    assert codes_of(result, "distinct") == [("97530", "97140"), ("97530", "97116")]


NOT_WITH_AN_EVALUATION = [
    (evaluation, test)
    for test in ("97750", "97755", "97763")
    for evaluation in ("97161", "97162", "97163", "97164")
] + [("97164", orthotic) for orthotic in ("97760", "97761")]


@pytest.mark.parametrize(("evaluation", "code"), NOT_WITH_AN_EVALUATION)
def test_a_code_not_separately_reportable_with_the_evaluation_is_a_block_never_xu(
    evaluation: str, code: str
) -> None:
    # Even an indicator-1 row for the pair does not bring XU back: the policy edit wins (§5.1).
    result = suggest(ln(evaluation), ln(code, 2), pairs=(PairFacts(evaluation, code, 1),))
    assert notes(result, "block") == [
        Note(
            "block",
            f"{code} is not separately reportable with {evaluation} on the same date by the same "
            f"discipline: no modifier bypasses it. Remove {code}.",
            SRC_NCCI,
            (evaluation, code),
        )
    ]
    assert result.blocked
    assert mods(result)[code] == ("GP",)
    assert all(n.codes != (evaluation, code) for n in notes(result, "distinct"))


@pytest.mark.parametrize("evaluation", ["97161", "97162", "97163"])
@pytest.mark.parametrize("code", ["97760", "97761"])
def test_orthotic_training_is_reportable_with_a_first_evaluation(
    evaluation: str, code: str
) -> None:
    result = suggest(ln(evaluation), ln(code, 2))
    assert not result.blocked
    assert rows(result) == [(evaluation, 1, ("GP",), False), (code, 2, ("GP",), False)]


def test_a_test_with_two_evaluations_is_blocked_against_each() -> None:
    result = suggest(ln("97163"), ln("97750"), ln("97161"))
    assert codes_of(result, "block") == [("97161", "97750"), ("97163", "97750")]


@pytest.mark.parametrize("code", ["97750", "97755", "97763", "97760", "97761"])
def test_tests_and_orthotic_codes_alone_or_with_therapy_are_not_blocked(code: str) -> None:
    result = suggest(ln(code, 2), ln("97110", 2))
    assert not result.blocked
    assert all(s.modifiers == ("GP",) for s in result.lines)


# --- the re-evaluation with therapy (§5.1) --------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "therapy"),
    [
        pytest.param((ln("97164"), ln("97110", 2)), ("97110",), id="one-therapy-code"),
        pytest.param(
            (ln("97164"), ln("97140", 1), ln("97110", 2)), ("97110", "97140"), id="sorted"
        ),
        pytest.param((ln("97110", 2), ln("97164")), ("97110",), id="re-evaluation-last"),
        pytest.param((ln("97164"), ln("97165"), ln("97012")), ("97012",), id="ot-eval-aside"),
    ],
)
def test_a_re_evaluation_billed_with_therapy_gets_xu_with_a_note(
    lines: tuple[LineFacts, ...], therapy: tuple[str, ...]
) -> None:
    result = suggest(*lines)
    assert mods(result)["97164"] == ("GP", "XU")
    assert all(s.modifiers == ("GP",) for s in result.lines if s.code != "97164")
    assert notes(result, "distinct") == [
        Note(
            "distinct",
            f"97164 (re-evaluation) billed with {', '.join(therapy)}: XU added, which is right "
            "only when the patient's status changed enough to need a re-evaluation (document "
            "it); otherwise remove 97164.",
            SRC_NCCI,
            ("97164", *therapy),
        )
    ]


@pytest.mark.parametrize(
    "lines",
    [
        pytest.param((ln("97164"),), id="re-evaluation-alone"),
        pytest.param((ln("97164"), ln("97165")), id="with-an-ot-evaluation-only"),
        pytest.param((ln("97164"), ln("97161"), ln("97110", 2)), id="with-another-evaluation"),
        pytest.param((ln("97164"), ln("97163"), ln("97110", 2)), id="with-97163"),
        pytest.param((ln("97164"), ln("97110", 0)), id="therapy-with-no-units"),
        pytest.param((ln("97161"), ln("97110", 2)), id="a-first-evaluation"),
    ],
)
def test_no_xu_on_an_evaluation_without_therapy_or_with_another_evaluation(
    lines: tuple[LineFacts, ...],
) -> None:
    result = suggest(*lines)
    assert all("XU" not in s.modifiers for s in result.lines)
    assert "distinct" not in kinds(result)


@pytest.mark.parametrize(
    ("lines", "pair"),
    [
        pytest.param((ln("97164"), ln("97750", 2)), None, id="a-test"),
        pytest.param((ln("97164"), ln("97760", 2), ln("97761")), None, id="orthotic-training"),
        pytest.param((ln("97164"), ln("97110", 2)), PairFacts("97164", "97110", 0), id="ind-0"),
    ],
)
def test_no_xu_on_a_re_evaluation_whose_only_therapy_is_blocked_off_the_claim(
    lines: tuple[LineFacts, ...], pair: PairFacts | None
) -> None:
    # §5.1: the blocked code comes off the claim, so 97164 is billed alone and needs no XU
    # (nor the advice to remove it).
    result = suggest(*lines, pairs=(pair,) if pair else ())
    assert result.blocked
    assert mods(result)["97164"] == ("GP",)
    assert "distinct" not in kinds(result)


def test_a_re_evaluation_with_therapy_and_an_indicator_1_pair_gets_both_xus() -> None:
    result = suggest(
        ln("97164"),
        ln("97530", 2),
        ln("97140"),
        pairs=(PairFacts("97530", "97140", 1),),
    )
    assert mods(result) == {"97164": ("GP", "XU"), "97530": ("GP",), "97140": ("GP", "XU")}
    assert codes_of(result, "distinct") == [("97530", "97140"), ("97164", "97140", "97530")]


# --- KX (§4, §10.8) -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("facts", "needed"),
    [
        pytest.param(kx("2400.00", "80.01"), True, id="one-cent-above"),
        pytest.param(kx("2400.00", "80.00"), False, id="equal-is-not-enough"),
        pytest.param(kx("2400.00", "79.99"), False, id="one-cent-below"),
        pytest.param(kx("2480.01", "0"), True, id="above-before-the-visit"),
        pytest.param(kx("0", "2480.01"), True, id="above-with-the-visit-alone"),
        pytest.param(kx("3000", "100", applies=False), False, id="payer-takes-no-kx"),
        pytest.param(kx("3000", "100", threshold=None), False, id="threshold-not-loaded"),
        pytest.param(None, False, id="no-kx-facts"),
    ],
)
def test_kx_is_needed_only_strictly_above_the_threshold(
    facts: KxFacts | None, needed: bool
) -> None:
    assert kx_needed(facts) is needed
    result = suggest(ln("97110", 3, cq=1), ln("97012"), kx=facts)
    assert result.kx_needed is needed
    assert all(("KX" in s.modifiers) is needed for s in result.lines)
    assert ("kx" in kinds(result)) is needed


def test_kx_goes_on_every_gp_line_last_and_its_note_shows_the_arithmetic() -> None:
    result = suggest(ln("97110", 3, cq=1), ln("95851", therapy=False), kx=kx("2450.50", "62.25"))
    assert rows(result) == [
        ("97110", 2, ("GP", "KX"), False),
        ("97110", 1, ("GP", "CQ", "KX"), True),
        ("95851", 1, ("GP", "KX"), False),
    ]
    assert notes(result, "kx") == [
        Note(
            "kx",
            "This year's allowed amount with this visit is $2,512.75, over the $2,480.00 "
            "threshold: KX added to therapy lines. Document why the care remains medically "
            "necessary.",
            SRC_KX,
        )
    ]


# --- the notes together ---------------------------------------------------------------------------


def test_notes_come_blocks_first_then_distinct_kx_cq_and_gp_last() -> None:
    result = suggest(
        ln("97164"),
        ln("97760", 1),
        ln("97530", 2),
        ln("97140", 2, cq=1),
        ln("97110", 2, cq=2),
        pairs=(PairFacts("97530", "97140", 1), PairFacts("97530", "97110", 0)),
        kx=kx("2500", "100"),
    )
    assert [(n.kind, n.codes, n.rule) for n in result.notes] == [
        ("block", ("97164", "97760"), SRC_NCCI),
        ("distinct", ("97530", "97140"), SRC_NCCI),
        ("block", ("97530", "97110"), SRC_NCCI),
        # 97760 and 97110 come off the claim: not therapy the re-evaluation is billed with.
        ("distinct", ("97164", "97140", "97530"), SRC_NCCI),
        ("kx", (), SRC_KX),
        ("cq", ("97140",), SRC_CQ),
        ("cq", ("97110",), SRC_CQ),
        ("gp", (), SRC_GP),
    ]
    assert result.blocked


def test_blocked_is_true_only_with_a_block_note() -> None:
    clean = ModifierResult(lines=(), notes=(Note("distinct", "m", SRC_NCCI),), kx_needed=False)
    blocked = ModifierResult(lines=(), notes=(Note("block", "m", SRC_NCCI),), kx_needed=False)
    assert not clean.blocked
    assert blocked.blocked


# --- properties -----------------------------------------------------------------------------------

CODES = ("97110", "97112", "97140", "97530", "97116", "97012", "97164", "97750", "97760")


@st.composite
def days(draw: st.DrawFn) -> tuple[LineFacts, ...]:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=6, unique=True))
    lines = []
    for code in codes:
        units = draw(st.integers(0, 8))
        lines.append(ln(code, units, cq=draw(st.integers(0, units)), therapy=draw(st.booleans())))
    return tuple(lines)


@st.composite
def pairs(draw: st.DrawFn) -> tuple[PairFacts, ...]:
    found = draw(
        st.lists(
            st.tuples(st.sampled_from(CODES), st.sampled_from(CODES), st.sampled_from([0, 1, 9])),
            max_size=3,
        )
    )
    return tuple(PairFacts(c1, c2, ind) for c1, c2, ind in found if c1 != c2)


kx_facts = st.none() | st.builds(
    KxFacts,
    applies=st.booleans(),
    threshold=st.none() | st.just(THRESHOLD_2026),
    ytd_before_visit=st.decimals(0, 4000, places=2),
    this_visit=st.decimals(0, 300, places=2),
)


@given(days(), pairs(), kx_facts, st.sampled_from(["GP", None]))
def test_the_suggested_lines_of_a_code_add_up_to_its_units_and_cq_follows_gp(
    lines: tuple[LineFacts, ...],
    pair_facts: tuple[PairFacts, ...],
    kx_: KxFacts | None,
    gp: str | None,
) -> None:
    result = suggest(*lines, pairs=pair_facts, kx=kx_, therapy_modifier=gp)
    by_code: dict[str, list[SuggestedLine]] = {}
    for s in result.lines:
        by_code.setdefault(s.code, []).append(s)
    assert list(by_code) == [line.code for line in lines if line.units > 0]
    for line in lines:
        if line.units <= 0:
            continue
        suggested = by_code[line.code]
        assert sum(s.units for s in suggested) == line.units
        assert all(s.units > 0 for s in suggested)
        assert [s.cq for s in suggested] == sorted(s.cq for s in suggested)  # GP line first
        assert sum(s.units for s in suggested if s.cq) == line.cq_units
        for s in suggested:
            assert ("CQ" in s.modifiers) is s.cq
            if gp is None:
                assert "GP" not in s.modifiers and "KX" not in s.modifiers
            else:
                assert s.modifiers[0] == "GP"
                if s.cq:
                    assert s.modifiers[:2] == ("GP", "CQ")
                assert ("KX" in s.modifiers) is result.kx_needed
                assert s.modifiers[-1] == "KX" or not result.kx_needed
    assert result.kx_needed is kx_needed(kx_)
    assert len(notes(result, "cq")) == sum(1 for line in lines if line.units and line.cq_units)
    assert ("gp" in kinds(result)) is bool(gp and result.lines)
