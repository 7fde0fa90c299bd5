"""Random and malformed input to every endpoint: never a 500, never half a claim saved.

Every URL pattern is listed in SPECS (the role that may use it, its methods, and a valid request
to start from), so a new endpoint fails `test_every_url_pattern_has_a_fuzz_spec` until it gets
one. Each endpoint then gets:

- a sweep: every field set to each of a few nasty values at once, and each field alone set to the
  values that broke parsing before (a NUL byte, "²", a number no column holds, year 9999);
- Hypothesis: the valid request mutated at random (unicode, NUL bytes, long text, numbers out of
  range, floats, impossible dates, another clinic's ids, repeated, missing and extra keys, the
  htmx header) and sent to random ids in the URL, own and another clinic's.

Each request runs in a savepoint that is rolled back, so nothing piles up, and the database is
checked inside it first: no session without its claim, no claim without lines, no NUL byte
stored, nothing of the other clinic changed. A redirect is followed: what was saved must show.
Huge inputs (a 1 MB note, 500 service rows, a body over the upload limit) are tested at the end.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

import django.test.client
import pytest
from django.conf import settings as django_settings
from django.contrib.admin import site as admin_site
from django.db import connection, transaction
from django.db.models import Q
from django.test import Client
from django.urls import URLPattern, get_resolver, reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.forms import MAX_NOTE_CHARS, MAX_ROWS
from claims.jobs import rescrub_start
from claims.models import (
    Authorization,
    Claim,
    ClaimFlag,
    ClaimLine,
    Patient,
    PlanOfCare,
    TherapyAmountUsed,
    TreatmentSession,
)
from claims.patient_services import authorization_create
from claims.services import claim_approve, claim_return
from claims.submission.services import batch_create
from coding.models import Payer
from ptclinic.models import Clinic, Membership, Role
from tests.claims.test_review import make_claim, make_plan
from tests.claims.test_sessions import NECESSITY, post_data
from tests.conftest import (
    PASSWORD,
    make_clinic,
    make_member,
    make_patient,
    make_remittance,
    make_user,
    membership,
    sign_in,
)
from tests.ptclinic.test_access import _walk

pytestmark = [
    pytest.mark.usefixtures("reference"),
    # django-tables2 on `?sort=1.5`: it reads the dot as a path, ignores it, and warns.
    pytest.mark.filterwarnings("ignore:Use '__' to separate path components:DeprecationWarning"),
]

HUGE = 10**30
TODAY = timezone.localdate()
FUZZ = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    # CI runs the same examples every time; a developer's run explores new ones.
    derandomize=bool(os.environ.get("CI")),
)
EXAMPLES = 25  # per endpoint and method that reads input
EXAMPLES_NO_INPUT = 5  # pages that read only the ids in their URL
ADMIN_EXAMPLES = 4  # per model in the admin

# Values that have broken form handling somewhere: NUL bytes, digits that str.isdigit() accepts
# and int() refuses, numbers a database column cannot hold, dates that do not exist or that sit
# at the ends of the calendar, and text far longer than any field.
TRICKY = [
    "",
    " ",
    "\x00",
    "1\x00",
    "a\x00b",
    "0",
    "-1",
    "-0",
    "1.5",
    "1e3",
    "NaN",
    "inf",
    str(HUGE),
    str(-HUGE),
    str(2**31),
    str(2**63),
    "²",
    "¹²",
    "١٢",
    "𝟘",
    "1_000",
    "0x10",
    " 7 ",
    "2026-02-30",
    "0000-01-01",
    "0001-01-01",
    "1999-12-31",
    "9999-12-31",
    "10000-01-01",
    "2026-13-01",
    (TODAY + dt.timedelta(days=1)).isoformat(),
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    "%00",
    "../../etc/passwd",
    "\r\nSet-Cookie: x=1",
    "//evil.example/",
    "javascript:alert(1)",
    "x" * 30_000,
    "é" * 5_000,
    "\U0001f600" * 100,
    "97110",
    "97110 — Therapeutic exercise",
    "M25.561",
    "M25.5",
    "GP CQ",
    "GP GP GP GP GP",
    "KX,59,XU,GA,GZ",
    "on",
    "save",
    "calculate",
    "resolve",
    "waive",
    "needs_review",
    "approved",
    "returned",
]
# Every field at once set to one of these …
NASTY_ALL = ["", "\x00", "²" * 10, str(HUGE), "-1", "2026-02-30", "x" * 30_000]
# … and each field alone, the rest valid (so the parsing behind a valid form is reached too):
NASTY_TEXT = ["\x00"]  # any field
NASTY_NUMBER = ["²", str(HUGE)]  # the fields that hold a number, an id or a code (or nothing)
NASTY_DATE = ["9999-12-31", "0000-01-01", "0001-01-01"]  # the fields that hold a date

SAFE_TEXT = st.text(max_size=40)


@dataclass
class World:
    """One clinic with enough records for every page to go deep, and another clinic whose ids
    must never work."""

    users: dict[str, Any]
    ids: dict[str, list[int]]  # own records by kind ("claim", "line", …)
    foreign: dict[str, list[int]]  # the other clinic's
    base: dict[str, Any] = field(default_factory=dict)  # values a valid request uses
    foreign_state: list[Any] = field(default_factory=list)  # must never change

    def id_strings(self) -> list[str]:
        return sorted(
            {str(i) for group in (self.ids, self.foreign) for v in group.values() for i in v}
        )


def _records(clinic: Any, therapist: Any, owner: Any) -> dict[str, list[int]]:
    """Claims in every state: one with an open error, one with a warning, an approved one and a
    returned one (each with its patient, plan, session, lines and flags)."""
    with_error = make_claim(clinic, therapist, necessity="")
    with_warning = make_claim(clinic, therapist, certified=False)
    approved = make_claim(clinic, therapist)
    claim_approve(claim=approved, user=owner, version=approved.version)
    returned = make_claim(clinic, therapist)
    claim_return(claim=returned, user=owner, version=returned.version, comment="Add the goals.")
    sent = make_claim(clinic, therapist)
    sent = claim_approve(claim=sent, user=owner, version=sent.version)
    Clinic.objects.filter(pk=clinic.pk).update(receiver_id="FUZZCH", receiver_name="Fuzz CH")
    clinic.refresh_from_db()
    batch = batch_create(clinic=clinic, user=owner, claim_ids=[sent.pk])
    sent.refresh_from_db()
    remittance, unmatched = make_remittance(clinic, owner, sent)
    claims = [with_error, with_warning, approved, returned, sent]
    authorization = authorization_create(
        patient=with_error.patient,
        payer=with_error.payer,
        number="FZ-1",
        start_date=TODAY - dt.timedelta(days=30),
        end_date=TODAY + dt.timedelta(days=30),
        visits=10,
    )
    job = rescrub_start(user=owner, clinic=clinic)
    return {
        "authorization": [authorization.pk],
        "job": [job.pk],
        "claim": [c.pk for c in claims],
        "session": [c.sessions.get().pk for c in claims],
        "patient": [c.patient_id for c in claims],
        "plan": list(
            PlanOfCare.objects.filter(patient__clinic=clinic).values_list("pk", flat=True)
        ),
        "line": list(ClaimLine.objects.filter(claim__in=claims).values_list("pk", flat=True)),
        "flag": list(ClaimFlag.objects.filter(claim__in=claims).values_list("pk", flat=True)),
        "membership": list(Membership.objects.filter(clinic=clinic).values_list("pk", flat=True)),
        "batch": [batch.pk],
        "file": list(batch.files.values_list("pk", flat=True)),
        "remittance": [remittance.pk],
        "payment": [unmatched.pk],
    }


def _build_world() -> World:
    clinic = make_clinic(name="Fuzz Street PT")
    pt = make_member(clinic, Role.THERAPIST)
    owner = make_member(clinic, Role.OWNER)
    superuser = make_user(is_superuser=True, is_staff=True)
    make_member(clinic, Role.ADMIN, user=superuser)
    ids = _records(clinic, pt, owner)
    other = make_clinic(name="Across Town PT")
    foreign = _records(other, make_member(other, Role.THERAPIST), make_member(other, Role.OWNER))
    ids["payer"] = foreign["payer"] = list(Payer.objects.values_list("pk", flat=True))
    world = World(
        users={
            "therapist": pt,
            "owner": owner,
            "admin": make_member(clinic, Role.ADMIN),
            "superuser": superuser,
        },
        ids=ids,
        foreign=foreign,
        base={
            "patient": Patient.objects.get(pk=ids["patient"][1]),
            "therapist": Membership.objects.get(user=pt, clinic=clinic),
            "claim_ids": ids["claim"],
            "clinic": clinic,
        },
    )
    world.foreign_state = foreign_state(world)
    return world


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[World]:
    """Built once for the module, in a transaction rolled back at its end; each test (and each
    example) runs in a savepoint inside it."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield _build_world()
        transaction.set_rollback(True)


# ---- what a valid request to each endpoint looks like ------------------------------------


Fields = dict[str, list[str]]


def _session_fields(w: World) -> Fields:
    return {
        "patient": [str(w.base["patient"].pk)],
        "date_of_service": [(TODAY - dt.timedelta(days=1)).isoformat()],
        "payer": [""],
        "therapist": [str(w.base["therapist"].pk)],
        "code": ["97110", "97140", ""],
        "minutes": ["23", "10", ""],
        "pta_minutes": ["", "5", ""],
        "pointers": ["1", "", ""],
        "dx": ["M25.561", ""],
        # Two of the five notes: the others are the same field.
        "subjective": ["Knee stiff."],
        "medical_necessity": [NECESSITY],
        "is_progress_report": [""],
        "tie_choice": [""],
        "tie_pick": [""],
        # A change to the suggestion, so that its reason is saved too.
        "units__97110": ["3"],
        "mods__97110": ["GP"],
        "reason__97110": ["Three units documented."],
        "claim_id": [str(w.ids["claim"][3])],
        "action": ["save"],
    }


def _patient_fields(w: World) -> Fields:
    return {
        "first_name": ["Ada"],
        "last_name": ["Lovelace"],
        "date_of_birth": ["1950-03-04"],
        "mrn": ["FUZZ-1"],
        "primary_payer": [str(w.ids["payer"][0])],
        "member_id": ["1EG4-TE5-MK72"],
    }


def _plan_fields(w: World) -> Fields:
    start = TODAY - dt.timedelta(days=3)
    return {
        "start_date": [start.isoformat()],
        "cert_through": [(start + dt.timedelta(days=60)).isoformat()],
        "certified_by_name": ["Dr. Rivera"],
        "certified_by_npi": ["1234567893"],
        "certified_on": [start.isoformat()],
        "frequency": ["2x/week"],
        "goals": ["Walk 500 m."],
        "status": ["active"],
        "dx_1": ["M25.561"],
        "dx_2": [""],
        "dx_12": [""],
    }


def _authorization_fields(number: str) -> Callable[[World], Fields]:
    def fields(w: World) -> Fields:
        return {
            "payer": [str(w.ids["payer"][0])],
            "number": [number],
            "start_date": [TODAY.isoformat()],
            "end_date": [(TODAY + dt.timedelta(days=60)).isoformat()],
            "visits": ["12"],
            "notes": ["Twelve visits."],
            "units-TOTAL_FORMS": ["1"],
            "units-INITIAL_FORMS": ["0"],
            "units-0-code": ["97140"],
            "units-0-units": ["6"],
        }

    return fields


def _therapy_used_fields(w: World) -> Fields:
    return {
        "year": [str(TODAY.year)],
        "amount": ["1200.50"],
        "as_of": [TODAY.isoformat()],
        "source": ["HETS reply"],
    }


def _version(w: World) -> Fields:
    return {"version": ["1"]}


def _queue_fields(w: World) -> Fields:
    return {
        "q": ["Adler"],
        "status": ["needs_review"],
        "rule": ["necessity-missing"],
        "severity": ["errors"],
        "therapist": [str(w.base["therapist"].pk)],
        "payer": [str(w.ids["payer"][0])],
        "date_from": ["2020-01-01"],
        "date_to": [TODAY.isoformat()],
        "sort": ["-date_of_service"],
        "page": ["1"],
        "per_page": ["25"],
    }


def _table_fields(w: World) -> Fields:
    return {"sort": ["code"], "page": ["1"], "per_page": ["25"]}


NONE: Callable[[World], Fields] = lambda w: {}  # noqa: E731
NEXT: Callable[[World], Fields] = lambda w: {"next": ["/"]}  # noqa: E731


@dataclass(frozen=True)
class Spec:
    role: str | None  # None: anonymous
    methods: tuple[str, ...]
    fields: Callable[[World], Fields] = NONE
    valid_status: int | None = None  # what the valid request answers (302 for a POST, else 200)
    each_field: bool = True  # sweep each field alone too (off where another spec does it)


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

SPECS: dict[str, Spec] = {
    "healthz": Spec(None, GET),
    "readyz": Spec(None, GET),
    "favicon": Spec(None, GET, valid_status=301),
    "clinic-settings": Spec(
        "owner",
        BOTH,
        lambda w: {
            "name": [w.base["clinic"].name],
            "npi": [""],
            "locality": ["01112-05"],
            "qualifying_apm": ["on"],
        },
    ),
    "home": Spec("owner", GET, lambda w: {"start": ["2026-06-01"], "end": [TODAY.isoformat()]}),
    "clinic-switch": Spec(
        "therapist", POST, lambda w: {"clinic": [str(w.base["clinic"].pk)], "next": ["/"]}
    ),
    "login": Spec(
        None,
        BOTH,
        lambda w: {
            "username": [w.users["therapist"].username],
            "password": [PASSWORD],
            "next": ["/"],
        },
    ),
    "logout": Spec("therapist", POST, NEXT),
    # The clients have given both factors: the code page sends them on; an owner's "turn off"
    # is refused (a redirect with a message).
    "two-factor": Spec("owner", GET),
    "two-factor-verify": Spec(
        "owner", BOTH, lambda w: {"code": ["123456"], "next": ["/"]}, valid_status=302
    ),
    "two-factor-setup": Spec("therapist", GET, lambda w: {"next": ["/"]}),
    "two-factor-recovery-codes": Spec("owner", POST, valid_status=200),
    "two-factor-turn-off": Spec("owner", POST),
    "password_change": Spec(
        "therapist",
        BOTH,
        lambda w: {
            "old_password": [PASSWORD],
            "new_password1": ["a-much-longer-passphrase"],
            "new_password2": ["a-much-longer-passphrase"],
        },
    ),
    "password_change_done": Spec("therapist", GET),
    "code-list": Spec(
        "therapist",
        GET,
        lambda w: {"q": ["971"], "category": ["therapeutic"], "timed": ["yes"], **_table_fields(w)},
    ),
    "code-detail": Spec("therapist", GET),
    "code-cheat-sheet": Spec("therapist", GET),
    "icd10-search": Spec("therapist", GET, lambda w: {"q": ["knee pain"], "parent": ["M25.5"]}),
    "modifier-list": Spec("therapist", GET, _table_fields),
    "payer-list": Spec("therapist", GET, _table_fields),
    "rule-list": Spec("therapist", GET, lambda w: {"q": ["plan of care"]}),
    "patient-list": Spec("therapist", GET, lambda w: {"q": ["Ient"], "page": ["1"]}),
    "patient-create": Spec("therapist", BOTH, _patient_fields),
    "dx-options": Spec("therapist", GET, lambda w: {"q": ["knee"], "dx": ["M25", "M54.5"]}),
    "patient-detail": Spec("owner", GET),
    "patient-update": Spec("therapist", BOTH, _patient_fields),
    "plan-create": Spec("therapist", BOTH, _plan_fields),
    "plan-update": Spec("owner", BOTH, _plan_fields),
    "authorization-create": Spec("therapist", BOTH, _authorization_fields("FZ-2")),
    "authorization-update": Spec("owner", BOTH, _authorization_fields("FZ-1")),
    "therapy-used-edit": Spec("owner", BOTH, _therapy_used_fields),
    "session-list": Spec(
        "therapist", GET, lambda w: {"status": ["returned"], "q": ["Adler"], "page": ["1"]}
    ),
    "session-new": Spec("therapist", BOTH, _session_fields),
    # The same form once more (each field alone is swept on session-new).
    "session-suggest": Spec("therapist", POST, _session_fields, valid_status=200, each_field=False),
    "session-patient-options": Spec(
        "therapist",
        GET,
        lambda w: {"patient_q": ["Ient"], "patient": [str(w.base["patient"].pk)]},
    ),
    "session-row": Spec("therapist", GET),
    "session-dx-row": Spec("therapist", GET),
    # The session page's form again: each field alone is swept on session-new.
    "session-edit": Spec("therapist", BOTH, _session_fields, each_field=False),
    "access-log": Spec("admin", GET, lambda w: {"q": ["Ient"], "kind": ["claim"], "page": ["1"]}),
    "review-queue": Spec("owner", GET, _queue_fields),
    "review-bulk-approve": Spec(
        "owner", POST, lambda w: {"claim": [str(i) for i in w.base["claim_ids"]], "next": ["/"]}
    ),
    "review-export": Spec("owner", GET, _queue_fields),
    "claim-detail": Spec("owner", GET),
    "batch-list": Spec(
        "owner",
        BOTH,
        lambda w: {"claim": [str(i) for i in w.base["claim_ids"]], "note": ["Fuzz batch"]},
    ),
    "batch-detail": Spec("owner", GET),
    "batch-file": Spec("owner", GET),
    "batch-forms": Spec("owner", GET),
    "claim-form": Spec("owner", GET, valid_status=302),  # an unapproved claim: not printed
    "claim-lifecycle": Spec(
        "owner",
        POST,
        lambda w: {**_version(w), "note": ["Fixed"], "payer_claim_number": ["PCN-1"]},
    ),
    "clinic-billing": Spec(
        "owner",
        BOTH,
        lambda w: {
            "legal_name": ["Fuzz Street PT LLC"],
            "tax_id": ["12-3456789"],
            "taxonomy": ["225100000X"],
            "address_line1": ["1 Main St"],
            "city": ["Sacramento"],
            "state": ["ca"],
            "zip_code": ["95814-1234"],
            "phone": ["916-555-0100"],
            "place_of_service": ["11"],
            "receiver_id": ["FUZZCH"],
            "receiver_name": ["Fuzz CH"],
        },
    ),
    "charge-master": Spec(
        "owner",
        BOTH,
        lambda w: {"code": ["97110"], "effective": ["2026-01-01"], "charge": ["99.00"]},
    ),
    # The upload (a POST with a file) is tested in tests/claims/remittance/test_views.py.
    "remittance-list": Spec("owner", GET),
    "jobs": Spec(
        "owner",
        GET,
        lambda w: {"status": ["done"], "kind": ["rescrub_open"], "page": ["1"]},
    ),
    "job-detail": Spec("owner", GET),
    "jobs-rescrub": Spec("owner", POST, valid_status=302),
    "remittance-detail": Spec("owner", GET),
    "remittance-worklist": Spec("owner", GET),
    "payment-match": Spec(
        "owner", POST, lambda w: {"claim": [str(w.ids["claim"][4])], "note": ["Payer typo"]}
    ),
    "payment-dismiss": Spec("owner", POST, lambda w: {"note": ["Not our patient"]}),
    "denial-report": Spec(
        "owner",
        GET,
        lambda w: {
            "start": ["2026-01-01"],
            "end": [TODAY.isoformat()],
            "reason": ["CO-50"],
            "rule": ["necessity-copied"],
            "payer": [str(w.ids["payer"][0])],
            "clinician": [str(w.base["therapist"].pk)],
            "uncaught": ["1"],
            "family": ["Medical necessity"],
        },
    ),
    "adjustment-codes": Spec("therapist", GET, lambda w: {"q": ["bundled"]}),
    "claim-approve": Spec("owner", POST, lambda w: {**_version(w), "override_reason": ["ok"]}),
    "claim-return": Spec("owner", POST, lambda w: {**_version(w), "comment": ["Fix it."]}),
    "claim-rescrub": Spec("owner", POST, _version),
    "claim-line-edit": Spec(
        "owner",
        POST,
        lambda w: {**_version(w), "units": ["2"], "modifiers": ["GP"], "reason": ["Timed."]},
    ),
    "flag-settle": Spec(
        "owner", POST, lambda w: {**_version(w), "note": ["Added."], "action": ["resolve"]}
    ),
}

# The Django admin (code tables for the admin role, everything for a superuser): the same
# treatment, fewer examples per model, with the keys its pages read.
ADMIN_KEYS = [
    "q",
    "o",
    "p",
    "e",
    "all",
    "_popup",
    # Not "_to_field": Django's own change and delete views answer an empty one with a 500
    # (FieldDoesNotExist from ModelAdmin.get_object), upstream and out of our reach.
    "_changelist_filters",
    "action",
    "_selected_action",
    "select_across",
    "index",
    "post",
    "_save",
    "_continue",
    "year",
    "code",
    "name",
    "term",
    "app_label",
    "model_name",
    "field_name",
    "format",
    "resource",
    "import_file",
]
ADMIN_SPEC = Spec("superuser", BOTH, lambda w: {key: [""] for key in ADMIN_KEYS})

URL_PATTERNS = dict(_walk(get_resolver().url_patterns))
APP_CASES = [
    (name, method)
    for name, spec in SPECS.items()
    if name in URL_PATTERNS
    for method in spec.methods
]
# The cases whose input is read: every POST, and the GET pages that take query parameters.
SWEEP_CASES = [
    (name, method)
    for name, method in APP_CASES
    if SPECS[name].fields is not NONE and (method == "POST" or SPECS[name].methods == GET)
]
# By model ("admin:coding_payer_change" → "coding_payer"); the site's own pages in "site".
_ADMIN_MODELS = [f"{m._meta.app_label}_{m._meta.model_name}" for m in admin_site._registry]
ADMIN_GROUPS: dict[str, list[str]] = {}
for _name in URL_PATTERNS:
    if _name.startswith("admin:"):
        _group = next((m for m in _ADMIN_MODELS if _name.startswith(f"admin:{m}_")), "site")
        ADMIN_GROUPS.setdefault(_group, []).append(_name)


def test_every_url_pattern_has_a_fuzz_spec() -> None:
    missing = sorted(n for n in URL_PATTERNS if n not in SPECS and not n.startswith("admin:"))
    assert not missing, (
        f"Add a fuzz spec (role, methods, a valid request) to SPECS in {__file__} for: "
        + ", ".join(missing)
    )
    stale = sorted(set(SPECS) - set(URL_PATTERNS))
    assert not stale, f"SPECS names URL patterns that no longer exist: {stale}"


# ---- strategies ---------------------------------------------------------------------------


def junk(w: World) -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(TRICKY),
        st.sampled_from(w.id_strings()),
        SAFE_TEXT,
        st.integers(min_value=-(10**40), max_value=10**40).map(str),
        st.floats().map(repr),
        st.dates().map(dt.date.isoformat),
    )


@st.composite
def mutated(draw: st.DrawFn, w: World, fields: Fields) -> Fields:
    """The valid fields with some values replaced, repeated or dropped, and some keys added."""
    # How much to break, in tenths: nothing (the valid request) up to everything.
    rate = draw(st.sampled_from([0, 1, 2, 3, 5, 10]))
    values = junk(w)
    out: Fields = {}
    for key, valid in fields.items():
        if draw(st.integers(0, 9)) >= rate:
            out[key] = valid
            continue
        action = draw(st.sampled_from(["junk", "junk", "list", "drop"]))
        if action == "junk":
            out[key] = [draw(values)]
        elif action == "list":
            out[key] = draw(st.lists(values, max_size=5))
    extra = draw(
        st.dictionaries(
            st.sampled_from(ADMIN_KEYS) | SAFE_TEXT, st.lists(values, max_size=3), max_size=3
        )
    )
    for key, vals in extra.items():
        out.setdefault(key, vals)
    return out


def url_argument(w: World, arg: str) -> st.SearchStrategy[Any]:
    kind = arg.removesuffix("_id")
    weird: st.SearchStrategy[Any] = st.sampled_from([0, HUGE, 2**63, 2**31]) | st.integers(0, 10**6)
    if kind in w.ids:
        return st.one_of(
            st.sampled_from(w.ids[kind]),
            st.sampled_from(w.ids[kind]),
            st.sampled_from(w.foreign[kind]),
            weird,
        )
    if arg == "code":
        return st.sampled_from(["97110", "97161", "g0283", "M54.5", "\x00"]) | st.text(
            st.characters(blacklist_characters="/"), min_size=1, max_size=20
        )
    if arg == "object_id":
        return st.sampled_from(["1", "97110", "M54.5", str(HUGE), "-1", "x", "\x00", "%00"])
    if arg == "content_type_id":
        return st.sampled_from(["1", "2", str(HUGE)])
    return weird


@st.composite
def url_for(draw: st.DrawFn, w: World, name: str) -> str:
    pattern: URLPattern = URL_PATTERNS[name]
    regex = pattern.pattern.regex
    kwargs = {arg: draw(url_argument(w, arg)) for arg in regex.groupindex}
    if "app_label" in kwargs:
        kwargs["app_label"] = "coding"
    positional = regex.groups - len(regex.groupindex)
    if positional and not kwargs:
        return reverse(name, args=[draw(url_argument(w, "object_id")) for _ in range(positional)])
    return reverse(name, kwargs=kwargs)


def own_url(w: World, name: str) -> str:
    """The URL with the clinic's own records in it (the deepest path for the sweep)."""
    pattern: URLPattern = URL_PATTERNS[name]
    args = pattern.pattern.regex.groupindex
    claim = w.ids["claim"][0]  # the claim with an open error: every action applies to it
    own = {
        "claim_id": claim,
        "line_id": ClaimLine.objects.filter(claim=claim).values_list("pk", flat=True)[0],
        "flag_id": ClaimFlag.objects.filter(claim=claim).values_list("pk", flat=True)[0],
        "session_id": w.ids["session"][0],
        "patient_id": w.ids["patient"][0],
        "plan_id": w.ids["plan"][0],
        "authorization_id": w.ids["authorization"][0],
        "code": "97110",
        "batch_id": w.ids["batch"][0],
        "file_id": w.ids["file"][0],
        "remittance_id": w.ids["remittance"][0],
        "payment_id": w.ids["payment"][0],
        "job_id": w.ids["job"][0],
        "action": "correct",
    }
    return reverse(name, kwargs={arg: own[arg] for arg in args})


# ---- the checks ---------------------------------------------------------------------------

TEXT_FIELDS: list[tuple[Any, tuple[str, ...]]] = [
    (Patient, ("first_name", "last_name", "mrn", "member_id")),
    (PlanOfCare, ("certified_by_name", "frequency", "goals")),
    (TreatmentSession, ("subjective", "objective", "assessment", "plan", "medical_necessity")),
    (Claim, ("return_comment", "override_reason")),
    (ClaimLine, ("change_reason",)),
    (ClaimFlag, ("resolution_note",)),
    (Authorization, ("number", "notes")),
    (TherapyAmountUsed, ("source",)),
]


def foreign_state(w: World) -> list[Any]:
    claims = Claim.objects.filter(pk__in=w.foreign["claim"]).order_by("pk")
    plans = PlanOfCare.objects.filter(pk__in=w.foreign["plan"]).order_by("pk")
    patients = w.foreign["patient"]
    authorizations = Authorization.objects.filter(patient__in=patients).order_by("pk")
    used = TherapyAmountUsed.objects.filter(patient__in=patients).order_by("pk")
    return [
        *claims.values_list("pk", "status", "version", "total_units", "open_errors"),
        *plans.values_list("pk", "start_date", "cert_through", "goals"),
        *authorizations.values_list("pk", "number", "start_date", "end_date", "visits"),
        *used.values_list("pk", "year", "amount"),
    ]


def assert_nothing_half_saved(w: World, wrote: bool) -> None:
    """`wrote`: the request could have written (a POST); a GET only notes who opened what."""
    half = TreatmentSession.objects.filter(Q(claim__isnull=True) | Q(services__isnull=True))
    assert not half.exists(), "a session without its claim or its services"
    assert not Claim.objects.filter(lines__isnull=True).exists(), "a claim without lines"
    if not wrote:
        return
    assert foreign_state(w) == w.foreign_state, "the other clinic's records changed"
    if connection.vendor == "sqlite":
        # SQLite stores a NUL byte that PostgreSQL refuses (a 500 there): none may get this far.
        for model, names in TEXT_FIELDS:
            for row in model.objects.values_list(*names):
                assert not any("\x00" in v for v in row), f"a NUL byte in a {model.__name__}"


def describe(response: Any, method: str, url: str, data: Fields) -> str:
    shown = {
        k: [v if len(v) < 80 else f"{v[:40]!r}… ({len(v)} chars)" for v in vs]
        for k, vs in data.items()
    }
    where = f"{method} {url} {shown} answered {response.status_code}"
    if getattr(response, "exc_info", None):
        return where + "\n" + "".join(traceback.format_exception(*response.exc_info))
    return where


@contextmanager
def rolled_back() -> Iterator[None]:
    """A savepoint undone at the end, whatever happened inside (even a database error)."""
    with transaction.atomic():
        try:
            yield
        finally:
            transaction.set_rollback(True)


@pytest.fixture(scope="module", autouse=True)
def no_template_context_copies() -> Iterator[None]:
    """The test client copies every template's context for `response.context`, which these
    tests never read: half the time of a session page."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(django.test.client, "store_rendered_templates", lambda *a, **k: None)
        yield


@pytest.fixture
def client_as(world: World, db: None) -> Callable[[str | None], Client]:
    """One logged-in client per role for the whole test (a 500 comes back as a response)."""
    made: dict[str | None, Client] = {}

    def get(role: str | None) -> Client:
        if role not in made:
            made[role] = Client(raise_request_exception=False)
            if role is not None:
                sign_in(made[role], world.users[role])
        return made[role]

    return get


def send(client: Client, method: str, url: str, data: Fields, htmx: bool) -> Any:
    headers = {"HX-Request": "true"} if htmx else {}
    if method == "GET":
        return client.get(url, data, headers=headers)
    return client.post(url, data, headers=headers)


def problem(
    w: World, client: Client, method: str, url: str, data: Fields, htmx: bool = False
) -> str | None:
    """What went wrong with this request, or None."""
    # The session is rolled back with the request: so is the cookie (a logout, a login, a
    # password change) that pointed to a new one.
    cookies = SimpleCookie(client.cookies.output(header="", sep=";"))
    try:
        with rolled_back():
            response = send(client, method, url, data, htmx)
            if response.status_code >= 500:
                return describe(response, method, url, data)
            location = response.get("Location", "")
            if response.status_code == 302 and location.startswith("/"):
                # What was saved must show: the page a POST sends you to answers too.
                page = client.get(location)
                if page.status_code >= 500:
                    return describe(page, f"after {method} {url}: GET", location, data)
            try:
                assert_nothing_half_saved(w, wrote=method == "POST")
            except AssertionError as exc:
                return f"{method} {url} {data}: {exc}"
    finally:
        client.cookies = cookies
    return None


# ---- the tests ----------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "method"), SWEEP_CASES)
def test_each_field_with_each_nasty_value(
    world: World, client_as: Callable[[str | None], Client], name: str, method: str
) -> None:
    spec = SPECS[name]
    client = client_as(spec.role)
    url = own_url(world, name)
    valid = spec.fields(world)
    # The sweep starts from a request that works, or it would not reach the code behind it.
    expected = spec.valid_status or (302 if method == "POST" else 200)
    cookies = SimpleCookie(client.cookies.output(header="", sep=";"))
    with rolled_back():
        answered = send(client, method, url, valid, htmx=False).status_code
    client.cookies = cookies
    assert answered == expected, f"The valid {method} {url} {valid} answered {answered}"
    requests: list[Fields] = [valid, {}, {key: ["1", "2"] for key in valid}]
    requests += [{key: [value] for key in valid} for value in NASTY_ALL]
    requests += [
        {key: [f"{kind_id}"] for key in valid}
        for kind_id in {world.foreign[kind][0] for kind in ("patient", "claim", "membership")}
    ]
    for key in valid if spec.each_field else ():
        values = NASTY_TEXT
        if all(v.isdigit() or not v for v in valid[key]):
            values = values + NASTY_NUMBER
        if any(w in key for w in ("date", "through", "_on", "_from", "_to")):
            values = values + NASTY_DATE
        requests += [{**valid, key: [value]} for value in values]
    found = [
        p
        for i, data in enumerate(requests)
        if (p := problem(world, client, method, url, data, htmx=i % 2 == 1))
    ]
    assert not found, f"{len(found)} of {len(requests)} requests failed:\n\n" + "\n\n".join(
        found[:5]
    )


@pytest.mark.parametrize(("name", "method"), APP_CASES)
def test_random_input_never_answers_500_nor_saves_half_a_claim(
    world: World, client_as: Callable[[str | None], Client], name: str, method: str
) -> None:
    spec = SPECS[name]
    reads_input = spec.fields is not NONE and (method == "POST" or spec.methods == GET)
    client = client_as(spec.role)

    @settings(FUZZ, max_examples=EXAMPLES if reads_input else EXAMPLES_NO_INPUT)
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        url = data.draw(url_for(world, name), label="url")
        fields = data.draw(mutated(world, spec.fields(world)), label="data")
        htmx = data.draw(st.booleans(), label="htmx")
        found = problem(world, client, method, url, fields, htmx)
        assert found is None, found

    fuzz()


@pytest.mark.parametrize("group", sorted(ADMIN_GROUPS))
def test_the_admin_never_answers_500(
    world: World, client_as: Callable[[str | None], Client], group: str
) -> None:
    client = client_as(ADMIN_SPEC.role)
    # A NUL byte in a search, a filter and a key (PostgreSQL refuses it in a query).
    nul = [
        reverse(name, kwargs=dict.fromkeys(URL_PATTERNS[name].pattern.regex.groupindex, "\x00"))
        for name in ADMIN_GROUPS[group]
        if group != "site"
        and name.endswith(("_changelist", "_change", "_history"))
        and "simple_history" not in name
    ]
    found = [
        problem(world, client, "GET", url, {"q": ["\x00"], "id__exact": ["\x00"]}) for url in nul
    ]
    assert not any(found), "\n\n".join(p for p in found if p)

    @settings(FUZZ, max_examples=ADMIN_EXAMPLES)
    @given(data=st.data())
    def fuzz(data: Any) -> None:
        name = data.draw(st.sampled_from(ADMIN_GROUPS[group]), label="name")
        method = data.draw(st.sampled_from(BOTH), label="method")
        url = data.draw(url_for(world, name), label="url")
        fields = data.draw(mutated(world, ADMIN_SPEC.fields(world)), label="data")
        found = problem(world, client, method, url, fields)
        assert found is None, found

    fuzz()


# ---- huge inputs --------------------------------------------------------------------------


@pytest.fixture
def patient(clinic: Clinic) -> Any:
    patient = make_patient(clinic)
    make_plan(patient)
    return patient


def field_error(page: str, name: str) -> str:
    """The error crispy-forms shows under the field."""
    found = re.search(rf'id="error_1_id_{name}"[^>]*>\s*<strong>(.*?)</strong>', page, re.S)
    assert found, f"no error shown on {name}"
    return found.group(1).strip()


def nothing_saved(clinic: Clinic) -> bool:
    # Of this clinic: the module's fuzzing world may still be in the database.
    return not TreatmentSession.objects.filter(clinic=clinic).exists() and not (
        Claim.objects.filter(clinic=clinic).exists()
    )


def test_a_1_mb_note_is_refused_on_its_field_and_nothing_is_saved(
    client_for: Any, pt: Any, clinic: Clinic, patient: Any
) -> None:
    data = post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    data["medical_necessity"] = "x" * 1_000_000
    response = client_for(pt).post(reverse("session-new"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert field_error(page, "medical_necessity") == (
        f"Keep this note to at most {MAX_NOTE_CHARS:,} characters (it has 1000000)."
    )
    assert nothing_saved(clinic)


def test_500_service_rows_are_refused_with_a_clear_error_and_nothing_is_saved(
    client_for: Any, pt: Any, clinic: Clinic, patient: Any
) -> None:
    rows = [("97110", "30", "")] * 500
    response = client_for(pt).post(
        reverse("session-new"), post_data(patient, membership(pt, clinic), rows)
    )
    assert response.status_code == 200
    assert f"At most {MAX_ROWS} service rows (got 500)." in response.content.decode()
    assert nothing_saved(clinic)


def test_a_nul_byte_in_a_note_is_a_field_error_and_nothing_is_saved(
    client_for: Any, pt: Any, clinic: Clinic, patient: Any
) -> None:
    data = post_data(patient, membership(pt, clinic), [("97110", "30", "")])
    data["subjective"] = "Knee\x00 stiff"
    response = client_for(pt).post(reverse("session-new"), data)
    assert response.status_code == 200
    assert field_error(response.content.decode(), "subjective") == (
        "Null characters are not allowed."
    )
    assert nothing_saved(clinic)


@pytest.mark.parametrize(
    "too_much",
    [
        pytest.param({"medical_necessity": "x" * (6 * 1024 * 1024)}, id="over-the-memory-limit"),
        pytest.param({"dx": ["M25.561"] * 6000}, id="over-the-field-limit"),
    ],
)
def test_a_request_too_big_to_read_gets_the_friendly_400_page_and_nothing_is_saved(
    client_for: Any, pt: Any, clinic: Clinic, patient: Any, too_much: dict[str, Any]
) -> None:
    assert django_settings.DATA_UPLOAD_MAX_MEMORY_SIZE < 6 * 1024 * 1024
    assert django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS < 6000
    data = {**post_data(patient, membership(pt, clinic), [("97110", "30", "")]), **too_much}
    client = client_for(pt)
    client.raise_request_exception = False
    response = client.post(reverse("session-new"), data)
    assert response.status_code == 400
    page = response.content.decode()
    assert "too large" in page
    assert "Nothing was saved" in page
    assert nothing_saved(clinic)
