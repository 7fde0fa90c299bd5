"""The owner's money tiles: the first-pass clean-claim rate, denials over time and by reason,
and what waits on the payment worklist (docs/billing-rules.md §12.4). The figures come from
`claims.remittance.reports`, the same functions the denial report reads; this module only
arranges them for the page and draws the charts."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.safestring import SafeString, mark_safe

from claims.models import ClaimPayment
from claims.remittance import reports
from ptclinic import charts

TOP_REASONS = 5


@dataclass(frozen=True)
class MonthRow:
    month: dt.date
    decided: int
    clean: int
    clean_rate: float | None
    lines: int
    denied: int
    denial_rate: float | None
    paid: Decimal
    denied_billed: Decimal


@dataclass(frozen=True)
class MoneyTiles:
    posted: bool  # any payment posted in the period
    months: tuple[MonthRow, ...]
    clean_rate: float | None
    denial_rate: float | None
    paid: Decimal
    report: reports.DenialReport
    top_reasons: tuple[reports.DenialRow, ...]
    unmatched: int
    rate_chart: SafeString
    reasons_chart: SafeString
    reasons_legend: tuple[str, ...]
    reasons_table: tuple[tuple[str, tuple[Decimal, ...]], ...]  # reason → amount per month
    query: str  # the period as a query string, for the links


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 1) if whole else None


def money_tiles(*, clinic: Any, period: Any) -> MoneyTiles:
    """Every money figure of the period (about six aggregate queries, whatever the volume)."""
    start, end = period.start, period.end
    months = period.months()
    rates = {r.month: r for r in reports.first_pass_by_month(clinic=clinic, start=start, end=end)}
    money = {m.month: m for m in reports.money_by_month(clinic=clinic, start=start, end=end)}
    report = reports.denial_report(clinic=clinic, start=start, end=end)
    rows = []
    for month in months:
        rate = rates.get(month)
        cash = money.get(month)
        decided, clean = (rate.decided, rate.clean) if rate else (0, 0)
        lines, denied = (cash.lines, cash.denied) if cash else (0, 0)
        rows.append(
            MonthRow(
                month=month,
                decided=decided,
                clean=clean,
                clean_rate=_rate(clean, decided),
                lines=lines,
                denied=denied,
                denial_rate=_rate(denied, lines),
                paid=cash.paid if cash else Decimal(0),
                denied_billed=cash.denied_billed if cash else Decimal(0),
            )
        )
    labels = [f"{m:%b %Y}" for m in months]
    rate_chart = charts.line_chart(
        title="First-pass clean-claim rate and denial rate by month",
        labels=labels,
        series=[
            charts.Series("Clean on first pass", tuple(r.clean_rate for r in rows)),
            charts.Series("Lines denied", tuple(r.denial_rate for r in rows)),
        ],
        unit="%",
        y_max=100,
    )
    top = report.by_reason[:TOP_REASONS]
    shown = [row.key for row in top]
    by_month: dict[str, dict[dt.date, Decimal]] = {}
    for month, reason, billed in reports.denied_by_reason_month(
        clinic=clinic, start=start, end=end
    ):
        name = reason if reason in shown else "Other"
        bucket = by_month.setdefault(name or "No reason given", {})
        bucket[month] = bucket.get(month, Decimal(0)) + billed
    legend = [name or "No reason given" for name in shown] + (
        ["Other"] if "Other" in by_month else []
    )
    table = tuple(
        (name, tuple(by_month.get(name, {}).get(m, Decimal(0)) for m in months)) for name in legend
    )
    reasons_chart = charts.stacked_bars(
        title="Billed charge denied by reason and month",
        labels=labels,
        series=[charts.Series(name, amounts) for name, amounts in table],
        unit="$",
    )
    decided = sum(r.decided for r in rows)
    lines = sum(r.lines for r in rows)
    return MoneyTiles(
        posted=bool(lines or decided),
        months=tuple(rows),
        clean_rate=_rate(sum(r.clean for r in rows), decided),
        denial_rate=_rate(sum(r.denied for r in rows), lines),
        paid=sum((r.paid for r in rows), Decimal(0)),
        report=report,
        top_reasons=tuple(top),
        unmatched=ClaimPayment.objects.for_clinic(clinic).unmatched().count(),
        rate_chart=mark_safe(rate_chart),
        reasons_chart=mark_safe(reasons_chart),
        reasons_legend=tuple(legend),
        reasons_table=table,
        query=f"start={start.isoformat()}&end={end.isoformat()}",
    )
