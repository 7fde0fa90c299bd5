"""The owner's review: the queue (filters, counts, order, bulk approve, export) and the claim
page (decisions, flags, line corrections, conflicts, read-only approved claims, history)."""

import csv
import datetime as dt
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimFlag, ClaimLine, ClaimStatus, FlagStatus, PlanOfCare
from claims.scrubbing import claim_scrub
from claims.services import ServiceRow, SessionInput, claim_create_from_session
from ptclinic.models import Clinic, Role
from tests.conftest import make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

NECESSITY = (
    "Skilled neuromuscular re-education needed: balance deficits after stroke put her at fall "
    "risk; therapist cues and progression are required to reach the plan's gait goals."
)
TODAY = timezone.localdate()


def make_plan(patient: Any, *, certified: bool = True) -> PlanOfCare:
    start = TODAY - dt.timedelta(days=20)
    return PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=start,
        cert_through=start + dt.timedelta(days=89),
        certified_on=start + dt.timedelta(days=2) if certified else None,
        certified_by_name="Dr. Rivera" if certified else "",
        certified_by_npi="1588667638" if certified else "",
        frequency="2x/week for 6 weeks",
        goals="Walk 500 m without pain.",
    )


def make_claim(
    clinic: Clinic,
    user: Any,
    patient: Any = None,
    *,
    necessity: str = NECESSITY,
    days_ago: int = 1,
    rows: tuple[tuple[str, int], ...] = (("97110", 30),),
    payer_name: str = "Medicare Part B",
    certified: bool = True,
) -> Claim:
    """A claim made the way the session page makes it. With a certified plan and a necessity
    statement it is clean; without the statement it has the error `necessity-missing`; with an
    uncertified plan it has the warning `poc-cert-pending`."""
    if patient is None:
        patient = make_patient(clinic, payer_name)
        make_plan(patient, certified=certified)
    data = SessionInput(
        patient=patient,
        therapist=membership(user, clinic),
        payer=patient.primary_payer,
        date_of_service=TODAY - dt.timedelta(days=days_ago),
        rows=tuple(ServiceRow(code, minutes) for code, minutes in rows),
        diagnoses=("M25.561",),
        subjective="Knee stiff in the morning.",
        objective="Knee flexion 95 degrees.",
        assessment="Improving.",
        plan="Continue 2x/week.",
        medical_necessity=necessity,
    )
    return claim_create_from_session(clinic=clinic, user=user, data=data)


def queue(client: Client, **params: Any) -> str:
    response = client.get(reverse("review-queue"), params)
    assert response.status_code == 200
    return response.content.decode()


def shown_ids(html: str) -> list[int]:
    """The claim ids of the queue's rows, in order."""
    import re

    return [int(pk) for pk in re.findall(r'<tr data-claim="(\d+)"', html)]


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


def detail(claim: Claim) -> str:
    return reverse("claim-detail", args=[claim.pk])


@pytest.fixture
def boss(client_for: Any, owner: Any) -> Client:
    return client_for(owner)


# ---- the queue ------------------------------------------------------------------------------


def test_the_queue_page_lists_the_claims_that_need_review(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    clean = make_claim(clinic, pt)
    flagged = make_claim(clinic, pt, necessity="")
    html = queue(boss)
    assert "<html" in html
    assert 'data-testid="queue-table"' in html
    assert sorted(shown_ids(html)) == sorted([clean.pk, flagged.pk])
    # The claim link leaves the queue: htmx must not swap the claim page into the table.
    assert f'href="{detail(clean)}" hx-boost="false"' in html
    assert "1 error</span>" in html
    assert "Pat Tee, PT" in html  # the therapist's display name
    assert clean.patient.mrn in html
    assert ">Review queue<" in html  # the navbar entry


def test_the_htmx_request_gets_only_the_table(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    response = boss.get(reverse("review-queue"), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert shown_ids(html) == [claim.pk]
    assert "HX-Request" in response["Vary"]


def test_a_history_restore_gets_the_full_page(boss: Client, clinic: Clinic, pt: Any) -> None:
    make_claim(clinic, pt)
    response = boss.get(
        reverse("review-queue"), HTTP_HX_REQUEST="true", HTTP_HX_HISTORY_RESTORE_REQUEST="true"
    )
    assert "<html" in response.content.decode()


def test_an_empty_queue_says_all_caught_up(boss: Client) -> None:
    html = queue(boss)
    assert "Nothing to review — all caught up" in html
    assert 'data-testid="queue-table"' not in html


def test_filters_that_match_nothing_say_so(boss: Client, clinic: Clinic, pt: Any) -> None:
    make_claim(clinic, pt)
    html = queue(boss, severity="errors")
    assert "No claims match these filters" in html
    assert "all caught up" not in html


def test_the_status_filter_defaults_to_needs_review(boss: Client, clinic: Clinic, pt: Any) -> None:
    waiting = make_claim(clinic, pt)
    approved = make_claim(clinic, pt)
    Claim.objects.filter(pk=approved.pk).update(status=ClaimStatus.APPROVED)
    returned = make_claim(clinic, pt)
    Claim.objects.filter(pk=returned.pk).update(status=ClaimStatus.RETURNED)

    assert shown_ids(queue(boss)) == [waiting.pk]
    approved_page = queue(boss, status="approved")
    assert shown_ids(approved_page) == [approved.pk]
    assert (
        "Approve selected" not in approved_page and 'aria-label="Select claim' not in approved_page
    )
    assert "Approve selected" in queue(boss)
    assert shown_ids(queue(boss, status="returned")) == [returned.pk]
    assert sorted(shown_ids(queue(boss, status=""))) == sorted(
        [waiting.pk, approved.pk, returned.pk]
    )


def test_the_rule_filter_keeps_claims_with_an_open_flag_of_that_rule(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    missing = make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt)
    settled = make_claim(clinic, pt, necessity="")
    settled.flags.update(status=FlagStatus.WAIVED)

    assert shown_ids(queue(boss, rule="necessity-missing")) == [missing.pk]


def test_the_severity_filter_separates_errors_warnings_and_clean(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    error = make_claim(clinic, pt, necessity="")
    warning = make_claim(clinic, pt, certified=False)
    clean = make_claim(clinic, pt)
    assert warning.open_errors == 0 and warning.open_warnings == 1

    assert shown_ids(queue(boss, severity="errors")) == [error.pk]
    assert shown_ids(queue(boss, severity="warnings")) == [warning.pk]
    assert shown_ids(queue(boss, severity="clean")) == [clean.pk]


def test_the_therapist_filter(boss: Client, clinic: Clinic, pt: Any, pta: Any) -> None:
    mine = make_claim(clinic, pt)
    theirs = make_claim(clinic, pta)
    html = queue(boss, therapist=membership(pta, clinic).pk)
    assert shown_ids(html) == [theirs.pk]
    assert mine.pk not in shown_ids(html)
    assert ">Ava Ay, PTA</option>" in html


def test_the_payer_filter(boss: Client, clinic: Clinic, pt: Any) -> None:
    medicare = make_claim(clinic, pt)
    commercial = make_claim(clinic, pt, payer_name="Demo Commercial PPO")
    assert shown_ids(queue(boss, payer=commercial.payer_id)) == [commercial.pk]
    assert shown_ids(queue(boss, payer=medicare.payer_id)) == [medicare.pk]


def test_the_date_of_service_range_filter(boss: Client, clinic: Clinic, pt: Any) -> None:
    old = make_claim(clinic, pt, days_ago=10)
    middle = make_claim(clinic, pt, days_ago=5)
    recent = make_claim(clinic, pt, days_ago=1)
    day = lambda n: (TODAY - dt.timedelta(days=n)).isoformat()  # noqa: E731

    assert shown_ids(queue(boss, date_from=day(6), date_to=day(2))) == [middle.pk]
    assert shown_ids(queue(boss, date_from=day(5))) == [middle.pk, recent.pk]
    assert shown_ids(queue(boss, date_to=day(5))) == [old.pk, middle.pk]


def patient_claim(clinic: Clinic, user: Any, **names: str) -> Claim:
    """A clean claim for a new patient of `clinic` with the given names (and MRN)."""
    patient = make_patient(clinic, **names)
    make_plan(patient)
    return make_claim(clinic, user, patient)


def test_the_patient_search_finds_claims_by_last_name_or_mrn(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    adler = patient_claim(clinic, pt, first_name="Ruth", last_name="Adler", mrn="RB-1001")
    zimmer = patient_claim(clinic, pt, first_name="Bob", last_name="Zimmer", mrn="RB-2002")
    html = queue(boss)
    assert '<label for="id_q" class="form-label small mb-0">Patient: name or MRN</label>' in html
    assert shown_ids(queue(boss, q="adler")) == [adler.pk]
    assert shown_ids(queue(boss, q="  ADL ")) == [adler.pk]
    assert shown_ids(queue(boss, q="RB-2002")) == [zimmer.pk]
    assert shown_ids(queue(boss, q="rb-2")) == [zimmer.pk]
    assert sorted(shown_ids(queue(boss, q=""))) == sorted([adler.pk, zimmer.pk])
    nobody = queue(boss, q="Nobody")
    assert shown_ids(nobody) == []
    assert "No claims match these filters" in nobody


def test_the_patient_search_never_shows_another_clinics_patient(
    boss: Client, clinic: Clinic, other_clinic: Clinic, pt: Any
) -> None:
    mine = patient_claim(clinic, pt, first_name="Ruth", last_name="Adler", mrn="SAME-1")
    elsewhere = make_member(other_clinic, Role.THERAPIST, credential="PT")
    theirs = patient_claim(
        other_clinic, elsewhere, first_name="Ruth", last_name="Adler", mrn="SAME-1"
    )
    for q in ("Adler", "SAME-1", "Ruth Adler"):
        ids = shown_ids(queue(boss, q=q, status=""))
        assert ids == [mine.pk] and theirs.pk not in ids


def test_the_patient_search_keeps_the_other_filters_the_sort_and_the_pages(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    adler = make_patient(clinic, first_name="Ruth", last_name="Adler")
    make_plan(adler)
    visits = [make_claim(clinic, pt, adler, days_ago=n + 1) for n in range(26)]
    flagged = make_claim(clinic, pt, adler, necessity="", days_ago=30)
    zimmer = patient_claim(clinic, pt, first_name="Bob", last_name="Zimmer")

    first = queue(boss, q="adler")
    assert len(shown_ids(first)) == 25 and zimmer.pk not in shown_ids(first)
    assert 'href="?q=adler&amp;page=2"' in first  # the page links keep the search
    assert 'href="?q=adler&amp;sort=patient"' in first  # and so do the sort links
    assert len(shown_ids(queue(boss, q="adler", page=2))) == 2
    assert flagged.pk in shown_ids(queue(boss, q="adler", severity="errors"))
    assert shown_ids(queue(boss, q="zimmer", severity="errors")) == []
    day = (TODAY - dt.timedelta(days=3)).isoformat()
    assert shown_ids(queue(boss, q="adler", date_from=day, date_to=day)) == [visits[2].pk]
    oldest_first = shown_ids(queue(boss, q="adler", sort="date_of_service"))
    assert oldest_first[:2] == [flagged.pk, visits[-1].pk]
    partial = boss.get(reverse("review-queue"), {"q": "adler"}, HTTP_HX_REQUEST="true")
    assert "<html" not in partial.content.decode()
    assert 'value="adler"' in partial.content.decode()


def test_the_csv_export_keeps_the_patient_search(boss: Client, clinic: Clinic, pt: Any) -> None:
    adler = patient_claim(clinic, pt, first_name="Ruth", last_name="Adler")
    zimmer = patient_claim(clinic, pt, first_name="Bob", last_name="Zimmer")
    for claim in (adler, zimmer):
        boss.post(reverse("claim-approve", args=[claim.pk]), {"version": claim.version})
    page = queue(boss, q="adler", status="approved")
    assert f'href="{reverse("review-export")}?q=adler"' in page
    response = boss.get(reverse("review-export"), {"q": "adler"})
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert {r[0] for r in rows[1:]} == {str(adler.pk)}


def test_the_patient_search_adds_one_subquery_and_no_query(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(3):
        patient_claim(clinic, pt, first_name="Ruth", last_name="Adler")
    queue(boss)  # the first request stores the active clinic in the session (a write)
    with CaptureQueriesContext(connection) as plain:
        queue(boss, q="")
    with CaptureQueriesContext(connection) as searched:
        assert len(shown_ids(queue(boss, q="adler"))) == 3
    # The search is a subquery of the queries the page makes anyway, not a query of its own.
    assert len(searched.captured_queries) == len(plain.captured_queries)


def test_every_row_box_names_its_claim_and_patient(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = patient_claim(clinic, pt, first_name="Ruth", last_name="Adler")
    html = queue(boss)
    assert f'aria-label="Select claim {claim.pk} for Adler, Ruth"' in html
    assert 'data-select-all="bulk-approve" aria-label="Select all claims on this page"' in html
    assert 'role="status" aria-live="polite" data-selection-count' in html
    assert '<button class="btn btn-success btn-sm" type="submit" data-bulk-action' in html


def test_a_bad_filter_value_is_shown_and_ignored(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    html = queue(boss, date_from="not-a-date")
    assert shown_ids(html) == [claim.pk]
    assert "Enter a valid date" in html


def test_rule_counts_count_the_filtered_claims_and_link_to_the_rule(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    first = make_claim(clinic, pt, necessity="")
    second = make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, certified=False)
    make_claim(clinic, pt)
    html = queue(boss)
    assert "No statement of medical necessity · 2" in html
    assert "Plan not yet certified · 1" in html
    # The severity is said in a word with an icon, not by the button's colour alone.
    assert (
        '<span aria-hidden="true">✕</span> Error:</span> No statement of medical necessity · 2'
        in html
    )
    assert '<span aria-hidden="true">!</span> Warning:</span> Plan not yet certified · 1' in html

    link = reverse("review-queue") + "?rule=necessity-missing"
    assert f'href="{link}"' in html
    assert sorted(shown_ids(queue(boss, rule="necessity-missing"))) == [first.pk, second.pk]

    # Counts follow the filters: the approved claims have no open flags of their own.
    assert 'data-testid="rule-counts"' not in queue(boss, status="approved")
    counts = queue(boss, severity="warnings")
    assert "Plan not yet certified · 1" in counts and "medical necessity ·" not in counts


def test_the_default_order_is_errors_first_then_the_oldest_visit(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    clean_old = make_claim(clinic, pt, days_ago=9)
    error_new = make_claim(clinic, pt, necessity="", days_ago=2)
    clean_new = make_claim(clinic, pt, days_ago=1)
    error_old = make_claim(clinic, pt, necessity="", days_ago=5)
    assert shown_ids(queue(boss)) == [error_old.pk, error_new.pk, clean_old.pk, clean_new.pk]


def test_sorting_by_a_column_keeps_the_filters(boss: Client, clinic: Clinic, pt: Any) -> None:
    old = make_claim(clinic, pt, days_ago=9)
    new = make_claim(clinic, pt, days_ago=1)
    html = queue(boss, sort="-date_of_service", status="needs_review")
    assert shown_ids(html) == [new.pk, old.pk]
    assert "sort=date_of_service" in html and "status=needs_review" in html


def test_the_queue_has_25_rows_a_page(boss: Client, clinic: Clinic, pt: Any) -> None:
    patient = make_patient(clinic)
    make_plan(patient)
    for n in range(26):
        make_claim(clinic, pt, patient, days_ago=n + 1)
    assert len(shown_ids(queue(boss))) == 25
    assert len(shown_ids(queue(boss, page=2))) == 1
    assert "page=2" in queue(boss)


def test_the_queue_query_count_does_not_grow_with_rows(
    boss: Client, clinic: Clinic, pt: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            html = queue(boss, status="")
        assert 'data-testid="queue-table"' in html
        return len(ctx.captured_queries)

    for n in range(3):
        make_claim(clinic, pt, necessity="" if n % 2 else NECESSITY)
    queue(boss)  # the first request stores the active clinic in the session (a write)
    three = count_queries()
    for n in range(7):
        make_claim(clinic, pt, necessity="" if n % 2 else NECESSITY, certified=n % 3 != 0)
    assert count_queries() == three
    with django_assert_max_num_queries(12):
        queue(boss, status="")


# ---- who may see what -----------------------------------------------------------------------


def action_urls(claim: Claim) -> list[str]:
    line = claim.lines.first()
    flag = claim.flags.first()
    assert line is not None and flag is not None
    return [
        reverse("claim-approve", args=[claim.pk]),
        reverse("claim-return", args=[claim.pk]),
        reverse("claim-rescrub", args=[claim.pk]),
        reverse("claim-line-edit", args=[claim.pk, line.pk]),
        reverse("flag-settle", args=[claim.pk, flag.pk]),
        reverse("review-bulk-approve"),
    ]


def test_a_therapist_may_not_review(client_for: Any, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, necessity="")
    therapist = client_for(pt)
    assert therapist.get(reverse("review-queue")).status_code == 403
    assert therapist.get(reverse("review-export")).status_code == 403
    assert therapist.get(detail(claim)).status_code == 403
    for url in action_urls(claim):
        response = therapist.post(
            url, {"version": claim.version, "comment": "x", "note": "x", "claim": [claim.pk]}
        )
        assert response.status_code == 403, url
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW and claim.version == 1


def test_another_clinics_claim_is_not_found(
    boss: Client, clinic: Clinic, other_clinic: Clinic
) -> None:
    stranger = make_member(other_clinic, Role.THERAPIST)
    claim = make_claim(other_clinic, stranger, necessity="")
    assert boss.get(detail(claim)).status_code == 404
    for url in action_urls(claim)[:-1]:
        response = boss.post(url, {"version": 1, "comment": "x", "note": "x", "reason": "x"})
        assert response.status_code == 404, url
    assert claim.pk not in shown_ids(queue(boss, status=""))

    boss.post(reverse("review-bulk-approve"), {"claim": [claim.pk]})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


def test_the_review_pages_only_answer_their_methods(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    assert boss.post(reverse("review-queue")).status_code == 405
    assert boss.get(reverse("claim-approve", args=[claim.pk])).status_code == 405


# ---- the claim page -------------------------------------------------------------------------


def test_the_claim_page_shows_the_claim_in_full(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, necessity="", rows=(("97112", 24), ("97110", 23)))
    html = boss.get(detail(claim)).content.decode()
    patient = claim.patient
    assert patient.full_name in html and patient.mrn in html
    assert patient.date_of_birth.strftime("%b") in html
    assert "Medicare Part B" in html
    assert f"version {claim.version}" in html
    assert 'data-line="97112"' in html and 'data-line="97110"' in html
    assert "M25.561" in html and "knee" in html.lower()  # the diagnosis with its title
    assert "Knee flexion 95 degrees." in html
    assert "No statement of medical necessity." in html
    assert "Timed minutes 47" in html
    for step in claim.explanation:
        assert step["text"][:30].replace("'", "&#x27;") in html
    flag = claim.flags.get(rule_id="necessity-missing")
    assert flag.message.replace("'", "&#x27;")[:40] in html
    assert f'href="{reverse("rule-list")}#necessity-missing"' in html  # "Why?", not a section
    assert reverse("flag-settle", args=[claim.pk, flag.pk]) in html
    assert "Approve anyway" in html
    assert reverse("claim-return", args=[claim.pk]) in html


def test_a_line_changed_from_the_suggestion_shows_both(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt)
    ClaimLine.objects.filter(claim=claim).update(
        units=1, change_reason="Patient rested for ten minutes."
    )
    html = boss.get(detail(claim)).content.decode()
    assert "suggested <strong>2 × GP</strong>" in html
    assert "Patient rested for ten minutes." in html


def test_approving_is_blocked_while_errors_are_open(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, necessity="")
    response = boss.post(reverse("claim-approve", args=[claim.pk]), {"version": claim.version})
    assert response.status_code == 200
    assert "1 unresolved error(s)" in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW and claim.version == 1


def test_approving_with_errors_and_a_reason_is_kept_and_shown(
    boss: Client, owner: Any, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    reason = "Necessity documented in the scanned evaluation; payer accepts it."
    response = boss.post(
        reverse("claim-approve", args=[claim.pk]),
        {"version": claim.version, "override_reason": reason},
    )
    assert response.status_code == 302 and response["Location"] == detail(claim)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    assert claim.override_reason == reason and claim.decided_by == owner
    page = boss.get(detail(claim))
    html = page.content.decode()
    assert "approved with open errors" in " ".join(messages_of(page)).lower()
    assert reason in html and "Olive Owner" in html


def test_approving_a_clean_claim(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    html = boss.get(detail(claim)).content.decode()
    assert ">Approve</button>" in html and "Approve anyway" not in html
    response = boss.post(
        reverse("claim-approve", args=[claim.pk]), {"version": claim.version}, follow=True
    )
    assert f"Claim #{claim.pk} approved." in messages_of(response)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED and claim.version == 2


def test_returning_with_a_comment_shows_it_on_my_sessions(
    boss: Client, client_for: Any, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    comment = "Add why this visit needed a therapist: balance, fall risk, cues."
    response = boss.post(
        reverse("claim-return", args=[claim.pk]), {"version": claim.version, "comment": comment}
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.RETURNED and claim.return_comment == comment

    sessions = client_for(pt).get(reverse("session-list")).content.decode()
    assert "Returned to therapist" in sessions and comment in sessions
    assert "Fix and resubmit" in sessions
    assert "Waiting for the therapist" in boss.get(detail(claim)).content.decode()


def test_returning_needs_a_comment(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, necessity="")
    response = boss.post(
        reverse("claim-return", args=[claim.pk]), {"version": claim.version, "comment": "  "}
    )
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW


@pytest.mark.parametrize(("action", "status"), [("resolve", "resolved"), ("waive", "waived")])
def test_settling_a_flag_with_a_note_updates_the_counts(
    boss: Client, owner: Any, clinic: Clinic, pt: Any, action: str, status: str
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    flag = claim.flags.get(rule_id="necessity-missing")
    response = boss.post(
        reverse("flag-settle", args=[claim.pk, flag.pk]),
        {
            "version": claim.version,
            "note": "Statement is in the evaluation note.",
            "action": action,
        },
        follow=True,
    )
    assert f"Flag “No statement of medical necessity” {status}." in messages_of(response)
    flag.refresh_from_db()
    claim.refresh_from_db()
    assert flag.status == status and flag.resolved_by == owner
    assert flag.resolution_note == "Statement is in the evaluation note."
    assert claim.open_errors == 0
    html = response.content.decode()
    assert "Statement is in the evaluation note." in html
    assert ">Approve</button>" in html
    assert shown_ids(queue(boss, severity="clean")) == [claim.pk]


def test_settling_a_flag_needs_a_note(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, necessity="")
    flag = claim.flags.get()
    response = boss.post(
        reverse("flag-settle", args=[claim.pk, flag.pk]),
        {"version": claim.version, "note": "", "action": "waive"},
    )
    assert response.status_code == 200
    assert "is-invalid" in response.content.decode()
    flag.refresh_from_db()
    assert flag.status == FlagStatus.OPEN


def test_a_line_edit_rescrubs_and_keeps_the_reason_in_history(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt)
    line = claim.lines.get()
    assert (line.units, line.modifiers) == (2, ["GP"])
    reason = "Only 20 minutes were one-on-one; the rest was rest time."
    response = boss.post(
        reverse("claim-line-edit", args=[claim.pk, line.pk]),
        {"version": claim.version, "units": "3", "modifiers": "gp", "reason": reason},
        follow=True,
    )
    assert "Re-scrubbed" in " ".join(messages_of(response))
    line.refresh_from_db()
    claim.refresh_from_db()
    assert (line.units, line.modifiers, line.change_reason) == (3, ["GP"], reason)
    assert claim.total_units == 3
    # 30 minutes support 2 units: the scrubber now says so.
    assert claim.flags.filter(rule_id="units-unsupported", status=FlagStatus.OPEN).exists()
    assert claim.open_errors >= 1
    assert reason[:40] in (line.history.first().history_change_reason or "")
    html = response.content.decode()
    assert "suggested <strong>2 × GP</strong>" in html and reason in html
    assert 'Units: <span class="text-body-secondary">2</span> → 3' in html


def test_a_line_edit_with_bad_modifiers_comes_back_with_the_error(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt)
    line = claim.lines.get()
    response = boss.post(
        reverse("claim-line-edit", args=[claim.pk, line.pk]),
        {"version": claim.version, "units": "2", "modifiers": "GP GPX", "reason": "typo"},
    )
    assert response.status_code == 200
    assert "“GPX” is not a modifier" in response.content.decode()
    line.refresh_from_db()
    assert line.modifiers == ["GP"]


@pytest.mark.parametrize("action", ["approve", "return", "settle", "line"])
def test_a_stale_page_gets_a_conflict_message_and_changes_nothing(
    boss: Client, clinic: Clinic, pt: Any, action: str
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    # Someone else waived the flag in the meantime: the claim is now version 2.
    Claim.objects.filter(pk=claim.pk).update(version=2)
    flag, line = claim.flags.get(), claim.lines.get()
    url, data = {
        "approve": ("claim-approve", {"override_reason": "ok"}),
        "return": ("claim-return", {"comment": "Fix it"}),
        "settle": ("flag-settle", {"note": "fine", "action": "waive"}),
        "line": ("claim-line-edit", {"units": "1", "modifiers": "GP", "reason": "x"}),
    }[action]
    args = {"settle": [claim.pk, flag.pk], "line": [claim.pk, line.pk]}.get(action, [claim.pk])
    response = boss.post(reverse(url, args=args), {"version": 1, **data})
    assert response.status_code == 302 and response["Location"] == detail(claim)
    page = boss.get(detail(claim))
    assert any("changed by someone else" in m for m in messages_of(page))
    claim.refresh_from_db()
    flag.refresh_from_db()
    line.refresh_from_db()
    assert (claim.status, claim.version) == (ClaimStatus.NEEDS_REVIEW, 2)
    assert flag.status == FlagStatus.OPEN and line.units == 2


def test_a_flag_replaced_by_a_rescrub_gets_a_conflict_message(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    old_flag = claim.flags.get()
    # A re-scrub (someone else's, or a resubmission) deletes the open flags and makes new ones.
    ClaimFlag.objects.filter(pk=old_flag.pk).delete()
    make_claim(clinic, pt, claim.patient, necessity="", days_ago=3)  # takes the freed id
    claim_scrub(claim=claim)
    response = boss.post(
        reverse("flag-settle", args=[claim.pk, old_flag.pk]),
        {"version": claim.version, "note": "fine", "action": "waive"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == detail(claim)
    assert any("changed by someone else" in m for m in messages_of(response))
    assert claim.flags.get().status == FlagStatus.OPEN
    assert not ClaimFlag.objects.filter(status=FlagStatus.WAIVED).exists()


def test_an_approved_claim_is_read_only(boss: Client, owner: Any, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt, certified=False)
    boss.post(reverse("claim-approve", args=[claim.pk]), {"version": claim.version})
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED
    version = claim.version

    html = boss.get(detail(claim)).content.decode()
    assert "Approved</strong> by Olive Owner" in html
    for name in ("claim-approve", "claim-return", "claim-rescrub"):
        assert reverse(name, args=[claim.pk]) not in html
    assert "Correct a line" not in html and "Resolve</button>" not in html

    flag, line = claim.flags.get(), claim.lines.get()
    posts = [
        ("claim-approve", [claim.pk], {}),
        ("claim-return", [claim.pk], {"comment": "Fix it"}),
        ("flag-settle", [claim.pk, flag.pk], {"note": "fine", "action": "waive"}),
        ("claim-line-edit", [claim.pk, line.pk], {"units": "1", "modifiers": "GP", "reason": "x"}),
    ]
    for name, args, data in posts:
        response = boss.post(reverse(name, args=args), {"version": version, **data})
        assert response.status_code == 200, name
        assert messages_of(response), name
    response = boss.post(reverse("claim-rescrub", args=[claim.pk]), follow=True)
    assert "approved and can no longer be changed" in " ".join(messages_of(response))

    claim.refresh_from_db()
    flag.refresh_from_db()
    line.refresh_from_db()
    assert (claim.status, claim.version, claim.return_comment) == ("approved", version, "")
    assert flag.status == FlagStatus.OPEN and line.units == 2


def test_rescrubbing_after_the_plan_is_certified_clears_the_flag(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt, certified=False)
    assert claim.flags.get().rule_id == "poc-cert-pending"
    PlanOfCare.objects.filter(patient=claim.patient).update(
        certified_on=TODAY - dt.timedelta(days=15),
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
    )
    response = boss.post(reverse("claim-rescrub", args=[claim.pk]), follow=True)
    assert "0 open errors, 0 warnings" in " ".join(messages_of(response))
    claim.refresh_from_db()
    assert claim.open_warnings == 0
    assert not claim.flags.filter(status=FlagStatus.OPEN).exists()


# ---- bulk approve and export ----------------------------------------------------------------


def test_bulk_approve_approves_only_clean_claims_that_need_review(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    clean = make_claim(clinic, pt)
    warned = make_claim(clinic, pt, certified=False)
    flagged = make_claim(clinic, pt, necessity="")
    returned = make_claim(clinic, pt)
    Claim.objects.filter(pk=returned.pk).update(status=ClaimStatus.RETURNED)
    html = queue(boss)
    assert (
        f'value="{flagged.pk}" form="bulk-approve" '
        f'aria-label="Select claim {flagged.pk} for {flagged.patient.last_name}, '
        f'{flagged.patient.first_name}" disabled' in html
    )

    next_url = reverse("review-queue") + "?payer="
    response = boss.post(
        reverse("review-bulk-approve"),
        {"claim": [clean.pk, warned.pk, flagged.pk, returned.pk], "next": next_url},
    )
    assert response.status_code == 302 and response["Location"] == next_url
    statuses = dict(Claim.objects.values_list("pk", "status"))
    assert statuses == {
        clean.pk: ClaimStatus.APPROVED,
        warned.pk: ClaimStatus.APPROVED,
        flagged.pk: ClaimStatus.NEEDS_REVIEW,
        returned.pk: ClaimStatus.RETURNED,
    }
    page = boss.get(next_url)
    assert "Approved 2; skipped 2 (errors or already decided)." in messages_of(page)


def test_bulk_approve_refuses_an_outside_next_url(boss: Client, clinic: Clinic, pt: Any) -> None:
    claim = make_claim(clinic, pt)
    response = boss.post(
        reverse("review-bulk-approve"), {"claim": [claim.pk], "next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("review-queue")


def test_the_csv_export_has_a_row_per_line_of_the_approved_claims(
    boss: Client, client_for: Any, clinic: Clinic, pt: Any
) -> None:
    approved = make_claim(clinic, pt, rows=(("97112", 24), ("97110", 23)))
    approved.patient.member_id = "1EG4-TE5-MK72"
    approved.patient.save()
    boss.post(reverse("claim-approve", args=[approved.pk]), {"version": approved.version})
    make_claim(clinic, pt)  # needs review: not exported
    other = make_claim(clinic, pt, payer_name="Demo Commercial PPO")
    boss.post(reverse("claim-approve", args=[other.pk]), {"version": other.version})

    response = boss.get(reverse("review-export"), {"payer": approved.payer_id})
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="approved-claims-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["Claim", "Date of service", "Patient"]
    patient = approved.patient
    assert [r[8] for r in rows[1:]] == ["97112", "97110"]
    first = rows[1]
    assert first[0] == str(approved.pk)
    assert first[1] == approved.date_of_service.isoformat()
    assert first[2:6] == [patient.full_name, patient.mrn, "Medicare Part B", "1EG4-TE5-MK72"]
    assert first[6] == "Pat Tee, PT"
    assert first[9:12] == ["GP", "2", "M25.561"]
    line = approved.lines.get(billing_code_id="97112")
    assert first[12] == f"{line.expected_amount:.2f}"

    everything = boss.get(reverse("review-export"), {"status": "needs_review"})
    all_rows = list(csv.reader(io.StringIO(b"".join(everything.streaming_content).decode())))
    assert {r[0] for r in all_rows[1:]} == {str(approved.pk), str(other.pk)}


# ---- history --------------------------------------------------------------------------------


def session_post(claim: Claim, **extra: Any) -> dict[str, Any]:
    """The session page's POST for the claim's session, as the therapist sends it."""
    session = claim.sessions.get()
    services = list(session.services.all())
    data: dict[str, Any] = {
        "patient": session.patient_id,
        "date_of_service": session.date_of_service.isoformat(),
        "payer": "",
        "therapist": session.therapist_id,
        "code": [s.billing_code_id for s in services],
        "minutes": [str(s.minutes) for s in services],
        "pta_minutes": ["" for _ in services],
        "pointers": ["" for _ in services],
        "dx": list(session.diagnoses),
        "subjective": session.subjective,
        "objective": session.objective,
        "assessment": session.assessment,
        "plan": session.plan,
        "medical_necessity": session.medical_necessity,
        "action": "save",
    }
    data.update(extra)
    return data


def test_the_timeline_shows_who_what_and_why_after_a_return_and_a_resubmit(
    boss: Client, client_for: Any, clinic: Clinic, pt: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    comment = "Write the medical necessity statement."
    boss.post(
        reverse("claim-return", args=[claim.pk]), {"version": claim.version, "comment": comment}
    )
    therapist = client_for(pt)
    response = therapist.post(
        reverse("session-edit", args=[claim.sessions.get().pk]),
        session_post(claim, medical_necessity=NECESSITY),
    )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.NEEDS_REVIEW and claim.open_errors == 0

    page = boss.get(detail(claim)).content.decode()
    timeline = page[page.index('data-testid="timeline"') :]
    # Newest first: the therapist's resubmission, then the owner's return.
    resubmitted = timeline.index("Edited and resubmitted by the therapist")
    returned = timeline.index(f"Returned: {comment}")
    assert resubmitted < returned
    assert timeline.index("Pat Tee") < resubmitted
    assert "Olive Owner" in timeline[resubmitted:returned]
    assert "Returned to therapist</span> → Needs review" in timeline
    assert "Needs review</span> → Returned to therapist" in timeline
    assert "Flag “No statement of medical necessity”" in timeline
    assert 'Open errors: <span class="text-body-secondary">1</span> → 0' in timeline


def test_the_claim_page_query_count_does_not_grow_with_its_history(
    boss: Client, clinic: Clinic, pt: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count_queries() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert boss.get(detail(claim)).status_code == 200
        return len(ctx.captured_queries)

    claim = make_claim(clinic, pt, necessity="", rows=(("97112", 24), ("97110", 23)))
    boss.get(reverse("review-queue"))  # the first request stores the active clinic (a write)
    fresh = count_queries()
    line = claim.lines.first()
    for units in (1, 2, 1):
        claim.refresh_from_db()
        data = {"version": claim.version, "units": units, "modifiers": "GP", "reason": "r"}
        response = boss.post(reverse("claim-line-edit", args=[claim.pk, line.pk]), data)
        assert response.status_code == 302
    assert line.history.count() == 4
    assert count_queries() == fresh
    # 18: one is the staff banner's check of what reference data is loaded, one the claim's
    # life events (sent, accepted, corrected), one the session's second factor.
    with django_assert_max_num_queries(18):
        boss.get(detail(claim))


# ---- home -----------------------------------------------------------------------------------


def test_the_owner_home_counts_the_claims_to_review(
    boss: Client, client_for: Any, clinic: Clinic, pt: Any
) -> None:
    make_claim(clinic, pt)
    make_claim(clinic, pt, necessity="")
    make_claim(clinic, pt, necessity="")
    html = boss.get(reverse("home")).content.decode()
    counts = html[html.index('data-testid="review-counts"') :]
    assert '<span class="fs-4 fw-semibold">3</span> claims need review' in counts
    assert "2</span> with errors" in counts
    assert f'href="{reverse("review-queue")}?severity=errors"' in counts
    assert 'data-testid="review-counts"' not in client_for(pt).get(reverse("home")).content.decode()
