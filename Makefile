# The two set-up commands: `make run` and `make test`. Everything else is optional.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install install-dev migrate seed serve bench fuzz soak browser clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(BIN)/activate
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py init_db

seed: migrate
	$(PY) manage.py seed_demo --if-empty

## make run: venv, install, migrate, init_db, seed a small demo fleet when empty, then serve
## with one background-job worker and the periodic scheduler beside the web server.
run: seed
	$(PY) manage.py run_worker & worker=$$!; \
	$(PY) manage.py run_scheduler & scheduler=$$!; \
	trap 'kill $$worker $$scheduler 2>/dev/null' EXIT INT TERM; \
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: install dev requirements and run the whole suite (SQLite, or DATABASE_URL).
test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench: fleet-scale benchmarks (prints figures; not part of the tests).
bench: install-dev
	$(PY) bench/run.py $(BENCH_ARGS)

## make fuzz: schema-driven fuzzing of the whole API (at least 1,000 requests).
fuzz: install-dev
	$(PY) bench/fuzz.py $(FUZZ_ARGS)

## make soak: 60 s of mixed reads and writes, 16 clients, gunicorn + PostgreSQL, then reconciles.
soak: install-dev
	$(PY) bench/soak.py $(SOAK_ARGS)

## make browser: install Debian's Chromium for the admin browser tests (needs root).
browser:
	command -v chromium >/dev/null || (apt-get update -qq && apt-get install -y -qq chromium)

clean:
	rm -rf $(VENV) var/*.sqlite3* var/screenshots
