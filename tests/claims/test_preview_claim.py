"""`manage.py preview_claim`: one JSON document in, one JSON object out, through the same
pipeline as the live panel and saving (docs/billing-rules.md §1-§10)."""

import datetime as dt
import json
import subprocess
import sys
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from claims.models import PlanOfCare
from claims.services import ServiceRow, SessionInput, claim_create_from_session, session_draft
from coding.models import Payer
from tests.conftest import make_patient, membership

pytestmark = pytest.mark.usefixtures("reference")

TODAY = timezone.localdate()
NECESSITY = (
    "Skilled therapist progression of knee exercise with cues is needed to restore safe stair "
    "climbing after the knee replacement."
)
EXAMPLE = {
    "date_of_service": "2026-11-30",
    "payer": "Medicare Part B",
    "clinician": "PT",
    "services": [{"code": "97110", "minutes": 30, "pta_minutes": 4}, {"code": "97161"}],
    "diagnoses": ["M25.561"],
    "medical_necessity": NECESSITY,
    "plan_of_care": {
        "start": "2026-11-01",
        "certified_on": "2026-11-03",
        "through": "2027-01-20",
        "status": "active",
    },
    "treatment_days_since_progress_report": 3,
    "ytd_allowed_before": "1234.56",
    "today": "2026-12-01",
}


def preview(document: Any, tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "claim.json"
    path.write_text(json.dumps(document))
    out = StringIO()
    call_command("preview_claim", str(path), stdout=out)
    text = out.getvalue()
    assert text.count("\n") <= 1  # one JSON object
    return json.loads(text)


def test_the_readme_example_gives_lines_amounts_and_findings(tmp_path: Path) -> None:
    data = preview(EXAMPLE, tmp_path)
    assert [(line["code"], line["units"], line["modifiers"]) for line in data["lines"]] == [
        ("97110", 2, ["GP"]),
        ("97161", 1, ["GP"]),
    ]
    assert data["total_timed_minutes"] == 30 and data["total_timed_units"] == 2
    assert all(line["amount"] for line in data["lines"])
    assert data["findings"] == []
    assert data["explanation"][0].startswith("Total timed minutes 30")


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"medical_necessity": ""}, "necessity-missing"),
        ({"plan_of_care": None}, "poc-missing"),
        ({"treatment_days_since_progress_report": 9}, "progress-report-due"),
        (
            {
                "ytd_allowed_before": "2450.00",
                "overrides": [
                    {"code": "97110", "modifiers": ["GP"], "reason": "no KX, said the biller"},
                    {"code": "97161", "modifiers": ["GP"], "reason": "no KX, said the biller"},
                ],
            },
            "kx-missing",
        ),
        ({"today": "2027-12-15"}, "timely-filing-passed"),
        ({"overrides": [{"code": "97110", "units": 3, "reason": "long"}]}, "units-unsupported"),
    ],
)
def test_each_fact_of_the_document_changes_the_findings(
    tmp_path: Path, change: dict[str, Any], rule: str
) -> None:
    assert rule not in {f["rule"] for f in preview(EXAMPLE, tmp_path)["findings"]}
    data = preview({**EXAMPLE, **change}, tmp_path)
    assert rule in {f["rule"] for f in data["findings"]}


def test_kx_goes_on_every_line_once_the_year_passes_the_threshold(tmp_path: Path) -> None:
    below = preview({**EXAMPLE, "ytd_allowed_before": "2300.00"}, tmp_path)
    assert all("KX" not in line["modifiers"] for line in below["lines"])
    above = preview({**EXAMPLE, "ytd_allowed_before": "2450.00"}, tmp_path)
    assert [line["modifiers"] for line in above["lines"]] == [["GP", "KX"], ["GP", "KX"]]


def test_same_day_services_are_pooled_with_this_sessions(tmp_path: Path) -> None:
    alone = {**EXAMPLE, "services": [{"code": "97110", "minutes": 10}]}
    assert preview(alone, tmp_path)["lines"] == [
        {"code": "97110", "units": 1, "modifiers": ["GP"], "amount": "29.06"}
    ]
    pooled = preview({**alone, "same_day": [{"code": "97110", "minutes": 10}]}, tmp_path)
    assert pooled["total_timed_minutes"] == 20 and pooled["lines"][0]["units"] == 1


def test_a_tie_choice_and_an_override_are_applied(tmp_path: Path) -> None:
    tie = {
        **EXAMPLE,
        "services": [{"code": "97112", "minutes": 20}, {"code": "97110", "minutes": 20}],
    }
    data = preview(tie, tmp_path)
    assert data["ties"] and data["ties"][0]["chosen"] == ["97112"]
    data = preview({**tie, "tie_choice": ["97110"]}, tmp_path)
    assert [(line["code"], line["units"]) for line in data["lines"]] == [("97112", 1), ("97110", 2)]


@pytest.mark.parametrize(
    ("document", "message"),
    [
        ("[]", "must be a JSON object"),
        ("{", "not JSON"),
        (json.dumps({**EXAMPLE, "payer": "Acme"}), "unknown payer"),
        (json.dumps({**EXAMPLE, "services": [{"code": "99999", "minutes": 5}]}), "unknown code"),
        (json.dumps({**EXAMPLE, "services": [{"code": "97110"}]}), "timed: give its minutes"),
        (json.dumps({**EXAMPLE, "services": [{"code": "97110", "minutes": -3}]}), "whole number"),
        (json.dumps({**EXAMPLE, "date_of_service": "30/11/2026"}), "YYYY-MM-DD"),
        (json.dumps({**EXAMPLE, "clinician": "PTA"}), "PTA may not bill evaluations"),
        (json.dumps({**EXAMPLE, "colour": "red"}), "unknown field"),
        (json.dumps({**EXAMPLE, "overrides": [{"code": "97110", "units": 1}]}), "needs a reason"),
        (json.dumps({**EXAMPLE, "ytd_allowed_before": "lots"}), "must be an amount"),
    ],
)
def test_bad_input_is_one_line_on_stderr_exit_1_and_nothing_on_stdout(
    document: str, message: str
) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", "preview_claim", "-"],
        input=document,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=120,
        env={**_env()},
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    assert message in result.stderr and result.stderr.strip().count("\n") == 0


def _env() -> dict[str, str]:
    """The test database of this run for the subprocess, so that it finds the payers."""
    import os

    from django.db import connection

    settings = connection.settings_dict
    env = dict(os.environ)
    env["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    if connection.vendor == "sqlite":
        env["DATABASE_URL"] = f"sqlite:///{settings['NAME']}"
    else:
        user = settings["USER"] or "postgres"
        env["DATABASE_URL"] = (
            f"postgres://{user}@{settings['HOST'] or '127.0.0.1'}:{settings['PORT'] or 5432}/"
            f"{settings['NAME']}"
        )
    return env


def test_the_panel_saving_and_the_command_agree(tmp_path: Path, clinic: Any, pt: Any) -> None:
    patient = make_patient(clinic, "Medicare Part B")
    start = TODAY - dt.timedelta(days=10)
    PlanOfCare.objects.create(
        patient=patient,
        diagnoses=["M25.561"],
        start_date=start,
        cert_through=start + dt.timedelta(days=80),
        certified_on=start,
        certified_by_name="Dr. Rivera",
        certified_by_npi="1588667638",
        frequency="2x/week",
        goals="Stairs without a rail.",
    )
    day = TODAY - dt.timedelta(days=1)
    rows = (
        ServiceRow("97112", 20),
        ServiceRow("97110", 20),
        ServiceRow("97161", 0),
        ServiceRow("97750", 10),
    )
    data = SessionInput(
        patient=patient,
        therapist=membership(pt, clinic),
        payer=patient.primary_payer,
        date_of_service=day,
        rows=rows,
        diagnoses=("S83.511A",),
        medical_necessity=NECESSITY,
        tie_choice=("97110",),
    )
    panel = session_draft(
        patient_id=patient.pk,
        payer=Payer.objects.get(name="Medicare Part B"),
        date_of_service=day,
        credential="PT",
        rows=rows,
        diagnoses=data.diagnoses,
        note=data.note,
        tie_choice=data.tie_choice,
    ).draft
    claim = claim_create_from_session(clinic=clinic, user=pt, data=data)
    command = preview(
        {
            "date_of_service": day.isoformat(),
            "payer": "Medicare Part B",
            "services": [{"code": r.code, "minutes": r.minutes} for r in rows],
            "diagnoses": ["S83.511A"],
            "medical_necessity": NECESSITY,
            "plan_of_care": {
                "start": start.isoformat(),
                "certified_on": start.isoformat(),
                "through": (start + dt.timedelta(days=80)).isoformat(),
            },
            "tie_choice": ["97110"],
            "today": TODAY.isoformat(),
        },
        tmp_path,
    )
    shown = [
        (line.code, line.units, list(line.modifiers), _text(line.amount)) for line in panel.lines
    ]
    saved = [
        (line.billing_code_id, line.units, line.modifiers, _text(line.expected_amount))
        for line in claim.lines.all()
    ]
    previewed = [(x["code"], x["units"], x["modifiers"], x["amount"]) for x in command["lines"]]
    assert shown == saved == previewed
    rules_shown = panel.rule_ids
    assert rules_shown == sorted(claim.flags.values_list("rule_id", flat=True))
    assert rules_shown == sorted(f["rule"] for f in command["findings"])
    assert "dx-initial-encounter" in rules_shown and "line-kept-off" in rules_shown


def _text(amount: Any) -> str | None:
    return None if amount is None else str(amount)
