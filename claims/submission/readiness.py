"""What a claim must carry before it can be sent, and which record lacks it
(docs/billing-rules.md §11.1; the 837P 005010X222A1 required elements and the NUCC 1500 boxes).

Pure Python over plain records: the facts builder (`claims.facts`) reads the records and
turns the gaps into the scrubber's `claim-data-missing` findings, and the document builder
(`claims.submission.collect`) refuses a claim that still has one. One list of required fields,
used by both.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from claims.scrubber import BillingGap

SELF = "18"  # the patient is the insured (X12 individual relationship code)
NO_CLAIM_KINDS = frozenset({"self_pay"})  # the patient pays: no claim is sent


@dataclass(frozen=True)
class ClinicRecord:
    npi: str = ""
    tax_id: str = ""
    address_line1: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    medicare_mac: str = ""


@dataclass(frozen=True)
class PatientRecord:
    sex: str = ""
    address_line1: str = ""
    city: str = ""
    state: str = ""
    zip_code: str = ""
    member_id: str = ""
    relationship: str = SELF
    subscriber_first_name: str = ""
    subscriber_last_name: str = ""
    subscriber_date_of_birth: dt.date | None = None


@dataclass(frozen=True)
class PayerRecord:
    kind: str
    payer_id: str = ""


@dataclass(frozen=True)
class ClinicianRecord:
    """The clinician whose NPI the claim carries as rendering provider: the treating PT, or
    for a PT assistant the supervising PT (assistants are not enrolled as rendering providers,
    billing-rules §11.1)."""

    name: str
    npi: str = ""
    is_assistant: bool = False
    supervisor_name: str = ""
    supervisor_npi: str = ""


@dataclass(frozen=True)
class PlanRecord:
    certified_by_name: str = ""
    certified_by_npi: str = ""


def electronic_payer_id(*, kind: str, payer_id: str, medicare_mac: str) -> str:
    """The payer id an electronic claim goes to: the payer's own, or for Medicare Part B the
    clinic's contractor (MAC) number, which is its Part B payer id (billing-rules §11.1)."""
    if payer_id.strip():
        return payer_id.strip()
    return medicare_mac.strip() if kind == "medicare" else ""


def _digits(value: str) -> str:
    return "".join(c for c in value if c.isascii() and c.isdigit())


def _missing(pairs: list[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(label for label, value in pairs if not value.strip())


def billing_gaps(
    *,
    clinic: ClinicRecord,
    patient: PatientRecord,
    payer: PayerRecord,
    clinician: ClinicianRecord | None,
    plan: PlanRecord | None,
    plan_required: bool,
) -> tuple[BillingGap, ...]:
    """Each record's missing fields, in the order a biller fixes them: the clinic once, then
    the patient, the payer, the clinician and the plan's certifier (the referring provider).
    A self-pay visit sends no claim and needs none of it."""
    if payer.kind in NO_CLAIM_KINDS:
        return ()
    gaps: list[BillingGap] = []
    clinic_missing = list(
        _missing(
            [
                ("group NPI", clinic.npi),
                ("tax id (EIN)", clinic.tax_id),
                ("street address", clinic.address_line1),
                ("city", clinic.city),
                ("state", clinic.state),
            ]
        )
    )
    if len(_digits(clinic.zip_code)) != 9:
        clinic_missing.append("ZIP+4 (nine digits)")
    if clinic_missing:
        gaps.append(BillingGap("clinic", tuple(clinic_missing), "the Clinic page"))
    patient_fields = [
        ("sex", patient.sex),
        ("street address", patient.address_line1),
        ("city", patient.city),
        ("state", patient.state),
        ("ZIP code", patient.zip_code),
        ("member ID", patient.member_id),
    ]
    if patient.relationship != SELF:
        patient_fields += [
            ("insured's first name", patient.subscriber_first_name),
            ("insured's last name", patient.subscriber_last_name),
            ("insured's date of birth", "x" if patient.subscriber_date_of_birth else ""),
        ]
    patient_missing = _missing(patient_fields)
    if patient_missing:
        gaps.append(BillingGap("patient", patient_missing, "the patient's page (Edit)"))
    if not electronic_payer_id(
        kind=payer.kind, payer_id=payer.payer_id, medicare_mac=clinic.medicare_mac
    ):
        where = (
            "the Clinic page (its Medicare contractor) or the payer's record (admin)"
            if payer.kind == "medicare"
            else "the payer's record (admin)"
        )
        gaps.append(BillingGap("payer", ("payer id",), where))
    if clinician is not None:
        if clinician.is_assistant:
            if not clinician.supervisor_name:
                gaps.append(
                    BillingGap(
                        "clinician",
                        (f"supervising PT of {clinician.name}",),
                        "the clinician's membership (admin)",
                    )
                )
            elif not clinician.supervisor_npi:
                gaps.append(
                    BillingGap(
                        "clinician",
                        (f"NPI of {clinician.supervisor_name}",),
                        "the clinician's membership (admin)",
                    )
                )
        elif not clinician.npi:
            gaps.append(
                BillingGap(
                    "clinician", (f"NPI of {clinician.name}",), "the clinician's membership (admin)"
                )
            )
    if plan_required and plan is not None and plan.certified_by_name and not plan.certified_by_npi:
        gaps.append(
            BillingGap(
                "plan of care",
                (f"NPI of the certifying physician {plan.certified_by_name}",),
                "the plan of care (Edit)",
            )
        )
    return tuple(gaps)
