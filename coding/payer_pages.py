"""The payer page's words: each payer's rules in force on a day, and the dated history of its
rules, as a person would say them (docs/billing-rules.md §2, §4, §6.10, §10.10). No field or file
names: the page shows these sentences, the admin edits the rows behind them."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import BooleanField, Exists, ExpressionWrapper, OuterRef, Q

from coding.models import FeeScheduleEntry, Payer, PayerRule, UnitMethod
from coding.sources import source_plain


def _every(n: int, unit: str) -> str:
    return f"every {unit}" if n == 1 else f"every {n} {unit}s"


def rule_sentences(rule: PayerRule) -> list[str]:
    """The rules of one dated row, in plain words, in the order a biller reads them."""
    said = []
    if rule.unit_method == UnitMethod.CMS:
        said.append("Units: CMS 8-minute rule, all timed minutes of the day pooled")
    else:
        said.append("Units: AMA per-code method, each timed code counted on its own minutes")
    if rule.daily_timed_unit_cap is not None:
        said.append(f"At most {rule.daily_timed_unit_cap} timed units a day")
    if rule.timely_filing_days is not None:
        said.append(
            f"Claims must reach the payer within {rule.timely_filing_days} days of the visit"
        )
    else:
        said.append("No filing deadline on file")
    if rule.requires_plan_of_care:
        said.append("A plan of care is required")
    else:
        said.append("No plan of care is required for billing")
    if rule.certification_days is not None:
        said.append(
            "The plan of care must be certified by a physician or NPP, for at most "
            f"{rule.certification_days} days at a time"
        )
    reports = []
    if rule.progress_report_visits is not None:
        reports.append(_every(rule.progress_report_visits, "treatment day"))
    if rule.progress_report_days is not None:
        reports.append(_every(rule.progress_report_days, "calendar day"))
    if reports:
        said.append("A progress report at least " + " and ".join(reports))
    if rule.requires_referral:
        said.append("A referral is required")
    if rule.requires_authorization:
        said.append("Prior authorization required")
    if rule.visit_limit_per_year is not None:
        said.append(f"{rule.visit_limit_per_year} visits a year")
    if rule.kx_applies:
        said.append("The yearly KX threshold applies")
    if rule.applies_mppr:
        said.append(
            "More than one therapy unit a day: every unit after the first pays half its "
            "practice-expense share"
        )
    if rule.applies_cq_reduction:
        said.append("Services a PT assistant furnished are paid at 85%")
    return said


@dataclass
class RuleChange:
    """One dated row of a payer's rules: what it changed from the row before."""

    effective: dt.date
    upcoming: bool
    changes: list[str]
    removed: list[str]
    notes: str
    source: str


@dataclass
class PayerRules:
    payer: Payer
    in_force: list[str]
    since: dt.date | None
    notes: str
    source: str
    history: list[RuleChange] = field(default_factory=list)

    @property
    def is_demo(self) -> bool:
        return bool(getattr(self.payer, "is_demo_plan", False))

    @property
    def has_demo_fees(self) -> bool:
        return bool(getattr(self.payer, "has_demo_fees", False))


def payers_with_rules(day: dt.date, clinic: Any = None) -> list[PayerRules]:
    """Every payer the clinic bills (the shared ones and its own; real ones first) with the
    rules in force on ``day`` and every dated row of its rules, oldest first (two queries)."""
    payers = (
        Payer.objects.for_clinic(clinic)
        .annotate(
            is_demo_plan=ExpressionWrapper(
                Q(name__istartswith="demo ") | Q(notes__istartswith="demo plan"),
                output_field=BooleanField(),
            ),
            has_demo_fees=Exists(
                FeeScheduleEntry.objects.filter(payer=OuterRef("pk"), is_demo=True)
            ),
        )
        .order_by("is_demo_plan", "name")
    )
    dated: dict[int, list[PayerRule]] = defaultdict(list)
    for rule in PayerRule.objects.order_by("payer_id", "effective"):
        dated[rule.payer_id].append(rule)
    found = []
    for payer in payers:
        rules = dated[payer.pk]
        current = [r for r in rules if r.effective <= day]
        shown = current[-1] if current else None
        history = []
        before: list[str] = []
        for rule in rules:
            now = rule_sentences(rule)
            history.append(
                RuleChange(
                    effective=rule.effective,
                    upcoming=rule.effective > day,
                    changes=[s for s in now if s not in before],
                    removed=[s for s in before if s not in now],
                    notes=rule.notes,
                    source=source_plain(rule.source),
                )
            )
            before = now
        found.append(
            PayerRules(
                payer=payer,
                in_force=rule_sentences(shown) if shown else [],
                since=shown.effective if shown else None,
                notes=shown.notes if shown else "",
                source=source_plain(shown.source) if shown else "",
                history=history,
            )
        )
    return found
