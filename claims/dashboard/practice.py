"""The owner's practice tiles: the review backlog, the scrubber's flags over time and by
clinician, and the units billed per visit and per timed minute.

Selectors (keyword-only, typed): each one counts in SQL (GROUP BY, `TruncMonth`, filtered
`Count`/`Sum`) with a fixed number of queries, whatever the number of claims; Python only
arranges the grouped rows (at most months × clinicians × rules of them).
Voided claims are left out of the trends: they were cancelled, so their flags and units say
nothing about how the clinic bills.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q, Sum
from django.db.models.functions import TruncMonth
from django.utils import timezone

from claims.dashboard.period import Period
from claims.models import Claim, ClaimFlag, ClaimStatus
from claims.scrubber import RULES
from ptclinic.models import Clinic, Membership

# Days since a claim was sent for review: (first day, last day or None for "and older").
AGE_BUCKETS: tuple[tuple[int, int | None], ...] = ((0, 2), (3, 7), (8, 14), (15, None))
OTHER_RULES = ""  # the rule id of the "other rules" row
OTHER_TITLE = "Other rules"
CENT = Decimal("0.01")


# ---- review backlog ------------------------------------------------------------------------


@dataclass(frozen=True)
class AgeBucket:
    first_day: int
    last_day: int | None  # None: this many days and more
    count: int

    @property
    def label(self) -> str:
        if self.last_day is None:
            return f"{self.first_day}+ days"
        return f"{self.first_day}–{self.last_day} days"


@dataclass(frozen=True)
class Backlog:
    """The claims still in the clinic's hands: waiting for review or returned to their
    therapist, with open errors, by age, and the expected amount held up by errors."""

    needs_review: int
    returned: int
    errors_needing_review: int
    errors_returned: int
    dollars_at_risk: Decimal  # expected amount of the open claims that have open errors
    ages: tuple[AgeBucket, ...]

    @property
    def total(self) -> int:
        return self.needs_review + self.returned

    @property
    def with_errors(self) -> int:
        return self.errors_needing_review + self.errors_returned


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in the clinic's time zone: ages count calendar days."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def review_backlog(*, clinic: Clinic, today: dt.date) -> Backlog:
    """The open claims (needs review or returned) of the clinic, in one query. A claim's age is
    the calendar days since it was last sent for review (`Claim.submitted_at`)."""
    waiting = Q(status=ClaimStatus.NEEDS_REVIEW)
    returned = Q(status=ClaimStatus.RETURNED)
    errors = Q(open_errors__gt=0)
    counts: dict[str, Count | Sum] = {
        "needs_review": Count("pk", filter=waiting),
        "returned": Count("pk", filter=returned),
        "errors_needing_review": Count("pk", filter=waiting & errors),
        "errors_returned": Count("pk", filter=returned & errors),
        "at_risk": Sum("expected_amount", filter=errors),
    }
    for i, (first, last) in enumerate(AGE_BUCKETS):
        # Sent on or before the bucket's first day back, and after the day past its last.
        age = Q(submitted_at__lt=_start_of(today - dt.timedelta(days=first - 1)))
        if first == 0:
            age = Q()  # a clock a little ahead still counts as today
        if last is not None:
            age &= Q(submitted_at__gte=_start_of(today - dt.timedelta(days=last)))
        counts[f"age_{i}"] = Count("pk", filter=age)
    row = Claim.objects.open().for_clinic(clinic).aggregate(**counts)
    return Backlog(
        needs_review=row["needs_review"],
        returned=row["returned"],
        errors_needing_review=row["errors_needing_review"],
        errors_returned=row["errors_returned"],
        # SQLite sums decimals as floats: back to cents.
        dollars_at_risk=Decimal(row["at_risk"] or 0).quantize(CENT),
        ages=tuple(
            AgeBucket(first, last, row[f"age_{i}"]) for i, (first, last) in enumerate(AGE_BUCKETS)
        ),
    )


# ---- flags by rule, over time and by clinician --------------------------------------------


@dataclass(frozen=True)
class RuleTotal:
    rule_id: str  # OTHER_RULES for the rules outside the top ones
    title: str
    count: int

    @property
    def is_other(self) -> bool:
        return self.rule_id == OTHER_RULES


@dataclass(frozen=True)
class ClinicianFlags:
    membership_id: int
    name: str
    counts: tuple[int, ...]  # in the order of `FlagTrend.rules`
    total: int


@dataclass(frozen=True)
class FlagTrend:
    """The scrubber's findings on the period's claims (by date of service), as they stand on
    the claims: open, resolved or waived (a finding a later scrub no longer makes is gone)."""

    months: tuple[dt.date, ...]
    rules: tuple[RuleTotal, ...]  # the top rules by count, then "other rules" when there are any
    by_month: tuple[tuple[int, ...], ...]  # per rule (in `rules` order), the count per month
    clinicians: tuple[ClinicianFlags, ...]
    total: int


def _rule_title(rule_id: str) -> str:
    rule = RULES.get(rule_id)
    return rule.title if rule is not None else rule_id


def flags_by_rule(*, clinic: Clinic, period: Period, top: int = 6) -> FlagTrend:
    """Flag counts per month of the claims' date of service for the ``top`` rules and the rest
    together, and per clinician (the claim's therapist). Two queries: the counts by month,
    clinician and rule in one (the claims' rows are read once), and the clinicians' names."""
    flags = ClaimFlag.objects.filter(
        claim__clinic=clinic,
        claim__date_of_service__gte=period.start,
        claim__date_of_service__lte=period.end,
    ).exclude(claim__status=ClaimStatus.VOIDED)
    # At most months × clinicians × rules rows, whatever the number of flags.
    counted = (
        flags.annotate(month=TruncMonth("claim__date_of_service"))
        .values("month", "claim__therapist_id", "rule_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("month", "claim__therapist_id", "rule_id", "n")
    )
    per_rule: dict[str, int] = defaultdict(int)
    cells: dict[tuple[dt.date, str], int] = defaultdict(int)
    by_therapist: dict[tuple[int, str], int] = defaultdict(int)
    for month, therapist_id, rule_id, n in counted:
        per_rule[rule_id] += n
        cells[(_as_date(month), rule_id)] += n
        by_therapist[(therapist_id, rule_id)] += n
    ranked = sorted(per_rule, key=lambda rule_id: (-per_rule[rule_id], rule_id))
    shown = ranked[:top]
    rest = set(ranked[top:])
    rules = [RuleTotal(rule_id, _rule_title(rule_id), per_rule[rule_id]) for rule_id in shown]
    if rest:
        rules.append(RuleTotal(OTHER_RULES, OTHER_TITLE, sum(per_rule[r] for r in rest)))
    months = tuple(period.months())

    def column(rule_id: str) -> str:
        return OTHER_RULES if rule_id in rest else rule_id

    by_month = {rule.rule_id: [0] * len(months) for rule in rules}
    position = {month: i for i, month in enumerate(months)}
    for (month, rule_id), n in cells.items():
        by_month[column(rule_id)][position[month]] += n
    per_clinician: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for (therapist_id, rule_id), n in by_therapist.items():
        per_clinician[therapist_id][column(rule_id)] += n
    names = clinician_names(membership_ids=per_clinician)
    clinicians = tuple(
        ClinicianFlags(
            membership_id=pk,
            name=names.get(pk, ""),
            counts=tuple(counts.get(rule.rule_id, 0) for rule in rules),
            total=sum(counts.values()),
        )
        for pk, counts in sorted(
            per_clinician.items(), key=lambda kv: (names.get(kv[0], ""), kv[0])
        )
    )
    return FlagTrend(
        months=months,
        rules=tuple(rules),
        by_month=tuple(tuple(by_month[rule.rule_id]) for rule in rules),
        clinicians=clinicians,
        total=sum(per_rule.values()),
    )


def _as_date(value: dt.date | dt.datetime) -> dt.date:
    # TruncMonth of a date column is a date on PostgreSQL and SQLite alike; a datetime is
    # accepted too, in case a backend widens it.
    return value.date() if isinstance(value, dt.datetime) else value


def clinician_names(*, membership_ids: Iterable[int]) -> dict[int, str]:
    """Each clinician's name as the app shows it (`Membership.display_name`): one query."""
    return {
        m.pk: m.display_name
        for m in Membership.objects.filter(pk__in=set(membership_ids)).select_related("user")
    }


# ---- units per visit and minutes per timed unit ------------------------------------------


@dataclass(frozen=True)
class ClinicianUnits:
    """A clinician's claims in the period: visits (claims), units billed, and the minutes and
    units of their timed codes (the 8-minute rule: a timed unit stands for about 15 minutes of
    one-on-one treatment, and needs at least 8)."""

    membership_id: int
    name: str
    visits: int
    units: int
    timed_minutes: int
    timed_units: int

    @property
    def units_per_visit(self) -> Decimal | None:
        return _ratio(self.units, self.visits)

    @property
    def minutes_per_timed_unit(self) -> Decimal | None:
        return _ratio(self.timed_minutes, self.timed_units)


def _ratio(numerator: int, denominator: int) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(
        Decimal("0.1"), rounding=ROUND_HALF_UP
    )


def units_by_clinician(*, clinic: Clinic, period: Period) -> tuple[ClinicianUnits, ...]:
    """Per clinician (the claim's therapist), by name: visits, units per visit and timed minutes
    per timed unit (`coding.BillingCode.timed`) of the period's claims. Two queries: the claims
    with their lines in one (each claim's row is read once), and the clinicians' names.

    A claim's units are its lines' units: the same number as its stored `Claim.total_units`,
    which every write of lines sets to their sum (`claims.services`), summed here from the
    lines the timed figures read anyway."""
    timed = Q(lines__billing_code__timed=True)
    visits = {
        row["therapist_id"]: row
        for row in Claim.objects.for_clinic(clinic)
        .filter(date_of_service__gte=period.start, date_of_service__lte=period.end)
        .exclude(status=ClaimStatus.VOIDED)
        .values("therapist_id")
        .annotate(
            # One row per line: a claim counts once, and one without lines still counts.
            visits=Count("pk", distinct=True),
            units=Sum("lines__units"),
            minutes=Sum("lines__minutes", filter=timed),
            timed_units=Sum("lines__units", filter=timed),
        )
        .order_by()
    }
    names = clinician_names(membership_ids=visits)
    rows = [
        ClinicianUnits(
            membership_id=pk,
            name=names.get(pk, ""),
            visits=row["visits"],
            units=row["units"] or 0,
            timed_minutes=row["minutes"] or 0,
            timed_units=row["timed_units"] or 0,
        )
        for pk, row in visits.items()
    ]
    return tuple(sorted(rows, key=lambda r: (r.name, r.membership_id)))
