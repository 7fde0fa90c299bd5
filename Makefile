# Two commands for a newcomer: `make run` (app + demo data) and `make test` (the whole suite).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
CONSTRAINTS := requirements/constraints.txt

.PHONY: setup run worker test lint format bench lock clean

$(BIN)/activate:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# The ICD-10-CM FY2025 set: simple-icd-10-cm 1.4.0's data files, in a folder of their own so
# that they do not replace 1.5.0 (FY2026), which reads them (settings.ICD10CM_FY2025_DIR).
ICD10CM_FY2025 := $(VENV)/icd10cm-fy2025

$(ICD10CM_FY2025)/.installed: $(BIN)/activate
	$(PY) -m pip install --quiet --no-deps --target $(ICD10CM_FY2025) simple-icd-10-cm==1.4.0
	touch $@

# Reinstall only when the dependency list or the pins change.
$(VENV)/.installed: $(BIN)/activate pyproject.toml $(CONSTRAINTS) $(ICD10CM_FY2025)/.installed
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e .
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed
	$(PY) -m pip install --quiet -c $(CONSTRAINTS) -e ".[dev]"
	touch $@

setup: $(VENV)/.installed
	$(PY) manage.py migrate --no-input
	$(PY) manage.py load_reference

# On PostgreSQL long work goes to the queue: a worker runs beside the server (stopped with it).
# On SQLite it runs in the request, and the server is all there is.
run: setup
	DEBUG=1 $(PY) manage.py seed_demo
	@echo ""
	@echo "ptclinic is running at http://$(HOST):$(PORT)/  (Ctrl-C stops it)"
	@if [ "$$($(PY) manage.py shell -c 'from django.conf import settings; print(settings.JOBS_RUNNER)')" = queue ]; then \
	  echo "with a job worker (manage.py procrastinate worker)"; \
	  DEBUG=1 $(PY) manage.py procrastinate worker --queues jobs & worker=$$!; \
	  trap "kill $$worker 2>/dev/null" EXIT INT TERM; \
	  DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT); \
	else \
	  DEBUG=1 $(PY) manage.py runserver $(HOST):$(PORT); \
	fi

# A job worker (PostgreSQL): start as many as you like, on any host, against the same database.
worker: setup
	$(PY) manage.py procrastinate worker --queues jobs

test: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(PY) -m pytest $(PYTEST_ARGS)

format: $(VENV)/.installed-dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: setup
	$(PY) bench/run_all.py

# Refresh the pins after changing dependencies in pyproject.toml.
lock: $(BIN)/activate
	$(PY) -m pip install --quiet --upgrade -e ".[dev]"
	$(PY) -m pip freeze --exclude-editable | grep -v '^-e' > $(CONSTRAINTS)

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache .mypy_cache
