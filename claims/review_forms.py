"""Forms of the claim page: what a reviewer may send about one claim.

Every form carries the claim's `version` as the page showed it, so that a decision made on a
stale page is refused (`claims.services.ClaimConflict`) instead of overwriting someone's work.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms

MODIFIER = re.compile(r"^[A-Z0-9]{2}$")
MAX_MODIFIERS = 4  # a claim line has room for four modifiers


class VersionedForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"].error_messages["required"] = (
            "The page was missing the claim's version: reload it and try again."
        )


class ApproveForm(VersionedForm):
    override_reason = forms.CharField(
        label="Approve anyway — reason",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Required while errors are open: why the claim can go out as it is.",
    )


class ReturnForm(VersionedForm):
    comment = forms.CharField(
        label="What should the therapist fix?",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class FlagSettleForm(VersionedForm):
    ACTIONS = (("resolve", "Resolve"), ("waive", "Waive"))

    note = forms.CharField(
        label="Note",
        max_length=1000,
        help_text="Resolve: what was fixed. Waive: why the claim may go out with it.",
    )
    action = forms.ChoiceField(choices=ACTIONS)

    @property
    def waive(self) -> bool:
        action: str = self.cleaned_data["action"]
        return action == "waive"


class LineEditForm(VersionedForm):
    units = forms.IntegerField(min_value=0, max_value=99)
    modifiers = forms.CharField(
        required=False, max_length=20, help_text="Space-separated, e.g. GP CQ"
    )
    reason = forms.CharField(
        label="Reason for the change", max_length=500, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean_modifiers(self) -> tuple[str, ...]:
        tokens = self.cleaned_data["modifiers"].upper().replace(",", " ").split()
        bad = [t for t in tokens if not MODIFIER.match(t)]
        if bad:
            raise forms.ValidationError(
                f"“{bad[0]}” is not a modifier: two letters or digits, e.g. GP."
            )
        if len(set(tokens)) != len(tokens):
            raise forms.ValidationError("Each modifier once.")
        if len(tokens) > MAX_MODIFIERS:
            raise forms.ValidationError(f"At most {MAX_MODIFIERS} modifiers on a line.")
        return tuple(tokens)
