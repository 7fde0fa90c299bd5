"""What a payer rejects in an 837P batch that the X12 syntax (pyx12) lets through.

pyx12 checks the file against the 005010X222A1 map: segments, element lengths, code lists. It
does not know that an NPI has a check digit, that a diagnosis pointer must point at a
diagnosis, or that a replacement claim needs the payer's claim number. `check_batch` does, on
the document before it is written, and says in one sentence per problem which claim (by its
patient control number) and what to fix.

Sources: the 005010X222A1 TR3 (CLM01 and the REF*F8 note, HI, SV101, SV107, the 2010AA N4 note
asking for the nine-digit ZIP code, the 2300 loop repeat of 100 and the 2400 loop repeat of 50)
and CMS's NPI check digit (`ptclinic.validators.npi_is_valid`, which needs no Django settings).
"""

from __future__ import annotations

import re
from collections import Counter

from claims.submission.document import Address, BatchDocument, ClaimDocument, Party
from ptclinic.validators import npi_is_valid

MAX_DIAGNOSES = 12  # HI01 … HI12
MAX_MODIFIERS = 4  # SV101-3 … SV101-6
MAX_POINTERS = 4  # SV107-1 … SV107-4
MAX_LINES = 50  # the 2400 loop repeats at most 50 times
MAX_CONTROL_NUMBER = 20  # CLM01: the TR3 allows 38, but payers keep only 20 (box 26)
REPLACEMENT_CODES = ("7", "8")
FREQUENCY_CODES = ("1", *REPLACEMENT_CODES)
SELF = "18"

# ICD-10-CM without the dot: a letter, a digit, a letter or digit, then up to four more.
_ICD10_CM = re.compile(r"[A-Z][0-9][A-Z0-9]{1,5}")
_MODIFIER = re.compile(r"[A-Z0-9]{2}")


def check_batch(batch: BatchDocument) -> list[str]:
    """Every problem in the batch a payer or clearinghouse would reject, as sentences."""
    problems: list[str] = []
    problems += _check_parties(batch)
    problems += _check_billing(batch)
    if not batch.claims:
        problems.append("The batch has no claims; an 837P needs at least one.")
    counts = Counter(claim.patient_control_number for claim in batch.claims)
    for number, count in counts.items():
        if count > 1:
            problems.append(
                f"Claim {number}: the patient control number is used by {count} claims in "
                "this batch; give each claim its own number so the payer's 835 finds it again."
            )
    for claim in batch.claims:
        problems += _check_claim(claim)
    return problems


def _check_parties(batch: BatchDocument) -> list[str]:
    problems: list[str] = []
    for role, party in (("submitter", batch.submitter), ("receiver", batch.receiver)):
        if not 2 <= len(party.id) <= 15:
            problems.append(
                f"The {role} id {party.id!r} must be 2 to 15 characters (ISA06/ISA08); use "
                "the id the clearinghouse assigned."
            )
    if not _has_contact(batch.submitter):
        problems.append(
            "The submitter needs a contact phone number or email address (1000A PER); add one "
            "to the clearinghouse settings."
        )
    return problems


def _check_billing(batch: BatchDocument) -> list[str]:
    billing = batch.billing
    problems: list[str] = []
    if not npi_is_valid(billing.provider.npi):
        problems.append(
            f"The billing provider's NPI {billing.provider.npi!r} is not a valid NPI (ten "
            "digits with a correct check digit); correct the clinic's group NPI."
        )
    if not (len(billing.tax_id) == 9 and billing.tax_id.isdigit()):
        problems.append(
            f"The billing provider's tax id {billing.tax_id!r} must be nine digits (the EIN "
            "without the dash); correct the clinic's tax id."
        )
    problems += _check_address("The billing provider's address", billing.address, nine=True)
    if billing.pay_to is not None:
        problems += _check_address("The pay-to address", billing.pay_to)
    return problems


def _check_claim(claim: ClaimDocument) -> list[str]:
    name = f"Claim {claim.patient_control_number or '(no patient control number)'}"
    problems: list[str] = []
    if not claim.patient_control_number:
        problems.append(f"{name}: the patient control number (CLM01) is empty; give it one.")
    elif len(claim.patient_control_number) > MAX_CONTROL_NUMBER:
        problems.append(
            f"{name}: the patient control number has {len(claim.patient_control_number)} "
            f"characters; payers keep at most {MAX_CONTROL_NUMBER}, so shorten it."
        )
    problems += _check_diagnoses(name, claim)
    problems += _check_lines(name, claim)
    problems += _check_subscriber(name, claim)
    problems += _check_providers(name, claim)
    if claim.frequency_code not in FREQUENCY_CODES:
        problems.append(
            f"{name}: frequency code {claim.frequency_code!r} is not 1 (original), "
            "7 (replacement) or 8 (void); choose one of those."
        )
    if claim.frequency_code in REPLACEMENT_CODES and not claim.original_claim_number.strip():
        action = "replacement" if claim.frequency_code == "7" else "void"
        problems.append(
            f"{name}: a {action} claim (frequency {claim.frequency_code}) needs the payer's "
            "original claim number (REF*F8); enter it from the payer's 835 or portal."
        )
    problems += _check_address(f"{name}: the patient's address", claim.patient.address)
    return problems


def _check_diagnoses(name: str, claim: ClaimDocument) -> list[str]:
    problems: list[str] = []
    if not claim.diagnoses:
        problems.append(f"{name}: the claim has no diagnosis; add at least one ICD-10-CM code.")
    if len(claim.diagnoses) > MAX_DIAGNOSES:
        problems.append(
            f"{name}: the claim has {len(claim.diagnoses)} diagnoses; an 837P carries at most "
            f"{MAX_DIAGNOSES}, so keep the {MAX_DIAGNOSES} the lines point to."
        )
    for code in claim.diagnoses:
        if not _ICD10_CM.fullmatch(code):
            problems.append(
                f"{name}: diagnosis {code!r} is not an ICD-10-CM code as the 837P wants it (a "
                "letter, a digit, then one to five letters or digits, upper case, no dot); "
                "correct it."
            )
    for code, count in Counter(claim.diagnoses).items():
        if count > 1:
            problems.append(f"{name}: diagnosis {code} is listed {count} times; list it once.")
    return problems


def _check_lines(name: str, claim: ClaimDocument) -> list[str]:
    problems: list[str] = []
    if not claim.lines:
        problems.append(f"{name}: the claim has no service lines; add at least one.")
    if len(claim.lines) > MAX_LINES:
        problems.append(
            f"{name}: the claim has {len(claim.lines)} service lines; an 837P claim carries at "
            f"most {MAX_LINES}, so split it into two claims."
        )
    for number, line in enumerate(claim.lines, start=1):
        where = f"{name}, line {number} ({line.code})"
        if line.charge <= 0:
            problems.append(f"{where}: the charge is {line.charge}; a billed line needs a charge.")
        if line.units < 1:
            problems.append(f"{where}: {line.units} units; a billed line needs at least one unit.")
        if len(line.modifiers) > MAX_MODIFIERS:
            problems.append(
                f"{where}: {len(line.modifiers)} modifiers ({' '.join(line.modifiers)}); the "
                f"837P carries at most {MAX_MODIFIERS}, so keep the ones the payer needs."
            )
        for modifier in line.modifiers:
            if not _MODIFIER.fullmatch(modifier):
                problems.append(
                    f"{where}: modifier {modifier!r} is not two letters or digits; correct it."
                )
        problems += _check_pointers(where, line.dx_pointers, len(claim.diagnoses))
        if line.rendering_npi and line.rendering_npi != claim.rendering.npi:
            problems.append(
                f"{where}: the line was rendered by NPI {line.rendering_npi} but the claim's "
                f"rendering provider is {claim.rendering.npi}; the 837P sends one rendering "
                "provider per claim, so bill that line on a claim of its own."
            )
    return problems


def _check_pointers(where: str, pointers: tuple[int, ...], diagnoses: int) -> list[str]:
    problems: list[str] = []
    if not pointers:
        problems.append(f"{where}: the line points to no diagnosis; point it to at least one.")
    if len(pointers) > MAX_POINTERS:
        problems.append(
            f"{where}: the line points to {len(pointers)} diagnoses; at most {MAX_POINTERS} "
            "are allowed, so keep the most relevant."
        )
    for pointer in pointers:
        if not 1 <= pointer <= diagnoses:
            problems.append(
                f"{where}: diagnosis pointer {pointer} points past the claim's {diagnoses} "
                "diagnoses; point it to one of them."
            )
    return problems


def _check_subscriber(name: str, claim: ClaimDocument) -> list[str]:
    subscriber = claim.subscriber
    problems: list[str] = []
    if not subscriber.member_id.strip():
        problems.append(f"{name}: the subscriber's member id is empty; enter it from the card.")
    if subscriber.relationship == SELF and subscriber.person is not None:
        problems.append(
            f"{name}: the subscriber is marked as the patient (relationship 18) but another "
            "person is given as the subscriber; choose the right relationship."
        )
    if subscriber.relationship != SELF and subscriber.person is None:
        problems.append(
            f"{name}: the subscriber is not the patient (relationship "
            f"{subscriber.relationship}) but the subscriber's name and birth date are "
            "missing; enter the insured person."
        )
    if subscriber.person is not None:
        problems += _check_address(f"{name}: the subscriber's address", subscriber.person.address)
    return problems


def _check_providers(name: str, claim: ClaimDocument) -> list[str]:
    problems: list[str] = []
    providers = [("rendering", claim.rendering)]
    if claim.referring is not None:
        providers.append(("referring", claim.referring))
    for role, provider in providers:
        if not npi_is_valid(provider.npi):
            problems.append(
                f"{name}: the {role} provider's NPI {provider.npi!r} is not a valid NPI (ten "
                "digits with a correct check digit); correct it."
            )
    for number, line in enumerate(claim.lines, start=1):
        if line.rendering_npi and not npi_is_valid(line.rendering_npi):
            problems.append(
                f"{name}, line {number} ({line.code}): the rendering NPI "
                f"{line.rendering_npi!r} is not a valid NPI; correct it."
            )
    return problems


def _check_address(what: str, address: Address, *, nine: bool = False) -> list[str]:
    problems: list[str] = []
    if not (len(address.state) == 2 and address.state.isalpha()):
        problems.append(f"{what} has state {address.state!r}; use the two-letter code.")
    zip_code = address.zip_code
    if nine and not (len(zip_code) == 9 and zip_code.isdigit()):
        problems.append(
            f"{what} has ZIP code {zip_code!r}; the 837P needs all nine digits (ZIP+4) "
            "without a dash for the billing provider, so add the four-digit extension."
        )
    elif not (len(zip_code) in (5, 9) and zip_code.isdigit()):
        problems.append(f"{what} has ZIP code {zip_code!r}; use five or nine digits, no dash.")
    if not address.line1.strip() or not address.city.strip():
        problems.append(f"{what} needs a street line and a city.")
    return problems


def _has_contact(party: Party) -> bool:
    return bool(party.contact_phone.strip() or party.contact_email.strip())
