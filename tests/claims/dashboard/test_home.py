"""The home page: the owner's dashboard and the therapist's panel, as each sees them."""

import datetime as dt
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimStatus, PlanOfCare, TreatmentSession
from claims.scrubber import RULES
from claims.services import claim_return
from ptclinic.models import Clinic, Role
from tests.claims.test_review import make_claim
from tests.conftest import make_member, make_patient, make_payer

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()
MISSING = "necessity-missing"
HOME = reverse("home")


def page(client: Client, **params: Any) -> str:
    response = client.get(HOME, params)
    assert response.status_code == 200
    return response.content.decode()


def section(html: str, testid: str) -> str:
    """The element with that test id, up to the next tile (enough to look inside it)."""
    start = html.index(f'data-testid="{testid}"')
    following = html.find('data-testid="tile-', start + 1)
    return html[start : following if following != -1 else len(html)]


def text_of(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def patient_with_plan(clinic: Clinic, *, started: int = 80, ends_in: int = 60) -> Any:
    patient = make_patient(clinic)
    start = TODAY - dt.timedelta(days=started)
    PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=start,
        cert_through=TODAY + dt.timedelta(days=ends_in),
        certified_on=start + dt.timedelta(days=1),
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
        frequency="2x/week",
        goals="Walk without pain.",
    )
    return patient


@pytest.fixture
def boss(client_for: Callable[[Any], Client], owner: Any) -> Client:
    return client_for(owner)


# ---- the owner's dashboard --------------------------------------------------------------------


def test_the_owner_sees_the_backlog_with_links_to_the_filtered_queue(
    boss: Client, clinic: Clinic, pt: Any, owner: Any
) -> None:
    make_claim(clinic, pt)
    errors = make_claim(clinic, pt, necessity="")
    returned = make_claim(clinic, pt, necessity="")
    claim_return(claim=returned, user=owner, version=returned.version, comment="Add the note.")

    tile = section(page(boss), "tile-backlog")

    assert '<span class="fs-4 fw-semibold" data-testid="backlog-total">3</span>' in tile
    assert f'href="{reverse("review-queue")}?severity=errors"' in tile
    assert f'href="{reverse("review-queue")}?status=returned"' in tile
    words = text_of(tile)
    assert "2 waiting for review , 1 with open errors" in words
    assert "1 returned to therapists , 1 with open errors" in words
    assert errors.expected_amount is not None and returned.expected_amount is not None
    at_risk = errors.expected_amount + returned.expected_amount
    assert f"${at_risk:,.2f} expected on the claims with open errors" in words
    assert "<svg" in tile and "Open claims by days waiting" in tile
    assert "0–2 days" in text_of(tile[tile.index("<details") :])  # the chart's numbers


def test_the_review_queue_link_of_the_backlog_shows_the_same_claims(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt)
    flagged = make_claim(clinic, pt, necessity="")
    html = boss.get(reverse("review-queue"), {"severity": "errors"}).content.decode()
    assert re.findall(r'<tr data-claim="(\d+)"', html) == [str(flagged.pk)]
    html = boss.get(reverse("review-queue"), {"rule": MISSING}).content.decode()
    assert re.findall(r'<tr data-claim="(\d+)"', html) == [str(flagged.pk)]


def test_the_owner_sees_flags_by_rule_each_rule_linking_to_the_queue(
    boss: Client, clinic: Clinic, pt: Any, pta: Any
) -> None:
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pta, necessity="")

    html = page(boss)

    flags = section(html, "tile-flags")
    row = flags[flags.index(f'<tr data-rule="{MISSING}">') :]
    row = row[: row.index("</tr>")]
    link = f"{reverse('review-queue')}?{urlencode({'rule': MISSING})}"
    assert f'<a href="{link}">{RULES[MISSING].title}</a>' in row
    assert text_of(row).split()[-1] == "3"  # the rule's total in the period
    assert "<svg" in flags and "Flags by rule and month of service" in flags
    by_clinician = section(html, "tile-flags-by-clinician")
    assert RULES[MISSING].title in by_clinician
    assert "Ava Ay, PTA" in by_clinician and "Pat Tee, PT" in by_clinician


def test_the_owner_sees_units_per_visit_and_minutes_per_unit(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt, rows=(("97110", 30),))
    make_claim(clinic, pt, rows=(("97110", 38),))

    tile = section(page(boss), "tile-units")

    row = text_of(tile[tile.index("Pat Tee, PT</th>") - 60 :])
    # 2 visits, 5 units, 2.5 a visit, 68 timed minutes over 5 timed units: 13.6 a unit.
    assert "Pat Tee, PT 2 5 2.5 68 5 13.6" in row
    assert "Units per visit" in tile and "Minutes per timed unit" in tile
    assert tile.count("<svg") == 2


def test_the_owner_sees_the_care_lists_linking_to_the_patient_page(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    patient = patient_with_plan(clinic, ends_in=5)
    make_claim(clinic, pt, patient)

    html = page(boss)

    plans = html[html.index('data-testid="care-plans"') :]
    plans = plans[: plans.index("</section>")]
    assert f'href="{reverse("patient-detail", args=[patient.pk])}"' in plans
    assert f"{patient.last_name}, {patient.first_name}" in plans
    for testid in ("care-kx", "care-progress", "care-authorizations"):
        assert f'data-testid="{testid}"' in html


def test_another_clinics_data_never_appears(
    boss: Client, clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt)
    elsewhere = make_member(other_clinic, Role.THERAPIST, first_name="Zora", last_name="Far")
    theirs = patient_with_plan(other_clinic, ends_in=3)
    make_claim(other_clinic, elsewhere, theirs, necessity="")
    make_claim(other_clinic, elsewhere, theirs, necessity="", days_ago=2)

    html = page(boss)

    assert theirs.mrn not in html and theirs.last_name not in html
    assert "Zora Far" not in html
    assert 'data-testid="backlog-errors"' not in html  # their errors are not ours
    assert f'<tr data-rule="{MISSING}">' not in html


def test_the_period_filter_changes_the_numbers(boss: Client, clinic: Clinic, pt: Any) -> None:
    patient = patient_with_plan(clinic)
    make_claim(clinic, pt, patient, necessity="", days_ago=1)
    make_claim(clinic, pt, patient, necessity="", days_ago=45)
    recent = {"start": (TODAY - dt.timedelta(days=10)).isoformat(), "end": TODAY.isoformat()}

    def missing_total(html: str) -> str:
        row = html[html.index(f'<tr data-rule="{MISSING}">') :]
        return text_of(row[: row.index("</tr>")]).split()[-1]

    assert missing_total(page(boss)) == "2"
    html = page(boss, **recent)
    assert missing_total(html) == "1"
    assert f'value="{recent["start"]}"' in html  # the form shows the period in use
    label = text_of(section(html, "period-label"))
    assert f"{TODAY - dt.timedelta(days=10):%b} {(TODAY - dt.timedelta(days=10)).day}," in label


def test_the_default_period_is_this_month_and_the_six_before_it(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt)
    index = TODAY.year * 12 + TODAY.month - 1 - 6
    start = dt.date(index // 12, index % 12 + 1, 1)
    html = page(boss)
    assert f'name="start" value="{start.isoformat()}"' in html
    assert f'name="end" value="{TODAY.isoformat()}"' in html
    assert 'data-testid="period-errors"' not in html


@pytest.mark.parametrize(
    ("params", "message"),
    [
        pytest.param(
            {"start": "2026-05-01", "end": "2026-01-01"},
            "The period ends (Jan 1, 2026) before it starts (May 1, 2026)",
            id="an end before the start is refused",
        ),
        pytest.param(
            {"start": "2020-01-01", "end": "2026-01-01"},
            "Choose a period of at most 3 years",
            id="a span over three years is refused",
        ),
        pytest.param(
            {"start": "yesterday"}, "From: Enter a valid date.", id="a date that is not one"
        ),
        pytest.param(
            {"end": "2026-02-30"}, "To: Enter a valid date.", id="a day that does not exist"
        ),
        pytest.param(
            {"start": "9998-01-01", "end": "9999-12-31"},
            "From: Choose a date from 2000 to 2100.",
            id="a date past the calendar the app knows is refused",
        ),
    ],
)
def test_bad_dates_give_a_clear_message_and_the_usual_period(
    boss: Client, clinic: Clinic, pt: Any, params: dict[str, str], message: str
) -> None:
    make_claim(clinic, pt, necessity="")

    html = page(boss, **params)

    errors = text_of(section(html, "period-errors"))
    assert message in errors
    assert "The tiles show the usual period instead." in errors
    assert f'<tr data-rule="{MISSING}">' in html  # the tiles are still there


def test_the_claims_waiting_to_be_sent_are_the_ones_the_send_page_sends(
    boss: Client, clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    """Approved claims billed to a payer are counted; a self-pay visit (billed to the patient),
    a claim still in review, a voided one and another clinic's are not."""
    self_pay = make_payer("Pay At The Desk", kind="self_pay")
    counted = [make_claim(clinic, pt), make_claim(clinic, pt, payer_name="Demo Commercial PPO")]
    left_out = [
        make_claim(clinic, pt, payer_name=self_pay.name),
        make_claim(other_clinic, make_member(other_clinic, Role.THERAPIST)),
    ]
    Claim.objects.filter(pk__in=[c.pk for c in counted + left_out]).update(
        status=ClaimStatus.APPROVED
    )
    make_claim(clinic, pt)  # still needs review
    voided = make_claim(clinic, pt)
    Claim.objects.filter(pk=voided.pk).update(status=ClaimStatus.VOIDED)

    shown = text_of(section(page(boss), "to-send"))

    assert Claim.objects.ready_to_send().for_clinic(clinic).count() == 2  # the send page's list
    assert "2 approved claims waiting to be sent." in shown


def test_a_clinic_without_claims_sees_a_sentence_not_empty_charts(boss: Client) -> None:
    html = page(boss)
    assert "No claims yet." in section(html, "dashboard-empty")
    assert "<svg" not in html
    assert 'data-testid="review-counts"' in html and 'data-testid="to-send"' in html


def test_the_dashboard_costs_the_same_queries_for_few_or_many_claims(
    boss: Client,
    clinic: Clinic,
    pt: Any,
    pta: Any,
    django_assert_max_num_queries: Any,
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(boss)
        return len(captured)

    make_claim(clinic, pt, patient_with_plan(clinic, ends_in=5), necessity="")
    page(boss)  # the first request after the login saves the session's active clinic
    few = queries()
    for therapist in (pt, pta, pt, pta):
        make_claim(clinic, therapist, patient_with_plan(clinic, ends_in=5), necessity="")
        make_claim(clinic, therapist, rows=(("97110", 30), ("97140", 15)))
    assert Claim.objects.filter(clinic=clinic).count() == 9
    assert queries() == few
    # Session, user, its second factor and memberships; the reference-data banner; the tables'
    # stamp; the tiles (backlog 1, claim counts 3, flags 2, units 2); the care lists (patients 1,
    # plans 1, the facts builder's batch 5); the money tiles (clean rate, money by month, the
    # denial report's six, reasons by month, the worklist).
    with django_assert_max_num_queries(32):
        page(boss)


# ---- the therapist's panel ---------------------------------------------------------------------


def test_the_therapist_panel_costs_the_same_queries_for_few_or_many_sessions(
    client_for: Any, clinic: Clinic, pt: Any, owner: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    me = client_for(pt)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            page(me)
        return len(captured)

    def visits() -> None:
        claim = make_claim(clinic, pt, patient_with_plan(clinic, ends_in=5), necessity="")
        claim_return(claim=claim, user=owner, version=claim.version, comment="Fix it.")
        make_claim(clinic, pt, days_ago=0)

    visits()
    page(me)  # the first request after the login saves the session's active clinic
    few = queries()
    for _ in range(4):
        visits()
    assert queries() == few
    # Session, user and memberships; returned claims; sessions; the care lists' batch.
    with django_assert_max_num_queries(15):
        page(me)


def test_the_therapist_sees_their_returned_claim_with_the_comment(
    client_for: Any, clinic: Clinic, pt: Any, pta: Any, owner: Any
) -> None:
    mine = make_claim(clinic, pt, necessity="")
    claim_return(claim=mine, user=owner, version=mine.version, comment="Say why skill is needed.")
    theirs = make_claim(clinic, pta, necessity="")
    claim_return(claim=theirs, user=owner, version=theirs.version, comment="Ava: add the note.")

    html = page(client_for(pt))

    returned = html[html.index('data-testid="returned-claims"') :]
    returned = returned[: returned.index("</section>")]
    assert f'data-claim="{mine.pk}"' in returned
    assert "Say why skill is needed." in returned
    session = TreatmentSession.objects.get(claim=mine)
    assert f'href="{reverse("session-edit", args=[session.pk])}"' in returned
    assert f'data-claim="{theirs.pk}"' not in html
    assert "Ava: add the note." not in html


def test_the_therapist_has_a_new_session_button_and_sees_this_weeks_sessions(
    client_for: Any, clinic: Clinic, pt: Any, pta: Any
) -> None:
    today = make_claim(clinic, pt, days_ago=0).patient
    earlier = make_claim(clinic, pt, days_ago=3).patient
    old = make_claim(clinic, pt, days_ago=9).patient
    not_mine = make_claim(clinic, pta, days_ago=0).patient

    html = page(client_for(pt))

    assert f'href="{reverse("session-new")}" data-testid="new-session">New session</a>' in html
    recent = html[html.index('data-testid="recent-sessions"') :]
    recent = recent[: recent.index("</section>")]
    assert recent.index(today.last_name) < recent.index("Earlier") < recent.index(earlier.last_name)
    assert old.last_name not in recent
    assert not_mine.last_name not in html
    assert 'data-testid="owner-home"' not in html


def test_the_therapist_sees_progress_reports_and_plans_of_their_patients(
    client_for: Any, clinic: Clinic, pt: Any, pta: Any
) -> None:
    mine = patient_with_plan(clinic, ends_in=4)
    make_claim(clinic, pt, mine)
    theirs = patient_with_plan(clinic, ends_in=4)
    make_claim(clinic, pta, theirs)

    html = page(client_for(pt))

    plans = html[html.index('data-testid="care-plans"') :]
    plans = plans[: plans.index("</section>")]
    assert mine.last_name in plans and theirs.last_name not in plans
    assert 'data-testid="care-progress"' in html
    assert 'data-testid="care-kx"' not in html  # the owner's lists


def test_a_user_with_both_roles_sees_both_panels(client_for: Any, clinic: Clinic) -> None:
    user = make_member(clinic, Role.THERAPIST)
    make_member(clinic, Role.OWNER, user=user)
    make_claim(clinic, user)
    html = page(client_for(user))
    assert 'data-testid="therapist-home"' in html and 'data-testid="owner-home"' in html
    assert html.count('data-testid="care-plans"') == 2  # their patients, and the clinic's
