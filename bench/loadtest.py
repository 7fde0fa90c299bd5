"""Load test: gunicorn + PostgreSQL on 127.0.0.1 over the `generate_load_data` dataset.

    createdb -h 127.0.0.1 -U postgres ptclinic_load
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/ptclinic_load
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py load_reference
    .venv/bin/python manage.py generate_load_data          # 1,000,000 claim lines
    .venv/bin/python bench/loadtest.py                     # about 4 minutes

What it does, all on 127.0.0.1 and bounded in time:

1. Reads the dataset's size and, in-process through Django's test client, the number of SQL
   queries of each endpoint (the review queue must stay at 12 or fewer at any size).
2. Starts gunicorn (`ptclinic.wsgi`, sync workers, production settings: DEBUG off, a random
   SECRET_KEY; only SECURE_SSL_REDIRECT is off, since there is no TLS proxy in front) on a free
   port, against DATABASE_URL.
3. Logs each virtual user in through the real login form (a load user's password is right, so
   django-axes never locks anyone out). The session and CSRF cookies are read from Set-Cookie
   and sent back by hand: they carry the Secure flag in production, which a browser would honour
   over plain HTTP but this client need not.
4. Mixed phase: N clients without think time (closed loop). Therapists open the session page,
   ask for suggestions for 6 service rows as they type (htmx), save a session now and then, and
   search the code reference and ICD-10-CM; owners open, filter and page the review queue, open
   claims and search too; every client probes /healthz/ now and then.
5. Isolated phases: each endpoint alone with the same N clients, then /healthz/ alone: the bare
   Django view on the same server is the ceiling, and each endpoint's requests/s is given as a
   ratio of it.

Prints Markdown tables and writes bench/results/loadtest-<time>.json (git-ignored).
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


# ---- the dataset and the query counts (in-process Django) ----------------------------------


@dataclass
class ClinicUsers:
    clinic_id: int
    owner: str
    therapists: list[tuple[str, int]]  # username, membership id
    patients: list[int]


def setup_django(database_url: str) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ptclinic.settings")
    os.environ["STATIC_MANIFEST"] = "false"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
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


def query_counts(users: list[ClinicUsers]) -> dict[str, int]:
    """SQL queries per request of each endpoint, through Django's test client (in-process)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client

    from claims.models import Claim

    User = get_user_model()
    clinic = users[0]
    owner = Client(SERVER_NAME="localhost")
    owner.force_login(User.objects.get(username=clinic.owner))
    pt_name, pt_membership = clinic.therapists[0]
    therapist = Client(SERVER_NAME="localhost")
    therapist.force_login(User.objects.get(username=pt_name))
    claim = Claim.objects.filter(clinic_id=clinic.clinic_id).open().first()
    suggest = _suggest_form(pt_membership, clinic.patients[0], "")
    htmx: dict[str, Any] = {"HTTP_HX_REQUEST": "true"}  # Any: the test client's **extra
    probes: dict[str, Callable[[], Any]] = {
        "GET /healthz/": lambda: Client(SERVER_NAME="localhost").get("/healthz/"),
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


class Browser:
    """One user's keep-alive HTTP connection and cookies. Cookies are kept by name from every
    Set-Cookie, whatever their Secure flag (see the module docstring)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(
        self,
        method: str,
        path: str,
        form: dict[str, Any] | list[tuple[str, Any]] | None = None,
        htmx: bool = False,
        anonymous: bool = False,
    ) -> tuple[int, bytes]:
        headers = {"Host": f"{HOST}:{self.port}", "Accept": "text/html"}
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
                self.conn.request(method, path, body=body, headers=headers)
                response = self.conn.getresponse()
                data = response.read()
                break
            except (ConnectionError, http.client.HTTPException, OSError):
                # A sync worker closes the connection after each response; reconnect once.
                self.conn.close()
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
        if response.getheader("Connection", "").lower() == "close":
            self.conn.close()
        return response.status, data

    def login(self, username: str) -> None:
        self.request("GET", "/accounts/login/")
        status, _ = self.request(
            "POST",
            "/accounts/login/",
            {
                "username": username,
                "password": PASSWORD,
                "csrfmiddlewaretoken": self.cookies.get("csrftoken", ""),
            },
        )
        if status != 302 or "sessionid" not in self.cookies:
            raise LoginFailed(f"{username}: login answered {status}")


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

    def record(self, name: str, ms: float, ok: bool, detail: str = "") -> None:
        self.samples.setdefault(name, []).append(ms)
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


class User:
    """A logged-in virtual user; `step()` runs one iteration of its role's work."""

    username: str  # set by each role

    def __init__(self, port: int, rng: random.Random, stats: Stats) -> None:
        self.browser = Browser(port)
        self.rng = rng
        self.stats = stats

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
            self.stats.record(name, (time.perf_counter() - started) * 1000, False, repr(exc))
            return b""
        ms = (time.perf_counter() - started) * 1000
        self.stats.record(name, ms, status == expect, f"{status} on {method} {path}")
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
        self, port: int, rng: random.Random, stats: Stats, clinic: ClinicUsers, n: int
    ) -> None:
        super().__init__(port, rng, stats)
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
    def __init__(self, port: int, rng: random.Random, stats: Stats, clinic: ClinicUsers) -> None:
        super().__init__(port, rng, stats)
        self.username = clinic.owner
        self.therapist_ids = [m for _, m in clinic.therapists]
        self.claims: list[int] = []

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
        self.queue("")
        self.claim()
        for view in self.rng.sample(QUEUE_VIEWS, 2):
            self.queue(view)
            self.claim()
        self.search()
        self.health()


# ---- running it ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def start_server(args: argparse.Namespace, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": args.database_url,
        "DJANGO_SETTINGS_MODULE": "ptclinic.settings",
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "SECURE_SSL_REDIRECT": "0",  # no TLS proxy in front; every other production setting
        "STATIC_MANIFEST": "false",  # no collectstatic needed: static files are not requested
        "LOG_LEVEL": "WARNING",
    }
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
    server = subprocess.Popen(command, cwd=ROOT, env=env)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection(HOST, port, timeout=2)
            conn.request("GET", "/healthz/", headers={"Host": f"{HOST}:{port}"})
            if conn.getresponse().status == 200:
                return server
        except OSError:
            time.sleep(0.2)
    server.terminate()
    sys.exit(f"gunicorn did not answer on port {port}: see {log}")


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--workers", type=int, default=4, help="gunicorn sync workers")
    parser.add_argument("--clients", type=int, default=4, help="concurrent virtual users")
    parser.add_argument("--owners", type=int, default=1, help="of the clients, owners")
    parser.add_argument("--warmup", type=float, default=10, help="seconds, not recorded")
    parser.add_argument("--duration", type=float, default=60, help="seconds of the mixed phase")
    parser.add_argument("--isolated", type=float, default=15, help="seconds per isolated phase")
    parser.add_argument("--max-requests", type=int, default=200_000, help="per phase")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    if not args.database_url.startswith(("postgres://", "postgresql://")):
        sys.exit("The load test is for PostgreSQL: give --database-url postgres://…")
    host = urllib.parse.urlsplit(args.database_url).hostname
    if host not in (HOST, "localhost"):
        sys.exit("The load test only talks to 127.0.0.1.")

    load_before = os.getloadavg()
    setup_django(args.database_url)
    facts, clinics = dataset()
    print(
        f"Dataset: {facts['clinics']} clinics, {facts['patients']:,} patients, "
        f"{facts['sessions']:,} sessions, {facts['claims']:,} claims, "
        f"{facts['claim_lines']:,} claim lines ({facts['open_claims']:,} open)"
    )
    queries = query_counts(clinics)
    from django.db import connections

    connections.close_all()

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    port = free_port()
    server = start_server(args, port, RESULTS / f"loadtest-{stamp}-gunicorn.log")
    rng = random.Random(args.seed)
    try:
        # N therapists and N owners, each of another clinic where there are enough, each
        # logged in once with its own connection: the mixed phase takes `owners` of the owners
        # and the rest from the therapists; each isolated phase takes N of the right role.
        therapists = [
            Therapist(port, random.Random(rng.random()), Stats(), clinics[n % len(clinics)], n)
            for n in range(args.clients)
        ]
        owners = [
            Owner(port, random.Random(rng.random()), Stats(), clinics[n % len(clinics)])
            for n in range(args.clients)
        ]
        for user in [*therapists, *owners]:
            user.browser.login(user.username)
        print(f"gunicorn: {args.workers} sync workers on {HOST}:{port}; {args.clients} clients")
        users: list[User] = [*owners[: args.owners], *therapists[: args.clients - args.owners]]

        def mixed(user: User) -> None:
            user.step()

        run_phase(users, mixed, args.warmup, args.max_requests)
        mixed_stats, mixed_seconds = run_phase(users, mixed, args.duration, args.max_requests)

        for owner in owners:
            owner.queue("")  # the claim ids it opens
        alone: dict[str, tuple[Callable[[Any], None], list[User]]] = {
            "GET /healthz/": (lambda u: u.health(), [*therapists]),
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
            isolated[name] = summarise(stats, seconds)[name]
    finally:
        server.terminate()
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()

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
        "server": f"gunicorn ptclinic.wsgi, {args.workers} sync workers, DEBUG off",
        "clients": args.clients,
        "owners": args.owners,
        "durations_s": {"warmup": args.warmup, "mixed": args.duration, "isolated": args.isolated},
        "dataset": facts,
        "queries_per_request": queries,
        "mixed": mixed_rows,
        "mixed_seconds": mixed_seconds,
        "isolated": isolated,
        "first_errors": mixed_stats.first_error,
    }
    out = RESULTS / f"loadtest-{stamp}.json"
    out.write_text(json.dumps(report, indent=2))
    print_tables(report)
    print(f"\nWritten to {out.relative_to(ROOT)}")


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


if __name__ == "__main__":
    main()
