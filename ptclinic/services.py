"""Writes for clinics, users and memberships."""

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from ptclinic.models import Clinic, Membership

User = get_user_model()


@transaction.atomic
def clinic_get_or_create(*, name: str, npi: str = "") -> Clinic:
    clinic, created = Clinic.objects.get_or_create(name=name, defaults={"npi": npi})
    if created:
        clinic.full_clean()
    return clinic


@transaction.atomic
def user_ensure(
    *, username: str, password: str, first_name: str = "", last_name: str = "", email: str = ""
) -> AbstractBaseUser:
    """Create the user, or reset an existing one's names and password to the given ones."""
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_ensure(
    *, user: AbstractBaseUser, clinic: Clinic, role: str, credential: str = "", npi: str = ""
) -> Membership:
    membership = Membership.objects.filter(user=user, clinic=clinic, role=role).first()
    if membership is None:
        membership = Membership(user=user, clinic=clinic, role=role)
    membership.credential, membership.npi, membership.active = credential, npi, True
    membership.full_clean()
    membership.save()
    return membership
