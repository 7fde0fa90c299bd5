"""`manage.py preview_claim [FILE|-]`: what would this claim be? One JSON document in, one out.

The same pipeline as the live panel and saving (`claims.pipeline.draft_claim`), over the code
tables and the facts the document gives (no patient rows needed): an EMR or a script asks what
units, modifiers, amount and findings a day's services make (docs/billing-rules.md §1-§10).
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from claims import scrubber as rules
from claims.facts import ReferenceFacts, facts_without_patient
from claims.pipeline import DraftClaim, DraftRequest, Override, Service, draft_claim
from coding.code_groups import PT_ONLY_CODES

MAX_SERVICES = 20
MAX_MINUTES = 1440
FIELDS = {
    "date_of_service", "payer", "clinician", "services", "diagnoses", "medical_necessity",
    "plan_of_care", "treatment_days_since_progress_report", "ytd_allowed_before", "same_day",
    "tie_choice", "overrides", "today",
}  # fmt: skip


class Command(BaseCommand):
    help = (
        "Preview a claim from one JSON document (a file, or - for standard input) and print one "
        "JSON object: lines, units, modifiers, amounts, findings, ties and the arithmetic."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", nargs="?", default="-", help="a JSON file, or - (stdin)")

    def handle(self, *args: Any, **options: Any) -> None:
        text = self._read(options["file"])
        try:
            document = json.loads(text)
        except json.JSONDecodeError as error:
            raise CommandError(f"not JSON: {error.msg} (line {error.lineno})") from None
        draft = preview(document)
        self.stdout.write(json.dumps(as_json(draft)))

    def _read(self, name: str) -> str:
        if name == "-":
            return sys.stdin.read()
        try:
            with open(name, encoding="utf-8") as handle:
                return handle.read()
        except OSError as error:
            raise CommandError(f"cannot read {name}: {error.strerror}") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text") from None


def preview(document: Any) -> DraftClaim:
    """The draft claim of a preview document; CommandError with one plain sentence when the
    document is not right."""
    if not isinstance(document, dict):
        raise CommandError("the document must be a JSON object")
    unknown = sorted(set(document) - FIELDS)
    if unknown:
        raise CommandError(f"unknown field(s): {', '.join(unknown)}")
    ref = ReferenceFacts.current()
    day = _date(document, "date_of_service", required=True)
    assert day is not None  # required=True: a missing date was a CommandError
    payer = _payer(ref, document.get("payer"), day)
    clinician = document.get("clinician", "PT")
    if clinician not in ("PT", "PTA"):
        raise CommandError('clinician must be "PT" or "PTA"')
    services = _services(ref, document.get("services"), by_assistant=clinician == "PTA")
    if clinician == "PTA" and {s.code for s in services} & PT_ONLY_CODES:
        raise CommandError("a PTA may not bill evaluations or re-evaluations (97161-97164)")
    same_day = _services(ref, document.get("same_day", []), by_assistant=False, label="same_day")
    diagnoses = _strings(document, "diagnoses", upper=True)
    facts = facts_without_patient(
        ref=ref,
        payer=payer,
        date_of_service=day,
        credential=clinician,
        codes=[s.code for s in (*same_day, *services)],
        diagnoses=diagnoses,
        note=rules.VisitNote(medical_necessity=_text(document, "medical_necessity")),
        plan=_plan(document.get("plan_of_care"), day),
        history=_history(document, day),
        ytd_before=_money(document, "ytd_allowed_before"),
        today=_date(document, "today") or dt.date.today(),
    )
    try:
        return draft_claim(
            DraftRequest(
                facts=facts,
                services=(*same_day, *services),
                prices=ref.prices(payer.pk, day, {s.code for s in (*same_day, *services)}),
                terms=payer.terms,
                tie_choice=tuple(_strings(document, "tie_choice", upper=True)) or None,
                overrides=_overrides(document.get("overrides", [])),
                names=ref.names,
            )
        )
    except ValueError as error:
        raise CommandError(str(error)) from None


def as_json(draft: DraftClaim) -> dict[str, Any]:
    return {
        "lines": [
            {
                "code": line.code,
                "units": line.units,
                "modifiers": list(line.modifiers),
                "amount": None if line.amount is None else str(line.amount),
            }
            for line in draft.lines
        ],
        "total_timed_minutes": draft.units.total_timed_minutes,
        "total_timed_units": draft.units.total_timed_units,
        "total_amount": str(draft.total),
        "amount_is_estimate": draft.is_estimate,
        "findings": [
            {
                "rule": f.rule_id,
                "severity": f.severity.value,
                "code": f.line_code,
                "message": f.message,
            }
            for f in draft.findings
        ],
        "ties": [
            {
                "codes": list(tie.codes),
                "chosen": list(tie.chosen),
                "alternatives": [list(a) for a in tie.alternatives],
            }
            for tie in draft.units.ties
        ],
        "off_claim": [
            {"code": line.code, "why": line.kept_off or "0 units"} for line in draft.off_claim
        ],
        "explanation": [step.text for step in draft.explanation],
    }


# ---- reading the document -----------------------------------------------------------------


def _date(document: dict[str, Any], name: str, *, required: bool = False) -> dt.date | None:
    value = document.get(name)
    if value is None:
        if required:
            raise CommandError(f'{name} is required (e.g. "2026-11-30")')
        return None
    try:
        return dt.date.fromisoformat(value) if isinstance(value, str) else _bad_date(name)
    except ValueError:
        raise CommandError(f"{name} must be a date as YYYY-MM-DD (got {value!r})") from None


def _bad_date(name: str) -> dt.date:
    raise CommandError(f"{name} must be a date as YYYY-MM-DD")


def _payer(ref: ReferenceFacts, name: Any, day: dt.date | None) -> Any:
    if not isinstance(name, str) or not name.strip():
        raise CommandError('payer is required: a payer name, e.g. "Medicare Part B"')
    for pk, payer_name in ref.payer_names.items():
        if payer_name.lower() == name.strip().lower():
            return ref.payer(pk, day or dt.date.today())  # the rules in force that day
    raise CommandError(
        f"unknown payer {name!r}; known: {', '.join(sorted(ref.payer_names.values()))}"
    )


def _whole(value: Any, label: str, *, default: int = 0) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_MINUTES:
        raise CommandError(f"{label} must be a whole number from 0 to {MAX_MINUTES}")
    return value


def _services(
    ref: ReferenceFacts, raw: Any, *, by_assistant: bool, label: str = "services"
) -> tuple[Service, ...]:
    if label == "services" and (not isinstance(raw, list) or not raw):
        raise CommandError(
            'services must be a non-empty list, e.g. [{"code": "97110", "minutes": 30}]'
        )
    if not isinstance(raw, list) or len(raw) > MAX_SERVICES:
        raise CommandError(f"{label} must be a list of at most {MAX_SERVICES} services")
    found = []
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise CommandError(f'each of {label} needs a "code"')
        code = item["code"].strip().upper()
        facts = ref.codes.get(code)
        if facts is None:
            raise CommandError(f"unknown code {code}: it is not in the code table")
        if facts.timed and item.get("minutes") is None:
            raise CommandError(f"{code} is timed: give its minutes")
        minutes = _whole(item.get("minutes"), f"{code} minutes")
        pta = _whole(item.get("pta_minutes"), f"{code} pta_minutes")
        if pta > minutes:
            raise CommandError(f"{code}: pta_minutes ({pta}) exceed its minutes ({minutes})")
        found.append(
            Service(
                code=code,
                minutes=minutes,
                pta_minutes=minutes if by_assistant else pta,
                by_assistant=by_assistant,
            )
        )
    return tuple(found)


def _strings(document: dict[str, Any], name: str, *, upper: bool = False) -> list[str]:
    value = document.get(name, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise CommandError(f"{name} must be a list of strings")
    return [v.strip().upper() if upper else v for v in value]


def _text(document: dict[str, Any], name: str) -> str:
    value = document.get(name, "")
    if not isinstance(value, str):
        raise CommandError(f"{name} must be a string")
    return value


def _money(document: dict[str, Any], name: str) -> Decimal:
    value = document.get(name, "0")
    try:
        amount = Decimal(str(value)) if isinstance(value, str | int | float) else None
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite() or amount < 0:
        raise CommandError(f'{name} must be an amount such as "1234.56"')
    return amount


def _plan(raw: Any, day: dt.date) -> rules.PlanOfCare | None:
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise CommandError("plan_of_care must be an object or null")
    start = _date(raw, "start", required=True)
    through = _date(raw, "through", required=True)
    assert start is not None and through is not None
    status = raw.get("status", "active")
    if status not in ("active", "on_hold", "discharged"):
        raise CommandError('plan_of_care.status must be "active", "on_hold" or "discharged"')
    return rules.PlanOfCare(
        start_date=start,
        first_visit_date=start,
        certified_on=_date(raw, "certified_on"),
        cert_through=through,
        status=status,
        discharged_on=_date(raw, "discharged_on") or (start if status == "discharged" else None),
    )


def _history(document: dict[str, Any], day: dt.date) -> tuple[rules.EarlierVisit, ...]:
    """Earlier treatment days since the last progress report, as the scrubber counts them: the
    report, then one visit a day up to this date of service (§6.3). Absent: no history."""
    if document.get("treatment_days_since_progress_report") is None:
        return ()
    days = _whole(document["treatment_days_since_progress_report"], "treatment days")
    report = rules.EarlierVisit(day - dt.timedelta(days=days + 1), was_progress_report=True)
    return (report, *(rules.EarlierVisit(day - dt.timedelta(days=n + 1)) for n in range(days)))


def _overrides(raw: Any) -> dict[str, Override]:
    if not isinstance(raw, list):
        raise CommandError("overrides must be a list")
    found: dict[str, Override] = {}
    for item in raw:
        if not isinstance(item, dict) or not isinstance(item.get("code"), str):
            raise CommandError('each override needs a "code" (or "97110-CQ" for its CQ line)')
        units = item.get("units")
        if units is not None and (
            isinstance(units, bool) or not isinstance(units, int) or not 0 <= units <= 99
        ):
            raise CommandError("override units must be a whole number from 0 to 99")
        modifiers = item.get("modifiers")
        if modifiers is not None and (
            not isinstance(modifiers, list) or not all(isinstance(m, str) for m in modifiers)
        ):
            raise CommandError("override modifiers must be a list of strings")
        reason = item.get("reason", "")
        if not isinstance(reason, str) or not reason.strip():
            raise CommandError("each override needs a reason")
        key = item["code"].strip().upper()
        found[key] = Override(
            key=key,
            units=units,
            modifiers=tuple(m.upper() for m in modifiers) if modifiers is not None else None,
            reason=reason.strip(),
        )
    return found
