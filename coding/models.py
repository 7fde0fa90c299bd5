"""The code tables: billing codes, modifiers, ICD-10-CM, edit pairs, unit limits, payers, fees.

Shared by every clinic; edited by the admin role in the Django admin, with history.
Facts and their sources: docs/billing-rules.md (sections cited as §N).
"""

from __future__ import annotations

import datetime as dt
import functools
import operator
import re
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

code_validator = RegexValidator(
    r"^[A-Z0-9]{5}$", "A CPT/HCPCS code is five letters or digits, e.g. 97110 or G0283."
)


class Category(models.TextChoices):
    EVALUATION = "evaluation", "Evaluation"
    SUPERVISED_MODALITY = "supervised_modality", "Supervised modality"
    CONSTANT_ATTENDANCE_MODALITY = "constant_attendance_modality", "Constant-attendance modality"
    THERAPEUTIC_PROCEDURE = "therapeutic_procedure", "Therapeutic procedure"
    TESTS_MEASUREMENTS = "tests_measurements", "Tests and measurements"
    ORTHOTICS_PROSTHETICS = "orthotics_prosthetics", "Orthotics and prosthetics"
    WOUND_CARE = "wound_care", "Wound care"
    REMOTE_MONITORING = "remote_monitoring", "Remote monitoring"
    OTHER = "other", "Other"


class UnitBasis(models.TextChoices):
    PER_15_MIN = "per_15_min", "per 15 minutes (timed)"
    PER_DAY = "per_day", "1 per day"
    PER_SESSION = "per_session", "1 per session"
    PER_MONTH = "per_month", "per month"
    PER_SERVICE = "per_service", "per service"


class Discipline(models.TextChoices):
    PT = "PT", "Physical therapy"
    OT = "OT", "Occupational therapy"
    ANY = "any", "Any discipline"


class MedicareStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    BUNDLED = "bundled", "Bundled (never paid separately)"
    INVALID = "invalid", "Not valid for Medicare"


_CODE_WORD = re.compile(r"[a-z0-9]+")


class BillingCodeQuerySet(models.QuerySet["BillingCode"]):
    def in_force(self, on: dt.date) -> BillingCodeQuerySet:
        return self.filter(effective__lte=on).filter(
            Q(termination__isnull=True) | Q(termination__gte=on)
        )

    def search(self, text: str) -> BillingCodeQuerySet:
        """A code prefix ("971", "g02"), or words that must each appear in the short name or the
        description ("gait", "manual therapy")."""
        text = text.replace("\x00", "")
        words = _CODE_WORD.findall(text.lower())
        if not words:
            return self
        by_code = Q(code__istartswith=text.strip())
        by_words = Q()
        for word in words:
            by_words &= Q(short_name__icontains=word) | Q(description__icontains=word)
        return self.filter(by_code | by_words)


class BillingCode(models.Model):
    code = models.CharField(max_length=5, unique=True, validators=[code_validator])
    system = models.CharField(max_length=5, choices=[("CPT", "CPT"), ("HCPCS", "HCPCS")])
    short_name = models.CharField(max_length=80)
    description = models.TextField(help_text="Plain words of our own, never the CPT descriptor.")
    official_descriptor = models.TextField(
        blank=True, help_text="Only for clinics that hold a CPT licence and import descriptors."
    )
    category = models.CharField(max_length=40, choices=Category.choices, db_index=True)
    timed = models.BooleanField(help_text="Billed per 15 minutes of one-on-one time (§1).")
    always_therapy = models.BooleanField(
        help_text="Must carry GP/GO/GN and be under a plan of care; subject to MPPR (§3)."
    )
    unit_basis = models.CharField(max_length=20, choices=UnitBasis.choices)
    typical_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    discipline = models.CharField(max_length=3, choices=Discipline.choices, default="any")
    medicare_status = models.CharField(
        max_length=10, choices=MedicareStatus.choices, default=MedicareStatus.ACTIVE
    )
    billing_notes = models.TextField(blank=True)
    effective = models.DateField(default=dt.date(2000, 1, 1))
    termination = models.DateField(null=True, blank=True)

    history = HistoricalRecords()
    objects = BillingCodeQuerySet.as_manager()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.short_name}"


class Modifier(models.Model):
    code = models.CharField(max_length=2, unique=True)
    name = models.CharField(max_length=80)
    meaning = models.TextField()
    when_required = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


def next_prefix(prefix: str) -> str:
    """The smallest string after every string that starts with `prefix` (lowercase letters and
    digits only). A range `prefix <= x < next_prefix(prefix)` is a prefix match that uses a plain
    index under SQLite's binary order and PostgreSQL's locale order alike."""
    chars = list(prefix)
    while chars:
        last = chars.pop()
        if last == "9":
            return "".join(chars) + "a"
        if last not in "zZ":
            return "".join(chars) + chr(ord(last) + 1)
    return "\U0010ffff"


STOPWORDS = frozenset(
    "a an and as at by for from in into of on or other than the to with without".split()  # noqa: SIM905
)


def title_terms(title: str) -> list[str]:
    """The searchable words of an ICD-10 title: lowercase letters and digits, no stopwords."""
    words = re.findall(r"[a-z0-9]+", title.lower())
    return sorted({w[:40] for w in words if len(w) > 1 and w not in STOPWORDS})


def code_key(text: str) -> str:
    """An ICD-10 code as typed ("m54.5", "M545") → its search key ("m545")."""
    return "".join(ch for ch in text.lower() if ch.isalnum())


class Icd10QuerySet(models.QuerySet["Icd10Code"]):
    def code_prefix(self, text: str) -> Icd10QuerySet:
        key = code_key(text)
        return self.filter(key__gte=key, key__lt=next_prefix(key))

    def search(self, text: str) -> Icd10QuerySet:
        """By code prefix when the text looks like a code ("M54", "s83.5"), else by words of the
        title, each matching as a prefix ("knee pain"). Words a clinic uses for a diagnosis
        ("frozen shoulder", "TKA": `coding.icd10_synonyms`) bring their codes too, ranked
        first (then by code); other typed words narrow them ("right TKA")."""
        from coding.icd10_synonyms import synonym_match

        text = text.strip()
        if re.fullmatch(r"[A-Za-z]\d[\dA-Za-z.]*", text):
            return self.code_prefix(text)
        words = title_terms(text)
        if not words:
            return self.none()
        by_words = self.words(words[:6])
        synonyms = synonym_match(text)
        if not synonyms:
            return by_words
        ranges = [
            Q(key__gte=code_key(p), key__lt=next_prefix(code_key(p))) for p in synonyms.prefixes
        ]
        meant = self.filter(functools.reduce(operator.or_, ranges)).words(
            title_terms(" ".join(synonyms.other_words))[:6]
        )
        rank = models.Case(
            *(models.When(r, then=models.Value(i)) for i, r in enumerate(ranges)),
            default=models.Value(len(ranges)),
        )
        return (
            self.filter(Q(pk__in=meant.values("pk")) | Q(pk__in=by_words.values("pk")))
            .annotate(search_rank=rank)
            .order_by("search_rank", "key")
        )

    def words(self, words: list[str]) -> Icd10QuerySet:
        qs = self
        for word in words:
            matching = Icd10Term.objects.filter(term__gte=word, term__lt=next_prefix(word))
            qs = qs.filter(pk__in=matching.values("icd_id"))
        return qs


class Icd10Code(models.Model):
    """One item of the loaded ICD-10-CM code sets (FY2025 and FY2026 from simple-icd-10-cm, later
    years from the CMS files): a billable leaf or a header (category or subcategory with
    children), as in the latest loaded set that has it. Chapters and blocks are not stored."""

    code = models.CharField(max_length=8, unique=True)  # with the dot: M54.50
    key = models.CharField(max_length=8, db_index=True)  # lowercase, no dot: m5450
    title = models.CharField(max_length=300)
    billable = models.BooleanField()
    parent = models.CharField(max_length=8, blank=True, db_index=True)
    chapter = models.CharField(max_length=4)
    # The dates of service on which the code is billable, over the loaded fiscal years (§10.6):
    # empty when it was never billable in them (a header in every loaded set).
    first_valid = models.DateField(null=True, blank=True)
    last_valid = models.DateField(null=True, blank=True)

    objects = Icd10QuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = "ICD-10-CM code"

    def __str__(self) -> str:
        return f"{self.code} {self.title}"


class Icd10ReleaseQuerySet(models.QuerySet["Icd10Release"]):
    def in_force(self, day: dt.date) -> Icd10ReleaseQuerySet:
        return self.filter(valid_from__lte=day, valid_through__gte=day)


class Icd10Release(models.Model):
    """An ICD-10-CM code set that is loaded, and the dates of service it is in force for
    (a fiscal year: 1 October to 30 September, §10.6)."""

    fiscal_year = models.PositiveSmallIntegerField(unique=True)
    valid_from = models.DateField()
    valid_through = models.DateField()
    source = models.CharField(max_length=500, blank=True)
    loaded_at = models.DateTimeField(auto_now_add=True)

    objects = Icd10ReleaseQuerySet.as_manager()

    class Meta:
        ordering = ["-fiscal_year"]
        verbose_name = "ICD-10-CM release"

    def __str__(self) -> str:
        return f"ICD-10-CM FY{self.fiscal_year} ({self.valid_from} to {self.valid_through})"


def icd10_fiscal_year(day: dt.date) -> int:
    """The ICD-10-CM fiscal year of a date: FY2027 runs from 2026-10-01 to 2027-09-30."""
    return day.year + 1 if day.month >= 10 else day.year


class Icd10Term(models.Model):
    """One word of an ICD-10 title, for word search that uses an index on both databases."""

    term = models.CharField(max_length=40)
    icd = models.ForeignKey(Icd10Code, on_delete=models.CASCADE, related_name="terms")

    class Meta:
        indexes = [
            # A word's range drives the search …
            models.Index(fields=["term", "icd"], name="icd10term_term_icd"),
            # … and each further word is checked per code (bench/icd10_search.py).
            models.Index(fields=["icd", "term"], name="icd10term_icd_term"),
        ]

    def __str__(self) -> str:
        return self.term


class Pairing(models.Model):
    """A diagnosis often billed with a code. The diagnosis is kept as written, valid or not: the
    reference page checks it against the code set (§7, §9)."""

    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="pairings"
    )
    icd10_code = models.CharField("ICD-10-CM code", max_length=8)
    note = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["billing_code", "icd10_code"]
        constraints = [
            models.UniqueConstraint(fields=["billing_code", "icd10_code"], name="pairing_unique")
        ]

    def __str__(self) -> str:
        return f"{self.billing_code_id} ↔ {self.icd10_code}"


class ModifierIndicator(models.IntegerChoices):
    NEVER = 0, "0 — no modifier bypasses it"
    ALLOWED = 1, "1 — 59/X{EPSU} may bypass it"
    NOT_APPLICABLE = 9, "9 — not applicable (edit deleted)"


class EditPairQuerySet(models.QuerySet["EditPair"]):
    def in_force(self, on: dt.date) -> EditPairQuerySet:
        return self.filter(effective__lte=on).filter(Q(deletion__isnull=True) | Q(deletion__gte=on))

    def involving(self, code: str) -> EditPairQuerySet:
        return self.filter(Q(column1_id=code) | Q(column2_id=code))


class EditPair(models.Model):
    """An NCCI procedure-to-procedure edit: column 2 is not paid with column 1 (§5)."""

    column1 = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="+"
    )
    column2 = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="+"
    )
    effective = models.DateField()
    deletion = models.DateField(null=True, blank=True)
    modifier_indicator = models.PositiveSmallIntegerField(choices=ModifierIndicator.choices)
    rationale = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()
    objects = EditPairQuerySet.as_manager()

    class Meta:
        ordering = ["column1", "column2", "effective"]
        constraints = [
            models.UniqueConstraint(
                fields=["column1", "column2", "effective"], name="editpair_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.column1_id} / {self.column2_id} (indicator {self.modifier_indicator})"

    @property
    def in_force_today(self) -> bool:
        today = dt.date.today()
        return self.effective <= today and (self.deletion is None or self.deletion >= today)


class UnitLimit(models.Model):
    """A medically unlikely edit: the most units of a code per patient per day (§5.3), from
    ``effective`` until a later row of the same code takes over."""

    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="unit_limits"
    )
    # 0: not payable by the practitioner at all (e.g. 97010, 97014 for Medicare).
    max_units = models.PositiveSmallIntegerField()
    mai = models.PositiveSmallIntegerField(
        "MUE adjudication indicator",
        null=True,
        blank=True,
        choices=[(1, "1: line edit"), (2, "2: absolute per-day limit"), (3, "3: per-day limit")],
        help_text="How the payer applies the limit (§10.9).",
    )
    effective = models.DateField()
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["billing_code", "-effective"]
        constraints = [
            models.UniqueConstraint(fields=["billing_code", "effective"], name="unitlimit_unique")
        ]

    def __str__(self) -> str:
        return f"{self.billing_code_id}: {self.max_units} units/day from {self.effective}"


class PayerKind(models.TextChoices):
    MEDICARE = "medicare", "Medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage", "Medicare Advantage"
    MEDICAID = "medicaid", "Medicaid"
    COMMERCIAL = "commercial", "Commercial"
    WORKERS_COMP = "workers_comp", "Workers' compensation"
    SELF_PAY = "self_pay", "Self-pay"


class FilingIndicator(models.TextChoices):
    """Claim filing indicator codes (837P SBR09) a PT clinic meets."""

    MEDICARE_B = "MB", "MB Medicare Part B"
    MEDICAID = "MC", "MC Medicaid"
    COMMERCIAL = "CI", "CI Commercial insurance"
    BLUE_CROSS = "BL", "BL Blue Cross / Blue Shield"
    HMO = "HM", "HM Health maintenance organisation"
    HMO_MEDICARE = "16", "16 HMO Medicare risk (Medicare Advantage)"
    PPO = "12", "12 Preferred provider organisation"
    WORKERS_COMP = "WC", "WC Workers' compensation"
    TRICARE = "CH", "CH TRICARE"
    VA = "VA", "VA Veterans Affairs plan"
    SELF_PAY = "09", "09 Self-pay"


FILING_BY_KIND = {
    "medicare": FilingIndicator.MEDICARE_B,
    "medicare_advantage": FilingIndicator.HMO_MEDICARE,
    "medicaid": FilingIndicator.MEDICAID,
    "commercial": FilingIndicator.COMMERCIAL,
    "workers_comp": FilingIndicator.WORKERS_COMP,
    "self_pay": FilingIndicator.SELF_PAY,
}


class UnitMethod(models.TextChoices):
    CMS = "cms", "CMS 8-minute rule (pooled)"
    AMA = "ama", "AMA per-code (rule of eights)"


class PayerQuerySet(models.QuerySet["Payer"]):
    def for_clinic(self, clinic: Any) -> PayerQuerySet:
        """The payers a clinic bills: the shared ones and the ones it added itself."""
        return self.filter(models.Q(clinic__isnull=True) | models.Q(clinic=clinic))

    def shared(self) -> PayerQuerySet:
        return self.filter(clinic__isnull=True)


class Payer(models.Model):
    """A payer. Its rules (unit method, caps, KX, MPPR, CQ, filing window, plan of care,
    referral, authorization, visit limits) are dated rows of ``PayerRule``: the rules in force
    on a date of service are the latest that took effect by then.

    Most payers are shared by every clinic and kept by the platform admin; a clinic's admin may
    add payers of its own (a local plan), which only that clinic sees."""

    name = models.CharField(max_length=120)
    clinic = models.ForeignKey(
        "ptclinic.Clinic",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="own_payers",
        help_text="Empty: shared by every clinic. Set: a payer only that clinic bills.",
    )
    kind = models.CharField(max_length=20, choices=PayerKind.choices)
    notes = models.TextField(blank=True)
    # What an electronic claim to this payer carries (837P 2010BB, SBR09; CMS-1500 box 1).
    payer_id = models.CharField(
        "payer id",
        max_length=20,
        blank=True,
        help_text="The payer's electronic id at the clearinghouse (e.g. a MAC's Part B id).",
    )
    filing_indicator = models.CharField(
        "claim filing indicator",
        max_length=2,
        choices=FilingIndicator.choices,
        blank=True,
        help_text="Empty: from the kind (MB for Medicare, MC Medicaid, CI commercial).",
    )
    address_line1 = models.CharField("claims address", max_length=55, blank=True)
    city = models.CharField(max_length=30, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField("ZIP code", max_length=10, blank=True)

    history = HistoricalRecords()

    objects = PayerQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["name"],
                condition=models.Q(clinic__isnull=True),
                name="payer_shared_name_unique",
                violation_error_message="A shared payer has this name already.",
            ),
            models.UniqueConstraint(
                fields=["clinic", "name"],
                name="payer_clinic_name_unique",
                violation_error_message="The clinic has a payer of this name already.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if self.clinic_id is not None and (
            Payer.objects.shared().filter(name__iexact=self.name).exclude(pk=self.pk).exists()
        ):
            raise ValidationError(
                {"name": "Every clinic already has a payer of this name; bill that one."}
            )

    @property
    def claim_filing_indicator(self) -> str:
        return self.filing_indicator or FILING_BY_KIND.get(self.kind, FilingIndicator.COMMERCIAL)


class ChargeMasterEntry(models.Model):
    """What a clinic charges for one unit of a code from a date: its billed charge, not what a
    payer allows. A claim line's charge is its units times the charge in force on the date of
    service (the latest that took effect by then)."""

    clinic = models.ForeignKey("ptclinic.Clinic", on_delete=models.CASCADE, related_name="charges")
    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.PROTECT, related_name="+"
    )
    effective = models.DateField(help_text="The first date of service the charge applies to.")
    charge = models.DecimalField(
        max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["clinic", "billing_code", "-effective"]
        verbose_name = "charge master entry"
        verbose_name_plural = "charge master"
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "billing_code", "effective"], name="charge_once_per_date"
            )
        ]

    def __str__(self) -> str:
        return f"{self.billing_code_id} from {self.effective}: ${self.charge}"


class FeeYear(models.Model):
    """Per-year national figures: conversion factor and KX threshold (§4, §8)."""

    year = models.PositiveSmallIntegerField(
        unique=True, validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    conversion_factor = models.DecimalField(max_digits=8, decimal_places=4, null=True, blank=True)
    conversion_factor_qualifying_apm = models.DecimalField(
        "conversion factor (qualifying APM participants)",
        max_digits=8,
        decimal_places=4,
        null=True,
        blank=True,
    )
    kx_threshold = models.DecimalField(
        max_digits=9, decimal_places=2, null=True, blank=True, help_text="Empty: not known yet."
    )
    kx_review_threshold = models.DecimalField(max_digits=9, decimal_places=2)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-year"]

    def __str__(self) -> str:
        return str(self.year)


class FeeScheduleEntry(models.Model):
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, related_name="fees")
    year = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(2000), MaxValueValidator(2100)]
    )
    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="fees"
    )
    allowed_amount = models.DecimalField(
        max_digits=9, decimal_places=2, validators=[MinValueValidator(Decimal("0"))]
    )
    is_demo = models.BooleanField(default=False, help_text="Made-up demo amount, not a real fee.")
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["payer", "-year", "billing_code"]
        verbose_name = "fee schedule entry"
        verbose_name_plural = "fee schedule"
        constraints = [
            models.UniqueConstraint(fields=["payer", "year", "billing_code"], name="fee_unique")
        ]

    def __str__(self) -> str:
        return f"{self.payer} {self.year} {self.billing_code_id}: ${self.allowed_amount}"


class RelativeValue(models.Model):
    """The RVUs of a code from one CMS PFS release (PPRRVU), in force from ``effective`` until the
    next release of the same year takes over (§6.9, §8, §10.13). ``pe_rvu`` is the non-facility
    practice expense (outpatient clinics); ``status`` the PFS status indicator (A active, B
    bundled, I not valid for Medicare, R restricted, …); ``mult_proc_indicator`` 5 means the
    therapy MPPR applies."""

    billing_code = models.ForeignKey(
        BillingCode, to_field="code", on_delete=models.CASCADE, related_name="rvus"
    )
    year = models.PositiveSmallIntegerField()
    effective = models.DateField(help_text="First date of service this release applies to.")
    work_rvu = models.DecimalField(max_digits=6, decimal_places=2)
    pe_rvu = models.DecimalField("non-facility PE RVU", max_digits=6, decimal_places=2)
    pe_facility_rvu = models.DecimalField(
        "facility PE RVU", max_digits=6, decimal_places=2, null=True, blank=True
    )
    mp_rvu = models.DecimalField(max_digits=6, decimal_places=2)
    status = models.CharField("PFS status", max_length=1, blank=True)
    mult_proc_indicator = models.CharField("multiple procedure indicator", max_length=1, blank=True)
    release = models.CharField(max_length=20, blank=True, help_text="e.g. RVU26C")
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["billing_code", "-effective"]
        verbose_name = "relative value units"
        verbose_name_plural = "relative value units"
        constraints = [
            models.UniqueConstraint(fields=["billing_code", "effective"], name="rvu_unique")
        ]

    def __str__(self) -> str:
        return f"{self.billing_code_id} {self.release or self.year}"


class Gpci(models.Model):
    """The geographic practice cost indices of one Medicare payment locality for a year
    (§8, §10.13): the Medicare allowed amount at a clinic is
    (work RVU x work GPCI + PE RVU x PE GPCI + MP RVU x MP GPCI) x conversion factor."""

    year = models.PositiveSmallIntegerField()
    mac = models.CharField("Medicare contractor (MAC)", max_length=5)
    locality = models.CharField("locality number", max_length=2)
    name = models.CharField(max_length=200)
    state = models.CharField(max_length=2)
    work_gpci = models.DecimalField(max_digits=5, decimal_places=3)
    pe_gpci = models.DecimalField(max_digits=5, decimal_places=3)
    mp_gpci = models.DecimalField(max_digits=5, decimal_places=3)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["year", "state", "name"]
        verbose_name = "Medicare locality (GPCI)"
        verbose_name_plural = "Medicare localities (GPCIs)"
        constraints = [
            models.UniqueConstraint(fields=["year", "mac", "locality"], name="gpci_unique")
        ]

    def __str__(self) -> str:
        return f"{self.state} {self.name.title()} ({self.mac}-{self.locality}) {self.year}"


class ImportKind(models.TextChoices):
    PPRRVU = "pprrvu", "CMS PFS relative value file (PPRRVU)"
    GPCI = "gpci", "CMS GPCI file"
    MUE = "mue", "CMS practitioner MUE table"
    PTP = "ptp", "CMS practitioner PTP edits"
    ICD10_ORDER = "icd10_order", "ICD-10-CM order file"
    ICD10_ADDENDA = "icd10_addenda", "ICD-10-CM order file addenda"


class ImportRecord(models.Model):
    """One load of an official file: what was loaded, when, by whom, from which release, and for
    which dates of service (§10.6). Written once, never edited."""

    kind = models.CharField(max_length=20, choices=ImportKind.choices)
    release = models.CharField(max_length=60, help_text="e.g. RVU26D, MUE 2027 Q1, FY2027")
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    effective_from = models.DateField()
    effective_through = models.DateField(null=True, blank=True)
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    skipped = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    loaded_by = models.ForeignKey(
        "auth.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    loaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-loaded_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.release} ({self.loaded_at:%Y-%m-%d})"


class PayerRule(models.Model):
    """A payer's rules from a date on (§2, §4, §6, §10.10): the row in force on a date of
    service is the latest whose ``effective`` is on or before it."""

    payer = models.ForeignKey("Payer", on_delete=models.CASCADE, related_name="rules")
    effective = models.DateField()
    unit_method = models.CharField(max_length=3, choices=UnitMethod.choices)
    daily_timed_unit_cap = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Most timed units per patient per day, if capped (§2)."
    )
    timely_filing_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Days after the date of service by which the payer must receive the claim "
        "(Medicare: 365, i.e. 12 months; §10.10). Empty: not tracked.",
    )
    progress_report_visits = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="A progress report at least every this many treatment days.",
    )
    progress_report_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A progress report at least every this many calendar days."
    )
    certification_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Longest a certified plan of care lasts (Medicare: 90)."
    )
    requires_plan_of_care = models.BooleanField(default=True)
    requires_referral = models.BooleanField(default=False)
    requires_authorization = models.BooleanField(default=False)
    kx_applies = models.BooleanField(default=False, help_text="The KX threshold applies (§4).")
    applies_mppr = models.BooleanField(
        default=False, help_text="Multiple procedure payment reduction (§6.9)."
    )
    applies_cq_reduction = models.BooleanField(
        default=False, help_text="CQ units paid at 85% (§4)."
    )
    visit_limit_per_year = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Visits covered per calendar year, if limited."
    )
    notes = models.TextField(blank=True)
    source = models.CharField(max_length=500, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["payer", "-effective"]
        verbose_name = "payer rules"
        verbose_name_plural = "payer rules"
        constraints = [
            models.UniqueConstraint(fields=["payer", "effective"], name="payerrule_unique")
        ]

    def __str__(self) -> str:
        return f"{self.payer} from {self.effective}"


class ReferenceVersion(models.Model):
    """A stamp that changes with every write to the code tables the claim pipeline reads
    (codes, edit pairs, unit limits, payers and their rules, fee years, fees, RVUs, ICD-10-CM
    releases).

    Each process keeps those tables in memory under the stamp it read them with, and checks the
    stamp once per request: an admin's edit on any host is seen on the next request everywhere.
    A random token, not a counter, so that a rolled-back write cannot bring back a stamp that
    another state of the tables once had."""

    token = models.CharField(max_length=32)
    changed_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"reference tables {self.token} ({self.changed_at:%Y-%m-%d %H:%M})"
