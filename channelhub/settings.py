"""channelhub settings, read from the environment (12-factor).

Every variable is documented in README.md ("Configuration"). Defaults give a working
development setup on SQLite; `DJANGO_ENV=production` switches on the hardening that
`manage.py check --deploy` asks for.
"""

import os
from datetime import timedelta
from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
VAR_DIR.mkdir(exist_ok=True)

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DJANGO_ENV = env.str("DJANGO_ENV", default="development")
PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=not PRODUCTION)
if PRODUCTION:
    SECRET_KEY = env.str("SECRET_KEY")  # no default: a production start without one must fail
else:
    SECRET_KEY = env.str("SECRET_KEY", default="dev-insecure-channelhub-secret-key-change-me-0123456789")
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS", default=[] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",  # the read API's OpenAPI schema (see "read API" below)
    "drf_spectacular_sidecar",  # Swagger UI / Redoc as local static files, no CDN
    "django_filters",
    "channelhub",  # before django_q: its qcluster command replaces django_q's (channelhub/worker.py)
    "django_q",
    "fulfillment",
    "usage",
    "inventory",
    "axes",  # login security: see "login security" below
    "django_otp",  # staff MFA: see "staff MFA" at the end
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "channelhub.mfa",  # the MFA pages, their enforcement, logins in the audit trail
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Static files from the web process itself (no separate file server): right after security,
    # before anything that touches a session or the database. See "static files" below.
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",  # request.user.is_verified(): the session's second factor
    "channelhub.observability.middleware.RequestContextMiddleware",  # request id in logs + header; latency
    "channelhub.mfa.middleware.MfaRequiredMiddleware",  # MFA_REQUIRED_FOR's roles verify first
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",  # keep last: turns a lockout into a 429 page
]

ROOT_URLCONF = "channelhub.urls"
WSGI_APPLICATION = "channelhub.wsgi.application"
ASGI_APPLICATION = "channelhub.asgi.application"

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
            ],
        },
    },
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'channelhub.sqlite3'}")}
_db = DATABASES["default"]
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while a sync job writes; the busy timeout makes concurrent
    # writers wait for each other instead of failing with "database is locked".
    _db.setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
    # Tests use a file (threads in the lock tests need real concurrent connections), one per
    # test process so two suites running at once on one machine do not share it.
    _db.setdefault("TEST", {})["NAME"] = env.str(
        "TEST_SQLITE_NAME", default=str(VAR_DIR / f"test-{os.getpid()}.sqlite3")
    )
else:
    # One test database per test process here too, so concurrent suites do not drop each other's.
    _db.setdefault("TEST", {})["NAME"] = env.str(
        "TEST_DATABASE_NAME", default=f"test_{_db['NAME']}_{os.getpid()}"
    )
    _db.setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    _db.setdefault("CONN_HEALTH_CHECKS", True)

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
# One date format with its time zone everywhere (channelhub/formats/en/formats.py).
FORMAT_MODULE_PATH = ["channelhub.formats"]
TIME_ZONE = env.str("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = env.str("STATIC_ROOT", default=str(VAR_DIR / "static"))

# --- static files (whitenoise) ------------------------------------------------------------
# Production serves what `collectstatic` wrote to STATIC_ROOT: gzip/brotli-compressed copies
# under content-hashed names (admin/css/base.<hash>.css), cached for a year by browsers and
# proxies. The manifest storage is production's only: it makes `{% static %}` fail for a file
# that was never collected, so development, `make run` and the tests keep Django's plain
# storage and need no collectstatic (DEBUG's runserver, and whitenoise's finders when DEBUG is
# on, serve the apps' files where they lie).
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
if not PRODUCTION:
    # whitenoise warns at start-up about a STATIC_ROOT that does not exist; development has
    # nothing collected there (the finders serve), so an empty one stands in.
    Path(STATIC_ROOT).mkdir(parents=True, exist_ok=True)

# --- login security (django-axes) --------------------------------------------------------
# Failed logins are counted per username + client IP. After LOGIN_FAILURE_LIMIT failures that
# pair is locked out for LOGIN_COOLOFF_MINUTES, even with the right password (each attempt
# during the lockout starts the cool-off again); a successful login below the limit resets the
# count. Every failure is logged by axes (logger `axes`, WARNING: username, IP, user agent,
# path; never the password) and kept as an "Access attempt" row in the admin.
# Operators unlock a user with `manage.py axes_reset_username USER` (README, Troubleshooting).
# Axes needs the request in `authenticate()`: tests log in with `client.force_login(user)`
# (or `client.login(request=HttpRequest(), ...)`), never a bare `client.login(...)`.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out pair before any password check
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Log who and from where (axes masks both by default); the password is always masked.
AXES_SENSITIVE_PARAMETERS: list[str] = []
# Behind a reverse proxy every login seems to come from the proxy: set LOGIN_PROXY_COUNT to
# the number of proxies in front of channelhub so the client address is read from
# X-Forwarded-For (only trust it when the proxies set it; see README "Scaling out").
AXES_IPWARE_PROXY_COUNT = env.int("LOGIN_PROXY_COUNT", default=0) or None
if AXES_IPWARE_PROXY_COUNT:
    AXES_IPWARE_META_PRECEDENCE_ORDER = ["HTTP_X_FORWARDED_FOR", "REMOTE_ADDR"]

# --- upstreams ---------------------------------------------------------------------------
# An upstream whose URL is empty is "not configured": its streams are skipped, saying so.
CONNECT_API_URL = env.str("CONNECT_API_URL", default="").rstrip("/")
CONNECT_API_KEY = env.str("CONNECT_API_KEY", default="")
CONNECT_PRODUCTS = env.list("CONNECT_PRODUCTS", default=[])  # optional product scope (PRD-...)
# Google Cloud Channel: a service account with domain-wide delegation, impersonating a super
# admin of the reseller domain (channel-api.md §1). All four must be set, or Channel is skipped.
CHANNEL_API_URL = env.str("CHANNEL_API_URL", default="").rstrip("/")  # https://cloudchannel.googleapis.com
CHANNEL_ACCOUNT_ID = env.str("CHANNEL_ACCOUNT_ID", default="")  # the reseller account, C0123...
CHANNEL_CREDENTIALS_FILE = env.str("CHANNEL_CREDENTIALS_FILE", default="")  # service-account key JSON
CHANNEL_ADMIN_EMAIL = env.str("CHANNEL_ADMIN_EMAIL", default="")  # the admin the service account acts as
CHANNEL_LRO_WAIT_SECONDS = env.float("CHANNEL_LRO_WAIT_SECONDS", default=60.0)  # per outbox attempt
CHANNEL_LRO_POLL_INITIAL = env.float("CHANNEL_LRO_POLL_INITIAL", default=1.0)  # then x1.5, capped at 20 s
UPSTREAM_TIMEOUT = env.float("UPSTREAM_TIMEOUT", default=30.0)  # seconds per HTTP attempt
UPSTREAM_MAX_RETRIES = env.int("UPSTREAM_MAX_RETRIES", default=5)
UPSTREAM_BACKOFF = env.float("UPSTREAM_BACKOFF", default=0.5)  # first backoff step, seconds

# --- sync engine -------------------------------------------------------------------------
SYNC_PAGE_SIZE = env.int("SYNC_PAGE_SIZE", default=500)
SYNC_OVERLAP_SECONDS = env.int("SYNC_OVERLAP_SECONDS", default=120)
SYNC_LOCK_SECONDS = env.int("SYNC_LOCK_SECONDS", default=300)
INVENTORY_PAGE_SIZE = env.int("INVENTORY_PAGE_SIZE", default=1000)  # resources per page of a pass

# --- jobs (django-q2) --------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# The queue's name (its Redis keys): web and worker processes of one deployment share it; two
# deployments on one Redis need different ones. Each pytest-xdist worker gets its own, because
# Redis outlives the test databases and the worker tests run real clusters on it.
_Q_NAME = "channelhub" + (
    f"-{os.environ['PYTEST_XDIST_WORKER']}" if os.environ.get("PYTEST_XDIST_WORKER") else ""
)
Q_CLUSTER = {
    "name": env.str("Q_NAME", default=_Q_NAME),
    "workers": env.int("Q_WORKERS", default=2),
    "timeout": env.int("Q_TIMEOUT", default=1800),  # a task running longer than this is killed
    # ORM broker: a task cut short (a stop, a crash) runs again after this (docs/operations.md)
    "retry": env.int("Q_RETRY", default=2400),  # must stay above timeout
    "max_attempts": 1,
    "catch_up": False,  # a cluster that was down does not replay every missed minute
    "save_limit": 1000,
    "label": "Jobs",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

# --- logging -----------------------------------------------------------------------------
LOG_LEVEL = env.str("LOG_LEVEL", default="INFO")
# "plain" (the default: one readable line) or "json": one JSON object a line with time, level,
# logger, message and the request_id / sync_run / action / automation_task it belongs to
# (channelhub/observability/logs.py; docs/operations.md, "Metrics and logs"). Either way each
# line is redacted: credentials after ApiKey/Bearer, URL passwords and known secrets masked.
LOG_FORMAT = env.str("LOG_FORMAT", default="plain")
if LOG_FORMAT not in ("plain", "json"):
    raise ValueError(f"LOG_FORMAT must be plain or json, not {LOG_FORMAT!r}")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "channelhub.observability.logs.JsonFormatter"},
    },
    "filters": {
        "context": {"()": "channelhub.observability.logs.ContextFilter"},
        "redact": {"()": "channelhub.observability.logs.RedactSecrets"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context", "redact"],
        }
    },
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    # axes logs every login attempt at INFO; failures and lockouts are WARNING and stay.
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

# Error reports (the debug page, error e-mails) never show a secret: URL passwords, secret
# query values and known secret values are masked besides Django's secret-looking names.
DEFAULT_EXCEPTION_REPORTER_FILTER = "channelhub.reporting.SecretMaskingReporterFilter"
DEFAULT_EXCEPTION_REPORTER = "channelhub.reporting.SecretMaskingExceptionReporter"

# --- production hardening ----------------------------------------------------------------
if PRODUCTION:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    # A load balancer probes the processes directly over plain HTTP: the probes answer it
    # rather than redirecting it to HTTPS (they carry nothing secret).
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]  # metrics: bearer token still required
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"

# --- the outbox (staff actions sent upstream) -------------------------------------------
ACTION_MAX_ATTEMPTS = env.int("ACTION_MAX_ATTEMPTS", default=8)  # retryable failures before "failed"
ACTION_RETRY_BACKOFF = env.float("ACTION_RETRY_BACKOFF", default=30.0)  # seconds, doubles per attempt
ACTION_SENDING_TIMEOUT = env.int(
    "ACTION_SENDING_TIMEOUT", default=600
)  # a 'sending' older than this was lost

# --- retention (channelhub/retention.py; docs/operations.md, "Retention") ---------------------
# Days each kind of row is kept after it finished; 0 keeps it for ever. Run daily by the
# `housekeeping:retention` schedule and by `manage.py retention [--dry-run]`.
RETENTION_TASK_RESULTS_DAYS = env.int("RETENTION_TASK_RESULTS_DAYS", default=14)  # django-q results
RETENTION_SYNC_RUNS_DAYS = env.int("RETENTION_SYNC_RUNS_DAYS", default=30)  # each stream's last kept
RETENTION_ACTIONS_DAYS = env.int("RETENTION_ACTIONS_DAYS", default=90)  # finished outbox actions
RETENTION_AUTOMATION_DAYS = env.int("RETENTION_AUTOMATION_DAYS", default=90)  # finished automation tasks
RETENTION_AUDIT_DAYS = env.int("RETENTION_AUDIT_DAYS", default=0)  # the audit trail: kept by default
RETENTION_BATCH_SIZE = env.int("RETENTION_BATCH_SIZE", default=2000)  # rows per DELETE

# --- automation (processors; docs/automation.md) ----------------------------------------
# Plug-in modules whose PROCESSORS list is registered at start-up, beside the apps' own.
AUTOMATION_PLUGINS = env.list("AUTOMATION_PLUGINS", default=[])
AUTOMATION_MAX_ATTEMPTS = env.int("AUTOMATION_MAX_ATTEMPTS", default=3)  # a raising handler's tries
AUTOMATION_RETRY_SECONDS = env.float("AUTOMATION_RETRY_SECONDS", default=30.0)  # doubles per try

# --- read API (DRF + django-rql; docs/api.md) ------------------------------------------
# Everything under /api/v1/ needs a token (`Authorization: Bearer ...`, `issue_api_token`) or
# a staff session, and reads what the user's model permissions allow (view_*).
API_DEFAULT_LIMIT = env.int("API_DEFAULT_LIMIT", default=100)
API_MAX_LIMIT = env.int("API_MAX_LIMIT", default=1000)
API_MAX_OFFSET = env.int("API_MAX_OFFSET", default=10_000)  # deeper: keyset filters
API_COUNT_CAP = env.int("API_COUNT_CAP", default=10_000)  # exact totals up to this, then estimates
API_PERMISSION_CACHE_SECONDS = env.int("API_PERMISSION_CACHE_SECONDS", default=60)
# PostgreSQL cancels any statement of an API request running longer (503); 0 turns it off.
# The caps on what a query may ask for are channelhub.api.limits' (API_RQL_MAX_*).
API_STATEMENT_TIMEOUT_MS = env.int("API_STATEMENT_TIMEOUT_MS", default=5000)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "channelhub.api.authentication.BearerTokenAuthentication",
        "channelhub.api.authentication.StaffSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["channelhub.api.permissions.ModelViewPermission"],
    "DEFAULT_THROTTLE_CLASSES": ["channelhub.api.throttling.TokenRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"token": env.str("API_THROTTLE_RATE", default="1200/min")},
    "DEFAULT_RENDERER_CLASSES": [
        "channelhub.api.renderers.PassThroughJSONRenderer",
        "rest_framework.renderers.BrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "channelhub.api.pagination.ConnectPagination",
    "DEFAULT_SCHEMA_CLASS": "channelhub.api.schema.RQLAutoSchema",
    "EXCEPTION_HANDLER": "channelhub.api.exceptions.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "channelhub read API",
    "DESCRIPTION": "Read-only API over channelhub's mirror of CloudBlue Connect (Connect's paths, "
    "JSON and RQL under /api/v1/connect), of Google Cloud Channel (Channel's JSON and field names "
    "under /api/v1/channel) and its own objects (/api/v1/channelhub). See docs/api.md.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["channelhub.api.permissions.CanReadSomething"],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# --- end of read API ---------------------------------------------------------------------

# --- metrics (Prometheus; docs/operations.md, "Metrics and logs") ------------------------
# /metrics answers 404 while METRICS_TOKEN is empty; with it, only a scraper sending
# `Authorization: Bearer <METRICS_TOKEN>` (anything else: 401). Several web processes (gunicorn
# workers) share their request histograms through PROMETHEUS_MULTIPROC_DIR, which
# prometheus-client reads from the environment itself.
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- staff MFA (django-otp; channelhub/mfa; docs/operations.md, "Staff MFA") --------------
# Roles that must verify a second factor (TOTP, or a single-use recovery code) after signing
# in, before any other admin page or a session's API call: group names, plus "superuser" for
# is_superuser. Production requires it of supervisors and superusers unless set; development
# and the tests require it of no one unless set. Bearer tokens are never asked (not sessions).
MFA_REQUIRED_FOR = tuple(
    env.list("MFA_REQUIRED_FOR", default=["supervisor", "superuser"] if PRODUCTION else [])
)
OTP_TOTP_ISSUER = env.str("MFA_ISSUER", default="channelhub")  # the name authenticator apps show
