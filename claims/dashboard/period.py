"""The dashboard's period: the dates of service its trend tiles cover, chosen in a GET form.

The form works without JavaScript (two date inputs and a button) and never fails the page: an
invalid choice is shown with its message beside the inputs, and the tiles fall back to the
default period, so a mistyped URL is a 200 with a sentence, not a 500.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django import forms
from django.http import QueryDict

from claims.patient_forms import DateInput

DEFAULT_MONTHS_BACK = 6  # the last 6 full months plus this month
MAX_SPAN_YEARS = 3  # a longer span makes a trend chart of unreadable bars, and costs more
# No claim can be older than the payers' first rules (2000) or later than the fee tables go
# (2100); outside these the calendar arithmetic would also run past the last year Python has.
FIRST_DAY = dt.date(2000, 1, 1)
LAST_DAY = dt.date(2100, 12, 31)


@dataclass(frozen=True)
class Period:
    """From ``start`` to ``end``, both days included."""

    start: dt.date
    end: dt.date

    def months(self) -> list[dt.date]:
        """The first day of each month the period touches, in order (a trend chart's axis)."""
        found = []
        month = self.start.replace(day=1)
        while month <= self.end:
            found.append(month)
            month = _add_months(month, 1)
        return found

    @property
    def label(self) -> str:
        return f"{_day(self.start)} to {_day(self.end)}"


def default_period(today: dt.date) -> Period:
    """This month and the 6 full months before it, up to today."""
    return Period(_add_months(today.replace(day=1), -DEFAULT_MONTHS_BACK), today)


def _add_months(day: dt.date, months: int) -> dt.date:
    """``day`` (a first of the month) moved by whole months."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def _add_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February in a year that has none
        return day.replace(year=day.year + years, day=28)


def _day(day: dt.date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


class PeriodForm(forms.Form):
    """The period filter (GET ``start`` and ``end``). A date left empty takes its default, and
    the inputs show the period in use."""

    start = forms.DateField(label="From", required=False, widget=DateInput())
    end = forms.DateField(label="To", required=False, widget=DateInput())

    def _in_range(self, name: str) -> dt.date | None:
        day: dt.date | None = self.cleaned_data.get(name)
        if day is not None and not FIRST_DAY <= day <= LAST_DAY:
            raise forms.ValidationError(
                f"Choose a date from {FIRST_DAY.year} to {LAST_DAY.year}.", code="out_of_range"
            )
        return day

    def clean_start(self) -> dt.date | None:
        return self._in_range("start")

    def clean_end(self) -> dt.date | None:
        return self._in_range("end")

    def __init__(self, data: QueryDict | None = None, *, today: dt.date, **kwargs: Any) -> None:
        self.default = default_period(today)
        filled = data.copy() if data is not None else QueryDict(mutable=True)
        # Only the two fields: the rest of the query string is not the form's business.
        for name, value in (("start", self.default.start), ("end", self.default.end)):
            if not filled.get(name, "").strip():
                filled[name] = value.isoformat()
        super().__init__(filled, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None or end is None:
            return cleaned  # the field's own message says what is wrong with it
        if end < start:
            raise forms.ValidationError(
                f"The period ends ({_day(end)}) before it starts ({_day(start)}): "
                "choose an end date on or after the start date."
            )
        if end > _add_years(start, MAX_SPAN_YEARS):
            raise forms.ValidationError(
                f"Choose a period of at most {MAX_SPAN_YEARS} years: {_day(start)} to "
                f"{_day(end)} is longer."
            )
        return cleaned

    def period(self) -> Period:
        """The chosen period, or the default one when the choice is not valid."""
        if not self.is_valid():
            return self.default
        return Period(self.cleaned_data["start"], self.cleaned_data["end"])
