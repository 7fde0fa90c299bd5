"""Filters of the claim review queue (django-filter)."""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import Exists, OuterRef, QuerySet
from django.http import QueryDict

from claims.models import Claim, ClaimFlag, ClaimQuerySet, ClaimStatus, FlagStatus
from claims.scrubber import RULES
from coding.models import Payer
from ptclinic.models import Clinic, Membership, Role
from ptclinic.widgets import FastSelect

RULE_CHOICES = [(rule.rule_id, rule.title) for rule in RULES.values()]
SEVERITY_CHOICES = [
    ("errors", "Has open errors"),
    ("warnings", "Has open warnings"),
    ("clean", "Clean (no open flags)"),
]
# What the queue shows when the URL names no status: the claims waiting for a decision.
DEFAULT_STATUS = ClaimStatus.NEEDS_REVIEW


class ClaimReviewFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Patient: name or MRN",
        method="filter_patient",
        widget=forms.TextInput(attrs={"type": "search", "maxlength": 60, "autocomplete": "off"}),
    )
    # FastSelect: the same <select> as Django's, without a template per option.
    status = django_filters.ChoiceFilter(
        choices=ClaimStatus.choices, empty_label="Any status", widget=FastSelect
    )
    rule = django_filters.ChoiceFilter(
        label="Open flag",
        choices=RULE_CHOICES,
        empty_label="Any rule",
        method="filter_rule",
        widget=FastSelect,
    )
    severity = django_filters.ChoiceFilter(
        label="Flags",
        choices=SEVERITY_CHOICES,
        empty_label="Any",
        method="filter_severity",
        widget=FastSelect,
    )
    therapist = django_filters.ModelChoiceFilter(
        queryset=Membership.objects.none(), empty_label="Any therapist", widget=FastSelect
    )
    payer = django_filters.ModelChoiceFilter(
        queryset=Payer.objects.order_by("name"), empty_label="Any payer", widget=FastSelect
    )
    date_from = django_filters.DateFilter(
        field_name="date_of_service",
        lookup_expr="gte",
        label="Service from",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    date_to = django_filters.DateFilter(
        field_name="date_of_service",
        lookup_expr="lte",
        label="Service to",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    class Meta:
        model = Claim
        fields = ["q", "status", "rule", "severity", "therapist", "payer", "date_from", "date_to"]

    def __init__(
        self, data: QueryDict | None = None, *args: Any, clinic: Clinic | None, **kwargs: Any
    ) -> None:
        data = data.copy() if data is not None else QueryDict(mutable=True)
        if "status" not in data:
            data["status"] = DEFAULT_STATUS
        super().__init__(data, *args, **kwargs)
        self.clinic = clinic
        self.filters["payer"].queryset = Payer.objects.for_clinic(clinic).order_by("name")
        therapist = self.filters["therapist"]
        therapist.queryset = (
            Membership.objects.filter(clinic=clinic, role=Role.THERAPIST)
            .select_related("user")
            .order_by("user__last_name", "user__first_name", "pk")
        )
        fields = self.form.fields
        fields["therapist"].label_from_instance = lambda m: m.display_name
        for field in fields.values():
            small = "form-select form-select-sm"
            if not isinstance(field.widget, forms.Select):
                small = "form-control form-control-sm"
            field.widget.attrs.setdefault("class", small)

    @property
    def is_default(self) -> bool:
        """Nothing chosen beyond the default status: the plain "to review" queue."""
        data = self.form.data
        return data.get("status") == DEFAULT_STATUS and not any(
            data.get(name) for name in self.filters if name != "status"
        )

    def filter_patient(self, queryset: ClaimQuerySet, name: str, value: str) -> ClaimQuerySet:
        return queryset.of_patients_matching(self.clinic, value)

    def filter_rule(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        open_flag = ClaimFlag.objects.filter(
            claim=OuterRef("pk"), rule_id=value, status=FlagStatus.OPEN
        )
        return queryset.filter(Exists(open_flag))

    def filter_severity(self, queryset: QuerySet[Claim], name: str, value: str) -> QuerySet[Claim]:
        if value == "errors":
            return queryset.filter(open_errors__gt=0)
        if value == "warnings":
            return queryset.filter(open_warnings__gt=0)
        if value == "clean":
            return queryset.filter(open_errors=0, open_warnings=0)
        return queryset
