"""What the home page shows each role: the presenters behind `ptclinic.views.home`.

The view stays a few lines: it asks `owner_dashboard` and `therapist_home` for their context and
renders. Here the selectors' results become what the templates print: the charts (SVG from
`ptclinic.charts`, escaped there and marked safe here), the tables of the same numbers (a chart
alone is not accessible), and each tile's link to the filtered list behind it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any
from urllib.parse import urlencode

from django.db.models import Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe

from claims.dashboard.care import KX_NEAR, CareLists, care_lists
from claims.dashboard.figures import dashboard_figures, max_age
from claims.dashboard.period import Period, PeriodForm
from claims.dashboard.practice import Backlog, ClinicianUnits, FlagTrend, review_backlog
from claims.models import Claim, ClaimStatus, TreatmentSession
from claims.scrubber import RULES
from ptclinic import charts
from ptclinic.http import HtmxHttpRequest
from ptclinic.roles import active_clinic, therapist_membership

RECENT_DAYS = 7  # the therapist's recent sessions: this week
RECENT_SESSIONS = 30  # at most this many on the home page; "My sessions" has them all
RETURNED_SHOWN = 20


def _queue(**params: str) -> str:
    """The review queue filtered as ``params`` say (`claims.filters.ClaimReviewFilter`)."""
    url = reverse("review-queue")
    return f"{url}?{urlencode(params)}" if params else url


def _svg(markup: str) -> SafeString:
    # ptclinic.charts escapes every label and value it writes: the markup is safe as it is.
    return mark_safe(markup)


def _month(day: dt.date) -> str:
    return f"{day:%b} {day.year}"


def _backlog_tile(backlog: Backlog) -> dict[str, Any]:
    return {
        "data": backlog,
        "chart": _svg(
            charts.bar_chart(
                title="Open claims by days waiting",
                labels=[bucket.label for bucket in backlog.ages],
                values=[bucket.count for bucket in backlog.ages],
            )
        ),
        "links": {
            "needs_review": _queue(status=ClaimStatus.NEEDS_REVIEW),
            "returned": _queue(status=ClaimStatus.RETURNED),
            "errors_needing_review": _queue(severity="errors"),
            "errors_returned": _queue(status=ClaimStatus.RETURNED, severity="errors"),
        },
    }


def _flags_tile(trend: FlagTrend) -> dict[str, Any]:
    months = [_month(m) for m in trend.months]
    rules = [
        {
            "rule": rule,
            # The queue lists the claims that still have the flag open, waiting for review.
            "url": _queue(rule=rule.rule_id) if rule.rule_id in RULES else "",
            "by_month": counts,
        }
        for rule, counts in zip(trend.rules, trend.by_month, strict=True)
    ]
    return {
        "data": trend,
        "months": months,
        "rules": rules,
        # The clinicians' table, a row per rule and a column per clinician.
        "by_clinician": [
            {"rule": rule, "counts": [c.counts[i] for c in trend.clinicians]}
            for i, rule in enumerate(trend.rules)
        ],
        "month_totals": [sum(column) for column in zip(*trend.by_month, strict=True)]
        if trend.by_month
        else [0] * len(months),
        "chart": _svg(
            charts.stacked_bars(
                title="Flags by rule and month of service",
                labels=months,
                series=[
                    charts.Series(rule.title, tuple(counts))
                    for rule, counts in zip(trend.rules, trend.by_month, strict=True)
                ],
            )
        )
        if trend.total
        else None,
    }


def _units_tile(rows: Sequence[ClinicianUnits]) -> dict[str, Any]:
    if not rows:
        return {"rows": rows, "units_chart": None, "minutes_chart": None}
    names = [row.name for row in rows]
    with_timed = [row for row in rows if row.minutes_per_timed_unit is not None]
    return {
        "rows": rows,
        "units_chart": _svg(
            charts.bar_chart(
                title="Units per visit",
                labels=names,
                values=[row.units_per_visit or 0 for row in rows],
            )
        ),
        "minutes_chart": _svg(
            charts.bar_chart(
                title="Minutes per timed unit",
                labels=[row.name for row in with_timed],
                values=[row.minutes_per_timed_unit or 0 for row in with_timed],
                unit="min",
            )
        )
        if with_timed
        else None,
    }


# The care lists as tiles: (key, heading, what an empty list says, the badge of an urgent item).
CARE_TILES = {
    "kx": (
        "Near or over the KX threshold",
        f"No Medicare patient is within ${KX_NEAR:,.0f} of this year's KX threshold.",
        "Over",
    ),
    "plans": (
        "Plans of care to recertify",
        "No plan of care expires in the next two weeks.",
        "Expired",
    ),
    "progress": (
        "Progress reports due at the next visit",
        "No progress report is due at the next visit.",
        "",
    ),
    "authorizations": (
        "Authorizations running out",
        "No authorization runs out soon.",
        "Act now",
    ),
}


def _care_tiles(care: CareLists, keys: Sequence[str]) -> list[dict[str, Any]]:
    tiles = []
    for key in keys:
        heading, empty, urgent = CARE_TILES[key]
        tiles.append(
            {
                "key": key,
                "heading": heading,
                "empty": empty,
                "urgent": urgent,
                "list": getattr(care, key),
            }
        )
    return tiles


def owner_dashboard(*, request: HtmxHttpRequest) -> dict[str, Any]:
    """The owner's tiles for the active clinic and the period the GET form chose."""
    clinic = active_clinic(request)
    today = timezone.localdate()
    form = PeriodForm(request.GET, today=today)
    period: Period = form.period()
    backlog = review_backlog(clinic=clinic, today=today)
    figures = dashboard_figures(
        clinic=clinic, period=period, today=today, fresh=request.GET.get("refresh") == "1"
    )
    return {
        "period_form": form,
        "period": period,
        "has_claims": Claim.objects.for_clinic(clinic).exists(),
        # The "Claim review" card's counts: the claims waiting for a decision (live).
        "review": {"waiting": backlog.needs_review, "with_errors": backlog.errors_needing_review},
        "to_send": Claim.objects.for_clinic(clinic).ready_to_send_count(),
        "backlog": _backlog_tile(backlog),
        # The figures over months of claims: from the shared cache, as of `figures_as_of`.
        "figures_as_of": figures.computed_at if max_age() > 0 else None,
        "figures_max_age_minutes": max(1, max_age() // 60),
        "money": figures.money,
        "flags": _flags_tile(figures.flags),
        "units": _units_tile(figures.units),
        "care": _care_tiles(figures.care, list(CARE_TILES)),
    }


def therapist_home(*, request: HtmxHttpRequest) -> dict[str, Any]:
    """The therapist's panel: their returned claims with the reviewer's comment, this week's
    sessions, and the care lists of the patients they treat."""
    clinic = active_clinic(request)
    me = therapist_membership(request)
    assert me is not None, "the home view calls this for therapists only"
    today = timezone.localdate()
    returned = (
        Claim.objects.for_therapist(me)
        .for_clinic(clinic)
        .filter(status=ClaimStatus.RETURNED)
        .select_related("patient")
        # Their own session on the claim: the one they edit to fix and resubmit it.
        .annotate(session_id=Min("sessions__pk", filter=Q(sessions__therapist=me)))
        .order_by("decided_at", "pk")
    )
    sessions = list(
        TreatmentSession.objects.for_clinic(clinic)
        .filter(
            therapist=me,
            date_of_service__gte=today - dt.timedelta(days=RECENT_DAYS),
            date_of_service__lte=today,
        )
        .select_related("patient", "claim")
        .order_by("-date_of_service", "-id")[:RECENT_SESSIONS]
    )
    shown = list(returned[:RETURNED_SHOWN])
    return {
        "returned_claims": shown,
        "returned_more": returned.count() - len(shown) if len(shown) == RETURNED_SHOWN else 0,
        "sessions_today": [s for s in sessions if s.date_of_service == today],
        "sessions_recent": [s for s in sessions if s.date_of_service != today],
        "recent_days": RECENT_DAYS,
        "my_care": _care_tiles(
            care_lists(clinic=clinic, today=today, therapist=me), ("progress", "plans")
        ),
        "today": today,
    }
