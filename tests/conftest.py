"""Plain factories (`make_*`) and the fixtures most tests share."""

from collections.abc import Callable
from itertools import count
from pathlib import Path
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from coding.services import icd10_load, reference_load
from ptclinic.models import Clinic, Membership, Role

User = get_user_model()
PASSWORD = "correct-horse-battery"
_seq = count(1)


# A clinic set up to send claims (billing-rules §11.1): the tests' claims carry everything an
# 837P needs unless a test takes it away.
BILLING_PROVIDER = {
    "legal_name": "Test Physical Therapy LLC",
    "npi": "1234567893",
    "tax_id": "123456789",
    "address_line1": "100 Main St",
    "city": "Sacramento",
    "state": "CA",
    "zip_code": "958141234",
    "phone": "9165550100",
}
TEST_CHARGE = "250.00"  # per unit, above every payer's fee: no charge-below-allowed warning


def make_clinic(*, charges: bool = True, **fields: Any) -> Clinic:
    """A clinic with billing-provider data and a charge master for every code (``charges``)."""
    import datetime as dt
    from decimal import Decimal

    from coding.models import BillingCode, ChargeMasterEntry

    fields.setdefault("name", f"Clinic {next(_seq)}")
    for name, value in BILLING_PROVIDER.items():
        fields.setdefault(name, value)
    clinic = Clinic.objects.create(**fields)
    if charges:
        ChargeMasterEntry.objects.bulk_create(
            ChargeMasterEntry(
                clinic=clinic,
                billing_code_id=code,
                effective=dt.date(2000, 1, 1),
                charge=Decimal(TEST_CHARGE),
            )
            for code in BillingCode.objects.values_list("code", flat=True)
        )
        from coding import refcache

        refcache.bump()
    return clinic


def make_user(**fields: Any) -> Any:
    fields.setdefault("username", f"user{next(_seq)}")
    user = User(**fields)
    user.set_password(PASSWORD)
    user.save()
    return user


def make_member(clinic: Clinic, role: str = Role.THERAPIST, **fields: Any) -> Any:
    """A user with one membership; therapists default to PT."""
    user = fields.pop("user", None) or make_user(
        first_name=fields.pop("first_name", "Test"), last_name=fields.pop("last_name", role)
    )
    if role == Role.THERAPIST:
        fields.setdefault("credential", "PT")
        fields.setdefault("npi", _npis[next(_seq) % len(_npis)])
    Membership.objects.create(user=user, clinic=clinic, role=role, **fields)
    return user


# Valid NPIs (Luhn check digit with the 80840 prefix) for the tests' clinicians.
_npis = ("1245319599", "1679576722", "1043768450", "1588667638", "1952456063", "1051546186")


# The ICD-10-CM part the tests use (with ancestors and descendants): loading all 98,000 codes
# per test would be slow. The full set is exercised by `make setup` and bench/.
TEST_ICD10 = (
    "M54.5",
    "M25.56",
    "S83.51",
    "I69.35",
    "Z96.64",
    "M75.0",
    "Z79.89",
    "S72.00",
    "S46.01",
    "M17.1",
    "R26.8",
    "G20",
    "M62.81",
    "Z47.1",
    "S93.4",
    "M79.6",
    "M75.1",
    "M25.51",
    "R26.2",
    "R29.6",
    "Z74.0",
    # The words a clinic uses (coding/icd10_synonyms.py) and a code that changed between the
    # shipped sets (G35: billable in FY2025, a header with G35.A–G35.D from FY2026).
    "G35",
    "I63.9",
    "M54.2",
    "M54.3",
    "M72.2",
    "Z96.65",
    "Z47.1",
    "G56.0",
    "Z91.81",
)


def load_reference_data() -> None:
    reference_load()
    icd10_load(only=TEST_ICD10)
    register_icd10_release_for_today()
    from coding.models import Payer

    for payer in Payer.objects.filter(payer_id=""):  # each a clearinghouse id of its own
        payer.payer_id = f"TP{payer.pk:04d}"
        payer.save(update_fields=["payer_id"])


def register_icd10_release_for_today() -> None:
    """The shipped ICD-10-CM sets are FY2025 and FY2026; the tests' dates of service are around
    today. The test codes above are billable in the current fiscal year too, so the test
    database also records it as loaded, as the latest set unchanged: each code billable on the
    last day of the latest loaded set stays billable to the end of this fiscal year. Tests of
    the "not loaded" state delete this row. Idempotent; call it again after loading codes."""
    import datetime as dt

    from django.utils import timezone

    from coding.models import Icd10Code, Icd10Release, icd10_fiscal_year

    year = icd10_fiscal_year(timezone.localdate())
    start, end = dt.date(year - 1, 10, 1), dt.date(year, 9, 30)
    Icd10Release.objects.get_or_create(
        fiscal_year=year,
        defaults={
            "valid_from": start,
            "valid_through": end,
            "source": "tests: the test codes, billable in this fiscal year too",
        },
    )
    before = (
        Icd10Release.objects.filter(valid_through__lt=start)
        .order_by("-valid_through")
        .values_list("valid_through", flat=True)
        .first()
    )
    if before is not None:
        Icd10Code.objects.filter(last_valid=before).update(last_valid=end)


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Reference data is loaded once into the test database. Tests run in transactions that
    roll back, so it stays; browser tests (transactional, run last) load their own."""
    with django_db_blocker.unblock():
        load_reference_data()


@pytest.fixture
def reference(db: None) -> None:
    """Marks a test that uses the shipped code tables, payers, fees and the ICD-10-CM slice
    (loaded once per run by `django_db_setup`)."""


@pytest.fixture
def committed_reference(transactional_db: None) -> None:
    """The shipped code tables in a transactional test (one that another process reads, as a
    worker does): a transactional test empties the tables when it ends, so each loads them."""
    load_reference_data()


@pytest.fixture
def clinic(db: None) -> Clinic:
    return make_clinic(name="Riverbend PT")


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    return make_clinic(name="Elsewhere PT")


@pytest.fixture
def pt(clinic: Clinic) -> Any:
    return make_member(clinic, Role.THERAPIST, credential="PT", first_name="Pat", last_name="Tee")


@pytest.fixture
def pta(clinic: Clinic, pt: Any) -> Any:
    """A PT assistant supervised by `pt` (whose NPI the assistant's claims carry)."""
    return make_member(
        clinic,
        Role.THERAPIST,
        credential="PTA",
        first_name="Ava",
        last_name="Ay",
        supervisor=Membership.objects.get(user=pt, clinic=clinic),
    )


@pytest.fixture
def owner(clinic: Clinic) -> Any:
    return make_member(clinic, Role.OWNER, first_name="Olive", last_name="Owner")


@pytest.fixture
def code_admin(clinic: Clinic) -> Any:
    """The platform admin (Django staff: the shared code tables), also the clinic's admin."""
    user = make_user(first_name="Adam", last_name="Admin", is_staff=True)
    return make_member(clinic, Role.ADMIN, user=user)


@pytest.fixture
def clinic_admin(clinic: Clinic) -> Any:
    """The clinic's admin only: its settings, charges, own payers and users, not shared tables."""
    return make_member(clinic, Role.ADMIN, first_name="Cleo", last_name="Clinicadmin")


def sign_in(client: Client, user: Any) -> Client:
    """Log `client` in as `user` with both factors given, as after the code page: the user
    gets an authenticator (ptclinic/two_factor.py) if they have none, and the session is marked
    verified with it. Tests of the second step itself log in without this."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from ptclinic.two_factor import authenticator

    client.force_login(user)
    device = authenticator(user)
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="Test phone", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    """A test client logged in (both factors) as the given user."""

    def login(user: Any) -> Client:
        return sign_in(Client(), user)

    return login


def make_patient(clinic: Clinic, payer_name: str = "Medicare Part B", **fields: Any) -> Any:
    """A patient on the named payer (needs the `reference` fixture for payers)."""
    import datetime as dt

    from claims.models import Patient
    from coding.models import Payer

    n = next(_seq)
    fields.setdefault("first_name", "Pat")
    fields.setdefault("last_name", f"Ient{n}")
    fields.setdefault("date_of_birth", dt.date(1950, 1, 1))
    fields.setdefault("mrn", f"MRN{n:05d}")
    fields.setdefault("member_id", f"1EG4TE5MK{n % 100:02d}")
    fields.setdefault("sex", "F")
    fields.setdefault("address_line1", "12 Oak Ave")
    fields.setdefault("city", "Sacramento")
    fields.setdefault("state", "CA")
    fields.setdefault("zip_code", "95814")
    return Patient.objects.create(
        clinic=clinic, primary_payer=Payer.objects.get(name=payer_name), **fields
    )


def make_payer(
    name: str | None = None, kind: str = "commercial", *, effective: Any = None, **rules: Any
) -> Any:
    """A payer with its first dated rules (`coding.PayerRule`, from `effective`, 2000-01-01 by
    default): the AMA method, a plan of care needed and nothing else unless ``rules`` say so."""
    import datetime as dt

    from coding.models import Payer, PayerRule

    payer = Payer.objects.create(name=name or f"Test payer {next(_seq)}", kind=kind)
    rules.setdefault("unit_method", "ama")
    PayerRule.objects.create(payer=payer, effective=effective or dt.date(2000, 1, 1), **rules)
    return payer


def make_remittance(clinic: Clinic, owner: Any, claim: Any) -> tuple[Any, Any]:
    """A posted 835 paying the sent ``claim``, with one more payment no claim matches (the
    worklist's): (the file, that payment)."""
    import dataclasses
    import datetime as dt

    from claims.models import ClaimPayment
    from claims.remittance.answers import claim_answer, payment_of
    from claims.remittance.sample import write_835
    from claims.remittance.services import remittance_post

    stranger = dataclasses.replace(
        claim_answer(claim, payer_claim_number="999"), control_number=f"NOBODY{claim.pk}"
    )
    payment = payment_of(
        clinic,
        claim.payer,
        [claim_answer(claim), stranger],
        trace_number=f"T{claim.pk}",
        paid_on=dt.date(2026, 11, 2),
    )
    upload = remittance_post(
        clinic=clinic, user=owner, content=write_835(payment).encode(), filename="era.835"
    )
    return upload, ClaimPayment.objects.get(control_number=f"NOBODY{claim.pk}")


def membership(user: Any, clinic: Clinic) -> Membership:
    return Membership.objects.get(user=user, clinic=clinic, role=Role.THERAPIST)


def shared_path(*parts: str) -> Path:
    """A file of the workplace's shared CMS figures or fixtures (``../shared`` beside the
    repository, or ``PTCLINIC_SHARED_DIR``): read by tests, never copied into the repository.
    Where the folder is not on this machine the test is skipped, saying why."""
    import os

    from django.conf import settings

    roots = [
        os.environ.get("PTCLINIC_SHARED_DIR", ""),
        str(Path(settings.BASE_DIR).parent / "shared"),
    ]
    for root in roots:
        if root and (Path(root) / parts[0]).is_dir():
            return Path(root).joinpath(*parts)
    pytest.skip(f"the shared folder ({'/'.join(parts)}) is not on this machine")


class SharedFile:
    """A shared file named at import time and looked up when a test reads it (`shared_path`):
    any Path method or attribute works on it."""

    def __init__(self, *parts: str) -> None:
        self.parts = parts

    def __fspath__(self) -> str:
        return str(shared_path(*self.parts))

    def __getattr__(self, name: str) -> Any:
        return getattr(shared_path(*self.parts), name)


def pytest_runtest_setup(item: Any) -> None:
    """`@pytest.mark.postgres(reason=…)`: a test of what only PostgreSQL has (a trigger, the job
    queue's tables, a worker or a server of its own against the database) is skipped on SQLite,
    with its reason; every other test runs on both."""
    marker = item.get_closest_marker("postgres")
    if marker is None:
        return
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip(f"needs PostgreSQL: {marker.kwargs.get('reason', 'PostgreSQL only')}")


def pytest_sessionfinish(session: Any, exitstatus: int) -> None:
    """Remove this run's folder of generated files (tests/settings.py MEDIA_ROOT)."""
    import shutil

    from django.conf import settings

    media = Path(str(getattr(settings, "MEDIA_ROOT", "")))
    if media.name.startswith("ptclinic-test-media-"):
        shutil.rmtree(media, ignore_errors=True)
