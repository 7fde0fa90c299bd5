"""`manage.py import_ptp FILE`: the CMS quarterly practitioner PTP file, a shortcut for
`import_cms ptp FILE` (the release defaults to the file's name, the effective date to the first
day of this quarter)."""

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.utils import timezone

from coding.management.commands.import_cms import _date, run
from coding.models import ImportKind


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


class Command(BaseCommand):
    help = (
        "Update edit pairs from a CMS quarterly practitioner PTP file (tab-separated text or CSV "
        "with the columns Column 1, Column 2, *, Effective Date, Deletion Date, Modifier, "
        "Rationale). Nothing is written if any row is malformed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--release", help="e.g. v322r0 (default: the file name)")
        parser.add_argument("--source", help="Same as --release (older name).")
        parser.add_argument(
            "--effective", type=_date, help="first date of service (default: this quarter's)"
        )
        parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")

    def handle(self, *args: Any, **opts: Any) -> None:
        file: Path = opts["file"]
        run(
            self,
            kind=ImportKind.PTP,
            file=file,
            release=(opts["release"] or opts["source"] or file.stem)[:60],
            effective=opts["effective"] or quarter_start(timezone.localdate()),
            dry_run=opts["dry_run"],
            verbosity=opts["verbosity"],
        )
