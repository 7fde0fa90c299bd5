"""Server time of the session page's live suggestion (POST /sessions/suggest/, htmx partial)
for a day of 6 service rows, on the configured database.

Needs reference data and the demo clinic: `make run` (or `manage.py migrate && manage.py
load_reference && DEBUG=1 manage.py seed_demo`). Times the whole request through Django's test
Client (middleware, session, the engines, the template) and prints p50/p95/max in ms, with the
number of queries per request.

    .venv/bin/python bench/suggest.py [--repeat 300]
    DATABASE_URL=postgres://... .venv/bin/python bench/suggest.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
os.environ.setdefault("STATIC_MANIFEST", "false")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from claims.models import Patient  # noqa: E402
from ptclinic.models import Membership, Role  # noqa: E402

ROWS = [("97112", "24", ""), ("97110", "23", "5"), ("97140", "15", ""), ("97116", "10", ""),
        ("97530", "12", ""), ("97035", "8", "")]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=300)
    args = parser.parse_args()
    me = Membership.objects.filter(role=Role.THERAPIST, credential="PT").select_related("user")
    therapist = me.first()
    if therapist is None:
        sys.exit("No therapist: run `DEBUG=1 manage.py seed_demo` (or `make run`) first.")
    patient = Patient.objects.filter(
        clinic=therapist.clinic, primary_payer__kind="medicare"
    ).first()
    if patient is None:
        sys.exit("No Medicare patient in the therapist's clinic: seed the demo data first.")
    client = Client(HTTP_HX_REQUEST="true", SERVER_NAME="localhost")
    client.force_login(therapist.user)
    data = {
        "patient": patient.pk,
        "date_of_service": timezone.localdate().isoformat(),
        "therapist": therapist.pk,
        "code": [r[0] for r in ROWS],
        "minutes": [r[1] for r in ROWS],
        "pta_minutes": [r[2] for r in ROWS],
        "pointers": [""] * len(ROWS),
        "dx": ["M25.561"],
    }
    for _ in range(20):  # warm-up
        client.post("/sessions/suggest/", data)
    times = []
    queries = []

    def count(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    # A wrapper, not CaptureQueriesContext: the request may reopen the connection.
    with connection.execute_wrapper(count):
        response = client.post("/sessions/suggest/", data)
    assert response.status_code == 200, response.status_code
    assert b'data-testid="units-97112"' in response.content
    for _ in range(args.repeat):
        started = time.perf_counter()
        client.post("/sessions/suggest/", data)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    p95 = times[int(len(times) * 0.95) - 1]
    print(
        f"{connection.vendor}: POST /sessions/suggest/ (6 rows, htmx) × {args.repeat}: "
        f"p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms, "
        f"{len(queries)} queries"
    )


if __name__ == "__main__":
    main()
