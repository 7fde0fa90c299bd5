"""axe-core finds no serious or critical accessibility violation on any page a demo user can open.

Each demo user logs in in a browser context of its own and opens every page of the URL walk in
tests/ptclinic/test_access.py, with the demo clinic's own records in the URL arguments (a
patient, a session, a claim under review and a paid one, a batch, a remittance, a payment in the
worklist...), and the platform admin also opens the admin's pages that take no argument. A URL
that does not answer that user with a whole HTML page (403, a redirect, a POST-only action, an
htmx partial, a PDF or a claim file) is not a page of that user and is passed over.

axe-core is vendored in static/vendor/axe-core/ for these tests only. The page loads it from
this site's static files with a <script src>, which the Content-Security-Policy's script-src
'self' allows, so the pages are checked under their real policy (an inline script tag, as
add_script_tag(path=...) writes, would be refused for want of the nonce).
"""

import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.contrib import admin
from django.urls import reverse
from playwright.sync_api import Browser, BrowserContext, Page

from ptclinic.demo import DEMO_PASSWORD
from tests.e2e.conftest import login
from tests.ptclinic.test_access import ALL_URLS, _record_urls

pytestmark = pytest.mark.e2e

AXE_URL = "/static/vendor/axe-core/axe.min.js"
BLOCKING = ("serious", "critical")

# The demo users (ptclinic/demo.py), one for each role and credential.
USERS = {
    "demo-pt": "therapist (PT)",
    "demo-pta": "therapist (PTA)",
    "demo-owner": "owner",
    "demo-clinic-admin": "clinic admin",
    "demo-admin": "platform admin",
}

# Only the violations, and only what the failure message needs of them.
RUN_AXE = """async (impacts) => {
    const result = await axe.run(document, {resultTypes: ["violations"]});
    return result.violations
        .filter((v) => impacts.includes(v.impact))
        .map((v) => ({
            id: v.id,
            impact: v.impact,
            help: v.help,
            targets: v.nodes.slice(0, 3).map((n) => {
                const data = (n.any[0] || {}).data || {};
                const contrast = data.contrastRatio
                    ? ` (${data.contrastRatio}:1, ${data.fgColor} on ${data.bgColor})`
                    : "";
                return n.target.join(" ") + contrast;
            }),
            count: v.nodes.length,
        }));
}"""


def _demo_records() -> dict[str, int]:
    """The demo clinic's records to put in the URLs, as test_access's clinic_a_records does."""
    from django.contrib.auth import get_user_model

    from claims.jobs import rescrub_start
    from claims.models import (
        Authorization,
        BatchFile,
        Claim,
        ClaimBatch,
        ClaimFlag,
        ClaimPayment,
        ClaimStatus,
        Remittance,
    )
    from ptclinic.demo import DEMO_CLINIC
    from ptclinic.models import Clinic

    clinic = Clinic.objects.get(name=DEMO_CLINIC)
    flag = ClaimFlag.objects.filter(
        claim__clinic=clinic, claim__status=ClaimStatus.NEEDS_REVIEW
    ).first()
    assert flag is not None, "the demo has a claim under review with a flag"
    claim = flag.claim
    line = claim.lines.first()
    assert line is not None
    session = claim.sessions.first()
    assert session is not None
    authorization = Authorization.objects.filter(patient__clinic=clinic).first()
    assert authorization is not None
    plan = authorization.patient.plans.first() or claim.patient.plans.first()
    assert plan is not None
    payment = ClaimPayment.objects.filter(clinic=clinic, claim__isnull=True).first()
    payment = payment or ClaimPayment.objects.filter(clinic=clinic).first()
    assert payment is not None
    owner = get_user_model().objects.get(username="demo-owner")
    job = rescrub_start(user=owner, clinic=clinic)  # the jobs list and this job's page
    return {
        "job_id": job.pk,
        "patient_id": authorization.patient_id,
        "plan_id": plan.pk,
        "authorization_id": authorization.pk,
        "session_id": session.pk,
        "claim_id": claim.pk,
        "flag_id": flag.pk,
        "line_id": line.pk,
        "batch_id": ClaimBatch.objects.filter(clinic=clinic).values_list("pk", flat=True)[0],
        "file_id": BatchFile.objects.filter(batch__clinic=clinic).values_list("pk", flat=True)[0],
        "remittance_id": Remittance.objects.filter(clinic=clinic).values_list("pk", flat=True)[0],
        "payment_id": payment.pk,
        "paid_claim_id": Claim.objects.filter(clinic=clinic, status=ClaimStatus.PAID)
        .values_list("pk", flat=True)
        .first()
        or claim.pk,
    }


def _urls(records: dict[str, int]) -> list[tuple[str, str]]:
    urls = [(name, url) for name, url in ALL_URLS if name != "logout"]
    urls += _record_urls(records)
    paid = records["paid_claim_id"]
    urls += [
        ("claim-detail (paid)", reverse("claim-detail", kwargs={"claim_id": paid})),
        (
            "claim-lifecycle (paid)",
            reverse("claim-lifecycle", kwargs={"claim_id": paid, "action": "correct"}),
        ),
    ]
    # The admin's pages without an argument (its index, each model's list and add form), and
    # the change form of each model's first record.
    urls = [(name, url) for name, url in urls if not name.startswith("admin:") or "/1/" not in url]
    for model in admin.site._registry:
        first = model._default_manager.order_by("pk").values_list("pk", flat=True).first()
        if first is not None:
            meta = model._meta
            name = f"admin:{meta.app_label}_{meta.model_name}_change"
            urls.append((name, reverse(name, args=[first])))
    return urls


def _is_page(context: BrowserContext, url: str) -> bool:
    """Whether `url` answers this user with a whole HTML page of its own (no redirect)."""
    response = context.request.get(url, max_redirects=0)
    if response.status != 200 or "text/html" not in response.headers.get("content-type", ""):
        return False
    return "<html" in response.text()[:500].lower()


@pytest.fixture
def new_page(
    browser: Browser, browser_context_args: dict[str, Any]
) -> Iterator[Callable[[], Page]]:
    """A page in a browser context of its own (its own cookies: one logged-in user each)."""
    opened: list[BrowserContext] = []

    def new() -> Page:
        context = browser.new_context(**browser_context_args)
        opened.append(context)
        return context.new_page()

    yield new
    for context in opened:
        context.close()


def _scan(page: Page, base_url: str, url: str) -> list[dict[str, Any]]:
    page.goto(base_url + url)
    page.add_script_tag(url=AXE_URL)
    violations: list[dict[str, Any]] = page.evaluate(RUN_AXE, list(BLOCKING))
    return violations


def test_no_page_of_any_demo_user_has_a_serious_accessibility_violation(
    live_server: Any, demo: None, new_page: Callable[[], Page], shot: Any
) -> None:
    started = time.monotonic()
    urls = _urls(_demo_records())
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    scanned: dict[str, int] = {}

    page = new_page()
    login_url = reverse("login")
    found["anonymous"] = {}
    scanned["anonymous"] = 1
    if violations := _scan(page, live_server.url, login_url):
        found["anonymous"][f"login {login_url}"] = violations

    for username, role in USERS.items():
        page = new_page()
        login(page, live_server.url, username, DEMO_PASSWORD)
        page.wait_for_url(f"{live_server.url}/")  # logged in: the page requests below are theirs
        if username in ("demo-pt", "demo-owner"):
            shot(page, f"navbar-{username}", full_page=False)
        found[role] = {}
        scanned[role] = 0
        for name, url in urls:
            if name.startswith("admin:") and username != "demo-admin":
                continue
            if not _is_page(page.context, live_server.url + url):
                continue
            scanned[role] += 1
            if violations := _scan(page, live_server.url, url):
                found[role][f"{name} {url}"] = violations
    elapsed = time.monotonic() - started
    print(f"\naxe-core: {sum(scanned.values())} pages scanned in {elapsed:.0f} s: {scanned}")
    assert all(n >= 10 for n in list(scanned.values())[1:]), scanned  # each got past the login
    if any(found.values()):
        pytest.fail(_message(found), pytrace=False)


def test_the_jobs_pages_have_no_serious_accessibility_violation(
    live_server: Any, demo: None, new_page: Callable[[], Page]
) -> None:
    """The jobs list and a job's page in each state (the walk above sees a done one only), as
    the owner and the platform admin (who also sees the clinic column)."""
    from ptclinic.models import Job, JobStatus

    records = _demo_records()
    done = Job.objects.get(pk=records["job_id"])
    running = Job.objects.create(
        kind="rescrub_open", clinic=done.clinic, status=JobStatus.RUNNING, progress_total=900
    )
    failed = Job.objects.create(
        kind="rescrub_open",
        clinic=done.clinic,
        status=JobStatus.FAILED,
        attempts=3,
        error="ValueError: the payer's file has no ISA segment",
        message="Failed after 3 attempt(s): the payer's file has no ISA segment",
    )
    urls = [reverse("jobs")] + [reverse("job-detail", args=[j.pk]) for j in (done, running, failed)]
    found: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for username in ("demo-owner", "demo-admin"):
        page = new_page()
        login(page, live_server.url, username, DEMO_PASSWORD)
        found[username] = {}
        for url in urls:
            if violations := _scan(page, live_server.url, url):
                found[username][url] = violations
    if any(found.values()):
        pytest.fail(_message(found), pytrace=False)


def _message(found: dict[str, dict[str, list[dict[str, Any]]]]) -> str:
    lines = ["axe-core found serious or critical violations:"]
    by_rule: dict[str, int] = {}
    for role, pages in found.items():
        for page_name, violations in pages.items():
            for v in violations:
                by_rule[v["id"]] = by_rule.get(v["id"], 0) + 1
                targets = ", ".join(v["targets"])
                lines.append(
                    f"  {role}: {page_name}: {v['id']} ({v['impact']}, {v['count']} nodes): "
                    f"{v['help']} — {targets}"
                )
    summary = ", ".join(f"{rule} on {n} pages" for rule, n in sorted(by_rule.items()))
    return "\n".join([lines[0], "  " + summary, *lines[1:]])
