"""Test settings: production settings with the few changes a test run needs."""

import os

from ptclinic.settings import *  # noqa: F403

# The test client and the live server speak plain HTTP on localhost.
SECURE_SSL_REDIRECT = False
# Hashing cost is not what the tests are about.
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Static files straight from static/, without collectstatic and its manifest.
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_AUTOREFRESH = True
# Jobs run in the test's own process and transaction (the test of a real worker turns the
# queue on: tests/ptclinic/test_jobs_worker.py).
JOBS_RUNNER = "inline"
# The dashboard's figures are computed on each view, as the data of each test says (the cache
# has its own tests: tests/claims/dashboard/test_figures.py).
DASHBOARD_MAX_AGE_SECONDS = 0

# A file, not memory, for SQLite: the concurrency tests need real locking between connections.
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":  # noqa: F405
    # One file per test run, removed at its end: parallel runs do not share it.
    DATABASES["default"]["TEST"] = {  # noqa: F405
        "NAME": str(VAR_DIR / f"test-ptclinic-{os.getpid()}.sqlite3")  # noqa: F405
    }

# PostgreSQL: a test database per run too, so an aborted or parallel run cannot block this one.
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":  # noqa: F405
    DATABASES["default"]["TEST"] = {"NAME": f"test_ptclinic_{os.getpid()}"}  # noqa: F405

# Generated claim files and imports go to a folder of this run, removed at its end
# (tests/conftest.py), never into the development server's var/media.
import tempfile  # noqa: E402

MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="ptclinic-test-media-"))  # noqa: F405
