"""The coding app's long work on the job queue (`ptclinic.jobs`): loading a CMS file, and the
re-scrub of the open claims a change of the code tables affects.

A worker on any host runs the load, so everything it needs is in the database or the default
storage: the file under ``imports/<sha256>`` (kept there by the admin's preview), the choices
the admin confirmed in the job's parameters, the admin as the job's `started_by`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils import timezone

from coding.imports.base import ImportPlan, sha256_hex
from coding.imports.files import plan_file
from coding.imports.mue import MueRow
from coding.imports.pprrvu import RvuRow
from coding.imports.ptp import PtpRow
from coding.imports.registry import importer_for
from coding.models import ImportRecord
from ptclinic.jobs.registry import JobRefused, Outcome, job_kind
from ptclinic.jobs.runner import JobContext, job_start
from ptclinic.models import Clinic, Job

# Errors named in a failed load's message (the preview lists them all).
ERRORS_SHOWN = 5


# ---- the uploaded file, kept between the preview and the load --------------------------------


def stored_name(sha256: str) -> str:
    return f"imports/{sha256}"


def file_store(*, data: bytes, sha256: str) -> None:
    name = stored_name(sha256)
    if not default_storage.exists(name):
        saved = default_storage.save(name, ContentFile(data))
        if saved != name:  # another request stored the same bytes meanwhile
            default_storage.delete(saved)


def file_stored(sha256: str) -> bytes | None:
    """The stored bytes of that hash (None when gone, or when they are not those bytes)."""
    name = stored_name(sha256)
    if not default_storage.exists(name):
        return None
    with default_storage.open(name, "rb") as f:
        data: bytes = f.read()
    return data if sha256_hex(data) == sha256 else None


def file_is_stored(sha256: str) -> bool:
    return bool(default_storage.exists(stored_name(sha256)))


# ---- loading a CMS file ----------------------------------------------------------------------


class ImportRefused(JobRefused):
    """The file cannot be loaded; the message says why in plain words (the job's message).
    A file with errors stays wrong however often it is read: the job fails at once, without
    the queue's retries."""


def cms_import_params(
    *,
    sha256: str,
    kind: str,
    release: str,
    effective: dt.date,
    qualifying_apm: bool,
    file_name: str,
) -> dict[str, Any]:
    return {
        "sha256": sha256,
        "kind": kind,
        "release": release.strip(),
        "effective": effective.isoformat(),
        "qualifying_apm": bool(qualifying_apm),
        "file_name": file_name,
    }


def cms_import_start(*, user: Any, **choices: Any) -> Job:
    """Start (or join, when the same file is loading) the load of a stored CMS file; `choices`
    as `cms_import_params` takes them."""
    params = cms_import_params(**choices)
    return job_start("cms_import", user=user, params=params, key=f"cms-import:{params['sha256']}")


def _already_loaded(record: ImportRecord, file_name: str) -> Outcome:
    when = timezone.localtime(record.loaded_at)
    return Outcome(
        message=(
            f"Already loaded: {file_name} ({record.get_kind_display()} {record.release}, on "
            f"{when.day} {when:%B %Y}); nothing loaded again."
        ),
        data={"record": record.pk, "already_loaded": True},
        url=reverse("admin:coding_importrecord_changelist"),
    )


def _refusal(plan: ImportPlan, file_name: str) -> str:
    count = len(plan.errors)
    shown = "; ".join(error.rstrip(".") for error in plan.errors[:ERRORS_SHOWN])
    more = f"; and {count - ERRORS_SHOWN} more" if count > ERRORS_SHOWN else ""
    return (
        f"Nothing was loaded from {file_name}, {count} problem{'s' if count != 1 else ''}: "
        f"{shown}{more}. Correct {'them' if count != 1 else 'it'} and upload the file again."
    )


@job_kind("cms_import", label="Load a CMS file")
def cms_import(ctx: JobContext) -> Outcome:
    """Load the stored file as the admin confirmed it: the same plan as the preview, written in
    one transaction with its `ImportRecord`. Once loaded, the stored file is deleted and the
    open claims the change affects are re-scrubbed (a job of its own). Run twice, it loads once:
    a file already loaded, by this job or an earlier one, is not loaded again."""
    p = ctx.params
    sha256, file_name = p["sha256"], p["file_name"]
    records = ImportRecord.objects.filter(sha256=sha256, kind=p["kind"])
    if (mine := records.filter(loaded_at__gte=ctx.job.created_at).first()) is not None:
        # This job's own load, written before its worker was lost: finish what it left.
        default_storage.delete(stored_name(sha256))
        rescrub = (
            _rescrub(user=ctx.job.started_by, codes=None) if mine.added or mine.updated else None
        )
        return _loaded(mine, rescrub)
    data = file_stored(sha256)
    if data is None:
        # Loaded and its file deleted: a second confirmation of the same file.
        if (record := records.first()) is not None:
            return _already_loaded(record, file_name)
        raise ImportRefused(f"The uploaded file {file_name} is no longer here; upload it again.")
    ctx.progress(1, total=3, force=True)  # read; then loaded; then the re-scrub started
    plan = plan_file(
        importer=importer_for(p["kind"], qualifying_apm=p["qualifying_apm"]),
        data=data,
        release=p["release"],
        effective=dt.date.fromisoformat(p["effective"]),
        file_name=file_name,
        user=ctx.job.started_by,
        dry_run=False,
    )
    if plan.errors or plan.record is None:
        raise ImportRefused(_refusal(plan, file_name))
    ctx.progress(2, force=True)
    default_storage.delete(stored_name(sha256))
    return _loaded(plan.record, rescrub_after_import(plan, user=ctx.job.started_by))


def _loaded(record: ImportRecord, rescrub: Job | None) -> Outcome:
    message = (
        f"Loaded {record.get_kind_display()} {record.release}: {record.added} added, "
        f"{record.updated} updated, {record.unchanged} unchanged, {record.skipped} skipped."
    )
    if rescrub is not None:
        message += f" {rescrub_words(rescrub)}"
    return Outcome(
        message=message,
        data={
            "record": record.pk,
            **({"rescrub_job": rescrub.pk} if rescrub is not None else {}),
        },
        url=reverse("admin:coding_importrecord_changelist"),
    )


# ---- re-scrubbing the open claims a change affects -------------------------------------------


def codes_touched(plan: ImportPlan) -> list[str] | None:
    """The billing codes of the rows a plan writes (MUEs, PTP edits, RVUs); None when it writes
    a row that bears on every open claim (a conversion factor, a locality's GPCIs, the ICD-10-CM
    code set)."""
    codes: set[str] = set()
    for change in plan.to_write():
        row = change.data
        if isinstance(row, PtpRow):
            codes.update((row.column1, row.column2))
        elif isinstance(row, (MueRow, RvuRow)):
            codes.add(row.code)
        else:
            return None
    return sorted(codes)


def rescrub_after_import(plan: ImportPlan, *, user: Any) -> Job | None:
    """After a load that changed something: re-scrub the open claims with the codes it touched
    (all of them when it cannot say). Coalesced: many loads at once make one re-scrub."""
    if not plan.has_changes:
        return None
    return _rescrub(user=user, codes=codes_touched(plan))


def rescrub_after_edit(
    *,
    user: Any,
    codes: Iterable[str] = (),
    payer_ids: Iterable[int] = (),
    everything: bool = False,
    clinic: Clinic | None = None,
) -> Job | None:
    """After an admin's edit of a code table: re-scrub the open claims it affects (the claims
    with one of `codes` or billed to one of `payer_ids`; every open claim with `everything`),
    unless no open claim is in scope. `clinic`: the edit is one clinic's (its own payer)."""
    from claims.jobs import open_claims_in_scope

    codes, payer_ids = sorted(set(codes)), sorted(set(payer_ids))
    if not (everything or codes or payer_ids):
        return None
    scope = {} if everything else {"codes": codes, "payer_ids": payer_ids}
    if not open_claims_in_scope(scope, clinic.pk if clinic else None).exists():
        return None
    return _rescrub(
        user=user,
        codes=None if everything else codes,
        payer_ids=None if everything else payer_ids,
        clinic=clinic,
    )


def _rescrub(
    *,
    user: Any,
    codes: list[str] | None,
    payer_ids: list[int] | None = None,
    clinic: Clinic | None = None,
) -> Job:
    from claims.jobs import rescrub_start

    return rescrub_start(
        user=user, clinic=clinic, reason="reference", codes=codes, payer_ids=payer_ids
    )


def rescrub_words(job: Job) -> str:
    """The re-scrub a change started, in a sentence."""
    if job.status == "done":
        return str(job.message)
    if job.status == "failed":
        return "The re-scrub of the open claims it affects failed."
    return "The open claims it affects are being re-scrubbed."
