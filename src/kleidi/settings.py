"""Kleidi's Django settings, read once from the environment.

Every variable is documented in docs/configuration.md. A bad value stops
start-up with a ConfigError naming the variable.
"""

import secrets
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from kleidi.config import (
    ConfigError,
    check_ldap_settings,
    demo_directory,
    env_bool,
    env_domains,
    env_int,
    env_int_list,
    env_list,
    env_regex,
    env_share,
    env_str,
    env_url,
    ldap_urls,
)
from kleidi.registry import sources as registry_sources

PACKAGE_DIR = Path(__file__).resolve().parent
# var/ holds the SQLite file and the generated secret key: beside the checkout
# when running from source, else in the working directory.
_CHECKOUT = PACKAGE_DIR.parents[1]
VAR_DIR = Path(
    env_str("KLEIDI_VAR_DIR")
    or (_CHECKOUT / "var" if (_CHECKOUT / "pyproject.toml").exists() else Path.cwd() / "var")
)

# Production turns on the cookie and transport protections and requires an
# explicit SECRET_KEY; everything else (demo, tests, a laptop) may run without.
PRODUCTION = env_bool("KLEIDI_PRODUCTION", False)
DEMO_MODE = env_bool("KLEIDI_DEMO", False)
DEBUG = env_bool("DEBUG", False)


def _secret_key() -> str:
    key = env_str("SECRET_KEY")
    if key:
        if len(key) < 32:
            raise ConfigError("SECRET_KEY", "must be at least 32 characters long")
        return key
    if PRODUCTION:
        raise ConfigError("SECRET_KEY", "is required when KLEIDI_PRODUCTION is true")
    # Outside production a key is generated once and kept under var/, never committed.
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()
# Older keys, separated by spaces, still accepted for signatures and for links
# sealed before a rotation (kleidi.linkseal); drop them once those have expired.
SECRET_KEY_FALLBACKS = env_str("SECRET_KEY_FALLBACKS", "").split()

_base = env_url("BASE_URL", "http://127.0.0.1:8000", schemes=("http", "https"))
if _base.username is not None or _base.password is not None:
    raise ConfigError("BASE_URL", "must not hold a user name or password")
BASE_URL = _base.geturl()
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost"])
_base_host = f"[{_base.hostname}]" if ":" in _base.hostname else _base.hostname
if _base_host not in ALLOWED_HOSTS:
    ALLOWED_HOSTS.append(_base_host)
CSRF_TRUSTED_ORIGINS = [f"{_base.scheme}://{_base.netloc}"]

# Kleidi's apps come first: their Greek translations and templates take
# precedence over Django's own (e.g. "active" is «ενεργός» for an account).
INSTALLED_APPS = [
    "kleidi.audit",
    "kleidi.notifications",
    "kleidi.people",
    "kleidi.accounts",
    "kleidi.credentials",
    "kleidi.review",
    "kleidi.sheets",
    "kleidi.registry",
    "kleidi.directory",
    "kleidi.portal",
    "kleidi.console",
    "kleidi.console.site.ConsoleAdminConfig",  # django.contrib.admin, its home the dashboard
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_tasks_db",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "kleidi.portal.middleware.GreekFirstLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Its view hook runs before CSRF's, the first to read the body; request.user
    # is set by then (every middleware's request phase comes before any view hook).
    "kleidi.portal.middleware.BodyLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "kleidi.portal.middleware.NoStoreWhenSignedInMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "kleidi.urls"
WSGI_APPLICATION = "kleidi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kleidi.portal.context_processors.kleidi",
                "kleidi.accounts.context_processors.username_policy",
            ],
        },
    },
]


def _databases() -> dict:
    url = env_str("DATABASE_URL")
    if not url:
        VAR_DIR.mkdir(parents=True, exist_ok=True)
        # The demo keeps its own file so its well-known passwords never mix with real data.
        name = "demo.sqlite3" if DEMO_MODE else "kleidi.sqlite3"
        url = f"sqlite:///{VAR_DIR / name}"
    try:
        config = dj_database_url.parse(url, conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0))
    except Exception as exc:
        raise ConfigError("DATABASE_URL", f"cannot be used: {exc}") from None
    engine = config["ENGINE"]
    if engine == "django.db.backends.sqlite3":
        # WAL lets the web process and the worker read while one writes;
        # IMMEDIATE transactions avoid lock upgrades that fail under load.
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif engine != "django.db.backends.postgresql":
        raise ConfigError("DATABASE_URL", "only sqlite:// and postgres:// are supported")
    return {"default": config}


DATABASES = _databases()

# The student registry's database view (docs/registry.md, "The feed"): a second
# alias, read-only, never migrated, present only when its URL is set.
REGISTRY_DATABASE_URL = env_str(registry_sources.URL_VARIABLE)
if REGISTRY_DATABASE_URL:
    DATABASES[registry_sources.ALIAS] = registry_sources.database_settings(REGISTRY_DATABASE_URL)
DATABASE_ROUTERS = ["kleidi.registry.sources.Router"]
REGISTRY_VIEW = registry_sources.view_name(env_str(registry_sources.VIEW_VARIABLE, "V_VD_SIS"))
# A feed is one file (or view) for the whole university: its own limits, not the sheets'.
REGISTRY_MAX_RECORDS = env_int("KLEIDI_REGISTRY_MAX_RECORDS", 200_000, minimum=1)
REGISTRY_MAX_BYTES = env_int("KLEIDI_REGISTRY_MAX_BYTES", 100 * 1024 * 1024, minimum=1024)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    env_url("REDIS_URL", REDIS_URL, schemes=("redis", "rediss", "unix"), query=True)
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("KLEIDI_CACHE_PREFIX", "kleidi"),
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "kleidi_cache",
            # Rate-limit counters live here: Django's default of 300 entries would
            # let a flood of distinct usernames push live counters out.
            "OPTIONS": {
                "MAX_ENTRIES": env_int("KLEIDI_CACHE_MAX_ENTRIES", 1_000_000, minimum=1000)
            },
        }
    }

TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "mail", "sheets", "directory"],
    }
}

AUTH_USER_MODEL = "accounts.Account"
AUTHENTICATION_BACKENDS = ["kleidi.accounts.backends.AccountBackend"]
LOGIN_URL = "/accounts/login/"
LOGIN_REDIRECT_URL = "/start/"  # by role: a secretariat to /sheets/ (portal.views.landing)
LOGOUT_REDIRECT_URL = "/"

# Argon2id at OWASP's cost (m=19 MiB, t=2, p=1); at most this many hashes at once per process.
PASSWORD_HASHERS = [
    "kleidi.credentials.hashers.KleidiArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
PASSWORD_HASH_CONCURRENCY = env_int("KLEIDI_PASSWORD_HASH_CONCURRENCY", 4, minimum=1)

# R25: the policy is one validator; its thresholds are settings.
PASSWORD_MIN_LENGTH = env_int("KLEIDI_PASSWORD_MIN_LENGTH", 15, minimum=8)
PASSWORD_MAX_LENGTH = env_int("KLEIDI_PASSWORD_MAX_LENGTH", 256, minimum=128)
PASSWORD_MIN_GUESSES_LOG10 = env_int("KLEIDI_PASSWORD_MIN_GUESSES_LOG10", 12, minimum=6)
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "kleidi.credentials.validators.KleidiPasswordValidator"},
]

LANGUAGE_CODE = "el"
LANGUAGES = [("el", "Ελληνικά"), ("en", "English")]
LOCALE_PATHS = [PACKAGE_DIR / "locale"]
TIME_ZONE = "Europe/Athens"
USE_I18N = True
USE_TZ = True
# Long Greek dates with genitive months (kleidi/formats/__init__.py).
FORMAT_MODULE_PATH = ["kleidi.formats"]

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"

# Mail: messages are written to the outbox (R30); the worker hands them to this backend.
# In the demo, mail stays on the machine: the demo mailbox page shows the outbox.
_MAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.locmem.EmailBackend"
    if DEMO_MODE
    else "django.core.mail.backends.smtp.EmailBackend",
)
# Bounds every SMTP read and write, so a relay that never answers cannot hold a worker.
_smtp_timeout = env_int("EMAIL_TIMEOUT", 10, minimum=1, maximum=600)
_MAIL_OPTIONS = {}
if _MAIL_BACKEND.endswith("smtp.EmailBackend"):
    _MAIL_OPTIONS = {
        "host": env_str("EMAIL_HOST", "localhost"),
        "port": env_int("EMAIL_PORT", 25, minimum=1, maximum=65535),
        "username": env_str("EMAIL_HOST_USER"),
        "password": env_str("EMAIL_HOST_PASSWORD"),
        "use_tls": env_bool("EMAIL_USE_TLS", False),
        "use_ssl": env_bool("EMAIL_USE_SSL", False),
        "timeout": _smtp_timeout,
    }
    if _MAIL_OPTIONS["use_tls"] and _MAIL_OPTIONS["use_ssl"]:
        raise ConfigError("EMAIL_USE_SSL", "cannot be true together with EMAIL_USE_TLS")
MAILERS = {"default": {"BACKEND": _MAIL_BACKEND, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Kleidi ΕΜΠ <noreply@central.ntua.gr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
OUTBOX_MAX_ATTEMPTS = env_int("KLEIDI_OUTBOX_MAX_ATTEMPTS", 8, minimum=1)
OUTBOX_RETRY_BASE_SECONDS = env_int("KLEIDI_OUTBOX_RETRY_BASE_SECONDS", 60, minimum=1)
# A worker claims a message for this long while it talks to SMTP (about ten
# EMAIL_TIMEOUT-bounded exchanges); if it dies, the message is sent again after it.
OUTBOX_LEASE_SECONDS = env_int(
    "KLEIDI_OUTBOX_LEASE_SECONDS", max(300, 10 * _smtp_timeout), minimum=10 * _smtp_timeout
)
# A RUNNING task whose worker cannot be checked from this host is presumed dead after this.
TASK_ORPHAN_SECONDS = env_int("KLEIDI_TASK_ORPHAN_SECONDS", 3600, minimum=60)

# R1: institutional domains are refused as external email (subdomains too).
INSTITUTIONAL_DOMAINS = env_domains("INSTITUTIONAL_DOMAINS", ["ntua.gr"])

# R5, R7: username policy (kleidi.accounts.usernames builds it and refuses
# values that contradict each other). The lengths are set here, the regex
# says which characters.
USERNAME_MIN_LENGTH = env_int("KLEIDI_USERNAME_MIN_LENGTH", 3, minimum=1)
USERNAME_MAX_LENGTH = env_int("KLEIDI_USERNAME_MAX_LENGTH", 32, minimum=1)
USERNAME_REGEX = env_regex("KLEIDI_USERNAME_REGEX", r"^[a-z][a-z0-9]*$")
UNDERGRADUATE_USERNAME_TEMPLATE = env_str(
    "KLEIDI_UNDERGRADUATE_USERNAME_TEMPLATE", "{prefix}{last5}"
)
UNDERGRADUATE_USERNAME_REGEX = env_regex(
    "KLEIDI_UNDERGRADUATE_USERNAME_REGEX", r"^[a-z]{2,3}[0-9]{5}$"
)

# R4, R6: the registry import (docs/registry.md, "Import" and "Graduation"). An import
# that would find more than this share of the known active undergraduates in scope
# missing from the feed is refused (a truncated export is not a mass departure).
REGISTRY_MAX_MISSING_SHARE = env_share("KLEIDI_REGISTRY_MAX_MISSING_SHARE", 0.05)
# Days between the registry's graduation date and the retirement of the account.
REGISTRY_GRADUATION_GRACE_DAYS = env_int(
    "KLEIDI_REGISTRY_GRADUATION_GRACE_DAYS", 0, minimum=0, maximum=3650
)

# R3, R24: link lifetimes.
ACTIVATION_LINK_DAYS = env_int("KLEIDI_ACTIVATION_LINK_DAYS", 7, minimum=1)
RESET_LINK_MINUTES = env_int("KLEIDI_RESET_LINK_MINUTES", 60, minimum=5)

# R23: forgot-password disclosure switch and rate limits.
RESET_DISCLOSE_MISMATCH = env_bool("KLEIDI_RESET_DISCLOSE_MISMATCH", False)
RESET_RATE_PER_ACCOUNT = env_int("KLEIDI_RESET_RATE_PER_ACCOUNT", 5, minimum=1)
RESET_RATE_PER_ADDRESS = env_int("KLEIDI_RESET_RATE_PER_ADDRESS", 20, minimum=1)
LOGIN_RATE_PER_ACCOUNT = env_int("KLEIDI_LOGIN_RATE_PER_ACCOUNT", 10, minimum=1)
LOGIN_RATE_PER_ADDRESS = env_int("KLEIDI_LOGIN_RATE_PER_ADDRESS", 50, minimum=1)
STRENGTH_RATE_PER_ADDRESS = env_int("KLEIDI_STRENGTH_RATE_PER_ADDRESS", 600, minimum=10)

# R21: reminders before expiry; R20: renewal horizon.
EXPIRY_REMINDER_DAYS = env_int_list("KLEIDI_EXPIRY_REMINDER_DAYS", [30, 7], minimum=1, maximum=366)
RENEWAL_MAX_YEARS = env_int("KLEIDI_RENEWAL_MAX_YEARS", 2, minimum=1, maximum=10)

# R9, §6: upload limits.
SHEET_MAX_BYTES = env_int("KLEIDI_SHEET_MAX_BYTES", 10 * 1024 * 1024, minimum=1024)
SHEET_MAX_ROWS = env_int("KLEIDI_SHEET_MAX_ROWS", 20_000, minimum=1)
SHEET_TASK_THRESHOLD_ROWS = env_int("KLEIDI_SHEET_TASK_THRESHOLD_ROWS", 500, minimum=1)
# How long an SQLite apply seen from another node counts as alive (docs/sheets.md).
SHEET_APPLY_LEASE_SECONDS = env_int("KLEIDI_SHEET_APPLY_LEASE_SECONDS", 3600, minimum=60)
# §6: every upload is parsed in a child process with these bounds.
SHEET_PARSE_SECONDS = env_int("KLEIDI_SHEET_PARSE_SECONDS", 10, minimum=1)
SHEET_PARSE_MEMORY_MB = env_int("KLEIDI_SHEET_PARSE_MEMORY_MB", 300, minimum=100)
DATA_UPLOAD_MAX_MEMORY_SIZE = SHEET_MAX_BYTES + 1024 * 1024
# §6: the largest body any form needs (three 4,096-character fields, percent-encoded),
# and the largest a staff member's sheet upload needs; anything larger is refused
# (HTTP 413) from its headers, before it is read (kleidi.portal.middleware).
FORM_BODY_MAX_BYTES = env_int("KLEIDI_FORM_BODY_MAX_BYTES", 256 * 1024, minimum=64 * 1024)
UPLOAD_BODY_MAX_BYTES = SHEET_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = SHEET_MAX_BYTES + 1024 * 1024

# R28: the directory (docs/directory.md, docs/configuration.md). No URL: provisioning is off.
LDAP_URLS = ldap_urls("KLEIDI_LDAP_URL")
LDAP_START_TLS = env_bool("KLEIDI_LDAP_START_TLS", False)
LDAP_CA_FILE = env_str("KLEIDI_LDAP_CA_FILE")
LDAP_BIND_DN = env_str("KLEIDI_LDAP_BIND_DN", "cn=kleidi,ou=services,dc=ntua,dc=gr")
# The service identity's password is read from a file (mode 0600), never from the environment.
LDAP_BIND_PASSWORD_FILE = env_str("KLEIDI_LDAP_BIND_PASSWORD_FILE")
LDAP_BASE_DN = env_str("KLEIDI_LDAP_BASE_DN", "ou=people,dc=ntua,dc=gr")
# `kleidi demo --directory` runs a private slapd; other demo commands use it while it runs.
_demo_directory = demo_directory(VAR_DIR) if DEMO_MODE and not LDAP_URLS else None
DEMO_DIRECTORY = _demo_directory is not None
if _demo_directory is not None:
    LDAP_URLS = _demo_directory["LDAP_URLS"]
    LDAP_BIND_DN = _demo_directory["LDAP_BIND_DN"]
    LDAP_BIND_PASSWORD_FILE = _demo_directory["LDAP_BIND_PASSWORD_FILE"]
    LDAP_BASE_DN = _demo_directory["LDAP_BASE_DN"]
LDAP_ENABLED = bool(LDAP_URLS)
LDAP_CONNECT_TIMEOUT = env_int("KLEIDI_LDAP_CONNECT_TIMEOUT", 5, minimum=1, maximum=120)
LDAP_TIMEOUT = env_int("KLEIDI_LDAP_TIMEOUT", 10, minimum=1, maximum=600)
# The institution's scope: eduPersonPrincipalName, scoped affiliations, schacHomeOrganization.
LDAP_SCOPE = env_str("KLEIDI_LDAP_SCOPE", "ntua.gr")
# The institutional mailbox each entry's `mail` names; empty: no `mail` attribute.
LDAP_MAIL_TEMPLATE = env_str("KLEIDI_LDAP_MAIL_TEMPLATE", "{username}@mail.ntua.gr")
LDAP_PAGE_SIZE = env_int("KLEIDI_LDAP_PAGE_SIZE", 500, minimum=10, maximum=5000)
# Accounts one run of the directory task converges before it queues the next run.
LDAP_SYNC_BATCH = env_int("KLEIDI_LDAP_SYNC_BATCH", 500, minimum=1, maximum=10_000)
# Retries after a failure: the first after this many seconds, doubling up to the maximum, for ever.
LDAP_RETRY_SECONDS = env_int("KLEIDI_LDAP_RETRY_SECONDS", 15, minimum=1)
LDAP_RETRY_MAX_SECONDS = env_int("KLEIDI_LDAP_RETRY_MAX_SECONDS", 3600, minimum=1)
check_ldap_settings(
    enabled=LDAP_ENABLED,
    start_tls=LDAP_START_TLS,
    urls=LDAP_URLS,
    ca_file=LDAP_CA_FILE,
    bind_dn=LDAP_BIND_DN,
    base_dn=LDAP_BASE_DN,
    password_file=LDAP_BIND_PASSWORD_FILE,
)

# Client address: only trust X-Forwarded-For when behind a known number of proxies.
TRUSTED_PROXY_COUNT = env_int("KLEIDI_TRUSTED_PROXY_COUNT", 0, minimum=0, maximum=5)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("KLEIDI_SESSION_SECONDS", 8 * 3600, minimum=300)
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env_bool("KLEIDI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("KLEIDI_HSTS_SECONDS", 31_536_000)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    # Link tokens are masked in every line Kleidi logs (kleidi.accesslog).
    "filters": {"mask_links": {"()": "kleidi.accesslog.MaskLinks"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "server": {"format": "[{server_time}] {message}", "style": "{"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["mask_links"],
        },
        # The demo's access log (runserver), as Django's default but masked.
        "server": {
            "class": "logging.StreamHandler",
            "formatter": "server",
            "filters": ["mask_links"],
        },
    },
    "root": {"handlers": ["console"], "level": env_str("KLEIDI_LOG_LEVEL", "INFO").upper()},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django.server": {"handlers": ["server"], "level": "INFO", "propagate": False},
    },
}
