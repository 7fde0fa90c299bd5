"""Bad files and bad confirmations on the admin's import pages get a message the admin can act on,
never a 500, and nothing is half-saved: the code tables' CSV imports (django-import-export,
coding/admin_import_checks.py) and "Load a CMS file" (coding/admin_imports.py)."""

import html
import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from coding import admin_import_checks, admin_imports
from coding.admin import BillingCodeAdmin
from coding.models import BillingCode, FeeScheduleEntry, ImportRecord, Payer
from tests.coding.test_imports import snapshot
from tests.conftest import make_payer, make_user

DATA = Path(__file__).resolve().parent / "data"
IMPORT = reverse("admin:coding_billingcode_import")
PROCESS = reverse("admin:coding_billingcode_process_import")
GOOD = (DATA / "billingcodes_good.csv").read_bytes()
MB = 1024 * 1024


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


def waiting(media: Path) -> list[str]:
    """The code-table uploads waiting for "Confirm import"."""
    folder = media / "imports" / "tables"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


@pytest.fixture
def platform_admin(reference: None) -> Any:
    return make_user(username="platform", is_staff=True, is_superuser=True)


@pytest.fixture
def admin(client_for: Any, platform_admin: Any) -> Client:
    client: Client = client_for(platform_admin)
    return client


def csv_format() -> str:
    formats = [f().get_title() for f in BillingCodeAdmin(BillingCode, None).get_import_formats()]  # type: ignore[arg-type]  # no admin site: only the formats are read
    return str(formats.index("csv"))


def json_format() -> str:
    formats = [f().get_title() for f in BillingCodeAdmin(BillingCode, None).get_import_formats()]  # type: ignore[arg-type]  # no admin site: only the formats are read
    return str(formats.index("json"))


def upload(client: Client, content: bytes, *, url: str = IMPORT, fmt: str = "") -> Any:
    return client.post(
        url,
        {
            "format": fmt or csv_format(),
            "resource": "0",
            "import_file": SimpleUploadedFile("codes.csv", content, content_type="text/csv"),
        },
    )


def confirm_fields(page: str) -> dict[str, str]:
    """The hidden fields of the preview's "Confirm import" form, as a browser sends them."""
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)"', page)
        if name != "csrfmiddlewaretoken"
    }


def preview(client: Client, content: bytes = GOOD, url: str = IMPORT) -> dict[str, str]:
    response = upload(client, content, url=url)
    page = response.content.decode()
    assert response.status_code == 200 and "Confirm import" in page, page[-3000:]
    return confirm_fields(page)


def followed_message(response: Any) -> str:
    return " ".join(str(m) for m in response.context["messages"])


# ---- the code tables' CSV import: the upload ------------------------------------------------


def test_a_file_over_the_limit_is_refused_with_the_sizes(
    admin: Client, settings: Any, media: Path
) -> None:
    settings.CODE_IMPORT_MAX_BYTES = 1 * MB
    big = GOOD + b"\n" * (MB + MB // 2 - len(GOOD))

    response = upload(admin, big)

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "That file is 1.5 MB; imports take at most 1 MB. Split it and load the parts." in page
    assert "Confirm import" not in page
    assert waiting(media) == []  # refused before it was read or kept
    assert not BillingCode.objects.filter(code="97546").exists()


LATIN_1 = GOOD.replace(b"Sample row.", "Exemple modifié.".encode("latin-1"))
NO_HEADER = GOOD.split(b"\n", 1)[1] * 2


@pytest.mark.parametrize(
    ("content", "fmt", "message"),
    [
        (
            b"PK\x03\x04\x14\x00\x06\x00" + bytes(range(256)),
            "csv",
            "Line 1 holds a NUL byte, so this is not a CSV text file (a spreadsheet saved as "
            ".xlsx?). Save it as CSV UTF-8 and load that.",
        ),
        (
            GOOD.replace(b"Sample row.", b"Sample\x00row."),
            "csv",
            "Line 2 holds a NUL byte",
        ),
        (
            LATIN_1,
            "csv",
            "Line 2 is not UTF-8 text. Save the file as CSV UTF-8 (or with the encoding UTF-8) "
            "and load it again.",
        ),
        (
            GOOD,
            "json",
            "That file could not be read as JSON. Choose the format the file is in, or save it "
            "as CSV UTF-8.",
        ),
        (
            NO_HEADER,
            "csv",
            "The first line must name the columns, and it has no code column (it reads: 97546,",
        ),
    ],
    ids=["a zip", "a NUL byte", "not UTF-8", "not the chosen format", "no header row"],
)
def test_a_file_that_is_not_the_chosen_format_is_refused_in_plain_words(
    admin: Client, media: Path, content: bytes, fmt: str, message: str
) -> None:
    response = upload(admin, content, fmt=csv_format() if fmt == "csv" else json_format())

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert message in page
    assert "Traceback" not in page and "encountered while trying to read" not in page
    assert "Confirm import" not in page
    assert waiting(media) == []  # a preview that cannot be confirmed keeps no file
    assert not BillingCode.objects.filter(code="97546").exists()


# ---- the code tables' CSV import: the confirmation ------------------------------------------


def test_the_upload_waits_in_the_shared_storage_until_it_is_confirmed(
    admin: Client, client_for: Any, platform_admin: Any, media: Path
) -> None:
    fields = preview(admin)
    assert waiting(media) == [fields["import_file_name"]]  # any host finds it there

    response = client_for(platform_admin).post(PROCESS, fields)  # a new session

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:coding_billingcode_changelist")
    assert BillingCode.objects.get(code="97546").short_name == "Work hardening, each extra hour"
    assert waiting(media) == []


@pytest.mark.parametrize(
    "tampered",
    [
        {"format": "9"},
        {"format": "x"},
        {"format": "JSON"},
        {"resource": "5"},
        {"import_file_name": "0" * 32},
        {"import_file_name": "../../etc/passwd"},
        {"upload_check": "forged"},
    ],
    ids=lambda changed: ", ".join(f"{k}={v}" for k, v in changed.items()),
)
def test_a_tampered_confirmation_is_refused_and_imports_nothing(
    admin: Client, media: Path, tampered: dict[str, str]
) -> None:
    fields = preview(admin)
    if tampered.get("format") == "JSON":
        tampered = {"format": json_format()}

    response = admin.post(PROCESS, {**fields, **tampered}, follow=True)

    assert response.redirect_chain == [(IMPORT, 302)]
    assert followed_message(response) == admin_import_checks.MISMATCH
    assert not BillingCode.objects.filter(code="97546").exists()
    assert waiting(media) == [fields["import_file_name"]]  # the real upload may still be confirmed


def test_another_admins_confirmation_is_refused(
    admin: Client, client_for: Any, media: Path
) -> None:
    fields = preview(admin)
    other = client_for(make_user(username="other-platform", is_staff=True, is_superuser=True))

    response = other.post(PROCESS, fields, follow=True)

    assert followed_message(response) == admin_import_checks.MISMATCH
    assert not BillingCode.objects.filter(code="97546").exists()


def test_a_confirmation_for_another_table_is_refused(admin: Client) -> None:
    fields = preview(admin)
    fee_import = reverse("admin:coding_feescheduleentry_process_import")

    response = admin.post(fee_import, fields, follow=True)

    assert response.redirect_chain == [(reverse("admin:coding_feescheduleentry_import"), 302)]
    assert followed_message(response) == admin_import_checks.MISMATCH
    assert not BillingCode.objects.filter(code="97546").exists()


def test_a_confirmation_sent_twice_imports_once(admin: Client) -> None:
    fields = preview(admin)
    assert "Import finished: 1 new" in followed_message(admin.post(PROCESS, fields, follow=True))
    history = BillingCode.objects.get(code="97546").history.count()

    response = admin.post(PROCESS, fields, follow=True)

    assert response.redirect_chain == [(IMPORT, 302)]
    assert followed_message(response) == admin_import_checks.STALE
    assert BillingCode.objects.get(code="97546").history.count() == history


def test_a_day_old_preview_is_refused(admin: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    fields = preview(admin)
    monkeypatch.setattr(admin_import_checks, "UPLOAD_MAX_AGE", -1)  # as if a day had passed

    response = admin.post(PROCESS, fields, follow=True)

    assert followed_message(response) == admin_import_checks.STALE
    assert not BillingCode.objects.filter(code="97546").exists()


def test_a_row_that_stops_passing_before_the_confirmation_imports_nothing(
    admin: Client,
) -> None:
    first, second = make_payer("Import payer one"), make_payer("Import payer two")
    rows = (
        "payer,year,code,allowed_amount,is_demo,source\n"
        "Import payer one,2031,97110,40.00,1,test\n"
        "Import payer two,2031,97110,41.00,1,test\n"
    )
    url = reverse("admin:coding_feescheduleentry_import")
    fields = preview(admin, rows.encode(), url=url)
    Payer.objects.filter(pk=second.pk).update(name="Renamed meanwhile")

    response = admin.post(
        reverse("admin:coding_feescheduleentry_process_import"), fields, follow=True
    )

    assert response.redirect_chain == [(url, 302)]
    assert followed_message(response).startswith(
        "Nothing was imported: the file no longer passes the checks"
    )
    assert not FeeScheduleEntry.objects.filter(payer=first, year=2031).exists()


# ---- "Load a CMS file" ----------------------------------------------------------------------

LOAD = reverse("admin:coding_importrecord_load")


def load_upload(client: Client, content: bytes, kind: str = "ptp") -> Any:
    return client.post(
        LOAD,
        {
            "kind": kind,
            "release": "v32.2",
            "effective": "2026-07-01",
            "file": SimpleUploadedFile("ccipra.txt", content, content_type="text/plain"),
        },
    )


@pytest.mark.parametrize(
    ("kind", "content", "message"),
    [
        (
            "ptp",
            (DATA / "ptp_sample.txt").read_bytes().replace(b"Mutually", b"Mutu\x00ally"),
            "Line 7 of the file holds a NUL byte, so it is not a text file (a zip or a "
            "spreadsheet?). CMS publishes its files in zips: unzip it and load the .csv or .txt "
            "file inside.",
        ),
        (
            "mue",
            (DATA / "mue_2027_q1_sample.csv").read_bytes() + b'97110,"' + b"x" * 200_000,
            "The file has a cell of more than 131,072 characters (a quotation mark left open?), "
            "so it cannot be read. Is it the file as CMS publishes it?",
        ),
    ],
    ids=["a NUL byte", "a quotation mark left open"],
)
def test_a_cms_file_that_is_not_text_is_refused_on_the_form(
    admin: Client, media: Path, kind: str, content: bytes, message: str
) -> None:
    before = snapshot()

    response = load_upload(admin, content, kind)

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert message in page
    assert "Load it" not in page
    assert not (media / "imports").exists()
    assert snapshot() == before
    assert not ImportRecord.objects.exists()


def test_a_cms_file_over_the_limit_is_refused_with_the_sizes(
    admin: Client, media: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(admin_imports, "MAX_UPLOAD", 1 * MB)
    sample = (DATA / "ptp_sample.txt").read_bytes()
    big = sample + b"\n" * (MB + MB // 2 - len(sample))

    response = load_upload(admin, big)

    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert "That file is 1.5 MB; CMS files load at most 1 MB. Is it the right file?" in page
    assert not (media / "imports").exists()
    assert not ImportRecord.objects.exists()
