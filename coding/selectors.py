"""Read functions of the code tables that more than one caller needs (one fact, one place)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db.models import Q

from coding.icd10 import Icd10Facts, Icd10Row, Release, ancestor_keys, needing_relatives
from coding.models import Icd10Code, Icd10Release, next_prefix

_ROW_FIELDS = ("code", "title", "billable", "first_valid", "last_valid")


def icd10_releases() -> tuple[Release, ...]:
    """The loaded ICD-10-CM sets, oldest first: (fiscal year, first and last date of service)."""
    return tuple(
        Icd10Release.objects.order_by("valid_from").values_list(
            "fiscal_year", "valid_from", "valid_through"
        )
    )


def icd10_facts(*, codes: Iterable[str], releases: Sequence[Release] | None = None) -> Icd10Facts:
    """What `Icd10Facts.judge` needs to judge ``codes`` (written with the dot) on any date of
    service: their rows, and — only when one of them changed within the loaded sets — the rows
    that explain the change. One query, two when a code changed (§7, §10.6)."""
    if releases is None:
        releases = icd10_releases()
    wanted = set(codes)
    rows = {
        r.code: r
        for r in (
            Icd10Row(*values)
            for values in Icd10Code.objects.filter(code__in=wanted)
            .order_by()
            .values_list(*_ROW_FIELDS)
        )
    }
    return icd10_facts_of(rows.values(), releases=releases)


def icd10_facts_of(rows: Iterable[Icd10Row], *, releases: Sequence[Release]) -> Icd10Facts:
    """`icd10_facts` for rows already read (the search page's results)."""
    by_code = {r.code: r for r in rows}
    ended, started = needing_relatives(by_code.values(), releases)
    relatives: list[Icd10Row] = []
    if ended or started:
        around = Q(pk__in=[])
        for row in ended:
            key = "".join(ch for ch in row.code.lower() if ch.isalnum())
            assert row.last_valid is not None
            around |= Q(key__gt=key, key__lt=next_prefix(key), billable=True)
        keys = {k for row in started for k in ancestor_keys(row.code)}
        if keys:
            around |= Q(key__in=keys)
        relatives = [
            Icd10Row(*values)
            for values in Icd10Code.objects.filter(around).order_by("key").values_list(*_ROW_FIELDS)
        ]
    return Icd10Facts(rows=by_code, releases=tuple(releases), relatives=tuple(relatives))
