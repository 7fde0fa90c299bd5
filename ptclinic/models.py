from __future__ import annotations

from django.conf import settings
from django.db import models

from ptclinic.validators import validate_npi


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
    def for_user(self, user: object) -> MembershipQuerySet:
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
    def display_name(self) -> str:
        full = self.user.get_full_name() or self.user.get_username()
        return f"{full}, {self.credential}" if self.credential else full
