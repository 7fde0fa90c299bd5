from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_otp.plugins.otp_totp.models import TOTPDevice

from ptclinic import demo, two_factor


class Command(BaseCommand):
    help = (
        "Print the two-factor code the demo's authenticator shows now, for the demo users who "
        "sign in with it (the owner and the admins). DEBUG only."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("DEBUG is off: the demo's published two-factor key is not in use.")
        # Whoever set up a real phone since has their code on that phone.
        devices = list(
            TOTPDevice.objects.filter(key=demo.DEMO_TOTP_KEY, confirmed=True)
            .select_related("user")
            .order_by("user__username")
        )
        for device in devices:
            self.stdout.write(f"{device.user.username:<18} {two_factor.current_code(device)}")
        if not devices:
            raise CommandError("No demo user has the demo authenticator: run `make run` first.")
        self.stdout.write("Each code works once, for 30 seconds.")
