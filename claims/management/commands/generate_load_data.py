"""`manage.py generate_load_data`: a large synthetic dataset for load tests and benchmarks.

Clinics, owners and therapists, patients, and for each patient episodes of care: a plan of care
and two or three visits a week for a few weeks, on weekdays, each visit a treatment session with
its services and the claim made from it. Units come from the real units engine, modifiers from
the real modifier engine (GP, CQ for an assistant's visit, XU, KX once the patient's year passes
the threshold), amounts from the real pricing engine over the real fee schedules; each distinct
combination of services, payer and year is computed once. Claims from the last two weeks are
left open and scrubbed by the real scrubber, so the review queue, its filters and its rule counts
have realistic work; older ones are approved by the clinic's owner.

Rows are written without per-row history (bulk load), in order of date of service so that ids
grow with time as in a live database. On PostgreSQL the four big tables are loaded with COPY
(ids taken from their sequences) and then vacuumed and analysed; elsewhere (SQLite, for tests)
the same rows go through `bulk_create`.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, models, transaction
from django.utils import timezone

from claims.facts import ReferenceFacts, facts_without_patient
from claims.models import (
    Claim,
    ClaimLine,
    ClaimStatus,
    Patient,
    PlanOfCare,
    SessionService,
    TreatmentSession,
)
from claims.pipeline import DraftClaim, DraftRequest, Service, draft_claim
from claims.scrubbing import claims_scrub
from coding.models import BillingCode, ChargeMasterEntry, Payer
from ptclinic.models import Clinic, Credential, Membership, Role

LOAD_PASSWORD = "load-test-password"
FIRST = ("Alex", "Blair", "Casey", "Dana", "Eli", "Frankie", "Gale", "Harper", "Indy", "Jesse",
         "Kai", "Logan", "Morgan", "Noor", "Quinn")  # fmt: skip
LAST = ("Abbott", "Baker", "Cruz", "Dalton", "Ellis", "Foster", "Grant", "Hayes", "Ingram",
        "Jensen", "Keller", "Lowe", "Mercer")  # fmt: skip
DX = ["M25.561", "M25.562", "M54.50", "M17.11", "M17.12", "I69.351", "M75.101", "S93.401D",
      "M62.81", "R26.89", "Z96.641", "M79.604"]  # fmt: skip
# Timed services of an outpatient PT visit, weighted roughly as clinics bill them.
TIMED = ("97110", "97140", "97530", "97112", "97116", "97035", "97032")
TIMED_WEIGHTS = (34, 20, 18, 14, 8, 3, 3)
EVALUATIONS = ("97161", "97162", "97163")
# Pieces of a medical-necessity statement: varied enough that a copied one stands out.
SKILL = ("Skilled progression of", "Therapist-guided grading of", "Manual facilitation during",
         "Skilled cueing for", "Assessment of response to")  # fmt: skip
ACTIVITY = ("closed-chain strengthening", "gait training on stairs", "balance tasks",
            "transfer training", "joint mobilisation", "neuromuscular re-education")  # fmt: skip
GOAL = ("to restore safe community ambulation", "to reduce fall risk at home",
        "to return to work duties", "to regain independent transfers",
        "to restore overhead reach")  # fmt: skip
CONDITION = ("weakness after the knee replacement limits stair climbing",
             "lumbar pain limits sitting tolerance and lifting at work",
             "hemiparesis after the stroke limits safe transfers at home",
             "ankle instability limits walking on uneven ground",
             "shoulder stiffness limits overhead reach for dressing")  # fmt: skip
RESPONSE = ("Tolerated well.", "Fatigue after 10 minutes.", "Needed verbal cues throughout.",
            "Pain 3/10 after session.", "Improved step length.")  # fmt: skip
OPEN_DAYS = 14  # claims this recent are still in the review queue
LOAD_CHARGE = Decimal("250.00")  # every code's charge per unit in the load clinics


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


@dataclass(frozen=True)
class _Line:
    code: str
    units: int
    modifiers: str  # JSON
    minutes: int
    pta_minutes: int
    amount: Decimal | None


@dataclass(frozen=True)
class _Computed:
    """What the engines make of one combination of services for one payer and year."""

    lines: tuple[_Line, ...]  # before KX: KX depends on the patient's year so far
    method: str
    timed_minutes: int
    treatment_minutes: int
    total: Decimal
    is_estimate: bool
    explanation: str  # JSON, as stored on the claim
    kx_lines: tuple[_Line, ...]  # the same lines with KX


def _column(field: Any) -> str:
    """A concrete field's column (always set on a concrete field; the stubs allow None)."""
    column: str = field.column
    return column


class _Engines:
    """The real pipeline (`claims.pipeline.draft_claim`) over code tables read once, with one
    result per distinct input. Units, modifiers and amounts do not depend on the patient here
    (no plan, history or year so far): KX is drafted both ways and picked per visit."""

    def __init__(self) -> None:
        self.ref = ReferenceFacts.load()
        self.thresholds = {year: y.kx_threshold for year, y in self.ref.years.items()}
        self._cache: dict[tuple[Any, ...], _Computed | None] = {}

    def compute(
        self, payer: Payer, year: int, pta: bool, rows: tuple[tuple[str, int], ...]
    ) -> _Computed | None:
        """None when the app would refuse to save it (no billable unit, a blocking edit)."""
        key = (payer.pk, year, pta, rows)
        if key not in self._cache:
            self._cache[key] = self._compute(payer, year, pta, rows)
        return self._cache[key]

    def _draft(
        self, payer: Payer, year: int, pta: bool, rows: tuple[tuple[str, int], ...], *, kx: bool
    ) -> DraftClaim:
        ref = self.ref
        day = dt.date(year, 7, 1)
        codes = {c for c, _ in rows}
        facts = facts_without_patient(
            ref=ref,
            payer=ref.payer(payer.pk, day),
            date_of_service=day,
            credential="PTA" if pta else "PT",
            codes=codes,
            ytd_before=Decimal(10**6) if kx else Decimal(0),
        )
        return draft_claim(
            DraftRequest(
                facts=facts,
                services=tuple(Service(c, m, m if pta else 0, pta) for c, m in rows),
                prices=ref.prices(payer.pk, day, codes),
                terms=ref.payer(payer.pk, day).terms,
            )
        )

    def _compute(
        self, payer: Payer, year: int, pta: bool, rows: tuple[tuple[str, int], ...]
    ) -> _Computed | None:
        plain = self._draft(payer, year, pta, rows, kx=False)
        if not plain.lines or plain.blocked:
            return None
        kx_applies = self.ref.payer(payer.pk, dt.date(year, 7, 1)).rules.kx_applies
        with_kx = self._draft(payer, year, pta, rows, kx=True) if kx_applies else plain

        def lines(draft: DraftClaim) -> tuple[_Line, ...]:
            return tuple(
                _Line(
                    code=line.code,
                    units=line.units,
                    modifiers=_json(list(line.modifiers)),
                    minutes=line.minutes,
                    pta_minutes=line.pta_minutes,
                    amount=line.amount,
                )
                for line in draft.lines
            )

        return _Computed(
            lines=lines(plain),
            method=plain.units.method.value,
            timed_minutes=plain.units.total_timed_minutes,
            treatment_minutes=plain.units.total_treatment_minutes,
            total=plain.total,
            is_estimate=plain.is_estimate,
            explanation=_json([{"text": s.text, "rule": s.rule} for s in plain.explanation]),
            kx_lines=lines(with_kx),
        )


@dataclass(slots=True)
class _Visit:
    day: dt.date
    order: float  # random tie-break among one day's visits
    patient: Patient
    therapist: Membership
    rows: tuple[tuple[str, int], ...]
    computed: _Computed
    diagnoses: str  # JSON
    necessity: str
    progress_report: bool
    kx: bool = False


class _Writer:
    """Inserts plain rows (tuples in the model's column order, JSON already encoded) with ids
    given here: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self, batch: int, log: Callable[[str], None]) -> None:
        self.copy = connection.vendor == "postgresql"
        self.batch = batch
        self.log = log

    @property
    def vacuum(self) -> str:
        # VACUUM cannot run in a transaction (a test's); ANALYZE alone then.
        return "" if connection.in_atomic_block else "VACUUM "

    def ids(self, model: type[models.Model], count: int) -> list[int]:
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.copy:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [table, count],
                )
                return [row[0] for row in cursor.fetchall()]
            cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {connection.ops.quote_name(table)}")
            start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))

    def insert(self, model: type[models.Model], rows: Sequence[tuple[Any, ...]]) -> None:
        fields = model._meta.concrete_fields
        if rows and len(rows[0]) != len(fields):
            raise CommandError(f"{model.__name__}: {len(rows[0])} values for {len(fields)} columns")
        if self.copy:
            names = ", ".join(connection.ops.quote_name(_column(f)) for f in fields)
            table = connection.ops.quote_name(model._meta.db_table)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as c,
            ):
                for row in rows:
                    c.write_row(row)
            return
        json_fields = {i for i, f in enumerate(fields) if isinstance(f, models.JSONField)}
        objs = [
            model(
                **{
                    f.attname: json.loads(v) if i in json_fields else v
                    for i, (f, v) in enumerate(zip(fields, row, strict=True))
                }
            )
            for row in rows
        ]
        model.objects.bulk_create(objs, batch_size=self.batch)  # type: ignore[attr-defined]  # type[Model] declares no objects; each model here has it

    @contextmanager
    def bulk_load(self, tables: Sequence[type[models.Model]]) -> Iterator[None]:
        """PostgreSQL's advice for a bulk load ("Populating a Database"): drop the foreign keys
        and the secondary indexes, load, then build the indexes (one sort each instead of one
        insertion per row) and add the keys back (one pass each instead of one lookup and row
        lock per row), and analyse. Primary keys and unique constraints stay throughout."""
        if not self.copy:
            yield
            return
        quote = connection.ops.quote_name
        keys, indexes = [], []
        with connection.cursor() as cursor:
            if connection.in_atomic_block:
                # In a caller's transaction (a test's), rows it inserted still have their
                # deferred key checks pending, and ALTER TABLE refuses a table with those.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for model in tables:
                table = model._meta.db_table
                cursor.execute(
                    "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f'",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
                    keys.append((table, name, definition))
                cursor.execute(
                    "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) "
                    "FROM pg_index i LEFT JOIN pg_constraint c ON c.conindid = i.indexrelid "
                    "WHERE i.indrelid = %s::regclass AND c.oid IS NULL",
                    [table],
                )
                for name, definition in cursor.fetchall():
                    cursor.execute(f"DROP INDEX {name}")
                    indexes.append(definition)
        try:
            yield
        finally:
            started = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute("SET maintenance_work_mem = '256MB'")
                for definition in indexes:
                    cursor.execute(definition)
                for table, name, definition in keys:
                    cursor.execute(
                        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(name)} {definition}"
                    )
                cursor.execute("RESET maintenance_work_mem")
                for model in tables:
                    cursor.execute(f"{self.vacuum}ANALYZE {quote(model._meta.db_table)}")
            self.log(
                f"Built {len(indexes)} indexes and {len(keys)} foreign keys, vacuumed and "
                f"analysed in {time.perf_counter() - started:.0f} s"
            )


class Command(BaseCommand):
    help = "Bulk-create a synthetic dataset (default: about 1,000,000 claim lines) for load tests."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--clinics", type=int, default=20)
        parser.add_argument("--therapists", type=int, default=8, help="per clinic")
        parser.add_argument("--patients", type=int, default=1000, help="per clinic")
        parser.add_argument("--lines", type=int, default=1_000_000, help="claim lines in all")
        parser.add_argument("--batch", type=int, default=20_000, help="sessions per write")
        parser.add_argument("--days", type=int, default=365, help="of history, up to today")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--no-scrub", action="store_true", help="skip scrubbing open claims")

    def handle(self, *args: Any, **o: Any) -> None:
        if Clinic.objects.filter(name__startswith="Load clinic").exists():
            raise CommandError("Load data is already there (clinics named 'Load clinic …').")
        if not BillingCode.objects.exists():
            raise CommandError("Run `manage.py load_reference` first.")
        started = time.perf_counter()
        self.rng = random.Random(o["seed"])
        self.writer = _Writer(o["batch"], self.stdout.write)
        self.today = timezone.localdate()
        self.now = timezone.now()
        self.days = o["days"]
        clinics = self._clinics(o["clinics"])
        owners, therapists = self._people(clinics, o["therapists"])
        patients = self._patients(clinics, o["patients"])
        visits, plans = self._plan_visits(patients, therapists, o["lines"])
        lines = sum(len(v.computed.lines) for v in visits)
        self.stdout.write(
            f"Planned {len(visits):,} sessions with {lines:,} claim lines "
            f"({time.perf_counter() - started:.0f} s)"
        )
        with self.writer.bulk_load(
            [PlanOfCare, TreatmentSession, SessionService, Claim, ClaimLine]
        ):
            written = time.perf_counter()
            self._write_plans(plans)
            self._write_visits(visits, owners, o["batch"])
            self.stdout.write(f"Wrote them in {time.perf_counter() - written:.0f} s")
        self.stdout.write(f"Created {lines:,} claim lines in {time.perf_counter() - started:.0f} s")
        if not o["no_scrub"]:
            scrub_started = time.perf_counter()
            count = self._scrub_open()
            self.stdout.write(
                f"Scrubbed {count:,} open claims in {time.perf_counter() - scrub_started:.0f} s"
            )
        if self.writer.copy:
            # Statistics and visibility maps for every table (the scrub's flags and history,
            # and reference tables a fresh load_reference left unanalysed): what a DBA runs
            # after a bulk load, and what the planner and index-only scans need.
            vacuumed = time.perf_counter()
            with connection.cursor() as cursor:
                cursor.execute(f"{self.writer.vacuum}ANALYZE")
            self.stdout.write(f"Vacuumed and analysed in {time.perf_counter() - vacuumed:.0f} s")
        self.stdout.write(
            f"Owners log in as load-owner-1 … load-owner-{len(clinics)}, therapists as "
            f"load-pt-1-1 …; password {LOAD_PASSWORD!r}."
        )

    # ---- clinics, people, patients ----------------------------------------------------------

    def _clinics(self, n: int) -> list[Clinic]:
        """Clinics set up to send claims, each with a charge master of one charge for all."""
        clinics = Clinic.objects.bulk_create(
            [
                Clinic(
                    name=f"Load clinic {i:03d}",
                    legal_name=f"Load Physical Therapy {i:03d} LLC",
                    npi="1245319599",
                    tax_id="123456789",
                    address_line1=f"{100 + i} Main St",
                    city="Sacramento",
                    state="CA",
                    zip_code="958141234",
                    # The clearinghouse set-up, so that an owner can send approved claims (its
                    # payers need payer ids too: the reference data's, or an admin's).
                    phone="9165550100",
                    receiver_id="LOADCH",
                    receiver_name="Load test clearinghouse",
                )
                for i in range(n)
            ]
        )
        ChargeMasterEntry.objects.bulk_create(
            ChargeMasterEntry(
                clinic=clinic,
                billing_code_id=code,
                effective=dt.date(2000, 1, 1),
                charge=LOAD_CHARGE,
            )
            for clinic in clinics
            for code in BillingCode.objects.values_list("code", flat=True)
        )
        return clinics

    def _people(
        self, clinics: list[Clinic], per_clinic: int
    ) -> tuple[dict[int, int], dict[int, list[Membership]]]:
        """Returns the owner's user id per clinic, and the therapists' memberships per clinic."""
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
        User.objects.bulk_create(users, batch_size=self.writer.batch)
        by_name = dict(
            User.objects.filter(username__startswith="load-").values_list("username", "id")
        )
        memberships = []
        owners = {}
        for ci, clinic in enumerate(clinics, start=1):
            owners[clinic.pk] = by_name[f"load-owner-{ci}"]
            memberships.append(
                Membership(user_id=owners[clinic.pk], clinic=clinic, role=Role.OWNER)
            )
            memberships += [
                Membership(
                    user_id=by_name[f"load-pt-{ci}-{t}"],
                    clinic=clinic,
                    role=Role.THERAPIST,
                    credential=Credential.PTA if t % 4 == 0 else Credential.PT,
                    npi="" if t % 4 == 0 else "1679576722",
                )
                for t in range(1, per_clinic + 1)
            ]
        Membership.objects.bulk_create(memberships, batch_size=self.writer.batch)
        found: dict[int, list[Membership]] = {}
        for m in Membership.objects.filter(clinic__in=clinics, role=Role.THERAPIST).order_by("pk"):
            found.setdefault(m.clinic_id, []).append(m)
        assistants = []
        for members in found.values():  # each PTA is supervised by the clinic's first PT
            pts = [m for m in members if m.credential == Credential.PT]
            for m in members:
                if m.credential == Credential.PTA and pts:
                    m.supervisor = pts[0]
                    assistants.append(m)
        Membership.objects.bulk_update(assistants, ["supervisor"], batch_size=self.writer.batch)
        return owners, found

    def _patients(self, clinics: list[Clinic], per_clinic: int) -> list[Patient]:
        rng = self.rng
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
                sex=rng.choice("FM"),
                address_line1=f"{rng.randrange(1, 9999)} Elm St",
                city="Sacramento",
                state="CA",
                zip_code="95814",
            )
            for clinic in clinics
            for i in range(per_clinic)
        ]
        Patient.objects.bulk_create(rows, batch_size=self.writer.batch)
        return list(
            Patient.objects.filter(clinic__in=clinics)
            .select_related("primary_payer")
            .order_by("pk")
        )

    # ---- episodes of care -------------------------------------------------------------------

    def _plan_visits(
        self, patients: list[Patient], therapists: dict[int, list[Membership]], target: int
    ) -> tuple[list[_Visit], list[tuple[Any, ...]]]:
        """Episodes of care, patient after patient (and again from the first patient when the
        lines are not there yet), until the claim lines reach `target`. Then KX: each patient's
        visits in date order, with the year's allowed amount so far."""
        rng = self.rng
        engines = _Engines()
        visits: list[_Visit] = []
        plans: list[tuple[Any, ...]] = []
        used: dict[int, set[dt.date]] = {}
        lines = 0
        order = patients[:]
        while lines < target:
            rng.shuffle(order)
            for patient in order:
                if lines >= target:
                    break
                episode = self._episode(patient, therapists[patient.clinic_id], engines, used)
                if episode is None:
                    continue
                plan, new = episode
                plans.append(plan)
                visits += new
                lines += sum(len(v.computed.lines) for v in new)
        visits.sort(key=lambda v: (v.patient.pk, v.day))
        ytd: Decimal = Decimal(0)
        current: tuple[int, int] | None = None
        for visit in visits:
            payer = visit.patient.primary_payer
            if (visit.patient.pk, visit.day.year) != current:
                current, ytd = (visit.patient.pk, visit.day.year), Decimal(0)
            if engines.ref.payer(payer.pk, visit.day).rules.kx_applies:
                threshold = engines.thresholds.get(visit.day.year)
                visit.kx = threshold is not None and ytd + visit.computed.total > threshold
                ytd += visit.computed.total
        visits.sort(key=lambda v: (v.day, v.order))
        return visits, plans

    def _episode(
        self,
        patient: Patient,
        clinic_therapists: list[Membership],
        engines: _Engines,
        used: dict[int, set[dt.date]],
    ) -> tuple[tuple[Any, ...], list[_Visit]] | None:
        """One plan of care and its visits: 1-3 a week (mostly 2) for 3-10 weeks, on weekdays,
        mostly with the patient's own PT, sometimes with another therapist or a PTA."""
        rng, today = self.rng, self.today
        start = today - dt.timedelta(days=rng.randrange(self.days))
        monday = start - dt.timedelta(days=start.weekday())
        per_week = rng.choices((1, 2, 3), (2, 6, 3))[0]
        days = [
            day
            for week in range(rng.randint(3, 10))
            for weekday in sorted(rng.sample(range(5), per_week))
            if start <= (day := monday + dt.timedelta(days=7 * week + weekday)) <= today
        ]
        taken = used.setdefault(patient.pk, set())
        days = [d for d in days if d not in taken]
        if not days:
            return None
        taken.update(days)
        pts = [m for m in clinic_therapists if m.credential == Credential.PT]
        own = rng.choice(pts or clinic_therapists)
        diagnoses = rng.sample(DX, rng.choice((1, 1, 2)))
        payer = patient.primary_payer
        plan_start = days[0]
        signed = plan_start + dt.timedelta(days=rng.randint(1, 21))
        certified_on = signed if signed <= today and rng.random() > 0.05 else None
        cert_through = plan_start + dt.timedelta(days=89)
        plan = (
            None,  # id, given when written
            patient.pk,
            _json(diagnoses),
            plan_start,
            "Dr. Load Test",
            "",
            certified_on,
            cert_through,
            f"{per_week}x/week for {len(days) // max(per_week, 1)} weeks",
            "Return to prior level of function.",
            "active" if cert_through >= today else "discharged",
            None if cert_through >= today else (days[-1] if days else plan_start),
            timezone.make_aware(dt.datetime.combine(plan_start, dt.time(12))),
        )
        visits = []
        necessity = ""
        for n, day in enumerate(days):
            therapist = own if rng.random() < 0.75 else rng.choice(clinic_therapists)
            pta = therapist.credential == Credential.PTA
            rows = self._services(first=n == 0, pta=pta)
            computed = engines.compute(payer, day.year, pta, rows)
            if computed is None:
                continue
            roll = rng.random()
            # Mostly a full statement; now and then none, a thin one, or the last one copied.
            if roll < 0.03:
                necessity = ""
            elif roll < 0.09:
                necessity = f"{rng.choice(SKILL)} {rng.choice(ACTIVITY)}."
            elif roll > 0.12 or not necessity:
                necessity = (
                    f"{rng.choice(SKILL)} {rng.choice(ACTIVITY)} {rng.choice(GOAL)}, as "
                    f"{rng.choice(CONDITION)}. {rng.choice(RESPONSE)}"
                )
            visits.append(
                _Visit(
                    day=day,
                    order=rng.random(),
                    patient=patient,
                    therapist=therapist,
                    rows=rows,
                    computed=computed,
                    diagnoses=_json(diagnoses),
                    necessity=necessity,
                    progress_report=not pta and n % 10 == 9 and rng.random() < 0.85,
                )
            )
        return plan, visits

    def _services(self, *, first: bool, pta: bool) -> tuple[tuple[str, int], ...]:
        """The services of one visit and their minutes: 1-3 timed codes of 8-38 minutes (most
        near 15-25), an evaluation on the first visit, now and then a hot pack."""
        rng = self.rng
        count = rng.choices((1, 2, 3), (25, 45, 30))[0]
        codes: list[str] = []
        while len(codes) < count:
            code = rng.choices(TIMED, TIMED_WEIGHTS)[0]
            if code not in codes:
                codes.append(code)
        # In code order: the same services give the same input, so fewer for the engines.
        rows = [(c, round(rng.triangular(8, 38, 18))) for c in sorted(codes)]
        if first and not pta:
            rows.insert(0, (rng.choice(EVALUATIONS), rng.choice((20, 30, 45))))
            rows = rows[:2]
        elif rng.random() < 0.05:
            rows.append(("97010", 10))
        return tuple(rows)

    # ---- writing ----------------------------------------------------------------------------

    def _write_plans(self, plans: list[tuple[Any, ...]]) -> None:
        ids = self.writer.ids(PlanOfCare, len(plans))
        with transaction.atomic():
            self.writer.insert(
                PlanOfCare, [(pk, *plan[1:]) for pk, plan in zip(ids, plans, strict=True)]
            )

    def _write_visits(self, visits: list[_Visit], owners: dict[int, int], batch: int) -> None:
        writer, rng, today, now = self.writer, self.rng, self.today, self.now
        tz = timezone.get_current_timezone()
        for start in range(0, len(visits), batch):
            chunk = visits[start : start + batch]
            session_ids = writer.ids(TreatmentSession, len(chunk))
            claim_ids = writer.ids(Claim, len(chunk))
            service_ids = iter(writer.ids(SessionService, sum(len(v.rows) for v in chunk)))
            line_ids = iter(writer.ids(ClaimLine, sum(len(v.computed.lines) for v in chunk)))
            sessions, services, claims, lines = [], [], [], []
            for visit, session_id, claim_id in zip(chunk, session_ids, claim_ids, strict=True):
                patient, therapist, c = visit.patient, visit.therapist, visit.computed
                saved = min(now, dt.datetime.combine(visit.day, dt.time(17, rng.randrange(60)), tz))
                sessions.append(
                    (
                        session_id,
                        patient.clinic_id,
                        patient.pk,
                        therapist.pk,
                        patient.primary_payer_id,
                        visit.day,
                        visit.diagnoses,
                        "Synthetic load-test visit.",
                        "",
                        "",
                        "Continue plan of care.",
                        visit.necessity,
                        visit.progress_report,
                        claim_id,
                        None,
                        therapist.user_id,
                        saved,
                        saved,
                    )
                )
                pta = therapist.credential == Credential.PTA
                pointers = "[1]" if visit.diagnoses.count(",") == 0 else "[1,2]"
                services += [
                    (
                        next(service_ids),
                        session_id,
                        position,
                        code,
                        minutes,
                        minutes if pta else 0,
                        pointers,
                    )
                    for position, (code, minutes) in enumerate(visit.rows, start=1)
                ]
                claim_lines = c.kx_lines if visit.kx else c.lines
                for position, line in enumerate(claim_lines, start=1):
                    lines.append(
                        (
                            next(line_ids),
                            claim_id,
                            position,
                            line.code,
                            line.units,
                            line.modifiers,
                            pointers,
                            line.minutes,
                            line.pta_minutes,
                            pta or line.pta_minutes > 0,
                            line.amount,
                            LOAD_CHARGE * line.units,
                            line.units,
                            line.amount,
                            line.modifiers,
                            "",
                        )
                    )
                age = (today - visit.day).days
                status, decided_by, decided_at = ClaimStatus.APPROVED, None, None
                if age <= OPEN_DAYS:
                    returned = rng.random() < 0.1
                    status = ClaimStatus.RETURNED if returned else ClaimStatus.NEEDS_REVIEW
                    if returned:
                        decided_by = owners[patient.clinic_id]
                        decided_at = min(now, saved + dt.timedelta(hours=20))
                else:
                    decided_by = owners[patient.clinic_id]
                    decided_at = saved + dt.timedelta(days=rng.randint(1, 4))
                claims.append(
                    (
                        claim_id,
                        patient.clinic_id,
                        patient.pk,
                        therapist.pk,
                        patient.primary_payer_id,
                        visit.day,
                        status,
                        visit.diagnoses,
                        c.method,
                        sum(x.units for x in claim_lines),
                        c.timed_minutes,
                        c.treatment_minutes,
                        c.total,
                        c.is_estimate,
                        c.explanation,
                        0,
                        0,
                        "Please add the goal." if status == ClaimStatus.RETURNED else "",
                        saved,
                        decided_by,
                        decided_at,
                        "",
                        LOAD_CHARGE * sum(x.units for x in claim_lines),
                        "1",
                        "",
                        1,
                    )
                )
            with transaction.atomic():
                writer.insert(Claim, claims)
                writer.insert(TreatmentSession, sessions)
                writer.insert(SessionService, services)
                writer.insert(ClaimLine, lines)
            done = min(start + batch, len(visits))
            self.stdout.write(f"  {done:,} of {len(visits):,} sessions", ending="\r")
            self.stdout.flush()
        self.stdout.write("")

    def _scrub_open(self) -> int:
        ids = list(
            Claim.objects.filter(clinic__name__startswith="Load clinic")
            .open()
            .order_by("patient_id", "pk")
            .values_list("pk", flat=True)
        )
        ref = ReferenceFacts.load()
        for start in range(0, len(ids), 1000):
            with transaction.atomic():
                claims_scrub(
                    ids[start : start + 1000], reason="Scrubbed by generate_load_data", ref=ref
                )
        return len(ids)
