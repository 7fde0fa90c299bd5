from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from ptclinic import demo, two_factor


class Command(BaseCommand):
    help = (
        "Print the two-factor code the demo's authenticator shows now, for the demo users who "
        "sign in with one (demo-owner, demo-admin, demo-clinic-admin). DEBUG only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: the demo's published two-factor key is not in use.")
        users = get_user_model().objects.filter(username__in=demo.DEMO_TWO_FACTOR_USERS)
        found = False
        for user in users.order_by("username"):
            device = two_factor.authenticator(user)
            if device is None or device.key != demo.DEMO_TOTP_KEY:
                continue  # set up with a real phone since: its code is on that phone
            found = True
            self.stdout.write(f"{user.username:<18} {two_factor.current_code(device)}")
        if not found:
            raise CommandError("No demo user has the demo authenticator: run `make run` first.")
        self.stdout.write("Each code works once, for 30 seconds.")
