"""The ICD-10-CM code sets shipped with the app, read from installed packages (§7, §10.6).

- FY2026 (1 April 2026 update): the data of `simple-icd-10-cm` 1.5.0, the installed package.
- FY2025 (1 April 2025 update): the data files of `simple-icd-10-cm` 1.4.0, which `make setup`
  installs beside the app (`settings.ICD10CM_FY2025_DIR`, by default `.venv/icd10cm-fy2025`)
  without replacing 1.5.0; 1.5.0 reads them with its `change_version`.

Nothing is downloaded when the app runs. A set is read once per process (`read_set`); the
package is always left holding its own set afterwards.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from django.conf import settings

from coding.icd10 import fiscal_year_end, fiscal_year_start


class SetItem(NamedTuple):
    """A code of one set: its title, whether it is billable there (a leaf), its parent code
    ("" for a category) and its chapter number."""

    title: str
    billable: bool
    parent: str
    chapter: str


@dataclass(frozen=True)
class ShippedSet:
    fiscal_year: int
    # The loaded set's `Icd10Release.source`. It also marks a complete load: a database whose
    # releases carry these sources has every code of both sets with its validity dates.
    source: str
    code_list: Path | None = None  # None: the package's own set
    tabular: Path | None = None

    @property
    def valid_from(self) -> dt.date:
        return fiscal_year_start(self.fiscal_year)

    @property
    def valid_through(self) -> dt.date:
        return fiscal_year_end(self.fiscal_year)


class SetFilesMissing(RuntimeError):
    pass


def shipped_sets() -> list[ShippedSet]:
    """The shipped sets, oldest first."""
    fy2025 = Path(settings.ICD10CM_FY2025_DIR) / "simple_icd_10_cm" / "data"
    return [
        ShippedSet(
            2025,
            "ICD-10-CM FY2025, April 2025 update (data files of simple-icd-10-cm 1.4.0)",
            fy2025 / "code-list-April-2025.txt",
            fy2025 / "icd10cm-tabular-April-2025.xml",
        ),
        ShippedSet(2026, "ICD-10-CM FY2026, April 2026 update (simple-icd-10-cm 1.5.0)"),
    ]


_READ: dict[int, dict[str, SetItem]] = {}


def read_set(shipped: ShippedSet) -> dict[str, SetItem]:
    """Every code of a shipped set (chapters and blocks left out), by code with the dot."""
    if shipped.fiscal_year in _READ:
        return _READ[shipped.fiscal_year]
    import simple_icd_10_cm as icd

    if shipped.code_list is None or shipped.tabular is None:
        _READ[shipped.fiscal_year] = _items(icd)
        return _READ[shipped.fiscal_year]
    missing = [p for p in (shipped.code_list, shipped.tabular) if not p.is_file()]
    if missing:
        raise SetFilesMissing(
            f"The ICD-10-CM FY{shipped.fiscal_year} files are not installed ({missing[0]} is "
            "missing): `make setup` installs them (pip install --no-deps --target "
            f"{settings.ICD10CM_FY2025_DIR} simple-icd-10-cm==1.4.0)."
        )
    saved = _state(icd)
    try:
        icd.change_version(
            all_codes_file_path=str(shipped.code_list),
            classification_data_file_path=str(shipped.tabular),
        )
        _READ[shipped.fiscal_year] = _items(icd)
    finally:
        _restore(icd, saved)
    return _READ[shipped.fiscal_year]


# The package keeps its set in these module-level containers, which `change_version` empties
# and fills in place (simple-icd-10-cm 1.5.0, pinned): putting their contents back restores the
# package's own set without parsing it again (3 s). Anything else falls back to a new parse.
_STATE = (
    "_chapter_list",
    "_code_to_node",
    "_all_codes_list",
    "_all_codes_list_no_dots",
    "_code_to_index_dictionary",
)


def _state(icd: Any) -> dict[str, Any] | None:
    if not all(isinstance(getattr(icd, name, None), list | dict) for name in _STATE):
        return None
    return {name: getattr(icd, name).copy() for name in _STATE}


def _restore(icd: Any, saved: dict[str, Any] | None) -> None:
    if saved is None:
        icd.change_version()  # back to the package's own set
        return
    for name, contents in saved.items():
        container = getattr(icd, name)
        container.clear()
        if isinstance(container, dict):
            container.update(contents)
        else:
            container.extend(contents)


def _items(icd: Any) -> dict[str, SetItem]:
    def is_group(code: str) -> bool:
        # A block named like its only category ("M97" holds M97) is the category, not a block.
        return bool(icd.is_chapter(code) or (icd.is_block(code) and not icd.is_category(code)))

    items: dict[str, SetItem] = {}
    for code in icd.get_all_codes(with_dots=True):
        if code in items or is_group(code):
            continue
        ancestors = icd.get_ancestors(code)
        first = ancestors[0] if ancestors else ""
        parent = first if first and first != code and not is_group(first) else ""
        items[code] = SetItem(
            icd.get_description(code)[:300],
            bool(icd.is_leaf(code)),
            parent,
            ancestors[-1] if ancestors else "",
        )
    return items
