import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from ptclinic.validators import npi_is_valid

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_no_model_change_is_missing_a_migration() -> None:
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out)
    except SystemExit as exit_:  # --check exits 1 when a migration is missing
        pytest.fail(f"Missing migrations:\n{out.getvalue()}\n(exit {exit_.code})")


def test_production_settings_pass_the_deploy_check(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ptclinic.settings",
        "SECRET_KEY": "x7" * 30 + "-production-only-value-for-the-check",
        "ALLOWED_HOSTS": "ptclinic.example.org",
        "CSRF_TRUSTED_ORIGINS": "https://ptclinic.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PTCLINIC_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "DEBUG"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "System check identified no issues" in result.stdout


def test_deploy_check_fails_without_a_secret_key_in_the_environment(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "ptclinic.settings",
        "ALLOWED_HOSTS": "ptclinic.example.org",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "PTCLINIC_VAR_DIR": str(tmp_path),
    }
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode != 0
    assert "ptclinic.E001" in result.stderr


@pytest.mark.parametrize(
    ("npi", "valid"),
    [
        ("1245319599", True),  # the CMS worked example
        ("1679576722", True),
        ("1245319598", False),  # wrong check digit
        ("124531959", False),  # nine digits
        ("12453195AB", False),
        ("", False),
    ],
)
def test_npi_check_digit(npi: str, valid: bool) -> None:
    assert npi_is_valid(npi) is valid
