from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from ptclinic import demo


class Command(BaseCommand):
    help = "Create or refresh the demo clinic, its users and (synthetic) data. Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (it resets the demo users' passwords).",
        )

    def handle(self, *args: object, force: bool = False, **options: object) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "DEBUG is off: this looks like production. seed_demo creates users with a "
                "published password; pass --force if you really want that here."
            )
        summary = demo.seed()
        for line in summary:
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Demo data ready."))
        self.stdout.write("")
        self.stdout.write(f"Demo logins (password for all: {demo.DEMO_PASSWORD}):")
        for username, description in demo.DEMO_USERS_HELP:
            self.stdout.write(f"  {username:<17} {description}")
        self.stdout.write(
            "Owners and admins also give a two-factor code: `python manage.py demo_code` prints it."
        )
