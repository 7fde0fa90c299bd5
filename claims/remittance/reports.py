"""What the payers' money says, read for people: a claim's payments in plain words, and the
denials of a period by reason, by rule, by payer and by clinician (docs/billing-rules.md §12).

Each figure is one aggregate query over the posted lines; the dashboard's money tiles and the
denial report read the same functions.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth

from claims.models import Adjustment, Claim, ClaimEvent, ClaimPayment, ClaimStatus, LinePayment
from claims.remittance import codes
from claims.scrubber import RULES
from ptclinic.models import Clinic

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    """A sum as money: SQLite adds decimals as floats."""
    return Decimal(str(value or 0)).quantize(CENT)


# --- a claim's payments ----------------------------------------------------------------------


@dataclass(frozen=True)
class AdjustmentView:
    label: str  # CO-45
    group_words: str
    reason_words: str
    amount: Decimal


@dataclass(frozen=True)
class RemarkView:
    code: str
    words: str


@dataclass(frozen=True)
class LineView:
    line: LinePayment
    adjustments: tuple[AdjustmentView, ...]
    remarks: tuple[RemarkView, ...]
    denial_words: str = ""


@dataclass(frozen=True)
class PaymentView:
    payment: ClaimPayment
    lines: tuple[LineView, ...]
    adjustments: tuple[AdjustmentView, ...]  # claim level
    remarks: tuple[RemarkView, ...]
    method: str
    glossary: tuple[tuple[str, str, str], ...] = ()  # (code, plain words, reference anchor)


def _adjustment(a: Adjustment) -> AdjustmentView:
    return AdjustmentView(
        label=codes.adjustment_label(a.group, a.reason),
        group_words=codes.describe_group(a.group),
        reason_words=codes.describe_carc(a.reason),
        amount=a.amount,
    )


def _remarks(values: Sequence[str]) -> tuple[RemarkView, ...]:
    return tuple(RemarkView(code, codes.describe_rarc(code)) for code in values)


def claim_payments(claim: Claim) -> list[PaymentView]:
    """The claim's postings, first first, each line with its adjustments and remarks in words
    (three queries)."""
    from claims.remittance.era import METHODS

    payments = list(
        ClaimPayment.objects.filter(claim=claim)
        .select_related("remittance")
        .prefetch_related("lines", "adjustments")
        .order_by("id")
    )
    views = []
    for payment in payments:
        by_line: dict[int | None, list[AdjustmentView]] = {}
        for adjustment in payment.adjustments.all():
            by_line.setdefault(adjustment.line_id, []).append(_adjustment(adjustment))
        lines = tuple(
            LineView(
                line=line,
                adjustments=tuple(by_line.get(line.pk, ())),
                remarks=_remarks(line.remarks),
                denial_words=codes.describe_carc(line.denial_code.partition("-")[2])
                if line.denial_code
                else "",
            )
            for line in payment.lines.all()
        )
        # Each code once, with its words and its entry on the payment codes page.
        glossary: dict[str, tuple[str, str]] = {}
        for adjustments in by_line.values():
            for a in adjustments:
                glossary.setdefault(a.label, (a.reason_words, a.label.partition("-")[2]))
        for remark in (*_remarks(payment.remarks), *(r for v in lines for r in v.remarks)):
            glossary.setdefault(remark.code, (remark.words, remark.code))
        views.append(
            PaymentView(
                payment=payment,
                lines=lines,
                adjustments=tuple(by_line.get(None, ())),
                remarks=_remarks(payment.remarks),
                method=METHODS.get(payment.remittance.method, payment.remittance.method),
                glossary=tuple((code, *entry) for code, entry in glossary.items()),
            )
        )
    return views


# --- denials of a period ---------------------------------------------------------------------


def posted_lines(*, clinic: Clinic, start: dt.date, end: dt.date) -> QuerySet[LinePayment]:
    """The lines of the clinic's payments posted to claims, paid (check/EFT date) in the
    period; reversals left out (they cancel an earlier posting)."""
    return LinePayment.objects.filter(
        payment__clinic=clinic,
        payment__claim__isnull=False,
        payment__paid_on__range=(start, end),
    ).exclude(payment__outcome="reversed")


@dataclass(frozen=True)
class DenialRow:
    key: str  # the value filtered on (a code, a rule id, an id)
    label: str
    words: str
    lines: int
    billed: Decimal
    expected: Decimal


@dataclass(frozen=True)
class DenialReport:
    lines: int  # posted lines in the period
    denied: int
    billed: Decimal  # billed charge of the denied lines
    expected: Decimal  # what ptclinic expected for them
    by_reason: tuple[DenialRow, ...]
    by_rule: tuple[DenialRow, ...]
    by_payer: tuple[DenialRow, ...]
    by_clinician: tuple[DenialRow, ...]
    uncaught: int = 0  # denied lines no rule flagged
    families_uncaught: tuple[DenialRow, ...] = field(default=())

    @property
    def rate(self) -> float | None:
        return 100 * self.denied / self.lines if self.lines else None


def _sums(rows: QuerySet[Any]) -> QuerySet[Any]:
    sums: QuerySet[Any] = rows.annotate(
        n=Count("id"),
        billed=Coalesce(Sum("charge"), Value(ZERO)),
        expected=Coalesce(Sum("expected_amount"), Value(ZERO)),
    ).order_by("-billed", "-n")
    return sums


def denial_report(*, clinic: Clinic, start: dt.date, end: dt.date) -> DenialReport:
    """Denied lines of the period grouped four ways, with amounts (six queries)."""
    lines = posted_lines(clinic=clinic, start=start, end=end)
    # The aliases must not be field names: a filter on `denied` would read the alias.
    totals = lines.aggregate(
        n_lines=Count("id"),
        n_denied=Count("id", filter=Q(denied=True)),
        sum_billed=Coalesce(Sum("charge", filter=Q(denied=True)), Value(ZERO)),
        sum_expected=Coalesce(Sum("expected_amount", filter=Q(denied=True)), Value(ZERO)),
        n_uncaught=Count("id", filter=Q(denied=True, caught_by_rule="")),
    )
    denied = lines.filter(denied=True)
    by_reason = tuple(
        DenialRow(
            r["denial_code"],
            r["denial_code"] or "No reason given",
            codes.describe_carc(r["denial_code"].partition("-")[2]) if r["denial_code"] else "",
            r["n"],
            _cents(r["billed"]),
            _cents(r["expected"]),
        )
        for r in _sums(denied.values("denial_code"))
    )
    titles = {rule_id: rule.title for rule_id, rule in RULES.items()}
    by_rule = tuple(
        DenialRow(
            r["caught_by_rule"],
            titles.get(r["caught_by_rule"], r["caught_by_rule"]) if r["caught_by_rule"] else "",
            r["denial_family"],
            r["n"],
            _cents(r["billed"]),
            _cents(r["expected"]),
        )
        for r in _sums(denied.exclude(caught_by_rule="").values("caught_by_rule", "denial_family"))
    )
    families_uncaught = tuple(
        DenialRow(
            r["denial_family"],
            r["denial_family"] or "No rule can foresee it",
            "",
            r["n"],
            _cents(r["billed"]),
            _cents(r["expected"]),
        )
        for r in _sums(denied.filter(caught_by_rule="").values("denial_family"))
    )
    by_payer = tuple(
        DenialRow(
            str(r["payer_id"]),
            r["payer_name"],
            "",
            r["n"],
            _cents(r["billed"]),
            _cents(r["expected"]),
        )
        for r in _sums(
            denied.annotate(
                payer_id=F("payment__claim__payer_id"), payer_name=F("payment__claim__payer__name")
            ).values("payer_id", "payer_name")
        )
    )
    by_clinician = tuple(
        DenialRow(
            str(r["therapist_id"]),
            " ".join(p for p in (r["first"], r["last"]) if p) or r["username"],
            "",
            r["n"],
            _cents(r["billed"]),
            _cents(r["expected"]),
        )
        for r in _sums(
            denied.annotate(
                therapist_id=F("payment__claim__therapist_id"),
                first=F("payment__claim__therapist__user__first_name"),
                last=F("payment__claim__therapist__user__last_name"),
                username=F("payment__claim__therapist__user__username"),
            ).values("therapist_id", "first", "last", "username")
        )
    )
    return DenialReport(
        lines=totals["n_lines"],
        denied=totals["n_denied"],
        billed=_cents(totals["sum_billed"]),
        expected=_cents(totals["sum_expected"]),
        by_reason=by_reason,
        by_rule=by_rule,
        by_payer=by_payer,
        by_clinician=by_clinician,
        uncaught=totals["n_uncaught"],
        families_uncaught=families_uncaught,
    )


def denied_lines(
    *, clinic: Clinic, start: dt.date, end: dt.date, filters: dict[str, str], limit: int = 200
) -> list[LinePayment]:
    """The denied lines behind a row of the report (``reason``, ``rule``, ``payer``,
    ``clinician``, ``uncaught``, or ``family``: uncaught in that family), newest first."""
    rows = posted_lines(clinic=clinic, start=start, end=end).filter(denied=True)
    # What came from the address bar: text without NUL bytes, ids only when they are ids.
    filters = {key: value.replace("\x00", "")[:60] for key, value in filters.items()}
    payer, clinician = _id(filters.get("payer", "")), _id(filters.get("clinician", ""))
    if "reason" in filters:
        rows = rows.filter(denial_code=filters["reason"])
    if "rule" in filters:
        rows = rows.filter(caught_by_rule=filters["rule"])
    if payer is not None:
        rows = rows.filter(payment__claim__payer_id=payer)
    if clinician is not None:
        rows = rows.filter(payment__claim__therapist_id=clinician)
    if "uncaught" in filters:
        rows = rows.filter(caught_by_rule="")
    if "family" in filters:
        rows = rows.filter(caught_by_rule="", denial_family=filters["family"])
    return list(
        rows.select_related(
            "payment__claim__patient", "payment__claim__payer", "payment__remittance"
        ).order_by("-payment__paid_on", "-id")[:limit]
    )


@dataclass(frozen=True)
class MonthMoney:
    month: dt.date
    lines: int
    denied: int
    paid: Decimal
    denied_billed: Decimal


def money_by_month(*, clinic: Clinic, start: dt.date, end: dt.date) -> list[MonthMoney]:
    """Per month of payment: lines posted, lines denied, money paid and billed charge denied."""
    rows = (
        posted_lines(clinic=clinic, start=start, end=end)
        .annotate(month=TruncMonth("payment__paid_on"))
        .values("month")
        .annotate(  # aliases unlike the fields, which the filters name
            n_lines=Count("id"),
            n_denied=Count("id", filter=Q(denied=True)),
            sum_paid=Coalesce(Sum("paid"), Value(ZERO)),
            denied_billed=Coalesce(Sum("charge", filter=Q(denied=True)), Value(ZERO)),
        )
        .order_by("month")
    )
    return [
        MonthMoney(
            _as_date(r["month"]),
            r["n_lines"],
            r["n_denied"],
            _cents(r["sum_paid"]),
            _cents(r["denied_billed"]),
        )
        for r in rows
    ]


def denied_by_reason_month(
    *, clinic: Clinic, start: dt.date, end: dt.date
) -> list[tuple[dt.date, str, Decimal]]:
    """(month, reason, billed charge denied) for the stacked chart."""
    rows = (
        posted_lines(clinic=clinic, start=start, end=end)
        .filter(denied=True)
        .annotate(month=TruncMonth("payment__paid_on"))
        .values("month", "denial_code")
        .annotate(billed=Coalesce(Sum("charge"), Value(ZERO)))
        .order_by("month", "denial_code")
    )
    return [(_as_date(r["month"]), r["denial_code"], _cents(r["billed"])) for r in rows]


def _id(text: str) -> int | None:
    """A row id typed in a URL, or None ("²" is a digit to Python, not to a database)."""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def _as_date(value: Any) -> dt.date:
    return value.date() if isinstance(value, dt.datetime) else value


@dataclass(frozen=True)
class MonthRate:
    month: dt.date
    decided: int  # claims the payer adjudicated or the clearinghouse rejected
    clean: int  # of them, paid in full the first time they were sent


def first_pass_by_month(*, clinic: Clinic, start: dt.date, end: dt.date) -> list[MonthRate]:
    """The first-pass clean-claim rate per month of service (§12.4): of the claims a payer
    decided (or the clearinghouse rejected), those paid without a rejection, a denial or a
    partial payment on the way. Two queries, each driven by the small tables (payments, and the
    moves to rejected), never by every claim of the months."""
    troubled = ClaimEvent.objects.filter(claim=OuterRef("claim"), to_status__in=TROUBLE)
    month = TruncMonth("claim__date_of_service")
    paid = (
        ClaimPayment.objects.filter(
            clinic=clinic, claim__isnull=False, claim__date_of_service__range=(start, end)
        )
        .annotate(month=month)
        .values("month")
        .annotate(
            decided=Count("claim", distinct=True),
            clean_claims=Count("claim", distinct=True, filter=~Q(Exists(troubled))),
        )
    )
    rejected_only = (
        ClaimEvent.objects.filter(
            to_status=ClaimStatus.REJECTED,
            claim__clinic=clinic,
            claim__date_of_service__range=(start, end),
        )
        .exclude(claim__payments__isnull=False)
        .annotate(month=month)
        .values("month")
        .annotate(decided=Count("claim", distinct=True))
    )
    months: dict[dt.date, list[int]] = {}
    for row in paid:
        months[_as_date(row["month"])] = [row["decided"], row["clean_claims"]]
    for rejected in rejected_only:
        months.setdefault(_as_date(rejected["month"]), [0, 0])[0] += rejected["decided"]
    return [MonthRate(m, decided, clean) for m, (decided, clean) in sorted(months.items())]


TROUBLE = (ClaimStatus.REJECTED, ClaimStatus.DENIED, ClaimStatus.PARTLY_PAID)
