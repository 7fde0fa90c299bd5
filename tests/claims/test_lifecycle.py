"""A claim's life (docs/billing-rules.md §11.3): the moves `claims.lifecycle` allows, what a
correction or a void sends (pure; the services that apply them: test_lifecycle_services.py)."""

import pytest

from claims import lifecycle
from claims.lifecycle import Correction
from claims.models import ClaimStatus

S = ClaimStatus
STATUSES = [s.value for s in ClaimStatus]
ADJUDICATED = [S.ACCEPTED, S.PAID, S.PARTLY_PAID, S.DENIED]
LABELS = {value: str(label) for value, label in ClaimStatus.choices}


# ---- the rules of the life (pure) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEEDS_REVIEW, S.APPROVED),
        (S.NEEDS_REVIEW, S.RETURNED),
        (S.RETURNED, S.NEEDS_REVIEW),
        (S.APPROVED, S.SUBMITTED),
        (S.APPROVED, S.NEEDS_REVIEW),  # reopened before it was sent
        (S.APPROVED, S.VOIDED),  # an approved void, sent
        (S.SUBMITTED, S.ACCEPTED),
        (S.SUBMITTED, S.REJECTED),
        (S.SUBMITTED, S.PAID),
        (S.ACCEPTED, S.DENIED),
        (S.REJECTED, S.NEEDS_REVIEW),  # fixed and reviewed again
        (S.PAID, S.NEEDS_REVIEW),  # corrected
        (S.PAID, S.APPROVED),  # approved as a void
        (S.DENIED, S.APPROVED),
        (S.PARTLY_PAID, S.PAID),  # the rest paid on appeal
        (S.DENIED, S.PAID),  # paid after all
        (S.DENIED, S.PARTLY_PAID),
        (S.PAID, S.ACCEPTED),  # the payer reversed its payment (CLP02 22)
        (S.PARTLY_PAID, S.ACCEPTED),
        (S.DENIED, S.ACCEPTED),  # the payer reversed its denial to reprocess the claim
    ],
)
def test_the_moves_a_claims_life_allows(current: str, target: str) -> None:
    assert lifecycle.can_move(current, target)
    assert lifecycle.refusal(current, target, LABELS) is None


@pytest.mark.parametrize(
    ("current", "target"),
    [
        (S.NEEDS_REVIEW, S.SUBMITTED),  # never sent unapproved
        (S.RETURNED, S.APPROVED),  # the therapist fixes it first
        (S.APPROVED, S.PAID),  # never paid unsent
        (S.SUBMITTED, S.NEEDS_REVIEW),  # the payer has it: corrected only once it answers
        (S.REJECTED, S.APPROVED),  # a fixed claim is reviewed again
        (S.REJECTED, S.SUBMITTED),
        (S.VOIDED, S.NEEDS_REVIEW),
        (S.VOIDED, S.APPROVED),
        (S.VOIDED, S.ACCEPTED),  # a reversal does not bring a voided claim back
        (S.PAID, S.PARTLY_PAID),  # a paid claim is reversed first, then paid again
        (S.PAID, S.DENIED),
        (S.PARTLY_PAID, S.DENIED),
        (S.REJECTED, S.ACCEPTED),  # a rejected claim never reached the payer
        (S.APPROVED, S.ACCEPTED),  # nor has an approved one yet
        (S.RETURNED, S.ACCEPTED),
    ],
)
def test_the_moves_a_claims_life_refuses_say_why_in_words(current: str, target: str) -> None:
    assert not lifecycle.can_move(current, target)
    why = lifecycle.refusal(current, target, LABELS)
    assert why == (
        f"A claim that is {LABELS[current].lower()} cannot become {LABELS[target].lower()}."
    )


# The whole table of moves, so that any move added or dropped shows here.
ALL_MOVES: dict[str, set[str]] = {
    S.NEEDS_REVIEW: {S.APPROVED, S.RETURNED},
    S.RETURNED: {S.NEEDS_REVIEW},
    S.APPROVED: {S.SUBMITTED, S.NEEDS_REVIEW, S.VOIDED},
    S.SUBMITTED: {S.ACCEPTED, S.REJECTED, S.PAID, S.PARTLY_PAID, S.DENIED, S.VOIDED},
    S.ACCEPTED: {S.PAID, S.PARTLY_PAID, S.DENIED, S.REJECTED, S.NEEDS_REVIEW, S.APPROVED},
    S.REJECTED: {S.NEEDS_REVIEW},
    S.PAID: {S.NEEDS_REVIEW, S.APPROVED, S.ACCEPTED},
    S.PARTLY_PAID: {S.NEEDS_REVIEW, S.APPROVED, S.PAID, S.ACCEPTED},
    S.DENIED: {S.NEEDS_REVIEW, S.APPROVED, S.PAID, S.PARTLY_PAID, S.ACCEPTED},
    S.VOIDED: set(),
}


@pytest.mark.parametrize("current", STATUSES)
def test_each_status_allows_exactly_the_moves_of_the_table(current: str) -> None:
    allowed = {target for target in STATUSES if lifecycle.can_move(current, target)}
    assert allowed == ALL_MOVES[current]
    assert current not in allowed  # staying put is not a move


@pytest.mark.parametrize("status", [S.PAID, S.PARTLY_PAID, S.DENIED])
def test_a_payers_reversal_takes_an_adjudicated_claim_back_to_accepted(status: str) -> None:
    # docs/billing-rules.md §12.2: the payer takes back its decision and reprocesses the claim.
    assert lifecycle.can_move(status, S.ACCEPTED)
    assert status in lifecycle.ADJUDICATED
    assert lifecycle.correction(S.ACCEPTED) == Correction("7", needs_original_number=True)


@pytest.mark.parametrize(
    ("current", "target", "why"),
    [
        (
            "lost_in_the_mail",
            S.APPROVED,
            "A claim that is lost_in_the_mail cannot become approved.",
        ),
        (S.VOIDED, "archived", "A claim that is voided cannot become archived."),
    ],
)
def test_a_status_without_a_label_is_named_by_its_code(current: str, target: str, why: str) -> None:
    assert lifecycle.refusal(current, target, LABELS) == why


def test_every_status_has_its_moves_and_every_move_leads_to_a_status() -> None:
    assert set(lifecycle.MOVES) == set(STATUSES)
    for targets in lifecycle.MOVES.values():
        assert targets <= set(STATUSES)


def test_a_voided_claim_is_final() -> None:
    assert not any(lifecycle.can_move(S.VOIDED, target) for target in STATUSES)
    assert lifecycle.owner_actions(S.VOIDED) == ()


@pytest.mark.parametrize(
    ("status", "plan"),
    [
        (S.REJECTED, Correction("1", needs_original_number=False)),
        *((s, Correction("7", needs_original_number=True)) for s in ADJUDICATED),
        *((s, None) for s in (S.NEEDS_REVIEW, S.RETURNED, S.APPROVED, S.SUBMITTED, S.VOIDED)),
    ],
)
def test_a_rejected_claim_goes_again_as_an_original_an_adjudicated_one_as_a_replacement(
    status: str, plan: Correction | None
) -> None:
    assert lifecycle.correction(status) == plan


@pytest.mark.parametrize(
    ("frequency_code", "plan"),
    [
        ("1", Correction("1", needs_original_number=False)),
        ("7", Correction("7", needs_original_number=True)),
        ("8", Correction("8", needs_original_number=True)),
    ],
)
def test_a_rejected_replacement_or_void_goes_again_as_what_it_was(
    frequency_code: str, plan: Correction
) -> None:
    """The payer still has the original on file: sent as an original, the visit would be
    billed twice; a rejected void still has to cancel it."""
    assert lifecycle.correction(S.REJECTED, frequency_code) == plan


@pytest.mark.parametrize("frequency_code", ["1", "7"])
def test_an_adjudicated_claim_is_replaced_whatever_it_was_sent_as(frequency_code: str) -> None:
    assert lifecycle.correction(S.PAID, frequency_code) == Correction("7", True)


@pytest.mark.parametrize("status", STATUSES)
def test_only_a_claim_the_payer_has_on_file_can_be_voided(status: str) -> None:
    assert lifecycle.can_void(status) is (status in ADJUDICATED)


@pytest.mark.parametrize(
    ("frequency_code", "status"), [("1", S.SUBMITTED), ("7", S.SUBMITTED), ("8", S.VOIDED)]
)
def test_sending_a_void_voids_the_claim_anything_else_submits_it(
    frequency_code: str, status: str
) -> None:
    assert lifecycle.status_after_sending(frequency_code) == status


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (S.NEEDS_REVIEW, ()),
        (S.RETURNED, ()),
        (S.APPROVED, ("reopen",)),
        (S.SUBMITTED, ("accepted", "rejected")),
        (S.ACCEPTED, ("rejected", "correct", "void")),
        (S.REJECTED, ("correct",)),
        (S.PAID, ("correct", "void")),
        (S.PARTLY_PAID, ("correct", "void")),
        (S.DENIED, ("correct", "void")),
        (S.VOIDED, ()),
    ],
)
def test_the_claim_page_offers_an_owner_the_actions_of_its_status(
    status: str, actions: tuple[str, ...]
) -> None:
    assert lifecycle.owner_actions(status) == actions


# Where each action the claim page offers takes the claim (claims.services).
ACTION_TARGETS = {
    "reopen": S.NEEDS_REVIEW,
    "accepted": S.ACCEPTED,
    "rejected": S.REJECTED,
    "correct": S.NEEDS_REVIEW,
    "void": S.APPROVED,
}


@pytest.mark.parametrize("status", STATUSES)
def test_every_action_offered_is_a_move_the_claim_may_make(status: str) -> None:
    for action in lifecycle.owner_actions(status):
        assert lifecycle.can_move(status, ACTION_TARGETS[action]), action


def test_a_status_the_life_does_not_know_allows_no_move() -> None:
    assert not lifecycle.can_move("lost_in_the_mail", "approved")
    assert lifecycle.owner_actions("lost_in_the_mail") == ()
