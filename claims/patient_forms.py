"""Forms for patients and plans of care: they check the input; `patient_services` writes it."""

from __future__ import annotations

from typing import Any

from django import forms
from django.urls import reverse
from django.utils import timezone

from claims.models import MAX_DIAGNOSES, Patient, PlanOfCare
from claims.patient_services import diagnosis_titles
from coding.models import Payer
from coding.services import diagnoses_check
from ptclinic.models import Clinic

DX_FIELDS = [f"dx_{i}" for i in range(1, MAX_DIAGNOSES + 1)]
DX_ALWAYS_SHOWN = 6  # the rest sit behind "More diagnoses" unless filled


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = Patient
        fields = ["first_name", "last_name", "date_of_birth", "mrn", "primary_payer", "member_id"]
        widgets = {"date_of_birth": DateInput()}

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        payer = self.fields["primary_payer"]
        payer.queryset = Payer.objects.order_by("name")  # type: ignore[attr-defined]
        payer.empty_label = "Choose a payer"  # type: ignore[attr-defined]
        self.fields["member_id"].help_text = "As printed on the insurance card."

    def clean_mrn(self) -> str:
        # The database constraint is per clinic, which this form does not show; check it here so
        # the error lands on the field instead of the top of the form.
        mrn: str = self.cleaned_data["mrn"]
        clash = (
            Patient.objects.for_clinic(self.clinic)
            .filter(mrn__iexact=mrn)
            .exclude(pk=self.instance.pk)
            .first()
        )
        if clash is not None:
            raise forms.ValidationError(
                f"MRN {mrn} is already used in this clinic by {clash.full_name}. "
                "Each patient needs their own MRN."
            )
        return mrn

    def patient_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class PlanForm(forms.ModelForm):  # type: ignore[type-arg]
    class Meta:
        model = PlanOfCare
        fields = [
            "start_date",
            "cert_through",
            "certified_by_name",
            "certified_by_npi",
            "certified_on",
            "frequency",
            "goals",
            "status",
            "discharged_on",
        ]
        widgets = {
            "start_date": DateInput(),
            "cert_through": DateInput(),
            "certified_on": DateInput(),
            "discharged_on": DateInput(),
            "goals": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "certified_on": "The date the physician/NPP signed. Leave empty until signed.",
            "cert_through": "At most 90 calendar days counting the start date.",
            "discharged_on": "With status Discharged: the date of the discharge note. The plan "
            "covers no visit after it; a new episode needs a new evaluation and plan.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        options_url = reverse("dx-options")
        current = list(self.instance.diagnoses or [])
        titles = diagnosis_titles(current) if current and not self.is_bound else {}
        for i, name in enumerate(DX_FIELDS, start=1):
            code = current[i - 1] if i <= len(current) else ""
            self.fields[name] = forms.CharField(
                label=f"Diagnosis {i}" + (" (primary)" if i == 1 else ""),
                required=False,
                max_length=10,
                initial=code,
                help_text=titles.get(code, ""),
                widget=forms.TextInput(
                    attrs={
                        "class": "code-mono text-uppercase",
                        "list": f"dx-options-{i}",
                        "autocomplete": "off",
                        "spellcheck": "false",
                        "placeholder": "e.g. M54.50 or low back pain" if i == 1 else "",
                        "hx-get": options_url,
                        "hx-trigger": "input changed delay:250ms",
                        "hx-target": f"#dx-options-{i}",
                        "hx-sync": "this:replace",
                    }
                ),
            )

    @property
    def dx_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DX_FIELDS[:DX_ALWAYS_SHOWN]]

    @property
    def more_dx_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in DX_FIELDS[DX_ALWAYS_SHOWN:]]

    @property
    def more_dx_filled(self) -> bool:
        return any(f.value() or f.errors for f in self.more_dx_fields)

    def clean_certified_on(self) -> Any:
        signed = self.cleaned_data.get("certified_on")
        if signed and signed > timezone.localdate():
            raise forms.ValidationError("The signature date is in the future.")
        return signed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        typed = [(name, (cleaned.get(name) or "").strip()) for name in DX_FIELDS]
        typed = [(name, code) for name, code in typed if code]
        if not typed and "dx_1" not in self.errors:
            self.add_error("dx_1", "A plan of care needs at least one diagnosis.")
        canonical, problems = diagnoses_check([code for _, code in typed])
        seen: set[str] = set()
        for position, ((name, _), code) in enumerate(zip(typed, canonical, strict=True)):
            if position in problems:
                self.add_error(name, problems[position])
            elif code in seen:
                self.add_error(name, f"{code} is already listed.")
            seen.add(code)
        cleaned["diagnoses"] = canonical
        return cleaned

    def plan_data(self) -> dict[str, Any]:
        data = {name: self.cleaned_data[name] for name in self.Meta.fields}
        data["diagnoses"] = self.cleaned_data["diagnoses"]
        return data
