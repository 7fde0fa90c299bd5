"""The CMS NCCI practitioner PTP edit file (§5.2): tab-separated text (or CSV) with notice lines,
a header ("Column 1, Column 2, *=in existence prior to 1996, Effective Date, Deletion Date
*=no data, Modifier 0/1/9, PTP Edit Rationale", spread over a few lines), then one line per
edit. Each edit carries its own dates, so a pair is keyed by (column 1, column 2, effective
date): a later quarter's file adds the new edits and sets the deletion date of ended ones.

Edits whose codes are not both in the code table are skipped (the file covers every specialty).
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from dataclasses import dataclass

from coding.imports.base import CODE, ImportPlan, diff, register
from coding.models import BillingCode, EditPair, ImportKind, ModifierIndicator

DATE = re.compile(r"^\d{8}$")
LABELS = {"deletion": "deletion date", "modifier_indicator": "modifier indicator"}


def _date(value: str) -> dt.date | None:
    value = value.strip()
    if not value or value == "*":
        return None
    if not DATE.match(value):
        raise ValueError(f"date {value!r} is not YYYYMMDD")
    try:
        return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
    except ValueError:
        raise ValueError(f"date {value!r} is not a real date") from None


def _cells(line: str) -> list[str]:
    line = line.rstrip("\r\n")
    cells = line.split("\t") if "\t" in line else next(csv.reader([line]), [])
    return [c.strip() for c in cells]


@dataclass(frozen=True)
class PtpRow:
    column1: str
    column2: str
    effective: dt.date
    deletion: dt.date | None
    modifier_indicator: int
    rationale: str


def _in_words(deletion: dt.date | None, indicator: int) -> str:
    end = f"last day {deletion:%Y-%m-%d}" if deletion else "no end date"
    return f"{end}, modifier indicator {ModifierIndicator(indicator).label}"


@dataclass(frozen=True)
class PtpImporter:
    kind = ImportKind.PTP

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        plan = ImportPlan(kind=self.kind, release=release, effective_from=effective)
        known = set(BillingCode.objects.values_list("code", flat=True))
        parsed: dict[tuple[str, str, dt.date], tuple[int, PtpRow]] = {}
        in_header = False
        seen_header = False
        for number, line in enumerate(lines, start=1):
            cells = _cells(line)
            first = cells[0] if cells else ""
            if first.upper().startswith("COLUMN 1") and not first.upper().startswith("COLUMN1/"):
                in_header = seen_header = True
                continue
            if not seen_header or not first:
                continue  # notices before the header; the header's continuation lines
            if in_header and not CODE.match(first.upper()):
                continue
            in_header = False
            try:
                if len(cells) < 6:
                    raise ValueError("fewer than 6 columns")
                col1, col2, _prior, eff, dele, mod = (c.upper() for c in cells[:6])
                for code in (col1, col2):
                    if not CODE.match(code):
                        raise ValueError(f"{code!r} is not a five-character code")
                start = _date(eff)
                if start is None:
                    raise ValueError("the effective date is missing")
                end = _date(dele)
                if not mod.isdigit() or int(mod) not in ModifierIndicator.values:
                    raise ValueError(f"modifier indicator {mod!r} is not 0, 1 or 9")
                rationale = cells[6] if len(cells) > 6 else ""
            except ValueError as exc:
                plan.error(number, str(exc))
                continue
            if col1 not in known or col2 not in known:
                plan.skip(f"{col1} / {col2}", "a code not in our code table")
                continue
            key = (col1, col2, start)
            if key in parsed:
                plan.error(number, f"the edit {col1} / {col2} from {start} appears twice")
                continue
            parsed[key] = (number, PtpRow(col1, col2, start, end, int(mod), rationale))
        if not seen_header:
            plan.error(None, "This is not a PTP edit file: no header row starts with Column 1.")
        if plan.errors:
            return plan

        columns1 = {c1 for c1, _, _ in parsed}
        existing = {
            (p.column1_id, p.column2_id, p.effective): p
            for p in EditPair.objects.filter(column1__code__in=columns1)
        }
        for key, (_, row) in parsed.items():
            name = f"{row.column1} / {row.column2} from {row.effective:%Y-%m-%d}"
            pair = existing.get(key)
            new = {
                "deletion": row.deletion,
                "modifier_indicator": row.modifier_indicator,
                "rationale": row.rationale,
            }
            if pair is None:
                plan.add(name, _in_words(row.deletion, row.modifier_indicator), row)
                continue
            old = {k: getattr(pair, k) for k in new}
            if old == new:
                plan.unchanged(name, _in_words(row.deletion, row.modifier_indicator))
            else:
                plan.update(name, diff(old, new, LABELS), row)
        return plan

    def write(self, plan: ImportPlan) -> None:
        source = f"{ImportKind.PTP.label} {plan.release}"
        for change in plan.to_write():
            row: PtpRow = change.data
            pair = EditPair.objects.filter(
                column1__code=row.column1, column2__code=row.column2, effective=row.effective
            ).first() or EditPair(
                column1_id=row.column1, column2_id=row.column2, effective=row.effective
            )
            pair.deletion = row.deletion
            pair.modifier_indicator = row.modifier_indicator
            pair.rationale = row.rationale
            pair.source = source
            pair.full_clean()
            pair.save()


register(PtpImporter())
