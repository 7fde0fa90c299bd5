from django.core.management.base import BaseCommand, CommandParser

from claims.scrubbing import open_claims_rescrub


class Command(BaseCommand):
    help = "Re-scrub every claim not yet approved (after a rule or code-table change)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--workers", type=int, default=1, help="processes (PostgreSQL), e.g. one per core"
        )

    def handle(
        self, *args: object, batch_size: int = 500, workers: int = 1, **options: object
    ) -> None:
        count, seconds = open_claims_rescrub(batch_size=batch_size, workers=workers)
        rate = count / seconds if seconds else 0.0
        self.stdout.write(
            self.style.SUCCESS(
                f"Re-scrubbed {count} open claims in {seconds:.2f} s ({rate:,.0f} claims/s)."
            )
        )
