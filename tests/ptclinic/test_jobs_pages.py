"""The jobs pages: the list and a job's page, as an owner, a clinic admin and the platform admin
see them, and the review queue's re-scrub button that lands on a job's page."""

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ptclinic.models import Clinic, Job, JobStatus, Role
from tests.conftest import make_member

HTMX = {"HTTP_HX_REQUEST": "true"}


def make_job(
    clinic: Clinic | None,
    *,
    started_by: Any = None,
    status: str = JobStatus.DONE,
    kind: str = "rescrub_open",
    done: int = 0,
    total: int | None = None,
    message: str = "",
    **fields: Any,
) -> Job:
    now = timezone.now()
    finished = status in (JobStatus.DONE, JobStatus.FAILED)
    return Job.objects.create(
        kind=kind,
        clinic=clinic,
        started_by=started_by,
        status=status,
        progress_done=done,
        progress_total=total,
        message=message,
        attempts=0 if status == JobStatus.QUEUED else 1,
        started_at=None if status == JobStatus.QUEUED else now - dt.timedelta(seconds=12),
        finished_at=now if finished else None,
        **fields,
    )


@pytest.fixture
def boss(client_for: Any, owner: Any) -> Client:
    return client_for(owner)


def _page(client: Client, url: str, data: dict[str, Any] | None = None, **extra: Any) -> str:
    response = client.get(url, data, **extra)
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# ---- the list -------------------------------------------------------------------------------


def test_the_list_shows_who_started_each_job_its_status_progress_and_message(
    boss: Client, clinic: Clinic, owner: Any
) -> None:
    done = make_job(
        clinic, started_by=owner, done=3, total=3, message="Re-scrubbed 3 open claims in 0.2 s."
    )
    running = make_job(None, status=JobStatus.RUNNING, done=40, total=100)
    Job.objects.filter(pk=running.pk).update(clinic=clinic)
    page = _page(boss, reverse("jobs"))
    assert page.count('data-testid="job-row"') == 2
    assert "Olive Owner" in page and "the schedule" in page
    assert "Re-scrubbed 3 open claims in 0.2 s." in page
    assert ">Done<" in page and ">Running<" in page
    assert f'href="{reverse("job-detail", args=[done.pk])}"' in page
    # Only the active job has a bar, with its value for assistive technology.
    assert page.count('role="progressbar"') == 1
    assert 'aria-valuenow="40"' in page and 'aria-valuemax="100"' in page
    assert "40 of 100" in page
    assert "Clinic</th>" not in page  # an owner sees one clinic: no column for it


def test_the_rows_refresh_every_two_seconds_only_while_a_job_is_active(
    boss: Client, clinic: Clinic, owner: Any
) -> None:
    job = make_job(clinic, started_by=owner, status=JobStatus.RUNNING, done=1, total=4)
    page = _page(boss, reverse("jobs"))
    assert 'hx-trigger="every 2s"' in page

    partial = _page(boss, reverse("jobs"), **HTMX)
    assert partial.lstrip().startswith("<tbody") and "<html" not in partial
    assert 'hx-trigger="every 2s"' in partial and "1 of 4" in partial

    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE, progress_done=4, message="Re-scrubbed 4 open claims in 1.0 s."
    )
    partial = _page(boss, reverse("jobs"), **HTMX)
    assert "hx-trigger" not in partial  # the swapped-in rows poll no more
    assert "Re-scrubbed 4 open claims in 1.0 s." in partial
    assert "hx-trigger" not in _page(boss, reverse("jobs"))


def test_the_polled_rows_keep_the_filters_and_the_page(boss: Client, clinic: Clinic) -> None:
    make_job(clinic, status=JobStatus.RUNNING)
    page = _page(boss, reverse("jobs"), {"status": "running"})
    assert f'hx-get="{reverse("jobs")}?status=running"' in page


@pytest.mark.parametrize("header", ["HTTP_HX_HISTORY_RESTORE_REQUEST", "HTTP_HX_BOOSTED"])
def test_a_history_restore_or_a_boosted_link_gets_the_whole_page(
    boss: Client, clinic: Clinic, header: str
) -> None:
    job = make_job(clinic)
    for url in (reverse("jobs"), reverse("job-detail", args=[job.pk])):
        assert "<html" in _page(boss, url, **HTMX, **{header: "true"})


def test_the_list_filters_by_status_and_kind(boss: Client, clinic: Clinic) -> None:
    make_job(clinic, message="the done one")
    make_job(clinic, status=JobStatus.FAILED, message="the failed one")
    make_job(clinic, kind="other_kind", message="the other kind")
    page = _page(boss, reverse("jobs"), {"status": "failed"})
    assert "the failed one" in page and "the done one" not in page
    page = _page(boss, reverse("jobs"), {"kind": "rescrub_open", "status": "done"})
    assert "the done one" in page and "the failed one" not in page
    assert "the other kind" not in page
    assert '<option value="rescrub_open" selected>Re-scrub open claims</option>' in page
    assert "Re-scrub a chunk" not in page  # a chunk is part of a job, not a kind to pick


def test_a_filter_value_that_is_no_choice_is_said_and_ignored(boss: Client, clinic: Clinic) -> None:
    make_job(clinic, message="the done one")
    page = _page(boss, reverse("jobs"), {"status": "bogus", "kind": "rescrub_open"})
    assert "Select a valid choice" in page and "the done one" in page


def test_the_list_is_paginated_by_twenty_five(boss: Client, clinic: Clinic) -> None:
    for _ in range(30):
        make_job(clinic)
    page = _page(boss, reverse("jobs"))
    assert page.count('data-testid="job-row"') == 25
    assert "Page 1 of 2" in page and "30 jobs" in page
    page = _page(boss, reverse("jobs"), {"page": 2})
    assert page.count('data-testid="job-row"') == 5


def test_an_empty_list_says_where_jobs_come_from(boss: Client, clinic: Clinic) -> None:
    page = _page(boss, reverse("jobs"))
    assert 'data-testid="jobs-empty"' in page and "No job has been started yet" in page
    assert f'href="{reverse("review-queue")}"' in page
    page = _page(boss, reverse("jobs"), {"status": "failed"})
    assert "No job matches these filters" in page


def test_the_lists_queries_do_not_grow_with_its_rows(
    boss: Client, clinic: Clinic, owner: Any, django_assert_max_num_queries: Any
) -> None:
    make_job(clinic, started_by=owner)
    with django_assert_max_num_queries(12) as few:
        boss.get(reverse("jobs"))
    for _ in range(20):
        make_job(clinic, started_by=make_member(clinic, Role.OWNER))
    with django_assert_max_num_queries(len(few.captured_queries)):
        boss.get(reverse("jobs"))


def test_the_chunks_of_a_job_are_not_listed(boss: Client, clinic: Clinic) -> None:
    parent = make_job(clinic, status=JobStatus.RUNNING)
    make_job(clinic, kind="rescrub_chunk", parent=parent)
    page = _page(boss, reverse("jobs"))
    assert page.count('data-testid="job-row"') == 1


# ---- who sees what --------------------------------------------------------------------------


def test_an_owner_sees_only_their_clinics_jobs(
    boss: Client, clinic: Clinic, other_clinic: Clinic
) -> None:
    ours = make_job(clinic, message="ours")
    theirs = make_job(other_clinic, message="theirs")
    make_job(None, message="every clinic's")
    page = _page(boss, reverse("jobs"))
    assert "ours" in page and "theirs" not in page and "every clinic's" not in page
    assert boss.get(reverse("job-detail", args=[ours.pk])).status_code == 200
    assert boss.get(reverse("job-detail", args=[theirs.pk])).status_code == 404
    assert boss.get(reverse("job-detail", args=[theirs.pk]), **HTMX).status_code == 404


def test_a_clinic_admin_sees_the_clinics_jobs(
    client_for: Any, clinic_admin: Any, clinic: Clinic
) -> None:
    job = make_job(clinic, message="ours")
    c = client_for(clinic_admin)
    assert "ours" in _page(c, reverse("jobs"))
    assert c.get(reverse("job-detail", args=[job.pk])).status_code == 200


def test_a_therapist_may_not_see_jobs(client_for: Any, pt: Any, clinic: Clinic) -> None:
    job = make_job(clinic)
    c = client_for(pt)
    assert c.get(reverse("jobs")).status_code == 403
    assert c.get(reverse("job-detail", args=[job.pk])).status_code == 403
    assert c.get(reverse("job-detail", args=[job.pk]), **HTMX).status_code == 403


def test_the_platform_admin_sees_every_job_and_its_clinic(
    client_for: Any, code_admin: Any, clinic: Clinic, other_clinic: Clinic
) -> None:
    theirs = make_job(other_clinic, message="theirs")
    nobodys = make_job(None, message="the code tables")
    c = client_for(code_admin)
    page = _page(c, reverse("jobs"))
    assert "theirs" in page and "the code tables" in page
    assert "Clinic</th>" in page and other_clinic.name in page and "every clinic" in page
    assert other_clinic.name in _page(c, reverse("job-detail", args=[theirs.pk]))
    assert "every clinic" in _page(c, reverse("job-detail", args=[nobodys.pk]))


def test_the_navbar_offers_jobs_to_owners_admins_and_the_platform_admin(
    client_for: Any, pt: Any, owner: Any, clinic_admin: Any, code_admin: Any
) -> None:
    link = f'href="{reverse("jobs")}"'
    assert link not in _page(client_for(pt), reverse("home"))
    for user in (owner, clinic_admin, code_admin):
        assert link in _page(client_for(user), reverse("home"))
    page = _page(client_for(owner), reverse("jobs"))
    assert f'{link} aria-current="page">Jobs<' in page


# ---- a job's page ---------------------------------------------------------------------------


def test_a_running_jobs_page_shows_how_far_it_has_come_and_polls_every_second(
    boss: Client, clinic: Clinic, owner: Any
) -> None:
    job = make_job(clinic, started_by=owner, status=JobStatus.RUNNING, done=250, total=1000)
    page = _page(boss, reverse("job-detail", args=[job.pk]))
    assert "<h1" in page and "Re-scrub open claims" in page and f"#{job.pk}" in page
    assert 'data-testid="job-started-by">Olive Owner<' in page
    assert "<strong>250</strong> of <strong>1,000</strong> · 25%" in page
    assert 'aria-valuenow="25"' in page and 'aria-valuetext="250 of 1,000 (25%)"' in page
    assert 'aria-live="polite"' in page
    assert 'hx-trigger="every 1s"' in page
    assert "Running for" in page and 'data-testid="job-attempts">1<' in page

    partial = _page(boss, reverse("job-detail", args=[job.pk]), **HTMX)
    assert partial.lstrip().startswith('<div id="job-progress"') and "<html" not in partial
    assert 'hx-trigger="every 1s"' in partial


def test_a_done_jobs_page_shows_the_result_and_stops_polling(
    boss: Client, clinic: Clinic, owner: Any
) -> None:
    job = make_job(clinic, started_by=owner, status=JobStatus.RUNNING, done=1, total=2)
    Job.objects.filter(pk=job.pk).update(
        status=JobStatus.DONE,
        progress_done=2,
        finished_at=job.started_at + dt.timedelta(seconds=3.5),  # type: ignore[operator]  # started_at is set on a started job; the field is typed optional
        message="Posted the file: 2 payments.",
        result_url="/billing/remittances/",
    )
    partial = _page(boss, reverse("job-detail", args=[job.pk]), **HTMX)
    assert "hx-trigger" not in partial and "hx-get" not in partial
    assert "Posted the file: 2 payments." in partial
    assert 'href="/billing/remittances/"' in partial and "Open the result" in partial
    assert 'data-testid="job-seconds">3.5 s<' in partial and "Took" in partial
    page = _page(boss, reverse("job-detail", args=[job.pk]))
    assert "hx-trigger" not in page and 'aria-valuenow="100"' in page


def test_a_waiting_job_started_by_the_schedule(boss: Client, clinic: Clinic) -> None:
    job = make_job(clinic, status=JobStatus.QUEUED)
    page = _page(boss, reverse("job-detail", args=[job.pk]))
    assert 'data-testid="job-started-by">the schedule<' in page
    assert ">Waiting<" in page and "Waiting for a worker" in page
    assert 'aria-valuetext="Waiting to start"' in page and 'hx-trigger="every 1s"' in page


def test_a_failed_job_says_what_went_wrong_and_what_to_do(
    client_for: Any, owner: Any, code_admin: Any, clinic: Clinic
) -> None:
    job = make_job(
        clinic,
        started_by=owner,
        status=JobStatus.FAILED,
        error="ValueError: the payer's file has no ISA segment",
        message="Failed after 3 attempt(s): the payer's file has no ISA segment",
        result={"traceback": "Traceback (most recent call last): …"},
    )
    Job.objects.filter(pk=job.pk).update(attempts=3)
    page = _page(client_for(owner), reverse("job-detail", args=[job.pk]))
    assert 'class="alert alert-danger" role="alert"' in page
    assert "the payer&#x27;s file has no ISA segment" in page
    assert "What to do" in page and f"(#{job.pk})" in page and "after 3 tries" in page
    assert "Traceback" not in page  # for the platform admin only
    assert "Traceback" in _page(client_for(code_admin), reverse("job-detail", args=[job.pk]))


def test_a_fanned_out_jobs_page_counts_its_parts(boss: Client, clinic: Clinic) -> None:
    job = make_job(clinic, status=JobStatus.RUNNING, done=1000, total=1400)
    for status in (JobStatus.DONE, JobStatus.DONE, JobStatus.RUNNING):
        make_job(clinic, kind="rescrub_chunk", parent=job, status=status)
    page = _page(boss, reverse("job-detail", args=[job.pk]))
    assert "Split into 3 parts that workers share: 2 done, 1 to go." in page


@pytest.mark.usefixtures("reference")
def test_a_job_the_inline_runner_did_in_parts_says_how_many(
    boss: Client, clinic: Clinic, pt: Any
) -> None:
    from claims.jobs import rescrub_start
    from tests.claims.test_review import make_claim

    for days in range(1, 6):
        make_claim(clinic, pt, days_ago=days)
    job = rescrub_start(clinic=clinic, chunk=2)
    page = _page(boss, reverse("job-detail", args=[job.pk]))
    assert "Done in 3 parts." in page and "Re-scrubbed 5 open claims in " in page


# ---- the re-scrub button --------------------------------------------------------------------


@pytest.mark.usefixtures("reference")
def test_the_rescrub_button_runs_the_job_and_lands_on_its_page(
    boss: Client, clinic: Clinic, pt: Any, owner: Any
) -> None:
    from tests.claims.test_review import make_claim

    make_claim(clinic, pt)
    queue = _page(boss, reverse("review-queue"))
    assert f'action="{reverse("jobs-rescrub")}"' in queue and "Re-scrub open claims" in queue

    response = boss.post(reverse("jobs-rescrub"))
    job = Job.objects.get(kind="rescrub_open")
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    assert (job.status, job.clinic, job.started_by) == (JobStatus.DONE, clinic, owner)
    page = _page(boss, response["Location"])
    assert "Re-scrubbed 1 open claim in " in page
    assert 'data-testid="job-started-by">Olive Owner<' in page
    assert "hx-trigger" not in page


def test_the_rescrub_button_is_for_owners_and_post_only(
    client_for: Any, boss: Client, pt: Any, clinic_admin: Any
) -> None:
    url = reverse("jobs-rescrub")
    assert boss.get(url).status_code == 405
    assert client_for(pt).post(url).status_code == 403
    assert client_for(clinic_admin).post(url).status_code == 403
    assert not Job.objects.exists()
