"""The ASC X12 005010X222A1 837P (Health Care Claim: Professional) writer.

`write_837p` turns one `BatchDocument` into one interchange (ISA … IEA) holding one functional
group and one transaction set. Segment and element choices follow the 005010X222A1 TR3 (the
version HIPAA adopted); the loop names in the comments (2000A, 2010AA, …) are the TR3's.

The writer writes what it is given: `claims.submission.checks.check_batch` says what a payer
would reject before the file is written, and `claims.submission.validate` runs pyx12 over the
result. Standard library only.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from decimal import Decimal

from claims.submission.document import (
    Address,
    BatchDocument,
    ClaimDocument,
    Party,
    Person,
    Provider,
    ServiceLine,
)

VERSION = "005010X222A1"
SEGMENT_TERMINATOR = "~"
ELEMENT_SEPARATOR = "*"
COMPONENT_SEPARATOR = ":"
REPETITION_SEPARATOR = "^"
SELF = "18"  # individual relationship code: the patient is the subscriber
DIAGNOSES_PER_HI = 12  # HI01 … HI12

# The separators can never appear inside a value: a receiver would split on them.
_SEPARATORS = re.compile(r"[~*:^]")
_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


def write_837p(batch: BatchDocument) -> str:
    """The whole interchange, one segment a line (``~`` and a newline), for one batch."""
    transaction = _transaction(batch)
    control = f"{batch.transaction_number:04d}"
    body = [
        _segment("ST", "837", control, VERSION),
        *transaction,
    ]
    body.append(_segment("SE", str(len(body) + 1), control))
    segments = [
        _isa(batch),
        _gs(batch),
        *body,
        _segment("GE", "1", str(batch.group_number)),
        _segment("IEA", "1", f"{batch.interchange_number:09d}"),
    ]
    return "".join(f"{segment}{SEGMENT_TERMINATOR}\n" for segment in segments)


# --- envelope -------------------------------------------------------------------------------


def _isa(batch: BatchDocument) -> str:
    # The ISA is fixed width: receivers find the separators by their byte positions.
    created = batch.created_at
    return ELEMENT_SEPARATOR.join(
        [
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            _fixed(batch.submitter.id_qualifier, 2),
            _fixed(batch.submitter.id, 15),
            _fixed(batch.receiver.id_qualifier, 2),
            _fixed(batch.receiver.id, 15),
            created.strftime("%y%m%d"),
            created.strftime("%H%M"),
            REPETITION_SEPARATOR,
            "00501",
            f"{batch.interchange_number:09d}",
            "0",  # no TA1 asked for: the clearinghouse answers with a 999
            "P" if batch.production else "T",
            COMPONENT_SEPARATOR,
        ]
    )


def _gs(batch: BatchDocument) -> str:
    created = batch.created_at
    return _segment(
        "GS",
        "HC",
        _id(batch.submitter.id, 15),
        _id(batch.receiver.id, 15),
        created.strftime("%Y%m%d"),
        created.strftime("%H%M"),
        str(batch.group_number),
        "X",
        VERSION,
    )


# --- transaction ----------------------------------------------------------------------------


def _transaction(batch: BatchDocument) -> list[str]:
    created = batch.created_at
    segments = [
        _segment(
            "BHT",
            "0019",
            "00",  # original transmission
            _id(batch.batch_reference, 50) or f"{batch.transaction_number:04d}",
            created.strftime("%Y%m%d"),
            created.strftime("%H%M"),
            "CH",  # chargeable: a claim, not an encounter report
        ),
        *_submitter(batch.submitter),
        _organisation("40", batch.receiver.name, "46", batch.receiver.id),
    ]
    segments += _billing_provider(batch)
    hl = 1
    for claim in batch.claims:
        hl += 1
        segments += _subscriber(claim, hl)
        if not _patient_is_subscriber(claim):
            hl += 1
            segments += _patient(claim, hl, parent=hl - 1)
        segments += _claim(claim, billing_npi=batch.billing.provider.npi)
    return segments


def _submitter(submitter: Party) -> list[str]:
    """Loop 1000A: who sends the file, and whom its EDI department calls."""
    segments = [
        _organisation("41", submitter.name, "46", submitter.id),
    ]
    contacts: list[str] = []
    if phone := _digits(submitter.contact_phone):
        contacts += ["TE", phone[:256]]
    if email := _email(submitter.contact_email):
        contacts += ["EM", email]
    if contacts:
        segments.append(_segment("PER", "IC", _text(submitter.contact_name, 60), *contacts))
    return segments


def _billing_provider(batch: BatchDocument) -> list[str]:
    """Loops 2000A, 2010AA and 2010AB."""
    billing = batch.billing
    provider = billing.provider
    segments = [_segment("HL", "1", "", "20", "1")]
    if provider.taxonomy:
        segments.append(_segment("PRV", "BI", "PXC", _code(provider.taxonomy, 50)))
    segments.append(_provider_name("85", provider))
    segments += _address(billing.address)
    segments.append(_segment("REF", "EI", _digits(billing.tax_id)))
    if phone := _digits(billing.phone):
        segments.append(_segment("PER", "IC", "", "TE", phone[:256]))
    if billing.pay_to is not None:
        segments.append(_segment("NM1", "87", "2"))
        segments += _address(billing.pay_to)
    return segments


def _subscriber(claim: ClaimDocument, hl: int) -> list[str]:
    """Loops 2000B, 2010BA and 2010BB."""
    subscriber = claim.subscriber
    is_self = _patient_is_subscriber(claim)
    segments = [
        _segment("HL", str(hl), "1", "22", "0" if is_self else "1"),
        _segment(
            "SBR",
            "P",  # the payer of this file is the primary payer (no COB yet)
            SELF if is_self else "",
            _id(subscriber.group_number, 50),
            # The TR3 wants the group name only when there is no group number.
            "" if subscriber.group_number else _text(subscriber.group_name, 60),
            "",
            "",
            "",
            "",
            _code(claim.payer.filing_indicator, 2),
        ),
    ]
    person = claim.patient if is_self else subscriber.person
    if person is None:
        raise ValueError(
            f"Claim {claim.patient_control_number}: the subscriber is not the patient "
            f"(relationship {subscriber.relationship}) but the subscriber's name is missing."
        )
    segments.append(_person_name("IL", person, id_qualifier="MI", id_value=subscriber.member_id))
    # The TR3 (and X12 RFI 2281): the subscriber's address and demographics only when the
    # patient is the subscriber; otherwise they are sent for the patient in 2010CA and
    # "do not send" here.
    if is_self:
        segments += _address(person.address)
        segments.append(_demographics(person))
    payer = claim.payer
    segments.append(_organisation("PR", payer.name, "PI", payer.payer_id))
    if payer.address is not None:
        segments += _address(payer.address)
    return segments


def _patient(claim: ClaimDocument, hl: int, *, parent: int) -> list[str]:
    """Loops 2000C and 2010CA, for a patient who is not the subscriber."""
    patient = claim.patient
    return [
        _segment("HL", str(hl), str(parent), "23", "0"),
        _segment("PAT", _code(claim.subscriber.relationship, 2)),
        _person_name("QC", patient),
        *_address(patient.address),
        _demographics(patient),
    ]


def _claim(claim: ClaimDocument, *, billing_npi: str) -> list[str]:
    """Loop 2300 and the loops below it (2310A, 2310B, 2400)."""
    segments = [
        _segment(
            "CLM",
            _id(claim.patient_control_number, 38),
            _amount(claim.total_charge),
            "",
            "",
            _composite(_code(claim.place_of_service, 2), "B", _code(claim.frequency_code, 1)),
            "Y",  # provider signature on file
            "A" if claim.accept_assignment else "C",
            "Y",  # benefits assigned to the provider
            "Y",  # release of information signed
        )
    ]
    if claim.onset_date is not None:
        segments.append(_segment("DTP", "431", "D8", _date(claim.onset_date)))
    if claim.prior_authorization:
        segments.append(_segment("REF", "G1", _id(claim.prior_authorization, 50)))
    if claim.frequency_code in ("7", "8") and claim.original_claim_number:
        segments.append(_segment("REF", "F8", _id(claim.original_claim_number, 50)))
    if claim.diagnoses:
        segments.append(_diagnoses(claim.diagnoses))
    if claim.referring is not None:
        segments.append(_provider_name("DN", claim.referring))
    # Without a 2310B the payer takes the billing provider as the rendering one.
    if claim.rendering.npi != billing_npi:
        segments.append(_provider_name("82", claim.rendering))
        if claim.rendering.taxonomy:
            segments.append(_segment("PRV", "PE", "PXC", _code(claim.rendering.taxonomy, 50)))
    for number, line in enumerate(claim.lines, start=1):
        segments += _service_line(line, number, claim_place=claim.place_of_service)
    return segments


def _diagnoses(codes: tuple[str, ...]) -> str:
    composites = [
        _composite("ABK" if position == 0 else "ABF", _code(code.replace(".", ""), 30))
        for position, code in enumerate(codes)
    ]
    return _segment("HI", *composites)


def _service_line(line: ServiceLine, number: int, *, claim_place: str) -> list[str]:
    place = _code(line.place_of_service, 2) if line.place_of_service != claim_place else ""
    return [
        _segment("LX", str(number)),
        _segment(
            "SV1",
            _composite("HC", _code(line.code, 48), *(_code(m, 2) for m in line.modifiers)),
            _amount(line.charge),
            "UN",
            str(line.units),
            place,
            "",
            _composite(*(str(pointer) for pointer in line.dx_pointers)),
        ),
        _segment("DTP", "472", "D8", _date(line.date_of_service)),
        *([_segment("REF", "6R", _id(line.control_number, 50))] if line.control_number else []),
    ]


# --- shared segments ------------------------------------------------------------------------


def _provider_name(entity: str, provider: Provider) -> str:
    if provider.organisation:
        names = ["2", _text(provider.last_name, 60), "", ""]
    else:
        names = ["1", _text(provider.last_name, 60), _text(provider.first_name, 35), ""]
    return _segment("NM1", entity, *names, "", "", "XX", _id(provider.npi, 80))


def _organisation(entity: str, name: str, id_qualifier: str, id_value: str) -> str:
    return _segment(
        "NM1", entity, "2", _text(name, 60), "", "", "", "", id_qualifier, _id(id_value, 80)
    )


def _person_name(entity: str, person: Person, *, id_qualifier: str = "", id_value: str = "") -> str:
    return _segment(
        "NM1",
        entity,
        "1",
        _text(person.last_name, 60),
        _text(person.first_name, 35),
        _text(person.middle_name, 25),
        "",
        "",
        id_qualifier if id_value else "",
        _id(id_value, 80),
    )


def _address(address: Address) -> list[str]:
    return [
        _segment("N3", _text(address.line1, 55), _text(address.line2, 55)),
        _segment("N4", _text(address.city, 30), _text(address.state, 2), _zip(address.zip_code)),
    ]


def _demographics(person: Person) -> str:
    return _segment("DMG", "D8", _date(person.date_of_birth), _code(person.sex, 1))


# --- values ---------------------------------------------------------------------------------


def _segment(segment_id: str, *elements: str) -> str:
    # X12 forbids trailing empty elements; empty ones in the middle keep their place.
    values = list(elements)
    while values and not values[-1]:
        values.pop()
    return ELEMENT_SEPARATOR.join([segment_id, *values])


def _composite(*components: str) -> str:
    values = list(components)
    while values and not values[-1]:
        values.pop()
    return COMPONENT_SEPARATOR.join(values)


def _ascii(value: str) -> str:
    # Payers read the basic character set: "José" goes as "JOSE", not as bytes they reject.
    decomposed = unicodedata.normalize("NFKD", value)
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _text(value: str, max_length: int) -> str:
    """A name or free text: upper case, no separators, single spaces, cut to the element's
    maximum length."""
    cleaned = _SPACES.sub(" ", _SEPARATORS.sub(" ", _ascii(value))).strip().upper()
    return cleaned[:max_length].rstrip()


def _id(value: str, max_length: int) -> str:
    """An identifier (NPI, member id, control number): no separators and no spaces, its case
    kept; the receiver matches it as assigned."""
    return _SEPARATORS.sub("", _SPACES.sub("", _ascii(value)))[:max_length]


def _code(value: str, max_length: int) -> str:
    """A code from a code list (HCPCS, modifier, ICD-10-CM, taxonomy): an identifier in upper
    case."""
    return _id(value, max_length).upper()


def _fixed(value: str, width: int) -> str:
    return _id(value, width).ljust(width)


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def _email(value: str) -> str:
    # An address keeps its case (the part before "@" may be case-sensitive).
    return _SEPARATORS.sub("", _SPACES.sub("", _ascii(value)))[:256]


def _zip(value: str) -> str:
    return _digits(value)[:9]


def _date(value: dt.date) -> str:
    return value.strftime("%Y%m%d")


def _amount(value: Decimal) -> str:
    """An X12 decimal (type R): no exponent, no trailing zeros after the point ("100", "100.5",
    "0.05")."""
    text = format(value.quantize(Decimal("0.01")), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def _patient_is_subscriber(claim: ClaimDocument) -> bool:
    return claim.subscriber.relationship == SELF


def segments_of(text: str) -> list[str]:
    """The segments of a file this module wrote, without terminators (for tests and tools)."""
    return [part.strip() for part in text.split(SEGMENT_TERMINATOR) if part.strip()]
