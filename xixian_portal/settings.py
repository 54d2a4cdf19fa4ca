"""Settings of the Xixian Portal, driven by environment variables (see README.md).

Defaults run the portal with nothing but Python: SQLite under ``var/`` and Celery on kombu's
filesystem transport under ``var/celery``. Production sets ``DATABASE_URL``, ``REDIS_URL``,
``SECRET_KEY`` and ``DEBUG=0``.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from xixian_portal.env import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", True)

_DEV_SECRET_KEY = "dev-only-insecure-key-xixian-portal-never-use-in-production"
SECRET_KEY = env_str("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("生产环境（DEBUG=0）必须设置 SECRET_KEY 环境变量。")
    SECRET_KEY = _DEV_SECRET_KEY
elif not DEBUG and (len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured("SECRET_KEY 太弱：至少 50 个字符、5 种以上不同字符。")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("生产环境必须设置 ALLOWED_HOSTS（逗号分隔的域名）。")
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
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "axes",
    "csp",
    "tasks",
    "supervision",
    "reports",
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
    "csp.middleware.CSPMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Must stay last: it turns lockouts raised by the backend into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "xixian_portal.urls"
WSGI_APPLICATION = "xixian_portal.wsgi.application"

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

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("CONN_MAX_AGE", 600),
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "tasks.User"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Login brute-force protection: 5 failures per username and address, then a cool-off.
AXES_FAILURE_LIMIT = env_int("AXES_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("AXES_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "registration/lockout.html"
AXES_RESET_ON_SUCCESS = True
AXES_ENABLED = env_bool("AXES_ENABLED", True)

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
FORMAT_MODULE_PATH = ["xixian_portal.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)  # whitenoise warns on every request when it is missing
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = VAR_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
# Upload limits: the largest request body and the largest file kept in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
PLAN_UPLOAD_MAX_BYTES = env_int("PLAN_UPLOAD_MAX_BYTES", 5 * 1024 * 1024)

REDIS_URL = env_str("REDIS_URL", "")
# Every Redis client gives up after about a second, so that a dead Redis slows a page by that
# much at most instead of hanging it (redis-py waits forever by default).
REDIS_TIMEOUTS = {"socket_connect_timeout": 1, "socket_timeout": 1}
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "OPTIONS": REDIS_TIMEOUTS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when REDIS_URL is set, otherwise a real broker on the local filesystem so that
# `make run` needs no server. Jobs live in <app>/jobs.py; the beat schedule and its time zone are
# in xixian_portal/celery.py. Requests queue jobs through tasks.queueing.enqueue_on_commit.
#
# No job may run longer than the hard limit; the soft limit interrupts it a little earlier.
CELERY_TASK_TIME_LIMIT = 3600
CELERY_TASK_SOFT_TIME_LIMIT = 3300
# Redis hands a message that is not acknowledged within visibility_timeout to another worker.
# A late-acknowledged job is acknowledged when it ends, so the timeout must exceed the hard time
# limit, or a long job still running would be started a second time.
REDIS_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": 2 * CELERY_TASK_TIME_LIMIT,
    **REDIS_TIMEOUTS,
    # One connection attempt per publish: kombu's default sleeps 2 s before a second one. The
    # worker reconnects by its own loop (broker_connection_max_retries), which ignores this.
    "max_retries": 0,
}
CELERY_DIR = VAR_DIR / "celery"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    CELERY_BROKER_TRANSPORT_OPTIONS: dict = REDIS_BROKER_TRANSPORT_OPTIONS
else:
    for sub in ("out", "processed", "control"):
        (CELERY_DIR / sub).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_DIR / "out"),
        "data_folder_out": str(CELERY_DIR / "out"),
        "processed_folder": str(CELERY_DIR / "processed"),
        "control_folder": str(CELERY_DIR / "control"),
        "store_processed": False,
    }
# A request publishes once and gives up after broker_connection_timeout: what could not be
# queued is queued by the next scan. (Beat's entries ask for retries themselves: celery.py.)
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_TASK_PUBLISH_RETRY = False
# Worker and beat started before Redis wait for it instead of exiting.
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# No code reads a job's return value, so none is stored and there is no result backend (nor
# the daily celery.backend_cleanup entry beat would otherwise add for expiring results).
CELERY_TASK_IGNORE_RESULT = True
CELERY_RESULT_EXPIRES = None
# Acknowledge on receipt, except for the jobs that declare acks_late=True because they are
# idempotent (tasks/jobs.py, supervision/jobs.py): only those may run twice after a crash.
CELERY_TASK_ACKS_LATE = False
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

REST_FRAMEWORK = {
    # Token first: an anonymous API call then answers 401 with ``WWW-Authenticate: Token``.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "西咸新区营商环境督查督办平台 API",
    "DESCRIPTION": "行动方案、任务、单位与指标；单位用户只能读取与本单位有关的数据。",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "GroupKindEnum": "tasks.choices.GroupKind",
        "PlanStatusEnum": "tasks.choices.PlanStatus",
        "StatusEnum": "tasks.choices.FilingStatus",
        "UnitKindEnum": "tasks.choices.UnitKind",
    },
}

# Content security policy: everything is served by the portal itself, no inline script.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz/$"]  # the container health check speaks plain HTTP
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)

EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "portal@xixian.local")

# Monthly dispatch (月调度): reports are due on this working day of the following month; the
# annual work plan is due on this day of January; traffic-light thresholds in percentage points
# behind the time-elapsed expected progress (序时进度), and "due soon" in working days.
REPORT_DUE_WORKING_DAY = env_int("REPORT_DUE_WORKING_DAY", 5)
ANNUAL_PLAN_DUE_DAY_OF_JANUARY = env_int("ANNUAL_PLAN_DUE_DAY_OF_JANUARY", 31)
LIGHT_RED_BEHIND = env_int("LIGHT_RED_BEHIND", 30)
LIGHT_YELLOW_BEHIND = env_int("LIGHT_YELLOW_BEHIND", 10)
LIGHT_DUE_SOON_WORKING_DAYS = env_int("LIGHT_DUE_SOON_WORKING_DAYS", 3)
EVIDENCE_MAX_BYTES = env_int("EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
EVIDENCE_MAX_FILES = env_int("EVIDENCE_MAX_FILES", 20)
PORTAL_BASE_URL = env_str("PORTAL_BASE_URL", "http://127.0.0.1:8000")

# Ledgers (工作台账): a download of more rows than LEDGER_INLINE_MAX_ROWS is written by a
# background job and offered as a link; rows are read and written LEDGER_CHUNK_ROWS at a time
# (a fixed number of queries per chunk, memory bounded by the chunk).
LEDGER_INLINE_MAX_ROWS = env_int("LEDGER_INLINE_MAX_ROWS", 2000)
LEDGER_CHUNK_ROWS = env_int("LEDGER_CHUNK_ROWS", 50)
# A finished export (its file and its status page) is kept this many days, then deleted.
EXPORT_KEEP_DAYS = env_int("EXPORT_KEEP_DAYS", 7)

# Supervision (督查督办): the escalation ladder 提醒 → 催办 → 督办单 → 通报, in working days.
# 提醒 this many working days before a due date; 催办 on the due date; a 督办单 when an item is
# this many working days overdue, with a new deadline this many working days ahead; an item
# returned or rejected this many times is on the month's 通报. Report and annual-plan deadlines
# further back than LADDER_LOOKBACK_DAYS are no longer chased by the daily scan (the 通报 is).
LADDER_REMINDER_WORKING_DAYS = env_int("LADDER_REMINDER_WORKING_DAYS", 3)
LADDER_NOTICE_OVERDUE_WORKING_DAYS = env_int("LADDER_NOTICE_OVERDUE_WORKING_DAYS", 5)
LADDER_NOTICE_DEADLINE_WORKING_DAYS = env_int("LADDER_NOTICE_DEADLINE_WORKING_DAYS", 5)
LADDER_LOOKBACK_DAYS = env_int("LADDER_LOOKBACK_DAYS", 45)
BULLETIN_RETURNS = env_int("BULLETIN_RETURNS", 2)
FINDING_DEADLINE_WORKING_DAYS = env_int("FINDING_DEADLINE_WORKING_DAYS", 10)

# Dispatch reports (月调度报告): last month's report is built this many working days after its
# reports were due (1: the next working day); a queued or running build that has written no
# progress for this many minutes is taken for dead, and may be claimed again.
DISPATCH_REPORT_WORKING_DAYS_AFTER_DUE = env_int("DISPATCH_REPORT_WORKING_DAYS_AFTER_DUE", 1)
DISPATCH_REPORT_STALE_MINUTES = env_int("DISPATCH_REPORT_STALE_MINUTES", 15)

# Excel round-trip (Excel 批量填报): the largest template a unit may upload, the most rows read
# from it, the most bytes its zip may unpack to (a zip bomb is refused before it is opened),
# and how long a checked upload waits for its confirmation.
ROUNDTRIP_MAX_BYTES = env_int("ROUNDTRIP_MAX_BYTES", 2 * 1024 * 1024)
ROUNDTRIP_MAX_ROWS = env_int("ROUNDTRIP_MAX_ROWS", 500)
ROUNDTRIP_MAX_UNCOMPRESSED = env_int("ROUNDTRIP_MAX_UNCOMPRESSED", 20 * 1024 * 1024)
ROUNDTRIP_UPLOAD_TTL_HOURS = env_int("ROUNDTRIP_UPLOAD_TTL_HOURS", 24)
# An upload that was never saved (expired preview, file with errors) is deleted after this
# many days; a saved one stays, the record of what the file changed.
ROUNDTRIP_UNSAVED_KEEP_DAYS = env_int("ROUNDTRIP_UNSAVED_KEEP_DAYS", 7)

# The plan imported by `make run` and by `import_plan` without a path.
SEED_PLAN_PATH = BASE_DIR / "fixtures" / "plan_2020_2022.txt"
SEED_INDICATORS_PATH = BASE_DIR / "fixtures" / "plan_2020_2022_indicators.json"
UNIT_DIRECTORY_PATH = BASE_DIR / "fixtures" / "units.json"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {"axes": {"level": "WARNING"}},
}
