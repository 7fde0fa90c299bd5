"""Where the app keeps its files: a folder by default, an S3-compatible store by configuration;
a misconfigured store is refused at start-up by a system check, not at the first upload."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings; "
    "from django.core.checks import run_checks; "
    "print(json.dumps({'default': settings.STORAGES['default'], "
    "'errors': sorted(m.msg for m in run_checks() if m.id == 'ptclinic.E003')}))"
)


def _settings(**env: str) -> dict[str, object]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("S3_", "FILE_STORAGE"))}
    environ.update(DJANGO_SETTINGS_MODULE="ptclinic.settings", DEBUG="1", **env)
    environ.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=environ, capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def test_files_go_to_a_folder_by_default() -> None:
    shown = _settings()
    assert shown == {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "errors": [],
    }


def test_an_s3_compatible_store_is_configured_from_the_environment() -> None:
    shown = _settings(
        FILE_STORAGE="s3",
        S3_BUCKET="clinic-files",
        S3_ENDPOINT_URL="https://minio.internal:9000",
        S3_PREFIX="prod",
    )
    default = shown["default"]
    assert isinstance(default, dict)
    assert default["BACKEND"] == "storages.backends.s3.S3Storage"
    assert default["OPTIONS"] == {
        "bucket_name": "clinic-files",
        "endpoint_url": "https://minio.internal:9000",
        "region_name": None,
        "location": "prod",
        "default_acl": "private",
        "querystring_auth": True,
        "file_overwrite": False,
    }
    # django-storages is not installed here: the check says what to install.
    assert shown["errors"] == ["FILE_STORAGE=s3 needs django-storages with boto3."]


def test_s3_without_a_bucket_or_an_unknown_store_is_refused() -> None:
    assert "FILE_STORAGE=s3 without S3_BUCKET." in _settings(FILE_STORAGE="s3")["errors"]
    assert _settings(FILE_STORAGE="ftp")["errors"] == [
        "FILE_STORAGE='ftp' is not a storage ptclinic knows."
    ]
