"""Reading a payer's 835 (Health Care Claim Payment/Advice, 005010X221A1) into plain documents.

pyx12 reads the file: it takes the delimiters from the ISA header, so a file with ``~`` or a
newline between segments, ``*`` or ``|`` between elements and ``:`` or ``>`` between components
reads the same. This module turns its segments into frozen dataclasses (one `Payment` per
transaction set: one check or EFT), and refuses a file it cannot post from with sentences
naming the segment (`EraError`). pyx12's validator runs too: where the file departs from the
implementation guide without making it unreadable (a missing contact, a date in the wrong
place), the payer's file is still posted and the departures are kept as warnings
(docs/billing-rules.md §12.1).

No Django here: `claims.remittance.services` stores what this returns.
"""

from __future__ import annotations

import datetime as dt
import io
import logging
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

import pyx12.errors
import pyx12.x12file

from claims.submission.validate import pyx12_problems

logging.getLogger("pyx12").addHandler(logging.NullHandler())

VERSION = "005010X221A1"
ZERO = Decimal("0.00")

# CLP02, the claim status the payer gives (X12 code list 1029, as the 835 guide uses it).
PROCESSED_CODES = frozenset({"1", "2", "3", "19", "20", "21"})
DENIED_CODE = "4"
REVERSAL_CODE = "22"
STATUS_WORDS = {
    "1": "processed as primary",
    "2": "processed as secondary",
    "3": "processed as tertiary",
    "4": "denied",
    "19": "processed as primary, forwarded to another payer",
    "20": "processed as secondary, forwarded to another payer",
    "21": "processed as tertiary, forwarded to another payer",
    "22": "reversal of an earlier payment",
    "23": "not our claim, forwarded to another payer",
    "25": "predetermination only, not paid",
}
METHODS = {"CHK": "check", "ACH": "EFT", "FWT": "wire transfer", "BOP": "EFT", "NON": "no payment"}


@dataclass(frozen=True)
class Adjustment:
    """One CAS amount: group (CO, PR, OA, PI, CR) and reason code (CARC)."""

    group: str
    reason: str
    amount: Decimal
    quantity: Decimal | None = None

    @property
    def label(self) -> str:
        return f"{self.group}-{self.reason}"


@dataclass(frozen=True)
class ServicePayment:
    """One SVC loop: what the payer did with one service line."""

    code: str  # the procedure code as billed (SVC06 when the payer changed it, else SVC01)
    modifiers: tuple[str, ...]
    charge: Decimal
    paid: Decimal
    units: int
    service_date: dt.date | None
    adjustments: tuple[Adjustment, ...]
    remarks: tuple[str, ...]  # RARC (LQ*HE)
    allowed: Decimal | None  # AMT*B6, when the payer sends it
    line_control_number: str  # REF*6R: the line id we sent
    segment: int = field(default=0, compare=False)  # the SVC's number in the file

    @property
    def patient_responsibility(self) -> Decimal:
        return sum((a.amount for a in self.adjustments if a.group == "PR"), ZERO)


@dataclass(frozen=True)
class ClaimPayment:
    """One CLP loop: the payer's decision on one claim."""

    control_number: str  # CLP01: the patient control number we sent in CLM01 (PTC<id>)
    status_code: str  # CLP02
    charge: Decimal
    paid: Decimal
    patient_responsibility: Decimal
    filing_indicator: str
    payer_claim_number: str  # CLP07
    patient_name: str
    member_id: str
    service_date: dt.date | None
    adjustments: tuple[Adjustment, ...]  # claim-level CAS
    remarks: tuple[str, ...]  # MOA / MIA remark codes
    services: tuple[ServicePayment, ...]
    segment: int = field(default=0, compare=False)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.status_code, f"status {self.status_code}")


@dataclass(frozen=True)
class ProviderAdjustment:
    """A PLB amount: money the payer takes back (positive) or adds (negative) outside any
    claim, e.g. a recovered overpayment or interest."""

    reason: str
    reference: str
    amount: Decimal


@dataclass(frozen=True)
class Payment:
    """One transaction set: one check or EFT and the claims it pays."""

    control: str  # ST02
    payer_name: str
    payer_identifier: str  # REF*2U, else TRN03 (the payer's id as originator)
    payee_name: str
    payee_npi: str
    trace_number: str  # TRN02: the check or EFT number
    method: str  # BPR04
    amount: Decimal  # BPR02
    paid_on: dt.date
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustment, ...] = ()

    @property
    def method_words(self) -> str:
        return METHODS.get(self.method, self.method)


@dataclass(frozen=True)
class Era:
    payments: tuple[Payment, ...]
    warnings: tuple[str, ...] = ()

    @property
    def claims(self) -> Iterator[ClaimPayment]:
        for payment in self.payments:
            yield from payment.claims


class EraError(ValueError):
    """The file cannot be posted from: each problem a sentence naming where it is."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(" ".join(problems))
        self.problems = problems


# --- reading ---------------------------------------------------------------------------------


@dataclass
class _Segment:
    number: int  # 1-based, in the file
    id: str
    elements: list[Any]  # pyx12 elements and composites, 1-based via `value`

    def value(self, position: int) -> str:
        if position > len(self.elements):
            return ""
        element = self.elements[position - 1]
        return (element.get_value("01") if element.is_composite() else element.get_value()) or ""

    def components(self, position: int) -> list[str]:
        if position > len(self.elements):
            return []
        element = self.elements[position - 1]
        if element.is_composite():
            return [part.get_value() or "" for part in element.elements]
        text = element.get_value() or ""
        # Some payers use another component separator than the one their ISA16 declares.
        for separator in (">", ":", "^"):
            if separator in text:
                return text.split(separator)
        return [text] if text else []

    def text(self) -> str:
        return "*".join([self.id, *(self.value_raw(i) for i in range(1, len(self.elements) + 1))])

    def value_raw(self, position: int) -> str:
        element = self.elements[position - 1]
        if element.is_composite():
            return ":".join(part.get_value() or "" for part in element.elements)
        return element.get_value() or ""


def _segments(text: str) -> list[_Segment]:
    try:
        reader = pyx12.x12file.X12Reader(io.StringIO(text))
        segments = []
        for number, segment in enumerate(reader, start=1):
            elements = [segment.get(f"{i:02d}") for i in range(1, len(segment) + 1)]
            segments.append(_Segment(number, segment.get_seg_id(), elements))
    except pyx12.errors.X12Error as error:
        raise EraError([f"The file is not a readable X12 file: {error}."]) from None
    return segments


def read_835(text: str) -> Era:
    """The payments of an 835 file, or `EraError` with every reason it cannot be posted."""
    text = text.removeprefix("\ufeff").lstrip()
    if not text.startswith("ISA"):
        raise EraError(["The file does not start with an ISA header, so it is not an X12 file."])
    segments = _segments(text)
    problems = _envelope_problems(segments)
    if problems:
        raise EraError(problems)
    reader = _Reader(segments)
    payments = reader.payments()
    if reader.problems:
        raise EraError(reader.problems)
    if not payments:
        raise EraError(["The file holds no 835 transaction set (ST*835), so nothing to post."])
    warnings = [*reader.warnings, *_balance_warnings(payments)]
    try:
        warnings += pyx12_problems(text)
    except Exception as error:  # the validator's own crash is not a reason to refuse posting
        warnings.append(f"pyx12 could not check the file against the 835 guide ({error}).")
    return Era(payments=tuple(payments), warnings=tuple(dict.fromkeys(warnings)))


def _envelope_problems(segments: list[_Segment]) -> list[str]:
    problems: list[str] = []
    ids = [s.id for s in segments]
    for segment in segments:
        if segment.id == "GS" and segment.value(1) != "HP":
            problems.append(
                f"Segment {segment.number} (GS): functional group {segment.value(6)} is "
                f"{segment.value(1)!r}, not HP (claim payment): this is not an 835 file."
            )
        if segment.id == "ST" and segment.value(1) != "835":
            problems.append(
                f"Segment {segment.number} (ST): transaction set {segment.value(2)} is of type "
                f"{segment.value(1)}, not an 835 remittance."
            )
    if ids.count("ST") != ids.count("SE") or ids.count("ISA") != ids.count("IEA"):
        problems.append(
            "The file stops before its end (a transaction set or interchange is not closed "
            "by SE/IEA): it may have been cut off in transfer. Ask the payer or clearinghouse "
            "for the file again."
        )
    return problems


def _balance_warnings(payments: list[Payment]) -> list[str]:
    """The 835 guide's balancing: the payment equals the claims' payments less the provider
    adjustments. A file that does not balance is posted claim by claim, and said so."""
    warnings = []
    for payment in payments:
        claims = sum((c.paid for c in payment.claims), ZERO)
        taken = sum((a.amount for a in payment.provider_adjustments), ZERO)
        if claims - taken != payment.amount:
            warnings.append(
                f"Payment {payment.trace_number} does not balance: the claims pay "
                f"${claims:,.2f}, less ${taken:,.2f} of provider adjustments, but the "
                f"{payment.method_words} is ${payment.amount:,.2f}."
            )
    return warnings


@dataclass
class _Reader:
    segments: list[_Segment]
    problems: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def money(self, segment: _Segment, position: int, *, required: bool = True) -> Decimal:
        raw = segment.value(position)
        if not raw:
            if required:
                self.problems.append(
                    f"Segment {segment.number} ({segment.id}): the amount in "
                    f"{segment.id}{position:02d} is missing."
                )
            return ZERO
        try:
            return Decimal(raw).quantize(Decimal("0.01"))
        except InvalidOperation:
            self.problems.append(
                f"Segment {segment.number} ({segment.id}): {raw!r} in {segment.id}"
                f"{position:02d} is not an amount."
            )
            return ZERO

    def date(self, segment: _Segment, raw: str) -> dt.date | None:
        try:
            return dt.datetime.strptime(raw, "%Y%m%d").date()
        except ValueError:
            if raw:
                self.warnings.append(
                    f"Segment {segment.number} ({segment.id}): {raw!r} is not a date."
                )
            return None

    def payments(self) -> list[Payment]:
        payments: list[Payment] = []
        current: list[_Segment] = []
        for segment in self.segments:
            if segment.id == "ST":
                current = [segment]
            elif current:
                current.append(segment)
                if segment.id == "SE":
                    payment = self.payment(current)
                    if payment:
                        payments.append(payment)
                    current = []
        return payments

    def payment(self, segments: list[_Segment]) -> Payment | None:
        first = {s.id: s for s in reversed(segments)}  # the first of each id
        bpr, trn = first.get("BPR"), first.get("TRN")
        st = segments[0]
        if bpr is None or trn is None:
            self.problems.append(
                f"Transaction set {st.value(2)} (segment {st.number}) has no "
                f"{'BPR' if bpr is None else 'TRN'} segment: the payment itself is missing."
            )
            return None
        payer_name = payer_id = payee_name = payee_npi = ""
        provider_adjustments: list[ProviderAdjustment] = []
        claims: list[ClaimPayment] = []
        party = ""
        production = None
        claim_segments: list[_Segment] = []
        for segment in segments[1:]:
            if segment.id == "N1":
                party = segment.value(1)
                if party == "PR":
                    payer_name = segment.value(2)
                elif party == "PE":
                    payee_name = segment.value(2)
                    if segment.value(3) == "XX":
                        payee_npi = segment.value(4)
            elif segment.id == "REF" and party == "PR" and segment.value(1) == "2U":
                payer_id = segment.value(2)
            elif segment.id == "DTM" and segment.value(1) == "405":
                production = self.date(segment, segment.value(2))
            elif segment.id in ("CLP", "PLB", "SE"):
                if claim_segments:
                    claims.append(self.claim(claim_segments))
                claim_segments = [segment] if segment.id == "CLP" else []
                if segment.id == "PLB":
                    provider_adjustments += self.provider_adjustments(segment)
            elif claim_segments:
                claim_segments.append(segment)
        paid_on = self.date(bpr, bpr.value(16)) or production
        if paid_on is None:
            self.problems.append(
                f"Segment {bpr.number} (BPR): the payment has no date (BPR16), and the file "
                "no production date (DTM*405) to take instead."
            )
            paid_on = dt.date.min
        elif not bpr.value(16) or paid_on is production:
            self.warnings.append(
                f"Segment {bpr.number} (BPR): the payment date is missing or not a date; "
                f"the file's production date {paid_on:%m/%d/%Y} is used instead."
            )
        if not trn.value(2):
            self.problems.append(
                f"Segment {trn.number} (TRN): the check or EFT number (TRN02) is missing."
            )
        return Payment(
            control=st.value(2),
            payer_name=payer_name,
            payer_identifier=payer_id or trn.value(3),
            payee_name=payee_name,
            payee_npi=payee_npi,
            trace_number=trn.value(2),
            method=bpr.value(4),
            amount=self.money(bpr, 2),
            paid_on=paid_on,
            claims=tuple(claims),
            provider_adjustments=tuple(provider_adjustments),
        )

    def provider_adjustments(self, plb: _Segment) -> list[ProviderAdjustment]:
        out = []
        for position in range(3, len(plb.elements) + 1, 2):
            parts = plb.components(position)
            if not parts:
                continue
            out.append(
                ProviderAdjustment(
                    reason=parts[0],
                    reference=parts[1] if len(parts) > 1 else "",
                    amount=self.money(plb, position + 1),
                )
            )
        return out

    def adjustments(self, cas: _Segment) -> list[Adjustment]:
        group = cas.value(1)
        out = []
        for position in range(2, min(len(cas.elements), 19) + 1, 3):
            reason = cas.value(position)
            if not reason:
                continue
            quantity = cas.value(position + 2)
            out.append(
                Adjustment(
                    group=group,
                    reason=reason,
                    amount=self.money(cas, position + 1),
                    quantity=Decimal(quantity) if _is_number(quantity) else None,
                )
            )
        return out

    def claim(self, segments: list[_Segment]) -> ClaimPayment:
        clp = segments[0]
        if not clp.value(1):
            self.problems.append(
                f"Segment {clp.number} (CLP): the patient control number (CLP01) is missing, "
                "so the payment cannot find its claim."
            )
        adjustments: list[Adjustment] = []
        remarks: list[str] = []
        services: list[ServicePayment] = []
        patient_name = member_id = ""
        service_date = None
        line: list[_Segment] = []
        for segment in [*segments[1:], None]:
            if segment is None or segment.id == "SVC":
                if line:
                    services.append(self.service(line))
                line = [segment] if segment else []
                continue
            if line:
                line.append(segment)
            elif segment.id == "CAS":
                adjustments += self.adjustments(segment)
            elif segment.id == "NM1" and segment.value(1) == "QC":
                patient_name = " ".join(
                    part for part in (segment.value(4), segment.value(3)) if part
                ).title()
                member_id = segment.value(9)
            elif segment.id in ("MOA", "MIA"):
                # Remark codes sit in MOA03–07 and MIA05, 20–23.
                positions = (3, 4, 5, 6, 7) if segment.id == "MOA" else (5, 20, 21, 22, 23)
                remarks += [segment.value(p) for p in positions if segment.value(p)]
            elif segment.id == "DTM" and segment.value(1) in ("232", "150"):
                service_date = self.date(segment, segment.value(2))
        return ClaimPayment(
            control_number=clp.value(1),
            status_code=clp.value(2),
            charge=self.money(clp, 3),
            paid=self.money(clp, 4),
            patient_responsibility=self.money(clp, 5, required=False),
            filing_indicator=clp.value(6),
            payer_claim_number=clp.value(7),
            patient_name=patient_name,
            member_id=member_id,
            service_date=service_date,
            adjustments=tuple(adjustments),
            remarks=tuple(remarks),
            services=tuple(services),
            segment=clp.number,
        )

    def service(self, segments: list[_Segment]) -> ServicePayment:
        svc = segments[0]
        billed = svc.components(6) or svc.components(1)  # SVC06: the code as submitted
        code = billed[1] if len(billed) > 1 else ""
        if not code:
            self.warnings.append(
                f"Segment {svc.number} (SVC): the procedure code is missing; the line is "
                "posted to the claim but not to one of its lines."
            )
        adjustments: list[Adjustment] = []
        remarks: list[str] = []
        allowed = None
        service_date = None
        control = ""
        for segment in segments[1:]:
            if segment.id == "CAS":
                adjustments += self.adjustments(segment)
            elif segment.id == "LQ" and segment.value(1) == "HE":
                remarks.append(segment.value(2))
            elif segment.id == "AMT" and segment.value(1) == "B6":
                allowed = self.money(segment, 2)
            elif segment.id == "DTM" and segment.value(1) in ("472", "150"):
                service_date = self.date(segment, segment.value(2))
            elif segment.id == "REF" and segment.value(1) == "6R":
                control = segment.value(2)
        units_text = svc.value(5) or svc.value(7)
        return ServicePayment(
            code=code,
            modifiers=tuple(m for m in billed[2:6] if m),
            charge=self.money(svc, 2),
            paid=self.money(svc, 3),
            units=int(Decimal(units_text)) if _is_number(units_text) else 1,
            service_date=service_date,
            adjustments=tuple(adjustments),
            remarks=tuple(remarks),
            allowed=allowed,
            line_control_number=control,
            segment=svc.number,
        )


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return bool(text)
