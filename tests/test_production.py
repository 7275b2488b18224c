"""The production path: the manifest static storage accepts every vendored file; TLS settings by default."""

import gc
import os
import runpy
import subprocess
import sys
from pathlib import Path

from django.core.management import call_command
from django.db import connections
from django.test import override_settings

ROOT = Path(__file__).resolve().parent.parent


def test_collectstatic_with_the_manifest_storage(tmp_path):
    """Finding 1 of issue 13: a vendored file referencing a missing source map broke collectstatic."""
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    with override_settings(STORAGES=storages, STATIC_ROOT=tmp_path):
        call_command("collectstatic", "--noinput", verbosity=0)
    manifest = (tmp_path / "staticfiles.json").read_text()
    assert "vendor/chart-4.6.1.umd.min.js" in manifest
    assert "js/queue.js" in manifest


def _settings_value(names: str, **env) -> list[str]:
    code = f"from replenish import settings as s; print(*[getattr(s, n) for n in {names.split()!r}])"
    clean = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DEBUG", "SERVE_PLAIN_HTTP", "SECURE_SSL_REDIRECT", "AUDIT_HMAC_KEY"}
    }
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, "SECRET_KEY": "x", "AUDIT_HMAC_KEY": "k", **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.split()


def test_tls_behind_proxy_by_default_plain_http_only_when_asked():
    names = "SECURE_SSL_REDIRECT SESSION_COOKIE_SECURE CSRF_COOKIE_SECURE SECURE_HSTS_SECONDS"
    assert _settings_value(names) == ["True", "True", "True", "31536000"]
    assert _settings_value("SECURE_PROXY_SSL_HEADER") == ["('HTTP_X_FORWARDED_PROTO',", "'https')"]
    assert _settings_value(names, SERVE_PLAIN_HTTP="1") == ["False", "False", "False", "0"]


def test_the_audit_key_is_required_when_debug_is_off(tmp_path):
    """Issue 13 item 3: the audit chain's HMAC key comes from the environment; development (DEBUG on) uses a fixed
    key. Without it and DEBUG off, `check` fails with core.E001 and the web server does not start, while a build step
    that writes no audit event (collectstatic) still runs."""
    assert _settings_value("AUDIT_HMAC_KEY", AUDIT_HMAC_KEY="from-the-env") == ["from-the-env"]
    assert _settings_value("AUDIT_HMAC_KEY", AUDIT_HMAC_KEY="", DEBUG="1") == [
        "insecure-development-audit-key"
    ]
    clean = {
        k: v for k, v in os.environ.items() if k not in {"DEBUG", "AUDIT_HMAC_KEY", "DJANGO_SETTINGS_MODULE"}
    }
    env = {**clean, "SECRET_KEY": "x", "ALLOWED_HOSTS": "127.0.0.1", "STATIC_ROOT": str(tmp_path)}

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, *args], env=env, cwd=ROOT, capture_output=True, text=True)

    check = run("manage.py", "check")
    assert check.returncode != 0
    assert "core.E001" in check.stderr and "AUDIT_HMAC_KEY is required when DEBUG is off" in check.stderr
    assert "Traceback" not in check.stderr
    wsgi = run("-c", "import replenish.wsgi")
    assert wsgi.returncode != 0 and "AUDIT_HMAC_KEY is required when DEBUG is off" in wsgi.stderr
    static = run("manage.py", "collectstatic", "--noinput", "-v", "0")
    assert static.returncode == 0, static.stderr
    assert (tmp_path / "staticfiles.json").exists()


def test_gunicorn_loads_and_warms_the_app_in_the_master_before_forking(tmp_path):
    """gunicorn.conf.py (README, "Production"): the application is preloaded and, before the first fork, warmed by
    replenish.wsgi.warm_up: every page template compiled, the Celery task registry built, no database connection
    left open for the workers to share, and the loaded objects frozen out of the collector's generations."""
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    assert config["preload_app"] is True and config["timeout"] == 60
    assert config["worker_class"] == "gthread" and config["threads"] == int(
        os.environ.get("GUNICORN_THREADS", 4)
    )

    class Log:
        lines: list[str] = []

        def info(self, message, *args):
            self.lines.append(message % args)

    server = type("Server", (), {"log": Log()})()
    try:
        config["when_ready"](server)
        assert gc.get_freeze_count() > 10_000
    finally:
        gc.unfreeze()
    (line,) = Log.lines
    templates = sorted((ROOT / "replenish" / "templates").rglob("*.html"))
    assert f"'templates': {len(templates)}," in line and len(templates) > 20
    assert "'tasks': " in line and "'tasks': 0," not in line
    # (an in-memory SQLite test database is never closed by Django: its data would go with the connection)
    in_memory = [c for c in connections.all(initialized_only=True) if getattr(c, "is_in_memory_db", bool)()]
    assert all(c.connection is None for c in connections.all(initialized_only=True) if c not in in_memory)
