"""What leaves the building: a claim as the payer receives it, in plain frozen dataclasses.

`claims.submission.collect` builds these from the database (one place); the 837P writer
(`claims.submission.x12`) and the CMS-1500 form (`claims.submission.cms1500`) only read them.
No Django here, so both writers are tested without a database.

Amounts are `Decimal` with two places; dates are `datetime.date`; codes are upper case without
dots (ICD-10-CM "M54.50" is given as "M5450").
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Address:
    line1: str
    city: str
    state: str  # two letters
    zip_code: str  # 5 or 9 digits (the 837P billing provider needs 9)
    line2: str = ""


@dataclass(frozen=True)
class Person:
    """A patient or subscriber."""

    last_name: str
    first_name: str
    date_of_birth: dt.date
    sex: str  # "M", "F" or "U"
    address: Address
    middle_name: str = ""
    phone: str = ""


@dataclass(frozen=True)
class Provider:
    """A billing, rendering or referring provider: a person (last and first name) or an
    organisation (``organisation`` true: ``last_name`` holds its legal name)."""

    last_name: str
    npi: str
    first_name: str = ""
    organisation: bool = False
    taxonomy: str = ""  # e.g. 225100000X physical therapist, 225200000X PT assistant
    credential: str = ""  # "PT", "PTA" (printed on the CMS-1500 box 31)


@dataclass(frozen=True)
class BillingProvider:
    """The clinic as the payer pays it (837P loop 2010AA, CMS-1500 boxes 25, 33)."""

    provider: Provider  # organisation, group NPI, taxonomy
    tax_id: str  # EIN, nine digits without the dash
    address: Address  # a street address (no PO box)
    phone: str = ""  # ten digits
    pay_to: Address | None = None  # 2010AB when payments go elsewhere


@dataclass(frozen=True)
class PayerParty:
    name: str
    payer_id: str  # the electronic payer id the clearinghouse uses
    filing_indicator: str  # SBR09: MB Medicare Part B, MC Medicaid, CI commercial, BL, HM, …
    address: Address | None = None
    insurance_type: str = "other"  # CMS-1500 box 1: medicare, medicaid, tricare, champva,
    # group, feca, other


@dataclass(frozen=True)
class Subscriber:
    """The insured: the patient (relationship "18", ``person`` None) or another person."""

    member_id: str
    relationship: str = "18"  # X12 individual relationship code: 18 self, 01 spouse, 19 child,
    # 20 employee, G8 other
    person: Person | None = None  # None when the patient is the subscriber
    group_number: str = ""
    group_name: str = ""


@dataclass(frozen=True)
class ServiceLine:
    """One 2400 loop / one CMS-1500 row 24."""

    code: str  # HCPCS / CPT
    modifiers: tuple[str, ...]  # at most 4
    units: int
    charge: Decimal  # the line's billed charge (units × the clinic's charge)
    date_of_service: dt.date
    dx_pointers: tuple[int, ...]  # 1-based positions into Claim.diagnoses, at most 4
    rendering_npi: str = ""  # box 24J; the 837P uses the claim's rendering provider
    place_of_service: str = ""  # empty: the claim's
    control_number: str = ""  # REF*6R: the line's id, which the 835 sends back (§12.1)


@dataclass(frozen=True)
class ClaimDocument:
    """One claim (837P loop 2300 and below; one CMS-1500 form)."""

    patient_control_number: str  # CLM01, box 26: how the 835 finds the claim again (≤ 20)
    patient: Person
    subscriber: Subscriber
    payer: PayerParty
    rendering: Provider
    diagnoses: tuple[str, ...]  # ICD-10-CM, at most 12, first is the principal
    lines: tuple[ServiceLine, ...]
    place_of_service: str = "11"  # office
    frequency_code: str = "1"  # 1 original, 7 replacement, 8 void
    original_claim_number: str = ""  # payer's claim number (REF*F8) for 7 and 8
    referring: Provider | None = None  # the plan of care's certifier (2310A, box 17)
    onset_date: dt.date | None = None  # DTP*431, box 14
    prior_authorization: str = ""  # REF*G1, box 23
    signature_date: dt.date | None = None  # box 31 date; the claim's approval date
    accept_assignment: bool = True
    secondary_payer: PayerParty | None = None  # kept for later (COB not sent yet)

    @property
    def total_charge(self) -> Decimal:
        return sum((line.charge for line in self.lines), Decimal("0.00"))


@dataclass(frozen=True)
class Party:
    """The submitter (1000A) or receiver (1000B) of an interchange, as the clearinghouse set
    it up: its id (ISA06/ISA08 and NM109) and name."""

    id: str
    name: str
    id_qualifier: str = "ZZ"  # ISA05/ISA07: ZZ mutually defined, 30 federal tax id, …
    contact_name: str = ""  # 1000A PER
    contact_phone: str = ""
    contact_email: str = ""


@dataclass(frozen=True)
class BatchDocument:
    """One 837P file: one payer's claims from one billing provider."""

    submitter: Party
    receiver: Party
    billing: BillingProvider
    claims: tuple[ClaimDocument, ...]
    interchange_number: int  # ISA13, 1..999999999, unique per submitter
    group_number: int  # GS06
    transaction_number: int  # ST02/SE02 (4-9 digits when written)
    created_at: dt.datetime
    production: bool = False  # ISA15: P production, T test
    batch_reference: str = ""  # BHT03: the batch's own id
