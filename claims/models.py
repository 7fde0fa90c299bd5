"""Patients, plans of care, treatment sessions and the claims made from them.

Everything here belongs to one clinic; read helpers take the clinic first
(`Patient.objects.for_clinic(clinic)`) so that another clinic's record is never found.
"""

from __future__ import annotations

import datetime as dt
from typing import Self, TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Case, F, IntegerField, Q, Value, When
from django.utils import timezone
from simple_history.models import HistoricalRecords

from claims.scrubber import RECERT_WARNING_DAYS
from claims.submission.readiness import NO_CLAIM_KINDS
from coding.models import BillingCode, Payer
from ptclinic.append_only import (
    AppendOnlyHistoricalQuerySet,
    AppendOnlyHistory,
    AppendOnlyModel,
    AppendOnlyQuerySetMixin,
)
from ptclinic.models import Clinic, Membership
from ptclinic.validators import validate_npi, validate_phone, validate_state, validate_zip

MAX_MINUTES = 1440
_Row = TypeVar("_Row", bound=models.Model)
MAX_DIAGNOSES = 12
MAX_POINTERS = 4


def audit_history() -> HistoricalRecords:
    """The kept history of a clinic record: rows only ever added (ptclinic/append_only.py)."""
    return HistoricalRecords(
        bases=[AppendOnlyHistory], historical_queryset=AppendOnlyHistoricalQuerySet
    )


class ClinicScopedQuerySet(models.QuerySet[_Row]):
    def for_clinic(self, clinic: Clinic | None) -> Self:
        return self.filter(clinic=clinic)


class PatientQuerySet(ClinicScopedQuerySet["Patient"]):
    def search(self, q: str) -> PatientQuerySet:
        # A NUL byte is never typed, and PostgreSQL refuses it in a query (a 500).
        q = q.replace("\x00", "").strip()
        if not q:
            return self
        cond = Q(mrn__iexact=q) | Q(mrn__istartswith=q)
        for word in q.split():
            cond |= Q(last_name__istartswith=word) | Q(first_name__istartswith=word)
        return self.filter(cond)


class OfPatientsQuerySet(ClinicScopedQuerySet[_Row]):
    """Records of a clinic's patients (sessions, claims): narrowed by the patient search."""

    def of_patients_matching(self, clinic: Clinic | None, q: str) -> Self:
        """The records of `clinic`'s patients whom `q` finds (PatientQuerySet.search: name or
        MRN), in one subquery; all of them when `q` is blank."""
        if not q.strip():
            return self
        patients = Patient.objects.for_clinic(clinic).search(q)
        return self.filter(patient__in=patients.values("pk"))


class Sex(models.TextChoices):
    FEMALE = "F", "Female"
    MALE = "M", "Male"
    UNKNOWN = "U", "Unknown"


class Relationship(models.TextChoices):
    """The patient's relationship to the insured (X12 individual relationship codes)."""

    SELF = "18", "Self"
    SPOUSE = "01", "Spouse"
    CHILD = "19", "Child"
    OTHER = "G8", "Other"


class Patient(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="patients")
    first_name = models.CharField(max_length=80)
    last_name = models.CharField(max_length=80)
    date_of_birth = models.DateField()
    mrn = models.CharField("MRN", max_length=30, help_text="Medical record number in this clinic.")
    primary_payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    member_id = models.CharField("member ID", max_length=40, blank=True)
    sex = models.CharField(max_length=1, choices=Sex.choices, blank=True)
    address_line1 = models.CharField("street address", max_length=55, blank=True)
    address_line2 = models.CharField("address line 2", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True, validators=[validate_state])
    zip_code = models.CharField("ZIP code", max_length=10, blank=True, validators=[validate_zip])
    phone = models.CharField(max_length=20, blank=True, validators=[validate_phone])
    # The insured, when it is not the patient (a spouse's or a parent's plan).
    relationship = models.CharField(
        "patient's relationship to the insured",
        max_length=2,
        choices=Relationship.choices,
        default=Relationship.SELF,
    )
    subscriber_first_name = models.CharField("insured's first name", max_length=80, blank=True)
    subscriber_last_name = models.CharField("insured's last name", max_length=80, blank=True)
    subscriber_date_of_birth = models.DateField("insured's date of birth", null=True, blank=True)
    subscriber_sex = models.CharField(
        "insured's sex", max_length=1, choices=Sex.choices, blank=True
    )
    group_number = models.CharField("group number", max_length=50, blank=True)
    # Kept for later (coordination of benefits is not sent yet).
    secondary_payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    secondary_member_id = models.CharField("secondary member ID", max_length=40, blank=True)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()
    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "mrn"], name="patient_mrn_unique_in_clinic")
        ]
        indexes = [models.Index(fields=["clinic", "last_name", "first_name"])]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean(self) -> None:
        if self.date_of_birth and self.date_of_birth > timezone.localdate():
            raise ValidationError({"date_of_birth": "The date of birth is in the future."})


class PlanStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ON_HOLD = "on_hold", "On hold"
    DISCHARGED = "discharged", "Discharged"


class PlanOfCare(models.Model):
    """A PT plan of care and its certification (billing-rules §6.1, §6.2)."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="plans")
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes in order of importance.")
    start_date = models.DateField(help_text="The evaluation / first treatment date.")
    certified_by_name = models.CharField("certifying physician/NPP", max_length=120, blank=True)
    certified_by_npi = models.CharField(
        "certifier NPI", max_length=10, blank=True, validators=[validate_npi]
    )
    certified_on = models.DateField(
        null=True, blank=True, help_text="The date the physician/NPP signed. Empty: not yet."
    )
    cert_through = models.DateField(
        "certified through", help_text="At most 90 calendar days from the start."
    )
    frequency = models.CharField(max_length=120, help_text="e.g. 2x/week for 6 weeks")
    goals = models.TextField(help_text="Long-term, measurable goals.")
    status = models.CharField(max_length=12, choices=PlanStatus.choices, default="active")
    discharged_on = models.DateField(
        null=True,
        blank=True,
        help_text="The date of the discharge note: the plan covers no later visit (§10.5).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        ordering = ["-start_date", "-id"]
        verbose_name = "plan of care"
        verbose_name_plural = "plans of care"

    def __str__(self) -> str:
        return f"Plan of care from {self.start_date} for {self.patient}"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        # How long a certification may last is the payer's rule on the start date (Medicare: 90
        # days, billing-rules §6.2, §6.10): `patient_services` checks it when saving.
        if self.start_date and self.cert_through and self.cert_through < self.start_date:
            errors["cert_through"] = "The certification ends before the plan starts."
        if self.certified_on and not self.certified_by_name:
            errors["certified_by_name"] = "Say who signed the certification."
        if self.status == PlanStatus.DISCHARGED and not self.discharged_on:
            errors["discharged_on"] = "Give the date of the discharge note."
        if self.discharged_on and self.start_date and self.discharged_on < self.start_date:
            errors["discharged_on"] = "The discharge is before the plan starts."
        if len(self.diagnoses or []) > MAX_DIAGNOSES:
            errors["diagnoses"] = f"At most {MAX_DIAGNOSES} diagnoses."
        if errors:
            raise ValidationError(errors)

    def covers(self, day: dt.date) -> bool:
        return self.start_date <= day <= self.cert_through

    def state_on(self, day: dt.date) -> str:
        """'current', 'expiring' (as few days left as the scrubber's recertification warning),
        'expired', 'not yet started' or 'uncertified'."""
        if day < self.start_date:
            return "not yet started"
        if day > self.cert_through:
            return "expired"
        if self.certified_on is None:
            return "uncertified"
        if (self.cert_through - day).days <= RECERT_WARNING_DAYS:
            return "expiring"
        return "current"


class Authorization(models.Model):
    """A payer's prior authorization for a patient: its number, the dates it covers and the
    visits (and, optionally, units per code) it allows."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="authorizations")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    number = models.CharField("authorization number", max_length=40)
    start_date = models.DateField()
    end_date = models.DateField()
    visits = models.PositiveSmallIntegerField(
        "visits authorized", null=True, blank=True, help_text="Empty: not limited by visits."
    )
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "payer", "number"], name="authorization_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Authorization {self.number} ({self.start_date} to {self.end_date})"


class AuthorizedUnits(models.Model):
    """Units of one code that an authorization allows in all (optional)."""

    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="units")
    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.PROTECT, related_name="+"
    )
    units = models.PositiveSmallIntegerField()

    class Meta:
        ordering = ["billing_code"]
        verbose_name_plural = "authorized units"
        constraints = [
            models.UniqueConstraint(
                fields=["authorization", "billing_code"], name="authorized_units_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.billing_code_id}: {self.units} units"


class TherapyAmountUsed(models.Model):
    """The PT+SLP allowed amount that other providers billed for the patient in a year, as the
    Medicare eligibility reply gives it (billing-rules §10.8): it counts toward the KX
    threshold before any of this clinic's claims."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="therapy_used")
    year = models.PositiveSmallIntegerField()
    amount = models.DecimalField(max_digits=9, decimal_places=2)
    as_of = models.DateField(help_text="The date of the eligibility reply.")
    source = models.CharField(max_length=200, blank=True, help_text="e.g. HETS reply")
    created_at = models.DateTimeField(auto_now_add=True)

    history = audit_history()

    class Meta:
        ordering = ["-year"]
        verbose_name = "therapy amount used elsewhere"
        verbose_name_plural = "therapy amounts used elsewhere"
        constraints = [
            models.UniqueConstraint(fields=["patient", "year"], name="therapy_used_unique")
        ]

    def __str__(self) -> str:
        return f"{self.patient} {self.year}: ${self.amount}"


class SessionQuerySet(OfPatientsQuerySet["TreatmentSession"]):
    def for_patient_before(self, patient: Patient, day: dt.date) -> SessionQuerySet:
        return self.filter(patient=patient, date_of_service__lt=day)


class TreatmentSession(models.Model):
    """One patient's visit on one day: the minutes of each service and the note (§6.4)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="sessions")
    therapist = models.ForeignKey(
        Membership,
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The treating therapist.",
    )
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    date_of_service = models.DateField()
    diagnoses = models.JSONField(default=list, help_text="ICD-10-CM codes, in order.")
    subjective = models.TextField(blank=True)
    objective = models.TextField(blank=True)
    assessment = models.TextField(blank=True)
    plan = models.TextField(blank=True)
    medical_necessity = models.TextField(
        blank=True, help_text="Why this visit needed a therapist's skill (BPM 15 §220.3)."
    )
    is_progress_report = models.BooleanField(default=False)
    claim = models.ForeignKey(
        "Claim",
        on_delete=models.PROTECT,
        related_name="sessions",
        help_text="The day's claim: every session of the patient that day joins it (§10.1).",
    )
    submission_token = models.CharField(
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        editable=False,
        help_text="The form's one-time token: a form submitted twice saves once (§10.1).",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = audit_history()
    objects = SessionQuerySet.as_manager()

    class Meta:
        ordering = ["-date_of_service", "-id"]
        indexes = [
            models.Index(fields=["clinic", "therapist", "-date_of_service"]),
            models.Index(fields=["patient", "date_of_service"]),
        ]

    def __str__(self) -> str:
        return f"{self.patient} on {self.date_of_service}"


class SessionService(models.Model):
    session = models.ForeignKey(TreatmentSession, on_delete=models.CASCADE, related_name="services")
    position = models.PositiveSmallIntegerField()
    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.PROTECT, related_name="+"
    )
    minutes = models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_MINUTES)])
    pta_minutes = models.PositiveSmallIntegerField(
        default=0,
        validators=[MaxValueValidator(MAX_MINUTES)],
        help_text="Of the minutes, how many a PT assistant furnished.",
    )
    dx_pointers = models.JSONField(default=list, blank=True, help_text="1-based, at most 4.")

    history = audit_history()

    class Meta:
        ordering = ["session", "position"]

    def __str__(self) -> str:
        return f"{self.billing_code_id} {self.minutes} min"

    def clean(self) -> None:
        if self.pta_minutes > self.minutes:
            raise ValidationError({"pta_minutes": "PTA minutes cannot exceed the minutes."})


class ClaimStatus(models.TextChoices):
    """Where a claim is in its life (`claims.lifecycle` says which moves are allowed)."""

    NEEDS_REVIEW = "needs_review", "Needs review"
    RETURNED = "returned", "Returned to therapist"
    APPROVED = "approved", "Approved"
    SUBMITTED = "submitted", "Submitted"
    ACCEPTED = "accepted", "Accepted"
    REJECTED = "rejected", "Rejected"
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"
    VOIDED = "voided", "Voided"


class FrequencyCode(models.TextChoices):
    """Claim frequency (837P CLM05-3, CMS-1500 box 22)."""

    ORIGINAL = "1", "Original"
    REPLACEMENT = "7", "Replacement of an earlier claim"
    VOID = "8", "Void of an earlier claim"


OPEN_STATUSES = (ClaimStatus.NEEDS_REVIEW, ClaimStatus.RETURNED)

# The review queue's order: claims with open errors first, then by date of service and id. One
# expression for the queue's ORDER BY and for the indexes that serve it (PostgreSQL uses an
# expression index only for the same expression).
ERRORS_FIRST = Case(
    When(open_errors__gt=0, then=Value(0)), default=Value(1), output_field=IntegerField()
)


class ClaimQuerySet(OfPatientsQuerySet["Claim"]):
    def in_queue_order(self) -> ClaimQuerySet:
        return self.annotate(errors_first=ERRORS_FIRST).order_by(
            "errors_first", "date_of_service", "id"
        )

    def open(self) -> ClaimQuerySet:
        """Claims still being worked before they are sent: needs review or returned."""
        return self.filter(status__in=OPEN_STATUSES)

    def needing_review(self) -> ClaimQuerySet:
        return self.filter(status=ClaimStatus.NEEDS_REVIEW)

    def ready_to_send(self) -> ClaimQuerySet:
        """Approved claims that go out as claims: a self-pay visit is billed to the patient
        (docs/billing-rules.md §11.1)."""
        return self.filter(status=ClaimStatus.APPROVED).exclude(payer__kind__in=NO_CLAIM_KINDS)

    def ready_to_send_count(self) -> int:
        """``ready_to_send().count()``, counted as the approved claims less those of the
        payers that get no claim: PostgreSQL counts the approved claims from an index alone
        and reads only the few left out, where counting ``ready_to_send()`` reads every
        approved claim's row (tens of thousands in a large clinic)."""
        approved = self.filter(status=ClaimStatus.APPROVED)
        return approved.count() - approved.filter(payer__kind__in=NO_CLAIM_KINDS).count()

    def for_therapist(self, membership: Membership) -> ClaimQuerySet:
        return self.filter(therapist=membership)


class Claim(models.Model):
    """The bill for one patient's day with one payer: every session of that day is on it
    (billing-rules §10.1). Counts of open flags are kept on the claim so that the review queue
    sorts and filters without counting per row."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="claims")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="claims")
    therapist = models.ForeignKey(Membership, on_delete=models.PROTECT, related_name="claims")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    date_of_service = models.DateField()
    status = models.CharField(
        max_length=20, choices=ClaimStatus.choices, default=ClaimStatus.NEEDS_REVIEW
    )
    diagnoses = models.JSONField(
        default=list, help_text="ICD-10-CM codes of the claim, in order: its lines point here."
    )
    unit_method = models.CharField(max_length=3)
    total_units = models.PositiveSmallIntegerField(default=0)
    total_timed_minutes = models.PositiveSmallIntegerField(default=0)
    total_treatment_minutes = models.PositiveSmallIntegerField(default=0)
    expected_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    expected_is_estimate = models.BooleanField(default=False)
    explanation = models.JSONField(default=list, help_text="The engine's steps, as shown.")
    open_errors = models.PositiveSmallIntegerField(default=0)
    open_warnings = models.PositiveSmallIntegerField(default=0)
    return_comment = models.TextField(blank=True)
    submitted_at = models.DateTimeField(default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    override_reason = models.TextField(blank=True)
    total_charge = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What the clinic bills: the lines' charges from its charge master.",
    )
    frequency_code = models.CharField(
        max_length=1, choices=FrequencyCode.choices, default=FrequencyCode.ORIGINAL
    )
    payer_claim_number = models.CharField(
        "payer's claim number",
        max_length=50,
        blank=True,
        help_text="The number the payer gave the claim (its remittance): a replacement or void "
        "names it.",
    )
    version = models.PositiveIntegerField(default=1)

    history = audit_history()
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["date_of_service", "id"]
        indexes = [
            models.Index(fields=["clinic", "status", "date_of_service"]),
            models.Index(fields=["clinic", "therapist", "status"]),
            # The year's amounts of a patient (KX) straight from the index, heap not read.
            models.Index(
                fields=["patient", "date_of_service"],
                include=["id", "payer", "expected_amount"],
                name="claim_patient_day_amounts",
            ),
            # The review queue in its order: a page of 25 reads 25 index entries, not every
            # claim of the clinic (a million-line database has ~25,000 per clinic).
            models.Index(
                F("clinic"),
                F("status"),
                ERRORS_FIRST,
                F("date_of_service"),
                F("id"),
                name="claim_queue_by_status",
            ),
            models.Index(
                F("clinic"), ERRORS_FIRST, F("date_of_service"), F("id"), name="claim_queue_any"
            ),
            # The dashboard's months of a clinic (visits, units, flags by clinician) from the
            # index alone: a claim row is over a kilobyte (its explanation).
            models.Index(
                fields=["clinic", "date_of_service"],
                include=["status", "therapist", "total_units"],
                name="claim_clinic_day_cover",
            ),
        ]

    def __str__(self) -> str:
        return f"Claim {self.pk}: {self.patient} on {self.date_of_service}"

    @property
    def is_read_only(self) -> bool:
        return self.status not in OPEN_STATUSES

    @property
    def control_number(self) -> str:
        """The patient control number sent as CLM01 and box 26; the payer's remittance returns
        it, which is how a payment finds its claim."""
        return f"PTC{self.pk}"

    @property
    def day_sessions(self) -> list[TreatmentSession]:
        """The sessions on this claim, first first (prefetch ``sessions`` to read them once)."""
        return sorted(self.sessions.all(), key=lambda s: (s.created_at, s.pk))


class ClaimLine(models.Model):
    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField()
    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.PROTECT, related_name="+"
    )
    units = models.PositiveSmallIntegerField(validators=[MaxValueValidator(99)])
    modifiers = models.JSONField(default=list, blank=True)
    dx_pointers = models.JSONField(default=list, help_text="1-based positions, at most 4.")
    minutes = models.PositiveSmallIntegerField(default=0)
    pta_minutes = models.PositiveSmallIntegerField(default=0)
    by_assistant = models.BooleanField(
        default=False, help_text="Furnished in whole or part by a PT assistant (CQ, §10.2)."
    )
    expected_amount = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    charge = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Units × the clinic's charge for the code on the date of service.",
    )
    suggested_units = models.PositiveSmallIntegerField()
    suggested_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="The expected amount for the suggested units (prices a change of units).",
    )
    suggested_modifiers = models.JSONField(default=list, blank=True)
    change_reason = models.TextField(
        blank=True, help_text="Why the units or modifiers differ from the suggestion."
    )

    history = audit_history()

    class Meta:
        ordering = ["claim", "position"]
        indexes = [
            # Units and minutes per clinician (the dashboard) without reading the lines' rows.
            models.Index(
                fields=["claim"],
                include=["billing_code", "units", "minutes"],
                name="line_claim_cover",
            )
        ]

    def __str__(self) -> str:
        mods = " ".join(self.modifiers)
        return f"{self.billing_code_id} {mods} × {self.units}".replace("  ", " ")

    @property
    def changed_from_suggestion(self) -> bool:
        return (self.units, self.modifiers) != (self.suggested_units, self.suggested_modifiers)

    def clean(self) -> None:
        if len(self.dx_pointers) > MAX_POINTERS:
            raise ValidationError({"dx_pointers": "A line points to at most 4 diagnoses."})
        if self.changed_from_suggestion and not self.change_reason.strip():
            raise ValidationError(
                {"change_reason": "Say why the units or modifiers differ from the suggestion."}
            )


class Severity(models.TextChoices):
    ERROR = "error", "Error"
    WARNING = "warning", "Warning"


class FlagStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    WAIVED = "waived", "Waived"


class ClaimFlagQuerySet(models.QuerySet["ClaimFlag"]):
    def unresolved(self) -> ClaimFlagQuerySet:
        return self.filter(status=FlagStatus.OPEN)


class ClaimFlag(models.Model):
    """A scrubber finding stored on a claim, and what a reviewer did about it."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="flags")
    rule_id = models.CharField(max_length=40)
    severity = models.CharField(max_length=7, choices=Severity.choices)
    message = models.TextField()
    fix = models.TextField(blank=True)
    source = models.CharField(max_length=200, blank=True)
    line_code = models.CharField(max_length=5, blank=True)
    status = models.CharField(max_length=8, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    history = audit_history()
    objects = ClaimFlagQuerySet.as_manager()

    class Meta:
        ordering = ["claim", "severity", "rule_id"]
        indexes = [
            models.Index(fields=["rule_id", "status"]),
            models.Index(fields=["claim", "status"], include=["rule_id"], name="flag_claim_cover"),
        ]

    def __str__(self) -> str:
        return f"{self.rule_id} ({self.severity}) on claim {self.claim_id}"


class AccessKind(models.TextChoices):
    PATIENT = "patient", "Patient record"
    CLAIM = "claim", "Claim"
    SESSION = "session", "Treatment session"
    CLAIM_FILE = "claim_file", "Claim file (837P)"
    CLAIM_FORM = "claim_form", "Claim form (CMS-1500)"
    REMITTANCE = "remittance", "Remittance (835)"


class AccessEventQuerySet(AppendOnlyQuerySetMixin, ClinicScopedQuerySet["AccessEvent"]):
    pass


class AccessEvent(AppendOnlyModel):
    """Who opened which patient's data, and when (HIPAA §164.312(b), audit controls). Rows are
    only ever added (ptclinic/append_only.py)."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=AccessKind.choices)
    object_id = models.PositiveBigIntegerField()
    path = models.CharField(max_length=300)
    at = models.DateTimeField(default=timezone.now)

    objects = AccessEventQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["clinic", "-at"]),
            models.Index(fields=["patient", "-at"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} opened {self.kind} {self.object_id} at {self.at:%Y-%m-%d %H:%M}"


class ClaimEventQuerySet(AppendOnlyQuerySetMixin, models.QuerySet["ClaimEvent"]):
    pass


class ClaimEvent(AppendOnlyModel):
    """One move of a claim in its life: from which status to which, who, when and why. Rows are
    only ever added (`claims.services` writes them with each move; ptclinic/append_only.py
    refuses the rest)."""

    claim = models.ForeignKey(Claim, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=20, choices=ClaimStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=ClaimStatus.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(default=timezone.now)
    note = models.TextField(blank=True)
    batch_file = models.ForeignKey(
        "BatchFile", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payment = models.ForeignKey(
        "ClaimPayment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ClaimEventQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["claim", "at"]),
            # The claims that were rejected or denied on the way (the clean-claim rate).
            models.Index(fields=["to_status", "claim"]),
        ]

    def __str__(self) -> str:
        return f"Claim {self.claim_id}: {self.from_status or 'new'} → {self.to_status}"


class BatchStatus(models.TextChoices):
    BUILDING = "building", "Building"
    READY = "ready", "Ready"
    INVALID = "invalid", "Failed validation"


class ClaimBatch(models.Model):
    """An owner's send-out: the approved claims picked, written as one 837P file per payer."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="batches")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=BatchStatus.choices, default=BatchStatus.BUILDING
    )
    note = models.CharField(max_length=200, blank=True, help_text="How the claims were picked.")
    claim_count = models.PositiveIntegerField(default=0)
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    left_out = models.JSONField(
        default=list, blank=True, help_text="Claims picked but not sent, each with why."
    )

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "claim batches"
        indexes = [models.Index(fields=["clinic", "-created_at"])]

    def __str__(self) -> str:
        return f"Batch {self.pk} ({self.created_at:%Y-%m-%d})"


class BatchFile(models.Model):
    """One payer's 837P file of a batch. Its id is the file's interchange, group and
    transaction control number (unique for the submitter, whichever host wrote it)."""

    batch = models.ForeignKey(ClaimBatch, on_delete=models.CASCADE, related_name="files")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="+")
    claims = models.ManyToManyField(Claim, through="BatchClaim", related_name="batch_files")
    file = models.FileField(upload_to="claim-files/", blank=True)
    valid = models.BooleanField(default=False)
    errors = models.JSONField(default=list, blank=True, help_text="The validator's sentences.")
    claim_count = models.PositiveIntegerField(default=0)
    total_charge = models.DecimalField(max_digits=12, decimal_places=2, default=0)
    production = models.BooleanField(default=False)

    class Meta:
        ordering = ["batch", "payer__name"]

    def __str__(self) -> str:
        return f"837P {self.pk} for {self.payer}"

    @property
    def filename(self) -> str:
        return f"837P-{self.batch_id}-{self.pk}.txt"


class BatchClaim(models.Model):
    """A claim as it was sent in a file: its frequency code and charge then."""

    batch_file = models.ForeignKey(BatchFile, on_delete=models.CASCADE, related_name="entries")
    claim = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="sent")
    frequency_code = models.CharField(max_length=1, choices=FrequencyCode.choices)
    total_charge = models.DecimalField(max_digits=10, decimal_places=2)

    class Meta:
        ordering = ["batch_file", "claim"]
        constraints = [
            models.UniqueConstraint(fields=["batch_file", "claim"], name="batch_claim_once")
        ]

    def __str__(self) -> str:
        return f"Claim {self.claim_id} in file {self.batch_file_id}"


# --- money back: 835 remittances (docs/billing-rules.md §12) ---------------------------------


class RemittanceFile(models.Model):
    """An 835 file as it was uploaded: kept whole, read once. The same file twice is one file
    (its SHA-256 is unique in the clinic), so posting is idempotent."""

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="remittance_files")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    uploaded_at = models.DateTimeField(default=timezone.now)
    filename = models.CharField(max_length=200)
    file = models.FileField(upload_to="remittances/", blank=True)
    sha256 = models.CharField(max_length=64)
    warnings = models.JSONField(
        default=list, blank=True, help_text="Where the file departs from the 835 guide."
    )
    claim_count = models.PositiveIntegerField(default=0)
    matched_count = models.PositiveIntegerField(default=0)
    already_posted = models.PositiveIntegerField(
        default=0, help_text="Payments of this file that an earlier file had posted."
    )
    total_paid = models.DecimalField(max_digits=12, decimal_places=2, default=0)

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-uploaded_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "sha256"], name="remittance_file_once")
        ]

    def __str__(self) -> str:
        return f"835 {self.filename} ({self.uploaded_at:%Y-%m-%d})"


class Remittance(models.Model):
    """One payment of a payer (an 835 transaction set): a check or EFT and what it pays."""

    file = models.ForeignKey(RemittanceFile, on_delete=models.CASCADE, related_name="remittances")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    payer = models.ForeignKey(
        Payer, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    payer_name = models.CharField(max_length=60)
    payer_identifier = models.CharField(max_length=80, blank=True)
    trace_number = models.CharField("check or EFT number", max_length=50)
    method = models.CharField(max_length=3, help_text="CHK check, ACH/FWT transfer, NON none.")
    amount = models.DecimalField(max_digits=12, decimal_places=2)
    paid_on = models.DateField(help_text="The check's or transfer's date.")
    provider_adjustments = models.JSONField(
        default=list, blank=True, help_text="PLB: amounts taken or added outside any claim."
    )

    objects = ClinicScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-paid_on", "-id"]

    def __str__(self) -> str:
        return f"{self.payer_name} {self.trace_number} ({self.paid_on})"


class PaymentOutcome(models.TextChoices):
    PAID = "paid", "Paid"
    PARTLY_PAID = "partly_paid", "Partly paid"
    DENIED = "denied", "Denied"
    REVERSED = "reversed", "Reversed"


class PaymentQuerySet(ClinicScopedQuerySet["ClaimPayment"]):
    def unmatched(self) -> PaymentQuerySet:
        """The worklist: payments not posted to any claim and not dismissed."""
        return self.filter(claim__isnull=True, dismissed_at__isnull=True)


class ClaimPayment(models.Model):
    """What a payer decided on one claim (an 835 CLP loop), posted to the claim it names or
    kept on the unmatched worklist."""

    remittance = models.ForeignKey(Remittance, on_delete=models.CASCADE, related_name="payments")
    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="+")
    claim = models.ForeignKey(
        Claim, null=True, blank=True, on_delete=models.PROTECT, related_name="payments"
    )
    key = models.CharField(
        max_length=250, help_text="Payer, check, claim and status: the same payment posts once."
    )
    control_number = models.CharField("patient control number", max_length=38)
    status_code = models.CharField(max_length=2)
    outcome = models.CharField(max_length=12, choices=PaymentOutcome.choices)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    payer_claim_number = models.CharField(max_length=50, blank=True)
    patient_name = models.CharField(max_length=120, blank=True)
    member_id = models.CharField(max_length=80, blank=True)
    service_date = models.DateField(null=True, blank=True)
    paid_on = models.DateField()
    remarks = models.JSONField(default=list, blank=True, help_text="Claim-level remark codes.")
    posted_at = models.DateTimeField(null=True, blank=True)
    problem = models.CharField(
        max_length=300, blank=True, help_text="Why it is on the worklist, in words."
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    dismissed_at = models.DateTimeField(null=True, blank=True)
    resolution_note = models.TextField(blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        ordering = ["remittance", "id"]
        constraints = [models.UniqueConstraint(fields=["clinic", "key"], name="claim_payment_once")]
        indexes = [
            models.Index(fields=["claim", "id"]),
            models.Index(fields=["clinic", "paid_on"]),
        ]

    def __str__(self) -> str:
        return f"{self.control_number}: {self.get_outcome_display()} ${self.paid}"


class LinePayment(models.Model):
    """What the payer decided on one service line (an 835 SVC loop)."""

    payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="lines")
    claim_line = models.ForeignKey(
        ClaimLine, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments"
    )
    code = models.CharField(max_length=48, blank=True)
    modifiers = models.JSONField(default=list, blank=True)
    units = models.PositiveSmallIntegerField(default=1)
    charge = models.DecimalField(max_digits=10, decimal_places=2)
    allowed = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)
    paid = models.DecimalField(max_digits=10, decimal_places=2)
    patient_responsibility = models.DecimalField(max_digits=10, decimal_places=2, default=0)
    expected_amount = models.DecimalField(
        max_digits=10,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="What ptclinic expected for the line when it was posted.",
    )
    service_date = models.DateField(null=True, blank=True)
    remarks = models.JSONField(default=list, blank=True)
    denied = models.BooleanField(default=False)
    denial_code = models.CharField(max_length=8, blank=True, help_text="e.g. CO-50")
    denial_family = models.CharField(max_length=60, blank=True)
    caught_by_rule = models.CharField(max_length=40, blank=True)
    caught_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["payment", "id"]
        indexes = [models.Index(fields=["denied", "denial_code"])]

    def __str__(self) -> str:
        return f"{self.code} ${self.paid}"


class Adjustment(models.Model):
    """One CAS amount: its group (who bears it) and reason code."""

    payment = models.ForeignKey(ClaimPayment, on_delete=models.CASCADE, related_name="adjustments")
    line = models.ForeignKey(
        LinePayment, null=True, blank=True, on_delete=models.CASCADE, related_name="adjustments"
    )
    group = models.CharField(max_length=2)
    reason = models.CharField(max_length=5)
    amount = models.DecimalField(max_digits=10, decimal_places=2)
    quantity = models.DecimalField(max_digits=10, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["payment", "line", "id"]

    def __str__(self) -> str:
        return f"{self.group}-{self.reason} ${self.amount}"
