"""The ICD-10-CM order file and its addenda (coding/imports/icd10.py, billing-rules §7, §10.6),
for FY2027 and later: from CMS's real files (the FY2027 addenda in full, an excerpt of the
FY2026 order file) and from small files of ours in the same layouts (tests/coding/data/, codes
marked "(test)" are made up). A load changes exactly what the file says, a second load changes
nothing, and a malformed line means nothing is written."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from claims.facts import ClaimSpec, claim_context
from claims.scrubber import VisitNote
from coding import refcache
from coding.imports.base import ImportPlan, decode_lines, import_run, sha256_hex
from coding.imports.icd10 import chapter_of
from coding.imports.registry import IMPORTERS, importer_for
from coding.models import Icd10Code, Icd10Release, Icd10Term, ImportKind, ImportRecord
from coding.services import diagnoses_check
from tests.conftest import SharedFile, make_patient

pytestmark = pytest.mark.usefixtures("reference")

DATA = Path(__file__).resolve().parent / "data"
REAL_ADDENDA = SharedFile("fixtures", "icd10cm_order_addenda_2027.txt")
REAL_ORDER = SharedFile("fixtures", "icd10cm_order_2026_april.excerpt.txt")
SMALL_ADDENDA = DATA / "icd10cm_addenda_2027_small.txt"
SMALL_ORDER = DATA / "icd10cm_order_2027_small.txt"

FY2027 = dt.date(2026, 10, 1)
BEFORE, AFTER = dt.date(2026, 9, 1), dt.date(2026, 11, 1)


@pytest.fixture(autouse=True)
def without_fy2027(db: None) -> None:
    """The test database stands FY2026 in for the current fiscal year (tests/conftest.py):
    here FY2027 is what the files bring, so it starts not loaded, its codes valid to 2026-09-30
    as the shipped FY2026 set leaves them."""
    Icd10Release.objects.filter(fiscal_year__gte=2027).delete()
    Icd10Code.objects.filter(last_valid__gt=dt.date(2026, 9, 30)).update(
        last_valid=dt.date(2026, 9, 30)
    )


def load(
    kind: str,
    path: Path,
    *,
    release: str = "FY2027",
    effective: dt.date = FY2027,
    dry_run: bool = False,
    lines: list[str] | None = None,
) -> ImportPlan:
    data = path.read_bytes() if lines is None else "".join(lines).encode()
    return import_run(
        importer=importer_for(kind),
        lines=decode_lines(data) if lines is None else lines,
        release=release,
        effective=effective,
        file_name=path.name,
        sha256=sha256_hex(data),
        user=None,
        dry_run=dry_run,
    )


def snapshot() -> dict[str, Any]:
    return {
        "codes": list(Icd10Code.objects.order_by("code").values()),
        "terms": sorted(Icd10Term.objects.values_list("icd__code", "term")),
        "releases": list(Icd10Release.objects.order_by("fiscal_year").values()),
        "stamp": refcache.current(),
    }


def valid(code: str, day: dt.date) -> bool:
    return not diagnoses_check([code], day=day)[1]


def test_both_importers_are_registered() -> None:
    assert {ImportKind.ICD10_ORDER, ImportKind.ICD10_ADDENDA} <= set(IMPORTERS)


# ---- the FY2027 addenda, as CMS published them ----------------------------------------------


def icd10_missing(day: dt.date, clinic: Any) -> list[str]:
    patient = make_patient(clinic)
    context = claim_context(
        ClaimSpec(
            patient_id=patient.pk,
            payer_id=patient.primary_payer_id,
            date_of_service=day,
            credential="PT",
            diagnoses=("M54.50",),
            note=VisitNote(""),
            codes=frozenset({"97110"}),
        )
    )
    return [m for m in context.facts.missing_reference if "ICD-10-CM" in m]


def test_the_fy2027_addenda_make_the_fy2027_set(clinic: Any) -> None:
    assert icd10_missing(AFTER, clinic) == [
        "No ICD-10-CM code set is loaded for FY2027 (in force from 2026-10-01): the diagnoses "
        "were checked against FY2026, the latest loaded."
    ]

    plan = load("icd10_addenda", REAL_ADDENDA)

    assert plan.errors == [] and plan.record is not None
    # M72.2 (plantar fascial fibromatosis) is deleted as a code and comes back as a header
    # with M72.20–M72.22; the addenda add M67.A- for plantar fasciitis.
    assert valid("M72.2", BEFORE) and not valid("M72.2", AFTER)
    assert not valid("M72.20", BEFORE) and valid("M72.20", AFTER)
    assert not valid("M67.A01", BEFORE) and valid("M67.A01", AFTER)
    assert diagnoses_check(["M72.2"], day=AFTER)[1][0].startswith(
        "M72.2 was replaced by M72.20, M72.21 and M72.22 on 2026-10-01."
    )
    assert valid("M54.50", AFTER)  # untouched: billable through the new fiscal year
    assert Icd10Code.objects.get(code="M54.50").last_valid == dt.date(2027, 9, 30)
    assert icd10_missing(AFTER, clinic) == []
    release = Icd10Release.objects.get(fiscal_year=2027)
    assert (release.valid_from, release.valid_through) == (FY2027, dt.date(2027, 9, 30))
    record = ImportRecord.objects.get(kind=ImportKind.ICD10_ADDENDA)
    assert (record.release, record.effective_from, record.effective_through) == (
        "FY2027",
        FY2027,
        dt.date(2027, 9, 30),
    )


def test_the_addenda_add_new_categories_under_their_chapter_with_titles_to_search() -> None:
    load("icd10_addenda", REAL_ADDENDA)
    new = Icd10Code.objects.get(code="M67.A01")
    assert (new.title, new.parent, new.chapter, new.billable) == (
        "Plantar fasciitis, right foot",
        "M67.A0",
        "13",
        True,
    )
    assert Icd10Code.objects.get(code="M67.A").billable is False  # added as a header
    assert Icd10Code.objects.get(code="QA1").chapter == "17"
    assert "M67.A01" in Icd10Code.objects.words(["plantar", "fasciitis", "right"]).values_list(
        "code", flat=True
    )


def test_loading_the_addenda_twice_changes_nothing() -> None:
    load("icd10_addenda", REAL_ADDENDA)
    before = snapshot()
    again = load("icd10_addenda", REAL_ADDENDA)
    assert again.errors == [] and not again.has_changes
    assert snapshot() == before


def test_the_addenda_need_the_set_they_change() -> None:
    Icd10Release.objects.filter(fiscal_year=2026).delete()
    before = snapshot()
    plan = load("icd10_addenda", REAL_ADDENDA)
    assert plan.errors == [
        "No ICD-10-CM set is loaded for 2026-09-30 (FY2026): the addenda change that set, so "
        "load it first."
    ]
    assert snapshot() == before


# ---- our small addenda: each kind of line ---------------------------------------------------


def test_each_kind_of_addenda_line_does_what_it_says() -> None:
    plan = load("icd10_addenda", SMALL_ADDENDA)
    assert plan.errors == []

    revised = Icd10Code.objects.get(code="M54.51")
    assert revised.title == "Vertebrogenic low back pain, endplate (test)"
    assert "endplate" in set(revised.terms.values_list("term", flat=True))
    assert (revised.first_valid, revised.last_valid) == (dt.date(2024, 10, 1), dt.date(2027, 9, 30))
    header = Icd10Code.objects.get(code="M54.59")
    assert (header.billable, header.last_valid) == (False, dt.date(2026, 9, 30))
    added = Icd10Code.objects.get(code="M54.590")
    assert (added.parent, added.first_valid, added.last_valid) == (
        "M54.59",
        FY2027,
        dt.date(2027, 9, 30),
    )
    category = Icd10Code.objects.get(code="M1B")
    assert (category.parent, category.chapter, category.billable) == ("", "13", False)
    assert Icd10Code.objects.get(code="M1B.0").parent == "M1B"
    counts = plan.counts()
    # Added: four codes and the FY2027 release; updated: two codes and every other one's dates.
    assert (counts["add"], counts["update"]) == (5, 3)


def addenda_lines() -> list[str]:
    return SMALL_ADDENDA.read_text(encoding="latin-1").splitlines(keepends=True)


@pytest.mark.parametrize(
    ("line", "replacement", "error"),
    [
        (2, "Add:         2 M1B0", "line 2: the header/billable flag is '2', not 0 or 1"),
        (2, "Ad:          1 M1B0", "line 2: a line starts with Add:, Delete:, Revise from:"),
        (2, "Add:         1 M1-B0", "line 2: 'M1-B0' is not an ICD-10-CM code"),
        (4, "Revise to:   1 M5450", "line 4: “Revise to: M54.50” does not follow"),
        (24, "      4 additions", "line 24: the summary counts 4 code additions, but the file"),
        (13, "      1 additions", "line 13: the summary counts 1 header additions"),
    ],
)
def test_a_malformed_addenda_line_is_named_and_nothing_is_written(
    line: int, replacement: str, error: str
) -> None:
    lines = addenda_lines()
    original = lines[line - 1]
    lines[line - 1] = replacement + original[len(replacement) :]
    before = snapshot()
    plan = load("icd10_addenda", SMALL_ADDENDA, lines=lines)
    assert any(e.startswith(error) for e in plan.errors), plan.errors
    assert plan.record is None
    assert snapshot() == before


@pytest.mark.parametrize(
    ("release", "effective", "error"),
    [
        ("FY2027", dt.date(2026, 10, 15), "ICD-10-CM sets take effect on 1 October"),
        ("FY2026", FY2027, "The release says FY2026, but 2026-10-01 is in FY2027"),
        ("FY2028", dt.date(2027, 10, 1), "The summary says these addenda make the FY2027 set"),
    ],
)
def test_the_first_date_of_service_must_be_the_sets(
    release: str, effective: dt.date, error: str
) -> None:
    plan = load("icd10_addenda", SMALL_ADDENDA, release=release, effective=effective)
    assert any(e.startswith(error) for e in plan.errors), plan.errors


def test_a_dry_run_plans_and_writes_nothing() -> None:
    before = snapshot()
    plan = load("icd10_addenda", SMALL_ADDENDA, dry_run=True)
    assert plan.has_changes and plan.record is None
    assert snapshot() == before


# ---- the order file: a whole set -----------------------------------------------------------


def test_a_whole_set_file_changes_the_codes_it_lists() -> None:
    plan = load("icd10_order", SMALL_ORDER)
    assert plan.errors == []
    assert any("taken as part of the set" in n for n in plan.notes)
    assert not valid("M54.59", AFTER) and valid("M54.59", BEFORE)  # a header from FY2027
    assert valid("M54.590", AFTER) and not valid("M54.590", BEFORE)
    assert Icd10Code.objects.get(code="M54.51").title.endswith("endplate (test)")
    assert valid("M25.561", AFTER)  # not in this part of the set: as it was
    assert Icd10Release.objects.filter(fiscal_year=2027).exists()
    before = snapshot()
    assert not load("icd10_order", SMALL_ORDER).has_changes
    assert snapshot() == before


def test_a_complete_set_drops_the_codes_it_no_longer_has(tmp_path: Path) -> None:
    """A file with every code of the table but one, in the order-file layout: that one is not
    billable in the new fiscal year."""
    rows = Icd10Code.objects.order_by("key").exclude(code="M25.569")
    text = "".join(
        f"{n:05d} {c.key.upper():<7} {int(c.billable)} {c.title[:60]:<60} {c.title}\r\n"
        for n, c in enumerate(rows, start=1)
    )
    path = tmp_path / "icd10cm_order_2027.txt"
    path.write_text(text, encoding="latin-1")
    plan = load("icd10_order", path)
    assert plan.errors == []
    assert valid("M25.569", BEFORE) and not valid("M25.569", AFTER)
    assert Icd10Code.objects.get(code="M25.569").billable is False
    assert valid("M25.561", AFTER)


def test_the_real_order_file_excerpt_loads_as_part_of_a_set() -> None:
    plan = load("icd10_order", REAL_ORDER, release="FY2026 April", effective=dt.date(2026, 4, 1))
    assert plan.errors == []
    cholera = Icd10Code.objects.get(code="A00.0")
    assert (cholera.billable, cholera.parent, cholera.chapter) == (True, "A00", "1")
    assert cholera.title == "Cholera due to Vibrio cholerae 01, biovar cholerae"
    m5450 = Icd10Code.objects.get(code="M54.50")
    assert (m5450.first_valid, m5450.last_valid) == (dt.date(2024, 10, 1), dt.date(2026, 9, 30))
    assert not load(
        "icd10_order", REAL_ORDER, release="FY2026 April", effective=dt.date(2026, 4, 1)
    ).has_changes


def test_a_malformed_order_line_is_named_and_nothing_is_written() -> None:
    lines = SMALL_ORDER.read_text(encoding="latin-1").splitlines(keepends=True)
    lines[3] = lines[3][:14] + "X" + lines[3][15:]
    before = snapshot()
    plan = load("icd10_order", SMALL_ORDER, lines=lines)
    assert plan.errors == ["line 4: the header/billable flag is 'X', not 0 or 1"]
    assert snapshot() == before
    lines = SMALL_ORDER.read_text(encoding="latin-1").splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    plan = load("icd10_order", SMALL_ORDER, lines=lines)
    assert plan.errors == ["line 4: order number 20088 does not follow 20089"]


@pytest.mark.parametrize(
    ("code", "chapter"),
    [("A00", "1"), ("D49", "2"), ("D50", "3"), ("H60", "8"), ("K6A", "11"), ("QA1", "17"),
     ("T88", "19"), ("U07", "22"), ("V00", "20"), ("Z99", "21")],
)  # fmt: skip
def test_a_new_category_falls_in_its_chapter(code: str, chapter: str) -> None:
    assert chapter_of(code) == chapter
