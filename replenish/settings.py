"""Settings, read from the environment (12-factor).

Embedded defaults: SQLite in the project folder and Celery tasks run in-process, so `make run` needs nothing but
Python. Production: DATABASE_URL (PostgreSQL) and REDIS_URL (Celery broker), DEBUG off, SECRET_KEY required.
"""

from datetime import timedelta
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False) if (BASE_DIR / ".env").exists() else None

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off (set DEBUG=1 for local development)."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"  # noqa: S105
# The audit chain (replenish/core/audit.py): each link is an HMAC keyed with AUDIT_HMAC_KEY, which lives in the
# environment only, never in the database; required when DEBUG is off, and it must stay the same for the life of the
# chain. The day's head is checkpointed to a signed, append-only file in AUDIT_CHECKPOINT_DIR (outside the database).
# Without it (DEBUG off) the web server and the workers refuse to start and `check` reports core.E001, while the
# commands that write no audit event (collectstatic, for a build step) still run; no event is ever written unkeyed.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY and DEBUG:
    AUDIT_HMAC_KEY = "insecure-development-audit-key"  # noqa: S105
AUDIT_CHECKPOINT_DIR = env.str("AUDIT_CHECKPOINT_DIR", default=str(BASE_DIR / "var" / "audit-checkpoints"))
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "template_partials",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "guardian",
    "replenish.core",
    "axes",
    "csp",
    "replenish",
    "replenish.shipping",
    "replenish.returns",
    "exceptions",
    "governance",
    "integrations",
    "exceptions.workflows",
    "exceptions.warehouse",
    "exceptions.service",
    "integrations.tms",
    "exceptions.transport",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "replenish.middleware.UserGroupsMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "replenish.middleware.SessionIdleTimeoutMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
    "replenish.middleware.StyledErrorMiddleware",
]

ROOT_URLCONF = "replenish.urls"
WSGI_APPLICATION = "replenish.wsgi.application"
ASGI_APPLICATION = "replenish.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # Templates and static files live in the packages (replenish/templates, replenish/static), found through
        # the app directories, so an installed wheel serves them as a checkout does.
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "replenish.context_processors.navigation",
            ],
        },
    }
]

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 30, "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"}
    )
# On PostgreSQL the test database name is fixed so that a Celery worker started outside pytest (by .ci/run) can use
# it; SQLite tests use an in-memory database unless TEST_DATABASE_NAME names a file.
if DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3" or env.str(
    "TEST_DATABASE_NAME", default=""
):
    DATABASES["default"]["TEST"] = {"NAME": env.str("TEST_DATABASE_NAME", default="test_distops")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked-out account before checking the password
    "django.contrib.auth.backends.ModelBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login throttling (django-axes): LOGIN_FAILURE_LIMIT bad passwords for one username lock that account, admin
# included, for LOGIN_LOCKOUT_MINUTES (0: until an administrator runs `axes_reset_username NAME`). A lockout is an
# audit event and a message to the managers and administrators (governance/lockout.py). A success resets the count.
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=30)
AXES_LOCKOUT_PARAMETERS = ["username"]
# Per account, not per address: behind the TLS proxy every request has the proxy's address, so an address lock would
# lock everyone out after 30 failures anywhere (axes.W006 warns about exactly that trade-off).
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
_lockout_minutes = env.int("LOGIN_LOCKOUT_MINUTES", default=60)
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes else None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

# Sessions end after SESSION_IDLE_MINUTES without a request (replenish/middleware.py) and after SESSION_COOKIE_AGE
# in any case (12 hours: one working day).
SESSION_IDLE_SECONDS = env.int("SESSION_IDLE_MINUTES", default=30) * 60
SESSION_COOKIE_AGE = env.int("SESSION_MAX_HOURS", default=12) * 3600

# Mail: lockout notices to managers and administrators. EMAIL_URL e.g. smtp://user:pass@mail:587 (django-environ);
# unset: printed to the log.
globals().update(env.email_url("EMAIL_URL", default="consolemail://"))
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="distops@localhost")

# Content-Security-Policy (django-csp): scripts only from our own static files (no inline script, no eval); the inline
# style attributes of the screens (bar widths) need 'unsafe-inline' for styles only.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en-us"
# The company's home time zone; each Location carries its own for dates shown and cut-offs.
TIME_ZONE = env.str("TIME_ZONE", default="America/Chicago")
USE_I18N = True
USE_TZ = True

# Planning economics: cost of placing one order line, yearly holding cost as a share of unit cost.
DISTOPS_ORDERING_COST = env.float("DISTOPS_ORDERING_COST", default=25.0)
DISTOPS_HOLDING_RATE = env.float("DISTOPS_HOLDING_RATE", default=0.25)
# The value at stake (replenish/engine/value.py): the review period of the decision horizon (lead time + review),
# the obsolescence write-down at risk that caps the holding cost of excess (share of its capital), and the freight
# of an expedite or a transfer (flat + share of the goods' value).
DISTOPS_REVIEW_DAYS = env.float("DISTOPS_REVIEW_DAYS", default=1.0)
DISTOPS_OBSOLESCENCE_SHARE = env.float("DISTOPS_OBSOLESCENCE_SHARE", default=0.5)
DISTOPS_EXPEDITE_FEE_FLAT = env.float("DISTOPS_EXPEDITE_FEE_FLAT", default=75.0)
DISTOPS_EXPEDITE_FEE_RATE = env.float("DISTOPS_EXPEDITE_FEE_RATE", default=0.04)
DISTOPS_TRANSFER_FREIGHT_FLAT = env.float("DISTOPS_TRANSFER_FREIGHT_FLAT", default=40.0)
DISTOPS_TRANSFER_FREIGHT_RATE = env.float("DISTOPS_TRANSFER_FREIGHT_RATE", default=0.03)
# Sanity ceiling of one decided action's amount (0 = none): above it a decision needs a reason and the next tier up
# (as does a quantity over 10x the engine's proposal).
DISTOPS_SPEND_CEILING = env.float("DISTOPS_SPEND_CEILING", default=1_000_000.0)

# The company currency: money is Decimal in the database, shown with this code.
DISTOPS_CURRENCY = env.str("DISTOPS_CURRENCY", default="USD")

STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [  # DRF's, with deep JSON a 400 (replenish/parsers.py)
        "replenish.parsers.SafeJSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Per-user and per-address request rates (429 with Retry-After past them); webhooks: per source and address.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_RATE_ANON", default="60/min"),
        "user": env.str("API_RATE_USER", default="1200/min"),
        "webhook": env.str("WEBHOOK_RATE", default="600/min"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "DistOps API",
    "DESCRIPTION": "Exceptions, recommendations and plans of the DistOps replenishment workbench.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.IsAuthenticated"],
}

# Celery: REDIS_URL unset -> tasks run in-process (eager); set -> real broker, workers and beat.
REDIS_URL = env.str("REDIS_URL", default="")
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or None
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Visibility timeout above the longest task (a plan chunk at full scale takes under a minute) and retry backoff cap.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = TIME_ZONE
# Schedules live in one place.
CELERY_BEAT_SCHEDULE = {
    "worker-heartbeat": {"task": "replenish.tasks.worker_heartbeat_task", "schedule": 300.0},
    "plan-refresh-nightly": {
        "task": "replenish.tasks.plan_refresh_task",
        "schedule": crontab(hour=2, minute=15),
    },
    # after the nightly plan: learn the service calibration the next night's plan applies (planning/calibration.py)
    "service-calibration-nightly": {
        "task": "replenish.tasks.service_calibration_task",
        "schedule": crontab(hour=3, minute=30),
    },
    "plan-runs-prune": {
        "task": "replenish.tasks.plan_runs_prune_task",
        "schedule": crontab(hour=5, minute=0),
    },
}

CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}
    if REDIS_URL
    else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
# With Redis, sessions are read from the cache and written through to the database (a query less per request,
# and the session survives a cache flush); without it, from the database as before.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db" if REDIS_URL else "django.contrib.sessions.backends.db"
)
# The signed-in user's groups and model permissions read from the cache (replenish.core.access): only with a cache
# every worker shares (Redis), since a change is announced by bumping a generation in that cache.
ACCESS_CACHE = bool(REDIS_URL)

# Production runs behind a TLS-terminating proxy that sets X-Forwarded-Proto (README, "Production"). SERVE_PLAIN_HTTP=1
# serves plain HTTP on a trusted network instead (no redirect to https, cookies not marked Secure, no HSTS): off by
# default, and `check --deploy` warns about it when on.
SERVE_PLAIN_HTTP = env.bool("SERVE_PLAIN_HTTP", default=False)
if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not SERVE_PLAIN_HTTP)
    SESSION_COOKIE_SECURE = not SERVE_PLAIN_HTTP
    CSRF_COOKIE_SECURE = not SERVE_PLAIN_HTTP
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if SERVE_PLAIN_HTTP else 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Integrations (integrations/erp/CONTRACT.md): ERP_ADAPTER names the adapter (loopback, rest, tryton); unset ->
# rest when ERP_BASE_URL is set, else the loopback (demo: postings are accepted locally). Every knob is read here
# from the environment (same name unless said); the reason for each default is in integrations/conf.py (which only
# reads these settings) and integrations/erp/tryton/conf.py.
DISTOPS_ERP_ADAPTER = env.str("ERP_ADAPTER", default="")
DISTOPS_ERP_URL = env.str("ERP_BASE_URL", default="")
DISTOPS_ERP_TOKEN = env.str("ERP_TOKEN", default="")
DISTOPS_TRYTON_URL = env.str("TRYTON_URL", default="")  # http://host:port/<database>/
DISTOPS_TRYTON_USER = env.str("TRYTON_USER", default="admin")
DISTOPS_TRYTON_PASSWORD = env.str("TRYTON_PASSWORD", default="")
DISTOPS_TRYTON_PO_STATE = env.str("TRYTON_PO_STATE", default="quotation")  # or draft
DISTOPS_TRYTON_PULL_OVERLAP_SECONDS = env.int("TRYTON_PULL_OVERLAP_SECONDS", default=60)
DISTOPS_TRYTON_SERVICE_TIER = env.str("TRYTON_SERVICE_TIER", default="STD")
DISTOPS_OUTBOX_LEASE_SECONDS = env.int("OUTBOX_LEASE_SECONDS", default=120)
DISTOPS_ERP_TIMEOUT = env.float("DISTOPS_ERP_TIMEOUT", default=10.0)
DISTOPS_ERP_PAGE_SIZE = env.int("DISTOPS_ERP_PAGE_SIZE", default=1000)
DISTOPS_OUTBOX_MAX_ATTEMPTS = env.int("DISTOPS_OUTBOX_MAX_ATTEMPTS", default=8)
DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS = env.float("DISTOPS_OUTBOX_BACKOFF_BASE_SECONDS", default=5.0)
DISTOPS_OUTBOX_BACKOFF_CAP_SECONDS = env.float("DISTOPS_OUTBOX_BACKOFF_CAP_SECONDS", default=600.0)
DISTOPS_OUTBOX_BATCH = env.int("DISTOPS_OUTBOX_BATCH", default=20)
DISTOPS_ERP_BREAKER_THRESHOLD = env.int("DISTOPS_ERP_BREAKER_THRESHOLD", default=5)
DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS = env.float("DISTOPS_ERP_BREAKER_COOLDOWN_SECONDS", default=60.0)
DISTOPS_ERP_PULL_RETRIES = env.int("DISTOPS_ERP_PULL_RETRIES", default=3)
DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS = env.float("DISTOPS_ERP_PULL_BACKOFF_BASE_SECONDS", default=0.5)
DISTOPS_EDI_QUALIFIER = env.str("DISTOPS_EDI_QUALIFIER", default="ZZ")
DISTOPS_EDI_SENDER_ID = env.str("DISTOPS_EDI_SENDER_ID", default="DISTOPS")
# TA1 interchange acknowledgements: "requested" (when the partner's ISA14 is 1), "errors" (also for every
# interchange with an envelope error), "always" or "never".
DISTOPS_EDI_TA1 = env.str("DISTOPS_EDI_TA1", default="requested")
# Hostile uploads (integrations/files/guard.py): what an XLSX may inflate to, the largest compression ratio of a
# part over 1 MB (real sheets compress 5-20x; a zip bomb 1000x), and its distinct text cells (openpyxl holds them all).
DISTOPS_XLSX_MAX_UNCOMPRESSED_MB = env.int("DISTOPS_XLSX_MAX_UNCOMPRESSED_MB", default=500)
DISTOPS_XLSX_MAX_RATIO = env.float("DISTOPS_XLSX_MAX_RATIO", default=100.0)
DISTOPS_XLSX_MAX_SHARED_STRINGS = env.int("DISTOPS_XLSX_MAX_SHARED_STRINGS", default=1_000_000)
# An inbox message still `received` this long after it arrived (a worker killed or timed out mid-processing) is
# processed again by the sweep (beat); after this many sweeps it is rejected with the reason.
DISTOPS_INBOX_STUCK_MINUTES = env.int("DISTOPS_INBOX_STUCK_MINUTES", default=15)
DISTOPS_INBOX_STUCK_SWEEPS = env.int("DISTOPS_INBOX_STUCK_SWEEPS", default=3)
DISTOPS_MAX_UNITS = env.int("DISTOPS_MAX_UNITS", default=10_000_000)
DISTOPS_LEAD_TIME_OUTLIER_DAYS = env.int("DISTOPS_LEAD_TIME_OUTLIER_DAYS", default=180)
# Exceptions: a refresh chunk creating more exceptions than this audits their creation in one batch event.
EXCEPTIONS_AUDIT_EACH_MAX = env.int("EXCEPTIONS_AUDIT_EACH_MAX", default=2_000)
CELERY_BEAT_SCHEDULE["integrations-outbox-relay"] = {
    "task": "integrations.tasks.outbox_relay_task",
    "schedule": 5.0,
}
CELERY_BEAT_SCHEDULE["integrations-inbox-sweep"] = {
    "task": "integrations.tasks.inbox_sweep_task",
    "schedule": 300.0,
}
CELERY_BEAT_SCHEDULE["integrations-erp-pull"] = {
    "task": "integrations.tasks.erp_pull_task",
    "schedule": 300.0,
}
# Workflows: dispatch the domain events recorded with an inbox apply whose dispatch a crash lost.
CELERY_BEAT_SCHEDULE["workflows-domain-event-sweep"] = {
    "task": "workflows.tasks.domain_events_sweep_task",
    "schedule": 60.0,
}
# Governance: daily KPI snapshot after the nightly plan, weekly acceptance-model retraining, drift checked daily but
# run once per calendar month (so a missed first-of-month still gets its report).
CELERY_BEAT_SCHEDULE["governance-kpi-snapshot"] = {
    "task": "governance.tasks.kpi_snapshot_task",
    "schedule": crontab(hour=4, minute=30),
}
CELERY_BEAT_SCHEDULE["governance-acceptance-retrain"] = {
    "task": "governance.tasks.acceptance_model_train_task",
    "schedule": crontab(day_of_week="sun", hour=3, minute=0),
}
# The audit chain's head, checkpointed outside the database once a day (replenish/core/checkpoints.py).
CELERY_BEAT_SCHEDULE["governance-audit-checkpoint"] = {
    "task": "governance.tasks.audit_checkpoint_task",
    "schedule": crontab(hour=23, minute=55),
}
CELERY_BEAT_SCHEDULE["governance-drift-monthly"] = {
    "task": "governance.tasks.drift_report_task",
    "schedule": crontab(hour=3, minute=30),
}
