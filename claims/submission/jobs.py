"""Sending claims out, on the job queue (`ptclinic.jobs`): an owner's batch of approved claims
becomes its 837P files (`batch_create`, pyx12's check included) on any worker.

The job's inputs are its parameters (the claim ids, the note) and its clinic and starter; what
it makes is in the database and the files in Django's default storage (`BatchFile.file`), so
any host may run it and any host serve the files."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from claims.models import BatchStatus, ClaimBatch
from claims.submission.services import batch_create
from ptclinic.jobs.registry import JobRefused, Outcome, job_kind
from ptclinic.jobs.runner import JobContext, job_start
from ptclinic.models import Clinic, Job

KIND = "build_837p"


def batch_key(clinic: Clinic, claim_ids: Sequence[int]) -> str:
    """The same claims of the same clinic are one batch while it is being built: a second click
    joins the job that is building it. The ids are hashed (a batch may hold thousands)."""
    ids = ",".join(str(pk) for pk in sorted(set(claim_ids)))
    return f"build-837p:clinic-{clinic.pk}:{hashlib.sha256(ids.encode()).hexdigest()[:40]}"


def batch_start(*, clinic: Clinic, user: Any, claim_ids: Sequence[int], note: str = "") -> Job:
    """Start (or join) the job that builds a batch of these claims."""
    ids = sorted(set(claim_ids))
    return job_start(
        KIND,
        user=user,
        clinic=clinic,
        params={"claim_ids": ids, "note": note},
        key=batch_key(clinic, ids),
        total=len(ids),
    )


def batch_message(batch: ClaimBatch) -> str:
    if batch.status == BatchStatus.READY:
        return f"Batch {batch.pk}: {batch.claim_count} claim(s) sent."
    return f"Batch {batch.pk} needs attention: see below."


def _outcome(batch: ClaimBatch) -> Outcome:
    return Outcome(
        message=batch_message(batch),
        url=reverse("batch-detail", args=[batch.pk]),
        data={
            "batch_id": batch.pk,
            "status": batch.status,
            "claims_sent": batch.claim_count,
            "left_out": len(batch.left_out),
            "files": batch.files.count(),
        },
    )


@job_kind(KIND, label="Build an 837P batch")
def build_837p(ctx: JobContext) -> Outcome:
    """Build the batch once. The batch's id is written to the job in the transaction that makes
    the batch, so a retry (a worker lost after the commit) finds it and returns it instead of
    making a second; claims someone un-approved since the start are left out as
    `batch_create` leaves them (only approved claims are sent)."""
    job = ctx.job
    if job.clinic is None:
        raise JobRefused("A batch is built for a clinic; this job names none.")
    made = job.result.get("batch_id")
    if made is not None:
        batch = ClaimBatch.objects.filter(clinic=job.clinic, pk=made).first()
        if batch is not None:
            return _outcome(batch)
    if job.started_by is None:
        raise JobRefused("The person who asked for this batch no longer has an account.")

    def progress(done: int, total: int) -> None:
        ctx.progress(done, total, force=True)

    try:
        with transaction.atomic():
            batch = batch_create(
                clinic=job.clinic,
                user=job.started_by,
                claim_ids=[int(pk) for pk in ctx.params.get("claim_ids", [])],
                note=str(ctx.params.get("note", "")),
                progress=progress,
            )
            Job.objects.filter(pk=job.pk).update(result={"batch_id": batch.pk})
    except ValidationError as error:
        raise JobRefused(" ".join(error.messages)) from error
    return _outcome(batch)
