"""What a payer's decision means for one claim: which of its lines each paid service is, which
lines were denied and why, the claim's outcome, and the rule that guards against each denial
(docs/billing-rules.md §12). Standard library only; `claims.remittance.services` feeds it the
claim's lines and flags and stores what it decides.

A line is denied when the payer paid nothing on it and put nothing on the patient, for a reason
other than another payer having paid it (OA-23, a secondary's remittance): a line applied to the
deductible (PR-1) is allowed, not denied. The denial's reason is its largest adjustment that is
not a contractual reduction (CO-45 above the fee schedule, CO-253 sequestration, …).

Each reason code maps to the rule families that check for it before a claim is sent
(`FAMILIES_BY_REASON`, the table of §12.3). A denied line is *caught* when a rule of one of
those families flagged the claim before it was sent (whether it was then waived, marked fixed
or approved over); otherwise no rule caught it, and the denial is the rule book's to-do list.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from claims import lifecycle
from claims.remittance.era import DENIED_CODE, REVERSAL_CODE, Adjustment, ClaimPayment
from claims.rule_help import Family

ZERO = Decimal("0.00")

PAID, PARTLY_PAID, DENIED, REVERSED = "paid", "partly_paid", "denied", "reversed"

# Reductions that are not denials: the fee schedule (45), sequestration (253), the multiple
# procedure reduction (59), the prior payer's share (23), a charge over the maximum (42), a
# payment adjusted for COB (94), and the patient's deductible, coinsurance and copay (1, 2, 3).
NOT_A_DENIAL = frozenset({"1", "2", "3", "23", "42", "45", "59", "94", "253", "A2"})

# A denial reason → the families of rules that guard against it (§12.3). A reason missing here
# is one no rule of ptclinic can foresee (eligibility, coordination of benefits, network).
FAMILIES_BY_REASON: Mapping[str, tuple[Family, ...]] = {
    "4": (Family.MODIFIERS,),
    "5": (Family.CODES, Family.SUBMISSION),
    "8": (Family.CODES,),
    "11": (Family.DIAGNOSES,),
    "16": (Family.SUBMISSION, Family.DIAGNOSES),
    "18": (Family.FILING,),
    "29": (Family.FILING,),
    "50": (Family.NECESSITY, Family.PLAN_OF_CARE, Family.PROGRESS_REPORTS),
    "55": (Family.CODES,),
    "96": (Family.CODES, Family.COVERAGE),
    "97": (Family.EDIT_PAIRS,),
    "119": (Family.UNITS, Family.COVERAGE, Family.MODIFIERS),
    "129": (Family.FILING,),
    "150": (Family.UNITS, Family.NECESSITY),
    "151": (Family.UNITS, Family.COVERAGE, Family.MODIFIERS),
    "167": (Family.DIAGNOSES,),
    "170": (Family.CODES, Family.SUBMISSION),
    "181": (Family.CODES, Family.REFERENCE),
    "182": (Family.MODIFIERS,),
    "185": (Family.SUBMISSION,),
    "189": (Family.CODES,),
    "197": (Family.COVERAGE,),
    "198": (Family.COVERAGE,),
    "204": (Family.CODES, Family.COVERAGE),
    "234": (Family.EDIT_PAIRS,),
    "236": (Family.EDIT_PAIRS,),
    "252": (Family.NECESSITY, Family.PROGRESS_REPORTS),
    "B7": (Family.SUBMISSION,),
    "B15": (Family.CODES, Family.EDIT_PAIRS),
}

# A flag's standing, best evidence first: a flag waived or approved over is a decision someone
# made; one marked fixed may not have been.
_STANDING = {"waived": 0, "open": 1, "resolved": 2}


@dataclass(frozen=True)
class LineRecord:
    """One line of the claim as ptclinic sent it."""

    id: int
    code: str
    modifiers: tuple[str, ...]
    charge: Decimal
    expected: Decimal | None = None


@dataclass(frozen=True)
class FlagRecord:
    """A finding the claim carried when it was sent, and what was done about it."""

    rule_id: str
    status: str  # open (approved over), waived, resolved
    line_code: str = ""
    by: str = ""  # who settled it, as a name
    on: str = ""  # when, as text
    note: str = ""


@dataclass(frozen=True)
class Trace:
    """Which rules guard against a denial and whether one of them flagged the claim."""

    families: tuple[Family, ...]
    flag: FlagRecord | None

    @property
    def caught(self) -> bool:
        return self.flag is not None

    def sentence(self, title: str = "") -> str:
        """The denial's line on the claim page, in words."""
        if not self.families:
            return "No rule can foresee this reason (it is the payer's eligibility or benefits)."
        if self.flag is None:
            names = ", ".join(f.value.lower() for f in self.families)
            return f"No rule caught this (the {names} rules raised nothing)."
        flag = self.flag
        rule = f"{title or flag.rule_id} ({flag.rule_id})"
        if flag.status == "waived":
            how = f"waived by {flag.by or 'someone'}" + (f" on {flag.on}" if flag.on else "")
            how += f": “{flag.note}”" if flag.note else ""
        elif flag.status == "resolved":
            how = f"marked fixed by {flag.by or 'someone'}" + (f" on {flag.on}" if flag.on else "")
        else:
            how = "the claim was approved with it open"
        return f"This rule flagged it before submission: {rule}, {how}."


@dataclass(frozen=True)
class LinePlan:
    """What posting does with one paid service."""

    line_id: int | None  # the claim line it is, when one matches
    denied: bool
    denial: Adjustment | None  # the reason, when denied
    trace: Trace | None


@dataclass(frozen=True)
class PostingPlan:
    outcome: str  # paid, partly_paid, denied, reversed
    lines: tuple[LinePlan, ...]  # one per service of the payment, in order
    # A claim-level denial without service lines denies every line of the claim.
    denied_claim_lines: tuple[int, ...] = ()
    claim_denial: Adjustment | None = None
    claim_trace: Trace | None = None


def match_lines(
    services: Sequence[tuple[str, tuple[str, ...], str]], lines: Sequence[LineRecord]
) -> list[int | None]:
    """Each paid service's claim line: the line id it carries back (REF*6R, which our 837P
    sends), else the first line not yet matched with the same code and modifiers, else with the
    same code. ``services`` are (code, modifiers, line control number)."""
    by_id = {str(line.id): line for line in lines}
    used: set[int] = set()
    matched: list[int | None] = []
    for code, modifiers, control in services:
        choice = by_id.get(control)
        if choice is None or choice.id in used:
            free = [line for line in lines if line.id not in used and line.code == code]
            same = [line for line in free if set(line.modifiers) == set(modifiers)]
            choice = next(iter(same or free), None)
        if choice is not None:
            used.add(choice.id)
        matched.append(choice.id if choice else None)
    return matched


def denial_reason(adjustments: Sequence[Adjustment]) -> Adjustment | None:
    """The adjustment that says why: the largest one that is not a reduction (ties: first)."""
    reasons = [a for a in adjustments if a.reason not in NOT_A_DENIAL and a.amount > 0]
    return max(reasons, key=lambda a: a.amount, default=None)


def is_denied(paid: Decimal, adjustments: Sequence[Adjustment], *, status_code: str = "") -> bool:
    """Nothing paid and nothing on the patient, for a reason other than another payer's share."""
    if status_code == REVERSAL_CODE:
        return False
    if paid != 0 or any(a.group == "PR" and a.amount != 0 for a in adjustments):
        return False
    if status_code == DENIED_CODE:
        return True
    return any(not (a.group == "OA" and a.reason == "23") for a in adjustments if a.amount)


def trace(
    reason: str,
    flags: Sequence[FlagRecord],
    families_of: Mapping[str, Family],
    *,
    line_code: str = "",
) -> Trace:
    """The rules that guard against ``reason`` and the flag among ``flags`` that caught it:
    one of the claim's own line first, then one of the whole claim, then any; a waived flag
    before one approved over before one marked fixed."""
    families = FAMILIES_BY_REASON.get(reason, ())
    caught = [f for f in flags if families_of.get(f.rule_id) in families]
    if not caught:
        return Trace(families, None)

    def rank(flag: FlagRecord) -> tuple[int, int, int]:
        place = 0 if line_code and flag.line_code == line_code else 1 if not flag.line_code else 2
        family = families.index(families_of[flag.rule_id])
        return (place, _STANDING.get(flag.status, 3), family)

    return Trace(families, min(caught, key=rank))


def plan_posting(
    payment: ClaimPayment,
    lines: Sequence[LineRecord],
    flags: Sequence[FlagRecord],
    families_of: Mapping[str, Family],
) -> PostingPlan:
    """How ``payment`` posts to the claim whose ``lines`` and ``flags`` these are."""
    matched = match_lines(
        [(s.code, s.modifiers, s.line_control_number) for s in payment.services], lines
    )
    codes = {line.id: line.code for line in lines}
    plans = []
    for service, line_id in zip(payment.services, matched, strict=True):
        adjustments = service.adjustments or (
            payment.adjustments if len(payment.services) == 1 else ()
        )
        denied = is_denied(service.paid, adjustments, status_code=payment.status_code)
        reason = denial_reason(adjustments) if denied else None
        if denied and reason is None:
            reason = denial_reason(payment.adjustments)
        plans.append(
            LinePlan(
                line_id=line_id,
                denied=denied,
                denial=reason,
                trace=trace(
                    reason.reason if reason else "",
                    flags,
                    families_of,
                    line_code=codes.get(line_id, service.code) if line_id else service.code,
                )
                if denied
                else None,
            )
        )
    if payment.status_code == REVERSAL_CODE:
        return PostingPlan(REVERSED, tuple(plans))
    if not payment.services:
        if not is_denied(payment.paid, payment.adjustments, status_code=payment.status_code):
            return PostingPlan(PAID, ())
        reason = denial_reason(payment.adjustments)
        return PostingPlan(
            DENIED,
            (),
            denied_claim_lines=tuple(line.id for line in lines),
            claim_denial=reason,
            claim_trace=trace(reason.reason if reason else "", flags, families_of),
        )
    denied_lines = sum(1 for plan in plans if plan.denied)
    if payment.status_code == DENIED_CODE or denied_lines == len(plans):
        return PostingPlan(DENIED, tuple(plans))
    return PostingPlan(PARTLY_PAID if denied_lines else PAID, tuple(plans))


def status_after_payment(current: str, outcome: str) -> str | None:
    """The claim's status once a payment with ``outcome`` is posted, or None to leave it (a
    second payment on a paid claim, a reversal of a claim not yet paid). A reversal takes
    an adjudicated claim back to accepted: the payer reprocesses it (§12.2)."""
    if outcome == REVERSED and current not in lifecycle.ADJUDICATED:
        return None  # nothing was paid or denied yet, so there is nothing to reverse
    target = lifecycle.ACCEPTED if outcome == REVERSED else outcome
    if target == current or not lifecycle.can_move(current, target):
        return None
    return target


POSTABLE = frozenset(
    {
        lifecycle.SUBMITTED,
        lifecycle.ACCEPTED,
        lifecycle.PAID,
        lifecycle.PARTLY_PAID,
        lifecycle.DENIED,
    }
)


def refusal(status: str, label: str) -> str | None:
    """Why a payment does not post by itself to a claim in ``status`` (it goes to the
    worklist), or None: only a claim that was sent expects money."""
    if status in POSTABLE:
        return None
    return (
        f"The claim is {label.lower()} in ptclinic, so a payment for it is unexpected: check "
        "it, then post the payment to it by hand or dismiss it."
    )
