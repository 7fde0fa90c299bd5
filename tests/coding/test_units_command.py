"""`manage.py units`: the engine from the command line, as JSON or a readable table."""

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

pytestmark = pytest.mark.usefixtures("reference")


def run(*args: str) -> str:
    out = StringIO()
    call_command("units", *args, stdout=out)
    return out.getvalue()


def test_json_is_one_object_with_the_lines_in_the_order_given() -> None:
    data = json.loads(run("--json", "97110:23", "97112:24"))
    assert data["method"] == "cms"
    assert data["total_timed_minutes"] == 47
    assert data["total_timed_units"] == 3
    assert [
        (line["code"], line["minutes"], line["units"], line["timed"]) for line in data["lines"]
    ] == [
        ("97110", 23, 1, True),
        ("97112", 24, 2, True),
    ]
    assert data["ties"] == [] and isinstance(data["warnings"], list)


def test_the_ama_method_counts_each_code_on_its_own() -> None:
    data = json.loads(run("--json", "--method", "ama", "97112:24", "97110:23"))
    assert [line["units"] for line in data["lines"]] == [2, 2]


def test_a_payer_brings_its_method_and_daily_cap() -> None:
    data = json.loads(
        run("--json", "--payer", "Demo Commercial HMO", "97110:45", "97140:40", "97530:40")
    )
    assert data["method"] == "ama"
    assert data["total_timed_units"] == 8  # 9 supported, capped at 8 a day
    assert any(w["kind"] == "capped-by-daily-cap" for w in data["warnings"])


def test_an_untimed_code_needs_no_minutes_and_ties_are_listed() -> None:
    data = json.loads(run("--json", "97161", "97112:20", "97110:20"))
    assert data["lines"][0] == {
        "code": "97161",
        "minutes": 0,
        "units": 1,
        "timed": False,
        "pta_minutes": 0,
        "cq_units": 0,
    }
    assert data["ties"][0]["codes"] == ["97112", "97110"] or sorted(data["ties"][0]["codes"]) == [
        "97110",
        "97112",
    ]
    assert data["total_timed_units"] == 3


def test_without_json_it_prints_a_table_and_the_explanation() -> None:
    text = run("97112:24", "97110:23")
    assert "97112  yes          24      2" in text
    assert "38–52 minutes = 3 units" in text


@pytest.mark.parametrize(
    ("arg", "message"),
    [
        ("97110:-5", "whole number"),
        ("97110:1.5", "whole number"),
        ("97110:abc", "whole number"),
        ("97110:1441", "more than a day"),
        ("99999:10", "Unknown code 99999"),
        ("97110", "97110 is timed"),
        ("nonsense", "is not CODE or CODE:MINUTES"),
    ],
)
def test_bad_input_is_one_line_on_stderr_and_nothing_on_stdout(arg: str, message: str) -> None:
    out = StringIO()
    with pytest.raises(CommandError, match=message) as error:
        call_command("units", "--json", arg, stdout=out)
    assert out.getvalue() == ""
    assert "\n" not in str(error.value)


def test_an_unknown_payer_is_refused() -> None:
    with pytest.raises(CommandError, match="Unknown payer"):
        run("--payer", "Nobody Insurance", "97110:30")


def test_unit_limits_apply_as_in_the_panel_with_or_without_a_payer() -> None:
    """The command goes through the panel's pipeline: 100 minutes of 97110 support 7 units,
    and its daily limit (MUE 6) cuts them, as the panel does."""
    from django.utils import timezone

    from claims.services import ServiceRow, session_draft
    from coding.models import Payer

    for args in ((), ("--payer", "Medicare Part B")):
        data = json.loads(run("--json", *args, "97110:100", "97112:24"))
        assert [(line["code"], line["units"]) for line in data["lines"]] == [
            ("97110", 6),
            ("97112", 1),
        ]
        assert "capped-by-unit-limit" in {w["kind"] for w in data["warnings"]}
    panel = session_draft(
        patient_id=None,
        payer=Payer.objects.get(name="Medicare Part B"),
        date_of_service=timezone.localdate(),
        credential="PT",
        rows=(ServiceRow("97110", 100), ServiceRow("97112", 24)),
    ).draft
    assert [(line.code, line.units) for line in panel.units.lines] == [("97110", 6), ("97112", 1)]
