import time

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.jobs import rescrub_start
from ptclinic.jobs.runner import queued
from ptclinic.models import Clinic, Job


class Command(BaseCommand):
    help = (
        "Re-scrub every open claim (after a rule or code-table change) as a job: on the queue's "
        "workers with PostgreSQL (any number, on any host), in this process with SQLite."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinic", help="only this clinic's claims (its name)")
        parser.add_argument(
            "--no-wait",
            action="store_true",
            help="queue it and return (default: wait and show progress until the workers finish)",
        )

    def handle(self, *args: object, **options: object) -> None:
        clinic = None
        if options.get("clinic"):
            clinic = Clinic.objects.filter(name=options["clinic"]).first()
            if clinic is None:
                raise CommandError(f"No clinic named {options['clinic']!r}.")
        job = rescrub_start(clinic=clinic, reason="manual")
        if queued() and not options.get("no_wait"):
            job = self._wait(job)
        elif queued():
            self.stdout.write(f"Queued as job #{job.pk}; workers will take it.")
            return
        if job.status == "failed":
            raise CommandError(job.message or job.error)
        self.stdout.write(self.style.SUCCESS(job.message or f"Job #{job.pk}: {job.status}"))

    def _wait(self, job: Job) -> Job:
        self.stdout.write(
            f"Job #{job.pk} queued; waiting for the workers (Ctrl-C leaves it running)."
        )
        shown = -1
        while job.is_active:
            time.sleep(0.5)
            job.refresh_from_db()
            if job.progress_done != shown and job.progress_total:
                shown = job.progress_done
                self.stdout.write(f"  {job.progress_done:,} of {job.progress_total:,}")
        return job
