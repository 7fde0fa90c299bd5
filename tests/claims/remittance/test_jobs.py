"""Posting an 835 as a job (`claims.remittance.jobs`): the page starts it, the job reads the file
from the default storage (any worker's), posts it once, and says what came of it; a file that
cannot be read fails the job at once with the reasons."""

import hashlib
from typing import Any

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import Client, override_settings
from django.urls import reverse

from claims.models import ClaimPayment, ClaimStatus, RemittanceFile
from claims.remittance import jobs
from claims.remittance.answers import Denial
from claims.remittance.services import PostingBusy
from ptclinic.jobs.runner import job_run
from ptclinic.models import Job, JobStatus
from tests.claims.remittance.test_posting_services import era_file, post, sent
from tests.claims.remittance.test_posting_services import sender as sender
from tests.claims.remittance.test_views import boss as boss
from tests.claims.remittance.test_views import upload

pytestmark = pytest.mark.usefixtures("reference")

IN_MEMORY = {
    **settings.STORAGES,
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
}


def queued_job(clinic: Any, user: Any, content: bytes, name: str = "era.835") -> Job:
    """A job as a worker finds it: its file in the default storage, nothing else."""
    digest = hashlib.sha256(content).hexdigest()
    stored = default_storage.save(f"remittances/incoming/{digest}.835", ContentFile(content))
    return Job.objects.create(
        kind="post_835",
        clinic=clinic,
        started_by=user,
        params={"name": stored, "filename": name, "sha256": digest},
        key=f"post-835:{clinic.pk}:{digest}",
    )


def test_posting_through_the_page_is_a_job_that_lands_on_the_posting_with_what_it_did(
    boss: Client, clinic: Any, pt: Any, sender: Any, django_capture_on_commit_callbacks: Any
) -> None:
    claim = sent(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    content = era_file(clinic, [claim], denials={"97140": Denial("97")})
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(boss, content, "medicare.835")
    posted = RemittanceFile.objects.get()
    detail = reverse("remittance-detail", args=[posted.pk])
    assert response.redirect_chain[-1][0] == detail
    page = response.content.decode()
    assert "Posted 1 of 1 payments." in page
    assert f"${posted.total_paid:,.2f} paid, 1 line denied." in page
    job = Job.objects.get()
    assert (job.kind, job.clinic, job.started_by, job.status) == (
        "post_835",
        clinic,
        sender,
        JobStatus.DONE,
    )
    assert job.result_url == detail
    assert (job.progress_done, job.progress_total, job.attempts) == (1, 1, 1)
    digest = hashlib.sha256(content).hexdigest()
    assert job.params["filename"] == "medicare.835" and job.params["sha256"] == digest
    assert job.key == f"post-835:{clinic.pk}:{digest}"
    assert job.result["denied_lines"] == 1
    assert posted.filename == "medicare.835" and posted.uploaded_by == sender
    # The posted file keeps its own copy; the incoming one is gone.
    assert posted.file and default_storage.exists(posted.file.name)
    assert not default_storage.exists(job.params["name"])
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PARTLY_PAID


def test_the_same_file_again_is_a_job_done_saying_it_was_posted_before(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    upload(boss, content)
    response = upload(boss, content, "copy.835")
    first = RemittanceFile.objects.get()
    assert response.redirect_chain[-1][0] == reverse("remittance-detail", args=[first.pk])
    assert "already posted" in response.content.decode()
    again = Job.objects.order_by("pk").last()
    assert again is not None
    assert (again.status, again.result_url) == (
        JobStatus.DONE,
        reverse("remittance-detail", args=[first.pk]),
    )
    assert "already posted" in again.message and again.result["posted_before"] is True
    assert ClaimPayment.objects.count() == 1


def test_a_file_that_cannot_be_read_fails_its_job_at_once_with_the_reasons(
    boss: Client, clinic: Any, pt: Any, sender: Any, django_capture_on_commit_callbacks: Any
) -> None:
    claim = sent(clinic, pt, sender)
    cut = era_file(clinic, [claim]).split(b"SE*")[0]  # cut off in transfer: no SE, GE, IEA
    with django_capture_on_commit_callbacks(execute=True):
        response = upload(boss, cut, "cut.835")
    job = Job.objects.get()
    assert response.redirect_chain[-1][0] == reverse("job-detail", args=[job.pk])
    assert (job.status, job.attempts) == (JobStatus.FAILED, 1)
    assert job.message.startswith("Nothing was posted: ")
    assert "it may have been cut off in transfer" in job.message
    assert "Traceback" not in job.message and "Error" not in job.message
    assert "it may have been cut off in transfer" in response.content.decode()
    assert not RemittanceFile.objects.exists() and not ClaimPayment.objects.exists()
    assert not default_storage.exists(job.params["name"])  # a bad file is not kept
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


def test_the_job_reads_its_file_from_the_default_storage_as_any_worker_would(
    clinic: Any, pt: Any, sender: Any, django_capture_on_commit_callbacks: Any
) -> None:
    claim = sent(clinic, pt, sender)
    with override_settings(STORAGES=IN_MEMORY):
        job = queued_job(clinic, sender, era_file(clinic, [claim]))
        assert default_storage.exists(job.params["name"])
        with django_capture_on_commit_callbacks(execute=True):
            job_run(job.pk)
        job.refresh_from_db()
        assert job.status == JobStatus.DONE and job.message.startswith("Posted 1 of 1 payments.")
        posted = RemittanceFile.objects.get()
        assert default_storage.exists(posted.file.name)  # the posted copy, in the same storage
        assert not default_storage.exists(job.params["name"])
    assert not default_storage.exists(posted.file.name)  # not the folder's: memory's
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.PAID


def test_an_upload_while_the_same_file_is_being_posted_joins_that_job(
    boss: Client, clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    with override_settings(STORAGES=IN_MEMORY):  # a storage of this test's files only
        waiting = queued_job(clinic, sender, content)
        response = upload(boss, content, "again.835")
        kept = default_storage.listdir("remittances/incoming")[1]
    assert response.redirect_chain[-1][0] == reverse("job-detail", args=[waiting.pk])
    assert "started" in response.content.decode()
    assert Job.objects.get() == waiting
    assert kept == [waiting.params["name"].rsplit("/", 1)[1]]  # the second copy is not kept


def test_a_job_run_again_after_its_posting_committed_reports_that_posting(
    clinic: Any, pt: Any, sender: Any, django_capture_on_commit_callbacks: Any
) -> None:
    claim = sent(clinic, pt, sender)
    content = era_file(clinic, [claim])
    job = queued_job(clinic, sender, content)
    posted = post(clinic, sender, content)  # an attempt that posted, then its worker died
    default_storage.delete(job.params["name"])
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.DONE
    assert job.message.startswith("Posted 1 of 1 payments.")
    assert job.result_url == reverse("remittance-detail", args=[posted.pk])


def test_a_job_whose_file_is_gone_says_to_upload_it_again(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = sent(clinic, pt, sender)
    job = queued_job(clinic, sender, era_file(clinic, [claim]))
    default_storage.delete(job.params["name"])
    job_run(job.pk)
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    assert job.message == (
        "The uploaded file is no longer kept, so nothing was posted: upload it again."
    )


def test_a_posting_that_meets_another_at_the_same_moment_is_tried_again(
    clinic: Any, pt: Any, sender: Any, monkeypatch: Any
) -> None:
    def busy(**kwargs: Any) -> None:
        raise PostingBusy("Another file with some of the same payments is being posted.")

    monkeypatch.setattr(jobs, "remittance_post", busy)
    claim = sent(clinic, pt, sender)
    job = queued_job(clinic, sender, era_file(clinic, [claim]))
    monkeypatch.setattr(settings, "JOBS_RUNNER", "queue")
    with pytest.raises(RuntimeError, match="being posted"):
        job_run(job.pk)  # raised again: the queue tries it again
    job.refresh_from_db()
    assert job.status == JobStatus.QUEUED
    assert default_storage.exists(job.params["name"])  # kept for the next attempt
