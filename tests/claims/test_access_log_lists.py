"""Every access to patient data is in the access log, list and export pages included: one row
per record the page showed, with the page's path (HIPAA §164.312(b))."""

from typing import Any

import pytest
from django.urls import reverse

from claims.models import AccessEvent, Claim, ClaimStatus
from tests.claims.test_review import make_claim
from tests.conftest import make_patient

pytestmark = pytest.mark.usefixtures("reference")


def _logged(user: Any) -> set[tuple[str, int, int]]:
    return set(AccessEvent.objects.filter(user=user).values_list("kind", "object_id", "patient_id"))


def test_the_review_queue_logs_each_claim_it_shows(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    claims = [make_claim(clinic, pt) for _ in range(2)]
    url = reverse("review-queue")
    assert client_for(owner).get(url).status_code == 200
    assert _logged(owner) == {("claim", c.pk, c.patient_id) for c in claims}
    assert set(AccessEvent.objects.values_list("path", flat=True)) == {url}


def test_an_empty_queue_logs_nothing(client_for: Any, clinic: Any, owner: Any) -> None:
    client_for(owner).get(reverse("review-queue"))
    assert not AccessEvent.objects.exists()


def test_the_export_logs_every_claim_in_the_file(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    approved = make_claim(clinic, pt)
    Claim.objects.filter(pk=approved.pk).update(status=ClaimStatus.APPROVED)
    make_claim(clinic, pt)  # needs review: not in the file
    response = client_for(owner).get(reverse("review-export"))
    b"".join(response.streaming_content)
    assert _logged(owner) == {("claim", approved.pk, approved.patient_id)}


def test_my_sessions_logs_each_session_shown(client_for: Any, clinic: Any, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    session = claim.sessions.get()
    client_for(pt).get(reverse("session-list"))
    assert _logged(pt) == {("session", session.pk, session.patient_id)}


def test_the_patient_list_and_search_log_each_patient_shown(
    client_for: Any, clinic: Any, pt: Any
) -> None:
    quincy = make_patient(clinic, last_name="Quincy")
    other = make_patient(clinic, last_name="Other")
    client = client_for(pt)
    client.get(reverse("patient-list"), {"q": "Quin"})
    assert _logged(pt) == {("patient", quincy.pk, quincy.pk)}
    client.get(reverse("session-patient-options"), {"patient_q": "Oth"})
    assert ("patient", other.pk, other.pk) in _logged(pt)


def test_the_billing_page_logs_the_claims_waiting_to_go_out(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    approved = make_claim(clinic, pt)
    Claim.objects.filter(pk=approved.pk).update(status=ClaimStatus.APPROVED)
    client_for(owner).get(reverse("batch-list"))
    assert ("claim", approved.pk, approved.patient_id) in _logged(owner)
