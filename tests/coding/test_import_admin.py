"""The admin's "Load a CMS file" pages (upload → preview → load it), the read-only import
records, "What is loaded", and the banner of missing reference data (coding/coverage.py)."""

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from coding.coverage import loaded_tables, reference_gaps
from coding.imports.base import sha256_hex
from coding.models import (
    FeeYear,
    Gpci,
    Icd10Release,
    ImportRecord,
    RelativeValue,
    UnitLimit,
    icd10_fiscal_year,
)
from ptclinic.jobs.runner import job_run
from ptclinic.models import Job, JobStatus
from tests.coding.test_imports import load

DATA = Path(__file__).resolve().parent / "data"
Q1_2027 = dt.date(2027, 1, 1)
LOAD = reverse("admin:coding_importrecord_load")
CONFIRM = reverse("admin:coding_importrecord_load_confirm")
LOADED = reverse("admin:coding_importrecord_loaded")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def admin_client(client_for: Any, code_admin: Any, reference: None) -> Client:
    client: Client = client_for(code_admin)
    return client


def upload(client: Client, name: str, **fields: str) -> Any:
    content = (DATA / name).read_bytes()
    data = {"kind": "mue", "release": "MUE 2027 Q1", "effective": "2027-01-01", **fields}
    return client.post(LOAD, {**data, "file": SimpleUploadedFile(name, content, "text/csv")})


def confirm_fields(page: str) -> dict[str, str]:
    """The hidden fields of the preview's "Load it" form, as a browser would send them."""
    form = page[page.index(f'action="{CONFIRM}"') :]
    form = form[: form.index("</form>")]
    return {
        name: html.unescape(value)
        for name, value in re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    }


# ---- upload, preview, load it ---------------------------------------------------------------


def test_an_upload_is_previewed_and_nothing_is_written(admin_client: Client, media: Path) -> None:
    response = upload(admin_client, "mue_2027_q1_sample.csv")

    assert response.status_code == 200
    page = response.content.decode()
    assert "To add" in page and "97110 from 2027-01-01" in page
    assert "8 units a day, adjudication indicator 3" in page
    assert "Load it" in page
    assert not UnitLimit.objects.filter(effective=Q1_2027).exists()
    assert not ImportRecord.objects.exists()
    sha = sha256_hex((DATA / "mue_2027_q1_sample.csv").read_bytes())
    assert (media / "imports" / sha).read_bytes() == (DATA / "mue_2027_q1_sample.csv").read_bytes()
    assert confirm_fields(page)["sha256"] == sha


def test_load_it_writes_the_stored_file_even_from_another_host(
    admin_client: Client, client_for: Any, code_admin: Any
) -> None:
    fields = confirm_fields(upload(admin_client, "mue_2027_q1_sample.csv").content.decode())
    other_host = client_for(code_admin)  # a new session: only the form and the storage carry it

    response = other_host.post(CONFIRM, fields)

    assert response.status_code == 302
    assert response["Location"] == reverse("admin:coding_importrecord_changelist")
    assert UnitLimit.objects.get(billing_code="97110", effective=Q1_2027).max_units == 8
    record = ImportRecord.objects.get()
    assert (record.kind, record.release, record.file_name, record.loaded_by) == (
        "mue",
        "MUE 2027 Q1",
        "mue_2027_q1_sample.csv",
        code_admin,
    )
    assert (record.added, record.skipped) == (3, 1)
    assert not default_storage.exists(f"imports/{fields['sha256']}")
    page = other_host.get(response["Location"]).content.decode()
    assert "3 added, 0 updated, 0 unchanged, 1 skipped" in page


def test_load_it_runs_as_a_job_of_the_admin(admin_client: Client, code_admin: Any) -> None:
    fields = confirm_fields(upload(admin_client, "mue_2027_q1_sample.csv").content.decode())

    admin_client.post(CONFIRM, fields)

    job = Job.objects.get(kind="cms_import")
    assert (job.status, job.started_by, job.clinic) == (JobStatus.DONE, code_admin, None)
    assert job.key == f"cms-import:{fields['sha256']}"
    assert job.params == {
        "sha256": fields["sha256"], "kind": "mue", "release": "MUE 2027 Q1",
        "effective": "2027-01-01", "qualifying_apm": False,
        "file_name": "mue_2027_q1_sample.csv",
    }  # fmt: skip
    assert job.message.startswith(
        "Loaded CMS practitioner MUE table MUE 2027 Q1: 3 added, 0 updated, 0 unchanged, 1 skipped."
    )
    assert job.result["record"] == ImportRecord.objects.get().pk
    assert job.result_url == reverse("admin:coding_importrecord_changelist")
    assert job.percent == 100
    # The platform admin's jobs are nobody's clinic's: the job's page is theirs to see.
    assert admin_client.get(reverse("job-detail", args=[job.pk])).status_code == 200


def test_load_it_twice_does_not_load_twice(admin_client: Client) -> None:
    fields = confirm_fields(upload(admin_client, "mue_2027_q1_sample.csv").content.decode())
    admin_client.post(CONFIRM, fields)

    response = admin_client.post(CONFIRM, fields, follow=True)

    assert "Already loaded: mue_2027_q1_sample.csv" in response.content.decode()
    assert ImportRecord.objects.count() == 1
    second = Job.objects.filter(kind="cms_import").first()
    assert second is not None and second.status == JobStatus.DONE
    assert second.result["already_loaded"] is True
    assert Job.objects.filter(kind="cms_import").count() == 2


def test_the_same_job_run_again_after_its_load_loads_nothing(admin_client: Client) -> None:
    # A worker lost after the load was written but before the job was marked done: the queue
    # runs the job again, with the file still stored.
    fields = confirm_fields(upload(admin_client, "mue_2027_q1_sample.csv").content.decode())
    admin_client.post(CONFIRM, fields)
    job = Job.objects.get(kind="cms_import")
    content = (DATA / "mue_2027_q1_sample.csv").read_bytes()
    default_storage.save(f"imports/{fields['sha256']}", ContentFile(content))
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING)

    job_run(job.pk, attempt=1)

    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.message.startswith("Loaded CMS practitioner MUE table MUE 2027 Q1: 3 added")
    assert ImportRecord.objects.count() == 1
    assert not default_storage.exists(f"imports/{fields['sha256']}")


def test_the_preview_shows_the_qualifying_apm_choice_through_to_the_load(
    admin_client: Client,
) -> None:
    response = upload(
        admin_client, "pprrvu_2027_sample.csv",
        kind="pprrvu", release="RVU27A QPP", effective="2027-01-01", qualifying_apm="on",
    )  # fmt: skip
    assert "qualifying-APM conversion factor 2027" in response.content.decode()

    admin_client.post(CONFIRM, confirm_fields(response.content.decode()))

    year = FeeYear.objects.get(year=2027)
    assert year.conversion_factor_qualifying_apm == Decimal("33.5000")
    assert year.conversion_factor is None


def test_a_malformed_file_shows_why_and_nothing_can_be_loaded(
    admin_client: Client, media: Path
) -> None:
    response = upload(admin_client, "mue_malformed.csv")

    page = response.content.decode()
    assert response.status_code == 200
    assert "Nothing can be loaded: 2 problems" in page
    assert "Line 6: the MUE value &#x27;six&#x27; is not a whole number of units" in page
    assert "Load it" not in page
    assert not (media / "imports").exists()  # nothing kept that cannot be loaded

    # A crafted confirmation of it finds nothing to load.
    sha = sha256_hex((DATA / "mue_malformed.csv").read_bytes())
    response = admin_client.post(
        CONFIRM,
        {"kind": "mue", "release": "x", "effective": "2027-01-01", "sha256": sha,
         "file_name": "mue_malformed.csv"},
        follow=True,
    )  # fmt: skip
    assert "no longer here" in response.content.decode()
    assert not ImportRecord.objects.exists()
    assert not UnitLimit.objects.filter(effective=Q1_2027).exists()


def test_load_it_plans_again_and_writes_nothing_when_that_plan_fails(
    admin_client: Client,
) -> None:
    response = upload(
        admin_client, "pprrvu_2026_jul_sample.csv",
        kind="pprrvu", release="RVU26C", effective="2026-07-01",
    )  # fmt: skip
    fields = confirm_fields(response.content.decode())
    fields["release"] = "a release label too long"  # the RVU rows keep at most 20 characters

    response = admin_client.post(CONFIRM, fields)

    job = Job.objects.get(kind="cms_import")
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    assert job.status == JobStatus.FAILED
    assert (
        "Nothing was loaded from pprrvu_2026_jul_sample.csv, 1 problem: The release label "
        "is at most 20 characters (e.g. RVU26C). Correct it and upload the file again."
        in job.message
    )
    page = admin_client.get(response["Location"]).content.decode()
    assert "The release label is at most 20 characters" in page
    assert not ImportRecord.objects.exists()
    assert not RelativeValue.objects.filter(effective=dt.date(2026, 7, 1)).exists()
    assert not Job.objects.filter(kind="rescrub_open").exists()
    assert default_storage.exists(f"imports/{fields['sha256']}")  # for the queue's retries


def test_the_wrong_kind_of_file_is_named(admin_client: Client) -> None:
    page = upload(admin_client, "gpci_2027_sample.csv").content.decode()
    assert "This is not a practitioner MUE table" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"release": ""}, "This field is required."),
        ({"effective": "July"}, "Enter a valid date."),
        ({"qualifying_apm": "on"}, "Only the PFS relative value file"),
    ],
)
def test_an_incomplete_upload_form_comes_back_with_its_errors(
    admin_client: Client, fields: dict[str, str], message: str, media: Path
) -> None:
    response = upload(admin_client, "mue_2027_q1_sample.csv", **fields)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not (media / "imports").exists()


def test_a_confirmation_for_a_file_not_stored_is_refused(admin_client: Client) -> None:
    response = admin_client.post(
        CONFIRM,
        {"kind": "mue", "release": "x", "effective": "2027-01-01", "sha256": "a" * 64,
         "file_name": "x.csv"},
        follow=True,
    )  # fmt: skip
    assert "no longer here" in response.content.decode()
    assert not ImportRecord.objects.exists()


def test_a_confirmation_without_its_fields_is_refused(admin_client: Client) -> None:
    response = admin_client.post(CONFIRM, {"sha256": "../../etc/passwd"}, follow=True)
    assert "upload the file again" in response.content.decode()


def test_confirm_only_takes_a_post(admin_client: Client) -> None:
    assert admin_client.get(CONFIRM).status_code == 405


@pytest.mark.parametrize("role", ["pt", "owner"])
def test_only_the_admin_role_may_load_a_file(
    request: pytest.FixtureRequest, client_for: Any, reference: None, role: str, media: Path
) -> None:
    # Signed in without the admin role: a 403 (a login redirect used to loop back to the admin).
    client = client_for(request.getfixturevalue(role))
    for url in (LOAD, LOADED, reverse("admin:coding_importrecord_changelist")):
        assert client.get(url).status_code == 403
    assert upload(client, "mue_2027_q1_sample.csv").status_code == 403
    assert not (media / "imports").exists()
    sha = sha256_hex((DATA / "mue_2027_q1_sample.csv").read_bytes())
    response = client.post(CONFIRM, {"kind": "mue", "release": "x", "effective": "2027-01-01",
                                     "sha256": sha, "file_name": "x"})  # fmt: skip
    assert response.status_code == 403
    assert not ImportRecord.objects.exists()


# ---- the records and the links --------------------------------------------------------------


def test_import_records_are_listed_but_never_added_edited_or_deleted(
    admin_client: Client,
) -> None:
    load("mue", DATA / "mue_2027_q1_sample.csv", release="MUE 2027 Q1", effective=Q1_2027)
    record = ImportRecord.objects.get()

    listing = admin_client.get(reverse("admin:coding_importrecord_changelist"))
    assert listing.status_code == 200 and "MUE 2027 Q1" in listing.content.decode()
    assert admin_client.get(reverse("admin:coding_importrecord_add")).status_code == 403
    view = admin_client.get(reverse("admin:coding_importrecord_change", args=[record.pk]))
    assert view.status_code == 200 and 'name="_save"' not in view.content.decode()
    assert (
        admin_client.post(
            reverse("admin:coding_importrecord_change", args=[record.pk]), {"release": "edited"}
        ).status_code
        == 403
    )
    delete = reverse("admin:coding_importrecord_delete", args=[record.pk])
    assert admin_client.post(delete, {"post": "yes"}).status_code == 403
    record.refresh_from_db()
    assert record.release == "MUE 2027 Q1"


def test_the_admin_index_and_the_tables_link_to_the_load_page(admin_client: Client) -> None:
    assert f'href="{LOAD}"' in admin_client.get(reverse("admin:index")).content.decode()
    for model, kind in (("relativevalue", "pprrvu"), ("unitlimit", "mue"), ("editpair", "ptp")):
        page = admin_client.get(reverse(f"admin:coding_{model}_changelist")).content.decode()
        assert f'href="{LOAD}?kind={kind}"' in page, model
        assert f'href="{LOADED}"' in page
    form = admin_client.get(f"{LOAD}?kind=pprrvu").content.decode()
    assert '<option value="pprrvu" selected>' in form


# ---- what is loaded -------------------------------------------------------------------------


def test_what_is_loaded_names_the_release_in_force_and_its_dates(reference: None) -> None:
    load("pprrvu", DATA / "pprrvu_2026_jul_sample.csv", release="RVU26C-test")

    tables = {t.name: t for t in loaded_tables(dt.date(2026, 8, 3))}

    rvus = tables["Relative values (RVUs)"]
    assert rvus.in_force == "RVU26C-test: 5 codes"
    assert rvus.covers == "1 July 2026 to 31 December 2026"
    assert rvus.last_import is not None and rvus.last_import.release == "RVU26C-test"
    spring = {t.name: t for t in loaded_tables(dt.date(2026, 3, 2))}["Relative values (RVUs)"]
    assert spring.covers == "1 January 2026 to 30 June 2026"
    gpcis = tables["GPCIs (Medicare localities)"]
    assert gpcis.in_force == "2026: 109 localities"
    assert "KX threshold $2,480.00" in tables["Conversion factor and KX threshold"].in_force
    assert tables["ICD-10-CM code set"].in_force == "fiscal year 2026"
    assert tables["ICD-10-CM code set"].covers == "1 October 2025 to 30 September 2026"


def test_the_what_is_loaded_page(admin_client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(timezone, "localdate", lambda *a: dt.date(2026, 12, 10))
    response = admin_client.get(LOADED)

    page = response.content.decode()
    assert response.status_code == 200
    assert "Relative values (RVUs)" in page and "RVU26C" in page
    assert "2027 starts on 1 January 2027 (in 22 days)" in page


# ---- the gaps and the banner ----------------------------------------------------------------


def test_nothing_is_missing_in_the_middle_of_a_loaded_year(
    reference: None, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(1):
        assert reference_gaps(dt.date(2026, 6, 15)) == []


def test_a_missing_kx_threshold_is_a_gap(reference: None) -> None:
    FeeYear.objects.filter(year=2026).update(kx_threshold=None)
    assert reference_gaps(dt.date(2026, 6, 15)) == [
        "For dates of service in 2026, these are not loaded: the KX threshold."
    ]


def test_the_next_year_is_a_gap_a_month_before_it_starts(reference: None) -> None:
    assert reference_gaps(dt.date(2026, 11, 30)) == []
    assert reference_gaps(dt.date(2026, 12, 10)) == [
        "2027 starts on 1 January 2027 (in 22 days) and these are not loaded for it yet: a "
        "Medicare fee schedule or relative values (RVUs), the conversion factor, the GPCIs of "
        "the Medicare localities and the KX threshold."
    ]
    load("pprrvu", DATA / "pprrvu_2027_sample.csv", effective=Q1_2027)
    assert reference_gaps(dt.date(2026, 12, 10)) == [
        "2027 starts on 1 January 2027 (in 22 days) and these are not loaded for it yet: the "
        "GPCIs of the Medicare localities and the KX threshold."
    ]


def test_an_icd10_fiscal_year_not_loaded_is_a_gap(reference: None) -> None:
    Icd10Release.objects.filter(fiscal_year=2027).delete()
    assert reference_gaps(dt.date(2026, 9, 5)) == [
        "ICD-10-CM fiscal year 2027 starts on 1 October 2026 (in 26 days) and its code set is "
        "not loaded yet."
    ]
    Icd10Release.objects.filter(fiscal_year=2026).delete()
    assert reference_gaps(dt.date(2026, 6, 15)) == [
        "No ICD-10-CM code set is loaded for fiscal year 2026 (1 October 2025 to 30 September "
        "2026), which today falls in: diagnoses on these dates cannot be checked."
    ]


def fill_reference_around(today: dt.date) -> None:
    """Whatever today and the next 31 days need, so that nothing is missing."""
    soon = today + dt.timedelta(days=31)
    for fy in {icd10_fiscal_year(today), icd10_fiscal_year(soon)}:
        Icd10Release.objects.get_or_create(
            fiscal_year=fy,
            defaults={"valid_from": dt.date(fy - 1, 10, 1), "valid_through": dt.date(fy, 9, 30)},
        )
    for year in {today.year, soon.year}:
        FeeYear.objects.update_or_create(
            year=year,
            defaults={"conversion_factor": 33, "kx_threshold": 2500, "kx_review_threshold": 3000},
        )
        RelativeValue.objects.get_or_create(
            billing_code_id="97110", effective=dt.date(year, 1, 1),
            defaults={"year": year, "work_rvu": 1, "pe_rvu": 1, "mp_rvu": 0},
        )  # fmt: skip
        Gpci.objects.get_or_create(
            year=year, mac="10112", locality="00",
            defaults={"name": "ALABAMA", "state": "AL", "work_gpci": 1, "pe_gpci": 1,
                      "mp_gpci": 1},
        )  # fmt: skip


BANNER = 'data-testid="reference-gaps"'


def test_owners_and_admins_see_the_gaps_on_every_page(
    client_for: Any, owner: Any, code_admin: Any, pt: Any, reference: None
) -> None:
    today = timezone.localdate()
    fill_reference_around(today)
    Gpci.objects.filter(year=today.year).delete()
    sentence = f"For dates of service in {today.year}, these are not loaded: the GPCIs"

    owner_page = client_for(owner).get(reverse("home")).content.decode()
    assert BANNER in owner_page and sentence in owner_page
    assert f'href="{LOADED}"' not in owner_page  # the admin pages are not theirs
    admin_page = client_for(code_admin).get(reverse("code-list")).content.decode()
    assert BANNER in admin_page and f'href="{LOADED}"' in admin_page
    assert BANNER not in client_for(pt).get(reverse("home")).content.decode()


def test_no_banner_when_everything_is_loaded(client_for: Any, owner: Any, reference: None) -> None:
    fill_reference_around(timezone.localdate())
    assert BANNER not in client_for(owner).get(reverse("home")).content.decode()


def test_the_gaps_cost_one_query_on_a_full_page_and_none_on_a_partial(
    client_for: Any, owner: Any, reference: None
) -> None:
    client = client_for(owner)
    with CaptureQueriesContext(connection) as full:
        client.get(reverse("review-queue"))
    with CaptureQueriesContext(connection) as partial:
        client.get(reverse("review-queue"), HTTP_HX_REQUEST="true")
    assert sum("UNION" in q["sql"] for q in full.captured_queries) == 1
    assert sum("UNION" in q["sql"] for q in partial.captured_queries) == 0
