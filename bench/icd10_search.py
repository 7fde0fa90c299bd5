"""Server time of the ICD-10-CM search page (/icd10/) on the configured database.

Needs the FULL code set: `manage.py migrate && manage.py load_reference` first. For a realistic
mix of code prefixes and title words, as a full page and as the htmx partial, it times

- the whole request through Django's test Client: every middleware, the session read and the
  session write that SESSION_SAVE_EVERY_REQUEST makes on each request, the view, the template;
- the view alone, called with a RequestFactory request (queries, template),

and prints p50/p95/max in milliseconds.

    .venv/bin/python bench/icd10_search.py [--repeat N]
    DATABASE_URL=postgres://... .venv/bin/python bench/icd10_search.py
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
# Without `collectstatic` there is no manifest to look static files up in.
if not (ROOT / "staticfiles" / "staticfiles.json").exists():
    os.environ.setdefault("STATIC_MANIFEST", "false")

# WhiteNoise warns when STATIC_ROOT does not exist yet; static files are not what is timed here.
warnings.filterwarnings("ignore", message="No directory at")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, RequestFactory  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django_htmx.middleware import HtmxDetails  # noqa: E402

from coding.models import Icd10Code  # noqa: E402
from coding.views import icd10_search  # noqa: E402
from ptclinic.http import HtmxHttpRequest  # noqa: E402

QUERIES = [
    # code prefixes, as typed
    "M54",
    "m54.5",
    "M545",
    "M25.56",
    "s83.5",
    "S83.51",
    "Z96",
    "Z96.64",
    "I69.35",
    "R26",
    "S72.0",
    "M17",
    "G20",
    "T84",
    "S82",
    # title words
    "knee",
    "knee pain",
    "low back pain",
    "fracture femur",
    "unspecified",
    "stroke",
    "hemiplegia",
    "gait",
    "difficulty walking",
    "rotator cuff",
    "sprain ankle",
    "osteoarthritis knee",
    "muscle weakness",
    "parkinson",
    "aftercare joint replacement",
    "fall",
    # the words a clinic uses (coding/icd10_synonyms.py)
    "frozen shoulder",
    "TKA",
    "right knee pain",
]
USERNAME = "bench-reader"


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=20, help="timed runs per query and mode")
    parser.add_argument("--warmup", type=int, default=3, help="untimed runs per query and mode")
    args = parser.parse_args()

    total = Icd10Code.objects.count()
    if total < 90_000:
        sys.exit(f"Only {total} ICD-10-CM codes loaded: run `manage.py load_reference` first.")
    user, _ = get_user_model().objects.get_or_create(username=USERNAME)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    secure = not settings.DEBUG  # production settings redirect plain HTTP to HTTPS

    factory = RequestFactory()

    # Any: headers go in as the test client's **extra, beside its typed keywords.
    def through_client(q: str, headers: dict[str, Any]) -> int:
        return client.get("/icd10/", {"q": q}, secure=secure, **headers).status_code

    def view_only(q: str, headers: dict[str, Any]) -> int:
        # Given by hand what the middleware would set that the view reads: user and htmx.
        request = cast(HtmxHttpRequest, factory.get("/icd10/", {"q": q}, **headers))
        request.user = user
        request.htmx = HtmxDetails(request)
        return icd10_search(request).status_code

    runs = {
        ("request", "full page"): (through_client, {}),
        ("request", "htmx partial"): (through_client, {"HTTP_HX_REQUEST": "true"}),
        ("view only", "full page"): (view_only, {}),
        ("view only", "htmx partial"): (view_only, {"HTTP_HX_REQUEST": "true"}),
    }
    timings: dict[tuple[str, str], list[float]] = {run: [] for run in runs}
    per_query: dict[str, list[float]] = {q: [] for q in QUERIES}
    queries_per_request: set[int] = set()
    for run, (call, headers) in runs.items():
        for q in QUERIES:
            for _ in range(args.warmup):
                with CaptureQueriesContext(connection) as ctx:
                    status = call(q, headers)
                assert status == 200, (q, status)
                if run[0] == "request":
                    queries_per_request.add(len(ctx))
            for _ in range(args.repeat):
                start = time.perf_counter()
                call(q, headers)
                elapsed = (time.perf_counter() - start) * 1000
                timings[run].append(elapsed)
                if run[0] == "request":
                    per_query[q].append(elapsed)

    print(f"database: {connection.vendor} ({connection.settings_dict['NAME']}), {total} codes")
    print(
        f"{len(QUERIES)} queries x {args.repeat} runs per mode; SQL queries per request: "
        f"{sorted(queries_per_request)}"
    )
    for (scope, mode), values in timings.items():
        print(
            f"{scope:>9}, {mode:<12}: p50 {statistics.median(values):6.2f} ms  "
            f"p95 {percentile(values, 95):6.2f} ms  max {max(values):6.2f} ms  (n={len(values)})"
        )
    slowest = sorted(per_query.items(), key=lambda kv: -statistics.median(kv[1]))[:5]
    print(
        "slowest queries (median ms): "
        + ", ".join(f"{q!r} {statistics.median(v):.1f}" for q, v in slowest)
    )


if __name__ == "__main__":
    main()
