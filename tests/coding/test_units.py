"""The 8-minute-rule engine (billing-rules §1, §2; caps §2, §5.3; CQ §4). No database."""

import ast
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding.units import (
    Method,
    ServiceInput,
    UnitsRequest,
    UnitsResult,
    WarningKind,
    compute_units,
    minutes_range,
    units_for_minutes,
)

REPO = Path(__file__).resolve().parents[2]


def svc(code: str, minutes: int, timed: bool = True, **fields: Any) -> ServiceInput:
    return ServiceInput(code=code, minutes=minutes, timed=timed, **fields)


def run(*services: ServiceInput, method: Method = Method.CMS, **fields: Any) -> UnitsResult:
    return compute_units(UnitsRequest(services=services, method=method, **fields))


def units_of(result: UnitsResult) -> dict[str, int]:
    return {line.code: line.units for line in result.lines}


INFORMATIONAL = {WarningKind.BELOW_15_MIN_AVERAGE, WarningKind.UNTIMED_MINUTES}


def kinds(result: UnitsResult) -> list[str]:
    """Warning kinds, without the informational ones most tests are not about."""
    return [w.kind for w in result.warnings if w.kind not in INFORMATIONAL]


def problems(result: UnitsResult) -> list[tuple[str, str | None]]:
    return [(w.kind, w.code) for w in result.warnings if w.kind not in INFORMATIONAL]


def all_kinds(result: UnitsResult) -> list[str]:
    return [w.kind for w in result.warnings]


# --- the table ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "units"),
    [
        (0, 0), (7, 0), (8, 1), (22, 1), (23, 2), (37, 2), (38, 3), (52, 3), (53, 4),
        (67, 4), (68, 5), (82, 5), (83, 6), (97, 6), (98, 7), (112, 7), (113, 8), (127, 8),
        (128, 9),
    ],
)  # fmt: skip
def test_unit_table_matches_the_manual(minutes: int, units: int) -> None:
    assert units_for_minutes(minutes) == units


def test_minutes_range_states_the_table_row() -> None:
    assert minutes_range(3) == "38\N{EN DASH}52 minutes = 3 units"
    assert minutes_range(1) == "8\N{EN DASH}22 minutes = 1 unit"
    assert minutes_range(0) == "0\N{EN DASH}7 minutes = 0 units"


@pytest.mark.parametrize("method", list(Method))
def test_seven_minutes_alone_bill_nothing(method: Method) -> None:
    result = run(svc("97140", 7), method=method)
    assert units_of(result) == {"97140": 0}
    assert WarningKind.UNDER_8_MINUTES in kinds(result)
    assert "under 8" in result.warnings[0].message


@pytest.mark.parametrize("method", list(Method))
def test_eight_minutes_alone_bill_one_unit(method: Method) -> None:
    assert units_of(run(svc("97140", 8), method=method)) == {"97140": 1}


# --- CMS: pooling and sharing out --------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "expected"),
    [
        pytest.param(
            [svc("97112", 24), svc("97110", 23)],
            {"97112": 2, "97110": 1},
            id="manual-ex1-24+23-more-units-to-the-longer-service",
        ),
        pytest.param([svc("97530", 60)], {"97530": 4}, id="60-minutes-alone-is-4-units"),
        pytest.param(
            [svc("97140", 15), svc("97035", 8)],
            {"97140": 1, "97035": 1},
            id="webpt-15+8-is-one-unit-each",
        ),
        pytest.param(
            [svc("97110", 33), svc("97140", 7)],
            {"97110": 2, "97140": 1},
            id="33+7-leftover-unit-goes-to-the-7-minute-code",
        ),
        pytest.param(
            [svc("97110", 5), svc("97140", 4), svc("97035", 3)],
            {"97110": 1, "97140": 0, "97035": 0},
            id="short-services-totalling-8-bill-one-unit-for-the-longest",
        ),
        pytest.param(
            [svc("97110", 45), svc("97140", 15)],
            {"97110": 3, "97140": 1},
            id="15-minutes-earns-a-unit-when-others-ran-longer",
        ),
        pytest.param(
            [svc("97110", 12), svc("97140", 11), svc("97035", 10)],
            {"97110": 1, "97140": 1, "97035": 0},
            id="a-code-with-8-plus-minutes-can-get-0-when-the-total-is-used-up",
        ),
    ],
)
def test_cms_shares_the_day_total_by_full_blocks_then_largest_leftover(
    services: list[ServiceInput], expected: dict[str, int]
) -> None:
    result = run(*services)
    assert units_of(result) == expected
    assert result.total_timed_units == units_for_minutes(sum(s.minutes for s in services))
    assert result.ties == ()


def test_manual_example_explains_the_arithmetic_with_its_rule() -> None:
    result = run(svc("97112", 24), svc("97110", 23))
    texts = [step.text for step in result.explanation]
    assert texts[0] == (
        "Total timed minutes 24 (97112) + 23 (97110) = 47 → 3 units "
        "(38\N{EN DASH}52 minutes = 3 units)."
    )
    assert any("97112 (9 min)" in text for text in texts)
    assert all(step.rule.startswith("billing-rules §") for step in result.explanation)
    assert result.explanation[0].rule == "billing-rules §1 rule 2 (MCPM 5 §20.2)"


def test_a_code_using_up_its_share_gets_a_no_unit_left_warning() -> None:
    result = run(svc("97110", 12), svc("97140", 11), svc("97035", 10))
    assert problems(result) == [(WarningKind.NO_UNIT_LEFT, "97035")]


def test_short_code_that_loses_its_unit_gets_an_under_8_warning() -> None:
    result = run(svc("97110", 5), svc("97140", 4))
    assert problems(result) == [(WarningKind.UNDER_8_MINUTES, "97140")]


# --- ties ---------------------------------------------------------------------------------------


def test_twenty_plus_twenty_minutes_is_three_units_with_a_tie_never_three_of_one() -> None:
    result = run(svc("97112", 20, fee=Decimal("32.73")), svc("97110", 20, fee=Decimal("29.06")))
    assert units_of(result) == {"97112": 2, "97110": 1}
    (tie,) = result.ties
    assert tie.codes == ("97112", "97110")
    assert tie.contested_units == 1
    assert tie.remainder == 5
    assert tie.chosen == ("97112",)  # the higher-paying code is suggested
    assert tie.alternatives == (("97110",),)
    assert not tie.chosen_by_therapist


def test_tie_without_fees_is_suggested_in_code_order() -> None:
    result = run(svc("97112", 20), svc("97110", 20))
    assert units_of(result) == {"97112": 1, "97110": 2}
    assert result.ties[0].chosen == ("97110",)


def test_tie_prefers_a_code_with_a_fee_over_one_without() -> None:
    result = run(svc("97110", 20), svc("97112", 20, fee=Decimal("1.00")))
    assert result.ties[0].chosen == ("97112",)


def test_tie_choice_names_the_code_that_gets_the_contested_unit() -> None:
    result = run(
        svc("97112", 20, fee=Decimal("32.73")),
        svc("97110", 20, fee=Decimal("29.06")),
        tie_choice=("97110",),
    )
    assert units_of(result) == {"97112": 1, "97110": 2}
    (tie,) = result.ties
    assert tie.chosen == ("97110",)
    assert tie.alternatives == (("97112",),)
    assert tie.chosen_by_therapist
    assert problems(result) == []


@pytest.mark.parametrize(
    "choice",
    [("97140",), ("97110", "97112"), ("97110", "97110"), ()],
    ids=["code-not-tied", "too-many-codes", "repeated-code", "empty"],
)
def test_invalid_tie_choice_is_ignored_with_a_warning(choice: tuple[str, ...]) -> None:
    result = run(svc("97112", 20), svc("97110", 20), tie_choice=choice)
    assert units_of(result) == {"97112": 1, "97110": 2}
    assert kinds(result) == [WarningKind.TIE_CHOICE_IGNORED]
    assert not result.ties[0].chosen_by_therapist


def test_tie_choice_without_a_tie_is_ignored_with_a_warning() -> None:
    result = run(svc("97112", 24), svc("97110", 23), tie_choice=("97110",))
    assert units_of(result) == {"97112": 2, "97110": 1}
    assert kinds(result) == [WarningKind.TIE_CHOICE_IGNORED]


def test_three_codes_of_five_minutes_tie_for_the_one_unit() -> None:
    result = run(svc("97110", 5), svc("97112", 5), svc("97140", 5))
    assert sorted(units_of(result).values()) == [0, 0, 1]
    (tie,) = result.ties
    assert tie.contested_units == 1
    assert tie.chosen == ("97110",)
    assert set(tie.alternatives) == {("97112",), ("97140",)}


def test_tie_for_two_units_among_three_codes_lists_every_other_allocation() -> None:
    result = run(
        svc("97110", 10), svc("97112", 10), svc("97140", 10), tie_choice=("97140", "97112")
    )
    assert units_of(result) == {"97110": 0, "97112": 1, "97140": 1}
    (tie,) = result.ties
    assert tie.chosen == ("97112", "97140")
    assert set(tie.alternatives) == {("97110", "97112"), ("97110", "97140")}


def test_codes_above_the_cut_off_are_not_part_of_the_tie() -> None:
    # leftovers 12, 6, 6 with 2 leftover units: 97530 gets one; 97110/97112 tie for the other
    result = run(svc("97530", 27), svc("97110", 21), svc("97112", 21))
    assert units_of(result)["97530"] == 2
    (tie,) = result.ties
    assert tie.codes == ("97110", "97112")
    assert tie.contested_units == 1


# --- AMA ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "cms", "ama"),
    [
        pytest.param(
            [svc("97110", 33), svc("97140", 7)],
            {"97110": 2, "97140": 1},
            {"97110": 2, "97140": 0},
            id="no-pooling-of-a-7-minute-leftover",
        ),
        pytest.param(
            [svc("97110", 24), svc("97112", 23)],
            {"97110": 2, "97112": 1},
            {"97110": 2, "97112": 2},
            id="no-cap-from-the-total",
        ),
        pytest.param(
            [svc("97110", 20), svc("97112", 20)],
            {"97110": 2, "97112": 1},
            {"97110": 1, "97112": 1},
            id="20+20-is-two-units-not-three",
        ),
        pytest.param(
            [svc("97110", 5), svc("97140", 4), svc("97035", 3)],
            {"97110": 1, "97140": 0, "97035": 0},
            {"97110": 0, "97140": 0, "97035": 0},
            id="short-services-never-add-up",
        ),
        pytest.param(
            [svc("97110", 8), svc("97140", 8)],
            {"97110": 1, "97140": 0},
            {"97110": 1, "97140": 1},
            id="each-8-minute-code-earns-its-own-unit",
        ),
    ],
)
def test_ama_counts_each_code_alone_where_cms_pools(
    services: list[ServiceInput], cms: dict[str, int], ama: dict[str, int]
) -> None:
    assert units_of(run(*services, method=Method.CMS)) == cms
    ama_result = run(*services, method=Method.AMA)
    assert units_of(ama_result) == ama
    assert ama_result.ties == ()


# --- untimed codes and totals ------------------------------------------------------------------


@pytest.mark.parametrize("minutes", [0, 10, 45, 120])
def test_untimed_code_bills_one_unit_whatever_the_minutes(minutes: int) -> None:
    result = run(svc("97161", minutes, timed=False))
    assert units_of(result) == {"97161": 1}
    assert result.total_timed_minutes == 0
    assert result.total_timed_units == 0
    assert result.total_treatment_minutes == minutes
    assert (WarningKind.UNTIMED_MINUTES in all_kinds(result)) == (minutes > 0)


def test_untimed_minutes_count_toward_treatment_minutes_never_timed_minutes() -> None:
    result = run(svc("97161", 30, timed=False), svc("97110", 23), svc("97140", 8))
    assert result.total_timed_minutes == 31
    assert result.total_treatment_minutes == 61
    assert result.total_timed_units == 2
    assert units_of(result) == {"97161": 1, "97110": 2, "97140": 0}


def test_lines_keep_input_order() -> None:
    result = run(svc("97140", 10), svc("97010", 10, timed=False), svc("97110", 30))
    assert [line.code for line in result.lines] == ["97140", "97010", "97110"]


def test_repeated_code_is_merged_into_its_first_line_with_a_warning() -> None:
    result = run(svc("97110", 10, pta_minutes=5), svc("97140", 8), svc("97110", 15, pta_minutes=5))
    assert [line.code for line in result.lines] == ["97110", "97140"]
    line = result.lines[0]
    assert (line.minutes, line.pta_minutes) == (25, 10)
    assert problems(result)[0] == (WarningKind.DUPLICATE_CODE, "97110")


def test_averaging_under_fifteen_minutes_per_unit_is_highlighted() -> None:
    short = run(svc("97140", 15), svc("97035", 8))
    assert WarningKind.BELOW_15_MIN_AVERAGE in all_kinds(short)
    assert "11.5 minutes per unit" in short.warnings[0].message
    assert WarningKind.BELOW_15_MIN_AVERAGE not in all_kinds(
        run(svc("97112", 24), svc("97110", 23))
    )


# --- caps --------------------------------------------------------------------------------------


def test_unit_limit_cuts_the_line_and_keeps_the_units_it_had() -> None:
    result = run(svc("97110", 100, max_units=6), svc("97112", 30, max_units=4))
    line = result.lines[0]
    assert (line.units, line.capped_from) == (6, 7)
    assert result.lines[1].capped_from is None
    assert result.total_timed_units == 8
    assert problems(result) == [(WarningKind.CAPPED_BY_UNIT_LIMIT, "97110")]


FEES = {"97112": Decimal("32.73"), "97110": Decimal("29.06"), "97140": Decimal("27.72")}


@pytest.mark.parametrize(
    ("cap", "expected"),
    [
        pytest.param(6, {"97110": 2, "97140": 2, "97112": 2}, id="under-the-cap-nothing-cut"),
        pytest.param(5, {"97110": 2, "97140": 1, "97112": 2}, id="smallest-leftover-goes-first"),
        pytest.param(4, {"97110": 1, "97140": 1, "97112": 2}, id="then-the-next-leftover-unit"),
        pytest.param(3, {"97110": 1, "97140": 0, "97112": 2}, id="then-the-lowest-fee-full-unit"),
    ],
)
def test_daily_cap_takes_the_weakest_units_first(cap: int, expected: dict[str, int]) -> None:
    # 27 = 1 full + 12 left, 26 = 1 full + 11 left, 30 = 2 full: 83 min → 6 units
    result = run(
        svc("97110", 27, fee=FEES["97110"]),
        svc("97140", 26, fee=FEES["97140"]),
        svc("97112", 30, fee=FEES["97112"]),
        daily_timed_unit_cap=cap,
    )
    assert units_of(result) == expected
    assert result.total_timed_units == min(cap, 6)
    cut = {w.code for w in result.warnings if w.kind == WarningKind.CAPPED_BY_DAILY_CAP}
    assert cut == {code for code, units in expected.items() if units < 2}
    for line in result.lines:
        assert line.capped_from == (2 if line.units < 2 else None)


def test_daily_cap_applies_under_ama_and_leaves_untimed_codes_alone() -> None:
    result = run(
        svc("97110", 38),
        svc("97112", 38),
        svc("97530", 38),
        svc("97161", 30, timed=False),
        method=Method.AMA,
        daily_timed_unit_cap=8,
    )
    assert result.total_timed_units == 8
    assert units_of(result)["97161"] == 1


@pytest.mark.parametrize(
    ("services", "cut"),
    [
        # 26 = 1 full + 11 left, 27 = 1 full + 12 left: the fewest leftover minutes go first,
        # even on the code that pays more.
        pytest.param(
            (svc("97112", 26, fee=FEES["97112"]), svc("97110", 27, fee=FEES["97110"])),
            "97112",
            id="fewest-leftover-minutes-before-the-fee",
        ),
        # Full units only (31 = 2 full + 1, 34 = 2 full + 4, 65 min = 4 units): the lower fee goes
        # first even with more minutes.
        pytest.param(
            (svc("97112", 31, fee=FEES["97112"]), svc("97110", 34, fee=FEES["97110"])),
            "97110",
            id="lower-fee-before-fewer-minutes",
        ),
        # A code without a fee on file goes before one with a fee, even as the earlier line.
        pytest.param(
            (svc("97140", 30), svc("97110", 30, fee=FEES["97110"])),
            "97140",
            id="no-fee-first",
        ),
        # Equal in everything: the later line goes first.
        pytest.param((svc("97140", 30), svc("97110", 30)), "97110", id="then-the-later-line"),
    ],
)
def test_daily_cap_order_of_the_weakest_units(services: tuple[ServiceInput, ...], cut: str) -> None:
    full = run(*services)
    capped = run(*services, daily_timed_unit_cap=full.total_timed_units - 1)
    assert {code: units_of(full)[code] - units for code, units in units_of(capped).items()} == {
        line.code: int(line.code == cut) for line in full.lines
    }
    warning = next(w for w in capped.warnings if w.kind == WarningKind.CAPPED_BY_DAILY_CAP)
    assert warning.code == cut
    assert warning.message.startswith(f"{cut}: 1 unit removed")


def test_line_for_finds_a_code_of_the_day() -> None:
    result = run(svc("97112", 24), svc("97110", 23))
    line = result.line_for("97110")
    assert line is not None
    assert (line.code, line.units) == ("97110", 1)
    assert result.line_for("97140") is None


def test_a_tie_prefers_a_fee_of_fifty_cents_over_a_fee_of_zero() -> None:
    # A $0.00 fee (a bundled code) is a fee, and the lowest one.
    result = run(svc("97110", 20, fee=Decimal("0.00")), svc("97112", 20, fee=Decimal("0.50")))
    assert result.ties[0].chosen == ("97112",)
    assert result.ties[0].chosen_by_therapist is False


def test_a_whole_day_of_minutes_is_possible() -> None:
    # 1440 minutes is a day: allowed on one line, and as two sittings of one code.
    assert run(svc("97110", 1440)).total_timed_units == 96
    assert run(svc("97110", 720), svc("97110", 720)).total_timed_units == 96
    with pytest.raises(ValueError, match="more than a day"):
        run(svc("97110", 721), svc("97110", 720))


def test_lines_keep_their_method_full_units_and_remainder() -> None:
    result = run(svc("97110", 38), method=Method.AMA)
    assert result.method is Method.AMA
    assert (result.lines[0].full_units, result.lines[0].remainder) == (2, 8)
    assert run(svc("97110", 38)).method is Method.CMS


def test_an_untimed_service_at_exactly_10_percent_assistant_minutes_carries_no_cq() -> None:
    # §10.2: the assistant's share counts only when it is over 10%.
    assert run(svc("97012", 10, timed=False, pta_minutes=1)).lines[0].cq_units == 0
    assert run(svc("97012", 9, timed=False, pta_minutes=1)).lines[0].cq_units == 1


@pytest.mark.parametrize(
    ("services", "method", "kind", "code", "rule"),
    [
        pytest.param(
            (svc("97110", 5),), Method.CMS, "under-8-minutes", "97110", "§1 rule 1", id="alone"
        ),
        pytest.param(
            (svc("97110", 5), svc("97112", 23)),
            Method.AMA,
            "under-8-minutes",
            "97110",
            "§2 (AMA",
            id="ama",
        ),
        # 29 = 1 full + 14 left takes the day's second unit; 8 minutes earn nothing.
        pytest.param(
            (svc("97112", 29), svc("97110", 8)),
            Method.CMS,
            "no-unit-left",
            "97110",
            "§1 rule 2",
            id="eight-minutes-that-lost-the-unit",
        ),
        pytest.param(
            (svc("97112", 30), svc("97110", 7)),
            Method.CMS,
            "under-8-minutes",
            "97110",
            "§1 rule 4",
            id="seven-minutes-that-lost-the-unit",
        ),
    ],
)
def test_a_timed_code_without_a_unit_is_warned_with_its_code_and_rule(
    services: tuple[ServiceInput, ...], method: Method, kind: str, code: str, rule: str
) -> None:
    result = run(*services, method=method)
    zero = (WarningKind.UNDER_8_MINUTES, WarningKind.NO_UNIT_LEFT)
    (warning,) = [w for w in result.warnings if w.kind in zero]
    assert (warning.kind, warning.code) == (kind, code)
    assert rule in warning.rule


def test_an_untimed_codes_minutes_warning_names_the_code() -> None:
    result = run(svc("97012", 20, timed=False))
    assert [(w.kind, w.code) for w in result.warnings] == [(WarningKind.UNTIMED_MINUTES, "97012")]


def test_fifteen_minutes_a_unit_on_average_is_not_highlighted() -> None:
    assert WarningKind.BELOW_15_MIN_AVERAGE not in all_kinds(run(svc("97110", 30)))
    assert WarningKind.BELOW_15_MIN_AVERAGE in all_kinds(run(svc("97110", 29)))


@pytest.mark.parametrize(
    ("services", "blocks"),
    [
        pytest.param((svc("97110", 30),), True, id="one-code-with-a-full-block"),
        pytest.param((svc("97110", 10),), False, id="one-code-without"),
        pytest.param((svc("97110", 7), svc("97112", 23)), True, id="two-codes"),
    ],
)
def test_the_full_blocks_step_is_shown_when_there_is_something_to_share(
    services: tuple[ServiceInput, ...], blocks: bool
) -> None:
    texts = [step.text for step in run(*services).explanation]
    assert any(text.startswith("Full 15-minute blocks") for text in texts) is blocks


def test_no_leftover_step_for_a_day_without_units() -> None:
    texts = [step.text for step in run(svc("97110", 5)).explanation]
    assert not any("no unit left" in text for text in texts)
    texts = [step.text for step in run(svc("97110", 30), svc("97112", 5)).explanation]
    assert "2 - 2 full = no unit left for leftover minutes." in texts


def test_unit_limit_and_daily_cap_together_report_the_units_before_any_cap() -> None:
    result = run(svc("97110", 100, max_units=6), daily_timed_unit_cap=4)
    line = result.lines[0]
    assert (line.units, line.capped_from) == (4, 7)
    assert kinds(result)[:2] == [WarningKind.CAPPED_BY_UNIT_LIMIT, WarningKind.CAPPED_BY_DAILY_CAP]


# --- CQ (assistant share) ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minutes", "pta_minutes", "timed", "cq_units"),
    [
        pytest.param(30, 0, True, 0, id="no-assistant"),
        pytest.param(30, 30, True, 2, id="assistant-did-it-all"),
        pytest.param(45, 15, True, 1, id="each-keeps-their-own-full-blocks"),
        pytest.param(38, 8, True, 1, id="shared-unit-assistant-over-10-percent-pt-under-8"),
        pytest.param(30, 3, True, 0, id="shared-unit-pt-furnished-8-or-more"),
        pytest.param(30, 4, True, 0, id="shared-unit-pt-12-minutes-keeps-it"),
        pytest.param(45, 16, True, 1, id="shared-unit-pt-14-minutes-keeps-it"),
        pytest.param(15, 10, True, 1, id="one-unit-pt-5-assistant-10"),
        pytest.param(18, 9, True, 0, id="one-unit-pt-9-assistant-9-pt-keeps-it"),
        pytest.param(16, 8, True, 0, id="one-unit-pt-8-assistant-8-pt-keeps-it"),
        pytest.param(16, 9, True, 1, id="one-unit-pt-7-assistant-9"),
        pytest.param(24, 12, True, 1, id="two-units-left-each-9-to-14-one-each"),
        pytest.param(28, 14, True, 1, id="two-units-left-14-and-14"),
        pytest.param(15, 15, False, 1, id="untimed-counts-whole"),
        pytest.param(15, 1, False, 0, id="untimed-de-minimis"),
        pytest.param(15, 2, False, 1, id="untimed-over-10-percent"),
    ],
)
def test_cq_units_are_those_furnished_in_whole_or_part_by_the_assistant(
    minutes: int, pta_minutes: int, timed: bool, cq_units: int
) -> None:
    result = run(svc("97110" if timed else "97012", minutes, timed=timed, pta_minutes=pta_minutes))
    assert result.lines[0].cq_units == cq_units


def test_an_assistants_untimed_service_carries_cq_with_no_minutes_typed() -> None:
    service = ServiceInput(code="G0283", minutes=0, timed=False, by_assistant=True)
    result = compute_units(UnitsRequest(services=(service,), method=Method.CMS))
    assert (result.lines[0].units, result.lines[0].cq_units) == (1, 1)
    plain = ServiceInput(code="G0283", minutes=0, timed=False)
    result = compute_units(UnitsRequest(services=(plain,), method=Method.CMS))
    assert result.lines[0].cq_units == 0


def test_cms_cq_example_two_codes_pooled() -> None:
    """The day's units first (§1), then CQ per code (§10.2): PT 23 min 97110, assistant 20 min
    97112 → 43 min = 3 units; 97110 x 2 (its own 1 full block + leftover 8), 97112 x 1 by the
    assistant with CQ."""
    result = run(svc("97110", 23), svc("97112", 20, pta_minutes=20))
    lines = {line.code: (line.units, line.cq_units) for line in result.lines}
    assert lines == {"97110": (2, 0), "97112": (1, 1)}


def test_cq_units_follow_the_capped_units() -> None:
    result = run(svc("97110", 100, pta_minutes=100, max_units=6))
    assert result.lines[0].cq_units == 6


# --- validation --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("services", "message"),
    [
        pytest.param([svc("97110", -1)], "negative", id="negative-minutes"),
        pytest.param([svc("97110", 1441)], "more than a day", id="over-a-day"),
        pytest.param([svc("97110", 10, pta_minutes=11)], "exceed", id="assistant-over-line"),
        pytest.param([svc("97110", 10, pta_minutes=-1)], "negative", id="negative-assistant"),
        pytest.param([svc("97110", 800), svc("97112", 800)], "exceed", id="timed-over-a-day"),
        pytest.param([svc("97110", 800), svc("97110", 800)], "more than a day", id="merged"),
        pytest.param([svc(" ", 10)], "code", id="blank-code"),
        pytest.param([svc("97110", 10, max_units=-1)], "max_units", id="negative-limit"),
        pytest.param([svc("97110", 10), svc("97110", 5, timed=False)], "timed", id="mixed-flag"),
    ],
)
def test_impossible_input_is_rejected(services: list[ServiceInput], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        run(*services)


def test_negative_daily_cap_is_rejected() -> None:
    with pytest.raises(ValueError, match="daily_timed_unit_cap"):
        run(svc("97110", 10), daily_timed_unit_cap=-1)


def test_units_for_negative_minutes_is_rejected() -> None:
    with pytest.raises(ValueError):
        units_for_minutes(-1)


# --- properties --------------------------------------------------------------------------------

TIMED_CODES = ["97110", "97112", "97116", "97140", "97530", "97035", "97032", "97535"]
UNTIMED_CODES = ["97161", "97010", "97012", "G0283"]


@st.composite
def days(draw: st.DrawFn, *, caps: bool = False) -> tuple[ServiceInput, ...]:
    codes = draw(st.lists(st.sampled_from(TIMED_CODES), min_size=1, max_size=6, unique=True))
    services = []
    for code in codes:
        minutes = draw(st.integers(min_value=0, max_value=120))
        services.append(
            ServiceInput(
                code=code,
                minutes=minutes,
                timed=True,
                pta_minutes=draw(st.integers(min_value=0, max_value=minutes)),
                fee=draw(st.none() | st.decimals(min_value=0, max_value=200, places=2)),
                max_units=draw(st.none() | st.integers(0, 8)) if caps else None,
            )
        )
    for code in draw(st.lists(st.sampled_from(UNTIMED_CODES), max_size=2, unique=True)):
        services.append(
            ServiceInput(code=code, minutes=draw(st.integers(0, 60)), timed=False),
        )
    return tuple(draw(st.permutations(services)))


def timed_minutes(services: tuple[ServiceInput, ...]) -> int:
    return sum(s.minutes for s in services if s.timed)


@given(days())
def test_cms_units_sum_to_the_table_for_the_total_timed_minutes(
    services: tuple[ServiceInput, ...],
) -> None:
    result = run(*services)
    assert result.total_timed_units == units_for_minutes(timed_minutes(services))
    assert sum(line.units for line in result.lines if line.timed) == result.total_timed_units


@given(days(), st.sampled_from(list(Method)))
def test_no_code_with_fifteen_minutes_or_more_gets_zero(
    services: tuple[ServiceInput, ...], method: Method
) -> None:
    for line in run(*services, method=method).lines:
        if not line.timed:
            continue
        assert line.units >= line.minutes // 15
        if line.minutes >= 15:
            assert line.units > 0


@given(days())
def test_cms_never_gives_a_code_more_than_its_full_blocks_plus_one(
    services: tuple[ServiceInput, ...],
) -> None:
    for line in run(*services).lines:
        if line.timed:
            assert line.full_units <= line.units <= line.full_units + 1


@given(days())
def test_ama_each_code_is_independent_of_the_others(services: tuple[ServiceInput, ...]) -> None:
    together = units_of(run(*services, method=Method.AMA))
    for service in services:
        alone = units_of(run(service, method=Method.AMA))
        assert together[service.code] == alone[service.code]
        if service.timed:
            assert together[service.code] == units_for_minutes(service.minutes)


@given(days(caps=True), st.none() | st.integers(0, 12), st.sampled_from(list(Method)))
def test_caps_are_respected(
    services: tuple[ServiceInput, ...], cap: int | None, method: Method
) -> None:
    uncapped = units_of(run(*(replace(s, max_units=None) for s in services), method=method))
    result = run(*services, method=method, daily_timed_unit_cap=cap)
    limits = {s.code: s.max_units for s in services}
    for line in result.lines:
        limit = limits[line.code]
        assert limit is None or line.units <= limit
        assert line.units <= uncapped[line.code]
        assert (line.capped_from is not None) == (line.units < uncapped[line.code])
        assert 0 <= line.cq_units <= line.units
    if cap is not None:
        assert result.total_timed_units <= cap


@given(days())
def test_every_tie_alternative_is_a_valid_choice(services: tuple[ServiceInput, ...]) -> None:
    result = run(*services)
    for tie in result.ties:
        for alternative in tie.alternatives:
            switched = run(*services, tie_choice=alternative)
            assert switched.ties[0].chosen == alternative
            assert switched.ties[0].chosen_by_therapist
            assert switched.total_timed_units == result.total_timed_units


# --- no Django ---------------------------------------------------------------------------------


def test_units_module_imports_only_the_standard_library() -> None:
    tree = ast.parse((REPO / "coding" / "units.py").read_text())
    modules = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {
        node.module.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module
    }
    assert modules <= set(sys.stdlib_module_names), modules - set(sys.stdlib_module_names)


def test_importing_units_does_not_load_django() -> None:
    code = (
        "import sys, coding.units; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(f'django loaded: {loaded[:3]}' if loaded else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
