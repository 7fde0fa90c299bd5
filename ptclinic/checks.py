import importlib.util
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


@register()
def file_storage_is_configured(
    app_configs: Sequence[AppConfig] | None, **kwargs: Any
) -> list[CheckMessage]:
    """FILE_STORAGE=s3 needs django-storages and a bucket: without them no file can be kept."""
    if settings.FILE_STORAGE == "local":
        return []
    if settings.FILE_STORAGE != "s3":
        return [
            Error(
                f"FILE_STORAGE={settings.FILE_STORAGE!r} is not a storage ptclinic knows.",
                hint='Use "local" (MEDIA_ROOT) or "s3".',
                id="ptclinic.E003",
            )
        ]
    errors: list[CheckMessage] = []
    if importlib.util.find_spec("storages") is None or importlib.util.find_spec("boto3") is None:
        errors.append(
            Error(
                "FILE_STORAGE=s3 needs django-storages with boto3.",
                hint='pip install "django-storages[s3]" on every host and worker.',
                id="ptclinic.E003",
            )
        )
    if not settings.STORAGES["default"]["OPTIONS"]["bucket_name"]:
        errors.append(
            Error(
                "FILE_STORAGE=s3 without S3_BUCKET.",
                hint="Set S3_BUCKET (and S3_ENDPOINT_URL for a store other than AWS).",
                id="ptclinic.E003",
            )
        )
    return errors
