"""The common shape of an official-file importer, and the one function that runs any of them.

An importer reads the lines of one file, compares them with the database and returns an
`ImportPlan` (`plan`, no writes); `write` applies a plan without errors. `import_run` plans, and
unless the plan has errors or it is a dry run, writes the plan, an `ImportRecord` and a new
reference stamp in one transaction: a malformed row means nothing is written (§10.6).

Importers register themselves with `register` at import time; `coding.imports.registry` imports
every importer module, so `registry.IMPORTERS` is the full kind → importer table.

Interface kept stable for the importer modules (PFS, GPCI, MUE, PTP, ICD-10-CM):

    class MyImporter:
        kind = ImportKind.X
        def plan(self, lines, *, release, effective) -> ImportPlan: ...
        def write(self, plan) -> None: ...

    register(MyImporter())
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal, Protocol

from django.db import transaction

from coding import refcache
from coding.models import ImportKind, ImportRecord

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User

Action = Literal["add", "update", "unchanged", "skip"]
ACTIONS: tuple[Action, ...] = ("add", "update", "unchanged", "skip")

# Skipped rows (codes outside our code table) are most of a national file: every one is
# counted, only the first few are kept as changes to show.
SKIPS_KEPT = 100
RELEASE_MAX: int = getattr(ImportRecord._meta.get_field("release"), "max_length", None) or 60


@dataclass(frozen=True)
class Change:
    """One row of the plan. ``key`` names the row ("97110 from 2026-07-01"), ``detail`` says in
    plain words what changes ("work RVU 0.45 → 0.50"). ``data`` is what `write` needs; it is not
    shown."""

    action: Action
    key: str
    detail: str = ""
    data: Any = None


@dataclass
class ImportPlan:
    kind: str  # an ImportKind value
    release: str
    effective_from: dt.date
    effective_through: dt.date | None = None
    changes: list[Change] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # "line N: …"
    notes: list[str] = field(default_factory=list)  # plain sentences kept on the ImportRecord
    skipped: int = 0  # every skipped row, including those not kept in `changes`
    payload: dict[str, Any] = field(default_factory=dict)  # importer-specific, for `write`
    record: ImportRecord | None = None  # set by `import_run` once written

    def add(self, key: str, detail: str = "", data: Any = None) -> None:
        self.changes.append(Change("add", key, detail, data))

    def update(self, key: str, detail: str = "", data: Any = None) -> None:
        self.changes.append(Change("update", key, detail, data))

    def unchanged(self, key: str, detail: str = "") -> None:
        self.changes.append(Change("unchanged", key, detail))

    def skip(self, key: str, detail: str = "") -> None:
        self.skipped += 1
        if self.skipped <= SKIPS_KEPT:
            self.changes.append(Change("skip", key, detail))

    def error(self, line: int | None, message: str) -> None:
        self.errors.append(f"line {line}: {message}" if line is not None else message)

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = dict.fromkeys(ACTIONS, 0)
        for change in self.changes:
            if change.action != "skip":
                counts[change.action] += 1
        counts["skip"] = self.skipped
        return counts

    def to_write(self) -> list[Change]:
        """The added and updated rows, in file order."""
        return [c for c in self.changes if c.action in ("add", "update")]

    @property
    def has_changes(self) -> bool:
        return any(c.action in ("add", "update") for c in self.changes)

    @property
    def kind_label(self) -> str:
        return str(ImportKind(self.kind).label) if self.kind in ImportKind.values else self.kind

    def summary(self) -> str:
        c = self.counts()
        return (
            f"{c['add']} added, {c['update']} updated, {c['unchanged']} unchanged, "
            f"{c['skip']} skipped"
        )


class Importer(Protocol):
    @property
    def kind(self) -> str:  # an ImportKind value; a plain class attribute in an importer
        ...

    def plan(self, lines: list[str], *, release: str, effective: dt.date) -> ImportPlan: ...

    def write(self, plan: ImportPlan) -> None: ...


IMPORTERS: dict[str, Importer] = {}


def register(importer: Importer) -> Importer:
    """Add an importer to the kind → importer table (one importer per kind)."""
    IMPORTERS[str(importer.kind)] = importer
    return importer


def import_run(
    *,
    importer: Importer,
    lines: list[str],
    release: str,
    effective: dt.date,
    file_name: str,
    sha256: str,
    user: User | AnonymousUser | None,
    dry_run: bool = False,
) -> ImportPlan:
    """Plan the file; unless it has errors or this is a dry run, write it with its
    `ImportRecord` and a new reference stamp in one transaction. Returns the plan (with
    ``record`` set when written)."""
    plan = importer.plan(lines, release=release, effective=effective)
    if not release.strip() or len(release) > RELEASE_MAX:
        plan.error(
            None, f"A release label of 1 to {RELEASE_MAX} characters is needed, e.g. RVU26C."
        )
    if plan.errors or dry_run:
        return plan
    counts = plan.counts()
    with transaction.atomic():
        importer.write(plan)
        record = ImportRecord(
            kind=plan.kind,
            release=release,
            file_name=file_name[:255],
            sha256=sha256,
            effective_from=plan.effective_from,
            effective_through=plan.effective_through,
            added=counts["add"],
            updated=counts["update"],
            unchanged=counts["unchanged"],
            skipped=counts["skip"],
            notes="\n".join(plan.notes),
            loaded_by=user if user is not None and user.is_authenticated else None,
        )
        record.full_clean()
        record.save()
        if plan.has_changes:
            refcache.bump()
    plan.record = record
    return plan


# ---- helpers shared by the importers ---------------------------------------------------------


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def decode_lines(data: bytes) -> list[str]:
    """The lines of an uploaded file, line endings kept (CMS files are ASCII or Latin-1 with
    CRLF; a UTF-8 byte-order mark is dropped)."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    return text.splitlines(keepends=True)


def csv_rows(lines: Iterable[str], *, delimiter: str = ",") -> Iterator[tuple[int, list[str]]]:
    """(first line number, stripped cells) of each CSV record; quoted cells may span lines."""
    reader = csv.reader(iter(lines), delimiter=delimiter)
    start = 1
    for cells in reader:
        yield start, [c.strip() for c in cells]
        start = reader.line_num + 1


CODE = re.compile(r"^[A-Z0-9]{5}$")


def parse_decimal(text: str, what: str, *, places: int = 2, max_digits: int = 6) -> Decimal:
    """A figure of the file, e.g. "0.45" (ValueError with a plain message otherwise)."""
    try:
        value = Decimal(text.strip())
    except InvalidOperation:
        raise ValueError(f"the {what} {text.strip()!r} is not a number") from None
    if not value.is_finite() or value < 0:
        raise ValueError(f"the {what} {text.strip()!r} is not a number of zero or more")
    if value != value.quantize(Decimal(1).scaleb(-places)):
        raise ValueError(f"the {what} {text.strip()!r} has more than {places} decimals")
    if value >= Decimal(10) ** (max_digits - places):
        raise ValueError(f"the {what} {text.strip()!r} is too large")
    return value


def fmt(value: object) -> str:
    """A stored value in a change's detail: empty as "none"."""
    return "none" if value is None or value == "" else str(value)


def diff(old: dict[str, Any], new: dict[str, Any], labels: dict[str, str] | None = None) -> str:
    """ "work RVU 0.45 → 0.50, status A → B" for the fields that differ."""
    labels = labels or {}
    return ", ".join(
        f"{labels.get(name, name.replace('_', ' '))} {fmt(old.get(name))} → {fmt(new[name])}"
        for name in new
        if old.get(name) != new[name]
    )
