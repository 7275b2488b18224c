# DistOps: `make run` serves the demo, `make test` runs the whole suite. Only Python 3.11+ is needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
HOST   ?= 127.0.0.1:8000

TRYTON_VENV := .venv-tryton
TRYTON_STAMP := $(TRYTON_VENV)/.tryton-$(shell cksum pyproject.toml | cut -d' ' -f1)
TRYTON_PORT ?= 8801
ERP_DEMO_DB := sqlite:///$(CURDIR)/var/erp-demo.sqlite3

.PHONY: install install-tryton run erp-demo test bench lint clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The Tryton ERP (trytond and its stock, purchase, sale and stock_supply modules: the `tryton` extra's pins in
# pyproject.toml) for `make erp-demo` and the Tryton adapter's tests, in a virtualenv of its own: Tryton is a separate
# server (DistOps talks to it over HTTP and imports none of it), and its dependencies (lxml among them) would change
# how DistOps' own libraries behave.
$(TRYTON_STAMP): pyproject.toml
	test -x $(TRYTON_VENV)/bin/python || $(PYTHON) -m venv $(TRYTON_VENV)
	$(TRYTON_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TRYTON_VENV)/bin/python -c "import shlex, tomllib; print(' '.join(shlex.quote(p) for p in tomllib.load(open('pyproject.toml', 'rb'))['project']['optional-dependencies']['tryton']))" \
	  | xargs $(TRYTON_VENV)/bin/python -m pip install --quiet
	rm -f $(TRYTON_VENV)/.tryton-* && touch $(TRYTON_STAMP)

install-tryton: $(TRYTON_STAMP)

run: install
	DEBUG=1 $(BIN)/python manage.py migrate --noinput
	DEBUG=1 $(BIN)/python manage.py demo_setup
	DEBUG=1 $(BIN)/python manage.py runserver --noreload $(HOST)

# A local Tryton on SQLite (var/tryton) holding the demo network; DistOps pulls from it and posts approved actions to
# it (its own database var/erp-demo.sqlite3, so `make run`'s is left alone).
erp-demo: install install-tryton
	mkdir -p var
	DEBUG=1 DATABASE_URL=$(ERP_DEMO_DB) $(BIN)/python manage.py migrate --noinput
	DEBUG=1 DATABASE_URL=$(ERP_DEMO_DB) $(BIN)/python manage.py erp_demo --port $(TRYTON_PORT) --serve "$(HOST)"

test: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/run.py $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/radon cc --min E --show-complexity --exclude "*/migrations/*" replenish exceptions governance integrations bench
	$(BIN)/python -m pytest -q -p no:cacheprovider tests/test_architecture.py
	PYTHON=$(BIN)/python bash .ci/duplicates_check.sh

clean:
	rm -rf $(VENV) $(TRYTON_VENV) db.sqlite3 db.sqlite3-* staticfiles .pytest_cache var/tryton var/erp-demo.sqlite3
