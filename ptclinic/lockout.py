"""The second login limit: per username, from every address together.

django-axes locks a (username, client address) pair after LOGIN_FAILURE_LIMIT wrong passwords,
so a stranger guessing at a therapist's password from one address locks only that address. A
guesser with many addresses would never be stopped by that alone: after
LOGIN_USERNAME_FAILURE_LIMIT wrong passwords for one username from all addresses together
(within the lockout time), the username is locked everywhere until the lockout time passes or
the platform admin deletes the attempts (Admin › Access attempts)."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Sum
from django.utils import timezone


def username_failures(username: str) -> int:
    """Wrong passwords for `username` within the lockout time, from every address."""
    from axes.models import AccessAttempt

    since = timezone.now() - settings.AXES_COOLOFF_TIME
    total = AccessAttempt.objects.filter(username=username, attempt_time__gte=since).aggregate(
        n=Sum("failures_since_start")
    )["n"]
    return int(total or 0)


def username_locked(username: str) -> bool:
    return bool(username) and username_failures(username) >= settings.LOGIN_USERNAME_FAILURE_LIMIT
