"""One settings module for every environment, driven by environment variables.

Embedded defaults (no variables set) give a complete development setup: SQLite,
the in-memory channel layer, Celery in eager mode and e-mail to the console.
Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY and friends; see
docs/deployment.md.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------
ENVIRONMENT = env.str("CHATSERVICE_ENV", default="development")
DEBUG = env.bool("DJANGO_DEBUG", default=False)
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET)
if ENVIRONMENT == "production" and SECRET_KEY == _DEV_SECRET:
    raise environ.ImproperlyConfigured("Set DJANGO_SECRET_KEY in production.")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

DJANGO_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]
THIRD_PARTY_APPS = [
    "channels",
    "allauth",
    "allauth.account",
    "allauth.mfa",
]
LOCAL_APPS = [
    "chatservice",
    "conversations",
    "identity",
    "video",
    "surveys",
    "customers",
    "staff",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    "chatservice.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "staff.middleware.StaffSecurityMiddleware",
]

ROOT_URLCONF = "chatservice.urls"
ASGI_APPLICATION = "chatservice.asgi.application"
AUTH_USER_MODEL = "staff.User"

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
                "customers.context_processors.languages",
            ],
        },
    },
]

# --- Database ---------------------------------------------------------------
# SQLite: IMMEDIATE transactions so that concurrent writers queue on the lock
# instead of failing on upgrade; WAL so readers never block the writer.
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        }
    )
# Persistent connections: consumers reach the database through one worker
# thread, and reconnecting on every call would dominate the message path.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=600)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis: channel layer, cache, Celery -------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# "pubsub" (RedisPubSubChannelLayer) or "core" (RedisChannelLayer); see docs/benchmarks.md.
CHANNEL_LAYER_BACKEND = env.str("CHANNEL_LAYER_BACKEND", default="pubsub")


def redis_channel_layer(url: str, backend: str, prefix: str = "chatservice") -> dict:
    """Channel layer settings for Redis.

    redis-py 8 caps its async pool at 100 connections and raises instead of
    waiting; with the core layer that crashes consumers past ~100 concurrent
    group sends, so the cap is lifted explicitly.
    """
    if backend == "core":
        return {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "max_connections": 1000}],
                "prefix": prefix,
                "capacity": 1000,
            },
        }
    return {
        "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
        "CONFIG": {"hosts": [url], "prefix": prefix},
    }


if REDIS_URL:
    CHANNEL_LAYERS = {"default": redis_channel_layer(REDIS_URL, CHANNEL_LAYER_BACKEND)}
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chatservice",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "memory://")
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_TIMEZONE = "Europe/Helsinki"
CELERY_BEAT_SCHEDULE = {
    "close-waiting-in-closed-services": {
        "task": "conversations.tasks.close_waiting_in_closed_services",
        "schedule": 300.0,
    },
}
# Professionals may finish the queue this long after closing time.
WAITING_GRACE_AFTER_CLOSING_MINUTES = env.int("WAITING_GRACE_AFTER_CLOSING_MINUTES", default=15)

# --- Auth -------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/staff/"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "chatservice"
# Accept the code of the neighbouring 30 s step too (RFC 6238 §5.2: clock drift and
# typing time); a code still works only once.
MFA_TOTP_TOLERANCE = 1
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
# Failed logins (allauth's limit, kept in the cache): 5 per e-mail address per
# 5 minutes and 10 per minute per client address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# Staff accounts are created by administrators; nobody signs up.
ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
# A staff session ends after this long without requests.
STAFF_IDLE_SECONDS = env.int("STAFF_IDLE_SECONDS", default=30 * 60)

# --- Sessions and security --------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=ENVIRONMENT == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"  # the widget's pages opt out; CSP frame-ancestors rules them

# --- i18n -------------------------------------------------------------------
LANGUAGE_CODE = "sv"
LANGUAGES = [("sv", _("Swedish")), ("fi", _("Finnish")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Helsinki"
USE_I18N = True
USE_TZ = True

# --- Static and media -------------------------------------------------------
STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# Uploads live outside the web root and are served only through views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(BASE_DIR / "var" / "media")))
# daphne serves static files itself in the embedded setup; production puts a proxy in front.
SERVE_STATIC = env.bool("SERVE_STATIC", default=True)

# --- E-mail -----------------------------------------------------------------
EMAIL_BACKEND = env.str("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = env.str("EMAIL_HOST", default="localhost")
EMAIL_PORT = env.int("EMAIL_PORT", default=25)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="chat@example.invalid")

# --- Resident side -----------------------------------------------------------
# Other origins of the county's website that may embed the chat widget (frame-ancestors).
# The session cookie is SameSite=Lax: embedding works on the same site (e.g. www.county.fi
# embedding chat.county.fi), not across unrelated sites.
WIDGET_ALLOWED_ORIGINS = env.list("WIDGET_ALLOWED_ORIGINS", default=[])
INTAKE_RATE_LIMIT = env.int("INTAKE_RATE_LIMIT", default=5)  # conversations per address …
INTAKE_RATE_WINDOW_SECONDS = env.int("INTAKE_RATE_WINDOW_SECONDS", default=600)  # … per window
RESIDENT_IDLE_MINUTES = env.int("RESIDENT_IDLE_MINUTES", default=30)
PRIVACY_NOTICE_URL = env.str("PRIVACY_NOTICE_URL", default="/privacy/")

# --- Chat protocol limits ---------------------------------------------------
CHAT_MAX_FRAME_BYTES = env.int("CHAT_MAX_FRAME_BYTES", default=8192)
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
CHAT_SYNC_BATCH = 200

# --- Logging: no personal data; events carry ids and codes only ---------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
    },
}
