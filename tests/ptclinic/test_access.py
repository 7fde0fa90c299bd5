"""Every URL needs a login, and roles and clinics limit what a user sees."""

from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.exceptions import NoReverseMatch

from ptclinic.models import Clinic, Role
from tests.conftest import make_clinic, make_member, make_remittance

# URLs anyone may open: the login page itself and the load balancer's health check.
PUBLIC = {"login", "healthz", "readyz", "favicon"}

# A sample value for each kind of URL argument, by name first, then by converter.
SAMPLE_KWARGS = {
    "app_label": "ptclinic",
    "object_id": "1",
    "content_type_id": "1",
    "code": "97110",
    "action": "correct",
}
SAMPLE_BY_CONVERTER = {
    "IntConverter": 1,
    "StringConverter": "x",
    "SlugConverter": "x",
    "PathConverter": "x",
    "UUIDConverter": "0" * 32,
}


def _walk(patterns: list[Any], namespace: str = "") -> list[tuple[str, Any]]:
    found = []
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            found += _walk(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            found.append((namespace + p.name, p))
    return found


def _url_for(name: str, pattern: URLPattern) -> str:
    converters = getattr(pattern.pattern, "converters", {})
    kwargs: dict[str, Any] = {}
    for arg in pattern.pattern.regex.groupindex:
        if arg in SAMPLE_KWARGS:
            kwargs[arg] = SAMPLE_KWARGS[arg]
        else:
            kwargs[arg] = SAMPLE_BY_CONVERTER[type(converters[arg]).__name__]
    regex = pattern.pattern.regex
    positional = regex.groups - len(regex.groupindex)
    try:
        if positional and not kwargs:
            return reverse(name, args=["1"] * positional)  # e.g. simple-history's admin URLs
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        pytest.fail(f"Add a sample argument for the URL pattern {name!r} in SAMPLE_KWARGS")


ALL_URLS = [(name, _url_for(name, p)) for name, p in _walk(get_resolver().url_patterns)]


def test_the_url_walk_finds_the_app_and_admin_urls() -> None:
    names = {name for name, _ in ALL_URLS}
    assert {"home", "login", "admin:index"} <= names


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "url"), [u for u in ALL_URLS if u[0] not in PUBLIC])
def test_an_anonymous_request_is_sent_to_login(client: Client, name: str, url: str) -> None:
    response = client.get(url)
    assert response.status_code == 302, f"{name} ({url}) answered {response.status_code}"
    location = response["Location"]
    if location.startswith(reverse("admin:login")):
        # The admin's own login page sends people on to the app's login page.
        location = client.get(location)["Location"]
    assert location.startswith(reverse(settings.LOGIN_URL)), f"{name} ({url}) → {location}"


@pytest.mark.django_db
def test_the_login_page_is_public(client: Client) -> None:
    assert client.get(reverse("login")).status_code == 200


@pytest.mark.django_db
def test_the_health_check_answers_anonymously_without_a_query(
    client: Client, django_assert_num_queries: Any
) -> None:
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))
    assert response.status_code == 200
    assert response.content == b"ok"
    assert response["Content-Type"] == "text/plain"
    assert not response.cookies  # no session is started for it


@pytest.mark.django_db
def test_the_health_check_only_answers_get(client: Client) -> None:
    assert client.post(reverse("healthz")).status_code == 405


def test_home_shows_each_role_its_own_panel(client_for: Any, pt: Any, owner: Any) -> None:
    page = client_for(pt).get(reverse("home")).content.decode()
    assert 'data-testid="therapist-home"' in page
    assert 'data-testid="owner-home"' not in page
    page = client_for(owner).get(reverse("home")).content.decode()
    assert 'data-testid="owner-home"' in page
    assert 'data-testid="therapist-home"' not in page


def test_the_admin_is_for_the_admin_role_only(
    client_for: Any, pt: Any, owner: Any, code_admin: Any
) -> None:
    # Signed in without the role: a 403 page (a redirect to the login page looped back here).
    for user in (pt, owner):
        response = client_for(user).get(reverse("admin:index"))
        assert response.status_code == 403
        assert "admin role" in response.content.decode() or "access" in response.content.decode()
        changelist = client_for(user).get(reverse("admin:coding_billingcode_changelist"))
        assert changelist.status_code == 403
    assert client_for(code_admin).get(reverse("admin:index")).status_code == 200


def test_the_navbar_offers_the_admin_only_to_admins(
    client_for: Any, pt: Any, code_admin: Any
) -> None:
    admin_url = reverse("admin:index")
    assert f'href="{admin_url}"' not in client_for(pt).get(reverse("home")).content.decode()
    assert f'href="{admin_url}"' in client_for(code_admin).get(reverse("home")).content.decode()


def test_a_user_in_two_clinics_switches_the_active_one(client_for: Any, clinic: Clinic) -> None:
    second = make_clinic(name="Second Street PT")
    user = make_member(clinic, Role.OWNER)
    make_member(second, Role.THERAPIST, user=user, credential="PTA")
    c = client_for(user)
    page = c.get(reverse("home")).content.decode()
    assert 'data-testid="owner-home"' in page  # "Riverbend PT" sorts before "Second Street PT"

    response = c.post(reverse("clinic-switch"), {"clinic": second.pk, "next": "/"})
    assert response.status_code == 302
    page = c.get(reverse("home")).content.decode()
    assert 'data-testid="therapist-home"' in page
    assert 'data-testid="owner-home"' not in page


def test_switching_to_a_clinic_you_do_not_belong_to_is_refused(
    client_for: Any, pt: Any, other_clinic: Clinic
) -> None:
    c = client_for(pt)
    response = c.post(reverse("clinic-switch"), {"clinic": other_clinic.pk})
    assert response.status_code == 400
    assert c.session["active_clinic_id"] != other_clinic.pk


def test_a_user_without_a_clinic_is_told_so(client_for: Any, db: None) -> None:
    from tests.conftest import make_user

    page = client_for(make_user()).get(reverse("home")).content.decode()
    assert "not a member of any clinic" in page


# ---- nothing leaks across clinics -----------------------------------------------------------

# URL arguments that name one clinic's records; every other argument is shared reference data.
CLINIC_RECORDS = {
    "patient_id",
    "plan_id",
    "session_id",
    "claim_id",
    "flag_id",
    "line_id",
    "authorization_id",
    "batch_id",
    "file_id",
    "remittance_id",
    "payment_id",
    "job_id",
}


@pytest.fixture
def clinic_a_records(reference: None, clinic: Clinic) -> dict[str, int]:
    """A patient with a plan, an authorization, a session and a claim with a line and a flag,
    in `clinic`."""
    import datetime as dt

    from claims.models import ClaimFlag, PlanOfCare
    from claims.patient_services import authorization_create
    from claims.services import claim_approve
    from claims.submission.services import batch_create
    from tests.claims.test_review import make_claim

    therapist = make_member(clinic, Role.THERAPIST)
    claim = make_claim(clinic, therapist, necessity="")
    plan = PlanOfCare.objects.filter(patient=claim.patient).first()
    assert plan is not None
    flag = ClaimFlag.objects.filter(claim=claim).first()
    assert flag is not None
    authorization = authorization_create(
        patient=claim.patient,
        payer=claim.payer,
        number="A-1",
        start_date=dt.date(2026, 1, 1),
        end_date=dt.date(2026, 12, 31),
    )
    owner = make_member(clinic, Role.OWNER)
    sent = make_claim(clinic, therapist)
    sent = claim_approve(claim=sent, user=owner, version=sent.version)
    Clinic.objects.filter(pk=clinic.pk).update(receiver_id="CH1", receiver_name="Clearinghouse")
    batch = batch_create(clinic=Clinic.objects.get(pk=clinic.pk), user=owner, claim_ids=[sent.pk])
    sent.refresh_from_db()
    remittance, unmatched = make_remittance(clinic, owner, sent)
    from claims.jobs import rescrub_start

    job = rescrub_start(user=owner, clinic=clinic)
    return {
        "job_id": job.pk,
        "remittance_id": remittance.pk,
        "payment_id": unmatched.pk,
        "batch_id": batch.pk,
        "file_id": batch.files.get().pk,
        "authorization_id": authorization.pk,
        "patient_id": claim.patient_id,
        "plan_id": plan.pk,
        "session_id": claim.sessions.get().pk,
        "claim_id": claim.pk,
        "flag_id": flag.pk,
        "line_id": claim.lines.first().pk,  # type: ignore[union-attr]  # the claim has lines
    }


def _record_urls(records: dict[str, int]) -> list[tuple[str, str]]:
    urls = []
    for name, pattern in _walk(get_resolver().url_patterns):
        args = set(pattern.pattern.regex.groupindex)
        if args and args <= CLINIC_RECORDS | set(SAMPLE_KWARGS) and args & CLINIC_RECORDS:
            kwargs = {a: records[a] if a in records else SAMPLE_KWARGS[a] for a in args}
            urls.append((name, reverse(name, kwargs=kwargs)))
    return urls


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.OWNER, Role.ADMIN])
def test_another_clinics_records_are_not_found_by_any_role(
    client_for: Any, clinic_a_records: dict[str, int], role: str
) -> None:
    from claims.models import Claim, ClaimFlag, Patient

    outsider = make_member(make_clinic(name="Across Town PT"), role)
    client = client_for(outsider)
    urls = _record_urls(clinic_a_records)
    assert len(urls) >= 10, urls  # the walk found the record pages
    before = (
        list(Claim.objects.values_list("status", "version", "open_errors")),
        list(ClaimFlag.objects.values_list("status", flat=True)),
        list(Patient.objects.values_list("last_name", "mrn")),
    )
    for name, url in urls:
        for method in (client.get, client.post):
            response = method(url, {"note": "x", "comment": "x", "units": "1", "reason": "x"})
            assert response.status_code in (403, 404, 405), (
                f"{role} of another clinic got {response.status_code} from {name} ({url})"
            )
    after = (
        list(Claim.objects.values_list("status", "version", "open_errors")),
        list(ClaimFlag.objects.values_list("status", flat=True)),
        list(Patient.objects.values_list("last_name", "mrn")),
    )
    assert after == before


@pytest.mark.parametrize("role", [Role.THERAPIST, Role.OWNER, Role.ADMIN])
def test_every_page_answers_each_role_without_a_server_error(
    client_for: Any, clinic: Clinic, clinic_a_records: dict[str, int], role: str
) -> None:
    insider = make_member(clinic, role)
    client = client_for(insider)
    for name, url in ALL_URLS + _record_urls(clinic_a_records):
        if name.startswith("admin:") or name in {"logout"}:
            continue
        response = client.get(url)
        assert response.status_code < 500, f"{role}: {name} ({url}) → {response.status_code}"


# The jobs pages: what each role gets (GET, and POST for the re-scrub action).
JOBS_STATUS = {
    # url name, method: therapist, owner, clinic admin, platform admin
    ("jobs", "get"): (403, 200, 200, 200),
    ("job-detail", "get"): (403, 200, 200, 200),
    ("job-detail", "post"): (405, 405, 405, 405),
    ("jobs-rescrub", "get"): (403, 405, 403, 403),
    ("jobs-rescrub", "post"): (403, 302, 403, 403),
}


@pytest.mark.parametrize(("name", "method"), list(JOBS_STATUS))
def test_the_jobs_pages_answer_each_role_as_expected(
    client_for: Any,
    clinic: Clinic,
    clinic_a_records: dict[str, int],
    pt: Any,
    owner: Any,
    clinic_admin: Any,
    code_admin: Any,
    name: str,
    method: str,
) -> None:
    kwargs = {"job_id": clinic_a_records["job_id"]} if name == "job-detail" else {}
    url = reverse(name, kwargs=kwargs)
    users = (pt, owner, clinic_admin, code_admin)
    got = tuple(getattr(client_for(user), method)(url).status_code for user in users)
    assert got == JOBS_STATUS[name, method], f"{method.upper()} {url}"


@pytest.mark.django_db
def test_the_health_check_is_not_redirected_to_https(client: Client, settings: Any) -> None:
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("healthz")).status_code == 200
    assert client.get(reverse("login")).status_code == 301


@pytest.mark.parametrize("lookup", ["code__regex", "description__iregex"])
def test_a_regular_expression_filter_in_the_admin_is_a_400_not_a_500(
    client_for: Any, code_admin: Any, lookup: str
) -> None:
    url = reverse("admin:coding_billingcode_changelist")
    assert client_for(code_admin).get(url, {lookup: "("}).status_code == 400
