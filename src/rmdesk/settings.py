"""rmdesk settings, read from the environment.

Two modes, chosen by ``RMDESK_ENV``:

- ``demo`` (the default): SQLite under ``RMDESK_VAR_DIR``, a secret key generated
  once into that folder, plain HTTP on 127.0.0.1. Enough for ``make demo`` and tests.
- ``production``: ``SECRET_KEY`` and ``ALLOWED_HOSTS`` must come from the
  environment; cookies are ``__Host-`` and Secure; HSTS and SSL redirect are on.
  ``manage.py check --deploy`` reports nothing in this mode.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
import django_stubs_ext
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be a boolean, not {value!r}")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    try:
        return int(value)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{name} must be an integer, not {value!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return [item.strip() for item in value.split(",") if item.strip()]


django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent
RMDESK_ENV = os.environ.get("RMDESK_ENV", "demo")
if RMDESK_ENV not in {"demo", "production"}:
    raise ImproperlyConfigured(f"RMDESK_ENV must be 'demo' or 'production', not {RMDESK_ENV!r}")
PRODUCTION = RMDESK_ENV == "production"
VAR_DIR = Path(os.environ.get("RMDESK_VAR_DIR", Path.cwd() / "var")).resolve()

DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = os.environ.get("SECRET_KEY", "")
    if key:
        if len(key) < 50:
            raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long.")
        return key
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set in the environment in production.")
    # Demo mode: generate a key once and keep it beside the demo database.
    path = VAR_DIR / "secret_key"
    if not path.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_urlsafe(64))
    return path.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"]
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set in the environment in production.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    # Serves the API documentation's assets locally (no CDN).
    "ninja",
    "axes",
    "rmdesk.core",
    "rmdesk.org",
    "rmdesk.audit",
    "rmdesk.customers",
    "rmdesk.ingest",
    "rmdesk.contact",
    "rmdesk.development",
    "rmdesk.marketing",
    "rmdesk.coordination",
    "rmdesk.notify",
    "rmdesk.quality",
    "rmdesk.tasks",
    "rmdesk.workbench",
    "rmdesk.api",
    "rmdesk.web",
]

MIDDLEWARE = [
    # First, so it times and counts everything below it (request id, metrics, access log).
    "rmdesk.core.observability.RequestObservabilityMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Past its limit of requests in flight a process answers 503 at once (below the
    # probes and static files, above anything that reads the session or database).
    "rmdesk.core.admission.AdmissionMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "rmdesk.core.middleware.SessionLimitsMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Names the signed-in user on the connection before a request's first write, for
    # the change history the database triggers keep (audit/history.py).
    "rmdesk.audit.history.ChangeActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "rmdesk.core.middleware.NoStoreMiddleware",
    "rmdesk.core.middleware.ApiMethodNotAllowedMiddleware",
    # AxesMiddleware turns a lock-out into the lock-out response; keep it last.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "rmdesk.urls"
WSGI_APPLICATION = "rmdesk.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "csp.context_processors.nonce",
                "rmdesk.web.context.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------
# SQLite is the embedded default; PostgreSQL is chosen by DATABASE_URL.
DATABASE_URL = os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'rmdesk.sqlite3'}")
_database = dj_database_url.parse(DATABASE_URL)
if _database["ENGINE"] == "django.db.backends.sqlite3":
    if not str(_database["NAME"]).startswith(":memory:"):
        Path(_database["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    _database["OPTIONS"] = {
        # Writers queue on the busy timeout instead of failing with "database is
        # locked"; IMMEDIATE takes the write lock at BEGIN so a read-then-write
        # transaction cannot deadlock against another writer.
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": (
            "PRAGMA journal_mode=WAL;"
            "PRAGMA synchronous=FULL;"
            "PRAGMA foreign_keys=ON;"
            "PRAGMA busy_timeout=20000;"
        ),
    }
else:
    _database["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60)
    _database["CONN_HEALTH_CHECKS"] = True
DATABASES = {"default": _database}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Overload (core/admission.py) -------------------------------------------
# gunicorn runs RMDESK_WEB_THREADS threads per process (9); one of them is kept to
# refuse, so a process works on at most RMDESK_WEB_MAX_IN_FLIGHT requests (threads − 1;
# 0 turns the limit off) and answers the rest 503 at once. Eight leave room for the
# bursts of 200 sessions on 4 processes (bench/load.py: none refused; with four, 0.15 %).
WEB_MAX_IN_FLIGHT = env_int(
    "RMDESK_WEB_MAX_IN_FLIGHT", max(1, env_int("RMDESK_WEB_THREADS", 9) - 1)
)
# The web processes' PostgreSQL statements are cancelled past this (0: no limit): well
# below gunicorn's request timeout (RMDESK_WEB_TIMEOUT, 30 s), so a slow query is
# answered 503 before the worker would be killed.
WEB_STATEMENT_TIMEOUT_MS = env_int(
    "RMDESK_WEB_STATEMENT_TIMEOUT_MS",
    max(1000, (env_int("RMDESK_WEB_TIMEOUT", 30) * 1000) * 2 // 3),
)
WEB_OVERLOAD_RETRY_AFTER = env_int("RMDESK_WEB_OVERLOAD_RETRY_AFTER", 2)

# --- Authentication -------------------------------------------------------
AUTH_USER_MODEL = "org.Staff"
AUTHENTICATION_BACKENDS = [
    # Axes first: it refuses a locked-out username+address before anything else.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    # Older hashes still verify and are upgraded to Argon2id on the next sign-in.
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

# Lock-out: five failures for one username from one address lock that pair out
# for the cool-off; other users at the same address are unaffected. An
# administrator unlocks from the admin (Axes → access attempts) or with
# `rmdesk axes_reset_username USERNAME`.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("AXES_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "rmdesk.core.lockout.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
# The client address is REMOTE_ADDR unless rmdesk runs behind trusted proxies
# (TRUSTED_PROXY_COUNT), so a spoofed X-Forwarded-For cannot dodge a lock-out.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "rmdesk.core.http.client_ip"
AXES_VERBOSE = False

API_TOKEN_DAYS = env_int("API_TOKEN_DAYS", 30)
API_TOKEN_MAX_DAYS = env_int("API_TOKEN_MAX_DAYS", 365)

# --- Sessions, cookies, transport -----------------------------------------
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 15 * 60)
SESSION_ABSOLUTE_SECONDS = env_int("SESSION_ABSOLUTE_SECONDS", 8 * 60 * 60)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SESSION_COOKIE_NAME = "__Host-rmdesk-session"
    CSRF_COOKIE_NAME = "__Host-rmdesk-csrf"
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    if env_bool("BEHIND_TLS_PROXY", True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
else:
    SESSION_COOKIE_NAME = "rmdesk-session"
    CSRF_COOKIE_NAME = "rmdesk-csrf"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Request size limits: imports have their own, larger, streamed limit.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
DATA_UPLOAD_MAX_NUMBER_FILES = 10

# --- Internationalisation -------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
# Numbers, amounts and dates in the active language's format (rmdesk/formats).
FORMAT_MODULE_PATH = ["rmdesk.formats"]
USE_TZ = True

# --- Static files -----------------------------------------------------------
STATIC_URL = "static/"
# Outside production, static files are served straight from the apps' folders.
WHITENOISE_USE_FINDERS = not PRODUCTION
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
if not PRODUCTION:
    STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}

# --- Logging ------------------------------------------------------------------
# Production logs one JSON object per line (request id, user id, route, status,
# duration, queries on each request line); the demo logs plain text.
RMDESK_LOG_FORMAT = os.environ.get("RMDESK_LOG_FORMAT", "json" if PRODUCTION else "plain")
if RMDESK_LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("RMDESK_LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "rmdesk.core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "rmdesk.core.logging.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": RMDESK_LOG_FORMAT,
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        # Axes logs usernames and addresses on every attempt; keep it to warnings.
        "axes": {"level": "WARNING"},
        "django.db.backends": {"level": "WARNING"},
        # One line per request; the demo server (runserver) logs its own.
        "rmdesk.request": {
            "level": os.environ.get("RMDESK_REQUEST_LOG_LEVEL", "INFO" if PRODUCTION else "WARNING")
        },
        # Django's own request logger repeats every 4xx/5xx; the line above has them.
        "django.request": {"level": "ERROR"},
    },
}

# --- rmdesk -----------------------------------------------------------------
RMDESK_AUDIT_CHAINS = env_int("RMDESK_AUDIT_CHAINS", 16)
# Days the change history (audit_rowchange, written by the database triggers) is kept;
# the nightly audit.history_prune deletes older rows (0: keep everything). Ten years, as
# long as customer identification and transaction records must be kept. The audit trail
# and the access log are never pruned.
RMDESK_HISTORY_KEEP_DAYS = env_int("RMDESK_HISTORY_KEEP_DAYS", 3650)
if RMDESK_HISTORY_KEEP_DAYS < 0:
    raise ImproperlyConfigured("RMDESK_HISTORY_KEEP_DAYS must be 0 (keep everything) or more.")
RMDESK_PAGE_SIZE = 25
RMDESK_MAX_PAGE_SIZE = 200
# How long a revealed personal field stays shown in full to the one who revealed it.
RMDESK_REVEAL_SECONDS = env_int("RMDESK_REVEAL_SECONDS", 10 * 60)
# The key of the digests that index identity numbers and mobiles. Set it once in
# production and keep it: without it the key derives from SECRET_KEY, and rotating
# SECRET_KEY would orphan every stored digest (rebuild with `rmdesk reindex-customers`).
RMDESK_LOOKUP_KEY = os.environ.get("RMDESK_LOOKUP_KEY", "")
# Customer-list exports: the most rows any one export may hold, and exports per person per day.
RMDESK_EXPORT_MAX_ROWS = env_int("RMDESK_EXPORT_MAX_ROWS", 5000)
RMDESK_EXPORTS_PER_DAY = env_int("RMDESK_EXPORTS_PER_DAY", 20)
RMDESK_IMPORT_MAX_BYTES = env_int("RMDESK_IMPORT_MAX_BYTES", 10 * 1024 * 1024)
RMDESK_IMPORT_MAX_ROWS = env_int("RMDESK_IMPORT_MAX_ROWS", 50_000)
RMDESK_IMPORT_MAX_ERRORS = env_int("RMDESK_IMPORT_MAX_ERRORS", 1000)
# CSV files of the feeds that have one take the set-based path on PostgreSQL (cleaned
# in SQL, docs/ingest.md); off, every file is read row by row in Python.
RMDESK_INGEST_SET_BASED = env_bool("RMDESK_INGEST_SET_BASED", True)

# --- E-mail -------------------------------------------------------------------
# Notifications go out by e-mail only when a mail server is configured.
EMAIL_HOST = os.environ.get("EMAIL_HOST", "")
EMAIL_PORT = env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "rmdesk@localhost")
RMDESK_NOTIFY_EMAIL = env_bool("RMDESK_NOTIFY_EMAIL", bool(EMAIL_HOST))

# --- Operations: task queue, probes, metrics ------------------------------------
# A worker renews its lease every third of this; a job whose worker died is re-run
# once its lease has expired.
RMDESK_TASK_LEASE_SECONDS = env_int("RMDESK_TASK_LEASE_SECONDS", 60)
RMDESK_TASK_MAX_ATTEMPTS = env_int("RMDESK_TASK_MAX_ATTEMPTS", 5)
RMDESK_TASK_RETRY_BASE_SECONDS = env_int("RMDESK_TASK_RETRY_BASE_SECONDS", 30)
RMDESK_TASK_RETRY_MAX_SECONDS = env_int("RMDESK_TASK_RETRY_MAX_SECONDS", 3600)
RMDESK_TASK_KEEP_DAYS = env_int("RMDESK_TASK_KEEP_DAYS", 14)
RMDESK_TASK_POLL_SECONDS = float(os.environ.get("RMDESK_TASK_POLL_SECONDS", "1.0"))
RMDESK_SCHEDULE_SECONDS = env_int("RMDESK_SCHEDULE_SECONDS", 30)
# /readyz fails when a due job has waited longer than this (0: never).
RMDESK_READY_QUEUE_MAX_SECONDS = env_int("RMDESK_READY_QUEUE_MAX_SECONDS", 900)
# /metrics answers a bearer token, and from 127.0.0.1 only when allowed here.
RMDESK_METRICS_TOKEN = os.environ.get("RMDESK_METRICS_TOKEN", "")
RMDESK_METRICS_LOOPBACK = env_bool("RMDESK_METRICS_LOOPBACK", False)
# A read replica for reports (rmdesk.core.db.reporting_db); tests use the primary.
if os.environ.get("DATABASE_REPLICA_URL"):
    DATABASES["replica"] = {
        **dj_database_url.parse(os.environ["DATABASE_REPLICA_URL"]),
        "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60),
        "CONN_HEALTH_CHECKS": True,
        "TEST": {"MIRROR": "default"},
    }
