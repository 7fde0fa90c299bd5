"""The owner's money tiles: the first-pass clean-claim rate, denials by month and reason, and
the worklist, from posted remittances (docs/billing-rules.md §12.4)."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from claims.dashboard.money import money_tiles
from claims.dashboard.period import Period
from claims.remittance.answers import Denial
from tests.claims.remittance.test_posting_services import PAID_ON, era_file, post, sent
from tests.claims.remittance.test_posting_services import sender as sender

pytestmark = pytest.mark.usefixtures("reference")


def period_around_today() -> Period:
    import datetime as dt

    from django.utils import timezone

    today = timezone.localdate()
    return Period(min(today, PAID_ON).replace(day=1) - dt.timedelta(days=62), max(today, PAID_ON))


def test_a_claim_paid_first_time_is_clean_and_a_denied_one_is_not(
    clinic: Any, pt: Any, sender: Any
) -> None:
    paid = sent(clinic, pt, sender)
    denied = sent(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    post(clinic, sender, era_file(clinic, [paid]))
    post(clinic, sender, era_file(clinic, [denied], trace="EFT2", denials={"97140": Denial("97")}))
    tiles = money_tiles(clinic=clinic, period=period_around_today())
    assert tiles.posted
    assert tiles.clean_rate == 50.0  # one of the two decided claims went through clean
    assert (tiles.report.denied, tiles.report.lines) == (1, 3)
    assert tiles.denial_rate == round(100 / 3, 1)
    assert [row.key for row in tiles.top_reasons] == ["CO-97"]
    assert [name for name, _ in tiles.reasons_table] == ["CO-97"]
    assert "CO-97" in tiles.reasons_chart


def test_months_without_claims_decided_have_no_rate_rather_than_zero(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim]))
    tiles = money_tiles(clinic=clinic, period=period_around_today())
    rates = {row.month: row.clean_rate for row in tiles.months}
    assert rates[claim.date_of_service.replace(day=1)] == 100.0
    assert any(rate is None for rate in rates.values())


def test_the_dashboard_shows_the_money_tiles_linking_to_the_denial_report(
    client_for: Any, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    post(clinic, sender, era_file(clinic, [claim], denials={"97110": Denial("50")}))
    period = period_around_today()
    response = client_for(sender).get(
        reverse("home"), {"start": period.start.isoformat(), "end": period.end.isoformat()}
    )
    page = response.content.decode()
    assert 'data-testid="money-tiles"' in page
    assert f"{reverse('denial-report')}?start={period.start.isoformat()}" in page
    assert "CO-50" in page
    assert "0.0%" in page  # no claim was clean: the rate says so


def test_a_clinic_without_remittances_is_told_how_to_get_them(
    client_for: Any, clinic: Any, sender: Any
) -> None:
    client: Client = client_for(sender)
    page = client.get(reverse("home")).content.decode()
    assert 'data-testid="money-empty"' in page
    assert reverse("remittance-list") in page
