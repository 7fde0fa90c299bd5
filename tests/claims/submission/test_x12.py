"""The 837P writer (`claims.submission.x12`) and its pyx12 check (`claims.submission.validate`).

Every claim shape the clinic sends is written and run through pyx12's 005010X222A1 map; the
segments a payer reads are asserted one by one. The demo files in the shared fixtures show the
validator accepts real files written by others (and rejects the faulty ones).
"""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
from dataclasses import replace
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from claims.submission.document import (
    Address,
    BatchDocument,
    BillingProvider,
    ClaimDocument,
    Party,
    PayerParty,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
)
from claims.submission.validate import validate_837p, validate_batch
from claims.submission.x12 import segments_of, write_837p
from tests.conftest import shared_path

BILLING_NPI = "1234567893"
PT_NPI = "1987654328"
PTA_NPI = "1456789019"
REFERRING_NPI = "1678901236"
DAY = dt.date(2026, 3, 2)

# --- a small factory: one valid document, changed per test with keyword arguments ------------


def make_address(**fields: Any) -> Address:
    values: dict[str, Any] = {
        "line1": "12 Harbor St",
        "city": "Boston",
        "state": "MA",
        "zip_code": "02110",
    }
    return Address(**(values | fields))


def make_person(**fields: Any) -> Person:
    values: dict[str, Any] = {
        "last_name": "Rivera",
        "first_name": "Ana",
        "date_of_birth": dt.date(1961, 7, 14),
        "sex": "F",
        "address": make_address(),
    }
    return Person(**(values | fields))


def make_provider(**fields: Any) -> Provider:
    values: dict[str, Any] = {
        "last_name": "Okafor",
        "first_name": "Chidi",
        "npi": PT_NPI,
        "taxonomy": "225100000X",
        "credential": "PT",
    }
    return Provider(**(values | fields))


def make_line(**fields: Any) -> ServiceLine:
    values: dict[str, Any] = {
        "code": "97110",
        "modifiers": ("GP",),
        "units": 2,
        "charge": Decimal("100.00"),
        "date_of_service": DAY,
        "dx_pointers": (1,),
    }
    return ServiceLine(**(values | fields))


def make_claim(**fields: Any) -> ClaimDocument:
    values: dict[str, Any] = {
        "patient_control_number": "PT000123",
        "patient": make_person(),
        "subscriber": Subscriber(member_id="1EG4TE5MK72"),
        "payer": PayerParty(name="Medicare Part B", payer_id="14212", filing_indicator="MB"),
        "rendering": make_provider(),
        "diagnoses": ("M5450", "M25561"),
        "lines": (
            make_line(),
            make_line(code="97140", modifiers=("GP", "59"), units=1, charge=Decimal("50.50")),
        ),
    }
    return ClaimDocument(**(values | fields))


def make_batch(*claims: ClaimDocument, **fields: Any) -> BatchDocument:
    values: dict[str, Any] = {
        "submitter": Party(
            id="PTCLINIC01",
            name="Harbor Physical Therapy",
            contact_name="Dana Billing",
            contact_phone="(617) 555-0100",
            contact_email="billing@harbor-pt.example",
        ),
        "receiver": Party(id="CLEARHOUSE", name="Clearing House Inc"),
        "billing": BillingProvider(
            provider=Provider(
                last_name="Harbor Physical Therapy LLC",
                npi=BILLING_NPI,
                organisation=True,
                taxonomy="225100000X",
            ),
            tax_id="043456789",
            address=make_address(zip_code="021101234"),
            phone="617-555-0101",
        ),
        "claims": claims or (make_claim(),),
        "interchange_number": 42,
        "group_number": 42,
        "transaction_number": 1,
        "created_at": dt.datetime(2026, 3, 3, 14, 5),
        "batch_reference": "B20260303-1",
    }
    return BatchDocument(**(values | fields))


def written(*claims: ClaimDocument, **fields: Any) -> list[str]:
    return segments_of(write_837p(make_batch(*claims, **fields)))


def segment(segments: list[str], prefix: str) -> str:
    """The one segment starting with ``prefix`` (an id and its first elements)."""
    found = [s for s in segments if s == prefix or s.startswith(prefix + "*")]
    assert len(found) == 1, f"{prefix}: {found}"
    return found[0]


def ids(segments: list[str]) -> list[str]:
    return [s.split("*")[0] for s in segments]


SPOUSE = Subscriber(
    member_id="W123456789",
    relationship="01",
    person=make_person(first_name="Luis", sex="M", date_of_birth=dt.date(1958, 2, 1)),
    group_number="GRP-7781",
)
PTA = make_provider(last_name="Nguyen", first_name="Mai", npi=PTA_NPI, taxonomy="225200000X")
REFERRING = Provider(last_name="Shah", first_name="Priya", npi=REFERRING_NPI)
TWELVE = ("M5450", "M25561", "M6281", "R262", "Z9181", "M170", "S83511A", "I69351", "G20A1",
          "M7502", "Z4789", "R296")  # fmt: skip
FOUR_MODIFIERS = make_line(code="97530", modifiers=("GP", "CQ", "KX", "59"), units=3)

SHAPES: dict[str, BatchDocument] = {
    "pt lines, rendering is the billing NPI": make_batch(
        make_claim(rendering=make_provider(npi=BILLING_NPI))
    ),
    "pt lines, rendering differs from billing": make_batch(),
    "pta lines with CQ": make_batch(
        make_claim(
            rendering=PTA,
            lines=(
                make_line(modifiers=("GP", "CQ")),
                make_line(code="97112", modifiers=("GP", "CQ"), dx_pointers=(2, 1)),
            ),
        )
    ),
    "pt and pta lines on one claim": make_batch(
        make_claim(
            lines=(
                make_line(),
                make_line(code="97530", modifiers=("GP", "CQ"), dx_pointers=(1, 2)),
            )
        )
    ),
    "four modifiers GP CQ KX 59": make_batch(make_claim(lines=(FOUR_MODIFIERS,))),
    "twelve diagnoses": make_batch(
        make_claim(diagnoses=TWELVE, lines=(make_line(dx_pointers=(1, 2, 11, 12)),))
    ),
    "referring provider": make_batch(make_claim(referring=REFERRING)),
    "subscriber is the spouse": make_batch(make_claim(subscriber=SPOUSE)),
    "replacement": make_batch(make_claim(frequency_code="7", original_claim_number="2226041234")),
    "void": make_batch(make_claim(frequency_code="8", original_claim_number="2226041234")),
    "pay-to address": make_batch(
        billing=replace(
            make_batch().billing, pay_to=make_address(line1="PO Box 77", zip_code="021130077")
        )
    ),
    "onset, prior authorisation, commercial payer with address": make_batch(
        make_claim(
            onset_date=dt.date(2026, 1, 20),
            prior_authorization="AUTH-55",
            payer=PayerParty(
                name="Blue Harbor Health",
                payer_id="BH001",
                filing_indicator="CI",
                address=make_address(line1="1 Insurance Way", zip_code="021990001"),
            ),
            subscriber=Subscriber(member_id="XYZ123", group_number="G100"),
        )
    ),
    "two claims, one for a dependant": make_batch(
        make_claim(),
        make_claim(patient_control_number="PT000124", subscriber=SPOUSE, rendering=PTA),
    ),
}


@pytest.mark.parametrize("batch", SHAPES.values(), ids=SHAPES.keys())
def test_every_claim_shape_passes_pyx12(batch: BatchDocument) -> None:
    report = validate_batch(batch, write_837p(batch))

    assert report.errors == ()
    assert report.valid


def test_the_clm_segment_carries_charge_place_frequency_and_assignment() -> None:
    clm = segment(written(), "CLM")

    assert clm == "CLM*PT000123*150.5***11:B:1*Y*A*Y*Y"


def test_a_claim_not_accepting_assignment_says_c() -> None:
    clm = segment(written(make_claim(accept_assignment=False)), "CLM")

    assert clm.split("*")[7] == "C"


def test_the_first_diagnosis_is_the_principal_one() -> None:
    assert segment(written(), "HI") == "HI*ABK:M5450*ABF:M25561"


def test_twelve_diagnoses_go_in_one_hi_segment() -> None:
    segments = written(make_claim(diagnoses=TWELVE))
    hi = segment(segments, "HI").split("*")[1:]

    assert len(hi) == 12
    assert hi[0] == "ABK:M5450"
    assert hi[11] == "ABF:R296"


def test_a_diagnosis_given_with_a_dot_is_sent_without_it() -> None:
    assert segment(written(make_claim(diagnoses=("M54.50",))), "HI") == "HI*ABK:M5450"


@pytest.mark.parametrize(
    ("line", "sv1"),
    [
        (make_line(), "SV1*HC:97110:GP*100*UN*2***1"),
        (FOUR_MODIFIERS, "SV1*HC:97530:GP:CQ:KX:59*100*UN*3***1"),
        (make_line(dx_pointers=(2, 1, 3)), "SV1*HC:97110:GP*100*UN*2***2:1:3"),
        (make_line(modifiers=()), "SV1*HC:97110*100*UN*2***1"),
        (make_line(charge=Decimal("87.25")), "SV1*HC:97110:GP*87.25*UN*2***1"),
        (make_line(place_of_service="12"), "SV1*HC:97110:GP*100*UN*2*12**1"),
        (make_line(place_of_service="11"), "SV1*HC:97110:GP*100*UN*2***1"),
    ],
    ids=[
        "one modifier",
        "four modifiers",
        "three pointers in order",
        "no modifier",
        "cents kept",
        "home visit on an office claim",
        "same place as the claim",
    ],
)
def test_the_sv1_composite_code_modifiers_and_pointers(line: ServiceLine, sv1: str) -> None:
    segments = written(make_claim(diagnoses=("M5450", "M25561", "R262"), lines=(line,)))

    assert segment(segments, "SV1") == sv1


def test_each_line_is_numbered_and_dated() -> None:
    second_day = DAY + dt.timedelta(days=2)
    claim = make_claim(lines=(make_line(), make_line(date_of_service=second_day)))
    segments = written(claim)
    start = segments.index("LX*1")

    assert segments[start : start + 6] == [
        "LX*1",
        "SV1*HC:97110:GP*100*UN*2***1",
        "DTP*472*D8*20260302",
        "LX*2",
        "SV1*HC:97110:GP*100*UN*2***1",
        "DTP*472*D8*20260304",
    ]


@pytest.mark.parametrize("batch", SHAPES.values(), ids=SHAPES.keys())
def test_se_counts_the_segments_from_st_to_se(batch: BatchDocument) -> None:
    segments = segments_of(write_837p(batch))
    st, se = ids(segments).index("ST"), ids(segments).index("SE")

    assert segments[se] == f"SE*{se - st + 1}*0001"
    assert segments[st] == "ST*837*0001*005010X222A1"


def test_the_isa_is_fixed_width_and_the_envelope_matches() -> None:
    text = write_837p(make_batch())
    isa = text.splitlines()[0]

    assert len(isa) == 106
    assert isa == (
        "ISA*00*          *00*          *ZZ*PTCLINIC01     *ZZ*CLEARHOUSE     *260303*1405*^*"
        "00501*000000042*0*T*:~"
    )
    segments = segments_of(text)
    assert segments[1] == "GS*HC*PTCLINIC01*CLEARHOUSE*20260303*1405*42*X*005010X222A1"
    assert segments[3] == "BHT*0019*00*B20260303-1*20260303*1405*CH"
    assert segments[-2:] == ["GE*1*42", "IEA*1*000000042"]


def test_a_production_batch_is_marked_p() -> None:
    isa = segments_of(write_837p(make_batch(production=True)))[0]

    assert isa.split("*")[15] == "P"


def test_every_segment_ends_with_a_tilde_and_a_newline() -> None:
    text = write_837p(make_batch())

    assert text.endswith("~\n")
    assert all(line.endswith("~") for line in text.splitlines())


def test_submitter_receiver_and_billing_provider_loops() -> None:
    segments = written()

    assert segments[4:12] == [
        "NM1*41*2*HARBOR PHYSICAL THERAPY*****46*PTCLINIC01",
        "PER*IC*DANA BILLING*TE*6175550100*EM*billing@harbor-pt.example",
        "NM1*40*2*CLEARING HOUSE INC*****46*CLEARHOUSE",
        "HL*1**20*1",
        "PRV*BI*PXC*225100000X",
        "NM1*85*2*HARBOR PHYSICAL THERAPY LLC*****XX*1234567893",
        "N3*12 HARBOR ST",
        "N4*BOSTON*MA*021101234",
    ]
    assert segments[12:14] == ["REF*EI*043456789", "PER*IC**TE*6175550101"]


def test_a_pay_to_address_follows_the_billing_provider() -> None:
    billing = replace(make_batch().billing, pay_to=make_address(line1="PO Box 77"))
    segments = written(billing=billing)
    start = segments.index("NM1*87*2")

    assert segments[start + 1 : start + 3] == ["N3*PO BOX 77", "N4*BOSTON*MA*02110"]


def test_no_pay_to_loop_without_a_pay_to_address() -> None:
    assert "NM1*87*2" not in written()


def test_a_patient_who_is_the_subscriber_has_no_patient_loop() -> None:
    segments = written()
    start = segments.index("HL*2*1*22*0")

    assert segments[start : start + 6] == [
        "HL*2*1*22*0",
        "SBR*P*18*******MB",
        "NM1*IL*1*RIVERA*ANA****MI*1EG4TE5MK72",
        "N3*12 HARBOR ST",
        "N4*BOSTON*MA*02110",
        "DMG*D8*19610714*F",
    ]
    assert "PAT" not in ids(segments)


def test_a_spouse_subscriber_puts_the_patient_in_2000c() -> None:
    segments = written(make_claim(subscriber=SPOUSE))
    start = segments.index("HL*2*1*22*1")

    assert segments[start : start + 10] == [
        "HL*2*1*22*1",
        "SBR*P**GRP-7781******MB",
        "NM1*IL*1*RIVERA*LUIS****MI*W123456789",
        "NM1*PR*2*MEDICARE PART B*****PI*14212",
        "HL*3*2*23*0",
        "PAT*01",
        "NM1*QC*1*RIVERA*ANA",
        "N3*12 HARBOR ST",
        "N4*BOSTON*MA*02110",
        "DMG*D8*19610714*F",
    ]
    assert segments[start + 10].startswith("CLM*")


def test_the_group_name_goes_only_when_there_is_no_group_number() -> None:
    named = Subscriber(member_id="A1", group_name="Harbor Teachers")
    both = Subscriber(member_id="A1", group_number="G1", group_name="Harbor Teachers")

    assert (
        segment(written(make_claim(subscriber=named)), "SBR") == "SBR*P*18**HARBOR TEACHERS*****MB"
    )
    assert segment(written(make_claim(subscriber=both)), "SBR") == "SBR*P*18*G1******MB"


@pytest.mark.parametrize(("code", "label"), [("7", "replacement"), ("8", "void")])
def test_a_replacement_or_void_names_the_original_claim(code: str, label: str) -> None:
    claim = make_claim(frequency_code=code, original_claim_number="2226041234")
    segments = written(claim)

    assert segment(segments, "CLM").split("*")[5] == f"11:B:{code}"
    assert segment(segments, "REF*F8") == "REF*F8*2226041234"


def test_an_original_claim_has_no_f8_reference() -> None:
    segments = written(make_claim(original_claim_number="2226041234"))

    assert not [s for s in segments if s.startswith("REF*F8")]


def test_onset_and_prior_authorisation_come_before_the_diagnoses() -> None:
    claim = make_claim(onset_date=dt.date(2026, 1, 20), prior_authorization="Auth 55")
    segments = written(claim)
    clm = ids(segments).index("CLM")

    # An identifier keeps the case the payer gave it; only spaces and separators go.
    assert segments[clm + 1 : clm + 4] == [
        "DTP*431*D8*20260120",
        "REF*G1*Auth55",
        "HI*ABK:M5450*ABF:M25561",
    ]


def test_a_referring_provider_is_sent_in_2310a() -> None:
    segments = written(make_claim(referring=REFERRING))

    assert segment(segments, "NM1*DN") == "NM1*DN*1*SHAH*PRIYA****XX*1678901236"


def test_a_rendering_provider_other_than_the_billing_npi_is_sent_with_a_taxonomy() -> None:
    segments = written()
    rendering = segments.index("NM1*82*1*OKAFOR*CHIDI****XX*1987654328")

    assert segments[rendering + 1] == "PRV*PE*PXC*225100000X"
    assert segments[rendering + 2] == "LX*1"


def test_no_rendering_loop_when_the_billing_npi_rendered() -> None:
    segments = written(make_claim(rendering=make_provider(npi=BILLING_NPI)))

    assert not [s for s in segments if s.startswith("NM1*82")]
    assert not [s for s in segments if s.startswith("PRV*PE")]


def test_two_claims_share_one_transaction_with_their_own_hierarchy() -> None:
    batch = SHAPES["two claims, one for a dependant"]
    segments = segments_of(write_837p(batch))

    assert ids(segments).count("ST") == 1
    assert [s for s in segments if s.startswith("HL")] == [
        "HL*1**20*1",
        "HL*2*1*22*0",
        "HL*3*1*22*1",
        "HL*4*3*23*0",
    ]
    assert [s.split("*")[1] for s in segments if s.startswith("CLM")] == ["PT000123", "PT000124"]
    # Each claim's lines are numbered from 1 again.
    assert [s for s in segments if s.startswith("LX")] == ["LX*1", "LX*2", "LX*1", "LX*2"]


def test_fifty_claims_validate_and_number_their_levels() -> None:
    claims = tuple(make_claim(patient_control_number=f"PT{n:06d}") for n in range(50))
    text = write_837p(make_batch(*claims))

    assert validate_837p(text).errors == ()
    assert segments_of(text).count("HL*51*1*22*0") == 1


@pytest.mark.parametrize(
    ("charge", "sent"),
    [
        (Decimal("100.00"), "100"),
        (Decimal("100.50"), "100.5"),
        (Decimal("0.05"), "0.05"),
        (Decimal("1234.56"), "1234.56"),
        (Decimal("1E+2"), "100"),
    ],
)
def test_amounts_are_sent_without_trailing_zeros(charge: Decimal, sent: str) -> None:
    segments = written(make_claim(lines=(make_line(charge=charge),)))

    assert segment(segments, "SV1").split("*")[2] == sent
    assert segment(segments, "CLM").split("*")[2] == sent


@pytest.mark.parametrize(
    ("last_name", "sent"),
    [
        ("Rivera", "RIVERA"),
        ("O'Brien-Smith", "O'BRIEN-SMITH"),
        ("Peña  Núñez", "PENA NUNEZ"),
        ("Star*Name~Tilde:Colon^Caret", "STAR NAME TILDE COLON CARET"),
        ("X" * 70, "X" * 60),
    ],
    ids=["plain", "apostrophe and hyphen", "accents and double space", "separators", "too long"],
)
def test_names_are_upper_case_without_separators_and_cut_to_size(last_name: str, sent: str) -> None:
    segments = written(make_claim(patient=make_person(last_name=last_name)))

    assert segment(segments, "NM1*IL").split("*")[3] == sent


def test_zip_codes_and_phone_numbers_are_sent_as_digits() -> None:
    patient = make_person(address=make_address(zip_code="02110-1234"))
    segments = written(make_claim(patient=patient))

    assert "N4*BOSTON*MA*021101234" in segments
    assert segment(segments, "PER*IC*DANA BILLING").split("*")[4] == "6175550100"


def test_a_dependant_without_the_subscriber_person_cannot_be_written() -> None:
    claim = make_claim(subscriber=Subscriber(member_id="A1", relationship="19"))

    with pytest.raises(ValueError, match="subscriber's name is missing"):
        write_837p(make_batch(claim))


def run_python(code: str) -> str:
    root = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
        env={"PYTHONPATH": str(root)},  # and no DJANGO_SETTINGS_MODULE
    )
    return result.stdout.strip()


def test_the_writer_imports_no_django() -> None:
    code = "import sys, claims.submission.x12\nprint([m for m in sys.modules if 'django' in m])"

    assert run_python(code) == "[]"


def test_the_checks_and_the_validator_need_no_django_settings() -> None:
    code = (
        "import sys, claims.submission.validate as v\n"
        "print(v.validate_837p('').valid, 'django.conf' in sys.modules)"
    )

    assert run_python(code) == "False False"


# --- the validator is not a rubber stamp -----------------------------------------------------


def _break(pattern: str, replacement: str) -> str:
    text = write_837p(make_batch())
    broken, count = re.subn(pattern, replacement, text, flags=re.MULTILINE)
    assert count == 1, pattern
    return broken


@pytest.mark.parametrize(
    ("pattern", "replacement", "error"),
    [
        (r"^NM1\*85\*.*~\n", "", 'Mandatory loop "Billing Provider Name" (2010AA) missing'),
        (r"^SE\*(\d+)\*", "SE*99*", "SE count of 99 for SE02=0001 is wrong"),
        (r"^HI\*.*~\n", "", 'Mandatory segment "Health Care Diagnosis Code" (HI) missing'),
        (r"^DMG\*D8\*19610714", "DMG*D8*19611314", "contains an invalid date (19611314)"),
        (r"^CLM\*PT000123\*150.5", "CLM*PT000123*15O.5", "is type R, contains an invalid"),
        (r"11:B:1", "11:X:1", "is not a valid code for Facility Code Qualifier"),
        (r"^LX\*2~", "LX*3~", "does not match my count of 2"),
        (r"^HL\*2\*1\*", "HL*5*1*", "My HL count 2 does not match your HL count 5"),
    ],
    ids=[
        "no billing provider name",
        "wrong SE count",
        "claim without diagnoses",
        "impossible birth date",
        "letter in an amount",
        "bad facility qualifier",
        "line numbers skip",
        "HL numbers skip",
    ],
)
def test_pyx12_reports_a_broken_file(pattern: str, replacement: str, error: str) -> None:
    report = validate_837p(_break(pattern, replacement))

    assert not report.valid
    assert any(error in sentence for sentence in report.errors), report.errors


def test_an_error_sentence_names_the_line_and_segment() -> None:
    report = validate_837p(_break(r"^HI\*.*~\n", ""))

    assert any(
        re.match(r"Segment \d+ of the file \(HI; \d+ of the transaction set\): Mandatory", sentence)
        for sentence in report.errors
    ), report.errors


def test_a_segment_that_crashes_pyx12_becomes_an_error_sentence() -> None:
    # pyx12 4.0 raises IndexError on a composite with more components than its map.
    text = _break(r"\*UN\*2\*\*\*1~\n(DTP\*472\*D8\*20260302~\nLX\*2)", r"*UN*2***1:2:1:2:1~\n\1")

    report = validate_837p(text)

    assert report.errors == (
        "Segment 27 of the file (SV1*HC:97110:GP*100*UN*2***1:2:1:2:1): pyx12 stopped reading "
        "(IndexError: list index out of range); check that segment's elements and components "
        "against the 837P guide.",
    )


@pytest.mark.parametrize(
    "text",
    ["", "hello", "GS*HC*A*B~", "ISA*00*" + "x" * 200],
    ids=["empty", "words", "no ISA", "no terminator at 106"],
)
def test_text_that_is_not_x12_gets_a_sentence_not_a_crash(text: str) -> None:
    report = validate_837p(text)

    assert not report.valid
    assert len(report.errors) == 1


def test_validate_batch_adds_our_checks_to_pyx12() -> None:
    batch = make_batch(make_claim(rendering=make_provider(npi="1234567890")))

    report = validate_batch(batch, write_837p(batch))

    assert not report.valid
    assert report.errors == (
        "Claim PT000123: the rendering provider's NPI '1234567890' is not a valid NPI (ten "
        "digits with a correct check digit); correct it.",
    )


# --- real files from elsewhere ---------------------------------------------------------------

ACCEPTED_DEMOS = [
    "837P_lfh_demo.example1.837",
    "837P_lfh_demo.example2.837",
    "837P_lfh_demo.example7.837",
    "837P_lfh_demo.example8.837",
    "837P_lfh_demo.autoaccident.837",
    "837P_lfh_demo.cob.example3.B.837",
    "837P_lfh_demo.cob.example3.C.837",
    "837P_lfh_demo.drug.example10.1.837",
    "837P_lfh_demo.drug.example10.2.837",
    "837P_lfh_demo.drug.example10.3.837",
]
# The demo set's own mistakes, as pyx12 finds them.
FAULTY_DEMOS = {
    "837P_lfh_demo.example6.837": "(11>B>1) is not a valid code for Place of Service Code",
    "837P_lfh_demo.example11.837": "(11>B>1) is not a valid code for Place of Service Code",
    "837P_lfh_demo.ambulance.example5.837": '"Facility Code Qualifier" (CLM05-02) is missing',
    "837P_lfh_demo.cob.example3.A.837": 'Mandatory loop "Other Payer Name" (2330B) missing',
}


def read_fixture(name: str) -> str:
    return shared_path("fixtures", "x12", name).read_text(encoding="utf-8-sig")


def as_a1(text: str) -> str:
    # The demo files declare the A2 addenda, which pyx12 has no map for; their content is
    # checked against the A1 map by relabelling GS08 and ST03.
    return text.replace("*005010X222A2~", "*005010X222A1~")


@pytest.mark.parametrize("name", ACCEPTED_DEMOS)
def test_a_real_demo_file_labelled_a2_is_reported_as_not_validated(name: str) -> None:
    report = validate_837p(read_fixture(name))

    assert not report.valid
    assert report.errors == (
        "Functional group 1 declares version '005010X222A2'; pyx12 has no map for it (it has "
        "005010X222A1, the 837P version HIPAA adopted), so the file was not validated. Send it "
        "as 005010X222A1, or check it with a validator that knows 005010X222A2.",
    )


@pytest.mark.parametrize("name", ACCEPTED_DEMOS)
def test_a_real_demo_file_passes_against_the_a1_map(name: str) -> None:
    assert validate_837p(as_a1(read_fixture(name))).errors == ()


@pytest.mark.parametrize(("name", "error"), FAULTY_DEMOS.items())
def test_a_faulty_demo_file_is_rejected_with_its_fault(name: str, error: str) -> None:
    report = validate_837p(as_a1(read_fixture(name)))

    assert not report.valid
    assert any(error in sentence for sentence in report.errors), report.errors


def test_a_file_of_the_base_005010x222_version_is_reported_as_not_validated() -> None:
    report = validate_837p(read_fixture("837P_oopfactory_Example1_HealthInsurance.txt"))

    assert not report.valid
    assert "declares version '005010X222'" in report.errors[0]
