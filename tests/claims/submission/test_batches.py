"""Approved claims to validated 837P files: the batch service and what it does to the claims."""

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from claims.models import (
    BatchClaim,
    BatchFile,
    BatchStatus,
    Claim,
    ClaimBatch,
    ClaimEvent,
    ClaimFlag,
    ClaimStatus,
)
from claims.services import (
    ServiceRow,
    SessionInput,
    claim_approve,
    claim_correct,
    claim_create_from_session,
    claim_void,
)
from claims.submission.services import batch_create
from claims.submission.validate import validate_837p
from claims.submission.x12 import segments_of
from coding.models import Payer
from tests.claims.test_review import NECESSITY, TODAY, make_claim, make_plan
from tests.conftest import make_member, make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")


@pytest.fixture
def sender(clinic: Any) -> Any:
    clinic.receiver_id = "CLEARHOUSE01"
    clinic.receiver_name = "Test Clearinghouse"
    clinic.submitter_id = "SUB12345"
    clinic.save()
    return make_member(clinic, "owner", first_name="Bea", last_name="Biller")


def approved(clinic: Any, user: Any, owner: Any, **kwargs: Any) -> Any:
    claim = make_claim(clinic, user, **kwargs)
    assert claim.open_errors == 0, list(claim.flags.values_list("rule_id", "message"))
    return claim_approve(claim=claim, user=owner, version=claim.version)


def test_an_approved_claim_becomes_a_valid_837p_file_and_is_submitted(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    batch = batch_create(clinic=clinic, user=sender, claim_ids=[claim.pk])
    assert batch.status == BatchStatus.READY
    (file,) = batch.files.all()
    assert file.valid, file.errors
    text = file.file.read().decode()
    segments = segments_of(text)
    assert any(s.startswith(f"CLM*{claim.control_number}*") for s in segments)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    event = ClaimEvent.objects.filter(claim=claim).last()
    assert (event.from_status, event.to_status, event.batch_file) == ("approved", "submitted", file)


# ---- what the files carry (§11.1, §11.3, §11.4) ----------------------------------------------


def files_of(batch: Any) -> list[tuple[Any, list[str]]]:
    """Each file of the batch with its segments; every file is valid by our checks and pyx12
    both, as kept on the file and when validated again from its text."""
    found = []
    for file in BatchFile.objects.filter(batch=batch).order_by("pk"):
        text = file.file.read().decode()
        assert file.valid, file.errors
        report = validate_837p(text)
        assert report.valid, report.errors
        found.append((file, segments_of(text)))
    return found


def the_file(batch: Any) -> list[str]:
    """The segments of the batch's one file (names are written in capitals)."""
    ((_, segments),) = files_of(batch)
    return segments


def starting(segments: list[str], prefix: str) -> list[str]:
    return [s for s in segments if s.startswith(prefix)]


def send(clinic: Any, sender: Any, *claims: Any) -> Any:
    return batch_create(clinic=clinic, user=sender, claim_ids=[c.pk for c in claims])


def npi_of(user: Any, clinic: Any, npi: str) -> str:
    member = membership(user, clinic)
    member.npi = npi
    member.save()
    return npi


def test_an_assistants_claim_carries_the_supervising_pts_npi_never_the_assistants(
    clinic: Any, pt: Any, pta: Any, sender: Any
) -> None:
    pt_npi = npi_of(pt, clinic, "1245319599")
    pta_npi = npi_of(pta, clinic, "1952456063")
    claim = approved(clinic, pta, sender)
    segments = the_file(send(clinic, sender, claim))

    (rendering,) = starting(segments, "NM1*82*")
    assert rendering.endswith(f"*XX*{pt_npi}")
    assert rendering.startswith("NM1*82*1*TEE*PAT*")
    assert not any(pta_npi in segment for segment in segments)
    assert any(":CQ" in s for s in starting(segments, "SV1*"))  # the assistant's units


def test_a_patient_insured_by_a_spouse_is_sent_in_a_patient_loop_of_their_own(
    clinic: Any, pt: Any, sender: Any
) -> None:
    patient = make_patient(
        clinic,
        first_name="Lee",
        last_name="Ient",
        relationship="01",
        subscriber_first_name="Sam",
        subscriber_last_name="Spouse",
        subscriber_date_of_birth=dt.date(1948, 5, 6),
        subscriber_sex="M",
    )
    make_plan(patient)
    claim = approved(clinic, pt, sender, patient=patient)
    segments = the_file(send(clinic, sender, claim))

    assert "HL*2*1*22*1" in segments  # the subscriber has a patient below
    assert "HL*3*2*23*0" in segments
    assert "PAT*01" in segments
    (insured,) = starting(segments, "NM1*IL*")
    assert insured.startswith("NM1*IL*1*SPOUSE*SAM*") and insured.endswith(
        f"*MI*{patient.member_id}"
    )
    (person,) = starting(segments, "NM1*QC*")
    assert person == "NM1*QC*1*IENT*LEE"
    assert "DMG*D8*19500101*F" in segments  # the patient's own, in 2010CA
    assert not any(s.startswith("SBR*P*18*") for s in segments)
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED


# Twelve billable codes of the tests' ICD-10-CM slice (tests/conftest.py TEST_ICD10).
TWELVE_DIAGNOSES = (
    "M25.561",
    "M25.562",
    "M17.11",
    "M17.12",
    "M62.81",
    "R26.2",
    "R26.81",
    "R26.89",
    "Z96.651",
    "Z96.652",
    "Z47.1",
    "M54.50",
)


def test_a_claim_with_twelve_diagnoses_sends_them_all_in_one_hi_segment(
    clinic: Any, pt: Any, sender: Any
) -> None:
    patient = make_patient(clinic)
    make_plan(patient)
    data = SessionInput(
        patient=patient,
        therapist=membership(pt, clinic),
        payer=patient.primary_payer,
        date_of_service=TODAY - dt.timedelta(days=1),
        rows=(ServiceRow("97110", 30), ServiceRow("97112", 25)),
        diagnoses=TWELVE_DIAGNOSES,
        subjective="Knee stiff in the morning.",
        objective="Knee flexion 95 degrees.",
        assessment="Improving.",
        plan="Continue 2x/week.",
        medical_necessity=NECESSITY,
    )
    claim = claim_create_from_session(clinic=clinic, user=pt, data=data)
    assert claim.diagnoses == list(TWELVE_DIAGNOSES)
    assert claim.open_errors == 0, list(
        ClaimFlag.objects.filter(claim=claim).values_list("rule_id", "message")
    )
    claim = claim_approve(claim=claim, user=sender, version=claim.version)
    segments = the_file(send(clinic, sender, claim))

    (hi,) = starting(segments, "HI*")
    codes = hi.split("*")[1:]
    assert codes == [
        f"{'ABK' if i == 0 else 'ABF'}:{code.replace('.', '')}"
        for i, code in enumerate(TWELVE_DIAGNOSES)
    ]


def test_the_plans_certifier_is_the_referring_provider(clinic: Any, pt: Any, sender: Any) -> None:
    claim = approved(clinic, pt, sender)  # make_plan: certified by Dr. Rivera, NPI 1588667638
    segments = the_file(send(clinic, sender, claim))
    (referring,) = starting(segments, "NM1*DN*")
    assert referring.startswith("NM1*DN*1*RIVERA*")
    assert referring.endswith("*XX*1588667638")


def test_a_corrected_claim_is_sent_as_a_replacement_naming_the_original(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.PAID)
    claim.refresh_from_db()
    claim = claim_correct(
        claim=claim,
        user=sender,
        version=claim.version,
        reason="One unit too many",
        payer_claim_number="2026041500123",
    )
    claim = claim_approve(claim=claim, user=sender, version=claim.version)
    segments = the_file(send(clinic, sender, claim))

    (clm,) = starting(segments, "CLM*")
    assert clm.split("*")[5] == "11:B:7"
    assert "REF*F8*2026041500123" in segments
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.SUBMITTED
    assert BatchClaim.objects.get(claim=claim).frequency_code == "7"


def test_a_sent_void_cancels_the_claim(clinic: Any, pt: Any, sender: Any) -> None:
    claim = approved(clinic, pt, sender)
    Claim.objects.filter(pk=claim.pk).update(status=ClaimStatus.DENIED)
    claim.refresh_from_db()
    claim = claim_void(
        claim=claim,
        user=sender,
        version=claim.version,
        reason="Wrong patient",
        payer_claim_number="2026041500999",
    )
    batch = send(clinic, sender, claim)
    ((file, segments),) = files_of(batch)

    (clm,) = starting(segments, "CLM*")
    assert clm.split("*")[5] == "11:B:8"
    assert "REF*F8*2026041500999" in segments
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.VOIDED
    event = ClaimEvent.objects.filter(claim=claim).latest("at", "id")
    assert (event.from_status, event.to_status, event.batch_file) == ("approved", "voided", file)


def test_claims_of_two_payers_go_in_two_files_with_their_own_control_numbers(
    clinic: Any, pt: Any, sender: Any
) -> None:
    medicare = approved(clinic, pt, sender)
    commercial = approved(clinic, pt, sender, payer_name="Demo Commercial PPO")
    batch = send(clinic, sender, medicare, commercial)
    files = files_of(batch)

    assert len(files) == 2
    interchange = [starting(segments, "ISA*")[0].split("*")[13] for _, segments in files]
    assert len(set(interchange)) == 2
    assert all(
        starting(segments, "IEA*")[0].endswith(n)
        for (_, segments), n in zip(files, interchange, strict=True)
    )
    payers = {file.payer.name: segments for file, segments in files}
    assert set(payers) == {"Medicare Part B", "Demo Commercial PPO"}
    for name, claim in (("Medicare Part B", medicare), ("Demo Commercial PPO", commercial)):
        assert [s.split("*")[1] for s in starting(payers[name], "CLM*")] == [claim.control_number]
        (payer,) = starting(payers[name], "NM1*PR*")
        assert payer.endswith(f"*PI*{claim.payer.payer_id}")
    assert (batch.status, batch.claim_count) == (BatchStatus.READY, 2)


def test_a_claim_whose_patient_lost_the_address_is_left_out_and_the_others_are_sent(
    clinic: Any, pt: Any, sender: Any
) -> None:
    kept = approved(clinic, pt, sender)
    lacking = approved(clinic, pt, sender)
    lacking.patient.address_line1 = ""
    lacking.patient.save()
    batch = send(clinic, sender, kept, lacking)

    ((_, segments),) = files_of(batch)
    assert [s.split("*")[1] for s in starting(segments, "CLM*")] == [kept.control_number]
    ((left_out),) = batch.left_out
    assert left_out["claim"] == lacking.pk
    (sentence,) = left_out["problems"]
    assert sentence.startswith(f"Claim {lacking.pk}:")
    assert "patient" in sentence and "street address" in sentence
    kept.refresh_from_db()
    lacking.refresh_from_db()
    assert (kept.status, lacking.status) == (ClaimStatus.SUBMITTED, ClaimStatus.APPROVED)
    assert batch.claim_count == 1


def test_a_clinic_without_its_clearinghouse_sends_nothing_and_says_what_to_set_up(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender)
    clinic.receiver_id = ""
    clinic.save()
    with pytest.raises(ValidationError) as refused:
        send(clinic, sender, claim)
    assert "clearinghouse (receiver id and name)" in " ".join(refused.value.messages)
    assert not ClaimBatch.objects.exists()
    assert not BatchFile.objects.exists()
    claim.refresh_from_db()
    assert claim.status == ClaimStatus.APPROVED


def test_claims_of_another_clinic_are_never_sent(
    clinic: Any, other_clinic: Any, pt: Any, sender: Any
) -> None:
    mine = approved(clinic, pt, sender)
    their_pt = make_member(other_clinic, "therapist", credential="PT")
    their_owner = make_member(other_clinic, "owner")
    theirs = approved(other_clinic, their_pt, their_owner)

    batch = send(clinic, sender, mine, theirs)
    ((_, segments),) = files_of(batch)
    assert [s.split("*")[1] for s in starting(segments, "CLM*")] == [mine.control_number]
    assert batch.left_out == []
    with pytest.raises(ValidationError, match="Pick at least one approved claim"):
        send(clinic, sender, theirs)
    theirs.refresh_from_db()
    assert theirs.status == ClaimStatus.APPROVED
    assert not BatchClaim.objects.filter(claim=theirs).exists()


def test_a_medicare_claim_without_a_payer_id_goes_to_the_clinics_contractor(
    clinic: Any, pt: Any, sender: Any
) -> None:
    clinic.medicare_mac = "01112"
    clinic.save()
    claim = approved(clinic, pt, sender)
    Payer.objects.filter(pk=claim.payer_id).update(payer_id="")
    segments = the_file(send(clinic, sender, claim))
    (payer,) = starting(segments, "NM1*PR*")
    assert payer.endswith("*PI*01112")


def test_each_line_carries_its_id_so_the_remittance_finds_it_again(
    clinic: Any, pt: Any, sender: Any
) -> None:
    claim = approved(clinic, pt, sender, rows=(("97110", 30), ("97140", 15)))
    segments = the_file(send(clinic, sender, claim))
    ids = [line.pk for line in claim.lines.order_by("position")]
    assert starting(segments, "REF*6R*") == [f"REF*6R*{pk}" for pk in ids]
