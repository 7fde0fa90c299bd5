"""Expected allowed amount of one patient's day: fee x units, then MPPR, then the CQ reduction.

Rule source: ``docs/billing-rules.md`` ("billing-rules") §8 (allowed amounts per
payer and year), §6.9 (MPPR, MCPM 5 §10.7) and §4 (CQ: 85% since 2022, taken last, after MPPR).
Standard library only: no Django, no ORM, no settings.

Never invents a fee: a line without a fee on file has no amount. Where a code's RVU split is not
loaded, the MPPR figure is an estimate made with ``ASSUMED_PE_SHARE`` and the result says so.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from coding.units import Step

# Assumed practice-expense share of a code's payment when its RVU split is not loaded [U].
# The one known 2026 split (97110: PE 0.41 of 0.87 RVUs, billing-rules §8) is about 47%.
ASSUMED_PE_SHARE = Decimal("0.45")
# MPPR pays 50% of the PE share on every always-therapy unit but the first (§6.9).
MPPR_PE_REDUCTION = Decimal("0.50")
# CQ units are paid at 85% (§4).
CQ_PAYMENT_RATE = Decimal("0.85")
CENT = Decimal("0.01")

SRC_FEE = "billing-rules §8 (allowed amount per unit)"
SRC_MPPR = "billing-rules §6.9 MPPR (MCPM 5 §10.7)"
SRC_CQ = "billing-rules §4 CQ (85%, taken after MPPR)"
NO_FEE_NOTE = "no fee on file for this payer/year"

TIMES = "\N{MULTIPLICATION SIGN}"


@dataclass(frozen=True)
class RvuSplit:
    """A code's work, practice-expense and malpractice RVUs for the year (billing-rules §8)."""

    work: Decimal
    pe: Decimal
    mp: Decimal

    @property
    def pe_share(self) -> Decimal:
        """PE as a fraction of the total RVUs (0 when the code has no RVUs)."""
        total = self.work + self.pe + self.mp
        return self.pe / total if total else Decimal(0)


@dataclass(frozen=True)
class Gpci:
    """A Medicare locality's geographic practice cost indices (billing-rules §8, §10.13)."""

    work: Decimal
    pe: Decimal
    mp: Decimal


NATIONAL_GPCI = Gpci(Decimal(1), Decimal(1), Decimal(1))


def locality_fee(rvu: RvuSplit, gpci: Gpci, conversion_factor: Decimal) -> tuple[Decimal, RvuSplit]:
    """The Medicare allowed amount per unit at a locality (billing-rules §8, §10.13):
    (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor, rounded
    half up to cents; and the geographically adjusted RVUs, whose PE share MPPR uses (§6.9)."""
    adjusted = RvuSplit(rvu.work * gpci.work, rvu.pe * gpci.pe, rvu.mp * gpci.mp)
    total = adjusted.work + adjusted.pe + adjusted.mp
    return _cents(total * conversion_factor), adjusted


def locality_fee_text(rvu: RvuSplit, gpci: Gpci, conversion_factor: Decimal, fee: Decimal) -> str:
    """The locality formula with its inputs, in plain words and figures."""
    return (
        f"({rvu.work} {TIMES} {gpci.work} + {rvu.pe} {TIMES} {gpci.pe} + {rvu.mp} {TIMES} "
        f"{gpci.mp}) {TIMES} ${conversion_factor} = {_money(fee)} per unit"
    )


@dataclass(frozen=True)
class PriceLine:
    """One code of the day: its units, how many a PT assistant furnished, and its fee per unit."""

    code: str
    units: int
    fee: Decimal | None
    cq_units: int = 0
    always_therapy: bool = False
    rvu: RvuSplit | None = None


@dataclass(frozen=True)
class PricingRequest:
    """The day's lines and the payer's flags (billing-rules §6.9 MPPR, §4 CQ)."""

    lines: tuple[PriceLine, ...]
    applies_mppr: bool
    applies_cq_reduction: bool


@dataclass(frozen=True)
class PricedLine:
    """One line's money. Amounts are None when no fee is on file.

    ``pe_share`` is the share used for MPPR (None when MPPR did not touch the line);
    ``full_pe_units`` is 1 on the line holding the day's single full-PE unit;
    ``reduced_units`` counts the units that lost 50% of their PE.
    """

    code: str
    units: int
    cq_units: int
    fee: Decimal | None
    base_amount: Decimal | None
    mppr_reduction: Decimal | None
    cq_reduction: Decimal | None
    expected_amount: Decimal | None
    pe_share: Decimal | None = None
    pe_share_estimated: bool = False
    full_pe_units: int = 0
    reduced_units: int = 0


@dataclass(frozen=True)
class PricingResult:
    """The day's expected allowed amount.

    ``total`` adds the lines that have a fee; ``complete`` is False when some line has none.
    ``is_estimate`` is True when an MPPR figure rests on ``ASSUMED_PE_SHARE``.
    """

    lines: tuple[PricedLine, ...]
    total: Decimal
    complete: bool
    is_estimate: bool
    notes: tuple[str, ...]
    explanation: tuple[Step, ...]


@dataclass(frozen=True)
class _Raw:
    line: PriceLine
    fee: Decimal
    share: Decimal | None
    estimated: bool
    full_pe_units: int
    reduced_units: int


def compute_expected_amount(request: PricingRequest) -> PricingResult:
    """Expected allowed amount of a day's lines (billing-rules §8, §6.9, §4).

    1. Base: fee per unit x units (§8).
    2. MPPR when the payer applies it (§6.9): of all always-therapy units with a fee, the one
       with the highest PE payment (fee x PE share) is paid in full; every other always-therapy
       unit loses 50% of its PE share. PE share = pe / (work + pe + mp) from the RVU split, or
       ``ASSUMED_PE_SHARE`` when the split is not loaded (the result is then an estimate).
    3. CQ when the payer applies it (§4): the line's CQ units are paid at 85% of their
       post-MPPR amount (the line's average unit after MPPR), taken last.
    4. Each line is rounded to cents, half up, at the end; the reductions shown absorb the
       rounding so that base - MPPR - CQ = expected.

    A line without a fee gets no amounts and the note "no fee on file for this payer/year".
    Raises ValueError on negative units or fees, or more CQ units than units.
    """
    _validate(request)
    notes: list[str] = []
    steps: list[Step] = []
    raws = _mppr_plan(request, notes, steps)
    priced: list[PricedLine] = []
    for line in request.lines:
        raw = raws.get(line.code) if line.fee is not None else None
        if line.fee is None or raw is None:
            notes.append(f"{line.code}: {NO_FEE_NOTE}; no amount is shown.")
            steps.append(Step(f"{line.code}: {NO_FEE_NOTE}, so no amount.", SRC_FEE))
            priced.append(
                PricedLine(
                    code=line.code,
                    units=line.units,
                    cq_units=line.cq_units,
                    fee=None,
                    base_amount=None,
                    mppr_reduction=None,
                    cq_reduction=None,
                    expected_amount=None,
                )
            )
            continue
        priced.append(_price_line(raw, request.applies_cq_reduction, steps))

    amounts = [p.expected_amount for p in priced if p.expected_amount is not None]
    total = sum(amounts, Decimal("0.00"))
    if len(amounts) > 1:
        sum_text = " + ".join(_money(a) for a in amounts) + f" = {_money(total)}"
        steps.append(Step(f"Total expected: {sum_text}.", SRC_FEE))
    elif amounts:
        steps.append(Step(f"Total expected: {_money(total)}.", SRC_FEE))
    is_estimate = any(note.startswith("estimate:") for note in notes)
    return PricingResult(
        lines=tuple(priced),
        total=total,
        complete=len(amounts) == len(priced),
        is_estimate=is_estimate,
        notes=tuple(notes),
        explanation=tuple(steps),
    )


def _validate(request: PricingRequest) -> None:
    seen: set[str] = set()
    for line in request.lines:
        if line.code in seen:
            raise ValueError(f"{line.code} appears twice: give one line per code")
        seen.add(line.code)
        if line.units < 0:
            raise ValueError(f"{line.code}: units cannot be negative (got {line.units})")
        if not 0 <= line.cq_units <= line.units:
            raise ValueError(
                f"{line.code}: CQ units must be between 0 and the line's {line.units} units "
                f"(got {line.cq_units})"
            )
        if line.fee is not None and line.fee < 0:
            raise ValueError(f"{line.code}: fee cannot be negative (got {line.fee})")
        if line.rvu is not None and min(line.rvu.work, line.rvu.pe, line.rvu.mp) < 0:
            raise ValueError(f"{line.code}: RVUs cannot be negative")


def _mppr_plan(request: PricingRequest, notes: list[str], steps: list[Step]) -> dict[str, _Raw]:
    """Pick the day's full-PE unit and count the reduced units per line (billing-rules §6.9)."""
    raws: dict[str, _Raw] = {}
    subject = [
        line
        for line in request.lines
        if request.applies_mppr and line.always_therapy and line.fee is not None and line.units
    ]
    mppr_applies = sum(line.units for line in subject) > 1
    shares: dict[str, tuple[Decimal, bool]] = {}
    for line in subject:
        if line.rvu is not None:
            shares[line.code] = (line.rvu.pe_share, False)
        else:
            shares[line.code] = (ASSUMED_PE_SHARE, True)
            if mppr_applies:
                notes.append(
                    f"estimate: RVU split not loaded for {line.code}, assumed PE share "
                    f"{_percent(ASSUMED_PE_SHARE)}"
                )
    full_code: str | None = None
    if mppr_applies:
        top = max(subject, key=lambda line: _pe_payment(line, shares[line.code][0]))
        full_code = top.code
        top_share = shares[top.code][0]
        steps.append(
            Step(
                f"MPPR: {top.code} has the day's highest practice-expense payment per unit "
                f"({_money(_fee(top))} {TIMES} {_percent(top_share)} PE = "
                f"{_money(_pe_payment(top, top_share))}): one unit paid in full; every other "
                "always-therapy unit loses 50% of its PE.",
                SRC_MPPR,
            )
        )
        unpriced = [
            line.code
            for line in request.lines
            if line.always_therapy and line.fee is None and line.units
        ]
        if unpriced:
            notes.append(
                f"estimate: MPPR ranked only the priced codes; {', '.join(unpriced)} "
                "has no fee on file"
            )
    for line in request.lines:
        if line.fee is None:
            continue
        share, estimated = shares.get(line.code, (None, False))
        full = 1 if line.code == full_code else 0
        reduced = line.units - full if mppr_applies and line.code in shares else 0
        raws[line.code] = _Raw(
            line=line,
            fee=line.fee,
            share=share if mppr_applies and line.code in shares else None,
            estimated=estimated and mppr_applies,
            full_pe_units=full,
            reduced_units=reduced,
        )
    return raws


def _price_line(raw: _Raw, applies_cq: bool, steps: list[Step]) -> PricedLine:
    line = raw.line
    base_raw = raw.fee * line.units
    steps.append(
        Step(
            f"{line.code}: {_money(raw.fee)} {TIMES} {_units(line.units)} = {_money(base_raw)}.",
            SRC_FEE,
        )
    )
    mppr_raw = Decimal(0)
    if raw.share is not None and raw.reduced_units:
        per_unit = raw.fee * raw.share * MPPR_PE_REDUCTION
        mppr_raw = per_unit * raw.reduced_units
        steps.append(
            Step(
                f"{line.code}: MPPR takes 50% of the PE share ({_percent(raw.share)}"
                f"{' assumed' if raw.estimated else ''}) on {_units(raw.reduced_units)}: "
                f"{_units(raw.reduced_units)} {TIMES} {_money(raw.fee)} {TIMES} "
                f"{_percent(raw.share)} {TIMES} 50% = {_exact(mppr_raw)}.",
                SRC_MPPR,
            )
        )
    cq_raw = Decimal(0)
    if applies_cq and line.cq_units and line.units:
        after_mppr = base_raw - mppr_raw
        cq_raw = after_mppr / line.units * line.cq_units * (1 - CQ_PAYMENT_RATE)
        steps.append(
            Step(
                f"{line.code}: {line.cq_units} of {_units(line.units)} by the assistant (CQ) "
                f"paid at 85% after MPPR: {_exact(after_mppr)} / {line.units} {TIMES} "
                f"{line.cq_units} {TIMES} 15% = {_exact(cq_raw)}.",
                SRC_CQ,
            )
        )
    base = _cents(base_raw)
    expected = _cents(base_raw - mppr_raw - cq_raw)
    if cq_raw:
        mppr = _cents(mppr_raw)
        cq = base - mppr - expected
    else:
        mppr = base - expected
        cq = Decimal("0.00")
    if mppr_raw or cq_raw:
        steps.append(
            Step(
                f"{line.code}: {_money(base_raw)}"
                + (f" - {_exact(mppr_raw)} MPPR" if mppr_raw else "")
                + (f" - {_exact(cq_raw)} CQ" if cq_raw else "")
                + f" = {_exact(base_raw - mppr_raw - cq_raw)} → {_money(expected)} (rounded to "
                "cents, half up, at the end of the line).",
                SRC_CQ if cq_raw else SRC_MPPR,
            )
        )
    return PricedLine(
        code=line.code,
        units=line.units,
        cq_units=line.cq_units,
        fee=raw.fee,
        base_amount=base,
        mppr_reduction=mppr,
        cq_reduction=cq,
        expected_amount=expected,
        pe_share=raw.share,
        pe_share_estimated=raw.estimated,
        full_pe_units=raw.full_pe_units,
        reduced_units=raw.reduced_units,
    )


def _fee(line: PriceLine) -> Decimal:
    return line.fee if line.fee is not None else Decimal(0)


def _pe_payment(line: PriceLine, share: Decimal) -> Decimal:
    return _fee(line) * share


def _cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _money(value: Decimal) -> str:
    return f"${_cents(value):,.2f}"


def _exact(value: Decimal) -> str:
    """An unrounded intermediate amount, shown to four places: rounding happens once per line."""
    return f"${value.quantize(Decimal('0.0001'), rounding=ROUND_HALF_UP):,.4f}"


def _percent(share: Decimal) -> str:
    pct = (share * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return f"{pct.normalize():f}%"


def _units(n: int) -> str:
    return f"{n} unit" if n == 1 else f"{n} units"
