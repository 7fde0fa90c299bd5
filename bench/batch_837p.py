"""Benchmark: sending N approved claims as one batch (the `build_837p` job: 837P files, pyx12
validation, the claims moved to submitted) and printing them as CMS-1500 forms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_bench \\
        .venv/bin/python bench/batch_837p.py --claims 1000

Uses the database in DATABASE_URL (default: a throwaway SQLite file under var/bench/). It
migrates, loads the reference data and, if there is no load data yet, generates one load clinic
(`manage.py generate_load_data`, realistic sessions and claims: old ones approved). It then
gives every payer a clearinghouse id, takes N approved claims of that clinic and times the job
that builds their batch as Claims out starts it (`batch_start`), run in this process (the inline
runner, whatever the database), inside a transaction rolled back at the end (the run can be
repeated; the files it wrote are deleted), and the CMS-1500 PDF of the same claims.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _load_clinic import load_clinic  # noqa: E402


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--claims", type=int, default=1000, help="claims in the batch")
    parser.add_argument("--lines", type=int, default=40_000, help="load data to generate")
    args = parser.parse_args()

    os.environ["JOBS_RUNNER"] = "inline"  # the job runs here, not on a worker
    clinic, owner = load_clinic(lines=args.lines)
    from django.db import connection, transaction

    from claims.models import Claim, ClaimBatch, ClaimStatus
    from claims.submission.cms1500 import render_cms1500
    from claims.submission.collect import billing_provider, collect
    from claims.submission.jobs import batch_start
    from coding.models import Payer
    from ptclinic.models import Clinic

    for payer in Payer.objects.filter(payer_id=""):
        payer.payer_id = f"BENCH{payer.pk:04d}"
        payer.save(update_fields=["payer_id"])
    Clinic.objects.filter(pk=clinic.pk).update(
        receiver_id="BENCHCH", receiver_name="Bench CH", phone="9165550100"
    )
    clinic.refresh_from_db()
    ids = list(
        Claim.objects.for_clinic(clinic)
        .filter(status=ClaimStatus.APPROVED, open_errors=0)
        .exclude(payer__kind="self_pay")
        .order_by("-date_of_service", "pk")
        .values_list("pk", flat=True)[: args.claims]
    )
    print(f"{connection.vendor}: {len(ids)} approved claims of {clinic.name}")

    started = time.perf_counter()
    try:
        with transaction.atomic():
            job = batch_start(clinic=clinic, user=owner.user, claim_ids=ids, note="bench")
            seconds = time.perf_counter() - started
            if job.status != "done":
                raise SystemExit(f"The job {job.status}: {job.message}")
            batch = ClaimBatch.objects.get(pk=job.result["batch_id"])
            files = list(batch.files.all())
            size = sum(f.file.size for f in files)
            print(
                f"build_837p job: {batch.claim_count} claims sent, {len(batch.left_out)} left "
                f"out, {len(files)} files ({size / 1024:.0f} KiB), all valid (pyx12 included): "
                f"{all(f.valid for f in files)}; {seconds:.2f} s "
                f"({batch.claim_count / seconds:.0f} claims/s; the job's own "
                f"{job.result['seconds']:.2f} s)"
            )
            for file in files:
                file.file.delete(save=False)
            raise Rollback
    except Rollback:
        pass

    started = time.perf_counter()
    collected = collect(ids)
    billing = billing_provider(clinic)
    pdf = render_cms1500([(c.document, billing) for c in collected if c.document is not None])
    seconds = time.perf_counter() - started
    print(f"CMS-1500 PDF of {len(collected)} claims: {len(pdf) / 1024:.0f} KiB in {seconds:.2f} s")


if __name__ == "__main__":
    main()
