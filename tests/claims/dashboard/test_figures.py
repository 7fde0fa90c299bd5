"""The dashboard's figures over months of claims come from the cache every host shares, as of
the time the page shows; the review counts stay live; Refresh computes them again."""

from typing import Any

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims.dashboard.figures import Figures, dashboard_figures, dashboards_refresh
from claims.dashboard.period import default_period
from claims.models import Claim
from tests.claims.dashboard.test_home import HOME, page, section, text_of
from tests.claims.test_review import make_claim

pytestmark = [pytest.mark.usefixtures("reference"), pytest.mark.django_db]
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def cached() -> Any:
    caches["shared"].clear()
    with override_settings(DASHBOARD_MAX_AGE_SECONDS=360):
        yield
    caches["shared"].clear()


def _visits(html: str) -> str:
    return text_of(section(html, "tile-units"))


def test_the_figures_are_kept_and_refresh_brings_them_up_to_date(
    clinic: Any, pt: Any, owner: Any, client_for: Any
) -> None:
    make_claim(clinic, pt, days_ago=3)
    boss = client_for(owner)
    first = page(boss)
    assert "Figures as of" in first and "Refresh now" in first
    make_claim(clinic, pt, days_ago=2)
    make_claim(clinic, pt, days_ago=1)
    again = page(boss)
    assert _visits(again) == _visits(first)  # as of the first view
    # The review counts are live, whatever the cache holds.
    assert "3 claims need review" in text_of(section(again, "review-counts"))
    refreshed = page(boss, refresh="1")
    assert _visits(refreshed) != _visits(first)
    assert _visits(page(boss)) == _visits(refreshed)


def test_figures_older_than_the_max_age_are_computed_again(clinic: Any, pt: Any) -> None:
    make_claim(clinic, pt)
    period = default_period(TODAY)
    first = dashboard_figures(clinic=clinic, period=period, today=TODAY)
    assert dashboard_figures(clinic=clinic, period=period, today=TODAY) == first
    with override_settings(DASHBOARD_MAX_AGE_SECONDS=1):
        later = timezone.now() + timezone.timedelta(seconds=5)
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr("claims.dashboard.figures.timezone.now", lambda: later)
            again = dashboard_figures(clinic=clinic, period=period, today=TODAY)
    assert again.computed_at == later


def test_the_workers_refresh_keeps_every_clinics_default_view(
    clinic: Any, pt: Any, owner: Any, other_clinic: Any
) -> None:
    make_claim(clinic, pt)
    assert dashboards_refresh(today=TODAY) == 1  # the other clinic has no owner
    key = f"dashboard:1:{clinic.pk}:{default_period(TODAY).start}:{TODAY}:{TODAY}"
    kept = caches["shared"].get(key)
    assert isinstance(kept, Figures)
    assert kept.units[0].visits == 1


def test_a_kept_dashboard_reads_the_same_number_of_queries_whatever_the_claims(
    clinic: Any, pt: Any, owner: Any, client_for: Any
) -> None:
    boss = client_for(owner)

    def queries() -> int:
        page(boss)  # keeps the figures
        with CaptureQueriesContext(connection) as captured:
            page(boss)
        return len(captured)

    make_claim(clinic, pt)
    few = queries()
    for days in range(2, 8):
        make_claim(clinic, pt, days_ago=days)
    caches["shared"].clear()
    assert Claim.objects.count() == 7
    assert queries() == few
    assert boss.get(HOME).status_code == 200
