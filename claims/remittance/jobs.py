"""Money back, on the job queue (`ptclinic.jobs`): posting a payer's 835 file.

The Remittances page checks the upload (`remittance_check`), keeps its bytes in the default
storage under ``remittances/incoming/`` (every host and worker reads it there) and starts a
`post_835` job; the job reads and posts the file (`remittance_post`, one transaction) and then
deletes the incoming copy: the posted file keeps its own (`RemittanceFile.file`). A file that
cannot be read fails the job at once with the reasons (`JobRefused`, never retried); a file
posted before is done, pointing at that posting.
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.urls import reverse

from claims.models import LinePayment, RemittanceFile
from claims.remittance.services import (
    ISA_LENGTH,
    AlreadyPosted,
    PostingBusy,
    remittance_post,
)
from ptclinic.jobs.registry import JobRefused, Outcome, job_kind
from ptclinic.jobs.runner import JobContext, job_start
from ptclinic.models import Clinic, Job

INCOMING = "remittances/incoming"
MAX_PROBLEMS = 20  # reasons a file cannot be posted, in the job's message


def remittance_post_start(*, clinic: Clinic, user: Any, content: bytes, filename: str) -> Job:
    """Keep an uploaded 835 in the default storage and start the job that posts it; the same
    file uploaded again while that job waits or runs joins it."""
    digest = hashlib.sha256(content).hexdigest()
    name = default_storage.save(f"{INCOMING}/{digest}.835", ContentFile(content))
    job = job_start(
        "post_835",
        user=user,
        clinic=clinic,
        params={"name": name, "filename": filename, "sha256": digest},
        key=f"post-835:{clinic.pk}:{digest}",
    )
    if job.params.get("name") != name:  # joined the job of an earlier upload: its copy serves
        default_storage.delete(name)
    return job


@job_kind("post_835", label="Post an 835 file")
def post_835(ctx: JobContext) -> Outcome:
    name = ctx.params["name"]
    clinic = ctx.job.clinic
    if clinic is None:
        raise JobRefused("This posting names no clinic, so nothing was posted.")
    try:
        with default_storage.open(name, "rb") as stored:
            content = stored.read()
    except FileNotFoundError:
        earlier = RemittanceFile.objects.for_clinic(clinic).filter(sha256=ctx.params["sha256"])
        if posted := earlier.first():  # an earlier attempt posted it and cleared the copy
            return _posted_before(ctx, posted)
        raise JobRefused(
            "The uploaded file is no longer kept, so nothing was posted: upload it again."
        ) from None
    ctx.progress(0, _claim_payments(content), force=True)
    try:
        posted = remittance_post(
            clinic=clinic,
            user=ctx.job.started_by,
            content=content,
            filename=ctx.params.get("filename", ""),
        )
    except AlreadyPosted as error:
        _forget(name)
        return _posted_before(ctx, error.existing)
    except PostingBusy as error:
        raise RuntimeError(error.messages[0]) from None  # the queue tries again shortly
    except ValidationError as error:
        _forget(name)
        raise JobRefused(_refusal(error.messages)) from None
    _forget(name)
    return _posted(posted)


def _forget(name: str) -> None:
    """The incoming copy goes once the posting is settled (committed, when the job runs in a
    request's transaction): the posted file keeps its own."""
    transaction.on_commit(lambda: default_storage.delete(name))


def _claim_payments(content: bytes) -> int | None:
    """The file's claim payments (CLP segments), counted without reading it: the progress's
    total. None when the header does not say how segments are separated."""
    body = content.removeprefix(b"\xef\xbb\xbf").lstrip()
    if len(body) < ISA_LENGTH or not body.startswith(b"ISA"):
        return None
    element, terminator = body[3:4], body[ISA_LENGTH - 1 : ISA_LENGTH]
    clp = b"CLP" + element
    return sum(1 for segment in body.split(terminator) if segment.lstrip().startswith(clp))


def _refusal(problems: list[str]) -> str:
    shown = problems[:MAX_PROBLEMS]
    more = len(problems) - len(shown)
    text = "Nothing was posted: " + " ".join(shown)
    if more:
        text += f" … and {more} more problem{'s' if more != 1 else ''}."
    return text


def _posted(posted: RemittanceFile) -> Outcome:
    denied = LinePayment.objects.filter(payment__remittance__file=posted, denied=True).count()
    unmatched = posted.claim_count - posted.matched_count
    text = f"Posted {posted.matched_count} of {posted.claim_count} payments"
    if unmatched:
        text += f"; {unmatched} wait on the worklist"
    if posted.already_posted:
        text += f"; {posted.already_posted} had been posted by an earlier file"
    text += f". ${posted.total_paid:,.2f} paid"
    if denied:
        text += f", {denied} line{'s' if denied != 1 else ''} denied"
    return Outcome(
        message=text + ".",
        data={
            "remittance_file": posted.pk,
            "claim_payments": posted.claim_count,
            "matched": posted.matched_count,
            "already_posted": posted.already_posted,
            "paid": str(posted.total_paid),
            "denied_lines": denied,
        },
        url=reverse("remittance-detail", args=[posted.pk]),
    )


def _posted_before(ctx: JobContext, existing: RemittanceFile) -> Outcome:
    if existing.uploaded_at >= ctx.job.created_at:
        # Posted by this job (an attempt that stopped after its commit): one job per file and
        # clinic waits or runs at a time (its key), so no other upload posted it since.
        return _posted(existing)
    return Outcome(
        message=AlreadyPosted(existing).messages[0],
        data={"remittance_file": existing.pk, "posted_before": True},
        url=reverse("remittance-detail", args=[existing.pk]),
    )
