"""The CMS PFS national relative value file, PPRRVU (§8, §10.13): a CSV with notice rows, a
header spread over several rows (the last one starts with HCPCS), then one row per code and
modifier. Read: the status code, work, non-facility and facility PE and malpractice RVUs, the
multiple-procedure indicator and the conversion factor. The DESCRIPTION column (AMA text) is
never read.

A release is stored from its effective date on: rows for (code, effective) with the year of that
date; earlier releases stay. The CONV FACTOR column sets the year's conversion factor (the
qualifying-APM one when the file is the QPP file)."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from coding.imports.base import (
    CODE,
    ImportPlan,
    csv_rows,
    diff,
    fmt,
    parse_decimal,
    register,
)
from coding.models import BillingCode, FeeYear, ImportKind, RelativeValue

# Needed because FeeYear.kx_review_threshold is required: the statutory targeted medical review
# threshold ($3,000 through 2028, billing-rules §4), used only when the year is new.
KX_REVIEW_THRESHOLD = Decimal("3000")

COLUMNS = {
    "code": "HCPCS",
    "modifier": "MOD",
    "status": "STATUS CODE",
    "work": "WORK RVU",
    "pe": "NON-FAC PE RVU",
    "pe_facility": "FACILITY PE RVU",
    "facility_na": "FACILITY NA INDICATOR",
    "mp": "MP RVU",
    "mult_proc": "MULT PROC",
    "conversion_factor": "CONV FACTOR",
}
LABELS = {
    "work_rvu": "work RVU",
    "pe_rvu": "PE RVU",
    "pe_facility_rvu": "facility PE RVU",
    "mp_rvu": "malpractice RVU",
    "mult_proc_indicator": "multiple-procedure indicator",
}
TITLE_YEAR = re.compile(r"\b(20\d\d) National Physician Fee Schedule", re.IGNORECASE)
RELEASE_MAX: int = getattr(RelativeValue._meta.get_field("release"), "max_length", None) or 20


@dataclass(frozen=True)
class RvuRow:
    code: str
    values: dict[str, Any]


@dataclass(frozen=True)
class ConversionFactor:
    year: int
    field: str  # conversion_factor or conversion_factor_qualifying_apm
    value: Decimal


def _header_names(rows: list[tuple[int, list[str]]], at: int) -> list[str]:
    """Each column's name: its cells in the header rows above the HCPCS row, top to bottom
    ("NON-FAC" / "PE RVU" → "NON-FAC PE RVU"). The header rows stop at a blank row or one with
    text in the DESCRIPTION column (the notices)."""
    first = at
    while first > 0:
        cells = rows[first - 1][1]
        if not any(cells) or (len(cells) > 2 and cells[2]):
            break
        first -= 1
    width = len(rows[at][1])
    names = []
    for col in range(width):
        parts = [cells[col] for _, cells in rows[first : at + 1] if col < len(cells) and cells[col]]
        names.append(" ".join(" ".join(parts).upper().split()))
    return names


@dataclass(frozen=True)
class PprrvuImporter:
    kind = ImportKind.PPRRVU
    qualifying_apm: bool = False

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        plan = ImportPlan(kind=self.kind, release=release, effective_from=effective)
        if len(release) > RELEASE_MAX:
            plan.error(
                None, f"The release label is at most {RELEASE_MAX} characters (e.g. RVU26C)."
            )
        rows = list(csv_rows(lines))
        header = next((i for i, (_, cells) in enumerate(rows) if cells[:1] == ["HCPCS"]), None)
        if header is None:
            plan.error(
                None, "This is not a PFS relative value file: no header row starts with HCPCS."
            )
            return plan
        for number, cells in rows[:header]:
            found = TITLE_YEAR.search(" ".join(cells))
            if found and int(found.group(1)) != effective.year:
                plan.error(
                    number,
                    f"the file is the {found.group(1)} fee schedule, but the effective date is "
                    f"in {effective.year}",
                )
        names = _header_names(rows, header)
        index: dict[str, int] = {}
        for key, name in COLUMNS.items():
            if name not in names:
                plan.error(rows[header][0], f"the header has no {name} column")
            else:
                index[key] = names.index(name)
        if plan.errors:
            return plan

        known = set(BillingCode.objects.values_list("code", flat=True))
        parsed: dict[str, tuple[int, dict[str, Any]]] = {}
        factors: dict[Decimal, int] = {}
        for number, cells in rows[header + 1 :]:
            if not any(cells):
                continue
            cells = cells + [""] * (len(names) - len(cells))
            code, modifier = cells[index["code"]].upper(), cells[index["modifier"]]
            try:
                if not CODE.match(code):
                    raise ValueError(f"{code!r} is not a five-character code")
                values = self._values(cells, index, release=release, effective=effective)
                factor = cells[index["conversion_factor"]]
                cf = parse_decimal(factor, "conversion factor", places=4, max_digits=8)
            except ValueError as exc:
                plan.error(number, str(exc))
                continue
            if cf:
                factors.setdefault(cf, number)
            if modifier:
                plan.skip(f"{code}-{modifier}", "a row for the code with a modifier")
            elif code not in known:
                plan.skip(code, "not in our code table")
            elif code in parsed:
                plan.error(number, f"{code} appears twice (also on line {parsed[code][0]})")
            else:
                parsed[code] = (number, values)
        if len(factors) > 1:
            plan.error(
                None,
                "The conversion factor differs between rows: "
                + ", ".join(f"{cf} (line {n})" for cf, n in factors.items()),
            )
        if plan.errors:
            return plan
        self._compare_rvus(plan, parsed, effective)
        if factors:
            self._compare_factor(plan, next(iter(factors)), effective.year)
        else:
            plan.notes.append("The file has no conversion factor; the year's is unchanged.")
        return plan

    def _values(
        self, cells: list[str], index: dict[str, int], *, release: str, effective: dt.date
    ) -> dict[str, Any]:
        facility_na = cells[index["facility_na"]].upper() == "NA"
        status = cells[index["status"]]
        mult_proc = cells[index["mult_proc"]]
        if len(status) > 1 or len(mult_proc) > 1:
            raise ValueError("the status code and multiple-procedure indicator are one character")
        return {
            "year": effective.year,
            "status": status,
            "work_rvu": parse_decimal(cells[index["work"]], "work RVU"),
            "pe_rvu": parse_decimal(cells[index["pe"]], "non-facility PE RVU"),
            "pe_facility_rvu": (
                None
                if facility_na
                else parse_decimal(cells[index["pe_facility"]], "facility PE RVU")
            ),
            "mp_rvu": parse_decimal(cells[index["mp"]], "malpractice RVU"),
            "mult_proc_indicator": mult_proc,
            "release": release,
        }

    def _compare_rvus(
        self, plan: ImportPlan, parsed: dict[str, tuple[int, dict[str, Any]]], effective: dt.date
    ) -> None:
        fields = list(next(iter(parsed.values()))[1]) if parsed else []
        existing: dict[str, dict[str, Any]] = {}
        earlier: dict[str, tuple[dt.date, dict[str, Any]]] = {}
        for row in (
            RelativeValue.objects.filter(billing_code__code__in=parsed, effective__lte=effective)
            .order_by("billing_code", "effective")
            .values("billing_code", "effective", *fields)
        ):
            code, when = row.pop("billing_code"), row.pop("effective")
            if when == effective:
                existing[code] = row
            else:
                earlier[code] = (when, row)  # the latest before this release
        for code, (_, values) in sorted(parsed.items()):
            key = f"{code} from {effective:%Y-%m-%d}"
            data = RvuRow(code, values)
            if code in existing:
                if existing[code] == values:
                    plan.unchanged(key)
                else:
                    plan.update(key, diff(existing[code], values, LABELS), data)
            elif code in earlier:
                when, old = earlier[code]
                figures = {k: v for k, v in values.items() if k not in ("release", "year")}
                changes = diff(old, figures, LABELS)
                detail = f"{changes} (from the values of {when:%Y-%m-%d})" if changes else ""
                plan.add(key, detail or f"same values as from {when:%Y-%m-%d}", data)
            else:
                plan.add(key, _describe(values), data)

    def _compare_factor(self, plan: ImportPlan, value: Decimal, year: int) -> None:
        field = "conversion_factor_qualifying_apm" if self.qualifying_apm else "conversion_factor"
        label = "qualifying-APM conversion factor" if self.qualifying_apm else "conversion factor"
        key = f"{label} {year}"
        data = ConversionFactor(year, field, value)
        found = list(FeeYear.objects.filter(year=year).values_list(field, flat=True))
        current = found[0] if found else None
        if not found:
            plan.add(key, f"{value} (a new fee year; KX threshold not known yet)", data)
            plan.notes.append(
                f"Fee year {year} created with the KX threshold empty and the review threshold "
                f"at ${KX_REVIEW_THRESHOLD:,.0f} (the table needs one); check both."
            )
        elif current == value:
            plan.unchanged(key, str(value))
        else:
            plan.update(key, f"{fmt(current)} → {value}", data)

    def write(self, plan: ImportPlan) -> None:
        source = f"{ImportKind.PPRRVU.label} {plan.release}"
        for change in plan.to_write():
            if isinstance(change.data, RvuRow):
                row = RelativeValue.objects.filter(
                    billing_code__code=change.data.code, effective=plan.effective_from
                ).first() or RelativeValue(
                    billing_code_id=change.data.code, effective=plan.effective_from
                )
                for name, value in change.data.values.items():
                    setattr(row, name, value)
                row.source = source
                row.full_clean()
                row.save()
            elif isinstance(change.data, ConversionFactor):
                cf = change.data
                year = FeeYear.objects.filter(year=cf.year).first() or FeeYear(
                    year=cf.year, kx_review_threshold=KX_REVIEW_THRESHOLD, source=source
                )
                setattr(year, cf.field, cf.value)
                year.full_clean()
                year.save()


def _describe(values: dict[str, Any]) -> str:
    facility = fmt(values["pe_facility_rvu"])
    return (
        f"status {fmt(values['status'])}, work RVU {values['work_rvu']}, "
        f"PE RVU {values['pe_rvu']} (facility {facility}), malpractice RVU {values['mp_rvu']}, "
        f"multiple-procedure indicator {fmt(values['mult_proc_indicator'])}"
    )


register(PprrvuImporter())
