from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from ptclinic.validators import (
    validate_ein,
    validate_npi,
    validate_phone,
    validate_state,
    validate_taxonomy,
    validate_zip,
)

PT_TAXONOMY = "225100000X"  # physical therapist (NUCC health care provider taxonomy)
PTA_TAXONOMY = "225200000X"  # physical therapy assistant


class PlaceOfService(models.TextChoices):
    OFFICE = "11", "11 Office"
    HOME = "12", "12 Home"
    TELEHEALTH_HOME = "10", "10 Telehealth in the patient's home"
    TELEHEALTH = "02", "02 Telehealth elsewhere"
    OUTPATIENT_HOSPITAL = "22", "22 Outpatient hospital"
    SNF = "31", "31 Skilled nursing facility"
    ASSISTED_LIVING = "13", "13 Assisted living facility"


class Clinic(models.Model):
    name = models.CharField(max_length=200, unique=True)
    npi = models.CharField("group NPI", max_length=10, blank=True, validators=[validate_npi])
    # The Medicare payment locality the clinic bills in (billing-rules §8, §10.13): a MAC and
    # a locality number of the CMS GPCI file. Empty: national amounts, and the panel says so.
    medicare_mac = models.CharField("Medicare contractor (MAC)", max_length=5, blank=True)
    medicare_locality = models.CharField("Medicare locality number", max_length=2, blank=True)
    qualifying_apm = models.BooleanField(
        "qualifying APM participant",
        default=False,
        help_text="Paid with the qualifying-APM conversion factor (2026: $33.5675).",
    )
    # The billing provider, as claims name it (837P loop 2010AA, CMS-1500 boxes 25 and 33).
    legal_name = models.CharField(
        max_length=60, blank=True, help_text="As registered with the IRS and the payers."
    )
    tax_id = models.CharField(
        "tax id (EIN)",
        max_length=10,
        blank=True,
        validators=[validate_ein],
        help_text="Nine digits, e.g. 12-3456789.",
    )
    taxonomy = models.CharField(
        max_length=10,
        default=PT_TAXONOMY,
        validators=[validate_taxonomy],
        help_text="225100000X: physical therapist.",
    )
    address_line1 = models.CharField("street address", max_length=55, blank=True)
    address_line2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    zip_code = models.CharField(
        "ZIP code",
        max_length=10,
        blank=True,
        validators=[validate_zip],
        help_text="ZIP+4 (nine digits): electronic claims need it for the billing provider.",
    )
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    pay_to_line1 = models.CharField(
        "pay-to street address",
        max_length=55,
        blank=True,
        help_text="Only when payments go to another address than the clinic's.",
    )
    pay_to_city = models.CharField("pay-to city", max_length=30, blank=True)
    pay_to_state = models.CharField(
        "pay-to state", max_length=2, blank=True, validators=[validate_state]
    )
    pay_to_zip_code = models.CharField(
        "pay-to ZIP code", max_length=10, blank=True, validators=[validate_zip]
    )
    place_of_service = models.CharField(
        max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE
    )
    # The clearinghouse's set-up for electronic claims (837P loops 1000A and 1000B, ISA).
    submitter_id = models.CharField(
        "submitter id",
        max_length=15,
        blank=True,
        help_text="The id the clearinghouse gave the clinic (ISA06, 1000A).",
    )
    submitter_contact = models.CharField("submitter contact name", max_length=60, blank=True)
    submitter_phone = models.CharField(
        "submitter contact phone", max_length=20, blank=True, validators=[validate_phone]
    )
    receiver_id = models.CharField(
        "receiver id", max_length=15, blank=True, help_text="The clearinghouse's id (ISA08, 1000B)."
    )
    receiver_name = models.CharField(
        "receiver name", max_length=60, blank=True, help_text="The clearinghouse's name."
    )
    x12_production = models.BooleanField(
        "send production files",
        default=False,
        help_text="Off: files are marked as tests (ISA15 T) until the clearinghouse says go.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Role(models.TextChoices):
    THERAPIST = "therapist", "Therapist"
    OWNER = "owner", "Owner / biller"
    ADMIN = "admin", "Admin"


class Credential(models.TextChoices):
    PT = "PT", "Physical therapist (PT)"
    PTA = "PTA", "Physical therapist assistant (PTA)"


class MembershipQuerySet(models.QuerySet["Membership"]):
    def for_user(self, user: Any) -> MembershipQuerySet:
        return self.filter(user=user, active=True).select_related("clinic")

    def therapists(self) -> MembershipQuerySet:
        return self.filter(role=Role.THERAPIST, active=True)


class Membership(models.Model):
    """A user's role in one clinic. A person working in two clinics has two memberships."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices)
    credential = models.CharField(
        max_length=3,
        choices=Credential.choices,
        blank=True,
        help_text="Therapists only: PT or PTA.",
    )
    npi = models.CharField("individual NPI", max_length=10, blank=True, validators=[validate_npi])
    taxonomy = models.CharField(
        max_length=10,
        blank=True,
        validators=[validate_taxonomy],
        help_text="Empty: 225100000X for a PT, 225200000X for a PTA.",
    )
    supervisor = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="PT assistants: the supervising PT, whose NPI their claims carry.",
    )
    active = models.BooleanField(default=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["clinic__name", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "clinic", "role"], name="membership_unique_role_per_clinic"
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(role="therapist", credential__in=["PT", "PTA"])
                    | (~models.Q(role="therapist") & models.Q(credential=""))
                ),
                name="membership_credential_only_for_therapists",
            ),
        ]

    def __str__(self) -> str:
        label = self.get_role_display()
        if self.credential:
            label = f"{label} ({self.credential})"
        return f"{self.user} — {label} at {self.clinic}"

    @property
    def provider_taxonomy(self) -> str:
        if self.taxonomy:
            return self.taxonomy
        return PTA_TAXONOMY if self.credential == Credential.PTA else PT_TAXONOMY

    @property
    def display_name(self) -> str:
        full = self.user.get_full_name() or self.user.get_username()
        return f"{full}, {self.credential}" if self.credential else full
