"""One claim, from the services of a day to the lines, amounts and findings: the pipeline.

units (docs/billing-rules.md §1, §2, §10.2) → modifiers (§4, §5, §10.4) → the therapist's tie
pick and overrides (§10.11) → amounts (§6.9, §8, §10.11) → findings (the scrubber, §1-§10).

Everything that shows or stores a claim goes through `draft_claim`: the live panel, saving,
resubmitting, `manage.py preview_claim` and `manage.py units`. The tie pick and the overrides are
applied *before* pricing and scrubbing, so the findings judge exactly the lines that are shown
and saved. `price_lines` prices any set of lines (a reviewer's edit re-prices with it).

Pure Python over plain frozen dataclasses: no Django, no ORM, no settings. The facts come from
one builder (`claims.facts`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from claims import scrubber as rules
from coding.modifiers import (
    KxFacts,
    LineFacts,
    ModifierRequest,
    ModifierResult,
    PairFacts,
    suggest_modifiers,
)
from coding.pricing import (
    CENT,
    PricedLine,
    PriceLine,
    PricingRequest,
    PricingResult,
    RvuSplit,
    compute_expected_amount,
)
from coding.units import ServiceInput, Step, UnitsRequest, UnitsResult, compute_units

SRC_OVERRIDE = "billing-rules §10.11 (units the clinician changes)"
SRC_BLOCK = "billing-rules §5.1 (NCCI XI §P)"
SRC_KX = "billing-rules §4 KX, §10.8 (year to date across all providers)"
SRC_AUTH = "billing-rules §6.10 (the payer's prior authorization)"
SRC_FEE_BASIS = "billing-rules §8, §10.13 (the Medicare amount at the clinic's locality)"
MAX_MODIFIERS = 4


@dataclass(frozen=True)
class Service:
    """One code of the day as documented: minutes of direct time (0 for an untimed code with
    none typed), how many an assistant furnished, and the diagnoses it treats."""

    code: str
    minutes: int = 0
    pta_minutes: int = 0
    by_assistant: bool = False
    dx_pointers: tuple[int, ...] = ()


@dataclass(frozen=True)
class CodePrice:
    """The code's allowed amount per unit for the payer on the date of service, and its RVUs."""

    fee: Decimal | None = None
    rvu: RvuSplit | None = None
    basis: str = ""  # how the fee was found, with its inputs (e.g. the locality formula)
    demo: bool = False  # a made-up demo amount, not a real fee
    charge: Decimal | None = None  # what the clinic bills per unit (its charge master)


def line_charge(price: CodePrice, units: int) -> Decimal | None:
    """A claim line's billed charge: its units times the clinic's charge for the code."""
    return None if price.charge is None else (price.charge * units).quantize(CENT)


@dataclass(frozen=True)
class Override:
    """The clinician's own units and/or modifiers for a suggested line (its ``key``), and why.
    None keeps the suggestion's."""

    key: str
    units: int | None = None
    modifiers: tuple[str, ...] | None = None
    reason: str = ""


@dataclass(frozen=True)
class PayerTerms:
    """What the payer applies to the money and the modifiers (billing-rules §4, §6.9)."""

    applies_mppr: bool = True
    applies_cq_reduction: bool = True
    therapy_modifier: str | None = "GP"


@dataclass(frozen=True)
class DraftRequest:
    """Every fact of the claim but its lines (``facts.lines`` is ignored), the services of the
    day, and the clinician's choices."""

    facts: rules.ClaimFacts
    services: tuple[Service, ...]
    prices: Mapping[str, CodePrice] = field(default_factory=dict)
    terms: PayerTerms = PayerTerms()
    tie_choice: tuple[str, ...] | None = None
    overrides: Mapping[str, Override] = field(default_factory=dict)
    names: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class DraftLine:
    """One claim line as it will be saved. ``key`` ("97110", or "97110-CQ" for the assistant's
    units of a split code) stays the same while the clinician types."""

    key: str
    code: str
    units: int
    modifiers: tuple[str, ...]
    cq: bool
    minutes: int
    pta_minutes: int
    by_assistant: bool
    dx_pointers: tuple[int, ...]
    fee: Decimal | None
    amount: Decimal | None
    suggested_units: int
    suggested_modifiers: tuple[str, ...]
    suggested_amount: Decimal | None
    change_reason: str = ""
    short_name: str = ""
    kept_off: str = ""  # why a true block keeps the line off the claim (billing-rules §5.1)
    charge: Decimal | None = None  # units × the clinic's charge (None: no charge set)

    @property
    def changed(self) -> bool:
        return (self.units, self.modifiers) != (self.suggested_units, self.suggested_modifiers)


@dataclass(frozen=True)
class DraftClaim:
    """The claim the panel shows and the service saves: lines, money, findings, arithmetic.

    ``lines`` are the billed lines (a line changed to 0 units is off the claim; its minutes stay
    in the documentation, billing-rules §10.11); ``off_claim`` names them.
    """

    lines: tuple[DraftLine, ...]
    off_claim: tuple[DraftLine, ...]
    units: UnitsResult
    modifiers: ModifierResult
    pricing: PricingResult
    scrub: rules.ScrubResult
    kx: KxFacts
    explanation: tuple[Step, ...]

    @property
    def findings(self) -> tuple[rules.Finding, ...]:
        return self.scrub.findings

    @property
    def rule_ids(self) -> list[str]:
        return sorted(f.rule_id for f in self.scrub.findings)

    @property
    def total(self) -> Decimal:
        return self.pricing.total

    @property
    def complete(self) -> bool:
        """Every billed line has an amount."""
        return all(line.amount is not None for line in self.lines)

    @property
    def is_estimate(self) -> bool:
        return self.pricing.is_estimate or not self.complete

    @property
    def total_units(self) -> int:
        return sum(line.units for line in self.lines)

    @property
    def total_charge(self) -> Decimal | None:
        """What the clinic bills for the day; None while a line has no charge."""
        if any(line.charge is None for line in self.lines):
            return None
        return sum((line.charge or Decimal(0) for line in self.lines), Decimal("0.00"))

    @property
    def blocked(self) -> bool:
        """A code pair that no modifier can bypass is still on the claim (the clinician put the
        stopped line back): the claim cannot be saved like that."""
        return bool(self.block_notes)

    @property
    def block_notes(self) -> list[str]:
        billed = {line.code for line in self.lines}
        return [
            n.message for n in self.modifiers.notes if n.kind == "block" and set(n.codes) <= billed
        ]

    @property
    def stopped(self) -> tuple[DraftLine, ...]:
        """Lines a true block keeps off the claim (billing-rules §5.1)."""
        return tuple(line for line in self.off_claim if line.kept_off)

    @property
    def kx_after_visit(self) -> Decimal:
        return self.kx.ytd_before_visit + self.kx.this_visit


def draft_claim(request: DraftRequest) -> DraftClaim:
    """The day's claim from its services (docs/billing-rules.md §1-§10), in one pass:

    1. units for the day's services by the payer's method, with the clinician's tie pick, the
       code limits (MUE) and the payer's daily cap;
    2. modifiers: GP, the CQ split, XU, KX when the year's amount with this visit passes the
       threshold (priced on the suggested units);
    3. the clinician's overrides, each priced as what it is; 0-unit lines leave the claim;
    4. the amounts of the final lines (MPPR, then CQ) and the findings of the scrubber on the
       final lines, so that what is shown is what is judged and saved.

    Raises ValueError on impossible minutes (the unit engine's message).
    """
    facts = request.facts
    payer = facts.payer
    codes = {c.code: c for c in facts.code_facts}
    limits = {limit.code: limit.max_units for limit in facts.unit_limits}
    services = _merged(request.services)
    units = compute_units(
        UnitsRequest(
            services=tuple(
                ServiceInput(
                    code=s.code,
                    minutes=s.minutes,
                    timed=codes[s.code].timed if s.code in codes else False,
                    always_therapy=codes[s.code].always_therapy if s.code in codes else False,
                    pta_minutes=s.pta_minutes,
                    fee=_price(request, s.code).fee,
                    max_units=limits.get(s.code),
                    by_assistant=s.by_assistant,
                )
                for s in services
            ),
            method=payer.unit_method,
            daily_timed_unit_cap=payer.daily_timed_unit_cap,
            tie_choice=request.tie_choice,
        )
    )
    pairs = tuple(
        PairFacts(p.column1, p.column2, p.modifier_indicator)
        for p in facts.edit_pairs
        if p.in_force(facts.date_of_service)
    )
    line_facts = tuple(
        LineFacts(
            line.code,
            line.units,
            line.cq_units,
            codes[line.code].always_therapy if line.code in codes else False,
        )
        for line in units.lines
    )
    # The blocks first (they do not depend on KX): a stopped code is not part of the amount
    # that decides KX.
    stopped = _stopped_codes(
        suggest_modifiers(ModifierRequest(lines=line_facts, pairs=pairs, therapy_modifier=None))
    )
    suggested_pricing = _price_units(request, units, without=set(stopped))
    kx = KxFacts(
        applies=payer.kx_applies,
        threshold=facts.kx.threshold if facts.kx else None,
        ytd_before_visit=facts.kx.ytd_allowed_before_visit if facts.kx else Decimal(0),
        this_visit=suggested_pricing.total,
    )
    modifiers = suggest_modifiers(
        ModifierRequest(
            lines=line_facts,
            pairs=pairs,
            kx=kx,
            therapy_modifier=request.terms.therapy_modifier,
        )
    )
    by_code = {s.code: s for s in services}
    minutes = _line_minutes(units, modifiers)
    suggested_amounts = _line_amounts(request, units)
    steps: list[Step] = list(units.explanation)
    drafted: list[DraftLine] = []
    for suggestion in modifiers.lines:
        key = f"{suggestion.code}-CQ" if suggestion.cq else suggestion.code
        service = by_code[suggestion.code]
        line_minutes, line_pta = minutes[(suggestion.code, suggestion.cq)]
        suggested_units = 0 if suggestion.code in stopped else suggestion.units
        line_units, line_mods, reason = suggested_units, suggestion.modifiers, ""
        if suggestion.code in stopped:
            steps.append(Step(stopped[suggestion.code], SRC_BLOCK))
        override = request.overrides.get(key)
        if override is not None:
            wanted_units = suggested_units if override.units is None else override.units
            wanted_mods = suggestion.modifiers if override.modifiers is None else override.modifiers
            if (wanted_units, wanted_mods) != (suggested_units, suggestion.modifiers):
                line_units, line_mods, reason = wanted_units, wanted_mods, override.reason
            steps.append(
                Step(
                    f"{suggestion.code}: changed by the clinician from "
                    f"{_describe(suggestion.units, suggestion.modifiers)} to "
                    f"{_describe(line_units, line_mods)} ({reason}); priced and checked as "
                    "changed.",
                    SRC_OVERRIDE,
                )
            )
        drafted.append(
            DraftLine(
                key=key,
                code=suggestion.code,
                units=line_units,
                modifiers=tuple(line_mods),
                cq=suggestion.cq,
                minutes=line_minutes,
                pta_minutes=line_pta,
                by_assistant=suggestion.cq or service.by_assistant,
                dx_pointers=service.dx_pointers or _default_pointers(len(facts.diagnoses)),
                fee=_price(request, suggestion.code).fee,
                amount=None,
                suggested_units=suggested_units,
                suggested_modifiers=suggestion.modifiers,
                suggested_amount=suggested_amounts.get(key),
                change_reason=reason,
                short_name=request.names.get(suggestion.code, ""),
                kept_off=stopped.get(suggestion.code, ""),
            )
        )
    billed = [line for line in drafted if line.units > 0]
    off_claim = tuple(line for line in drafted if line.units <= 0)
    for line in off_claim:
        if line.kept_off:
            continue
        steps.append(
            Step(
                f"{line.code}: 0 units, so it is not a claim line; its minutes stay in the "
                "treatment note.",
                SRC_OVERRIDE,
            )
        )
    pricing, amounts = price_lines(
        [(line.key, line.code, line.units, "CQ" in line.modifiers) for line in billed],
        prices=request.prices,
        codes=codes,
        terms=request.terms,
    )
    lines = tuple(
        replace(
            line,
            amount=amounts.get(line.key),
            charge=line_charge(_price(request, line.code), line.units),
        )
        for line in billed
    )
    for code in dict.fromkeys(line.code for line in billed):
        basis = _price(request, code).basis
        if basis:
            steps.append(Step(f"{code}: {basis}.", SRC_FEE_BASIS))
    steps.extend(pricing.explanation)
    final_kx = replace(kx, this_visit=pricing.total)
    elsewhere = rules.kx_other_providers_text(facts.kx) if facts.kx and kx.applies else ""
    if elsewhere:
        steps.append(
            Step(
                f"KX year to date before this visit: ${kx.ytd_before_visit:,.2f}, which "
                f"{elsewhere}; with this visit ${final_kx.ytd_before_visit + pricing.total:,.2f}.",
                SRC_KX,
            )
        )
    authorization = rules.authorization_summary(facts)
    if authorization:
        steps.append(Step(f"Authorization: {authorization}.", SRC_AUTH))
    scrub_facts = replace(
        facts,
        lines=tuple(
            rules.ClaimLine(
                code=line.code,
                units=line.units,
                modifiers=line.modifiers,
                minutes=line.minutes,
                pta_minutes=line.pta_minutes,
                diagnosis_pointers=line.dx_pointers,
                by_assistant=line.by_assistant,
            )
            for line in lines
        ),
        # The documented services that are not claim lines, as a stored claim's sessions
        # give them (claims/scrubbing.py): the scrubber counts their minutes in the day.
        unbilled_minutes=tuple(
            (s.code, s.minutes, s.pta_minutes)
            for s in request.services
            if s.code not in {line.code for line in lines}
        ),
        kx=replace(facts.kx, this_visit_allowed=pricing.total) if facts.kx else None,
        line_charges=tuple(rules.LineCharge(line.code, line.charge, line.amount) for line in lines),
    )
    return DraftClaim(
        lines=lines,
        off_claim=off_claim,
        units=units,
        modifiers=modifiers,
        pricing=pricing,
        scrub=rules.scrub(scrub_facts),
        kx=final_kx,
        explanation=tuple(steps),
    )


def _stopped_codes(modifiers: ModifierResult) -> dict[str, str]:
    """Codes that a true block keeps off the claim (an indicator-0 pair or a code that is not
    separately reportable with the day's evaluation, billing-rules §5.1): the column-2 code,
    with the sentence that says why. The visit and its minutes stay in the note."""
    stopped: dict[str, str] = {}
    for note in modifiers.notes:
        if note.kind == "block" and len(note.codes) == 2:
            column1, column2 = note.codes
            if column1 not in stopped:
                stopped.setdefault(
                    column2,
                    f"{column2} is kept off the claim: it cannot be billed with {column1} on the "
                    "same day, and no modifier bypasses that; its minutes stay in the note.",
                )
    return stopped


def price_lines(
    lines: Sequence[tuple[str, str, int, bool]],
    *,
    prices: Mapping[str, CodePrice],
    codes: Mapping[str, rules.CodeFacts],
    terms: PayerTerms,
) -> tuple[PricingResult, dict[str, Decimal | None]]:
    """The amounts of claim lines given as (key, code, units, carries CQ): each code's units are
    priced together (MPPR once for the day, then the 15% CQ reduction on its CQ units only,
    billing-rules §6.9, §10.2), then shared out to its lines. Never pro rata from a suggestion
    (§10.11). Returns the pricing and each line's amount (None without a fee)."""
    per_code: dict[str, list[int]] = {}
    for _key, code, units, cq in lines:
        totals = per_code.setdefault(code, [0, 0])
        totals[0] += units
        totals[1] += units if cq else 0
    pricing = compute_expected_amount(
        PricingRequest(
            lines=tuple(
                PriceLine(
                    code=code,
                    units=units,
                    fee=prices.get(code, CodePrice()).fee,
                    cq_units=cq_units,
                    always_therapy=codes[code].always_therapy if code in codes else False,
                    rvu=prices.get(code, CodePrice()).rvu,
                )
                for code, (units, cq_units) in per_code.items()
            ),
            applies_mppr=terms.applies_mppr,
            applies_cq_reduction=terms.applies_cq_reduction,
        )
    )
    priced = {p.code: p for p in pricing.lines}
    amounts: dict[str, Decimal | None] = {}
    left = {code: p.expected_amount for code, p in priced.items()}
    # A line with 0 units is not a claim line (§10.11): it is priced at $0.00 and never takes
    # the cents the code's other lines leave.
    remaining_lines = {
        code: sum(1 for line in lines if line[1] == code and line[2]) for code in priced
    }
    for key, code, units, cq in lines:
        p = priced[code]
        if units:
            remaining_lines[code] -= 1
        if p.expected_amount is None or p.units == 0:
            amounts[key] = None
        elif units and remaining_lines[code] == 0:
            amounts[key] = left[code]  # the last line of the code takes what the others left
        else:
            amount = _share(p, units, cq=cq)
            amounts[key] = amount
            left[code] = (left[code] or Decimal(0)) - amount
    return pricing, amounts


def _share(priced: PricedLine, units: int, *, cq: bool) -> Decimal:
    """A line's part of its code's amount: its share of the units before the CQ reduction, less
    its share of that reduction when it carries CQ."""
    reduction = priced.cq_reduction or Decimal(0)
    before_cq = (priced.expected_amount or Decimal(0)) + reduction
    amount = before_cq * units / priced.units
    if cq and priced.cq_units:
        amount -= reduction * units / priced.cq_units
    return amount.quantize(CENT)


def _price(request: DraftRequest, code: str) -> CodePrice:
    return request.prices.get(code, CodePrice())


def _price_units(request: DraftRequest, units: UnitsResult, *, without: set[str]) -> PricingResult:
    """The day's amount on the suggested units (the KX decision is made on it)."""
    codes = {c.code: c for c in request.facts.code_facts}
    pricing, _ = price_lines(
        [row for row in _split(units) if row[1] not in without],
        prices=request.prices,
        codes=codes,
        terms=request.terms,
    )
    return pricing


def _split(units: UnitsResult) -> list[tuple[str, str, int, bool]]:
    rows: list[tuple[str, str, int, bool]] = []
    for line in units.lines:
        if line.units - line.cq_units > 0:
            rows.append((line.code, line.code, line.units - line.cq_units, False))
        if line.cq_units > 0:
            rows.append((f"{line.code}-CQ", line.code, line.cq_units, True))
    return rows


def _line_amounts(request: DraftRequest, units: UnitsResult) -> dict[str, Decimal | None]:
    codes = {c.code: c for c in request.facts.code_facts}
    _, amounts = price_lines(_split(units), prices=request.prices, codes=codes, terms=request.terms)
    return amounts


def _merged(services: Sequence[Service]) -> tuple[Service, ...]:
    """One service per code, in the order first given: the same code twice in a day (two
    sittings, billing-rules §10.1) is one line with the minutes added."""
    merged: dict[str, Service] = {}
    for s in services:
        first = merged.get(s.code)
        if first is None:
            merged[s.code] = s
            continue
        merged[s.code] = replace(
            first,
            minutes=first.minutes + s.minutes,
            pta_minutes=first.pta_minutes + s.pta_minutes,
            by_assistant=first.by_assistant and s.by_assistant,
            dx_pointers=first.dx_pointers or s.dx_pointers,
        )
    return tuple(merged.values())


def _line_minutes(
    units: UnitsResult, modifiers: ModifierResult
) -> dict[tuple[str, bool], tuple[int, int]]:
    """Minutes (and assistant minutes) per claim line. When a code is split into a GP line and
    a GP CQ line, the assistant's minutes go on the CQ line and the PT's own on the other, so
    the lines add up to the code's minutes."""
    split = {s.code for s in modifiers.lines if s.cq} & {
        s.code for s in modifiers.lines if not s.cq
    }
    found: dict[tuple[str, bool], tuple[int, int]] = {}
    for line in units.lines:
        if line.code in split:
            found[(line.code, False)] = (line.minutes - line.pta_minutes, 0)
            found[(line.code, True)] = (line.pta_minutes, line.pta_minutes)
        else:
            found[(line.code, False)] = found[(line.code, True)] = (line.minutes, line.pta_minutes)
    return found


def _default_pointers(count: int) -> tuple[int, ...]:
    return tuple(range(1, min(count, 4) + 1)) or (1,)


def _describe(units: int, modifiers: Sequence[str]) -> str:
    mods = " ".join(modifiers) or "no modifiers"
    return f"{units} unit{'s' if units != 1 else ''} ({mods})"
