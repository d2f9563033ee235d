"""One settings module for every deployment, read from the environment.

With nothing set, the portal runs embedded: SQLite in ``var/`` and a Celery broker on the local
file system, so a newcomer needs no services. ``DATABASE_URL`` and ``CELERY_BROKER_URL`` switch to
PostgreSQL and Redis for production and CI. See README.md for every variable.
"""

import importlib.util
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured

from governance.env import env_bool, env_int, env_list, env_str

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
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "mptt",
    "governance",
    "grids",
    "casework",
    "partybuilding",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "governance.changelog.ChangeContextMiddleware",
]

ROOT_URLCONF = "governance.urls"
WSGI_APPLICATION = "governance.wsgi.application"
AUTH_USER_MODEL = "governance.User"
# The node type that role assignments are scoped to (a subtree of the area tree).
SCOPE_AREA_MODEL = "grids.Area"
# The model field work files its findings and escalated hidden dangers as (grids names it only
# through this setting, as the core names the area model: cases are filed by a higher app).
FIELD_CASE_MODEL = "casework.Case"

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
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
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
if CACHE_URL:
    CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
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
CELERY_BEAT_SCHEDULE: dict = {
    "casework-scan-deadlines": {
        "task": "casework.tasks.scan_deadlines",
        "schedule": env_int("DEADLINE_SCAN_SECONDS", 30),
        "options": {"expires": 25},
    },
    "notifications-deliver-stale": {"task": "governance.tasks.deliver_stale", "schedule": 300},
    "casework-daily-digest": {
        "task": "casework.tasks.send_daily_digest",
        "schedule": crontab(hour=8, minute=30),
    },
    # Hidden-danger rectification limits are days long: a scan a minute is on time.
    "grids-scan-danger-deadlines": {
        "task": "grids.tasks.scan_danger_deadlines",
        "schedule": env_int("DANGER_SCAN_SECONDS", 60),
        "options": {"expires": 55},
    },
}

# --- Auth and sessions ----------------------------------------------------------------------
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG and bool(DATABASE_URL))
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

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
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- REST API -------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Grid governance portal API",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
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
        "DangerReminderKindEnum": "grids.models.DangerReminder.Kind",
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
        "ReminderKindEnum": "casework.deadline_models.Reminder.Kind",
        "DeadlineRequestKindEnum": "casework.deadline_models.DeadlineRequest.Kind",
        "DeadlineRequestStatusEnum": "casework.deadline_models.DeadlineRequest.Status",
        "SupervisionOrderStatusEnum": "casework.deadline_models.SupervisionOrder.Status",
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
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
