"""Plain factories (`make_*`) and the fixtures most tests share."""

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from coding.services import icd10_load, reference_load
from ptclinic.models import Clinic, Membership, Role

User = get_user_model()
PASSWORD = "correct-horse-battery"
_seq = count(1)


def make_clinic(**fields: Any) -> Clinic:
    fields.setdefault("name", f"Clinic {next(_seq)}")
    return Clinic.objects.create(**fields)


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
    Membership.objects.create(user=user, clinic=clinic, role=role, **fields)
    return user


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
)


def load_reference_data() -> None:
    reference_load()
    icd10_load(only=TEST_ICD10)
    register_icd10_release_for_today()


def register_icd10_release_for_today() -> None:
    """The shipped ICD-10-CM set is FY2026; the tests' dates of service are around today. The
    test codes above are billable in both years, so the test database also records the current
    fiscal year as loaded; tests of the "not loaded" state delete this row."""
    import datetime as dt

    from django.utils import timezone

    from coding.models import Icd10Release, icd10_fiscal_year

    year = icd10_fiscal_year(timezone.localdate())
    Icd10Release.objects.get_or_create(
        fiscal_year=year,
        defaults={
            "valid_from": dt.date(year - 1, 10, 1),
            "valid_through": dt.date(year, 9, 30),
            "source": "tests: the test codes, billable in this fiscal year too",
        },
    )


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
def clinic(db: None) -> Clinic:
    return make_clinic(name="Riverbend PT")


@pytest.fixture
def other_clinic(db: None) -> Clinic:
    return make_clinic(name="Elsewhere PT")


@pytest.fixture
def pt(clinic: Clinic) -> Any:
    return make_member(clinic, Role.THERAPIST, credential="PT", first_name="Pat", last_name="Tee")


@pytest.fixture
def pta(clinic: Clinic) -> Any:
    return make_member(clinic, Role.THERAPIST, credential="PTA", first_name="Ava", last_name="Ay")


@pytest.fixture
def owner(clinic: Clinic) -> Any:
    return make_member(clinic, Role.OWNER, first_name="Olive", last_name="Owner")


@pytest.fixture
def code_admin(clinic: Clinic) -> Any:
    return make_member(clinic, Role.ADMIN, first_name="Adam", last_name="Admin")


@pytest.fixture
def client_for() -> Callable[[Any], Client]:
    """A test client logged in as the given user."""

    def login(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

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
    return Patient.objects.create(
        clinic=clinic, primary_payer=Payer.objects.get(name=payer_name), **fields
    )


def membership(user: Any, clinic: Clinic) -> Membership:
    return Membership.objects.get(user=user, clinic=clinic, role=Role.THERAPIST)
