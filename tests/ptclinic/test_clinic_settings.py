"""The clinic's billing settings: an owner picks the Medicare locality (and the APM conversion
factor) that price the clinic's Medicare claims (docs/billing-rules.md §8, §10.13)."""

from decimal import Decimal
from typing import Any

from django.urls import reverse

from claims.facts import ReferenceFacts
from coding.models import Payer, PayerKind
from ptclinic.models import Clinic

URL = reverse("clinic-settings")


def _post(client: Any, clinic: Clinic, **fields: Any) -> Any:
    data = {"name": clinic.name, "npi": "", "locality": "", **fields}
    return client.post(URL, data)


def test_an_owner_sets_the_medicare_locality_and_sees_its_amounts(
    client_for: Any, owner: Any, clinic: Clinic, reference: None
) -> None:
    client = client_for(owner)
    page = client.get(URL).content.decode()
    assert "CA · San Francisco-Oakland-Berkeley" in page  # localities are picked by state and name
    assert "national: the clinic has no Medicare locality set" in page
    response = _post(client, clinic, locality="01112-05")
    assert response.status_code == 302
    clinic.refresh_from_db()
    assert (clinic.medicare_mac, clinic.medicare_locality) == ("01112", "05")
    page = client.get(URL).content.decode()
    assert "locality 01112-05" in page
    # The amounts on the page are the ones claims are priced with.
    medicare = Payer.objects.get(kind=PayerKind.MEDICARE)
    from django.utils import timezone

    price = ReferenceFacts.current().prices(
        medicare.pk, timezone.localdate(), ["97110"], clinic_id=clinic.pk
    )["97110"]
    assert price.fee is not None and price.fee > Decimal("29.06")  # SF costs more than national
    assert f"${price.fee}" in page


def test_the_qualifying_apm_choice_changes_the_conversion_factor(
    client_for: Any, owner: Any, clinic: Clinic, reference: None
) -> None:
    client = client_for(owner)
    _post(client, clinic, qualifying_apm="on")
    clinic.refresh_from_db()
    assert clinic.qualifying_apm
    assert "33.5675" in client.get(URL).content.decode()


def test_a_bad_npi_is_explained_and_nothing_is_saved(
    client_for: Any, owner: Any, clinic: Clinic, reference: None
) -> None:
    response = _post(client_for(owner), clinic, npi="123", locality="01112-05")
    assert response.status_code == 200
    assert "Nothing was saved" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.medicare_mac == ""


def test_a_locality_not_in_the_list_is_refused(
    client_for: Any, owner: Any, clinic: Clinic, reference: None
) -> None:
    response = _post(client_for(owner), clinic, locality="99999-99")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    clinic.refresh_from_db()
    assert clinic.medicare_mac == ""


def test_therapists_cannot_change_the_clinic_settings(
    client_for: Any, pt: Any, clinic: Clinic, reference: None
) -> None:
    client = client_for(pt)
    assert client.get(URL).status_code == 403
    assert _post(client, clinic, locality="01112-05").status_code == 403
    clinic.refresh_from_db()
    assert clinic.medicare_mac == ""


def test_the_code_page_shows_the_locality_amount_with_its_inputs(
    client_for: Any, owner: Any, clinic: Clinic, reference: None
) -> None:
    clinic.medicare_mac, clinic.medicare_locality = "01112", "05"
    clinic.save()
    page = client_for(owner).get(reverse("code-detail", args=["97110"])).content.decode()
    assert "locality 01112-05" in page
    assert "(0.45 × " in page  # the formula with the RVUs and GPCIs
    assert "33.4009" in page
