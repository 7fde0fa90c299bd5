"""Building a batch is a job (`build_837p`): started from Claims out, run at once in tests (the
inline runner), recorded with who started it and what it made; built once however often it is
run; its 837P files kept in Django's default storage, wherever that is."""

from typing import Any

import pytest
from django.conf import settings
from django.core.files.storage import InMemoryStorage, default_storage
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse

from claims.models import (
    BatchClaim,
    BatchFile,
    BatchStatus,
    ClaimBatch,
    ClaimEvent,
    ClaimStatus,
    Patient,
)
from claims.services import claim_reopen
from claims.submission import services as submission_services
from claims.submission.jobs import batch_key, batch_start
from claims.submission.validate import ValidationReport
from ptclinic.jobs.runner import JobContext, job_run
from ptclinic.models import Clinic, Job, JobStatus, Role
from tests.claims.submission.test_batches import approved
from tests.claims.submission.test_views import text_of
from tests.conftest import make_member

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture
def sender(clinic: Clinic) -> Any:
    """An owner of a clinic whose clearinghouse is set up (as in test_batches)."""
    clinic.receiver_id = "CLEARHOUSE01"
    clinic.receiver_name = "Test Clearinghouse"
    clinic.submitter_id = "SUB12345"
    clinic.save()
    return make_member(clinic, Role.OWNER, first_name="Bea", last_name="Biller")


@pytest.fixture
def boss(client_for: Any, sender: Any) -> Client:
    return client_for(sender)


def post_batch(client: Client, *claims: Any, note: str = "", follow: bool = False) -> Any:
    return client.post(
        reverse("batch-list"), {"claim": [c.pk for c in claims], "note": note}, follow=follow
    )


def as_if_lost_after_commit(job: Job) -> None:
    """The state a retry finds when the worker died after the batch was committed but before
    the job was marked done."""
    Job.objects.filter(pk=job.pk).update(status=JobStatus.QUEUED, finished_at=None)


def test_the_page_starts_the_job_which_makes_the_batch_and_lands_on_it_with_the_message(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    first, second = approved(clinic, pt, sender), approved(clinic, pt, sender)
    response = post_batch(boss, first, second, note="Week one")

    batch = ClaimBatch.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("batch-detail", args=[batch.pk])
    page = text_of(boss.get(response["Location"]))
    assert f"Batch {batch.pk}: 2 claim(s) sent." in page
    assert "Week one" in page and "passed validation" in page

    job = Job.objects.get()
    assert (job.kind, job.status, job.clinic, job.started_by) == (
        "build_837p",
        JobStatus.DONE,
        clinic,
        sender,
    )
    assert job.params == {"claim_ids": sorted([first.pk, second.pk]), "note": "Week one"}
    assert job.key == batch_key(clinic, [second.pk, first.pk])
    assert job.result_url == reverse("batch-detail", args=[batch.pk])
    assert job.message == f"Batch {batch.pk}: 2 claim(s) sent."
    assert job.result["batch_id"] == batch.pk and job.result["claims_sent"] == 2
    assert (job.progress_done, job.progress_total) == (2, 2)
    assert batch.created_by == sender and batch.note == "Week one"


def test_the_job_reports_each_step_collected_then_each_payers_file(
    boss: Client, clinic: Clinic, pt: Any, sender: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    medicare = approved(clinic, pt, sender)
    commercial = approved(clinic, pt, sender, payer_name="Demo Commercial PPO")
    lacking = approved(clinic, pt, sender)
    Patient.objects.filter(pk=lacking.patient_id).update(address_line1="")
    steps: list[tuple[int, int | None]] = []
    real = JobContext.progress

    def spy(self: JobContext, done: int, total: int | None = None, **kwargs: Any) -> None:
        steps.append((done, total))
        real(self, done, total, **kwargs)

    monkeypatch.setattr(JobContext, "progress", spy)
    post_batch(boss, medicare, commercial, lacking)
    # Picked; collected (one left out); the first payer's file; the second's.
    assert steps == [(0, 3), (1, 3), (2, 3), (3, 3)]
    assert ClaimBatch.objects.get().claim_count == 2


def test_a_second_click_while_the_batch_is_built_joins_the_job(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    running = Job.objects.create(
        kind="build_837p",
        clinic=clinic,
        started_by=sender,
        key=batch_key(clinic, [claim.pk]),
        status=JobStatus.RUNNING,
        params={"claim_ids": [claim.pk], "note": ""},
        progress_total=1,
    )
    response = post_batch(boss, claim)

    assert response["Location"] == reverse("job-detail", args=[running.pk])
    assert Job.objects.count() == 1 and not ClaimBatch.objects.exists()
    assert "Build an 837P batch: started." in text_of(boss.get(response["Location"]))
    listed = text_of(boss.get(reverse("batch-list")))
    notice = listed.split('data-testid="batch-building"', 1)[1].split("</div>", 1)[0]
    assert "is being built (asked for by Bea Biller)" in notice
    assert f'href="{reverse("job-detail", args=[running.pk])}"' in notice


def test_a_retry_after_the_batch_was_made_returns_it_and_sends_nothing_twice(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    post_batch(boss, claim)
    job = Job.objects.get()
    batch = ClaimBatch.objects.get()

    as_if_lost_after_commit(job)
    job_run(job.pk, attempt=1)
    job_run(job.pk, attempt=2)  # delivered once more: a done job is not run again

    job.refresh_from_db()
    assert (job.status, job.attempts, job.result["batch_id"]) == (JobStatus.DONE, 2, batch.pk)
    assert job.result_url == reverse("batch-detail", args=[batch.pk])
    assert ClaimBatch.objects.count() == 1 and BatchFile.objects.count() == 1
    assert BatchClaim.objects.filter(claim=claim).count() == 1
    assert ClaimEvent.objects.filter(claim=claim, to_status=ClaimStatus.SUBMITTED).count() == 1


def test_a_retry_of_a_batch_whose_file_failed_its_check_makes_no_second_batch(
    boss: Client, clinic: Clinic, pt: Any, sender: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its claims stay approved, so only the job's record of its batch keeps a retry from
    writing them again."""
    claim = approved(clinic, pt, sender)
    monkeypatch.setattr(
        submission_services,
        "validate_batch",
        lambda document, text: ValidationReport(
            valid=False, errors=("Loop 2010BA: the member id is missing.",)
        ),
    )
    response = post_batch(boss, claim, follow=True)
    batch = ClaimBatch.objects.get()
    assert batch.status == BatchStatus.INVALID
    assert f"Batch {batch.pk} needs attention: see below." in text_of(response)
    assert "failed validation: not released" in text_of(response)

    job = Job.objects.get()
    as_if_lost_after_commit(job)
    job_run(job.pk, attempt=1)
    assert ClaimBatch.objects.count() == 1 and BatchClaim.objects.count() == 1
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_a_claim_unapproved_before_the_job_runs_is_not_sent(
    clinic: Clinic, pt: Any, sender: Any
) -> None:
    kept, reopened = approved(clinic, pt, sender), approved(clinic, pt, sender)
    claim_reopen(claim=reopened, user=sender, version=reopened.version, reason="Wrong date")
    job = batch_start(clinic=clinic, user=sender, claim_ids=[kept.pk, reopened.pk])

    assert job.status == JobStatus.DONE
    batch = ClaimBatch.objects.get(pk=job.result["batch_id"])
    assert set(
        BatchClaim.objects.filter(batch_file__batch=batch).values_list("claim_id", flat=True)
    ) == {kept.pk}
    reopened.refresh_from_db()
    assert reopened.status == ClaimStatus.NEEDS_REVIEW


def test_when_no_picked_claim_is_approved_by_the_time_it_runs_the_job_says_so_at_once(
    clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    claim_reopen(claim=claim, user=sender, version=claim.version, reason="Wrong date")
    job = batch_start(clinic=clinic, user=sender, claim_ids=[claim.pk])

    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.message == "Pick at least one approved claim: only approved claims are sent."
    assert not ClaimBatch.objects.exists()


def test_claims_that_all_lack_data_give_a_clear_message_on_the_jobs_page_not_an_error(
    boss: Client, clinic: Clinic, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    Patient.objects.filter(pk=claim.patient_id).update(address_line1="")
    response = post_batch(boss, claim)

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("job-detail", args=[job.pk])
    page = boss.get(response["Location"])
    assert page.status_code == 200
    assert job.status == JobStatus.FAILED
    assert "street address" in job.message and "Failed after" not in job.message
    assert "street address" in text_of(page)
    assert not ClaimBatch.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


IN_MEMORY = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": settings.STORAGES["staticfiles"],
}


def test_the_837p_file_is_written_to_and_downloaded_from_the_configured_storage(
    boss: Client, clinic: Clinic, pt: Any, sender: Any, tmp_path: Any
) -> None:
    claim = approved(clinic, pt, sender)
    with override_settings(STORAGES=IN_MEMORY, MEDIA_ROOT=tmp_path):
        post_batch(boss, claim)
        (file,) = BatchFile.objects.all()
        assert isinstance(file.file.storage._wrapped, InMemoryStorage)  # type: ignore[attr-defined]  # default_storage is a LazyObject; _wrapped is the storage it built
        assert default_storage.exists(file.file.name)
        with default_storage.open(file.file.name, "rb") as handle:
            stored = handle.read()
        assert stored.startswith(b"ISA*") and f"CLM*{claim.control_number}*".encode() in stored

        response = boss.get(reverse("batch-file", args=[file.pk]))
        assert response.status_code == 200
        assert response.content == stored
        assert not any(tmp_path.rglob("*")), "nothing is written under MEDIA_ROOT"


@pytest.mark.postgres(reason="progress on a connection of its own is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_on_the_queue_progress_inside_the_batchs_transaction_is_committed_at_once() -> None:
    """Written on a connection of its own: kept even when the batch's transaction is not."""
    job = Job.objects.create(kind="build_837p", status=JobStatus.RUNNING)
    context = JobContext(job)
    with (
        override_settings(JOBS_RUNNER="queue"),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        context.progress(3, 10)
        raise RuntimeError("the batch's transaction rolls back")
    context.close()
    assert Job.objects.values_list("progress_done", "progress_total").get(pk=job.pk) == (3, 10)
