"""The claims app's long work on the job queue (`ptclinic.jobs`): re-scrubbing open claims."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from claims.facts import ReferenceFacts
from claims.models import Claim, ClaimQuerySet
from claims.scrubbing import claims_scrub
from ptclinic.jobs.registry import Outcome, job_kind
from ptclinic.jobs.runner import JobContext, job_start
from ptclinic.models import Clinic, Job

# Claims per chunk: one chunk is one transaction and a few queries per table (claims_scrub).
CHUNK = 500
REASONS = {
    "reference": "Re-scrubbed after a code-table change",
    "nightly": "Re-scrubbed overnight (findings that depend on the date)",
    "manual": "Re-scrubbed on request",
}


def open_claims_in_scope(params: dict[str, Any], clinic_id: int | None) -> ClaimQuerySet:
    """The open claims a re-scrub covers: a clinic's or every clinic's, narrowed to those with
    a line of one of `codes` or billed to one of `payer_ids` when the change was that narrow."""
    claims = Claim.objects.open()
    if clinic_id is not None:
        claims = claims.filter(clinic_id=clinic_id)
    codes = params.get("codes") or []
    payers = params.get("payer_ids") or []
    if codes or payers:
        from django.db.models import Q

        scope = Q()
        if codes:
            scope |= Q(lines__billing_code__code__in=codes)
        if payers:
            scope |= Q(payer_id__in=payers)
        claims = claims.filter(scope).distinct()
    return claims


def _summary(count: int, seconds: float) -> str:
    rate = f" ({count / seconds:,.0f} claims a second)" if seconds > 0 and count else ""
    return f"Re-scrubbed {count:,} open claim{'s' if count != 1 else ''} in {seconds:,.1f} s{rate}."


@job_kind("rescrub_open", label="Re-scrub open claims", summary=_summary)
def rescrub_open(ctx: JobContext) -> Outcome:
    """Split the open claims in scope into chunks, in patient order (a patient's claims share a
    chunk, so their history is read once), for any number of workers."""
    ids = list(
        open_claims_in_scope(ctx.params, ctx.job.clinic_id)
        .order_by("patient_id", "pk")
        .values_list("pk", flat=True)
    )
    if not ids:
        return Outcome(message="No open claim to re-scrub.", data={"count": 0})
    size = int(ctx.params.get("chunk") or CHUNK)
    chunks = [
        {"ids": ids[start : start + size], "reason": ctx.params.get("reason", "manual")}
        for start in range(0, len(ids), size)
    ]
    outcome = ctx.fan_out("rescrub_chunk", chunks, total=len(ids))
    if outcome.waiting:
        return outcome
    count = int(outcome.data["count"])
    seconds = ctx.job.seconds or 0.0
    return Outcome(message=_summary(count, seconds), data=outcome.data)


@job_kind("rescrub_chunk", label="Re-scrub a chunk of open claims", chunk=True)
def rescrub_chunk(ctx: JobContext) -> Outcome:
    """Scrub the chunk's claims that are still open (one may have been approved since): the
    flags are set from the findings, so running it twice changes nothing the second time."""
    reason = REASONS.get(ctx.params.get("reason", "manual"), REASONS["manual"])
    ids = list(Claim.objects.open().filter(pk__in=ctx.params["ids"]).values_list("pk", flat=True))
    with transaction.atomic():
        count = claims_scrub(
            ids, reason=reason, ref=ReferenceFacts.current(), user=ctx.job.started_by
        )
    return Outcome(data={"count": count})


def rescrub_start(
    *,
    user: Any = None,
    clinic: Clinic | None = None,
    reason: str = "manual",
    codes: list[str] | None = None,
    payer_ids: list[int] | None = None,
    chunk: int | None = None,
) -> Job:
    """Start (or join, when one is waiting or running for the same scope) a re-scrub of open
    claims."""
    params: dict[str, Any] = {"reason": reason}
    if chunk:
        params["chunk"] = chunk  # claims per chunk (default CHUNK)
    if codes:
        params["codes"] = sorted(set(codes))
    if payer_ids:
        params["payer_ids"] = sorted(set(payer_ids))
    scope = f"clinic-{clinic.pk}" if clinic else "all"
    narrowed = (
        ",".join(params.get("codes", [])) + "|" + ",".join(map(str, params.get("payer_ids", [])))
    )
    key = f"rescrub-open:{scope}" + (f":{narrowed}" if narrowed != "|" else "")
    return job_start("rescrub_open", user=user, clinic=clinic, params=params, key=key[:200])


# The sub-packages' kinds (the queue discovers each app's `jobs` module only).
from claims.remittance import jobs as _remittance_jobs  # noqa: E402, F401
from claims.submission import jobs as _submission_jobs  # noqa: E402, F401
