"""The patient pages: list and search, the patient and plan-of-care forms, and the facts the
detail page shows (plan state §6.2, progress reports §6.3, the KX threshold §4)."""

import datetime as dt
from decimal import Decimal
from itertools import count
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims import patient_services as services
from claims.models import Claim, Patient, PlanOfCare, TreatmentSession
from coding.models import FeeYear, Payer
from ptclinic.models import Clinic, Membership

_mrn = count(1000)
TODAY = timezone.localdate()
VALID_NPI = "1245319599"


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def make_patient(clinic: Clinic, payer: Payer | None = None, **fields: Any) -> Patient:
    fields.setdefault("first_name", "Jo")
    fields.setdefault("last_name", "Example")
    fields.setdefault("date_of_birth", dt.date(1950, 5, 17))
    fields.setdefault("mrn", f"MRN{next(_mrn)}")
    payer = payer or Payer.objects.get(name="Medicare Part B")
    return Patient.objects.create(clinic=clinic, primary_payer=payer, **fields)


def make_plan(patient: Patient, **fields: Any) -> PlanOfCare:
    fields.setdefault("diagnoses", ["M54.50"])
    fields.setdefault("start_date", days(-20))
    fields.setdefault("cert_through", fields["start_date"] + dt.timedelta(days=89))
    fields.setdefault("certified_on", fields["start_date"] + dt.timedelta(days=3))
    fields.setdefault("certified_by_name", "Dr. Rivera")
    fields.setdefault("certified_by_npi", "1588667638")
    fields.setdefault("frequency", "2x/week for 6 weeks")
    fields.setdefault("goals", "Walk 500 m without pain.")
    return PlanOfCare.objects.create(patient=patient, **fields)


def make_visit(
    patient: Patient,
    user: Any,
    day: dt.date,
    *,
    progress: bool = False,
    amount: str | None = None,
    units: int = 3,
) -> TreatmentSession:
    therapist = Membership.objects.get(user=user, clinic=patient.clinic)
    claim = Claim.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        payer=patient.primary_payer,
        date_of_service=day,
        unit_method="cms",
        total_units=units,
        expected_amount=None if amount is None else Decimal(amount),
    )
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        payer=patient.primary_payer,
        date_of_service=day,
        is_progress_report=progress,
        created_by=user,
        claim=claim,
    )


def plan_post(**overrides: Any) -> dict[str, Any]:
    data = {
        "dx_1": "M54.50",
        "start_date": days(-2).isoformat(),
        "cert_through": days(60).isoformat(),
        "certified_by_name": "Dr. Rivera",
        "certified_by_npi": VALID_NPI,
        "certified_on": days(-1).isoformat(),
        "frequency": "2x/week for 6 weeks",
        "goals": "Climb stairs without a rail.",
        "status": "active",
    }
    data.update(overrides)
    return data


def patient_post(payer: Payer, **overrides: Any) -> dict[str, Any]:
    data = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": "1948-12-10",
        "mrn": "A-100",
        "primary_payer": payer.pk,
        "member_id": "1EG4-TE5-MK72",
    }
    data.update(overrides)
    return data


@pytest.fixture
def medicare(reference: None) -> Payer:
    return Payer.objects.get(name="Medicare Part B")


@pytest.fixture
def pt_client(client_for: Any, pt: Any) -> Client:
    return client_for(pt)


# ---- The list --------------------------------------------------------------------------


def test_the_list_shows_this_clinics_patients_only(
    pt_client: Client, clinic: Clinic, other_clinic: Clinic, medicare: Payer
) -> None:
    make_patient(clinic, last_name="Garcia", mrn="R-1")
    make_patient(other_clinic, last_name="Stranger", mrn="E-1")
    page = pt_client.get(reverse("patient-list")).content.decode()
    assert "Garcia" in page
    assert "Stranger" not in page
    assert reverse("patient-create") in page


def test_owners_see_the_list_too(client_for: Any, owner: Any, medicare: Payer) -> None:
    assert client_for(owner).get(reverse("patient-list")).status_code == 200


def test_search_finds_by_name_or_mrn(pt_client: Client, clinic: Clinic, medicare: Payer) -> None:
    make_patient(clinic, first_name="Maria", last_name="Garcia", mrn="R-77")
    make_patient(clinic, first_name="Tom", last_name="Baker", mrn="Z-12")
    page = pt_client.get(reverse("patient-list"), {"q": "garc"}).content.decode()
    assert "Garcia" in page and "Baker" not in page
    page = pt_client.get(reverse("patient-list"), {"q": "z-12"}).content.decode()
    assert "Baker" in page and "Garcia" not in page
    assert 'value="z-12"' in page  # the search box keeps what was typed


def test_an_htmx_search_returns_only_the_table(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    make_patient(clinic, last_name="Garcia")
    make_patient(clinic, last_name="Baker")
    response = pt_client.get(reverse("patient-list"), {"q": "Gar"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert "<html" not in page
    assert 'id="patient-table"' in page
    assert "Garcia" in page and "Baker" not in page
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(pt_client: Client, medicare: Payer) -> None:
    page = pt_client.get(
        reverse("patient-list"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    ).content.decode()
    assert "<html" in page


def test_the_empty_list_invites_the_first_patient(pt_client: Client, medicare: Payer) -> None:
    page = pt_client.get(reverse("patient-list")).content.decode()
    assert "No patients yet — add the first one" in page


def test_a_search_without_matches_says_so(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    make_patient(clinic, last_name="Garcia")
    page = pt_client.get(reverse("patient-list"), {"q": "Nobody"}).content.decode()
    assert "No patient matches “Nobody”" in page


def test_the_list_pages_by_25(pt_client: Client, clinic: Clinic, medicare: Payer) -> None:
    for i in range(27):
        make_patient(clinic, last_name=f"Person{i:02d}")
    first = pt_client.get(reverse("patient-list")).content.decode()
    assert "Person24" in first and "Person25" not in first
    assert "Page 1 of 2" in first
    second = pt_client.get(reverse("patient-list"), {"page": 2}).content.decode()
    assert "Person25" in second and "Person26" in second and "Person00" not in second


def _populate(clinic: Clinic, user: Any, n: int) -> None:
    for _ in range(n):
        patient = make_patient(clinic)
        make_plan(patient)
        make_plan(patient, start_date=days(-200), certified_on=None)
        make_visit(patient, user, days(-3), amount="80.00")


def test_the_list_query_count_does_not_grow_with_rows(
    pt_client: Client,
    pt: Any,
    clinic: Clinic,
    medicare: Payer,
    django_assert_max_num_queries: Any,
) -> None:
    _populate(clinic, pt, 2)
    # Session, user, the verified second factor, memberships, the session save (3), count,
    # page, plans, the access log's one INSERT.
    with django_assert_max_num_queries(11) as few:
        pt_client.get(reverse("patient-list"))
    _populate(clinic, pt, 23)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = pt_client.get(reverse("patient-list")).content.decode()
    assert page.count('data-plan-state="current"') == 25


@pytest.mark.parametrize(
    ("plan", "state"),
    [
        ({}, "current"),
        ({"start_date": days(-80)}, "expiring"),  # through day +9
        ({"start_date": days(-100)}, "expired"),
        ({"certified_on": None}, "uncertified"),
        (None, "none"),
    ],
)
def test_the_list_shows_each_patients_plan_state(
    pt_client: Client, clinic: Clinic, medicare: Payer, plan: dict[str, Any] | None, state: str
) -> None:
    patient = make_patient(clinic)
    if plan is not None:
        make_plan(patient, **plan)
    page = pt_client.get(reverse("patient-list")).content.decode()
    assert f'data-plan-state="{state}"' in page


def test_the_list_shows_the_last_visit(
    pt_client: Client, pt: Any, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    make_visit(patient, pt, dt.date(2026, 3, 2))
    make_visit(patient, pt, dt.date(2026, 3, 9))
    page = pt_client.get(reverse("patient-list")).content.decode()
    assert "Mar 9, 2026" in page and "Mar 2, 2026" not in page


# ---- Patient forms ---------------------------------------------------------------------


def test_a_new_patient_is_saved_in_the_active_clinic(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    response = pt_client.post(reverse("patient-create"), patient_post(medicare))
    patient = Patient.objects.get(mrn="A-100")
    assert response.status_code == 302
    assert response["Location"] == reverse("patient-detail", args=[patient.pk])
    assert patient.clinic == clinic
    assert patient.primary_payer == medicare
    page = pt_client.get(response["Location"]).content.decode()
    assert "Ada Lovelace was added." in page


def test_a_duplicate_mrn_in_the_clinic_is_refused_on_the_field(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    make_patient(clinic, first_name="Grace", last_name="Hopper", mrn="A-100")
    response = pt_client.post(reverse("patient-create"), patient_post(medicare, mrn="a-100"))
    assert response.status_code == 200
    form = response.context["form"]
    assert "already used in this clinic by Grace Hopper" in form.errors["mrn"][0]
    assert Patient.objects.count() == 1


def test_the_same_mrn_in_another_clinic_is_fine(
    pt_client: Client, other_clinic: Clinic, medicare: Payer
) -> None:
    make_patient(other_clinic, mrn="A-100")
    response = pt_client.post(reverse("patient-create"), patient_post(medicare))
    assert response.status_code == 302


def test_a_date_of_birth_in_the_future_is_refused(pt_client: Client, medicare: Payer) -> None:
    response = pt_client.post(
        reverse("patient-create"), patient_post(medicare, date_of_birth=days(1).isoformat())
    )
    assert response.status_code == 200
    assert response.context["form"].errors["date_of_birth"] == [
        "The date of birth is in the future."
    ]
    assert not Patient.objects.exists()


def test_a_patient_is_edited_and_keeps_their_own_mrn(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic, mrn="A-100")
    self_pay = Payer.objects.get(name="Self-pay")
    response = pt_client.post(
        reverse("patient-update", args=[patient.pk]),
        patient_post(self_pay, last_name="Byron", mrn="A-100"),
    )
    assert response.status_code == 302
    patient.refresh_from_db()
    assert (patient.last_name, patient.primary_payer) == ("Byron", self_pay)


def test_an_invalid_edit_changes_nothing(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic, last_name="Hopper")
    response = pt_client.post(
        reverse("patient-update", args=[patient.pk]), patient_post(medicare, first_name="")
    )
    assert response.status_code == 200
    assert "first_name" in response.context["form"].errors
    patient.refresh_from_db()
    assert patient.last_name == "Hopper"


# ---- Access ----------------------------------------------------------------------------


def test_another_clinics_patient_and_plan_are_not_found(
    pt_client: Client, other_clinic: Clinic, medicare: Payer
) -> None:
    stranger = make_patient(other_clinic)
    plan = make_plan(stranger)
    for url in (
        reverse("patient-detail", args=[stranger.pk]),
        reverse("patient-update", args=[stranger.pk]),
        reverse("plan-create", args=[stranger.pk]),
        reverse("plan-update", args=[plan.pk]),
    ):
        assert pt_client.get(url).status_code == 404, url
    assert pt_client.post(reverse("plan-update", args=[plan.pk]), plan_post()).status_code == 404
    plan.refresh_from_db()
    assert plan.goals == "Walk 500 m without pain."


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("patient-list", []),
        ("patient-create", []),
        ("patient-detail", [1]),
        ("patient-update", [1]),
        ("plan-create", [1]),
        ("plan-update", [1]),
        ("dx-options", []),
    ],
)
def test_an_anonymous_visitor_is_sent_to_login(
    client: Client, db: None, name: str, args: list[int]
) -> None:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "name", ["patient-list", "patient-create", "patient-detail", "plan-create", "dx-options"]
)
def test_a_code_admin_may_not_open_the_patient_pages(
    client_for: Any, code_admin: Any, clinic: Clinic, medicare: Payer, name: str
) -> None:
    patient = make_patient(clinic)
    args = [patient.pk] if name in {"patient-detail", "plan-create"} else []
    assert client_for(code_admin).get(reverse(name, args=args)).status_code == 403


def test_the_navbar_offers_patients_to_therapists_not_code_admins(
    client_for: Any, pt: Any, code_admin: Any
) -> None:
    url = reverse("patient-list")
    assert f'href="{url}"' in client_for(pt).get(reverse("home")).content.decode()
    assert f'href="{url}"' not in client_for(code_admin).get(reverse("home")).content.decode()


# ---- Plan forms ------------------------------------------------------------------------


def test_a_plan_of_care_is_saved_with_codes_written_as_icd10_writes_them(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    response = pt_client.post(
        reverse("plan-create", args=[patient.pk]),
        plan_post(dx_1="m5450", dx_2="", dx_3="M25.561"),
    )
    assert response.status_code == 302
    plan = patient.plans.get()
    assert plan.diagnoses == ["M54.50", "M25.561"]
    assert plan.certified_by_npi == VALID_NPI


def test_a_certification_longer_than_90_days_is_refused_on_the_field(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    start = days(-2)
    response = pt_client.post(
        reverse("plan-create", args=[patient.pk]),
        plan_post(
            start_date=start.isoformat(), cert_through=(start + dt.timedelta(90)).isoformat()
        ),
    )
    assert response.status_code == 200
    error = response.context["form"].errors["cert_through"][0]
    assert "at most 90 calendar days" in error
    assert str(start + dt.timedelta(89)) in error
    assert not PlanOfCare.objects.exists()


def test_a_category_code_is_refused_naming_its_billable_children(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    response = pt_client.post(
        reverse("plan-create", args=[patient.pk]), plan_post(dx_1="M17.11", dx_2="M54.5")
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["dx_2"] == ["M54.5 is a category, not billable: use M54.50, M54.51 or M54.59"]
    assert "dx_1" not in errors
    assert "M54.5 is a category" in response.content.decode()
    assert not PlanOfCare.objects.exists()


def test_an_unknown_code_is_refused(pt_client: Client, clinic: Clinic, medicare: Payer) -> None:
    patient = make_patient(clinic)
    response = pt_client.post(reverse("plan-create", args=[patient.pk]), plan_post(dx_1="Q99.999"))
    assert response.context["form"].errors["dx_1"] == ["Q99.999 is not an ICD-10-CM code."]


def test_a_plan_needs_a_diagnosis_and_no_code_twice(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    url = reverse("plan-create", args=[patient.pk])
    errors = pt_client.post(url, plan_post(dx_1="")).context["form"].errors
    assert "at least one diagnosis" in errors["dx_1"][0]
    errors = pt_client.post(url, plan_post(dx_2="m54.50")).context["form"].errors
    assert errors["dx_2"] == ["M54.50 is already listed."]


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"certified_by_npi": "1245319598"}, "certified_by_npi", "not a valid NPI"),
        ({"certified_by_name": ""}, "certified_by_name", "Say who signed"),
        ({"certified_on": days(2).isoformat()}, "certified_on", "in the future"),
        ({"cert_through": days(-5).isoformat()}, "cert_through", "ends before the plan starts"),
    ],
)
def test_the_certification_fields_are_checked(
    pt_client: Client,
    clinic: Clinic,
    medicare: Payer,
    overrides: dict[str, str],
    field: str,
    message: str,
) -> None:
    patient = make_patient(clinic)
    response = pt_client.post(reverse("plan-create", args=[patient.pk]), plan_post(**overrides))
    assert response.status_code == 200
    assert message in response.context["form"].errors[field][0]
    assert not PlanOfCare.objects.exists()


def test_a_plan_is_edited(pt_client: Client, clinic: Clinic, medicare: Payer) -> None:
    patient = make_patient(clinic)
    plan = make_plan(patient, certified_on=None, certified_by_name="")
    page = pt_client.get(reverse("plan-update", args=[plan.pk])).content.decode()
    assert 'value="M54.50"' in page
    assert "Low back pain, unspecified" in page  # the title under the code
    response = pt_client.post(
        reverse("plan-update", args=[plan.pk]),
        plan_post(dx_1="M17.11", start_date=plan.start_date.isoformat()),
    )
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.diagnoses == ["M17.11"]
    assert plan.certified_on == days(-1)
    assert PlanOfCare.objects.count() == 1


def test_the_service_refuses_a_category_code_without_the_form(
    clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    with pytest.raises(ValidationError) as raised:
        services.plan_create(
            patient=patient,
            diagnoses=["M54.5"],
            start_date=TODAY,
            cert_through=days(30),
            frequency="2x/week",
            goals="Walk.",
        )
    assert "M54.5 is a category" in str(raised.value)
    assert not PlanOfCare.objects.exists()


def test_dx_options_lists_billable_codes_by_code_prefix(pt_client: Client, medicare: Payer) -> None:
    response = pt_client.get(reverse("dx-options"), {"q": "m54.5"}, HTTP_HX_REQUEST="true")
    page = response.content.decode()
    assert '<option value="M54.50">M54.50 Low back pain, unspecified</option>' in page
    assert 'value="M54.5"' not in page  # the header is not offered
    assert "<html" not in page


def test_dx_options_lists_billable_codes_by_title_words(pt_client: Client, medicare: Payer) -> None:
    page = pt_client.get(reverse("dx-options"), {"q": "low back"}).content.decode()
    assert 'value="M54.50"' in page
    assert page.count("<option") <= 20
    assert pt_client.get(reverse("dx-options"), {"q": ""}).content.decode().strip() == ""


# ---- The detail page -------------------------------------------------------------------


def test_the_detail_page_shows_the_plan_with_diagnosis_titles(
    pt_client: Client, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic, first_name="Maria", last_name="Garcia", member_id="1EG4")
    make_plan(patient, diagnoses=["M54.50", "M25.561"], certified_by_npi=VALID_NPI)
    make_plan(patient, start_date=days(-200), goals="An older plan's goal.")
    page = pt_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert "Garcia, Maria" in page and "Medicare Part B" in page and "1EG4" in page
    assert "Low back pain, unspecified" in page
    assert "Pain in right knee" in page
    assert f"NPI {VALID_NPI}" in page
    assert "<details" in page and "An older plan" not in page.split("<details")[0]
    assert f'href="/sessions/new/?patient={patient.pk}"' in page
    assert reverse("plan-create", args=[patient.pk]) in page


@pytest.mark.parametrize(
    ("plan", "state", "meaning"),
    [
        ({"start_date": days(-80)}, "expiring", "Expires in 9 days"),
        (
            {"start_date": days(-95)},
            "expired",
            "no treatment from that day on may be billed under it",
        ),
        (
            {"start_date": days(-10), "certified_on": None},
            "uncertified",
            "the physician must sign within 30 days of the first visit (by ",
        ),
        (
            {"start_date": days(-40), "certified_on": None},
            "uncertified",
            "document the reason for the delay",
        ),
        (None, "none", "No plan of care"),
    ],
)
def test_the_detail_page_explains_the_plan_state(
    pt_client: Client,
    clinic: Clinic,
    medicare: Payer,
    plan: dict[str, Any] | None,
    state: str,
    meaning: str,
) -> None:
    patient = make_patient(clinic)
    if plan is not None:
        make_plan(patient, **plan)
    page = pt_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert f'data-plan-state="{state}"' in page
    assert meaning in page


def test_the_signature_deadline_is_30_days_after_the_start() -> None:
    plan = PlanOfCare(start_date=dt.date(2026, 11, 20), cert_through=dt.date(2027, 1, 31))
    state = services.plan_state(plan, dt.date(2026, 11, 27))
    assert state.key == "uncertified"
    assert "(by Dec 20, 2026)" in state.meaning


def test_progress_days_count_visit_dates_since_the_last_report(
    pt_client: Client, pt: Any, pta: Any, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    make_visit(patient, pt, days(-40), progress=True)
    for n in range(8):
        make_visit(patient, pt, days(-30 + 2 * n))
    make_visit(patient, pta, days(-30))  # a second visit on a day already counted
    url = reverse("patient-detail", args=[patient.pk])
    page = pt_client.get(url).content.decode()
    assert '<span class="fs-4 fw-semibold" data-testid="progress-days">8</span>' in page
    assert 'data-testid="progress-due"' not in page
    assert "Treatment days are visit dates, not calendar days." in page

    # The 9th treatment day: the next visit is the 10th, where the scrubber flags it.
    make_visit(patient, pt, days(-1))
    page = pt_client.get(url).content.decode()
    assert 'data-testid="progress-days">9</span>' in page
    assert 'data-testid="progress-due"' in page
    assert "due at the next visit" in page


def test_the_kx_figures_add_this_years_claims_on_kx_payers(
    pt_client: Client, pt: Any, clinic: Clinic, medicare: Payer
) -> None:
    threshold = FeeYear.objects.get(year=TODAY.year).kx_threshold
    patient = make_patient(clinic)
    make_visit(patient, pt, days(-3), amount="1000.00")
    make_visit(patient, pt, TODAY.replace(year=TODAY.year - 1), amount="900.00")  # last year
    commercial = make_patient(clinic, payer=Payer.objects.get(name="Demo Commercial PPO"))
    make_visit(commercial, pt, days(-2), amount="5000.00")
    url = reverse("patient-detail", args=[patient.pk])
    page = pt_client.get(url).content.decode()
    assert 'data-testid="kx-allowed">$1,000.00</span>' in page
    assert f"${threshold:,.2f}" in page
    assert 'data-testid="kx-over"' not in page
    assert f"${threshold - 1000:,.2f} left before KX is needed" in page

    make_visit(patient, pt, days(-1), amount=str(threshold - 1000))
    page = pt_client.get(url).content.decode()
    assert "KX required on therapy lines from here on" in page
    assert 'aria-valuenow="100"' in page


def test_the_detail_page_lists_recent_sessions_and_claims(
    pt_client: Client, pt: Any, clinic: Clinic, medicare: Payer
) -> None:
    patient = make_patient(clinic)
    make_visit(patient, pt, dt.date(2026, 10, 5), amount="87.18", units=3)
    make_visit(patient, pt, dt.date(2026, 10, 7))  # a claim with no amount yet
    page = pt_client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert "Oct 5, 2026" in page and "Oct 7, 2026" in page
    assert "$87.18" in page
    assert "Needs review" in page
    assert "Pat Tee, PT" in page
