"""Expected allowed amount: fee x units, MPPR (billing-rules §6.9), CQ last (§4), cents (§8).

The amounts are worked by hand from the 2026 national fees of billing-rules §8 (97110 $29.06,
97112 $32.73) and the one known RVU split (97110: work 0.45, PE 0.41, MP 0.01 → PE share
0.41 / 0.87 = 47.1264%; PE per unit $29.06 x 0.471264 = $13.694943, half of it $6.847471).
"""

import ast
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from coding.pricing import (
    ASSUMED_PE_SHARE,
    NO_FEE_NOTE,
    PriceLine,
    PricingRequest,
    PricingResult,
    RvuSplit,
    compute_expected_amount,
)

REPO = Path(__file__).resolve().parents[2]
D = Decimal
RVU_97110 = RvuSplit(work=D("0.45"), pe=D("0.41"), mp=D("0.01"))
# Made-up split for tests only (not CMS data): PE share 0.37 / 0.98 = 37.7551%.
TEST_RVU_97112 = RvuSplit(work=D("0.60"), pe=D("0.37"), mp=D("0.01"))


def line_97110(**fields: Any) -> PriceLine:
    fields = {"rvu": RVU_97110, **fields}
    return PriceLine(code="97110", units=2, fee=D("29.06"), always_therapy=True, **fields)


def line_97112(**fields: Any) -> PriceLine:
    return PriceLine(code="97112", units=1, fee=D("32.73"), always_therapy=True, **fields)


def price(*lines: PriceLine, mppr: bool = True, cq: bool = True) -> PricingResult:
    return compute_expected_amount(
        PricingRequest(lines=lines, applies_mppr=mppr, applies_cq_reduction=cq)
    )


def amounts(result: PricingResult) -> dict[str, Decimal | None]:
    return {line.code: line.expected_amount for line in result.lines}


def test_without_mppr_each_line_is_fee_times_units() -> None:
    result = price(line_97110(), line_97112(), mppr=False)
    assert amounts(result) == {"97110": D("58.12"), "97112": D("32.73")}
    assert result.total == D("90.85")
    assert not result.is_estimate
    assert result.complete
    assert result.notes == ()
    assert all(line.mppr_reduction == D("0.00") for line in result.lines)


def test_mppr_pays_the_highest_pe_unit_in_full_and_halves_the_pe_of_the_rest() -> None:
    # 97112 PE (assumed 45%): $32.73 x 0.45 = $14.7285 > 97110's $13.6949 → 97112 paid in full.
    # 97110: 2 x $6.847471 = $13.694943 off; $58.12 - $13.694943 = $44.425057 → $44.43.
    result = price(line_97110(), line_97112(), cq=False)
    first, second = result.lines
    assert (first.base_amount, first.mppr_reduction, first.expected_amount) == (
        D("58.12"),
        D("13.69"),
        D("44.43"),
    )
    assert (first.reduced_units, first.full_pe_units) == (2, 0)
    assert (second.expected_amount, second.full_pe_units, second.reduced_units) == (
        D("32.73"),
        1,
        0,
    )
    assert result.total == D("77.16")


def test_mppr_with_an_assumed_pe_share_is_an_estimate_and_says_so() -> None:
    result = price(line_97110(), line_97112())
    assert result.is_estimate
    assert "estimate: RVU split not loaded for 97112, assumed PE share 45%" in result.notes
    assert result.lines[1].pe_share == ASSUMED_PE_SHARE
    assert result.lines[1].pe_share_estimated
    assert not result.lines[0].pe_share_estimated


def test_mppr_with_every_rvu_split_loaded_is_not_an_estimate() -> None:
    # 97110 PE $13.6949 > 97112 PE $32.73 x 0.377551 = $12.3573 → 97110's first unit in full.
    # 97110: $58.12 - $6.847471 = $51.272529 → $51.27.
    # 97112: $32.73 - $12.357306 / 2 = $32.73 - $6.178653 = $26.551347 → $26.55.
    result = price(line_97110(), line_97112(rvu=TEST_RVU_97112))
    assert amounts(result) == {"97110": D("51.27"), "97112": D("26.55")}
    assert result.total == D("77.82")
    assert not result.is_estimate
    assert result.notes == ()


def test_cq_reduction_is_taken_last_after_mppr() -> None:
    # After MPPR 97110 is $44.425057; x 85% = $37.761299 → $37.76.
    # (Taking CQ first would give $58.12 x 0.85 - $13.694943 = $35.71.)
    result = price(line_97110(cq_units=2), line_97112())
    first = result.lines[0]
    assert first.expected_amount == D("37.76")
    assert first.mppr_reduction == D("13.69")
    assert first.cq_reduction == D("6.67")  # absorbs the rounding: 58.12 - 13.69 - 37.76
    assert result.total == D("70.49")


def test_cq_reduction_applies_only_to_the_cq_units() -> None:
    # $58.12 - $29.06 x 15% = $58.12 - $4.359 = $53.761 → $53.76.
    result = price(line_97110(cq_units=1), mppr=False)
    assert result.lines[0].expected_amount == D("53.76")


def test_cq_units_are_paid_in_full_when_the_payer_takes_no_cq_reduction() -> None:
    result = price(line_97110(cq_units=2), mppr=False, cq=False)
    assert result.lines[0].expected_amount == D("58.12")
    assert result.lines[0].cq_reduction == D("0.00")


def test_line_without_a_fee_has_no_amount_and_says_why() -> None:
    result = price(line_97110(), PriceLine(code="97530", units=1, fee=None, always_therapy=True))
    unpriced = result.lines[1]
    assert unpriced.base_amount is None
    assert unpriced.expected_amount is None
    assert unpriced.mppr_reduction is None
    assert any(NO_FEE_NOTE in note and "97530" in note for note in result.notes)
    assert NO_FEE_NOTE == "no fee on file for this payer/year"
    assert not result.complete
    assert result.total == result.lines[0].expected_amount
    # the unpriced code may have had the highest PE: the MPPR figure is only an estimate
    assert result.is_estimate


def test_non_therapy_code_is_not_reduced_and_never_holds_the_full_pe_unit() -> None:
    # 95851 pays more PE than 97110 but is not always-therapy: 97110 keeps the full-PE unit.
    # 97110: $58.12 - $6.847471 = $51.272529 → $51.27.
    rom = PriceLine(code="95851", units=1, fee=D("100.00"), always_therapy=False)
    result = price(line_97110(), rom)
    assert amounts(result) == {"97110": D("51.27"), "95851": D("100.00")}
    assert result.lines[1].mppr_reduction == D("0.00")
    assert result.lines[1].full_pe_units == 0
    assert result.lines[0].full_pe_units == 1


def test_a_single_therapy_unit_is_never_reduced_nor_an_estimate() -> None:
    result = price(line_97112())
    assert amounts(result) == {"97112": D("32.73")}
    assert not result.is_estimate
    assert result.notes == ()


def test_each_line_is_rounded_half_up_once_at_the_end() -> None:
    # $0.10 x 85% = $0.085 → $0.09 (half up; banker's rounding would give $0.08)
    result = price(PriceLine(code="97110", units=1, fee=D("0.10"), cq_units=1), mppr=False)
    line = result.lines[0]
    assert (line.expected_amount, line.cq_reduction) == (D("0.09"), D("0.01"))


def test_explanation_shows_each_step_with_its_rule() -> None:
    result = price(line_97110(cq_units=2), line_97112())
    texts = [step.text for step in result.explanation]
    assert "97110: $29.06 \N{MULTIPLICATION SIGN} 2 units = $58.12." in texts
    assert texts[-1] == "Total expected: $37.76 + $32.73 = $70.49."
    assert any("$37.7613 → $37.76" in text for text in texts)
    assert all(step.rule.startswith("billing-rules §") for step in result.explanation)


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        pytest.param([PriceLine("97110", -1, D("1"))], "negative", id="negative-units"),
        pytest.param([PriceLine("97110", 1, D("1"), cq_units=2)], "CQ", id="cq-over-units"),
        pytest.param([PriceLine("97110", 1, D("-1"))], "fee", id="negative-fee"),
        pytest.param(
            [PriceLine("97110", 1, D("1")), PriceLine("97110", 1, D("1"))], "twice", id="repeat"
        ),
        pytest.param(
            [PriceLine("97110", 1, D("1"), rvu=RvuSplit(D("-1"), D("0"), D("0")))],
            "RVU",
            id="negative-rvu",
        ),
    ],
)
def test_impossible_input_is_rejected(lines: list[PriceLine], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        price(*lines)


CODES = ["97110", "97112", "97116", "97140", "97530", "95851"]


@st.composite
def price_lines(draw: st.DrawFn) -> tuple[PriceLine, ...]:
    codes = draw(st.lists(st.sampled_from(CODES), min_size=1, max_size=5, unique=True))
    lines = []
    for code in codes:
        units = draw(st.integers(0, 6))
        rvu = draw(
            st.none()
            | st.builds(
                RvuSplit,
                work=st.decimals(0, 3, places=2),
                pe=st.decimals(0, 3, places=2),
                mp=st.decimals(0, 1, places=2),
            )
        )
        lines.append(
            PriceLine(
                code=code,
                units=units,
                fee=draw(st.none() | st.decimals(0, 500, places=2)),
                cq_units=draw(st.integers(0, units)),
                always_therapy=code != "95851",
                rvu=rvu,
            )
        )
    return tuple(lines)


@given(price_lines(), st.booleans(), st.booleans())
def test_amounts_add_up_and_never_exceed_the_base(
    lines: tuple[PriceLine, ...], mppr: bool, cq: bool
) -> None:
    result = price(*lines, mppr=mppr, cq=cq)
    total = Decimal("0.00")
    for line in result.lines:
        if line.expected_amount is None:
            assert line.base_amount is None
            continue
        assert line.base_amount is not None
        assert line.mppr_reduction is not None
        assert line.cq_reduction is not None
        assert line.base_amount - line.mppr_reduction - line.cq_reduction == line.expected_amount
        assert 0 <= line.expected_amount <= line.base_amount
        assert line.expected_amount == line.expected_amount.quantize(D("0.01"))
        total += line.expected_amount
    assert result.total == total
    assert sum(line.full_pe_units for line in result.lines) <= 1


def test_mppr_ranks_the_units_by_pe_payment_not_by_fee() -> None:
    # 97112 pays more ($32.73) but its PE payment ($12.3573) is under 97110's ($13.6949).
    result = price(line_97112(rvu=TEST_RVU_97112), line_97110())
    assert [(p.code, p.full_pe_units, p.reduced_units) for p in result.lines] == [
        ("97112", 0, 1),
        ("97110", 1, 1),
    ]
    assert amounts(result) == {"97112": D("26.55"), "97110": D("51.27")}


def test_lines_mppr_does_not_touch_carry_no_pe_share_and_no_reduced_units() -> None:
    rom = PriceLine(code="95851", units=2, fee=D("20.00"), always_therapy=False)
    result = price(line_97110(), rom)
    touched, untouched = result.lines
    assert (touched.pe_share, touched.pe_share_estimated) == (RVU_97110.pe_share, False)
    assert (untouched.pe_share, untouched.pe_share_estimated) == (None, False)
    assert (untouched.full_pe_units, untouched.reduced_units) == (0, 0)
    # Without MPPR nothing is touched.
    off = price(line_97110(), line_97112(), mppr=False)
    assert [
        (p.pe_share, p.pe_share_estimated, p.full_pe_units, p.reduced_units) for p in off.lines
    ] == [
        (None, False, 0, 0),
        (None, False, 0, 0),
    ]


def test_a_single_therapy_unit_has_no_pe_share_and_no_mppr_step() -> None:
    result = price(line_97112(rvu=TEST_RVU_97112))
    line = result.lines[0]
    assert (line.pe_share, line.full_pe_units, line.reduced_units) == (None, 0, 0)
    assert line.fee == D("32.73")
    assert [step.text for step in result.explanation] == [
        "97112: $32.73 \N{MULTIPLICATION SIGN} 1 unit = $32.73.",
        "Total expected: $32.73.",
    ]


def test_the_line_holding_the_full_pe_unit_gets_no_mppr_step_of_its_own() -> None:
    result = price(line_97110(), line_97112(), cq=False)
    texts = [step.text for step in result.explanation]
    assert not any(text.startswith("97112: MPPR") for text in texts)
    assert any(text.startswith("97110: MPPR takes 50% of the PE share") for text in texts)
    assert any(
        text.startswith("97110: $58.12 - $13.6949 MPPR = $44.4251 → $44.43") for text in texts
    )


def test_a_line_without_a_fee_keeps_its_units() -> None:
    result = price(PriceLine(code="97530", units=2, fee=None, cq_units=1, always_therapy=True))
    line = result.lines[0]
    assert (line.code, line.units, line.cq_units, line.fee) == ("97530", 2, 1, None)
    assert (line.cq_reduction, line.pe_share, line.reduced_units) == (None, None, 0)
    assert str(result.total) == "0.00"  # a Decimal in cents, even with nothing priced
    assert not result.complete


def test_pricing_module_imports_only_the_standard_library_and_the_units_engine() -> None:
    tree = ast.parse((REPO / "coding" / "pricing.py").read_text())
    modules = {
        alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    } | {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom) and node.module}
    allowed = set(sys.stdlib_module_names) | {"coding.units"}
    assert {m for m in modules if m.split(".")[0] not in allowed and m not in allowed} == set()


def test_importing_pricing_does_not_load_django() -> None:
    code = (
        "import sys, coding.pricing; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(f'django loaded: {loaded[:3]}' if loaded else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# --- the Medicare amount at a locality (docs/billing-rules.md §8, §10.13) ------------------------


def test_the_locality_amount_is_each_rvu_times_its_gpci_times_the_conversion_factor() -> None:
    from coding.pricing import Gpci, locality_fee

    rvu = RvuSplit(Decimal("0.45"), Decimal("0.41"), Decimal("0.01"))  # 97110, RVU26C
    sacramento = Gpci(Decimal("1.036"), Decimal("1.163"), Decimal("0.536"))
    fee, adjusted = locality_fee(rvu, sacramento, Decimal("33.4009"))
    # (0.4662 + 0.47683 + 0.00536) x 33.4009 = 31.6771… → 31.68
    assert fee == Decimal("31.68")
    assert adjusted == RvuSplit(Decimal("0.46620"), Decimal("0.47683"), Decimal("0.00536"))


def test_the_national_amount_rounds_half_up_to_cents() -> None:
    from coding.pricing import NATIONAL_GPCI, locality_fee

    # 0.05 x 0.5 = 0.025 exactly: half up gives 0.03 (banker's rounding would give 0.02)
    fee, _ = locality_fee(
        RvuSplit(Decimal("0.05"), Decimal(0), Decimal(0)), NATIONAL_GPCI, Decimal("0.5")
    )
    assert fee == Decimal("0.03")
    assert NATIONAL_GPCI.work == NATIONAL_GPCI.pe == NATIONAL_GPCI.mp == Decimal(1)


def test_the_locality_pe_share_weighs_the_pe_gpci() -> None:
    from coding.pricing import Gpci, locality_fee

    rvu = RvuSplit(Decimal("1"), Decimal("1"), Decimal("0"))
    _, adjusted = locality_fee(rvu, Gpci(Decimal(1), Decimal(3), Decimal(1)), Decimal(1))
    assert adjusted.pe_share == Decimal("0.75")


def test_the_formula_is_written_out_with_its_inputs() -> None:
    from coding.pricing import Gpci, locality_fee_text

    text = locality_fee_text(
        RvuSplit(Decimal("0.45"), Decimal("0.41"), Decimal("0.01")),
        Gpci(Decimal("1.036"), Decimal("1.163"), Decimal("0.536")),
        Decimal("33.4009"),
        Decimal("31.68"),
    )
    assert text == ("(0.45 × 1.036 + 0.41 × 1.163 + 0.01 × 0.536) × $33.4009 = $31.68 per unit")
