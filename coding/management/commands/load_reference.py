import time

from django.core.management.base import BaseCommand, CommandError

from coding.icd10_sets import SetFilesMissing, shipped_sets
from coding.services import icd10_load, reference_load


class Command(BaseCommand):
    help = (
        "Load the reference data shipped in coding/data/ and the ICD-10-CM code sets (FY2025 "
        "and FY2026). Idempotent: rows already in the database (perhaps edited by an admin) "
        "are kept as they are, and an earlier ICD-10-CM load is brought up to date."
    )

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        report = reference_load()
        for line in report.lines():
            self.stdout.write(f"  {line}")
        try:
            changed = icd10_load()
        except SetFilesMissing as error:
            raise CommandError(str(error)) from error
        sets = ", ".join(s.source for s in shipped_sets())
        if changed:
            self.stdout.write(f"  ICD-10-CM: {changed} codes added or brought up to date ({sets})")
        else:
            self.stdout.write(f"  ICD-10-CM: already loaded ({sets})")
        self.stdout.write(
            self.style.SUCCESS(f"Reference data ready ({time.perf_counter() - started:.1f} s).")
        )
