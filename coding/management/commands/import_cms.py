"""`manage.py import_cms KIND FILE --release R --effective YYYY-MM-DD`: load one official CMS
file (PFS RVUs, GPCIs, MUEs, PTP edits, ICD-10-CM) through `coding.imports`. Prints the plan;
with errors nothing is written and the command fails. Once loaded, the open claims the change
bears on are re-scrubbed (a job: on the queue's workers with PostgreSQL, here with SQLite)."""

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser, OutputWrapper

from coding.imports.base import ImportPlan
from coding.imports.files import UnreadableFile, plan_file
from coding.imports.registry import IMPORTERS, importer_for
from coding.jobs import rescrub_after_import, rescrub_words

SHOWN = 50
ERRORS_SHOWN = 5


def _date(text: str) -> dt.date:
    # argparse's own error (a CommandError raised while parsing escaped as a traceback).
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date like 2026-07-01") from None


def report(out: OutputWrapper, plan: ImportPlan, *, dry_run: bool, verbosity: int = 1) -> None:
    """Print the plan: what it covers, the counts, the notes and the rows that change."""
    through = f" through {plan.effective_through}" if plan.effective_through else ""
    out.write(
        f"{plan.kind_label} {plan.release}, dates of service from {plan.effective_from}{through}: "
        f"{plan.summary()}."
    )
    for note in plan.notes:
        out.write(f"Note: {note}")
    changing = plan.to_write()
    shown = changing if verbosity > 1 else changing[:SHOWN]
    for change in shown:
        out.write(f"  {change.action}: {change.key}: {change.detail}")
    if len(changing) > len(shown):
        out.write(f"  … and {len(changing) - len(shown)} more (-v 2 lists them all)")
    if dry_run and not plan.errors:
        out.write("Dry run: nothing written.")


def run(
    command: BaseCommand,
    *,
    kind: str,
    file: Path,
    release: str,
    effective: dt.date,
    dry_run: bool = False,
    qualifying_apm: bool = False,
    verbosity: int = 1,
) -> ImportPlan:
    # Each refusal is one CommandError: one line on stderr, no traceback, nothing written.
    if file.is_dir():
        raise CommandError(f"{file} is a folder; give the file in it")
    if not file.is_file():
        raise CommandError(f"{file}: no such file" if not file.exists() else f"{file}: not a file")
    try:
        importer = importer_for(kind, qualifying_apm=qualifying_apm)
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise CommandError(f"{file} cannot be read: {exc.strerror or exc}") from None
    try:
        plan = plan_file(
            importer=importer,
            data=data,
            release=release,
            effective=effective,
            file_name=file.name,
            user=None,
            dry_run=dry_run,
        )
    except UnreadableFile as exc:
        raise CommandError(f"Nothing loaded: {exc}") from None
    report(command.stdout, plan, dry_run=dry_run, verbosity=verbosity)
    if plan.errors:
        # One line however many rows are wrong: the first few, and -v 2 for every one.
        if verbosity > 1:
            for error in plan.errors:
                command.stderr.write(f"  {error}")
        shown = "; ".join(plan.errors[:ERRORS_SHOWN])
        more = len(plan.errors) - ERRORS_SHOWN
        rest = f"; and {more} more (-v 2 lists them all)" if more > 0 else ""
        raise CommandError(f"Nothing loaded; fix the file first: {shown}{rest}")
    if not dry_run and (rescrub := rescrub_after_import(plan, user=None)) is not None:
        command.stdout.write(f"{rescrub_words(rescrub)} (Job #{rescrub.pk}.)")
    return plan


class Command(BaseCommand):
    help = (
        "Load an official CMS file: pprrvu (PFS relative values), gpci, mue (practitioner MUE "
        "table), ptp (practitioner PTP edits), or an ICD-10-CM file. Nothing is written if any "
        "row is malformed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kind", choices=sorted(IMPORTERS))
        parser.add_argument("file", type=Path)
        parser.add_argument("--release", required=True, help="e.g. RVU26C, MUE 2026 Q3, v322r0")
        parser.add_argument(
            "--effective", required=True, type=_date, help="first date of service, YYYY-MM-DD"
        )
        parser.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
        parser.add_argument(
            "--qualifying-apm",
            action="store_true",
            help="the PFS file is the qualifying-APM (QPP) one: sets that conversion factor",
        )

    def handle(self, *args: Any, **opts: Any) -> None:
        run(
            self,
            kind=opts["kind"],
            file=opts["file"],
            release=opts["release"],
            effective=opts["effective"],
            dry_run=opts["dry_run"],
            qualifying_apm=opts["qualifying_apm"],
            verbosity=opts["verbosity"],
        )
