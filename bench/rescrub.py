"""Benchmark: the re-scrub job's speed (claims per second) over the open claims.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_load \\
        .venv/bin/python bench/rescrub.py --claims 0 --workers 1 2 4

Uses the database in DATABASE_URL (default: a throwaway SQLite file under var/bench/). It
migrates, loads the reference data, makes (unless --claims 0) one bench clinic with 200
patients and N claims through the same service the session page uses (so each claim is
realistic and already scrubbed once), then times re-scrubbing every open claim, three times:

- PostgreSQL: the job on the queue, with 1, 2, 4 … worker processes (`manage.py procrastinate
  worker`, started here; the time is the job's, from its start to its last chunk);
- SQLite: the same job run in this process (the inline runner).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import subprocess
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
    parser.add_argument(
        "--workers", type=int, nargs="+", default=[1], help="queue worker processes (PostgreSQL)"
    )
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    call_command("load_reference", verbosity=0)

    from claims.jobs import rescrub_start
    from claims.models import Claim, Patient
    from claims.services import ServiceRow, SessionInput, claim_create_from_session
    from coding.models import Payer
    from ptclinic.models import Credential, Role
    from ptclinic.services import clinic_get_or_create, membership_ensure, user_ensure

    clinic = clinic_get_or_create(name="Bench clinic")
    have = Claim.objects.for_clinic(clinic).count()
    if args.claims and have < args.claims:
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
    if vendor != "postgresql":
        for run in range(1, args.runs + 1):
            job = rescrub_start(reason="manual")
            count, seconds = job.result["count"], job.result["seconds"]
            print(f"{vendor}, in-process: run {run}: re-scrubbed {count} open claims in "
                  f"{seconds:.2f} s = {count / seconds:,.0f} claims/s")  # fmt: skip
        return
    from django.test import override_settings

    for workers in args.workers:
        procs = [_worker() for _ in range(workers)]
        try:
            time.sleep(3)  # the workers start and listen
            for run in range(1, args.runs + 1):
                with override_settings(JOBS_RUNNER="queue"):
                    job = rescrub_start(reason="manual")
                while job.is_active:
                    time.sleep(0.1)
                    job.refresh_from_db()
                count, seconds = job.result.get("count", 0), job.result.get("seconds", 0)
                print(f"{vendor}, {workers} worker(s): run {run}: re-scrubbed {count} open "
                      f"claims in {seconds:.2f} s = {count / max(seconds, 1e-9):,.0f} claims/s "
                      f"({job.result.get('chunks', 0)} chunks, {job.status})")  # fmt: skip
        finally:
            for proc in procs:
                proc.send_signal(signal.SIGTERM)
            for proc in procs:
                proc.wait(timeout=60)


def _worker() -> subprocess.Popen[bytes]:
    env = {**os.environ, "JOBS_RUNNER": "queue", "LOG_LEVEL": "WARNING"}
    return subprocess.Popen(
        [
            sys.executable,
            "manage.py",
            "procrastinate",
            "worker",
            "--queues",
            "jobs",
            "--concurrency",
            "1",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
    )


if __name__ == "__main__":
    main()
