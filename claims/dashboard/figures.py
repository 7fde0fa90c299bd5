"""The owner's dashboard figures that read months of a clinic's claims (money, flags by rule,
units by clinician, the care lists), kept a few minutes in the cache every host shares.

At a million claim lines they cost a few hundred milliseconds together; an owner opening the
dashboard gets them from the cache (one read), as of the time shown on the page. The workers
refresh every clinic's default view every 5 minutes (`ptclinic.jobs.tasks`); without workers
(SQLite), the first view after `MAX_AGE` computes them again. The review counts and the claims
waiting to be sent stay live: they are cheap, and an owner who just approved claims expects
them to move.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import caches
from django.utils import timezone

from claims.dashboard.care import CareLists, care_lists
from claims.dashboard.money import MoneyTiles, money_tiles
from claims.dashboard.period import Period, default_period
from claims.dashboard.practice import (
    ClinicianUnits,
    FlagTrend,
    flags_by_rule,
    units_by_clinician,
)
from ptclinic.models import Clinic, Role

# Bump when Figures changes shape: entries of the old shape are never read.
VERSION = 1


@dataclass(frozen=True)
class Figures:
    money: MoneyTiles
    flags: FlagTrend
    units: tuple[ClinicianUnits, ...]
    care: CareLists
    computed_at: dt.datetime


def max_age() -> int:
    """Seconds a view takes figures from the cache (0: never cached)."""
    return int(settings.DASHBOARD_MAX_AGE_SECONDS)


def _age(figures: Figures) -> float:
    return (timezone.now() - figures.computed_at).total_seconds()


def _key(clinic_id: int, period: Period, today: dt.date) -> str:
    return f"dashboard:{VERSION}:{clinic_id}:{period.start}:{period.end}:{today}"


def figures_compute(*, clinic: Clinic, period: Period, today: dt.date) -> Figures:
    return Figures(
        money=money_tiles(clinic=clinic, period=period),
        flags=flags_by_rule(clinic=clinic, period=period),
        units=units_by_clinician(clinic=clinic, period=period),
        care=care_lists(clinic=clinic, today=today),
        computed_at=timezone.now(),
    )


def dashboard_figures(
    *, clinic: Clinic, period: Period, today: dt.date, fresh: bool = False
) -> Figures:
    """The figures from the shared cache when they are at most `max_age()` seconds old, else
    computed now and kept. `fresh`: computed now whatever the cache holds (the page's Refresh)."""
    age = max_age()
    if age <= 0:
        return figures_compute(clinic=clinic, period=period, today=today)
    cache = caches["shared"]
    key = _key(clinic.pk, period, today)
    if not fresh:
        cached = cache.get(key)
        if (
            isinstance(cached, Figures)
            and (timezone.now() - cached.computed_at).total_seconds() <= age
        ):
            return cached
    figures = figures_compute(clinic=clinic, period=period, today=today)
    # Kept longer than it is used, so a worker's refresh replaces it before any view misses.
    cache.set(key, figures, timeout=3 * age)
    return figures


def dashboards_refresh(*, today: dt.date | None = None) -> int:
    """Compute every clinic's default view again (the clinics with an owner). Returns how many."""
    today = today or timezone.localdate()
    period = default_period(today)
    clinics = Clinic.objects.filter(
        memberships__role=Role.OWNER, memberships__active=True
    ).distinct()
    count = 0
    for clinic in clinics.order_by("pk"):
        dashboard_figures(clinic=clinic, period=period, today=today, fresh=True)
        count += 1
    return count
