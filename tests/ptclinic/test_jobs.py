"""The job queue's runner, inline (the tests' and SQLite's): what a person sees of a job."""

from typing import Any

import pytest

from claims.jobs import CHUNK, rescrub_start
from claims.models import ClaimFlag
from ptclinic.jobs import registry
from ptclinic.jobs.registry import JobRefused, Outcome
from ptclinic.jobs.runner import JobContext, job_run, job_start
from ptclinic.models import Job, JobStatus
from tests.claims.test_review import make_claim

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture
def failing_kind() -> Any:
    calls: list[int] = []

    @registry.job_kind("test_fails", label="A job that fails")
    def fails(ctx: JobContext) -> Outcome:
        calls.append(ctx.job.pk)
        raise ValueError("the payer's file has no ISA segment")

    yield calls
    registry._KINDS.pop("test_fails")


def test_a_rescrub_job_records_who_started_it_its_progress_and_its_result(
    clinic: Any, pt: Any, owner: Any
) -> None:
    claim = make_claim(clinic, pt, necessity="")
    session = claim.sessions.get()
    session.medical_necessity = (
        "Skilled therapist progression of exercise is needed to restore safe gait and stair "
        "climbing after the knee replacement, with cues for the quadriceps."
    )
    session.save()
    job = rescrub_start(user=owner, clinic=clinic)
    assert (job.status, job.started_by, job.clinic) == (JobStatus.DONE, owner, clinic)
    assert (job.progress_done, job.progress_total, job.percent) == (1, 1, 100)
    assert job.message.startswith("Re-scrubbed 1 open claim in ")
    assert job.result["count"] == 1 and job.finished_at is not None
    assert not ClaimFlag.objects.filter(claim=claim, rule_id="necessity-missing").exists()
    removed = ClaimFlag.history.filter(claim_id=claim.pk, history_type="-").get()
    assert (removed.history_user, removed.history_change_reason) == (
        owner,
        "Re-scrubbed on request",
    )


def test_a_big_rescrub_is_split_into_chunks(clinic: Any, pt: Any) -> None:
    for days in range(1, 6):
        make_claim(clinic, pt, days_ago=days)
    job = rescrub_start(clinic=clinic, chunk=2)
    assert job.result == {"count": 5, "chunks": 3, "seconds": job.result["seconds"]}
    assert rescrub_start(clinic=clinic).result["chunks"] == 1  # CHUNK claims a chunk
    assert CHUNK == 500


def test_a_rescrub_of_one_clinic_leaves_the_other_clinics_claims(
    clinic: Any, pt: Any, other_clinic: Any
) -> None:
    from tests.conftest import make_member

    make_claim(clinic, pt)
    make_claim(other_clinic, make_member(other_clinic))
    assert rescrub_start(clinic=clinic).result["count"] == 1
    assert rescrub_start().result["count"] == 2


def test_a_rescrub_narrowed_to_codes_covers_only_claims_with_those_codes(
    clinic: Any, pt: Any
) -> None:
    make_claim(clinic, pt, rows=(("97110", 30),))
    make_claim(clinic, pt, rows=(("97140", 30),), days_ago=2)
    assert rescrub_start(codes=["97140"]).result["count"] == 1


def test_a_job_that_fails_says_why_and_is_not_done(failing_kind: Any, owner: Any) -> None:
    job = job_start("test_fails", user=owner)
    assert job.status == JobStatus.FAILED
    assert job.error == "ValueError: the payer's file has no ISA segment"
    assert "the payer's file has no ISA segment" in job.message
    assert failing_kind == [job.pk]


def test_a_job_delivered_twice_runs_once(clinic: Any, pt: Any) -> None:
    make_claim(clinic, pt)
    job = rescrub_start()
    before = job.finished_at
    job_run(job.pk)
    job.refresh_from_db()
    assert (job.status, job.finished_at, job.attempts) == (JobStatus.DONE, before, 1)


def test_a_start_while_the_same_job_waits_joins_it(db: None) -> None:
    waiting = Job.objects.create(kind="rescrub_open", key="rescrub-open:all")
    assert rescrub_start() == waiting
    waiting.status = JobStatus.DONE
    waiting.save()
    assert rescrub_start() != waiting


def test_an_unknown_kind_is_refused_at_the_start(db: None) -> None:
    with pytest.raises(LookupError, match="No job kind 'nope'"):
        job_start("nope")
    assert not Job.objects.exists()


def test_the_nightly_schedule_rescrubs_every_clinics_open_claims(clinic: Any, pt: Any) -> None:
    from ptclinic.jobs import tasks

    make_claim(clinic, pt)
    schedules = {
        task.task.name: task.cron for task in tasks.app.periodic_registry.periodic_tasks.values()
    }
    assert schedules == {
        "ptclinic.nightly_rescrub": "15 2 * * *",
        "ptclinic.retry_stalled_jobs": "*/5 * * * *",
        "ptclinic.refresh_dashboards": "*/5 * * * *",
    }
    tasks.nightly_rescrub(timestamp=0)
    job = Job.objects.get(kind="rescrub_open")
    assert (job.started_by, job.clinic, job.status) == (None, None, JobStatus.DONE)
    assert job.message.startswith("Re-scrubbed 1 open claim in ")
    assert job.params == {"reason": "nightly"}


def test_a_refused_job_fails_at_once_on_the_queue_and_is_not_tried_again(
    db: None, settings: Any
) -> None:
    @registry.job_kind("test_refuses", label="A job that cannot succeed")
    def refuses(ctx: JobContext) -> Outcome:
        raise JobRefused("Nothing was posted: the file does not start with an ISA header.")

    @registry.job_kind("test_flaky", label="A job that may succeed later")
    def flaky(ctx: JobContext) -> Outcome:
        raise ValueError("the database went away")

    try:
        settings.JOBS_RUNNER = "queue"  # job_run as a worker runs it; the jobs are not deferred
        refused = Job.objects.create(kind="test_refuses")
        job_run(refused.pk)  # not raised again: the queue does not retry it
        refused.refresh_from_db()
        assert (refused.status, refused.attempts) == (JobStatus.FAILED, 1)
        assert refused.message == "Nothing was posted: the file does not start with an ISA header."
        assert refused.finished_at is not None
        flaky_job = Job.objects.create(kind="test_flaky")
        with pytest.raises(ValueError):
            job_run(flaky_job.pk)
        flaky_job.refresh_from_db()
        assert flaky_job.status == JobStatus.QUEUED  # for the queue's next attempt
    finally:
        registry._KINDS.pop("test_refuses")
        registry._KINDS.pop("test_flaky")
