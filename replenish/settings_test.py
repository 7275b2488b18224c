"""Settings for the test suite: the production settings, with what a test run needs without any environment."""

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "test-suite-only-not-secret")
os.environ.setdefault("AUDIT_HMAC_KEY", "test-suite-audit-key-not-secret")
# an empty checkpoint directory per test run (a developer's var/ may hold their demo's checkpoints)
os.environ.setdefault("AUDIT_CHECKPOINT_DIR", tempfile.mkdtemp(prefix="distops-audit-checkpoints-"))

from .settings import *  # noqa: E402,F403
from .settings import STORAGES  # noqa: E402

STORAGES = {**STORAGES, "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast logins in tests
SECURE_SSL_REDIRECT = False
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
ALLOWED_HOSTS = ["*"]
EVALUATION_JOBS_INLINE = True  # a simulation started from a screen runs inside the request (no thread)
