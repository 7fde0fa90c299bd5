"""Users read plain words: no section numbers of docs/billing-rules.md ("§6.5"), no file names,
no manual short names ("MCPM 5", "BPM 15") on the pages they use. Developers find the citations
in the code's comments and docstrings, and users find the rules on the rule page."""

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, Patient, PlanOfCare, TreatmentSession
from claims.services import ServiceRow, SessionInput, claim_create_from_session
from coding.models import Pairing
from coding.services import reference_load
from ptclinic import demo
from ptclinic.models import Membership, Role
from tests.conftest import make_clinic, make_member, make_patient, sign_in

pytestmark = pytest.mark.usefixtures("reference")

CITATION = re.compile(r"§|billing-rules|\bMCPM\b|\bBPM\b|\b\w+\.(?:csv|md)\b")


def citations(html: str) -> list[str]:
    """Each citation in the page, with a little of the text around it."""
    return [
        re.sub(r"\s+", " ", html[max(0, m.start() - 80) : m.end() + 40])
        for m in CITATION.finditer(html)
    ]


def as_user(username: str) -> Client:
    return sign_in(Client(), get_user_model().objects.get(username=username))


@pytest.fixture
def demo_clinic(db: None) -> None:
    demo.seed()


def session_panel_data(patient: Patient, **extra: Any) -> dict[str, Any]:
    """A day with something of everything in the panel: a tie, a block that keeps a line off
    the claim, a changed line, warnings and errors."""
    data: dict[str, Any] = {
        "patient": patient.pk,
        "date_of_service": timezone.localdate().isoformat(),
        "payer": "",
        "code": ["97112", "97110", "97161", "97750"],
        "minutes": ["20", "20", "30", "20"],
        "pta_minutes": ["", "", "", ""],
        "pointers": ["", "", "", ""],
        "dx": ["S83.511A"],
        "medical_necessity": "Tolerated treatment well.",
        "units__97110": "3",
        "action": "calculate",
    }
    data.update(extra)
    return data


def test_the_main_pages_show_no_section_numbers_or_file_names(demo_clinic: None) -> None:
    pt, pta, owner = as_user("demo-pt"), as_user("demo-pta"), as_user("demo-owner")
    clinic_claims = Claim.objects.filter(clinic__name=demo.DEMO_CLINIC)
    patients = Patient.objects.filter(clinic__name=demo.DEMO_CLINIC)
    benson = patients.get(mrn="RB-1002")
    plan = PlanOfCare.objects.filter(patient__in=patients).first()
    assert plan is not None and clinic_claims.count() > 30

    session_page = pt.post(reverse("session-new"), session_panel_data(benson))
    assert 'data-testid="tie"' in session_page.content.decode()  # the panel is there, in full
    assert "is kept off the claim" in session_page.content.decode()
    pages = {
        "session page with its panel": session_page,
        "the panel (htmx)": pt.post(
            reverse("session-suggest"), session_panel_data(benson), HTTP_HX_REQUEST="true"
        ),
        "a PTA's panel": pta.post(
            reverse("session-new"),
            session_panel_data(benson, code=["G0283", "97110"], minutes=["", "30"]),
        ),
        "session edit": pt.get(
            reverse(
                "session-edit",
                args=[TreatmentSession.objects.filter(therapist__user__username="demo-pt")[0].pk],
            )
        ),
        "my sessions": pt.get(reverse("session-list")),
        "review queue": owner.get(reverse("review-queue")),
        "home": owner.get(reverse("home")),
        "patient list": owner.get(reverse("patient-list")),
        "plan form": owner.get(reverse("plan-create", args=[benson.pk])),
        "plan edit form": owner.get(reverse("plan-update", args=[plan.pk])),
        "payer list": pt.get(reverse("payer-list")),
        "modifier list": pt.get(reverse("modifier-list")),
        "code list": pt.get(reverse("code-list")),
        "cheat sheet": pt.get(reverse("code-cheat-sheet")),
        "rule list": pt.get(reverse("rule-list")),
    }
    for claim in clinic_claims:
        pages[f"claim #{claim.pk}"] = owner.get(reverse("claim-detail", args=[claim.pk]))
    for patient in patients:
        pages[f"patient {patient.mrn}"] = owner.get(reverse("patient-detail", args=[patient.pk]))
    for code in ("97110", "97112", "97161", "97164", "97750", "97010", "97014", "G0283"):
        pages[f"code {code}"] = pt.get(reverse("code-detail", args=[code]))

    found = {}
    for name, response in pages.items():
        assert response.status_code == 200, name
        html = response.content.decode()
        if citations(html):
            found[name] = citations(html)[:3]
    assert not found, found


def test_the_claim_page_shows_each_explanation_step_without_its_citation(
    client_for: Any, clinic: Any, pt: Any, owner: Any
) -> None:
    patient = make_patient(clinic, "Medicare Part B")
    therapist = Membership.objects.get(user=pt, clinic=clinic, role=Role.THERAPIST)
    claim = claim_create_from_session(
        clinic=clinic,
        user=pt,
        data=SessionInput(
            patient=patient,
            therapist=therapist,
            payer=patient.primary_payer,
            date_of_service=timezone.localdate() - dt.timedelta(days=1),
            rows=(ServiceRow("97112", 24), ServiceRow("97110", 23)),
            diagnoses=("M25.561",),
            medical_necessity="",
        ),
    )
    assert all(step["rule"].startswith("billing-rules §") for step in claim.explanation)
    html = client_for(owner).get(reverse("claim-detail", args=[claim.pk])).content.decode()
    steps = html[html.index('data-testid="explanation"') :]
    steps = steps[: steps.index("</ol>")]
    for step in claim.explanation:
        assert f"<li>{step['text']}</li>".replace("'", "&#x27;") in steps
    assert not citations(html), citations(html)


def test_the_treating_clinician_is_refused_approval_in_plain_words(db: None) -> None:
    clinic = make_clinic(name="Owner-therapist PT")
    user = make_member(clinic, Role.OWNER, first_name="Olive", last_name="Owner")
    therapist = Membership.objects.create(
        user=user, clinic=clinic, role=Role.THERAPIST, credential="PT"
    )
    patient = make_patient(clinic, "Medicare Part B")
    claim = claim_create_from_session(
        clinic=clinic,
        user=user,
        data=SessionInput(
            patient=patient,
            therapist=therapist,
            payer=patient.primary_payer,
            date_of_service=timezone.localdate() - dt.timedelta(days=1),
            rows=(ServiceRow("97110", 30),),
            diagnoses=("M25.561",),
            medical_necessity="",
        ),
    )
    client = sign_in(Client(), user)
    response = client.post(
        reverse("claim-approve", args=[claim.pk]),
        {"version": claim.version, "override_reason": "Checked."},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "another person must approve it" in html
    assert not citations(html), citations(html)


SEED = re.compile(r"seed", re.I)


def test_pairings_say_where_they_come_from_in_plain_words(client_for: Any, pt: Any) -> None:
    """A pairing copied from the article this project started from says so as a person would
    ("a widely shared cheat sheet lists …"), never "Seed article:"; the next load rewords the
    rows an older version stored, and keeps a note an admin wrote."""
    Pairing.objects.filter(icd10_code="M54.5").update(
        note="Seed article: low back pain. Has child codes, so not billable as written.",
        source="seed article (§9)",
    )  # as databases loaded before the rewording hold it
    edited = Pairing.objects.get(billing_code="97110", icd10_code="M25.561")
    edited.note = "Our clinic's own note."
    edited.save()
    report = reference_load()
    assert report.updated.get("pairings") == 1

    low_back = Pairing.objects.get(icd10_code="M54.5")
    assert low_back.note == "A widely shared cheat sheet lists M54.5 for low back pain."
    assert not SEED.search(low_back.source) and "§" not in low_back.source
    edited.refresh_from_db()
    assert edited.note == "Our clinic's own note."
    client = client_for(pt)
    for url in ("/codes/97140/", "/codes/97110/", "/codes/97750/", "/codes/cheat-sheet/"):
        html = client.get(url).content.decode()
        assert not SEED.search(html), (url, SEED.search(html))
        assert not citations(html), (url, citations(html))
    detail = client.get("/codes/97140/").content.decode()
    assert "A widely shared cheat sheet lists M54.5 for low back pain." in detail
    sheet = re.sub(r"\s+", " ", client.get("/codes/cheat-sheet/").content.decode())
    assert (
        "A widely shared cheat sheet lists M54.5 for low back pain; this code is not billable, "
        "use M54.50, M54.51 or M54.59." in sheet
    )
    assert not any(SEED.search(p.note + p.source) for p in Pairing.objects.all())
