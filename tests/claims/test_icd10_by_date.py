"""Every diagnosis is judged against the ICD-10-CM set in force on its date of service
(billing-rules §7, §10.6): the session form and its panel, the plan of care, and the facts the
scrubber reads. G35 (multiple sclerosis) is billable through 2025-09-30; from 2025-10-01 it is a
header with G35.A–G35.D."""

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from claims.facts import ClaimSpec, ReferenceFacts, claim_context, facts_without_patient
from claims.models import Claim, PlanOfCare
from claims.scrubber import VisitNote, scrub
from coding.models import Icd10Release, Payer
from coding.services import diagnoses_check
from tests.claims.test_patients import plan_post
from tests.claims.test_sessions import post_data
from tests.conftest import make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

LAST_G35_DAY = dt.date(2025, 9, 30)
FIRST_G35A_DAY = dt.date(2025, 10, 1)
REPLACED = "G35 was replaced by G35.A–G35.D on 2025-10-01."


@pytest.fixture
def patient(clinic: Any) -> Any:
    return make_patient(clinic, "Medicare Part B")


def test_the_form_check_follows_the_date_of_service() -> None:
    assert diagnoses_check(["g35"], day=LAST_G35_DAY) == (["G35"], {})
    canonical, problems = diagnoses_check(["G35"], day=FIRST_G35A_DAY)
    assert canonical == ["G35"]
    assert problems[0].startswith(REPLACED + " G35 is a category, not billable: use ")
    assert "G35.A" in problems[0] and "G35.B0" in problems[0]  # the billable codes that day
    _, problems = diagnoses_check(["G35.A"], day=LAST_G35_DAY)
    assert problems == {
        0: "G35.A is valid from 2025-10-01; for earlier dates of service, bill G35."
    }
    assert diagnoses_check(["G35.A"], day=FIRST_G35A_DAY) == (["G35.A"], {})


@pytest.mark.parametrize(("day", "refused"), [(LAST_G35_DAY, False), (FIRST_G35A_DAY, True)])
def test_the_session_form_judges_g35_on_its_date_of_service(
    client_for: Any, pt: Any, clinic: Any, patient: Any, day: dt.date, refused: bool
) -> None:
    data = post_data(
        patient, membership(pt, clinic), [("97110", "30", "")], dx=["G35"],
        date_of_service=day.isoformat(),
    )  # fmt: skip
    page = client_for(pt).post(reverse("session-new"), data).content.decode()
    assert (REPLACED in page) is refused
    if refused:
        assert 'data-testid="dx-error"' in page
        assert not Claim.objects.exists()


def test_the_panel_says_why_a_diagnosis_is_not_billable_that_day(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(
        patient, membership(pt, clinic), [("97110", "30", "")], dx=["G35.A"],
        date_of_service=LAST_G35_DAY.isoformat(),
    )  # fmt: skip
    html = client_for(pt).post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    text = html.content.decode()
    assert "<html" not in text
    assert 'data-testid="dx-panel-error">G35.A is valid from 2025-10-01' in text
    data["date_of_service"] = FIRST_G35A_DAY.isoformat()
    text = client_for(pt).post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    assert 'data-testid="dx-panel-error"' not in text.content.decode()


@pytest.mark.parametrize(("start", "refused"), [(LAST_G35_DAY, False), (FIRST_G35A_DAY, True)])
def test_the_plan_of_care_judges_its_diagnoses_on_its_first_day(
    client_for: Any, pt: Any, patient: Any, start: dt.date, refused: bool
) -> None:
    data = plan_post(
        dx_1="G35",
        start_date=start.isoformat(),
        cert_through=(start + dt.timedelta(days=60)).isoformat(),
        certified_on=start.isoformat(),
    )
    response = client_for(pt).post(reverse("plan-create", args=[patient.pk]), data)
    if refused:
        assert response.status_code == 200
        assert response.context["form"].errors["dx_1"][0].startswith(REPLACED)
        assert not PlanOfCare.objects.exists()
    else:
        assert response.status_code == 302
        assert PlanOfCare.objects.get().diagnoses == ["G35"]


def dx_findings(day: dt.date, code: str) -> dict[str, str]:
    ref = ReferenceFacts.load()
    medicare = Payer.objects.get(name="Medicare Part B")
    facts = facts_without_patient(
        ref=ref,
        payer=ref.payer(medicare.pk, day),
        date_of_service=day,
        credential="PT",
        codes=["97110"],
        diagnoses=[code],
    )
    return {f.rule_id: f.message for f in scrub(facts).findings if f.rule_id.startswith("dx-")}


def test_the_scrubber_reads_billable_on_the_date_with_the_explanation() -> None:
    assert dx_findings(LAST_G35_DAY, "G35") == {}
    assert dx_findings(FIRST_G35A_DAY, "G35") == {
        "dx-header": f"{REPLACED} On 2025-10-01, G35 (Multiple sclerosis) is a category header "
        "with child codes, not billable."
    }
    assert dx_findings(LAST_G35_DAY, "G35.A") == {
        "dx-invalid": "G35.A is valid from 2025-10-01; for earlier dates of service, bill G35. "
        "The date of service is 2025-09-30."
    }


def test_claims_context_judges_each_claim_on_its_own_date(patient: Any) -> None:
    def spec(day: dt.date) -> ClaimSpec:
        return ClaimSpec(
            patient_id=patient.pk,
            payer_id=patient.primary_payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=("G35",),
            note=VisitNote(""),
            codes=frozenset({"97110"}),
        )

    before = claim_context(spec(LAST_G35_DAY)).facts.diagnoses[0]
    after = claim_context(spec(FIRST_G35A_DAY)).facts.diagnoses[0]
    assert (before.billable, before.explanation) == (True, "")
    assert (after.exists, after.billable, after.explanation) == (True, False, REPLACED)


def test_a_date_whose_fiscal_year_is_not_loaded_is_said_so_and_judged_by_the_latest_set(
    patient: Any,
) -> None:
    Icd10Release.objects.filter(fiscal_year__gt=2026).delete()  # the tests' stand-in for FY2027
    day = dt.date(2026, 11, 2)
    context = claim_context(
        ClaimSpec(
            patient_id=patient.pk,
            payer_id=patient.primary_payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=("G35.A", "G35"),
            note=VisitNote(""),
            codes=frozenset({"97110"}),
        )
    )
    assert [d.billable for d in context.facts.diagnoses] == [True, False]
    assert [m for m in context.facts.missing_reference if "ICD-10-CM" in m] == [
        "No ICD-10-CM code set is loaded for FY2027 (in force from 2026-10-01): the diagnoses "
        "were checked against FY2026, the latest loaded."
    ]
