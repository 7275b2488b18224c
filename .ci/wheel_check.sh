#!/usr/bin/env bash
# The wheel works on its own: build it, install it (non-editable) into a fresh venv outside the checkout, then run
# `check` and `migrate` on a temporary SQLite database and find a template, a static file and a format document.
set -euo pipefail
cd "$(dirname "$0")/.."
python="${PYTHON:-python3}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# built from a copy, so the build leaves nothing in the checkout
mkdir "$work/src"
tar --exclude=./.venv --exclude=./.git --exclude=./build --exclude=./dist --exclude='*.sqlite3*' -cf - . \
  | tar -xf - -C "$work/src"
"$python" -m pip wheel --quiet --no-deps --wheel-dir "$work/dist" "$work/src"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install --quiet --disable-pip-version-check "$work"/dist/distops-*.whl

cd "$work"  # nothing of the checkout on sys.path
export DJANGO_SETTINGS_MODULE=replenish.settings DEBUG=1 DATABASE_URL="sqlite:///$work/db.sqlite3"
"$work/venv/bin/django-admin" check
"$work/venv/bin/django-admin" migrate --noinput -v 0
"$work/venv/bin/python" - <<'PY'
import django

django.setup()
from importlib.resources import files

from django.contrib.staticfiles import finders
from django.template.loader import get_template

import replenish

assert "site-packages" in replenish.__file__, replenish.__file__
get_template("base.html")
get_template("exceptions/queue.html")
get_template("registration/login.html")
assert finders.find("vendor/htmx-2.0.11.min.js"), "static files are not in the wheel"
assert files("integrations.files").joinpath("FORMATS.md").is_file(), "the format document is not in the wheel"
from django.db import connection

tables = set(connection.introspection.table_names())
assert {"governance_auditevent", "workflows_domainevent", "replenish_item"} <= tables, sorted(tables)[:10]
print(f"wheel ok: {replenish.__file__}, {len(tables)} tables")
PY
