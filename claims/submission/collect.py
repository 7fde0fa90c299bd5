"""The claims as they leave the building: database rows to the plain documents that the 837P
writer and the CMS-1500 form read (`claims.submission.document`). The one place that decides
what each box and loop carries (docs/billing-rules.md §11).

A fixed number of queries for any number of claims.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db.models import Prefetch, QuerySet

from claims.facts import PlanRow, plan_in_force
from claims.models import Authorization, Claim, ClaimLine, PlanOfCare, Relationship
from claims.submission.document import (
    Address,
    BillingProvider,
    ClaimDocument,
    Party,
    PayerParty,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
)
from claims.submission.readiness import (
    ClinicianRecord,
    ClinicRecord,
    PatientRecord,
    PayerRecord,
    billing_gaps,
    electronic_payer_id,
)
from coding.models import Payer
from ptclinic.models import Clinic, Membership
from ptclinic.validators import digits

INSURANCE_TYPE = {  # CMS-1500 box 1 by payer kind
    "medicare": "medicare",
    "medicaid": "medicaid",
    "commercial": "group",
    "medicare_advantage": "group",
}
_TITLES = frozenset({"dr", "doctor", "mr", "mrs", "ms"})
_CREDENTIALS = frozenset({"MD", "DO", "NP", "PA", "PAC", "DPM", "DC", "CNS", "APRN", "FNP"})


@dataclass(frozen=True)
class Collected:
    """A claim and its document, or why it cannot be sent yet (``problems``)."""

    claim: Claim
    document: ClaimDocument | None
    problems: tuple[str, ...] = ()


def _address(line1: str, city: str, state: str, zip_code: str, line2: str = "") -> Address:
    return Address(
        line1=line1, line2=line2, city=city, state=state.upper(), zip_code=digits(zip_code)
    )


def billing_provider(clinic: Clinic) -> BillingProvider:
    pay_to = None
    if clinic.pay_to_line1:
        pay_to = _address(
            clinic.pay_to_line1, clinic.pay_to_city, clinic.pay_to_state, clinic.pay_to_zip_code
        )
    return BillingProvider(
        provider=Provider(
            last_name=clinic.legal_name or clinic.name,
            npi=clinic.npi,
            organisation=True,
            taxonomy=clinic.taxonomy,
        ),
        tax_id=digits(clinic.tax_id),
        address=_address(
            clinic.address_line1, clinic.city, clinic.state, clinic.zip_code, clinic.address_line2
        ),
        phone=digits(clinic.phone),
        pay_to=pay_to,
    )


def parties(clinic: Clinic) -> tuple[Party, Party]:
    """The submitter (the clinic, as the clearinghouse set it up) and the receiver."""
    submitter = Party(
        id=clinic.submitter_id or digits(clinic.tax_id),
        name=clinic.legal_name or clinic.name,
        id_qualifier="ZZ" if clinic.submitter_id else "30",
        contact_name=clinic.submitter_contact or clinic.legal_name or clinic.name,
        contact_phone=digits(clinic.submitter_phone or clinic.phone),
    )
    receiver = Party(id=clinic.receiver_id, name=clinic.receiver_name)
    return submitter, receiver


def setup_problems(clinic: Clinic) -> list[str]:
    """What the clinic must set up before it can send an electronic file."""
    problems = []
    if not clinic.receiver_id or not clinic.receiver_name:
        problems.append(
            "The clearinghouse (receiver id and name) is not set on the Clinic page: ask the "
            "clearinghouse for them."
        )
    if not clinic.submitter_id and not clinic.tax_id:
        problems.append("The submitter id the clearinghouse gave the clinic is not set.")
    if not (clinic.submitter_phone or clinic.phone):
        problems.append("A contact phone for the submitter is not set on the Clinic page.")
    return problems


def person_name(full: str) -> tuple[str, str]:
    """(last, first) of a name written "Dr. Ana Rivera", "Ana Rivera, MD" or "Rivera, Ana":
    titles and credentials (MD, DO, NP, PA-C, …) are not part of the name."""
    head, _, tail = full.partition(",")
    if tail and tail.strip().upper().replace("-", "").replace(".", "") not in _CREDENTIALS:
        return head.strip(), tail.strip()
    words = [
        w
        for w in head.replace(".", ". ").split()
        if w.lower().rstrip(".") not in _TITLES
        and w.upper().replace("-", "").replace(".", "") not in _CREDENTIALS
    ]
    if not words:
        return full.strip(), ""
    return words[-1], " ".join(words[:-1])


def _clinician(member: Membership) -> Provider:
    user = member.user
    return Provider(
        last_name=user.last_name or user.get_username(),
        first_name=user.first_name,
        npi=member.npi,
        taxonomy=member.provider_taxonomy,
        credential=member.credential,
    )


def _rendering(member: Membership) -> Provider:
    """The treating PT; for a PT assistant, the supervising PT (billing-rules §11.1)."""
    if member.credential == "PTA" and member.supervisor is not None:
        return _clinician(member.supervisor)
    return _clinician(member)


def _claims(ids: Sequence[int]) -> QuerySet[Claim]:
    return (
        Claim.objects.filter(pk__in=ids)
        .select_related(
            "clinic",
            "patient",
            "payer",
            "patient__secondary_payer",
            "therapist__user",
            "therapist__supervisor__user",
        )
        .prefetch_related(
            Prefetch("lines", queryset=ClaimLine.objects.order_by("position")),
            Prefetch("patient__plans", queryset=PlanOfCare.objects.order_by("start_date", "id")),
            Prefetch("patient__authorizations", queryset=Authorization.objects.order_by("pk")),
        )
        .order_by("pk")
    )


def collect(claim_ids: Sequence[int]) -> list[Collected]:
    """Each claim's document, or the reasons it cannot be sent (the same gaps the scrubber
    flags, read now, and a line without a charge)."""
    return [_collect(claim) for claim in _claims(claim_ids)]


def _plan(claim: Claim) -> PlanOfCare | None:
    plans = list(claim.patient.plans.all())
    rows = {p.pk: p for p in plans}
    chosen = plan_in_force(
        [
            PlanRow(p.pk, p.start_date, p.certified_on, p.cert_through, p.status, p.discharged_on)
            for p in plans
        ],
        claim.date_of_service,
    )
    return rows[chosen.pk] if chosen else None


def _payer_party(payer: Payer, clinic: Clinic) -> PayerParty:
    address = None
    if payer.address_line1 and payer.city and payer.state and payer.zip_code:
        address = _address(payer.address_line1, payer.city, payer.state, payer.zip_code)
    return PayerParty(
        name=payer.name,
        payer_id=electronic_payer_id(
            kind=payer.kind, payer_id=payer.payer_id, medicare_mac=clinic.medicare_mac
        ),
        filing_indicator=payer.claim_filing_indicator,
        address=address,
        insurance_type=INSURANCE_TYPE.get(payer.kind, "other"),
    )


def _collect(claim: Claim) -> Collected:
    clinic, patient, payer, member = claim.clinic, claim.patient, claim.payer, claim.therapist
    plan = _plan(claim)
    supervisor = member.supervisor
    gaps = billing_gaps(
        clinic=ClinicRecord(
            clinic.npi,
            clinic.tax_id,
            clinic.address_line1,
            clinic.city,
            clinic.state,
            clinic.zip_code,
            clinic.medicare_mac,
        ),
        patient=PatientRecord(
            patient.sex,
            patient.address_line1,
            patient.city,
            patient.state,
            patient.zip_code,
            patient.member_id,
            patient.relationship,
            patient.subscriber_first_name,
            patient.subscriber_last_name,
            patient.subscriber_date_of_birth,
        ),
        payer=PayerRecord(payer.kind, payer.payer_id),
        clinician=ClinicianRecord(
            name=member.display_name,
            npi=member.npi,
            is_assistant=member.credential == "PTA",
            supervisor_name=supervisor.display_name if supervisor else "",
            supervisor_npi=supervisor.npi if supervisor else "",
        ),
        # The certifier's NPI is the scrubber's finding (approval decides on it); the file
        # carries the referring provider when it is known.
        plan=None,
        plan_required=False,
    )
    problems = [
        f"Claim {claim.pk}: the {gap.holder} record lacks {', '.join(gap.fields)} "
        f"(fill it in on {gap.where})."
        for gap in gaps
    ]
    lines = list(claim.lines.all())
    if not lines:
        problems.append(f"Claim {claim.pk} has no lines to bill.")
    uncharged = sorted({line.billing_code_id for line in lines if line.charge is None})
    if uncharged:
        problems.append(
            f"Claim {claim.pk}: no charge for {', '.join(uncharged)} (add it to the charge "
            "master, then rescrub)."
        )
    if problems:
        return Collected(claim, None, tuple(problems))
    address = _address(
        patient.address_line1, patient.city, patient.state, patient.zip_code, patient.address_line2
    )
    person = Person(
        last_name=patient.last_name,
        first_name=patient.first_name,
        date_of_birth=patient.date_of_birth,
        sex=patient.sex,
        address=address,
        phone=digits(patient.phone),
    )
    insured = None
    if patient.relationship != Relationship.SELF:
        insured = Person(
            last_name=patient.subscriber_last_name,
            first_name=patient.subscriber_first_name,
            date_of_birth=patient.subscriber_date_of_birth or patient.date_of_birth,
            sex=patient.subscriber_sex or "U",
            address=address,
        )
    referring = None
    if plan is not None and plan.certified_by_name and plan.certified_by_npi:
        last, first = person_name(plan.certified_by_name)
        referring = Provider(last_name=last, first_name=first, npi=plan.certified_by_npi)
    authorization = next(
        (
            a.number
            for a in claim.patient.authorizations.all()
            if a.payer_id == claim.payer_id and a.start_date <= claim.date_of_service <= a.end_date
        ),
        "",
    )
    rendering = _rendering(member)
    document = ClaimDocument(
        patient_control_number=claim.control_number,
        patient=person,
        subscriber=Subscriber(
            member_id=patient.member_id,
            relationship=patient.relationship,
            person=insured,
            group_number=patient.group_number,
        ),
        payer=_payer_party(payer, clinic),
        rendering=rendering,
        diagnoses=tuple(code.replace(".", "").upper() for code in claim.diagnoses),
        lines=tuple(
            ServiceLine(
                code=line.billing_code_id,
                modifiers=tuple(line.modifiers),
                units=line.units,
                charge=line.charge or 0,  # type: ignore[arg-type]  # None was refused above
                date_of_service=claim.date_of_service,
                dx_pointers=tuple(line.dx_pointers),
                rendering_npi=rendering.npi,
                control_number=str(line.pk),
            )
            for line in lines
        ),
        place_of_service=clinic.place_of_service,
        frequency_code=claim.frequency_code,
        original_claim_number=claim.payer_claim_number if claim.frequency_code != "1" else "",
        referring=referring,
        prior_authorization=authorization,
        signature_date=(claim.decided_at or claim.submitted_at).date()
        if (claim.decided_at or claim.submitted_at)
        else dt.date.today(),
        secondary_payer=_payer_party(patient.secondary_payer, clinic)
        if patient.secondary_payer
        else None,
    )
    return Collected(claim, document)
