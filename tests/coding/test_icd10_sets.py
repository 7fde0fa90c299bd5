"""The shipped ICD-10-CM sets (coding/icd10_sets.py, `icd10_load`, billing-rules §7, §10.6):
FY2025 and FY2026 loaded together, each code with the dates it is billable; loading again
changes nothing; a database loaded with FY2026 alone is brought up to date."""

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from coding import icd10_sets
from coding.icd10_sets import SetFilesMissing, read_set, shipped_sets
from coding.models import Icd10Code, Icd10Release, Icd10Term
from coding.services import icd10_load
from tests.conftest import TEST_ICD10

pytestmark = pytest.mark.usefixtures("reference")

FY2025_START, FY2025_END = dt.date(2024, 10, 1), dt.date(2025, 9, 30)
FY2026_START, FY2026_END = dt.date(2025, 10, 1), dt.date(2026, 9, 30)


def row(code: str) -> tuple[Any, ...]:
    return Icd10Code.objects.values_list(
        "billable", "parent", "first_valid", "last_valid", "title"
    ).get(code=code)


def test_g35_is_billable_in_fy2025_and_a_header_with_four_children_in_fy2026() -> None:
    assert row("G35")[:4] == (False, "", FY2025_START, FY2025_END)
    children = Icd10Code.objects.filter(parent="G35").order_by("code")
    assert [(c.code, c.billable) for c in children] == [
        ("G35.A", True),
        ("G35.B", False),  # primary progressive: G35.B0–G35.B2 below it
        ("G35.C", False),
        ("G35.D", True),
    ]
    below = Icd10Code.objects.filter(code__startswith="G35.", billable=True)
    assert below.count() == 8
    for code in below:
        assert code.first_valid == FY2026_START
        assert code.last_valid is not None and code.last_valid >= FY2026_END


def test_a_code_billable_in_both_years_spans_both() -> None:
    billable, parent, first, last, title = row("M54.50")
    assert (billable, parent, first, title) == (
        True,
        "M54.5",
        FY2025_START,
        "Low back pain, unspecified",
    )
    assert last is not None and last >= FY2026_END
    assert row("M54.5")[:4] == (False, "M54", None, None)  # a header in both: never billable


def test_both_releases_are_recorded_with_the_dates_they_are_in_force() -> None:
    releases = {
        r.fiscal_year: (r.valid_from, r.valid_through, r.source)
        for r in Icd10Release.objects.filter(fiscal_year__in=[2025, 2026])
    }
    assert releases[2025][:2] == (FY2025_START, FY2025_END)
    assert releases[2026][:2] == (FY2026_START, FY2026_END)
    assert "simple-icd-10-cm 1.4.0" in releases[2025][2]
    assert "simple-icd-10-cm 1.5.0" in releases[2026][2]


def test_loading_again_changes_nothing() -> None:
    before = list(Icd10Code.objects.order_by("code").values())
    terms = Icd10Term.objects.count()
    assert icd10_load(only=TEST_ICD10) == 0
    assert list(Icd10Code.objects.order_by("code").values()) == before
    assert Icd10Term.objects.count() == terms


def test_a_database_loaded_with_fy2026_alone_is_brought_up_to_date() -> None:
    # As the loader before FY2025 left it: no validity dates, no FY2025 release, the FY2026
    # release under its old name, and none of the codes FY2025 alone has.
    Icd10Code.objects.filter(code__startswith="G35").update(first_valid=None, last_valid=None)
    Icd10Code.objects.filter(code="G35.A").delete()
    Icd10Release.objects.filter(fiscal_year=2025).delete()
    Icd10Release.objects.filter(fiscal_year=2026).update(
        source="simple-icd-10-cm 1.5.0 (ICD-10-CM FY2026, April 2026 update)"
    )

    # G35 and its seven other billable codes dated again, G35.A back.
    assert icd10_load(only=["G35"]) == 9

    assert row("G35")[:4] == (False, "", FY2025_START, FY2025_END)
    assert row("G35.A")[:4] == (True, "G35", FY2026_START, FY2026_END)
    assert set(Icd10Term.objects.filter(icd__code="G35.A").values_list("term", flat=True)) == {
        "multiple",
        "relapsing",
        "remitting",
        "sclerosis",
    }
    assert Icd10Release.objects.filter(fiscal_year=2025).exists()
    assert "1.5.0" in Icd10Release.objects.get(fiscal_year=2026).source
    assert icd10_load(only=["G35"]) == 0


def test_a_category_alone_in_its_block_is_loaded_as_a_category() -> None:
    # M97 (periprosthetic fracture) is both a block and its only category in the tabular list.
    icd10_load(only=["M97"])
    assert row("M97")[:2] == (False, "")
    assert row("M97.0")[:2] == (False, "M97")
    assert row("M97.01XD")[0] is True


def test_reading_fy2025_leaves_the_package_with_its_own_fy2026_set() -> None:
    import simple_icd_10_cm as icd

    fy2025 = read_set(shipped_sets()[0])
    assert fy2025["G35"].billable and "G35.A" not in fy2025
    assert not icd.is_leaf("G35")
    assert icd.get_children("G35") == ["G35.A", "G35.B", "G35.C", "G35.D"]


def test_without_the_fy2025_files_the_load_says_how_to_install_them(
    settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.ICD10CM_FY2025_DIR = tmp_path
    monkeypatch.setattr(icd10_sets, "_READ", {})  # as in a new process
    Icd10Release.objects.filter(fiscal_year=2025).delete()
    with pytest.raises(SetFilesMissing, match="make setup"):
        icd10_load(only=["G35"])
