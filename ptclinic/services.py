"""Writes for clinics, users and memberships."""

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction

from ptclinic.models import Clinic, Membership

if TYPE_CHECKING:
    # What get_user_model() returns under these settings, as a type for the annotations.
    from django.contrib.auth.models import User
else:
    User = get_user_model()


@transaction.atomic
def clinic_get_or_create(*, name: str, npi: str = "") -> Clinic:
    clinic, created = Clinic.objects.get_or_create(name=name, defaults={"npi": npi})
    if created:
        clinic.full_clean()
    return clinic


@transaction.atomic
def user_ensure(
    *,
    username: str,
    password: str,
    first_name: str = "",
    last_name: str = "",
    email: str = "",
    is_staff: bool = False,
) -> User:
    """Create the user, or reset an existing one's names and password to the given ones.
    `is_staff`: the platform admin (ptclinic/admin_access.py)."""
    user = User.objects.filter(username=username).first() or User(username=username)
    user.first_name, user.last_name, user.email = first_name, last_name, email
    user.is_staff = is_staff
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    return user


@transaction.atomic
def membership_ensure(
    *, user: User, clinic: Clinic, role: str, credential: str = "", npi: str = ""
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


@transaction.atomic
def clinic_update_billing(*, clinic: Clinic, **fields: Any) -> Clinic:
    """Save the clinic's billing-provider and clearinghouse fields (billing-rules §11.1); its
    open claims are scrubbed again so a finding about a missing field goes once it is filled."""
    from claims.models import Claim
    from claims.scrubbing import claims_scrub

    allowed = {f.name for f in Clinic._meta.concrete_fields} - {"id", "name", "created_at"}
    for name, value in fields.items():
        if name not in allowed:
            raise TypeError(f"Not a clinic billing field: {name}")
        setattr(clinic, name, value)
    clinic.full_clean()
    clinic.save()
    open_claims = list(Claim.objects.for_clinic(clinic).open().values_list("pk", flat=True))
    if open_claims:
        claims_scrub(open_claims, reason="Re-scrubbed after the clinic's billing details changed")
    return clinic


@transaction.atomic
def charge_set(*, clinic: Clinic, code: str, effective: dt.date, charge: Decimal) -> Any:
    """The clinic's charge for one unit of ``code`` from ``effective`` (a charge master row;
    the same code and date again replaces its charge). Open claims on or after the date are
    scrubbed again: their lines' charges come from the pipeline when re-saved, and the finding
    of a missing charge goes."""
    from claims.models import Claim
    from claims.scrubbing import claims_scrub
    from claims.services import claim_reprice
    from coding.models import BillingCode, ChargeMasterEntry

    code = code.strip().upper()
    if not BillingCode.objects.filter(code=code).exists():
        raise ValidationError({"code": f"{code} is not in the code table."})
    entry, _ = ChargeMasterEntry.objects.get_or_create(  # type: ignore[misc]  # a to_field FK: see below
        # billing_code is a ForeignKey to_field="code": django-stubs takes its _id for the
        # primary key (an int). Not billing_code__code: get_or_create builds the row from these.
        clinic=clinic,
        billing_code_id=code,
        effective=effective,
        defaults={"charge": charge},
    )
    entry.charge = charge
    entry.full_clean()
    entry.save()
    affected = list(
        Claim.objects.for_clinic(clinic)
        .open()
        .filter(date_of_service__gte=effective, lines__billing_code__code=code)
        .distinct()
    )
    for claim in affected:
        claim_reprice(claim=claim)
        claim.save(
            update_fields=["total_units", "expected_amount", "expected_is_estimate", "total_charge"]
        )
    if affected:
        claims_scrub([c.pk for c in affected], reason="Re-scrubbed after a charge changed")
    return entry
