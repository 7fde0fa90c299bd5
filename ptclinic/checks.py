from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import CheckMessage, Error, register


@register(deploy=True)
def secret_key_from_environment(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """A production host must share one SECRET_KEY with its peers, so it comes from the env."""
    if settings.SECRET_KEY_FROM_ENV:
        return []
    return [
        Error(
            "SECRET_KEY is not set in the environment; a per-machine key under var/ was used.",
            hint="Set SECRET_KEY to the same long random value on every app host.",
            id="ptclinic.E001",
        )
    ]


@register()
def jobs_runner_fits_the_database(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """The queue lives in PostgreSQL: on SQLite, jobs can only run in-process."""
    runner = settings.JOBS_RUNNER
    if runner == "inline" or (runner == "queue" and settings.ON_POSTGRESQL):
        return []
    return [
        Error(
            f"JOBS_RUNNER={runner!r} cannot work with this database.",
            hint='Use "queue" with PostgreSQL, or "inline" (jobs run in the request).',
            id="ptclinic.E002",
        )
    ]
