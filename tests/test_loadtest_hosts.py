"""bench/loadtest.py with two app hosts and two queue workers, over a small load dataset in the
test's PostgreSQL database: the phases run without an error on both hosts, and every cross-host
check passes (a session, a job, a code-table edit and a file, each made on one host and seen on
the other)."""

import json
import os
import signal
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.postgres(reason="the load test runs gunicorn and the job queue against PostgreSQL")
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("committed_reference")
def test_two_hosts_share_sessions_jobs_code_tables_and_files(tmp_path: Path) -> None:
    # The servers run the production settings, whose password hashers do not include the
    # tests' fast one: the load users' password is hashed as production would.
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher"]):
        call_command(
            "generate_load_data",
            # A third clinic's owner, idle in the phases, signs in for the cross-host checks.
            *("--clinics", "3", "--therapists", "2", "--patients", "8", "--lines", "300"),
            *("--days", "30", "--batch", "40"),
            stdout=StringIO(),
        )
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    out = tmp_path / "report.json"
    command = [
        sys.executable, "bench/loadtest.py", "--database-url", url,
        "--hosts", "2", "--queue-workers", "2", "--clients", "2", "--owners", "1",
        "--warmup", "1", "--duration", "4", "--isolated", "1", "--workers", "1",
        "--media-root", str(tmp_path / "media"), "--output", str(out),
    ]  # fmt: skip
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "ptclinic.settings", "DATABASE_URL": url}
    # A session of its own: on a timeout, the servers and workers it started go with it.
    run = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = run.communicate(timeout=240)
    except subprocess.TimeoutExpired:
        os.killpg(run.pid, signal.SIGKILL)
        output, _ = run.communicate()
        pytest.fail(f"the load test took over 240 s:\n{output[-4000:]}")
    assert run.returncode == 0, output[-4000:]

    report = json.loads(out.read_text())
    assert report["mixed"], output[-4000:]
    assert {name: r["errors"] for name, r in report["mixed"].items() if r["errors"]} == {}, report[
        "first_errors"
    ]
    assert "GET /" in report["mixed"] and "GET /" in report["isolated"]
    assert "GET /" in report["queries_per_request"]
    assert len(report["hosts"]) == 2
    assert all(h["mixed_requests"] > 0 for h in report["hosts"]), report["hosts"]
    assert report["jobs_runner"] == "queue"
    assert [w["running_at_the_end"] for w in report["queue_workers"]] == [True, True]
    checks = report["cross_host"]
    assert set(checks) == {"session", "job", "cache", "files"}, checks
    assert {name: c for name, c in checks.items() if not c["ok"]} == {}
    assert checks["job"]["claims"] > 0 and checks["job"]["chunks"] >= 1
    assert checks["files"]["built_by"] == "a queue worker"
