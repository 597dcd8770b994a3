"""Django settings, all from environment variables with safe defaults.

- DATABASE_URL: default a SQLite file `psytrial.sqlite3` in the working directory (WAL mode);
  `postgres://user@host:5432/name` for PostgreSQL.
- PSYTRIAL_DEBUG: off unless asked.
- PSYTRIAL_SECRET_KEY / PSYTRIAL_SEAL_KEY: from the environment, or kept in files under
  PSYTRIAL_HOME (default ./.psytrial) created on first run. The seal key encrypts sealed data
  (arm, mg dose); it lives outside the database, so a database dump alone unblinds nothing.
- PSYTRIAL_ALLOWED_HOSTS, PSYTRIAL_HTTPS (HSTS and secure cookies when behind TLS),
  PSYTRIAL_SESSION_MINUTES (idle session expiry), PSYTRIAL_LOCKOUT_FAILURES.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url

from psytrial.web.config import env_bool, env_int, env_list, env_str, kept_secret

BASE_DIR = Path(__file__).resolve().parent

DEBUG = env_bool("PSYTRIAL_DEBUG", False)
SECRET_KEY = kept_secret("PSYTRIAL_SECRET_KEY", "secret_key")
SEAL_KEY = kept_secret("PSYTRIAL_SEAL_KEY", "seal_key.fernet")
ALLOWED_HOSTS = env_list("PSYTRIAL_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"])
HTTPS = env_bool("PSYTRIAL_HTTPS", False)

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    "ninja",  # serves the API docs page (Swagger UI) from local static files, not a CDN
    "axes",
    "psytrial.web.trial",
    "psytrial.web.audit",
    "psytrial.web.accounts",
    "psytrial.web.forms",
    "psytrial.web.enrolment",
    "psytrial.web.randomization",
    "psytrial.web.pharmacy",
    "psytrial.web.unblinding",
    "psytrial.web.visits",
    "psytrial.web.quality",
    "psytrial.web.exports",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "psytrial.web.middleware.ContentSecurityPolicyMiddleware",  # above WhiteNoise: static too
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
    "psytrial.web.middleware.RefusalMiddleware",
]

ROOT_URLCONF = "psytrial.web.urls"
WSGI_APPLICATION = "psytrial.web.wsgi.application"

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


def _database() -> dict[str, object]:
    url = env_str("DATABASE_URL", f"sqlite:///{Path.cwd() / 'psytrial.sqlite3'}")
    config: dict[str, object] = dict(dj_database_url.parse(url, conn_max_age=60))
    if config["ENGINE"] == "django.db.backends.sqlite3":
        # Django's SQLite backend with write transactions queued (psytrial.web.sqlite.base).
        config["ENGINE"] = "psytrial.web.sqlite"
        # Each server thread keeps its connection between requests: a new SQLite connection
        # reads the whole schema again on its first statement, which cost more than the
        # request's own work (a form save: 12 ms with a new connection, 7 ms without).
        config["CONN_MAX_AGE"] = 60
        # Test runs: an in-memory database, as Django gives its own SQLite engine (explicit,
        # since test tools recognize SQLite by Django's engine name).
        config["TEST"] = {"NAME": ":memory:"}
        config["OPTIONS"] = {
            # WAL lets readers work while one writer writes; IMMEDIATE takes the write lock at
            # BEGIN, so two writers queue instead of failing on a lock upgrade.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            "PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
        }
    elif config["ENGINE"] == "django.db.backends.postgresql":
        # Parameters travel apart from the statement text (server-side binding), so psycopg can
        # prepare a statement it has sent twice on this connection and from then on send only
        # its name and parameters: the server skips parsing and planning. Every action repeats
        # the same few statements, and this cut the SQL time of the reference demo by a third
        # (21 s to 13 s). psycopg keeps up to 100 prepared statements per connection.
        # PSYTRIAL_PG_PREPARE=0 turns preparing off (a pooler in transaction mode that does not
        # carry prepared statements between its server connections needs that).
        prepare = env_bool("PSYTRIAL_PG_PREPARE", True)
        config["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": 2 if prepare else None,
            **dict(config.get("OPTIONS") or {}),  # type: ignore[call-overload]
        }
    return config


DATABASES = {"default": _database()}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
     "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "trial:home"

AXES_FAILURE_LIMIT = env_int("PSYTRIAL_LOCKOUT_FAILURES", 5, minimum=1)
AXES_COOLOFF_TIME = 0.5  # hours
# Lock the account, not the address: clinic staff share one outgoing IP address, and locking
# it after five mistakes would lock a whole site out in the middle of a drug session. axes
# warns about this choice (axes.W006); it is deliberate, so that warning is silenced.
AXES_LOCKOUT_PARAMETERS = ["username"]
SILENCED_SYSTEM_CHECKS = ["axes.W006"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "psytrial/locked_out.html"
AXES_VERBOSE = False

SESSION_COOKIE_AGE = 60 * env_int("PSYTRIAL_SESSION_MINUTES", 30, minimum=1)
SESSION_SAVE_EVERY_REQUEST = True  # idle expiry: every request restarts the clock
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
SECURE_SSL_REDIRECT = HTTPS and env_bool("PSYTRIAL_SSL_REDIRECT", True)
SECURE_HSTS_SECONDS = 31536000 if HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = HTTPS
SECURE_HSTS_PRELOAD = HTTPS
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if HTTPS else None
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
CSRF_TRUSTED_ORIGINS = env_list("PSYTRIAL_CSRF_TRUSTED_ORIGINS", [])
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    "script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)

LANGUAGE_CODE = "en"
TIME_ZONE = env_str("PSYTRIAL_TIME_ZONE", "UTC")
USE_I18N = False
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# WhiteNoise serves the package's static files straight from the finders (no collectstatic
# step); PSYTRIAL_STATIC_ROOT adds a collected folder for deployments that want one.
STATIC_ROOT = env_str("PSYTRIAL_STATIC_ROOT", "") or None
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("PSYTRIAL_LOG_LEVEL", "WARNING")},
}
