import time

from django.core.management.base import BaseCommand

from coding.services import ICD10_DATASET, icd10_load, reference_load


class Command(BaseCommand):
    help = (
        "Load the reference data shipped in coding/data/ and the ICD-10-CM code set. Idempotent: "
        "rows already in the database (perhaps edited by an admin) are kept as they are."
    )

    def handle(self, *args: object, **options: object) -> None:
        started = time.perf_counter()
        report = reference_load()
        for line in report.lines():
            self.stdout.write(f"  {line}")
        added = icd10_load()
        if added:
            self.stdout.write(f"  ICD-10-CM: {added} codes loaded from {ICD10_DATASET}")
        else:
            self.stdout.write("  ICD-10-CM: already loaded")
        self.stdout.write(
            self.style.SUCCESS(f"Reference data ready ({time.perf_counter() - started:.1f} s).")
        )
