"""Billing Console settings: one module, every value read from the environment.

`.env.example` lists every variable. Embedded defaults (SQLite under var/, a filesystem
Celery broker under var/) let `make run` work with nothing else running; set DATABASE_URL
and CELERY_BROKER_URL to run on PostgreSQL and Redis/RabbitMQ.
"""

from datetime import timedelta
from pathlib import Path

import dj_database_url

from billing_console.beat_schedule import BEAT_SCHEDULE
from billing_console.env import env_bool, env_int, env_list, env_secret, env_str, local_secret
from billing_console.task_routes import BACKGROUND_QUEUE, DEFAULT_QUEUE, ROLLUPS_QUEUE, TASK_ROUTES

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)
# SECRET_KEY (or SECRET_KEY_FILE) is required when DEBUG is off. With DEBUG on and neither set
# (`make run`), a random key is generated once into VAR_DIR/secret_key (mode 0600) and reused:
# never a constant, which would let anyone forge sessions and embed links. Otherwise left empty
# so that commands which sign nothing (migrate, makemigrations --check) run without it; Django
# refuses any use of an empty key, and the WSGI entry point refuses to start without one.
SECRET_KEY = env_secret("SECRET_KEY") or (local_secret(VAR_DIR / "secret_key") if DEBUG else "")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")
SITE_URL = env_str("SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",  # widget templates for the project form renderer (TemplatesSetting)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "template_partials",
    "auditlog",
    "billing_console",
    "customers",
    "usage",
    "pricing",
    "contracts",
    "invoicing",
    "alerts",
    "webhooks",
    "payments",  # pay by card (Stripe Checkout), external payments of gated invoices
    "reports",
    "plans",  # Metronome 1.0 credit grants and plans, on contracts
    "tax",  # tax providers (Stripe Tax, Avalara AvaTax, Anrok) at finalize
    "crm",  # Salesforce sync (crm/salesforce)
    "axes",  # failed sign-ins recorded and throttled (people/signin.py)
    "people",  # Settings → People: users, roles, invitations, failed sign-ins
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "billing_console.time_zones.UserTimeZoneMiddleware",  # the user's zone, for timestamps
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An htmx request: 401 rather than the sign-in page, errors not swapped, a change rolled
    # back on a server error (billing_console/htmx_errors.py; static/js/htmx-errors.js).
    "billing_console.htmx_errors.HtmxErrorsMiddleware",
    "billing_console.audit.AuditContextMiddleware",
    # A sign-in refused by django-axes (too many failures) becomes the sign-in page saying when
    # to try again (people.signin.lockout_response).
    "axes.middleware.AxesMiddleware",
    # Last, so that its process_exception sees a view's exception first.
    "billing_console.errors.PublicErrorsMiddleware",
]
# With DEBUG on, Django's error pages show settings and the process environment: this reporter
# shows them to a signed-in console user only (billing_console.errors).
DEFAULT_EXCEPTION_REPORTER = "billing_console.errors.PublicExceptionReporter"

ROOT_URLCONF = "billing_console.urls"
WSGI_APPLICATION = "billing_console.wsgi.application"
# Seconds a web request may run before its worker process ends itself to be replaced (the
# deadline gunicorn's --timeout gave; billing_console/request_deadline.py). bin/web sets 60;
# 0 (the default) is off, as under runserver, whose one process is the whole server.
WEB_REQUEST_TIMEOUT = env_int("WEB_REQUEST_TIMEOUT", 0)

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "builtins": ["template_partials.templatetags.partials"],
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "billing_console.context_processors.console",
            ],
        },
    }
]
FORM_RENDERER = "billing_console.forms.ConsoleFormRenderer"

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", 0),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL + a busy timeout so the web process and the worker can share the file.
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
        "transaction_mode": "IMMEDIATE",
    }
elif env_bool("DATABASE_PREPARED_STATEMENTS", True):
    # Django turns psycopg's prepared statements off (for transaction-mode poolers). Its own
    # cursors bind on the client and never prepare; this lets the hot statements that ask for it
    # (billing_console.lib.pg.server_bound_cursor, prepare=True) be planned once per connection;
    # the threshold is out of reach, so nothing is prepared just for running often. Set
    # DATABASE_PREPARED_STATEMENTS=0 behind a pooler that cannot keep them.
    # Those statements run on a generic plan: the ingest statement's lookups of frozen dedupe
    # keys are pruned to the generations its parameters name when it runs, and PostgreSQL's own
    # choice, a new plan each time, cost more planning than running (usage.ingest).
    options = DATABASES["default"].setdefault("OPTIONS", {})
    options["prepare_threshold"] = 2**31 - 1
    options["options"] = (
        f"{options.get('options', '')} -c plan_cache_mode=force_generic_plan".strip()
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "customers:customer-list"
LOGOUT_REDIRECT_URL = "login"
# Failed sign-ins (django-axes, first: it refuses a locked-out sign-in before the password is
# checked): SIGNIN_FAILURE_LIMIT failures for one user name from one address lock that pair out
# for SIGNIN_COOLOFF_MINUTES, each further try restarting the wait; a success clears the count.
# Admins see failures and unlock on Settings → People. API bearer tokens are not counted.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]  # fmt: skip
AXES_FAILURE_LIMIT = env_int("SIGNIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("SIGNIN_COOLOFF_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = AXES_ENABLE_ACCESS_FAILURE_LOG = True  # each failure listed for admins
AXES_DISABLE_ACCESS_LOG = True  # successful sign-ins: User.last_login is enough
AXES_CLIENT_IP_CALLABLE = "billing_console.audit.client_ip"  # honours TRUSTED_PROXY_COUNT
AXES_LOCKOUT_CALLABLE = "people.signin.lockout_response"
AXES_VERBOSE = False
# Set-password links are shown in the console to copy, and emailed too when email is set up:
# EMAIL_HOST for SMTP, or EMAIL_BACKEND naming another Django email backend.
EMAIL_BACKEND = env_str("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST, EMAIL_PORT = env_str("EMAIL_HOST", ""), env_int("EMAIL_PORT", 587)
EMAIL_HOST_USER, EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_USER"), env_secret("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS, EMAIL_TIMEOUT = env_bool("EMAIL_USE_TLS", True), env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "billing-console@localhost")

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True  # serve from app/static dirs without collectstatic (embedded mode)
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(VAR_DIR / "media")))

# --- HTTPS and proxies ---------------------------------------------------------------------
# With DEBUG off, cookies are sent over HTTPS only and browsers are told to keep to HTTPS
# (HSTS, sent on HTTPS responses only); set 0 to turn either off, e.g. on a plain-HTTP network.
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000)  # a year
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
# Redirect plain HTTP to HTTPS. Off by default: TLS usually ends at a proxy, which then needs
# SECURE_PROXY_SSL_HEADER for the redirect (and HSTS) to see HTTPS requests as such.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", False)
# The header by which a TLS-terminating proxy says the request came over HTTPS, e.g.
# "X-Forwarded-Proto" (value "https"). Set it only when the proxy sets or strips that header on
# every request: a client could send it too.
_proxy_ssl_header = env_str("SECURE_PROXY_SSL_HEADER", "")
SECURE_PROXY_SSL_HEADER = (
    ("HTTP_" + _proxy_ssl_header.upper().replace("-", "_"), "https") if _proxy_ssl_header else None
)
# How many reverse proxies of ours stand in front of the application, each appending the address
# it saw to X-Forwarded-For. 0 (the default): the client address (audit log) is REMOTE_ADDR and
# X-Forwarded-For is ignored, since any client can send one. n > 0: the n-th address from the
# right of X-Forwarded-For, the one the outermost proxy of ours saw (billing_console.audit).
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
X_FRAME_OPTIONS = "DENY"
CSRF_FAILURE_VIEW = "billing_console.htmx_errors.csrf_failure"  # marked apart from a role's 403

# --- REST API (Metronome wire format) ---------------------------------------------------
# The largest request body (bytes): the API answers 413 above it. 100 events of a few KB fit.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("API_MAX_BODY_BYTES", 5 * 1024 * 1024)
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["billing_console.auth.BearerTokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["billing_console.parsers.StrictJSONParser"],
    "EXCEPTION_HANDLER": "billing_console.api.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "billing_console.schema.ConsoleAutoSchema",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Billing Console API",
    "DESCRIPTION": "Usage-based billing API, wire-compatible with Metronome's public API.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SECURITY": [{"bearerAuth": []}],
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",  # vendored, no CDN
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
API_PAGE_SIZE_DEFAULT = 25
API_PAGE_SIZE_MAX = 100

# --- Celery -------------------------------------------------------------------------------
# Without a broker server the embedded default is kombu's filesystem transport under var/,
# so `make run` still runs the worker and the beat schedule in a separate process. Its
# transport (billing_console/lib/fs_queue.py) takes queued messages back to back and polls
# only an empty queue, every `polling_interval` seconds (kombu's own sleeps 1 s per message).
CELERY_BROKER_URL = env_str("CELERY_BROKER_URL", "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _queue_dir = VAR_DIR / "celery" / "queue"
    _queue_dir.mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_TRANSPORT = "billing_console.lib.fs_queue:Transport"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_queue_dir),
        "data_folder_out": str(_queue_dir),
        "processed_folder": str(VAR_DIR / "celery" / "processed"),
        "control_folder": str(VAR_DIR / "celery" / "control"),  # else ./control in the cwd
        "store_processed": False,
        "polling_interval": 0.1,
    }
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is redelivered; tasks are idempotent
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# The periodic tasks: billing_console/beat_schedule.py.
CELERY_BEAT_SCHEDULE = BEAT_SCHEDULE
# Three queues (billing_console/task_routes.py): the follow-ups of writes on the default queue,
# the periodic and long tasks on `background`, the rollup job on `rollups`; bin/worker runs a
# worker on each. A worker started without -Q consumes all three.
CELERY_TASK_DEFAULT_QUEUE = DEFAULT_QUEUE
CELERY_TASK_QUEUES = {DEFAULT_QUEUE: {}, BACKGROUND_QUEUE: {}, ROLLUPS_QUEUE: {}}
CELERY_TASK_ROUTES = TASK_ROUTES
# Outbound webhooks: attempts back off base, 2 x base, 4 x base, ... seconds up to the max
# delay, and stop after max attempts (a redeliver starts a fresh schedule). The lease is how long
# an attempt in flight keeps a delivery claimed before the sweep may retry it (a worker died).
WEBHOOK_MAX_ATTEMPTS = env_int("WEBHOOK_MAX_ATTEMPTS", 8)
WEBHOOK_RETRY_BASE_SECONDS = env_int("WEBHOOK_RETRY_BASE_SECONDS", 5)
WEBHOOK_RETRY_MAX_SECONDS = env_int("WEBHOOK_RETRY_MAX_SECONDS", 3600)
WEBHOOK_CONNECT_TIMEOUT_SECONDS = env_int("WEBHOOK_CONNECT_TIMEOUT_SECONDS", 5)
WEBHOOK_TIMEOUT_SECONDS = env_int("WEBHOOK_TIMEOUT_SECONDS", 15)
WEBHOOK_LEASE_SECONDS = env_int("WEBHOOK_LEASE_SECONDS", 60)
# Webhook and Slack URLs must resolve to public addresses (checked on every delivery); these
# host names, IPs and CIDR networks are allowed anyway, e.g. "hooks.internal,10.20.0.0/16".
WEBHOOK_ALLOWED_HOSTS = env_list("WEBHOOK_ALLOWED_HOSTS", "")
# Salesforce sync (crm/): pushes that fail with a passing fault (HTTP 5xx, network) back off
# base, 2 x base, 4 x base, ... seconds up to the max delay, and stop after max attempts.
SALESFORCE_MAX_ATTEMPTS = env_int("SALESFORCE_MAX_ATTEMPTS", 8)
SALESFORCE_RETRY_BASE_SECONDS = env_int("SALESFORCE_RETRY_BASE_SECONDS", 10)
SALESFORCE_RETRY_MAX_SECONDS = env_int("SALESFORCE_RETRY_MAX_SECONDS", 3600)
SALESFORCE_TIMEOUT_SECONDS = env_int("SALESFORCE_TIMEOUT_SECONDS", 20)
# Ingest requests naming one customer within this window share one alert evaluation, run when
# the window closes (a hot customer is evaluated at most once a window per web process).
ALERTS_EVALUATION_DEBOUNCE_SECONDS = env_int("ALERTS_EVALUATION_DEBOUNCE_SECONDS", 1)
# The same for threshold billing (spend thresholds, auto-recharge) after ingest.
THRESHOLDS_EVALUATION_DEBOUNCE_SECONDS = env_int("THRESHOLDS_EVALUATION_DEBOUNCE_SECONDS", 1)
# Drafts are finalized this long after their period ends (late events may still arrive).
INVOICE_FINALIZE_GRACE_HOURS = env_int("INVOICE_FINALIZE_GRACE_HOURS", 24)
# Marketplace metering (invoicing/marketplaces): an hour is metered this many minutes after it
# ends, looking back this many hours (AWS refuses records over 6 hours old); failed records are
# retried after base minutes, doubling, up to max attempts. The URLs are the providers' APIs
# (tests point them at local fakes).
MARKETPLACE_METERING_LAG_MINUTES = env_int("MARKETPLACE_METERING_LAG_MINUTES", 5)
MARKETPLACE_METERING_LOOKBACK_HOURS = env_int("MARKETPLACE_METERING_LOOKBACK_HOURS", 6)
MARKETPLACE_METERING_RETRY_MINUTES = env_int("MARKETPLACE_METERING_RETRY_MINUTES", 5)
MARKETPLACE_METERING_MAX_ATTEMPTS = env_int("MARKETPLACE_METERING_MAX_ATTEMPTS", 8)
AZURE_LOGIN_URL = env_str("AZURE_LOGIN_URL", "https://login.microsoftonline.com")
AZURE_MARKETPLACE_API_URL = env_str(
    "AZURE_MARKETPLACE_API_URL", "https://marketplaceapi.microsoft.com"
)
GCP_SERVICE_CONTROL_URL = env_str(
    "GCP_SERVICE_CONTROL_URL", "https://servicecontrol.googleapis.com"
)
# GCP Partner Procurement API (entitlements' usage reporting ids) and the seller's Partner id
# there (Producer Portal); without the id, GCP records with an entitlement are not sent.
GCP_PROCUREMENT_URL = env_str(
    "GCP_PROCUREMENT_URL", "https://cloudcommerceprocurement.googleapis.com"
)
GCP_PROCUREMENT_PROVIDER_ID = env_str("GCP_PROCUREMENT_PROVIDER_ID", "")

# --- Reports and data exports -----------------------------------------------------------------
REPORTS_DIR = Path(env_str("REPORTS_DIR", str(VAR_DIR / "reports")))  # built report CSVs
REPORT_CHUNK_SIZE = env_int("REPORT_CHUNK_SIZE", 2000)  # rows read and written per batch
# Time budgets (milliseconds): one query of a report build, and one run of a SQL billable metric
# over a customer's events (PostgreSQL statement_timeout, a SQLite progress handler).
REPORT_QUERY_TIMEOUT_MS = env_int("REPORT_QUERY_TIMEOUT_MS", 60_000)
SQL_METRIC_TIMEOUT_MS = env_int("SQL_METRIC_TIMEOUT_MS", 10_000)
# Milliseconds to pause after each batch: 0 in production; lets a demo or a test watch progress.
REPORT_CHUNK_DELAY_MS = env_int("REPORT_CHUNK_DELAY_MS", 0)
# A RUNNING report or export not heard from for this long lost its worker and may be taken over.
REPORT_STALE_SECONDS = env_int("REPORT_STALE_SECONDS", 300)
EXPORT_STALE_SECONDS = env_int("EXPORT_STALE_SECONDS", 3600)
EXPORTS_LOCAL_ROOT = Path(env_str("EXPORTS_LOCAL_ROOT", str(VAR_DIR / "exports")))
# An export covers changes up to this many seconds before it starts (see reports/exports.py).
EXPORT_WATERMARK_LAG_SECONDS = env_int("EXPORT_WATERMARK_LAG_SECONDS", 30)
# S3-compatible destination defaults; a schedule may set its own endpoint and credentials.
EXPORT_S3_ENDPOINT_URL = env_str("EXPORT_S3_ENDPOINT_URL", "")  # blank: AWS
EXPORT_S3_REGION = env_str("EXPORT_S3_REGION", "us-east-1")
EXPORT_S3_ACCESS_KEY_ID = env_secret("EXPORT_S3_ACCESS_KEY_ID")
EXPORT_S3_SECRET_ACCESS_KEY = env_secret("EXPORT_S3_SECRET_ACCESS_KEY")

# --- Billing providers and embedded dashboards ----------------------------------------------
# Fernet keys encrypting secrets kept in the database (Avalara passwords), comma-separated: the
# first encrypts, all decrypt (rotation). Empty: a key derived from SECRET_KEY (see
# billing_console/encryption.py). Generate one with
# `python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"`.
SECRETS_ENCRYPTION_KEYS = [
    k.strip() for k in env_secret("SECRETS_ENCRYPTION_KEYS").split(",") if k.strip()
]
STRIPE_API_BASE = env_str("STRIPE_API_BASE", "")  # empty: api.stripe.com (tests: a local fake)
# Custom fields copied onto each Stripe invoice item's metadata (NetSuite pass-through), as
# <entity>.<key> with entity product, commit, contract or customer, e.g. "product.gl_code,
# contract.region"; the metadata key is the custom field's key (invoicing/netsuite.py).
STRIPE_METADATA_CUSTOM_FIELDS = env_list("STRIPE_METADATA_CUSTOM_FIELDS", "")
STRIPE_MAX_NETWORK_RETRIES = env_int("STRIPE_MAX_NETWORK_RETRIES", 2)
# A failed card payment is tried again this many hours after each failure, then given up.
STRIPE_PAYMENT_RETRY_HOURS = [int(h) for h in env_list("STRIPE_PAYMENT_RETRY_HOURS", "24,72,168")]
# Seconds an embeddable dashboard URL stays valid after /v1/dashboards/getEmbeddableUrl.
EMBED_URL_MAX_AGE = env_int("EMBED_URL_MAX_AGE", 3600)
# Origins allowed to frame embedded dashboards (CSP frame-ancestors), e.g.
# "https://app.example.com". Every other page keeps X-Frame-Options: DENY.
EMBED_FRAME_ANCESTORS = env_list("EMBED_FRAME_ANCESTORS", "'self'")

# --- Service addresses (/v1/services) ------------------------------------------------------
# What customers allowlist, comma-separated IPs or CIDR ranges: the addresses this server's
# outbound calls come from (webhooks, Slack, billing providers) and those it is reached at
# (API, ingest). Empty: the service is not listed.
SERVICE_EGRESS_IPS = env_list("SERVICE_EGRESS_IPS")
SERVICE_INGRESS_IPS = env_list("SERVICE_INGRESS_IPS")

# --- Console ------------------------------------------------------------------------------
COMPANY_NAME = env_str("COMPANY_NAME", "Billing Console")
COMPANY_ADDRESS = env_str("COMPANY_ADDRESS", "")  # lines separated by \n, printed on invoices
COMPANY_LOGO_PATH = env_str("COMPANY_LOGO_PATH", str(BASE_DIR / "static" / "img" / "logo.svg"))
# The seller printed on invoice PDFs: legal name and postal address (lines separated by \n).
# Empty: COMPANY_NAME / COMPANY_ADDRESS are printed instead.
SELLER_NAME = env_str("SELLER_NAME", "")
SELLER_ADDRESS = env_str("SELLER_ADDRESS", "")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
