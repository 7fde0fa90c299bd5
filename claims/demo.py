"""Demo patients, plans of care, sessions and claims for the demo clinic. Synthetic people only.

The claims are made through the same service the session page uses, so the scrubber flags them
as it would real ones: the review queue shows about 30 claims hitting a variety of rules.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from claims.models import Claim, ClaimStatus, Patient, PlanOfCare
from claims.patient_services import authorization_create, therapy_used_save
from claims.services import (
    Override,
    ServiceRow,
    SessionInput,
    claim_approve,
    claim_create_from_session,
    claim_return,
    flag_settle,
)
from coding.models import Payer
from ptclinic.models import Clinic, Membership

SKILLED = [
    "Skilled neuromuscular re-education with tactile cues is needed: balance deficits after the "
    "stroke leave her at high fall risk, and the therapist progresses the tasks each visit.",
    "Manual therapy and exercise progression by the therapist are needed to restore knee "
    "flexion after replacement; gains depend on skilled assessment of joint response.",
    "Therapist instruction and monitoring are required: shoulder range is limited by pain and "
    "the home program must be adjusted safely as tissue tolerance improves.",
    "Skilled gait training with the therapist's hands-on facilitation is required to make "
    "community walking safe; the patient cannot yet manage stairs without cueing.",
    "Low back pain limits sitting and lifting; skilled manual mobilization and individualized "
    "exercise prescription are needed to reach the goal of returning to full work duties.",
    "Therapist analysis of the running pattern and progression of loading are required after the "
    "ankle sprain; unsafe return without skilled judgment risks re-injury.",
]
TODAY_DETAIL = [
    "Today she needed fewer cues on the foam surface.",
    "Today flexion reached 102 degrees after mobilization.",
    "Today the band resistance was raised one level.",
    "Today he managed four stairs with the rail and contact guard.",
    "Today lifting tolerance reached 15 lb with good mechanics.",
    "Today single-leg hops were added at low volume.",
    "Today sit-to-stand improved to five repetitions without arms.",
    "Today the home program was revised for the new brace.",
]
THIN = "Patient tolerated treatment well."
MAINTENANCE = (
    "Continue maintenance program for strength and endurance, three times a week as before, "
    "same exercises and repetitions, no change planned."
)


@dataclass(frozen=True)
class DemoPatient:
    first: str
    last: str
    born: dt.date
    mrn: str
    payer: str
    plan: str  # current, expiring, expired, uncertified, none
    diagnoses: tuple[str, ...]


PATIENTS = (
    DemoPatient(
        "Ruth",
        "Adler",
        dt.date(1948, 3, 14),
        "RB-1001",
        "Medicare Part B",
        "current",
        ("I69.351", "R26.89"),
    ),
    DemoPatient(
        "George",
        "Benson",
        dt.date(1951, 7, 2),
        "RB-1002",
        "Medicare Part B",
        "expiring",
        ("M17.11", "M25.561"),
    ),
    DemoPatient(
        "Lila", "Chen", dt.date(1945, 11, 23), "RB-1003", "Medicare Part B", "expired", ("M75.01",)
    ),
    DemoPatient(
        "Omar",
        "Diaz",
        dt.date(1955, 1, 9),
        "RB-1004",
        "Medicare Part B",
        "uncertified",
        ("M54.50",),
    ),
    DemoPatient(
        "Helen",
        "Fischer",
        dt.date(1949, 5, 30),
        "RB-1005",
        "Medicare Part B",
        "current",
        ("Z96.641", "M62.81"),
    ),
    DemoPatient(
        "Ivan",
        "Petrov",
        dt.date(1980, 9, 12),
        "RB-1006",
        "Demo State Medicaid",
        "current",
        ("M54.50",),
    ),
    DemoPatient(
        "Maya",
        "Singh",
        dt.date(1992, 4, 18),
        "RB-1007",
        "Demo Commercial PPO",
        "current",
        ("S93.401D",),
    ),
    DemoPatient(
        "Tom",
        "Walsh",
        dt.date(1975, 12, 1),
        "RB-1008",
        "Demo Commercial HMO",
        "current",
        ("M75.101",),
    ),
    DemoPatient(
        "Grace",
        "Kim",
        dt.date(1952, 2, 27),
        "RB-1009",
        "Demo Medicare Advantage",
        "current",
        ("M17.12",),
    ),
    DemoPatient("Noah", "Brooks", dt.date(1988, 6, 6), "RB-1010", "Self-pay", "none", ("M79.604",)),
    DemoPatient(
        "Emma", "Rossi", dt.date(1947, 8, 19), "RB-1011", "Medicare Part B", "none", ("M25.511",)
    ),
    DemoPatient(
        "Frank",
        "Moore",
        dt.date(1966, 10, 4),
        "RB-1012",
        "Demo State Medicaid",
        "current",
        ("S83.511A",),
    ),
)


@dataclass(frozen=True)
class Visit:
    mrn: str
    days_ago: int
    therapist: str  # "pt" or "pta"
    rows: tuple[tuple[str, int, int], ...]  # code, minutes, PTA minutes
    necessity: str | int = 0  # an index into SKILLED, or the text itself
    dx: tuple[str, ...] | None = None
    progress_report: bool = False
    choices: tuple[tuple[str, int, tuple[str, ...], str], ...] = ()
    approve: bool = False


def _visits() -> list[Visit]:
    v: list[Visit] = []
    # Ruth: evaluation with a progress report 5 weeks ago, then twice a week — now 11 treatment
    # days since that report, so the latest visit needs one (§6.3).
    v.append(Visit("RB-1001", 36, "pt", (("97163", 50, 0),), 0, progress_report=True, approve=True))
    for i, days in enumerate((33, 30, 26, 23, 19, 16, 12, 9, 5)):
        v.append(
            Visit(
                "RB-1001",
                days,
                "pt" if i % 3 else "pta",
                (("97112", 24, 0), ("97110", 23, 0)),
                i % len(SKILLED),
                approve=days > 10,
            )
        )
    v.append(Visit("RB-1001", 2, "pt", (("97112", 30, 0), ("97116", 15, 0)), 0))
    # …and the assistant saw her again that afternoon: one billing day, one claim (§10.1).
    v.append(Visit("RB-1001", 2, "pta", (("97110", 12, 0),), 1))
    # George: plan expiring; a clean claim and one with a copied statement.
    v.append(
        Visit("RB-1002", 8, "pt", (("97140", 15, 0), ("97110", 25, 0)), SKILLED[1], approve=True)
    )
    v.append(Visit("RB-1002", 3, "pt", (("97140", 15, 0), ("97110", 25, 0)), SKILLED[1]))
    # Lila: plan expired five days ago.
    v.append(Visit("RB-1003", 1, "pt", (("97110", 30, 0), ("97140", 10, 0)), 2))
    # Omar: plan never certified (evaluated five weeks ago); medical necessity missing.
    v.append(Visit("RB-1004", 34, "pt", (("97162", 30, 0),), 4, progress_report=True, approve=True))
    v.append(Visit("RB-1004", 6, "pt", (("97140", 20, 0), ("97110", 20, 0)), ""))
    v.append(Visit("RB-1004", 2, "pta", (("97110", 25, 0), ("97530", 15, 0)), 4))
    # Helen: KX threshold passed this year (earlier visits below), one note thin.
    v.append(Visit("RB-1005", 4, "pt", (("97530", 38, 0), ("97110", 15, 0)), 4))
    v.append(Visit("RB-1005", 1, "pta", (("97530", 30, 0),), THIN))
    # Ivan (Medicaid): maintenance wording without skilled need; a header diagnosis.
    v.append(Visit("RB-1006", 5, "pt", (("97110", 40, 0),), MAINTENANCE))
    v.append(Visit("RB-1006", 2, "pt", (("97110", 30, 0), ("97140", 15, 0)), 4, dx=("M54.5",)))
    # Maya (commercial, AMA): clean, and one with units changed above the minutes.
    v.append(Visit("RB-1007", 7, "pt", (("97110", 20, 0), ("97112", 20, 0)), 5))
    v.append(
        Visit(
            "RB-1007",
            2,
            "pt",
            (("97530", 20, 0), ("97140", 10, 0)),
            5,
            choices=(("97530", 2, ("GP",), "Patient stayed longer after the group"),),
        )
    )
    # Tom (HMO, cap 8 units a day): a long visit.
    v.append(Visit("RB-1008", 3, "pt", (("97110", 45, 0), ("97140", 40, 0), ("97530", 40, 0)), 2))
    # Grace (Medicare Advantage): unattended e-stim billed as 97014.
    v.append(Visit("RB-1009", 4, "pt", (("97110", 30, 0), ("97014", 15, 0)), 1))
    # Noah (self-pay): clean.
    v.append(Visit("RB-1010", 6, "pt", (("97140", 30, 0),), 4, approve=True))
    v.append(Visit("RB-1010", 1, "pt", (("97140", 25, 0), ("97110", 15, 0)), 4))
    # Emma (Medicare, no plan of care on file); hot packs billed to Medicare.
    v.append(Visit("RB-1011", 3, "pt", (("97110", 25, 0), ("97010", 10, 0)), 2))
    # Frank (Medicaid): initial-encounter injury code; PTA minutes without CQ on one line.
    v.append(
        Visit(
            "RB-1012",
            4,
            "pt",
            (("97110", 30, 12), ("97116", 15, 0)),
            3,
            choices=(("97110-CQ", 2, ("GP",), "Assistant only set up the equipment"),),
        )
    )
    v.append(Visit("RB-1012", 1, "pt", (("97161", 30, 0), ("97750", 30, 0)), 3))
    # More ordinary days, most of them clean, by both therapists.
    v.append(Visit("RB-1002", 1, "pta", (("97110", 30, 0), ("97116", 10, 0)), 3))
    v.append(Visit("RB-1006", 8, "pta", (("97110", 23, 0), ("97530", 10, 0)), 4))
    v.append(Visit("RB-1007", 5, "pt", (("97140", 25, 0), ("97110", 25, 0)), 5))
    v.append(Visit("RB-1008", 7, "pta", (("97110", 30, 0), ("97140", 20, 0)), 2))
    v.append(Visit("RB-1009", 9, "pt", (("97161", 35, 0),), 1, progress_report=True))
    v.append(Visit("RB-1009", 1, "pta", (("97110", 20, 0), ("97112", 20, 0)), 1))
    v.append(Visit("RB-1010", 4, "pt", (("97140", 15, 0), ("97035", 8, 0)), 4))
    v.append(Visit("RB-1011", 7, "pt", (("97161", 40, 0), ("97110", 5, 0)), 2))
    v.append(Visit("RB-1012", 8, "pta", (("97110", 40, 30),), 3))
    return v


def _plan(patient: Patient, kind: str, today: dt.date) -> None:
    if kind == "none":
        return
    start = {"current": 40, "expiring": 80, "expired": 95, "uncertified": 35}[kind]
    start_date = today - dt.timedelta(days=start)
    plan = PlanOfCare(
        patient=patient,
        diagnoses=list(DX[patient.mrn]),
        start_date=start_date,
        certified_by_name="" if kind == "uncertified" else "Dr. Jordan Avery, MD",
        certified_by_npi="" if kind == "uncertified" else "1679576722",
        certified_on=None if kind == "uncertified" else start_date + dt.timedelta(days=6),
        cert_through=start_date + dt.timedelta(days=89),
        frequency="2x/week for 8 weeks",
        goals="Walk 500 ft without an assistive device; climb one flight of stairs with a rail; "
        "return to prior level of function at home.",
    )
    plan.full_clean()
    plan.save()


DX = {p.mrn: p.diagnoses for p in PATIENTS}
FEMALE = {
    "Ruth",
    "Lila",
    "Maya",
    "Grace",
    "Elena",
    "Priya",
    "Linda",
    "Rosa",
    "Aisha",
    "Carmen",
    "Joan",
}
STREETS = ("Capitol Ave", "J Street", "Folsom Blvd", "Freeport Blvd", "Alhambra Blvd")
SENT_AFTER_DAYS = 20  # approved claims older than this went out in the demo's first batch


def _coverage(patients: dict[str, Patient], today: dt.date) -> None:
    """The payers' paperwork (billing-rules §6.10, §10.8): Tom Walsh's HMO authorization is
    nearly used up (3 visits, his second visit is the one before last); Ivan Petrov's Medicaid
    authorization has room, Frank Moore has none on file (Medicaid requires one); the
    eligibility reply says other providers billed Lila Chen $2,430 of therapy this year, so her
    visit here passes the KX threshold."""
    walsh, petrov, chen = patients["RB-1008"], patients["RB-1006"], patients["RB-1003"]
    authorization_create(
        patient=walsh,
        payer=walsh.primary_payer,
        number="HMO-DEMO-0417",
        start_date=today - dt.timedelta(days=30),
        end_date=today + dt.timedelta(days=20),
        visits=3,
        notes="Demo: three visits for the shoulder, units of manual therapy limited.",
        units=(("97140", 6),),
    )
    authorization_create(
        patient=petrov,
        payer=petrov.primary_payer,
        number="MCD-DEMO-2231",
        start_date=today - dt.timedelta(days=45),
        end_date=today + dt.timedelta(days=45),
        visits=12,
    )
    therapy_used_save(
        patient=chen,
        year=today.year,
        amount=Decimal("2430.00"),
        as_of=max(today - dt.timedelta(days=20), dt.date(today.year, 1, 1)),
        source="Demo eligibility reply (HETS)",
    )


def _earlier_year_claims(
    clinic: Clinic, patient: Patient, pt: Membership, owner: object, today: dt.date
) -> None:
    """Visits earlier this year that bring Helen Fischer near the KX threshold."""
    for weeks in range(40, 8, -3):
        day = today - dt.timedelta(weeks=weeks)
        if day.year != today.year:
            continue
        claim = claim_create_from_session(
            clinic=clinic,
            user=pt.user,
            data=SessionInput(
                patient=patient,
                therapist=pt,
                payer=patient.primary_payer,
                date_of_service=day,
                rows=(ServiceRow("97530", 45), ServiceRow("97110", 30), ServiceRow("97140", 23)),
                diagnoses=DX[patient.mrn],
                medical_necessity=SKILLED[4],
                is_progress_report=weeks % 9 == 1,
            ),
        )
        Claim.objects.filter(pk=claim.pk).update(expected_amount=Decimal("236.00"))
        claim.refresh_from_db()
        copied = claim.flags.filter(rule_id="necessity-copied", status="open").first()
        if copied:  # the reviewer accepted it: the remittance shows what that cost
            flag_settle(
                flag=copied,
                user=owner,
                version=claim.version,
                note="Same exercises as last visit; progression is in the flowsheet",
                waive=True,
            )
            claim.refresh_from_db()
        claim_approve(
            claim=claim,
            user=owner,
            version=claim.version,
            override_reason=(
                "" if not claim.open_errors else "Historical visit, reviewed on paper"
            ),
        )


@transaction.atomic
def seed_clinic(*, clinic: Clinic, pt: Membership, pta: Membership, owner: object) -> list[str]:
    """Patients, plans and claims for the demo clinic; skipped when it already has patients."""
    if Patient.objects.for_clinic(clinic).exists():
        return ["Demo patients and claims: already there"]
    today = timezone.localdate()
    patients = {}
    for p in PATIENTS:
        patient = Patient(
            clinic=clinic,
            first_name=p.first,
            last_name=p.last,
            date_of_birth=p.born,
            mrn=p.mrn,
            primary_payer=Payer.objects.get(name=p.payer),
            member_id=f"DEMO{p.mrn[-4:]}X",
            sex="F" if p.first in FEMALE else "M",
            address_line1=f"{400 + int(p.mrn[-2:]) * 17} {STREETS[int(p.mrn[-1]) % len(STREETS)]}",
            city="Sacramento",
            state="CA",
            zip_code=f"958{10 + int(p.mrn[-1]):02d}",
            phone=f"916555{int(p.mrn[-4:]):04d}",
        )
        if p.mrn == "RB-1007":  # on her husband's employer plan: the insured is someone else
            patient.relationship = "01"
            patient.subscriber_first_name, patient.subscriber_last_name = "Arjun", p.last
            patient.subscriber_date_of_birth = dt.date(1979, 2, 2)
            patient.subscriber_sex = "M"
            patient.group_number = "GRP-44120"
        patient.full_clean()
        patient.save()
        _plan(patient, p.plan, today)
        patients[p.mrn] = patient
    _coverage(patients, today)
    _earlier_year_claims(clinic, patients["RB-1005"], pt, owner, today)
    count = 0
    # In date order, as they happened: each visit counts the ones before it (treatment days,
    # the visits under an authorization); each keeps the detail of its place in the list.
    listed = list(enumerate(_visits()))
    for place, visit in sorted(listed, key=lambda item: -item[1].days_ago):
        patient = patients[visit.mrn]
        therapist = pt if visit.therapist == "pt" else pta
        necessity = (
            f"{SKILLED[visit.necessity]} {TODAY_DETAIL[place % len(TODAY_DETAIL)]}"
            if isinstance(visit.necessity, int)
            else visit.necessity
        )
        claim = claim_create_from_session(
            clinic=clinic,
            user=therapist.user,
            data=SessionInput(
                patient=patient,
                therapist=therapist,
                payer=patient.primary_payer,
                date_of_service=today - dt.timedelta(days=visit.days_ago),
                rows=tuple(ServiceRow(c, m, pta_m) for c, m, pta_m in visit.rows),
                diagnoses=visit.dx or DX[visit.mrn],
                subjective="Reports less pain on stairs since the last visit.",
                objective="Vitals stable. Exercises performed as charted in the flowsheet.",
                assessment="Progressing toward goals; tolerance improving.",
                plan="Continue per plan of care.",
                medical_necessity=necessity,
                is_progress_report=visit.progress_report,
                overrides={
                    key: Override(key, units, mods, reason)
                    for key, units, mods, reason in visit.choices
                },
            ),
        )
        claim.submitted_at = timezone.now() - dt.timedelta(days=visit.days_ago, hours=2)
        claim.save(update_fields=["submitted_at"])
        if visit.approve and claim.status == ClaimStatus.NEEDS_REVIEW:
            claim_approve(
                claim=claim,
                user=owner,
                version=claim.version,
                override_reason="" if not claim.open_errors else "Reviewed with the therapist",
            )
        count += 1
    _return_one(clinic, pt, owner)
    sent = _first_batch(clinic, owner, today)
    posted = _remittances(clinic, owner, today)
    open_count = Claim.objects.for_clinic(clinic).open().count()
    return [
        f"Demo patients: {len(PATIENTS)}; sessions: {count}; claims: "
        f"{Claim.objects.for_clinic(clinic).count()} ({open_count} to review, {sent} sent); "
        f"remittances posted: {posted}"
    ]


def _return_one(clinic: Clinic, pt: Membership, owner: object) -> None:
    """The reviewer sent one of the PT's claims back: it waits on the therapist's home."""
    claim = (
        Claim.objects.for_clinic(clinic)
        .needing_review()
        .filter(therapist=pt, flags__rule_id__startswith="necessity-", flags__status="open")
        .order_by("-date_of_service", "pk")
        .first()
    )
    if claim is not None:
        claim_return(
            claim=claim,
            user=owner,
            version=claim.version,
            comment="The necessity statement does not say why this visit needed your skill: add "
            "what you progressed or changed today, then resubmit.",
        )


def _first_batch(clinic: Clinic, owner: object, today: dt.date) -> int:
    """The older approved claims went out in one batch (the newer ones are still waiting)."""
    from claims.submission.services import batch_create

    old = list(
        Claim.objects.for_clinic(clinic)
        .filter(
            status=ClaimStatus.APPROVED,
            date_of_service__lt=today - dt.timedelta(days=SENT_AFTER_DAYS),
        )
        .values_list("pk", flat=True)
    )
    if not old:
        return 0
    batch = batch_create(clinic=clinic, user=owner, claim_ids=old, note="Demo: last month")
    return batch.claim_count


PAID_AFTER_DAYS = 21  # a payer pays a clean claim about three weeks after the visit

# What the demo's payers decide on some sent claims (by patient MRN and visit order), so that
# the claim pages, the denial report and the dashboard show denials a waived rule had flagged
# and denials no rule caught.
DEMO_DENIALS: dict[tuple[str, int], dict[str, tuple[str, str]]] = {
    ("RB-1005", 5): {"97530": ("50", "N115")},  # not necessary: the copied note was waived
    ("RB-1005", 8): {"97140": ("97", "M80")},  # bundled with 97530: no edit pair was flagged
    ("RB-1005", 10): {"97530": ("50", "")},
    ("RB-1004", 0): {"97162": ("16", "MA130")},  # information missing: no rule caught it
}


def _remittances(clinic: Clinic, owner: object, today: dt.date) -> int:
    """The payers' 835 files for the sent claims: one per payer and month of payment, each
    posted as the owner would post it; the most recent visits are not paid yet, and one
    payment for someone else's patient waits on the worklist."""
    from claims.remittance.answers import Denial, claim_answer, payment_of
    from claims.remittance.sample import write_835
    from claims.remittance.services import remittance_post

    sent = (
        Claim.objects.for_clinic(clinic)
        .filter(status=ClaimStatus.SUBMITTED)
        .select_related("patient", "payer")
        .prefetch_related("lines")
        .order_by("date_of_service", "pk")
    )
    seen: dict[str, int] = {}
    files: dict[tuple[int, dt.date], list[Any]] = {}
    for claim in sent:
        order = seen.get(claim.patient.mrn, 0)
        seen[claim.patient.mrn] = order + 1
        paid_on = claim.date_of_service + dt.timedelta(days=PAID_AFTER_DAYS)
        if paid_on > today - dt.timedelta(days=3):
            continue  # not paid yet
        denials = {
            code: Denial(reason, remark=remark)
            for code, (reason, remark) in DEMO_DENIALS.get((claim.patient.mrn, order), {}).items()
        }
        week = paid_on - dt.timedelta(days=paid_on.weekday())  # payers pay on Mondays
        files.setdefault((claim.payer_id, week), []).append(claim_answer(claim, denials=denials))
    posted = 0
    for number, ((payer_id, week), answers) in enumerate(sorted(files.items()), start=1):
        if number == 1:  # a payment the payer misdirected: the worklist's
            stranger = answers[0]
            answers = [
                *answers,
                dataclasses.replace(
                    stranger,
                    control_number="A0099881",
                    payer_claim_number="99000123456",
                    patient_name="Jordan Miles",
                ),
            ]
        payer = Payer.objects.get(pk=payer_id)
        payment = payment_of(
            clinic, payer, answers, trace_number=f"EFT{week:%y%m%d}{payer_id:03d}", paid_on=week
        )
        remittance_post(
            clinic=clinic,
            user=owner,
            content=write_835(payment, control=number).encode(),
            filename=f"{payer.name.replace(' ', '-').lower()}-{week:%Y%m%d}.835",
        )
        posted += 1
    return posted
