"""The code reference pages: billing codes, one code in full, ICD-10-CM search, modifiers and
payers. Reference data is shared by every clinic, so any signed-in user may read it, with or
without a clinic. Facts and their sources: billing-rules.md (§N)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig

from claims.facts import ReferenceFacts, fee_table
from claims.pipeline import CodePrice
from claims.scrubber import MAI_MEANINGS
from coding.filters import ICD_CODE, BillingCodeFilter, Icd10Query
from coding.icd10 import Badge, Icd10Row, Release, badge, sets_in_force
from coding.models import (
    BillingCode,
    EditPair,
    FeeScheduleEntry,
    FeeYear,
    Icd10Code,
    MedicareStatus,
    Modifier,
    Pairing,
    Payer,
    PayerKind,
    RelativeValue,
    UnitBasis,
    code_key,
    next_prefix,
)
from coding.payer_pages import payers_with_rules
from coding.pricing import NATIONAL_GPCI
from coding.pricing import Gpci as GpciFactors
from coding.selectors import icd10_releases
from coding.tables import BillingCodeTable, ModifierTable, medicare_rank, most_used_first
from coding.units import units_for_minutes
from ptclinic.http import HtmxHttpRequest, wants_partial
from ptclinic.models import Clinic

ICD10_PAGE = 50
HEADER_CHILDREN_SHOWN = 12
BELOW_CAP = 1000  # "over 1,000 billable codes below"
_CODE_MENTION = re.compile(r"\b[0-9A-Z][0-9]{3}[0-9A-Z]\b")


# ---- /codes/ --------------------------------------------------------------------------------


def fee_year_shown() -> int:
    """This year, or — before this year's fee schedules and Medicare RVUs are imported — the
    latest year on file (the pages say which year they show)."""
    this_year = timezone.localdate().year
    latest = [
        model.objects.filter(year__lte=this_year)
        .order_by("-year")
        .values_list("year", flat=True)
        .first()
        for model in (FeeScheduleEntry, RelativeValue)
    ]
    return max((year for year in latest if year), default=this_year)


def fee_day_shown(year: int) -> dt.date:
    """The date whose figures the pages show for ``year`` (`fee_year_shown`): today, or the
    last day of an earlier year."""
    today = timezone.localdate()
    return today if year == today.year else dt.date(year, 12, 31)


@dataclass(frozen=True)
class MedicareArea:
    """Where the clinic's Medicare amounts are priced, as the pages say it, and the GPCIs that
    order /codes/ by them (None: the year has no conversion factor, so no amounts)."""

    label: str
    gpci: GpciFactors | None
    locality: bool  # priced at the clinic's own locality, not at national rates


def medicare_area(ref: ReferenceFacts, clinic: Clinic | None, day: dt.date) -> MedicareArea:
    area = ref.areas.get(clinic.pk) if clinic is not None else None
    located = ref.gpci(area, day.year)
    cf = ref.conversion_factor(day.year, area)
    gpci = (located[1] if located else NATIONAL_GPCI) if cf is not None else None
    if located and area is not None:
        return MedicareArea(f"{located[0]} (locality {area.mac}-{area.locality})", gpci, True)
    if area is not None and area.mac:
        why = f"no {day.year} GPCIs are loaded for the clinic's locality"
    elif clinic is not None:
        why = f"no Medicare locality is set for {clinic.name}"
    else:
        why = "you are not signed in to a clinic"
    return MedicareArea(f"national rates ({why})", gpci, False)


def _medicare_amounts(
    codes: list[str], *, day: dt.date, clinic: Clinic | None, ref: ReferenceFacts
) -> dict[str, CodePrice]:
    """The clinic's Medicare amount of each code: one `fee_table` call (every Medicare payer
    is priced alike, from the RVUs)."""
    prices = fee_table(codes=codes, day=day, clinic_id=clinic.pk if clinic else None)
    medicare = sorted(pk for pk, kind in ref.payer_kinds.items() if kind == PayerKind.MEDICARE)
    return prices.get(medicare[0], {}) if medicare else {}


@login_required
@require_GET
@vary_on_headers("HX-Request")
def code_list(request: HtmxHttpRequest) -> HttpResponse:
    year = fee_year_shown()
    day = fee_day_shown(year)
    clinic = request.clinic
    ref = ReferenceFacts.current()
    area = medicare_area(ref, clinic, day)
    codes = BillingCode.objects.annotate(most_used=most_used_first()).order_by("most_used", "code")
    code_filter = BillingCodeFilter(request.GET, queryset=codes)
    table = BillingCodeTable(
        code_filter.qs, year=year, medicare_rank=medicare_rank(day=day, gpci=area.gpci)
    )
    RequestConfig(request, paginate={"per_page": 25}).configure(table)
    on_page = [row.record.code for row in table.paginated_rows]
    table.medicare_prices = _medicare_amounts(on_page, day=day, clinic=clinic, ref=ref)
    context = {
        "filter": code_filter,
        "table": table,
        "year": year,
        "medicare_area": area,
        "q": request.GET.get("q", "").strip(),
        "sort": request.GET.get("sort", ""),
        "filtered": any(request.GET.get(k) for k in ("q", "category", "timed")),
        "looks_like_icd10": bool(ICD_CODE.match(request.GET.get("q", "").strip()))
        and not request.GET.get("q", "").strip().isdigit(),
    }
    template = "coding/code_list.html"
    if wants_partial(request):
        template += "#code-table"
    return render(request, template, context)


# ---- /codes/<code>/ -------------------------------------------------------------------------


@dataclass
class ModifierAdvice:
    code: str
    when: str
    label: str = ""  # shown instead of the code, e.g. "59 / XE XS XP XU"
    name: str = ""


@dataclass
class EditPairRow:
    pair: EditPair
    other: BillingCode
    this_is_column1: bool
    in_force: bool

    @property
    def bypass(self) -> str:
        if self.pair.modifier_indicator == 0:
            return "Never: no modifier bypasses it."
        if self.pair.modifier_indicator == 1:
            return (
                "With 59 or XE/XS/XP/XU on the column 2 code, only when the services were done in "
                "different time intervals."
            )
        return "Not applicable (indicator 9: the edit was deleted)."


@dataclass
class FeeRow:
    payer: Payer
    price: CodePrice | None

    @property
    def amount(self) -> Decimal | None:
        return self.price.fee if self.price else None

    @property
    def demo(self) -> bool:
        return bool(self.price and self.price.demo)

    @property
    def basis(self) -> str:
        return self.price.basis if self.price else ""


@dataclass
class PairingCheck:
    pairing: Pairing
    icd: Icd10Code | None
    children: list[Icd10Code] = field(default_factory=list)
    more_children: bool = False
    subsequent: Icd10Code | None = None  # the same injury coded with 7th character D

    @property
    def status(self) -> str:
        if self.icd is None:
            return "missing"
        return "billable" if self.icd.billable else "header"

    @property
    def initial_encounter(self) -> bool:
        """An injury code (chapter S/T) with 7th character A: outpatient PT usually codes D (§7)."""
        code = self.pairing.icd10_code.upper()
        return code[:1] in ("S", "T") and len(code_key(code)) == 7 and code.endswith("A")


def _unit_table() -> list[tuple[int, int, int]]:
    """The §1 table, 0-8 units, read off the rule engine so page and engine cannot disagree."""
    rows: dict[int, list[int]] = {}
    for minutes in range(128):
        rows.setdefault(units_for_minutes(minutes), []).append(minutes)
    return [(units, ms[0], ms[-1]) for units, ms in sorted(rows.items()) if units <= 8]


UNTIMED_UNITS: dict[str, str] = {
    UnitBasis.PER_DAY: "1 unit per day, whatever the minutes.",
    UnitBasis.PER_SESSION: "1 unit per patient per session, whatever the minutes.",
    UnitBasis.PER_MONTH: "Billed per month (per device period or per block of management time).",
    UnitBasis.PER_SERVICE: "1 unit per service performed, whatever the minutes.",
}


def _modifier_advice(code: BillingCode, pairs: list[EditPairRow], kx_threshold: Any) -> list[Any]:
    """The code page's modifier advice: GP/GO (billing-rules §3), CQ and KX (§4), 59 and the X
    modifiers (§4, §5). Users read it: plain words, no section numbers."""
    plan_modifier = "GO" if code.discipline == "OT" else "GP"
    discipline = "an OT" if plan_modifier == "GO" else "a PT"
    advice = []
    if code.always_therapy:
        advice.append(
            ModifierAdvice(
                plan_modifier,
                f"Always: an always-therapy code is billed under {discipline} plan of care.",
            )
        )
    else:
        advice.append(
            ModifierAdvice(
                plan_modifier,
                f"When furnished under {discipline} plan of care (a \u201csometimes therapy\u201d "
                "code).",
            )
        )
    if code.discipline == "any":
        advice.append(
            ModifierAdvice(
                "CQ",
                "With GP when a PT assistant furnished more than 10% of the service (judged per "
                "unit for timed codes); Medicare then pays 85%.",
            )
        )
    elif code.discipline == "PT":
        advice.append(
            ModifierAdvice(
                "CQ",
                "Not used: the physical therapist must furnish this service, not an assistant.",
            )
        )
    bypassable = sorted(
        {r.other.code for r in pairs if r.in_force and r.pair.modifier_indicator == 1}
    )
    if bypassable:
        advice.append(
            ModifierAdvice(
                "59",
                "When billed with "
                + ", ".join(bypassable)
                + " in a different time interval: those edit pairs have indicator 1, so a "
                "distinct-service modifier bypasses them. Prefer an X modifier; 59 only when none "
                "fits.",
                label="59 / XE XS XP XU",
            )
        )
    threshold = f" (${kx_threshold:,.0f} in {timezone.localdate().year})" if kx_threshold else ""
    advice.append(
        ModifierAdvice(
            "KX",
            "Only once the patient's year-to-date PT+SLP allowed amount has passed the yearly "
            f"threshold{threshold} and the service is medically necessary.",
        )
    )
    return advice


def _check_pairings(pairings: list[Pairing]) -> list[PairingCheck]:
    """Check each paired diagnosis against the ICD-10-CM table (§7): billable leaf, header
    (offer the billable codes below it) or not in the code set."""
    wanted = {p.icd10_code.upper() for p in pairings}
    wanted |= {c[:-1] + "D" for c in wanted if c.endswith("A")}
    found = {c.code: c for c in Icd10Code.objects.filter(code__in=wanted)}
    checks = [PairingCheck(p, found.get(p.icd10_code.upper())) for p in pairings]
    headers = [c.icd for c in checks if c.icd is not None and not c.icd.billable]
    children: dict[str, list[Icd10Code]] = {}
    for child in Icd10Code.objects.filter(parent__in=[h.code for h in headers]).order_by("key"):
        children.setdefault(child.parent, []).append(child)
    for check in checks:
        if check.initial_encounter:
            check.subsequent = found.get(check.pairing.icd10_code.upper()[:-1] + "D")
        if check.status != "header":
            continue
        assert check.icd is not None
        below = children.get(check.icd.code, [])
        if any(not c.billable for c in below):
            # A deeper header: list the billable leaves under it instead of its subheaders.
            below = list(
                Icd10Code.objects.code_prefix(check.icd.code)
                .filter(billable=True)
                .order_by("key")[: HEADER_CHILDREN_SHOWN + 1]
            )
        check.children = below[:HEADER_CHILDREN_SHOWN]
        check.more_children = len(below) > HEADER_CHILDREN_SHOWN
    return checks


@login_required
@require_GET
def code_detail(request: HtmxHttpRequest, code: str) -> HttpResponse:
    if not code.isalnum():  # no code has anything else; a NUL byte was a 500 on PostgreSQL
        raise Http404("No such code.")
    if code != code.upper():
        return redirect("code-detail", code=code.upper(), permanent=True)
    billing_code = get_object_or_404(BillingCode, code=code)
    today = timezone.localdate()
    known_codes = set(BillingCode.objects.values_list("code", flat=True))

    pairs = [
        EditPairRow(
            pair=pair,
            other=pair.column2 if pair.column1_id == code else pair.column1,
            this_is_column1=pair.column1_id == code,
            in_force=pair.effective <= today and (pair.deletion is None or pair.deletion >= today),
        )
        for pair in EditPair.objects.involving(code).select_related("column1", "column2")
    ]
    fee_year = FeeYear.objects.filter(year=today.year).first()
    modifiers = Modifier.objects.in_bulk(field_name="code")
    advice = _modifier_advice(billing_code, pairs, fee_year.kx_threshold if fee_year else None)
    for item in advice:
        item.name = modifiers[item.code].name if item.code in modifiers else ""

    year = fee_year_shown()
    day = today if year == today.year else dt.date(year, 12, 31)
    clinic = request.clinic
    prices = fee_table(codes=[code], day=day, clinic_id=clinic.pk if clinic else None)
    fee_rows = sorted(
        (
            FeeRow(payer, prices.get(payer.pk, {}).get(code))
            for payer in Payer.objects.for_clinic(clinic)
        ),
        # Real fees first (Medicare), then demo amounts, then payers with no fee on file.
        key=lambda r: (r.amount is None, r.demo, r.payer.name),
    )

    unit_limit = billing_code.unit_limits.filter(effective__lte=today).first()
    replacements: list[str] = []
    if billing_code.medicare_status == MedicareStatus.INVALID:
        replacements = [
            c
            for c in _CODE_MENTION.findall(billing_code.billing_notes)
            if c in known_codes and c != code
        ]

    context = {
        "code": billing_code,
        "today": today,
        "year": year,
        "fees_not_this_year": year != today.year,
        "known_codes": known_codes,
        "unit_table": _unit_table() if billing_code.timed else None,
        "untimed_units": UNTIMED_UNITS.get(billing_code.unit_basis, ""),
        "advice": advice,
        "pairs_in_force": [p for p in pairs if p.in_force],
        "pairs_other": [p for p in pairs if not p.in_force],
        "unit_limit": unit_limit,
        "fee_rows": fee_rows,
        "any_fee": any(r.amount is not None or r.basis for r in fee_rows),
        "any_demo_fee": any(r.demo for r in fee_rows),
        "rvu": billing_code.rvus.filter(year=year, effective__lte=day).first(),
        "clinic": clinic,
        # The Medicare status of the fee-schedule release in force (§10.13), as claims see it.
        "medicare_status": ReferenceFacts.current().code_facts_on(code, day).medicare_status.value,
        "mai_meaning": MAI_MEANINGS.get(unit_limit.mai) if unit_limit and unit_limit.mai else "",
        "replacements": replacements,
        "pairings": _check_pairings(list(billing_code.pairings.all())),
    }
    return render(request, "coding/code_detail.html", context)


# ---- /icd10/ --------------------------------------------------------------------------------


def _billable_counts(headers: list[Icd10Code]) -> dict[str, int]:
    """How many billable codes sit below each header (at most BELOW_CAP + 1), in one query. Each
    count is a range on the key index: every code below key K sorts between K and
    next_prefix(K). The cap bounds the work for chapter-sized headers (S82 has 3,096)."""
    if not headers:
        return {}
    table = connection.ops.quote_name(Icd10Code._meta.db_table)
    count = (
        f"(SELECT COUNT(*) FROM (SELECT 1 FROM {table} "
        "WHERE key > %s AND key < %s AND billable = %s LIMIT %s) AS below)"
    )
    params: list[str | bool | int] = []
    for header in headers:
        params += [header.key, next_prefix(header.key), True, BELOW_CAP + 1]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join([count] * len(headers)), params)
        counts = cursor.fetchone()
    return {h.code: n for h, n in zip(headers, counts, strict=True)}


def _badge(icd: Icd10Code, day: dt.date, releases: Sequence[Release], below: int) -> Badge:
    row = Icd10Row(icd.code, icd.title, icd.billable, icd.first_valid, icd.last_valid)
    return badge(row, day, releases, below=below)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def icd10_search(request: HtmxHttpRequest) -> HttpResponse:
    text = request.GET.get("q", "").strip()[:100]
    query = Icd10Query.parse(text)
    parent_code = request.GET.get("parent", "").strip()[:10]
    parent = Icd10Code.objects.filter(key=code_key(parent_code)).first() if parent_code else None

    results: list[Icd10Code] | None = None
    more = False
    if parent is not None:
        results = list(
            Icd10Code.objects.filter(parent=parent.code).order_by("key")[: ICD10_PAGE + 1]
        )
        more, results = len(results) > ICD10_PAGE, results[:ICD10_PAGE]
    elif query:
        results, more = query.matches(limit=ICD10_PAGE)
    counts = _billable_counts([c for c in results or [] if not c.billable])
    # Billable in the set in force today (§10.6), not merely in the latest set loaded.
    releases, today = icd10_releases(), timezone.localdate()
    rows = [
        (c, counts.get(c.code), _badge(c, today, releases, counts.get(c.code, 0)))
        for c in results or []
    ]

    context = {
        "q": text,
        "parent": parent,
        "parent_badge": _badge(parent, today, releases, 1) if parent else None,
        "parent_code": parent_code,
        "sets_in_force": sets_in_force(releases, today),
        "rows": rows,
        "searched": results is not None,
        "more": more,
        "page_size": ICD10_PAGE,
        "below_cap": BELOW_CAP,
    }
    template = "coding/icd10_search.html"
    if wants_partial(request):
        template += "#icd10-results"
    return render(request, template, context)


# ---- /modifiers/ and /payers/ ---------------------------------------------------------------


@login_required
@require_GET
def modifier_list(request: HtmxHttpRequest) -> HttpResponse:
    table = ModifierTable(Modifier.objects.all())
    RequestConfig(request, paginate=False).configure(table)
    return render(request, "coding/modifier_list.html", {"table": table})


@login_required
@require_GET
def payer_list(request: HtmxHttpRequest) -> HttpResponse:
    """Each payer's rules in force today in plain words, and the dated history of its rules."""
    today = timezone.localdate()
    fee_year = FeeYear.objects.filter(year=today.year).first()
    return render(
        request,
        "coding/payer_list.html",
        {"payers": payers_with_rules(today, request.clinic), "fee_year": fee_year, "today": today},
    )
