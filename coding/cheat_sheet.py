"""The printable cheat sheet of the most-used codes (`/codes/cheat-sheet/`).

What the table of the article this project started from tried to be (docs/billing-rules.md §9),
with the app's own facts in place of its figures: the clinic's allowed amounts per payer
(`claims.facts.fee_table`), the 8-minute table read off the unit engine, the diagnoses often
billed with each code checked against the ICD-10-CM set on file, and the article's tips as the
app's own claim rules, each linked to its entry on the rule page. Users read it: plain words, no
section numbers.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from claims.facts import ReferenceFacts, fee_table
from claims.pipeline import CodePrice
from claims.scrubber import RULES
from coding.code_groups import MOST_USED
from coding.models import BillingCode, Pairing, PayerKind
from coding.views import (
    MedicareArea,
    PairingCheck,
    _check_pairings,
    _unit_table,
    medicare_area,
)
from ptclinic.models import Clinic


@dataclass(frozen=True)
class PayerColumn:
    pk: int
    name: str
    all_demo: bool = False  # every amount of the column is a demo one: the header says so


@dataclass(frozen=True)
class Amount:
    """A payer's allowed amount per unit of a code (None: no amount on file)."""

    fee: Decimal | None
    demo: bool
    basis: str
    mark_demo: bool = False  # marked in its cell (when its column's header does not say it)


@dataclass(frozen=True)
class PairingLine:
    check: PairingCheck
    text: str  # where the pairing comes from and what to code, in one sentence


@dataclass(frozen=True)
class SheetRow:
    code: BillingCode
    units: str
    amounts: tuple[Amount, ...]  # in the order of the sheet's payer columns
    pairings: tuple[PairingLine, ...]


@dataclass(frozen=True)
class RuleLink:
    rule_id: str
    title: str


@dataclass(frozen=True)
class Tip:
    title: str
    text: str
    rules: tuple[RuleLink, ...]
    page: str = ""  # another page of the app that shows these rules (its URL name)
    page_label: str = ""


@dataclass(frozen=True)
class CheatSheet:
    clinic: Clinic | None
    day: dt.date
    year: int
    area: MedicareArea
    payers: tuple[PayerColumn, ...]
    rows: tuple[SheetRow, ...]
    unit_table: list[tuple[int, int, int]]
    tips: tuple[Tip, ...]
    icd_fiscal_year: int | None  # the ICD-10-CM set the pairings were checked against

    @property
    def any_demo(self) -> bool:
        return any(a.demo for row in self.rows for a in row.amounts)


# The article's tips (use 59 for distinct services, document medical necessity, check each
# payer's rules, update codes every year) and KX, each with the claim rules that check it.
_TIPS: tuple[tuple[str, str, tuple[str, ...], tuple[str, str] | tuple[()]], ...] = (
    (
        "Distinct services: an X modifier, or 59",
        "Two codes that form an edit pair are paid together only when they were done in "
        "separate time periods, and then only with a distinct-service modifier on the second "
        "code: XU (or the X modifier that fits), 59 only when none fits. No modifier gets "
        "around some pairs, such as two evaluations on one day.",
        ("ncci-needs-modifier", "reeval-with-therapy-no-59", "ncci-indicator-0"),
        (),
    ),
    (
        "Medical necessity in every note",
        "Each visit's note says why it needed a therapist: the patient's problem, the skilled "
        "work done today and the goal it serves. Stock phrases and a note copied from the "
        "last visit do not count.",
        ("necessity-missing", "necessity-thin", "necessity-template", "necessity-copied"),
        (),
    ),
    (
        "Each payer's own rules",
        "Medicare and most Medicaid plans pool the day's timed minutes (the 8-minute rule); "
        "many commercial plans count each code on its own minutes. Some cap timed units a day, "
        "limit visits a year or need a referral or prior authorization.",
        ("units-unsupported", "daily-cap-exceeded", "visit-limit-exceeded", "auth-missing"),
        ("payer-list", "Each payer's rules"),
    ),
    (
        "Codes change every year",
        "ICD-10-CM changes every 1 October (sometimes 1 April); procedure codes, Medicare "
        "amounts and edit pairs every January, some every quarter. Code with the set in force "
        "on the date of service, and only billable (most specific) diagnoses.",
        ("dx-invalid", "dx-header", "medicare-invalid-code", "reference-not-loaded"),
        (),
    ),
    (
        "KX above the yearly threshold",
        "Once the patient's physical and speech therapy allowed amounts for the calendar year "
        "pass Medicare's threshold{threshold}, every further therapy line carries KX, and the "
        "note must support the need for more therapy. Never before.",
        ("kx-missing", "kx-premature", "kx-review-threshold"),
        (),
    ),
)


def _or(codes: list[str]) -> str:
    return codes[0] if len(codes) == 1 else ", ".join(codes[:-1]) + " or " + codes[-1]


def pairing_text(check: PairingCheck) -> str:
    """The pairing's note (where it comes from), then what the code set says of it: "A widely
    shared cheat sheet lists M54.5 for low back pain; this code is not billable, use M54.50,
    M54.51 or M54.59." """
    note = check.pairing.note.strip().rstrip(".")
    if check.status == "missing":
        return _joined(note, "this code is not in the ICD-10-CM code set in force")
    if check.status == "header":
        below = [c.code for c in check.children]
        more = ", or another code below it" if check.more_children else ""
        use = f"use {_or(below)}{more}" if below else "use a more specific code below it"
        return _joined(note, f"this code is not billable, {use}")
    if check.initial_encounter:
        subsequent = f", {check.subsequent.code}" if check.subsequent else " (7th character D)"
        return (f"{note}. " if note else "") + (
            "Its 7th character A is the initial encounter: outpatient PT usually codes the "
            f"subsequent encounter{subsequent}."
        )
    return f"{note}." if note else ""


def _joined(note: str, advice: str) -> str:
    if not note:
        return advice[:1].upper() + advice[1:] + "."
    return f"{note}; {advice}."


def _units(code: BillingCode) -> str:
    if code.timed:
        return "Timed (per 15 min)"
    return f"Untimed ({code.get_unit_basis_display()})"


def _tips(ref: ReferenceFacts, year: int) -> tuple[Tip, ...]:
    fee_year = ref.years.get(year)
    kx = fee_year.kx_threshold if fee_year else None
    threshold = f" (${kx:,.0f} in {year})" if kx else ""
    return tuple(
        Tip(
            title,
            text.format(threshold=threshold),
            tuple(RuleLink(r, RULES[r].title) for r in rule_ids if r in RULES),
            *page,
        )
        for title, text, rule_ids, page in _TIPS
    )


def _amount(price: CodePrice | None) -> Amount:
    return Amount(price.fee, price.demo, price.basis) if price else Amount(None, False, "")


def _all_demo(amounts: list[Amount]) -> bool:
    priced = [a for a in amounts if a.fee is not None]
    return bool(priced) and all(a.demo for a in priced)


def cheat_sheet_build(*, clinic: Clinic | None, day: dt.date) -> CheatSheet:
    """The sheet for the clinic (None: national Medicare amounts) with the figures in force on
    ``day``; a fixed number of queries."""
    ref = ReferenceFacts.current()
    payers = tuple(
        PayerColumn(pk, ref.payer_names.get(pk, ""))
        for pk in sorted(
            ref.payer_kinds,
            key=lambda pk: (ref.payer_kinds[pk] != PayerKind.MEDICARE, ref.payer_names.get(pk)),
        )
    )
    codes = BillingCode.objects.in_bulk(MOST_USED, field_name="code")
    shown = [c for c in MOST_USED if c in codes]
    prices = fee_table(codes=shown, day=day, clinic_id=clinic.pk if clinic else None)
    checks: dict[str, list[PairingLine]] = {}
    pairings = list(Pairing.objects.filter(billing_code__code__in=shown))
    for check in _check_pairings(pairings):
        line = PairingLine(check, pairing_text(check))
        checks.setdefault(check.pairing.billing_code_id, []).append(line)
    amounts = {
        code: tuple(_amount(prices.get(payer.pk, {}).get(code)) for payer in payers)
        for code in shown
    }
    payers = tuple(
        replace(payer, all_demo=_all_demo([amounts[code][i] for code in shown]))
        for i, payer in enumerate(payers)
    )
    rows = tuple(
        SheetRow(
            codes[code],
            _units(codes[code]),
            tuple(
                replace(a, mark_demo=a.demo and not payer.all_demo)
                for a, payer in zip(amounts[code], payers, strict=True)
            ),
            tuple(checks.get(code, ())),
        )
        for code in shown
    )
    icd_year = ref.icd_release_for(day)
    if icd_year is None and ref.icd_releases:
        icd_year = ref.icd_releases[-1][0]
    return CheatSheet(
        clinic=clinic,
        day=day,
        year=day.year,
        area=medicare_area(ref, clinic, day),
        payers=payers,
        rows=rows,
        unit_table=_unit_table(),
        tips=_tips(ref, day.year),
        icd_fiscal_year=icd_year,
    )
