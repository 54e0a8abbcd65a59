# Billing Console. `make run` to try it, `make test` to test it.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip

.PHONY: run web worker test conformance lint format typecheck migrations-check migrate demo clean

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

## run: install, migrate, load demo data, and serve console + API with background work.
## DEBUG=1 unless set; without SECRET_KEY, a random key is generated once into var/secret_key.
run: $(VENV)/.installed
	DEBUG=$${DEBUG:-1} $(PY) manage.py migrate --no-input
	DEBUG=$${DEBUG:-1} $(PY) manage.py load_demo
	DEBUG=$${DEBUG:-1} bin/serve

## web: the web tier as production runs it (bin/web: granian, WEB_* settings in the README)
web: $(VENV)/.installed
	VENV=$(VENV) bin/web

## worker: the Celery workers, one per queue, with the periodic schedule (bin/worker;
## production: run next to bin/web)
worker: $(VENV)/.installed
	VENV=$(VENV) bin/worker

## test: the whole suite (PostgreSQL when DATABASE_URL is set, SQLite otherwise)
test: $(VENV)/.installed
	$(VENV)/bin/pytest $(PYTEST_ARGS)

## conformance: the official metronome-sdk's own generated tests against a live demo server
## (a fresh database: SQLite, or a new one beside DATABASE_URL's); see bin/sdk_conformance
conformance: $(VENV)/.installed
	bin/sdk_conformance

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: $(VENV)/.installed
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

migrations-check: $(VENV)/.installed
	SECRET_KEY=check $(PY) manage.py makemigrations --check --dry-run

migrate: $(VENV)/.installed
	$(PY) manage.py migrate

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache
