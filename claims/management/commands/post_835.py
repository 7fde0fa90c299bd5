"""`manage.py post_835 FILE… --clinic ID --user NAME`: post payers' 835 remittance files, as the
owner's Remittances page does (docs/billing-rules.md §12). A file already posted is reported and
skipped; a file that cannot be read posts nothing and the command says why. The files are
posted here, in this process, not on the job queue as the page's uploads are: they are on this
host, and the command waits for the answer anyway."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims.remittance.services import AlreadyPosted, remittance_post
from ptclinic.models import Clinic


class Command(BaseCommand):
    help = "Post 835 remittance files to a clinic's claims."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("files", nargs="+", type=Path, help="835 files to post")
        parser.add_argument("--clinic", required=True, help="The clinic's id or exact name.")
        parser.add_argument("--user", required=True, help="Who posts them (a username).")

    def handle(self, *args: Any, **options: Any) -> None:
        clinic_arg = options["clinic"]
        clinics = (
            Clinic.objects.filter(pk=int(clinic_arg))
            if clinic_arg.isdigit()
            else Clinic.objects.filter(name=clinic_arg)
        )
        clinic = clinics.first()
        if clinic is None:
            raise CommandError(f"No clinic {clinic_arg!r}: give its id or its exact name.")
        user = get_user_model().objects.filter(username=options["user"]).first()
        if user is None:
            raise CommandError(f"No user {options['user']!r}.")
        failed = 0
        for path in options["files"]:
            try:
                content = path.read_bytes()
            except OSError as error:
                self.stderr.write(f"{path}: cannot read it ({error.strerror}).")
                failed += 1
                continue
            try:
                posted = remittance_post(
                    clinic=clinic, user=user, content=content, filename=path.name
                )
            except AlreadyPosted as error:
                self.stdout.write(f"{path}: {error.messages[0]}")
                continue
            except ValidationError as error:
                self.stderr.write(f"{path}: nothing posted: " + " ".join(error.messages))
                failed += 1
                continue
            self.stdout.write(
                f"{path}: {posted.matched_count} of {posted.claim_count} payments posted to "
                f"claims, {posted.claim_count - posted.matched_count} on the worklist, "
                f"{posted.already_posted} posted before; ${posted.total_paid:,.2f} paid."
            )
        if failed:
            raise CommandError(f"{failed} file(s) could not be posted.")
