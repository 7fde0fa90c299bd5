"""Modifier suggestions for one patient's day of therapy.

Rule source: ``docs/billing-rules.md`` ("billing-rules") §4 (GP, CQ, KX, 59/X{EPSU}), §5.1–5.2
(NCCI edit pairs and their modifier indicators), §10.2 (CQ per unit) and §10.4 (GP on every
service under a PT plan of care). Standard library only.

Turns the unit engine's lines into claim lines: GP on every line (none for a payer that takes no
therapy modifier, e.g. self-pay); a line whose units were furnished in whole or part by a PT
assistant is split so that those units carry CQ (with GP); XU on the column-2 code of an
indicator-1 edit pair billed with its column 1, and on a re-evaluation billed with therapy; a
block for an indicator-0 pair and for a code that is not separately reportable with an
evaluation (no modifier is offered there); KX on every line when the year's allowed amount with
this visit passes the threshold.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from coding.code_groups import (
    DISTINCT_MODIFIERS,
    OT_EVALUATIONS,
    PT_EVALUATIONS,
    REEVALUATION,
    not_separately_reportable,
)

SRC_GP = "billing-rules §10.4 GP (MCPM 5 §20.1)"
SRC_CQ = "billing-rules §10.2 CQ (per unit)"
SRC_KX = "billing-rules §4, §10.8 KX (threshold per year)"
SRC_NCCI = "billing-rules §5.1 (NCCI XI §P)"
__all__ = ["DISTINCT_MODIFIERS", "suggest_modifiers"]


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
    """``therapy_modifier``: GP for a PT plan of care, None for a payer that takes none."""

    lines: tuple[LineFacts, ...]
    pairs: tuple[PairFacts, ...] = ()
    kx: KxFacts | None = None
    therapy_modifier: str | None = "GP"


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
    """KX goes on when the year's allowed amount including this visit is strictly above the
    threshold (billing-rules §10.8)."""
    if kx is None or not kx.applies or kx.threshold is None:
        return False
    return kx.ytd_before_visit + kx.this_visit > kx.threshold


def suggest_modifiers(request: ModifierRequest) -> ModifierResult:
    """Claim lines with their modifiers, in the order of `request.lines` (billing-rules §4, §5,
    §10.2, §10.4)."""
    billed = {line.code for line in request.lines if line.units > 0}
    notes: list[Note] = []
    distinct: set[str] = set()
    blocked: set[frozenset[str]] = set()
    # Column-2 codes of a block: they come off the claim, so they are not therapy the
    # re-evaluation is billed with (§5.1).
    removed: set[str] = set()
    for column1, column2 in not_separately_reportable(frozenset(billed)):
        blocked.add(frozenset((column1, column2)))
        removed.add(column2)
        notes.append(
            Note(
                "block",
                f"{column2} is not separately reportable with {column1} on the same date by the "
                f"same discipline: no modifier bypasses it. Remove {column2}.",
                SRC_NCCI,
                (column1, column2),
            )
        )
    for pair in request.pairs:
        codes = (pair.column1, pair.column2)
        if pair.column1 not in billed or pair.column2 not in billed or frozenset(codes) in blocked:
            continue
        if pair.modifier_indicator == 0:
            blocked.add(frozenset(codes))
            removed.add(pair.column2)
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
    therapy = sorted(billed - removed - PT_EVALUATIONS - OT_EVALUATIONS)
    if REEVALUATION in billed and therapy and not (billed & (PT_EVALUATIONS - {REEVALUATION})):
        distinct.add(REEVALUATION)
        notes.append(
            Note(
                "distinct",
                f"{REEVALUATION} (re-evaluation) billed with {', '.join(therapy)}: XU added, "
                "which is right only when the patient's status changed enough to need a "
                f"re-evaluation (document it); otherwise remove {REEVALUATION}.",
                SRC_NCCI,
                (REEVALUATION, *therapy),
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
    gp = request.therapy_modifier
    lines: list[SuggestedLine] = []
    for line in request.lines:
        if line.units <= 0:
            continue
        base: list[str] = [gp] if gp else []
        if line.code in distinct:
            base.append("XU")
        if needs_kx and gp:
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
    if gp and lines:
        notes.append(
            Note("gp", f"{gp} marks every service as done under a PT plan of care.", SRC_GP)
        )
    return ModifierResult(lines=tuple(lines), notes=tuple(notes), kx_needed=needs_kx)
