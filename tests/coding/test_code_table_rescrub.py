"""A change of the code tables re-scrubs the open claims it bears on, as a job of the person who
made it: a CMS file loaded from the admin (coding/jobs.py) and an admin's edit of a cached table
(coding/admin.py, `RescrubsOpenClaims`). And an admin's edit is seen on the very next request,
through each process's cache of the tables (coding/refcache.py)."""

import datetime as dt
import html
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms.models import model_to_dict
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from claims.models import Claim, ClaimFlag
from coding.models import BillingCode, PayerRule, RelativeValue, UnitLimit
from ptclinic.models import Job, JobStatus
from tests.claims.test_review import make_claim
from tests.claims.test_sessions import post_data
from tests.coding.test_admin_import_errors import preview
from tests.conftest import make_patient, membership

DATA = Path(__file__).resolve().parent / "data"
LOAD = reverse("admin:coding_importrecord_load")
CONFIRM = reverse("admin:coding_importrecord_load_confirm")
REFERENCE = "Re-scrubbed after a code-table change"

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path
    return tmp_path


@pytest.fixture
def admin_client(client_for: Any, code_admin: Any) -> Client:
    client: Client = client_for(code_admin)
    return client


@pytest.fixture
def claims(clinic: Any, pt: Any) -> tuple[Claim, Claim]:
    """An open claim with 97110 (2 units: within its limit of 6), and one with 97140 only whose
    finding of a missing necessity statement would go if it were scrubbed again (the statement
    was added beneath it): it shows whether a re-scrub touched it."""
    with_code = make_claim(clinic, pt, rows=(("97110", 30),))
    without = make_claim(clinic, pt, rows=(("97140", 30),), necessity="", days_ago=2)
    session = without.sessions.get()
    session.medical_necessity = (
        "Skilled manual therapy is needed to restore knee flexion for stairs and transfers "
        "after the knee replacement, with graded mobilization each visit."
    )
    session.save()
    return with_code, without


def flags(claim: Claim) -> set[str]:
    return set(ClaimFlag.objects.filter(claim=claim).values_list("rule_id", flat=True))


def untouched(claim: Claim) -> bool:
    return (
        "necessity-missing" in flags(claim)
        and not ClaimFlag.history.filter(
            claim_id=claim.pk, history_change_reason=REFERENCE
        ).exists()
    )


def messages_of(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def change_data(obj: Any, **changes: Any) -> dict[str, Any]:
    """An admin change form's fields for `obj`, as a browser sends them (a box left unticked
    is not sent)."""
    data: dict[str, Any] = {}
    for name, value in {**model_to_dict(obj), **changes}.items():
        if value is False or name == "id":
            continue
        data[name] = "on" if value is True else "" if value is None else value
    return data


# ---- a CMS file loaded from the admin --------------------------------------------------------


def load_through_the_admin(client: Client, content: bytes, effective: dt.date) -> Any:
    upload = SimpleUploadedFile("mue_tight.csv", content, "text/csv")
    fields = {"kind": "mue", "release": "MUE test", "effective": effective.isoformat()}
    page = client.post(LOAD, {**fields, "file": upload}).content.decode()
    form = page[page.index(f'action="{CONFIRM}"') :]
    hidden = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    return client.post(CONFIRM, {name: html.unescape(value) for name, value in hidden})


def test_a_loaded_file_rescrubs_the_open_claims_with_the_codes_it_touched(
    admin_client: Client, code_admin: Any, claims: tuple[Claim, Claim]
) -> None:
    with_code, without = claims
    tight = (DATA / "mue_2027_q1_sample.csv").read_bytes().replace(b"97110,8", b"97110,1")

    response = load_through_the_admin(admin_client, tight, with_code.date_of_service)

    assert response["Location"] == reverse("admin:coding_importrecord_changelist")
    assert "mue-exceeded" in flags(with_code)  # 2 units, now over a limit of 1
    assert untouched(without)
    rescrub = Job.objects.get(kind="rescrub_open")
    assert (rescrub.status, rescrub.started_by) == (JobStatus.DONE, code_admin)
    assert rescrub.params == {"reason": "reference", "codes": ["97010", "97110", "97112"]}
    assert rescrub.result["count"] == 1
    load = Job.objects.get(kind="cms_import")
    assert load.result["rescrub_job"] == rescrub.pk
    assert load.message.startswith("Loaded CMS practitioner MUE table MUE test: 3 added")
    assert "Re-scrubbed 1 open claim in " in load.message


# ---- an admin's edit of a cached table -------------------------------------------------------


def limit_in_force(claim: Claim) -> UnitLimit:
    limit = (
        UnitLimit.objects.filter(billing_code="97110", effective__lte=claim.date_of_service)
        .order_by("-effective")
        .first()
    )
    assert limit is not None
    return limit


def test_an_edit_of_a_unit_limit_rescrubs_the_open_claims_with_its_code(
    admin_client: Client, code_admin: Any, claims: tuple[Claim, Claim]
) -> None:
    with_code, without = claims
    assert "mue-exceeded" not in flags(with_code)
    limit = limit_in_force(with_code)
    url = reverse("admin:coding_unitlimit_change", args=[limit.pk])

    response = admin_client.post(url, change_data(limit, max_units=1), follow=True)

    assert "mue-exceeded" in flags(with_code)
    assert untouched(without)
    job = Job.objects.get(kind="rescrub_open")
    assert (job.status, job.started_by, job.clinic) == (JobStatus.DONE, code_admin, None)
    assert job.params == {"reason": "reference", "codes": ["97110"]}
    job_link = reverse("job-detail", args=[job.pk])
    assert (
        f'Re-scrubbed 1 open claim this change bears on: <a href="{job_link}">see the job</a>.'
        in messages_of(response)
    )
    assert admin_client.get(job_link).status_code == 200


def test_a_save_that_changes_nothing_rescrubs_nothing(
    admin_client: Client, claims: tuple[Claim, Claim]
) -> None:
    limit = limit_in_force(claims[0])
    admin_client.post(reverse("admin:coding_unitlimit_change", args=[limit.pk]), change_data(limit))
    assert not Job.objects.filter(kind="rescrub_open").exists()


def test_deleting_unit_limits_with_the_action_rescrubs_the_claims_with_their_codes(
    admin_client: Client, code_admin: Any, claims: tuple[Claim, Claim]
) -> None:
    _, without = claims
    rows = list(UnitLimit.objects.filter(billing_code="97110").values_list("pk", flat=True))
    admin_client.post(
        reverse("admin:coding_unitlimit_changelist"),
        {"action": "delete_selected", "_selected_action": rows, "post": "yes"},
    )
    assert not UnitLimit.objects.filter(billing_code="97110").exists()
    job = Job.objects.get(kind="rescrub_open")
    assert (job.started_by, job.params["codes"], job.result["count"]) == (code_admin, ["97110"], 1)
    assert untouched(without)


def test_a_csv_import_of_unit_limits_rescrubs_the_claims_with_their_codes(
    admin_client: Client, code_admin: Any, claims: tuple[Claim, Claim]
) -> None:
    with_code, without = claims
    limit = limit_in_force(with_code)
    rows = f"code,max_units,effective,source\n97110,1,{limit.effective},test\n".encode()
    fields = preview(admin_client, rows, url=reverse("admin:coding_unitlimit_import"))

    admin_client.post(reverse("admin:coding_unitlimit_process_import"), fields)

    limit.refresh_from_db()
    assert limit.max_units == 1
    assert "mue-exceeded" in flags(with_code)
    assert untouched(without)
    job = Job.objects.get(kind="rescrub_open")
    assert (job.started_by, job.params["codes"]) == (code_admin, ["97110"])


def test_an_edit_of_a_payers_rule_rescrubs_the_claims_billed_to_it(
    admin_client: Client, code_admin: Any, claims: tuple[Claim, Claim]
) -> None:
    with_code, _ = claims
    rule = PayerRule.objects.filter(payer=with_code.payer).order_by("-effective").first()
    assert rule is not None
    url = reverse("admin:coding_payerrule_change", args=[rule.pk])

    admin_client.post(url, change_data(rule, notes="Checked again."))

    job = Job.objects.get(kind="rescrub_open")
    assert job.started_by == code_admin
    assert job.params == {"reason": "reference", "payer_ids": [with_code.payer_id]}
    assert job.result["count"] == 2  # both claims are billed to Medicare


def test_an_edit_with_no_open_claim_in_scope_starts_no_job(
    admin_client: Client, claims: tuple[Claim, Claim]
) -> None:
    code = BillingCode.objects.get(code="97112")
    admin_client.post(
        reverse("admin:coding_billingcode_change", args=[code.pk]),
        change_data(code, short_name="Neuromuscular re-education (edited)"),
    )
    code.refresh_from_db()
    assert code.short_name == "Neuromuscular re-education (edited)"
    assert not Job.objects.filter(kind="rescrub_open").exists()


# ---- an edit is seen on the next request -----------------------------------------------------


def test_an_admins_edit_of_an_rvu_prices_the_very_next_suggestion(
    admin_client: Client, client_for: Any, pt: Any, clinic: Any
) -> None:
    """The suggestion panel reads the code tables from its process's cache; the admin's save
    gives them a new stamp, so the next request reads them again."""
    patient = make_patient(clinic, "Medicare Part B")
    data = post_data(patient, membership(pt, clinic), [("97140", "15", "")])
    therapist = client_for(pt)
    before = therapist.post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="expected-total">$27.72' in before  # (0.43 + 0.39 + 0.01) x 33.4009
    rvu = RelativeValue.objects.get(billing_code="97140", year=timezone.localdate().year)

    admin_client.post(
        reverse("admin:coding_relativevalue_change", args=[rvu.pk]),
        change_data(rvu, work_rvu=Decimal("0.50")),
    )

    after = therapist.post(reverse("session-suggest"), data).content.decode()
    assert 'data-testid="expected-total">$30.06' in after  # (0.50 + 0.39 + 0.01) x 33.4009


def test_an_admins_edit_of_a_code_shows_on_its_page_at_once(
    admin_client: Client, client_for: Any, pt: Any
) -> None:
    page = reverse("code-detail", args=["97110"])
    reader = client_for(pt)
    assert "Strength and range exercises (edited)" not in reader.get(page).content.decode()
    code = BillingCode.objects.get(code="97110")

    admin_client.post(
        reverse("admin:coding_billingcode_change", args=[code.pk]),
        change_data(code, short_name="Strength and range exercises (edited)"),
    )

    assert "Strength and range exercises (edited)" in reader.get(page).content.decode()
