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


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Waiting"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


ACTIVE_JOB_STATUSES = (JobStatus.QUEUED, JobStatus.RUNNING)


class Job(models.Model):
    """A piece of long work (a re-scrub, an import, an 837P batch, an 835 posting) as the people
    who started it see it: who and when, how far it has come, and what came of it.

    The queue (`ptclinic.jobs`) runs it: on a worker of any host (PostgreSQL), or in the request
    (SQLite). A big job fans out into child jobs (`parent`) that any number of workers share;
    the parent's progress is the sum of theirs."""

    kind = models.CharField(max_length=40)
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.CASCADE, related_name="jobs"
    )  # None: work for every clinic (the code tables, the nightly re-scrub)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )  # None: the schedule
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    # While the job waits or runs, a second start with the same key gets this job (no double
    # work); empty: every start is a job of its own.
    key = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress_done = models.PositiveIntegerField(default=0)
    progress_total = models.PositiveIntegerField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    message = models.TextField(blank=True)  # what came of it, in plain words
    result = models.JSONField(default=dict, blank=True)  # figures, the ids it made
    result_url = models.CharField(max_length=300, blank=True)  # the page of what it made
    error = models.TextField(blank=True)  # the last failure, for the person who can act on it
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["clinic", "-created_at"], name="job_clinic_recent"),
            models.Index(fields=["parent", "status"], name="job_children"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["key"],
                condition=models.Q(status__in=["queued", "running"]) & ~models.Q(key=""),
                name="job_one_active_per_key",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} #{self.pk}"

    @property
    def label(self) -> str:
        from ptclinic.jobs.registry import kind_label

        return kind_label(self.kind)

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_JOB_STATUSES

    @property
    def percent(self) -> int | None:
        if not self.progress_total:
            return 100 if self.status == JobStatus.DONE else None
        return min(100, round(100 * self.progress_done / self.progress_total))

    @property
    def seconds(self) -> float | None:
        if self.started_at is None:
            return None
        from django.utils import timezone

        end = self.finished_at or timezone.now()
        return (end - self.started_at).total_seconds()
