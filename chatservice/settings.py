"""One settings module for every environment, driven by environment variables.

Embedded defaults (no variables set) give a complete development setup: SQLite,
the in-memory channel layer, Celery in eager mode and e-mail to the console.
Production sets DATABASE_URL, REDIS_URL, DJANGO_SECRET_KEY and friends; see
docs/deployment.md.
"""

from pathlib import Path

import environ
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
)
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

# --- Core -------------------------------------------------------------------
# Production fails closed: a variable it needs that is missing or unsafe stops the
# process at start (naming the variable) instead of falling back to an embedded default.
ENVIRONMENT = env.str("CHATSERVICE_ENV", default="development")
if ENVIRONMENT not in ("development", "production"):
    # A typo such as "prod" must not quietly give the development defaults.
    raise environ.ImproperlyConfigured(
        f"CHATSERVICE_ENV must be 'development' or 'production', not {ENVIRONMENT!r}."
    )
PRODUCTION = ENVIRONMENT == "production"


def required_in_production(name: str) -> None:
    """Refuse to start in production when environment variable `name` is unset or empty."""
    if PRODUCTION and not env.str(name, default="").strip():
        raise environ.ImproperlyConfigured(
            f"{name} must be set when CHATSERVICE_ENV=production (docs/deployment.md)."
        )


for _name in (
    "DJANGO_SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "DJANGO_ALLOWED_HOSTS",
    "DJANGO_CSRF_TRUSTED_ORIGINS",
):
    required_in_production(_name)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
if PRODUCTION and DEBUG:
    raise environ.ImproperlyConfigured(
        "DJANGO_DEBUG must be off when CHATSERVICE_ENV=production: "
        "debug pages show settings and data."
    )
_DEV_SECRET = "dev-only-insecure-secret-key-change-me-in-production-0123456789"  # noqa: S105
SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=_DEV_SECRET)


def secret_key_weakness(key: str) -> str | None:
    """Why `key` is too weak to sign sessions and tokens, or None. The same bar as
    Django's deploy check security.W009 (length, distinct characters, no
    "django-insecure-" prefix), plus the development key of this file."""
    if key == _DEV_SECRET:
        return "it is the development key published in this repository"
    if len(key) < SECRET_KEY_MIN_LENGTH:
        return f"it is shorter than {SECRET_KEY_MIN_LENGTH} characters"
    if len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"it has fewer than {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different characters"
    if key.startswith(SECRET_KEY_INSECURE_PREFIX):
        return f"it starts with {SECRET_KEY_INSECURE_PREFIX!r}"
    return None


if PRODUCTION and (_weakness := secret_key_weakness(SECRET_KEY)):
    raise environ.ImproperlyConfigured(
        f"DJANGO_SECRET_KEY is too weak: {_weakness}. Generate one with: python -c "
        "'import secrets; print(secrets.token_urlsafe(50))'"
    )
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

DJANGO_APPS = [
    "daphne",
    # django.contrib.admin with a site that only administrators may enter.
    "staff.admin_site.AdminConfig",
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
    "django_celery_beat",
]
LOCAL_APPS = [
    "chatservice",
    "conversations",
    "identity",
    "attachments",
    "video",
    "callbacks",
    "surveys",
    "closing",
    "reports",
    "customers",
    "staff",
    "privacy",
    "crisis",
    "notify",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

MIDDLEWARE = [
    # A request id and, with LOG_REQUESTS, one log line per request (no personal data).
    "chatservice.requestlog.RequestLogMiddleware",
    # First: everything below sees the client's address in REMOTE_ADDR (TRUSTED_PROXY_COUNT).
    "chatservice.middleware.ClientAddressMiddleware",
    "chatservice.middleware.ContentSecurityPolicyMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Outside the session and auth middleware, whose database reads fail first in an outage.
    "chatservice.middleware.DatabaseUnavailableMiddleware",
    "chatservice.middleware.DemoAccountGuardMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # LocaleMiddleware; unprefixed staff pages follow the browser's language.
    "staff.locale.StaffLocaleMiddleware",
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
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # An unreachable server (packets dropped, not refused) must fail in seconds, not
    # after the operating system's TCP timeout: requests and sockets wait on it.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", env.int("DB_CONNECT_TIMEOUT", default=5)
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
    # channels-redis' pub/sub layer, publishing in pipelines (conversations.layers).
    return {
        "BACKEND": "conversations.layers.PipelinedRedisPubSubChannelLayer",
        "CONFIG": {"hosts": [url], "prefix": prefix},
    }


# Redis pub/sub channels are not separated by database number: two deployments (or
# test runs) sharing one Redis must use different prefixes.
CHANNEL_LAYER_PREFIX = env.str("CHANNEL_LAYER_PREFIX", default="chatservice")

if REDIS_URL:
    CHANNEL_LAYERS = {
        "default": redis_channel_layer(REDIS_URL, CHANNEL_LAYER_BACKEND, CHANNEL_LAYER_PREFIX)
    }
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "chatservice",
        }
    }
else:
    CHANNEL_LAYERS = {"default": {"BACKEND": "conversations.layers.SweepingInMemoryChannelLayer"}}
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
# Periodic sweeps. With a beat (production) they run as these tasks; without one
# (the embedded setup, eager Celery) the ASGI process runs them itself
# (chatservice/background.py). Every sweep is idempotent.
SWEEP_INTERVAL_SECONDS = env.int("SWEEP_INTERVAL_SECONDS", default=30)
CELERY_BEAT_SCHEDULE = {
    "close-waiting-in-closed-services": {
        "task": "conversations.tasks.close_waiting_in_closed_services",
        "schedule": 60.0,
    },
    "expire-resident-connections": {
        "task": "conversations.tasks.expire_resident_connections",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "abandon-ghost-residents": {
        "task": "conversations.tasks.abandon_ghost_residents",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
    "expire-staff-connections": {
        "task": "staff.tasks.expire_staff_connections",
        "schedule": float(SWEEP_INTERVAL_SECONDS),
    },
}
CELERY_BEAT_SCHEDULE["flag-idle-conversations"] = {
    "task": "closing.tasks.flag_idle_conversations",
    "schedule": 60.0,
}
# Beat keeps its schedule in the database (django-celery-beat): the entries above
# are synced there at start, the retention purge is a row of its own (admin: Periodic tasks).
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
RUN_SWEEPS_IN_PROCESS = env.bool("RUN_SWEEPS_IN_PROCESS", default=CELERY_TASK_ALWAYS_EAGER)
# Professionals may finish the queue this long after closing time.
WAITING_GRACE_AFTER_CLOSING_MINUTES = env.int("WAITING_GRACE_AFTER_CLOSING_MINUTES", default=15)

# --- Open sockets across processes (conversations.connections) ---------------
# Each ASGI process refreshes its connection rows this often (always in process)…
CONNECTION_HEARTBEAT_SECONDS = env.int("CONNECTION_HEARTBEAT_SECONDS", default=30)
# … and rows not refreshed for this long belong to a dead process and expire.
CONNECTION_STALE_SECONDS = env.int("CONNECTION_STALE_SECONDS", default=120)
if CONNECTION_STALE_SECONDS < 2 * CONNECTION_HEARTBEAT_SECONDS:
    raise environ.ImproperlyConfigured(
        "CONNECTION_STALE_SECONDS must be at least twice CONNECTION_HEARTBEAT_SECONDS."
    )
# A waiting resident whose page is gone keeps their place this long (a reload or a
# network blip), then the conversation leaves the queue as abandoned.
RESIDENT_GONE_GRACE_SECONDS = env.int("RESIDENT_GONE_GRACE_SECONDS", default=120)
# The in-process loop: heartbeat always, sweeps when RUN_SWEEPS_IN_PROCESS.
BACKGROUND_LOOP = env.bool("BACKGROUND_LOOP", default=True)

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
# URL names: reversed in the page's language (/fi/staff/ after a Finnish login).
LOGIN_REDIRECT_URL = "staff:dashboard"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = "username"
ACCOUNT_EMAIL_VERIFICATION = "none"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "chatservice"
# Accept the code of the neighbouring 30 s step too (RFC 6238 §5.2: clock drift and
# typing time); a code still works only once.
MFA_TOTP_TOLERANCE = 1
# Reusing a code inside its window is told apart from a wrong code.
MFA_FORMS = {
    "authenticate": "staff.forms.StaffAuthenticateForm",
    "reauthenticate": "staff.forms.StaffReauthenticateForm",
}
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_SESSION_REMEMBER = False
# Failed logins (allauth's limit, kept in the cache): 5 per e-mail address per
# 5 minutes and 10 per minute per client address.
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/300s/key"}
# allauth takes the address from REMOTE_ADDR, which ClientAddressMiddleware has
# already resolved; its own X-Forwarded-For handling stays off so that the header
# is not applied twice.
ALLAUTH_TRUSTED_PROXY_COUNT = 0
# Staff accounts are created by administrators; nobody signs up.
ACCOUNT_ADAPTER = "staff.adapters.StaffAccountAdapter"
# A staff session ends after this long without requests.
STAFF_IDLE_SECONDS = env.int("STAFF_IDLE_SECONDS", default=30 * 60)
# An open, visible dashboard with a live socket counts as activity, but only for
# this long after the professional's last input (then the idle timeout runs).
STAFF_MAX_UNATTENDED_SECONDS = env.int("STAFF_MAX_UNATTENDED_SECONDS", default=4 * 3600)
# Each staff socket re-checks its login session this often (logout and
# deactivation also close it at once; this catches expiry and the rest).
STAFF_SESSION_CHECK_SECONDS = env.float("STAFF_SESSION_CHECK_SECONDS", default=30)

# --- Sessions and security --------------------------------------------------
SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_AGE = env.int("SESSION_COOKIE_AGE", default=8 * 3600)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env.bool("SECURE_COOKIES", default=ENVIRONMENT == "production")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
# HTTPS only in production: plain-HTTP requests are redirected and browsers are told
# (HSTS) never to try HTTP again. HSTS covers this host and its own subdomains only
# (chat.county.fi → *.chat.county.fi), never the county's other sites.
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=PRODUCTION)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600 if PRODUCTION else 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is a decision for the county's registrable domain, not this service's.
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
# …so `check --deploy` does not remind of it (security.W021) while it is off on purpose.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]
# The load balancer and orchestrator probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$", r"^metrics$"]
# Reverse proxies in front of daphne, each appending the address it received the
# request from to X-Forwarded-For (nginx: proxy_add_x_forwarded_for). The client is
# the entry this many places from the right; anything further left was sent by the
# client and is ignored (conversations/clientaddr.py). 0: no proxy, the peer is the client.
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
if TRUSTED_PROXY_COUNT < 0:
    raise environ.ImproperlyConfigured("TRUSTED_PROXY_COUNT must be 0 or more.")
if TRUSTED_PROXY_COUNT:
    # TLS ends at the proxy, which must set (overwrite) X-Forwarded-Proto.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
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
EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
# An SMTP server that does not answer fails the attempt (the task retries) instead of hanging.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)

# --- After the conversation (closing/, surveys/, reports/) ---------------------
# The end screen's "send the conversation to my e-mail" works this long after the
# end, this many times per conversation and per address per day.
TRANSCRIPT_LINK_MINUTES = env.int("TRANSCRIPT_LINK_MINUTES", default=30)
TRANSCRIPT_MAX_PER_CONVERSATION = env.int("TRANSCRIPT_MAX_PER_CONVERSATION", default=3)
TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY = env.int("TRANSCRIPT_MAX_PER_ADDRESS_PER_DAY", default=10)
# The survey link works this long after the end (one answer per conversation).
SURVEY_LINK_DAYS = env.int("SURVEY_LINK_DAYS", default=7)
# An active conversation nobody has written in for this long is flagged to its professional.
CONVERSATION_IDLE_FLAG_MINUTES = env.int("CONVERSATION_IDLE_FLAG_MINUTES", default=15)
# The in-process loop runs the retention purge this often (production: the beat's
# schedule in the database, closing/migrations/0002_beat_schedule.py).
RETENTION_PURGE_INTERVAL_SECONDS = env.int("RETENTION_PURGE_INTERVAL_SECONDS", default=3600)

# --- Resident side -----------------------------------------------------------
# Other origins of the county's website that may embed the chat widget (frame-ancestors).
# The session cookie is SameSite=Lax: embedding works on the same site (e.g. www.county.fi
# embedding chat.county.fi), not across unrelated sites.
WIDGET_ALLOWED_ORIGINS = env.list("WIDGET_ALLOWED_ORIGINS", default=[])
# Conversations started per client address (IPv6: per /64) … generous because a
# library's or school's computers share one address; see customers/ratelimit.py.
INTAKE_RATE_LIMIT = env.int("INTAKE_RATE_LIMIT", default=20)
INTAKE_RATE_WINDOW_SECONDS = env.int("INTAKE_RATE_WINDOW_SECONDS", default=600)  # … per window
# A rejected form (CSRF) in the resident's look and language, also inside the panel.
CSRF_FAILURE_VIEW = "customers.errors.csrf_failure"
RESIDENT_IDLE_MINUTES = env.int("RESIDENT_IDLE_MINUTES", default=30)
PRIVACY_NOTICE_URL = env.str("PRIVACY_NOTICE_URL", default="/privacy/")

# --- Chat protocol limits ---------------------------------------------------
# Large enough for a browser's video offer (video.signal; up to 20,000 characters of SDP).
CHAT_MAX_FRAME_BYTES = env.int("CHAT_MAX_FRAME_BYTES", default=32768)
CHAT_MAX_MESSAGE_CHARS = env.int("CHAT_MAX_MESSAGE_CHARS", default=2000)
CHAT_SYNC_BATCH = 200
# Messages and notes per socket: a burst, then a steady rate (per conversation: twice these).
CHAT_RATE_BURST = env.float("CHAT_RATE_BURST", default=20)
CHAT_RATE_PER_SECOND = env.float("CHAT_RATE_PER_SECOND", default=2)

# --- Logging: no personal data; events carry ids and codes only ---------------
# "json": one JSON object per line (production default: for the log collector);
# "plain": one readable line (development). chatservice/jsonlog.py.
LOG_FORMAT = env.str("LOG_FORMAT", default="json" if PRODUCTION else "plain")
if LOG_FORMAT not in ("json", "plain"):
    raise environ.ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
# One line per HTTP request and per socket opened/closed (chatservice.requestlog),
# each with a request id (X-Request-ID from the proxy, or a new one).
LOG_REQUESTS = env.bool("LOG_REQUESTS", default=PRODUCTION)
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        # Both mask identity codes, e-mail addresses and phone numbers that reach a
        # log line anyway (chatservice.logfilters.mask_personal_data).
        "plain": {
            "()": "chatservice.logfilters.MaskingFormatter",
            "format": "%(asctime)s %(levelname)s %(name)s %(message)s",
        },
        "json": {"()": "chatservice.jsonlog.JsonFormatter"},
    },
    # channels-redis logs a traceback every second while Redis is down; the
    # filter turns that into the one-line outage log (conversations.outages).
    "filters": {
        "layer_outage": {"()": "conversations.outages.LayerReceiveFilter"},
        # An ordinary 4xx (403, 404, 400, a refused host) is one line; tracebacks
        # are for real errors.
        "client_errors_without_traceback": {"()": "chatservice.logfilters.ClientErrorFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["client_errors_without_traceback"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.channels.server": {"level": "WARNING"},
        "daphne": {"level": "WARNING"},
        # The request/socket lines (LOG_REQUESTS) whatever LOG_LEVEL says.
        "chatservice.requests": {"level": "INFO"},
        "channels_redis.pubsub": {"filters": ["layer_outage"]},
    },
}

# --- Identification (identity/, docs/identity.md) -----------------------------
# Strong identification in the middle of a chat. Development runs against the
# stand-in OpenID provider inside the app with keys of its own; production sets
# the provider, this service's keys and the keys for identity codes at rest.
IDENTITY_PROVIDERS = {
    "oidc": "identity.providers.oidc.OIDCProvider",
    "saml": "identity.providers.saml.SAMLProvider",
}
IDENTITY_PROVIDER = env.str("IDENTITY_PROVIDER", default="oidc")
if IDENTITY_PROVIDER not in IDENTITY_PROVIDERS:
    raise environ.ImproperlyConfigured(
        f"IDENTITY_PROVIDER must be one of {', '.join(IDENTITY_PROVIDERS)}, not {IDENTITY_PROVIDER!r}."
    )
# A professional's identification request (the resident's link) expires after this long.
IDENTIFICATION_REQUEST_MINUTES = env.int("IDENTIFICATION_REQUEST_MINUTES", default=10)

# --- Call-backs (callbacks/) -------------------------------------------------------
# After this many calls nobody answered, a call-back closes as not reached.
CALLBACK_MAX_ATTEMPTS = env.int("CALLBACK_MAX_ATTEMPTS", default=3)

# --- Video calls (video/) ----------------------------------------------------------
# How long the resident has to allow a requested call.
VIDEO_ANSWER_SECONDS = env.int("VIDEO_ANSWER_SECONDS", default=120)
# ICE servers handed to the two parties of a call. TURN credentials follow the
# TURN REST scheme (coturn `use-auth-secret` with the same `static-auth-secret`).
VIDEO_STUN_URLS = env.list("VIDEO_STUN_URLS", default=[])
VIDEO_TURN_URLS = env.list("VIDEO_TURN_URLS", default=[])
VIDEO_TURN_SECRET = env.str("VIDEO_TURN_SECRET", default="")
VIDEO_TURN_TTL_SECONDS = env.int("VIDEO_TURN_TTL_SECONDS", default=3600)
# The pre-call connection test against the server's own WebRTC peer.
VIDEO_CHECK_ENABLED = env.bool("VIDEO_CHECK_ENABLED", default=True)
VIDEO_CHECK_SECONDS = env.int("VIDEO_CHECK_SECONDS", default=30)
VIDEO_CHECK_MAX_CONCURRENT = env.int("VIDEO_CHECK_MAX_CONCURRENT", default=4)
CELERY_BEAT_SCHEDULE["expire-video-requests"] = {
    "task": "video.tasks.expire_video_requests",
    "schedule": float(SWEEP_INTERVAL_SECONDS),
}
if PRODUCTION and VIDEO_TURN_URLS and len(VIDEO_TURN_SECRET) < 32:
    raise environ.ImproperlyConfigured(
        "VIDEO_TURN_URLS needs VIDEO_TURN_SECRET (at least 32 characters)."
    )
# Identity codes at rest: Fernet keys, newest first (the first encrypts, all
# decrypt: rotation), and a separate secret for their keyed hashes.
IDENTITY_HETU_KEYS = env.list("IDENTITY_HETU_KEYS", default=[])
IDENTITY_HETU_HMAC_KEY = env.str("IDENTITY_HETU_HMAC_KEY", default="")
for _name in ("IDENTITY_HETU_KEYS", "IDENTITY_HETU_HMAC_KEY"):
    required_in_production(_name)
if PRODUCTION and len(IDENTITY_HETU_HMAC_KEY) < 32:
    raise environ.ImproperlyConfigured("IDENTITY_HETU_HMAC_KEY must be at least 32 characters.")
if PRODUCTION and IDENTITY_HETU_HMAC_KEY in IDENTITY_HETU_KEYS:
    raise environ.ImproperlyConfigured(
        "IDENTITY_HETU_HMAC_KEY must be a secret of its own, not one of IDENTITY_HETU_KEYS."
    )
# The stand-in OpenID provider (/identify/standin/): development and tests only.
IDENTITY_STANDIN_ENABLED = env.bool("IDENTITY_STANDIN", default=not PRODUCTION)
if PRODUCTION and IDENTITY_STANDIN_ENABLED:
    raise environ.ImproperlyConfigured(
        "IDENTITY_STANDIN must be off when CHATSERVICE_ENV=production: it identifies anybody."
    )
IDENTITY_STANDIN_SIGNING_ALG = env.str("IDENTITY_STANDIN_SIGNING_ALG", default="RS256")
# Which of the stand-in SAML identity provider's two published certificates signs (0 or 1).
IDENTITY_STANDIN_SAML_SIGNING_KEY = env.int("IDENTITY_STANDIN_SAML_SIGNING_KEY", default=0)
# Development keys (this service's and the stand-in's), generated on first use.
IDENTITY_DEV_KEY_FILE = env.str(
    "IDENTITY_DEV_KEY_FILE", default=str(BASE_DIR / "var" / "identity" / "dev-keys.json")
)
# The OpenID Connect relying party (FTN profile). Without an issuer, the stand-in
# at this site's own address is used (development only).
IDENTITY_OIDC_ISSUER = env.str("IDENTITY_OIDC_ISSUER", default="")
IDENTITY_OIDC_CLIENT_ID = env.str("IDENTITY_OIDC_CLIENT_ID", default="chatservice-dev")
# The callback address registered with the provider (…/identify/callback/); by
# default the requesting site's own.
IDENTITY_OIDC_REDIRECT_URI = env.str("IDENTITY_OIDC_REDIRECT_URI", default="")
# This service's private JWK Set (signing + encryption keys), as JSON or a file.
IDENTITY_OIDC_CLIENT_JWKS = env.str("IDENTITY_OIDC_CLIENT_JWKS", default="")
IDENTITY_OIDC_CLIENT_JWKS_FILE = env.str("IDENTITY_OIDC_CLIENT_JWKS_FILE", default="")
if PRODUCTION and IDENTITY_PROVIDER == "oidc":
    for _name in ("IDENTITY_OIDC_ISSUER", "IDENTITY_OIDC_CLIENT_ID", "IDENTITY_OIDC_REDIRECT_URI"):
        required_in_production(_name)
    if not (IDENTITY_OIDC_CLIENT_JWKS or IDENTITY_OIDC_CLIENT_JWKS_FILE):
        raise environ.ImproperlyConfigured(
            "IDENTITY_OIDC_CLIENT_JWKS or IDENTITY_OIDC_CLIENT_JWKS_FILE must be set when "
            "CHATSERVICE_ENV=production (docs/identity.md)."
        )
    for _name in ("IDENTITY_OIDC_ISSUER", "IDENTITY_OIDC_REDIRECT_URI"):
        if not env.str(_name).startswith("https://"):
            raise environ.ImproperlyConfigured(f"{_name} must be an https:// address.")
IDENTITY_OIDC_SCOPE = env.str("IDENTITY_OIDC_SCOPE", default="openid profile")
# Accepted (and requested) levels of assurance, as acr values; the providers' test
# level (urn:oid:1.2.246.517.3002.110.999) only with IDENTITY_ALLOW_TEST_LEVEL.
IDENTITY_OIDC_ACR_VALUES = env.list(
    "IDENTITY_OIDC_ACR_VALUES",
    default=[
        "http://ftn.ficora.fi/2017/loa3",
        "http://eidas.europa.eu/LoA/high",
        "http://ftn.ficora.fi/2017/loa2",
        "http://eidas.europa.eu/LoA/substantial",
    ],
)
IDENTITY_ALLOW_TEST_LEVEL = env.bool("IDENTITY_ALLOW_TEST_LEVEL", default=False)
if PRODUCTION and IDENTITY_ALLOW_TEST_LEVEL:
    raise environ.ImproperlyConfigured(
        "IDENTITY_ALLOW_TEST_LEVEL must be off when CHATSERVICE_ENV=production."
    )
# Claim names differ between providers: the personal identity code, and an
# identifier of people without one (eIDAS; empty: the ID token's `sub`).
IDENTITY_OIDC_HETU_CLAIM = env.str("IDENTITY_OIDC_HETU_CLAIM", default="hetu")
IDENTITY_OIDC_PERSON_ID_CLAIM = env.str("IDENTITY_OIDC_PERSON_ID_CLAIM", default="")
# Algorithm allow-lists (may be narrowed, never widened: identity.providers.oidc).
IDENTITY_OIDC_SIGNING_ALGS = env.list("IDENTITY_OIDC_SIGNING_ALGS", default=["RS256", "ES256"])
IDENTITY_OIDC_KEY_ENCRYPTION_ALGS = env.list(
    "IDENTITY_OIDC_KEY_ENCRYPTION_ALGS", default=["RSA-OAEP", "RSA-OAEP-256"]
)
IDENTITY_OIDC_CONTENT_ENCRYPTION_ALGS = env.list(
    "IDENTITY_OIDC_CONTENT_ENCRYPTION_ALGS", default=["A128GCM", "A256GCM"]
)
# The `aud` of our client assertion: "token_endpoint" (OpenID Connect Core 9) or "issuer".
IDENTITY_OIDC_ASSERTION_AUDIENCE = env.str(
    "IDENTITY_OIDC_ASSERTION_AUDIENCE", default="token_endpoint"
)
if IDENTITY_OIDC_ASSERTION_AUDIENCE not in ("token_endpoint", "issuer"):
    raise environ.ImproperlyConfigured(
        "IDENTITY_OIDC_ASSERTION_AUDIENCE must be 'token_endpoint' or 'issuer'."
    )
IDENTITY_OIDC_CLOCK_SKEW_SECONDS = env.int("IDENTITY_OIDC_CLOCK_SKEW_SECONDS", default=60)
IDENTITY_OIDC_METADATA_SECONDS = env.int("IDENTITY_OIDC_METADATA_SECONDS", default=3600)
IDENTITY_OIDC_JWKS_REFRESH_SECONDS = env.int("IDENTITY_OIDC_JWKS_REFRESH_SECONDS", default=60)
IDENTITY_HTTP_TIMEOUT_SECONDS = env.float("IDENTITY_HTTP_TIMEOUT_SECONDS", default=10)
# Factory of the relying party's HTTP client (tests route it to the stand-in's views).
IDENTITY_HTTP_CLIENT = "identity.providers.http.default_client"
# Suomi.fi e-Identification over SAML 2.0 (IDENTITY_PROVIDER=saml; docs/identity.md).
# Our public base address (https://chat.example.fi; default: the requesting
# site) and entityID (default: <base>/identify/saml/metadata/).
IDENTITY_SAML_BASE_URL = env.str("IDENTITY_SAML_BASE_URL", default="")
IDENTITY_SAML_ENTITY_ID = env.str("IDENTITY_SAML_ENTITY_ID", default="")
# Our private key and certificate (PEM files; one pair signs and decrypts).
# Development generates a self-signed pair under var/identity/saml/.
IDENTITY_SAML_KEY_FILE = env.str("IDENTITY_SAML_KEY_FILE", default="")
IDENTITY_SAML_CERT_FILE = env.str("IDENTITY_SAML_CERT_FILE", default="")
# The identity provider's metadata: a file or an https URL (cached); without
# either, the stand-in identity provider's (development only).
IDENTITY_SAML_IDP_METADATA_FILE = env.str("IDENTITY_SAML_IDP_METADATA_FILE", default="")
IDENTITY_SAML_IDP_METADATA_URL = env.str("IDENTITY_SAML_IDP_METADATA_URL", default="")
IDENTITY_SAML_IDP_ENTITY_ID = env.str("IDENTITY_SAML_IDP_ENTITY_ID", default="")
IDENTITY_SAML_METADATA_SECONDS = env.int("IDENTITY_SAML_METADATA_SECONDS", default=3600)
# Origins that may frame our logout endpoint (default: the IdP's, from its metadata).
IDENTITY_SAML_IDP_ORIGINS = env.list("IDENTITY_SAML_IDP_ORIGINS", default=[])
IDENTITY_SAML_AUTHN_CONTEXTS = env.list(
    "IDENTITY_SAML_AUTHN_CONTEXTS", default=IDENTITY_OIDC_ACR_VALUES
)
IDENTITY_SAML_CLOCK_SKEW_SECONDS = env.int("IDENTITY_SAML_CLOCK_SKEW_SECONDS", default=60)
# What our metadata says about us (Suomi.fi shows the names to the person).
IDENTITY_SAML_NAME_FI = env.str("IDENTITY_SAML_NAME_FI", default="Chat-palvelu")
IDENTITY_SAML_NAME_SV = env.str("IDENTITY_SAML_NAME_SV", default="Chattjänst")
IDENTITY_SAML_NAME_EN = env.str("IDENTITY_SAML_NAME_EN", default="Chat service")
IDENTITY_SAML_DESCRIPTION_FI = env.str(
    "IDENTITY_SAML_DESCRIPTION_FI", default="Sosiaali- ja terveyspalvelujen chat"
)
IDENTITY_SAML_DESCRIPTION_SV = env.str(
    "IDENTITY_SAML_DESCRIPTION_SV", default="Chatt för social- och hälsovårdstjänster"
)
IDENTITY_SAML_DESCRIPTION_EN = env.str(
    "IDENTITY_SAML_DESCRIPTION_EN", default="Social and health services chat"
)
IDENTITY_SAML_ORGANIZATION_FI = env.str("IDENTITY_SAML_ORGANIZATION_FI", default="Hyvinvointialue")
IDENTITY_SAML_ORGANIZATION_SV = env.str("IDENTITY_SAML_ORGANIZATION_SV", default="Välfärdsområde")
IDENTITY_SAML_ORGANIZATION_EN = env.str(
    "IDENTITY_SAML_ORGANIZATION_EN", default="Wellbeing services county"
)
IDENTITY_SAML_ORGANIZATION_URL = env.str("IDENTITY_SAML_ORGANIZATION_URL", default="")
IDENTITY_SAML_PRIVACY_URL = env.str("IDENTITY_SAML_PRIVACY_URL", default="")
IDENTITY_SAML_CONTACT_EMAIL = env.str("IDENTITY_SAML_CONTACT_EMAIL", default="")
if PRODUCTION and IDENTITY_PROVIDER == "saml":
    for _name in (
        "IDENTITY_SAML_BASE_URL",
        "IDENTITY_SAML_ENTITY_ID",
        "IDENTITY_SAML_KEY_FILE",
        "IDENTITY_SAML_CERT_FILE",
        "IDENTITY_SAML_CONTACT_EMAIL",
    ):
        required_in_production(_name)
    if not (IDENTITY_SAML_IDP_METADATA_FILE or IDENTITY_SAML_IDP_METADATA_URL):
        raise environ.ImproperlyConfigured(
            "IDENTITY_SAML_IDP_METADATA_FILE or IDENTITY_SAML_IDP_METADATA_URL must be set when "
            "CHATSERVICE_ENV=production (docs/identity.md)."
        )
    for _name in ("IDENTITY_SAML_BASE_URL", "IDENTITY_SAML_IDP_METADATA_URL"):
        if env.str(_name, default="") and not env.str(_name).startswith("https://"):
            raise environ.ImproperlyConfigured(f"{_name} must be an https:// address.")
CELERY_BEAT_SCHEDULE["expire-identification-requests"] = {
    "task": "identity.tasks.expire_identification_requests",
    "schedule": 60.0,
}

# --- Attachments (attachments/): files after identification ----------------------
# Allowed kinds, detected from the bytes (attachments/validation.py): pdf, jpeg,
# png, heic, text, docx, odt. Archives and executables are never allowed.
ATTACHMENT_TYPES = env.list(
    "ATTACHMENT_TYPES", default=["pdf", "jpeg", "png", "heic", "text", "docx", "odt"]
)
ATTACHMENT_MAX_BYTES = env.int("ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
ATTACHMENT_MAX_PER_CONVERSATION = env.int("ATTACHMENT_MAX_PER_CONVERSATION", default=20)
ATTACHMENT_MAX_CONVERSATION_BYTES = env.int(
    "ATTACHMENT_MAX_CONVERSATION_BYTES", default=50 * 1024 * 1024
)
# Images larger than this many pixels are refused (decompression bombs).
ATTACHMENT_MAX_IMAGE_PIXELS = env.int("ATTACHMENT_MAX_IMAGE_PIXELS", default=40_000_000)
# Upload attempts per conversation and party per window.
ATTACHMENT_RATE_LIMIT = env.int("ATTACHMENT_RATE_LIMIT", default=10)
ATTACHMENT_RATE_WINDOW_SECONDS = env.int("ATTACHMENT_RATE_WINDOW_SECONDS", default=300)
# Django's storage API: local disk outside the web root by default; an
# S3-compatible store by setting the backend (e.g. storages.backends.s3.S3Storage)
# and its options as JSON in ATTACHMENT_STORAGE_OPTIONS.
ATTACHMENT_ROOT = Path(env.str("ATTACHMENT_ROOT", default=str(MEDIA_ROOT / "attachments")))
ATTACHMENT_STORAGE = {
    "BACKEND": env.str(
        "ATTACHMENT_STORAGE_BACKEND", default="django.core.files.storage.FileSystemStorage"
    ),
    "OPTIONS": env.json("ATTACHMENT_STORAGE_OPTIONS", default={}),
}
# The malware scanner: "clamd" (ClamAV's daemon) or, in development only, "standin"
# (finds the EICAR test string only). Production fails closed: clamd or nothing.
ATTACHMENT_SCANNER = env.str("ATTACHMENT_SCANNER", default="clamd" if PRODUCTION else "standin")
if PRODUCTION and ATTACHMENT_SCANNER != "clamd":
    raise environ.ImproperlyConfigured(
        "ATTACHMENT_SCANNER must be 'clamd' when CHATSERVICE_ENV=production."
    )
# clamd's unix socket (Debian's default), or CLAMD_HOST/CLAMD_PORT for TCP.
CLAMD_SOCKET = env.str("CLAMD_SOCKET", default="/var/run/clamav/clamd.ctl")
CLAMD_HOST = env.str("CLAMD_HOST", default="")
CLAMD_PORT = env.int("CLAMD_PORT", default=3310)
CLAMD_TIMEOUT_SECONDS = env.float("CLAMD_TIMEOUT_SECONDS", default=30)

# --- Text messages (notify/; docs/deployment.md, "Text messages") ----------------
# "Text me when it's my turn". The gateway: "console" (prints the message with the
# number masked; development only), "http" (SMS_HTTP_URL), "off" (the intake does
# not offer it), or the dotted path of a class implementing notify.gateways.SmsGateway.
SMS_BACKEND = env.str("SMS_BACKEND", default="off" if PRODUCTION else "console")
if SMS_BACKEND == "":
    SMS_BACKEND = "off"
SMS_HTTP_URL = env.str("SMS_HTTP_URL", default="")
SMS_HTTP_USERNAME = env.str("SMS_HTTP_USERNAME", default="")
SMS_HTTP_PASSWORD = env.str("SMS_HTTP_PASSWORD", default="")
SMS_HTTP_TIMEOUT_SECONDS = env.float("SMS_HTTP_TIMEOUT_SECONDS", default=10)
# The sender the phone shows (an alphanumeric sender: at most 11 letters and digits).
SMS_SENDER = env.str("SMS_SENDER", default="Chat")
# Text messages per phone number per day, over all conversations (a keyed hash counts).
SMS_MAX_PER_NUMBER_PER_DAY = env.int("SMS_MAX_PER_NUMBER_PER_DAY", default=6)
# Where residents reach this service (the link back in a text message).
PUBLIC_BASE_URL = env.str(
    "PUBLIC_BASE_URL", default="" if PRODUCTION else "http://127.0.0.1:8000"
).rstrip("/")
if PRODUCTION and SMS_BACKEND == "console":
    raise environ.ImproperlyConfigured(
        "SMS_BACKEND=console only prints the messages: not when CHATSERVICE_ENV=production "
        "(http, or off)."
    )
if SMS_BACKEND == "http":
    if not SMS_HTTP_URL:
        raise environ.ImproperlyConfigured("SMS_BACKEND=http needs SMS_HTTP_URL.")
    if PRODUCTION:
        required_in_production("PUBLIC_BASE_URL")
        for _name in ("SMS_HTTP_URL", "PUBLIC_BASE_URL"):
            if not env.str(_name).startswith("https://"):
                raise environ.ImproperlyConfigured(f"{_name} must be an https:// address.")
CELERY_BEAT_SCHEDULE["notify-after-disconnect"] = {
    "task": "notify.tasks.notify_after_disconnect",
    "schedule": float(SWEEP_INTERVAL_SECONDS),
}

# --- Operations: metrics and shutdown (docs/deployment.md) ----------------------
# /metrics answers requests from these addresses (networks: 10.0.0.0/8) or with
# `Authorization: Bearer <METRICS_TOKEN>`; everyone else gets 404.
METRICS_ALLOWED_NETWORKS = env.list("METRICS_ALLOWED_NETWORKS", default=["127.0.0.1/32", "::1/128"])
METRICS_TOKEN = env.str("METRICS_TOKEN", default="")
if PRODUCTION and METRICS_TOKEN and len(METRICS_TOKEN) < 32:
    raise environ.ImproperlyConfigured("METRICS_TOKEN must be at least 32 characters.")
# On SIGTERM each server process closes its sockets with 4001 ("reconnect, to
# another server"), lets in-flight frames finish for up to this long, then stops.
SHUTDOWN_GRACE_SECONDS = env.float("SHUTDOWN_GRACE_SECONDS", default=5)
