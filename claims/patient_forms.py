"""Forms for patients, plans of care, authorizations and the therapy amount used elsewhere: they
check the input; `patient_services` writes it."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.urls import reverse
from django.utils import timezone

from claims.models import MAX_DIAGNOSES, Authorization, Patient, PlanOfCare, TherapyAmountUsed
from claims.patient_services import PATIENT_BILLING_FIELDS, diagnosis_titles
from coding.models import BillingCode, Payer
from coding.services import diagnoses_check
from ptclinic.models import Clinic

DX_FIELDS = [f"dx_{i}" for i in range(1, MAX_DIAGNOSES + 1)]
DX_ALWAYS_SHOWN = 6  # the rest sit behind "More diagnoses" unless filled


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class PatientForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "mrn",
            "primary_payer",
            "member_id",
            *PATIENT_BILLING_FIELDS,
        ]
        widgets = {"date_of_birth": DateInput(), "subscriber_date_of_birth": DateInput()}

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.clinic = clinic
        self.fields["date_of_birth"].widget.attrs["max"] = timezone.localdate().isoformat()
        payer = cast("forms.ModelChoiceField[Payer]", self.fields["primary_payer"])  # a ForeignKey
        payer.queryset = Payer.objects.for_clinic(clinic).order_by("name")
        payer.empty_label = "Choose a payer"
        self.fields["member_id"].help_text = "As printed on the insurance card."
        self.fields["relationship"].required = False  # empty: the patient is the insured
        secondary = cast("forms.ModelChoiceField[Payer]", self.fields["secondary_payer"])
        secondary.queryset = Payer.objects.for_clinic(clinic).order_by("name")
        self.fields["state"].widget.attrs.update(maxlength="2", autocapitalize="characters")
        self.fields["zip_code"].widget.attrs["inputmode"] = "numeric"
        self.fields["phone"].widget.attrs["inputmode"] = "tel"

    def clean_state(self) -> str:
        return str(self.cleaned_data["state"]).upper()

    def clean_relationship(self) -> str:
        return str(self.cleaned_data.get("relationship") or "18")

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("relationship", "18") == "18":
            for name in ("subscriber_first_name", "subscriber_last_name"):
                data[name] = ""
            data["subscriber_date_of_birth"] = None
            data["subscriber_sex"] = ""
        return data

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


class PlanForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
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
            "cert_through": "As long as the patient's payer allows (Medicare: at most 90 calendar "
            "days counting the start date).",
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
        cleaned = super().clean() or {}
        typed = [(name, (cleaned.get(name) or "").strip()) for name in DX_FIELDS]
        typed = [(name, code) for name, code in typed if code]
        if not typed and "dx_1" not in self.errors:
            self.add_error("dx_1", "A plan of care needs at least one diagnosis.")
        # Valid on the plan's first day (§10.6): the set in force then judges its diagnoses.
        canonical, problems = diagnoses_check(
            [code for _, code in typed], day=cleaned.get("start_date") or timezone.localdate()
        )
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


class AuthorizationForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    class Meta:
        model = Authorization
        fields = ["payer", "number", "start_date", "end_date", "visits", "notes"]
        widgets = {
            "start_date": DateInput(),
            "end_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 2}),
        }
        help_texts = {
            "number": "As the payer gave it.",
            "visits": "Empty: the authorization does not limit visits.",
        }

    def __init__(self, *args: Any, clinic: Clinic, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        payer = cast("forms.ModelChoiceField[Payer]", self.fields["payer"])  # a ForeignKey
        payer.queryset = Payer.objects.for_clinic(clinic).order_by("name")
        payer.empty_label = "Choose a payer"
        cast(forms.IntegerField, self.fields["visits"]).min_value = 1
        self.fields["visits"].widget.attrs["min"] = 1

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "The authorization ends before it starts.")
        return cleaned

    def clean_visits(self) -> int | None:
        visits = self.cleaned_data.get("visits")
        if visits is not None and visits < 1:
            raise forms.ValidationError("Give at least 1 visit, or leave it empty.")
        return visits

    def authorization_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class AuthorizedUnitsRow(forms.Form):
    """One code the authorization limits, and its units in all (both empty: no row)."""

    code = forms.CharField(
        required=False,
        max_length=5,
        widget=forms.TextInput(attrs={"class": "code-mono text-uppercase", "list": "code-options"}),
    )
    units = forms.IntegerField(required=False, min_value=1, max_value=9999)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        code = (cleaned.get("code") or "").strip().upper()
        cleaned["code"] = code
        if code and cleaned.get("units") is None and "units" not in self.errors:
            self.add_error("units", "Give the units authorized for this code.")
        if not code and cleaned.get("units") is not None:
            self.add_error("code", "Which code are these units for?")
        if code and not BillingCode.objects.filter(code=code).exists():
            self.add_error("code", f"{code} is not a billing code in the code table.")
        return cleaned


class BaseUnitsFormSet(forms.BaseFormSet):  # type: ignore[type-arg]  # not subscriptable at run time
    def clean(self) -> None:
        if any(self.errors):
            return
        seen: set[str] = set()
        for form in self.forms:
            code = form.cleaned_data.get("code")
            if code in seen:
                form.add_error("code", f"{code} is listed twice.")
            if code:
                seen.add(code)

    def units(self) -> list[tuple[str, int]]:
        return [
            (form.cleaned_data["code"], form.cleaned_data["units"])
            for form in self.forms
            if form.cleaned_data.get("code")
        ]


UnitsFormSet = forms.formset_factory(
    AuthorizedUnitsRow, formset=BaseUnitsFormSet, extra=3, max_num=20, validate_max=True
)


class TherapyUsedForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    class Meta:
        model = TherapyAmountUsed
        fields = ["year", "amount", "as_of", "source"]
        widgets = {"as_of": DateInput()}
        labels = {"amount": "Amount used elsewhere ($)", "as_of": "Date of the eligibility reply"}
        help_texts = {
            "amount": "The PT and speech therapy allowed amount other providers billed this "
            "year, as the Medicare eligibility reply gives it: it counts toward the KX "
            "threshold.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(forms.DecimalField, self.fields["amount"]).min_value = 0
        self.fields["amount"].widget.attrs["min"] = 0
        self.fields["year"].widget.attrs.update({"min": 2000, "max": 2100})
        self.fields["as_of"].widget.attrs["max"] = timezone.localdate().isoformat()

    def clean_year(self) -> int:
        year: int = self.cleaned_data["year"]
        if not 2000 <= year <= 2100:
            raise forms.ValidationError("Give a year between 2000 and 2100.")
        return year

    def clean_amount(self) -> Any:
        amount = self.cleaned_data["amount"]
        if amount is not None and amount < 0:
            raise forms.ValidationError("The amount cannot be negative.")
        return amount

    def clean_as_of(self) -> Any:
        as_of = self.cleaned_data["as_of"]
        if as_of and as_of > timezone.localdate():
            raise forms.ValidationError("The reply date is in the future.")
        return as_of

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        year, as_of = cleaned.get("year"), cleaned.get("as_of")
        if year and as_of and as_of.year < year:
            self.add_error("as_of", f"A reply dated before {year} cannot give {year}'s amount.")
        return cleaned

    def validate_unique(self) -> None:
        # One per patient and year: the service replaces the year's figure.
        pass

    def therapy_used_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
