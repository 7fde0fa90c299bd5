"""The claim review queue table (django-tables2)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import django_tables2 as tables
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from claims.models import Claim, ClaimStatus
from coding.tables import PageSizeLimited

STATUS_BADGE = {
    ClaimStatus.NEEDS_REVIEW: "text-bg-primary",
    ClaimStatus.RETURNED: "text-bg-warning",
    ClaimStatus.APPROVED: "text-bg-success",
    ClaimStatus.SUBMITTED: "text-bg-info",
    ClaimStatus.ACCEPTED: "text-bg-info",
    ClaimStatus.REJECTED: "text-bg-danger",
    ClaimStatus.PAID: "text-bg-success",
    ClaimStatus.PARTLY_PAID: "text-bg-warning",
    ClaimStatus.DENIED: "text-bg-danger",
    ClaimStatus.VOIDED: "text-bg-secondary",
}

BULK_FORM_ID = "bulk-approve"


def flag_badges(errors: int, warnings: int) -> SafeString:
    """The open-flag counts as badges: red errors, yellow warnings, or "clean"."""
    parts = []
    if errors:
        parts.append(
            format_html(
                '<span class="badge text-bg-danger" data-testid="errors">{} error{}</span>',
                errors,
                "" if errors == 1 else "s",
            )
        )
    if warnings:
        parts.append(
            format_html(
                '<span class="badge text-bg-warning" data-testid="warnings">{} warning{}</span>',
                warnings,
                "" if warnings == 1 else "s",
            )
        )
    if not parts:
        return format_html('<span class="badge text-bg-light border">{}</span>', "clean")
    return format_html_join(" ", "{}", ((part,) for part in parts))


def status_badge(claim: Claim) -> SafeString:
    return format_html(
        '<span class="badge {}" data-testid="claim-status">{}</span>',
        STATUS_BADGE.get(ClaimStatus(claim.status), "text-bg-secondary"),
        claim.get_status_display(),
    )


class ReviewQueueTable(PageSizeLimited):
    select = tables.Column(
        accessor="pk",
        orderable=False,
        # It names the form its boxes belong to (ptclinic.js ticks them, shows it half-ticked
        # when some are, and keeps the form's count and buttons in step): without the name it
        # ticked nothing.
        verbose_name=format_html(
            '<input type="checkbox" class="form-check-input" data-select-all="{}" '
            'aria-label="Select all claims on this page">',
            BULK_FORM_ID,
        ),
        attrs={"td": {"class": "text-center"}, "th": {"class": "text-center"}},
    )
    id = tables.Column(verbose_name="Claim", attrs={"td": {"class": "text-nowrap"}})
    patient = tables.Column(order_by=("patient__last_name", "patient__first_name"))
    date_of_service = tables.Column(
        verbose_name="Date of service", attrs={"td": {"class": "text-nowrap"}}
    )
    therapist = tables.Column(
        order_by=("therapist__user__last_name", "therapist__user__first_name"),
        attrs={"td": {"class": "small"}},
    )
    payer = tables.Column(order_by=("payer__name",), attrs={"td": {"class": "small"}})
    total_units = tables.Column(
        verbose_name="Units", attrs={"th": {"class": "text-end"}, "td": {"class": "text-end"}}
    )
    expected_amount = tables.Column(
        verbose_name="Expected",
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )
    flags = tables.Column(
        accessor="open_errors",
        verbose_name="Open flags",
        order_by=("-open_errors", "-open_warnings"),
        attrs={"td": {"class": "text-nowrap"}},
    )
    status = tables.Column()
    age = tables.Column(
        accessor="submitted_at",
        verbose_name="Age",
        order_by=("-submitted_at",),
        attrs={"th": {"class": "text-end"}, "td": {"class": "text-end text-nowrap"}},
    )

    class Meta:
        model = Claim
        fields = [
            "select",
            "id",
            "patient",
            "date_of_service",
            "therapist",
            "payer",
            "total_units",
            "expected_amount",
            "flags",
            "status",
            "age",
        ]
        attrs = {"class": "table table-hover align-middle mb-2", "data-testid": "queue-table"}
        row_attrs = {"data-claim": lambda record: record.pk}
        empty_text = ""
        per_page = 25
        template_name = "claims/queue_table.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = timezone.now()
        # Claim id → the authorization line of its facts (the view fills it for the page).
        self.authorization_lines: dict[int, str] = {}

    @property
    def rows_html(self) -> list[SafeString]:
        """The page's rows, each drawn in one go from the render_* methods below: the same cells
        and classes as django-tables2 draws, without its per-cell machinery (signature lookups,
        attribute merging, a template per cell), which cost ~3 ms a row, most of the queue's
        server time (claims/queue_table.html)."""
        names = [column.name for column in self.columns]
        td = {column.name: column.attrs["td"].as_html() for column in self.columns}
        cells: dict[str, Any] = {
            "select": self.render_select,
            "id": self.render_id,
            "patient": self.render_patient,
            "date_of_service": lambda c: self.render_date_of_service(c.date_of_service),
            "therapist": self.render_therapist,
            "payer": self.render_payer,
            "total_units": lambda c: c.total_units,
            "expected_amount": lambda c: (
                self.default
                if c.expected_amount is None
                else self.render_expected_amount(c.expected_amount, c)
            ),
            "flags": self.render_flags,
            "status": self.render_status,
            "age": lambda c: self.render_age(c.submitted_at),
        }
        rows = []
        for n, row in enumerate(self.paginated_rows):
            record = row.record
            rows.append(
                format_html(
                    '<tr data-claim="{}" class="{}">{}</tr>',
                    record.pk,
                    "even" if n % 2 == 0 else "odd",
                    format_html_join(
                        "",
                        "<td {}>{}</td>",
                        ((mark_safe(td[name]), cells[name](record)) for name in names),
                    ),
                )
            )
        return rows

    def render_select(self, record: Claim) -> SafeString:
        # The checkboxes belong to the bulk-approve form outside the table (the `form`
        # attribute), so the table can sit in a region htmx swaps.
        approvable = record.status == ClaimStatus.NEEDS_REVIEW and not record.open_errors
        return format_html(
            '<input type="checkbox" class="form-check-input" name="claim" value="{}" form="{}" '
            'aria-label="Select claim {} for {}, {}"{}>',
            record.pk,
            BULK_FORM_ID,
            record.pk,
            record.patient.last_name,
            record.patient.first_name,
            ""
            if approvable
            else mark_safe(' disabled title="Only a claim that needs review and has no errors"'),
        )

    def render_id(self, record: Claim) -> SafeString:
        # Leaves the queue: a plain link, not one htmx would swap into the table region.
        return format_html(
            '<a class="fw-semibold" href="{}" hx-boost="false">#{}</a>',
            reverse("claim-detail", args=[record.pk]),
            record.pk,
        )

    def render_patient(self, record: Claim) -> SafeString:
        p = record.patient
        return format_html(
            '{}, {}<div class="small text-body-secondary">MRN {}</div>',
            p.last_name,
            p.first_name,
            p.mrn,
        )

    def render_date_of_service(self, value: dt.date) -> str:
        return dateformat.format(value, "M j, Y")

    def render_therapist(self, record: Claim) -> str:
        return record.therapist.display_name

    def render_payer(self, record: Claim) -> SafeString:
        line = self.authorization_lines.get(record.pk, "")
        if not line:
            return format_html("{}", record.payer.name)
        return format_html(
            '{}<div class="small text-body-secondary" data-testid="authorization-line">{}</div>',
            record.payer.name,
            line,
        )

    def render_expected_amount(self, value: Decimal, record: Claim) -> SafeString:
        return format_html(
            "${}{}",
            f"{value:,.2f}",
            mark_safe('<sup title="estimate">*</sup>') if record.expected_is_estimate else "",
        )

    def render_flags(self, record: Claim) -> SafeString:
        return flag_badges(record.open_errors, record.open_warnings)

    def render_status(self, record: Claim) -> SafeString:
        return status_badge(record)

    def render_age(self, value: dt.datetime) -> SafeString:
        days = (self.today - value).days
        label = "today" if days < 1 else f"{days} d"
        return format_html('<span title="Submitted {}">{}</span>', value.date(), label)
