"""The clinic's charge master and the claim-data findings on stored claims
(docs/billing-rules.md §11.1, §11.2): charges by date of service, and flags that go when the
record is filled in."""

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest

from claims.models import ClaimFlag, ClaimLine
from claims.scrubber import Severity
from claims.services import claim_rescrub
from coding.models import ChargeMasterEntry
from ptclinic.models import Membership
from tests.claims.test_review import TODAY
from tests.claims.test_review import make_claim as make_stored_claim
from tests.conftest import make_clinic, make_member, make_patient


def open_flags(claim: Any, prefix: str) -> dict[str, str]:
    """The claim's open flags of rules starting with ``prefix``: line code → rule id."""
    return dict(
        ClaimFlag.objects.filter(claim=claim, rule_id__startswith=prefix, status="open")
        .values_list("line_code", "rule_id")
        .order_by("line_code")
    )


def charge(clinic: Any, code: str, effective: dt.date, amount: str) -> None:
    ChargeMasterEntry.objects.create(
        clinic=clinic, billing_code_id=code, effective=effective, charge=Decimal(amount)
    )


@pytest.mark.usefixtures("reference")
def test_a_code_without_a_charge_on_the_date_of_service_is_an_error() -> None:
    clinic = make_clinic(charges=False)
    therapist = make_member(clinic, credential="PT")
    day = TODAY - dt.timedelta(days=1)  # make_claim's date of service
    charge(clinic, "97110", day + dt.timedelta(days=1), "120.00")  # from a later date only
    charge(clinic, "97112", day, "130.00")  # in force from the visit's own date
    claim = make_stored_claim(clinic, therapist, rows=(("97110", 30), ("97112", 15)))

    assert open_flags(claim, "charge-") == {"97110": "charge-missing"}
    assert claim.open_errors >= 1
    (flag,) = ClaimFlag.objects.filter(claim=claim, rule_id="charge-missing")
    assert flag.severity == Severity.ERROR
    assert day.isoformat() in flag.message
    lines = dict(ClaimLine.objects.filter(claim=claim).values_list("billing_code", "charge"))
    assert lines == {"97110": None, "97112": Decimal("130.00")}


@pytest.mark.usefixtures("reference")
def test_a_lines_charge_is_its_units_times_the_latest_charge_in_force() -> None:
    clinic = make_clinic(charges=False)
    therapist = make_member(clinic, credential="PT")
    day = TODAY - dt.timedelta(days=1)
    charge(clinic, "97110", dt.date(2000, 1, 1), "100.00")
    charge(clinic, "97110", day - dt.timedelta(days=10), "120.00")  # the latest in force
    charge(clinic, "97110", day + dt.timedelta(days=1), "500.00")  # not yet in force
    claim = make_stored_claim(clinic, therapist, rows=(("97110", 30),))  # 2 units

    (line,) = ClaimLine.objects.filter(claim=claim)
    assert line.units == 2
    assert line.charge == Decimal("240.00")
    assert claim.total_charge == Decimal("240.00")
    assert open_flags(claim, "charge-") == {}


@pytest.mark.usefixtures("reference")
def test_a_self_pay_patient_without_an_address_gets_no_claim_data_flag() -> None:
    clinic = make_clinic()
    therapist = make_member(clinic, credential="PT")
    patient = make_patient(clinic, "Self-pay", address_line1="", city="", member_id="")
    claim = make_stored_claim(clinic, therapist, patient)
    assert open_flags(claim, "claim-data") == {}
    insured = make_patient(clinic, "Demo Commercial PPO", address_line1="", city="")
    claim = make_stored_claim(clinic, therapist, insured)
    assert open_flags(claim, "claim-data") == {"": "claim-data-missing"}


def data_flags(claim: Any) -> list[str]:
    return list(
        ClaimFlag.objects.filter(claim=claim, rule_id="claim-data-missing", status="open")
        .order_by("pk")
        .values_list("message", flat=True)
    )


@pytest.mark.usefixtures("reference")
def test_an_assistants_claim_is_flagged_until_a_supervising_pt_with_an_npi_is_named(
    clinic: Any, pt: Any
) -> None:
    assistant = make_member(clinic, credential="PTA", first_name="Ava", last_name="Ay")
    (message,) = data_flags(make_stored_claim(clinic, assistant))
    assert "clinician" in message and "supervising PT of Ava Ay" in message

    supervisor = Membership.objects.get(user=pt, clinic=clinic)
    supervisor.npi = ""
    supervisor.save()
    member = Membership.objects.get(user=assistant, clinic=clinic)
    member.supervisor = supervisor
    member.save()
    (message,) = data_flags(make_stored_claim(clinic, assistant))
    assert "NPI of Pat Tee" in message

    supervisor.npi = "1245319599"
    supervisor.save()
    assert data_flags(make_stored_claim(clinic, assistant)) == []


@pytest.mark.usefixtures("reference")
def test_filling_in_the_clinics_zip_plus_four_clears_the_flag_on_rescrub(
    clinic: Any, pt: Any, owner: Any
) -> None:
    clinic.zip_code = "95814"
    clinic.save()
    claim = make_stored_claim(clinic, pt)
    (message,) = data_flags(claim)
    assert "The clinic record" in message and "ZIP+4" in message

    clinic.zip_code = "95814-1234"
    clinic.save()
    claim = claim_rescrub(claim=claim, user=owner, version=claim.version)
    assert data_flags(claim) == []
    assert claim.open_errors == 0
