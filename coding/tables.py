"""Tables of the code reference pages (django-tables2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.db.models import (
    Case,
    DecimalField,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)

from claims.facts import PAID_FROM_RVUS
from claims.pipeline import CodePrice
from coding.code_groups import MOST_USED
from coding.models import BillingCode, Modifier, RelativeValue
from coding.pricing import Gpci
from coding.sources import source_plain

MAX_PER_PAGE = 100


class PageSizeLimited(tables.Table):
    """`?per_page=` comes from the URL (django-tables2's RequestConfig): a negative one was a 500
    (negative slicing), a huge one a page of every row. Kept between 1 and MAX_PER_PAGE."""

    def paginate(self, *args: Any, per_page: int | None = None, **kwargs: Any) -> Any:
        if per_page is not None:
            per_page = min(max(per_page, 1), MAX_PER_PAGE)
        return super().paginate(*args, per_page=per_page, **kwargs)


_RANK: DecimalField[Decimal, Decimal] = DecimalField(max_digits=14, decimal_places=6)


def most_used_first() -> Case:
    """The position of a code in `MOST_USED` (the rest after them): the list's order when the
    user has chosen no sort."""
    return Case(
        *(When(code=code, then=Value(i)) for i, code in enumerate(MOST_USED)),
        default=Value(len(MOST_USED)),
    )


def medicare_rank(*, day: dt.date, gpci: Gpci | None) -> Subquery | Value:
    """What orders the codes by their Medicare amount on ``day`` at a locality, in SQL: the
    RVUs in force (the latest release of the year that took effect by then) adjusted by the
    locality's GPCIs. The amount is this times the conversion factor, so both order alike.
    NULL where the code has no amount: no RVUs in force, or a status paid from no RVUs of its
    own (as `claims.facts` prices it). ``gpci`` None: the year has no conversion factor, so no
    code has an amount."""
    if gpci is None:
        return Value(None, output_field=_RANK)
    adjusted = (
        F("work_rvu") * Value(gpci.work, output_field=_RANK)
        + F("pe_rvu") * Value(gpci.pe, output_field=_RANK)
        + F("mp_rvu") * Value(gpci.mp, output_field=_RANK)
    )
    rank = Case(
        When(Q(status="") | Q(status__in=sorted(PAID_FROM_RVUS)), then=adjusted),
        default=None,
        output_field=_RANK,
    )
    in_force = RelativeValue.objects.filter(
        billing_code=OuterRef("code"), year=day.year, effective__lte=day
    ).order_by("-effective")
    return Subquery(in_force.annotate(rank=rank).values("rank")[:1], output_field=_RANK)


class BillingCodeTable(PageSizeLimited):
    """The columns, sorting and pagination of /codes/; coding/code_table.html draws the rows,
    with the clinic's Medicare amount of each code on the page (`claims.facts.fee_table`).
    Sorting by that column orders by `medicare_rank`."""

    code = tables.Column()
    short_name = tables.Column(verbose_name="Name")
    category = tables.Column()
    timed = tables.Column(verbose_name="Timed?")
    unit_basis = tables.Column(verbose_name="Units")
    always_therapy = tables.Column(verbose_name="Always therapy")
    medicare_fee = tables.Column(verbose_name="Medicare fee", attrs={"th": {"class": "text-end"}})

    class Meta:
        model = BillingCode
        fields = [
            "code",
            "short_name",
            "category",
            "timed",
            "unit_basis",
            "always_therapy",
            "medicare_fee",
        ]
        template_name = "coding/code_table.html"
        attrs = {"class": "table table-hover align-middle", "data-testid": "code-table"}
        per_page = 25
        # No default sort: the queryset's own order (most-used codes first) stands.

    def __init__(
        self, *args: Any, year: int, medicare_rank: Subquery | Value, **kwargs: Any
    ) -> None:
        self.medicare_rank = medicare_rank
        # The Medicare amounts of the codes on the page, set by the view after pagination
        # (the row template sees only the table).
        self.medicare_prices: dict[str, CodePrice] = {}
        super().__init__(*args, **kwargs)
        # The table's columns are a per-instance deep copy: safe to relabel.
        self.columns["medicare_fee"].column.verbose_name = f"Medicare {year}"

    def order_medicare_fee(
        self, queryset: QuerySet[BillingCode], is_descending: bool
    ) -> tuple[QuerySet[BillingCode], bool]:
        # Codes without an amount go last either way (PostgreSQL puts NULLs first when
        # descending).
        rank = F("medicare_rank")
        order = rank.desc(nulls_last=True) if is_descending else rank.asc(nulls_last=True)
        return queryset.annotate(medicare_rank=self.medicare_rank).order_by(order, "code"), True


class ModifierTable(tables.Table):
    code = tables.Column(attrs={"td": {"class": "code-mono"}})
    name = tables.Column()
    meaning = tables.Column(orderable=False)
    when_required = tables.Column(verbose_name="When to use it", orderable=False)
    source = tables.Column(orderable=False, attrs={"td": {"class": "small text-body-secondary"}})

    class Meta:
        model = Modifier
        fields = ["code", "name", "meaning", "when_required", "source"]
        attrs = {"class": "table align-top", "data-testid": "modifier-table"}
        row_attrs = {"id": lambda record: f"modifier-{record.code}"}
        orderable = False

    def render_source(self, value: str) -> str:
        # The stored source cites docs/billing-rules.md for maintainers; users read plain words.
        return source_plain(value) or "—"
