"""The session-entry form: the visit's fields, its service rows and diagnoses, and the
therapist's changes to suggested lines. Validation only; the services do the writing."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, cast

from django import forms
from django.db.models import QuerySet
from django.http import QueryDict
from django.utils import timezone
from django.utils.choices import BaseChoiceIterator

from claims.facts import ReferenceFacts
from claims.models import MAX_DIAGNOSES, MAX_MINUTES, Patient
from claims.pipeline import DraftLine, Override
from claims.services import (
    ServiceRow,
    SessionDraft,
    SessionInput,
    session_draft,
    session_refusals,
)
from coding.models import BillingCode, Payer
from coding.services import diagnoses_check
from ptclinic.models import Clinic, Credential, Membership
from ptclinic.widgets import FastSelect

MAX_ROWS = 20
MAX_NOTE_CHARS = 20_000
KNOWN_MODIFIERS = frozenset(
    {"GP", "GO", "GN", "CQ", "CO", "KX", "59", "XE", "XS", "XP", "XU", "GA", "GZ", "25"}
)


class PatientChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]  # not subscriptable at run time
    widget = FastSelect  # a clinic's every active patient: a thousand options

    def label_from_instance(self, obj: Patient) -> str:
        return f"{obj.last_name}, {obj.first_name} — MRN {obj.mrn} — {obj.primary_payer.name}"


class PatientOptions(BaseChoiceIterator):
    """The patient <select>'s options (the same values and labels as PatientChoiceField's) read
    as plain rows when the page is drawn: a clinic's thousand patients as model instances cost
    more than the rest of the page. The field's queryset still validates the choice. Lazy (a
    BaseChoiceIterator): a request that draws no <select>, as the suggestion, reads none."""

    def __init__(self, field: PatientChoiceField) -> None:
        self.field = field

    def __iter__(self) -> Any:
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        queryset = cast("QuerySet[Patient]", self.field.queryset)  # SessionForm sets it
        rows = queryset.values_list("pk", "last_name", "first_name", "mrn", "primary_payer__name")
        for pk, last, first, mrn, payer in rows:
            yield (pk, f"{last}, {first} — MRN {mrn} — {payer}")


def _note(label: str, help_text: str = "") -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=MAX_NOTE_CHARS,
        error_messages={
            "max_length": f"Keep this note to at most {MAX_NOTE_CHARS:,} characters "
            "(it has %(show_value)s)."
        },
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class SessionForm(forms.Form):
    patient = PatientChoiceField(queryset=Patient.objects.none())
    date_of_service = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    payer = forms.ModelChoiceField(
        queryset=Payer.objects.all(),
        widget=FastSelect,
        required=False,
        empty_label="The patient's primary payer",
        help_text="Decides the unit method (CMS or AMA), caps and fees.",
    )
    subjective = _note("Subjective")
    objective = _note("Objective")
    assessment = _note("Assessment")
    plan = _note("Plan")
    medical_necessity = _note(
        "Medical necessity",
        "Why this visit needed a therapist's skill: the condition, the skilled intervention, "
        "and how it serves the plan's goals.",
    )
    is_progress_report = forms.BooleanField(
        required=False, label="This visit includes a progress report (PT only)"
    )
    tie_choice = forms.CharField(required=False, widget=forms.HiddenInput)
    submission_token = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)

    def __init__(self, *args: Any, clinic: Clinic, therapist: Membership, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.therapist = therapist  # the treating clinician is the one signed in (§10.3)
        payer = cast("forms.ModelChoiceField[Payer]", self.fields["payer"])
        payer.queryset = Payer.objects.for_clinic(clinic)
        patient = cast(PatientChoiceField, self.fields["patient"])  # as declared above
        patient.queryset = (
            Patient.objects.for_clinic(clinic).filter(active=True).select_related("primary_payer")
        )
        patient.widget.choices = PatientOptions(patient)

    def clean_date_of_service(self) -> dt.date:
        day: dt.date = self.cleaned_data["date_of_service"]
        if day > timezone.localdate():
            raise forms.ValidationError("The date of service cannot be in the future.")
        if day.year < 2000:
            raise forms.ValidationError("Enter a date of service from 2000 on.")
        return day

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("is_progress_report") and self.therapist.credential == Credential.PTA:
            self.add_error(
                "is_progress_report", "A progress report must be written by the PT, not the PTA."
            )
        return data

    @property
    def chosen_payer(self) -> Payer | None:
        data = getattr(self, "cleaned_data", {})
        payer: Payer | None = data.get("payer")
        if payer:
            return payer
        patient = data.get("patient")
        return patient.primary_payer if patient else None

    @property
    def tie(self) -> tuple[str, ...] | None:
        # A "give the unit to …" button (tie_pick) wins over the choice already on the page.
        raw = self.data.get("tie_pick") or getattr(self, "cleaned_data", {}).get("tie_choice", "")
        codes = tuple(c for c in raw.split(",") if c)
        return codes or None


@dataclass
class RowValue:
    """A service row as typed, with its errors (shown on the row)."""

    code: str = ""
    minutes: str = ""
    pta_minutes: str = ""
    pointers: str = ""
    errors: list[str] = field(default_factory=list)


@dataclass
class ParsedRows:
    rows: list[RowValue]
    services: list[ServiceRow]
    pointers: dict[str, tuple[int, ...]]
    errors: list[str]
    codes: dict[str, Any] = field(default_factory=dict)  # the known codes' facts (timed, …)

    @property
    def ok(self) -> bool:
        return not self.errors and not any(r.errors for r in self.rows)


def _typed(values: list[str]) -> list[str]:
    """Inputs read straight from the POST (the form fields reject NUL themselves): a NUL byte is
    never typed, and PostgreSQL refuses it in a query or a row (a 500), so it goes."""
    return [v.replace("\x00", "") for v in values]


def _whole_minutes(raw: str, label: str, errors: list[str]) -> int:
    if raw == "":
        return 0
    if not re.fullmatch(r"\d+", raw):
        errors.append(f"{label} must be a whole number of minutes (got “{raw}”).")
        return 0
    value = int(raw)
    if value > MAX_MINUTES:
        errors.append(f"{label}: {value} is more than a day ({MAX_MINUTES} minutes).")
    return value


def parse_rows(
    data: QueryDict, *, diagnoses_count: int, ref: ReferenceFacts | None = None
) -> ParsedRows:
    """Read the repeated `code`/`minutes`/`pta_minutes`/`pointers` inputs; blank rows are
    ignored. Each problem is reported on its row; the rows without problems still make the
    panel's claim. Words instead of a code ("therapeutic activities") are looked up in the code
    table: one match is taken, several are offered on the row."""
    codes = _typed(data.getlist("code"))
    minutes = _typed(data.getlist("minutes"))
    pta = _typed(data.getlist("pta_minutes"))
    pointers = _typed(data.getlist("pointers"))
    count = max(len(codes), len(minutes))
    if count > MAX_ROWS:
        return ParsedRows([], [], {}, [f"At most {MAX_ROWS} service rows (got {count})."])
    raw_rows = []
    for i in range(count):
        typed = (codes[i] if i < len(codes) else "").strip()[:80]
        first = typed.split(" ", 1)[0].upper()  # "97110 — Therapeutic exercise" from the picker
        row = RowValue(
            code=first if _looks_like_code(first) else typed,
            minutes=(minutes[i] if i < len(minutes) else "").strip()[:10],
            pta_minutes=(pta[i] if i < len(pta) else "").strip()[:10],
            pointers=(pointers[i] if i < len(pointers) else "").strip()[:20],
        )
        raw_rows.append(row)
    tables = (ref or ReferenceFacts.current()).codes  # this process's copy of the code table
    known: dict[str, Any] = {r.code: tables[r.code] for r in raw_rows if r.code in tables}
    services: list[ServiceRow] = []
    kept: list[RowValue] = []
    seen: set[str] = set()
    for row in raw_rows:
        if not row.code and not row.minutes and not row.pta_minutes:
            continue
        kept.append(row)
        code = known.get(row.code)
        if row.code and code is None and not _looks_like_code(row.code):
            code = _resolve_words(row, known)
        if not row.code:
            row.errors.append("Choose a code for these minutes.")
        elif code is None and not row.errors:
            row.errors.append(f"“{row.code}” is not a code in the code table.")
        elif code is not None and row.code in seen:
            row.errors.append(f"{row.code} is listed twice: put all its minutes on one row.")
        if code is not None:
            seen.add(row.code)
        mins = _whole_minutes(row.minutes, "Minutes", row.errors)
        pta_mins = _whole_minutes(row.pta_minutes, "PTA minutes", row.errors)
        if code is not None and code.timed and row.minutes == "":
            row.errors.append(f"{row.code} is timed: enter its minutes.")
        if pta_mins > mins:
            row.errors.append(
                f"PTA minutes ({pta_mins}) cannot be more than the row's minutes ({mins})."
            )
        refs = _pointers(row, diagnoses_count)
        if not row.errors and code is not None:
            services.append(
                ServiceRow(code=row.code, minutes=mins, pta_minutes=pta_mins, dx_pointers=refs)
            )
    errors = [] if kept else ["Add at least one service with its minutes."]
    timed = sum(s.minutes for s in services if known[s.code].timed)
    if timed > MAX_MINUTES:
        errors.append(
            f"The timed minutes add up to {timed}, more than the {MAX_MINUTES} minutes of a "
            "day: timed services are one-on-one and cannot overlap. Correct the minutes."
        )
        services = []
    return ParsedRows(kept, services, {s.code: s.dx_pointers for s in services}, errors, known)


def _looks_like_code(text: str) -> bool:
    return bool(re.fullmatch(r"[0-9A-Z]\d{3}[0-9A-Z]", text))


def _resolve_words(row: RowValue, known: dict[str, Any]) -> BillingCode | None:
    """Words typed in a code box: one code matches → it is taken; several → the row lists
    them; none → the row says so."""
    words = row.code
    found = list(BillingCode.objects.search(words).order_by("code")[:6])
    if len(found) == 1:
        row.code = found[0].code
        known[row.code] = found[0]
        return found[0]
    if found:
        options = "; ".join(f"{c.code} ({c.short_name})" for c in found[:5])
        row.errors.append(f"“{words}” matches several codes: {options}. Pick one.")
    else:
        row.errors.append(f"“{words}” matches no code: type the code or other words.")
    return None


def _pointers(row: RowValue, diagnoses_count: int) -> tuple[int, ...]:
    if not row.pointers:
        return ()
    parts = [p for p in re.split(r"[,\s]+", row.pointers) if p]
    if not all(p.isascii() and p.isdigit() for p in parts):  # "²".isdigit(), but int("²") fails
        row.errors.append("Diagnosis pointers are numbers, e.g. 1,2.")
        return ()
    refs = tuple(int(p) for p in parts)
    if len(refs) > 4:
        row.errors.append("A line points to at most 4 diagnoses.")
    elif any(r < 1 or r > diagnoses_count for r in refs):
        row.errors.append(f"Pointers must be between 1 and {diagnoses_count or 1}.")
    return refs


@dataclass
class ParsedDiagnoses:
    codes: list[str]
    values: list[str]
    errors: list[str]


def parse_diagnoses(
    data: QueryDict, *, day: dt.date | None = None, ref: ReferenceFacts | None = None
) -> ParsedDiagnoses:
    """Up to 12 ICD-10-CM codes billable on the date of service ``day`` (default today), in
    order (billing-rules §7, §10.6), judged against the sets loaded in ``ref``."""
    values = [v.strip().upper().split(" ", 1)[0][:10] for v in _typed(data.getlist("dx"))]
    values = [v for v in values if v]
    errors: list[str] = []
    if len(values) > MAX_DIAGNOSES:
        errors.append(f"At most {MAX_DIAGNOSES} diagnoses on a claim (got {len(values)}).")
        return ParsedDiagnoses([], values, errors)
    canonical, problems = diagnoses_check(
        values, day=day, releases=ref.icd_releases if ref is not None else None
    )
    codes: list[str] = []
    for position, code in enumerate(canonical):
        if position in problems:
            errors.append(problems[position])
        elif code in codes:
            errors.append(f"{code} is listed twice.")
        else:
            codes.append(code)
    if not values:
        errors.append("Add at least one diagnosis (ICD-10-CM).")
    return ParsedDiagnoses(codes, values, errors)


@dataclass
class ParsedOverrides:
    overrides: dict[str, Override]
    errors: dict[str, str]


_KEY = re.compile(r"^[0-9A-Z]{5}(?:-CQ)?$")


def parse_overrides(data: QueryDict) -> ParsedOverrides:
    """The clinician's own units/modifiers for suggested lines (`units__<key>`,
    `mods__<key>`, `reason__<key>`), checked for form; the pipeline applies them, and a change
    without a reason is refused at save (docs/billing-rules.md §10.11)."""
    overrides: dict[str, Override] = {}
    errors: dict[str, str] = {}
    keys = {
        name.split("__", 1)[1]
        for name in data
        if name.startswith(("units__", "mods__")) and _KEY.match(name.split("__", 1)[1])
    }
    for key in sorted(keys)[:40]:
        raw_units = data.get(f"units__{key}", "").strip()
        raw_mods = _typed([data.get(f"mods__{key}", "")])[0].strip()
        reason = _typed([data.get(f"reason__{key}", "")])[0].strip()[:500]
        if raw_units == "" and raw_mods == "":
            continue
        units = None
        if raw_units:
            if not (raw_units.isascii() and raw_units.isdigit()) or int(raw_units) > 99:
                errors[key] = "Units must be a whole number from 0 to 99."
                continue
            units = int(raw_units)
        mods = None
        if raw_mods:
            mods = tuple(m for m in re.split(r"[,\s]+", raw_mods.upper()) if m)
            unknown = [m for m in mods if m not in KNOWN_MODIFIERS]
            if unknown:
                errors[key] = f"Unknown modifier {', '.join(unknown)[:40]}."
                continue
            if len(mods) > 4:
                errors[key] = "A line carries at most 4 modifiers."
                continue
        overrides[key] = Override(key=key, units=units, modifiers=mods, reason=reason)
    return ParsedOverrides(overrides, errors)


def session_input(
    form: SessionForm, rows: ParsedRows, dx: ParsedDiagnoses, overrides: ParsedOverrides
) -> SessionInput:
    data = form.cleaned_data
    payer = form.chosen_payer
    assert payer is not None
    return SessionInput(
        patient=data["patient"],
        therapist=form.therapist,
        payer=payer,
        date_of_service=data["date_of_service"],
        rows=tuple(rows.services),
        diagnoses=tuple(dx.codes),
        subjective=data["subjective"],
        objective=data["objective"],
        assessment=data["assessment"],
        plan=data["plan"],
        medical_necessity=data["medical_necessity"],
        is_progress_report=data["is_progress_report"],
        tie_choice=form.tie,
        overrides=overrides.overrides,
        submission_token=data.get("submission_token", ""),
    )


class SessionEntry:
    """The whole session page bound to a POST: the form, the rows, the diagnoses, and — as soon
    as there is enough to go on — the claim the pipeline drafts from them, with the clinician's
    tie pick and changes applied. The panel shows that draft; saving stores it.

    The draft appears while the clinician types, before the rest of the form is complete: a
    payer (or a patient) and one service row without problems are all it needs. Rows with
    problems are left out of it, with the problem on the row.
    """

    def __init__(
        self,
        data: QueryDict | None,
        *,
        clinic: Clinic,
        therapist: Membership,
        initial: dict[str, Any] | None = None,
        claim_id: int | None = None,
        session_id: int | None = None,
    ) -> None:
        self.bound = data is not None
        self.data = data
        self.therapist = therapist
        self.form = SessionForm(data, clinic=clinic, therapist=therapist, initial=initial or {})
        self.result: SessionDraft | None = None
        self.overrides = ParsedOverrides({}, {})
        self.engine_error = ""
        if data is None:
            self.dx = ParsedDiagnoses([], list((initial or {}).get("dx", [])), [])
            self.rows = ParsedRows(
                [RowValue(**r) for r in (initial or {}).get("rows", [])] or [RowValue()],
                [],
                {},
                [],
            )
            return
        self.form_ok = self.form.is_valid()
        ref = ReferenceFacts.current()
        self.dx = parse_diagnoses(
            data,
            day=self.form.cleaned_data.get("date_of_service") or timezone.localdate(),
            ref=ref,
        )
        self.rows = parse_rows(data, diagnoses_count=len(self.dx.codes), ref=ref)
        self.overrides = parse_overrides(data)
        payer = self.form.chosen_payer
        cleaned = self.form.cleaned_data
        if payer is not None and self.rows.services:
            patient = cleaned.get("patient")
            try:
                self.result = session_draft(
                    patient_id=patient.pk if patient else None,
                    payer=payer,
                    date_of_service=cleaned.get("date_of_service") or timezone.localdate(),
                    credential=therapist.credential,
                    rows=self.rows.services,
                    diagnoses=self.dx.codes,
                    note=_note_of(cleaned),
                    tie_choice=self.form.tie,
                    overrides=self.overrides.overrides,
                    claim_id=claim_id,
                    session_id=session_id,
                    ref=ref,
                    clinic_id=therapist.clinic_id,
                    therapist_id=therapist.pk,
                )
            except ValueError as error:
                self.engine_error = f"The minutes cannot be right: {error}."

    @property
    def draft(self) -> Any:
        return self.result.draft if self.result else None

    @property
    def missing_reasons(self) -> dict[str, str]:
        """Changed lines whose reason is missing: saving needs one (§10.11)."""
        if self.draft is None:
            return {}
        return {
            line.key: "You changed the suggestion: say why."
            for line in (*self.draft.lines, *self.draft.off_claim)
            if line.changed and not line.change_reason.strip()
        }

    @property
    def panel_lines(self) -> list[dict[str, Any]]:
        """Each drafted line (off-claim ones too) with what the clinician typed over it."""
        if self.draft is None or self.data is None:
            return []
        errors = {**self.missing_reasons, **self.overrides.errors}
        return [
            _panel_line(line, self.data, errors.get(line.key, ""), off=line in self.draft.off_claim)
            for line in (*self.draft.lines, *self.draft.off_claim)
        ]

    @property
    def blocked(self) -> bool:
        return self.draft is not None and self.draft.blocked

    @property
    def save_refusals(self) -> list[str]:
        """What saving refuses whatever the findings, said in the panel before the clinician
        tries (the service's own check)."""
        return session_refusals(
            credential=self.therapist.credential,
            codes=[s.code for s in self.rows.services],
            is_progress_report=False,  # the form's own field error says it
        )

    def is_valid(self) -> bool:
        return (
            self.bound
            and self.form_ok
            and self.rows.ok
            and not self.dx.errors
            and self.draft is not None
            and not self.engine_error
            and not self.overrides.errors
            and not self.missing_reasons
            and not self.blocked
        )

    def to_input(self) -> SessionInput:
        return session_input(self.form, self.rows, self.dx, self.overrides)


def _panel_line(line: DraftLine, data: QueryDict, error: str, *, off: bool) -> dict[str, Any]:
    return {
        "line": line,
        "units": data.get(f"units__{line.key}", ""),
        "mods": data.get(f"mods__{line.key}", ""),
        "reason": data.get(f"reason__{line.key}", ""),
        "error": error,
        "changed": line.changed,
        "off_claim": off,
    }


def _note_of(cleaned: dict[str, Any]) -> Any:
    from claims.scrubber import VisitNote

    return VisitNote(
        medical_necessity=cleaned.get("medical_necessity", ""),
        subjective=cleaned.get("subjective", ""),
        objective=cleaned.get("objective", ""),
        assessment=cleaned.get("assessment", ""),
        plan=cleaned.get("plan", ""),
        includes_progress_report=bool(cleaned.get("is_progress_report")),
    )


def session_as_data(session: Any) -> QueryDict:
    """A stored session as the POST that would recreate it: its rows with their diagnosis
    pointers, and the clinician's changes to the claim's suggested lines."""
    data = QueryDict(mutable=True)
    data["patient"] = str(session.patient_id)
    data["date_of_service"] = session.date_of_service.isoformat()
    data["payer"] = str(session.payer_id)
    for name in ("subjective", "objective", "assessment", "plan", "medical_necessity"):
        data[name] = getattr(session, name)
    if session.is_progress_report:
        data["is_progress_report"] = "on"
    for service in session.services.all():
        data.appendlist("code", service.billing_code_id)
        data.appendlist("minutes", str(service.minutes))
        data.appendlist("pta_minutes", str(service.pta_minutes or ""))
        data.appendlist("pointers", ",".join(str(p) for p in service.dx_pointers or []))
    data.setlist("dx", list(session.diagnoses))
    for line in session.claim.lines.all():
        if line.changed_from_suggestion:
            key = (
                f"{line.billing_code_id}-CQ"
                if "CQ" in line.suggested_modifiers
                else (line.billing_code_id)
            )
            data[f"units__{key}"] = str(line.units)
            data[f"mods__{key}"] = " ".join(line.modifiers)
            data[f"reason__{key}"] = line.change_reason
    return data
