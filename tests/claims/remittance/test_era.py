"""Reading payers' 835 files (`claims.remittance.era`, docs/billing-rules.md §12.1).

The real 835 examples of the shared fixtures are read and checked against what a person reading
the file by hand sees in it. Hand-written files are made with `claims.remittance.sample.write_835`
from the same documents and then changed as a payer's file might be: other delimiters, a BOM, a
cut-off transfer, a missing segment or element. No database.
"""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from claims.remittance.era import (
    Adjustment,
    ClaimPayment,
    Era,
    EraError,
    Payment,
    ProviderAdjustment,
    ServicePayment,
    read_835,
)
from claims.remittance.sample import write_835
from claims.submission.validate import pyx12_problems
from tests.conftest import SharedFile

D = Decimal
PAID_ON = dt.date(2026, 11, 20)
SEEN_ON = dt.date(2026, 11, 2)


@functools.cache
def fixture(name: str) -> Era:
    """A shared 835 example, read once per run (skipped where the shared folder is absent)."""
    return read_835(SharedFile("fixtures", "x12", name).read_text(encoding="utf-8"))


MANAGED_CARE = "835_lfh_managed-care.835"
PART_A = "835_lfh_medicare-part-a.835"
SECONDARY = "835_lfh_secondary-payment.835"
TERTIARY = "835_lfh_tertiary-payment.835"
COB = "835_lfh_cob-contractural-adjustment.835"
MULTIPLE = "835_oopfactory_WithMultipleInterchanges_deidentified.txt"


def adj(label: str, amount: str, quantity: str | None = None) -> Adjustment:
    group, reason = label.split("-")
    return Adjustment(group, reason, D(amount), D(quantity) if quantity else None)


# ---- the real files, as a person reading them sees them ---------------------------------------


@pytest.mark.parametrize(
    ("name", "payer", "trace", "method", "amount", "paid_on", "claims"),
    [
        (MANAGED_CARE, "RUSHMORE LIFE", "7170066655", "EFT", "945.00", "2002-03-14", 2),
        (PART_A, "INSURANCE COMPANY OF TIMBUCKTU", "12345", "EFT", "150000.00", "2002-09-13", 2),
        (SECONDARY, "YOUR TAX DOLLARS AT WORK", "0012524965", "check", "1222.00", "2005-04-12", 2),
        (TERTIARY, "YOUR TAX DOLLARS AT WORK", "0012524879", "check", "187.50", "2005-04-12", 1),
        (COB, "YOUR TAX DOLLARS AT WORK", "0063158ABC", "check", "34.00", "2005-03-18", 1),
    ],
    ids=["managed-care", "medicare-part-a", "secondary", "tertiary", "cob"],
)
def test_each_real_file_shows_its_payer_check_amount_date_and_claims(
    name: str, payer: str, trace: str, method: str, amount: str, paid_on: str, claims: int
) -> None:
    era = fixture(name)
    assert len(era.payments) == 1
    payment = era.payments[0]
    assert payment.payer_name == payer
    assert payment.trace_number == trace
    assert payment.method_words == method
    assert payment.amount == D(amount)
    assert payment.paid_on == dt.date.fromisoformat(paid_on)
    assert len(payment.claims) == claims


@pytest.mark.parametrize(
    ("name", "index", "control", "status", "money", "payer_number", "patient"),
    [
        (MANAGED_CARE, 0, "5554555444", "processed as primary", ("800.00", "450.00", "300.00"),
         "94060555410000", ("William Budd", "33344555510")),
        (MANAGED_CARE, 1, "8765432112", "processed as primary", ("1200.00", "495.00", "600.00"),
         "94077799230000", ("Susan Settle", "44455666610")),
        (PART_A, 0, "666123", "processed as primary", ("211366.97", "138018.40", "0.00"),
         "1999999444444", ("Sam Jones", "666666666A")),
        (PART_A, 1, "777777", "processed as primary", ("15000.00", "11980.33", "0.00"),
         "1999999444445", ("Liz Border", "996669999B")),
        (SECONDARY, 0, "L0004828311", "processed as secondary", ("10323.64", "912.00", "0.00"),
         "05090256390", ("William Townsend", "XXX123456789")),
        (SECONDARY, 1, "0001000053", "processed as secondary", ("751.50", "310.00", "220.00"),
         "05630626430", ("Angi Baki", "456789123")),
        (TERTIARY, 0, "0001000054", "processed as tertiary", ("1766.50", "187.50", "0.00"),
         "50580155533", ("Ellis Island", "789123456")),
        (COB, 0, "0001000055", "processed as secondary", ("541.00", "34.00", "0.00"),
         "50650619501", ("Raymond Burck", "987654321")),
    ],
    ids=["budd", "settle", "jones", "border", "townsend", "baki", "island", "burck"],
)  # fmt: skip
def test_each_claim_shows_its_control_number_status_money_payer_number_and_patient(
    name: str,
    index: int,
    control: str,
    status: str,
    money: tuple[str, str, str],
    payer_number: str,
    patient: tuple[str, str],
) -> None:
    """``money`` is charge, paid, patient responsibility; ``patient`` name and member id."""
    claim = fixture(name).payments[0].claims[index]
    assert claim.control_number == control
    assert claim.status_words == status
    assert (claim.charge, claim.paid, claim.patient_responsibility) == tuple(map(D, money))
    assert claim.payer_claim_number == payer_number
    assert (claim.patient_name, claim.member_id) == patient


def test_the_managed_care_file_pays_two_one_line_claims_the_deductible_on_the_patient() -> None:
    payment = fixture(MANAGED_CARE).payments[0]
    assert [c.paid for c in payment.claims] == [D("450.00"), D("495.00")]
    assert sum(c.paid for c in payment.claims) == payment.amount
    assert payment.payee_name == "ACME MEDICAL CENTER"
    assert payment.payee_npi == "5544667733"
    budd, settle = payment.claims
    assert budd.adjustments == (adj("CO-A2", "50"),)
    (line,) = budd.services
    assert (line.code, line.modifiers, line.units) == ("99211", (), 1)
    assert (line.charge, line.paid) == (D("800.00"), D("500.00"))
    assert line.adjustments == (adj("PR-1", "300"),)
    assert line.patient_responsibility == D("300.00")
    assert line.service_date == dt.date(2002, 3, 1)  # DTM*150, the first day of the period
    (line,) = settle.services
    assert line.code == "93555"
    assert line.adjustments == (adj("PR-1", "600"), adj("CO-45", "50"))
    assert line.patient_responsibility == D("600.00")  # the fee-schedule write-off is not hers


def test_an_invalid_payment_date_falls_back_to_the_production_date_with_a_warning() -> None:
    # BPR16 of the managed-care example is 20002316: month 23.
    warnings = fixture(MANAGED_CARE).warnings
    assert "Segment 4 (BPR): '20002316' is not a date." in warnings
    assert (
        "Segment 4 (BPR): the payment date is missing or not a date; the file's production "
        "date 03/14/2002 is used instead."
    ) in warnings


def test_the_part_a_file_balances_once_its_provider_adjustment_is_counted() -> None:
    era = fixture(PART_A)
    payment = era.payments[0]
    assert payment.provider_adjustments == (ProviderAdjustment("CV", "CP", D("-1.27")),)
    claims = sum(c.paid for c in payment.claims)
    assert claims == D("149998.73")
    assert claims + D("1.27") == payment.amount
    assert not [w for w in era.warnings if "does not balance" in w]


def test_the_part_a_claims_are_paid_whole_with_the_write_off_and_remark_on_the_claim() -> None:
    payment = fixture(PART_A).payments[0]
    assert payment.payer_identifier == "999"  # REF*2U, not the TRN03 originator
    assert payment.payee_npi == "6543210903"
    jones, border = payment.claims
    assert jones.services == () and border.services == ()
    assert jones.adjustments == (adj("CO-45", "73348.57"),)
    assert jones.filing_indicator == "MA"
    assert jones.remarks == ()  # MIA carries an amount, no remark code
    assert jones.service_date == dt.date(2002, 8, 16)
    assert border.adjustments == (adj("CO-45", "3019.67"),)
    assert border.filing_indicator == "MB"
    assert border.remarks == ("MA02",)  # MOA03


def test_a_secondary_payment_shows_the_prior_payers_share_and_two_patient_reasons() -> None:
    payment = fixture(SECONDARY).payments[0]
    townsend, baki = payment.claims
    assert townsend.services == ()
    assert townsend.adjustments == (adj("OA-23", "9411.64"),)
    first, second = baki.services
    assert (first.code, first.modifiers) == ("12345", ("26",))
    assert (first.charge, first.paid, first.allowed) == (D("166.50"), D("30.00"), D("150.00"))
    assert first.adjustments == (adj("OA-23", "136.50"),)
    assert first.patient_responsibility == D("0.00")
    assert (second.code, second.modifiers) == ("66543", ("26",))
    assert (second.charge, second.paid, second.allowed) == (D("585.00"), D("280.00"), D("500.00"))
    # CAS*PR*1*150.00**2*70.00: the deductible and the coinsurance in one segment.
    assert second.adjustments == (adj("PR-1", "150"), adj("PR-2", "70"), adj("CO-42", "85"))
    assert second.patient_responsibility == D("220.00") == baki.patient_responsibility
    assert second.service_date == dt.date(2005, 1, 6)


def test_a_component_separator_other_than_the_one_the_header_declares_still_reads() -> None:
    # The secondary example declares ':' in ISA16 but writes SVC*HC>66543>26.
    (line, *_) = fixture(SECONDARY).payments[0].claims[1].services
    assert line.code == "12345" and line.modifiers == ("26",)


def test_a_payment_taken_back_by_another_payer_shows_as_a_negative_adjustment() -> None:
    era = fixture(COB)
    payment = era.payments[0]
    assert payment.payee_name == "ATONEWITHHEALTH"
    assert payment.payee_npi == ""  # the payee is named by tax id (FI), not NPI
    (claim,) = payment.claims
    (line,) = claim.services
    assert (line.code, line.charge, line.paid, line.allowed) == (
        "55669",
        D("541.00"),
        D("34.00"),
        D("550.00"),
    )
    assert line.adjustments == (adj("OA-23", "516"), adj("OA-94", "-9"))
    assert claim.service_date == dt.date(2005, 2, 2)


def test_a_service_line_without_its_procedure_code_is_read_with_a_warning_naming_it() -> None:
    # The tertiary example writes SVC*HC*24599.00*…: the code is missing from SVC01.
    era = fixture(TERTIARY)
    (line,) = era.payments[0].claims[0].services
    assert line.code == ""
    assert line.adjustments == (adj("OA-23", "1579"),)
    assert (
        "Segment 20 (SVC): the procedure code is missing; the line is posted to the claim but "
        "not to one of its lines."
    ) in era.warnings


def test_every_interchange_of_a_multi_interchange_file_is_read() -> None:
    era = fixture(MULTIPLE)  # it also starts with a BOM and indents its segments
    assert [p.control for p in era.payments] == ["8001", "9001", "10001"]
    assert [len(p.claims) for p in era.payments] == [19, 23, 14]
    assert len(list(era.claims)) == 56
    assert [p.amount for p in era.payments] == [D("999.99"), D("9999.99"), D("482.13")]
    assert {p.paid_on for p in era.payments} == {dt.date(2012, 2, 1)}
    assert {p.method_words for p in era.payments} == {"EFT"}


def test_a_denied_claim_of_the_multi_interchange_file_shows_its_lines_reasons_and_remarks() -> None:
    claim = fixture(MULTIPLE).payments[0].claims[0]
    assert claim.status_words == "denied"
    assert (claim.charge, claim.paid) == (D("999.99"), D("0.00"))
    assert claim.service_date == dt.date(2012, 1, 16)
    assert [line.code for line in claim.services] == ["99999", "90716"]
    for line in claim.services:
        assert line.paid == D("0.00")
        assert [a.label for a in line.adjustments] == ["CO-24"]
        assert line.adjustments[0].amount == line.charge
        assert line.remarks == ("N1",)
        assert line.line_control_number == "999X999999999999999999"  # REF*6R


def test_a_line_with_two_reasons_in_one_cas_and_two_remarks_keeps_them_all() -> None:
    line = fixture(MULTIPLE).payments[2].claims[-1].services[-1]
    # CAS*CO*23*.28*0*59*99.99*0 and LQ*HE*N1, LQ*HE*N20
    assert line.adjustments == (adj("CO-23", "0.28", "0"), adj("CO-59", "99.99", "0"))
    assert line.remarks == ("N1", "N20")


def test_a_file_whose_payments_do_not_match_its_claims_warns_for_each_payment() -> None:
    warnings = fixture(MULTIPLE).warnings
    assert (
        "Payment 999999999 does not balance: the claims pay $776.06, less $0.00 of provider "
        "adjustments, but the EFT is $999.99."
    ) in warnings
    assert len([w for w in warnings if "does not balance" in w]) == 3


@pytest.mark.parametrize("name", [MANAGED_CARE, PART_A, SECONDARY, TERTIARY, COB, MULTIPLE])
def test_every_warning_on_a_real_file_names_its_segment_or_payment(name: str) -> None:
    warnings = fixture(name).warnings
    assert warnings  # each example departs from the guide somewhere
    assert [w for w in warnings if not w.startswith(("Segment ", "Payment "))] == []
    assert len(set(warnings)) == len(warnings)


@pytest.mark.parametrize("name", [COB, SECONDARY, TERTIARY])
def test_a_missing_payment_date_falls_back_to_the_production_date_with_warnings(name: str) -> None:
    warnings = fixture(name).warnings
    assert any(
        w.startswith("Segment 4 (BPR): the payment date is missing") and "is used instead" in w
        for w in warnings
    )
    assert any("(BPR16) is missing" in w for w in warnings)  # pyx12's own finding


# ---- hand-written files -----------------------------------------------------------------------


def line(**fields: object) -> ServicePayment:
    values: dict[str, object] = {
        "code": "97110",
        "modifiers": ("GP", "KX"),
        "charge": D("120.00"),
        "paid": D("80.00"),
        "units": 2,
        "service_date": SEEN_ON,
        "adjustments": (adj("CO-45", "20"), adj("PR-2", "20")),
        "remarks": ("N130",),
        "allowed": D("100.00"),
        "line_control_number": "41",
    }
    values.update(fields)
    return ServicePayment(**values)  # type: ignore[arg-type]  # a dict of mixed values


def claim(**fields: object) -> ClaimPayment:
    values: dict[str, object] = {
        "control_number": "PTC17",
        "status_code": "1",
        "charge": D("180.00"),
        "paid": D("120.00"),
        "patient_responsibility": D("30.00"),
        "filing_indicator": "MB",
        "payer_claim_number": "2026310000123",
        "patient_name": "Ada Lovelace",
        "member_id": "1EG4TE5MK73",
        "service_date": SEEN_ON,
        "adjustments": (),
        "remarks": ("MA01",),
        "services": (
            line(),
            line(
                code="97140",
                modifiers=("GP", "59"),
                charge=D("60.00"),
                paid=D("40.00"),
                units=1,
                adjustments=(adj("CO-45", "10"), adj("PR-2", "10")),
                remarks=(),
                allowed=D("50.00"),
                line_control_number="42",
            ),
        ),
    }
    values.update(fields)
    return ClaimPayment(**values)  # type: ignore[arg-type]  # a dict of mixed values


def payment(*claims: ClaimPayment, **fields: object) -> Payment:
    claims = claims or (claim(),)
    values: dict[str, object] = {
        "control": "0001",
        "payer_name": "MEDICARE PART B",
        "payer_identifier": "12345",
        "payee_name": "NORTHSIDE PHYSICAL THERAPY",
        "payee_npi": "1234567893",
        "trace_number": "EFT100",
        "method": "ACH",
        "amount": sum((c.paid for c in claims), D("0.00")),
        "paid_on": PAID_ON,
        "claims": claims,
    }
    values.update(fields)
    return Payment(**values)  # type: ignore[arg-type]  # a dict of mixed values


DENIED_WHOLE = claim(
    control_number="PTC18",
    status_code="4",
    charge=D("180.00"),
    paid=D("0.00"),
    patient_responsibility=D("0.00"),
    adjustments=(adj("CO-50", "180"),),
    remarks=("N115",),
    services=(),
)
REVERSAL = claim(
    status_code="22",
    charge=D("-180.00"),
    paid=D("-120.00"),
    patient_responsibility=D("-30.00"),
    services=(
        line(
            adjustments=(adj("CO-45", "-20"), adj("PR-2", "-20")), charge=D("-120"), paid=D("-80")
        ),
    ),
)


def written(*claims: ClaimPayment, **fields: object) -> str:
    return write_835(payment(*claims, **fields))


def refused(text: str) -> list[str]:
    with pytest.raises(EraError) as caught:
        read_835(text)
    assert str(caught.value) == " ".join(caught.value.problems)
    return caught.value.problems


def segment_of(text: str, prefix: str) -> str:
    return next(s for s in text.split("~\n") if s.startswith(prefix))


def without(text: str, prefix: str) -> str:
    return text.replace(segment_of(text, prefix) + "~\n", "", 1)


@pytest.mark.parametrize(
    "document",
    [
        payment(),
        payment(DENIED_WHOLE),
        payment(claim(), DENIED_WHOLE, claim(control_number="PTC19", remarks=())),
        payment(REVERSAL, claim(), amount=D("0.00")),
        payment(
            provider_adjustments=(ProviderAdjustment("WO", "OVERPAID17", D("15.00")),),
            amount=D("105.00"),
        ),
        payment(
            claim(services=(line(adjustments=(adj("CO-151", "40", "1"), adj("PR-1", "80"))),)),
            method="CHK",
        ),
    ],
    ids=[
        "paid",
        "denied-whole",
        "three-claims",
        "reversal-and-repayment",
        "provider-adjustment",
        "cas-quantity",
    ],
)
def test_a_file_written_then_read_gives_back_the_same_payment(document: Payment) -> None:
    era = read_835(write_835(document))
    assert era.payments == (document,)
    assert era.warnings == ()


def test_a_written_file_passes_the_835_guide_as_pyx12_reads_it() -> None:
    text = written(claim(), DENIED_WHOLE)
    assert pyx12_problems(text) == []


def test_the_segment_numbers_are_read_but_not_compared() -> None:
    era = read_835(written())
    (read,) = era.claims
    assert read.segment == 16  # ISA GS ST BPR TRN DTM N1 N3 N4 REF PER N1 N3 N4 LX CLP
    assert [s.segment for s in read.services] == [20, 27]
    assert read == replace(claim(), segment=0)


NAMES = st.sampled_from(["Ada Lovelace", "Grace Hopper", "Mary Ann Evans", "Alan Turing"])
MONEY = st.decimals(min_value=D("0.01"), max_value=D("9999.99"), places=2)
CODES = st.sampled_from(["97110", "97140", "97530", "97161", "G0283"])
MODIFIERS = st.lists(st.sampled_from(["GP", "KX", "59", "CQ", "GN"]), max_size=4, unique=True)


@st.composite
def services(draw: st.DrawFn) -> ServicePayment:
    charge = draw(MONEY)
    patient = draw(st.decimals(min_value=D("0"), max_value=charge, places=2))
    return line(
        code=draw(CODES),
        modifiers=tuple(draw(MODIFIERS)),
        charge=charge,
        paid=charge - patient,
        units=draw(st.integers(min_value=1, max_value=8)),
        adjustments=(adj("PR-1", str(patient)),) if patient else (),
        remarks=tuple(draw(st.lists(st.sampled_from(["N130", "M80", "MA130"]), max_size=2))),
        allowed=draw(st.none() | MONEY),
        line_control_number=str(draw(st.integers(min_value=1, max_value=10**6))),
    )


@st.composite
def claims(draw: st.DrawFn) -> ClaimPayment:
    lines = tuple(draw(st.lists(services(), min_size=1, max_size=4)))
    return claim(
        control_number=f"PTC{draw(st.integers(min_value=1, max_value=10**6))}",
        charge=sum((s.charge for s in lines), D("0.00")),
        paid=sum((s.paid for s in lines), D("0.00")),
        patient_responsibility=sum((s.patient_responsibility for s in lines), D("0.00")),
        patient_name=draw(NAMES),
        services=lines,
    )


@settings(max_examples=25, deadline=None)
@given(st.lists(claims(), min_size=1, max_size=3))
def test_any_payment_written_reads_back_the_same(drawn: list[ClaimPayment]) -> None:
    document = payment(*drawn)
    assert read_835(write_835(document)).payments == (document,)


def redelimit(
    text: str, *, element: str = "*", component: str = ":", repetition: str = "^", end: str = "~\n"
) -> str:
    """``text`` (as write_835 writes it) with other delimiters, declared in its ISA header."""
    segments = []
    for segment in text.split("~\n")[:-1]:
        elements = segment.split("*")
        if elements[0] == "ISA":
            elements[11], elements[16] = repetition, component
        else:
            elements = [e.replace(":", component) for e in elements]
        segments.append(element.join(elements))
    return end.join(segments) + end


@pytest.mark.parametrize(
    "delimiters",
    [
        {"element": "|"},
        {"element": "|", "component": ">"},
        {"component": "^", "repetition": "{"},
        {"end": "~"},  # all on one line
        {"end": "\n"},
        {"end": "~\r\n"},
        {"element": "|", "component": ">", "end": "~"},
    ],
    ids=[
        "pipes",
        "pipes-and-angles",
        "carets",
        "no-newlines",
        "newlines-only",
        "crlf",
        "all-changed",
    ],
)
def test_a_file_with_other_delimiters_reads_the_same(delimiters: dict[str, str]) -> None:
    text = written(claim(), DENIED_WHOLE)
    changed = redelimit(text, **delimiters)
    assert changed != text
    assert read_835(changed) == read_835(text)


@pytest.mark.parametrize(
    "before",
    ["\ufeff", "  \n\n", "\ufeff\r\n   ", "\t"],
    ids=["bom", "blank-lines", "bom-and-space", "tab"],
)
def test_a_byte_order_mark_or_leading_whitespace_is_ignored(before: str) -> None:
    text = written()
    assert read_835(before + text) == read_835(text)


def test_a_claim_denied_as_a_whole_has_no_lines_and_its_reason_on_the_claim() -> None:
    (read,) = read_835(written(DENIED_WHOLE)).claims
    assert read.status_words == "denied"
    assert read.services == ()
    assert read.adjustments == (adj("CO-50", "180"),)
    assert read.paid == D("0.00")
    assert read.remarks == ("N115",)


def test_a_reversal_reads_with_negative_amounts_and_its_status_in_words() -> None:
    era = read_835(written(REVERSAL, claim(), amount=D("0.00")))
    reversal, repayment = era.claims
    assert reversal.status_code == "22"
    assert reversal.status_words == "reversal of an earlier payment"
    assert (reversal.charge, reversal.paid) == (D("-180.00"), D("-120.00"))
    assert reversal.services[0].patient_responsibility == D("-20.00")
    assert repayment.status_words == "processed as primary"
    assert era.payments[0].amount == D("0.00")
    assert era.payments[0].method_words == "EFT"


@pytest.mark.parametrize(
    ("count", "segments"), [(6, 1), (7, 2)], ids=["six-in-one-cas", "seven-in-two"]
)
def test_every_reason_of_a_cas_is_read_up_to_the_six_it_holds(count: int, segments: int) -> None:
    reasons = ("45", "253", "59", "97", "150", "151", "204")[:count]
    adjustments = tuple(adj(f"CO-{r}", str(i + 1)) for i, r in enumerate(reasons))
    text = written(claim(services=(line(adjustments=adjustments),)))
    assert text.count("CAS*CO*") == segments
    (read,) = read_835(text).claims
    assert read.services[0].adjustments == adjustments


def test_a_changed_code_is_read_as_the_code_that_was_billed() -> None:
    # SVC01 is what the payer paid as, SVC06 what was billed: posting matches the billed line.
    text = written(claim(services=(line(modifiers=()),)))
    changed = text.replace("SVC*HC:97110*120*80**2", "SVC*HC:97530*120*80**2*HC:97110:GP")
    (read,) = read_835(changed).claims
    assert (read.services[0].code, read.services[0].modifiers) == ("97110", ("GP",))


def test_a_payment_that_does_not_balance_is_read_with_a_warning_naming_it() -> None:
    era = read_835(written(amount=D("150.00")))
    assert era.warnings == (
        "Payment EFT100 does not balance: the claims pay $120.00, less $0.00 of provider "
        "adjustments, but the EFT is $150.00.",
    )


def test_a_missing_payment_date_falls_back_to_the_production_date_with_a_warning() -> None:
    text = written()
    changed = text.replace("************20261120~", "~", 1)
    assert changed != text
    era = read_835(changed)
    assert era.payments[0].paid_on == PAID_ON
    assert era.warnings[0] == (
        "Segment 4 (BPR): the payment date is missing or not a date; the file's production "
        "date 11/20/2026 is used instead."
    )
    assert any("(BPR16) is missing" in w for w in era.warnings)


def test_an_unknown_status_is_shown_by_its_code() -> None:
    (read,) = read_835(written(claim(status_code="99"))).claims
    assert read.status_words == "status 99"


# ---- files that cannot be posted: each reason names where it is and what to do ---------------


def test_a_claim_without_its_control_number_is_refused_naming_the_clp() -> None:
    text = written().replace("CLP*PTC17*", "CLP**", 1)
    assert refused(text) == [
        "Segment 16 (CLP): the patient control number (CLP01) is missing, so the payment "
        "cannot find its claim."
    ]


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("CLP*PTC17*1*180*", "CLP*PTC17*1*18O*",
         "Segment 16 (CLP): '18O' in CLP03 is not an amount."),
        ("SVC*HC:97110:GP:KX*120*80", "SVC*HC:97110:GP:KX*120*8,0",
         "Segment 20 (SVC): '8,0' in SVC03 is not an amount."),
        ("BPR*I*120*", "BPR*I*$120*",
         "Segment 4 (BPR): '$120' in BPR02 is not an amount."),
        ("CAS*CO*45*20", "CAS*CO*45*twenty",
         "Segment 22 (CAS): 'twenty' in CAS03 is not an amount."),
        ("CLP*PTC17*1*180*120", "CLP*PTC17*1*180*",
         "Segment 16 (CLP): the amount in CLP04 is missing."),
    ],
    ids=["letter-o-in-charge", "comma-in-payment", "dollar-sign", "word", "missing-payment"],
)  # fmt: skip
def test_an_amount_that_is_not_a_number_is_refused_naming_the_element(
    old: str, new: str, problem: str
) -> None:
    text = written()
    assert old in text
    assert refused(text.replace(old, new, 1)) == [problem]


def test_every_problem_of_a_file_is_given_at_once() -> None:
    text = written().replace("CLP*PTC17*1*180*", "CLP**1*18O*", 1)
    assert [p.split(":")[0] for p in refused(text)] == [
        "Segment 16 (CLP)",
        "Segment 16 (CLP)",
    ]


@pytest.mark.parametrize(
    "cut",
    ["SE*", "GE*", "IEA*", "LQ*"],
    ids=["before-se", "before-ge", "before-iea", "mid-claim"],
)
def test_a_cut_off_file_is_refused_asking_for_it_again(cut: str) -> None:
    text = written()
    problems = refused(text[: text.index(cut)])
    assert len(problems) == 1
    assert "cut off in transfer" in problems[0]
    assert "Ask the payer or clearinghouse for the file again." in problems[0]


def test_a_functional_group_that_is_not_claim_payments_is_refused() -> None:
    text = written().replace("GS*HP*", "GS*HC*", 1)
    assert refused(text) == [
        "Segment 2 (GS): functional group 1 is 'HC', not HP (claim payment): this is not an 835 "
        "file."
    ]


def test_a_transaction_set_that_is_not_an_835_is_refused() -> None:
    text = written().replace("ST*835*", "ST*837*", 1)
    problems = refused(text)
    assert problems == [
        "Segment 3 (ST): transaction set 0001 is of type 837, not an 835 remittance."
    ]


@pytest.mark.parametrize("missing", ["BPR", "TRN"])
def test_a_transaction_set_without_its_payment_segments_is_refused(missing: str) -> None:
    text = without(written(), missing + "*")
    assert refused(text) == [
        f"Transaction set 0001 (segment 3) has no {missing} segment: the payment itself is missing."
    ]


def test_a_payment_without_its_check_or_eft_number_is_refused() -> None:
    text = written().replace("TRN*1*EFT100*", "TRN*1**", 1)
    assert refused(text) == ["Segment 5 (TRN): the check or EFT number (TRN02) is missing."]


def test_a_payment_without_any_date_is_refused() -> None:
    text = without(written().replace("************20261120~", "~", 1), "DTM*405")
    assert refused(text) == [
        "Segment 4 (BPR): the payment has no date (BPR16), and the file no production date "
        "(DTM*405) to take instead."
    ]


def test_a_file_without_any_transaction_set_is_refused() -> None:
    text = written()
    start, end = text.index("ST*835"), text.index("GE*")
    assert refused(text[:start] + text[end:]) == [
        "The file holds no 835 transaction set (ST*835), so nothing to post."
    ]


@pytest.mark.parametrize(
    "text",
    ["", "Dear provider, your payment is attached.", "GS*HP*A*B~", "%PDF-1.7"],
    ids=["empty", "a-letter", "no-isa", "a-pdf"],
)
def test_a_file_that_is_not_x12_is_refused(text: str) -> None:
    assert refused(text) == [
        "The file does not start with an ISA header, so it is not an X12 file."
    ]
