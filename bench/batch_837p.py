"""Benchmark: sending N approved claims as one batch (837P files, pyx12 validation, the claims
moved to submitted) and printing them as CMS-1500 forms.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_bench \\
        .venv/bin/python bench/batch_837p.py --claims 1000

Uses the database in DATABASE_URL (default: a throwaway SQLite file under var/bench/). It
migrates, loads the reference data and, if there is no load data yet, generates one load clinic
(`manage.py generate_load_data`, realistic sessions and claims: old ones approved). It then
gives every payer a clearinghouse id, takes N approved claims of that clinic and times
`batch_create` on them, inside a transaction rolled back at the end (the run can be repeated),
and the CMS-1500 PDF of the same claims.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
if "DATABASE_URL" not in os.environ:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'batch.sqlite3'}"


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=40_000, help="load data to generate")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)

    from claims.models import Claim, ClaimStatus
    from claims.submission.cms1500 import render_cms1500
    from claims.submission.collect import billing_provider, collect
    from claims.submission.services import batch_create
    from coding.models import Payer
    from ptclinic.models import Clinic, Membership, Role

    if not Clinic.objects.filter(name__startswith="Load clinic").exists():
        call_command(
            "generate_load_data",
            clinics=1,
            therapists=8,
            patients=400,
            lines=args.lines,
            verbosity=0,
        )
    clinic = Clinic.objects.filter(name__startswith="Load clinic").order_by("pk").first()
    assert clinic is not None
    owner = Membership.objects.filter(clinic=clinic, role=Role.OWNER).first()
    assert owner is not None
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
            batch = batch_create(clinic=clinic, user=owner.user, claim_ids=ids)
            seconds = time.perf_counter() - started
            files = list(batch.files.all())
            lines = sum(f.file.size for f in files)
            print(
                f"batch_create: {batch.claim_count} claims sent, {len(batch.left_out)} left out, "
                f"{len(files)} files ({lines / 1024:.0f} KiB), all valid: "
                f"{all(f.valid for f in files)}; {seconds:.2f} s "
                f"({batch.claim_count / seconds:.0f} claims/s)"
            )
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
