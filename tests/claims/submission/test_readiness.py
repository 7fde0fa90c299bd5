"""What a claim must carry before it can be sent (docs/billing-rules.md §11.1) and its charges
(§11.2): the records' gaps as `billing_gaps` finds them and as the scrubber reports them, and
the clinic's charge master on the date of service."""

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

import pytest

from claims.scrubber import BillingGap, LineCharge, Severity, scrub
from claims.submission.readiness import (
    ClinicianRecord,
    ClinicRecord,
    PatientRecord,
    PayerRecord,
    PlanRecord,
    billing_gaps,
    electronic_payer_id,
)
from tests.claims.test_scrubber import SELF_PAY
from tests.claims.test_scrubber import make_claim as make_claim_facts

CLINIC = ClinicRecord(
    npi="1234567893",
    tax_id="12-3456789",
    address_line1="100 Main St",
    city="Sacramento",
    state="CA",
    zip_code="95814-1234",
    medicare_mac="01112",
)
PATIENT = PatientRecord(
    sex="F",
    address_line1="12 Oak Ave",
    city="Sacramento",
    state="CA",
    zip_code="95814",
    member_id="1EG4TE5MK72",
)
MEDICARE = PayerRecord("medicare", "01112")
PT = ClinicianRecord(name="Pat Tee", npi="1245319599")
PLAN = PlanRecord(certified_by_name="Dr. Ana Rivera", certified_by_npi="1588667638")
SPOUSE = "01"


def gaps(**records: Any) -> tuple[BillingGap, ...]:
    """The gaps of a complete Medicare claim with ``records`` replaced."""
    fields: dict[str, Any] = {
        "clinic": CLINIC,
        "patient": PATIENT,
        "payer": MEDICARE,
        "clinician": PT,
        "plan": PLAN,
        "plan_required": True,
    }
    fields.update(records)
    return billing_gaps(**fields)


def data_missing(found: tuple[BillingGap, ...]) -> list[Any]:
    """The scrubber's claim-data-missing findings of a clean claim carrying ``found``."""
    result = scrub(make_claim_facts(billing_gaps=found))
    return [f for f in result.findings if f.rule_id == "claim-data-missing"]


@dataclass(frozen=True)
class Gap:
    name: str
    records: dict[str, Any]
    holder: str
    fields: tuple[str, ...]
    where: str

    def __str__(self) -> str:
        return self.name


GAPS = [
    Gap("clinic-npi", {"clinic": replace(CLINIC, npi="")}, "clinic", ("group NPI",), "Clinic page"),
    Gap(
        "clinic-tax-id-and-city-in-one-error",
        {"clinic": replace(CLINIC, tax_id=" ", city="")},
        "clinic",
        ("tax id (EIN)", "city"),
        "Clinic page",
    ),
    Gap(
        "clinic-five-digit-zip",
        {"clinic": replace(CLINIC, zip_code="95814")},
        "clinic",
        ("ZIP+4 (nine digits)",),
        "Clinic page",
    ),
    Gap(
        "patient-address",
        {"patient": replace(PATIENT, address_line1="", zip_code="")},
        "patient",
        ("street address", "ZIP code"),
        "the patient's page (Edit)",
    ),
    Gap(
        "patient-sex-and-member-id",
        {"patient": replace(PATIENT, sex="", member_id="")},
        "patient",
        ("sex", "member ID"),
        "the patient's page (Edit)",
    ),
    Gap(
        "insured-is-the-spouse-unnamed",
        {"patient": replace(PATIENT, relationship=SPOUSE)},
        "patient",
        ("insured's first name", "insured's last name", "insured's date of birth"),
        "the patient's page (Edit)",
    ),
    Gap(
        "commercial-payer-without-id",
        {"payer": PayerRecord("commercial", "")},
        "payer",
        ("payer id",),
        "the payer's record (admin)",
    ),
    Gap(
        "medicare-without-id-or-contractor",
        {"payer": PayerRecord("medicare", ""), "clinic": replace(CLINIC, medicare_mac="")},
        "payer",
        ("payer id",),
        "Medicare contractor",
    ),
    Gap(
        "clinician-npi",
        {"clinician": ClinicianRecord(name="Pat Tee")},
        "clinician",
        ("NPI of Pat Tee",),
        "the clinician's membership (admin)",
    ),
    Gap(
        "assistant-without-supervisor",
        {"clinician": ClinicianRecord(name="Ava Ay", npi="1679576722", is_assistant=True)},
        "clinician",
        ("supervising PT of Ava Ay",),
        "the clinician's membership (admin)",
    ),
    Gap(
        "supervisor-without-npi",
        {
            "clinician": ClinicianRecord(
                name="Ava Ay", npi="1679576722", is_assistant=True, supervisor_name="Pat Tee"
            )
        },
        "clinician",
        ("NPI of Pat Tee",),
        "the clinician's membership (admin)",
    ),
    Gap(
        "certifier-without-npi",
        {"plan": PlanRecord(certified_by_name="Dr. Ana Rivera")},
        "plan of care",
        ("NPI of the certifying physician Dr. Ana Rivera",),
        "the plan of care (Edit)",
    ),
]


@pytest.mark.parametrize("gap", GAPS, ids=str)
def test_each_record_missing_data_is_one_error_naming_its_fields(gap: Gap) -> None:
    found = gaps(**gap.records)
    assert [(g.holder, g.fields) for g in found] == [(gap.holder, gap.fields)]
    assert gap.where in found[0].where

    (finding,) = data_missing(found)
    assert finding.severity == Severity.ERROR
    assert f"The {gap.holder} record" in finding.message
    for name in gap.fields:
        assert name in finding.message
        assert name in finding.fix
    assert found[0].where in finding.fix


def test_a_complete_claim_lacks_nothing() -> None:
    assert gaps() == ()
    assert data_missing(gaps()) == []


def test_several_records_with_gaps_are_one_error_each_clinic_first() -> None:
    found = gaps(
        plan=PlanRecord(certified_by_name="Dr. Ana Rivera"),
        clinician=ClinicianRecord(name="Pat Tee"),
        payer=PayerRecord("commercial", ""),
        patient=replace(PATIENT, city=""),
        clinic=replace(CLINIC, state=""),
    )
    assert [g.holder for g in found] == ["clinic", "patient", "payer", "clinician", "plan of care"]
    messages = [f.message for f in data_missing(found)]
    assert len(messages) == 5
    assert [m.split(" record")[0] for m in messages] == [
        "The clinic",
        "The patient",
        "The payer",
        "The clinician",
        "The plan of care",
    ]


@pytest.mark.parametrize(
    "records",
    [
        {},
        {
            "clinic": ClinicRecord(),
            "patient": PatientRecord(relationship=SPOUSE),
            "payer": PayerRecord("self_pay"),
            "clinician": ClinicianRecord(name="Ava Ay", is_assistant=True),
            "plan": PlanRecord(certified_by_name="Dr. Ana Rivera"),
        },
    ],
    ids=["complete-records", "every-record-empty"],
)
def test_a_self_pay_visit_needs_no_claim_data(records: dict[str, Any]) -> None:
    found = gaps(**{"payer": PayerRecord("self_pay"), **records})
    assert found == ()
    result = scrub(make_claim_facts(payer=SELF_PAY, billing_gaps=found))
    assert "claim-data-missing" not in {f.rule_id for f in result.findings}


@pytest.mark.parametrize(
    ("zip_code", "lacks_zip4"),
    [
        ("95814-1234", False),
        ("958141234", False),
        ("95814", True),
        ("95814-12", True),
        ("", True),
    ],
)
def test_the_clinic_needs_a_nine_digit_zip_the_patient_five(
    zip_code: str, lacks_zip4: bool
) -> None:
    lacking = (BillingGap("clinic", ("ZIP+4 (nine digits)",), "the Clinic page"),)
    assert gaps(clinic=replace(CLINIC, zip_code=zip_code)) == (lacking if lacks_zip4 else ())
    assert gaps(patient=replace(PATIENT, zip_code="95814")) == ()


def test_an_assistants_claim_needs_the_supervising_pts_npi_not_the_assistants_own() -> None:
    supervised = ClinicianRecord(
        name="Ava Ay", is_assistant=True, supervisor_name="Pat Tee", supervisor_npi="1245319599"
    )
    assert gaps(clinician=supervised) == ()
    (gap,) = gaps(clinician=replace(supervised, npi="1679576722", supervisor_npi=""))
    assert gap.fields == ("NPI of Pat Tee",)


def test_an_insured_other_than_the_patient_needs_a_name_and_date_of_birth() -> None:
    named = replace(
        PATIENT,
        relationship=SPOUSE,
        subscriber_first_name="Sam",
        subscriber_last_name="Ient",
        subscriber_date_of_birth=dt.date(1948, 5, 6),
    )
    assert gaps(patient=named) == ()
    (gap,) = gaps(patient=replace(named, subscriber_date_of_birth=None))
    assert gap.fields == ("insured's date of birth",)
    # The patient who is the insured needs no insured's fields of their own.
    assert gaps(patient=replace(named, relationship="18", subscriber_first_name="")) == ()


@pytest.mark.parametrize(
    ("kind", "payer_id", "mac", "sent_to"),
    [
        ("medicare", "", "01112", "01112"),
        ("medicare", " 01312 ", "01112", "01312"),  # the payer's own id wins
        ("medicare", "", "", ""),
        ("commercial", "", "01112", ""),  # a MAC is Medicare's alone
        ("medicare_advantage", "", "01112", ""),
        ("commercial", "60054", "", "60054"),
    ],
)
def test_a_medicare_payer_without_an_id_is_sent_to_the_clinics_contractor(
    kind: str, payer_id: str, mac: str, sent_to: str
) -> None:
    assert electronic_payer_id(kind=kind, payer_id=payer_id, medicare_mac=mac) == sent_to
    found = gaps(payer=PayerRecord(kind, payer_id), clinic=replace(CLINIC, medicare_mac=mac))
    assert ("payer" in {g.holder for g in found}) is (not sent_to)


@pytest.mark.parametrize(
    ("plan", "plan_required"),
    [
        (None, True),  # no plan in force: poc-missing says so, not this rule
        (PlanRecord(), True),  # no certifier named: referral rules say so
        (PlanRecord(certified_by_name="Dr. Ana Rivera"), False),  # the payer needs no plan
    ],
    ids=["no-plan", "no-certifier", "plan-not-required"],
)
def test_the_certifiers_npi_is_needed_only_for_a_named_certifier_of_a_required_plan(
    plan: PlanRecord | None, plan_required: bool
) -> None:
    assert gaps(plan=plan, plan_required=plan_required) == ()


# ---- charges (§11.2) -------------------------------------------------------------------------


def charge_findings(*charges: LineCharge) -> list[tuple[str, str | None, Any]]:
    result = scrub(make_claim_facts(charges_checked=True, line_charges=charges))
    return [
        (f.rule_id, f.line_code, f.severity)
        for f in result.findings
        if f.rule_id.startswith("charge-")
    ]


def test_a_charge_below_the_allowed_amount_is_a_warning_naming_both_amounts() -> None:
    result = scrub(
        make_claim_facts(
            charges_checked=True,
            line_charges=(LineCharge("97112", Decimal("40.00"), Decimal("62.50")),),
        )
    )
    (finding,) = [f for f in result.findings if f.rule_id == "charge-below-allowed"]
    assert finding.severity == Severity.WARNING
    assert finding.line_code == "97112"
    assert "$40.00" in finding.message and "$62.50" in finding.message


@pytest.mark.parametrize(
    ("charge", "allowed", "fired"),
    [
        ("62.49", "62.50", ["charge-below-allowed"]),
        ("62.50", "62.50", []),
        ("250.00", "62.50", []),
        ("10.00", None, []),  # no expected amount: nothing to compare
    ],
)
def test_only_a_charge_strictly_below_the_allowed_amount_warns(
    charge: str, allowed: str | None, fired: list[str]
) -> None:
    line = LineCharge("97110", Decimal(charge), Decimal(allowed) if allowed else None)
    assert [rule for rule, _, _ in charge_findings(line)] == fired


def test_a_code_on_two_lines_without_a_charge_is_one_error() -> None:
    missing = LineCharge("97110", None, Decimal("30.00"))
    assert charge_findings(missing, missing, LineCharge("97112", Decimal("250"), None)) == [
        ("charge-missing", "97110", Severity.ERROR)
    ]


def test_a_patient_on_someone_elses_plan_still_needs_their_own_address_and_member_id() -> None:
    insured = replace(
        PATIENT,
        relationship=SPOUSE,
        subscriber_first_name="Sam",
        subscriber_last_name="Ient",
        subscriber_date_of_birth=dt.date(1948, 5, 6),
    )
    (gap,) = gaps(patient=replace(insured, address_line1="", member_id=""))
    assert (gap.holder, gap.fields) == ("patient", ("street address", "member ID"))


@pytest.mark.parametrize(
    ("record", "field", "label"),
    [
        ("clinic", "npi", "group NPI"),
        ("clinic", "tax_id", "tax id (EIN)"),
        ("clinic", "address_line1", "street address"),
        ("clinic", "city", "city"),
        ("clinic", "state", "state"),
        ("patient", "sex", "sex"),
        ("patient", "address_line1", "street address"),
        ("patient", "city", "city"),
        ("patient", "state", "state"),
        ("patient", "zip_code", "ZIP code"),
        ("patient", "member_id", "member ID"),
    ],
)
def test_each_missing_field_is_named_as_the_form_names_it(
    record: str, field: str, label: str
) -> None:
    base = {"clinic": CLINIC, "patient": PATIENT}[record]
    (gap,) = gaps(**{record: replace(base, **{field: "  "})})
    assert gap.fields == (label,)


def test_only_a_medicare_payer_without_an_id_is_pointed_to_the_clinics_contractor() -> None:
    (medicare,) = gaps(payer=PayerRecord("medicare", ""), clinic=replace(CLINIC, medicare_mac=""))
    (commercial,) = gaps(payer=PayerRecord("commercial", ""))
    assert "Medicare contractor" in medicare.where
    assert commercial.where == "the payer's record (admin)"
