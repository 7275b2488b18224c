"""Settings for the test suite: the production settings, with what a test run needs without any environment."""

import os

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-secret")

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
EVALUATION_JOBS_INLINE = True  # a simulation started from a screen runs inside the request (no thread)
