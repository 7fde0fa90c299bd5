"""The CMS NCCI practitioner services MUE table (§5.3, §10.9): a CSV whose first cell is the
AMA notice (one quoted cell over several lines), a header row ("HCPCS/CPT Code", "Practitioner
Services MUE Values", "MUE Adjudication Indicator", "MUE Rationale"), then one row per code. The
adjudication indicator is stored as its leading digit ("2 Date of Service Edit: Policy" → 2).

A quarter's table is stored from its effective date on: rows for (code, effective); earlier
quarters stay."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from coding.imports.base import CODE, ImportPlan, csv_rows, register
from coding.models import BillingCode, ImportKind, UnitLimit

MAI = re.compile(r"^([123])\b")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text).upper()


@dataclass(frozen=True)
class MueRow:
    code: str
    max_units: int
    mai: int


def _in_words(max_units: int, mai: int | None) -> str:
    indicator = f", adjudication indicator {mai}" if mai else ""
    return f"{max_units} units a day{indicator}"


@dataclass(frozen=True)
class MueImporter:
    kind = ImportKind.MUE

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        plan = ImportPlan(kind=self.kind, release=release, effective_from=effective)
        rows = list(csv_rows(lines))
        header = next(
            (i for i, (_, c) in enumerate(rows) if c and _squash(c[0]) == "HCPCS/CPTCODE"), None
        )
        if header is None:
            plan.error(
                None,
                "This is not a practitioner MUE table: no header row starts with HCPCS/CPT Code.",
            )
            return plan
        number, titles = rows[header]
        squashed = [_squash(t) for t in titles]
        value_col = next((i for i, t in enumerate(squashed) if "MUEVALUE" in t), None)
        mai_col = next((i for i, t in enumerate(squashed) if "ADJUDICATIONINDICATOR" in t), None)
        if value_col is None or mai_col is None:
            plan.error(number, "the header lacks the MUE value or adjudication indicator column")
            return plan

        known = set(BillingCode.objects.values_list("code", flat=True))
        parsed: dict[str, tuple[int, MueRow]] = {}
        for number, cells in rows[header + 1 :]:
            if not any(cells):
                continue
            cells = cells + [""] * (len(titles) - len(cells))
            code = cells[0].upper()
            try:
                if not CODE.match(code):
                    raise ValueError(f"{code!r} is not a five-character code")
                value = cells[value_col]
                if not value.isdigit() or int(value) > 9999:
                    raise ValueError(f"the MUE value {value!r} is not a whole number of units")
                found = MAI.match(cells[mai_col])
                if not found:
                    raise ValueError(
                        f"the adjudication indicator {cells[mai_col]!r} does not start with "
                        "1, 2 or 3"
                    )
            except ValueError as exc:
                plan.error(number, str(exc))
                continue
            if code in parsed:
                plan.error(number, f"{code} appears twice (also on line {parsed[code][0]})")
            elif code not in known:
                plan.skip(code, "not in our code table")
            else:
                parsed[code] = (number, MueRow(code, int(value), int(found.group(1))))
        if plan.errors:
            return plan

        existing: dict[str, tuple[int, int | None]] = {}
        earlier: dict[str, tuple[dt.date, int, int | None]] = {}
        for code, when, units, mai in (
            UnitLimit.objects.filter(billing_code__code__in=parsed, effective__lte=effective)
            .order_by("billing_code_id", "effective")
            .values_list("billing_code__code", "effective", "max_units", "mai")
        ):
            if when == effective:
                existing[code] = (units, mai)
            else:
                earlier[code] = (when, units, mai)
        for code, (_, row) in sorted(parsed.items()):
            key = f"{code} from {effective:%Y-%m-%d}"
            new = _in_words(row.max_units, row.mai)
            if code in existing:
                if existing[code] == (row.max_units, row.mai):
                    plan.unchanged(key, new)
                else:
                    plan.update(key, f"{_in_words(*existing[code])} → {new}", row)
            elif code in earlier:
                when, units, mai = earlier[code]
                same = (units, mai) == (row.max_units, row.mai)
                before = "same as" if same else f"was {_in_words(units, mai)}"
                plan.add(key, f"{new} ({before} from {when:%Y-%m-%d})", row)
            else:
                plan.add(key, new, row)
        return plan

    def write(self, plan: ImportPlan) -> None:
        source = f"{ImportKind.MUE.label} {plan.release}"
        for change in plan.to_write():
            data: MueRow = change.data
            row = UnitLimit.objects.filter(
                billing_code__code=data.code, effective=plan.effective_from
            ).first() or UnitLimit(billing_code_id=data.code, effective=plan.effective_from)
            row.max_units, row.mai, row.source = data.max_units, data.mai, source
            row.full_clean()
            row.save()


register(MueImporter())
