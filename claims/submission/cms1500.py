"""The CMS-1500 (02/12) paper claim, as a PDF to print on the red pre-printed form.

`render_cms1500` draws one form per claim (more when a claim has more than six service lines)
in a fixed-pitch font on the form's print grid, so that a laser printer puts each value in its
box on the red OCR form. With ``form_background=True`` it also draws thin red outlines and short
labels of our own, so a plain-paper copy can be read (and checked) by a person; the payer's
scanners want the real red form, not that copy.

The grid. The 1500 form is laid out for 10 characters per inch and 6 lines per inch: a
character cell is 0.1 in wide and 1/6 in high. `FIELDS` is the one table of where each value
goes, as (column, row) of its first cell on that grid, counted from 1, with the number of cells
it may fill. Column 1 starts 1/3 in from the left edge of the page and row 1 starts 1/3 in
from the top edge; the six service lines of item 24 are rows 44, 46, … 54 (the shaded
supplemental rows 43, 45, … are left empty). The positions are the ones print programs have
long used for this form (patient's name at column 1 of row 10, insured's ID at column 50 of
row 8, total charge at row 56); printers differ by a millimetre or two, which is a printer
setting, not this table.

The text is Courier 10 pt, set 7.2 pt apart (10 characters per inch; a Courier glyph is 6 pt
wide at 10 pt, the other 1.2 pt is character spacing) on baselines 12 pt apart (6 lines per inch).

What goes in each item follows the NUCC 1500 Claim Form Reference Instruction Manual for the
02/12 form: names as "LAST, FIRST, M" (item 2, 4) but "FIRST M LAST" with the credential in
17; no punctuation in addresses; a 9-digit ZIP code with its hyphen; telephone numbers without
a separator; 8-digit birth dates (3, 11a), 6-digit dates elsewhere; diagnoses without the
decimal point (the point is implied) and the ICD indicator 0; pointers as letters without
commas (24E); amounts right-justified in the dollar area with the cents in their own area, no
dollar signs or commas (24F, 28); the tax id without hyphens (25). Items 24I/24J carry the
rendering NPI only when it differs from the billing NPI in 33a, as the manual says.

A claim with more than six lines continues on further forms: every form repeats items 1 to 23
and 25 to 33 and carries the next six lines; item 28 holds the claim's total on the last form
only and "CONTINUED" on the forms before it, and each form is marked "PAGE n OF m" in its top
right corner. The NUCC manual has no rule of its own for claims longer than one form; this is
the practice payers' paper-claim manuals describe (for example Texas Medicaid's TMHP manual,
"Multipage Claim Forms", and HMSA's "Multi-page Claims").

Standard library and reportlab only: no Django, so it is tested without a database.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal
from typing import Any, NamedTuple

# reportlab ships no type information (and the project installs no stubs for it).
from reportlab.lib.colors import Color
from reportlab.pdfgen.canvas import Canvas

from claims.submission.document import (
    Address,
    BillingProvider,
    ClaimDocument,
    Person,
    Provider,
    ServiceLine,
)

PAGE_WIDTH = 8.5 * 72  # pt: US letter, 8.5 × 11 in
PAGE_HEIGHT = 11.0 * 72
CELL_WIDTH = 7.2  # pt: 10 characters per inch
LINE_HEIGHT = 12.0  # pt: 6 lines per inch
GRID_LEFT = 24.0  # pt from the left edge to the left side of column 1
GRID_TOP = 24.0  # pt from the top edge to the top of row 1
FONT = "Courier"
FONT_SIZE = 10.0
GLYPH_WIDTH = 6.0  # Courier's advance is 0.6 em
DESCENT = 2.5  # pt between the baseline and the bottom of its row: room for descenders
LINES_PER_FORM = 6
SERVICE_ROWS = (44, 46, 48, 50, 52, 54)  # the unshaded half of each line of item 24
CONTINUED = "CONTINUED"


class Field(NamedTuple):
    """Where a value goes: its first cell (column, row; 1-based) and how many cells it may
    fill. ``right`` values (dollar amounts) end in the last cell instead of starting in the
    first."""

    col: int
    row: int
    width: int
    right: bool = False


def _box(col: int, row: int) -> Field:
    """A check box: one cell for the X."""
    return Field(col, row, 1)


# The print grid: one entry per value. Keys start with the NUCC item number. The fields of item
# 24 give the row of the first service line; line n (0-based) is SERVICE_ROWS[n].
FIELDS: dict[str, Field] = {
    # Carrier block (top right): the payer's name and address, four lines.
    "carrier_name": Field(42, 2, 37),
    "carrier_line1": Field(42, 3, 37),
    "carrier_line2": Field(42, 4, 37),
    "carrier_city": Field(42, 5, 37),
    "page": Field(66, 1, 13),  # "PAGE 1 OF 2" on a claim continued over several forms
    # 1 insurance type, 1a insured's ID
    "1_medicare": _box(1, 8),
    "1_medicaid": _box(8, 8),
    "1_tricare": _box(15, 8),
    "1_champva": _box(24, 8),
    "1_group": _box(31, 8),
    "1_feca": _box(39, 8),
    "1_other": _box(45, 8),
    "1a_insured_id": Field(50, 8, 29),
    # 2 patient's name, 3 birth date and sex, 4 insured's name
    "2_patient_name": Field(1, 10, 28),
    "3_birth_mm": Field(31, 10, 2),
    "3_birth_dd": Field(34, 10, 2),
    "3_birth_yyyy": Field(37, 10, 4),
    "3_sex_m": _box(42, 10),
    "3_sex_f": _box(47, 10),
    "4_insured_name": Field(50, 10, 29),
    # 5 patient's address, 6 relationship to insured, 7 insured's address
    "5_street": Field(1, 12, 28),
    "5_city": Field(1, 14, 24),
    "5_state": Field(26, 14, 2),
    "5_zip": Field(1, 16, 10),
    "5_area_code": Field(15, 16, 3),
    "5_phone": Field(19, 16, 7),
    "6_self": _box(33, 12),
    "6_spouse": _box(38, 12),
    "6_child": _box(42, 12),
    "6_other": _box(47, 12),
    "7_street": Field(50, 12, 29),
    "7_city": Field(50, 14, 23),
    "7_state": Field(74, 14, 2),
    "7_zip": Field(50, 16, 10),
    "7_area_code": Field(65, 16, 3),
    "7_phone": Field(69, 16, 7),
    # 9 other insured (9b and 9c are reserved for NUCC use)
    "9_other_insured_name": Field(1, 18, 28),
    "9a_other_policy": Field(1, 20, 28),
    "9d_other_plan_name": Field(1, 26, 28),
    # 10 is the patient's condition related to employment, an auto or other accident
    "10a_yes": _box(35, 20),
    "10a_no": _box(41, 20),
    "10b_yes": _box(35, 22),
    "10b_no": _box(41, 22),
    "10b_state": Field(45, 22, 2),
    "10c_yes": _box(35, 24),
    "10c_no": _box(41, 24),
    # 11 insured's group, 11a birth date and sex, 11c plan, 11d another plan
    "11_group_number": Field(50, 18, 29),
    "11a_birth_mm": Field(53, 20, 2),
    "11a_birth_dd": Field(56, 20, 2),
    "11a_birth_yyyy": Field(59, 20, 4),
    "11a_sex_m": _box(68, 20),
    "11a_sex_f": _box(75, 20),
    "11c_plan_name": Field(50, 24, 29),
    "11d_yes": _box(52, 26),
    "11d_no": _box(57, 26),
    # 12 patient's and 13 insured's signatures
    "12_signature": Field(7, 29, 26),
    "12_date": Field(41, 29, 8),
    "13_signature": Field(56, 29, 23),
    # 14 date of current illness (onset) and its qualifier
    "14_mm": Field(2, 32, 2),
    "14_dd": Field(5, 32, 2),
    "14_yy": Field(8, 32, 2),
    "14_qualifier": Field(16, 32, 3),
    # 17 referring provider: qualifier, name, 17b NPI
    "17_qualifier": Field(1, 34, 2),
    "17_name": Field(4, 34, 25),
    "17b_npi": Field(33, 34, 10),
    # 21 diagnoses A-L (four to a row) and the ICD indicator
    "21_icd_indicator": Field(42, 37, 1),
    "21a": Field(3, 38, 8),
    "21b": Field(16, 38, 8),
    "21c": Field(29, 38, 8),
    "21d": Field(42, 38, 8),
    "21e": Field(3, 39, 8),
    "21f": Field(16, 39, 8),
    "21g": Field(29, 39, 8),
    "21h": Field(42, 39, 8),
    "21i": Field(3, 40, 8),
    "21j": Field(16, 40, 8),
    "21k": Field(29, 40, 8),
    "21l": Field(42, 40, 8),
    # 22 resubmission code and original reference number, 23 prior authorization
    "22_code": Field(50, 38, 11),
    "22_original_ref": Field(62, 38, 17),
    "23_prior_auth": Field(50, 40, 29),
    # 24 service lines (row of line 1)
    "24a_from_mm": Field(1, 44, 2),
    "24a_from_dd": Field(4, 44, 2),
    "24a_from_yy": Field(7, 44, 2),
    "24a_to_mm": Field(10, 44, 2),
    "24a_to_dd": Field(13, 44, 2),
    "24a_to_yy": Field(16, 44, 2),
    "24b_place": Field(19, 44, 2),
    "24d_code": Field(25, 44, 6),
    "24d_modifier1": Field(33, 44, 2),
    "24d_modifier2": Field(36, 44, 2),
    "24d_modifier3": Field(39, 44, 2),
    "24d_modifier4": Field(42, 44, 2),
    "24e_pointers": Field(45, 44, 4),
    "24f_dollars": Field(50, 44, 5, right=True),
    "24f_cents": Field(56, 44, 2),
    "24g_units": Field(59, 44, 3),
    "24j_npi": Field(68, 44, 10),
    # 25 federal tax id (SSN/EIN boxes), 26 patient's account no., 27 accept assignment
    "25_tax_id": Field(1, 56, 15),
    "25_ssn": _box(17, 56),
    "25_ein": _box(19, 56),
    "26_account": Field(23, 56, 14),
    "27_yes": _box(38, 56),
    "27_no": _box(43, 56),
    # 28 total charge (or CONTINUED on all but the last form of a claim)
    "28_dollars": Field(51, 56, 6, right=True),
    "28_cents": Field(58, 56, 2),
    "28_continued": Field(50, 56, 9),
    # 31 signature of the physician or supplier and date
    "31_signature": Field(1, 60, 22),
    "31_date": Field(15, 61, 8),
    # 32 service facility location, 32a its NPI
    "32_name": Field(23, 58, 26),
    "32_street": Field(23, 59, 26),
    "32_city": Field(23, 60, 26),
    "32a_npi": Field(24, 61, 10),
    # 33 billing provider: phone, name, address, 33a NPI
    "33_area_code": Field(66, 57, 3),
    "33_phone": Field(70, 57, 7),
    "33_name": Field(50, 58, 29),
    "33_street": Field(50, 59, 29),
    "33_city": Field(50, 60, 29),
    "33a_npi": Field(51, 61, 10),
}

INSURANCE_TYPE_BOXES = {
    "medicare": "1_medicare",
    "medicaid": "1_medicaid",
    "tricare": "1_tricare",
    "champva": "1_champva",
    "group": "1_group",
    "feca": "1_feca",
    "other": "1_other",
}
# X12 individual relationship codes → item 6 (employee, G8 and all others are "Other").
SELF = "18"
RELATIONSHIP_BOXES = {SELF: "6_self", "01": "6_spouse", "19": "6_child"}
SIGNATURE_ON_FILE = "SIGNATURE ON FILE"
ONSET_QUALIFIER = "431"  # onset of current symptoms or illness
REFERRING_QUALIFIER = "DN"
ICD10_INDICATOR = "0"
RESUBMISSION_CODES = ("7", "8")
HOME = "12"  # place of service: the patient's home

_POINTER_LETTERS = "ABCDEFGHIJKL"
_ADDRESS_PUNCTUATION = re.compile(r"[.,#]")
_NAME_PUNCTUATION = re.compile(r"[.,]")
_SPACES = re.compile(r"\s+")
_NOT_DIGIT = re.compile(r"\D")


def render_cms1500(
    claims: Sequence[tuple[ClaimDocument, BillingProvider]], *, form_background: bool = False
) -> bytes:
    """One PDF holding a CMS-1500 form for each claim (several for a claim of more than six
    lines), in order. ``form_background`` adds red outlines and labels for plain paper."""
    if not claims:
        raise ValueError("There is no claim to print.")
    buffer = io.BytesIO()
    # invariant: no creation date or random id, so the same claims give the same bytes.
    pdf = Canvas(buffer, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), invariant=1, pageCompression=1)
    pdf.setTitle("CMS-1500 claims")
    for claim, billing in claims:
        chunks = _chunks(claim.lines)
        for number, lines in enumerate(chunks, start=1):
            if form_background:
                _draw_background(pdf)
            page = _Page(pdf)
            _fill_header(page, claim, billing)
            for index, line in enumerate(lines):
                _fill_line(page, index, line, claim=claim, billing=billing)
            last = number == len(chunks)
            if last:
                page.amount("28_dollars", "28_cents", claim.total_charge)
            else:
                page.put("28_continued", CONTINUED)
            if len(chunks) > 1:
                page.put("page", f"PAGE {number} OF {len(chunks)}")
            pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def field_rect(name: str, line: int = 0) -> tuple[float, float, float, float]:
    """The cells of a field in PDF points (x0, y0, x1, y1; origin at the bottom left of the
    page); ``line`` (0-based) moves the fields of item 24 down to that service line."""
    field = FIELDS[name]
    return _cells(field.col, _row(name, line), field.col + field.width - 1, _row(name, line))


# --- filling the boxes ----------------------------------------------------------------------


class _Page:
    """Puts text on the grid of the current page."""

    def __init__(self, pdf: Any) -> None:
        self.pdf = pdf

    def put(self, name: str, value: str, *, line: int = 0) -> None:
        if not value:
            return
        field = FIELDS[name]
        # A longer value is cut at its box's edge rather than printed over the next box; an
        # amount is never cut (a wrong amount is worse than a crowded box).
        text = value if field.right else value[: field.width].rstrip()
        start = field.col + (field.width - len(text) if field.right else 0)
        # Each glyph is centred in its 0.1 in cell.
        x = GRID_LEFT + (start - 1) * CELL_WIDTH + (CELL_WIDTH - GLYPH_WIDTH) / 2
        y = _baseline(_row(name, line))
        writer = self.pdf.beginText(x, y)
        writer.setFont(FONT, FONT_SIZE)
        writer.setCharSpace(CELL_WIDTH - GLYPH_WIDTH)
        writer.textOut(text)
        self.pdf.drawText(writer)

    def check(self, name: str) -> None:
        self.put(name, "X")

    def date(
        self, names: tuple[str, str, str], value: dt.date | None, *, year_digits: int = 2
    ) -> None:
        if value is None:
            return
        year = f"{value.year:04d}"[-year_digits:]
        for name, part in zip(names, (f"{value.month:02d}", f"{value.day:02d}", year), strict=True):
            self.put(name, part)

    def amount(self, dollars: str, cents: str, value: Decimal, *, line: int = 0) -> None:
        whole, fraction = f"{value.quantize(Decimal('0.01')):f}".split(".")
        self.put(dollars, whole, line=line)
        self.put(cents, fraction, line=line)


def _fill_header(page: _Page, claim: ClaimDocument, billing: BillingProvider) -> None:
    """Items 1-23 and 25-33 (all but 24 and 28), the same on every form of a claim."""
    payer = claim.payer
    page.put("carrier_name", _text(payer.name))
    if payer.address is not None:
        carrier = [_street(payer.address.line1), _street(payer.address.line2)]
        carrier = [line for line in carrier if line] + [_city_line(payer.address)]
        # Without a second address line the city moves up a line.
        for name, value in zip(
            ("carrier_line1", "carrier_line2", "carrier_city"), carrier, strict=False
        ):
            page.put(name, value)

    # 1, 1a
    page.check(INSURANCE_TYPE_BOXES.get(payer.insurance_type, "1_other"))
    page.put("1a_insured_id", _identifier(claim.subscriber.member_id))

    # 2, 3: the patient
    patient = claim.patient
    page.put("2_patient_name", _person_name(patient))
    page.date(("3_birth_mm", "3_birth_dd", "3_birth_yyyy"), patient.date_of_birth, year_digits=4)
    _sex(page, patient, male="3_sex_m", female="3_sex_f")

    # 4, 7, 11a: the insured, who is the patient when the relationship is "self" (the 02/12
    # form has no "SAME": the insured's own name and address are written).
    insured = _insured(claim)
    page.put("4_insured_name", _person_name(insured))

    # 5: the patient's address
    _address(page, patient, prefix="5")

    # 6: relationship
    page.check(RELATIONSHIP_BOXES.get(claim.subscriber.relationship, "6_other"))

    # 7: the insured's address
    _address(page, insured, prefix="7")

    # 9, 11d: another health benefit plan. Only its name is known (9d); the other insured's
    # name and policy (9, 9a) are not in the document yet.
    secondary = claim.secondary_payer
    if secondary is not None:
        page.put("9d_other_plan_name", _text(secondary.name))
    page.check("11d_yes" if secondary is not None else "11d_no")

    # 10a-c: the document carries no employment or accident facts; the 837P sends none
    # either, which means "not related", so the form says NO.
    for item in ("10a", "10b", "10c"):
        page.check(f"{item}_no")

    # 11, 11a, 11c
    page.put("11_group_number", _identifier(claim.subscriber.group_number))
    page.date(
        ("11a_birth_mm", "11a_birth_dd", "11a_birth_yyyy"), insured.date_of_birth, year_digits=4
    )
    _sex(page, insured, male="11a_sex_m", female="11a_sex_f")
    page.put("11c_plan_name", _text(payer.name))

    # 12, 13: the patient's release and the insured's assignment of benefits are on file
    # (the 837P says so in CLM08/CLM09); 13 only when the clinic takes the payment. The date
    # in 12 is the day the patient signed, which the document does not carry: left blank.
    page.put("12_signature", SIGNATURE_ON_FILE)
    if claim.accept_assignment:
        page.put("13_signature", SIGNATURE_ON_FILE)

    # 14
    if claim.onset_date is not None:
        page.date(("14_mm", "14_dd", "14_yy"), claim.onset_date)
        page.put("14_qualifier", ONSET_QUALIFIER)

    # 17, 17b
    if claim.referring is not None:
        page.put("17_qualifier", REFERRING_QUALIFIER)
        page.put("17_name", _provider_name(claim.referring, credential=True))
        page.put("17b_npi", _identifier(claim.referring.npi))

    # 21
    page.put("21_icd_indicator", ICD10_INDICATOR)
    # At most twelve (A-L): more would not fit the form (the 837P's HI segment holds twelve too).
    for letter, code in zip(_POINTER_LETTERS, claim.diagnoses[:12], strict=False):
        page.put(f"21{letter.lower()}", _identifier(code).replace(".", ""))

    # 22, 23
    if claim.frequency_code in RESUBMISSION_CODES:
        page.put("22_code", claim.frequency_code)
        page.put("22_original_ref", _identifier(claim.original_claim_number))
    page.put("23_prior_auth", _digits_and_letters(claim.prior_authorization))

    # 25, 26, 27
    page.put("25_tax_id", _digits(billing.tax_id))
    page.check("25_ein")
    page.put("26_account", _identifier(claim.patient_control_number))
    page.check("27_yes" if claim.accept_assignment else "27_no")

    # 31
    page.put("31_signature", _provider_name(claim.rendering, credential=True))
    if claim.signature_date is not None:
        page.put("31_date", claim.signature_date.strftime("%m %d %y"))

    # 32: where the services were given. The clinic's own address unless every line was in the
    # patient's home (CMS leaves 32 blank for place of service 12).
    places = {line.place_of_service or claim.place_of_service for line in claim.lines}
    if places != {HOME}:
        clinic = billing.address
        page.put("32_name", _provider_name(billing.provider))
        page.put("32_street", _street_lines(clinic))
        page.put("32_city", _city_line(clinic))
        page.put("32a_npi", _identifier(billing.provider.npi))

    # 33, 33a
    area, number = _phone(billing.phone)
    page.put("33_area_code", area)
    page.put("33_phone", number)
    page.put("33_name", _provider_name(billing.provider))
    page.put("33_street", _street_lines(billing.address))
    page.put("33_city", _city_line(billing.address))
    page.put("33a_npi", _identifier(billing.provider.npi))


def _fill_line(
    page: _Page, index: int, line: ServiceLine, *, claim: ClaimDocument, billing: BillingProvider
) -> None:
    """One row of item 24 (``index`` 0-5 on its form)."""
    day = line.date_of_service
    # One date of service: NUCC allows the "To" date blank or the same; the same reads better.
    for prefix in ("24a_from", "24a_to"):
        page.put(f"{prefix}_mm", f"{day.month:02d}", line=index)
        page.put(f"{prefix}_dd", f"{day.day:02d}", line=index)
        page.put(f"{prefix}_yy", f"{day.year % 100:02d}", line=index)
    page.put("24b_place", line.place_of_service or claim.place_of_service, line=index)
    page.put("24d_code", _identifier(line.code), line=index)
    for number, modifier in enumerate(line.modifiers[:4], start=1):
        page.put(f"24d_modifier{number}", _identifier(modifier), line=index)
    pointers = "".join(
        _POINTER_LETTERS[pointer - 1]
        for pointer in line.dx_pointers[:4]
        if 1 <= pointer <= len(_POINTER_LETTERS)
    )
    page.put("24e_pointers", pointers, line=index)
    page.amount("24f_dollars", "24f_cents", line.charge, line=index)
    page.put("24g_units", str(line.units), line=index)
    rendering = line.rendering_npi or claim.rendering.npi
    if rendering != billing.provider.npi:
        page.put("24j_npi", _identifier(rendering), line=index)


def _insured(claim: ClaimDocument) -> Person:
    subscriber = claim.subscriber
    if subscriber.relationship == SELF:
        return claim.patient
    if subscriber.person is None:
        # As the 837P writer does: printing the patient as someone else's insured would be wrong.
        raise ValueError(
            f"Claim {claim.patient_control_number}: the subscriber is not the patient "
            f"(relationship {subscriber.relationship}) but the subscriber's name is missing."
        )
    return subscriber.person


def _sex(page: _Page, person: Person, *, male: str, female: str) -> None:
    if person.sex == "M":
        page.check(male)
    elif person.sex == "F":
        page.check(female)


def _address(page: _Page, person: Person, *, prefix: str) -> None:
    address = person.address
    page.put(f"{prefix}_street", _street_lines(address))
    page.put(f"{prefix}_city", _text(address.city))
    page.put(f"{prefix}_state", _text(address.state))
    page.put(f"{prefix}_zip", _zip(address.zip_code))
    area, number = _phone(person.phone)
    page.put(f"{prefix}_area_code", area)
    page.put(f"{prefix}_phone", number)


def _chunks(lines: tuple[ServiceLine, ...]) -> list[tuple[ServiceLine, ...]]:
    """The lines form by form; a claim without lines still gets its one form."""
    chunks = [lines[i : i + LINES_PER_FORM] for i in range(0, len(lines), LINES_PER_FORM)]
    return chunks or [()]


# --- text as the NUCC manual wants it -------------------------------------------------------


def _ascii(value: str) -> str:
    # The scanners read the basic character set: "José" prints as "JOSE".
    return unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")


def _text(value: str) -> str:
    return _SPACES.sub(" ", _ascii(value)).strip().upper()


def _identifier(value: str) -> str:
    return _SPACES.sub("", _ascii(value)).upper()


def _digits(value: str) -> str:
    return _NOT_DIGIT.sub("", value)


def _digits_and_letters(value: str) -> str:
    # Item 23: "Do not enter hyphens or spaces within the number."
    return re.sub(r"[^0-9A-Z]", "", _identifier(value))


def _person_name(person: Person) -> str:
    """Items 2 and 4: last name, first name, middle initial, separated by commas."""
    parts = [person.last_name, person.first_name, person.middle_name[:1]]
    return ", ".join(_text(_NAME_PUNCTUATION.sub(" ", part)) for part in parts if part.strip())


def _provider_name(provider: Provider, *, credential: bool = False) -> str:
    """Items 17, 31, 32, 33: first name, last name (and, in 17 and 31, the credential)."""
    if provider.organisation:
        return _text(provider.last_name)
    parts = [provider.first_name, provider.last_name]
    if credential:
        parts.append(provider.credential)
    return _text(" ".join(_NAME_PUNCTUATION.sub(" ", part) for part in parts))


def _street(value: str) -> str:
    # "123 N Main Street 101", not "123 N. Main Street, #101".
    return _text(_ADDRESS_PUNCTUATION.sub(" ", value))


def _street_lines(address: Address) -> str:
    return _street(f"{address.line1} {address.line2}")


def _city_line(address: Address) -> str:
    """City, state and ZIP code separated by spaces, without commas (items 32, 33)."""
    return _text(f"{_street(address.city)} {address.state} {_zip(address.zip_code)}")


def _zip(value: str) -> str:
    digits = _digits(value)
    return f"{digits[:5]}-{digits[5:9]}" if len(digits) == 9 else digits[:5]


def _phone(value: str) -> tuple[str, str]:
    """Area code and number, digits only (no hyphen or space inside the number)."""
    digits = _digits(value)
    if len(digits) == 11 and digits.startswith("1"):
        digits = digits[1:]
    if len(digits) != 10:
        return "", digits
    return digits[:3], digits[3:]


# --- the grid -------------------------------------------------------------------------------


def _row(name: str, line: int) -> int:
    if name.startswith("24"):
        return SERVICE_ROWS[line]
    return FIELDS[name].row


def _baseline(row: int) -> float:
    return PAGE_HEIGHT - GRID_TOP - row * LINE_HEIGHT + DESCENT


def _cells(col0: int, row0: int, col1: int, row1: int) -> tuple[float, float, float, float]:
    """The rectangle of a block of cells (inclusive), in PDF points."""
    x0 = GRID_LEFT + (col0 - 1) * CELL_WIDTH
    x1 = GRID_LEFT + col1 * CELL_WIDTH
    top = PAGE_HEIGHT - GRID_TOP - (row0 - 1) * LINE_HEIGHT
    bottom = PAGE_HEIGHT - GRID_TOP - row1 * LINE_HEIGHT
    return x0, bottom, x1, top


# --- the plain-paper background -------------------------------------------------------------

RED = Color(0.80, 0.12, 0.15)
SHADE = Color(0.99, 0.91, 0.91)
LABEL_FONT = "Helvetica"
LABEL_SIZE = 4.6


class _Outline(NamedTuple):
    label: str
    col0: int
    row0: int
    col1: int
    row1: int


# Our own short labels, one outline per box, in grid cells (inclusive). Labels sit in the top
# strip of a box's first row, which the data rows below leave free.
OUTLINES: tuple[_Outline, ...] = (
    _Outline("CARRIER: PAYER NAME AND ADDRESS", 41, 1, 79, 5),
    _Outline("1 INSURANCE TYPE", 1, 7, 49, 8),
    _Outline("1a INSURED'S ID NUMBER", 50, 7, 79, 8),
    _Outline("2 PATIENT'S NAME (LAST, FIRST, MI)", 1, 9, 29, 10),
    _Outline("3 PATIENT'S BIRTH DATE MM DD YYYY / SEX", 30, 9, 49, 10),
    _Outline("4 INSURED'S NAME (LAST, FIRST, MI)", 50, 9, 79, 10),
    _Outline("5 PATIENT'S ADDRESS", 1, 11, 29, 12),
    _Outline("CITY / STATE", 1, 13, 29, 14),
    _Outline("ZIP CODE / TELEPHONE", 1, 15, 29, 16),
    _Outline("6 PATIENT RELATIONSHIP TO INSURED", 30, 11, 49, 12),
    _Outline("8 RESERVED FOR NUCC USE", 30, 13, 49, 16),
    _Outline("7 INSURED'S ADDRESS", 50, 11, 79, 12),
    _Outline("CITY / STATE", 50, 13, 79, 14),
    _Outline("ZIP CODE / TELEPHONE", 50, 15, 79, 16),
    _Outline("9 OTHER INSURED'S NAME", 1, 17, 29, 18),
    _Outline("9a OTHER INSURED'S POLICY OR GROUP", 1, 19, 29, 20),
    _Outline("9b RESERVED FOR NUCC USE", 1, 21, 29, 22),
    _Outline("9c RESERVED FOR NUCC USE", 1, 23, 29, 24),
    _Outline("9d OTHER INSURANCE PLAN NAME", 1, 25, 29, 26),
    _Outline("10 CONDITION RELATED TO:", 30, 17, 49, 18),
    _Outline("10a EMPLOYMENT?", 30, 19, 49, 20),
    _Outline("10b AUTO ACCIDENT? / STATE", 30, 21, 49, 22),
    _Outline("10c OTHER ACCIDENT?", 30, 23, 49, 24),
    _Outline("10d CLAIM CODES", 30, 25, 49, 26),
    _Outline("11 INSURED'S POLICY GROUP", 50, 17, 79, 18),
    _Outline("11a INSURED'S BIRTH DATE MM DD YYYY / SEX", 50, 19, 79, 20),
    _Outline("11b OTHER CLAIM ID", 50, 21, 79, 22),
    _Outline("11c INSURANCE PLAN NAME", 50, 23, 79, 24),
    _Outline("11d ANOTHER HEALTH BENEFIT PLAN?", 50, 25, 79, 26),
    _Outline("12 PATIENT'S SIGNATURE / DATE", 1, 27, 49, 29),
    _Outline("13 INSURED'S SIGNATURE", 50, 27, 79, 29),
    _Outline("14 DATE OF CURRENT ILLNESS MM DD YY / QUAL", 1, 31, 27, 32),
    _Outline("15 OTHER DATE", 28, 31, 49, 32),
    _Outline("16 DATES UNABLE TO WORK", 50, 31, 79, 32),
    _Outline("17 REFERRING PROVIDER", 1, 33, 28, 34),
    # Single-row boxes keep the short "a"/"b" of the real form: a longer label would run
    # into the value printed right after it.
    _Outline("a", 29, 33, 49, 33),
    _Outline("b NPI", 29, 34, 49, 34),
    _Outline("18 HOSPITALIZATION DATES", 50, 33, 79, 34),
    _Outline("19 ADDITIONAL CLAIM INFORMATION", 1, 35, 49, 36),
    _Outline("20 OUTSIDE LAB?", 50, 35, 79, 36),
    _Outline("21 DIAGNOSES A-L", 1, 37, 49, 40),
    _Outline("22 RESUBMISSION CODE", 50, 37, 79, 38),
    _Outline("23 PRIOR AUTHORIZATION NUMBER", 50, 39, 79, 40),
    _Outline("25 FEDERAL TAX ID  SSN EIN", 1, 55, 22, 56),
    _Outline("26 PATIENT'S ACCOUNT NO.", 23, 55, 36, 56),
    _Outline("27 ACCEPT ASSIGNMENT?", 37, 55, 49, 56),
    _Outline("28 TOTAL CHARGE", 50, 55, 61, 56),
    _Outline("29 AMOUNT PAID", 62, 55, 71, 56),
    _Outline("30 RSVD", 72, 55, 79, 56),
    _Outline("31 SIGNATURE OF PHYSICIAN OR SUPPLIER", 1, 57, 22, 61),
    _Outline("32 SERVICE FACILITY LOCATION", 23, 57, 49, 60),
    _Outline("a", 23, 61, 35, 61),
    _Outline("b", 36, 61, 49, 61),
    _Outline("33 BILLING PROVIDER INFO & PH #", 50, 57, 79, 60),
    _Outline("a", 50, 61, 62, 61),
    _Outline("b", 63, 61, 79, 61),
)

# Item 24: its columns (first and last grid column) and their headings.
_LINE_COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("A FROM MM DD YY", 1, 9),
    ("TO MM DD YY", 10, 18),
    ("B POS", 19, 21),
    ("C EMG", 22, 24),
    ("D CPT/HCPCS  MODIFIER", 25, 44),
    ("E DX PTR", 45, 49),
    ("F $ CHARGES", 50, 58),
    ("G UNITS", 59, 62),
    ("H", 63, 64),
    ("I QUAL", 65, 67),
    ("J RENDERING NPI", 68, 79),
)

# Check box captions, printed after the box; those in `_CAPTIONS_BEFORE` go before it, where
# a caption after the box would run into the next box.
_CHECK_CAPTIONS: dict[str, str] = {
    "1_medicare": "MEDICARE",
    "1_medicaid": "MEDICAID",
    "1_tricare": "TRICARE",
    "1_champva": "CHAMPVA",
    "1_group": "GROUP",
    "1_feca": "FECA",
    "1_other": "OTHER",
    "3_sex_m": "M",
    "3_sex_f": "F",
    "6_self": "SELF",
    "6_spouse": "SPOUSE",
    "6_child": "CHILD",
    "6_other": "OTHER",
    "10a_yes": "YES",
    "10a_no": "NO",
    "10b_yes": "YES",
    "10b_no": "NO",
    "10c_yes": "YES",
    "10c_no": "NO",
    "11a_sex_m": "M",
    "11a_sex_f": "F",
    "11d_yes": "YES",
    "11d_no": "NO",
    "25_ssn": "",
    "25_ein": "",
    "27_yes": "YES",
    "27_no": "NO",
}
_CAPTIONS_BEFORE = frozenset({"6_self", "6_spouse", "6_child", "6_other"})
# Captions of our own for values the grid puts in the middle of a box.
_CAPTIONS: dict[str, str] = {
    "21_icd_indicator": "ICD IND.",
    "14_qualifier": "QUAL.",
    "22_original_ref": "ORIGINAL REF. NO.",
}


def _draw_background(pdf: Any) -> None:
    """Red outlines and labels standing in for the pre-printed form."""
    pdf.saveState()
    pdf.setStrokeColor(RED)
    pdf.setFillColor(RED)
    pdf.setLineWidth(0.4)
    pdf.setFont("Helvetica-Bold", 9)
    pdf.drawString(GRID_LEFT, _baseline(2), "1500  HEALTH INSURANCE CLAIM FORM")
    pdf.setFont(LABEL_FONT, 5.5)
    pdf.drawString(
        GRID_LEFT, _baseline(3), "NUCC 02/12 LAYOUT - PLAIN-PAPER COPY, NOT THE RED OCR FORM"
    )
    for outline in OUTLINES:
        _outline(pdf, outline.col0, outline.row0, outline.col1, outline.row1, outline.label)
    _draw_service_grid(pdf)
    pdf.setFont(LABEL_FONT, 6)
    for pointer in _POINTER_LETTERS:
        field = FIELDS[f"21{pointer.lower()}"]
        x0, y0, _, _ = _cells(field.col - 2, field.row, field.col - 1, field.row)
        pdf.drawString(x0 + 2, y0 + DESCENT, f"{pointer}.")
    for name, caption in _CHECK_CAPTIONS.items():
        _checkbox(pdf, name, caption)
    pdf.setFont(LABEL_FONT, LABEL_SIZE)
    for name, caption in _CAPTIONS.items():
        x0, y0, _, _ = field_rect(name)
        width = pdf.stringWidth(caption, LABEL_FONT, LABEL_SIZE)
        pdf.drawString(x0 - width - 2, y0 + DESCENT, caption)
    _money_divider(pdf, "28_cents")
    pdf.restoreState()


def _outline(pdf: Any, col0: int, row0: int, col1: int, row1: int, label: str) -> None:
    x0, y0, x1, y1 = _cells(col0, row0, col1, row1)
    pdf.rect(x0, y0, x1 - x0, y1 - y0, stroke=1, fill=0)
    if label:
        pdf.setFont(LABEL_FONT, LABEL_SIZE)
        pdf.drawString(x0 + 1.5, y1 - LABEL_SIZE, label)


def _draw_service_grid(pdf: Any) -> None:
    first, last = SERVICE_ROWS[0] - 1, SERVICE_ROWS[-1]
    _outline(pdf, 1, 41, 79, 42, "24")
    for heading, col0, col1 in _LINE_COLUMNS:
        _outline(pdf, col0, 41, col1, 42, "")
        x0, y0, _, _ = _cells(col0, 42, col1, 42)
        pdf.setFont(LABEL_FONT, LABEL_SIZE)
        pdf.drawString(x0 + 1.5, y0 + 3, heading)
    for row in SERVICE_ROWS:
        # The shaded upper half of each line is for supplemental information (NDC and the
        # like), which this clinic does not send.
        x0, y0, x1, y1 = _cells(1, row - 1, 79, row - 1)
        pdf.setFillColor(SHADE)
        pdf.rect(x0, y0, x1 - x0, y1 - y0, stroke=0, fill=1)
        pdf.setFillColor(RED)
        pdf.setFont(LABEL_FONT, LABEL_SIZE)
        pdf.drawString(x0 - 8, y0 + 2, str(SERVICE_ROWS.index(row) + 1))
        _outline(pdf, 1, row - 1, 79, row, "")
    for _, col0, col1 in _LINE_COLUMNS:
        x0, y0, x1, y1 = _cells(col0, first, col1, last)
        pdf.line(x0, y0, x0, y1)
        pdf.line(x1, y0, x1, y1)
    # Dotted dividers between the date parts, the modifiers and dollars/cents.
    pdf.setDash(1, 1.5)
    for name in (
        "24a_from_dd",
        "24a_from_yy",
        "24a_to_dd",
        "24a_to_yy",
        "24d_modifier1",
        "24d_modifier2",
        "24d_modifier3",
        "24d_modifier4",
        "24f_cents",
    ):
        col = FIELDS[name].col
        x = GRID_LEFT + (col - 1.5) * CELL_WIDTH
        for row in SERVICE_ROWS:
            _, y0, _, y1 = _cells(1, row, 1, row)
            pdf.line(x, y0, x, y1)
    pdf.setDash()


def _money_divider(pdf: Any, cents: str) -> None:
    """The dotted line between the dollar and the cents areas of an amount."""
    field = FIELDS[cents]
    x = GRID_LEFT + (field.col - 1.5) * CELL_WIDTH
    _, y0, _, y1 = _cells(1, field.row, 1, field.row)
    pdf.setDash(1, 1.5)
    pdf.line(x, y0, x, y1)
    pdf.setDash()


def _checkbox(pdf: Any, name: str, caption: str) -> None:
    x0, y0, x1, _ = field_rect(name)
    size = 7.0
    left = x0 + (x1 - x0 - size) / 2
    pdf.rect(left, y0 + 1, size, size, stroke=1, fill=0)
    if caption:
        pdf.setFont(LABEL_FONT, LABEL_SIZE)
        if name in _CAPTIONS_BEFORE:
            width = pdf.stringWidth(caption, LABEL_FONT, LABEL_SIZE)
            pdf.drawString(left - width - 1.5, y0 + 2.5, caption)
        else:
            pdf.drawString(x1 + 1.5, y0 + 2.5, caption)
