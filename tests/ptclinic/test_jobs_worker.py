"""A real procrastinate worker, in its own process, against the test's PostgreSQL database:
the job a person starts is run by the worker, fanned out into chunks, and finished."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.test import override_settings

from claims.jobs import rescrub_start
from claims.models import ClaimFlag
from ptclinic.jobs.runner import MAX_ATTEMPTS, job_run
from ptclinic.models import Job, JobStatus
from tests.claims.test_review import make_claim

ROOT = Path(__file__).resolve().parents[2]


def _worker(*args: str) -> subprocess.Popen[str]:
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "ptclinic.settings",
        "JOBS_RUNNER": "queue",
        "DEBUG": "1",
    }
    return subprocess.Popen(
        [sys.executable, "manage.py", "procrastinate", "worker", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def _wait_until_finished(job: Job, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        job.refresh_from_db()
        if not job.is_active:
            return
        time.sleep(0.2)


@pytest.mark.postgres(reason="the queue lives in PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_reference")
def test_a_worker_process_runs_a_queued_rescrub_in_chunks(clinic: Any, pt: Any, owner: Any) -> None:
    claims = [make_claim(clinic, pt, necessity="", days_ago=days) for days in range(1, 6)]
    ClaimFlag.objects.filter(claim__in=claims, rule_id="necessity-missing").delete()
    with override_settings(JOBS_RUNNER="queue"):
        job = rescrub_start(user=owner, clinic=clinic, chunk=2)
    assert job.status == JobStatus.QUEUED  # nothing ran in this process

    worker = _worker("--queues", "jobs", "--concurrency", "2")
    try:
        _wait_until_finished(job)
    finally:
        worker.send_signal(signal.SIGTERM)  # a worker stops gracefully on SIGTERM
        output, _ = worker.communicate(timeout=60)
    assert worker.returncode == 0, output[-3000:]
    assert job.status == JobStatus.DONE, (job.error, output[-3000:])
    assert (job.progress_done, job.progress_total, job.result["chunks"]) == (5, 5, 3)
    assert job.message.startswith("Re-scrubbed 5 open claims in ")
    assert list(job.children.values_list("status", flat=True)) == [JobStatus.DONE] * 3
    # The worker's scrub put back the finding on each claim, in the owner's name.
    flags = ClaimFlag.objects.filter(claim__in=claims, rule_id="necessity-missing")
    assert flags.count() == 5
    added = ClaimFlag.history.filter(claim_id=claims[0].pk, history_type="+").latest("pk")
    assert added.history_user == owner


@pytest.mark.django_db
def test_on_the_queue_a_failure_is_retried_then_marked_failed(monkeypatch: Any) -> None:
    from ptclinic.jobs import registry

    @registry.job_kind("test_flaky", label="Flaky")
    def flaky(ctx: Any) -> Any:
        raise ConnectionError("the clearinghouse did not answer")

    monkeypatch.setitem(registry._KINDS, "test_flaky", registry._KINDS["test_flaky"])
    job = Job.objects.create(kind="test_flaky")
    with override_settings(JOBS_RUNNER="queue"):
        with pytest.raises(ConnectionError):  # raised for the queue to retry
            job_run(job.pk, attempt=0)
        job.refresh_from_db()
        assert (job.status, job.attempts) == (JobStatus.QUEUED, 1)
        assert job.error == "ConnectionError: the clearinghouse did not answer"
        with pytest.raises(ConnectionError):
            job_run(job.pk, attempt=MAX_ATTEMPTS - 1)
    job.refresh_from_db()
    assert (job.status, job.attempts) == (JobStatus.FAILED, MAX_ATTEMPTS)
    assert job.message == (
        f"Failed after {MAX_ATTEMPTS} attempt(s): the clearinghouse did not answer"
    )
    registry._KINDS.pop("test_flaky")
