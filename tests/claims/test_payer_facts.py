"""The payer's facts from the one facts builder (docs/billing-rules.md §6.10, §10.8): the rules in
force on the date of service, authorizations and the visits counted under them, visits a year,
the therapy amount used elsewhere; and the pages that show them (the session panel, the claim
page, the review queue, the patient page and its forms)."""

import datetime as dt
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims import scrubber as rules
from claims.facts import ClaimSpec, ReferenceFacts, claim_context, claims_context
from claims.models import (
    Authorization,
    AuthorizedUnits,
    Claim,
    ClaimLine,
    Patient,
    PlanOfCare,
    TherapyAmountUsed,
    TreatmentSession,
)
from claims.patient_services import authorization_create, therapy_used_save
from claims.services import ServiceRow, session_draft
from coding.models import Payer, PayerRule
from coding.units import Method
from ptclinic.models import Clinic, Role
from tests.claims.test_sessions import post_data
from tests.conftest import (
    make_clinic,
    make_member,
    make_patient,
    make_payer,
    make_user,
    membership,
)

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()
HMO = "Demo Commercial HMO"
HTMX = {"HTTP_HX_REQUEST": "true"}


def visit(
    patient: Patient,
    user: Any,
    day: dt.date,
    *,
    payer: Payer | None = None,
    lines: tuple[tuple[str, int], ...] = (),
    amount: str | None = None,
) -> TreatmentSession:
    """A stored session and its claim (with lines), as the facts builder reads them."""
    therapist = membership(user, patient.clinic)
    payer = payer or patient.primary_payer
    claim = Claim.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        payer=payer,
        date_of_service=day,
        unit_method="ama",
        expected_amount=None if amount is None else Decimal(amount),
    )
    for position, (code, units) in enumerate(lines, start=1):
        ClaimLine.objects.create(
            claim=claim, position=position, billing_code_id=code, units=units, suggested_units=units
        )
    return TreatmentSession.objects.create(
        clinic=patient.clinic,
        patient=patient,
        therapist=therapist,
        payer=payer,
        date_of_service=day,
        created_by=user,
        claim=claim,
    )


def spec(patient: Patient, day: dt.date, **extra: Any) -> ClaimSpec:
    return ClaimSpec(
        patient_id=patient.pk,
        payer_id=extra.pop("payer_id", patient.primary_payer_id),
        date_of_service=day,
        credential="PT",
        diagnoses=(),
        note=rules.VisitNote(""),
        **extra,
    )


def authorize(patient: Patient, number: str = "AUTH1", **fields: Any) -> Authorization:
    fields.setdefault("payer", patient.primary_payer)
    fields.setdefault("start_date", dt.date(2026, 3, 1))
    fields.setdefault("end_date", dt.date(2026, 6, 30))
    fields.setdefault("visits", 12)
    return authorization_create(patient=patient, number=number, **fields)


# ---- the rules in force on the date of service ----------------------------------------------


def test_a_rule_change_judges_later_dates_of_service_only(clinic: Clinic, pt: Any) -> None:
    payer = make_payer("Changing Plan", unit_method="cms")
    PayerRule.objects.create(
        payer=payer, effective=dt.date(2026, 7, 1), unit_method="ama", requires_authorization=True
    )
    patient = make_patient(clinic, payer.name)
    ref = ReferenceFacts.load()
    assert ref.payer(payer.pk, dt.date(2026, 6, 30)).rules.unit_method == Method.CMS
    assert ref.payer(payer.pk, dt.date(2026, 7, 1)).rules.unit_method == Method.AMA

    def units(day: dt.date) -> dict[str, int]:
        draft = session_draft(
            patient_id=patient.pk,
            payer=payer,
            date_of_service=day,
            credential="PT",
            rows=(ServiceRow("97112", 24), ServiceRow("97110", 23)),
            ref=ref,
        ).draft
        return {line.code: line.units for line in draft.lines}

    # §1 example: 47 minutes pooled are 3 units under CMS; each code on its own under AMA.
    assert units(dt.date(2026, 6, 30)) == {"97112": 2, "97110": 1}
    assert units(dt.date(2026, 7, 1)) == {"97112": 2, "97110": 2}
    before, after = claims_context(
        [spec(patient, dt.date(2026, 6, 30)), spec(patient, dt.date(2026, 7, 1))], ref=ref
    )
    assert not before.facts.payer.requires_authorization
    assert after.facts.payer.requires_authorization


def test_an_edit_of_a_payers_rules_is_seen_at_once(clinic: Clinic) -> None:
    rule = PayerRule.objects.get(payer__name="Demo Commercial PPO")
    payer_id = rule.payer_id
    assert ReferenceFacts.current().payer(payer_id, TODAY).rules.visit_limit_per_year == 60
    rule.visit_limit_per_year = 12
    rule.save()  # as the admin's inline does
    assert ReferenceFacts.current().payer(payer_id, TODAY).rules.visit_limit_per_year == 12


def test_a_date_before_any_rule_is_said_plainly(clinic: Clinic) -> None:
    payer = make_payer("Young Plan", effective=dt.date(2026, 5, 1))
    bare = Payer.objects.create(name="Bare Plan", kind="commercial")
    patient = make_patient(clinic, payer.name)
    early, none = claims_context(
        [
            spec(patient, dt.date(2026, 4, 30)),
            spec(patient, dt.date(2026, 4, 30), payer_id=bare.pk),
        ],
        with_prices=False,
    )
    assert early.facts.missing_reference[0] == (
        "No rules of Young Plan are on file for 2026-04-30: the claim was checked with the "
        "rules from 2026-05-01, the first on file."
    )
    assert none.facts.missing_reference[0].startswith("No rules of Bare Plan are on file")
    assert none.facts.payer.unit_method == Method.CMS


def test_the_shipped_rules_are_loaded_once_with_medicares_in_plain_sources() -> None:
    from coding.services import reference_load

    medicare = PayerRule.objects.get(payer__name="Medicare Part B")
    assert (medicare.unit_method, medicare.timely_filing_days) == ("cms", 365)
    assert (medicare.progress_report_visits, medicare.certification_days) == (10, 90)
    assert medicare.kx_applies and medicare.applies_mppr and medicare.applies_cq_reduction
    assert medicare.requires_plan_of_care
    assert not (medicare.requires_referral or medicare.requires_authorization)
    assert "no referral or prior authorization" in medicare.source
    hmo = PayerRule.objects.get(payer__name=HMO)
    assert hmo.requires_referral and hmo.requires_authorization
    assert hmo.visit_limit_per_year == 30 and "demo" in hmo.source
    assert PayerRule.objects.get(payer__name="Demo State Medicaid").requires_authorization
    hmo.visit_limit_per_year = 20
    hmo.save()  # an admin's edit
    count = PayerRule.objects.count()
    reference_load()
    assert PayerRule.objects.count() == count
    hmo.refresh_from_db()
    assert hmo.visit_limit_per_year == 20


# ---- authorizations and visits counted ------------------------------------------------------


def test_visits_under_an_authorization_are_the_payers_treatment_days_inside_its_dates(
    clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic, HMO)
    authorize(patient, visits=12)
    medicare = Payer.objects.get(name="Medicare Part B")
    visit(patient, pt, dt.date(2026, 2, 27))  # before the authorization
    visit(patient, pt, dt.date(2026, 3, 2))
    visit(patient, pt, dt.date(2026, 3, 2))  # a second sitting: the same treatment day
    visit(patient, pt, dt.date(2026, 3, 4), payer=medicare)  # another payer
    edited = visit(patient, pt, dt.date(2026, 3, 6))
    visit(patient, pt, dt.date(2026, 4, 20))  # after the date of service
    new, again = claims_context(
        [
            spec(patient, dt.date(2026, 4, 15)),
            spec(patient, dt.date(2026, 3, 6), claim_id=edited.claim_id),
        ],
        with_prices=False,
    )
    (auth,) = new.facts.authorizations
    assert (auth.visits_before, auth.visit_number) == (2, 3)
    assert new.authorization_line == "Visit 3 of 12 authorized (AUTH1), through 2026-06-30"
    # The claim being edited does not count itself: it is the 2nd visit.
    assert again.facts.authorizations[0].visit_number == 2


def test_units_billed_under_an_authorization_are_counted_per_code(clinic: Clinic, pt: Any) -> None:
    patient = make_patient(clinic, HMO)
    authorize(patient, units=(("97140", 6), ("97110", 4)))
    visit(patient, pt, dt.date(2026, 2, 1), lines=(("97140", 3),))  # before the dates
    visit(patient, pt, dt.date(2026, 3, 10), lines=(("97140", 2), ("97112", 2)))
    edited = visit(patient, pt, dt.date(2026, 4, 1), lines=(("97140", 3),))
    context = claim_context(spec(patient, dt.date(2026, 4, 15)), with_prices=False)
    (auth,) = context.facts.authorizations
    assert dict(auth.units) == {"97110": 4, "97140": 6}
    assert dict(auth.units_before) == {"97140": 5}
    own = claim_context(
        spec(patient, dt.date(2026, 4, 1), claim_id=edited.claim_id), with_prices=False
    )
    assert dict(own.facts.authorizations[0].units_before) == {"97140": 2}


def test_visits_this_year_count_the_payers_earlier_treatment_days(clinic: Clinic, pt: Any) -> None:
    patient = make_patient(clinic, HMO)
    medicare = Payer.objects.get(name="Medicare Part B")
    visit(patient, pt, dt.date(2025, 12, 30))  # last year
    for day in (2, 2, 9, 16):
        visit(patient, pt, dt.date(2026, 1, day))
    visit(patient, pt, dt.date(2026, 1, 20), payer=medicare)
    context = claim_context(spec(patient, dt.date(2026, 2, 1)), with_prices=False)
    assert context.facts.visits_this_year == 3


def test_authorizations_are_read_only_for_payers_that_require_one(clinic: Clinic, pt: Any) -> None:
    patient = make_patient(clinic, "Demo Commercial PPO")
    authorize(patient)
    with CaptureQueriesContext(connection) as ctx:
        context = claim_context(spec(patient, dt.date(2026, 4, 15)), with_prices=False)
    assert context.facts.authorizations == ()
    assert not [q for q in ctx.captured_queries if "claims_authorization" in q["sql"]]


def test_the_facts_queries_do_not_grow_with_patients_and_authorizations(
    clinic: Clinic, pt: Any
) -> None:
    ReferenceFacts.current()  # the tables, cached

    def patients(n: int) -> list[ClaimSpec]:
        specs = []
        for i in range(n):
            patient = make_patient(clinic, HMO if i % 2 else "Medicare Part B")
            for k in range(3):
                authorize(patient, f"A{i}-{k}", units=(("97140", 4),))
                visit(patient, pt, dt.date(2026, 3, 2 + k), lines=(("97140", 1),), amount="50")
            therapy_used_save(
                patient=patient, year=2026, amount=Decimal("100"), as_of=dt.date(2026, 2, 1)
            )
            specs.append(spec(patient, dt.date(2026, 4, 15)))
        return specs

    def queries(specs: list[ClaimSpec]) -> int:
        with CaptureQueriesContext(connection) as ctx:
            claims_context(specs, with_prices=False)
        return len(ctx.captured_queries)

    few = queries(patients(2))
    assert queries(patients(8)) == few


# ---- the year to date includes other providers (§10.8) --------------------------------------


def test_therapy_used_elsewhere_counts_toward_kx_before_the_clinics_claims(
    clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic)
    visit(patient, pt, dt.date(2026, 3, 2), amount="120.00")
    therapy_used_save(
        patient=patient, year=2026, amount=Decimal("2300.00"), as_of=dt.date(2026, 2, 20)
    )
    therapy_used_save(
        patient=patient, year=2025, amount=Decimal("999.00"), as_of=dt.date(2025, 12, 1)
    )
    context = claim_context(spec(patient, dt.date(2026, 4, 15)), with_prices=False)
    kx = context.facts.kx
    assert kx is not None
    assert kx.ytd_allowed_before_visit == Decimal("2420.00")
    assert (kx.other_providers, kx.other_providers_as_of) == (
        Decimal("2300.00"),
        dt.date(2026, 2, 20),
    )
    assert context.kx_elsewhere == (
        "includes $2,300.00 from other providers (eligibility reply of 2026-02-20)"
    )
    hmo = claim_context(
        spec(patient, dt.date(2026, 4, 15), payer_id=Payer.objects.get(name=HMO).pk),
        with_prices=False,
    )
    assert hmo.facts.kx is None  # a payer without the KX rule


def test_the_patient_kx_badge_includes_the_amount_used_elsewhere(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic)
    therapy_used_save(patient=patient, year=TODAY.year, amount=Decimal("1500.00"), as_of=TODAY)
    page = client_for(pt).get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert 'data-testid="kx-allowed">$1,500.00<' in page
    assert "includes $1,500.00 from other providers" in page
    assert f"Used elsewhere in {TODAY.year}: <strong>$1,500.00</strong>" in page


# ---- the pages show the facts the pipeline used ---------------------------------------------


def test_the_panel_and_the_saved_explanation_say_what_other_providers_billed(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    from tests.claims.test_review import make_plan

    patient = make_patient(clinic)
    make_plan(patient)
    as_of = max(TODAY - dt.timedelta(days=3), dt.date(TODAY.year, 1, 1))
    therapy_used_save(patient=patient, year=TODAY.year, amount=Decimal("2470.00"), as_of=as_of)
    said = f"includes $2,470.00 from other providers (eligibility reply of {as_of.isoformat()})"
    data = post_data(patient, membership(pt, clinic), [("97110", "30", "")], action="calculate")
    data["date_of_service"] = TODAY.isoformat()
    html = client_for(pt).post(reverse("session-suggest"), data, **HTMX).content.decode()
    assert f'data-testid="kx-elsewhere">{said}<' in html
    assert 'data-modifier="KX"' in html  # $2,470 + this visit passes the threshold
    client_for(pt).post(reverse("session-new"), {**data, "action": "save"})
    claim = Claim.objects.get(patient=patient)
    assert any(said in step["text"] for step in claim.explanation)
    assert all("KX" in line.modifiers for line in claim.lines.all())


def test_the_panel_shows_the_authorization_line_of_the_claim(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    covered = make_patient(clinic, HMO)
    PlanOfCare.objects.create(
        patient=covered,
        diagnoses=["M25.561"],
        start_date=TODAY - dt.timedelta(days=20),
        cert_through=TODAY + dt.timedelta(days=60),
        certified_on=TODAY - dt.timedelta(days=18),
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
        frequency="2x/week",
        goals="Lift the arm overhead.",
    )
    end = TODAY + dt.timedelta(days=30)
    authorize(covered, "HMO77", start_date=TODAY - dt.timedelta(days=20), end_date=end, visits=4)
    visit(covered, pt, TODAY - dt.timedelta(days=10))
    visit(covered, pt, TODAY - dt.timedelta(days=5))
    uncovered = make_patient(clinic, HMO)
    client = client_for(pt)
    me = membership(pt, clinic)
    rows = [("97110", "30", "")]
    line = f"Visit 3 of 4 authorized (HMO77), through {end.isoformat()}"
    data = post_data(covered, me, rows, action="calculate")
    for response in (
        client.post(reverse("session-suggest"), data, **HTMX),
        client.post(reverse("session-new"), data),
    ):
        html = response.content.decode()
        assert f"<strong>Authorization:</strong> {line}." in html
    # The panel's findings are those of the same draft: the auth-ending warning of visit 3 of 4.
    assert "Authorization HMO77 is nearly used up: this is visit 3 of the 4 authorized." in html
    html = client.post(
        reverse("session-suggest"), post_data(uncovered, me, rows, action="calculate"), **HTMX
    ).content.decode()
    assert "No authorization on file; Demo Commercial HMO requires one" in html
    assert "Demo Commercial HMO requires prior authorization, and none is on file" in html
    # And saving stores exactly that finding.
    client.post(reverse("session-new"), post_data(uncovered, me, rows, submission_token="t1"))
    claim = Claim.objects.get(patient=uncovered)
    assert claim.flags.filter(rule_id="auth-missing", severity="error").exists()


def test_the_claim_page_and_the_queue_show_the_authorization_line(
    client_for: Any, clinic: Clinic, pt: Any, owner: Any
) -> None:
    from tests.claims.test_review import make_claim

    patient = make_patient(clinic, HMO)
    end = TODAY + dt.timedelta(days=40)
    authorize(patient, "Q-9", start_date=TODAY - dt.timedelta(days=30), end_date=end, visits=10)
    claim = make_claim(clinic, pt, patient, days_ago=2)
    boss = client_for(owner)
    line = f"Visit 1 of 10 authorized (Q-9), through {end.isoformat()}"
    detail = boss.get(reverse("claim-detail", args=[claim.pk])).content.decode()
    assert re.search(r'data-testid="authorization-line">\s*' + re.escape(line), detail)
    for response in (
        boss.get(reverse("review-queue")),
        boss.get(reverse("review-queue"), **HTMX),
    ):
        assert line in response.content.decode()


def test_the_claim_page_counts_a_visit_entered_later_for_an_earlier_day(
    client_for: Any, clinic: Clinic, pt: Any, owner: Any
) -> None:
    from tests.claims.test_review import make_claim

    patient = make_patient(clinic, HMO)
    end = TODAY + dt.timedelta(days=40)
    authorize(patient, "L-1", start_date=TODAY - dt.timedelta(days=30), end_date=end, visits=10)
    claim = make_claim(clinic, pt, patient, days_ago=2)
    visit(patient, pt, TODAY - dt.timedelta(days=5))  # entered after, dated before
    detail = client_for(owner).get(reverse("claim-detail", args=[claim.pk])).content.decode()
    assert f"Visit 2 of 10 authorized (L-1), through {end.isoformat()}" in detail


# ---- the patient page: authorizations and therapy used elsewhere ---------------------------


def auth_post(payer: Payer, **overrides: Any) -> dict[str, Any]:
    data = {
        "payer": payer.pk,
        "number": "AUTH-55",
        "start_date": TODAY.isoformat(),
        "end_date": (TODAY + dt.timedelta(days=60)).isoformat(),
        "visits": "12",
        "notes": "",
        "units-TOTAL_FORMS": "3",
        "units-INITIAL_FORMS": "0",
        "units-MIN_NUM_FORMS": "0",
        "units-MAX_NUM_FORMS": "20",
        "units-0-code": "97140",
        "units-0-units": "8",
        "units-1-code": "",
        "units-1-units": "",
        "units-2-code": "",
        "units-2-units": "",
    }
    data.update(overrides)
    return data


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.OWNER])
def test_therapists_and_owners_add_an_authorization(
    client_for: Any, clinic: Clinic, role: str
) -> None:
    user = make_member(clinic, role)
    patient = make_patient(clinic, HMO)
    client = client_for(user)
    url = reverse("authorization-create", args=[patient.pk])
    assert client.get(url).status_code == 200
    response = client.post(url, auth_post(patient.primary_payer))
    assert response.status_code == 302
    auth = Authorization.objects.get(patient=patient)
    assert (auth.number, auth.visits, auth.payer_id) == ("AUTH-55", 12, patient.primary_payer_id)
    assert list(auth.units.values_list("billing_code_id", "units")) == [("97140", 8)]
    assert auth.history.count() == 1
    page = client.get(reverse("patient-detail", args=[patient.pk])).content.decode()
    assert "AUTH-55" in page and "12 visits" in page and "97140</span> 8 units" in page
    assert "Next visit:</strong> Visit 1 of 12 authorized (AUTH-55)" in page


def test_an_authorization_is_edited_with_its_history_kept(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic, HMO)
    auth = authorize(patient, "E-1", units=(("97140", 8), ("97110", 4)))
    url = reverse("authorization-update", args=[auth.pk])
    page = client_for(pt).get(url).content.decode()
    assert 'value="97140"' in page and 'value="E-1"' in page
    data = auth_post(
        patient.primary_payer,
        number="E-1",
        visits="20",
        **{"units-0-code": "97110", "units-0-units": "6", "units-INITIAL_FORMS": "2"},
    )
    assert client_for(pt).post(url, data).status_code == 302
    auth.refresh_from_db()
    assert auth.visits == 20
    assert list(auth.units.values_list("billing_code_id", "units")) == [("97110", 6)]
    assert auth.history.count() == 2
    assert auth.history.first().history_change_reason == "Authorization changed"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        (
            {"end_date": (TODAY - dt.timedelta(days=1)).isoformat()},
            "end_date",
            "ends before it starts",
        ),
        ({"visits": "0"}, "visits", "at least 1"),
        ({"units-0-code": "99999"}, "code", "not a billing code"),
        ({"units-1-code": "97140", "units-1-units": "2"}, "code", "listed twice"),
        ({"units-0-units": ""}, "units", "Give the units"),
        ({"number": ""}, "number", "required"),
    ],
)
def test_a_wrong_authorization_comes_back_with_its_error_and_saves_nothing(
    client_for: Any, clinic: Clinic, pt: Any, changes: dict[str, str], field: str, message: str
) -> None:
    patient = make_patient(clinic, HMO)
    response = client_for(pt).post(
        reverse("authorization-create", args=[patient.pk]),
        auth_post(patient.primary_payer, **changes),
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Authorization.objects.exists() and not AuthorizedUnits.objects.exists()


def test_the_same_authorization_number_twice_is_refused_on_the_field(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic, HMO)
    authorize(patient, "AUTH-55")
    response = client_for(pt).post(
        reverse("authorization-create", args=[patient.pk]), auth_post(patient.primary_payer)
    )
    assert response.status_code == 200
    assert "already on file" in response.context["form"].errors["number"][0]
    assert Authorization.objects.count() == 1


def test_the_therapy_amount_used_elsewhere_is_saved_and_replaced(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    patient = make_patient(clinic)
    url = reverse("therapy-used-edit", args=[patient.pk])
    client = client_for(pt)
    assert client.get(url).status_code == 200
    data = {"year": TODAY.year, "amount": "800.00", "as_of": TODAY.isoformat(), "source": "HETS"}
    assert client.post(url, data).status_code == 302
    assert client.post(url, {**data, "amount": "950.00"}).status_code == 302
    used = TherapyAmountUsed.objects.get(patient=patient)
    assert used.amount == Decimal("950.00")
    assert used.history.count() == 2
    for bad, message in (
        ({"amount": "-1"}, "cannot be negative"),
        ({"as_of": (TODAY + dt.timedelta(days=1)).isoformat()}, "in the future"),
        ({"year": TODAY.year + 1}, "cannot give"),
    ):
        response = client.post(url, {**data, **bad})
        assert response.status_code == 200 and message in response.content.decode()
    assert TherapyAmountUsed.objects.get(patient=patient).amount == Decimal("950.00")


def test_the_coverage_pages_need_a_login_a_clinic_role_and_the_clinics_patient(
    client: Client, client_for: Any, clinic: Clinic
) -> None:
    patient = make_patient(clinic, HMO)
    auth = authorize(patient)
    urls = [
        reverse("authorization-create", args=[patient.pk]),
        reverse("authorization-update", args=[auth.pk]),
        reverse("therapy-used-edit", args=[patient.pk]),
    ]
    admin = client_for(make_member(clinic, Role.ADMIN))
    outsider = client_for(make_member(make_clinic(name="Across Town PT"), Role.OWNER))
    for url in urls:
        assert client.get(url).status_code == 302  # to the login page
        assert admin.get(url).status_code == 403
        assert outsider.get(url).status_code == 404
        assert outsider.post(url, auth_post(patient.primary_payer)).status_code == 404
    assert Authorization.objects.count() == 1 and not TherapyAmountUsed.objects.exists()


# ---- the certification period is the payer's (§6.2, §6.10) ---------------------------------


def test_the_plan_form_allows_the_payers_certification_period(
    client_for: Any, clinic: Clinic, pt: Any
) -> None:
    from tests.claims.test_patients import plan_post

    start = TODAY - dt.timedelta(days=2)
    long_plan = plan_post(
        start_date=start.isoformat(), cert_through=(start + dt.timedelta(days=120)).isoformat()
    )
    ppo = make_patient(clinic, "Demo Commercial PPO")  # no certification period
    response = client_for(pt).post(reverse("plan-create", args=[ppo.pk]), long_plan)
    assert response.status_code == 302
    short = make_payer("Short Cert Plan", certification_days=30)
    patient = make_patient(clinic, short.name)
    response = client_for(pt).post(reverse("plan-create", args=[patient.pk]), long_plan)
    assert response.status_code == 200
    error = response.context["form"].errors["cert_through"][0]
    assert "Short Cert Plan accepts a certification of at most 30 calendar days" in error
    assert str(start + dt.timedelta(days=29)) in error
    assert not PlanOfCare.objects.filter(patient=patient).exists()


# ---- the admin ----------------------------------------------------------------------------


def test_the_admin_edits_payer_rules_inline_and_sees_only_its_clinics_authorizations(
    client_for: Any, clinic: Clinic
) -> None:
    hmo = Payer.objects.get(name=HMO)
    platform = client_for(make_member(clinic, Role.ADMIN, user=make_user(is_staff=True)))
    page = platform.get(reverse("admin:coding_payer_change", args=[hmo.pk])).content.decode()
    assert 'name="rules-0-effective"' in page and 'name="rules-0-requires_authorization"' in page
    mine = client_for(make_member(clinic, Role.ADMIN))
    auth = authorize(make_patient(clinic, HMO), "ADM-1")
    elsewhere = client_for(make_member(make_clinic(name="Across Town PT"), Role.ADMIN))
    listing = reverse("admin:claims_authorization_changelist")
    assert "ADM-1" in mine.get(listing).content.decode()
    assert "ADM-1" not in elsewhere.get(listing).content.decode()
    change = reverse("admin:claims_authorization_change", args=[auth.pk])
    assert "ADM-1" in mine.get(change).content.decode()
    assert "ADM-1" not in elsewhere.get(change, follow=True).content.decode()


def test_another_clinics_admin_cannot_read_an_authorizations_history(
    client_for: Any, clinic: Clinic
) -> None:
    auth = authorize(make_patient(clinic, HMO), "HIST-1")
    history = reverse("admin:claims_authorization_history", args=[auth.pk])
    mine = client_for(make_member(clinic, Role.ADMIN))
    assert "HIST-1" in mine.get(history).content.decode()
    elsewhere = client_for(make_member(make_clinic(name="Across Town PT"), Role.ADMIN))
    assert elsewhere.get(history).status_code == 404
    version = auth.history.first().history_id
    one = reverse("admin:claims_authorization_simple_history", args=[auth.pk, version])
    assert elsewhere.get(one).status_code == 404
    assert mine.get(one).status_code == 200
