"""The kind → importer table: importing this module imports every importer module, each of which
registers itself (`base.register`). A module of the list that does not exist (yet) is left
out; any other import error is raised."""

from __future__ import annotations

import dataclasses
import importlib

from coding.imports.base import IMPORTERS, Importer

MODULES = ("pprrvu", "gpci", "mue", "ptp", "icd10")

for _name in MODULES:
    try:
        importlib.import_module(f"coding.imports.{_name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"coding.imports.{_name}":
            raise


def importer_for(kind: str, *, qualifying_apm: bool = False) -> Importer:
    """The importer of a kind (KeyError if none is registered); ``qualifying_apm``: the PFS
    relative value file is the qualifying-APM (QPP) one (ValueError for any other kind)."""
    importer = IMPORTERS[kind]
    if qualifying_apm:
        names: set[str] = (
            {f.name for f in dataclasses.fields(importer)}
            if dataclasses.is_dataclass(importer)
            else set()
        )
        if "qualifying_apm" not in names:
            raise ValueError("Only the PFS relative value file has a qualifying-APM version.")
        importer = dataclasses.replace(importer, qualifying_apm=True)  # type: ignore[type-var]  # a dataclass: checked above
    return importer


__all__ = ["IMPORTERS", "importer_for"]
