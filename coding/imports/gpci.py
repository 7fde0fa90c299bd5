"""The CMS GPCI file (Addendum E of the PFS release, §8, §10.13): notice rows, a header row
starting "Medicare Administrative Contractor", one row per payment locality (MAC, state,
locality number, name, work, PE and malpractice GPCI), then footnotes. Stored for the year of
the effective date; the asterisks that mark footnotes are taken off the names."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from coding.imports.base import ImportPlan, csv_rows, diff, parse_decimal, register
from coding.models import Gpci, ImportKind

HEADER = "MEDICARE ADMINISTRATIVE CONTRACTOR"
HEADER_YEAR = re.compile(r"^(20\d\d) ")
NAME_MAX: int = getattr(Gpci._meta.get_field("name"), "max_length", None) or 80
LABELS = {"work_gpci": "work GPCI", "pe_gpci": "PE GPCI", "mp_gpci": "malpractice GPCI"}


@dataclass(frozen=True)
class GpciRow:
    mac: str
    locality: str
    values: dict[str, Any]


def _columns(header: list[str]) -> dict[str, int]:
    """Column positions by header text: the GPCI columns' titles carry the year and notes
    ("2026 PW GPCI (with 1.0 Floor)***")."""
    found: dict[str, int] = {}
    for i, title in enumerate(header):
        t = title.upper()
        if t.startswith(HEADER):
            found["mac"] = i
        elif t == "STATE":
            found["state"] = i
        elif "LOCALITY NUMBER" in t:
            found["locality"] = i
        elif "LOCALITY NAME" in t:
            found["name"] = i
        elif "PW GPCI" in t or "WORK GPCI" in t:
            found["work_gpci"] = i
        elif "PE GPCI" in t:
            found["pe_gpci"] = i
        elif "MP GPCI" in t:
            found["mp_gpci"] = i
    return found


def _digits(text: str, width: int, what: str) -> str:
    # A spreadsheet drops leading zeros ("2102" for MAC 02102): put them back.
    if not text.isdigit() or len(text) > width:
        raise ValueError(f"the {what} {text!r} is not a number of up to {width} digits")
    return text.zfill(width)


@dataclass(frozen=True)
class GpciImporter:
    kind = ImportKind.GPCI

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        year = effective.year
        plan = ImportPlan(
            kind=self.kind,
            release=release,
            effective_from=effective,
            effective_through=dt.date(year, 12, 31),
        )
        rows = list(csv_rows(lines))
        header = next(
            (
                i
                for i, (_, cells) in enumerate(rows)
                if cells and cells[0].upper().startswith(HEADER)
            ),
            None,
        )
        if header is None:
            plan.error(
                None,
                "This is not a GPCI file: no header row starts with Medicare Administrative "
                "Contractor.",
            )
            return plan
        number, titles = rows[header]
        index = _columns(titles)
        missing = {"mac", "state", "locality", "name", "work_gpci", "pe_gpci", "mp_gpci"} - set(
            index
        )
        if missing:
            plan.error(number, "the header lacks the columns " + ", ".join(sorted(missing)))
            return plan
        for title in titles:
            found = HEADER_YEAR.match(title)
            if found and int(found.group(1)) != year:
                plan.error(
                    number,
                    f"the file's GPCIs are for {found.group(1)}, but the effective date is "
                    f"in {year}",
                )
                return plan

        parsed: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
        for number, cells in rows[header + 1 :]:
            # Data rows start with the MAC number; the footnotes after them with words.
            if not cells or not cells[0][:1].isdigit():
                continue
            cells = cells + [""] * (len(titles) - len(cells))
            try:
                mac = _digits(cells[index["mac"]], 5, "contractor number")
                locality = _digits(cells[index["locality"]], 2, "locality number")
                state = cells[index["state"]].upper()
                if not re.fullmatch(r"[A-Z]{2}", state):
                    raise ValueError(f"the state {state!r} is not two letters")
                name = " ".join(cells[index["name"]].replace("*", " ").split())
                if not name:
                    raise ValueError("the locality name is empty")
                if len(name) > NAME_MAX:
                    plan.notes.append(f"The name of locality {mac}-{locality} is shortened: {name}")
                    name = name[: NAME_MAX - 1] + "…"
                values = {
                    "name": name,
                    "state": state,
                    **{
                        f: parse_decimal(cells[index[f]], LABELS[f], places=3, max_digits=5)
                        for f in LABELS
                    },
                }
            except ValueError as exc:
                plan.error(number, str(exc))
                continue
            if (mac, locality) in parsed:
                plan.error(
                    number,
                    f"locality {mac}-{locality} appears twice (also on line "
                    f"{parsed[mac, locality][0]})",
                )
                continue
            parsed[mac, locality] = (number, values)
        if not parsed and not plan.errors:
            plan.error(None, "The file has no locality rows.")
        if plan.errors:
            return plan

        existing = {
            (row.pop("mac"), row.pop("locality")): row
            for row in Gpci.objects.filter(year=year).values(
                "mac", "locality", "name", "state", *LABELS
            )
        }
        for (mac, locality), (_, values) in sorted(parsed.items(), key=lambda kv: kv[1][0]):
            key = f"{values['state']} {str(values['name']).title()} ({mac}-{locality}) {year}"
            data = GpciRow(mac, locality, values)
            old = existing.get((mac, locality))
            if old is None:
                plan.add(
                    key,
                    ", ".join(f"{LABELS[f]} {values[f]}" for f in LABELS),
                    data,
                )
            elif old == values:
                plan.unchanged(key)
            else:
                plan.update(key, diff(old, values, LABELS), data)
        gone = set(existing) - set(parsed)
        if gone:
            plan.notes.append(
                f"{len(gone)} {year} localities already loaded are not in this file; they are "
                "kept: " + ", ".join(f"{m}-{loc}" for m, loc in sorted(gone))
            )
        return plan

    def write(self, plan: ImportPlan) -> None:
        year = plan.effective_from.year
        source = f"{ImportKind.GPCI.label} {plan.release}"
        for change in plan.to_write():
            data: GpciRow = change.data
            row = Gpci.objects.filter(year=year, mac=data.mac, locality=data.locality).first()
            row = row or Gpci(year=year, mac=data.mac, locality=data.locality)
            for name, value in data.values.items():
                setattr(row, name, value)
            row.source = source
            row.full_clean()
            row.save()


register(GpciImporter())
