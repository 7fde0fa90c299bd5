"""Long work on a queue: re-scrubs, CMS imports, 837P batches, 835 postings.

One entry point, `job_start`, records a `ptclinic.models.Job` (who started it, its progress and
its result) and hands it to the runner of `settings.JOBS_RUNNER`:

- ``queue`` (PostgreSQL, the default there): a procrastinate job in the same database, run by
  any worker on any host (`python manage.py procrastinate worker`), retried on failure, with the
  periodic schedules of `ptclinic.jobs.tasks`;
- ``inline`` (SQLite, the embedded default, and the tests): run at once, in the request, so
  `make run` stays one process.

The work itself is a kind (`ptclinic.jobs.registry.job_kind`) in the app it belongs to
(`claims/jobs.py`, `coding/jobs.py`); each kind is idempotent: running it twice does it once.
"""
