"""Exported text a spreadsheet must not run (CSV/formula injection, OWASP): a cell that starts
with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading quote, so Excel,
LibreOffice and Google Sheets show it as text. Every export of the app goes through here: the
review queue's CSV and the admin's code-table exports (all formats)."""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(value: Any) -> Any:
    """Text made safe to open; other values (numbers, dates, None) as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return f"'{value}"
    return value


def spreadsheet_text(value: Any) -> str:
    """A CSV cell: the value as text, made safe."""
    text: str = spreadsheet_safe("" if value is None else str(value))  # a str stays a str
    return text
