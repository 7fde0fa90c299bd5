"""A payer's answer to claims ptclinic sent, as `claims.remittance.era` documents: for the demo
clinic, the benchmarks and the tests, which need 835 files that pay, reduce and deny real
claims (`claims.remittance.sample.write_835` writes them).

The arithmetic is a Medicare-like payer's: it allows the amount ptclinic expected, pays 80%
of it less the 2% sequestration (CO-253), puts 20% on the patient (PR-2) and writes off the
rest of the charge (CO-45). A denied line pays nothing, its charge adjusted with the reason
given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from claims.remittance.era import Adjustment, ClaimPayment, Payment, ServicePayment

CENT = Decimal("0.01")


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Denial:
    """How the payer denies a line: group, reason (CARC) and an optional remark (RARC)."""

    reason: str
    group: str = "CO"
    remark: str = ""


def line_answer(line: Any, *, denial: Denial | None = None, day: dt.date) -> ServicePayment:
    """The payer's decision on one `ClaimLine`."""
    charge = _money(line.charge or Decimal(0))
    modifiers = tuple(line.modifiers)
    if denial is not None:
        return ServicePayment(
            code=line.billing_code_id,
            modifiers=modifiers,
            charge=charge,
            paid=Decimal("0.00"),
            units=line.units,
            service_date=day,
            adjustments=(Adjustment(denial.group, denial.reason, charge),),
            remarks=(denial.remark,) if denial.remark else (),
            allowed=Decimal("0.00"),
            line_control_number=str(line.pk),
        )
    allowed = min(_money(line.expected_amount or charge / 2), charge)
    coinsurance = _money(allowed * Decimal("0.20"))
    sequestration = _money((allowed - coinsurance) * Decimal("0.02"))
    paid = allowed - coinsurance - sequestration
    adjustments = [Adjustment("PR", "2", coinsurance), Adjustment("CO", "253", sequestration)]
    if charge > allowed:
        adjustments.insert(0, Adjustment("CO", "45", charge - allowed))
    return ServicePayment(
        code=line.billing_code_id,
        modifiers=modifiers,
        charge=charge,
        paid=paid,
        units=line.units,
        service_date=day,
        adjustments=tuple(adjustments),
        remarks=(),
        allowed=allowed,
        line_control_number=str(line.pk),
    )


def claim_answer(
    claim: Any,
    *,
    denials: Mapping[str, Denial] | None = None,
    payer_claim_number: str = "",
    status_code: str = "",
) -> ClaimPayment:
    """The payer's decision on one `Claim` (its lines prefetched or not); ``denials`` by the
    line's code."""
    denials = denials or {}
    services = tuple(
        line_answer(line, denial=denials.get(line.billing_code_id), day=claim.date_of_service)
        for line in claim.lines.all()
    )
    paid = sum((s.paid for s in services), Decimal("0.00"))
    patient = sum((s.patient_responsibility for s in services), Decimal("0.00"))
    if not status_code:
        status_code = "4" if services and all(not s.paid for s in services) else "1"
    return ClaimPayment(
        control_number=claim.control_number,
        status_code=status_code,
        charge=sum((s.charge for s in services), Decimal("0.00")),
        paid=paid,
        patient_responsibility=patient,
        filing_indicator="MB",
        payer_claim_number=payer_claim_number or f"{claim.pk:013d}",
        patient_name=f"{claim.patient.first_name} {claim.patient.last_name}",
        member_id=claim.patient.member_id,
        service_date=claim.date_of_service,
        adjustments=(),
        remarks=(),
        services=services,
    )


def payment_of(
    clinic: Any,
    payer: Any,
    answers: Sequence[ClaimPayment],
    *,
    trace_number: str,
    paid_on: dt.date,
    method: str = "ACH",
) -> Payment:
    """One check or EFT of ``payer`` to ``clinic`` paying ``answers``."""
    return Payment(
        control="0001",
        payer_name=payer.name.upper()[:60],
        payer_identifier=payer.payer_id or "00000",
        payee_name=(clinic.legal_name or clinic.name).upper()[:60],
        payee_npi=clinic.npi,
        trace_number=trace_number,
        method=method,
        amount=sum((a.paid for a in answers), Decimal("0.00")),
        paid_on=paid_on,
        claims=tuple(answers),
    )
