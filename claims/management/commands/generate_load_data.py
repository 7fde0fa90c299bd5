"""`manage.py generate_load_data`: a large synthetic dataset for load tests and benchmarks.

Bulk inserts (no per-row history) of clinics, therapists, owners, patients with plans of care,
sessions with their services, and claims with their lines. Units come from the real units engine,
amounts from the real fee schedules; recent claims are left open and scrubbed by the real
scrubber so that the review queue, its filters and its rule counts have realistic work.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from claims.models import (
    Claim,
    ClaimLine,
    ClaimStatus,
    Patient,
    PlanOfCare,
    SessionService,
    TreatmentSession,
)
from claims.scrubbing import claims_for_scrub, claims_scrub
from coding.models import BillingCode, FeeScheduleEntry, Payer
from coding.units import Method, ServiceInput, UnitsRequest, compute_units
from ptclinic.models import Clinic, Credential, Membership, Role

LOAD_PASSWORD = "load-test-password"
FIRST = ("Alex", "Blair", "Casey", "Dana", "Eli", "Frankie", "Gale", "Harper", "Indy", "Jesse",
         "Kai", "Logan", "Morgan", "Noor", "Quinn")  # fmt: skip
LAST = ("Abbott", "Baker", "Cruz", "Dalton", "Ellis", "Foster", "Grant", "Hayes", "Ingram",
        "Jensen", "Keller", "Lowe", "Mercer")  # fmt: skip
DX = ["M25.561", "M25.562", "M54.50", "M17.11", "M17.12", "I69.351", "M75.101", "S93.401D",
      "M62.81", "R26.89", "Z96.641", "M79.604"]  # fmt: skip
DAYS = 365
OPEN_DAYS = 14  # claims this recent are still in the review queue


class Command(BaseCommand):
    help = "Bulk-create a synthetic dataset (default: 1,000,000 claim lines) for load tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinics", type=int, default=20)
        parser.add_argument("--therapists", type=int, default=8, help="per clinic")
        parser.add_argument("--patients", type=int, default=600, help="per clinic")
        parser.add_argument("--lines", type=int, default=1_000_000, help="claim lines in all")
        parser.add_argument("--batch", type=int, default=5000)
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-scrub", action="store_true", help="skip scrubbing open claims")

    def handle(self, *args: Any, **o: Any) -> None:
        if Clinic.objects.filter(name__startswith="Load clinic").exists():
            raise CommandError("Load data is already there (clinics named 'Load clinic …').")
        if not BillingCode.objects.exists():
            raise CommandError("Run `manage.py load_reference` first.")
        started = time.perf_counter()
        rng = random.Random(o["seed"])
        self.batch = o["batch"]
        clinics = self._clinics(o["clinics"])
        therapists = self._people(clinics, o["therapists"])
        patients = self._patients(clinics, o["patients"], rng)
        lines = self._sessions_and_claims(clinics, therapists, patients, o["lines"], rng)
        self.stdout.write(f"Created {lines:,} claim lines in {time.perf_counter() - started:.0f} s")
        if not o["no_scrub"]:
            scrub_started = time.perf_counter()
            count = self._scrub_open()
            self.stdout.write(
                f"Scrubbed {count:,} open claims in {time.perf_counter() - scrub_started:.0f} s"
            )
        self.stdout.write(
            f"Owners log in as load-owner-1 … load-owner-{len(clinics)}, therapists as "
            f"load-pt-1-1 …; password {LOAD_PASSWORD!r}."
        )

    def _clinics(self, n: int) -> list[Clinic]:
        return Clinic.objects.bulk_create([Clinic(name=f"Load clinic {i:03d}") for i in range(n)])

    def _people(self, clinics: list[Clinic], per_clinic: int) -> dict[int, list[Membership]]:
        User = get_user_model()
        password = make_password(LOAD_PASSWORD)
        users = []
        for ci, _clinic in enumerate(clinics, start=1):
            users.append(User(username=f"load-owner-{ci}", password=password))
            users += [
                User(
                    username=f"load-pt-{ci}-{t}",
                    password=password,
                    first_name=FIRST[t % 15],
                    last_name=LAST[(ci + t) % 13],
                )
                for t in range(1, per_clinic + 1)
            ]
        User.objects.bulk_create(users, batch_size=self.batch)
        by_name = dict(
            User.objects.filter(username__startswith="load-").values_list("username", "id")
        )
        memberships = []
        for ci, clinic in enumerate(clinics, start=1):
            memberships.append(
                Membership(user_id=by_name[f"load-owner-{ci}"], clinic=clinic, role=Role.OWNER)
            )
            memberships += [
                Membership(
                    user_id=by_name[f"load-pt-{ci}-{t}"],
                    clinic=clinic,
                    role=Role.THERAPIST,
                    credential=Credential.PTA if t % 4 == 0 else Credential.PT,
                )
                for t in range(1, per_clinic + 1)
            ]
        Membership.objects.bulk_create(memberships, batch_size=self.batch)
        found: dict[int, list[Membership]] = {}
        for m in Membership.objects.filter(clinic__in=clinics, role=Role.THERAPIST):
            found.setdefault(m.clinic_id, []).append(m)
        return found

    def _patients(
        self, clinics: list[Clinic], per_clinic: int, rng: random.Random
    ) -> dict[int, list[Patient]]:
        payers = list(Payer.objects.all())
        weights = [5 if p.kind == "medicare" else 2 for p in payers]
        rows = [
            Patient(
                clinic=clinic,
                first_name=rng.choice(FIRST),
                last_name=f"{rng.choice(LAST)}{i}",
                date_of_birth=dt.date(1940, 1, 1) + dt.timedelta(days=rng.randrange(25_000)),
                mrn=f"L{clinic.pk}-{i:06d}",
                primary_payer=rng.choices(payers, weights)[0],
                member_id=f"M{rng.randrange(10**9):09d}",
            )
            for clinic in clinics
            for i in range(per_clinic)
        ]
        Patient.objects.bulk_create(rows, batch_size=self.batch)
        today = timezone.localdate()
        found: dict[int, list[Patient]] = {}
        plans = []
        for patient in Patient.objects.filter(clinic__in=clinics).select_related("primary_payer"):
            found.setdefault(patient.clinic_id, []).append(patient)
            start = today - dt.timedelta(days=rng.randrange(0, 120))
            plans.append(
                PlanOfCare(
                    patient=patient,
                    diagnoses=[rng.choice(DX)],
                    start_date=start,
                    certified_by_name="Dr. Load Test",
                    certified_on=start + dt.timedelta(days=5),
                    cert_through=start + dt.timedelta(days=89),
                    frequency="2x/week for 8 weeks",
                    goals="Return to prior level of function.",
                )
            )
        PlanOfCare.objects.bulk_create(plans, batch_size=self.batch)
        return found

    def _sessions_and_claims(
        self,
        clinics: list[Clinic],
        therapists: dict[int, list[Membership]],
        patients: dict[int, list[Patient]],
        target_lines: int,
        rng: random.Random,
    ) -> int:
        codes = {c.code: c for c in BillingCode.objects.all()}
        fees = {
            (f.payer_id, f.billing_code_id): f.allowed_amount
            for f in FeeScheduleEntry.objects.filter(year=timezone.localdate().year)
        }
        timed = ["97110", "97112", "97116", "97140", "97530", "97035", "97032"]
        today = timezone.localdate()
        now = timezone.now()
        made = 0
        creator = therapists[clinics[0].pk][0].user_id
        while made < target_lines:
            sessions: list[TreatmentSession] = []
            plans: list[tuple[list[tuple[str, int]], Any]] = []
            while made < target_lines and len(sessions) < self.batch:
                clinic = rng.choice(clinics)
                patient = rng.choice(patients[clinic.pk])
                rows = [(c, rng.randint(8, 38)) for c in rng.sample(timed, rng.randint(1, 3))]
                if rng.random() < 0.08:
                    rows.append((rng.choice(["97161", "97162", "97164", "97010"]), 0))
                result = compute_units(
                    UnitsRequest(
                        services=tuple(
                            ServiceInput(c, m, codes[c].timed, codes[c].always_therapy)
                            for c, m in rows
                        ),
                        method=Method(patient.primary_payer.unit_method),
                    )
                )
                billed = [line for line in result.lines if line.units > 0]
                if not billed:
                    continue
                day = today - dt.timedelta(days=rng.randrange(DAYS))
                sessions.append(
                    TreatmentSession(
                        clinic=clinic,
                        patient=patient,
                        therapist=rng.choice(therapists[clinic.pk]),
                        payer=patient.primary_payer,
                        date_of_service=day,
                        diagnoses=[rng.choice(DX)],
                        subjective="Synthetic load-test visit.",
                        medical_necessity=(
                            ""
                            if rng.random() < 0.03
                            else "Skilled therapist progression of "
                            "exercise is needed to restore safe gait and transfers."
                        ),
                        is_progress_report=rng.random() < 0.1,
                        created_by_id=creator,
                    )
                )
                plans.append((rows, result))
                made += len(billed)
            with transaction.atomic():
                TreatmentSession.objects.bulk_create(sessions, batch_size=self.batch)
                self._children(sessions, plans, fees, codes, today, now, rng)
            self.stdout.write(f"  {made:,} claim lines", ending="\r")
            self.stdout.flush()
        self.stdout.write("")
        return made

    def _children(
        self,
        sessions: list[TreatmentSession],
        plans: list[tuple[list[tuple[str, int]], Any]],
        fees: dict[tuple[int, str], Decimal],
        codes: dict[str, BillingCode],
        today: dt.date,
        now: dt.datetime,
        rng: random.Random,
    ) -> None:
        services, claims, line_sets = [], [], []
        for session, (rows, result) in zip(sessions, plans, strict=True):
            services += [
                SessionService(session=session, position=i, billing_code_id=c, minutes=m)
                for i, (c, m) in enumerate(rows, start=1)
            ]
            lines = []
            for i, line in enumerate([x for x in result.lines if x.units > 0], start=1):
                fee = fees.get((session.payer_id, line.code))
                modifiers = ["GP"] if codes[line.code].always_therapy else []
                lines.append(
                    ClaimLine(
                        position=i,
                        billing_code_id=line.code,
                        units=line.units,
                        modifiers=modifiers,
                        dx_pointers=[1],
                        minutes=line.minutes,
                        expected_amount=fee * line.units if fee is not None else None,
                        suggested_units=line.units,
                        suggested_amount=fee * line.units if fee is not None else None,
                        suggested_modifiers=modifiers,
                    )
                )
            age = (today - session.date_of_service).days
            status = ClaimStatus.APPROVED
            if age <= OPEN_DAYS:
                status = ClaimStatus.RETURNED if rng.random() < 0.1 else ClaimStatus.NEEDS_REVIEW
            claims.append(
                Claim(
                    clinic_id=session.clinic_id,
                    session=session,
                    patient_id=session.patient_id,
                    therapist_id=session.therapist_id,
                    payer_id=session.payer_id,
                    date_of_service=session.date_of_service,
                    status=status,
                    unit_method=result.method.value,
                    total_units=sum(x.units for x in lines),
                    total_timed_minutes=result.total_timed_minutes,
                    total_treatment_minutes=result.total_treatment_minutes,
                    expected_amount=sum(
                        (x.expected_amount for x in lines if x.expected_amount is not None),
                        Decimal(0),
                    ),
                    submitted_at=now - dt.timedelta(days=age),
                    return_comment="Please add the goal." if status == "returned" else "",
                )
            )
            line_sets.append(lines)
        SessionService.objects.bulk_create(services, batch_size=self.batch)
        Claim.objects.bulk_create(claims, batch_size=self.batch)
        all_lines = []
        for claim, lines in zip(claims, line_sets, strict=True):
            for line in lines:
                line.claim = claim
                all_lines.append(line)
        ClaimLine.objects.bulk_create(all_lines, batch_size=self.batch)

    def _scrub_open(self) -> int:
        ids = list(
            Claim.objects.filter(clinic__name__startswith="Load clinic")
            .exclude(status=ClaimStatus.APPROVED)
            .values_list("pk", flat=True)
        )
        for start in range(0, len(ids), 1000):
            with transaction.atomic():
                claims_scrub(
                    claims_for_scrub(Claim.objects.filter(pk__in=ids[start : start + 1000])),
                    reason="Scrubbed by generate_load_data",
                )
        return len(ids)
