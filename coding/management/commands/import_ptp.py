from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coding.services import ptp_import


class Command(BaseCommand):
    help = (
        "Update edit pairs from a CMS quarterly practitioner PTP file (tab-separated text or CSV "
        "with the columns Column 1, Column 2, *, Effective Date, Deletion Date, Modifier, "
        "Rationale). Nothing is written if any row is malformed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--source", help="Label stored on each pair (default: file name).")

    def handle(self, *args: object, file: Path, source: str | None = None, **opts: object) -> None:
        if not file.is_file():
            raise CommandError(f"{file}: no such file")
        with file.open(encoding="latin-1", newline="") as f:
            report = ptp_import(lines=f, source=source or f"CMS PTP file {file.name}")
        if report.errors:
            raise CommandError(
                "Nothing imported; fix these rows first:\n  " + "\n  ".join(report.errors)
            )
        self.stdout.write(
            f"Edit pairs: {report.created} added, {report.updated} updated, "
            f"{report.unchanged} unchanged, {report.skipped_unknown_codes} skipped "
            "(a code not in the code table)."
        )
