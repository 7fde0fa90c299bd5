"""Load test: gunicorn + PostgreSQL on 127.0.0.1 over the `generate_load_data` dataset.

    createdb -h 127.0.0.1 -U postgres ptclinic_load
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_load
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_reference
    .venv/bin/python manage.py generate_load_data          # 1,000,000 claim lines
    .venv/bin/python bench/loadtest.py                     # about 4 minutes
    .venv/bin/python bench/loadtest.py --hosts 2 --queue-workers 2   # two app hosts, a queue

What it does, all on 127.0.0.1 and bounded in time:

1. Reads the dataset's size and, in-process through Django's test client, the number of SQL
   queries of each endpoint (the review queue must stay at 12 or fewer at any size). Gives each
   load owner an authenticator with the load test's key (`TOTP_KEY`): owners must sign in with a
   second factor (ptclinic/two_factor.py).
2. Starts `--hosts` gunicorn servers (`ptclinic.wsgi`, sync workers, production settings: DEBUG
   off; only SECURE_SSL_REDIRECT is off, since there is no TLS proxy in front), each on a free
   port, as app hosts behind a load balancer would be: one SECRET_KEY for the run (a session
   signed on one host is good on the others), the same DATABASE_URL and the same MEDIA_ROOT.
   With `--queue-workers N`, the hosts hand long work to the job queue (JOBS_RUNNER=queue) and N
   `manage.py procrastinate worker --queues jobs --concurrency 1` processes take it; without,
   jobs run in the request (JOBS_RUNNER=inline).
3. Logs each virtual user in through the real login form (a load user's password is right, so
   django-axes never locks anyone out), then, for an owner, the code page with the code the
   authenticator shows now (a code is taken once per 30-second step and device: when it is
   refused, the next step's code is given). The session and CSRF cookies are read from
   Set-Cookie and sent back by hand: they carry the Secure flag in production, which a browser
   would honour over plain HTTP but this client need not. Each user sends its successive
   requests to the hosts in turn, one keep-alive connection per host.
4. Mixed phase: N clients without think time (closed loop). Therapists open the session page,
   ask for suggestions for 6 service rows as they type (htmx), save a session now and then, and
   search the code reference and ICD-10-CM; owners open their dashboard, open, filter and page
   the review queue, open claims and search too; every client probes /healthz/ now and then.
5. Isolated phases: each endpoint alone with the same N clients, then /healthz/ alone: the bare
   Django view on the same server is the ceiling, and each endpoint's requests/s is given as a
   ratio of it.
6. With 2 hosts or more, cross-host checks (`cross_host_checks`): a session made on host A is
   good on host B; a re-scrub started on host A is seen through to its end on host B's job page;
   an edit of a cached code table shows on the next request of every host; an 837P file built
   from host A's page (by a queue worker, or in host A's request) downloads from host B. The
   exit status is 1 when one fails.

Prints Markdown tables and writes bench/results/loadtest-<time>.json (git-ignored), or the
`--output` file; the servers' and workers' logs go beside it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import random
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
HOST = "127.0.0.1"
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/ptclinic_load"
PASSWORD = "load-test-password"  # generate_load_data's LOAD_PASSWORD
# The load owners' authenticator secret (hex, as django-otp keeps it): the load test is their
# phone. Made up for the load data, never a real person's.
TOTP_KEY = "6c6f61642d746573742d746f74702d6b65792121"  # b"load-test-totp-key!!"
CODE_PAGE = "/accounts/two-factor/code/"
TOTP_STEP = 30  # seconds (django-otp's default, which the load owners' devices keep)
# The cross-host checks: the code whose name is edited, how long a job may take to finish.
CHECK_CODE = "97112"
JOB_WAIT = 300.0

# The session page's 6 service rows (as bench/suggest.py): code, minutes, PTA minutes.
ROWS = [("97112", 24, ""), ("97110", 23, "5"), ("97140", 15, ""), ("97116", 10, ""),
        ("97530", 12, ""), ("97035", 8, "")]  # fmt: skip
CODE_QUERIES = ["97110", "971", "exercise", "gait", "manual", "evaluation", "e-stim", "97530",
                "balance", "orthotic", "wound", "aquatic"]  # fmt: skip
ICD_QUERIES = ["M54", "m54.5", "M25.56", "s83.5", "Z96.64", "I69.35", "R26", "S72.0", "M17",
               "knee", "knee pain", "low back pain", "fracture femur", "stroke", "gait",
               "difficulty walking", "rotator cuff", "sprain ankle", "osteoarthritis knee",
               "muscle weakness", "parkinson", "aftercare joint replacement", "fall"]  # fmt: skip
QUEUE_VIEWS = ["?page=2", "?severity=errors", "?severity=warnings", "?status=",
               "?status=&page=3", "?status=returned", "?status=approved&page=120",
               "?rule=necessity-copied", "?rule=progress-report-due", "?rule=poc-cert-pending",
               "?sort=-flags", "?therapist={therapist}", "?date_from={week_ago}"]  # fmt: skip
CLAIM_ID = re.compile(rb'data-claim="(\d+)"')
JOB_URL = re.compile(r"/jobs/(\d+)/")
JOB_STATUS = re.compile(rb'data-testid="job-status">([^<]+)<')
BATCH_URL = re.compile(r"/billing/batches/(\d+)/")
FILE_LINK = re.compile(rb'href="(/billing/files/\d+/)"')


# ---- the dataset and the query counts (in-process Django) ----------------------------------


@dataclass
class ClinicUsers:
    clinic_id: int
    owner: str
    therapists: list[tuple[str, int]]  # username, membership id
    patients: list[int]


def setup_django(database_url: str, media_root: str = "") -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    if media_root:
        os.environ["MEDIA_ROOT"] = media_root
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def dataset() -> tuple[dict[str, Any], list[ClinicUsers]]:
    from django.db import connection

    from claims.models import Claim, ClaimFlag, ClaimLine, Patient, TreatmentSession
    from ptclinic.models import Clinic, Membership, Role

    clinics = list(Clinic.objects.filter(name__startswith="Load clinic").order_by("name"))
    if not clinics:
        sys.exit("No load data: run `manage.py generate_load_data` on this database first.")
    version = (
        connection.pg_version  # type: ignore[attr-defined]  # on PostgreSQL's connection only
        if connection.vendor == "postgresql"
        else ""
    )
    facts = {
        "database": f"{connection.vendor} {version}".strip(),
        "clinics": len(clinics),
        "patients": Patient.objects.count(),
        "sessions": TreatmentSession.objects.count(),
        "claims": Claim.objects.count(),
        "claim_lines": ClaimLine.objects.count(),
        "open_claims": Claim.objects.open().count(),
        "open_flags": ClaimFlag.objects.unresolved().count(),
    }
    users = []
    for clinic in clinics:
        members = Membership.objects.filter(clinic=clinic, active=True).select_related("user")
        owner = next(m.user.username for m in members if m.role == Role.OWNER)
        therapists = [
            (m.user.username, m.pk)
            for m in members
            if m.role == Role.THERAPIST and m.user.username.startswith("load-pt-")
        ]
        patients = list(
            Patient.objects.for_clinic(clinic)
            .filter(active=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        )
        users.append(ClinicUsers(clinic.pk, owner, therapists, patients))
    return facts, users


def owners_authenticators(users: list[ClinicUsers]) -> None:
    """Every load owner gets a confirmed authenticator with the load test's key (kept when they
    have it already), as a person sets up their phone once."""
    from django.contrib.auth import get_user_model

    from ptclinic.two_factor import authenticator_ensure

    User = get_user_model()
    for owner in User.objects.filter(username__in=[c.owner for c in users]):
        authenticator_ensure(owner, TOTP_KEY)


def authenticator_code(username: str) -> str | None:
    """The code `username`'s authenticator shows now (None: they have none)."""
    from django.contrib.auth import get_user_model

    from ptclinic.two_factor import authenticator, current_code

    device = authenticator(get_user_model().objects.get(username=username))
    return current_code(device) if device is not None else None


def verified_client(username: str) -> Any:
    """A test client logged in as `username` with both factors given (tests/conftest.py's
    sign_in), for the in-process query counts."""
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY

    from ptclinic.two_factor import authenticator

    user = get_user_model().objects.get(username=username)
    client = Client(SERVER_NAME="localhost")
    client.force_login(user)
    device = authenticator(user)
    if device is not None:
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


def query_counts(users: list[ClinicUsers]) -> dict[str, int]:
    """SQL queries per request of each endpoint, through Django's test client (in-process)."""
    from django.db import connection
    from django.test import Client

    from claims.models import Claim

    clinic = users[0]
    owner = verified_client(clinic.owner)
    pt_name, pt_membership = clinic.therapists[0]
    therapist = verified_client(pt_name)
    claim = Claim.objects.filter(clinic_id=clinic.clinic_id).open().first()
    suggest = _suggest_form(pt_membership, clinic.patients[0], "")
    htmx: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}  # Any: the test client's **extra
    probes: dict[str, Callable[[], Any]] = {
        "GET /healthz/": lambda: Client(SERVER_NAME="localhost").get("/healthz/"),
        "GET /": lambda: owner.get("/"),
        "GET /sessions/new/": lambda: therapist.get("/sessions/new/"),
        "POST /sessions/suggest/": lambda: therapist.post("/sessions/suggest/", suggest, **htmx),
        "GET /review/": lambda: owner.get("/review/"),
        "GET /review/?status=&page=3": lambda: owner.get("/review/?status=&page=3"),
        "GET /review/?rule=necessity-copied": lambda: owner.get("/review/?rule=necessity-copied"),
        "GET /claims/<id>/": lambda: owner.get(f"/claims/{claim.pk}/") if claim else None,
        "GET /codes/?q=": lambda: owner.get("/codes/?q=exercise", **htmx),
        "GET /icd10/?q=": lambda: owner.get("/icd10/?q=knee+pain", **htmx),
    }
    counts = {}
    seen: list[str] = []

    def count(
        execute: Callable[..., Any], sql: str, params: Any, many: bool, context: dict[str, Any]
    ) -> Any:
        seen.append(sql)
        return execute(sql, params, many, context)

    for name, probe in probes.items():
        probe()  # warm: the first request of a client may do one-off work
        seen.clear()
        with connection.execute_wrapper(count):
            response = probe()
        if response is not None and response.status_code < 400:
            counts[name] = len(seen)
    return counts


# ---- the HTTP client -----------------------------------------------------------------------


class LoginFailed(Exception):
    pass


def _path_of(location: str) -> str:
    """A redirect's target as a path (Django answers with a path; a full URL is cut to one)."""
    parts = urllib.parse.urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _seconds_to_next_step() -> float:
    return TOTP_STEP - time.time() % TOTP_STEP


class Browser:
    """One user's cookies and one keep-alive HTTP connection per host. Successive requests go
    to the hosts in turn (as a load balancer without sticky sessions sends them), unless one is
    named. Cookies are kept by name from every Set-Cookie, whatever their Secure flag (see the
    module docstring)."""

    def __init__(self, ports: list[int]) -> None:
        self.ports = ports
        self.conns = {port: http.client.HTTPConnection(HOST, port, timeout=30) for port in ports}
        self.turn = 0
        self.cookies: dict[str, str] = {}
        self.location = ""  # the last answer's Location header
        self.port = ports[0]  # the host of the last request

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, Any] | list[tuple[str, Any]] | None = None,
        htmx: bool = False,
        anonymous: bool = False,
        host: int | None = None,
    ) -> tuple[int, bytes]:
        """`host`: the index of the host to ask; None, the next one in turn."""
        if host is None:
            port = self.ports[self.turn % len(self.ports)]
            self.turn += 1
        else:
            port = self.ports[host]
        self.port = port
        conn = self.conns[port]
        headers = {"Host": f"{HOST}:{port}", "Accept": "text/html"}
        if self.cookies and not anonymous:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if htmx:
            headers["HX-Request"] = "true"
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-CSRFToken"] = self.cookies.get("csrftoken", "")
        for attempt in (1, 2):
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                # A sync worker closes the connection after each response; reconnect once.
                conn.close()
                if attempt == 2:
                    raise
        for raw in [] if anonymous else response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie()
            cookie.load(raw)
            for name, morsel in cookie.items():
                if morsel["max-age"] == "0":
                    self.cookies.pop(name, None)
                else:
                    self.cookies[name] = morsel.value
        self.location = response.getheader("Location", "")
        if response.getheader("Connection", "").lower() == "close":
            conn.close()
        return response.status, data

    def login(
        self, username: str, code: Callable[[str], str | None], host: int | None = None
    ) -> None:
        """The password, then, where the login leads to the code page, the code `code(username)`
        gives (the authenticator's code now). A code already taken in this 30-second step
        (another login of the same person) is refused: then the next step's code is given."""
        self.request("GET", "/accounts/login/", host=host)
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
            host=host,
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise LoginFailed(f"{username}: login answered {status}")
        path = _path_of(self.location)
        for _ in range(3):  # the home page sends someone with an authenticator to the code page
            status, _ = self.request("GET", path, host=host)
            if status not in (301, 302):
                break
            path = _path_of(self.location)
        if urllib.parse.urlsplit(path).path != CODE_PAGE:
            if status != 200:
                raise LoginFailed(f"{username}: {path} answered {status} after the login")
            return
        for attempt in (1, 2):
            typed = code(username)
            if typed is None:
                raise LoginFailed(f"{username}: asked for a code, but has no authenticator")
            status, _ = self.request(
                "POST",
                path,
                {"code": typed, "csrfmiddlewaretoken": self.cookies.get("csrftoken", "")},
                host=host,
            )
            if status == 302:
                return
            if attempt == 1:
                # Past the next step's start, and past django-otp's 1-s wait after a refusal.
                time.sleep(_seconds_to_next_step() + 1.2)
        raise LoginFailed(f"{username}: the code page answered {status}, twice")


# ---- what the users do ---------------------------------------------------------------------


def _suggest_form(membership: int, patient: int, day: str, wiggle: int = 0) -> dict[str, Any]:
    return {
        "patient": patient,
        "date_of_service": day or dt.date.today().isoformat(),
        "therapist": membership,
        "payer": "",
        "code": [r[0] for r in ROWS],
        "minutes": [r[1] + (wiggle if i == 0 else 0) for i, r in enumerate(ROWS)],
        "pta_minutes": [r[2] for r in ROWS],
        "pointers": [""] * len(ROWS),
        "dx": ["M25.561"],
    }


@dataclass
class Stats:
    samples: dict[str, list[float]] = field(default_factory=dict)
    errors: dict[str, int] = field(default_factory=dict)
    first_error: dict[str, str] = field(default_factory=dict)
    hosts: dict[int, int] = field(default_factory=dict)  # requests per port

    def record(self, name: str, ms: float, ok: bool, detail: str = "", port: int = 0) -> None:
        self.samples.setdefault(name, []).append(ms)
        self.hosts[port] = self.hosts.get(port, 0) + 1
        if not ok:
            self.errors[name] = self.errors.get(name, 0) + 1
            self.first_error.setdefault(name, detail)

    def merge(self, other: Stats) -> None:
        for name, values in other.samples.items():
            self.samples.setdefault(name, []).extend(values)
        for name, n in other.errors.items():
            self.errors[name] = self.errors.get(name, 0) + n
        for name, detail in other.first_error.items():
            self.first_error.setdefault(name, detail)
        for port, n in other.hosts.items():
            self.hosts[port] = self.hosts.get(port, 0) + n


class User:
    """A logged-in virtual user; `step()` runs one iteration of its role's work."""

    username: str  # set by each role

    def __init__(self, ports: list[int], rng: random.Random, stats: Stats) -> None:
        self.browser = Browser(ports)
        self.rng = rng
        self.stats = stats

    def sign_in(self) -> None:
        self.browser.login(self.username, authenticator_code)

    def call(
        self,
        name: str,
        method: str,
        path: str,
        form: Any = None,
        htmx: bool = False,
        expect: int = 200,
        anonymous: bool = False,
    ) -> bytes:
        started = time.perf_counter()
        try:
            status, body = self.browser.request(method, path, form, htmx, anonymous)
        except (OSError, http.client.HTTPException) as exc:
            ms = (time.perf_counter() - started) * 1000
            self.stats.record(name, ms, False, repr(exc), self.browser.port)
            return b""
        ms = (time.perf_counter() - started) * 1000
        detail = f"{status} on {method} {path} (port {self.browser.port})"
        self.stats.record(name, ms, status == expect, detail, self.browser.port)
        return body

    def code_search(self) -> None:
        q = urllib.parse.quote_plus(self.rng.choice(CODE_QUERIES))
        self.call("GET /codes/?q= (htmx)", "GET", f"/codes/?q={q}", htmx=True)

    def icd_search(self) -> None:
        q = urllib.parse.quote_plus(self.rng.choice(ICD_QUERIES))
        self.call("GET /icd10/?q= (htmx)", "GET", f"/icd10/?q={q}", htmx=True)

    def search(self) -> None:
        self.code_search()
        self.icd_search()

    def health(self) -> None:
        # As a load balancer probes it: no cookies.
        self.call("GET /healthz/", "GET", "/healthz/", anonymous=True)

    def step(self) -> None:
        raise NotImplementedError  # each role has its own


class Therapist(User):
    def __init__(
        self, ports: list[int], rng: random.Random, stats: Stats, clinic: ClinicUsers, n: int
    ) -> None:
        super().__init__(ports, rng, stats)
        self.username, self.membership = clinic.therapists[n % len(clinic.therapists)]
        self.patients = clinic.patients
        self.iteration = 0

    def suggest(self) -> None:
        form = _suggest_form(
            self.membership, self.rng.choice(self.patients), "", self.rng.randint(0, 9)
        )
        self.call("POST /sessions/suggest/ (htmx)", "POST", "/sessions/suggest/", form, htmx=True)

    def step(self) -> None:
        self.iteration += 1
        self.call("GET /sessions/new/", "GET", "/sessions/new/")
        for _ in range(3):  # the panel refreshes as the therapist types
            self.suggest()
        if self.iteration % 3 == 0:
            form = _suggest_form(self.membership, self.rng.choice(self.patients), "")
            form |= {
                "action": "save",
                "subjective": "Load test visit.",
                "medical_necessity": f"Skilled progression of balance training, visit "
                f"{self.rng.randrange(10**6)}, to restore safe gait.",
            }
            self.call("POST /sessions/new/ (save)", "POST", "/sessions/new/", form, expect=302)
        self.search()
        self.health()


class Owner(User):
    def __init__(
        self, ports: list[int], rng: random.Random, stats: Stats, clinic: ClinicUsers
    ) -> None:
        super().__init__(ports, rng, stats)
        self.username = clinic.owner
        self.therapist_ids = [m for _, m in clinic.therapists]
        self.claims: list[int] = []

    def sign_in(self) -> None:
        """Both factors, then the review queue must open (not the code or set-up page)."""
        super().sign_in()
        status, _ = self.browser.request("GET", "/review/")
        if status != 200:
            raise LoginFailed(f"{self.username}: /review/ answered {status} after the login")

    def dashboard(self) -> None:
        self.call("GET /", "GET", "/")

    def queue(self, view: str) -> None:
        week_ago = (dt.date.today() - dt.timedelta(days=7)).isoformat()
        path = "/review/" + view.format(
            therapist=self.rng.choice(self.therapist_ids), week_ago=week_ago
        )
        name = "GET /review/" if not view else "GET /review/ (filter/page, htmx)"
        body = self.call(name, "GET", path, htmx=bool(view))
        found = [int(x) for x in CLAIM_ID.findall(body)]
        if found:
            self.claims = found

    def claim(self) -> None:
        if self.claims:
            self.call("GET /claims/<id>/", "GET", f"/claims/{self.rng.choice(self.claims)}/")

    def step(self) -> None:
        self.dashboard()
        self.queue("")
        self.claim()
        for view in self.rng.sample(QUEUE_VIEWS, 2):
            self.queue(view)
            self.claim()
        self.search()
        self.health()


# ---- the servers and the queue's workers ---------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def app_environment(args: argparse.Namespace, secret_key: str, media_root: str) -> dict[str, str]:
    """What every app host and worker of the run shares: the secret key (sessions and signed
    values made on one host are good on the others), the database and the files."""
    return {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "ptclinic.settings",
        "DEBUG": "0",
        "SECRET_KEY": secret_key,
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front; every other production setting
        "STATIC_MANIFEST": "false",  # no collectstatic needed: static files are not requested
        "LOG_LEVEL": "WARNING",
        "MEDIA_ROOT": media_root,
        "JOBS_RUNNER": "queue" if args.queue_workers > 0 else "inline",
    }


def start_server(
    args: argparse.Namespace, port: int, log: Path, env: dict[str, str]
) -> subprocess.Popen[bytes]:
    command = [
        str(ROOT / ".venv" / "bin" / "gunicorn"),
        "-c", "python:ptclinic.gunicorn_conf",
        "ptclinic.wsgi",
        "--bind", f"{HOST}:{port}",
        "--workers", str(args.workers),
        "--worker-class", "sync",
        "--timeout", "30",
        "--log-level", "warning",
        "--error-logfile", str(log),
    ]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env=env)


def wait_for_server(server: subprocess.Popen[bytes], port: int, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            break
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz/", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer on port {port}: see {log}")


def start_worker(n: int, log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable, str(ROOT / "manage.py"), "procrastinate", "worker",
        "--queues", "jobs", "--concurrency", "1", "--name", f"loadtest-{n}",
    ]  # fmt: skip
    with log.open("wb") as out:
        return subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stop(process: subprocess.Popen[bytes]) -> int | None:
    """SIGTERM (gunicorn and procrastinate both stop gracefully on it), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        return process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        return process.wait(timeout=10)


def run_phase(
    users: list[User], work: Callable[[User], None], seconds: float, max_requests: int
) -> tuple[Stats, float]:
    """Every user runs `work` in its own thread until the time is up (or the request bound)."""
    deadline = time.monotonic() + seconds
    per_user = max_requests // max(len(users), 1)
    threads = []

    def loop(user: User) -> None:
        while time.monotonic() < deadline and sum(map(len, user.stats.samples.values())) < per_user:
            work(user)

    for user in users:
        user.stats = Stats()
        threads.append(threading.Thread(target=loop, args=(user,), daemon=True))
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    total = Stats()
    for user in users:
        total.merge(user.stats)
    return total, elapsed


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def summarise(stats: Stats, seconds: float) -> dict[str, dict[str, float]]:
    return {
        name: {
            "requests": len(values),
            "rps": len(values) / seconds,
            "p50_ms": statistics.median(values),
            "p95_ms": percentile(values, 95),
            "errors": stats.errors.get(name, 0),
        }
        for name, values in sorted(stats.samples.items())
    }


# ---- the cross-host checks -------------------------------------------------------------------


def _check(
    results: dict[str, dict[str, Any]], name: str, run: Callable[[], dict[str, Any]]
) -> None:
    """Run one check; its figures, and whether it passed (an exception fails it, saying why)."""
    started = time.perf_counter()
    try:
        outcome = run()
    except Exception as exc:  # a check that cannot finish has failed: say why, go on
        outcome = {"ok": False, "detail": f"{type(exc).__name__}: {exc}"}
    outcome["check_seconds"] = round(time.perf_counter() - started, 2)
    results[name] = outcome


def _wait_for_job(browser: Browser, job_id: int, host: int) -> tuple[str, float]:
    """Poll the job's page on `host` as the page itself does (htmx, every ~0.2 s here) until it
    shows the job done or failed. Returns the status shown and the seconds it took."""
    started = time.perf_counter()
    shown = ""
    while time.perf_counter() - started < JOB_WAIT:
        status, body = browser.request("GET", f"/jobs/{job_id}/", htmx=True, host=host)
        if status != 200:
            raise RuntimeError(f"/jobs/{job_id}/ answered {status} on port {browser.port}")
        found = JOB_STATUS.search(body)
        shown = found.group(1).decode().strip() if found else ""
        if shown in ("Done", "Failed"):
            break
        time.sleep(0.2)
    return shown, time.perf_counter() - started


def check_session(browser: Browser, owner: str) -> dict[str, Any]:
    """Logged in on host A only; host B takes the same cookies as the same person."""
    browser.login(owner, authenticator_code, host=0)
    seen = {}
    for path in ("/", "/review/"):
        status, _ = browser.request("GET", path, host=1)
        seen[path] = status if status == 200 else f"{status} to {_path_of(browser.location)}"
    ok = all(v == 200 for v in seen.values())
    return {"ok": ok, "owner": owner, "logged_in_on": browser.ports[0], "on_other_host": seen}


def check_job(browser: Browser, clinic: ClinicUsers) -> dict[str, Any]:
    """The review queue's re-scrub, started on host A, followed to its end on host B."""
    from django.urls import reverse

    from ptclinic.models import Job, JobStatus

    action = reverse("jobs-rescrub")
    status, page = browser.request("GET", "/review/", host=0)
    if status != 200 or f'action="{action}"'.encode() not in page:
        return {"ok": False, "detail": f"no re-scrub form on /review/ (answered {status})"}
    started = time.perf_counter()
    status, _ = browser.request(
        "POST", action, {"csrfmiddlewaretoken": browser.cookies.get("csrftoken", "")}, host=0
    )
    found = JOB_URL.search(browser.location)
    if status != 302 or not found:
        return {"ok": False, "detail": f"POST {action} answered {status} to {browser.location!r}"}
    job_id = int(found.group(1))
    shown, _ = _wait_for_job(browser, job_id, host=1)
    wall = time.perf_counter() - started
    job = Job.objects.get(pk=job_id)
    children = list(job.children.values_list("status", flat=True))
    count = int(job.result.get("count", 0))
    seconds = job.seconds or 0.0
    problems = []
    if shown != "Done":
        problems.append(f"host B's page shows {shown or 'no status'!r}")
    if job.status != JobStatus.DONE:
        problems.append(f"the job is {job.status} ({job.error})")
    if job.started_at is None:
        problems.append("no start time")
    if any(s != JobStatus.DONE for s in children):
        problems.append(f"its parts: {sorted(children)}")
    return {
        "ok": not problems,
        "detail": "; ".join(problems),
        "job": job_id,
        "clinic": clinic.clinic_id,
        "claims": count,
        "chunks": len(children),
        "seconds_to_done_on_b": round(wall, 2),
        "job_seconds": round(seconds, 2),
        "claims_per_s": round(count / seconds, 1) if seconds else None,
        "message": job.message,
    }


def check_cache(ports: list[int], clinic: ClinicUsers) -> dict[str, Any]:
    """An edit of a cached code table (a code's name, which the suggestion panel shows from
    ReferenceFacts.current()) shows on the very next request of every host; undone after."""
    from coding.models import BillingCode

    therapist = Therapist(ports, random.Random(0), Stats(), clinic, 0)
    therapist.sign_in()
    code = BillingCode.objects.get(code=CHECK_CODE)
    before = code.short_name
    marker = f"Load check {secrets.token_hex(4)}"
    form = _suggest_form(therapist.membership, clinic.patients[0], "")
    shown: dict[int, Any] = {}
    try:
        code.short_name = marker
        code.save(update_fields=["short_name"])  # the signal gives the tables a new stamp
        for n, port in enumerate(ports):
            started = time.perf_counter()
            status, body = therapist.browser.request(
                "POST", "/sessions/suggest/", form, htmx=True, host=n
            )
            ms = round((time.perf_counter() - started) * 1000, 1)
            shown[port] = {"status": status, "shows_edit": marker.encode() in body, "ms": ms}
    finally:
        code.short_name = before
        code.save(update_fields=["short_name"])
    ok = all(v["status"] == 200 and v["shows_edit"] for v in shown.values())
    return {"ok": ok, "code": CHECK_CODE, "edit": marker, "first_request_per_host": shown}


def _sendable_claim(clinic_id: int) -> int | None:
    """A recent approved claim of the clinic that an 837P file can carry now (the clinic's
    clearinghouse set up, nothing missing on the claim), or None."""
    from claims.models import Claim
    from claims.submission.collect import collect, setup_problems
    from ptclinic.models import Clinic

    clinic = Clinic.objects.get(pk=clinic_id)
    if setup_problems(clinic):
        return None
    ids = list(
        Claim.objects.for_clinic(clinic)
        .ready_to_send()
        .order_by("-date_of_service", "-pk")
        .values_list("pk", flat=True)[:50]
    )
    return next((c.claim.pk for c in collect(ids) if c.document is not None), None)


def check_files(browser: Browser, clinic: ClinicUsers) -> dict[str, Any]:
    """A file written by one host is served by another. Where the clinic can send a claim: an
    837P batch of one approved claim made from host A's page (built by a queue worker, or in
    host A's request without one), its file downloaded from host B. Where it cannot (the load
    data's payers have no payer id unless an admin gave them one): `stored_file_check`."""
    from ptclinic.models import Job

    claim = _sendable_claim(clinic.clinic_id)
    if claim is None:
        return stored_file_check(browser, clinic)
    form = {
        "claim": claim,
        "note": "Load test: a file built by one host, served by another",
        "csrfmiddlewaretoken": browser.cookies.get("csrftoken", ""),
    }
    status, _ = browser.request("POST", "/billing/", form, host=0)
    target = _path_of(browser.location)
    if status != 302:
        return {"ok": False, "detail": f"POST /billing/ answered {status}"}
    built_by = "host A's request (no queue)"
    if found := JOB_URL.search(target):
        job_id = int(found.group(1))
        shown, _ = _wait_for_job(browser, job_id, host=1)
        job = Job.objects.get(pk=job_id)
        if shown != "Done" or not job.result_url:
            return {"ok": False, "detail": f"the batch job shows {shown!r}: {job.message}"}
        target = job.result_url
        built_by = "a queue worker"
    if not BATCH_URL.search(target):
        return {"ok": False, "detail": f"POST /billing/ of claim {claim} led to {target!r}"}
    status, page = browser.request("GET", target, host=1)
    links = FILE_LINK.findall(page)
    if status != 200 or not links:
        return {"ok": False, "detail": f"{target} on host B: {status}, no file to download"}
    link = links[0].decode()
    status, content = browser.request("GET", link, host=1)
    ok = status == 200 and content.startswith(b"ISA")
    return {
        "ok": ok,
        "detail": "" if ok else f"{link} on host B answered {status}: {content[:40]!r}",
        "how": "an 837P batch",
        "claim": claim,
        "batch": target,
        "file": link,
        "bytes": len(content),
        "built_by": built_by,
        "served_by": browser.ports[1],
    }


def stored_file_check(browser: Browser, clinic: ClinicUsers) -> dict[str, Any]:
    """The fallback of `check_files`: this process, as host A, writes a file through Django's
    default storage as an empty batch's 837P file, and host B's download page for it must
    answer with the same bytes. The batch, its file row and the file are removed after."""
    from django.contrib.auth import get_user_model

    from claims.models import BatchFile, BatchStatus, ClaimBatch
    from coding.models import Payer

    owner = get_user_model().objects.get(username=clinic.owner)
    content = f"ISA*00*load-test cross-host file {secrets.token_hex(8)}~".encode()
    batch = ClaimBatch.objects.create(
        clinic_id=clinic.clinic_id,
        created_by=owner,
        status=BatchStatus.READY,
        note="Load test: a file written by one host, served by another (removed after)",
    )
    try:
        from django.core.files.base import ContentFile

        file = BatchFile(batch=batch, payer=Payer.objects.order_by("pk").first(), valid=True)
        file.save()
        file.file.save(f"loadtest-{file.pk}.txt", ContentFile(content), save=True)
        link = f"/billing/files/{file.pk}/"
        status, body = browser.request("GET", link, host=1)
    finally:
        for row in batch.files.all():
            if row.file:
                row.file.delete(save=False)
        batch.delete()
    ok = status == 200 and body == content
    return {
        "ok": ok,
        "detail": "" if ok else f"{link} on host B answered {status}: {body[:40]!r}",
        "how": "a file written through default_storage in-process (no claim can be sent)",
        "file": link,
        "bytes": len(body),
        "built_by": "this process, as host A",
        "served_by": browser.ports[1],
    }


def cross_host_checks(ports: list[int], clinic: ClinicUsers) -> dict[str, dict[str, Any]]:
    """Host A is the first host, host B the second. Run after the phases, on one clinic."""
    results: dict[str, dict[str, Any]] = {}
    browser = Browser(ports)
    _check(results, "session", lambda: check_session(browser, clinic.owner))
    if not results["session"]["ok"]:
        browser = Browser(ports)
        _check(results, "login for the next checks", lambda: _login_on_a(browser, clinic.owner))
    _check(results, "job", lambda: check_job(browser, clinic))
    _check(results, "cache", lambda: check_cache(ports, clinic))
    _check(results, "files", lambda: check_files(browser, clinic))
    return results


def _login_on_a(browser: Browser, owner: str) -> dict[str, Any]:
    browser.login(owner, authenticator_code, host=0)
    return {"ok": True}


# ---- running it ----------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--hosts", type=int, default=1, help="gunicorn servers (app hosts)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers per host")
    parser.add_argument(
        "--queue-workers", type=int, default=0, help="procrastinate workers (0: jobs inline)"
    )
    parser.add_argument("--clients", type=int, default=4, help="concurrent virtual users")
    parser.add_argument("--owners", type=int, default=1, help="of the clients, owners")
    parser.add_argument("--warmup", type=float, default=10, help="seconds, not recorded")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mixed phase")
    parser.add_argument("--isolated", type=float, default=15, help="seconds per isolated phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--media-root", default="", help="the hosts' files (default: settings')")
    parser.add_argument("--output", type=Path, help="the JSON report (default: bench/results/)")
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("The load test is for PostgreSQL: give --database-url postgres://…")
    host = urllib.parse.urlsplit(args.database_url).hostname
    if host not in (HOST, "localhost"):
        sys.exit("The load test only talks to 127.0.0.1.")
    if args.hosts < 1 or args.queue_workers < 0:
        sys.exit("--hosts is at least 1, --queue-workers at least 0.")

    # Stopped from outside (timeout, kill): still stop the servers and workers (`finally`).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    load_before = os.getloadavg()
    run_started = time.monotonic()
    setup_django(args.database_url, args.media_root)
    from django.conf import settings

    media_root = str(Path(settings.MEDIA_ROOT).resolve())
    facts, clinics = dataset()
    print(
        f"Dataset: {facts['clinics']} clinics, {facts['patients']:,} patients, "
        f"{facts['sessions']:,} sessions, {facts['claims']:,} claims, "
        f"{facts['claim_lines']:,} claim lines ({facts['open_claims']:,} open)"
    )
    owners_authenticators(clinics)
    queries = query_counts(clinics)
    from django.db import connections

    connections.close_all()

    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out: Path = args.output or RESULTS / f"loadtest-{stamp}.json"
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    logs = out.parent / out.stem
    env = app_environment(args, secrets.token_urlsafe(50), media_root)
    ports: list[int] = []
    while len(ports) < args.hosts:
        if (port := free_port()) not in ports:
            ports.append(port)
    servers = [start_server(args, port, Path(f"{logs}-gunicorn-{port}.log"), env) for port in ports]
    workers = [
        start_worker(n, Path(f"{logs}-worker-{n}.log"), env)
        for n in range(1, args.queue_workers + 1)
    ]
    rng = random.Random(args.seed)
    cross: dict[str, dict[str, Any]] = {}
    worker_exits: list[int | None] = []
    try:
        for server, port in zip(servers, ports, strict=True):
            wait_for_server(server, port, Path(f"{logs}-gunicorn-{port}.log"))
        # N therapists and N owners, each of another clinic where there are enough, each
        # logged in once: the mixed phase takes `owners` of the owners and the rest from the
        # therapists; each isolated phase takes N of the right role.
        therapists = [
            Therapist(ports, random.Random(rng.random()), Stats(), clinics[n % len(clinics)], n)
            for n in range(args.clients)
        ]
        owners = [
            Owner(ports, random.Random(rng.random()), Stats(), clinics[n % len(clinics)])
            for n in range(args.clients)
        ]
        for user in [*therapists, *owners]:
            user.sign_in()
        hosts_text = ", ".join(f"{HOST}:{port}" for port in ports)
        queue_text = (
            f"queue: {len(workers)} procrastinate workers (pids "
            f"{', '.join(str(w.pid) for w in workers)})"
            if workers
            else "jobs inline"
        )
        print(
            f"gunicorn: {args.hosts} host(s) × {args.workers} sync workers on {hosts_text}; "
            f"{queue_text}; {args.clients} clients"
        )
        users: list[User] = [*owners[: args.owners], *therapists[: args.clients - args.owners]]

        def mixed(user: User) -> None:
            user.step()

        run_phase(users, mixed, args.warmup, args.max_requests)
        mixed_stats, mixed_seconds = run_phase(users, mixed, args.duration, args.max_requests)

        for owner in owners:
            owner.queue("")  # the claim ids it opens
        alone: dict[str, tuple[Callable[[Any], None], list[User]]] = {
            "GET /healthz/": (lambda u: u.health(), [*therapists]),
            "GET /": (lambda u: u.dashboard(), [*owners]),
            "POST /sessions/suggest/ (htmx)": (lambda u: u.suggest(), [*therapists]),
            "GET /sessions/new/": (
                lambda u: u.call("GET /sessions/new/", "GET", "/sessions/new/"),
                [*therapists],
            ),
            "GET /review/": (lambda u: u.queue(""), [*owners]),
            "GET /claims/<id>/": (lambda u: u.claim(), [*owners]),
            "GET /codes/?q= (htmx)": (lambda u: u.code_search(), [*therapists]),
            "GET /icd10/?q= (htmx)": (lambda u: u.icd_search(), [*therapists]),
        }
        isolated: dict[str, dict[str, float]] = {}
        for name, (work, crowd) in alone.items():
            stats, seconds = run_phase(crowd, work, args.isolated, args.max_requests)
            if name in stats.samples:
                isolated[name] = summarise(stats, seconds)[name]

        if len(ports) >= 2:
            # An owner who took no part in the phases where there is one (a code is taken once
            # per 30-second step: a fresh login of the same person would wait for the next).
            busy = {o.username for o in owners}
            checked = next((c for c in clinics if c.owner not in busy), clinics[-1])
            cross = cross_host_checks(ports, checked)
    finally:
        worker_alive = [w.poll() is None for w in workers]
        for process in [*workers, *servers]:
            code = stop(process)
            if process in workers:
                worker_exits.append(code)

    bare = isolated["GET /healthz/"]["rps"]
    for row in isolated.values():
        row["ratio_to_bare"] = row["rps"] / bare
    mixed_rows = summarise(mixed_stats, mixed_seconds)
    report = {
        "when": dt.datetime.now().isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "load_average_before": load_before,
            "load_average_after": os.getloadavg(),
        },
        "server": (
            f"gunicorn ptclinic.wsgi, {args.hosts} host(s) × {args.workers} sync workers, "
            f"DEBUG off, jobs {env['JOBS_RUNNER']}"
        ),
        "hosts": [
            {
                "url": f"http://{HOST}:{port}",
                "port": port,
                "gunicorn_workers": args.workers,
                "pid": server.pid,
                "mixed_requests": mixed_stats.hosts.get(port, 0),
            }
            for server, port in zip(servers, ports, strict=True)
        ],
        "jobs_runner": env["JOBS_RUNNER"],
        "queue_workers": [
            {
                "name": f"loadtest-{n}",
                "pid": w.pid,
                "running_at_the_end": alive,
                "exit_status": code,
            }
            for n, (w, alive, code) in enumerate(
                zip(workers, worker_alive, worker_exits, strict=True), start=1
            )
        ],
        "media_root": media_root,
        "clients": args.clients,
        "owners": args.owners,
        "durations_s": {"warmup": args.warmup, "mixed": args.duration, "isolated": args.isolated},
        "dataset": facts,
        "queries_per_request": queries,
        "mixed": mixed_rows,
        "mixed_seconds": mixed_seconds,
        "isolated": isolated,
        "first_errors": mixed_stats.first_error,
        "cross_host": cross,
    }
    out.write_text(json.dumps(report, indent=2))
    print_tables(report)
    print(f"\nWritten to {out} ({time.monotonic() - run_started:.0f} s in all)")
    if any(not c["ok"] for c in cross.values()):
        sys.exit(1)


def print_tables(report: dict[str, Any]) -> None:
    d = report["dataset"]
    load = report["machine"]
    print(
        f"\nLoad average (1 min) before {load['load_average_before'][0]:.2f}, after "
        f"{load['load_average_after'][0]:.2f}, on {load['cpus']} CPUs"
    )
    print(
        f"\n{d['clinics']} clinics, {d['patients']:,} patients, {d['sessions']:,} sessions, "
        f"{d['claims']:,} claims, {d['claim_lines']:,} claim lines; {report['server']}; "
        f"{report['clients']} clients ({report['owners']} owner)"
    )
    hosts = ", ".join(
        f"{h['url']} ({h['mixed_requests']:,} mixed requests)" for h in report["hosts"]
    )
    print(f"Hosts: {hosts}")
    if report["queue_workers"]:
        names = ", ".join(f"{w['name']} (pid {w['pid']})" for w in report["queue_workers"])
        print(f"Queue workers: {names}")
    queries = report["queries_per_request"]
    print(f"\nMixed, {report['mixed_seconds']:.0f} s:\n")
    print("| endpoint | requests | req/s | p50 ms | p95 ms | errors | queries |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, r in report["mixed"].items():
        q = queries.get(name.replace(" (htmx)", "").replace(" (filter/page, htmx)", ""), "")
        print(
            f"| {name} | {r['requests']:,} | {r['rps']:.1f} | {r['p50_ms']:.1f} | "
            f"{r['p95_ms']:.1f} | {r['errors']} | {q} |"
        )
    print(f"\nEach endpoint alone, {report['clients']} clients:\n")
    print("| endpoint | req/s | p50 ms | p95 ms | errors | ratio to /healthz/ |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, r in report["isolated"].items():
        print(
            f"| {name} | {r['rps']:.1f} | {r['p50_ms']:.1f} | {r['p95_ms']:.1f} | "
            f"{r['errors']} | {r['ratio_to_bare']:.2f} |"
        )
    if report["first_errors"]:
        print("\nFirst error per endpoint:", report["first_errors"])
    if report["cross_host"]:
        print("\nCross-host checks (host A, then host B):\n")
        print("| check | passed | what was seen |")
        print("|---|---|---|")
        for name, c in report["cross_host"].items():
            seen = {k: v for k, v in c.items() if k != "ok"}
            print(f"| {name} | {'yes' if c['ok'] else 'NO'} | {json.dumps(seen)} |")


if __name__ == "__main__":
    main()
