"""`make bench`: run every benchmark of bench/ one after the other and say how each ended.

    .venv/bin/python bench/run_all.py        # the app's SQLite; bench data in var/bench/
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_load .venv/bin/python bench/run_all.py

First the configured database is migrated and given the reference data and the demo clinic
(`seed_demo`, idempotent), which the suggestion and search benchmarks read; the others make
their own data. Each script keeps its own defaults and prints its own figures. The load test
needs the 1M-line dataset on PostgreSQL and gunicorn (see its docstring): it runs only when
DATABASE_URL names a PostgreSQL database, and is otherwise listed as skipped with the reason.
The exit status is non-zero when a benchmark fails.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
SCRIPTS = (
    ("suggest.py", "the live suggestion, in-process"),
    ("icd10_search.py", "ICD-10-CM search"),
    ("rescrub.py", "re-scrubbing open claims"),
    ("batch_837p.py", "an 837P batch and CMS-1500 forms"),
    ("post_835.py", "posting an 835, the money tiles and the denial report"),
    ("loadtest.py", "gunicorn under load, with the bare view as the ceiling"),
)


def main() -> int:
    on_postgres = os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))
    manage = [sys.executable, str(BENCH.parent / "manage.py")]
    for step in (["migrate", "--no-input", "-v0"], ["load_reference", "-v0"], ["seed_demo"]):
        code = subprocess.call([*manage, *step], env={**os.environ, "DEBUG": "1"})
        if code:
            print(f"manage.py {step[0]} failed ({code}): no benchmark was run.")
            return code
    results = []
    for script, what in SCRIPTS:
        if script == "loadtest.py" and not on_postgres:
            results.append((script, "skipped: needs DATABASE_URL on PostgreSQL (1M-line data)"))
            continue
        print(f"\n== {script}: {what}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(BENCH / script)])
        took = time.perf_counter() - started
        results.append((script, f"{'ok' if code == 0 else f'failed ({code})'} in {took:.0f} s"))
    print("\n== summary")
    for script, outcome in results:
        print(f"{script:18} {outcome}")
    return 0 if all("failed" not in outcome for _, outcome in results) else 1


if __name__ == "__main__":
    sys.exit(main())
