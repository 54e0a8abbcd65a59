"""Test settings: the real settings with speed-ups (HackSoft test settings)."""

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key")

from billing_console.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
CELERY_TASK_ALWAYS_EAGER = True  # tasks enqueued on commit run inline, as a worker would run them
# The browser tests' live server speaks plain HTTP, over which a browser keeps HTTPS-only cookies
# to itself. The defaults with DEBUG off are tested in billing_console/tests/test_settings.py.
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = False
# django-axes refuses an authenticate() without a request, which Django's test Client.login
# makes: off here, and on in the tests of sign-in throttling (people/tests/test_signin.py).
AXES_ENABLED = False
