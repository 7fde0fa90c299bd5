"""Sending claims out: a batch of approved claims becomes one validated 837P file per payer
(docs/billing-rules.md §11.3, §11.4), and the files and forms people download are logged."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from claims import lifecycle
from claims.models import (
    AccessEvent,
    AccessKind,
    BatchClaim,
    BatchFile,
    BatchStatus,
    Claim,
    ClaimBatch,
)
from claims.services import claim_event_record
from claims.submission.collect import Collected, billing_provider, collect, parties, setup_problems
from claims.submission.document import BatchDocument, ClaimDocument
from claims.submission.validate import validate_batch
from claims.submission.x12 import write_837p
from ptclinic.models import Clinic

MAX_BATCH = 5000  # claims in one batch (a file per payer); larger sends are split by the owner


def _sum(documents: Sequence[ClaimDocument]) -> Decimal:
    return sum((d.total_charge for d in documents), Decimal("0.00"))


@transaction.atomic
def batch_create(
    *,
    clinic: Clinic,
    user: Any,
    claim_ids: Sequence[int],
    note: str = "",
    progress: Callable[[int, int], None] | None = None,
) -> ClaimBatch:
    """Write the chosen approved claims of ``clinic`` as one 837P file per payer.

    Each file is checked (our checks and pyx12's 005010X222A1 map) before it is kept as ready;
    a file that fails keeps its claims approved and its validator's sentences. A claim that
    lacks data is left out with the reason (the batch page lists it). Every claim sent moves to
    submitted (a void to voided), with the file in its history.

    ``progress(done, total)`` hears of each step: ``total`` is the approved claims picked,
    ``done`` those dealt with (left out once collected, then each payer's file as it is
    written, checked and its claims moved)."""
    problems = setup_problems(clinic)
    if problems:
        raise ValidationError(problems)
    ids = sorted(set(claim_ids))
    if len(ids) > MAX_BATCH:
        raise ValidationError(f"At most {MAX_BATCH:,} claims in one batch; pick fewer.")
    claims = list(
        Claim.objects.for_clinic(clinic)
        .ready_to_send()
        .filter(pk__in=ids)
        .select_for_update()
        .order_by("pk")
    )
    if not claims:
        raise ValidationError("Pick at least one approved claim: only approved claims are sent.")
    if progress:
        progress(0, len(claims))
    collected = collect([c.pk for c in claims])
    ready = [c for c in collected if c.document is not None]
    if not ready:  # nothing to send: say why, and keep no empty batch
        raise ValidationError([problem for c in collected for problem in c.problems])
    left_out = [
        {"claim": c.claim.pk, "problems": list(c.problems)} for c in collected if c.document is None
    ]
    done = len(left_out)
    if progress:
        progress(done, len(claims))
    batch = ClaimBatch.objects.create(
        clinic=clinic, created_by=user, note=note[:200], left_out=left_out
    )
    by_payer: dict[int, list[Collected]] = defaultdict(list)
    for item in ready:
        by_payer[item.claim.payer_id].append(item)
    submitter, receiver = parties(clinic)
    billing = billing_provider(clinic)
    now = timezone.now()
    all_valid = True
    for payer_id in sorted(by_payer):
        items = by_payer[payer_id]
        documents = [item.document for item in items if item.document is not None]
        file = BatchFile.objects.create(
            batch=batch, payer_id=payer_id, production=clinic.x12_production
        )
        document = BatchDocument(
            submitter=submitter,
            receiver=receiver,
            billing=billing,
            claims=tuple(documents),
            interchange_number=file.pk,
            group_number=file.pk,
            transaction_number=file.pk,
            created_at=timezone.localtime(now),
            production=clinic.x12_production,
            batch_reference=str(batch.pk),
        )
        text = write_837p(document)
        report = validate_batch(document, text)
        file.file.save(file.filename, ContentFile(text.encode("ascii")), save=False)
        file.valid = report.valid
        file.errors = list(report.errors)
        file.claim_count = len(documents)
        file.total_charge = _sum(documents)
        file.save()
        BatchClaim.objects.bulk_create(
            BatchClaim(
                batch_file=file,
                claim=item.claim,
                frequency_code=item.claim.frequency_code,
                total_charge=item.document.total_charge if item.document else Decimal(0),
            )
            for item in items
        )
        done += len(items)
        if not report.valid:
            all_valid = False
            if progress:
                progress(done, len(claims))
            continue
        for item in items:
            claim = item.claim
            before = claim.status
            claim.status = lifecycle.status_after_sending(claim.frequency_code)
            claim.version += 1
            claim._change_reason = f"Sent in 837P file {file.pk}"  # type: ignore[attr-defined]  # simple_history reads it at save()
            claim.save()
            claim_event_record(
                claim=claim, before=before, user=user, note=f"Batch {batch.pk}", batch_file=file
            )
        if progress:
            progress(done, len(claims))
    sent = [item for payer_items in by_payer.values() for item in payer_items]
    batch.claim_count = len(sent)
    batch.total_charge = _sum([item.document for item in sent if item.document is not None])
    batch.status = BatchStatus.READY if all_valid and sent else BatchStatus.INVALID
    batch.save()
    return batch


def claim_files_access_record(*, file: BatchFile, user: Any, path: str) -> None:
    """A download of a claim file discloses each of its patients: one access row each."""
    rows = file.entries.values_list("claim_id", "claim__patient_id")
    AccessEvent.objects.bulk_create(
        AccessEvent(
            clinic_id=file.batch.clinic_id,
            user=user,
            patient_id=patient_id,
            kind=AccessKind.CLAIM_FILE,
            object_id=claim_id,
            path=path[:300],
        )
        for claim_id, patient_id in rows
    )


def claim_forms_access_record(*, claims: Sequence[Claim], user: Any, path: str) -> None:
    AccessEvent.objects.bulk_create(
        AccessEvent(
            clinic_id=claim.clinic_id,
            user=user,
            patient_id=claim.patient_id,
            kind=AccessKind.CLAIM_FORM,
            object_id=claim.pk,
            path=path[:300],
        )
        for claim in claims
    )
