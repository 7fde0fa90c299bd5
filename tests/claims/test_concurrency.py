"""Two owners acting on one claim at once: exactly one wins, the other is told, nothing mixes.

Each thread has its own database connection, so this is two sessions against the real database
(row locks on PostgreSQL, a write lock on SQLite)."""

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from claims.models import Claim, ClaimPayment, ClaimStatus, RemittanceFile
from claims.remittance.answers import claim_answer, payment_of
from claims.remittance.sample import write_835
from claims.remittance.services import remittance_post
from claims.services import ClaimConflict, claim_approve, claim_return
from claims.submission.services import batch_create
from ptclinic.models import Role
from tests.claims.test_review import make_claim
from tests.claims.test_sessions import post_data
from tests.conftest import load_reference_data, make_clinic, make_member, make_patient, membership


def run_together(*actions: Callable[[], Any]) -> list[Any]:
    """Start the actions at the same moment, each on its own connection; collect results."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def worker(i: int, action: Callable[[], Any]) -> None:
        try:
            barrier.wait()
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, a)) for i, a in enumerate(actions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def claim(transactional_db: None, client_for: Any, clinic: Any) -> Claim:
    load_reference_data()
    pt = make_member(clinic, Role.THERAPIST, credential="PT")
    patient = make_patient(clinic)
    response = client_for(pt).post(
        "/sessions/new/", post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    )
    assert response.status_code == 302
    return Claim.objects.get()


def test_approve_and_return_at_once_only_one_wins(
    claim: Claim, clinic: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    from claims import services

    save = services._save_decision

    def slow_save(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.3)  # both would be "inside" at once if nothing locked the row
        return save(*args, **kwargs)

    monkeypatch.setattr(services, "_save_decision", slow_save)
    a = make_member(clinic, Role.OWNER, first_name="Ann")
    b = make_member(clinic, Role.OWNER, first_name="Ben")
    version = claim.version
    Claim.objects.filter(pk=claim.pk).update(open_errors=0)

    results = run_together(
        lambda: claim_approve(claim=claim, user=a, version=version),
        lambda: claim_return(claim=claim, user=b, version=version, comment="Fix the note"),
    )

    wins = [r for r in results if isinstance(r, Claim)]
    losses = [r for r in results if isinstance(r, ClaimConflict | ValidationError)]
    assert len(wins) == 1 and len(losses) == 1, results
    claim.refresh_from_db()
    assert claim.status == wins[0].status
    assert claim.version == version + 1
    if claim.status == ClaimStatus.APPROVED:
        assert claim.return_comment == ""
    else:
        assert claim.status == ClaimStatus.RETURNED and claim.decided_by == b


def test_a_stale_page_cannot_overwrite_a_newer_decision(claim: Claim, clinic: Any) -> None:
    owner = make_member(clinic, Role.OWNER)
    stale = claim.version
    claim_return(claim=claim, user=owner, version=stale, comment="Add the goal")
    with pytest.raises(ClaimConflict, match="changed by someone else"):
        claim_approve(claim=claim, user=owner, version=stale, override_reason="ok")
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNED


def test_the_same_835_posted_twice_at_once_posts_once_and_tells_the_second(
    transactional_db: None,
) -> None:
    load_reference_data()
    clinic = make_clinic(receiver_id="CH1", receiver_name="Clearinghouse")  # its charge master
    pt = make_member(clinic, Role.THERAPIST, credential="PT")
    owner = make_member(clinic, Role.OWNER)
    sent = make_claim(clinic, pt)
    sent = claim_approve(claim=sent, user=owner, version=sent.version)
    batch_create(clinic=clinic, user=owner, claim_ids=[sent.pk])
    sent.refresh_from_db()
    content = write_835(
        payment_of(
            clinic,
            sent.payer,
            [claim_answer(sent)],
            trace_number="T1",
            paid_on=dt.date(2026, 11, 2),
        )
    ).encode()

    def post() -> Any:
        return remittance_post(clinic=clinic, user=owner, content=content, filename="a.835")

    results = run_together(post, post)
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    assert "already posted" in errors[0].messages[0]
    assert RemittanceFile.objects.count() == 1
    assert ClaimPayment.objects.filter(claim=sent).count() == 1
