"""One settings module for every deployment, read from the environment.

With nothing set, the portal runs embedded: SQLite in ``var/`` and a Celery broker on the local
file system, so a newcomer needs no services. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis for production and CI. See README.md for every variable.
"""

import importlib.util
import ssl
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from governance.env import (
    env_bool,
    env_header,
    env_int,
    env_list,
    env_lockout_parameters,
    env_rate,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent


def _package_static(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    return Path(spec.origin).parent / "static"


VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production"
DEBUG = env_bool("DEBUG", False)
# An empty SECRET_KEY counts as unset: it must not slip through as a valid key.
SECRET_KEY = env_str("SECRET_KEY") or DEV_SECRET_KEY
# Production means "not DEBUG and not explicitly told this is a development box".
ALLOW_DEV_SECRET_KEY = env_bool("ALLOW_DEV_SECRET_KEY", False)
if SECRET_KEY == DEV_SECRET_KEY and not (DEBUG or ALLOW_DEV_SECRET_KEY):
    raise ImproperlyConfigured(
        "SECRET_KEY is not set. Set SECRET_KEY (or SECRET_KEY_FILE) for production, "
        "or DEBUG=1 / ALLOW_DEV_SECRET_KEY=1 on a development machine."
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "governance.lockout.LoginLockoutConfig",
    "csp",
    "governance",
    "grids",
    "casework",
    "partybuilding",
]

MIDDLEWARE = [
    # The process caches' versions, read once per request for all of them (one Redis MGET).
    "governance.processcache.RequestVersionsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "governance.sessions.IdleSessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before anything reads the body (the CSRF check reads a posted form).
    "governance.limits.RequestBodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "governance.changelog.ChangeContextMiddleware",
    # Last, as django-axes asks: it turns a login refused for a lockout into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"
AUTH_USER_MODEL = "governance.User"
# The node type that role assignments are scoped to (a subtree of the area tree).
SCOPE_AREA_MODEL = "grids.Area"
# The model field work files its findings and escalated hidden dangers as (grids names it only
# through this setting, as the core names the area model: cases are filed by a higher app).
FIELD_CASE_MODEL = "casework.Case"
# The party-building demand (需求清单) a home visit's need may become (named the same way).
FIELD_DEMAND_MODEL = "partybuilding.Demand"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "governance.navigation.navigation",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
DATABASE_URL = env_str("DATABASE_URL", "")
DATABASE_PREPARED_STATEMENTS = env_bool("DATABASE_PREPARED_STATEMENTS", False)
DATABASE_PREPARE_THRESHOLD = env_int("DATABASE_PREPARE_THRESHOLD", 5)
# Behind a pooler in transaction mode (PgBouncer's pool_mode = transaction), each transaction may
# run on another server session: nothing may outlive a transaction there. Django's server-side
# cursors do (DECLARE … WITH HOLD, then FETCH: "cursor … does not exist"), so they are off and
# the long reads go by keys (governance.db.chunked); prepared statements do too (below).
DATABASE_TRANSACTION_POOLING = env_bool("DATABASE_TRANSACTION_POOLING", False)
# Only the reads of one case by its primary key prepared (governance.db.prepared_statements):
# their plan is the same whatever the values. Off by default behind a pooler in transaction mode
# (PgBouncer 1.21 and later with max_prepared_statements keeps them: turn them on there).
DATABASE_PREPARED_READS = env_bool("DATABASE_PREPARED_READS", not DATABASE_TRANSACTION_POOLING)
if DATABASE_URL:
    # Connections are kept a minute and checked before a request reuses one, so that a database
    # restart costs the requests that were running then, not every worker's next request.
    DATABASES = {
        "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    }
    if DATABASE_TRANSACTION_POOLING:
        DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    # Prepared statements (PostgreSQL only): parameters bound by the server, and a statement run
    # DATABASE_PREPARE_THRESHOLD times on a connection prepared there, so that PostgreSQL can
    # reuse a generic plan instead of planning it again (bench/RESULTS.md, "Planning above
    # execution"). Off by default (the embedded SQLite has none; a pooler in transaction mode —
    # PgBouncer before 1.21, or without max_prepared_statements — hands a prepared statement to
    # the wrong server session); on in the production example, deploy/portal.env.example.
    if DATABASE_PREPARED_STATEMENTS and "postgresql" in DATABASES["default"]["ENGINE"]:
        DATABASES["default"].setdefault("OPTIONS", {}).update(
            server_side_binding=True, prepare_threshold=DATABASE_PREPARE_THRESHOLD
        )
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "portal.sqlite3",
            # Web, worker and beat share this file: WAL lets readers run beside one writer, and
            # IMMEDIATE transactions take the write lock up front instead of failing half-way.
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL;PRAGMA foreign_keys=ON;"
                ),
            },
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache ----------------------------------------------------------------------------------
REDIS_URL = env_str("REDIS_URL", "")
CACHE_URL = env_str("CACHE_URL", REDIS_URL)
# Redis over TLS (rediss:// URLs, a managed Redis): its certificate is always checked, against
# the system's certificate authorities or the one in this file (PEM).
REDIS_TLS_CA_FILE = env_str("REDIS_TLS_CA_FILE", "")
if REDIS_TLS_CA_FILE and not Path(REDIS_TLS_CA_FILE).is_file():
    raise ImproperlyConfigured(f"REDIS_TLS_CA_FILE={REDIS_TLS_CA_FILE} is not a file.")
_REDIS_TLS = {"ssl_ca_certs": REDIS_TLS_CA_FILE} if REDIS_TLS_CA_FILE else {}
if CACHE_URL:
    # An unreachable Redis is a cache miss, not an error page (governance/cache.py); a hung one
    # costs a request at most a second.
    CACHES = {
        "default": {
            "BACKEND": "governance.cache.ResilientRedisCache",
            "LOCATION": CACHE_URL,
            "OPTIONS": {
                "socket_connect_timeout": 1,
                "socket_timeout": 1,
                **(_REDIS_TLS if CACHE_URL.startswith("rediss://") else {}),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# What every process must see alike (governance.cache.shared_cache): a background job's progress
# (written by the Celery worker, read by the web process) and the versions of the process caches
# (the calendar, a category's time limits). Never an in-process cache: Redis when there is one;
# without it (the embedded default: SQLite, filesystem broker) files under var/.
if CACHE_URL:
    CACHES["shared"] = {**CACHES["default"], "KEY_PREFIX": "shared"}
else:
    CACHES["shared"] = {
        "BACKEND": "governance.cache.FolderCache",
        "LOCATION": str(VAR_DIR / "cache" / "shared"),
    }

# --- Celery ---------------------------------------------------------------------------------
# "localhost" only keeps kombu from warning that no host was given; the transport ignores it.
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://localhost//")
if CELERY_BROKER_URL.startswith("filesystem://"):
    _broker_dir = VAR_DIR / "celery-broker"
    for sub in ("queue", "processed", "control"):
        (_broker_dir / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        # Broadcast (remote control) messages; kombu would otherwise write to ./control.
        "control_folder": str(_broker_dir / "control"),
        "store_processed": False,
    }
elif CELERY_BROKER_URL.startswith(("redis://", "rediss://")):
    # kombu's Redis transport with a channel that survives its connection being collected: a
    # Redis outage with a task in flight no longer ends the worker (governance/broker.py).
    CELERY_BROKER_TRANSPORT = "governance.broker:Transport"
    if CELERY_BROKER_URL.startswith("rediss://"):
        # A transport named here takes its TLS from this setting, not from the URL's scheme
        # (which alone would have kombu connect without checking the certificate).
        CELERY_BROKER_USE_SSL = {"ssl_cert_reqs": ssl.CERT_REQUIRED, **_REDIS_TLS}
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The deadline scan runs every 30 s, so a reminder shows in the portal within a minute of a case
# passing 75 % of its limit; the daily digest goes out at 8:30 (it skips days off itself).
# One queue name per deployment (tests give each run its own, so they share a Redis safely).
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_TASK_DEFAULT_QUEUE", "celery")
# Cases the scan locks and handles in one transaction; a reminder nobody was told of this many
# seconds after it was written lost its task and is enqueued again.
DEADLINE_SCAN_BATCH = env_int("DEADLINE_SCAN_BATCH", 200)
DEADLINE_RENOTIFY_SECONDS = env_int("DEADLINE_RENOTIFY_SECONDS", 60)
NOTIFY_STALE_SECONDS = env_int("NOTIFY_STALE_SECONDS", 120)
CELERY_BEAT_SCHEDULE: dict = {
    "casework-scan-deadlines": {
        "task": "casework.tasks.scan_deadlines",
        "schedule": env_int("DEADLINE_SCAN_SECONDS", 30),
        "options": {"expires": 25},
    },
    # Deliveries are the outbox: whatever is still pending after NOTIFY_STALE_SECONDS (the broker
    # was down when it was written, or its worker died) is enqueued again.
    "notifications-deliver-stale": {
        "task": "governance.tasks.deliver_stale",
        "schedule": env_int("NOTIFY_SWEEP_SECONDS", 300),
    },
    "casework-daily-digest": {
        "task": "casework.tasks.send_daily_digest",
        "schedule": crontab(hour=8, minute=30),
    },
    # Photos uploaded while a case was being written and never filed.
    "casework-clear-photo-drafts": {
        "task": "casework.tasks.clear_photo_drafts",
        "schedule": 3600,
        "options": {"expires": 3000},
    },
    # Expired case exports are deleted with their files; lost ones are started again.
    "casework-sweep-exports": {
        "task": "casework.tasks.sweep_case_exports",
        "schedule": env_int("CASE_EXPORT_SWEEP_SECONDS", 600),
        "options": {"expires": 500},
    },
    # The statistics rollups take in the cases changed since the last run (a read takes in what
    # is left, so a short interval keeps the dashboards quick under heavy filing).
    "casework-stats-rollup": {
        "task": "casework.tasks.stats_rollup_catch_up",
        "schedule": env_int("STATS_ROLLUP_SECONDS", 60),
        "options": {"expires": 55},
    },
    # Last month's assessment is frozen on the 1st, after midnight's last cases are in.
    "casework-freeze-assessment": {
        "task": "casework.tasks.freeze_assessment_month",
        "schedule": crontab(day_of_month=1, hour=0, minute=30),
    },
    # Hidden-danger rectification limits are days long: a scan a minute is on time.
    "grids-scan-danger-deadlines": {
        "task": "grids.tasks.scan_danger_deadlines",
        "schedule": env_int("DANGER_SCAN_SECONDS", 60),
        "options": {"expires": 55},
    },
    # Import jobs whose message was lost (the broker was down) or whose worker died.
    "grids-resume-import-jobs": {
        "task": "grids.tasks.resume_import_jobs",
        "schedule": 120,
        "options": {"expires": 110},
    },
}

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "governance.tokens.RevokeTokensOnPasswordChange"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
# A session ends after this much inactivity (the session store expires it; every request pushes
# the expiry back, see governance/sessions.py).
SESSION_IDLE_MINUTES = env_int("SESSION_IDLE_MINUTES", 30)
SESSION_COOKIE_AGE = SESSION_IDLE_MINUTES * 60
# With Redis, a session is read from a copy in the cache, kept at most this many seconds: a
# logout while Redis cannot be reached leaves the copy, and it could be served for at most this
# long once Redis is back (governance/sessions.py). 0: every session read from the database,
# as without Redis (the embedded default: a per-process cache would keep a logged-out copy in
# the other processes).
SESSION_CACHE_SECONDS = env_int("SESSION_CACHE_SECONDS", 60)
if CACHE_URL and SESSION_CACHE_SECONDS > 0:
    SESSION_ENGINE = "governance.sessions"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and bool(DATABASE_URL))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# Personal API tokens expire this many days after issue (0: never).
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
# A user keeps at most this many; a new one replaces the one unused the longest.
API_TOKEN_MAX_PER_USER = env_int("API_TOKEN_MAX_PER_USER", 20)

# Login lockout (django-axes) on the portal's and the admin's login pages and the API's token
# login: after LOGIN_FAILURE_LIMIT failures of one user from one address (LOGIN_LOCKOUT_BY),
# further logins are refused for LOGIN_LOCKOUT_MINUTES (0: until an admin unlocks them in the
# admin's "access attempts"). A lockout also revokes the user's API tokens.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    # Django's, with the user of a session kept per process (governance/auth.py).
    "governance.auth.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
_lockout_minutes = env_int("LOGIN_LOCKOUT_MINUTES", 30)
AXES_COOLOFF_TIME = timedelta(minutes=_lockout_minutes) if _lockout_minutes else None
AXES_LOCKOUT_PARAMETERS = env_lockout_parameters("LOGIN_LOCKOUT_BY", "username+ip_address")
AXES_RESET_ON_SUCCESS = True
# No banner on every start: the lockout settings are in the README and the admin.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "governance.account_views.locked_out"

# --- HTTPS and the proxy in front -----------------------------------------------------------
# Behind a TLS-terminating proxy: SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto: https" (the
# proxy must set that header itself and drop a client's), and TRUSTED_PROXY_COUNT proxies append
# to X-Forwarded-For, from which the client address for lockouts and rate limits is read.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
SECURE_PROXY_SSL_HEADER = env_header("SECURE_PROXY_SSL_HEADER")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
AXES_CLIENT_IP_CALLABLE = "governance.lockout.client_address"

# --- Internationalization -------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------
STATIC_URL = "static/"
# Leaflet comes from the django-leaflet wheel; only its static files are used (its widgets need
# GDAL, so the app itself is not installed).
STATICFILES_DIRS = [BASE_DIR / "static", ("vendor", _package_static("leaflet"))]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")))
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))
# Photos chosen on the filing form are uploaded at once and kept this long if never filed.
PHOTO_DRAFT_HOURS = env_int("PHOTO_DRAFT_HOURS", 24)
# Large case exports are written by a worker and kept this long for their owner to download.
CASE_EXPORT_HOURS = env_int("CASE_EXPORT_HOURS", 24)
# A running export that has written nothing for this long lost its worker: it starts again.
CASE_EXPORT_STALE_SECONDS = env_int("CASE_EXPORT_STALE_SECONDS", 600)
# In production collectstatic writes every static file with a hash in its name (served with a
# year's caching) and gzip/brotli copies (WhiteNoise's compressed manifest storage); a checkout
# that serves straight from the source folders (make run, the tests) leaves it off.
STATIC_MANIFEST = env_bool("STATIC_MANIFEST", False)
# Uploaded files are never served from MEDIA_URL: a view checks the record's scope first
# (governance.files). It sends the file itself ("django"), or tells the web server to
# ("x-accel-redirect" for nginx: an ``internal`` location at PROTECTED_FILES_PREFIX aliased to
# MEDIA_ROOT; "x-sendfile" for Apache's mod_xsendfile and lighttpd).
PROTECTED_FILES_SERVER = env_str("PROTECTED_FILES_SERVER", "django").strip().lower()
if PROTECTED_FILES_SERVER not in ("django", "x-accel-redirect", "x-sendfile"):
    raise ImproperlyConfigured(
        f"PROTECTED_FILES_SERVER={PROTECTED_FILES_SERVER!r}: use django, x-accel-redirect or "
        "x-sendfile"
    )
PROTECTED_FILES_PREFIX = env_str("PROTECTED_FILES_PREFIX", "/protected/")
# Request bodies (governance.limits): forms and JSON up to 2.5 MB (Django's default, applied to
# API bodies too), uploads up to nine 10 MB photos and the rest of the form; files per request.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 2_621_440)
MAX_UPLOAD_BODY = env_int("MAX_UPLOAD_BODY", 92 * 1024 * 1024)
DATA_UPLOAD_MAX_NUMBER_FILES = 10
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if STATIC_MANIFEST
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not STATIC_MANIFEST

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    # The token first: a caller without credentials gets 401 with "WWW-Authenticate: Token".
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "governance.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    # JSON only: people read the API in its docs (/api/v1/docs/). DRF's browsable pages style
    # their layout inline, which the Content-Security-Policy refuses.
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    # DRF's parsers, with a JSON parser that refuses deeply nested documents (a 400, not a 500).
    "DEFAULT_PARSER_CLASSES": [
        "governance.api.parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    # Requests per client address (anonymous), per user, and token logins per address.
    "DEFAULT_THROTTLE_RATES": {
        "anon": env_rate("API_THROTTLE_ANON", "60/minute"),
        "user": env_rate("API_THROTTLE_USER", "1200/minute"),
        "login": env_rate("API_THROTTLE_LOGIN", "10/minute"),
    },
    # 0, not None: without a proxy DRF would otherwise take X-Forwarded-For as the client sends it.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
    "EXCEPTION_HANDLER": "governance.api.errors.exception_handler",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "governance.api.schema.PortalAutoSchema",
}
# The schema and its docs need a signed-in user unless API_DOCS_PUBLIC is set.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid governance portal API",
    "VERSION": "1",
    "DESCRIPTION": (
        "Sign in with a session (the portal's pages) or `Authorization: Token <key>` "
        "(`POST /api/v1/auth/token/`). Every error is an `Error` object: `code` for programs, "
        "`message` in the caller's language, `fields` with the messages per input field; a "
        "method an endpoint lacks answers 405 in the same shape. The big lists (cases, case events, "
        "changes, notifications) are paged by `cursor` (follow `next`), newest first; cases, "
        "case events and changes take `updated_after` for an incremental feed, oldest change "
        "first."
    ),
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "governance.api.docs.local_times",
    ],
    # One name per choice set, so that the schema's enums read well across the apps.
    "ENUM_NAME_OVERRIDES": {
        "CalendarDayKindEnum": "governance.models.calendar.CalendarDay.Kind",
        "ChangeActionEnum": "governance.models.changes.ObjectChange.Action",
        "ChangeInterfaceEnum": "governance.models.changes.ObjectChange.Interface",
        "DepartmentKindEnum": "governance.models.people.Department.Kind",
        "RoleEnum": "governance.models.roles.Role",
        "DeliveryStatusEnum": "governance.models.notifications.Delivery.Status",
        "AreaKindEnum": "grids.models.AreaKind",
        "StaffPositionEnum": "grids.models.StaffPosition",
        "DangerCategoryEnum": "grids.models.DangerCategory",
        "DangerStateEnum": "grids.models.DangerState",
        "DangerStageEnum": "grids.models.DangerStage",
        "MobilizationKindEnum": "grids.models.MobilizationKind",
        "CheckUnitEnum": "grids.models.CheckUnit",
        "MobilizationStatusEnum": "grids.models.TaskStatus",
        "TargetStatusEnum": "grids.models.TargetStatus",
        "CapacityEnum": "grids.models.Capacity",
        "CasePriorityEnum": "casework.models.Priority",
        "CaseStageEnum": "casework.models.Stage",
        "CaseStatusEnum": "casework.models.Status",
        "CaseHolderEnum": "casework.models.Holder",
        "CaseSourceEnum": "casework.models.Source",
        "SatisfactionEnum": "casework.models.Satisfaction",
        "AttachmentKindEnum": "casework.models.Attachment.Kind",
        # Case and hidden-danger reminders share one choice set, hence one enum.
        "ReminderKindEnum": "casework.deadlines.models.Reminder.Kind",
        "DeadlineRequestKindEnum": "casework.deadlines.models.DeadlineRequest.Kind",
        "DeadlineRequestStatusEnum": "casework.deadlines.models.DeadlineRequest.Status",
        "SupervisionOrderStatusEnum": "casework.deadlines.models.SupervisionOrder.Status",
        "ServiceTypeEnum": "partybuilding.models.common.ServiceType",
        "OrganizationKindEnum": "partybuilding.models.organizations.OrganizationKind",
        "PostPositionEnum": "partybuilding.models.organizations.PostPosition",
        "MemberStatusEnum": "partybuilding.models.organizations.MemberStatus",
        "DualReportKindEnum": "partybuilding.models.organizations.ReportKind",
        "DualReportStatusEnum": "partybuilding.models.organizations.ReportStatus",
        "UnitKindEnum": "partybuilding.models.cogovernance.UnitKind",
        "AgreementStatusEnum": "partybuilding.models.cogovernance.AgreementStatus",
        "DemandSourceEnum": "partybuilding.models.cogovernance.DemandSource",
        "DemandStatusEnum": "partybuilding.models.cogovernance.DemandStatus",
        "ResourceKindEnum": "partybuilding.models.cogovernance.ResourceKind",
        "ProjectStatusEnum": "partybuilding.models.cogovernance.ProjectStatus",
        "ProjectKindEnum": "partybuilding.models.cogovernance.ProjectKind",
        "WishStatusEnum": "partybuilding.models.cogovernance.WishStatus",
        "ActivityStatusEnum": "partybuilding.models.volunteers.ActivityStatus",
        "ParticipationStatusEnum": "partybuilding.models.volunteers.ParticipationStatus",
        "MeetingKindEnum": "partybuilding.models.meetings.MeetingKind",
        "MeetingStatusEnum": "partybuilding.models.meetings.MeetingStatus",
    },
}

# --- Maps -----------------------------------------------------------------------------------
# No outside tiles by default: the map draws boundaries on a plain background. A deployment with
# its own tile server (or a licensed provider) sets MAP_TILE_URL, e.g. https://tiles.example/{z}/{x}/{y}.png
MAP_TILE_URL = env_str("MAP_TILE_URL", "")
MAP_TILE_ATTRIBUTION = env_str("MAP_TILE_ATTRIBUTION", "")

# --- Content-Security-Policy ----------------------------------------------------------------
# No inline script or style and no eval anywhere, the admin and the API docs included: a
# handler that slips into a page cannot run. Scripts and styles come from the portal's own
# static files; images may also be data: (icons), blob: (photo previews) and map tiles.
_tiles = urlsplit(MAP_TILE_URL.replace("{s}", "*"))
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"]
        + ([f"{_tiles.scheme}://{_tiles.netloc}"] if _tiles.netloc else []),
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    },
}

# --- Email ----------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST", "")
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 587)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@localhost")
# Outside channels notifications go out on (see governance/notifications.py); the links in them
# start with PORTAL_BASE_URL.
NOTIFICATION_CHANNELS = env_list("NOTIFICATION_CHANNELS", ["email"])
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"client_errors_brief": {"()": "governance.log.ClientErrorsBrief"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["client_errors_brief"]}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}

# --- Public intake and webhooks -------------------------------------------------------------
# Open311 service discovery: how to reach the API's maintainers and how to get an API key
# (empty: a generic sentence in the reader's language).
OPEN311_CONTACT = env_str("OPEN311_CONTACT", "")
OPEN311_KEY_SERVICE = env_str("OPEN311_KEY_SERVICE", "")
# The notification channel that sends residents their verification codes (see README).
RESIDENT_CODE_CHANNEL = env_str("RESIDENT_CODE_CHANNEL", "sms")
# A failed webhook is tried again after this many seconds, doubling each time.
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 30)
# Webhook deliveries are an outbox too: one whose next try is this overdue lost its task and is
# enqueued again by the sweep.
WEBHOOK_STALE_SECONDS = env_int("WEBHOOK_STALE_SECONDS", 60)
CELERY_BEAT_SCHEDULE["webhooks-resend-due"] = {
    "task": "governance.tasks.resend_due_webhooks",
    "schedule": env_int("WEBHOOK_SWEEP_SECONDS", 60),
}
