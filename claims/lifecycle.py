"""A claim's life: which moves are allowed from each status, and what a correction sends
(docs/billing-rules.md §11.3). Pure Python: `claims.services` applies the moves and records
each one (`ClaimEvent`).
"""

from __future__ import annotations

from dataclasses import dataclass

NEEDS_REVIEW = "needs_review"
RETURNED = "returned"
APPROVED = "approved"
SUBMITTED = "submitted"
ACCEPTED = "accepted"
REJECTED = "rejected"
PAID = "paid"
PARTLY_PAID = "partly_paid"
DENIED = "denied"
VOIDED = "voided"

ORIGINAL, REPLACEMENT, VOID = "1", "7", "8"

# Adjudicated: the payer has the claim on file, so a change is a replacement or a void.
ADJUDICATED = frozenset({ACCEPTED, PAID, PARTLY_PAID, DENIED})

MOVES: dict[str, frozenset[str]] = {
    NEEDS_REVIEW: frozenset({APPROVED, RETURNED}),
    RETURNED: frozenset({NEEDS_REVIEW}),
    APPROVED: frozenset({SUBMITTED, NEEDS_REVIEW, VOIDED}),  # reopened; a sent void
    SUBMITTED: frozenset({ACCEPTED, REJECTED, PAID, PARTLY_PAID, DENIED, VOIDED}),
    ACCEPTED: frozenset({PAID, PARTLY_PAID, DENIED, REJECTED, NEEDS_REVIEW, APPROVED}),
    REJECTED: frozenset({NEEDS_REVIEW}),
    # Corrected, voided (approved as a void), or reversed by the payer (back to accepted).
    PAID: frozenset({NEEDS_REVIEW, APPROVED, ACCEPTED}),
    PARTLY_PAID: frozenset({NEEDS_REVIEW, APPROVED, PAID, ACCEPTED}),
    DENIED: frozenset({NEEDS_REVIEW, APPROVED, PAID, PARTLY_PAID, ACCEPTED}),
    VOIDED: frozenset(),
}


def can_move(current: str, target: str) -> bool:
    return target in MOVES.get(current, frozenset())


def refusal(current: str, target: str, labels: dict[str, str]) -> str | None:
    """None when the move is allowed; otherwise why not, in words."""
    if can_move(current, target):
        return None
    return (
        f"A claim that is {labels.get(current, current).lower()} cannot become "
        f"{labels.get(target, target).lower()}."
    )


@dataclass(frozen=True)
class Correction:
    """What correcting a claim in ``status`` sends: its frequency code, and whether the
    payer's claim number of the original must be named (REF*F8, box 22)."""

    frequency_code: str
    needs_original_number: bool


def correction(status: str, frequency_code: str = ORIGINAL) -> Correction | None:
    """A rejected claim never reached adjudication: fixed, it goes again as what it was (an
    original stays an original; a rejected replacement is still the replacement of the
    adjudicated claim it names). An adjudicated claim is replaced (7). Other statuses are not
    corrected this way (None)."""
    if status == REJECTED:
        return Correction(frequency_code, needs_original_number=frequency_code != ORIGINAL)
    if status in ADJUDICATED:
        return Correction(REPLACEMENT, needs_original_number=True)
    return None


def can_void(status: str) -> bool:
    """Only a claim the payer has on file can be voided (8); one never sent is simply not sent."""
    return status in ADJUDICATED


def status_after_sending(frequency_code: str) -> str:
    """A file with the claim in it was made: a void cancels, anything else is submitted."""
    return VOIDED if frequency_code == VOID else SUBMITTED


def owner_actions(status: str) -> tuple[str, ...]:
    """The lifecycle actions the claim page offers an owner, by status."""
    actions: list[str] = []
    if status == APPROVED:
        actions.append("reopen")
    if status == SUBMITTED:
        actions += ["accepted", "rejected"]
    if status == ACCEPTED:
        actions.append("rejected")
    if correction(status) is not None:
        actions.append("correct")
    if can_void(status):
        actions.append("void")
    return tuple(actions)
