"""Writing an 835 as a payer would, from the documents `claims.remittance.era` reads.

ptclinic never sends an 835; the demo clinic, the benchmarks and the tests need payers' files
that answer the claims ptclinic sent, and a file written here and read back by `era.read_835`
must give the same documents (the tests check the round trip, and pyx12 checks the file
against the 005010X221A1 map). Standard library only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from claims.remittance.era import Adjustment, ClaimPayment, Payment, ServicePayment

TERMINATOR = "~\n"


def _amount(value: Decimal) -> str:
    text = f"{value:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _segment(*elements: str) -> str:
    parts = list(elements)
    while len(parts) > 1 and parts[-1] == "":
        parts.pop()
    return "*".join(parts) + TERMINATOR


def _cas(group: str, adjustments: Sequence[Adjustment]) -> list[str]:
    """CAS segments of one group, at most six reasons each."""
    chosen = [a for a in adjustments if a.group == group]
    out = []
    for start in range(0, len(chosen), 6):
        elements = [group]
        for a in chosen[start : start + 6]:
            elements += [a.reason, _amount(a.amount), _amount(a.quantity) if a.quantity else ""]
        out.append(_segment("CAS", *elements))
    return out


def _adjustments(adjustments: Sequence[Adjustment]) -> list[str]:
    groups = list(dict.fromkeys(a.group for a in adjustments))
    return [segment for group in groups for segment in _cas(group, adjustments)]


def _service(service: ServicePayment) -> list[str]:
    code = ":".join(["HC", service.code, *service.modifiers])
    out = [
        _segment(
            "SVC", code, _amount(service.charge), _amount(service.paid), "", str(service.units)
        )
    ]
    if service.service_date:
        out.append(_segment("DTM", "472", f"{service.service_date:%Y%m%d}"))
    out += _adjustments(service.adjustments)
    if service.line_control_number:
        out.append(_segment("REF", "6R", service.line_control_number))
    if service.allowed is not None:
        out.append(_segment("AMT", "B6", _amount(service.allowed)))
    out += [_segment("LQ", "HE", remark) for remark in service.remarks]
    return out


def _claim(claim: ClaimPayment) -> list[str]:
    first, _, last = claim.patient_name.upper().rpartition(" ")
    out = [
        _segment(
            "CLP",
            claim.control_number,
            claim.status_code,
            _amount(claim.charge),
            _amount(claim.paid),
            _amount(claim.patient_responsibility) if claim.patient_responsibility else "",
            claim.filing_indicator or "MB",
            claim.payer_claim_number,
        )
    ]
    out += _adjustments(claim.adjustments)
    out.append(_segment("NM1", "QC", "1", last, first, "", "", "", "MI", claim.member_id))
    if claim.remarks:
        out.append(_segment("MOA", "", "", *claim.remarks[:5]))
    if claim.service_date:
        out.append(_segment("DTM", "232", f"{claim.service_date:%Y%m%d}"))
    for service in claim.services:
        out += _service(service)
    return out


def write_835(
    payment: Payment,
    *,
    sender_id: str = "PAYERSENDER",
    receiver_id: str = "PTCLINIC",
    control: int = 1,
    created: dt.datetime | None = None,
) -> str:
    """One interchange with one transaction set: ``payment`` and its claims."""
    created = created or dt.datetime.combine(payment.paid_on, dt.time(8, 0))
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender_id:<15}*ZZ*{receiver_id:<15}*"
        f"{created:%y%m%d}*{created:%H%M}*^*00501*{control:09d}*0*P*:"
    )
    body = [
        _segment("ST", "835", f"{control:04d}"),
        _segment(
            "BPR",
            "I" if payment.amount else "H",
            _amount(payment.amount),
            "C",
            payment.method or "CHK",
            *([""] * 11),
            f"{payment.paid_on:%Y%m%d}",
        ),
        _segment(
            "TRN", "1", payment.trace_number, "1" + payment.payer_identifier.rjust(9, "0")[:9]
        ),
        _segment("DTM", "405", f"{payment.paid_on:%Y%m%d}"),
        _segment("N1", "PR", payment.payer_name),
        _segment("N3", "PO BOX 1000"),
        _segment("N4", "SPRINGFIELD", "IL", "62701"),
        _segment("REF", "2U", payment.payer_identifier),
        _segment("PER", "BL", "PROVIDER SERVICES", "TE", "8005550100"),
        _segment("N1", "PE", payment.payee_name, "XX", payment.payee_npi),
        _segment("N3", "100 MAIN ST"),
        _segment("N4", "SPRINGFIELD", "IL", "62701"),
    ]
    for number, claim in enumerate(payment.claims, start=1):
        if number == 1:
            body.append(_segment("LX", "1"))
        body += _claim(claim)
    for adjustment in payment.provider_adjustments:
        body.append(
            _segment(
                "PLB",
                payment.payee_npi,
                f"{payment.paid_on.year}1231",
                f"{adjustment.reason}:{adjustment.reference}".rstrip(":"),
                _amount(adjustment.amount),
            )
        )
    body.append(_segment("SE", str(len(body) + 1), f"{control:04d}"))
    gs = _segment(
        "GS",
        "HP",
        sender_id,
        receiver_id,
        f"{created:%Y%m%d}",
        f"{created:%H%M}",
        str(control),
        "X",
        "005010X221A1",
    )
    return (
        isa
        + TERMINATOR
        + gs
        + "".join(body)
        + _segment("GE", "1", str(control))
        + _segment("IEA", "1", f"{control:09d}")
    )
