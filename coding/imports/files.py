"""An official file's bytes into an import plan, for both ways in (the admin's "Load a CMS file"
page and `manage.py import_cms` / `import_ptp`): a file that cannot be read as text at all is
refused here, in plain words, before any importer sees it (§10.6)."""

from __future__ import annotations

import csv
import datetime as dt
import math
from typing import TYPE_CHECKING

from coding.imports.base import Importer, ImportPlan, decode_lines, import_run, sha256_hex

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser, User


MB = 1024 * 1024


def megabytes(size: int) -> str:
    """A file size for people: "31 MB", "20.1 MB" (rounded up: a file just over a limit of 20 MB
    never reads as 20 MB)."""
    tenths = math.ceil(size * 10 / MB)
    return f"{tenths // 10} MB" if tenths % 10 == 0 else f"{tenths / 10:.1f} MB"


class UnreadableFile(ValueError):
    """The file is not a text file an importer can read; the message says why and what to do."""


def file_lines(data: bytes) -> list[str]:
    """The lines of a CMS text file. A NUL byte never occurs in one: it is a zip or a
    spreadsheet, and PostgreSQL would refuse the text later (a 500 at "Load it")."""
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        raise UnreadableFile(
            f"Line {line} of the file holds a NUL byte, so it is not a text file (a zip or a "
            "spreadsheet?). CMS publishes its files in zips: unzip it and load the .csv or .txt "
            "file inside."
        )
    return decode_lines(data)


def plan_file(
    *,
    importer: Importer,
    data: bytes,
    release: str,
    effective: dt.date,
    file_name: str,
    user: User | AnonymousUser | None,
    dry_run: bool,
) -> ImportPlan:
    """`import_run` on a file's bytes; UnreadableFile when it cannot be read as text."""
    lines = file_lines(data)
    try:
        return import_run(
            importer=importer,
            lines=lines,
            release=release,
            effective=effective,
            file_name=file_name,
            sha256=sha256_hex(data),
            user=user,
            dry_run=dry_run,
        )
    except csv.Error:
        # The csv module's only complaint about text: a cell past its size limit, which is what
        # a quotation mark left open (or a file that is not CSV) makes of the rest of the file.
        raise UnreadableFile(
            f"The file has a cell of more than {csv.field_size_limit():,} characters (a quotation "
            "mark left open?), so it cannot be read. Is it the file as CMS publishes it?"
        ) from None
