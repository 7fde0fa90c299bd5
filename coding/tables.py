"""Tables of the code reference pages (django-tables2)."""

from __future__ import annotations

from typing import Any

import django_tables2 as tables
from django.db.models import F, QuerySet
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from coding.models import BillingCode, Modifier, Payer, UnitMethod
from coding.sources import source_plain


def _yes_no(value: bool) -> SafeString:
    if value:
        return format_html('<span class="badge text-bg-success">{}</span>', "Yes")
    return format_html('<span class="text-body-secondary">{}</span>', "No")


MAX_PER_PAGE = 100


class PageSizeLimited(tables.Table):
    """`?per_page=` comes from the URL (django-tables2's RequestConfig): a negative one was a 500
    (negative slicing), a huge one a page of every row. Kept between 1 and MAX_PER_PAGE."""

    def paginate(self, *args: Any, per_page: int | None = None, **kwargs: Any) -> Any:
        if per_page is not None:
            per_page = min(max(per_page, 1), MAX_PER_PAGE)
        return super().paginate(*args, per_page=per_page, **kwargs)


class BillingCodeTable(PageSizeLimited):
    """The columns, sorting and pagination of /codes/; coding/code_table.html draws the rows."""

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
        order_by = "code"

    def __init__(self, *args: Any, year: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The table's columns are a per-instance deep copy: safe to relabel.
        self.columns["medicare_fee"].column.verbose_name = f"Medicare {year}"

    def order_medicare_fee(
        self, queryset: QuerySet[BillingCode], is_descending: bool
    ) -> tuple[QuerySet[BillingCode], bool]:
        # Codes without a fee go last either way (PostgreSQL puts NULLs first when descending).
        fee = F("medicare_fee")
        order = fee.desc(nulls_last=True) if is_descending else fee.asc(nulls_last=True)
        return queryset.order_by(order, "code"), True


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


class PayerTable(tables.Table):
    name = tables.Column()
    kind = tables.Column()
    unit_method = tables.Column(verbose_name="Unit method")
    daily_timed_unit_cap = tables.Column(
        verbose_name="Timed units/day cap", default="no cap", attrs={"td": {"class": "text-nowrap"}}
    )
    kx_applies = tables.Column(verbose_name="KX")
    applies_mppr = tables.Column(verbose_name="MPPR")
    applies_cq_reduction = tables.Column(verbose_name="CQ 85%")
    notes = tables.Column(orderable=False, attrs={"td": {"class": "small"}})

    class Meta:
        model = Payer
        fields = [
            "name",
            "kind",
            "unit_method",
            "daily_timed_unit_cap",
            "kx_applies",
            "applies_mppr",
            "applies_cq_reduction",
            "notes",
        ]
        attrs = {"class": "table align-top", "data-testid": "payer-table"}
        orderable = False

    def render_name(self, value: str, record: Payer) -> SafeString:
        badges = []
        if getattr(record, "is_demo_plan", False):
            badges.append(("text-bg-warning", "demo plan"))
        if getattr(record, "has_demo_fees", False):
            badges.append(("text-bg-light border", "demo fees"))
        return format_html(
            '<span class="fw-semibold">{}</span>{}',
            value,
            format_html_join("", ' <span class="badge {}">{}</span>', badges),
        )

    def render_unit_method(self, value: str, record: Payer) -> SafeString:
        cms = record.unit_method == UnitMethod.CMS
        return format_html(
            '<span class="badge text-bg-{}">{}</span><br><span class="small">{}</span>',
            "primary" if cms else "info",
            record.unit_method.upper(),
            "8-minute rule, minutes pooled" if cms else "per code (rule of eights)",
        )

    def render_kx_applies(self, value: bool) -> SafeString:
        return _yes_no(value)

    def render_applies_mppr(self, value: bool) -> SafeString:
        return _yes_no(value)

    def render_applies_cq_reduction(self, value: bool) -> SafeString:
        return _yes_no(value)
