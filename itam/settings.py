"""ITAM settings: every value comes from the environment (django-environ).

See .env.example and docs/CONFIGURATION.md for the full list.
"""
import sys
from datetime import timedelta
from pathlib import Path

import environ
from corsheaders.defaults import default_headers
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Under pytest the default is "testing" (fast password hashing): pytest-django loads these
# settings before conftest.py can set the variable.
DJANGO_ENV = env.str("DJANGO_ENV", default="testing" if "pytest" in sys.modules else "development")
if DJANGO_ENV not in {"development", "production", "testing"}:
    raise ImproperlyConfigured(f"DJANGO_ENV must be development, production or testing, not {DJANGO_ENV!r}")
IS_PRODUCTION = DJANGO_ENV == "production"

DEBUG = env.bool("DEBUG", default=DJANGO_ENV == "development")

# Development keys are public on purpose; production refuses to start with them.
_DEV_SECRET_KEY = "dev-insecure-secret-key-change-me-in-production-0123456789"
_DEV_JWT_SECRET_KEY = "dev-insecure-jwt-secret-key-change-me-in-production-0123456789"
SECRET_KEY = env.str("SECRET_KEY", default=_DEV_SECRET_KEY)
JWT_SECRET_KEY = env.str("JWT_SECRET_KEY", default=_DEV_JWT_SECRET_KEY)
if IS_PRODUCTION:
    for _name, _value, _default in (
        ("SECRET_KEY", SECRET_KEY, _DEV_SECRET_KEY),
        ("JWT_SECRET_KEY", JWT_SECRET_KEY, _DEV_JWT_SECRET_KEY),
    ):
        if _value == _default or len(_value) < 50 or len(set(_value)) < 5:
            raise ImproperlyConfigured(f"{_name} must be set to a long random value in production.")
    if SECRET_KEY == JWT_SECRET_KEY:
        raise ImproperlyConfigured("JWT_SECRET_KEY must differ from SECRET_KEY.")

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[] if IS_PRODUCTION else ["127.0.0.1", "localhost", "[::1]", "testserver"])
CORS_ALLOWED_ORIGINS = env.list("CORS_ORIGINS", default=[])
CORS_URLS_REGEX = r"^/api(/.*)?$"  # the admin is same-origin only
CORS_ALLOW_HEADERS = (*default_headers, "x-request-id")
# Browser clients read these: request ids for support, Retry-After after a 429, file names.
CORS_EXPOSE_HEADERS = ["X-Request-ID", "Retry-After", "Content-Disposition"]
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Proxies whose X-Forwarded-For is believed (exact IPs or CIDR networks).
TRUSTED_PROXIES = env.list("TRUSTED_PROXIES", default=[])

INSTALLED_APPS = [
    "itam",  # the worker and scheduler commands; every app's tasks module
    "itam.apps.ITAMAdminConfig",  # django.contrib.admin with the ITAM site
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "corsheaders",
    "rest_framework",
    # DB-backed token revocation list (refresh rotation, logout): durable across processes.
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "django_tasks",
    "django_tasks_db",
    "accounts",
    "inventory",
    "audit",
    "webhooks",
]

MIDDLEWARE = [
    "itam.metrics.MetricsMiddleware",  # outermost: times and counts every request (/metrics)
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "itam.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "itam.urls"

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

WSGI_APPLICATION = "itam.wsgi.application"

# --- Database -------------------------------------------------------------------------
(BASE_DIR / "var" / "static").mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'var' / 'itam.sqlite3'}")}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several app processes write at once: WAL lets readers run beside the writer, the busy
    # timeout waits for the lock instead of failing, and IMMEDIATE takes the write lock at
    # BEGIN so two transactions never deadlock upgrading read locks.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "timeout": 30,
            "transaction_mode": "IMMEDIATE",
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
        }
    )
    # A file, not memory, so that tests can start real app processes against it.
    # SQLITE_TEST_DB lets parallel runs on one machine keep apart.
    DATABASES["default"].setdefault("TEST", {})["NAME"] = env.str(
        "SQLITE_TEST_DB", default=str(BASE_DIR / "var" / "test_itam.sqlite3")
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache: shared by every process (throttling, token revocation) ----------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL}}
else:
    # Django culls a third of this cache past MAX_ENTRIES (default 300): an attacker spraying
    # logins for many usernames could evict the throttle counter of the account under attack.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "itam_cache",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Background jobs (itam/jobs.py; docs/DEPLOYMENT.md) --------------------------------
# "database": jobs in the app's own database, run by `manage.py run_worker` (no other server).
# "rq": jobs in Redis (RQ_REDIS_URL, default REDIS_URL), for many workers on many machines.
TASK_BACKEND = env.str("TASK_BACKEND", default="database")
if TASK_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
elif TASK_BACKEND == "rq":
    RQ_REDIS_URL = env.str("RQ_REDIS_URL", default=REDIS_URL)
    if not RQ_REDIS_URL:
        raise ImproperlyConfigured("TASK_BACKEND=rq needs RQ_REDIS_URL or REDIS_URL.")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
    RQ_QUEUES = {"default": {"URL": RQ_REDIS_URL, "DEFAULT_TIMEOUT": 600}}
else:
    raise ImproperlyConfigured(f"TASK_BACKEND must be database or rq, not {TASK_BACKEND!r}")

# --- GPU reservations and e-mail (API.md §11) -----------------------------------------
RESERVATION_MAX_DAYS = env.int("RESERVATION_MAX_DAYS", default=30)
REMINDER_HOURS_BEFORE = env.int("REMINDER_HOURS_BEFORE", default=24)
# Notifications go through Django's e-mail backend: the console outside production, SMTP
# (EMAIL_HOST, EMAIL_PORT, EMAIL_HOST_USER, EMAIL_HOST_PASSWORD, EMAIL_USE_TLS) in it.
EMAIL_BACKEND = env.str(
    "EMAIL_BACKEND",
    default="django.core.mail.backends.smtp.EmailBackend" if IS_PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="itam@localhost")

# --- Webhooks (docs/API-NOTES.md "Webhooks") -------------------------------------------
# Private, loopback and link-local targets are refused unless this is on (development, tests).
WEBHOOK_ALLOW_PRIVATE = env.bool("WEBHOOK_ALLOW_PRIVATE", default=False)
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=10)
WEBHOOK_RETRY_BASE_SECONDS = env.int("WEBHOOK_RETRY_BASE_SECONDS", default=60)  # then x2 per retry

# --- Metrics (GET /metrics; docs/CONFIGURATION.md) -------------------------------------
# Scrapers send "Authorization: Bearer <METRICS_TOKEN>". Unset: open outside production, and
# no metrics at all in production (404).
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
if DJANGO_ENV == "testing":
    PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
ADMIN_USERNAME = env.str("ADMIN_USERNAME", default="" if IS_PRODUCTION else "admin")
ADMIN_PASSWORD = env.str("ADMIN_PASSWORD", default="" if IS_PRODUCTION else "admin123")

ACCESS_TOKEN_LIFETIME_MINUTES = env.int("ACCESS_TOKEN_LIFETIME_MINUTES", default=480)
REFRESH_TOKEN_LIFETIME_DAYS = env.int("REFRESH_TOKEN_LIFETIME_DAYS", default=30)
SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=ACCESS_TOKEN_LIFETIME_MINUTES),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=REFRESH_TOKEN_LIFETIME_DAYS),
    "ROTATE_REFRESH_TOKENS": True,
    "SIGNING_KEY": JWT_SECRET_KEY,
    "ALGORITHM": "HS256",
    "AUTH_HEADER_TYPES": ("Bearer",),
    "UPDATE_LAST_LOGIN": False,
    # Tokens carry a microsecond issue time (iat_us) and can be blacklisted (accounts.authentication).
    "AUTH_TOKEN_CLASSES": ("accounts.authentication.AccessToken",),
}
LOGIN_THROTTLE_RATE = env.str("LOGIN_THROTTLE_RATE", default="10/min")

# --- Internationalisation --------------------------------------------------------------
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

# --- Static files ----------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "var" / "static")
# Outside production WhiteNoise serves the apps' static files straight from their packages,
# so the admin and /api/docs are complete with DEBUG off and no collectstatic; production
# serves what collectstatic wrote (hashed names, compressed, cached for a year).
WHITENOISE_USE_FINDERS = not IS_PRODUCTION
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if IS_PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Request limits --------------------------------------------------------------------
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=2 * 1024 * 1024)
IMPORT_MAX_UPLOAD_BYTES = env.int("IMPORT_MAX_UPLOAD_BYTES", default=10 * 1024 * 1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = IMPORT_MAX_UPLOAD_BYTES + 1024 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2000

# --- Security (production) -------------------------------------------------------------
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=IS_PRODUCTION)
# Load balancers probe health over plain HTTP; a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^api/health/?$"]
# nginx sets X-Forwarded-Proto; only the proxy may reach gunicorn (docs/DEPLOYMENT.md).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
if IS_PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- REST framework --------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RevocableJWTAuthentication",
        "accounts.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["itam.api.renderers.EnvelopeRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "itam.api.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
        "rest_framework.parsers.FormParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "itam.api.pagination.PagePagination",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "itam.api.exceptions.envelope_exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DATETIME_FORMAT": "iso-8601",
    "COERCE_DECIMAL_TO_STRING": False,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "ITAM API",
    "DESCRIPTION": "IT asset management: datacenters, servers, containers, services, GPUs.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Every JSON response in the envelope, plus the error envelopes (itam/api/schema.py).
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "itam.api.schema.envelope_responses"],
    "ENUM_NAME_OVERRIDES": {
        "HealthStateEnum": "itam.api.system_views.HEALTH_STATES",
        # Four resources have a "status": one named enum each (else a check --deploy warning).
        "ServerStatusEnum": "inventory.choices.ServerStatus",
        "ContainerStatusEnum": "inventory.choices.ContainerStatus",
        "ServiceStatusEnum": "inventory.choices.ServiceStatus",
        "GPUStatusEnum": "inventory.choices.GPUStatus",
    },
    # The online validator badge would contact validator.swagger.io; /docs stays self-contained.
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "persistAuthorization": True, "validatorUrl": None},
}

# --- django-import-export / simple-history ---------------------------------------------
IMPORT_EXPORT_USE_TRANSACTIONS = True
IMPORT_EXPORT_SKIP_ADMIN_LOG = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
