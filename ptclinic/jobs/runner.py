"""Start jobs, run them, record what came of them (see the package's docstring)."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import F
from django.db.models.functions import Coalesce
from django.utils import timezone

from ptclinic.jobs.registry import JobRefused, Outcome, kind
from ptclinic.models import ACTIVE_JOB_STATUSES, Clinic, Job, JobStatus

log = logging.getLogger(__name__)

# A job that fails is tried this many times in all (the queue waits longer before each retry).
MAX_ATTEMPTS = 3
# Progress is written at most this often (seconds): each write is a commit others can read.
PROGRESS_EVERY = 0.5


def queued() -> bool:
    """Whether jobs go to the queue's workers (else they run at once, in-process)."""
    return bool(settings.JOBS_RUNNER == "queue")


def job_start(
    kind_name: str,
    *,
    user: Any = None,
    clinic: Clinic | None = None,
    params: dict[str, Any] | None = None,
    key: str = "",
    total: int | None = None,
) -> Job:
    """Record a job and hand it to the runner. With a `key`, a job of that key that is still
    waiting or running is returned instead of a second one (a second click, a retried request,
    the schedule firing while an admin's re-scrub runs).

    Inline, the job has run (or failed) when this returns; queued, a worker takes it once the
    caller's transaction commits (the queue's row is written in the same transaction)."""
    kind(kind_name)  # an unknown kind fails here, in the caller, not later in a worker
    if key and (existing := _active(key)) is not None:
        return existing
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind_name,
                clinic=clinic,
                started_by=user if getattr(user, "is_authenticated", False) else None,
                params=params or {},
                key=key,
                progress_total=total,
            )
            if queued():
                _defer([job.pk])
    except IntegrityError:
        # Two starts with the same key at once: the other one's job is the one.
        if key and (existing := _active(key)) is not None:
            return existing
        raise
    if not queued():
        job_run(job.pk)
        job.refresh_from_db()
    return job


def _active(key: str) -> Job | None:
    return Job.objects.filter(key=key, status__in=ACTIVE_JOB_STATUSES).first()


def _defer(job_ids: Sequence[int]) -> None:
    from ptclinic.jobs.tasks import run_job

    arguments: list[dict[str, Any]] = [{"job_id": pk} for pk in job_ids]
    run_job.batch_defer(*arguments)


class JobContext:
    """What a job's work sees: its job, its parameters, a way to report progress and to fan
    out into chunks."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.params: dict[str, Any] = job.params
        self._written = 0.0
        self._aside: BaseDatabaseWrapper | None = None

    def progress(self, done: int, total: int | None = None, *, force: bool = False) -> None:
        """Say how far the work has come. On the queue, progress reported inside the work's
        own transaction (an 837P batch is one) is written on a connection of its own and
        committed at once, or the job's page would see it only at the end."""
        now = time.monotonic()
        if not force and now - self._written < PROGRESS_EVERY:
            return
        self._written = now
        if queued() and connection.in_atomic_block and connection.vendor == "postgresql":
            self._progress_aside(done, total)
            return
        fields: dict[str, Any] = {"progress_done": done}
        if total is not None:
            fields["progress_total"] = total
        Job.objects.filter(pk=self.job.pk).update(**fields)

    def _progress_aside(self, done: int, total: int | None) -> None:
        if self._aside is None:
            self._aside = connections.create_connection(DEFAULT_DB_ALIAS)
        table = self._aside.ops.quote_name(Job._meta.db_table)
        with self._aside.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET progress_done = %s, "
                "progress_total = COALESCE(%s, progress_total) WHERE id = %s",
                [done, total, self.job.pk],
            )

    def close(self) -> None:
        """Close the progress connection, if one was opened."""
        if self._aside is not None:
            self._aside.close()
            self._aside = None

    def fan_out(self, chunk_kind: str, chunks: Sequence[dict[str, Any]], *, total: int) -> Outcome:
        """Split the work into child jobs that any worker may take; the last one to finish
        finishes this job. Inline, the chunks run here, one after the other."""
        job = self.job
        Job.objects.filter(pk=job.pk).update(progress_total=total, progress_done=0)
        if not queued():
            done = 0
            for params in chunks:
                child = Job(
                    kind=chunk_kind, params=params, clinic=job.clinic, started_by=job.started_by
                )
                outcome = kind(chunk_kind).run(JobContext(child))
                done += int(outcome.data.get("count", 0))
                self.progress(done, force=True)
            return Outcome(waiting=False, data={"count": done, "chunks": len(chunks)})
        if job.children.exists():  # a retry of a job that has fanned out already
            return Outcome(waiting=True)
        with transaction.atomic():
            children = Job.objects.bulk_create(
                Job(
                    kind=chunk_kind,
                    parent=job,
                    params=params,
                    clinic=job.clinic,
                    started_by=job.started_by,
                )
                for params in chunks
            )
            _defer([child.pk for child in children])
        return Outcome(waiting=True)


def job_run(job_id: int, *, attempt: int = 0) -> None:
    """Run a job (the worker's task, or `job_start` inline). Does nothing to a job that is done
    or failed, so a job delivered twice runs once. A failure is recorded and raised again for
    the queue to retry; on the last attempt the job is marked failed. A `JobRefused` is failed
    at once, and not raised again: no attempt can mend it."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.status in (JobStatus.DONE, JobStatus.FAILED):
            return
        job.status = JobStatus.RUNNING
        job.attempts = attempt + 1
        job.started_at = job.started_at or timezone.now()
        job.save(update_fields=["status", "attempts", "started_at"])
    started = time.monotonic()
    context = JobContext(job)
    try:
        outcome = kind(job.kind).run(context)
    except JobRefused as exc:
        _record_failure(job, exc, last=True)
        return
    except Exception as exc:
        _record_failure(job, exc, last=not queued() or job.attempts >= MAX_ATTEMPTS)
        if queued():
            raise
        log.exception("Job %s failed", job.pk)
        return
    finally:
        context.close()
    if outcome.waiting:
        return  # its chunks finish it
    data = {**outcome.data, "seconds": round(time.monotonic() - started, 3)}
    _finish(job, outcome, data)
    if job.parent_id is not None:
        _chunk_done(job.parent_id, int(outcome.data.get("count", 0)))


def _finish(job: Job, outcome: Outcome, data: dict[str, Any]) -> None:
    updates: dict[str, Any] = {
        "status": JobStatus.DONE,
        "message": outcome.message,
        "result": data,
        "result_url": outcome.url,
        "error": "",
        "finished_at": timezone.now(),
        # Done is all of it, whatever the last progress report said.
        "progress_done": Coalesce(F("progress_total"), F("progress_done")),
    }
    Job.objects.filter(pk=job.pk, status=JobStatus.RUNNING).update(**updates)


def _record_failure(job: Job, exc: BaseException, *, last: bool) -> None:
    text = f"{type(exc).__name__}: {exc}"
    log.warning("Job %s (%s) attempt %s failed: %s", job.pk, job.kind, job.attempts, text)
    if last:
        refused = isinstance(exc, JobRefused)
        Job.objects.filter(pk=job.pk).update(
            status=JobStatus.FAILED,
            error=text,
            message=str(exc) if refused else f"Failed after {job.attempts} attempt(s): {exc}",
            result={"traceback": traceback.format_exc(limit=8)},
            finished_at=timezone.now(),
        )
        if job.parent_id is not None:
            Job.objects.filter(pk=job.parent_id, status__in=ACTIVE_JOB_STATUSES).update(
                status=JobStatus.FAILED,
                error=f"A part of this job failed: {text}",
                message=f"A part of this job failed after {job.attempts} attempt(s): {exc}",
                finished_at=timezone.now(),
            )
    else:
        Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, error=text)


def _chunk_done(parent_id: int, count: int) -> None:
    """A chunk is done: add its count to the parent's progress, and finish the parent when no
    chunk is left. Each chunk commits its own status before it looks, so the last one to commit
    sees every chunk done (two may both see it: the update is conditional, one wins)."""
    Job.objects.filter(pk=parent_id).update(progress_done=F("progress_done") + count)
    if Job.objects.filter(parent_id=parent_id).exclude(status=JobStatus.DONE).exists():
        return
    parent = Job.objects.get(pk=parent_id)
    children = parent.children.all()
    total = sum(int(c.result.get("count", 0)) for c in children)
    seconds = parent.seconds or 0.0
    Job.objects.filter(pk=parent_id, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE,
        progress_done=total,
        message=kind(parent.kind).summary(total, seconds),
        result={"count": total, "chunks": len(children), "seconds": round(seconds, 3)},
        finished_at=timezone.now(),
    )
