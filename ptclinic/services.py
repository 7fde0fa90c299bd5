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


@transaction.atomic
def clinic_update_settings(
    *, clinic: Clinic, name: str, npi: str, locality: str, qualifying_apm: bool
) -> Clinic:
    """Save the clinic's billing settings. ``locality`` is "MAC-locality" from the CMS GPCI
    file (e.g. "01112-05") or empty for national amounts (billing-rules §10.13)."""
    mac, _, number = locality.partition("-")
    clinic.name = name.strip()
    clinic.npi = npi.strip()
    clinic.medicare_mac, clinic.medicare_locality = mac, number
    clinic.qualifying_apm = qualifying_apm
    clinic.full_clean()
    clinic.save()
    return clinic
