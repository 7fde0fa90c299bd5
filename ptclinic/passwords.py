"""Password rules beyond Django's: the demo's shared password is for demos only."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError


class NotTheDemoPasswordValidator:
    """Refuses the demo logins' password (printed in the README) when DEBUG is off: on a real
    installation it would be the first password anyone tries."""

    def validate(self, password: str, user: Any = None) -> None:
        from ptclinic.demo import DEMO_PASSWORD

        if not settings.DEBUG and password == DEMO_PASSWORD:
            raise ValidationError(
                "That is the demo password, which everyone knows: choose another.",
                code="demo_password",
            )

    def get_help_text(self) -> str:
        return "Your password cannot be the demo password."
