"""The session-entry page: live suggestions, validation, saving, editing and resubmitting."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimLine, ClaimStatus, SessionService, TreatmentSession
from ptclinic.models import Role
from tests.conftest import make_clinic, make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

NECESSITY = (
    "Skilled neuromuscular re-education needed: balance deficits after stroke put her at fall "
    "risk; therapist cues and progression are required to reach the plan's gait goals."
)


def post_data(patient: Any, therapist: Any, rows: list[tuple[str, str, str]], **extra: Any) -> dict:
    data: dict[str, Any] = {
        "patient": patient.pk,
        "date_of_service": (timezone.localdate() - dt.timedelta(days=1)).isoformat(),
        "payer": "",
        "therapist": therapist.pk,
        "code": [r[0] for r in rows],
        "minutes": [r[1] for r in rows],
        "pta_minutes": [r[2] for r in rows],
        "pointers": ["" for _ in rows],
        "dx": ["M25.561"],
        "subjective": "Knee feels stiffer in the morning.",
        "objective": "Knee flexion 95 degrees.",
        "assessment": "Improving.",
        "plan": "Continue 2x/week.",
        "medical_necessity": NECESSITY,
        "action": "save",
    }
    data.update(extra)
    return data


@pytest.fixture
def patient(clinic: Any) -> Any:
    return make_patient(clinic, "Medicare Part B", first_name="Ruth", last_name="Adler")


def lines_of(claim: Claim) -> list[tuple[str, int, list[str]]]:
    return [(line.billing_code_id, line.units, line.modifiers) for line in claim.lines.all()]


def test_the_page_is_for_therapists(client_for: Any, pt: Any, owner: Any) -> None:
    assert client_for(pt).get(reverse("session-new")).status_code == 200
    assert client_for(owner).get(reverse("session-new")).status_code == 403
    assert client_for(owner).get(reverse("session-list")).status_code == 403


def test_the_live_panel_applies_the_8_minute_rule_with_gp(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(patient, membership(pt, clinic), [("97112", "24", ""), ("97110", "23", "")])
    response = client_for(pt).post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert 'data-testid="units-97112">2<' in html
    assert 'data-testid="units-97110">1<' in html
    assert html.count('data-modifier="GP"') == 2
    assert 'name="tie_choice" value=""' in html
    assert "tie choice" not in html
    assert 'data-testid="total-timed-minutes">47<' in html
    assert "38–52 minutes = 3 units" in html  # the explanation


def test_the_page_lists_the_clinics_patients_and_the_live_panel_reads_none(
    client_for: Any, pt: Any, clinic: Any, patient: Any, django_assert_max_num_queries: Any
) -> None:
    client = client_for(pt)
    page = client.get(reverse("session-new")).content.decode()
    assert f'<option value="{patient.pk}">Adler, Ruth — MRN {patient.mrn} — Medicare Part B' in page
    data = post_data(patient, membership(pt, clinic), [("97112", "24", ""), ("97110", "23", "")])
    client.post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    # Session, user, its second factor, memberships; the patient; the diagnoses (form); the code
    # tables' stamp (the tables are cached per process); the plans, visits, year's claims,
    # diagnoses and (a KX payer) the therapy amount used elsewhere, and the patient's and
    # clinician's billing fields (§11.1) of the facts builder: never the clinic's list of patients.
    with django_assert_max_num_queries(14) as captured:
        client.post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    assert (
        not [  # a query of patients by clinic, not by id
            q
            for q in captured.captured_queries
            if 'FROM "claims_patient"' in q["sql"]
            and '"claims_patient"."id"' not in q["sql"].split("WHERE")[-1]
        ]
    )


def test_a_commercial_payer_counts_each_code_alone(client_for: Any, pt: Any, clinic: Any) -> None:
    patient = make_patient(clinic, "Demo Commercial PPO")
    data = post_data(patient, membership(pt, clinic), [("97112", "24", ""), ("97110", "23", "")])
    html = client_for(pt).post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="units-97112">2<' in html
    assert 'data-testid="units-97110">2<' in html
    assert "AMA per-code method" in html


def test_saving_creates_the_session_and_a_claim_waiting_for_review(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    data = post_data(patient, me, [("97112", "24", ""), ("97110", "23", "")])
    response = client_for(pt).post(reverse("session-new"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("session-list")

    session = TreatmentSession.objects.get()
    assert [(s.billing_code_id, s.minutes) for s in session.services.all()] == [
        ("97112", 24),
        ("97110", 23),
    ]
    assert session.diagnoses == ["M25.561"]
    claim = session.claim
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.therapist == me and claim.clinic == clinic
    assert lines_of(claim) == [("97112", 2, ["GP"]), ("97110", 1, ["GP"])]
    assert claim.total_units == 3
    # Medicare 2026 fees with MPPR: an estimate, since only 97110 has its RVU split loaded.
    assert claim.expected_amount is not None and claim.expected_amount > Decimal("0")
    assert [line.dx_pointers for line in claim.lines.all()] == [[1], [1]]

    page = client_for(pt).get(reverse("session-list")).content.decode()
    assert f"#{claim.pk} Needs review" in page
    assert "Adler, Ruth" in page


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        ([("97110", "abc", "")], "whole number of minutes"),
        ([("97110", "-5", "")], "whole number of minutes"),
        ([("97110", "2000", "")], "more than a day"),
        ([("97999", "20", "")], "“97999” is not a code"),
        ([("97110", "", "")], "97110 is timed: enter its minutes"),
        ([("97110", "20", "25")], "cannot be more than the row&#x27;s minutes (20)"),
        ([("therapeutic", "20", "")], "matches several codes"),
        ([("no such words here", "20", "")], "matches no code"),
        ([("97110", "20", ""), ("97110", "10", "")], "listed twice"),
        ([], "Add at least one service"),
    ],
)
def test_bad_service_rows_are_refused_on_their_row(
    client_for: Any, pt: Any, clinic: Any, patient: Any, rows: list, message: str
) -> None:
    response = client_for(pt).post(
        reverse("session-new"), post_data(patient, membership(pt, clinic), rows)
    )
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not TreatmentSession.objects.exists() and not Claim.objects.exists()


def test_a_future_date_is_refused(client_for: Any, pt: Any, clinic: Any, patient: Any) -> None:
    tomorrow = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
    data = post_data(
        patient, membership(pt, clinic), [("97110", "30", "")], date_of_service=tomorrow
    )
    response = client_for(pt).post(reverse("session-new"), data)
    assert "cannot be in the future" in response.content.decode()
    assert not Claim.objects.exists()


@pytest.mark.parametrize(
    ("dx", "message"),
    [
        (["M54.5"], "M54.5 is a category, not billable: use M54.50, M54.51 or M54.59"),
        (["Q99.99"], "Q99.99 is not an ICD-10-CM code"),
        ([], "Add at least one diagnosis"),
        (["M25.561"] * 13, "At most 12 diagnoses"),
    ],
)
def test_bad_diagnoses_are_refused(
    client_for: Any, pt: Any, clinic: Any, patient: Any, dx: list, message: str
) -> None:
    data = post_data(patient, membership(pt, clinic), [("97110", "30", "")], dx=dx)
    response = client_for(pt).post(reverse("session-new"), data)
    assert message in response.content.decode()
    assert not Claim.objects.exists()


def test_another_clinics_patient_is_not_found(client_for: Any, pt: Any, clinic: Any) -> None:
    stranger = make_patient(make_clinic(name="Far Away PT"))
    data = post_data(stranger, membership(pt, clinic), [("97110", "30", "")])
    assert client_for(pt).post(reverse("session-new"), data).status_code == 404
    assert client_for(pt).get(reverse("session-new"), {"patient": stranger.pk}).status_code == 404
    assert not Claim.objects.exists()


def test_a_pta_cannot_write_the_progress_report(
    client_for: Any, pta: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(
        patient, membership(pta, clinic), [("97110", "30", "")], is_progress_report="on"
    )
    response = client_for(pta).post(reverse("session-new"), data)
    assert "must be written by the PT" in response.content.decode()
    assert not Claim.objects.exists()


def test_the_panel_tells_a_pta_before_saving_that_an_evaluation_will_be_refused(
    client_for: Any, pta: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(patient, membership(pta, clinic), [("97161", "", ""), ("97110", "30", "")])
    panel = client_for(pta).post(reverse("session-suggest"), data, HTTP_HX_REQUEST="true")
    html = panel.content.decode()
    assert 'data-testid="save-refused"' in html
    assert "97161: evaluations and re-evaluations are the PT&#x27;s" in html
    assert "You can save" not in html and 'data-rule="pta-evaluation"' in html

    response = client_for(pta).post(reverse("session-new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="not-saved"' in page
    assert "Not saved:</strong> 97161: evaluations and re-evaluations" in page
    assert not Claim.objects.exists()


def test_a_ptas_units_carry_cq(client_for: Any, pta: Any, clinic: Any, patient: Any) -> None:
    data = post_data(patient, membership(pta, clinic), [("97110", "30", "")])
    assert client_for(pta).post(reverse("session-new"), data).status_code == 302
    assert lines_of(Claim.objects.get()) == [("97110", 2, ["GP", "CQ"])]


def test_pta_minutes_over_ten_percent_split_the_line(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(patient, membership(pt, clinic), [("97110", "38", "10")])
    assert client_for(pt).post(reverse("session-new"), data).status_code == 302
    # 38 minutes = 3 units. The PT's 28 minutes are one full block (13 left), the assistant's
    # 10 none: two units remain, each provider furnished 9-14 minutes of them, so one bills GP
    # and one GP CQ (docs/billing-rules.md §10.2).
    assert lines_of(Claim.objects.get()) == [("97110", 2, ["GP"]), ("97110", 1, ["GP", "CQ"])]


def test_changing_a_suggestion_needs_a_reason_and_keeps_both(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    data = post_data(patient, me, [("97110", "30", "")], units__97110="1")
    response = client_for(pt).post(reverse("session-new"), data)
    assert "You changed the suggestion: say why." in response.content.decode()
    assert not Claim.objects.exists()

    data["reason__97110"] = "Second half was rest breaks, not skilled time."
    assert client_for(pt).post(reverse("session-new"), data).status_code == 302
    line = ClaimLine.objects.get()
    assert (line.units, line.suggested_units) == (1, 2)
    assert line.change_reason == "Second half was rest breaks, not skilled time."


def test_a_tie_can_be_given_to_the_other_code(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    data = post_data(patient, me, [("97112", "20", ""), ("97110", "20", "")])
    html = client_for(pt).post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="tie"' in html
    # 97112 pays more, so it gets the contested unit first.
    assert 'data-testid="units-97112">2<' in html and 'data-testid="units-97110">1<' in html

    assert 'name="tie_choice" value=""' in html  # no pick yet: nothing to carry

    data["tie_pick"] = "97110"
    picked = client_for(pt).post(reverse("session-suggest"), data).content.decode()
    assert 'name="tie_choice" value="97110"' in picked  # the pick survives the next refresh
    assert client_for(pt).post(reverse("session-new"), data).status_code == 302
    assert lines_of(Claim.objects.get()) == [("97112", 1, ["GP"]), ("97110", 2, ["GP"])]


def test_a_second_evaluation_is_kept_off_the_claim_and_the_visit_saved(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    """97162/97161 is an indicator-0 pair: the column-2 code stays in the note, off the claim."""
    data = post_data(patient, membership(pt, clinic), [("97161", "", ""), ("97162", "", "")])
    html = client_for(pt).post(reverse("session-suggest"), data).content.decode()
    assert "97161 is kept off the claim" in html
    assert 'data-rule="line-kept-off"' in html
    assert client_for(pt).post(reverse("session-new"), data).status_code == 302
    claim = Claim.objects.get()
    assert lines_of(claim) == [("97162", 1, ["GP"])]
    assert claim.flags.filter(rule_id="line-kept-off", line_code="97161").exists()
    assert claim.sessions.get().services.filter(billing_code="97161").exists()


def test_putting_a_blocked_line_back_cannot_be_saved(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(
        patient,
        membership(pt, clinic),
        [("97161", "", ""), ("97162", "", "")],
        units__97161="1",
        reason__97161="both were done",
    )
    response = client_for(pt).post(reverse("session-new"), data)
    html = response.content.decode()
    assert 'data-testid="edit-block"' in html
    assert "cannot be billed together" in html
    assert not Claim.objects.exists()


def test_kx_appears_once_the_year_passes_the_threshold(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    client = client_for(pt)
    first, second = dt.date(2026, 3, 2).isoformat(), dt.date(2026, 3, 3).isoformat()
    row = [("97110", "30", "")]
    html = client.post(
        reverse("session-suggest"), post_data(patient, me, row, date_of_service=first)
    )
    assert 'data-modifier="KX"' not in html.content.decode()
    response = client.post(
        reverse("session-new"), post_data(patient, me, row, date_of_service=first)
    )
    assert response.status_code == 302
    Claim.objects.update(expected_amount=Decimal("2470.00"))  # the year so far, before Mar 3
    html = client.post(
        reverse("session-suggest"), post_data(patient, me, row, date_of_service=second)
    )
    assert 'data-modifier="KX"' in html.content.decode()
    # Visits dated later never count (docs/billing-rules.md §10.8): Mar 1 is before them all.
    earlier = dt.date(2026, 3, 1).isoformat()
    html = client.post(
        reverse("session-suggest"), post_data(patient, me, row, date_of_service=earlier)
    )
    assert 'data-modifier="KX"' not in html.content.decode()


def test_a_returned_claim_is_fixed_and_resubmitted(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    me = membership(pt, clinic)
    client = client_for(pt)
    client.post(reverse("session-new"), post_data(patient, me, [("97110", "30", "")]))
    claim = Claim.objects.get()
    Claim.objects.filter(pk=claim.pk).update(
        status=ClaimStatus.RETURNED, return_comment="Add the knee flexion goal."
    )
    session = claim.sessions.get()

    page = client.get(reverse("session-edit", args=[session.pk])).content.decode()
    assert "Add the knee flexion goal." in page
    assert 'value="97110"' in page

    data = post_data(patient, me, [("97110", "40", "")])
    assert client.post(reverse("session-edit", args=[session.pk]), data).status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW
    assert claim.version == 2
    assert lines_of(claim) == [("97110", 3, ["GP"])]
    assert SessionService.objects.get().minutes == 40
    assert claim.history.count() >= 2


def test_an_approved_claim_cannot_be_edited(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    client = client_for(pt)
    client.post(
        reverse("session-new"), post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    )
    claim = Claim.objects.get()
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.APPROVED)
    session = claim.sessions.get()
    assert client.get(reverse("session-edit", args=[session.pk])).status_code == 403


@pytest.mark.parametrize("status", [ClaimStatus.APPROVED, ClaimStatus.SUBMITTED, ClaimStatus.PAID])
def test_my_sessions_offers_edit_only_while_the_claim_is_open(
    client_for: Any, pt: Any, clinic: Any, patient: Any, status: str
) -> None:
    client = client_for(pt)
    client.post(
        reverse("session-new"), post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    )
    claim = Claim.objects.get()
    edit = reverse("session-edit", args=[claim.sessions.get().pk])
    assert f'href="{edit}"' in client.get(reverse("session-list")).content.decode()
    Claim.objects.filter(pk=claim.pk).update(status=status)
    assert f'href="{edit}"' not in client.get(reverse("session-list")).content.decode()
    assert client.get(edit).status_code == 403


def test_my_sessions_shows_only_my_own(client_for: Any, pt: Any, clinic: Any, patient: Any) -> None:
    other = make_member(clinic, Role.THERAPIST, first_name="Other", last_name="Therapist")
    client_for(other).post(
        reverse("session-new"), post_data(patient, membership(other, clinic), [("97110", "30", "")])
    )
    page = client_for(pt).get(reverse("session-list")).content.decode()
    assert 'data-testid="sessions-empty"' in page


def test_my_sessions_query_count_does_not_grow_with_rows(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(pt)
    me = membership(pt, clinic)

    def queries_for_list() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(reverse("session-list")).status_code == 200
        return len(ctx.captured_queries)

    client.post(reverse("session-new"), post_data(patient, me, [("97110", "30", "")]))
    one_row = queries_for_list()
    for minutes in ("40", "45", "50", "55"):
        client.post(reverse("session-new"), post_data(patient, me, [("97110", minutes, "")]))
    assert queries_for_list() == one_row <= 10


def test_my_sessions_search_finds_my_sessions_by_last_name_or_mrn(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    client = client_for(pt)
    me = membership(pt, clinic)
    zimmer = make_patient(clinic, first_name="Bob", last_name="Zimmer", mrn="ZZ-9")
    for someone in (patient, zimmer):
        client.post(reverse("session-new"), post_data(someone, me, [("97110", "30", "")]))
    adler_session = TreatmentSession.objects.get(patient=patient)
    zimmer_session = TreatmentSession.objects.get(patient=zimmer)

    def shown(**params: str) -> str:
        response = client.get(reverse("session-list"), params)
        assert response.status_code == 200
        return response.content.decode()

    page = shown()
    assert '<label for="session-q" class="visually-hidden">Patient: name or MRN</label>' in page
    by_name = shown(q="adler")
    assert "Adler, Ruth" in by_name and "Zimmer" not in by_name
    assert 'value="adler"' in by_name
    by_mrn = shown(q="zz-9")
    assert "Zimmer, Bob" in by_mrn and "Adler" not in by_mrn
    assert f'data-claim="{zimmer_session.claim_id}"' in by_mrn
    with_status = shown(q="adler", status="needs_review")
    assert f'data-claim="{adler_session.claim_id}"' in with_status
    nobody = shown(q="Nobody")
    assert 'data-testid="sessions-empty"' in nobody
    assert "No sessions match this patient search." in nobody
    partial = client.get(reverse("session-list"), {"q": "adler"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode() and "Adler, Ruth" in partial.content.decode()


def test_my_sessions_search_never_shows_another_clinics_patient(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    """pt works in two clinics, each with a Ruth Adler of the same MRN: the search in one
    clinic never shows the other's."""
    client = client_for(pt)
    client.post(
        reverse("session-new"), post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    )
    elsewhere = make_clinic(name="Elsewhere")
    make_member(elsewhere, Role.THERAPIST, credential="PT", user=pt)
    twin = make_patient(elsewhere, first_name="Ruth", last_name="Adler", mrn=patient.mrn)
    theirs = client_for(pt)
    # The second client works in the other clinic.
    theirs.post(reverse("clinic-switch"), {"clinic": elsewhere.pk, "next": "/"})
    theirs.post(
        reverse("session-new"), post_data(twin, membership(pt, elsewhere), [("97110", "30", "")])
    )
    mine = TreatmentSession.objects.get(patient=patient)
    other = TreatmentSession.objects.get(patient=twin)
    for q in ("Adler", patient.mrn):
        html = client.get(reverse("session-list"), {"q": q}).content.decode()
        assert f'data-claim="{mine.claim_id}"' in html
        assert f'data-claim="{other.claim_id}"' not in html


def test_my_sessions_page_links_keep_the_search(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    client = client_for(pt)
    me = membership(pt, clinic)
    for days in range(1, 27):
        day = (timezone.localdate() - dt.timedelta(days=days)).isoformat()
        client.post(
            reverse("session-new"),
            post_data(patient, me, [("97110", "30", "")], date_of_service=day),
        )
    assert TreatmentSession.objects.count() == 26
    html = client.get(reverse("session-list"), {"q": "adler"}).content.decode()
    assert 'href="?q=adler&amp;page=2"' in html
    second = client.get(reverse("session-list"), {"q": "adler", "page": 2}).content.decode()
    assert second.count("Adler, Ruth") == 1


def test_the_patient_finder_narrows_the_choices_by_name_or_mrn(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    make_patient(clinic, first_name="Bob", last_name="Zimmer", mrn="ZZ-9")
    make_patient(make_clinic(name="Elsewhere"), first_name="Ann", last_name="Adler", mrn="AD-1")
    html = client_for(pt).get(reverse("session-patient-options"), {"patient_q": "adl"})
    text = html.content.decode()
    assert "Adler, Ruth" in text and "Zimmer" not in text and "AD-1" not in text
    assert "selected" in text  # the only match is chosen
    by_mrn = client_for(pt).get(reverse("session-patient-options"), {"patient_q": "ZZ-9"})
    assert "Zimmer, Bob" in by_mrn.content.decode()


def test_without_javascript_calculate_shows_the_suggestion_and_saves_nothing(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    data = post_data(
        patient,
        membership(pt, clinic),
        [("97112", "24", ""), ("97110", "23", "")],
        action="calculate",
    )
    response = client_for(pt).post(reverse("session-new"), data)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html  # the full page, not the htmx partial
    assert 'data-testid="units-97112">2<' in html
    assert 'value="97112"' in html  # what was typed is kept
    assert not Claim.objects.exists()


def test_an_edit_of_the_code_tables_is_seen_on_the_next_request(
    client_for: Any, pt: Any, clinic: Any, patient: Any
) -> None:
    """The code tables are cached per process behind a version stamp that every write changes
    (coding.refcache): an RVU edited in the admin prices the very next panel."""
    from coding.models import RelativeValue

    data = post_data(patient, membership(pt, clinic), [("97140", "15", "")])
    client = client_for(pt)
    before = client.post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="expected-total">$27.72' in before  # (0.43 + 0.39 + 0.01) x 33.4009
    rvu = RelativeValue.objects.get(billing_code="97140", year=timezone.localdate().year)
    rvu.work_rvu = Decimal("0.50")
    rvu.save()
    after = client.post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="expected-total">$30.06' in after  # (0.50 + 0.39 + 0.01) x 33.4009
