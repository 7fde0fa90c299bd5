"""Plain factories (`make_*`) and the fixtures most tests share."""

from collections.abc import Callable
from itertools import count
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

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
