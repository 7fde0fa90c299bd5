"""`manage.py units`: the units engine from the command line (billing-rules §1, §2)."""

import json
import re
from dataclasses import asdict
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coding.models import BillingCode, FeeScheduleEntry, Payer
from coding.units import Method, ServiceInput, UnitsRequest, UnitsResult, compute_units

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
            "--payer", help="Payer name: its unit method (unless --method), daily cap and fees."
        )
        parser.add_argument("--json", action="store_true", help="One JSON object on stdout.")

    def handle(self, *args: Any, **options: Any) -> None:
        payer = self._payer(options["payer"])
        method = Method(options["method"] or (payer.unit_method if payer else "cms"))
        services = self._services(options["services"], payer)
        try:
            result = compute_units(
                UnitsRequest(
                    services=services,
                    method=method,
                    daily_timed_unit_cap=payer.daily_timed_unit_cap if payer else None,
                )
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["json"]:
            self.stdout.write(json.dumps(as_json(result)))
        else:
            self._print(result, payer)

    def _payer(self, name: str | None) -> Payer | None:
        if name is None:
            return None
        payer = Payer.objects.filter(name__iexact=name).first()
        if payer is None:
            known = ", ".join(Payer.objects.values_list("name", flat=True))
            raise CommandError(f"Unknown payer {name!r}; known payers: {known}")
        return payer

    def _services(self, raw: list[str], payer: Payer | None) -> tuple[ServiceInput, ...]:
        parsed: list[tuple[str, str | None]] = []
        for item in raw:
            match = ARG.match(item)
            if match is None:
                raise CommandError(f"{item!r} is not CODE or CODE:MINUTES (e.g. 97110:23)")
            parsed.append((match["code"].upper(), match["minutes"]))
        codes = {c.code: c for c in BillingCode.objects.filter(code__in=[c for c, _ in parsed])}
        fees = {}
        if payer is not None:
            fees = dict(
                FeeScheduleEntry.objects.filter(payer=payer, billing_code__in=codes)
                .order_by("year")
                .values_list("billing_code_id", "allowed_amount")
            )
        services = []
        for code, minutes_text in parsed:
            facts = codes.get(code)
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
            services.append(
                ServiceInput(
                    code=code,
                    minutes=minutes,
                    timed=facts.timed,
                    always_therapy=facts.always_therapy,
                    fee=fees.get(code),
                )
            )
        return tuple(services)

    def _print(self, result: UnitsResult, payer: Payer | None) -> None:
        method = "CMS 8-minute rule" if result.method == Method.CMS else "AMA per-code method"
        self.stdout.write(f"Method: {method}" + (f" (payer: {payer.name})" if payer else ""))
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
            self.stdout.write(f"Warning: {warning.message} ({warning.rule})")
        self.stdout.write("")
        self.stdout.write("How:")
        for number, step in enumerate(result.explanation, start=1):
            self.stdout.write(f"  {number}. {step.text} ({step.rule})")


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
