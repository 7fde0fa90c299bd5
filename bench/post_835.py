"""Benchmark: posting a payer's 835 that answers N sent claims (pyx12 reading and validation
included), and the owner's dashboard and denial report on the same database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_bench \\
        .venv/bin/python bench/post_835.py --claims 1000

Uses the database in DATABASE_URL (default: a throwaway SQLite file under var/bench/), with load
data as `bench/batch_837p.py` makes it (or the 1M-line dataset of `generate_load_data`). In one
transaction rolled back at the end (the run can be repeated): N approved claims of the first load
clinic are marked submitted, a Medicare-like answer is written as one 835 (one line in ten
denied, with reasons PT clinics see), and `remittance_post` is timed on it. Then, with those
postings in place, the money tiles and the denial report of the last 6 months are timed (median
of 5), with their query counts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from _load_clinic import load_clinic  # noqa: E402

REASONS = ("50", "97", "16", "4", "119", "18", "204")


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=1000)
    parser.add_argument("--lines", type=int, default=40_000, help="load data to generate")
    args = parser.parse_args()

    clinic, owner = load_clinic(lines=args.lines)
    from django.db import connection, reset_queries, transaction
    from django.db.models import Count
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from claims.dashboard.money import money_tiles
    from claims.dashboard.period import default_period
    from claims.models import Claim, ClaimStatus
    from claims.remittance.answers import Denial, claim_answer, payment_of
    from claims.remittance.reports import denial_report
    from claims.remittance.sample import write_835
    from claims.remittance.services import remittance_post

    approved = (
        Claim.objects.for_clinic(clinic)
        .filter(status=ClaimStatus.APPROVED)
        .exclude(payer__kind="self_pay")
    )
    # One 835 is one payer's: the payer with the most approved claims.
    busiest = approved.values("payer").annotate(n=Count("id")).order_by("-n").first() or {
        "payer": 0
    }
    claims = list(
        approved.filter(payer_id=busiest["payer"])
        .select_related("patient", "payer", "clinic")
        .prefetch_related("lines")
        .order_by("-date_of_service", "pk")[: args.claims]
    )
    payer = claims[0].payer
    print(f"{connection.vendor}: {len(claims)} approved claims of {clinic.name} for {payer.name}")
    today = timezone.localdate()
    period = default_period(today)
    try:
        with transaction.atomic():
            Claim.objects.filter(pk__in=[c.pk for c in claims]).update(status=ClaimStatus.SUBMITTED)
            answers = []
            denied = 0
            for number, claim in enumerate(claims):
                lines = list(claim.lines.all())
                denials = {}
                if number % 4 == 0 and lines:
                    denials[lines[-1].billing_code_id] = Denial(REASONS[number % len(REASONS)])
                    denied += 1
                answers.append(claim_answer(claim, denials=denials))
            payment = payment_of(clinic, payer, answers, trace_number="BENCH1", paid_on=today)
            content = write_835(payment).encode()
            started = time.perf_counter()
            upload = remittance_post(
                clinic=clinic, user=owner.user, content=content, filename="bench.835"
            )
            seconds = time.perf_counter() - started
            print(
                f"remittance_post: {upload.matched_count} of {upload.claim_count} claims posted "
                f"({denied} with a denied line), {len(content) / 1024:.0f} KiB, "
                f"{len(upload.warnings)} warnings; {seconds:.2f} s "
                f"({upload.claim_count / seconds:.0f} claims/s)"
            )
            for name, call in (
                ("money tiles", lambda: money_tiles(clinic=clinic, period=period)),
                (
                    "denial report",
                    lambda: denial_report(clinic=clinic, start=period.start, end=period.end),
                ),
            ):
                times = []
                for _ in range(5):
                    reset_queries()
                    with CaptureQueriesContext(connection) as queries:
                        started = time.perf_counter()
                        call()
                        times.append(time.perf_counter() - started)
                print(
                    f"{name}: {len(queries)} queries, median {statistics.median(times) * 1000:.0f}"
                    f" ms (min {min(times) * 1000:.0f}, max {max(times) * 1000:.0f})"
                )
            raise Rollback
    except Rollback:
        pass


if __name__ == "__main__":
    main()
