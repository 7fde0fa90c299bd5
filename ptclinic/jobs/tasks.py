"""The queue's tasks (procrastinate, PostgreSQL only: `settings.JOBS_RUNNER == "queue"`).

One task runs any job (`run_job`); the schedules start the nightly re-scrub and put back to work
the jobs of a worker that died. Workers: `python manage.py procrastinate worker` on any host.
"""

from __future__ import annotations

from django.db import close_old_connections
from procrastinate import JobContext as QueueContext
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from ptclinic.jobs.runner import MAX_ATTEMPTS, job_run, job_start, queued

QUEUE = "jobs"
NIGHTLY_RESCRUB_KEY = "rescrub-open:all"
# Seconds before a retry: 10, then 20 (a database that restarts, a lock held by a long job).
RETRY = RetryStrategy(max_attempts=MAX_ATTEMPTS - 1, linear_wait=10, wait=10)


def _fresh_connection() -> None:
    """A worker thread's connection may have outlived the database's (a restart, a fail-over):
    drop it before and after a task, as Django does around a request."""
    if queued():
        close_old_connections()


@app.task(name="ptclinic.run_job", queue=QUEUE, pass_context=True, retry=RETRY)
def run_job(context: QueueContext, job_id: int) -> None:
    _fresh_connection()
    try:
        job_run(job_id, attempt=context.job.attempts)
    finally:
        _fresh_connection()


@app.periodic(cron="15 2 * * *", periodic_id="nightly-rescrub")
@app.task(name="ptclinic.nightly_rescrub", queue=QUEUE, queueing_lock="nightly-rescrub")
def nightly_rescrub(timestamp: int) -> None:
    """Every night: findings that depend on today's date (timely filing, plans and progress
    reports coming due, authorizations running out) are brought up to date on open claims."""
    _fresh_connection()
    job_start("rescrub_open", params={"reason": "nightly"}, key=NIGHTLY_RESCRUB_KEY)


@app.periodic(cron="*/5 * * * *", periodic_id="dashboards")
@app.task(name="ptclinic.refresh_dashboards", queue=QUEUE, queueing_lock="refresh-dashboards")
def refresh_dashboards(timestamp: int) -> None:
    """Every 5 minutes: each clinic's dashboard figures over months of claims, computed again
    into the shared cache, so an owner opening the dashboard reads them (one query)."""
    from claims.dashboard.figures import dashboards_refresh

    _fresh_connection()
    dashboards_refresh()


@app.periodic(cron="*/5 * * * *", periodic_id="retry-stalled")
@app.task(
    name="ptclinic.retry_stalled_jobs",
    queue=QUEUE,
    queueing_lock="retry-stalled",
    pass_context=True,
)
async def retry_stalled_jobs(context: QueueContext, timestamp: int) -> None:
    """A worker that died (its host went away) stops sending heartbeats: its jobs go back to
    the queue for another worker. Jobs are idempotent, so a job run again does its work once."""
    manager = context.app.job_manager
    for job in await manager.get_stalled_jobs():
        await manager.retry_job(job)
