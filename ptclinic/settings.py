"""Settings for ptclinic, configured from environment variables.

Safe for development by default (SQLite under var/, a generated secret key kept under var/),
strict in production: set DEBUG off (the default), SECRET_KEY, ALLOWED_HOSTS, DATABASE_URL and
CSRF_TRUSTED_ORIGINS. See README "Deploying".
"""

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import dj_database_url
from csp.constants import NONCE, NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("PTCLINIC_VAR_DIR", BASE_DIR / "var"))
# The ICD-10-CM FY2025 set: simple-icd-10-cm 1.4.0's data files, installed here by `make setup`
# beside the 1.5.0 package (FY2026) that the app imports (coding/icd10_sets.py).
ICD10CM_FY2025_DIR = Path(
    os.environ.get("ICD10CM_FY2025_DIR", BASE_DIR / ".venv" / "icd10cm-fy2025")
)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def _development_secret_key() -> str:
    # Generated once per checkout and kept out of git, so sessions survive restarts.
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


DEBUG = env_bool("DEBUG")
SECRET_KEY = os.environ.get("SECRET_KEY") or _development_secret_key()
SECRET_KEY_FROM_ENV = "SECRET_KEY" in os.environ
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "ptclinic.apps.PtclinicAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tables2",
    "django_filters",
    "crispy_forms",
    "crispy_bootstrap5",
    "template_partials",
    "simple_history",
    "import_export",
    "axes",
    "csp",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ptclinic",
    "coding",
    "claims",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "ptclinic.middleware.ResponseHeadersMiddleware",  # no-store for signed-in users, see there
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "ptclinic.middleware.SessionRenewalMiddleware",  # the idle timeout, see there
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # reads the session's verified second factor
    # Every view needs a login unless it is marked @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "ptclinic.middleware.ActiveClinicMiddleware",
    # Holds a signed-in user on the two-factor pages until they give their code.
    "ptclinic.two_factor.TwoFactorMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes asks: it turns a lockout into the locked-out page.
    "axes.middleware.AxesMiddleware",
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out username/IP before checking the password.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "ptclinic.urls"
WSGI_APPLICATION = "ptclinic.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "ptclinic.context_processors.clinic",
                "ptclinic.context_processors.reference_gaps",
                "csp.context_processors.nonce",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{VAR_DIR / 'ptclinic.sqlite3'}",
        conn_max_age=int(os.environ.get("CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
ON_POSTGRESQL = DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES["default"]["OPTIONS"] = {
        # WAL and a busy timeout let the dev server and a management command share the file.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
    }

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "ptclinic.passwords.NotTheDemoPasswordValidator"},
]

# A session page posts 4 fields per service row; the form refuses more than 20 rows with its own
# message, so let such a request reach it. Anything bigger still gets templates/400.html.
DATA_UPLOAD_MAX_NUMBER_FIELDS = 5000
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024  # five 20,000-character notes fit many times

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions live in the database so several app hosts can share one PostgreSQL.
SESSION_ENGINE = "ptclinic.sessions"  # database sessions that know their expiry
# The age counts from the last request (an idle timeout), renewed at most once a minute by
# ptclinic.middleware.SessionRenewalMiddleware rather than with a write on every request.
SESSION_COOKIE_AGE = int(os.environ.get("SESSION_IDLE_MINUTES", "30")) * 60
# However active, a login lasts at most this long (ptclinic.middleware.SessionRenewalMiddleware).
SESSION_ABSOLUTE_SECONDS = int(os.environ.get("SESSION_ABSOLUTE_HOURS", "12")) * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "America/New_York")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
# Files the app keeps (generated 837P files, posted 835 files, CMS files between upload and
# load): Django's storage API, so every host and worker reads what another wrote. A folder
# (MEDIA_ROOT: local, or a volume every host mounts), or FILE_STORAGE=s3 for an S3-compatible
# object store (AWS S3, MinIO, Ceph …; `pip install "django-storages[s3]"`; credentials from the
# standard AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY environment, never from settings).
FILE_STORAGE = os.environ.get("FILE_STORAGE", "local")
if FILE_STORAGE == "s3":
    DEFAULT_STORAGE: dict[str, Any] = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": os.environ.get("S3_BUCKET", ""),
            "endpoint_url": os.environ.get("S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("S3_REGION") or None,
            "location": os.environ.get("S3_PREFIX", "ptclinic"),
            "default_acl": "private",
            "querystring_auth": True,  # files are served through the app's checks, never public
            "file_overwrite": False,
        },
    }
else:
    DEFAULT_STORAGE = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": DEFAULT_STORAGE,
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG and env_bool("STATIC_MANIFEST", default=not DEBUG)
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Uploaded files (the admin's CMS files between preview and load) go to the default storage:
# a folder here, or shared storage when several hosts serve the app (never served as media).
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Tests and `runserver` without collectstatic still find files.
WHITENOISE_USE_FINDERS = True
WHITENOISE_MANIFEST_STRICT = False

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"
DJANGO_TABLES2_TEMPLATE = "django_tables2/bootstrap5-responsive.html"

MESSAGE_TAGS = {40: "danger"}

# Production hardening: on whenever DEBUG is off. Behind a TLS-terminating proxy that sets
# X-Forwarded-Proto (README "Deploying").
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes the app host directly over plain HTTP: answer it, not redirect it.
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^readyz/$"]
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", str(60 * 60 * 24 * 365)))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)
    SECURE_CONTENT_TYPE_NOSNIFF = True
    SECURE_REFERRER_POLICY = "same-origin"
    X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "INFO"},
        # pyx12 logs each validation error it finds; the batch page shows them instead.
        "pyx12": {"level": "CRITICAL"},
        # procrastinate says at every start-up that it added the tasks: commands' stderr is
        # for their errors (the worker still logs each job it runs).
        "procrastinate.blueprints": {"level": "WARNING"},
    },
}

# Long work (ptclinic/jobs): "queue" hands it to procrastinate's workers in PostgreSQL
# (`python manage.py procrastinate worker`, on any host); "inline" runs it in the request (SQLite,
# one process). procrastinate keeps its queue in PostgreSQL tables, so it is installed there only.
JOBS_RUNNER = os.environ.get("JOBS_RUNNER", "queue" if ON_POSTGRESQL else "inline")
if ON_POSTGRESQL:
    INSTALLED_APPS.insert(INSTALLED_APPS.index("ptclinic"), "procrastinate.contrib.django")
PROCRASTINATE_AUTODISCOVER_MODULE_NAME = ""  # the tasks are in one module:
PROCRASTINATE_IMPORT_PATHS = ["ptclinic.jobs.tasks"]

# A cache every host shares (a table of the database; `ptclinic.0005` creates it): the owner's
# dashboard figures over months of claims (claims/dashboard/figures.py), used for this long.
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "shared": {
        "BACKEND": "django.core.cache.backends.db.DatabaseCache",
        "LOCATION": "ptclinic_cache",
    },
}
DASHBOARD_MAX_AGE_SECONDS = int(os.environ.get("DASHBOARD_MAX_AGE_SECONDS", "360"))

SILENCED_SYSTEM_CHECKS: list[str] = []
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The year-to-date index carries payer and amount on PostgreSQL (INCLUDE); SQLite builds it
    # without them, which is all the warning says.
    SILENCED_SYSTEM_CHECKS.append("models.W040")

# CSV imports of code tables: all rows or none.
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = False
# The largest file a code table's CSV import takes, in bytes (coding/admin_import_checks.py).
CODE_IMPORT_MAX_BYTES = int(os.environ.get("CODE_IMPORT_MAX_BYTES", str(20 * 1024 * 1024)))

# Why a claim changed can be a reviewer's whole comment: keep it in full in the history.
SIMPLE_HISTORY_HISTORY_CHANGE_REASON_USE_TEXT_FIELD = True

# Two-factor login (ptclinic/two_factor.py): the name authenticator apps show, and the wait
# after each wrong code (1 s, doubling: 2, 4, 8 … up to django-otp's cap).
OTP_TOTP_ISSUER = "ptclinic"
OTP_TOTP_THROTTLE_FACTOR = 1
OTP_STATIC_THROTTLE_FACTOR = 1

# Login lockout (django-axes): attempts are kept in the database, shared by every app host.
AXES_FAILURE_LIMIT = int(os.environ.get("LOGIN_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("LOGIN_LOCKOUT_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
# Besides, a username is locked from everywhere after this many wrong passwords from all
# addresses together (ptclinic/lockout.py): higher, so that a stranger at one address cannot
# lock a therapist out, but guessing from many addresses stops too.
LOGIN_USERNAME_FAILURE_LIMIT = int(os.environ.get("LOGIN_USERNAME_FAILURE_LIMIT", "30"))
# How many proxies in front of the app append to X-Forwarded-For (the TLS proxy: 1). Logins are
# locked by (username, the client's address as they saw it): see ptclinic.http.client_address.
TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))
AXES_CLIENT_IP_CALLABLE = "ptclinic.http.client_address"
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Content-Security-Policy (django-csp): scripts only from this site or with the page's nonce;
# no eval, so htmx runs without hx-on and with its indicator styles in ptclinic.css.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        # Bootstrap progress bars and a few widths are set with style="" attributes.
        "style-src-attr": [UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}
