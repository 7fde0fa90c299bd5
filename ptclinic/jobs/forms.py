"""The jobs list's filters."""

from __future__ import annotations

from typing import Any

from django import forms

from ptclinic.jobs.registry import kinds
from ptclinic.models import JobStatus


class JobFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="Status",
        required=False,
        choices=[("", "Any status"), *JobStatus.choices],
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )
    kind = forms.ChoiceField(
        label="What",
        required=False,
        widget=forms.Select(attrs={"class": "form-select form-select-sm"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The kinds a person starts: a chunk is part of its parent's job, not in the list.
        kind_field = self.fields["kind"]
        assert isinstance(kind_field, forms.ChoiceField)
        kind_field.choices = [
            ("", "Everything"),
            *((k.name, k.label) for k in kinds() if not k.chunk),
        ]

    def filters(self) -> dict[str, str]:
        """The chosen filters as queryset lookups; a value that is not a choice filters nothing
        (the form shows why)."""
        if not self.is_valid():
            return {
                name: value
                for name in ("status", "kind")
                if name not in self.errors and (value := self.data.get(name))
            }
        return {name: value for name, value in self.cleaned_data.items() if value}

    @property
    def is_filtered(self) -> bool:
        return bool(self.filters())
