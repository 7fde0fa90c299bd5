"""One claim per patient per day (docs/billing-rules.md §10.1) and who may do what (§10.3),
enforced in the services, not only in the forms."""

import datetime as dt
import re
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimStatus, TreatmentSession
from claims.services import (
    ServiceRow,
    SessionInput,
    claim_approve,
    claim_create_from_session,
    claim_resubmit,
)
from tests.claims.test_review import NECESSITY, make_plan
from tests.conftest import make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

DAY = timezone.localdate() - dt.timedelta(days=1)


def session(patient: Any, therapist: Any, *rows: tuple[str, int], **extra: Any) -> SessionInput:
    return SessionInput(
        patient=patient,
        therapist=therapist,
        payer=patient.primary_payer,
        date_of_service=extra.pop("day", DAY),
        rows=tuple(ServiceRow(code, minutes) for code, minutes in rows),
        diagnoses=extra.pop("diagnoses", ("M25.561",)),
        medical_necessity=NECESSITY,
        **extra,
    )


@pytest.fixture
def patient(clinic: Any) -> Any:
    patient = make_patient(clinic, "Medicare Part B")
    make_plan(patient)
    return patient


def lines(claim: Claim) -> list[tuple[str, int]]:
    return [(line.billing_code_id, line.units) for line in claim.lines.order_by("position")]


def test_a_second_sitting_the_same_day_joins_the_claim_and_pools_the_minutes(
    clinic: Any, pt: Any, patient: Any
) -> None:
    """10 + 10 minutes of 97110 in two sittings are one day's 20 minutes: 1 unit, not 2 claims
    of nothing; 7 minutes of 97140 later that day pools too (27 minutes → 2 units)."""
    me = membership(pt, clinic)
    first = claim_create_from_session(
        clinic=clinic, user=pt, data=session(patient, me, ("97110", 10))
    )
    assert lines(first) == [("97110", 1)]
    second = claim_create_from_session(
        clinic=clinic, user=pt, data=session(patient, me, ("97110", 10), ("97140", 7))
    )
    assert second.pk == first.pk
    assert Claim.objects.count() == 1 and TreatmentSession.objects.count() == 2
    second.refresh_from_db()
    assert lines(second) == [("97110", 1), ("97140", 1)]
    assert second.total_timed_minutes == 27
    assert second.version == first.version + 1
    # MPPR once for the day: one full-PE unit on the whole claim.
    assert "MPPR" in " ".join(step["text"] for step in second.explanation)


def test_a_session_on_an_approved_days_claim_is_its_own_claim_flagged(
    clinic: Any, pt: Any, owner: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    first = claim_create_from_session(
        clinic=clinic, user=pt, data=session(patient, me, ("97110", 30))
    )
    claim_approve(claim=first, user=owner, version=first.version)
    second = claim_create_from_session(
        clinic=clinic, user=pt, data=session(patient, me, ("97110", 15), ("97530", 15))
    )
    assert second.pk != first.pk
    flags = dict(second.flags.values_list("rule_id", "line_code"))
    assert flags["same-day-claim-closed"] == ""
    assert flags["duplicate-claim"] == "97110"


def test_a_form_submitted_twice_saves_once(clinic: Any, pt: Any, patient: Any) -> None:
    data = session(patient, membership(pt, clinic), ("97110", 30), submission_token="tok-123")
    first = claim_create_from_session(clinic=clinic, user=pt, data=data)
    again = claim_create_from_session(clinic=clinic, user=pt, data=data)
    assert again.pk == first.pk
    assert TreatmentSession.objects.count() == 1 and lines(first) == [("97110", 2)]


def test_a_double_click_on_save_through_the_page_saves_once(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    client = client_for(pt)
    page = client.get(reverse("session-new")).content.decode()
    token = page.split('name="submission_token" value="', 1)[1].split('"', 1)[0]
    data = {
        "patient": patient.pk,
        "date_of_service": DAY.isoformat(),
        "code": ["97110"],
        "minutes": ["30"],
        "pta_minutes": [""],
        "pointers": [""],
        "dx": ["M25.561"],
        "medical_necessity": NECESSITY,
        "submission_token": token,
        "action": "save",
    }
    assert client.post(reverse("session-new"), data).status_code == 302
    assert client.post(reverse("session-new"), data).status_code == 302
    assert TreatmentSession.objects.count() == 1 and Claim.objects.count() == 1


def test_a_session_is_never_entered_for_another_clinician(
    clinic: Any, pt: Any, pta: Any, patient: Any
) -> None:
    with pytest.raises(PermissionDenied):
        claim_create_from_session(
            clinic=clinic, user=pt, data=session(patient, membership(pta, clinic), ("97110", 30))
        )
    assert not Claim.objects.exists()


def test_nobody_edits_another_clinicians_session(
    client_for: Any, clinic: Any, pt: Any, patient: Any
) -> None:
    claim = claim_create_from_session(
        clinic=clinic, user=pt, data=session(patient, membership(pt, clinic), ("97110", 30))
    )
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETURNED)
    other = make_member(clinic, first_name="Other", last_name="PT")
    mine = claim.sessions.get()
    assert client_for(other).get(reverse("session-edit", args=[mine.pk])).status_code == 403
    with pytest.raises(PermissionDenied):
        claim_resubmit(
            claim=claim,
            user=other,
            data=session(patient, membership(other, clinic), ("97110", 40)),
            session=mine,
        )
    assert lines(claim) == [("97110", 2)]


def test_nobody_approves_their_own_claim(clinic: Any, patient: Any) -> None:
    """An owner who also treats (a member of the clinic as owner, treating as a PT elsewhere
    on the claim): the approval is refused in the service."""
    treating_owner = make_member(clinic, first_name="Owner", last_name="Treats")
    claim = claim_create_from_session(
        clinic=clinic,
        user=treating_owner,
        data=session(patient, membership(treating_owner, clinic), ("97110", 30)),
    )
    with pytest.raises(PermissionDenied, match="another person must approve"):
        claim_approve(claim=claim, user=treating_owner, version=claim.version)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


@pytest.mark.parametrize("code", ["97161", "97162", "97163", "97164"])
def test_a_pta_may_not_bill_an_evaluation(clinic: Any, pta: Any, patient: Any, code: str) -> None:
    with pytest.raises(ValidationError, match="a PTA may not bill them"):
        claim_create_from_session(
            clinic=clinic, user=pta, data=session(patient, membership(pta, clinic), (code, 0))
        )
    assert not Claim.objects.exists()


def test_a_pta_may_not_write_a_progress_report(clinic: Any, pta: Any, patient: Any) -> None:
    data = session(patient, membership(pta, clinic), ("97110", 30), is_progress_report=True)
    with pytest.raises(ValidationError, match="written by the PT"):
        claim_create_from_session(clinic=clinic, user=pta, data=data)


def test_a_pta_may_not_write_a_plan_of_care(client_for: Any, pta: Any, patient: Any) -> None:
    url = reverse("plan-create", args=[patient.pk])
    assert client_for(pta).get(url).status_code == 403


def test_a_ptas_untimed_service_carries_cq_without_minutes(
    clinic: Any, pta: Any, patient: Any
) -> None:
    claim = claim_create_from_session(
        clinic=clinic,
        user=pta,
        data=session(patient, membership(pta, clinic), ("G0283", 0), ("97110", 30)),
    )
    assert [line.modifiers for line in claim.lines.all()] == [["GP", "CQ"], ["GP", "CQ"]]
    assert not claim.flags.filter(rule_id="cq-missing").exists()


def test_editing_a_session_keeps_its_diagnosis_pointers(
    client_for: Any, clinic: Any, pt: Any, patient: Any
) -> None:
    data = session(
        patient,
        membership(pt, clinic),
        diagnoses=("M25.561", "M54.50"),
    )
    data = SessionInput(
        **{
            **data.__dict__,
            "rows": (ServiceRow("97110", 30, dx_pointers=(2,)), ServiceRow("97140", 15)),
        }
    )
    claim = claim_create_from_session(clinic=clinic, user=pt, data=data)
    assert [line.dx_pointers for line in claim.lines.all()] == [[2], [1, 2]]
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.RETURNED)
    page = client_for(pt).get(reverse("session-edit", args=[claim.sessions.get().pk]))
    html = page.content.decode()
    pointers = re.findall(r'name="pointers"[^>]*value="([^"]*)"', html)
    assert pointers[:2] == ["2", ""]  # as typed: 97140 was left on "auto"


def test_timed_minutes_over_a_day_are_a_clear_error(client_for: Any, pt: Any, patient: Any) -> None:
    data = {
        "patient": patient.pk,
        "date_of_service": DAY.isoformat(),
        "code": ["97110", "97112"],
        "minutes": ["800", "700"],
        "pta_minutes": ["", ""],
        "pointers": ["", ""],
        "dx": ["M25.561"],
        "action": "save",
    }
    response = client_for(pt).post(reverse("session-new"), data)
    assert response.status_code == 200
    assert "add up to 1500, more than the 1440 minutes of a day" in response.content.decode()
    assert not Claim.objects.exists()


def test_a_code_typed_as_words_resolves_when_one_code_matches(
    client_for: Any, pt: Any, patient: Any
) -> None:
    data = {
        "patient": patient.pk,
        "date_of_service": DAY.isoformat(),
        "code": ["gait training"],
        "minutes": ["30"],
        "pta_minutes": [""],
        "pointers": [""],
        "dx": ["M25.561"],
    }
    html = client_for(pt).post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="units-97116">2<' in html
