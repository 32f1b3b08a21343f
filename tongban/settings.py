"""Tongban settings: every deployment-specific value comes from the environment.

| variable              | default (demo/debug)                   | meaning                                    |
|-----------------------|----------------------------------------|--------------------------------------------|
| TONGBAN_DEMO          | 0                                      | 1 = demo mode: insecure defaults allowed   |
| DEBUG                 | 0                                      | Django debug pages (never in production)   |
| SECRET_KEY            | required unless demo/debug             | signing key                                |
| DATABASE_URL          | sqlite:///<repo>/var/tongban.sqlite3   | any dj-database-url URL (sqlite, postgres) |
| ALLOWED_HOSTS         | 127.0.0.1,localhost (demo/debug)       | comma-separated host names                 |
| TONGBAN_STORAGE_DIR   | <repo>/var/storage                     | uploaded materials, generated files        |
| TONGBAN_STATIC_ROOT   | <repo>/var/static                      | collectstatic target served by whitenoise  |
| TONGBAN_TIME_ZONE     | Asia/Shanghai                          | local time of the service centre           |
| TONGBAN_FIELD_KEYS    | from TONGBAN_KEY_DIR (demo creates)    | Fernet keys for personal data (docs/cases) |
| TONGBAN_LOOKUP_KEY    | from TONGBAN_KEY_DIR (demo creates)    | HMAC key for ID-number lookups             |
| TONGBAN_KEY_DIR       | <repo>/var/keys                        | key files when the variables are unset     |
| TONGBAN_LICENCE_KEY_DIR | <TONGBAN_KEY_DIR>/licences           | licence-signing keys (demo creates; docs/licences) |
| TONGBAN_LICENCE_ALGORITHM | ed25519                            | ed25519 or sm2 for newly issued licences   |
| TONGBAN_PUBLIC_URL    | http://127.0.0.1:8000                  | base of the verify URL printed in QR codes |
| TONGBAN_RECTIFY_DAYS  | 15                                     | working days to rectify a 差评 (local rule) |
| TONGBAN_SATISFIED_INCLUDES_BASIC | 0                           | 1 = 基本满意 counts as satisfied in 满意率   |
| TONGBAN_RATING_INVITE_DAYS | 3                                 | days after 受理/办结 before an unrated stage is invited |
| TONGBAN_SMS_GATEWAY   | tongban.core.sms.LogGateway            | class sending SMS (the default only logs)  |
| TONGBAN_TASKS_BACKEND | django_tasks_db.DatabaseBackend        | django-tasks backend (`manage.py db_worker` runs it) |
| TONGBAN_REGISTER_ADAPTERS | (see below)                        | JSON {register name: adapter class} for 数据核验 |
| TONGBAN_TICKET_LIMITS | (see below)                            | JSON {ticket type: working days} over the defaults (docs/tickets) |
| TONGBAN_TICKET_SIGNOFF_HOURS | 2                               | hours a department has to 签收 a dispatched ticket |
| TONGBAN_YELLOW_DAYS   | 2                                      | 黄牌 when ≤ this many working days are left |
| TONGBAN_MAX_UPLOAD_MB | 20                                     | largest material file accepted             |
| TONGBAN_SECURE_COOKIES | 1 (0 in demo/debug)                   | cookies only over HTTPS (docs/security)    |
| TONGBAN_HSTS_SECONDS  | 0 (off)                                | Strict-Transport-Security max-age; set only behind HTTPS |
| TONGBAN_PROXY_SSL     | 0                                      | 1 = trust the proxy's X-Forwarded-Proto (TLS at the proxy) |
| TONGBAN_PROXY_COUNT   | 0                                      | trusted reverse proxies appending X-Forwarded-For |
| TONGBAN_LOGIN_FAILURE_LIMIT | 5                                | failed logins per username / address before a lock |
| TONGBAN_LOGIN_COOLOFF_MINUTES | 15                             | how long such a lock lasts                 |
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEMO = env_flag("TONGBAN_DEMO")
DEBUG = env_flag("DEBUG")
# Demo and debug runs may use built-in defaults; a real deployment must say what it wants.
INSECURE_DEFAULTS_ALLOWED = DEMO or DEBUG

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not INSECURE_DEFAULTS_ALLOWED:
        raise ImproperlyConfigured(
            "SECRET_KEY must be set (or run with TONGBAN_DEMO=1 / DEBUG=1 for a local demo)."
        )
    SECRET_KEY = "tongban-demo-insecure-key-do-not-use-in-production"

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if INSECURE_DEFAULTS_ALLOWED else ""
)
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rules.apps.AutodiscoverRulesConfig",
    "django_htmx",
    "csp",
    # Failed-login throttling (tongban/core/login_throttle.py); its tables hold the attempts.
    "axes",
    # "ninja" ships Swagger UI and Redoc as static files, so /api/v1/docs works offline.
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "tongban.core",
    "tongban.catalog",
    "tongban.cases",
    "tongban.licences",
    "tongban.registers",
    "tongban.feedback",
    "tongban.tickets",
    "tongban.stats",
    "tongban.guide",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # Before WhiteNoise, so static files carry the same headers as pages.
    "csp.middleware.CSPMiddleware",
    "tongban.core.security_headers.PermissionsPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "tongban.core.middleware.RequestContextMiddleware",
    # Database away (restart, failover, refused connection): 503 + Retry-After instead of
    # a 500. Above the session middleware so a failing session load or save is caught too.
    "tongban.core.db_unavailable.DatabaseUnavailableMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: turns a locked-out login's response into the 429 lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "tongban.urls"
WSGI_APPLICATION = "tongban.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "tongban" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tongban.core.context_processors.navigation",
            ],
        },
    },
]


def database_config() -> dict[str, object]:
    url = os.environ.get("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(exist_ok=True)
        url = f"sqlite:///{VAR_DIR / 'tongban.sqlite3'}"
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=0))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers run beside the one writer; IMMEDIATE takes the write lock at
        # BEGIN so two writers queue on busy_timeout instead of failing with "database is
        # locked" when a read transaction tries to upgrade.
        config["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
            "init_command": (
                "PRAGMA journal_mode=WAL;"
                "PRAGMA synchronous=NORMAL;"
                "PRAGMA foreign_keys=ON;"
                "PRAGMA busy_timeout=20000;"
            ),
        }
    else:
        config["CONN_MAX_AGE"] = 60
        config["CONN_HEALTH_CHECKS"] = True
        # Server-side binding lets psycopg prepare a statement the fifth time a connection
        # runs it: PostgreSQL then skips parsing and planning. A submission's twenty
        # statements are the same every time; the submission rate rose 9 % (performance.md).
        options = dict(config.get("OPTIONS") or {})  # type: ignore[call-overload]
        options.update({"server_side_binding": True, "prepare_threshold": 5})
        config["OPTIONS"] = options
    return config


DATABASES = {"default": database_config()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out username/address before any password is checked.
    "axes.backends.AxesStandaloneBackend",
    "rules.permissions.ObjectPermissionBackend",
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

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文")]
LOCALE_PATHS = [BASE_DIR / "tongban" / "locale"]
TIME_ZONE = os.environ.get("TONGBAN_TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("TONGBAN_STATIC_ROOT", VAR_DIR / "static"))
STATICFILES_DIRS = [BASE_DIR / "tongban" / "static"]
STORAGE_DIR = Path(os.environ.get("TONGBAN_STORAGE_DIR", VAR_DIR / "storage"))
MEDIA_ROOT = STORAGE_DIR
MEDIA_URL = "/media/"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Debug/test runs serve from the finders; production serves hashed, compressed files.
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        ),
    },
}

# Security defaults for a deployment behind TLS; the demo runs on plain http on localhost.
# docs/security.md says what each one is for and how a deployment sets them.
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_flag("TONGBAN_SECURE_COOKIES", not INSECURE_DEFAULTS_ALLOWED)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
CSRF_COOKIE_SAMESITE = "Lax"
# No script reads the CSRF cookie: htmx sends the token from base.html's hx-headers and
# Swagger UI from its page, so the cookie can be hidden from scripts.
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_AGE = 8 * 60 * 60  # one working day at the window
# HSTS tells browsers to refuse plain http for this host for max-age seconds: only a
# deployment that serves (and will keep serving) HTTPS may turn it on, so it is off unless
# TONGBAN_HSTS_SECONDS says otherwise. Subdomains are not included: a government domain's
# other hosts are not ours to pin.
SECURE_HSTS_SECONDS = int(os.environ.get("TONGBAN_HSTS_SECONDS", "0"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = False
SECURE_HSTS_PRELOAD = False
# Django sends HSTS only on requests it sees as HTTPS. Behind a proxy that terminates TLS,
# TONGBAN_PROXY_SSL=1 trusts its X-Forwarded-Proto — only if the proxy always sets (and so
# overwrites) that header, or any client could claim https.
if env_flag("TONGBAN_PROXY_SSL"):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# Content-Security-Policy (django-csp 4): scripts and styles only from our own static files,
# so an injected <script> or inline handler does not run. Data for charts reaches scripts
# through json_script (a <script type="application/json"> is data, never executed).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        # Style attributes are allowed, <style> elements are not: templates and Bootstrap use
        # style="…" for sizes, and ECharts writes its tooltips as HTML with style attributes.
        # An attribute can only restyle its own element, whereas an injected <style> element
        # can restyle the whole page (hide or fake content, leak values through selectors),
        # so 'unsafe-inline' goes on style-src-attr only, never on style-src.
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
    }
}

# Login throttling (django-axes, tongban/core/login_throttle.py): this many failures for a
# username, or from an address, each within the cool-off of the one before, lock that
# username / address for the cool-off time — even with the right password.
TONGBAN_LOGIN_FAILURE_LIMIT = int(os.environ.get("TONGBAN_LOGIN_FAILURE_LIMIT", "5"))
TONGBAN_LOGIN_COOLOFF_MINUTES = int(os.environ.get("TONGBAN_LOGIN_COOLOFF_MINUTES", "15"))
TONGBAN_PROXY_COUNT = int(os.environ.get("TONGBAN_PROXY_COUNT", "0"))
AXES_FAILURE_LIMIT = TONGBAN_LOGIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = datetime.timedelta(minutes=TONGBAN_LOGIN_COOLOFF_MINUTES)
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_RESET_ON_SUCCESS = True
# Tries made while locked do not restart the clock, so "try again in 15 minutes" stays true.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_LOCKOUT_CALLABLE = "tongban.core.login_throttle.lockout_response"
AXES_CLIENT_IP_CALLABLE = "tongban.core.login_throttle.client_ip"
# Quiet start-up line; failure warnings still name the path (username and address masked).
AXES_VERBOSE = False

TONGBAN_YELLOW_DAYS = int(os.environ.get("TONGBAN_YELLOW_DAYS", "2"))
TONGBAN_LICENCE_KEY_DIR = os.environ.get("TONGBAN_LICENCE_KEY_DIR", "")
TONGBAN_LICENCE_ALGORITHM = os.environ.get("TONGBAN_LICENCE_ALGORITHM", "ed25519")
# 数据核验: the catalog's register name → the adapter class that answers it
# (tongban/registers, docs/licences.md "Data checks"). Without a real connection only the
# local ID-format check runs; the demo answers three registers from its built-in copy.
TONGBAN_REGISTER_ADAPTERS: dict[str, str] = {
    "全国人口基础信息库": "tongban.registers.identity.IdentityFormatCheck",
}
if DEMO:
    TONGBAN_REGISTER_ADAPTERS = {
        "全国人口基础信息库": "tongban.registers.local.PopulationRegister",
        "婚姻登记信息系统": "tongban.registers.local.MarriageRegister",
        "湖南省社会保险信息系统": "tongban.registers.local.SocialInsuranceRegister",
    }
TONGBAN_REGISTER_ADAPTERS.update(json.loads(os.environ.get("TONGBAN_REGISTER_ADAPTERS") or "{}"))
# 差评整改: working days from the rating (a local rule; 15 in Sichuan, 5 in Dezhou — see
# shared/reference/domain-china.md §4).
TONGBAN_RECTIFY_DAYS = int(os.environ.get("TONGBAN_RECTIFY_DAYS", "15"))
# 满意率: "基本满意以上" (Jiangsu) or "满意以上"; both conventions are published (§9).
TONGBAN_SATISFIED_INCLUDES_BASIC = env_flag("TONGBAN_SATISFIED_INCLUDES_BASIC")
# 智能邀评: an unrated stage is invited this many days after it (Bozhou: 3 days after 办结).
TONGBAN_RATING_INVITE_DAYS = int(os.environ.get("TONGBAN_RATING_INVITE_DAYS", "3"))
TONGBAN_SMS_GATEWAY = os.environ.get("TONGBAN_SMS_GATEWAY", "tongban.core.sms.LogGateway")
# Background work lives in the database (both SQLite and PostgreSQL): no broker to run.
TASKS = {
    "default": {
        "BACKEND": os.environ.get("TONGBAN_TASKS_BACKEND", "django_tasks_db.DatabaseBackend")
    }
}
# 12345 工单 handling limits in working days counted from the day after receipt (Xuzhou's
# rule in shared/reference/domain-china.md §5; 表扬 is our choice — docs/tickets.md).
TONGBAN_TICKET_LIMITS: dict[str, int] = {
    "emergency": 0,  # 应急: the day of receipt
    "consult": 5,
    "help": 5,
    "complaint": 15,
    "suggestion": 15,
    "praise": 5,
}
TONGBAN_TICKET_LIMITS.update(json.loads(os.environ.get("TONGBAN_TICKET_LIMITS") or "{}"))
# 签收: clock hours from dispatch before a ticket is flagged 签收超时.
TONGBAN_TICKET_SIGNOFF_HOURS = int(os.environ.get("TONGBAN_TICKET_SIGNOFF_HOURS", "2"))
TONGBAN_PUBLIC_URL = os.environ.get("TONGBAN_PUBLIC_URL", "http://127.0.0.1:8000").rstrip("/")
TONGBAN_MAX_UPLOAD_BYTES = int(os.environ.get("TONGBAN_MAX_UPLOAD_MB", "20")) * 1024 * 1024
# Uploads up to the material limit are streamed to a temporary file, not held in memory.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# API tokens issued by POST /api/v1/auth/token live this long.
API_TOKEN_TTL_HOURS = int(os.environ.get("TONGBAN_API_TOKEN_TTL_HOURS", "12"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Resident ID and mobile numbers are masked before any handler writes them
    # (tongban/core/log_masking.py).
    "filters": {"personal_data": {"()": "tongban.core.log_masking.PersonalDataFilter"}},
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["personal_data"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("TONGBAN_LOG_LEVEL", "INFO")},
}
