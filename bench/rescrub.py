"""Benchmark: `manage.py rescrub` speed (claims per second) over N realistic open claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_bench \\
        .venv/bin/python bench/rescrub.py --claims 2000

Uses the database in DATABASE_URL (default: a throwaway SQLite file under var/bench/). It
migrates, loads the reference data, makes one bench clinic with 200 patients and N claims
through the same service the session page uses (so each claim is realistic and already
scrubbed once), then times re-scrubbing all of them, three times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
if "DATABASE_URL" not in os.environ:
    (ROOT / "var" / "bench").mkdir(parents=True, exist_ok=True)
    os.environ["DATABASE_URL"] = f"sqlite:///{ROOT / 'var' / 'bench' / 'rescrub.sqlite3'}"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--claims", type=int, default=2000)
    parser.add_argument("--patients", type=int, default=200)
    parser.add_argument("--workers", type=int, default=1, help="processes (PostgreSQL)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)

    from claims.models import Claim, Patient
    from claims.scrubbing import open_claims_rescrub
    from claims.services import ServiceRow, SessionInput, claim_create_from_session
    from coding.models import Payer
    from ptclinic.models import Credential, Role
    from ptclinic.services import clinic_get_or_create, membership_ensure, user_ensure

    clinic = clinic_get_or_create(name="Bench clinic")
    have = Claim.objects.for_clinic(clinic).count()
    if have < args.claims:
        rng = random.Random(7)
        user = user_ensure(username="bench-pt", password="bench-only-password-x1")
        pt = membership_ensure(
            user=user, clinic=clinic, role=Role.THERAPIST, credential=Credential.PT
        )
        payers = list(Payer.objects.all())
        patients = list(Patient.objects.for_clinic(clinic))
        for i in range(len(patients), args.patients):
            patients.append(
                Patient.objects.create(
                    clinic=clinic,
                    first_name="Bench",
                    last_name=f"Patient{i:04d}",
                    date_of_birth=dt.date(1950, 1, 1) + dt.timedelta(days=i * 37),
                    mrn=f"B{i:05d}",
                    primary_payer=payers[i % len(payers)],
                )
            )
        codes = ["97110", "97112", "97116", "97140", "97530", "97035"]
        today = dt.date.today()
        started = time.perf_counter()
        for n in range(have, args.claims):
            patient = patients[n % len(patients)]
            picked = rng.sample(codes, rng.randint(1, 4))
            claim_create_from_session(
                clinic=clinic,
                user=user,
                data=SessionInput(
                    patient=patient,
                    therapist=pt,
                    payer=patient.primary_payer,
                    date_of_service=today - dt.timedelta(days=n % 300),
                    rows=tuple(ServiceRow(c, rng.randint(5, 40)) for c in picked),
                    diagnoses=("M25.561",),
                    medical_necessity="Skilled therapist progression of exercise is needed "
                    "to restore safe gait and stair climbing after the knee replacement.",
                ),
            )
        made = args.claims - have
        print(f"made {made} claims in {time.perf_counter() - started:.1f} s")
    vendor = connection.vendor
    for run in range(1, 4):
        count, seconds = open_claims_rescrub(workers=args.workers)
        print(
            f"{vendor}, {args.workers} worker(s): run {run}: re-scrubbed {count} open claims "
            f"in {seconds:.2f} s = {count / seconds:,.0f} claims/s"
        )


if __name__ == "__main__":
    main()
