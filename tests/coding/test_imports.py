"""Loading the official CMS files (coding/imports): each layout from our own small files (with
PT codes, so that rows really change) and from the real published files; a new period leaves
the earlier one alone; loading the same file twice changes nothing; a malformed row means
nothing is written; and `manage.py import_cms`."""

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from coding import refcache
from coding.imports.base import ImportPlan, decode_lines, import_run, sha256_hex
from coding.imports.registry import IMPORTERS, importer_for
from coding.models import (
    BillingCode,
    EditPair,
    FeeYear,
    Gpci,
    ImportKind,
    ImportRecord,
    RelativeValue,
    UnitLimit,
)
from tests.conftest import SharedFile

DATA = Path(__file__).resolve().parent / "data"
REAL_PPRRVU = SharedFile("fixtures", "PPRRVU2026_Jul_nonQPP.descriptors-omitted.csv")
REAL_GPCI = SharedFile("fixtures", "GPCI2026.csv")
REAL_MUE = SharedFile("fixtures", "MCR_MUE_PractitionerServices_Eff_07-01-2026.excerpt.csv")
REAL_PTP = SharedFile("fixtures", "ccipra-v322r0-f1.excerpt.txt")

JULY = dt.date(2026, 7, 1)


def load(
    kind: str,
    path: Path,
    *,
    release: str = "test",
    effective: dt.date = JULY,
    dry_run: bool = False,
    qualifying_apm: bool = False,
    user: Any = None,
) -> ImportPlan:
    data = path.read_bytes()
    return import_run(
        importer=importer_for(kind, qualifying_apm=qualifying_apm),
        lines=decode_lines(data),
        release=release,
        effective=effective,
        file_name=path.name,
        sha256=sha256_hex(data),
        user=user,
        dry_run=dry_run,
    )


def snapshot() -> dict[str, Any]:
    """What a load may change: the rows and their history, the records, the stamp."""
    return {
        "rvus": list(RelativeValue.objects.order_by("pk").values()),
        "rvu history": RelativeValue.history.count(),
        "fee years": list(FeeYear.objects.order_by("pk").values()),
        "gpcis": list(Gpci.objects.order_by("pk").values()),
        "limits": list(UnitLimit.objects.order_by("pk").values()),
        "limit history": UnitLimit.history.count(),
        "pairs": list(EditPair.objects.order_by("pk").values()),
        "records": ImportRecord.objects.count(),
        "stamp": refcache.current(),
    }


def by_key(plan: ImportPlan) -> dict[str, tuple[str, str]]:
    return {c.key: (c.action, c.detail) for c in plan.changes}


def test_every_cms_layout_has_an_importer() -> None:
    assert {ImportKind.PPRRVU, ImportKind.GPCI, ImportKind.MUE, ImportKind.PTP} <= set(IMPORTERS)


# ---- PFS relative value file (PPRRVU) -------------------------------------------------------


def test_a_pfs_release_adds_rows_from_its_date_and_leaves_the_earlier_release(
    reference: None,
) -> None:
    january = RelativeValue.objects.get(billing_code="97110", effective=dt.date(2026, 1, 1))
    january_values = (january.work_rvu, january.pe_rvu, january.release, january.source)

    plan = load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C")

    assert plan.errors == []
    assert plan.counts() == {"add": 5, "update": 0, "unchanged": 1, "skip": 2}
    changes = by_key(plan)
    assert changes["97110 from 2026-07-01"] == (
        "add",
        "work RVU 0.45 → 0.50 (from the values of 2026-01-01)",
    )
    assert changes["97112 from 2026-07-01"] == ("add", "same values as from 2026-01-01")
    assert changes["97750-26"][0] == "skip" and changes["99213"][0] == "skip"
    assert changes["conversion factor 2026"] == ("unchanged", "33.4009")

    july = RelativeValue.objects.get(billing_code="97110", effective=JULY)
    assert (july.year, july.status, july.release) == (2026, "A", "RVU26C")
    assert (july.work_rvu, july.pe_rvu, july.mp_rvu) == (
        Decimal("0.50"),
        Decimal("0.41"),
        Decimal("0.01"),
    )
    assert july.pe_facility_rvu is None  # NA in the facility column
    assert july.mult_proc_indicator == "5"
    assert RelativeValue.objects.get(billing_code="97161", effective=JULY).pe_facility_rvu == (
        Decimal("1.20")
    )
    assert RelativeValue.objects.get(billing_code="97010", effective=JULY).status == "B"
    assert not RelativeValue.objects.filter(billing_code="99213").exists()
    january.refresh_from_db()
    assert (january.work_rvu, january.pe_rvu, january.release, january.source) == january_values


def test_loading_the_same_pfs_file_twice_changes_nothing(reference: None) -> None:
    load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C")
    before = snapshot()

    plan = load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C")

    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 6, "skip": 2}
    after = snapshot()
    assert after.pop("records") == before.pop("records") + 1  # the load itself is recorded
    assert after == before


def test_a_corrected_pfs_file_for_the_same_date_updates_its_rows(reference: None) -> None:
    load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C")
    RelativeValue.objects.filter(billing_code="97110", effective=JULY).update(work_rvu="0.49")

    plan = load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C")

    assert by_key(plan)["97110 from 2026-07-01"] == ("update", "work RVU 0.49 → 0.50")
    assert RelativeValue.objects.get(billing_code="97110", effective=JULY).work_rvu == Decimal(
        "0.50"
    )


def test_a_new_year_creates_its_fee_year_with_the_kx_threshold_unknown(reference: None) -> None:
    plan = load(
        "pprrvu", DATA / "pprrvu_2027_sample.csv", release="RVU27A", effective=dt.date(2027, 1, 1)
    )

    assert plan.errors == []
    year = FeeYear.objects.get(year=2027)
    assert year.conversion_factor == Decimal("33.5000")
    assert year.kx_threshold is None
    assert year.kx_review_threshold == Decimal("3000")
    assert any("KX threshold empty" in note for note in plan.notes)
    assert RelativeValue.objects.get(billing_code="97110", year=2027).work_rvu == Decimal("0.46")
    assert FeeYear.objects.get(year=2026).conversion_factor == Decimal("33.4009")


def test_the_qualifying_apm_file_sets_that_conversion_factor_only(reference: None) -> None:
    load(
        "pprrvu",
        DATA / "pprrvu_2027_sample.csv",
        release="RVU27A QPP",
        effective=dt.date(2027, 1, 1),
        qualifying_apm=True,
    )

    year = FeeYear.objects.get(year=2027)
    assert year.conversion_factor_qualifying_apm == Decimal("33.5000")
    assert year.conversion_factor is None


def test_a_malformed_pfs_row_means_nothing_is_written(reference: None) -> None:
    before = snapshot()

    plan = load("pprrvu", DATA / "pprrvu_malformed.csv")

    assert plan.errors == [
        "line 11: the work RVU '0.5O' is not a number",
        "line 14: '9753' is not a five-character code",
    ]
    assert plan.record is None
    assert snapshot() == before


def test_a_pfs_file_of_another_year_is_refused(reference: None) -> None:
    plan = load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", effective=dt.date(2027, 1, 1))
    assert plan.errors == [
        "line 1: the file is the 2026 fee schedule, but the effective date is in 2027"
    ]


def test_another_kind_of_file_is_not_taken_for_a_pfs_file(reference: None) -> None:
    plan = load("pprrvu", REAL_GPCI)
    assert plan.errors == [
        "This is not a PFS relative value file: no header row starts with HCPCS."
    ]


def test_the_real_pfs_file_loads_our_codes_and_never_their_descriptions(reference: None) -> None:
    plan = load("pprrvu", REAL_PPRRVU, release="RVU26C")

    assert plan.errors == []
    counts = plan.counts()
    assert counts["add"] == BillingCode.objects.count()  # every code of ours is in the file
    assert counts["skip"] == 19356 - counts["add"]
    row = RelativeValue.objects.get(billing_code="97110", effective=JULY)
    assert (row.work_rvu, row.pe_rvu, row.pe_facility_rvu, row.mp_rvu) == (
        Decimal("0.45"),
        Decimal("0.41"),
        None,
        Decimal("0.01"),
    )
    assert (row.status, row.mult_proc_indicator) == ("A", "5")
    assert RelativeValue.objects.get(billing_code="97010", effective=JULY).status == "B"
    stored = str(list(RelativeValue.objects.values())) + str(
        list(ImportRecord.objects.values("notes"))
    )
    assert "descriptor" not in stored


# ---- GPCI file ------------------------------------------------------------------------------


def test_a_gpci_file_adds_the_year_and_leaves_the_earlier_year(reference: None) -> None:
    alaska_2026 = Gpci.objects.get(year=2026, mac="02102", locality="01")
    before_2026 = list(Gpci.objects.filter(year=2026).values())

    plan = load(
        "gpci", DATA / "gpci_2027_sample.csv", release="RVU27A", effective=dt.date(2027, 1, 1)
    )

    assert plan.errors == []
    assert plan.counts() == {"add": 3, "update": 0, "unchanged": 0, "skip": 0}
    assert plan.effective_through == dt.date(2027, 12, 31)
    alaska = Gpci.objects.get(year=2027, mac="02102", locality="01")
    assert (alaska.name, alaska.state) == ("ALASKA", "AK")
    assert (alaska.work_gpci, alaska.pe_gpci, alaska.mp_gpci) == (
        Decimal("1.500"),
        Decimal("1.070"),
        Decimal("0.550"),
    )
    wyoming = Gpci.objects.get(year=2027, mac="03602", locality="21")  # "3602" in the file
    assert wyoming.name == "WYOMING"
    assert list(Gpci.objects.filter(year=2026).values()) == before_2026
    assert alaska_2026.pe_gpci == Decimal("1.065")


def test_loading_the_same_gpci_file_twice_changes_nothing(reference: None) -> None:
    kwargs: dict[str, Any] = {"release": "RVU27A", "effective": dt.date(2027, 1, 1)}
    load("gpci", DATA / "gpci_2027_sample.csv", **kwargs)
    before = snapshot()

    plan = load("gpci", DATA / "gpci_2027_sample.csv", **kwargs)

    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 3, "skip": 0}
    before.pop("records")
    after = snapshot()
    after.pop("records")
    assert after == before


def test_a_revised_gpci_file_updates_the_years_rows(reference: None) -> None:
    load("gpci", DATA / "gpci_2027_sample.csv", effective=dt.date(2027, 1, 1))
    Gpci.objects.filter(year=2027, state="AL").update(pe_gpci="0.870")

    plan = load("gpci", DATA / "gpci_2027_sample.csv", effective=dt.date(2027, 1, 1))

    assert by_key(plan)["AL Alabama (10112-00) 2027"] == ("update", "PE GPCI 0.870 → 0.880")


def test_a_malformed_gpci_row_means_nothing_is_written(reference: None) -> None:
    before = snapshot()

    plan = load("gpci", DATA / "gpci_malformed.csv", effective=dt.date(2027, 1, 1))

    assert plan.errors == [
        "line 4: the PE GPCI '0.88o' is not a number",
        "line 5: the state 'ALASKA' is not two letters",
    ]
    assert snapshot() == before


def test_the_real_gpci_file_matches_the_shipped_2026_figures(reference: None) -> None:
    plan = load("gpci", REAL_GPCI, release="RVU26C", effective=dt.date(2026, 1, 1))

    assert plan.errors == []
    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 109, "skip": 0}


def test_the_real_gpci_file_loads_all_localities_without_footnote_marks(reference: None) -> None:
    Gpci.objects.filter(year=2026).delete()

    plan = load("gpci", REAL_GPCI, release="RVU26C", effective=dt.date(2026, 1, 1))

    assert plan.counts()["add"] == 109
    assert Gpci.objects.filter(year=2026).count() == 109
    assert not Gpci.objects.filter(name__contains="*").exists()
    assert Gpci.objects.get(year=2026, state="AK").name == "ALASKA"
    assert Gpci.objects.get(year=2026, mac="03602").name == "WYOMING"
    assert load("gpci", REAL_GPCI, effective=dt.date(2027, 1, 1)).errors == [
        "line 3: the file's GPCIs are for 2026, but the effective date is in 2027"
    ]


# ---- practitioner MUE table -----------------------------------------------------------------

Q1_2027 = dt.date(2027, 1, 1)


def test_an_mue_table_adds_limits_from_its_date_and_leaves_earlier_quarters(
    reference: None,
) -> None:
    earlier = list(UnitLimit.objects.filter(effective__lt=Q1_2027).values())

    plan = load("mue", DATA / "mue_2027_q1_sample.csv", release="MUE 2027 Q1", effective=Q1_2027)

    assert plan.errors == []
    assert plan.counts() == {"add": 3, "update": 0, "unchanged": 0, "skip": 1}
    limit = UnitLimit.objects.get(billing_code="97110", effective=Q1_2027)
    assert (limit.max_units, limit.mai) == (8, 3)
    assert limit.source == "CMS practitioner MUE table MUE 2027 Q1"
    zero = UnitLimit.objects.get(billing_code="97010", effective=Q1_2027)
    assert (zero.max_units, zero.mai) == (0, 2)
    detail = by_key(plan)["97110 from 2027-01-01"][1]
    assert detail.startswith("8 units a day, adjudication indicator 3 (was 6 units a day")
    assert not UnitLimit.objects.filter(billing_code="99213").exists()
    assert list(UnitLimit.objects.filter(effective__lt=Q1_2027).values()) == earlier


def test_loading_the_same_mue_table_twice_changes_nothing(reference: None) -> None:
    load("mue", DATA / "mue_2027_q1_sample.csv", effective=Q1_2027)
    before = snapshot()

    plan = load("mue", DATA / "mue_2027_q1_sample.csv", effective=Q1_2027)

    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 3, "skip": 1}
    before.pop("records")
    after = snapshot()
    after.pop("records")
    assert after == before


def test_a_malformed_mue_row_means_nothing_is_written(reference: None) -> None:
    before = snapshot()

    plan = load("mue", DATA / "mue_malformed.csv", effective=Q1_2027)

    assert plan.errors == [
        "line 6: the MUE value 'six' is not a whole number of units",
        "line 7: the adjudication indicator '4 Date of Service Edit: Other' does not start "
        "with 1, 2 or 3",
    ]
    assert snapshot() == before


def test_the_real_mue_table_parses_its_notice_header_and_indicators(reference: None) -> None:
    plan = load("mue", REAL_MUE, effective=JULY, dry_run=True)
    assert plan.errors == []
    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 0, "skip": 44}

    BillingCode.objects.create(
        code="0009U", system="CPT", short_name="Lab test (for the test)", description="x",
        category="other", timed=False, always_therapy=False, unit_basis="per_service",
    )  # fmt: skip
    load("mue", REAL_MUE, release="MUE 2026 Q3", effective=JULY)

    limit = UnitLimit.objects.get(billing_code="0009U")
    assert (limit.max_units, limit.mai, limit.effective) == (2, 3, JULY)


# ---- practitioner PTP edits -----------------------------------------------------------------


def test_the_real_ptp_file_parses_and_loads_the_pairs_of_our_codes(reference: None) -> None:
    plan = load("ptp", REAL_PTP, effective=JULY, dry_run=True)
    assert plan.errors == []
    assert plan.counts() == {"add": 0, "update": 0, "unchanged": 0, "skip": 154}

    for code in ("0001U", "0428U"):
        BillingCode.objects.create(
            code=code, system="CPT", short_name="Lab test (for the test)", description="x",
            category="other", timed=False, always_therapy=False, unit_basis="per_service",
        )  # fmt: skip
    plan = load("ptp", REAL_PTP, release="v322r0", effective=JULY)

    assert plan.counts()["add"] == 1
    pair = EditPair.objects.get(column1="0001U", column2="0428U")
    assert (pair.effective, pair.deletion, pair.modifier_indicator) == (
        dt.date(2024, 10, 1),
        dt.date(2024, 12, 31),
        1,
    )
    assert pair.source == "CMS practitioner PTP edits v322r0"


# ---- the common run -------------------------------------------------------------------------


def test_a_load_is_recorded_with_its_file_and_who_loaded_it(
    reference: None, code_admin: Any
) -> None:
    stamp = refcache.current()
    path = DATA / "mue_2027_q1_sample.csv"

    load("mue", path, release="MUE 2027 Q1", effective=Q1_2027, user=code_admin)

    record = ImportRecord.objects.get()
    assert (record.kind, record.release, record.file_name) == (
        "mue",
        "MUE 2027 Q1",
        "mue_2027_q1_sample.csv",
    )
    assert record.sha256 == sha256_hex(path.read_bytes())
    assert (record.effective_from, record.effective_through) == (Q1_2027, None)
    assert (record.added, record.updated, record.unchanged, record.skipped) == (3, 0, 0, 1)
    assert record.loaded_by == code_admin
    assert refcache.current() != stamp  # every host reloads its cached tables


def test_a_dry_run_writes_nothing(reference: None) -> None:
    before = snapshot()
    plan = load("mue", DATA / "mue_2027_q1_sample.csv", effective=Q1_2027, dry_run=True)
    assert plan.counts()["add"] == 3
    assert snapshot() == before


def test_only_the_pfs_file_has_a_qualifying_apm_version() -> None:
    with pytest.raises(ValueError, match="Only the PFS"):
        importer_for("gpci", qualifying_apm=True)


# ---- manage.py import_cms -------------------------------------------------------------------


def test_the_command_prints_the_plan_and_loads(
    reference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "import_cms", "mue", str(DATA / "mue_2027_q1_sample.csv"),
        "--release", "MUE 2027 Q1", "--effective", "2027-01-01",
    )  # fmt: skip
    out = capsys.readouterr().out
    assert "3 added, 0 updated, 0 unchanged, 1 skipped" in out
    assert "add: 97110 from 2027-01-01: 8 units a day" in out
    assert UnitLimit.objects.filter(effective=Q1_2027).count() == 3


def test_the_command_dry_run_writes_nothing(
    reference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command(
        "import_cms", "pprrvu", str(DATA / "pprrvu_2026_jul_sample.csv"),
        "--release", "RVU26C", "--effective", "2026-07-01", "--dry-run",
    )  # fmt: skip
    assert "Dry run: nothing written." in capsys.readouterr().out
    assert not RelativeValue.objects.filter(effective=JULY).exists()


def test_the_command_fails_on_a_malformed_file_and_writes_nothing(reference: None) -> None:
    before = snapshot()
    with pytest.raises(CommandError, match="line 6: the MUE value 'six'"):
        call_command(
            "import_cms", "mue", str(DATA / "mue_malformed.csv"),
            "--release", "x", "--effective", "2027-01-01",
        )  # fmt: skip
    assert snapshot() == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["gpci", "DATA/gpci_2027_sample.csv", "--qualifying-apm"], "Only the PFS"),
        (["gpci", "DATA/nothing.csv"], "no such file"),
    ],
)
def test_the_command_refuses_wrong_options(reference: None, args: list[str], message: str) -> None:
    args = [a.replace("DATA", str(DATA)) for a in args]
    with pytest.raises(CommandError, match=message):
        call_command("import_cms", *args, "--release", "x", "--effective", "2027-01-01")


def test_the_command_needs_a_real_date(reference: None) -> None:
    with pytest.raises(CommandError, match="not a date"):
        call_command(
            "import_cms", "gpci", str(DATA / "gpci_2027_sample.csv"),
            "--release", "x", "--effective", "1 July",
        )  # fmt: skip


def test_the_command_needs_a_release_label(reference: None) -> None:
    with pytest.raises(CommandError, match="release label"):
        call_command(
            "import_cms", "gpci", str(DATA / "gpci_2027_sample.csv"),
            "--release", " ", "--effective", "2027-01-01",
        )  # fmt: skip
