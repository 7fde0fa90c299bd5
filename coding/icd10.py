"""ICD-10-CM validity on a date of service (docs/billing-rules.md §7, §10.6). Standard library only.

The code sets change every 1 October (the fiscal year) and sometimes on 1 April. Each code keeps
the dates of service on which it is billable over the loaded sets (`first_valid`..`last_valid`,
empty when it was never billable in them, i.e. a category header in every loaded set). A code is
valid for a date of service iff it is billable in the set in force that day:
``first_valid <= day <= last_valid``. When no loaded set covers the day, the latest loaded set is
the one judged (and `claims.facts.missing_reference` says so, once).

`Icd10Facts.judge` is the one judgement every caller uses: the facts builder for the scrubber,
the diagnosis check of the session and plan-of-care forms, and the code search's badges. Why a
code is not valid that day is explained from the data alone: the codes that took over the day
after its last valid date ("G35 was replaced by G35.A–G35.D on 2025-10-01."), or, for a code not
valid yet, the day it starts and the code it replaced.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

ONE_DAY = dt.timedelta(days=1)

# (fiscal year, first date of service, last date of service) of a loaded set.
Release = tuple[int, dt.date, dt.date]


def fiscal_year_start(fiscal_year: int) -> dt.date:
    """FY2027 starts on 2026-10-01."""
    return dt.date(fiscal_year - 1, 10, 1)


def fiscal_year_end(fiscal_year: int) -> dt.date:
    """FY2027 ends on 2027-09-30."""
    return dt.date(fiscal_year, 9, 30)


def with_dot(code: str) -> str:
    """A code as the CMS files write it ("M5450") → as ICD-10-CM prints it ("M54.50"): the dot
    goes after the 3rd character when there are more."""
    code = code.strip().upper().replace(".", "")
    return code if len(code) <= 3 else f"{code[:3]}.{code[3:]}"


@dataclass(frozen=True)
class Icd10Row:
    """A code of the code table as the judgement needs it. ``billable``: in the latest loaded
    set; ``first_valid``/``last_valid``: the billable dates over all loaded sets."""

    code: str
    title: str
    billable: bool
    first_valid: dt.date | None = None
    last_valid: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return (
            self.first_valid is not None
            and self.last_valid is not None
            and self.first_valid <= day <= self.last_valid
        )


@dataclass(frozen=True)
class Verdict:
    """A code judged for a date of service. ``exists``: in the set judged, as a billable code or
    as a category header; ``billable``: may go on a claim that day; ``explanation``: why it may
    not, in plain words derived from the loaded sets (empty when the plain facts say it all: an
    unknown code, or a header in every loaded set)."""

    code: str
    exists: bool
    billable: bool
    title: str = ""
    explanation: str = ""
    judged_on: dt.date | None = None  # the day judged (the latest loaded set's last day, when the
    # date of service is in a fiscal year that is not loaded)


def judging_day(releases: Sequence[Release], day: dt.date) -> dt.date:
    """The day whose set judges a date of service: the day itself when a loaded set covers it,
    else the last day of the latest loaded set (§10.6)."""
    if not releases or any(start <= day <= end for _, start, end in releases):
        return day
    return max(releases, key=lambda r: r[0])[2]


def code_list(codes: Sequence[str]) -> str:
    """G35.A, G35.B, G35.C, G35.D → "G35.A–G35.D"; two or three codes are named one by one."""
    if len(codes) > 3:
        return f"{codes[0]}–{codes[-1]}"
    if len(codes) == 1:
        return codes[0]
    return ", ".join(codes[:-1]) + f" and {codes[-1]}"


def _key(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


@dataclass(frozen=True)
class Icd10Facts:
    """The rows of some codes, with the rows an explanation needs (the codes that took over
    from a code no longer billable, the code a new one replaced), and the loaded sets."""

    rows: Mapping[str, Icd10Row]
    releases: tuple[Release, ...] = ()
    relatives: Sequence[Icd10Row] = field(default_factory=tuple)

    @classmethod
    def empty(cls) -> Icd10Facts:
        return cls(rows={})

    def judge(self, code: str, day: dt.date) -> Verdict:
        on = judging_day(self.releases, day)
        row = self.rows.get(code)
        if row is None:
            return Verdict(code, exists=False, billable=False, judged_on=on)
        if row.valid_on(on):
            return Verdict(code, True, True, row.title, judged_on=on)
        if row.first_valid is None or row.last_valid is None:
            return Verdict(code, True, False, row.title, judged_on=on)  # a header throughout
        if on < row.first_valid:
            before = self._replaced(row)
            explanation = f"{code} is valid from {row.first_valid.isoformat()}" + (
                f"; for earlier dates of service, bill {code_list(before)}." if before else "."
            )
            return Verdict(code, False, False, row.title, explanation, on)
        after = self._successors(row)
        since = (row.last_valid + ONE_DAY).isoformat()
        if after:
            explanation = f"{code} was replaced by {code_list(after)} on {since}."
            return Verdict(code, True, False, row.title, explanation, on)
        explanation = f"{code} is not billable from {since}: it was deleted from ICD-10-CM."
        return Verdict(code, False, False, row.title, explanation, on)

    def _successors(self, row: Icd10Row) -> list[str]:
        """The billable codes below ``row`` that start the day after it stopped."""
        assert row.last_valid is not None
        key, start = _key(row.code), row.last_valid + ONE_DAY
        return sorted(
            r.code
            for r in self.relatives
            if _key(r.code).startswith(key) and r.code != row.code and r.first_valid == start
        )

    def _replaced(self, row: Icd10Row) -> list[str]:
        """The code above ``row`` that was billable until the day before it started."""
        assert row.first_valid is not None
        key, end = _key(row.code), row.first_valid - ONE_DAY
        return sorted(
            r.code
            for r in self.relatives
            if key.startswith(_key(r.code)) and r.code != row.code and r.last_valid == end
        )


def needing_relatives(
    rows: Iterable[Icd10Row], releases: Sequence[Release]
) -> tuple[list[Icd10Row], list[Icd10Row]]:
    """The rows whose explanation needs other rows: those that stopped being billable before
    the latest loaded set ended (their successors), and those that started after the earliest
    loaded set began (the code they replaced)."""
    rows = list(rows)
    if not releases:
        return [], []
    latest_end = max(end for _, _, end in releases)
    earliest_start = min(start for _, start, _ in releases)
    ended = [r for r in rows if r.last_valid is not None and r.last_valid < latest_end]
    started = [r for r in rows if r.first_valid is not None and r.first_valid > earliest_start]
    return ended, started


def ancestor_keys(code: str) -> list[str]:
    """The search keys of the codes a code sits under: M54.50 → m54, m545."""
    key = _key(code)
    return [key[:n] for n in range(3, len(key))]


@dataclass(frozen=True)
class Badge:
    """How the code search shows a code on a day: billable that day, a header (codes below it
    to pick from), or neither, with the dates that say why ("billable through 2025-09-30")."""

    billable: bool
    header: bool
    note: str = ""


def badge(row: Icd10Row, day: dt.date, releases: Sequence[Release], *, below: int) -> Badge:
    """The badge of ``row`` in the set in force on ``day`` (§10.6); ``below``: how many billable
    codes sit below it."""
    on = judging_day(releases, day)
    latest_end = max((end for _, _, end in releases), default=None)
    if row.valid_on(on):
        assert row.last_valid is not None
        ends = latest_end is not None and row.last_valid < latest_end
        return Badge(True, False, f"billable through {row.last_valid.isoformat()}" if ends else "")
    if row.first_valid is not None and on < row.first_valid:
        return Badge(False, False, f"billable from {row.first_valid.isoformat()}")
    note = f"billable through {row.last_valid.isoformat()}" if row.last_valid else ""
    return Badge(False, below > 0, note)


def fiscal_year_of(day: dt.date) -> int:
    """The fiscal year of a date: FY2027 runs from 2026-10-01 to 2027-09-30."""
    return day.year + 1 if day.month >= 10 else day.year


def sets_in_force(releases: Sequence[Release], day: dt.date) -> str:
    """Which sets are loaded and which one judges ``day``, in a sentence for the search page."""
    if not releases:
        return "No ICD-10-CM code set is loaded."
    years = sorted(r[0] for r in releases)
    loaded = "FY" + code_list([str(y) for y in years]).replace(", ", ", FY").replace(
        " and ", " and FY"
    )
    if len(years) > 3:
        loaded = f"FY{years[0]} to FY{years[-1]}"
    fiscal_year = fiscal_year_of(day)
    if any(start <= day <= end for _, start, end in releases):
        return f"ICD-10-CM {loaded} loaded; today's codes are those of FY{fiscal_year}."
    latest = max(years)
    return (
        f"ICD-10-CM {loaded} loaded. Today falls in FY{fiscal_year}, which is not loaded: "
        f"“billable” means billable in FY{latest}, the latest loaded."
    )
