#!/usr/bin/env bash
# No run of 11+ lines identical to the letter outside migrations (issue 14), over the files git tracks or would
# track (working tree), copied aside so that virtualenvs and other ignored folders are never read.
# `duplicates` is a development tool on PATH, not installed in CI: without it this says so and passes.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v duplicates >/dev/null; then
  echo "duplicates is not on PATH: copy check skipped"
  exit 0
fi
tree="$(mktemp -d)"
trap 'rm -rf "$tree"' EXIT
git ls-files -z --cached --others --exclude-standard | tar --null -T - -cf - | tar -xf - -C "$tree"
duplicates --repo "$tree" --min-lines 11 --most 200 --seconds 120 | "${PYTHON:-.venv/bin/python}" .ci/duplicates_gate.py
