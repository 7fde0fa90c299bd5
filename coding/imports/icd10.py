"""The CMS/NCHS ICD-10-CM order files, for the sets after the shipped ones (§7, §10.6).

Two layouts, both fixed width, codes without the dot (it goes after the 3rd character):

- the **order file** (``icd10cm_order_2027.txt``): a whole fiscal year's set, one code a line:
  order number (5), code (7), 0 for a header or 1 for a billable code, short title (60), long
  title; columns separated by one space.
- the **order-file addenda** (``icd10cm_order_addenda_2027.txt``): what changed from the set
  before: "Add:", "Delete:", "Revise from:" / "Revise to:" (13 characters), then the same flag,
  code, short and long title; at the end CMS's summary ("Headers", "Codes": how many were
  added, deleted, revised, and how many each year's set has), checked against the lines.

The first date of service (``effective``: 1 October, or 1 April for a spring update) starts the
new set: billable codes it adds are valid from that day, codes it deletes stop the day before,
every other code billable the day before stays billable to the end of the fiscal year, headers
come and go as headers, revised titles (and their search words) change. The table keeps every
code of every loaded set; each code's flag and title are the latest set's. A set older than the
latest loaded one only adds its codes and dates. Loading the same file twice changes nothing;
any malformed line is an error with its number, and then nothing is written.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from django.db.models import Q

from coding.icd10 import ONE_DAY, fiscal_year_end, fiscal_year_of, fiscal_year_start, with_dot
from coding.imports.base import ImportPlan, register
from coding.models import Icd10Code, Icd10Release, ImportKind, code_key
from coding.services import Icd10Target, icd10_rows, icd10_rows_write

CODE = re.compile(r"^[A-Z][0-9A-Z]{2,6}$")  # QA1 (FY2027): a letter may come second
# A whole set is taken as complete (codes missing from it are no longer in the set) when it
# has at least this share of the codes billable the day before: an excerpt changes only what
# it lists.
COMPLETE_SHARE = 0.9


@dataclass(frozen=True)
class Entry:
    line: int
    action: str  # "add", "delete", "revise", or "code" (a line of the order file)
    billable: bool
    code: str  # with the dot
    title: str  # the long title
    short_title: str = ""
    revised_from: str = ""


@dataclass
class Prepared:
    """What `write` needs: the codes to insert or change, the codes whose validity runs on."""

    rows: list[Icd10Target] = field(default_factory=list)
    extend_from: dt.date | None = None  # codes billable on this day …
    extend_to: dt.date | None = None  # … are billable to this day,
    extend_except: frozenset[str] = frozenset()  # but for the file's own codes
    release: tuple[int, dt.date, dt.date, str] | None = None  # a release to record


@dataclass(frozen=True)
class Columns:
    """Where a layout puts the code (7 wide), the flag, the short title (60 wide) and the long
    title (to the end of the line)."""

    code: int
    flag: int
    short: int
    long: int


ORDER_COLUMNS = Columns(code=6, flag=14, short=16, long=77)
ADDENDA_COLUMNS = Columns(code=15, flag=13, short=23, long=84)


def _fixed(text: str, at: Columns) -> tuple[bool, str, str, str]:
    """(billable, code with the dot, short title, long title) of one line."""
    flag, code = text[at.flag : at.flag + 1], text[at.code : at.code + 7].strip()
    if flag not in ("0", "1") or text[at.flag + 1 : at.flag + 2] != " ":
        raise ValueError(f"the header/billable flag is {flag!r}, not 0 or 1")
    if not CODE.match(code) or text[at.code + 7 : at.code + 8] not in (" ", ""):
        raise ValueError(f"{text[at.code : at.code + 8].strip()!r} is not an ICD-10-CM code")
    short, long = text[at.short : at.short + 60].rstrip(), text[at.long :].strip()
    if not short or not long:
        raise ValueError(f"{code} has no title")
    if text[at.long - 1 : at.long] != " " or text[at.short - 1 : at.short] != " ":
        raise ValueError("the columns are not where the order-file layout puts them")
    return flag == "1", with_dot(code), short, long


ORDER_LINE = re.compile(r"^\d{5} ")


def parse_order(lines: Iterable[str], plan: ImportPlan) -> list[Entry]:
    """The codes of an order file, in file order (errors go to ``plan``)."""
    entries: list[Entry] = []
    seen: dict[str, int] = {}
    last_order = -1
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            if not ORDER_LINE.match(line):
                raise ValueError("a line starts with a 5-digit order number and a space")
            order = int(line[:5])
            if order <= last_order:
                raise ValueError(f"order number {order} does not follow {last_order}")
            last_order = order
            billable, code, short, long = _fixed(line.rstrip("\r\n"), ORDER_COLUMNS)
        except ValueError as exc:
            plan.error(number, str(exc))
            continue
        if code in seen:
            plan.error(number, f"{code} is listed twice (also on line {seen[code]})")
            continue
        seen[code] = number
        entries.append(Entry(number, "code", billable, code, long, short))
    if not entries and not plan.errors:
        plan.error(None, "The file has no codes: is it an ICD-10-CM order file?")
    return entries


ADDENDA_LABELS = {
    "Add:": "add",
    "Delete:": "delete",
    "Revise from:": "from",
    "Revise to:": "to",
}
_SUMMARY_COUNT = re.compile(r"^\s*(\d+) (.+?)\s*$")


@dataclass
class Summary:
    """CMS's summary at the end of the addenda: per section ("headers", "codes") the counts of
    additions, deletions and revisions, and each year's size ("74719 codes in …_2026.txt")."""

    counts: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)  # → (n, line)
    sizes: dict[tuple[str, int], int] = field(default_factory=dict)  # ("codes", 2026) → 74719


def parse_addenda(lines: Iterable[str], plan: ImportPlan) -> tuple[list[Entry], Summary]:
    entries: list[Entry] = []
    summary = Summary()
    section = ""
    pending: Entry | None = None  # a "Revise from:" waiting for its "Revise to:"
    seen: dict[tuple[str, str], int] = {}
    for number, line in enumerate(lines, start=1):
        text = line.rstrip("\r\n")
        if not text.strip():
            continue
        if text.strip() in ("Headers", "Codes"):
            section = text.strip().lower()
            continue
        if section:
            if text.strip() == "of which":
                continue
            found = _SUMMARY_COUNT.match(text)
            if not found:
                plan.error(number, f"{text.strip()[:60]!r} is not a line of the summary")
                continue
            count, what = int(found.group(1)), found.group(2)
            year = re.search(r"_(\d{4})\.txt$", what)
            if year:
                summary.sizes[(section, int(year.group(1)))] = count
            else:
                summary.counts[(section, what)] = (count, number)
            continue
        label = next((k for k in ADDENDA_LABELS if text.startswith(k)), None)
        try:
            if label is None or text[len(label) : 13].strip():
                raise ValueError(
                    "a line starts with Add:, Delete:, Revise from: or Revise to:, padded to 13 "
                    "characters"
                )
            billable, code, short, long = _fixed(text, ADDENDA_COLUMNS)
        except ValueError as exc:
            plan.error(number, str(exc))
            pending = None
            continue
        action = ADDENDA_LABELS[label]
        if pending is not None and action != "to":
            plan.error(pending.line, f"“Revise from: {pending.code}” has no “Revise to:” line")
            pending = None
        if action == "from":
            pending = Entry(number, "revise", billable, code, "", short, revised_from=long)
            continue
        if action == "to":
            if pending is None or pending.code != code:
                plan.error(number, f"“Revise to: {code}” does not follow “Revise from: {code}”")
                pending = None
                continue
            entry = replace(pending, title=long, short_title=short, billable=billable)
            pending = None
        else:
            entry = Entry(number, action, billable, code, long, short)
        key = (entry.action, entry.code)
        if key in seen:
            plan.error(number, f"{entry.code} is listed twice (also on line {seen[key]})")
            continue
        seen[key] = number
        entries.append(entry)
    if pending is not None:
        plan.error(pending.line, f"“Revise from: {pending.code}” has no “Revise to:” line")
    if not entries and not plan.errors:
        plan.error(None, "The file has no Add:, Delete: or Revise lines: is it the addenda?")
    return entries, summary


def check_summary(entries: list[Entry], summary: Summary, plan: ImportPlan) -> None:
    """The lines against CMS's summary: a cut or edited file does not add up."""
    actions = {"additions": "add", "deletions": "delete", "revisions": "revise"}
    for (section, what), (expected, number) in sorted(summary.counts.items()):
        if what not in actions:
            continue
        billable = section == "codes"
        found = sum(1 for e in entries if e.action == actions[what] and e.billable == billable)
        if found != expected:
            plan.error(
                number,
                f"the summary counts {expected} {section[:-1]} {what}, but the file lists "
                f"{found}: is it complete?",
            )


# ---- Planning against the code table ----------------------------------------------------------


def _check_effective(plan: ImportPlan, effective: dt.date) -> bool:
    if (effective.month, effective.day) not in ((10, 1), (4, 1)):
        plan.error(
            None,
            "ICD-10-CM sets take effect on 1 October (and sometimes on 1 April): give that "
            f"date as the first date of service, not {effective.isoformat()}.",
        )
        return False
    return True


def _release_label_year(release: str) -> int | None:
    found = re.search(r"(?:FY\s*)?(20\d\d)", release, re.I)
    return int(found.group(1)) if found else None


def _later_set(fiscal_year: int) -> int | None:
    return (
        Icd10Release.objects.filter(fiscal_year__gt=fiscal_year)
        .order_by("-fiscal_year")
        .values_list("fiscal_year", flat=True)
        .first()
    )


# The first category of each chapter of the ICD-10-CM Tabular List, in code order (chapter 22,
# codes for special purposes, is U00-U85): a new category falls in the last chapter starting at
# or before it.
CHAPTER_STARTS = (
    ("A00", "1"), ("C00", "2"), ("D50", "3"), ("E00", "4"), ("F01", "5"), ("G00", "6"),
    ("H00", "7"), ("H60", "8"), ("I00", "9"), ("J00", "10"), ("K00", "11"), ("L00", "12"),
    ("M00", "13"), ("N00", "14"), ("O00", "15"), ("P00", "16"), ("Q00", "17"), ("R00", "18"),
    ("S00", "19"), ("U00", "22"), ("V00", "20"), ("Z00", "21"),
)  # fmt: skip


def chapter_of(code: str) -> str:
    """The chapter number of a code ("K6A" → "11", "QA1" → "17")."""
    category = code.upper()[:3]
    found = [chapter for start, chapter in CHAPTER_STARTS if start <= category]
    return found[-1] if found else ""


class _Table:
    """The rows of the code table a file touches, and what a new code's parent and chapter
    are: its longest code prefix in the table or in the file, and that code's chapter."""

    def __init__(self, codes: Iterable[str]) -> None:
        wanted = set(codes)
        keys = {code_key(c)[:n] for c in wanted for n in range(3, len(code_key(c)))}
        self.rows = icd10_rows(wanted | {with_dot(k) for k in keys})
        self.by_key = {code_key(code): row for code, (_, row) in self.rows.items()}
        self.new: dict[str, Icd10Target] = {}

    def current(self, code: str) -> Icd10Target | None:
        found = self.rows.get(code)
        return found[1] if found else None

    def place(self, code: str) -> tuple[str, str]:
        key = code_key(code)
        for n in range(len(key) - 1, 2, -1):
            above = self.new.get(key[:n]) or self.by_key.get(key[:n])
            if above is not None:
                return above.code, above.chapter
        return "", chapter_of(code)

    def remember(self, target: Icd10Target) -> None:
        self.new[code_key(target.code)] = target


def _state(row: Icd10Target) -> str:
    if row.first_valid is None or row.last_valid is None:
        return "a header" if not row.billable else "not billable"
    return f"billable {row.first_valid.isoformat()} to {row.last_valid.isoformat()}"


def _describe(old: Icd10Target | None, new: Icd10Target) -> str:
    """What a change does to a code, in plain words."""
    if old is None:
        return f"new: {new.title} ({_state(new)})"
    parts = []
    if old.title != new.title:
        parts.append(f"title “{old.title}” → “{new.title}”")
    if (old.first_valid, old.last_valid) != (new.first_valid, new.last_valid):
        parts.append(f"{_state(old)} → {_state(new)}")
    if old.billable and not new.billable:
        parts.append("not in the new set as a billable code")
    elif new.billable and not old.billable:
        parts.append("a billable code of the new set")
    if old.parent != new.parent:
        parts.append(f"under {old.parent or 'nothing'} → {new.parent or 'nothing'}")
    return "; ".join(parts)


def _record(plan: ImportPlan, table: _Table, targets: dict[str, Icd10Target]) -> None:
    for code, target in targets.items():
        old = table.current(code)
        if old == target:
            plan.unchanged(code, target.title)
        elif old is None:
            plan.add(code, _describe(None, target), target)
        else:
            plan.update(code, _describe(old, target), target)


def _billable(target: Icd10Target, start: dt.date, end: dt.date) -> Icd10Target:
    """``target`` billable from ``start`` (or from its earlier start, when it runs on without a
    gap) to ``end`` at least."""
    runs_on = target.last_valid is not None and target.last_valid >= start - ONE_DAY
    first = target.first_valid if runs_on and target.first_valid else start
    last = max(target.last_valid, end) if runs_on and target.last_valid else end
    return replace(target, first_valid=min(first, start), last_valid=last)


def _stops(target: Icd10Target, start: dt.date) -> Icd10Target:
    """``target`` no longer billable from ``start``."""
    if target.last_valid is None or target.last_valid < start:
        return target
    if target.first_valid is not None and target.first_valid >= start:
        return replace(target, first_valid=None, last_valid=None)
    return replace(target, last_valid=start - ONE_DAY)


def _release_change(plan: ImportPlan, fiscal_year: int, source: str) -> None:
    if Icd10Release.objects.filter(fiscal_year=fiscal_year).exists():
        return
    start, end = fiscal_year_start(fiscal_year), fiscal_year_end(fiscal_year)
    plan.add(
        f"ICD-10-CM FY{fiscal_year}",
        f"the set in force from {start.isoformat()} to {end.isoformat()} is loaded",
        ("release", fiscal_year, start, end, source),
    )


def _prepared(plan: ImportPlan) -> Prepared:
    prepared = Prepared()
    for change in plan.to_write():
        if isinstance(change.data, Icd10Target):
            prepared.rows.append(change.data)
        elif isinstance(change.data, tuple) and change.data[0] == "release":
            _, fiscal_year, start, end, source = change.data
            prepared.release = (fiscal_year, start, end, source)
        elif isinstance(change.data, tuple) and change.data[0] == "extend":
            _, prepared.extend_from, prepared.extend_to, prepared.extend_except = change.data
    return prepared


def _extension(plan: ImportPlan, day_before: dt.date, end: dt.date, own: Iterable[str]) -> None:
    """Every code billable on ``day_before`` that the file leaves alone stays billable to
    ``end``."""
    own_codes = frozenset(own)
    running = (
        Icd10Code.objects.filter(first_valid__lte=day_before, last_valid__gte=day_before)
        .filter(last_valid__lt=end)
        .exclude(code__in=own_codes)
    )
    count = running.count()
    if count:
        plan.update(
            "every other billable code",
            f"{count:,} codes billable on {day_before.isoformat()} stay billable through "
            f"{end.isoformat()}",
            ("extend", day_before, end, own_codes),
        )


def _write(plan: ImportPlan) -> None:
    prepared = _prepared(plan)
    if prepared.rows:
        icd10_rows_write(rows=prepared.rows)
    if prepared.extend_from is not None and prepared.extend_to is not None:
        day, end = prepared.extend_from, prepared.extend_to
        Icd10Code.objects.filter(first_valid__lte=day, last_valid__gte=day).filter(
            last_valid__lt=end
        ).exclude(code__in=prepared.extend_except).update(last_valid=end)
    if prepared.release is not None:
        fiscal_year, start, end, source = prepared.release
        release = Icd10Release(
            fiscal_year=fiscal_year, valid_from=start, valid_through=end, source=source[:500]
        )
        release.full_clean()
        release.save()  # bumps the reference stamp (coding.refcache), as import_run does


def _start(plan: ImportPlan, release: str, effective: dt.date) -> int | None:
    """The fiscal year the file makes, or None (with the error in ``plan``)."""
    if not _check_effective(plan, effective):
        return None
    fiscal_year = fiscal_year_of(effective)
    labelled = _release_label_year(release)
    if labelled is not None and labelled != fiscal_year:
        plan.error(
            None,
            f"The release says FY{labelled}, but {effective.isoformat()} is in FY{fiscal_year}: "
            "check the release or the first date of service.",
        )
        return None
    plan.effective_through = fiscal_year_end(fiscal_year)
    return fiscal_year


@dataclass(frozen=True)
class Icd10OrderImporter:
    """A whole set (the order file) for the fiscal year of ``effective``."""

    kind = ImportKind.ICD10_ORDER

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        plan = ImportPlan(kind=self.kind, release=release, effective_from=effective)
        fiscal_year = _start(plan, release, effective)
        entries = parse_order(lines, plan)
        if plan.errors or fiscal_year is None:
            return plan
        end, day_before = fiscal_year_end(fiscal_year), effective - ONE_DAY
        later = _later_set(fiscal_year)
        if later is not None:
            plan.notes.append(
                f"FY{later} is loaded already: this older set only adds its codes and the dates "
                "they are billable; the flags and titles stay those of the latest set."
            )
        table = _Table(e.code for e in entries)
        in_file = {e.code for e in entries}
        billable_before = Icd10Code.objects.filter(
            first_valid__lte=day_before, last_valid__gte=day_before
        ).count()
        in_file_billable = sum(1 for e in entries if e.billable)
        complete = later is None and in_file_billable >= COMPLETE_SHARE * billable_before
        targets: dict[str, Icd10Target] = {}
        for entry in entries:
            old = table.current(entry.code)
            if old is None:
                parent, chapter = table.place(entry.code)
                target = Icd10Target(
                    entry.code, entry.title, entry.billable, parent, chapter, None, None
                )
            elif later is not None:
                target = old
            else:
                target = replace(old, title=entry.title, billable=entry.billable)
            if entry.billable:
                target = _billable(target, effective, end)
            elif later is None:
                target = _stops(target, effective)
            table.remember(target)
            targets[entry.code] = target
        if complete:
            gone = sorted(
                set(
                    Icd10Code.objects.filter(
                        Q(last_valid__gte=effective) | Q(billable=True)
                    ).values_list("code", flat=True)
                )
                - in_file
            )
            extra = icd10_rows(gone)
            for code in gone:
                targets[code] = replace(_stops(extra[code][1], effective), billable=False)
                table.rows[code] = extra[code]
            if gone:
                plan.notes.append(
                    f"{len(gone):,} codes of the table are not in this set: they are not "
                    f"billable from {effective.isoformat()}."
                )
        elif later is None:
            plan.notes.append(
                f"This file lists {in_file_billable:,} billable codes, fewer than the "
                f"{billable_before:,} billable on {day_before.isoformat()}: it is taken as part "
                "of the set, and the codes it does not list stay as they were."
            )
        _record(plan, table, targets)
        if later is None and not complete:
            _extension(plan, day_before, end, in_file)
        _release_change(plan, fiscal_year, f"ICD-10-CM order file, {release}")
        return plan

    def write(self, plan: ImportPlan) -> None:
        _write(plan)


@dataclass(frozen=True)
class Icd10AddendaImporter:
    """The changes (order-file addenda) that make the set of ``effective`` from the one in force
    the day before."""

    kind = ImportKind.ICD10_ADDENDA

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan:
        plan = ImportPlan(kind=self.kind, release=release, effective_from=effective)
        fiscal_year = _start(plan, release, effective)
        entries, summary = parse_addenda(lines, plan)
        check_summary(entries, summary, plan)
        if fiscal_year is not None:
            made = [y for (_, y) in summary.sizes]
            if made and max(made) != fiscal_year:
                plan.error(
                    None,
                    f"The summary says these addenda make the FY{max(made)} set, but "
                    f"{effective.isoformat()} is in FY{fiscal_year}.",
                )
        if plan.errors or fiscal_year is None:
            return plan
        end, day_before = fiscal_year_end(fiscal_year), effective - ONE_DAY
        if not Icd10Release.objects.filter(
            valid_from__lte=day_before, valid_through__gte=day_before
        ).exists():
            plan.error(
                None,
                f"No ICD-10-CM set is loaded for {day_before.isoformat()} (FY"
                f"{fiscal_year_of(day_before)}): the addenda change that set, so load it first.",
            )
            return plan
        later = _later_set(fiscal_year)
        if later is not None:
            plan.error(
                None,
                f"FY{later} is loaded already: addenda apply to the latest set only.",
            )
            return plan
        table = _Table(e.code for e in entries)
        targets: dict[str, Icd10Target] = {}
        skipped: list[str] = []
        for entry in entries:
            old = targets.get(entry.code) or table.current(entry.code)
            if entry.action == "add":
                if old is None:
                    parent, chapter = table.place(entry.code)
                    old = Icd10Target(
                        entry.code, entry.title, entry.billable, parent, chapter, None, None
                    )
                target = replace(old, title=entry.title, billable=entry.billable)
                target = (
                    _billable(target, effective, end)
                    if entry.billable
                    else _stops(target, effective)
                )
            elif old is None:  # a code this table does not hold (a partial table)
                plan.skip(entry.code, f"not in the code table: nothing to {entry.action}")
                skipped.append(entry.code)
                continue
            elif entry.action == "delete":
                target = replace(_stops(old, effective), billable=False)
            else:  # revise: a new title; a billable code stays billable
                target = replace(old, title=entry.title)
                if old.last_valid is not None and old.last_valid >= day_before:
                    target = _billable(target, effective, end)
            table.remember(target)
            targets[entry.code] = target
        _record(plan, table, targets)
        _extension(plan, day_before, end, {e.code for e in entries})
        _release_change(plan, fiscal_year, f"ICD-10-CM order-file addenda, {release}")
        before, after = (
            summary.sizes.get(("codes", fiscal_year - 1)),
            summary.sizes.get(("codes", fiscal_year)),
        )
        if before and after:
            billable = Icd10Code.objects.filter(
                first_valid__lte=day_before, last_valid__gte=day_before
            ).count()
            plan.notes.append(
                f"The addenda take FY{fiscal_year - 1}'s {before:,} billable codes to "
                f"FY{fiscal_year}'s {after:,}; the code table had {billable:,} billable on "
                f"{day_before.isoformat()}."
            )
        if skipped:
            plan.notes.append(
                f"{len(skipped)} codes the addenda delete or revise are not in the code table "
                f"(it holds part of the set): {', '.join(skipped[:10])}"
                + (" …" if len(skipped) > 10 else "")
            )
        return plan

    def write(self, plan: ImportPlan) -> None:
        _write(plan)


register(Icd10OrderImporter())
register(Icd10AddendaImporter())
