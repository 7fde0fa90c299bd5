"""`manage.py import_ptp` and `import_cms` refuse a bad file or option in one line on stderr with a
non-zero exit, no traceback, and nothing written (coding/management/commands/import_cms.py)."""

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import connections

from coding.management.commands import import_ptp
from tests.coding.test_imports import snapshot

DATA = Path(__file__).resolve().parent / "data"
PTP = (DATA / "ptp_sample.txt").read_bytes()


def refusal(*args: str) -> str:
    """The message of the CommandError that refuses the command."""
    with pytest.raises(CommandError) as refused:
        call_command(*args)
    return str(refused.value)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            PTP.replace(b"Mutually", b"Mutu\x00ally"),
            "Nothing loaded: Line 7 of the file holds a NUL byte, so it is not a text file",
        ),
        (
            (DATA / "mue_2027_q1_sample.csv").read_bytes(),
            "Nothing loaded; fix the file first: This is not a PTP edit file: no header row "
            "starts with Column 1.",
        ),
        (
            (DATA / "ptp_malformed.txt").read_bytes(),
            "Nothing loaded; fix the file first: line 4: date '2026-07-01' is not YYYYMMDD; "
            "line 5: modifier indicator '5' is not 0, 1 or 9",
        ),
        (
            PTP + b'97110,"' + b"x" * 200_000,
            "Nothing loaded: The file has a cell of more than 131,072 characters",
        ),
    ],
    ids=["a NUL byte", "the wrong columns", "bad dates", "a quotation mark left open"],
)
def test_a_bad_ptp_file_is_refused_in_one_line_and_nothing_is_written(
    reference: None, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "ccipra.txt"
    path.write_bytes(content)
    before = snapshot()

    refused = refusal("import_ptp", str(path))

    assert refused.startswith(message), refused
    assert "\n" not in refused
    assert snapshot() == before


def test_a_folder_is_named_as_one(reference: None, tmp_path: Path) -> None:
    assert refusal("import_ptp", str(tmp_path)) == f"{tmp_path} is a folder; give the file in it"


def test_an_unreadable_file_is_named(
    reference: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "ccipra.txt"
    path.write_bytes(PTP)

    def denied(self: Path) -> bytes:  # root reads any file: the refusal as another user gets it
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "read_bytes", denied)

    assert refusal("import_ptp", str(path)) == f"{path} cannot be read: Permission denied"


def test_import_cms_refuses_a_cell_left_open_without_a_traceback(
    reference: None, tmp_path: Path
) -> None:
    path = tmp_path / "mue.csv"
    path.write_bytes((DATA / "mue_2027_q1_sample.csv").read_bytes() + b'97110,"' + b"x" * 200_000)
    before = snapshot()

    refused = refusal(
        "import_cms", "mue", str(path), "--release", "MUE 2027 Q1", "--effective", "2027-01-01"
    )

    assert refused.startswith("Nothing loaded: The file has a cell of more than")
    assert snapshot() == before


# ---- from the command line, as an operator runs it -----------------------------------------


@pytest.fixture
def keep_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    # A command run from the command line closes the connections at its end; the test's
    # transaction needs its own.
    monkeypatch.setattr(connections, "close_all", lambda: None)


def run_from_command_line(*args: str) -> int:
    with pytest.raises(SystemExit) as exit_:
        import_ptp.Command().run_from_argv(["manage.py", "import_ptp", *args])
    code = exit_.value.code
    return code if isinstance(code, int) else 1


def test_a_bad_file_is_one_line_on_stderr_and_a_failing_exit(
    reference: None, tmp_path: Path, keep_connection: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "ccipra.txt"
    path.write_bytes(PTP.replace(b"Mutually", b"Mutu\x00ally"))

    assert run_from_command_line(str(path)) == 1

    err = capsys.readouterr().err
    assert err.splitlines() == [
        "CommandError: Nothing loaded: Line 7 of the file holds a NUL byte, so it is not a text "
        "file (a zip or a spreadsheet?). CMS publishes its files in zips: unzip it and load the "
        ".csv or .txt file inside."
    ]


def test_a_date_that_is_not_one_is_an_option_error_not_a_traceback(
    reference: None, tmp_path: Path, keep_connection: None, capsys: Any
) -> None:
    path = tmp_path / "ccipra.txt"
    path.write_bytes(PTP)

    assert run_from_command_line(str(path), "--effective", "1 July") == 2

    err = capsys.readouterr().err
    assert err.splitlines()[-1] == (
        "manage.py import_ptp: error: argument --effective: '1 July' is not a date like 2026-07-01"
    )
    assert "Traceback" not in err
