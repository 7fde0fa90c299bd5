"""Writes to the code tables: loading the reference data shipped in coding/data/ and the
ICD-10-CM code set, and importing the CMS quarterly PTP (edit pair) file."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from coding import refcache
from coding.icd10 import Icd10Row, Release
from coding.icd10_sets import SetItem, ShippedSet, read_set, shipped_sets
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Gpci,
    Icd10Code,
    Icd10Release,
    Icd10Term,
    Modifier,
    Pairing,
    Payer,
    PayerRule,
    RelativeValue,
    UnitLimit,
    code_key,
    title_terms,
)
from coding.selectors import icd10_facts_of, icd10_releases

DATA_DIR = Path(__file__).resolve().parent / "data"


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    removed: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        lines = []
        for table in sorted(set(self.created) | set(self.kept) | set(self.updated)):
            line = (
                f"{table}: {self.created.get(table, 0)} added, "
                f"{self.kept.get(table, 0)} already there"
            )
            if self.updated.get(table) or self.removed.get(table):
                line += (
                    f", {self.updated.get(table, 0)} brought up to date, "
                    f"{self.removed.get(table, 0)} no longer shipped removed"
                )
            lines.append(line)
        return lines


def _bool(value: str) -> bool:
    return value.strip().lower() in {"true", "1", "yes"}


def _date(value: str) -> dt.date | None:
    return dt.date.fromisoformat(value) if value.strip() else None


def _int(value: str) -> int | None:
    return int(value) if value.strip() else None


def _decimal(value: str) -> Decimal | None:
    return Decimal(value) if value.strip() else None


def _rows(name: str) -> Iterator[dict[str, str]]:
    with (DATA_DIR / name).open(newline="", encoding="utf-8") as f:
        yield from csv.DictReader(f)


# Rows shipped by earlier versions carry sources that start so; a row no longer shipped is
# removed when nobody edited it (its one history entry is its creation by the loader).
EARLIER_SHIPPED_SOURCE = "billing-rules §"


def _never_edited(obj: models.Model) -> bool:
    history = getattr(obj, "history", None)
    if history is None:
        return False
    return list(history.values_list("history_type", flat=True)[:2]) == ["+"]


def _insert_missing(
    report: LoadReport,
    model: type[models.Model],
    rows: Iterable[dict[str, str]],
    key: Callable[[dict[str, str]], dict[str, Any]],
    values: Callable[[dict[str, str]], dict[str, Any]],
    *,
    refresh: bool = False,
) -> None:
    """Add the rows that are not there yet; never overwrite a row an admin may have edited.

    ``refresh``: a row nobody has edited since the loader created it is brought up to date
    with the shipped file, and an unedited row an earlier version shipped that the file no
    longer has is removed (corrected figures reach existing databases; admin edits stay)."""
    label = str(model._meta.verbose_name_plural)  # a lazy string: the report's keys are str
    seen: set[int] = set()
    for row in rows:
        lookup = key(row)
        existing = model._default_manager.filter(**lookup).first()
        if existing is not None:
            seen.add(existing.pk)
            new = values(row)
            changed = any(getattr(existing, k) != v for k, v in new.items())
            if refresh and changed and _never_edited(existing):
                for k, v in new.items():
                    setattr(existing, k, v)
                existing.full_clean()
                existing.save()
                report.updated[label] = report.updated.get(label, 0) + 1
                continue
            report.kept[label] = report.kept.get(label, 0) + 1
            continue
        obj = model(**lookup, **values(row))
        obj.full_clean()
        obj.save()
        seen.add(obj.pk)
        report.created[label] = report.created.get(label, 0) + 1
    if refresh:
        for obj in model._default_manager.filter(source__startswith=EARLIER_SHIPPED_SOURCE).exclude(
            pk__in=seen
        ):
            if _never_edited(obj):
                obj.delete()
                report.removed[label] = report.removed.get(label, 0) + 1


@transaction.atomic
def reference_load() -> LoadReport:
    """Load coding/data/*.csv into empty or partly filled tables. Idempotent: a second run adds
    nothing, and rows already present (perhaps edited by an admin) are left as they are."""
    report = LoadReport()
    _insert_missing(
        report,
        BillingCode,
        _rows("codes.csv"),
        lambda r: {"code": r["code"]},
        lambda r: {
            "system": r["system"],
            "short_name": r["short_name"],
            "description": r["description"],
            "category": r["category"],
            "timed": _bool(r["timed"]),
            "always_therapy": _bool(r["always_therapy"]),
            "unit_basis": r["unit_basis"],
            "typical_minutes": _int(r["typical_minutes"]),
            "discipline": r["discipline"],
            "medicare_status": r["medicare_status"],
            "billing_notes": r["billing_notes"],
            "effective": _date(r["effective"]),
            "termination": _date(r["termination"]),
        },
    )
    _insert_missing(
        report,
        Modifier,
        _rows("modifiers.csv"),
        lambda r: {"code": r["code"]},
        lambda r: {k: r[k] for k in ("name", "meaning", "when_required", "source")},
    )
    _insert_missing(
        report,
        Pairing,
        _rows("pairings.csv"),
        lambda r: {"billing_code_id": r["cpt_code"], "icd10_code": r["icd10_code"]},
        lambda r: {"note": r["note"], "source": r["source"]},
        refresh=True,  # notes reworded in plain words reach existing databases
    )
    _insert_missing(
        report,
        EditPair,
        _rows("edit_pairs.csv"),
        lambda r: {
            "column1_id": r["column1"],
            "column2_id": r["column2"],
            "effective": _date(r["effective"]),
        },
        lambda r: {
            "deletion": _date(r["deletion"]),
            "modifier_indicator": int(r["modifier_indicator"]),
            "rationale": r["rationale"],
            "source": r["source"],
        },
        refresh=True,
    )
    _insert_missing(
        report,
        UnitLimit,
        _rows("unit_limits.csv"),
        lambda r: {"billing_code_id": r["code"], "effective": _date(r["effective"])},
        lambda r: {"max_units": int(r["max_units"]), "mai": _int(r["mai"]), "source": r["source"]},
        refresh=True,
    )
    _insert_missing(
        report,
        Payer,
        _rows("payers.csv"),
        lambda r: {"name": r["name"]},
        lambda r: {"kind": r["kind"], "notes": r["notes"]},
    )
    by_name = {p.name: p for p in Payer.objects.all()}
    _insert_missing(
        report,
        PayerRule,
        _rows("payer_rules.csv"),
        lambda r: {"payer": by_name[r["payer"]], "effective": _date(r["effective"])},
        lambda r: {
            "unit_method": r["unit_method"],
            "daily_timed_unit_cap": _int(r["daily_timed_unit_cap"]),
            "timely_filing_days": _int(r["timely_filing_days"]),
            "progress_report_visits": _int(r["progress_report_visits"]),
            "progress_report_days": _int(r["progress_report_days"]),
            "certification_days": _int(r["certification_days"]),
            "requires_plan_of_care": _bool(r["requires_plan_of_care"]),
            "requires_referral": _bool(r["requires_referral"]),
            "requires_authorization": _bool(r["requires_authorization"]),
            "kx_applies": _bool(r["kx_applies"]),
            "applies_mppr": _bool(r["applies_mppr"]),
            "applies_cq_reduction": _bool(r["applies_cq_reduction"]),
            "visit_limit_per_year": _int(r["visit_limit_per_year"]),
            "notes": r["notes"],
            "source": r["source"],
        },
    )
    _insert_missing(
        report,
        FeeYear,
        _rows("fee_years.csv"),
        lambda r: {"year": int(r["year"])},
        lambda r: {
            "conversion_factor": _decimal(r["conversion_factor"]),
            "conversion_factor_qualifying_apm": _decimal(r["conversion_factor_qualifying_apm"]),
            "kx_threshold": _decimal(r["kx_threshold"]),
            "kx_review_threshold": Decimal(r["kx_review_threshold"]),
            "source": r["source"],
        },
        refresh=True,
    )
    payers = {p.name: p for p in Payer.objects.all()}
    _insert_missing(
        report,
        FeeScheduleEntry,
        _rows("fees.csv"),
        lambda r: {
            "payer": payers[r["payer"]],
            "year": int(r["year"]),
            "billing_code_id": r["code"],
        },
        lambda r: {
            "allowed_amount": Decimal(r["allowed_amount"]),
            "is_demo": _bool(r["is_demo"]),
            "source": r["source"],
        },
        refresh=True,
    )
    _insert_missing(
        report,
        RelativeValue,
        _rows("rvus.csv"),
        lambda r: {"billing_code_id": r["code"], "effective": _date(r["effective"])},
        lambda r: {
            "year": int(r["year"]),
            "release": r["release"],
            "status": r["status"],
            "work_rvu": Decimal(r["work_rvu"]),
            "pe_rvu": Decimal(r["pe_rvu"]),
            "pe_facility_rvu": _decimal(r["pe_facility_rvu"]),
            "mp_rvu": Decimal(r["mp_rvu"]),
            "mult_proc_indicator": r["mult_proc_indicator"],
            "source": r["source"],
        },
        refresh=True,
    )
    _insert_missing(
        report,
        Gpci,
        _rows("gpcis.csv"),
        lambda r: {"year": int(r["year"]), "mac": r["mac"], "locality": r["locality"]},
        lambda r: {
            "name": r["name"],
            "state": r["state"],
            "work_gpci": Decimal(r["work_gpci"]),
            "pe_gpci": Decimal(r["pe_gpci"]),
            "mp_gpci": Decimal(r["mp_gpci"]),
            "source": r["source"],
        },
        refresh=True,
    )
    return report


# ---- The ICD-10-CM code sets (billing-rules §7, §10.6) ------------------------------------


@dataclass(frozen=True)
class Icd10Target:
    """A code of the code table as a load wants it to be."""

    code: str
    title: str
    billable: bool
    parent: str
    chapter: str
    first_valid: dt.date | None
    last_valid: dt.date | None


def icd10_rows(codes: Iterable[str] | None = None) -> dict[str, tuple[int, Icd10Target]]:
    """The code table's rows (all, or those of ``codes``) by code, with their ids."""
    fields = ("id", "code", "title", "billable", "parent", "chapter", "first_valid", "last_valid")
    rows = Icd10Code.objects.order_by()
    if codes is not None:
        wanted = list(set(codes))
        # Past SQLite's limit on query parameters, the whole table is read instead.
        rows = rows.all() if len(wanted) > 5000 else rows.filter(code__in=wanted)
    return {
        values[1]: (values[0], Icd10Target(*values[1:])) for values in rows.values_list(*fields)
    }


def icd10_rows_write(
    *,
    rows: Sequence[Icd10Target],
    current: dict[str, tuple[int, Icd10Target]] | None = None,
) -> tuple[int, int]:
    """Insert the codes not in the table and bring the others to ``rows``, keeping each code's
    title words (`Icd10Term`) in step with its title; returns (added, updated). Plain
    executemany: the ORM's per-object overhead is most of the time at this size. The caller
    holds the transaction and bumps the reference stamp. ``current``: the rows as read, when
    the caller has them (`icd10_rows`)."""
    if current is None:
        current = icd10_rows(r.code for r in rows)
    new = [r for r in rows if r.code not in current]
    changed = [
        (current[r.code][0], r) for r in rows if r.code in current and r != current[r.code][1]
    ]
    retitled = {pk for pk, r in changed if r.title != current[r.code][1].title}
    icd_table = connection.ops.quote_name(Icd10Code._meta.db_table)
    term_table = connection.ops.quote_name(Icd10Term._meta.db_table)
    with connection.cursor() as cursor:
        if new:
            cursor.executemany(
                f"INSERT INTO {icd_table} (code, key, title, billable, parent, chapter, "
                "first_valid, last_valid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [
                    (r.code, code_key(r.code), r.title[:300], r.billable, r.parent, r.chapter,
                     r.first_valid, r.last_valid)
                    for r in new
                ],
            )  # fmt: skip
        if changed:
            cursor.executemany(
                f"UPDATE {icd_table} SET title = %s, billable = %s, parent = %s, chapter = %s, "
                "first_valid = %s, last_valid = %s WHERE id = %s",
                [
                    (r.title[:300], r.billable, r.parent, r.chapter, r.first_valid, r.last_valid,
                     pk)
                    for pk, r in changed
                ],
            )  # fmt: skip
        if retitled:
            cursor.executemany(
                f"DELETE FROM {term_table} WHERE icd_id = %s", [(pk,) for pk in retitled]
            )
        titled = new + [r for pk, r in changed if pk in retitled]
        if titled:
            ids = {code: pk for code, (pk, _) in icd10_rows(r.code for r in titled).items()}
            cursor.executemany(
                f"INSERT INTO {term_table} (term, icd_id) VALUES (%s, %s)",
                [(term, ids[r.code]) for r in titled for term in title_terms(r.title)],
            )
    return len(new), len(changed)


def _earliest(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return min(known) if known else None


def _latest(*days: dt.date | None) -> dt.date | None:
    known = [d for d in days if d is not None]
    return max(known) if known else None


# A release loaded from part of a shipped set (tests, small demos) says so after its source.
PART_OF_THE_SET = " (some codes only)"


@transaction.atomic
def icd10_load(*, only: Iterable[str] | None = None) -> int:
    """Load the shipped ICD-10-CM sets (FY2025 and FY2026, `coding.icd10_sets`); returns the
    codes added or brought up to date (0: all there already).

    The table holds the union of the sets' codes. A code's billable flag, title, parent and
    chapter are those of the latest set that has it (a code the latest set no longer has is not
    billable); ``first_valid``/``last_valid`` span the fiscal years in which it is billable
    (§10.6). Idempotent and additive: a database loaded before (FY2026 alone, without validity
    dates) is brought up to date, and nothing a later set (an imported FY2027) wrote is undone.

    ``only`` limits the load to the codes starting with the given ones and their ancestors
    (tests and small demos); by default the full sets (about 98,000 codes) are loaded.
    """
    sets = shipped_sets()
    prefixes = tuple(only) if only is not None else None
    if _icd10_loaded(sets, prefixes):
        return 0
    items = {s.fiscal_year: read_set(s) for s in sets}
    latest = sets[-1].fiscal_year
    codes = set().union(*items.values())
    if prefixes is not None:
        codes = _with_ancestors({c for c in codes if c.startswith(prefixes)}, items)
    later_set = Icd10Release.objects.filter(fiscal_year__gt=latest).exists()
    current = icd10_rows(codes)
    targets = []
    for code in sorted(codes):
        having = [s for s in sets if code in items[s.fiscal_year]]
        item = items[having[-1].fiscal_year][code]
        billable_in = [s for s in having if items[s.fiscal_year][code].billable]
        target = Icd10Target(
            code=code,
            title=item.title,
            billable=code in items[latest] and items[latest][code].billable,
            parent=item.parent,
            chapter=item.chapter,
            first_valid=billable_in[0].valid_from if billable_in else None,
            last_valid=billable_in[-1].valid_through if billable_in else None,
        )
        row = current.get(code, (0, None))[1]
        if row is not None:
            if later_set:  # the later set's flag, title and parent stand
                target = replace(
                    row,
                    first_valid=_earliest(row.first_valid, target.first_valid),
                    last_valid=_latest(row.last_valid, target.last_valid),
                )
            else:
                target = replace(
                    target,
                    first_valid=_earliest(row.first_valid, target.first_valid),
                    last_valid=_latest(row.last_valid, target.last_valid),
                )
        targets.append(target)
    added, updated = icd10_rows_write(rows=targets, current=current)
    for shipped in sets:
        source = shipped.source + (PART_OF_THE_SET if prefixes is not None else "")
        release, created = Icd10Release.objects.get_or_create(
            fiscal_year=shipped.fiscal_year,
            defaults={
                "valid_from": shipped.valid_from,
                "valid_through": shipped.valid_through,
                "source": source,
            },
        )
        if not created and release.source != shipped.source and release.source != source:
            release.source = source
            release.full_clean()
            release.save()  # bumps the reference stamp (coding.refcache)
    refcache.bump()
    return added + updated


def _icd10_loaded(sets: Sequence[ShippedSet], prefixes: tuple[str, ...] | None) -> bool:
    """Whether the load would change nothing: every set recorded as loaded in full (or, for a
    partial load, each wanted code there), without reading the sets (a few seconds each)."""
    sources = dict(
        Icd10Release.objects.filter(fiscal_year__in=[s.fiscal_year for s in sets]).values_list(
            "fiscal_year", "source"
        )
    )
    if prefixes is None:
        return all(sources.get(s.fiscal_year) == s.source for s in sets)
    if not all(sources.get(s.fiscal_year) in (s.source, s.source + PART_OF_THE_SET) for s in sets):
        return False
    return all(Icd10Code.objects.code_prefix(p).exists() for p in prefixes)


def _with_ancestors(codes: set[str], items: dict[int, dict[str, SetItem]]) -> set[str]:
    wanted = set(codes)
    for code in codes:
        for set_items in items.values():
            parent = set_items[code].parent if code in set_items else ""
            while parent and parent not in wanted:
                wanted.add(parent)
                parent = set_items[parent].parent if parent in set_items else ""
    return wanted


# ---- Checking typed diagnoses (billing-rules §7, §10.6) ----------------------------------


def diagnoses_check(
    codes: Sequence[str],
    *,
    day: dt.date | None = None,
    releases: Sequence[Release] | None = None,
) -> tuple[list[str], dict[int, str]]:
    """The codes as ICD-10-CM writes them ("m5450" → "M54.50"), and, by position, why each one
    that cannot go on a claim with date of service ``day`` (default today) cannot: unknown, not
    billable in the set in force that day (replaced, deleted, not valid yet), or a header, with
    the codes to use instead (`coding.icd10.Icd10Facts.judge`). ``releases``: the loaded sets,
    when the caller has them (`ReferenceFacts.icd_releases`)."""
    day = day or timezone.localdate()
    keys = [code_key(c) for c in codes]
    # Sliced, not starred (`key, *values`): a slice keeps each field's type.
    rows = {
        row[0]: Icd10Row(*row[1:])
        for row in Icd10Code.objects.filter(key__in=set(keys))
        .order_by()
        .values_list("key", "code", "title", "billable", "first_valid", "last_valid")
    }
    found = {key: row.code for key, row in rows.items()}
    facts = icd10_facts_of(
        rows.values(), releases=icd10_releases() if releases is None else releases
    )
    verdicts = {code: facts.judge(code, day) for code in found.values()}
    canonical: list[str] = []
    problems: dict[int, str] = {}
    for position, (typed, key) in enumerate(zip(codes, keys, strict=True)):
        code = found.get(key)
        if code is None:
            problems[position] = f"{typed.strip()} is not an ICD-10-CM code."
            canonical.append(typed.strip())
            continue
        canonical.append(code)
        verdict = verdicts[code]
        if verdict.billable:
            continue
        if not verdict.exists:
            problems[position] = verdict.explanation or f"{code} is not billable on {day}."
            continue
        header = _header_message(code, verdict.judged_on or day)
        problems[position] = f"{verdict.explanation} {header}" if verdict.explanation else header
    return canonical, problems


def _header_message(code: str, on: dt.date) -> str:
    """The codes below a header that are billable on ``on`` (M54.5 → M54.50, M54.51, M54.59;
    M25.5 → M25.511 …, past its subheaders)."""
    children = list(
        Icd10Code.objects.code_prefix(code)
        .filter(first_valid__lte=on, last_valid__gte=on)
        .order_by("code")
        .values_list("code", flat=True)[:7]
    )
    if not children:
        return f"{code} is a category, not billable."
    shown = children[:6]
    if len(children) > len(shown):
        return f"{code} is a category, not billable: use a more specific code, e.g. " + (
            ", ".join(shown) + " …"
        )
    choices = shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + f" or {shown[-1]}"
    return f"{code} is a category, not billable: use {choices}"
