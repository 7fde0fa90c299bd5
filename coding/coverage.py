"""What reference data is loaded for which dates of service (§10.6): the gaps an admin must fill
before visits on those dates can be checked or priced, and the "what is loaded" summary.

`reference_gaps` runs on every page an admin or owner opens: one query (a UNION of small
indexed lookups)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, IntegerField, QuerySet, Value
from django.db.models.functions import Cast

from coding.models import (
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Gpci,
    Icd10Release,
    ImportKind,
    ImportRecord,
    PayerKind,
    RelativeValue,
    UnitLimit,
    icd10_fiscal_year,
)

SOON = dt.timedelta(days=31)


def long_date(day: dt.date) -> str:
    return f"{day.day} {day:%B %Y}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def _tagged(qs: QuerySet[Any], tag: str, field: str) -> QuerySet[Any, tuple[str, int]]:
    tagged: QuerySet[Any, tuple[str, int]] = (
        qs.order_by()
        .annotate(tag=Value(tag, output_field=CharField()), n=Cast(field, IntegerField()))
        .values_list("tag", "n")
    )
    return tagged


def _loaded(fiscal_years: set[int], years: set[int]) -> set[tuple[str, int]]:
    """("icd", FY), ("rvu", year), ("cf", …), ("kx", …), ("gpci", …), ("fee", …) that exist."""
    icd = _tagged(Icd10Release.objects.filter(fiscal_year__in=fiscal_years), "icd", "fiscal_year")
    parts = [
        _tagged(RelativeValue.objects.filter(year__in=years), "rvu", "year"),
        _tagged(
            FeeYear.objects.filter(year__in=years, conversion_factor__isnull=False), "cf", "year"
        ),
        _tagged(FeeYear.objects.filter(year__in=years, kx_threshold__isnull=False), "kx", "year"),
        _tagged(Gpci.objects.filter(year__in=years), "gpci", "year"),
        _tagged(
            FeeScheduleEntry.objects.filter(year__in=years, payer__kind=PayerKind.MEDICARE),
            "fee",
            "year",
        ),
    ]
    return set(icd.union(*parts))


def reference_gaps(today: dt.date) -> list[str]:
    """Plain sentences for each period that today falls in, or that starts within 31 days,
    for which something the claims need is not loaded: the ICD-10-CM fiscal year (1 October to
    30 September), and per calendar year the RVUs (or, for a year still to come, a Medicare fee
    schedule), the conversion factor, the GPCIs and the KX threshold."""
    soon = today + SOON
    fiscal_years = {icd10_fiscal_year(today), icd10_fiscal_year(soon)}
    years = {today.year, soon.year}
    loaded = _loaded(fiscal_years, years)
    gaps: list[str] = []
    for fy in sorted(fiscal_years):
        if ("icd", fy) in loaded:
            continue
        start, end = dt.date(fy - 1, 10, 1), dt.date(fy, 9, 30)
        if start <= today:
            gaps.append(
                f"No ICD-10-CM code set is loaded for fiscal year {fy} ({long_date(start)} to "
                f"{long_date(end)}), which today falls in: diagnoses on these dates cannot be "
                "checked."
            )
        else:
            gaps.append(
                f"ICD-10-CM fiscal year {fy} starts on {long_date(start)} (in "
                f"{(start - today).days} days) and its code set is not loaded yet."
            )
    for year in sorted(years):
        upcoming = year > today.year
        missing = []
        if ("rvu", year) not in loaded and not (upcoming and ("fee", year) in loaded):
            missing.append(
                "a Medicare fee schedule or relative values (RVUs)"
                if upcoming
                else "the relative values (RVUs)"
            )
        if ("cf", year) not in loaded:
            missing.append("the conversion factor")
        if ("gpci", year) not in loaded:
            missing.append("the GPCIs of the Medicare localities")
        if ("kx", year) not in loaded:
            missing.append("the KX threshold")
        if not missing:
            continue
        if upcoming:
            start = dt.date(year, 1, 1)
            gaps.append(
                f"{year} starts on {long_date(start)} (in {(start - today).days} days) and "
                f"these are not loaded for it yet: {_and(missing)}."
            )
        else:
            gaps.append(f"For dates of service in {year}, these are not loaded: {_and(missing)}.")
    return gaps


# ---- the "what is loaded" page --------------------------------------------------------------


@dataclass(frozen=True)
class LoadedTable:
    name: str
    in_force: str  # the release or figures in force today, in words ("" : nothing)
    covers: str  # the dates of service they cover, in words
    last_import: ImportRecord | None


def _last_imports() -> dict[str, ImportRecord]:
    last: dict[str, ImportRecord] = {}
    for record in ImportRecord.objects.select_related("loaded_by").order_by("-loaded_at")[:200]:
        last.setdefault(record.kind, record)
    return last


def _until(later: dt.date | None, end_of_year: dt.date | None = None) -> str:
    if later is not None:
        return f"to {long_date(later - dt.timedelta(days=1))}"
    if end_of_year is not None:
        return f"to {long_date(end_of_year)}"
    return "until a later release is loaded"


def loaded_tables(today: dt.date) -> list[LoadedTable]:
    """Per reference table: what is in force today, the dates of service it covers, and the
    table's last import."""
    last = _last_imports()
    year_end = dt.date(today.year, 12, 31)
    tables = []

    rvu_from = (
        RelativeValue.objects.filter(year=today.year, effective__lte=today)
        .order_by("-effective")
        .values_list("effective", "release")
        .first()
    )
    if rvu_from:
        when, release = rvu_from
        count = RelativeValue.objects.filter(effective=when).count()
        later = (
            RelativeValue.objects.filter(year=today.year, effective__gt=today)
            .order_by("effective")
            .values_list("effective", flat=True)
            .first()
        )
        tables.append(
            LoadedTable(
                "Relative values (RVUs)",
                f"{release or 'release without a label'}: {count} codes",
                f"{long_date(when)} {_until(later, year_end)}",
                last.get(ImportKind.PPRRVU),
            )
        )
    else:
        tables.append(LoadedTable("Relative values (RVUs)", "", "", last.get(ImportKind.PPRRVU)))

    gpcis = Gpci.objects.filter(year=today.year).count()
    tables.append(
        LoadedTable(
            "GPCIs (Medicare localities)",
            f"{today.year}: {gpcis} localities" if gpcis else "",
            f"1 January to 31 December {today.year}" if gpcis else "",
            last.get(ImportKind.GPCI),
        )
    )

    fee_year = FeeYear.objects.filter(year=today.year).first()
    if fee_year:
        parts = [
            f"conversion factor {_money(fee_year.conversion_factor)}",
            f"qualifying-APM conversion factor {_money(fee_year.conversion_factor_qualifying_apm)}",
            f"KX threshold {_money(fee_year.kx_threshold)}",
        ]
        figures = "; ".join(parts)
    else:
        figures = ""
    tables.append(
        LoadedTable(
            "Conversion factor and KX threshold",
            figures,
            f"1 January to 31 December {today.year}" if fee_year else "",
            last.get(ImportKind.PPRRVU),
        )
    )

    mue_from = (
        UnitLimit.objects.filter(effective__lte=today)
        .order_by("-effective")
        .values_list("effective", flat=True)
        .first()
    )
    later_mue = (
        UnitLimit.objects.filter(effective__gt=today)
        .order_by("effective")
        .values_list("effective", flat=True)
        .first()
    )
    mue_codes = (
        UnitLimit.objects.filter(effective__lte=today)
        .values_list("billing_code", flat=True)
        .distinct()
        .count()
    )
    tables.append(
        LoadedTable(
            "Unit limits (MUEs)",
            f"limits for {mue_codes} codes, the latest from {long_date(mue_from)}"
            if mue_from
            else "",
            f"{long_date(mue_from)} {_until(later_mue)}" if mue_from else "",
            last.get(ImportKind.MUE),
        )
    )

    pairs = EditPair.objects.in_force(today)
    pair_count = pairs.count()
    newest = pairs.order_by("-effective").values_list("effective", flat=True).first()
    tables.append(
        LoadedTable(
            "Code-pair edits (PTP)",
            f"{pair_count} edits in force today" if pair_count else "",
            f"the newest in force since {long_date(newest)}" if newest else "",
            last.get(ImportKind.PTP),
        )
    )

    icd_release = Icd10Release.objects.in_force(today).first()
    icd_last = max(
        (r for k, r in last.items() if k in (ImportKind.ICD10_ORDER, ImportKind.ICD10_ADDENDA)),
        key=lambda r: r.loaded_at,
        default=None,
    )
    tables.append(
        LoadedTable(
            "ICD-10-CM code set",
            f"fiscal year {icd_release.fiscal_year}" if icd_release else "",
            f"{long_date(icd_release.valid_from)} to {long_date(icd_release.valid_through)}"
            if icd_release
            else "",
            icd_last,
        )
    )

    fee_payers = sorted(
        set(FeeScheduleEntry.objects.filter(year=today.year).values_list("payer__name", flat=True))
    )
    tables.append(
        LoadedTable(
            "Fee schedules",
            f"{today.year}: {_and(fee_payers)}" if fee_payers else "",
            f"1 January to 31 December {today.year}" if fee_payers else "",
            None,
        )
    )
    return tables


def _money(value: object) -> str:
    return "not known" if value is None else f"${value:,}"
