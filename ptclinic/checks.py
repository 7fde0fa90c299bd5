from django.conf import settings
from django.core.checks import Error, register


@register(deploy=True)
def secret_key_from_environment(app_configs, **kwargs):  # type: ignore[no-untyped-def]
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
