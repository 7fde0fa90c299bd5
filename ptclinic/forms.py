from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator

from ptclinic.lockout import username_locked
from ptclinic.models import Clinic
from ptclinic.validators import validate_npi


class LoginForm(AuthenticationForm):
    """Django's login form with the username's length checked.

    AuthenticationForm sets the username's max_length after building the field, so the length is
    never validated: a 30,000-character username reached authenticate(), and django-axes' record of
    the failed login (a 255-character column) was a 500 on PostgreSQL."""

    error_messages = {
        **AuthenticationForm.error_messages,
        "username_locked": (
            "Too many failed log-ins for this username from several places: it is locked for "
            "a while. Try again later, or ask your clinic's administrator."
        ),
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        username = self.fields["username"]
        username.validators.append(MaxLengthValidator(username.max_length))  # type: ignore[attr-defined]  # a CharField: Field declares no max_length

    def clean(self) -> dict[str, Any]:
        # Before the password is checked: a locked username is refused even with the right one.
        if username_locked(self.cleaned_data.get("username") or ""):
            raise ValidationError(self.error_messages["username_locked"], code="username_locked")
        return super().clean()


class ClinicSettingsForm(forms.Form):
    """The clinic's billing settings: its name and group NPI, the Medicare payment locality
    whose GPCIs price its Medicare claims, and the conversion factor it is paid with
    (billing-rules §8, §10.13)."""

    name = forms.CharField(max_length=200)
    npi = forms.CharField(
        label="Group NPI", max_length=10, required=False, validators=[validate_npi]
    )
    locality = forms.ChoiceField(
        label="Medicare payment locality",
        required=False,
        help_text="Where the clinic bills Medicare (state and locality). Its amounts come from "
        "this locality's cost indices; without one, national amounts are used.",
    )
    qualifying_apm = forms.BooleanField(
        label="The clinic is a qualifying APM participant",
        required=False,
        help_text="Paid with the higher conversion factor for qualifying participants in an "
        "alternative payment model.",
    )

    def __init__(self, *args: Any, localities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["locality"].choices = [("", "None: national amounts"), *localities]  # type: ignore[attr-defined]  # a ChoiceField: Field declares no choices


class ClinicBillingForm(forms.ModelForm):  # type: ignore[type-arg]  # not subscriptable at run time
    """The clinic as billing provider and its clearinghouse set-up (billing-rules §11.1)."""

    class Meta:
        model = Clinic
        fields = [
            "legal_name",
            "tax_id",
            "taxonomy",
            "address_line1",
            "address_line2",
            "city",
            "state",
            "zip_code",
            "phone",
            "place_of_service",
            "pay_to_line1",
            "pay_to_city",
            "pay_to_state",
            "pay_to_zip_code",
            "submitter_id",
            "submitter_contact",
            "submitter_phone",
            "receiver_id",
            "receiver_name",
            "x12_production",
        ]

    def clean_state(self) -> str:
        return str(self.cleaned_data["state"]).upper()

    def clean_pay_to_state(self) -> str:
        return str(self.cleaned_data["pay_to_state"]).upper()


class ChargeForm(forms.Form):
    code = forms.CharField(max_length=5, label="Code")
    effective = forms.DateField(label="From", widget=forms.DateInput(attrs={"type": "date"}))
    charge = forms.DecimalField(
        label="Charge per unit ($)", min_value=0.01, max_digits=9, decimal_places=2
    )
