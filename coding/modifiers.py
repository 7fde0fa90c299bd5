"""Modifier suggestions for one patient's day of therapy.

Rule source: ``/work/shared/domain/billing-rules.md`` ("billing-rules") §4 (GP, CQ, KX, 59/X{EPSU})
and §5.1–5.2 (NCCI edit pairs and their modifier indicators). Standard library only.

Turns the unit engine's lines into claim lines: GP on always-therapy codes; a line whose units were
furnished in whole or part by a PT assistant is split so that those units carry CQ (with GP); XU on
the column-2 code of an indicator-1 edit pair billed with its column 1; a block for an indicator-0
pair; KX on therapy lines when the year's allowed amount with this visit passes the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

SRC_GP = "billing-rules §4 GP (MCPM 5 §20.1)"
SRC_CQ = "billing-rules §4 CQ (de minimis 10%)"
SRC_KX = "billing-rules §4 KX (threshold per year)"
SRC_NCCI = "billing-rules §5.1 (NCCI XI §P)"
DISTINCT_MODIFIERS = frozenset({"59", "XE", "XS", "XP", "XU"})


@dataclass(frozen=True)
class LineFacts:
    """A code of the day with the units the engine gave it."""

    code: str
    units: int
    cq_units: int
    always_therapy: bool


@dataclass(frozen=True)
class PairFacts:
    """An NCCI edit pair in force on the date of service."""

    column1: str
    column2: str
    modifier_indicator: int


@dataclass(frozen=True)
class KxFacts:
    applies: bool
    threshold: Decimal | None
    ytd_before_visit: Decimal
    this_visit: Decimal


@dataclass(frozen=True)
class ModifierRequest:
    lines: tuple[LineFacts, ...]
    pairs: tuple[PairFacts, ...] = ()
    kx: KxFacts | None = None


@dataclass(frozen=True)
class SuggestedLine:
    code: str
    units: int
    modifiers: tuple[str, ...]
    cq: bool


@dataclass(frozen=True)
class Note:
    kind: str  # "block", "distinct", "kx", "cq", "gp"
    message: str
    rule: str
    codes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModifierResult:
    lines: tuple[SuggestedLine, ...]
    notes: tuple[Note, ...]
    kx_needed: bool

    @property
    def blocked(self) -> bool:
        return any(n.kind == "block" for n in self.notes)


def kx_needed(kx: KxFacts | None) -> bool:
    """KX goes on when the year's allowed amount including this visit passes the threshold."""
    if kx is None or not kx.applies or kx.threshold is None:
        return False
    return kx.ytd_before_visit + kx.this_visit > kx.threshold


def suggest_modifiers(request: ModifierRequest) -> ModifierResult:
    """Claim lines with their modifiers, in the order of `request.lines` (billing-rules §4, §5)."""
    billed = {line.code for line in request.lines if line.units > 0}
    notes: list[Note] = []
    distinct: set[str] = set()
    for pair in request.pairs:
        if pair.column1 not in billed or pair.column2 not in billed:
            continue
        codes = (pair.column1, pair.column2)
        if pair.modifier_indicator == 0:
            notes.append(
                Note(
                    "block",
                    f"{pair.column1} and {pair.column2} cannot be billed together on one day: "
                    "no modifier bypasses this edit (indicator 0). Keep one of them.",
                    SRC_NCCI,
                    codes,
                )
            )
        elif pair.modifier_indicator == 1:
            distinct.add(pair.column2)
            notes.append(
                Note(
                    "distinct",
                    f"{pair.column2} is bundled into {pair.column1} unless it was a distinct "
                    f"service in a different time interval: XU added to {pair.column2} "
                    "(59 only when no X modifier fits). Remove it if they overlapped.",
                    SRC_NCCI,
                    codes,
                )
            )
    needs_kx = kx_needed(request.kx)
    if needs_kx and request.kx is not None and request.kx.threshold is not None:
        total = request.kx.ytd_before_visit + request.kx.this_visit
        notes.append(
            Note(
                "kx",
                f"This year's allowed amount with this visit is ${total:,.2f}, over the "
                f"${request.kx.threshold:,.2f} threshold: KX added to therapy lines. Document "
                "why the care remains medically necessary.",
                SRC_KX,
            )
        )
    lines: list[SuggestedLine] = []
    for line in request.lines:
        if line.units <= 0:
            continue
        base: list[str] = []
        if line.always_therapy:
            base.append("GP")
        if line.code in distinct:
            base.append("XU")
        if needs_kx and line.always_therapy:
            base.append("KX")
        pt_units = line.units - line.cq_units
        if pt_units > 0:
            lines.append(SuggestedLine(line.code, pt_units, tuple(base), cq=False))
        if line.cq_units > 0:
            cq_mods = (*base[:1], "CQ", *base[1:])
            lines.append(SuggestedLine(line.code, line.cq_units, cq_mods, cq=True))
            notes.append(
                Note(
                    "cq",
                    f"{line.code}: {line.cq_units} of {line.units} unit(s) furnished in whole or "
                    "part by a PT assistant carry CQ (paid at 85% by Medicare).",
                    SRC_CQ,
                    (line.code,),
                )
            )
    if any(line.always_therapy for line in request.lines):
        notes.append(
            Note("gp", "GP marks each always-therapy code as done under a PT plan of care.", SRC_GP)
        )
    return ModifierResult(lines=tuple(lines), notes=tuple(notes), kx_needed=needs_kx)
