"""Writes to the code tables: loading the reference data shipped in coding/data/ and the
ICD-10-CM code set, and importing the CMS quarterly PTP (edit pair) file."""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import connection, models, transaction

from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Icd10Code,
    Icd10Release,
    Icd10Term,
    Modifier,
    Pairing,
    Payer,
    RelativeValue,
    UnitLimit,
    code_key,
    title_terms,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
ICD10_DATASET = "simple-icd-10-cm 1.5.0 (ICD-10-CM FY2026, April 2026 update)"
ICD10_FISCAL_YEAR = 2026


@dataclass
class LoadReport:
    created: dict[str, int] = field(default_factory=dict)
    kept: dict[str, int] = field(default_factory=dict)

    def lines(self) -> list[str]:
        return [
            f"{table}: {self.created.get(table, 0)} added, {self.kept.get(table, 0)} already there"
            for table in sorted(set(self.created) | set(self.kept))
        ]


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


def _insert_missing(
    report: LoadReport,
    model: type[models.Model],
    rows: Iterable[dict[str, str]],
    key: Callable[[dict[str, str]], dict[str, Any]],
    values: Callable[[dict[str, str]], dict[str, Any]],
) -> None:
    """Add the rows that are not there yet; never overwrite a row an admin may have edited."""
    label = model._meta.verbose_name_plural
    for row in rows:
        lookup = key(row)
        if model._default_manager.filter(**lookup).exists():
            report.kept[label] = report.kept.get(label, 0) + 1
            continue
        obj = model(**lookup, **values(row))
        obj.full_clean()
        obj.save()
        report.created[label] = report.created.get(label, 0) + 1


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
    )
    _insert_missing(
        report,
        UnitLimit,
        _rows("unit_limits.csv"),
        lambda r: {"billing_code_id": r["code"], "effective": _date(r["effective"])},
        lambda r: {"max_units": int(r["max_units"]), "source": r["source"]},
    )
    _insert_missing(
        report,
        Payer,
        _rows("payers.csv"),
        lambda r: {"name": r["name"]},
        lambda r: {
            "kind": r["kind"],
            "unit_method": r["unit_method"],
            "daily_timed_unit_cap": _int(r["daily_timed_unit_cap"]),
            "kx_applies": _bool(r["kx_applies"]),
            "applies_mppr": _bool(r["applies_mppr"]),
            "applies_cq_reduction": _bool(r["applies_cq_reduction"]),
            "timely_filing_days": _int(r["timely_filing_days"]),
            "notes": r["notes"],
        },
    )
    _insert_missing(
        report,
        FeeYear,
        _rows("fee_years.csv"),
        lambda r: {"year": int(r["year"])},
        lambda r: {
            "conversion_factor": _decimal(r["conversion_factor"]),
            "kx_threshold": Decimal(r["kx_threshold"]),
            "kx_review_threshold": Decimal(r["kx_review_threshold"]),
            "source": r["source"],
        },
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
    )
    _insert_missing(
        report,
        RelativeValue,
        _rows("rvus.csv"),
        lambda r: {"billing_code_id": r["code"], "year": int(r["year"])},
        lambda r: {
            "work_rvu": Decimal(r["work_rvu"]),
            "pe_rvu": Decimal(r["pe_rvu"]),
            "mp_rvu": Decimal(r["mp_rvu"]),
            "source": r["source"],
        },
    )
    return report


def _icd10_items(codes: Iterable[str] | None = None) -> Iterator[tuple[str, str, bool, str, str]]:
    import simple_icd_10_cm as icd

    for code in icd.get_all_codes(with_dots=True) if codes is None else sorted(codes):
        if icd.is_chapter_or_block(code):
            continue
        ancestors = icd.get_ancestors(code)
        parent = ancestors[0] if ancestors and not icd.is_chapter_or_block(ancestors[0]) else ""
        chapter = ancestors[-1] if ancestors else ""
        yield code, icd.get_description(code), icd.is_leaf(code), parent, chapter


@transaction.atomic
def icd10_load(*, only: Iterable[str] | None = None) -> int:
    """Load the ICD-10-CM code set unless it is already there; returns the codes added.

    `only` limits the load to the given codes with their ancestors and descendants (tests and
    small demos); by default the full set (about 98,000 codes) is loaded.
    """
    Icd10Release.objects.get_or_create(
        fiscal_year=ICD10_FISCAL_YEAR,
        defaults={
            "valid_from": dt.date(ICD10_FISCAL_YEAR - 1, 10, 1),
            "valid_through": dt.date(ICD10_FISCAL_YEAR, 9, 30),
            "source": ICD10_DATASET,
        },
    )
    if Icd10Code.objects.exists():
        return 0
    wanted = _with_relatives(only) if only is not None else None
    items = list(_icd10_items(wanted))
    icd_table, term_table = Icd10Code._meta.db_table, Icd10Term._meta.db_table
    with connection.cursor() as cursor:
        # Plain executemany: the ORM's per-object overhead is most of the time at this size.
        cursor.executemany(
            f"INSERT INTO {icd_table} (code, key, title, billable, parent, chapter) "
            "VALUES (%s, %s, %s, %s, %s, %s)",
            [(c, code_key(c), t[:300], leaf, p, ch) for c, t, leaf, p, ch in items],
        )
        ids = dict(Icd10Code.objects.values_list("code", "id"))
        cursor.executemany(
            f"INSERT INTO {term_table} (term, icd_id) VALUES (%s, %s)",
            [(term, ids[c]) for c, t, _, _, _ in items for term in title_terms(t)],
        )
    return len(items)


def _with_relatives(codes: Iterable[str]) -> set[str]:
    """The codes with their ancestors and descendants (a descendant's code starts with its
    ancestor's: M54.5 → M54.50)."""
    import simple_icd_10_cm as icd

    prefixes = tuple(codes)
    wanted = {c for c in icd.get_all_codes(with_dots=True) if c.startswith(prefixes)}
    for code in list(wanted):
        wanted.update(icd.get_ancestors(code))
    return wanted


# ---- Checking typed diagnoses (billing-rules §7) ---------------------------------------


def diagnoses_check(codes: Sequence[str]) -> tuple[list[str], dict[int, str]]:
    """The codes as ICD-10-CM writes them ("m5450" → "M54.50"), and, by position, why each one
    that cannot go on a claim cannot: unknown, or a header that has billable children (§7)."""
    keys = [code_key(c) for c in codes]
    found = {icd.key: icd for icd in Icd10Code.objects.filter(key__in=set(keys))}
    headers = [icd.code for icd in found.values() if not icd.billable]
    children: dict[str, list[str]] = {}
    for code, parent in (
        Icd10Code.objects.filter(parent__in=headers, billable=True)
        .order_by("code")
        .values_list("code", "parent")
    ):
        children.setdefault(parent, []).append(code)
    canonical: list[str] = []
    problems: dict[int, str] = {}
    for position, (typed, key) in enumerate(zip(codes, keys, strict=True)):
        icd = found.get(key)
        if icd is None:
            problems[position] = f"{typed.strip()} is not an ICD-10-CM code."
            canonical.append(typed.strip())
            continue
        canonical.append(icd.code)
        if not icd.billable:
            problems[position] = _header_message(icd.code, children.get(icd.code))
    return canonical, problems


def _header_message(code: str, children: list[str] | None) -> str:
    if not children:
        # Grandchildren only (M25.5 → M25.56 → M25.561): name a few billable descendants.
        children = list(
            Icd10Code.objects.code_prefix(code)
            .filter(billable=True)
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


# ---- CMS quarterly practitioner PTP file (§5.2) -------------------------------------------


@dataclass
class PtpImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped_unknown_codes: int = 0
    errors: list[str] = field(default_factory=list)


_PTP_DATE = re.compile(r"^\d{8}$")


def _ptp_date(value: str) -> dt.date | None:
    value = value.strip()
    if not value or value == "*":
        return None
    if not _PTP_DATE.match(value):
        raise ValueError(f"date {value!r} is not YYYYMMDD")
    return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))


def _ptp_rows(lines: Iterable[str]) -> Iterator[tuple[int, list[str]]]:
    """Data rows of the CMS file: tab-separated (or CSV) after the header and licence lines."""
    for number, line in enumerate(lines, start=1):
        cells = [
            c.strip() for c in (line.split("\t") if "\t" in line else next(csv.reader([line])))
        ]
        if len(cells) < 6 or not re.fullmatch(r"[0-9A-Z]{5}", cells[0]):
            continue  # licence text, titles, the column header row
        yield number, cells


def ptp_import(*, lines: Iterable[str], source: str) -> PtpImportReport:
    """Update edit pairs from the CMS PTP layout: Column 1, Column 2, *=in existence prior to
    1996, Effective Date, Deletion Date, Modifier 0/1/9, PTP Edit Rationale (§5.2).

    Rows whose codes are not both in the code table are skipped (the file covers every
    specialty). Any malformed row aborts the whole import: nothing is written.
    """
    report = PtpImportReport()
    known = set(BillingCode.objects.values_list("code", flat=True))
    parsed: list[tuple[str, str, dt.date, dt.date | None, int, str]] = []
    for number, cells in _ptp_rows(lines):
        try:
            col1, col2, _prior, eff, dele, mod = cells[:6]
            rationale = cells[6] if len(cells) > 6 else ""
            effective = _ptp_date(eff)
            if effective is None:
                raise ValueError("the effective date is missing")
            indicator = int(mod)
            if indicator not in (0, 1, 9):
                raise ValueError(f"modifier indicator {mod!r} is not 0, 1 or 9")
            parsed.append((col1, col2, effective, _ptp_date(dele), indicator, rationale))
        except ValueError as exc:
            report.errors.append(f"line {number}: {exc}")
    if report.errors:
        return report
    with transaction.atomic():
        for col1, col2, effective, deletion, indicator, rationale in parsed:
            if col1 not in known or col2 not in known:
                report.skipped_unknown_codes += 1
                continue
            pair = EditPair.objects.filter(
                column1_id=col1, column2_id=col2, effective=effective
            ).first()
            if pair is None:
                pair = EditPair(column1_id=col1, column2_id=col2, effective=effective)
                report.created += 1
            elif (pair.deletion, pair.modifier_indicator, pair.rationale) == (
                deletion,
                indicator,
                rationale,
            ):
                report.unchanged += 1
                continue
            else:
                report.updated += 1
            pair.deletion, pair.modifier_indicator, pair.rationale = deletion, indicator, rationale
            pair.source = source
            pair.full_clean()
            pair.save()
    return report
