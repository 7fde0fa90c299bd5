"""`manage.py units`: the units of a day's services from the command line (docs/billing-rules.md
§1, §2, §5.3, §10.2), through the same pipeline as the live panel: with `--payer`, the payer's
method, daily cap and fees, and the unit limits (MUE) in force on the date, exactly as the panel
applies them."""

import datetime as dt
import json
import re
from dataclasses import asdict, replace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from claims import scrubber as rules
from claims.facts import PayerFacts, ReferenceFacts, facts_without_patient
from claims.pipeline import DraftRequest, PayerTerms, Service, draft_claim
from coding.units import Method, UnitsResult

ARG = re.compile(r"^(?P<code>[A-Za-z0-9]{5})(?::(?P<minutes>.*))?$")


class Command(BaseCommand):
    help = (
        "Units for one patient's day of services, e.g. `units 97112:24 97110:23` (CMS) or "
        "`units --method ama 97112:24 97110:23`. An untimed code may be given without minutes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("services", nargs="+", metavar="CODE[:MINUTES]")
        parser.add_argument("--method", choices=["cms", "ama"])
        parser.add_argument(
            "--payer",
            help="Payer name: its unit method (unless --method), daily cap, fees; unit limits "
            "apply with or without it.",
        )
        parser.add_argument("--date", help="Date of service, YYYY-MM-DD (default today).")
        parser.add_argument("--json", action="store_true", help="One JSON object on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        ref = ReferenceFacts.current()
        day = self._day(options["date"])
        payer = self._payer(ref, options["payer"], options["method"], day)
        services = self._services(ref, options["services"])
        codes = [s.code for s in services]
        facts = facts_without_patient(
            ref=ref, payer=payer, date_of_service=day, credential="PT", codes=codes
        )
        try:
            draft = draft_claim(
                DraftRequest(
                    facts=facts,
                    services=services,
                    prices=ref.prices(payer.pk, day, codes) if payer.pk else {},
                    terms=payer.terms,
                )
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(as_json(draft.units)))
        else:
            self._print(draft.units, payer.rules.name if payer.pk else None)

    def _day(self, raw: str | None) -> dt.date:
        if raw is None:
            return timezone.localdate()
        try:
            return dt.date.fromisoformat(raw)
        except ValueError:
            raise CommandError(f"--date must be YYYY-MM-DD (got {raw!r})") from None

    def _payer(
        self, ref: ReferenceFacts, name: str | None, method: str | None, day: dt.date
    ) -> PayerFacts:
        if name is None:
            # No payer: the method asked for (CMS by default), no cap, no fees.
            return PayerFacts(
                pk=0,
                rules=rules.Payer("no payer", rules.PayerKind.COMMERCIAL, Method(method or "cms")),
                terms=PayerTerms(applies_mppr=False, applies_cq_reduction=False),
            )
        for pk, payer_name in ref.payer_names.items():
            if payer_name.lower() == name.lower():
                found = ref.payer(pk, day)  # the payer's rules in force on the date
                if method is None:
                    return found
                rules_payer = rules.Payer(**{**asdict(found.rules), "unit_method": Method(method)})
                return replace(found, rules=rules_payer)
        known = ", ".join(sorted(ref.payer_names.values()))
        raise CommandError(f"Unknown payer {name!r}; known payers: {known}")

    def _services(self, ref: ReferenceFacts, raw: list[str]) -> tuple[Service, ...]:
        services = []
        for item in raw:
            match = ARG.match(item)
            if match is None:
                raise CommandError(f"{item!r} is not CODE or CODE:MINUTES (e.g. 97110:23)")
            code, minutes_text = match["code"].upper(), match["minutes"]
            facts = ref.codes.get(code)
            if facts is None:
                raise CommandError(f"Unknown code {code}: it is not in the code table")
            if minutes_text is None:
                if facts.timed:
                    raise CommandError(f"{code} is timed: give its minutes as {code}:MINUTES")
                minutes = 0
            elif not re.fullmatch(r"\d+", minutes_text):
                raise CommandError(
                    f"{code}: minutes must be a whole number from 0 to 1440 (got {minutes_text!r})"
                )
            else:
                minutes = int(minutes_text)
                if minutes > 1440:
                    raise CommandError(f"{code}: {minutes} minutes is more than a day (1440)")
            services.append(Service(code=code, minutes=minutes))
        return tuple(services)

    def _print(self, result: UnitsResult, payer: str | None) -> None:
        method = "CMS 8-minute rule" if result.method == Method.CMS else "AMA per-code method"
        self.stdout.write(f"Method: {method}" + (f" (payer: {payer})" if payer else ""))
        self.stdout.write("")
        self.stdout.write(f"{'code':<7}{'timed':<7}{'minutes':>8}{'units':>7}")
        for line in result.lines:
            timed = "yes" if line.timed else "no"
            self.stdout.write(f"{line.code:<7}{timed:<7}{line.minutes:>8}{line.units:>7}")
        self.stdout.write(
            f"Total timed minutes {result.total_timed_minutes}, total treatment minutes "
            f"{result.total_treatment_minutes}, timed units {result.total_timed_units}."
        )
        for tie in result.ties:
            others = "; ".join(", ".join(alt) for alt in tie.alternatives)
            self.stdout.write(
                f"Tie: {', '.join(tie.codes)} — gave the unit to {', '.join(tie.chosen)}; "
                f"also valid: {others}"
            )
        for warning in result.warnings:
            self.stdout.write(f"Warning: {warning.message}")
        self.stdout.write("")
        self.stdout.write("How:")
        for number, step in enumerate(result.explanation, start=1):
            self.stdout.write(f"  {number}. {step.text}")


def as_json(result: UnitsResult) -> dict[str, Any]:
    return {
        "method": result.method.value,
        "total_timed_minutes": result.total_timed_minutes,
        "total_treatment_minutes": result.total_treatment_minutes,
        "total_timed_units": result.total_timed_units,
        "lines": [
            {
                "code": line.code,
                "minutes": line.minutes,
                "units": line.units,
                "timed": line.timed,
                "pta_minutes": line.pta_minutes,
                "cq_units": line.cq_units,
            }
            for line in result.lines
        ],
        "ties": [
            {
                "codes": list(tie.codes),
                "remainder": tie.remainder,
                "contested_units": tie.contested_units,
                "chosen": list(tie.chosen),
                "alternatives": [list(alt) for alt in tie.alternatives],
            }
            for tie in result.ties
        ],
        "warnings": [{**asdict(w), "kind": w.kind.value} for w in result.warnings],
        "explanation": [asdict(step) for step in result.explanation],
    }
