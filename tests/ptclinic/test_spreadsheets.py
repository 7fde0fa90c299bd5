"""Exports a spreadsheet opens never run a cell as a formula (CSV injection)."""

from typing import Any

import pytest
from django.contrib import admin
from django.test import RequestFactory

from coding.models import BillingCode
from ptclinic.spreadsheets import spreadsheet_safe, spreadsheet_text


@pytest.mark.parametrize(
    ("value", "safe"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("Therapeutic exercise", "Therapeutic exercise"),
        ("a=b", "a=b"),
        (42, 42),
        (None, None),
    ],
)
def test_a_cell_a_spreadsheet_would_run_starts_with_a_quote(value: Any, safe: Any) -> None:
    assert spreadsheet_safe(value) == safe


def test_a_csv_cell_is_text() -> None:
    assert (spreadsheet_text(None), spreadsheet_text(-5), spreadsheet_text("x")) == ("", "'-5", "x")


@pytest.mark.usefixtures("reference")
def test_the_admins_code_table_export_escapes_formula_cells(code_admin: Any) -> None:
    BillingCode.objects.filter(code="97110").update(description='=HYPERLINK("http://evil")')
    model_admin = admin.site._registry[BillingCode]
    request = RequestFactory().get("/admin/coding/billingcode/export/")
    request.user = code_admin
    data = model_admin.get_data_for_export(request, BillingCode.objects.filter(code="97110"))
    cells = [cell for row in data for cell in row]
    assert '\'=HYPERLINK("http://evil")' in cells
    assert not any(isinstance(c, str) and c.startswith("=") for c in cells)
