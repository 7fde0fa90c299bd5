"""The payer checks pyx12 does not make (`claims.submission.checks.check_batch`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest

from claims.submission.checks import check_batch
from claims.submission.document import BatchDocument, ClaimDocument, Party, Provider, Subscriber
from tests.claims.submission.test_x12 import (
    SHAPES,
    SPOUSE,
    TWELVE,
    make_address,
    make_batch,
    make_claim,
    make_line,
    make_person,
    make_provider,
)


@pytest.mark.parametrize("batch", SHAPES.values(), ids=SHAPES.keys())
def test_every_claim_shape_the_clinic_sends_passes_the_checks(batch: BatchDocument) -> None:
    assert check_batch(batch) == []


def billing_with(**fields: Any) -> BatchDocument:
    batch = make_batch()
    return replace(batch, billing=replace(batch.billing, **fields))


CLAIM_PROBLEMS = {
    "no diagnosis": (
        make_claim(diagnoses=(), lines=(make_line(dx_pointers=(1,)),)),
        [
            "Claim PT000123: the claim has no diagnosis; add at least one ICD-10-CM code.",
            "Claim PT000123, line 1 (97110): diagnosis pointer 1 points past the claim's 0 "
            "diagnoses; point it to one of them.",
        ],
    ),
    "thirteen diagnoses": (
        make_claim(diagnoses=(*TWELVE, "M6289")),
        [
            "Claim PT000123: the claim has 13 diagnoses; an 837P carries at most 12, so keep "
            "the 12 the lines point to."
        ],
    ),
    "a dotted diagnosis": (
        make_claim(diagnoses=("M54.50",)),
        [
            "Claim PT000123: diagnosis 'M54.50' is not an ICD-10-CM code as the 837P wants it "
            "(a letter, a digit, then one to five letters or digits, upper case, no dot); "
            "correct it."
        ],
    ),
    "a diagnosis twice": (
        make_claim(diagnoses=("M5450", "M5450")),
        ["Claim PT000123: diagnosis M5450 is listed 2 times; list it once."],
    ),
    "five modifiers": (
        make_claim(lines=(make_line(modifiers=("GP", "CQ", "KX", "59", "XU")),)),
        [
            "Claim PT000123, line 1 (97110): 5 modifiers (GP CQ KX 59 XU); the 837P carries at "
            "most 4, so keep the ones the payer needs."
        ],
    ),
    "a one-letter modifier": (
        make_claim(lines=(make_line(modifiers=("G",)),)),
        ["Claim PT000123, line 1 (97110): modifier 'G' is not two letters or digits; correct it."],
    ),
    "a pointer past the diagnoses": (
        make_claim(lines=(make_line(dx_pointers=(1, 3)),)),
        [
            "Claim PT000123, line 1 (97110): diagnosis pointer 3 points past the claim's 2 "
            "diagnoses; point it to one of them."
        ],
    ),
    "no pointer": (
        make_claim(lines=(make_line(dx_pointers=()),)),
        [
            "Claim PT000123, line 1 (97110): the line points to no diagnosis; point it to at "
            "least one."
        ],
    ),
    "five pointers": (
        make_claim(diagnoses=TWELVE[:5], lines=(make_line(dx_pointers=(1, 2, 3, 4, 5)),)),
        [
            "Claim PT000123, line 1 (97110): the line points to 5 diagnoses; at most 4 are "
            "allowed, so keep the most relevant."
        ],
    ),
    "no lines": (
        make_claim(lines=()),
        ["Claim PT000123: the claim has no service lines; add at least one."],
    ),
    "fifty-one lines": (
        make_claim(lines=(make_line(),) * 51),
        [
            "Claim PT000123: the claim has 51 service lines; an 837P claim carries at most 50, "
            "so split it into two claims."
        ],
    ),
    "a zero charge": (
        make_claim(lines=(make_line(charge=Decimal("0.00")),)),
        ["Claim PT000123, line 1 (97110): the charge is 0.00; a billed line needs a charge."],
    ),
    "zero units": (
        make_claim(lines=(make_line(units=0),)),
        ["Claim PT000123, line 1 (97110): 0 units; a billed line needs at least one unit."],
    ),
    "a replacement without the original claim number": (
        make_claim(frequency_code="7"),
        [
            "Claim PT000123: a replacement claim (frequency 7) needs the payer's original claim "
            "number (REF*F8); enter it from the payer's 835 or portal."
        ],
    ),
    "a void without the original claim number": (
        make_claim(frequency_code="8", original_claim_number="  "),
        [
            "Claim PT000123: a void claim (frequency 8) needs the payer's original claim number "
            "(REF*F8); enter it from the payer's 835 or portal."
        ],
    ),
    "an unknown frequency": (
        make_claim(frequency_code="5"),
        [
            "Claim PT000123: frequency code '5' is not 1 (original), 7 (replacement) or 8 "
            "(void); choose one of those."
        ],
    ),
    "a long patient control number": (
        make_claim(patient_control_number="PT" + "0" * 19),
        [
            "Claim PT0000000000000000000: the patient control number has 21 characters; payers "
            "keep at most 20, so shorten it."
        ],
    ),
    "no patient control number": (
        make_claim(patient_control_number=""),
        [
            "Claim (no patient control number): the patient control number (CLM01) is empty; "
            "give it one."
        ],
    ),
    "a rendering NPI with a wrong check digit": (
        make_claim(rendering=make_provider(npi="1987654320")),
        [
            "Claim PT000123: the rendering provider's NPI '1987654320' is not a valid NPI (ten "
            "digits with a correct check digit); correct it."
        ],
    ),
    "a referring NPI of nine digits": (
        make_claim(referring=Provider(last_name="Shah", first_name="Priya", npi="167890123")),
        [
            "Claim PT000123: the referring provider's NPI '167890123' is not a valid NPI (ten "
            "digits with a correct check digit); correct it."
        ],
    ),
    "a line rendered by someone else": (
        make_claim(lines=(make_line(rendering_npi="1456789019"),)),
        [
            "Claim PT000123, line 1 (97110): the line was rendered by NPI 1456789019 but the "
            "claim's rendering provider is 1987654328; the 837P sends one rendering provider "
            "per claim, so bill that line on a claim of its own."
        ],
    ),
    "a dependant without the subscriber's details": (
        make_claim(subscriber=Subscriber(member_id="W1", relationship="01")),
        [
            "Claim PT000123: the subscriber is not the patient (relationship 01) but the "
            "subscriber's name and birth date are missing; enter the insured person."
        ],
    ),
    "self with another person as subscriber": (
        make_claim(subscriber=replace(SPOUSE, relationship="18")),
        [
            "Claim PT000123: the subscriber is marked as the patient (relationship 18) but "
            "another person is given as the subscriber; choose the right relationship."
        ],
    ),
    "no member id": (
        make_claim(subscriber=Subscriber(member_id="")),
        ["Claim PT000123: the subscriber's member id is empty; enter it from the card."],
    ),
    "a patient's state spelled out": (
        make_claim(patient=make_person(address=make_address(state="Mass"))),
        ["Claim PT000123: the patient's address has state 'Mass'; use the two-letter code."],
    ),
    "a patient's ZIP code with a dash": (
        make_claim(patient=make_person(address=make_address(zip_code="02110-1234"))),
        [
            "Claim PT000123: the patient's address has ZIP code '02110-1234'; use five or nine "
            "digits, no dash."
        ],
    ),
    "a subscriber without a city": (
        make_claim(subscriber=replace(SPOUSE, person=make_person(address=make_address(city=" ")))),
        ["Claim PT000123: the subscriber's address needs a street line and a city."],
    ),
}


@pytest.mark.parametrize(("claim", "problems"), CLAIM_PROBLEMS.values(), ids=CLAIM_PROBLEMS.keys())
def test_a_claim_problem_is_named_with_its_fix(claim: ClaimDocument, problems: list[str]) -> None:
    assert check_batch(make_batch(claim)) == problems


BATCH_PROBLEMS = {
    "a billing NPI with a wrong check digit": (
        billing_with(provider=Provider(last_name="Harbor PT", npi="1234567890", organisation=True)),
        "The billing provider's NPI '1234567890' is not a valid NPI (ten digits with a correct "
        "check digit); correct the clinic's group NPI.",
    ),
    "a tax id with a dash": (
        billing_with(tax_id="04-3456789"),
        "The billing provider's tax id '04-3456789' must be nine digits (the EIN without the "
        "dash); correct the clinic's tax id.",
    ),
    "a five-digit billing ZIP code": (
        billing_with(address=make_address(zip_code="02110")),
        "The billing provider's address has ZIP code '02110'; the 837P needs all nine digits "
        "(ZIP+4) without a dash for the billing provider, so add the four-digit extension.",
    ),
    "a pay-to state of three letters": (
        billing_with(pay_to=make_address(state="MAS")),
        "The pay-to address has state 'MAS'; use the two-letter code.",
    ),
    "a submitter without contact": (
        replace(make_batch(), submitter=Party(id="PTCLINIC01", name="Harbor PT")),
        "The submitter needs a contact phone number or email address (1000A PER); add one to "
        "the clearinghouse settings.",
    ),
    "a receiver id too long for the ISA": (
        replace(make_batch(), receiver=Party(id="CLEARINGHOUSE-0001", name="CH")),
        "The receiver id 'CLEARINGHOUSE-0001' must be 2 to 15 characters (ISA06/ISA08); use the "
        "id the clearinghouse assigned.",
    ),
    "a patient control number used twice": (
        make_batch(make_claim(), make_claim(patient=make_person(first_name="Eva"))),
        "Claim PT000123: the patient control number is used by 2 claims in this batch; give "
        "each claim its own number so the payer's 835 finds it again.",
    ),
    "no claims": (
        replace(make_batch(), claims=()),
        "The batch has no claims; an 837P needs at least one.",
    ),
}


@pytest.mark.parametrize(("batch", "problem"), BATCH_PROBLEMS.values(), ids=BATCH_PROBLEMS.keys())
def test_a_batch_problem_is_named_with_its_fix(batch: BatchDocument, problem: str) -> None:
    assert check_batch(batch) == [problem]


def test_every_problem_of_a_claim_is_listed_not_only_the_first() -> None:
    claim = make_claim(
        patient_control_number="PT9",
        diagnoses=("m5450",),
        onset_date=dt.date(2026, 1, 1),
        lines=(make_line(charge=Decimal("-5.00"), dx_pointers=(2,)),),
    )

    problems = check_batch(make_batch(claim))

    assert len(problems) == 3
    assert all(problem.startswith("Claim PT9") for problem in problems)
