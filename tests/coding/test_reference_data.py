"""The code tables' data: the idempotent reference load, the ICD-10-CM check of the seed
pairings, the CMS PTP import, the admin's CSV import, and who may change the tables."""

import datetime as dt
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.urls import reverse

from coding.admin import BillingCodeAdmin
from coding.imports.base import ImportPlan, import_run
from coding.imports.registry import IMPORTERS
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Icd10Code,
    Icd10Term,
    ImportKind,
    Modifier,
    Pairing,
    Payer,
    RelativeValue,
    UnitLimit,
)
from coding.services import icd10_load, reference_load
from tests.conftest import TEST_ICD10

DATA = Path(__file__).resolve().parent / "data"
TABLES: list[type[models.Model]] = [
    BillingCode,
    Modifier,
    Pairing,
    EditPair,
    UnitLimit,
    Payer,
    FeeYear,
    FeeScheduleEntry,
    RelativeValue,
    Icd10Code,
    Icd10Term,
]


def snapshot() -> dict[str, int]:
    """Row counts of every code table and of its history table."""
    counts = {m.__name__: m.objects.count() for m in TABLES}
    for m in TABLES:
        if hasattr(m, "history"):
            counts[f"{m.__name__} history"] = m.history.count()
    return counts


def ptp_lines(name: str) -> list[str]:
    return (DATA / name).read_text(encoding="latin-1").splitlines()


# ---- the reference load ---------------------------------------------------------------------


def test_loading_the_reference_data_twice_changes_nothing(reference: None) -> None:
    first = snapshot()
    assert first["BillingCode"] == 59 and first["Icd10Code"] > 0

    report = reference_load()
    assert icd10_load(only=TEST_ICD10) == 0

    assert snapshot() == first
    assert sum(report.created.values()) == 0
    assert report.kept["billing codes"] == 59


def test_a_second_load_keeps_what_an_admin_edited(reference: None) -> None:
    BillingCode.objects.filter(code="97110").update(short_name="Ther ex (edited)")
    fee = FeeScheduleEntry.objects.get(
        payer__name="Demo Commercial PPO", year=2026, billing_code="97110"
    )
    fee.allowed_amount = Decimal("30.00")
    fee.save()
    limit = UnitLimit.objects.get(billing_code="97110", effective=dt.date(2026, 10, 1))
    limit.max_units = 5
    limit.save()
    BillingCode.objects.filter(code="97799").delete()

    reference_load()

    assert BillingCode.objects.get(code="97110").short_name == "Ther ex (edited)"
    fee.refresh_from_db()
    assert fee.allowed_amount == Decimal("30.00")
    limit.refresh_from_db()
    assert limit.max_units == 5  # an edited figure stays, even where the file has another
    assert BillingCode.objects.filter(code="97799").exists()  # a missing row comes back


def test_a_load_corrects_unedited_rows_that_an_earlier_version_shipped(reference: None) -> None:
    """Databases loaded before December 2026 hold guessed edit-pair dates and made-up rows: a
    load brings rows nobody edited up to date and removes the ones no longer shipped, and
    keeps what an admin changed (docs/billing-rules.md §5.2)."""
    from coding.services import EARLIER_SHIPPED_SOURCE

    guessed = EditPair.objects.create(
        column1_id="97161", column2_id="97750", effective=dt.date(2017, 1, 1),
        modifier_indicator=1, source=f"{EARLIER_SHIPPED_SOURCE}5.1 (NCCI XI §P)",
    )  # fmt: skip
    kept = EditPair.objects.create(
        column1_id="97161", column2_id="97755", effective=dt.date(2017, 1, 1),
        modifier_indicator=1, source=f"{EARLIER_SHIPPED_SOURCE}5.1 (NCCI XI §P)",
    )  # fmt: skip
    kept.modifier_indicator = 0  # an admin corrected this one by hand
    kept.save()
    stale = EditPair.objects.get(column1="97163", column2="97161", effective=dt.date(2020, 10, 1))
    EditPair.objects.filter(pk=stale.pk).update(modifier_indicator=1)  # as an old version had it
    imported = EditPair.objects.create(
        column1_id="97530", column2_id="97150", effective=dt.date(2026, 10, 1),
        modifier_indicator=1, source="CMS PTP 2026 Q4 import",
    )  # fmt: skip

    report = reference_load()

    assert not EditPair.objects.filter(pk=guessed.pk).exists()
    assert EditPair.objects.filter(pk=kept.pk).exists()
    assert EditPair.objects.filter(pk=imported.pk).exists()  # imports are not ours to remove
    stale.refresh_from_db()
    assert stale.modifier_indicator == 0
    assert report.removed["edit pairs"] == 1
    assert report.updated["edit pairs"] == 1


@pytest.mark.parametrize(
    ("code", "billable"),
    [("M54.5", False), ("Z96.64", False), ("M25.561", True), ("M75.00", True)],
)
def test_the_seed_pairings_are_checked_against_the_code_set(
    reference: None, code: str, billable: bool
) -> None:
    assert Pairing.objects.filter(icd10_code=code).exists()
    assert Icd10Code.objects.get(code=code).billable is billable


def test_a_seed_header_pairing_has_billable_children(reference: None) -> None:
    children = Icd10Code.objects.filter(parent="M54.5").order_by("code")
    assert [(c.code, c.billable) for c in children] == [
        ("M54.50", True),
        ("M54.51", True),
        ("M54.59", True),
    ]
    assert set(Icd10Code.objects.filter(parent="Z96.64").values_list("code", flat=True)) == {
        "Z96.641",
        "Z96.642",
        "Z96.643",
        "Z96.649",
    }


def test_the_icd10_search_helpers_match_prefixes_and_words(reference: None) -> None:
    assert Icd10Code.objects.code_prefix("m54.5").count() == 4
    assert list(
        Icd10Code.objects.words(["pain", "righ", "knee"]).values_list("code", flat=True)
    ) == ["M25.561"]


# ---- the CMS PTP file (coding/imports/ptp.py; the other layouts: test_imports.py) ---------


def ptp_load(name: str) -> ImportPlan:
    return import_run(
        importer=IMPORTERS[ImportKind.PTP],
        lines=ptp_lines(name),
        release="sample",
        effective=dt.date(2026, 7, 1),
        file_name=name,
        sha256="0" * 64,
        user=None,
    )


def test_importing_a_ptp_file_adds_updates_and_skips_unknown_codes(reference: None) -> None:
    before = EditPair.objects.count()

    plan = ptp_load("ptp_sample.txt")

    assert plan.errors == []
    counts = plan.counts()
    assert (counts["add"], counts["update"], counts["skip"]) == (2, 1, 1)
    assert EditPair.objects.count() == before + 2
    added = EditPair.objects.get(column1="97530", column2="97750")
    assert added.effective == dt.date(2026, 7, 1)
    assert added.deletion is None
    assert added.modifier_indicator == 1
    assert added.source == "CMS practitioner PTP edits sample"
    historic = EditPair.objects.get(column1="97140", column2="20560")
    assert historic.deletion == dt.date(2002, 12, 31) and historic.modifier_indicator == 9
    updated = EditPair.objects.get(column1="97163", column2="97162", effective=dt.date(2017, 1, 1))
    assert updated.deletion == dt.date(2026, 12, 31)
    assert updated.rationale == "Mutually exclusive procedures"
    assert not EditPair.objects.filter(column1="99213").exists()


def test_importing_the_same_ptp_file_again_changes_nothing(reference: None) -> None:
    ptp_load("ptp_sample.txt")
    pairs = EditPair.objects.count()
    history = EditPair.history.count()

    counts = ptp_load("ptp_sample.txt").counts()

    assert (counts["add"], counts["update"], counts["unchanged"]) == (0, 0, 3)
    assert (EditPair.objects.count(), EditPair.history.count()) == (pairs, history)


def test_a_malformed_ptp_row_aborts_the_import_with_nothing_written(reference: None) -> None:
    before = snapshot()

    plan = ptp_load("ptp_malformed.txt")

    assert len(plan.errors) == 2
    assert plan.errors[0].startswith("line 4:") and "YYYYMMDD" in plan.errors[0]
    assert "modifier indicator '5'" in plan.errors[1]
    assert plan.record is None
    assert snapshot() == before


def test_the_import_ptp_command_reports_and_refuses_a_malformed_file(
    reference: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("import_ptp", str(DATA / "ptp_sample.txt"))
    assert "2 added, 1 updated, 0 unchanged, 1 skipped" in capsys.readouterr().out
    with pytest.raises(CommandError, match="Nothing loaded"):
        call_command("import_ptp", str(DATA / "ptp_malformed.txt"))


# ---- the admin: CSV import, who may change, history -----------------------------------------


def csv_format_index() -> str:
    formats = [f().get_title() for f in BillingCodeAdmin(BillingCode, None).get_import_formats()]  # type: ignore[arg-type]  # no admin site: only the formats are read
    return str(formats.index("csv"))


def upload(client: Client, name: str) -> str:
    content = (DATA / name).read_bytes()
    response = client.post(
        reverse("admin:coding_billingcode_import"),
        {
            "format": csv_format_index(),
            "resource": "0",
            "import_file": SimpleUploadedFile(name, content, content_type="text/csv"),
        },
    )
    assert response.status_code == 200
    return response.content.decode()


def test_a_csv_with_a_bad_row_is_refused_at_the_preview(
    reference: None, client_for: Any, code_admin: Any
) -> None:
    before = snapshot()

    html = upload(client_for(code_admin), "billingcodes_bad.csv")

    assert "Some rows failed to validate" in html
    assert "Value &#x27;not_a_category&#x27; is not a valid choice." in html
    assert "A CPT/HCPCS code is five letters or digits" in html
    assert "process_import" not in html  # no confirm button
    assert snapshot() == before


def test_a_good_csv_imports_after_the_admin_confirms(
    reference: None, client_for: Any, code_admin: Any
) -> None:
    admin = client_for(code_admin)
    html = upload(admin, "billingcodes_good.csv")
    assert not BillingCode.objects.filter(code="97546").exists()  # a preview only
    confirm = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', html))
    assert {"import_file_name", "original_file_name", "format"} <= set(confirm)

    response = admin.post(reverse("admin:coding_billingcode_process_import"), confirm)

    assert response.status_code == 302
    code = BillingCode.objects.get(code="97546")
    assert code.short_name == "Work hardening, each extra hour"
    assert code.always_therapy and not code.timed
    assert code.history.get().history_user == code_admin


@pytest.mark.parametrize("role", ["pt", "owner"])
def test_only_the_admin_role_may_change_code_tables(
    reference: None, client_for: Any, request: pytest.FixtureRequest, role: str
) -> None:
    user = request.getfixturevalue(role)
    code = BillingCode.objects.get(code="97110")
    change_url = reverse("admin:coding_billingcode_change", args=[code.pk])
    client = client_for(user)

    assert client.get(change_url).status_code in (302, 403)
    response = client.post(change_url, {"short_name": "hacked"})
    assert response.status_code in (302, 403)
    assert client.get(reverse("admin:coding_billingcode_import")).status_code in (302, 403)
    code.refresh_from_db()
    assert code.short_name == "Therapeutic exercise"


def test_the_admin_role_may_open_the_code_tables(
    reference: None, client_for: Any, code_admin: Any
) -> None:
    code = BillingCode.objects.get(code="97110")
    admin = client_for(code_admin)
    assert admin.get(reverse("admin:coding_billingcode_change", args=[code.pk])).status_code == 200
    assert admin.get(reverse("admin:coding_billingcode_import")).status_code == 200


def test_history_records_who_changed_a_fee(
    reference: None, client_for: Any, code_admin: Any
) -> None:
    fee = FeeScheduleEntry.objects.get(
        payer__name="Demo Commercial PPO", year=2026, billing_code="97110"
    )
    response = client_for(code_admin).post(
        reverse("admin:coding_feescheduleentry_change", args=[fee.pk]),
        {
            "payer": fee.payer_id,
            "year": fee.year,
            "billing_code": "97110",
            "allowed_amount": "36.50",
            "is_demo": "on",
            "source": "demo data: renegotiated",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]

    fee.refresh_from_db()
    assert fee.allowed_amount == Decimal("36.50")
    latest = fee.history.first()
    assert latest.history_user == code_admin
    assert latest.history_type == "~"
    assert latest.prev_record.allowed_amount == Decimal("34.87")
