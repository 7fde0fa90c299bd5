"""The CMS-1500 (02/12) PDF: each value is read back with its position and must sit inside the
cells `claims.submission.cms1500.FIELDS` gives its box; no database."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import sys
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth

from claims.submission.cms1500 import (
    CELL_WIDTH,
    DESCENT,
    FIELDS,
    GRID_LEFT,
    GRID_TOP,
    LINE_HEIGHT,
    PAGE_HEIGHT,
    field_rect,
    render_cms1500,
)
from claims.submission.document import (
    Address,
    BillingProvider,
    ClaimDocument,
    PayerParty,
    Person,
    Provider,
    ServiceLine,
    Subscriber,
)

REPO = Path(__file__).resolve().parents[3]
BILLING_NPI = "1245319599"
RENDERING_NPI = "1679576722"
REFERRING_NPI = "1043768450"
OTHER_NPI = "1588667638"
CAP_HEIGHT = 5.7  # Courier 10 pt: how far a capital rises above its baseline


# --- factories ------------------------------------------------------------------------------


def make_billing(**fields: Any) -> BillingProvider:
    values: dict[str, Any] = {
        "provider": Provider(
            "Riverbend Physical Therapy", BILLING_NPI, organisation=True, taxonomy="225100000X"
        ),
        "tax_id": "123456789",
        "address": Address("400 River Road", "Springfield", "IL", "627041234", line2="Suite 2"),
        "phone": "2175550100",
    }
    values.update(fields)
    return BillingProvider(**values)


def make_patient(**fields: Any) -> Person:
    values: dict[str, Any] = {
        "last_name": "Doe",
        "first_name": "Jane",
        "middle_name": "Quinn",
        "date_of_birth": dt.date(1961, 4, 9),
        "sex": "F",
        "address": Address("12 Elm St., #4", "Springfield", "IL", "627011234"),
        "phone": "(217) 555-0142",
    }
    values.update(fields)
    return Person(**values)


def make_line(**fields: Any) -> ServiceLine:
    values: dict[str, Any] = {
        "code": "97110",
        "modifiers": ("GP",),
        "units": 2,
        "charge": Decimal("135.00"),
        "date_of_service": dt.date(2026, 11, 3),
        "dx_pointers": (1,),
    }
    values.update(fields)
    return ServiceLine(**values)


def make_claim(**fields: Any) -> ClaimDocument:
    values: dict[str, Any] = {
        "patient_control_number": "PTC1001",
        "patient": make_patient(),
        "subscriber": Subscriber("XYZ987654321", group_number="GRP00123"),
        "payer": PayerParty(
            "Acme Health Plan",
            "ACME1",
            "CI",
            Address("PO Box 1000", "Chicago", "IL", "606800001"),
            insurance_type="group",
        ),
        "rendering": Provider("Nguyen", RENDERING_NPI, first_name="Linh", credential="PT"),
        "diagnoses": ("M5450", "M25561"),
        "lines": (make_line(),),
        "referring": Provider("Patel", REFERRING_NPI, first_name="Asha", credential="MD"),
        "onset_date": dt.date(2026, 9, 15),
        "prior_authorization": "AUTH-55 01",
        "signature_date": dt.date(2026, 11, 20),
    }
    values.update(fields)
    return ClaimDocument(**values)


# --- reading the PDF back -------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """One string the PDF draws, where its baseline starts, and its font."""

    text: str
    x: float
    y: float
    font: str
    size: float


def runs_of(pdf: bytes) -> list[list[Run]]:
    pages: list[list[Run]] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        found: list[Run] = []

        def visit(text: str, cm: Any, tm: Any, font: Any, size: float, found: Any = found) -> None:
            if text.strip():
                name = str(font.get("/BaseFont", "")) if font else ""
                found.append(Run(text.strip(), tm[4], tm[5], name.lstrip("/"), size))

        page.extract_text(visitor_text=visit)
        pages.append(found)
    return pages


def render(*claims: ClaimDocument, billing: BillingProvider | None = None, **kw: Any) -> bytes:
    return render_cms1500([(claim, billing or make_billing()) for claim in claims], **kw)


def page_runs(claim: ClaimDocument, page: int = 0, **kw: Any) -> list[Run]:
    return runs_of(render(claim, **kw))[page]


def in_box(runs: list[Run], name: str, line: int = 0) -> list[str]:
    """The strings printed in a field's cells; each must also end inside them."""
    x0, y0, x1, y1 = field_rect(name, line)
    inside = [run for run in runs if x0 <= run.x < x1 and y0 <= run.y < y1]
    for run in inside:
        right = run.x + len(run.text) * CELL_WIDTH - (CELL_WIDTH - 6.0)
        assert right <= x1 + 0.01, f"{run.text!r} runs out of {name}"
    return [run.text for run in inside]


def checked(runs: list[Run], *names: str) -> list[str]:
    """Which of these check boxes hold an X."""
    return [name for name in names if in_box(runs, name) == ["X"]]


# --- the grid itself ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "inches_from_left", "inches_from_top"),
    [
        # The first cell's left side and its row's top: 10 columns and 6 rows to the inch,
        # from 1/3 in. The numbers are the form's print positions (column 50, row 8 …).
        ("1a_insured_id", 1 / 3 + 4.9, 1 / 3 + 7 / 6),
        ("2_patient_name", 1 / 3, 1 / 3 + 9 / 6),
        ("21a", 1 / 3 + 0.2, 1 / 3 + 37 / 6),
        ("24a_from_mm", 1 / 3, 1 / 3 + 43 / 6),
        ("28_dollars", 1 / 3 + 5.0, 1 / 3 + 55 / 6),
        ("33a_npi", 1 / 3 + 5.0, 1 / 3 + 60 / 6),
    ],
)
def test_boxes_sit_on_the_ten_by_six_grid_of_the_printed_form(
    name: str, inches_from_left: float, inches_from_top: float
) -> None:
    x0, _, _, y1 = field_rect(name)
    assert x0 == pytest.approx(inches_from_left * 72)
    assert PAGE_HEIGHT - y1 == pytest.approx(inches_from_top * 72)


def test_every_field_fits_on_the_form() -> None:
    for name, field in FIELDS.items():
        x0, y0, x1, _ = field_rect(name, line=5)
        assert x0 >= GRID_LEFT and x1 <= GRID_LEFT + 79 * CELL_WIDTH, name
        assert y0 >= PAGE_HEIGHT - GRID_TOP - 63 * LINE_HEIGHT, name
        assert field.width >= 1, name


def test_the_form_is_letter_size_in_courier_ten_point_at_ten_characters_an_inch() -> None:
    pdf = render(make_claim())
    page = PdfReader(io.BytesIO(pdf)).pages[0]
    assert (float(page.mediabox.width), float(page.mediabox.height)) == (612, 792)
    runs = runs_of(pdf)[0]
    assert {(run.font, run.size) for run in runs} == {("Courier", 10)}
    # Every value starts on a cell of the grid and on a baseline 2.5 pt above a row's bottom.
    for run in runs:
        column = (run.x - GRID_LEFT - 0.6) / CELL_WIDTH
        row = (PAGE_HEIGHT - GRID_TOP - run.y + DESCENT) / LINE_HEIGHT
        assert column == pytest.approx(round(column), abs=1e-6), run
        assert row == pytest.approx(round(row), abs=1e-6), run


# --- the boxes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("carrier_name", "ACME HEALTH PLAN"),
        ("carrier_line1", "PO BOX 1000"),
        ("carrier_line2", "CHICAGO IL 60680-0001"),
        ("1a_insured_id", "XYZ987654321"),
        ("2_patient_name", "DOE, JANE, Q"),
        ("3_birth_mm", "04"),
        ("3_birth_dd", "09"),
        ("3_birth_yyyy", "1961"),  # birth dates are 8-digit
        ("4_insured_name", "DOE, JANE, Q"),  # self: the insured's own name, no "SAME"
        ("5_street", "12 ELM ST 4"),  # no periods, commas or "#"
        ("5_city", "SPRINGFIELD"),
        ("5_state", "IL"),
        ("5_zip", "62701-1234"),  # a 9-digit ZIP code keeps its hyphen
        ("5_area_code", "217"),
        ("5_phone", "5550142"),  # no separator inside the number
        ("7_street", "12 ELM ST 4"),
        ("7_zip", "62701-1234"),
        ("11_group_number", "GRP00123"),
        ("11a_birth_yyyy", "1961"),
        ("11c_plan_name", "ACME HEALTH PLAN"),
        ("12_signature", "SIGNATURE ON FILE"),
        ("13_signature", "SIGNATURE ON FILE"),
        ("14_mm", "09"),
        ("14_dd", "15"),
        ("14_yy", "26"),
        ("14_qualifier", "431"),
        ("17_qualifier", "DN"),
        ("17_name", "ASHA PATEL MD"),  # first name first, then the credential
        ("17b_npi", REFERRING_NPI),
        ("21_icd_indicator", "0"),
        ("23_prior_auth", "AUTH5501"),  # no hyphens or spaces
        ("25_tax_id", "123456789"),
        ("26_account", "PTC1001"),
        ("31_signature", "LINH NGUYEN PT"),
        ("31_date", "11 20 26"),
        ("32_name", "RIVERBEND PHYSICAL THERAPY"),
        ("32_street", "400 RIVER ROAD SUITE 2"),
        ("32_city", "SPRINGFIELD IL 62704-1234"),
        ("32a_npi", BILLING_NPI),
        ("33_area_code", "217"),
        ("33_phone", "5550100"),
        ("33_name", "RIVERBEND PHYSICAL THERAPY"),
        ("33_street", "400 RIVER ROAD SUITE 2"),
        ("33_city", "SPRINGFIELD IL 62704-1234"),
        ("33a_npi", BILLING_NPI),
    ],
)
def test_each_box_holds_its_value_inside_its_cells(name: str, expected: str) -> None:
    assert in_box(page_runs(make_claim()), name) == [expected]


def test_empty_boxes_print_nothing() -> None:
    runs = page_runs(make_claim(referring=None, onset_date=None, prior_authorization=""))
    for name in ("9d_other_plan_name", "14_mm", "14_qualifier", "17_name", "17b_npi", "22_code"):
        assert in_box(runs, name) == [], name
    assert in_box(runs, "23_prior_auth") == []


@pytest.mark.parametrize(
    ("insurance_type", "box"),
    [
        ("medicare", "1_medicare"),
        ("medicaid", "1_medicaid"),
        ("tricare", "1_tricare"),
        ("champva", "1_champva"),
        ("group", "1_group"),
        ("feca", "1_feca"),
        ("other", "1_other"),
        ("something new", "1_other"),
    ],
)
def test_item_1_marks_exactly_the_payers_insurance_type(insurance_type: str, box: str) -> None:
    payer = PayerParty("Plan", "P1", "CI", insurance_type=insurance_type)
    runs = page_runs(make_claim(payer=payer))
    boxes = [name for name in FIELDS if name.startswith("1_")]
    assert checked(runs, *boxes) == [box]


@pytest.mark.parametrize(
    ("relationship", "box"),
    [("18", "6_self"), ("01", "6_spouse"), ("19", "6_child"), ("G8", "6_other"), ("20", "6_other")],
)
def test_item_6_marks_the_relationship_from_the_x12_code(relationship: str, box: str) -> None:
    insured = make_patient(last_name="Roe", first_name="Sam", middle_name="", sex="M")
    subscriber = Subscriber("XYZ987654321", relationship=relationship, person=insured)
    runs = page_runs(make_claim(subscriber=subscriber))
    assert checked(runs, "6_self", "6_spouse", "6_child", "6_other") == [box]


def test_the_insured_who_is_not_the_patient_fills_items_4_7_and_11a() -> None:
    insured = make_patient(
        last_name="Roe",
        first_name="Sam",
        middle_name="",
        sex="M",
        date_of_birth=dt.date(1958, 12, 1),
        address=Address("9 Oak Ave", "Peoria", "IL", "61602"),
        phone="3095550123",
    )
    subscriber = Subscriber("XYZ987654321", relationship="01", person=insured)
    runs = page_runs(make_claim(subscriber=subscriber))
    assert in_box(runs, "4_insured_name") == ["ROE, SAM"]
    assert in_box(runs, "7_street") == ["9 OAK AVE"]
    assert in_box(runs, "7_city") == ["PEORIA"]
    assert in_box(runs, "7_zip") == ["61602"]
    assert in_box(runs, "7_phone") == ["5550123"]
    assert [in_box(runs, f"11a_birth_{part}") for part in ("mm", "dd", "yyyy")] == [
        ["12"],
        ["01"],
        ["1958"],
    ]
    assert checked(runs, "11a_sex_m", "11a_sex_f") == ["11a_sex_m"]
    # The patient stays the patient.
    assert in_box(runs, "2_patient_name") == ["DOE, JANE, Q"]
    assert checked(runs, "3_sex_m", "3_sex_f") == ["3_sex_f"]


def test_an_insured_other_than_the_patient_without_a_name_is_refused() -> None:
    claim = make_claim(subscriber=Subscriber("XYZ987654321", relationship="01"))
    with pytest.raises(ValueError, match="PTC1001: the subscriber is not the patient"):
        render(claim)


def test_conditions_are_not_related_to_employment_or_accidents() -> None:
    runs = page_runs(make_claim())
    assert checked(runs, "10a_yes", "10a_no", "10b_yes", "10b_no", "10c_yes", "10c_no") == [
        "10a_no",
        "10b_no",
        "10c_no",
    ]


def test_a_secondary_payer_answers_11d_yes_and_names_the_other_plan_in_9d() -> None:
    secondary = PayerParty("Medicare Part B", "MCR", "MB", insurance_type="medicare")
    runs = page_runs(make_claim(secondary_payer=secondary))
    assert checked(runs, "11d_yes", "11d_no") == ["11d_yes"]
    assert in_box(runs, "9d_other_plan_name") == ["MEDICARE PART B"]


def test_without_another_plan_11d_says_no() -> None:
    assert checked(page_runs(make_claim()), "11d_yes", "11d_no") == ["11d_no"]


def test_box_25_checks_the_ein_box_next_to_the_tax_id_without_a_hyphen() -> None:
    runs = page_runs(make_claim(), billing=None)
    assert checked(runs, "25_ssn", "25_ein") == ["25_ein"]
    runs = runs_of(render(make_claim(), billing=make_billing(tax_id="12-3456789")))[0]
    assert in_box(runs, "25_tax_id") == ["123456789"]


@pytest.mark.parametrize(("accept", "box"), [(True, "27_yes"), (False, "27_no")])
def test_box_27_says_whether_the_clinic_accepts_assignment(accept: bool, box: str) -> None:
    runs = page_runs(make_claim(accept_assignment=accept))
    assert checked(runs, "27_yes", "27_no") == [box]
    # Item 13 (benefits paid to the provider) goes with it.
    assert in_box(runs, "13_signature") == (["SIGNATURE ON FILE"] if accept else [])


# --- item 21 --------------------------------------------------------------------------------


def test_twelve_diagnoses_fill_a_to_l_without_the_decimal_point() -> None:
    codes = (
        "M54.50",
        "M25561",
        "S83511A",
        "M6281",
        "R262",
        "Z9181",
        "M25661",
        "M79604",
        "G8929",
        "M1711",
        "M545",
        "R2689",
    )
    runs = page_runs(make_claim(diagnoses=codes))
    printed = [in_box(runs, f"21{letter}") for letter in "abcdefghijkl"]
    assert printed == [[code.replace(".", "")] for code in codes]


def test_diagnoses_run_across_then_down_four_to_a_row() -> None:
    assert (FIELDS["21b"].row, FIELDS["21e"].row, FIELDS["21i"].row) == (38, 39, 40)
    assert FIELDS["21a"].col == FIELDS["21e"].col == FIELDS["21i"].col
    assert FIELDS["21a"].col < FIELDS["21b"].col < FIELDS["21c"].col < FIELDS["21d"].col


# --- item 22 --------------------------------------------------------------------------------


@pytest.mark.parametrize("code", ["7", "8"])
def test_a_replacement_or_void_shows_its_code_and_the_original_claim_number_in_22(
    code: str,
) -> None:
    runs = page_runs(make_claim(frequency_code=code, original_claim_number="2026110400123"))
    assert in_box(runs, "22_code") == [code]
    assert in_box(runs, "22_original_ref") == ["2026110400123"]


def test_an_original_claim_leaves_22_empty() -> None:
    runs = page_runs(make_claim(frequency_code="1", original_claim_number="IGNORED"))
    assert in_box(runs, "22_code") == []
    assert in_box(runs, "22_original_ref") == []


# --- item 24 --------------------------------------------------------------------------------

SIX_LINES = (
    make_line(code="97110", modifiers=("GP",), units=2, charge=Decimal("135.00"), dx_pointers=(1,)),
    make_line(
        code="97140",
        modifiers=("GP", "59"),
        units=1,
        charge=Decimal("45.5"),
        dx_pointers=(2, 1),
        date_of_service=dt.date(2026, 11, 4),
    ),
    make_line(
        code="97530",
        modifiers=("GP", "59", "KX"),
        units=3,
        charge=Decimal("210.00"),
        dx_pointers=(1, 2, 3),
    ),
    make_line(
        code="97112",
        modifiers=("GP", "59", "KX", "XU"),
        units=4,
        charge=Decimal("1234.56"),
        dx_pointers=(4, 3, 2, 1),
    ),
    make_line(code="97116", modifiers=(), units=1, charge=Decimal("0.99"), dx_pointers=(12,)),
    make_line(code="G0283", modifiers=("GP",), units=1, charge=Decimal("20"), dx_pointers=(1,)),
)
# Per line: modifiers, pointers, dollars, cents, units.
SIX_LINES_PRINTED: tuple[tuple[list[str], str, str, str, str], ...] = (
    (["GP"], "A", "135", "00", "2"),
    (["GP", "59"], "BA", "45", "50", "1"),
    (["GP", "59", "KX"], "ABC", "210", "00", "3"),
    (["GP", "59", "KX", "XU"], "DCBA", "1234", "56", "4"),
    ([], "L", "0", "99", "1"),
    (["GP"], "A", "20", "00", "1"),
)


@pytest.mark.parametrize("index", range(6))
def test_each_service_line_prints_in_its_own_row(index: int) -> None:
    claim = make_claim(diagnoses=tuple(f"M54{n:02d}" for n in range(12)), lines=SIX_LINES)
    runs = page_runs(claim)
    line = SIX_LINES[index]
    modifiers, pointers, dollars, cents, units = SIX_LINES_PRINTED[index]
    day = line.date_of_service
    date = [[f"{day.month:02d}"], [f"{day.day:02d}"], [f"{day.year % 100:02d}"]]
    for prefix in ("24a_from", "24a_to"):
        assert [in_box(runs, f"{prefix}_{p}", index) for p in ("mm", "dd", "yy")] == date
    assert in_box(runs, "24b_place", index) == ["11"]
    assert in_box(runs, "24d_code", index) == [line.code]
    assert [
        text for n in range(1, 5) for text in in_box(runs, f"24d_modifier{n}", index)
    ] == modifiers
    assert in_box(runs, "24e_pointers", index) == [pointers]
    assert in_box(runs, "24f_dollars", index) == [dollars]
    assert in_box(runs, "24f_cents", index) == [cents]
    assert in_box(runs, "24g_units", index) == [units]
    assert in_box(runs, "24j_npi", index) == [RENDERING_NPI]


def test_charges_end_in_the_last_dollar_cell_with_the_cents_in_their_own_area() -> None:
    # "135 00": dollars right-justified, cents after the dotted line, no "$" or ".".
    runs = page_runs(make_claim())
    field = FIELDS["24f_dollars"]
    _, y0, _, y1 = field_rect("24f_dollars")
    (dollars,) = (run for run in runs if run.text == "135" and y0 <= run.y < y1)
    last_cell = (dollars.x - GRID_LEFT) / CELL_WIDTH + len(dollars.text)
    assert round(last_cell) == field.col + field.width - 1
    assert in_box(runs, "24f_cents") == ["00"]
    assert not [run for run in runs if "$" in run.text or "135.00" in run.text]


def test_a_line_at_another_place_of_service_shows_its_own() -> None:
    lines = (make_line(), make_line(place_of_service="02"))
    runs = page_runs(make_claim(lines=lines))
    assert in_box(runs, "24b_place", 0) == ["11"]
    assert in_box(runs, "24b_place", 1) == ["02"]


def test_24j_is_left_empty_when_the_billing_npi_in_33a_already_says_who_rendered() -> None:
    solo = Provider("Nguyen", BILLING_NPI, first_name="Linh", credential="PT")
    lines = (make_line(), make_line(rendering_npi=OTHER_NPI))
    runs = page_runs(make_claim(rendering=solo, lines=lines))
    assert in_box(runs, "24j_npi", 0) == []
    # A line rendered by someone else says so.
    assert in_box(runs, "24j_npi", 1) == [OTHER_NPI]


def test_rows_of_unused_service_lines_stay_empty() -> None:
    runs = page_runs(make_claim(lines=(make_line(),)))
    for index in range(1, 6):
        for name in ("24a_from_mm", "24d_code", "24f_dollars", "24j_npi"):
            assert in_box(runs, name, index) == []


# --- totals, continuation and batches -------------------------------------------------------


def test_box_28_holds_the_total_charge_in_dollars_and_cents() -> None:
    runs = page_runs(make_claim(lines=SIX_LINES, diagnoses=tuple(f"M54{n:02d}" for n in range(12))))
    assert in_box(runs, "28_dollars") == ["1646"]  # 135 + 45.50 + 210 + 1234.56 + 0.99 + 20
    assert in_box(runs, "28_cents") == ["05"]


def test_a_claim_with_eight_lines_takes_two_forms_with_the_total_only_on_the_last() -> None:
    lines = tuple(
        make_line(code=f"9711{n}", charge=Decimal("10.00") * (n + 1), dx_pointers=(1,))
        for n in range(8)
    )
    first, second = runs_of(render(make_claim(lines=lines)))
    assert [in_box(first, "24d_code", i) for i in range(6)] == [[f"9711{n}"] for n in range(6)]
    assert [in_box(second, "24d_code", i) for i in range(6)] == [
        ["97116"],
        ["97117"],
        [],
        [],
        [],
        [],
    ]
    assert in_box(first, "28_dollars") == []
    assert in_box(first, "28_continued") == ["CONTINUED"]
    assert in_box(second, "28_dollars") == ["360"]  # 10 + 20 + … + 80, all eight lines
    assert in_box(second, "28_cents") == ["00"]
    assert in_box(first, "page") == ["PAGE 1 OF 2"]
    assert in_box(second, "page") == ["PAGE 2 OF 2"]


def test_every_form_of_a_continued_claim_repeats_the_header_boxes() -> None:
    claim = make_claim(
        lines=tuple(make_line() for _ in range(7)), frequency_code="7", original_claim_number="O1"
    )
    first, second = runs_of(render(claim))
    for name in ("1a_insured_id", "2_patient_name", "21a", "21b", "22_original_ref", "25_tax_id"):
        assert in_box(first, name) == in_box(second, name) != [], name
    for name in ("26_account", "31_signature", "33_name", "33a_npi"):
        assert in_box(first, name) == in_box(second, name) != [], name


def test_a_one_form_claim_has_no_page_number() -> None:
    assert in_box(page_runs(make_claim()), "page") == []


def test_a_batch_prints_each_claim_on_its_own_form_in_order() -> None:
    claims = [
        make_claim(patient_control_number="PTC1", lines=(make_line(charge=Decimal("10")),)),
        make_claim(patient_control_number="PTC2", lines=(make_line(charge=Decimal("20")),)),
        make_claim(patient_control_number="PTC3", lines=tuple(make_line() for _ in range(7))),
    ]
    pages = runs_of(render(*claims))
    assert len(pages) == 4
    assert [in_box(page, "26_account") for page in pages] == [
        ["PTC1"],
        ["PTC2"],
        ["PTC3"],
        ["PTC3"],
    ]
    assert [in_box(page, "28_dollars") for page in pages] == [["10"], ["20"], [], ["945"]]


def test_a_claim_without_lines_still_gets_its_form() -> None:
    (page,) = runs_of(render(make_claim(lines=())))
    assert in_box(page, "26_account") == ["PTC1001"]
    assert in_box(page, "28_dollars") == ["0"]


def test_nothing_to_print_is_an_error() -> None:
    with pytest.raises(ValueError, match="no claim"):
        render_cms1500([])


def test_the_same_claims_give_the_same_pdf() -> None:
    assert render(make_claim()) == render(make_claim())


# --- item 32 --------------------------------------------------------------------------------


def test_32_is_left_empty_when_every_service_was_in_the_patients_home() -> None:
    runs = page_runs(make_claim(place_of_service="12"))
    for name in ("32_name", "32_street", "32_city", "32a_npi"):
        assert in_box(runs, name) == [], name
    assert in_box(runs, "33_name") == ["RIVERBEND PHYSICAL THERAPY"]


# --- text rules -----------------------------------------------------------------------------


def test_names_and_addresses_are_upper_case_ascii_without_punctuation() -> None:
    patient = make_patient(
        last_name="O'Brien-Núñez",
        first_name="José",
        middle_name="",
        address=Address("1 N. Main St., #2", "St. Louis", "MO", "63101"),
    )
    runs = page_runs(make_claim(patient=patient))
    assert in_box(runs, "2_patient_name") == ["O'BRIEN-NUNEZ, JOSE"]
    assert in_box(runs, "5_street") == ["1 N MAIN ST 2"]
    assert in_box(runs, "5_zip") == ["63101"]


def test_a_value_longer_than_its_box_is_cut_at_the_box_edge() -> None:
    payer = PayerParty("A Very Long Health Plan Name That Never Ends", "P1", "CI")
    runs = page_runs(make_claim(payer=payer))
    assert in_box(runs, "11c_plan_name") == ["A VERY LONG HEALTH PLAN NAME"]


# --- the plain-paper background -------------------------------------------------------------


def test_the_background_adds_labels_and_leaves_every_value_where_it_was() -> None:
    claim = make_claim(lines=SIX_LINES, diagnoses=tuple(f"M54{n:02d}" for n in range(12)))
    plain = runs_of(render(claim))[0]
    background = runs_of(render(claim, form_background=True))[0]
    values = [run for run in background if run.font == "Courier"]
    labels = [run for run in background if run.font != "Courier"]
    assert values == plain
    assert any(run.text.startswith("1a INSURED'S ID") for run in labels)
    assert any(run.text.startswith("33 BILLING PROVIDER") for run in labels)


def test_no_background_label_is_printed_over_a_value() -> None:
    claim = make_claim(
        lines=SIX_LINES,
        diagnoses=tuple(f"M54{n:02d}" for n in range(12)),
        secondary_payer=PayerParty("Other Plan", "O1", "CI"),
        frequency_code="7",
        original_claim_number="ORIGINAL123456",
    )
    background = runs_of(render(claim, form_background=True))[0]
    values = [run for run in background if run.font == "Courier"]
    labels = [run for run in background if run.font != "Courier"]
    for label in labels:
        lx0 = label.x
        lx1 = label.x + stringWidth(label.text, label.font, label.size)
        ly0, ly1 = label.y - 0.2 * label.size, label.y + 0.72 * label.size
        for value in values:
            vx0 = value.x
            vx1 = value.x + len(value.text) * CELL_WIDTH
            vy0, vy1 = value.y - DESCENT, value.y + CAP_HEIGHT
            overlaps = lx0 < vx1 and vx0 < lx1 and ly0 < vy1 and vy0 < ly1
            assert not overlaps, f"label {label.text!r} covers {value.text!r}"


# --- no Django ------------------------------------------------------------------------------


def test_importing_the_form_writer_does_not_load_django() -> None:
    code = (
        "import sys, claims.submission.cms1500; "
        "loaded = [m for m in sys.modules if m == 'django' or m.startswith('django.')]; "
        "sys.exit(f'django loaded: {loaded[:3]}' if loaded else 0)"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
