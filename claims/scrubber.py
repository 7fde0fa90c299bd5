"""Claim scrubber: checks one PT claim (one patient, one date of service) before it is approved.

Rule source: ``docs/billing-rules.md`` §1-§7 and §10 (the December 2026 clarifications, which
override the earlier sections) — units (§1, §2), codes (§3), modifiers (§4, §10.2, §10.4), NCCI
edits and MUEs (§5, §10.9), documentation (§6: plan of care, certification, progress reports,
medical necessity; §10.3, §10.5, §10.12), the payer's referral, visit-limit and prior
authorization rules (§6.10), ICD-10-CM diagnoses (§7, §10.6, §10.7), one claim per patient per
day (§10.1) and timely filing (§10.10). Each finding names its rule id, severity, the
exact problem, a fix and the source section; ``RULES`` lists every rule so the UI can show and
filter them.

Pure Python over plain frozen dataclasses: no Django, no ORM, no settings. The caller looks up
everything that needs data (code facts, edit pairs, unit limits, diagnosis validity, history,
the patient's other claims of the day, the figures not loaded for the date of service).

Assumptions [U] kept as module constants: which payer kinds follow Medicare's coding rules
(``MEDICARE_RULE_KINDS``), the medical-necessity heuristic (``MIN_NECESSITY_WORDS``,
``SKILLED_NEED_STEMS``, ``TEMPLATE_PHRASES``, ``NEAR_COPY_RATIO``), the KX margin
(``KX_PREMATURE_FRACTION``), the timely-filing warning (``TIMELY_FILING_WARNING_DAYS``) and when
an authorization is ending (``AUTH_WARNING_VISITS``, ``AUTH_WARNING_DAYS``). Each payer's own
rules (plan of care, certification period, progress-report interval, referral, visits a year,
prior authorization) come with ``Payer``.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from difflib import SequenceMatcher
from enum import StrEnum
from functools import lru_cache
from itertools import combinations
from types import MappingProxyType

from coding.code_groups import (
    DISTINCT_MODIFIERS,
    GROUP_CODES,
    MEDICARE_REPLACEMENTS,
    NOT_WITH_REEVALUATION,
    OT_EVALUATIONS,
    PT_EVALUATIONS,
    PT_ONLY_CODES,
    REEVALUATION,
    TESTS_NOT_WITH_EVALUATION,
    not_separately_reportable,
)
from coding.units import (
    Method,
    ServiceInput,
    UnitsRequest,
    UnitsResult,
    compute_units,
    units_for_minutes,
)

# --- inputs ---------------------------------------------------------------------------------------


class Severity(StrEnum):
    """An error blocks approval; a warning asks the reviewer to look."""

    ERROR = "error"
    WARNING = "warning"


class PayerKind(StrEnum):
    MEDICARE = "medicare"
    MEDICARE_ADVANTAGE = "medicare_advantage"
    MEDICAID = "medicaid"
    COMMERCIAL = "commercial"
    WORKERS_COMP = "workers_comp"
    SELF_PAY = "self_pay"


class Credential(StrEnum):
    PT = "PT"
    PTA = "PTA"


class Discipline(StrEnum):
    PT = "PT"
    OT = "OT"
    ANY = "any"


class MedicareStatus(StrEnum):
    """The code's Medicare status on the date of service, from the PFS status indicator of the
    release in force (§10.13): A/T active, R restricted, B/P bundled, I/G/D not valid,
    N/X/E not covered, C priced by the contractor."""

    ACTIVE = "active"
    BUNDLED = "bundled"
    INVALID = "invalid"
    RESTRICTED = "restricted"
    NONCOVERED = "noncovered"
    CARRIER_PRICED = "carrier_priced"


@dataclass(frozen=True)
class Payer:
    """The payer's settings that change the rules (docs/billing-rules.md §2, §4, §10.10).

    ``timely_filing_days``: the payer's filing window from the date of service (Medicare's 12
    months are given as 365 days); None when unknown, and then timely filing is not checked.
    The rules are those in force on the date of service (the caller picks them, §6.10).
    """

    name: str
    kind: PayerKind
    unit_method: Method
    daily_timed_unit_cap: int | None = None
    kx_applies: bool = False
    timely_filing_days: int | None = None
    # The payer's documentation and coverage rules (docs/billing-rules.md §6.1-§6.3, §6.10):
    # None or False when the payer has no such rule.
    progress_report_visits: int | None = None  # a report at least every N treatment days
    progress_report_days: int | None = None  # … and/or every N calendar days
    certification_days: int | None = None  # a certified plan lasts at most N days
    requires_plan_of_care: bool = True
    requires_referral: bool = False
    requires_authorization: bool = False
    visit_limit_per_year: int | None = None


@dataclass(frozen=True)
class ClaimLine:
    """One billed line. ``diagnosis_pointers`` are 1-based positions in ``ClaimFacts.diagnoses``.

    A code may appear on two lines (e.g. the PT's units with GP, the assistant's with GP CQ).
    ``by_assistant``: the line was furnished in whole or part by a PT assistant; untimed PTA
    services may have 0 minutes (docs/billing-rules.md §10.2).
    """

    code: str
    units: int
    modifiers: tuple[str, ...] = ()
    minutes: int = 0
    pta_minutes: int = 0
    diagnosis_pointers: tuple[int, ...] = (1,)
    by_assistant: bool = False


@dataclass(frozen=True)
class Diagnosis:
    """An ICD-10-CM code as the caller found it in the code set in force on the date of service
    (§7, §10.6): ``exists`` in that set (billable or a header), ``billable`` on that date, and
    ``explanation``, when the code changed between the loaded sets, why it is not billable then
    ("G35 was replaced by G35.A–G35.D on 2025-10-01.", "G35.A is valid from 2025-10-01…")."""

    code: str
    exists: bool
    billable: bool
    title: str = ""
    explanation: str = ""


@dataclass(frozen=True)
class CodeFacts:
    """What the code table says about a CPT/HCPCS code (docs/billing-rules.md §3)."""

    code: str
    timed: bool
    always_therapy: bool
    category: str = ""
    discipline: Discipline = Discipline.ANY
    medicare_status: MedicareStatus = MedicareStatus.ACTIVE


@dataclass(frozen=True)
class EditPair:
    """An NCCI procedure-to-procedure edit (docs/billing-rules.md §5.1-5.2).

    ``modifier_indicator``: 0 = never bypassed, 1 = bypassed by 59/XE/XS/XP/XU on column 2,
    9 = not applicable. ``deletion`` is the last date the edit is in force (CMS files give
    2019-12-31 for edits that end with 2019).
    """

    column1: str
    column2: str
    modifier_indicator: int
    effective: date
    deletion: date | None = None

    def in_force(self, on: date) -> bool:
        return self.effective <= on and (self.deletion is None or on <= self.deletion)


@dataclass(frozen=True)
class UnitLimit:
    """Most units of a code per day (MUE, docs/billing-rules.md §5.3).

    ``mai`` is the MUE adjudication indicator (§10.9): 1 line edit, 2 absolute per-day limit
    (policy), 3 per-day limit from clinical benchmarks; None when not loaded.
    """

    code: str
    max_units: int
    mai: int | None = None


@dataclass(frozen=True)
class VisitNote:
    """The treatment note of this visit (docs/billing-rules.md §6.4, §6.5)."""

    medical_necessity: str
    subjective: str = ""
    objective: str = ""
    assessment: str = ""
    plan: str = ""
    includes_progress_report: bool = False


PLAN_ACTIVE = "active"
PLAN_ON_HOLD = "on_hold"
PLAN_DISCHARGED = "discharged"


@dataclass(frozen=True)
class PlanOfCare:
    """The plan in force and its certification (docs/billing-rules.md §6.1, §6.2, §10.5).

    ``status`` is one of ``PLAN_ACTIVE``, ``PLAN_ON_HOLD``, ``PLAN_DISCHARGED``; a discharged
    plan covers no visit after ``discharged_on``.
    """

    start_date: date
    first_visit_date: date
    certified_on: date | None = None
    cert_through: date | None = None
    status: str = PLAN_ACTIVE
    discharged_on: date | None = None
    # The certifying (referring) physician/NPP named on the plan: the only record of a
    # referral the clinic keeps (docs/billing-rules.md §6.10).
    certified_by_name: str = ""


@dataclass(frozen=True)
class EarlierVisit:
    """An earlier visit of the same patient; each distinct date is one treatment day."""

    visit_date: date
    medical_necessity: str = ""
    was_progress_report: bool = False


@dataclass(frozen=True)
class KxFacts:
    """Year-to-date PT+SLP allowed amounts against the KX threshold (docs/billing-rules.md §4)."""

    ytd_allowed_before_visit: Decimal
    this_visit_allowed: Decimal
    threshold: Decimal | None
    review_threshold: Decimal = Decimal("3000")
    # Of ``ytd_allowed_before_visit``, what other providers billed this year as the eligibility
    # reply of ``other_providers_as_of`` gives it (docs/billing-rules.md §10.8).
    other_providers: Decimal = Decimal(0)
    other_providers_as_of: date | None = None


@dataclass(frozen=True)
class Authorization:
    """A payer's prior authorization for the patient (docs/billing-rules.md §6.10).

    ``visits``: the visits it allows (None: not limited by visits). ``visits_before``: the
    patient's treatment days with this payer inside its dates before this date of service (this
    claim's own sessions left out). ``units``: the units it allows per code, in all, when it
    limits them; ``units_before``: the units of those codes billed to the payer inside its dates
    before this date of service.
    """

    number: str
    start_date: date
    end_date: date
    visits: int | None = None
    visits_before: int = 0
    units: tuple[tuple[str, int], ...] = ()
    units_before: tuple[tuple[str, int], ...] = ()

    def covers(self, day: date) -> bool:
        return self.start_date <= day <= self.end_date

    @property
    def visit_number(self) -> int:
        """This visit's number under the authorization."""
        return self.visits_before + 1


@dataclass(frozen=True)
class LineCharge:
    """A claim line's billed charge (units × the clinic's charge; None: none set) beside the
    amount the payer is expected to allow (docs/billing-rules.md §11.2)."""

    code: str
    charge: Decimal | None
    allowed: Decimal | None


@dataclass(frozen=True)
class BillingGap:
    """Data an electronic claim or a CMS-1500 form needs and the record lacks (§11.1): whose
    record (``holder``: "clinic", "patient", "payer", "clinician", "plan of care"), which fields,
    and where to fill them in."""

    holder: str
    fields: tuple[str, ...]
    where: str


@dataclass(frozen=True)
class SameDayClaim:
    """Another claim of the same patient on the same date of service (docs/billing-rules.md §10.1).

    ``status`` is the claim's workflow status ("needs_review", "returned", "approved",
    "submitted", ...); ``codes`` are its billed codes.
    """

    claim_id: int
    status: str
    codes: tuple[str, ...]


@dataclass(frozen=True)
class ClaimFacts:
    """Everything the scrubber needs about one claim; the caller looks the facts up.

    ``today`` is the date the check runs (timely filing, §10.10); ``same_day_claims`` are the
    patient's other claims on the same date of service (§10.1); ``missing_reference`` holds
    plain sentences about figures not loaded for the date of service (§10.6).
    """

    date_of_service: date
    payer: Payer
    therapist_credential: Credential
    lines: tuple[ClaimLine, ...]
    diagnoses: tuple[Diagnosis, ...]
    code_facts: tuple[CodeFacts, ...]
    note: VisitNote
    plan_of_care: PlanOfCare | None
    edit_pairs: tuple[EditPair, ...] = ()
    unit_limits: tuple[UnitLimit, ...] = ()
    history: tuple[EarlierVisit, ...] = ()
    kx: KxFacts | None = None
    today: date | None = None
    same_day_claims: tuple[SameDayClaim, ...] = ()
    missing_reference: tuple[str, ...] = ()
    # Every code the day's treatment notes document, billed or not (a code a true block keeps
    # off the claim stays in the note, docs/billing-rules.md §5.1, §10.11).
    documented_codes: tuple[str, ...] = ()
    # (code, minutes, PTA minutes) of documented services that are not claim lines because
    # they earn 0 units (a tie's other code, under 8 minutes, a clinician's 0): their minutes
    # are still the day's timed minutes (§1, §10.11).
    unbilled_minutes: tuple[tuple[str, int, int], ...] = ()
    # The patient's authorizations from this payer (docs/billing-rules.md §6.10) and their
    # treatment days with it earlier in the calendar year (this claim's own left out).
    authorizations: tuple[Authorization, ...] = ()
    visits_this_year: int = 0
    # What the claim must carry to be sent (§11): the records' missing fields, and each line's
    # charge when the clinic's charge master was looked up (``charges_checked``).
    billing_gaps: tuple[BillingGap, ...] = ()
    charges_checked: bool = False
    line_charges: tuple[LineCharge, ...] = ()


# --- outputs --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """One entry of the rule catalogue."""

    rule_id: str
    title: str
    severity: Severity
    source: str


@dataclass(frozen=True)
class Finding:
    """One problem on the claim: what is wrong (with codes and numbers) and how to fix it."""

    rule_id: str
    severity: Severity
    message: str
    fix: str
    source: str
    line_code: str | None = None


@dataclass(frozen=True)
class ScrubResult:
    """Findings sorted errors first, with counts; ``units`` is what the minutes support."""

    findings: tuple[Finding, ...]
    error_count: int
    warning_count: int
    units: UnitsResult | None = None

    @property
    def blocks_approval(self) -> bool:
        return self.error_count > 0


# --- the rule catalogue ---------------------------------------------------------------------------

E = Severity.ERROR
W = Severity.WARNING
_DOC = "docs/billing-rules.md"
_SRC_NECESSITY = f"{_DOC} §6.5 (BPM 15 §220)"
_SRC_NECESSITY_TEXT = f"{_DOC} §6.5, §10.12 (BPM 15 §220)"
_SRC_DX = f"{_DOC} §7 (ICD-10-CM)"
_SRC_UNITS = f"{_DOC} §1 (MCPM 5 §20.2); §2"
_SRC_NCCI = f"{_DOC} §5.1 (NCCI XI §P)"
_SRC_CERT = f"{_DOC} §6.2 (BPM 15 §220.1)"
_SRC_PLAN = f"{_DOC} §6.1, §10.5 (BPM 15 §220.1)"
_SRC_KX = f"{_DOC} §4 KX, §10.8"
_SRC_SAME_DAY = f"{_DOC} §10.1 (MCPM 5 §20.2)"
_SRC_TIMELY = f"{_DOC} §10.10 (42 CFR 424.44; MCPM 1 §70)"
_SRC_AUTH = f"{_DOC} §6.10 (the payer's prior authorization)"
_SRC_SEND = f"{_DOC} §11.1 (837P 005010X222A1; NUCC 1500 instructions)"
_SRC_CHARGE = f"{_DOC} §11.2 (the clinic's charge master)"

_CATALOGUE: tuple[Rule, ...] = (
    # medical necessity
    Rule("necessity-missing", "No statement of medical necessity", E, _SRC_NECESSITY),
    Rule("necessity-thin", "Medical necessity too thin to show skilled need", E, _SRC_NECESSITY),
    Rule(
        "necessity-template",
        "Medical necessity made of template phrases that fit any patient",
        E,
        _SRC_NECESSITY_TEXT,
    ),
    Rule(
        "necessity-copied",
        "Necessity statement copied from an earlier visit",
        W,
        _SRC_NECESSITY_TEXT,
    ),
    Rule(
        "maintenance-without-skill",
        "Maintenance therapy without a statement of skilled need",
        E,
        f"{_DOC} §6.5 (BPM 15 §220; Jimmo)",
    ),
    # diagnoses
    Rule("dx-missing", "Line without a valid diagnosis pointer", E, _SRC_DX),
    Rule("dx-invalid", "Diagnosis not in the code set on the date of service", E, _SRC_DX),
    Rule("dx-header", "Diagnosis is a category header, not billable", E, _SRC_DX),
    Rule(
        "dx-initial-encounter",
        "Injury or fracture code with an initial-encounter 7th character (A, B, C)",
        W,
        f"{_DOC} §7, §10.7 (ICD-10-CM guidelines I.C.13.c, I.C.19.a)",
    ),
    Rule("dx-unspecified-laterality", "Diagnosis with unspecified side", W, _SRC_DX),
    # codes
    Rule("code-unknown", "Code not in the code table", E, f"{_DOC} §3"),
    Rule("medicare-invalid-code", "Code not valid for Medicare", E, f"{_DOC} §3"),
    Rule(
        "medicare-bundled-code",
        "Code bundled by Medicare, never paid separately",
        W,
        f"{_DOC} §3, §8 (Medicare status B)",
    ),
    Rule(
        "medicare-restricted-code",
        "Code with restricted Medicare coverage",
        W,
        f"{_DOC} §10.13 (Medicare status R)",
    ),
    Rule(
        "medicare-noncovered-code",
        "Code Medicare does not cover",
        E,
        f"{_DOC} §10.13 (Medicare status N, X, E)",
    ),
    Rule(
        "medicare-contractor-priced",
        "Code priced by the Medicare contractor, no national amount",
        W,
        f"{_DOC} §10.13 (Medicare status C)",
    ),
    Rule("ot-code-by-pt", "OT-only code billed by PT", E, f"{_DOC} §3"),
    Rule(
        "pta-evaluation",
        "Evaluation or re-evaluation by a PT assistant",
        E,
        f"{_DOC} §10.3 (BPM 15 §230.1, §220.3)",
    ),
    Rule("group-over-one-unit", "Group therapy billed over one unit", E, f"{_DOC} §6.8"),
    # units and limits
    Rule("minutes-invalid", "Impossible minutes on a line", E, _SRC_UNITS),
    Rule("units-under-8", "Timed code under 8 minutes billed alone", E, _SRC_UNITS),
    Rule("units-unsupported", "More units than the minutes support", E, _SRC_UNITS),
    Rule("units-below-supported", "Fewer units than the minutes support", W, _SRC_UNITS),
    Rule(
        "units-total-over",
        "Timed units over what total timed minutes allow",
        E,
        f"{_DOC} §1 rule 2 (MCPM 5 §20.2)",
    ),
    Rule(
        "mue-exceeded",
        "Units over the code's daily limit (MUE)",
        E,
        f"{_DOC} §5.3, §10.9 (MUE, MAI)",
    ),
    Rule(
        "daily-cap-exceeded",
        "Timed units over the payer's daily cap",
        E,
        f"{_DOC} §2 (payer caps)",
    ),
    # edit pairs
    Rule("two-evaluations", "More than one PT evaluation or re-evaluation", E, _SRC_NCCI),
    Rule("reeval-with-therapy-no-59", "Re-evaluation with therapy but no 59/XU", E, _SRC_NCCI),
    Rule("test-with-evaluation", "Test or orthotic code with an evaluation", E, _SRC_NCCI),
    Rule(
        "ncci-indicator-0",
        "Code pair that no modifier can bypass",
        E,
        f"{_DOC} §5.1-5.2 (NCCI PTP, indicator 0)",
    ),
    Rule(
        "ncci-needs-modifier",
        "Code pair billed without a distinct-service modifier",
        E,
        f"{_DOC} §4, §5.1-5.2 (NCCI XI §P.2)",
    ),
    Rule(
        "line-kept-off",
        "Documented service kept off the claim by an edit",
        W,
        f"{_DOC} §5.1 (NCCI XI §P), §10.11",
    ),
    # modifiers
    Rule(
        "gp-missing",
        "Service under a PT plan of care without GP",
        E,
        f"{_DOC} §4, §10.4 (MCPM 5 §10.2-10.3, §20.1)",
    ),
    Rule(
        "cq-missing",
        "Assistant's service without CQ",
        E,
        f"{_DOC} §4 CQ, §10.2 (CY2020 and CY2022 PFS final rules)",
    ),
    Rule("kx-missing", "Over the KX threshold without KX", E, _SRC_KX),
    Rule("kx-premature", "KX far below the threshold", E, _SRC_KX),
    Rule(
        "kx-review-threshold",
        "Over the targeted medical review threshold",
        W,
        f"{_DOC} §4 KX (review at $3,000), §10.8",
    ),
    Rule("modifier-25-on-therapy", "Modifier 25 on a therapy code", W, f"{_DOC} §4"),
    # plan of care
    Rule("poc-missing", "No plan of care", E, f"{_DOC} §3, §6.1, §10.5 (BPM 15 §220.1)"),
    Rule("poc-before-start", "Date of service before the plan of care starts", E, _SRC_PLAN),
    Rule("poc-outside-cert", "Date of service after the certification ended", E, _SRC_CERT),
    Rule(
        "poc-discharged",
        "Visit after the plan of care was discharged",
        E,
        f"{_DOC} §10.5 (BPM 15 §220.1.1, §220.3)",
    ),
    Rule("poc-cert-late", "Plan not certified within 30 days", E, _SRC_CERT),
    Rule("poc-cert-pending", "Plan not yet certified", W, _SRC_CERT),
    Rule("poc-cert-delayed", "Plan certified after 30 days", W, _SRC_CERT),
    Rule("poc-recert-due", "Recertification due", W, _SRC_CERT),
    # progress report
    Rule(
        "progress-report-due",
        "Progress report due (the payer's interval)",
        E,
        f"{_DOC} §6.3, §6.10 (BPM 15 §220.3)",
    ),
    Rule(
        "progress-report-by-pta",
        "Progress report written by an assistant",
        E,
        f"{_DOC} §6.3, §10.3 (BPM 15 §220.3)",
    ),
    # the payer's coverage rules
    Rule("referral-missing", "Payer requires a referral; none on file", E, f"{_DOC} §6.10"),
    Rule(
        "visit-limit-exceeded",
        "Over the payer's visits a year",
        E,
        f"{_DOC} §6.10 (the payer's visit limit)",
    ),
    Rule("auth-missing", "Prior authorization required, none on file", E, _SRC_AUTH),
    Rule("auth-outside-dates", "Visit outside the authorization's dates", E, _SRC_AUTH),
    Rule("auth-visits-exceeded", "More visits than authorized", E, _SRC_AUTH),
    Rule("auth-units-exceeded", "More units of a code than authorized", E, _SRC_AUTH),
    Rule("auth-ending", "Authorization nearly used up or ending", W, _SRC_AUTH),
    # one claim per patient per day
    Rule(
        "duplicate-claim",
        "Code already on another claim of the same patient and date (CARC 18)",
        E,
        f"{_DOC} §10.1 (CARC 18)",
    ),
    Rule(
        "same-day-claim-closed",
        "Another claim of the same day is already approved or submitted",
        E,
        _SRC_SAME_DAY,
    ),
    # timely filing
    Rule("timely-filing-near", "Timely filing deadline near", W, _SRC_TIMELY),
    Rule("timely-filing-passed", "Timely filing deadline passed", E, _SRC_TIMELY),
    # what the claim must carry to be sent
    Rule("claim-data-missing", "Data the claim must carry is missing", E, _SRC_SEND),
    Rule("charge-missing", "No charge for the code in the charge master", E, _SRC_CHARGE),
    Rule("charge-below-allowed", "Charge below the amount the payer allows", W, _SRC_CHARGE),
    # reference data
    Rule(
        "reference-not-loaded",
        "Reference figures not loaded for the date of service",
        W,
        f"{_DOC} §10.6",
    ),
)

RULES: Mapping[str, Rule] = MappingProxyType({rule.rule_id: rule for rule in _CATALOGUE})
_RULE_ORDER = {rule_id: i for i, rule_id in enumerate(RULES)}

# --- settings [U] and code groups -----------------------------------------------------------------

# Payer kinds that follow Medicare's coding rules; other payers vary [U]. Whether a plan of care,
# its certification, progress reports, a referral or an authorization are needed is each payer's
# own rule (``Payer``, docs/billing-rules.md §6.10).
MEDICARE_RULE_KINDS = frozenset({PayerKind.MEDICARE, PayerKind.MEDICARE_ADVANTAGE})
# Self-pay visits are not billed to a payer, so they need no modifiers (GP, CQ).
NO_MODIFIER_KINDS = frozenset({PayerKind.SELF_PAY})
REEVAL_MODIFIERS = frozenset({"59", "XU"})
THERAPY_MODIFIERS_OF_OTHER_DISCIPLINES = ("GO", "GN")

CERTIFICATION_DAYS = 30
# A certification ending within this many days is "expiring": the scrubber's warning, the patient
# page's badge and the dashboard all read this one number.
RECERT_WARNING_DAYS = 14
# An authorization is "ending" at its last this many visits or this many days before its end
# date (docs/billing-rules.md §6.10) [U].
AUTH_WARNING_VISITS = 2
AUTH_WARNING_DAYS = 7
KX_PREMATURE_FRACTION = Decimal("0.80")
CQ_DE_MINIMIS_PERCENT = 10
TIMELY_FILING_WARNING_DAYS = 30

# A same-day claim still open for review is merged by the caller (docs/billing-rules.md §10.1);
# any other status means the claim has left the clinic's hands and needs a corrected claim.
OPEN_CLAIM_STATUSES = frozenset({"needs_review", "returned"})

# MUE adjudication indicators (docs/billing-rules.md §10.9): what each means, and what to do.
MAI_MEANINGS = MappingProxyType(
    {
        1: "MAI 1, a line edit: units over the MUE on one line are denied",
        2: "MAI 2, an absolute per-day limit set by policy: units over it are denied and "
        "cannot be appealed",
        3: "MAI 3, a per-day limit from clinical benchmarks: a MAC may pay more on appeal "
        "with documentation",
    }
)
MAI_FIXES = MappingProxyType(
    {
        1: "Bill at most {limit} on the line; units over the MUE on one line are denied.",
        2: "Bill at most {limit}; units over it are never paid, not even on appeal.",
        3: "Bill at most {limit}, or, if more were medically necessary, expect the units over "
        "it to be denied and appeal with the documentation.",
    }
)

# 7th characters (docs/billing-rules.md §7, §10.7): A, B and C are initial encounters for injury
# codes (chapter 19, S and T) and for the chapter 13 fracture categories below (compared
# without the dot); other 7-character codes (e.g. M1A gout) carry no encounter.
INITIAL_ENCOUNTER_CHARACTERS = frozenset("ABC")
INJURY_CHAPTER_LETTERS = ("S", "T")
FRACTURE_CATEGORIES_WITH_ENCOUNTER = ("M484", "M485", "M80", "M84", "M97")
# The subsequent (routine healing) character for each initial one. B (open fracture) maps to E
# only in the categories that split open fractures by type (C = type IIIA-C); elsewhere the
# subsequent encounter is D for open and closed alike (checked against ICD-10-CM FY2026).
SUBSEQUENT_FOR_INITIAL = MappingProxyType({"A": "D", "B": "D", "C": "F"})
OPEN_FRACTURE_TYPED_CATEGORIES = frozenset({"S52", "S72", "S82"})

# Medical-necessity heuristic (docs/billing-rules.md §6.5): a statement is "thin" when it has
# fewer than MIN_NECESSITY_WORDS meaningful words (3+ letters, not a stop word) or no word that
# starts with one of SKILLED_NEED_STEMS, i.e. it never says why a therapist's skill is needed.
MIN_NECESSITY_WORDS = 12
SKILLED_NEED_STEMS = (
    "skill", "therapist", "cue", "cueing", "facilitat", "progression", "assess", "instruct",
    "educat", "mobiliz", "manipulat", "manual", "modif", "analy", "judg", "expert", "safe",
    "unsafe", "monitor", "adjust", "prescri", "reevaluat", "re-evaluat", "complex", "tactile",
    "hands-on", "individualiz",
)  # fmt: skip
# Template phrases that would fit any patient (docs/billing-rules.md §10.12): they are removed
# before the heuristic above judges what is left, so "skilled" inside them proves nothing.
# Words are matched whole, case-insensitively, with any punctuation or spacing between them.
TEMPLATE_PHRASES = (
    "skilled services per the plan of care", "skilled services per plan of care",
    "skilled services per poc", "skilled therapy per the plan of care",
    "skilled therapy per plan of care", "skilled therapy per poc",
    "skilled intervention per the plan of care", "skilled interventions per the plan of care",
    "skilled intervention per poc", "skilled interventions per poc",
    "continue per the plan of care", "continue per plan of care", "continue per poc",
    "continue per plan", "continue with the plan of care", "continue with plan of care",
    "continue with current plan", "continue with plan", "continue plan of care",
    "continue poc", "per the plan of care", "per plan of care", "per poc",
    "tolerated treatment well", "tolerated tx well", "tolerated session well",
    "tolerated the session well", "tolerated well", "patient tolerated", "pt tolerated",
    "as tolerated", "patient responded well", "pt responded well", "responded well to treatment",
    "responded well", "progressing toward goals", "progressing towards goals",
    "making progress toward goals", "medically necessary", "no adverse reactions",
    "no adverse reaction", "no complaints",
)  # fmt: skip
# A statement whose normalised text (lower case, dates and digits removed, whitespace folded)
# matches an earlier one at least this closely is a copy with a date or a few words changed.
NEAR_COPY_RATIO = 0.9
# Maintenance therapy is covered only when it needs a therapist's skill (Jimmo): the note must
# say so in words starting with one of these.
MAINTENANCE_SKILL_STEMS = ("skill", "therapist", "qualified")
STOP_WORDS = frozenset(
    (
        "the", "and", "for", "with", "was", "were", "are", "has", "have", "had", "his", "her",
        "him", "she", "they", "them", "this", "that", "these", "those", "from", "into", "onto",
        "will", "would", "can", "could", "should", "than", "then", "also", "but", "not", "per",
        "its", "our", "their", "who", "which", "what", "when", "while", "been", "being", "patient",
        "pt", "pts", "today", "continue", "continued", "plan", "well",
    )
)  # fmt: skip
_WORD = re.compile(r"[a-z][a-z'-]*")
_MAINTENANCE = re.compile(r"\bmaintenance\b", re.IGNORECASE)
_UNSPECIFIED_SIDE = re.compile(
    r"\bunspecified\s+(?:(?:great|lesser|upper|lower|index|middle|ring|little)\s+)?"
    r"(?:side|laterality|knee|shoulder|hip|ankle|foot|feet|hand|wrist|elbow|arm|forearm|leg|"
    r"thigh|finger|thumb|toe|limb|extremity|eye|ear)s?\b",
    re.IGNORECASE,
)
# Longest phrase first at each position; the lookahead finds overlapping phrases too
# ("patient tolerated" and "tolerated treatment well" in "patient tolerated treatment well").
_TEMPLATE = re.compile(
    r"\b(?=((?:"
    + "|".join(
        r"\W+".join(re.escape(word) for word in phrase.split())
        for phrase in sorted(TEMPLATE_PHRASES, key=len, reverse=True)
    )
    + r")\b))",
    re.IGNORECASE,
)
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
    r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DATE = re.compile(
    r"\b\d{1,4}[/.-]\d{1,2}(?:[/.-]\d{2,4})?\b"  # 4/14/2026, 2026-04-14, 14.4.
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?\b"  # April 14, 2026
    rf"|\b\d{{1,2}}(?:st|nd|rd|th)?\s+{_MONTH}(?:,?\s+\d{{4}})?",  # 14 April 2026
    re.IGNORECASE,
)
_DIGITS = re.compile(r"\d+")


# --- entry point ----------------------------------------------------------------------------------


def scrub(claim: ClaimFacts) -> ScrubResult:
    """Check a claim against docs/billing-rules.md §1-§7 and §10; return its findings, errors first.

    Rules and their sources are listed in ``RULES``. Payer scoping: coding rules that are
    Medicare's apply to ``MEDICARE_RULE_KINDS``; the plan of care (not for an evaluation-only
    visit, §10.5), its certification, progress reports, referral, visits a year and prior
    authorization follow the payer's own rules (``claim.payer``, those in force on the date of
    service, §6.10); modifier rules (GP, CQ) apply to every payer but self-pay; KX rules only
    when the payer's ``kx_applies``; timely filing only when ``claim.today`` and the payer's
    window are known.
    """
    ctx = _Context.build(claim)
    _check_necessity(ctx)
    _check_diagnoses(ctx)
    _check_codes(ctx)
    units = _check_units(ctx)
    _check_edit_pairs(ctx)
    _check_modifiers(ctx, units)
    _check_plan_of_care(ctx)
    _check_progress_report(ctx)
    _check_referral(ctx)
    _check_visit_limit(ctx)
    _check_authorization(ctx)
    _check_same_day_claims(ctx)
    _check_timely_filing(ctx)
    _check_kept_off(ctx)
    _check_billing_data(ctx)
    _check_charges(ctx)
    _check_reference(ctx)

    positions = {line.code: i for i, line in reversed(list(enumerate(claim.lines)))}
    findings = sorted(
        ctx.findings,
        key=lambda f: (
            f.severity != Severity.ERROR,
            _RULE_ORDER[f.rule_id],
            -1 if f.line_code is None else positions.get(f.line_code, len(positions)),
        ),
    )
    errors = sum(1 for f in findings if f.severity == Severity.ERROR)
    return ScrubResult(
        findings=tuple(findings),
        error_count=errors,
        warning_count=len(findings) - errors,
        units=units,
    )


@dataclass
class _Context:
    claim: ClaimFacts
    facts: dict[str, CodeFacts]
    lines_by_code: dict[str, list[ClaimLine]]
    findings: list[Finding] = field(default_factory=list)

    @classmethod
    def build(cls, claim: ClaimFacts) -> _Context:
        lines_by_code: dict[str, list[ClaimLine]] = {}
        for line in claim.lines:
            lines_by_code.setdefault(line.code, []).append(line)
        return cls(
            claim=claim,
            facts={f.code: f for f in claim.code_facts},
            lines_by_code=lines_by_code,
        )

    def add(self, rule_id: str, message: str, fix: str, line_code: str | None = None) -> None:
        rule = RULES[rule_id]
        self.findings.append(
            Finding(
                rule_id=rule_id,
                severity=rule.severity,
                message=message,
                fix=fix,
                source=rule.source,
                line_code=line_code,
            )
        )

    @property
    def medicare_rules(self) -> bool:
        return self.claim.payer.kind in MEDICARE_RULE_KINDS

    def billed(self) -> dict[str, int]:
        """Total units per known code with at least one unit, in claim order."""
        totals: dict[str, int] = {}
        for code, lines in self.lines_by_code.items():
            units = sum(line.units for line in lines)
            if code in self.facts and units > 0:
                totals[code] = units
        return totals

    def is_therapy(self, code: str) -> bool:
        facts = self.facts.get(code)
        return facts is not None and facts.always_therapy


# --- medical necessity (docs/billing-rules.md §6.5, §10.12) ---------------------------------------


def meaningful_words(text: str) -> list[str]:
    """Words of 3+ letters that are not stop words (the necessity heuristic, §6.5)."""
    return [w for w in _WORD.findall(text.lower()) if len(w) >= 3 and w not in STOP_WORDS]


def states_skilled_need(text: str, stems: Iterable[str] = SKILLED_NEED_STEMS) -> bool:
    """True when some word of ``text`` starts with a skilled-need stem (the heuristic, §6.5)."""
    stem_tuple = tuple(stems)
    return any(word.startswith(stem_tuple) for word in _WORD.findall(text.lower()))


def _template_spans(text: str) -> list[tuple[int, int]]:
    """Start and end of each template phrase, in order; a phrase inside another is left out."""
    spans: list[tuple[int, int]] = []
    for match in _TEMPLATE.finditer(text):
        if not spans or match.end(1) > spans[-1][1]:
            spans.append((match.start(1), match.end(1)))
    return spans


def template_phrases(text: str) -> list[str]:
    """The ``TEMPLATE_PHRASES`` found in ``text``, in order, as written (§10.12)."""
    return [" ".join(text[start:end].split()) for start, end in _template_spans(text)]


def without_template_phrases(text: str) -> str:
    """``text`` with every template phrase removed: what is left to show skilled need (§10.12)."""
    kept: list[str] = []
    position = 0
    for start, end in _template_spans(text):
        if start > position:
            kept.append(text[position:start])
        position = max(position, end)
    kept.append(text[position:])
    return " ".join(" ".join(kept).split())


def _normalise(text: str) -> str:
    return " ".join(text.lower().split())


def normalise_for_copy(text: str) -> str:
    """Lower case, dates and digits removed, whitespace folded: the text a copy is judged on
    (docs/billing-rules.md §10.12: a statement with a date or a few words changed is a copy)."""
    return " ".join(_DIGITS.sub(" ", _DATE.sub(" ", text.lower())).split())


@lru_cache(maxsize=8192)
def _copy_profile(text: str) -> tuple[str, Counter[str]]:
    """The normalised text and its letters counted. Cached: a patient's earlier statements are
    compared with each later visit's, and a re-scrub reads thousands."""
    normalised = normalise_for_copy(text)
    return normalised, Counter(normalised)


def _near_copy_ratio(text: str, earlier: str) -> float | None:
    """The ``difflib.SequenceMatcher`` ratio of the two normalised texts when it is at least
    ``NEAR_COPY_RATIO``, else None (also when either text is empty)."""
    a, a_letters = _copy_profile(text)
    b, b_letters = _copy_profile(earlier)
    if not a or not b:
        return None
    if a == b:
        return 1.0  # the same once dates and digits are gone: SequenceMatcher's ratio is 1.0
    # The matcher's two cheap upper bounds, computed without building it (its index of `b` is
    # most of the cost): 2 x the shorter length, and 2 x the letters in common, over both
    # lengths. Most statements are ruled out before the quadratic ratio().
    length = len(a) + len(b)
    if 2.0 * min(len(a), len(b)) / length < NEAR_COPY_RATIO:
        return None
    if 2.0 * sum((a_letters & b_letters).values()) / length < NEAR_COPY_RATIO:
        return None
    ratio = _matcher_ratio(a, b)
    return ratio if ratio >= NEAR_COPY_RATIO else None


@lru_cache(maxsize=65536)
def _matcher_ratio(a: str, b: str) -> float:
    """SequenceMatcher's ratio (about a millisecond for two statements). Cached: a re-scrub
    (nightly, or after a code-table change) compares the same statements again."""
    # autojunk off: on text over 200 characters it would treat spaces and common letters as junk.
    return SequenceMatcher(None, a, b, autojunk=False).ratio()


def _check_necessity(ctx: _Context) -> None:
    note = ctx.claim.note
    statement = note.medical_necessity.strip()
    if not statement:
        ctx.add(
            "necessity-missing",
            "The note has no statement of medical necessity.",
            "State why the patient needs a therapist's skill today: the condition, the skilled "
            "intervention and the goal it serves.",
        )
        return
    templates = template_phrases(statement)
    rest = without_template_phrases(statement) if templates else statement
    words = meaningful_words(rest)
    skilled = states_skilled_need(rest)
    if len(words) < MIN_NECESSITY_WORDS or not skilled:
        problems = []
        if len(words) < MIN_NECESSITY_WORDS:
            problems.append(
                f"only {len(words)} meaningful words (at least {MIN_NECESSITY_WORDS} expected)"
            )
        if not skilled:
            problems.append(
                "no words stating skilled need (e.g. skilled, cues, assess, progression)"
            )
        if templates:
            quoted = ", ".join(f'"{phrase}"' for phrase in dict.fromkeys(templates))
            ctx.add(
                "necessity-template",
                f'The necessity statement "{_clip(statement)}" is made of template phrases '
                f"that would fit any patient ({quoted}); without them it has "
                + " and ".join(problems)
                + ".",
                "Replace the template phrases with this patient's need: the impairment, the "
                "skilled intervention only a therapist can provide (cueing, manual technique, "
                "progression, assessment of response) and the goal it serves.",
            )
        else:
            ctx.add(
                "necessity-thin",
                f'The necessity statement "{_clip(statement)}" has ' + " and ".join(problems) + ".",
                "Say what skill the therapist provided (cueing, manual technique, progression, "
                "assessment of response) and why the patient's condition needs it.",
            )
    _check_copied(ctx, statement)
    assessment_and_plan = " ".join((statement, note.assessment, note.plan))
    if _MAINTENANCE.search(assessment_and_plan) and not states_skilled_need(
        assessment_and_plan, MAINTENANCE_SKILL_STEMS
    ):
        ctx.add(
            "maintenance-without-skill",
            'The note mentions "maintenance" but never says why the maintenance program needs '
            "a therapist's skill.",
            "Document why only a therapist can safely and effectively carry out the maintenance "
            "program (Jimmo), or stop billing it as skilled therapy.",
        )


def _check_copied(ctx: _Context, statement: str) -> None:
    """The latest earlier visit whose statement this one copies, word for word or nearly."""
    exact = _normalise(statement)
    for visit in sorted(ctx.claim.history, key=lambda v: v.visit_date, reverse=True):
        if visit.visit_date >= ctx.claim.date_of_service:
            continue
        if _normalise(visit.medical_necessity) == exact:
            how = "word for word"
        else:
            ratio = _near_copy_ratio(statement, visit.medical_necessity)
            if ratio is None:
                continue
            how = f"nearly word for word ({ratio:.0%} the same once dates and numbers are removed)"
        ctx.add(
            "necessity-copied",
            f"The necessity statement is {how} the one of the visit on "
            f"{visit.visit_date.isoformat()}.",
            "Write today's statement from today's findings: what changed, what skill was "
            "needed today.",
        )
        return


def _clip(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "\N{HORIZONTAL ELLIPSIS}"


# --- diagnoses (docs/billing-rules.md §7, §10.7) --------------------------------------------------


def is_initial_encounter(code: str) -> bool:
    """True for a 7-character code whose 7th character marks an initial encounter (A, B, C) on
    an injury code (S, T) or a chapter 13 fracture code (M48.4, M48.5, M80, M84, M97); §10.7."""
    compact = code.strip().replace(".", "").upper()
    return (
        len(compact) == 7
        and compact[-1] in INITIAL_ENCOUNTER_CHARACTERS
        and compact.startswith(INJURY_CHAPTER_LETTERS + FRACTURE_CATEGORIES_WITH_ENCOUNTER)
    )


def subsequent_encounter_code(code: str) -> str | None:
    """The routine-healing subsequent-encounter code for an initial-encounter code, else None.

    A → D; C (open fracture type IIIA-C) → F; B → E in the categories that type open fractures
    (S52, S72, S82), else D. The caller should still find the code in the set in force.
    """
    if not is_initial_encounter(code):
        return None
    compact = code.strip().replace(".", "").upper()
    initial = compact[-1]
    if initial == "B" and compact[:3] in OPEN_FRACTURE_TYPED_CATEGORIES:
        later = "E"
    else:
        later = SUBSEQUENT_FOR_INITIAL[initial]
    return f"{compact[:3]}.{compact[3:6]}{later}"


def _check_diagnoses(ctx: _Context) -> None:
    claim = ctx.claim
    if not claim.diagnoses:
        ctx.add(
            "dx-missing",
            "The claim has no diagnosis.",
            "Add the ICD-10-CM code(s) from the plan of care and point each line to one.",
        )
    else:
        count = len(claim.diagnoses)
        for code, lines in ctx.lines_by_code.items():
            pointers = [p for line in lines for p in line.diagnosis_pointers]
            bad = [p for p in pointers if not 1 <= p <= count]
            if not pointers:
                ctx.add(
                    "dx-missing",
                    f"{code} points to no diagnosis.",
                    "Point the line to the diagnosis it treats.",
                    code,
                )
            elif bad:
                ctx.add(
                    "dx-missing",
                    f"{code} points to diagnosis {', '.join(map(str, bad))}, but the claim has "
                    f"{count}.",
                    "Point the line to one of the claim's diagnoses.",
                    code,
                )
    day = claim.date_of_service.isoformat()
    for dx in claim.diagnoses:
        if not dx.exists:
            ctx.add(
                "dx-invalid",
                f"{dx.explanation} The date of service is {day}."
                if dx.explanation
                else f"{dx.code} is not in the ICD-10-CM code set in force on {day}.",
                "Pick the current code (code sets change every 1 October, sometimes 1 April).",
            )
            continue
        if not dx.billable:
            header = (
                f"{dx.code} ({dx.title or 'no title'}) is a category header with child codes, "
                "not billable."
            )
            ctx.add(
                "dx-header",
                f"{dx.explanation} On {day}, {header}" if dx.explanation else header,
                f"Pick the most specific child code under {dx.code}.",
            )
            continue
        subsequent = subsequent_encounter_code(dx.code)
        if subsequent is not None:
            upper = dx.code.strip().upper()
            kind = "an injury" if upper.startswith(INJURY_CHAPTER_LETTERS) else "a fracture"
            ctx.add(
                "dx-initial-encounter",
                f"{dx.code} is {kind} code with 7th character {upper[-1]} (initial encounter, "
                "active treatment).",
                f"Outpatient PT usually codes the subsequent encounter ({subsequent[-1]}, routine "
                f"healing): {subsequent}, unless the patient is still in active treatment.",
            )
        if _UNSPECIFIED_SIDE.search(dx.title):
            ctx.add(
                "dx-unspecified-laterality",
                f"{dx.code} ({dx.title}) does not say which side.",
                "Use the right- or left-side code documented in the evaluation; payers query "
                "unspecified laterality.",
            )


# --- codes (docs/billing-rules.md §3, §6.8, §10.3) ------------------------------------------------


def _check_codes(ctx: _Context) -> None:
    for code, lines in ctx.lines_by_code.items():
        facts = ctx.facts.get(code)
        if facts is None:
            ctx.add(
                "code-unknown",
                f"{code} is not in the code table, so it cannot be checked.",
                "Correct the code, or add it to the code table with its facts.",
                code,
            )
            continue
        if ctx.medicare_rules and facts.medicare_status == MedicareStatus.INVALID:
            replacement = MEDICARE_REPLACEMENTS.get(code)
            ctx.add(
                "medicare-invalid-code",
                f"{code} is not valid for {ctx.claim.payer.name}"
                + (f": Medicare uses {replacement}." if replacement else "."),
                f"Bill {replacement} instead." if replacement else "Use the Medicare code.",
                code,
            )
        if ctx.medicare_rules and facts.medicare_status == MedicareStatus.BUNDLED:
            ctx.add(
                "medicare-bundled-code",
                f"{code} is bundled by Medicare (status B): it is never paid separately.",
                f"Remove {code} from the claim; its time is part of the other services.",
                code,
            )
        if ctx.medicare_rules and facts.medicare_status == MedicareStatus.RESTRICTED:
            ctx.add(
                "medicare-restricted-code",
                f"{code} has restricted coverage under Medicare (status R): it is paid only in "
                "the special cases its contractor's policy allows.",
                f"Check the contractor's policy for {code} and document why this visit is such "
                "a case, or bill another code.",
                code,
            )
        if ctx.medicare_rules and facts.medicare_status == MedicareStatus.NONCOVERED:
            ctx.add(
                "medicare-noncovered-code",
                f"{code} is not covered by Medicare (status N, X or E): it will be denied.",
                "Remove it, or have the patient sign an advance notice (ABN) and bill it "
                "with GA so the patient can be charged.",
                code,
            )
        if ctx.medicare_rules and facts.medicare_status == MedicareStatus.CARRIER_PRICED:
            ctx.add(
                "medicare-contractor-priced",
                f"{code} has no national Medicare amount (status C): the contractor sets its "
                "price case by case, so no expected amount is shown.",
                "Describe the service in the claim's narrative and keep the documentation "
                "ready for the contractor.",
                code,
            )
        if facts.discipline == Discipline.OT:
            ctx.add(
                "ot-code-by-pt",
                f"{code} is an occupational-therapy code; a "
                f"{ctx.claim.therapist_credential.value} cannot bill it.",
                "Use the PT code (97161-97164 for evaluations).",
                code,
            )
        if code in PT_ONLY_CODES:
            _check_pt_only(ctx, code, lines)
        units = sum(line.units for line in lines)
        if (code in GROUP_CODES or facts.category == "group") and units > 1:
            ctx.add(
                "group-over-one-unit",
                f"{code} (group therapy) is billed with {units} units; it is 1 unit per patient "
                "per session.",
                f"Bill {code} x 1.",
                code,
            )


def _check_pt_only(ctx: _Context, code: str, lines: list[ClaimLine]) -> None:
    """An evaluation or re-evaluation is the PT's: a PTA may not bill or write it (§10.3)."""
    if ctx.claim.therapist_credential == Credential.PTA:
        who = "the claim's treating clinician is a PTA"
    elif any(line.by_assistant for line in lines):
        who = "the line is marked as furnished by the assistant"
    else:
        return
    ctx.add(
        "pta-evaluation",
        f"{code} is a PT evaluation or re-evaluation, but {who}: a PTA may not perform, write "
        "or bill it.",
        f"Have the PT perform, document and bill {code} (a PTA may contribute data), or remove "
        "it from this claim.",
        code,
    )


def _cut_by_cap(code: str, billed: int, ctx: _Context, timed_billed: int) -> bool:
    """True when a cap explains billing fewer units than the minutes support: the code is at
    its unit limit (§5.3), or the day is at the payer's timed-unit cap, where the therapist
    chooses which code gives way (§2)."""
    limits = {limit.code: limit.max_units for limit in ctx.claim.unit_limits}
    if code in limits and billed >= limits[code]:
        return True
    cap = ctx.claim.payer.daily_timed_unit_cap
    return cap is not None and timed_billed >= cap


# --- units (docs/billing-rules.md §1, §2, §5.3, §10.9) --------------------------------------------


def _check_units(ctx: _Context) -> UnitsResult | None:
    claim = ctx.claim
    payer = claim.payer
    limits = {limit.code: limit.max_units for limit in claim.unit_limits}
    billed = {
        code: sum(line.units for line in lines)
        for code, lines in ctx.lines_by_code.items()
        if code in ctx.facts
    }
    services = tuple(
        ServiceInput(
            code=code,
            minutes=sum(line.minutes for line in lines),
            timed=ctx.facts[code].timed,
            always_therapy=ctx.facts[code].always_therapy,
            pta_minutes=sum(line.pta_minutes for line in lines),
        )
        for code, lines in ctx.lines_by_code.items()
        if code in ctx.facts
    )
    # A documented service with 0 units still brings its minutes to the day; one that a billed
    # code blocks (§5.1) does not.
    # (Who furnished those minutes does not matter here: they bring no line to put CQ on.)
    blocked = _blockers(ctx)
    unbilled: dict[str, int] = {}
    for code, minutes, _pta in claim.unbilled_minutes:
        if code in billed or code in blocked or code not in ctx.facts or minutes < 0:
            continue
        unbilled[code] = unbilled.get(code, 0) + minutes
    for code, minutes in unbilled.items():
        billed[code] = 0
        services += (
            ServiceInput(
                code=code,
                minutes=minutes,
                timed=ctx.facts[code].timed,
                always_therapy=ctx.facts[code].always_therapy,
            ),
        )
    impossible = False
    for claim_line in claim.lines:
        minutes, pta = claim_line.minutes, claim_line.pta_minutes
        if minutes < 0 or pta < 0 or pta > minutes:
            impossible = True
            ctx.add(
                "minutes-invalid",
                f"{claim_line.code}: {minutes} minutes with {pta} by the assistant cannot be "
                "right.",
                "Correct the minutes on the treatment note.",
                claim_line.code,
            )
    if impossible:
        return None
    try:
        supported = compute_units(UnitsRequest(services=services, method=payer.unit_method))
    except ValueError as error:
        ctx.add(
            "minutes-invalid",
            f"The minutes cannot be right: {error}.",
            "Correct the minutes on the treatment note.",
        )
        return None
    supported = _follow_billed_tie(supported, services, payer.unit_method, billed)

    method = "CMS 8-minute rule" if payer.unit_method == Method.CMS else "per-code (AMA) method"
    timed_lines = [line for line in supported.lines if line.timed]
    alone = payer.unit_method == Method.AMA or len(timed_lines) == 1
    share = ", ".join(f"{line.code} x {line.units}" for line in timed_lines)
    for line in supported.lines:
        units = billed[line.code]
        if line.timed:
            if alone and line.minutes < 8 and units > 0:
                ctx.add(
                    "units-under-8",
                    f"{line.code}: {line.minutes} minutes alone is under 8 minutes, but "
                    f"{_n(units, 'unit')} billed.",
                    f"Remove {line.code}, or correct its minutes if more time was spent.",
                    line.code,
                )
            elif units > line.units:
                context = (
                    f" (day total {supported.total_timed_minutes} timed minutes = "
                    f"{_n(supported.total_timed_units, 'unit')}: {share})"
                    if payer.unit_method == Method.CMS and len(timed_lines) > 1
                    else ""
                )
                ctx.add(
                    "units-unsupported",
                    f"{line.code}: {_n(units, 'unit')} billed, but {line.minutes} minutes support "
                    f"{line.units} under the {method}{context}.",
                    f"Bill {line.code} x {line.units}, or correct the minutes.",
                    line.code,
                )
            elif units < line.units and not _cut_by_cap(
                line.code, units, ctx, sum(billed[t.code] for t in timed_lines)
            ):
                ctx.add(
                    "units-below-supported",
                    f"{line.code}: {_n(units, 'unit')} billed, but {line.minutes} minutes support "
                    f"{line.units} under the {method}.",
                    f"Bill {line.code} x {line.units} unless fewer units were intended.",
                    line.code,
                )
        elif (
            units > 1
            and line.code not in GROUP_CODES
            and ctx.facts[line.code].category != "group"
            and line.code not in limits  # a code with a unit limit is left to mue-exceeded
        ):
            ctx.add(
                "units-unsupported",
                f"{line.code} is untimed: 1 unit per day whatever the minutes, but "
                f"{units} units billed.",
                f"Bill {line.code} x 1.",
                line.code,
            )

    timed_billed = sum(billed[line.code] for line in timed_lines)
    # With one timed code the line's own finding already says it all.
    if (
        payer.unit_method == Method.CMS
        and len(timed_lines) > 1
        and timed_billed > supported.total_timed_units
    ):
        total = supported.total_timed_minutes
        ctx.add(
            "units-total-over",
            f"{_n(timed_billed, 'timed unit')} billed, but {total} total timed minutes allow "
            f"{units_for_minutes(total)}.",
            f"Share {_n(supported.total_timed_units, 'unit')} among the timed codes: {share}.",
        )
    mais = {limit.code: limit.mai for limit in claim.unit_limits}
    for code, units in billed.items():
        limit = limits.get(code)
        if limit is not None and units > limit:
            mai = mais.get(code)
            meaning = MAI_MEANINGS.get(mai) if mai is not None else None
            fix = MAI_FIXES.get(mai) if mai is not None else None
            ctx.add(
                "mue-exceeded",
                f"{code}: {units} units billed; the daily limit (MUE) is {limit}"
                + (f" ({meaning})." if meaning else "."),
                fix.format(limit=limit)
                if fix
                else f"Bill at most {limit}; units over the MUE are denied.",
                code,
            )
    cap = payer.daily_timed_unit_cap
    if cap is not None and timed_billed > cap:
        ctx.add(
            "daily-cap-exceeded",
            f"{_n(timed_billed, 'timed unit')} billed; {payer.name} pays at most {cap} a day.",
            f"Cut the timed units to {cap}, starting with the least supported.",
        )
    return supported


def _follow_billed_tie(
    supported: UnitsResult,
    services: tuple[ServiceInput, ...],
    method: Method,
    billed: Mapping[str, int],
) -> UnitsResult:
    """Where the minutes tie, accept the therapist's billed pick when it is a valid one."""
    if not supported.ties:
        return supported
    tie = supported.ties[0]
    full = {line.code: line.full_units for line in supported.lines}
    choice = tuple(code for code in tie.codes if billed.get(code, 0) == full[code] + 1)
    if len(choice) != tie.contested_units or choice == tie.chosen:
        return supported
    return compute_units(UnitsRequest(services=services, method=method, tie_choice=choice))


def _n(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


# --- edit pairs (docs/billing-rules.md §5.1, §5.2) ------------------------------------------------


def _has_all(lines: list[ClaimLine], modifiers: frozenset[str]) -> bool:
    """True when every line of the code carries one of ``modifiers``."""
    return all(modifiers & set(line.modifiers) for line in lines)


def _check_edit_pairs(ctx: _Context) -> None:
    billed = ctx.billed()
    codes = list(billed)
    covered: set[frozenset[str]] = set()

    evaluations = [code for code in codes if code in PT_EVALUATIONS]
    if len(evaluations) > 1:
        ctx.add(
            "two-evaluations",
            f"{' and '.join(evaluations)} billed on the same date: only one PT evaluation or "
            "re-evaluation per patient per date, and no modifier bypasses it.",
            "Keep the one evaluation that was performed.",
        )
        covered.update(frozenset(pair) for pair in combinations(evaluations, 2))

    if REEVALUATION in billed:
        therapy = [
            code
            for code in codes
            if ctx.is_therapy(code) and code not in PT_EVALUATIONS | OT_EVALUATIONS
        ]
        if therapy and not _has_all(ctx.lines_by_code[REEVALUATION], REEVAL_MODIFIERS):
            ctx.add(
                "reeval-with-therapy-no-59",
                f"{REEVALUATION} (re-evaluation) billed with {', '.join(therapy)} without 59 or "
                "XU: NCCI bundles it into the therapy services.",
                f"If the patient's status changed enough to need a re-evaluation, append XU (or "
                f"59) to {REEVALUATION} and document the change; otherwise remove it.",
                REEVALUATION,
            )
        covered.update(frozenset((REEVALUATION, code)) for code in therapy)

    for code in codes:
        if code in TESTS_NOT_WITH_EVALUATION and evaluations:
            partners = evaluations
        elif code in NOT_WITH_REEVALUATION and REEVALUATION in billed:
            partners = [REEVALUATION]
        else:
            continue
        ctx.add(
            "test-with-evaluation",
            f"{code} is not separately reportable with {', '.join(partners)} on the same date "
            "by the same discipline.",
            f"Remove {code}; its work is part of the evaluation.",
            code,
        )
        covered.update(frozenset((code, partner)) for partner in partners)

    seen: set[tuple[str, str]] = set()
    for pair in ctx.claim.edit_pairs:
        key = (pair.column1, pair.column2)
        if (
            key in seen
            or pair.column1 not in billed
            or pair.column2 not in billed
            or not pair.in_force(ctx.claim.date_of_service)
            or frozenset(key) in covered
        ):
            continue
        seen.add(key)
        if pair.modifier_indicator == 0:
            ctx.add(
                "ncci-indicator-0",
                f"{pair.column2} is bundled into {pair.column1} (NCCI edit, modifier indicator "
                "0): no modifier can bypass it.",
                f"Remove {pair.column2}.",
                pair.column2,
            )
        elif pair.modifier_indicator == 1 and not _has_all(
            ctx.lines_by_code[pair.column2], DISTINCT_MODIFIERS
        ):
            ctx.add(
                "ncci-needs-modifier",
                f"{pair.column2} is bundled into {pair.column1} (NCCI edit, modifier indicator "
                f"1) and carries no 59/XE/XS/XP/XU.",
                f"If {pair.column2} was done in a separate time interval, append XU (or the "
                "fitting X modifier; 59 only when none fits); otherwise remove it.",
                pair.column2,
            )


# --- modifiers (docs/billing-rules.md §4, §10.2, §10.4, §10.8) ------------------------------------


def _check_modifiers(ctx: _Context, units: UnitsResult | None) -> None:
    claim = ctx.claim
    needs_modifiers = claim.payer.kind not in NO_MODIFIER_KINDS
    engine = {line.code: line.cq_units for line in units.lines} if units else {}
    for code, lines in ctx.lines_by_code.items():
        facts = ctx.facts.get(code)
        if facts is None:
            continue  # code-unknown says it
        if needs_modifiers:
            _check_gp(ctx, code, lines, facts)
            _check_cq(ctx, code, lines, facts, engine.get(code, 0))
        if facts.always_therapy and any("25" in line.modifiers for line in lines):
            ctx.add(
                "modifier-25-on-therapy",
                f"{code} carries modifier 25, which is for E/M services only.",
                f"Remove 25 from {code}.",
                code,
            )
    _check_kx(ctx)


def _check_gp(ctx: _Context, code: str, lines: list[ClaimLine], facts: CodeFacts) -> None:
    """GP on every line under a PT plan of care, "sometimes therapy" codes included (§10.4)."""
    if all("GP" in line.modifiers for line in lines):
        return
    others = sorted(
        {m for line in lines for m in line.modifiers if m in THERAPY_MODIFIERS_OF_OTHER_DISCIPLINES}
    )
    what = (
        f"{code} is an always-therapy code billed without GP"
        if facts.always_therapy
        else f'{code} is billed under the PT plan of care without GP ("sometimes therapy" codes '
        "need GP too when a therapist furnishes them)"
    )
    ctx.add(
        "gp-missing",
        what + (f" (it carries {', '.join(others)}, which is for OT/SLP)." if others else "."),
        f"Append GP to {code} (PT plan of care).",
        code,
    )


def _check_cq(
    ctx: _Context, code: str, lines: list[ClaimLine], facts: CodeFacts, engine_cq_units: int
) -> None:
    """CQ on the assistant's share (§4, §10.2).

    A visit by a PTA: every line. An untimed line furnished by the assistant: CQ whatever its
    minutes. Otherwise the units engine says how many of the code's units carry CQ
    (``UnitLine.cq_units``); fewer units billed with CQ is a finding, more is left alone.
    Evaluations are left to pta-evaluation: CQ never makes them billable.
    """
    if code in PT_ONLY_CODES:
        return
    without_cq = [line for line in lines if "CQ" not in line.modifiers]
    if not without_cq:
        return
    if ctx.claim.therapist_credential == Credential.PTA:
        ctx.add(
            "cq-missing",
            f"{code}: the visit was furnished by a PTA, but the line has no CQ.",
            f"Append CQ (with GP) to {code}.",
            code,
        )
        return
    if not facts.timed and any(line.by_assistant for line in without_cq):
        ctx.add(
            "cq-missing",
            f"{code} is untimed and was furnished in whole or part by the assistant, but the "
            "line has no CQ (an untimed PTA service carries CQ whatever its minutes).",
            f"Append CQ (with GP) to {code}.",
            code,
        )
        return
    billed_cq = sum(line.units for line in lines if "CQ" in line.modifiers)
    if engine_cq_units <= 0 or billed_cq >= engine_cq_units:
        return
    minutes = sum(line.minutes for line in lines)
    pta = sum(line.pta_minutes for line in lines)
    units = sum(line.units for line in lines)
    fix = (
        f"Append CQ (with GP) to {code}."
        if billed_cq == 0 and engine_cq_units >= units
        else f"Split {code}: {_n(engine_cq_units, 'unit')} furnished in whole or part by the "
        "assistant on a GP CQ line, the rest on a GP line."
    )
    ctx.add(
        "cq-missing",
        f"{code}: the assistant furnished {pta} of its {minutes} minutes, so "
        f"{_n(engine_cq_units, 'unit')} must carry CQ, but {billed_cq} billed with CQ.",
        fix,
        code,
    )


def kx_other_providers_text(kx: KxFacts) -> str:
    """What the year to date holds from other providers, in words (§10.8); "" when nothing."""
    if kx.other_providers <= 0:
        return ""
    reply = (
        f" (eligibility reply of {kx.other_providers_as_of.isoformat()})"
        if kx.other_providers_as_of
        else ""
    )
    return f"includes ${kx.other_providers:,.2f} from other providers{reply}"


def _check_kx(ctx: _Context) -> None:
    claim = ctx.claim
    kx = claim.kx
    if not claim.payer.kx_applies or kx is None:
        return
    total = kx.ytd_allowed_before_visit + kx.this_visit_allowed
    therapy = [code for code in ctx.lines_by_code if ctx.is_therapy(code)]
    with_kx = [
        code for code in therapy if all("KX" in line.modifiers for line in ctx.lines_by_code[code])
    ]
    without_kx = [code for code in therapy if code not in with_kx]
    any_kx = any("KX" in line.modifiers for line in claim.lines)
    elsewhere = kx_other_providers_text(kx)
    amounts = (
        f"Year-to-date ${kx.ytd_allowed_before_visit:,.2f}"
        + (f" ({elsewhere})" if elsewhere else "")
        + f" + this visit ${kx.this_visit_allowed:,.2f} = ${total:,.2f}"
    )
    if kx.threshold is not None:
        if total > kx.threshold and without_kx:
            ctx.add(
                "kx-missing",
                f"{amounts} passes the ${kx.threshold:,.2f} KX threshold, but "
                f"{', '.join(without_kx)} carry no KX.",
                "Append KX to every therapy line and make sure the note documents medical "
                "necessity; without KX these lines are denied.",
            )
        if any_kx and total < kx.threshold * KX_PREMATURE_FRACTION:
            ctx.add(
                "kx-premature",
                f"KX is on the claim, but {amounts[0].lower()}{amounts[1:]}, well under the "
                f"${kx.threshold:,.2f} "
                f"threshold ({KX_PREMATURE_FRACTION:.0%} = "
                f"${kx.threshold * KX_PREMATURE_FRACTION:,.2f}).",
                "Remove KX: using it when the threshold is not likely to be passed is abusive.",
            )
    if total > kx.review_threshold:
        ctx.add(
            "kx-review-threshold",
            f"{amounts} passes the ${kx.review_threshold:,.2f} targeted medical review threshold.",
            "Expect medical review: make sure the plan, progress reports and this note support "
            "the need for continued skilled therapy.",
        )


# --- plan of care and certification (docs/billing-rules.md §6.1, §6.2, §10.5) ---------------------


def is_evaluation_only(codes: Iterable[str]) -> bool:
    """True when every code is a PT evaluation or re-evaluation (97161-97164) and there is at
    least one: such a visit needs no prior plan of care (docs/billing-rules.md §10.5)."""
    billed = set(codes)
    return bool(billed) and billed <= PT_EVALUATIONS


def _check_plan_of_care(ctx: _Context) -> None:
    claim = ctx.claim
    therapy = [code for code in ctx.billed() if ctx.is_therapy(code)]
    if (
        not therapy
        or not claim.payer.requires_plan_of_care
        or is_evaluation_only(line.code for line in claim.lines if line.units > 0)
    ):
        return
    plan = claim.plan_of_care
    dos = claim.date_of_service
    if plan is None:
        ctx.add(
            "poc-missing",
            f"{', '.join(therapy)} must be furnished under a therapy plan of care, and none is "
            "on file.",
            "Write (and have certified) the plan of care: diagnoses, measurable goals, type, "
            "amount, frequency and duration of services.",
        )
        return
    if (
        plan.status == PLAN_DISCHARGED
        and plan.discharged_on is not None
        and plan.discharged_on < dos
    ):
        ctx.add(
            "poc-discharged",
            f"The plan of care was discharged on {plan.discharged_on.isoformat()}, before the "
            f"date of service {dos.isoformat()}: a discharged plan covers no later visit.",
            "Start a new episode: a PT evaluation and a new plan of care (certified) before "
            "treatment is billed.",
        )
        return  # the plan is not in force: its certification no longer matters
    if dos < plan.start_date:
        ctx.add(
            "poc-before-start",
            f"The date of service {dos.isoformat()} is before the plan starts "
            f"({plan.start_date.isoformat()}).",
            "Attach the claim to the plan in force on the date of service, or correct the "
            "plan's start date.",
        )
    elif plan.cert_through is not None and dos > plan.cert_through:
        ctx.add(
            "poc-outside-cert",
            f"The date of service {dos.isoformat()} is after the certification ended "
            f"({plan.cert_through.isoformat()}).",
            "Have the physician/NPP recertify the plan for the period that includes this visit.",
        )
    longest = claim.payer.certification_days
    if longest is None:
        return  # the payer asks for no certification (§6.10)
    deadline = plan.first_visit_date + timedelta(days=CERTIFICATION_DAYS)
    if plan.certified_on is None:
        if dos > deadline:
            ctx.add(
                "poc-cert-late",
                f"The plan is not certified and the 30 days after the first visit "
                f"({plan.first_visit_date.isoformat()}) ended on {deadline.isoformat()}.",
                "Get the physician/NPP signature, and document the reason for the delay "
                "(delayed certification is allowed with a reason).",
            )
        else:
            ctx.add(
                "poc-cert-pending",
                f"The plan is not yet certified; the signature is due by {deadline.isoformat()}.",
                "Send the plan to the physician/NPP for signature before billing.",
            )
    elif plan.certified_on > deadline:
        late = (plan.certified_on - plan.first_visit_date).days
        ctx.add(
            "poc-cert-delayed",
            f"The plan was certified on {plan.certified_on.isoformat()}, {late} days after the "
            f"first visit ({CERTIFICATION_DAYS} allowed).",
            "Keep the documented reason for the delayed certification with the plan.",
        )
    if plan.cert_through is not None:
        span = (plan.cert_through - plan.start_date).days + 1
        left = (plan.cert_through - dos).days
        if span > longest:
            ctx.add(
                "poc-recert-due",
                f"The certification runs {span} days ({plan.start_date.isoformat()} to "
                f"{plan.cert_through.isoformat()}); {claim.payer.name} accepts at most "
                f"{_n(longest, 'calendar day')}.",
                f"Recertify at least every {_n(longest, 'day')}.",
            )
        elif 0 <= left <= RECERT_WARNING_DAYS:
            ctx.add(
                "poc-recert-due",
                f"The certification ends on {plan.cert_through.isoformat()}, "
                f"{_n(left, 'day')} after this visit.",
                "Send the updated plan for recertification now.",
            )


# --- progress report (docs/billing-rules.md §6.3) -------------------------------------------------


def treatment_days_since_report(claim: ClaimFacts) -> int:
    """Treatment days since the last progress report, counting this visit (§6.3).

    Days without a visit do not count. Without an earlier report, the count starts at the plan's
    first visit (the evaluation), or with the earliest visit on record when there is no plan.
    """
    dos = claim.date_of_service
    earlier = {v.visit_date for v in claim.history if v.visit_date < dos}
    reports = [v.visit_date for v in claim.history if v.was_progress_report and v.visit_date < dos]
    if reports:
        last = max(reports)
        days = {d for d in earlier if d > last}
    elif claim.plan_of_care is not None:
        days = {d for d in earlier if d >= claim.plan_of_care.first_visit_date}
    else:
        days = earlier
    return len(days) + 1


@dataclass(frozen=True)
class ProgressClock:
    """Where a visit stands against the payer's progress-report interval (§6.3, §6.10):
    ``treatment_day`` counts this visit; ``calendar_days`` run from ``since`` (the last report,
    else the start of care) to the date of service."""

    treatment_day: int
    since: date
    calendar_days: int
    last_report: date | None
    every_visits: int | None
    every_days: int | None

    @property
    def due_by_visits(self) -> bool:
        return self.every_visits is not None and self.treatment_day >= self.every_visits

    @property
    def due_by_days(self) -> bool:
        return self.every_days is not None and self.calendar_days >= self.every_days

    @property
    def due(self) -> bool:
        """A progress report is due at this visit."""
        return self.due_by_visits or self.due_by_days


def progress_clock(claim: ClaimFacts) -> ProgressClock:
    """This visit against the payer's interval (§6.3, §6.10): treatment days as
    ``treatment_days_since_report`` counts them, calendar days from the last report, or without
    one from the plan's first visit (else the earliest visit on record)."""
    dos = claim.date_of_service
    reports = [v.visit_date for v in claim.history if v.was_progress_report and v.visit_date < dos]
    earlier = [v.visit_date for v in claim.history if v.visit_date < dos]
    last_report = max(reports) if reports else None
    if last_report is not None:
        since = last_report
    elif claim.plan_of_care is not None:
        since = min(claim.plan_of_care.first_visit_date, dos)
    else:
        since = min(earlier, default=dos)
    return ProgressClock(
        treatment_day=treatment_days_since_report(claim),
        since=since,
        calendar_days=(dos - since).days,
        last_report=last_report,
        every_visits=claim.payer.progress_report_visits,
        every_days=claim.payer.progress_report_days,
    )


def _check_progress_report(ctx: _Context) -> None:
    claim = ctx.claim
    note = claim.note
    by_pta = claim.therapist_credential == Credential.PTA
    if note.includes_progress_report and by_pta:
        ctx.add(
            "progress-report-by-pta",
            "The note is marked as a progress report, but it was written by a PTA.",
            "A PT must write the progress report (the PTA may contribute data).",
        )
    if not any(ctx.is_therapy(code) for code in ctx.billed()):
        return
    clock = progress_clock(claim)
    if not clock.due or (note.includes_progress_report and not by_pta):
        return
    reasons = []
    if clock.due_by_visits:
        reasons.append(
            f"This is treatment day {clock.treatment_day} since the last progress report (or "
            f"the start of care); one is due at least every "
            f"{_n(clock.every_visits or 0, 'treatment day')}"
        )
    if clock.due_by_days:
        since = (
            f"the last progress report ({clock.since.isoformat()})"
            if clock.last_report is not None
            else f"the start of care ({clock.since.isoformat()})"
        )
        reasons.append(
            f"{'It is' if not reasons else 'it is'} {_n(clock.calendar_days, 'day')} since "
            f"{since}; {claim.payer.name} wants one at least every "
            f"{_n(clock.every_days or 0, 'calendar day')}"
        )
    ctx.add(
        "progress-report-due",
        "; and ".join(reasons) + ".",
        "Have the PT write a progress report at this visit"
        + (" (a PTA cannot write it: schedule the PT)." if by_pta else "."),
    )


# --- the payer's coverage rules: referral, visits a year, authorization (§6.10) -----------------


def _check_referral(ctx: _Context) -> None:
    claim = ctx.claim
    if not claim.payer.requires_referral or not ctx.billed():
        return
    plan = claim.plan_of_care
    if plan is not None and plan.certified_by_name.strip():
        return
    ctx.add(
        "referral-missing",
        f"{claim.payer.name} requires a referral, and none is on file: "
        + (
            "there is no plan of care naming the referring physician/NPP."
            if plan is None
            else "the plan of care names no referring or certifying physician/NPP."
        ),
        "Get the referral from the patient's physician/NPP and name them on the plan of care "
        "(certified by) before billing.",
    )


def _check_visit_limit(ctx: _Context) -> None:
    claim = ctx.claim
    limit = claim.payer.visit_limit_per_year
    if limit is None or not ctx.billed():
        return
    number = claim.visits_this_year + 1
    if number > limit:
        ctx.add(
            "visit-limit-exceeded",
            f"This is visit {number} of {claim.date_of_service.year} with {claim.payer.name}, "
            f"which covers {_n(limit, 'visit')} a calendar year.",
            "Check the patient's benefits: ask the payer for more visits (with the progress "
            "documentation), or tell the patient before treating that the visit is not covered.",
        )


def covering_authorization(claim: ClaimFacts) -> Authorization | None:
    """The authorization whose dates include the date of service (the latest to start, when
    several do), §6.10."""
    covering = [a for a in claim.authorizations if a.covers(claim.date_of_service)]
    return max(covering, key=lambda a: (a.start_date, a.number)) if covering else None


def authorization_summary(claim: ClaimFacts) -> str:
    """The authorization line of the panel and the claim page, in words (§6.10): "Visit 7 of
    12 authorized (AUTH123), through 2027-01-15", or why there is none; "" when the payer needs
    none and none covers the visit."""
    found = covering_authorization(claim)
    if found is not None:
        through = f"through {found.end_date.isoformat()}"
        if found.visits is None:
            return (
                f"Visit {found.visit_number} under authorization {found.number} (visits not "
                f"limited), {through}"
            )
        if found.visit_number > found.visits:
            return (
                f"Visit {found.visit_number}, over the {found.visits} authorized "
                f"({found.number}), {through}"
            )
        return (
            f"Visit {found.visit_number} of {found.visits} authorized ({found.number}), {through}"
        )
    if not claim.payer.requires_authorization:
        return ""
    if not claim.authorizations:
        return f"No authorization on file; {claim.payer.name} requires one"
    return (
        f"No authorization covers {claim.date_of_service.isoformat()}; {claim.payer.name} "
        "requires one"
    )


def _check_authorization(ctx: _Context) -> None:
    claim = ctx.claim
    billed = ctx.billed()
    if not claim.payer.requires_authorization or not billed:
        return
    dos = claim.date_of_service
    found = covering_authorization(claim)
    if found is None:
        if not claim.authorizations:
            ctx.add(
                "auth-missing",
                f"{claim.payer.name} requires prior authorization, and none is on file for this "
                "patient.",
                "Ask the payer for the authorization before treating, and record its number, "
                "dates and visits on the patient's page.",
            )
            return
        shown = sorted(claim.authorizations, key=lambda a: abs((a.start_date - dos).days))[:3]
        which = "every authorization" if len(claim.authorizations) > 1 else "the authorization"
        listed = "; ".join(
            f"{a.number} ({a.start_date.isoformat()} to {a.end_date.isoformat()})" for a in shown
        )
        ctx.add(
            "auth-outside-dates",
            f"The date of service {dos.isoformat()} is outside {which} on file: {listed}.",
            "Ask the payer for an authorization (or an extension) that covers the date of "
            "service; if the dates were recorded wrong, correct them on the patient's page.",
        )
        return
    number = found.visit_number
    over = found.visits is not None and number > found.visits
    if over:
        ctx.add(
            "auth-visits-exceeded",
            f"This is visit {number} under authorization {found.number}, which allows "
            f"{_n(found.visits or 0, 'visit')}.",
            "Ask the payer to authorize more visits before billing this one (send the progress "
            "report).",
        )
    allowed = dict(found.units)
    before = dict(found.units_before)
    for code, units in billed.items():
        if code not in allowed:
            continue
        total = before.get(code, 0) + units
        if total > allowed[code]:
            left = max(allowed[code] - before.get(code, 0), 0)
            ctx.add(
                "auth-units-exceeded",
                f"{code}: {_n(before.get(code, 0), 'unit')} billed before and {units} on this "
                f"claim make {total}, over the {allowed[code]} that authorization "
                f"{found.number} allows.",
                f"Bill at most {_n(left, 'unit')} of {code}, or ask the payer to authorize more.",
                code,
            )
    if over:
        return
    ending = []
    if found.visits is not None and found.visits - number < AUTH_WARNING_VISITS:
        ending.append(f"this is visit {number} of the {found.visits} authorized")
    days_left = (found.end_date - dos).days
    if days_left <= AUTH_WARNING_DAYS:
        ending.append(
            "it ends "
            + (
                "today"
                if days_left == 0
                else f"on {found.end_date.isoformat()}, in {_n(days_left, 'day')}"
            )
        )
    if ending:
        ctx.add(
            "auth-ending",
            f"Authorization {found.number} is nearly used up: " + " and ".join(ending) + ".",
            "If the patient needs more visits, ask the payer to extend the authorization now "
            "(send the progress report).",
        )


# --- one claim per patient per day (docs/billing-rules.md §10.1) ----------------------------------


def _check_same_day_claims(ctx: _Context) -> None:
    others = ctx.claim.same_day_claims
    if not others:
        return
    for code in dict.fromkeys(line.code for line in ctx.claim.lines if line.units > 0):
        on = [other for other in others if code in other.codes]
        if not on:
            continue
        names = _claim_names(on)
        ctx.add(
            "duplicate-claim",
            f"{code} is also billed on {names} for the same patient and date of service: the "
            "payer denies the second as a duplicate (CARC 18).",
            f"Bill {code} once for the day: merge this session into {names} (or a corrected "
            "claim of it) instead of sending a second claim.",
            code,
        )
    for other in others:
        if other.status in OPEN_CLAIM_STATUSES:
            continue  # the caller merges an open claim of the day into one
        ctx.add(
            "same-day-claim-closed",
            f"Claim {other.claim_id} of the same patient and date is already "
            f"{other.status.replace('_', ' ')}: "
            "the day's timed minutes must be billed on one claim.",
            f"Make a corrected claim of claim {other.claim_id} with this session's services "
            "(units recomputed over the day's pooled minutes) instead of approving this one.",
        )


def _claim_names(claims: list[SameDayClaim]) -> str:
    ids = [str(other.claim_id) for other in claims]
    if len(ids) == 1:
        return f"claim {ids[0]}"
    return f"claims {', '.join(ids[:-1])} and {ids[-1]}"


# --- timely filing (docs/billing-rules.md §10.10) -------------------------------------------------


def timely_filing_deadline(claim: ClaimFacts) -> date | None:
    """The last day the payer accepts the claim: the date of service plus the payer's window
    (Medicare's 12 months given as 365 days); None when the window is unknown (§10.10)."""
    days = claim.payer.timely_filing_days
    return None if days is None else claim.date_of_service + timedelta(days=days)


def _check_timely_filing(ctx: _Context) -> None:
    claim = ctx.claim
    deadline = timely_filing_deadline(claim)
    if claim.today is None or deadline is None:
        return
    window = (
        f"{claim.payer.name} accepts claims for {_n(claim.payer.timely_filing_days or 0, 'day')}"
    )
    left = (deadline - claim.today).days
    if left < 0:
        ctx.add(
            "timely-filing-passed",
            f"The filing deadline passed on {deadline.isoformat()}, {_n(-left, 'day')} ago: "
            f"{window} after the date of service ({claim.date_of_service.isoformat()}).",
            "Do not submit as is: check whether an exception applies (e.g. retroactive "
            "eligibility or an administrative error) and keep the proof; otherwise the payer "
            "denies the claim as filed late.",
        )
    elif left <= TIMELY_FILING_WARNING_DAYS:
        ctx.add(
            "timely-filing-near",
            f"The filing deadline is {deadline.isoformat()}, {_n(left, 'day')} from today: "
            f"{window} after the date of service ({claim.date_of_service.isoformat()}).",
            "Review and submit this claim first; after the deadline the payer denies it.",
        )


# --- reference data (docs/billing-rules.md §10.6) -------------------------------------------------


def _blockers(ctx: _Context) -> dict[str, str]:
    """Documented codes that are not on the claim because a billed code blocks them (an
    indicator-0 edit pair, or not separately reportable with the day's evaluation, §5.1), each
    with the billed code that blocks it."""
    billed = set(ctx.billed())
    documented = {c for c, _, _ in ctx.claim.unbilled_minutes} | set(ctx.claim.documented_codes)
    kept_off = documented - billed
    if not kept_off:
        return {}
    day = ctx.claim.date_of_service
    blockers: dict[str, str] = {}
    for column1, column2 in not_separately_reportable(billed | kept_off):
        if column1 in billed and column2 in kept_off:
            blockers.setdefault(column2, column1)
    for pair in ctx.claim.edit_pairs:
        if (
            pair.modifier_indicator == 0
            and pair.column1 in billed
            and pair.column2 in kept_off
            and pair.in_force(day)
        ):
            blockers.setdefault(pair.column2, pair.column1)
    return blockers


def _check_kept_off(ctx: _Context) -> None:
    """A documented code that is not on the claim because a billed code blocks it: an
    indicator-0 edit pair or a code not separately reportable with the day's evaluation."""
    kept_off = [c for c in dict.fromkeys(ctx.claim.documented_codes) if c not in ctx.billed()]
    blockers = _blockers(ctx)
    for code in kept_off:
        if code in blockers:
            ctx.add(
                "line-kept-off",
                f"{code} is in the treatment note but kept off the claim: it cannot be billed "
                f"with {blockers[code]} on the same day, and no modifier bypasses that.",
                f"Nothing to bill for {code}; keep its minutes in the note. If {code} was the "
                f"service actually performed instead of {blockers[code]}, correct the codes.",
                code,
            )


def _check_reference(ctx: _Context) -> None:
    for sentence in ctx.claim.missing_reference:
        ctx.add(
            "reference-not-loaded",
            sentence,
            "Load the figures in force on the date of service (admin import), then rescrub; "
            "until then check the affected findings by hand.",
        )


# --- what the claim must carry to be sent (docs/billing-rules.md §11) -----------------------------


def _check_billing_data(ctx: _Context) -> None:
    """One error per record that lacks what the 837P and the CMS-1500 need (§11.1)."""
    for gap in ctx.claim.billing_gaps:
        fields = ", ".join(gap.fields)
        ctx.add(
            "claim-data-missing",
            f"The {gap.holder} record lacks what the claim must carry: {fields}. The claim "
            "cannot be sent without it.",
            f"Fill in {fields} on {gap.where}, then rescrub.",
        )


def _check_charges(ctx: _Context) -> None:
    """Each billed code needs a charge on the date of service; a charge below the allowed
    amount gives money away, since a payer pays the lower of the two (§11.2)."""
    if not ctx.claim.charges_checked:
        return
    seen: set[str] = set()
    for line in ctx.claim.line_charges:
        if line.code in seen:
            continue
        seen.add(line.code)
        if line.charge is None:
            ctx.add(
                "charge-missing",
                f"{line.code} has no charge in the clinic's charge master on "
                f"{ctx.claim.date_of_service:%Y-%m-%d}: the claim would go out without the "
                "amount billed.",
                f"Add the clinic's charge for {line.code} (from a date on or before the date of "
                "service) on the Charges page, then rescrub.",
                line.code,
            )
        elif line.allowed is not None and line.charge < line.allowed:
            ctx.add(
                "charge-below-allowed",
                f"{line.code} is billed at ${line.charge:,.2f}, below the ${line.allowed:,.2f} "
                "the payer is expected to allow: payers pay the lower of the charge and their "
                "fee, so the difference is lost.",
                f"Raise the clinic's charge for {line.code} to at least its highest payer's "
                "allowed amount.",
                line.code,
            )
