"""Billable units for one patient's day of PT: the CMS 8-minute rule and the AMA per-code method.

Rule source: ``docs/billing-rules.md`` ("billing-rules") §1 (CMS, MCPM 5 §20.2), §2 (AMA
"substantial portion" method and payer caps), §5.3 (MUE unit limits) and §10.2 (CQ per unit, CY2020
and CY2022 PFS final rules). Standard library only: no Django, no ORM, no settings.

The engine is deterministic: where the manual leaves the choice to the clinician (ties in leftover
minutes), it suggests one allocation, records the tie with every alternative, and honours the
therapist's pick when it is valid.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

MINUTES_PER_DAY = 1440
UNIT_MINUTES = 15
MIDPOINT_MINUTES = 8
# CQ de minimis (billing-rules §10.2): the assistant's share of a unit counts only when it is over
# 10% of that unit's minutes, and a PT who alone furnished 8 minutes or more of it keeps it.
CQ_DE_MINIMIS_PERCENT = 10
PT_KEEPS_SHARED_UNIT_MINUTES = 8

SRC_TABLE = "billing-rules §1 unit table (MCPM 5 §20.2)"
SRC_ALONE = "billing-rules §1 rule 1 (MCPM 5 §20.2)"
SRC_POOL = "billing-rules §1 rule 2 (MCPM 5 §20.2)"
SRC_FULL = "billing-rules §1 rule 3 (MCPM 5 §20.2)"
SRC_SHORT = "billing-rules §1 rule 4 (MCPM 5 §20.2)"
SRC_AVERAGE = "billing-rules §1 rule 5 (MCPM 5 §20.2)"
SRC_TIES = "billing-rules §1 ties (MCPM 5 §20.2)"
SRC_UNTIMED = "billing-rules §1 untimed codes (MCPM 5 §20.2)"
SRC_DOC = "billing-rules §1 documentation (BPM 15 §220.3)"
SRC_AMA = "billing-rules §2 (AMA per-code method)"
SRC_PAYER_CAP = "billing-rules §2 payer unit caps"
SRC_MUE = "billing-rules §5.3 (MUE)"
SRC_CQ = "billing-rules §10.2 (CQ per unit)"


class Method(StrEnum):
    """How a payer turns minutes into units (billing-rules §2: a per-payer setting)."""

    CMS = "cms"
    AMA = "ama"


class WarningKind(StrEnum):
    """Stable ids of the engine's warnings; the UI may filter on them."""

    UNDER_8_MINUTES = "under-8-minutes"
    NO_UNIT_LEFT = "no-unit-left"
    CAPPED_BY_UNIT_LIMIT = "capped-by-unit-limit"
    CAPPED_BY_DAILY_CAP = "capped-by-daily-cap"
    UNTIMED_MINUTES = "untimed-minutes"
    DUPLICATE_CODE = "duplicate-code"
    BELOW_15_MIN_AVERAGE = "below-15-min-average"
    TIE_CHOICE_IGNORED = "tie-choice-ignored"


@dataclass(frozen=True)
class ServiceInput:
    """One code performed on the day, with its minutes of direct time.

    ``fee`` (allowed amount per unit) is used only to break ties; ``max_units`` is the code's
    daily unit limit (MUE, billing-rules §5.3). ``by_assistant``: the whole service was furnished
    by a PT assistant (a PTA's visit), so an untimed service carries CQ even with no minutes typed
    (billing-rules §10.2).
    """

    code: str
    minutes: int
    timed: bool
    always_therapy: bool = False
    pta_minutes: int = 0
    fee: Decimal | None = None
    max_units: int | None = None
    by_assistant: bool = False


@dataclass(frozen=True)
class UnitsRequest:
    """One patient, one calendar day, one discipline (billing-rules §1)."""

    services: tuple[ServiceInput, ...]
    method: Method
    daily_timed_unit_cap: int | None = None
    tie_choice: tuple[str, ...] | None = None


@dataclass(frozen=True)
class UnitLine:
    """Units for one code.

    For a timed code ``full_units`` is minutes // 15 and ``remainder`` minutes % 15. For an
    untimed code ``full_units`` is 1 (one service, one unit) and ``remainder`` is 0.
    ``cq_units`` counts the units furnished in whole or part by a PT assistant (billing-rules §4).
    ``capped_from`` holds the units before a cap cut them, else None.
    """

    code: str
    minutes: int
    pta_minutes: int
    timed: bool
    units: int
    full_units: int
    remainder: int
    cq_units: int
    capped_from: int | None = None


@dataclass(frozen=True)
class Tie:
    """Codes tied on leftover minutes at the cut-off (billing-rules §1 ties).

    ``chosen`` got the ``contested_units``; ``alternatives`` lists every other valid allocation
    (each a tuple of codes that would get one contested unit each).
    """

    codes: tuple[str, ...]
    remainder: int
    contested_units: int
    chosen: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]
    chosen_by_therapist: bool


@dataclass(frozen=True)
class UnitsWarning:
    """Something the therapist or biller should look at; ``rule`` names its source."""

    kind: WarningKind
    code: str | None
    message: str
    rule: str


@dataclass(frozen=True)
class Step:
    """One step of the arithmetic, in plain words, with the rule it applies."""

    text: str
    rule: str


@dataclass(frozen=True)
class UnitsResult:
    """The day's units, with ties, warnings and a plain-words explanation."""

    method: Method
    lines: tuple[UnitLine, ...]
    total_timed_minutes: int
    total_treatment_minutes: int
    total_timed_units: int
    ties: tuple[Tie, ...] = ()
    warnings: tuple[UnitsWarning, ...] = ()
    explanation: tuple[Step, ...] = ()

    def line_for(self, code: str) -> UnitLine | None:
        """The line of ``code``, or None when the code was not in the request."""
        for line in self.lines:
            if line.code == code:
                return line
        return None


@dataclass(eq=False)
class _Work:
    """Mutable working copy of one (merged) code while the units are shared out."""

    service: ServiceInput
    minutes: int
    pta_minutes: int
    units: int = 0
    capped_from: int | None = None

    @property
    def code(self) -> str:
        return self.service.code

    @property
    def full(self) -> int:
        return self.minutes // UNIT_MINUTES if self.service.timed else 1

    @property
    def remainder(self) -> int:
        return self.minutes % UNIT_MINUTES if self.service.timed else 0


@dataclass
class _Collector:
    warnings: list[UnitsWarning] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)

    def warn(self, kind: WarningKind, code: str | None, message: str, rule: str) -> None:
        self.warnings.append(UnitsWarning(kind=kind, code=code, message=message, rule=rule))

    def step(self, text: str, rule: str) -> None:
        self.steps.append(Step(text=text, rule=rule))


def units_for_minutes(minutes: int) -> int:
    """Units for a number of timed minutes: 0 under 8, then one more every 15 (billing-rules §1).

    The same table serves the CMS day total (§1 rule 2) and the AMA per-code method (§2).
    """
    if minutes < 0:
        raise ValueError(f"minutes cannot be negative (got {minutes})")
    return 0 if minutes < MIDPOINT_MINUTES else (minutes + MIDPOINT_MINUTES - 1) // UNIT_MINUTES


def minutes_range(units: int) -> str:
    """The table row for ``units`` in words, e.g. "38-52 minutes = 3 units" (billing-rules §1)."""
    if units <= 0:
        return "0\N{EN DASH}7 minutes = 0 units"
    low = UNIT_MINUTES * units - (MIDPOINT_MINUTES - 1)
    high = UNIT_MINUTES * units + (MIDPOINT_MINUTES - 1)
    return f"{low}\N{EN DASH}{high} minutes = {_plural(units, 'unit')}"


def compute_units(request: UnitsRequest) -> UnitsResult:
    """Share out the day's units among its codes (billing-rules §1, §2; caps §2, §5.3; CQ §4).

    - CMS (§1 rules 1-4): the total timed minutes set the total timed units; each code gets its
      full 15-minute blocks, and the units left over go one each to the codes with the most
      leftover minutes. Ties at the cut-off are suggested by higher ``fee`` (None lowest), then
      code, and recorded with their alternatives; a valid ``tie_choice`` wins.
    - AMA (§2): each timed code stands alone on its own minutes.
    - Untimed codes: 1 unit whatever the minutes; their minutes count toward total treatment
      minutes only (§1).
    - Caps: each code's ``max_units`` (§5.3), then the payer's ``daily_timed_unit_cap`` (§2),
      which takes the weakest units first: leftover-minute units with the fewest leftover
      minutes, then full units; among equals the lower fee, then fewer minutes, then the later
      line.
    - CQ (§10.2): per unit, see ``_cq_units``.

    Raises ValueError on impossible input (negative minutes, more than 1440 minutes in a day,
    assistant minutes above the line's minutes, negative caps).
    """
    _validate_request(request)
    out = _Collector()
    works = _merge(request.services, out)

    timed = [w for w in works if w.service.timed]
    untimed = [w for w in works if not w.service.timed]
    total_timed = sum(w.minutes for w in timed)
    if total_timed > MINUTES_PER_DAY:
        raise ValueError(
            f"total timed minutes {total_timed} exceed the {MINUTES_PER_DAY} minutes of a day; "
            "timed services are one-on-one and cannot overlap"
        )

    ties: list[Tie] = []
    if request.method is Method.CMS:
        tie = _allocate_cms(timed, request.tie_choice, out)
        if tie is not None:
            ties.append(tie)
    else:
        _allocate_ama(timed, out)
    if request.tie_choice is not None and not ties:
        out.warn(
            WarningKind.TIE_CHOICE_IGNORED,
            None,
            "A tie choice was given but there is no tie to settle: it was ignored.",
            SRC_TIES,
        )

    _allocate_untimed(untimed, out)
    _warn_zero_units(timed, request.method, out)
    _apply_unit_limits(works, out)
    if request.daily_timed_unit_cap is not None:
        _apply_daily_cap(timed, request.daily_timed_unit_cap, out)

    total_units = sum(w.units for w in timed)
    untimed_minutes = sum(w.minutes for w in untimed)
    total_treatment = total_timed + untimed_minutes
    out.step(
        f"Total treatment minutes: {total_timed} timed + {untimed_minutes} untimed = "
        f"{total_treatment}; total timed units billed: {total_units}.",
        SRC_DOC,
    )
    if total_units and total_timed < UNIT_MINUTES * total_units:
        out.warn(
            WarningKind.BELOW_15_MIN_AVERAGE,
            None,
            f"{total_timed} timed minutes over {_plural(total_units, 'unit')} is "
            f"{_average(total_timed, total_units)} minutes per unit, under the expected 15; "
            "allowed today, but a consistent pattern is highlighted for review.",
            SRC_AVERAGE,
        )

    lines = tuple(_to_line(w) for w in works)
    return UnitsResult(
        method=request.method,
        lines=lines,
        total_timed_minutes=total_timed,
        total_treatment_minutes=total_treatment,
        total_timed_units=total_units,
        ties=tuple(ties),
        warnings=tuple(out.warnings),
        explanation=tuple(out.steps),
    )


def _validate_request(request: UnitsRequest) -> None:
    for service in request.services:
        label = service.code or "<blank code>"
        if not service.code.strip():
            raise ValueError("every service needs a code")
        if service.minutes < 0:
            raise ValueError(f"{label}: minutes cannot be negative (got {service.minutes})")
        if service.minutes > MINUTES_PER_DAY:
            raise ValueError(
                f"{label}: {service.minutes} minutes is more than a day ({MINUTES_PER_DAY})"
            )
        if service.pta_minutes < 0:
            raise ValueError(
                f"{label}: assistant minutes cannot be negative (got {service.pta_minutes})"
            )
        if service.pta_minutes > service.minutes:
            raise ValueError(
                f"{label}: assistant minutes {service.pta_minutes} exceed the line's "
                f"{service.minutes} minutes"
            )
        if service.max_units is not None and service.max_units < 0:
            raise ValueError(f"{label}: max_units cannot be negative (got {service.max_units})")
        if service.fee is not None and service.fee < 0:
            raise ValueError(f"{label}: fee cannot be negative (got {service.fee})")
    cap = request.daily_timed_unit_cap
    if cap is not None and cap < 0:
        raise ValueError(f"daily_timed_unit_cap cannot be negative (got {cap})")


def _merge(services: tuple[ServiceInput, ...], out: _Collector) -> list[_Work]:
    """One working line per code, in input order; repeats add their minutes to the first."""
    works: list[_Work] = []
    by_code: dict[str, _Work] = {}
    for service in services:
        first = by_code.get(service.code)
        if first is None:
            work = _Work(service=service, minutes=service.minutes, pta_minutes=service.pta_minutes)
            by_code[service.code] = work
            works.append(work)
            continue
        if first.service.timed != service.timed:
            raise ValueError(f"{service.code} appears twice, once timed and once untimed")
        first.minutes += service.minutes
        first.pta_minutes += service.pta_minutes
        if first.minutes > MINUTES_PER_DAY:
            raise ValueError(
                f"{service.code}: {first.minutes} minutes in total is more than a day "
                f"({MINUTES_PER_DAY})"
            )
        out.warn(
            WarningKind.DUPLICATE_CODE,
            service.code,
            f"{service.code} was entered twice: the minutes were added together "
            f"({first.minutes} minutes in all) on one line.",
            SRC_POOL,
        )
    return works


def _allocate_cms(
    timed: list[_Work], tie_choice: tuple[str, ...] | None, out: _Collector
) -> Tie | None:
    """Pool the timed minutes and share the units out (billing-rules §1 rules 1-4)."""
    if not timed:
        return None
    total = sum(w.minutes for w in timed)
    total_units = units_for_minutes(total)
    parts = " + ".join(f"{w.minutes} ({w.code})" for w in timed)
    equation = f"{parts} = {total}" if len(timed) > 1 else f"{total} ({timed[0].code})"
    out.step(
        f"Total timed minutes {equation} → {_plural(total_units, 'unit')} "
        f"({minutes_range(total_units)}).",
        SRC_POOL if len(timed) > 1 else SRC_ALONE,
    )
    for w in timed:
        w.units = w.full
    full_total = sum(w.full for w in timed)
    if len(timed) > 1 or timed[0].full:
        blocks = ", ".join(
            f"{w.code} {w.minutes} min = {_plural(w.full, 'full unit')}"
            + (f" + {w.remainder} min left" if w.remainder else "")
            for w in timed
        )
        out.step(f"Full 15-minute blocks: {blocks}.", SRC_FULL)
    leftover = total_units - full_total
    if leftover <= 0:
        if total_units and any(w.remainder for w in timed):
            out.step(
                f"{total_units} - {full_total} full = no unit left for leftover minutes.",
                SRC_POOL,
            )
        return None

    with_rest = sorted((w for w in timed if w.remainder), key=lambda w: -w.remainder)
    cutoff = with_rest[leftover - 1].remainder
    above = [w for w in timed if w.remainder > cutoff]
    tied = [w for w in timed if w.remainder == cutoff]
    contested = leftover - len(above)
    tie: Tie | None = None
    tie_step: Step | None = None
    winners = tied
    if len(tied) > contested:
        tie, tie_step, winners = _settle_tie(tied, cutoff, contested, tie_choice, out)
    for w in above + winners:
        w.units += 1

    given = [w for w in timed if w in above or w in winners]
    rule = SRC_SHORT if full_total == 0 and len(timed) > 1 else SRC_POOL
    out.step(
        f"{total_units} - {full_total} full = {_plural(leftover, 'unit')} left, one each to the "
        "largest leftover minutes: "
        + ", ".join(f"{w.code} ({w.remainder} min)" for w in given)
        + ".",
        rule,
    )
    if tie_step is not None:
        out.steps.append(tie_step)
    return tie


def _settle_tie(
    tied: list[_Work],
    remainder: int,
    contested: int,
    tie_choice: tuple[str, ...] | None,
    out: _Collector,
) -> tuple[Tie, Step, list[_Work]]:
    codes = tuple(w.code for w in tied)
    allocations = [
        tuple(c.code for c in combo) for combo in itertools.combinations(tied, contested)
    ]
    suggested = sorted(tied, key=_tie_priority)[:contested]
    chosen = tuple(w.code for w in tied if w in suggested)
    by_therapist = False
    if tie_choice is not None:
        picked = set(tie_choice)
        valid = len(picked) == len(tie_choice) == contested and picked <= set(codes)
        if valid:
            chosen = tuple(c for c in codes if c in picked)
            by_therapist = True
        else:
            out.warn(
                WarningKind.TIE_CHOICE_IGNORED,
                None,
                f"The tie choice {', '.join(tie_choice) or '(none)'} is not a valid pick of "
                f"{_plural(contested, 'code')} from {', '.join(codes)}: the suggestion was kept.",
                SRC_TIES,
            )
    alternatives = tuple(a for a in allocations if a != chosen)
    who = "the therapist chose" if by_therapist else "suggested (higher fee, then code order)"
    step = Step(
        text=f"Tie: {', '.join(codes)} each have {remainder} leftover minutes for "
        f"{_plural(contested, 'unit')}; {who}: {', '.join(chosen)}. Any of the "
        f"{len(allocations)} allocations is correct; the therapist may switch it.",
        rule=SRC_TIES,
    )
    tie = Tie(
        codes=codes,
        remainder=remainder,
        contested_units=contested,
        chosen=chosen,
        alternatives=alternatives,
        chosen_by_therapist=by_therapist,
    )
    return tie, step, [w for w in tied if w.code in chosen]


def _tie_priority(w: _Work) -> tuple[bool, Decimal, str]:
    fee = w.service.fee
    return (fee is None, -(fee or Decimal(0)), w.code)


def _allocate_ama(timed: list[_Work], out: _Collector) -> None:
    """Each timed code on its own minutes, no pooling (billing-rules §2)."""
    for w in timed:
        w.units = units_for_minutes(w.minutes)
        out.step(
            f"{w.code}: {w.minutes} minutes on its own → {_plural(w.units, 'unit')} "
            f"({minutes_range(w.units)}).",
            SRC_AMA,
        )


def _allocate_untimed(untimed: list[_Work], out: _Collector) -> None:
    """One unit per untimed code per day, whatever the minutes (billing-rules §1)."""
    for w in untimed:
        w.units = 1
        minutes_note = (
            f"its {w.minutes} minutes count toward total treatment minutes only"
            if w.minutes
            else "no minutes recorded"
        )
        out.step(f"{w.code} is untimed: 1 unit ({minutes_note}).", SRC_UNTIMED)
        if w.minutes:
            out.warn(
                WarningKind.UNTIMED_MINUTES,
                w.code,
                f"{w.code} is untimed: 1 unit whatever the minutes; its {w.minutes} minutes "
                "count toward total treatment minutes, not timed minutes.",
                SRC_UNTIMED,
            )


def _warn_zero_units(timed: list[_Work], method: Method, out: _Collector) -> None:
    for w in timed:
        if w.units:
            continue
        if method is Method.AMA:
            message = (
                f"{w.code}: {w.minutes} minutes is under 8 — not billable on its own "
                "(per-code method)."
            )
            out.warn(WarningKind.UNDER_8_MINUTES, w.code, message, SRC_AMA)
        elif len(timed) == 1:
            message = f"{w.code}: {w.minutes} minutes alone is under 8 — not billable."
            out.warn(WarningKind.UNDER_8_MINUTES, w.code, message, SRC_ALONE)
        elif w.minutes < MIDPOINT_MINUTES:
            message = (
                f"{w.code}: {w.minutes} minutes earned no unit — the day's units went to codes "
                "with more leftover minutes."
            )
            out.warn(WarningKind.UNDER_8_MINUTES, w.code, message, SRC_SHORT)
        else:
            message = (
                f"{w.code}: {w.minutes} minutes earned no unit — the day's total timed minutes "
                "were used up by codes with more leftover minutes."
            )
            out.warn(WarningKind.NO_UNIT_LEFT, w.code, message, SRC_POOL)


def _apply_unit_limits(works: list[_Work], out: _Collector) -> None:
    """Cut a code to its daily unit limit (billing-rules §5.3 MUE)."""
    for w in works:
        limit = w.service.max_units
        if limit is None or w.units <= limit:
            continue
        w.capped_from = w.units
        out.warn(
            WarningKind.CAPPED_BY_UNIT_LIMIT,
            w.code,
            f"{w.code}: {_plural(w.units, 'unit')} cut to the limit of {limit} per day.",
            SRC_MUE,
        )
        out.step(f"{w.code}: {w.units} units over its limit of {limit} → {limit}.", SRC_MUE)
        w.units = limit


def _apply_daily_cap(timed: list[_Work], cap: int, out: _Collector) -> None:
    """Cut the day's timed units to the payer's cap, weakest units first (billing-rules §2)."""
    total = sum(w.units for w in timed)
    if total <= cap:
        return
    removed: dict[str, int] = {}
    for _ in range(total - cap):
        weakest = min((w for w in timed if w.units), key=lambda w: _weakness(w, timed))
        if weakest.capped_from is None:
            weakest.capped_from = weakest.units
        weakest.units -= 1
        removed[weakest.code] = removed.get(weakest.code, 0) + 1
    out.step(
        f"Payer cap of {_plural(cap, 'timed unit')} a day: {total} → {cap}, removing "
        + ", ".join(f"{_plural(n, 'unit')} of {code}" for code, n in removed.items())
        + " (weakest units first).",
        SRC_PAYER_CAP,
    )
    for code, n in removed.items():
        out.warn(
            WarningKind.CAPPED_BY_DAILY_CAP,
            code,
            f"{code}: {_plural(n, 'unit')} removed to keep the day within the payer's cap of "
            f"{_plural(cap, 'timed unit')} ({total} supported).",
            SRC_PAYER_CAP,
        )


def _weakness(w: _Work, timed: list[_Work]) -> tuple[int, int, bool, Decimal, int, int]:
    extra = w.units > w.full
    fee = w.service.fee
    return (
        0 if extra else 1,
        w.remainder if extra else UNIT_MINUTES,
        fee is not None,
        fee or Decimal(0),
        w.minutes,
        -timed.index(w),
    )


def _cq_units(w: _Work) -> int:
    """Units furnished in whole or part by the assistant (billing-rules §10.2).

    Untimed: the one unit carries CQ when the assistant furnished the service (``by_assistant``)
    or more than 10% of its minutes. Timed, per code: each provider keeps the units of their own
    full 15-minute blocks (the PT's bill GP, the assistant's GP CQ). One remaining unit, shared,
    carries CQ when the assistant furnished more than 10% of its minutes, unless the PT alone
    furnished 8 minutes or more of it; two remaining units (each provider furnished 9-14
    minutes) bill one without and one with CQ. When a cap left the code fewer units than the
    full blocks, the PT's units are kept first.
    """
    if not w.service.timed:
        if w.service.by_assistant or w.pta_minutes * 100 > CQ_DE_MINIMIS_PERCENT * w.minutes:
            return w.units
        return 0
    pt_minutes = w.minutes - w.pta_minutes
    pt_full, pt_rest = divmod(pt_minutes, UNIT_MINUTES)
    pta_full, pta_rest = divmod(w.pta_minutes, UNIT_MINUTES)
    remaining = w.units - pt_full - pta_full
    if remaining <= 0:
        return min(pta_full, max(0, w.units - pt_full))
    shared = pt_rest + pta_rest
    if remaining == 1:
        assistant_counts = (
            pta_rest * 100 > CQ_DE_MINIMIS_PERCENT * shared
            and pt_rest < PT_KEEPS_SHARED_UNIT_MINUTES
        )
        return pta_full + (1 if assistant_counts else 0)
    return pta_full + (1 if pta_rest else 0)


def _to_line(w: _Work) -> UnitLine:
    return UnitLine(
        code=w.code,
        minutes=w.minutes,
        pta_minutes=w.pta_minutes,
        timed=w.service.timed,
        units=w.units,
        full_units=w.full,
        remainder=w.remainder,
        cq_units=_cq_units(w),
        capped_from=w.capped_from,
    )


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _average(minutes: int, units: int) -> str:
    return f"{Decimal(minutes) / Decimal(units):.1f}"
