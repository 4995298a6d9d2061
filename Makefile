# The README's commands. `make run` and `make test` work from a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
# Test processes (pytest-xdist); TEST_WORKERS=0 runs the suite in this one process.
TEST_WORKERS ?= 2
PO_FILES := $(wildcard trainer/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
export FLASK_APP := wsgi


.PHONY: install cjk-font run worker test test-sqlite test-postgres lint bench messages clean

install: $(VENV)/.installed $(MO_FILES) cjk-font

# Demo clips draw Chinese text: Debian's fonts-noto-cjk (installed here when we may).
cjk-font:
	@fc-list 2>/dev/null | grep -q "Noto Sans CJK" || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else echo "note: install Debian's fonts-noto-cjk for the demo clips' Chinese text"; fi; }

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

%.mo: %.po $(VENV)/.installed
	$(BIN)/pybabel compile -i $< -o $@ >/dev/null 2>&1

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	@echo "Serving on http://$(HOST):$(PORT)/ with a job worker beside it (Ctrl-C stops both)"
	$(BIN)/huey_consumer trainer.tasks.huey --workers 1 --logfile instance/jobs.log & \
	  worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
	  $(BIN)/gunicorn --bind $(HOST):$(PORT) --workers 2 --threads 2 --access-logfile - wsgi:app

# The job worker alone (for a second machine, or beside `flask run`).
worker: install
	$(BIN)/huey_consumer trainer.tasks.huey --workers 2

lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# Whole suite on SQLite (browser tests included when a Chromium is found), then again on
# PostgreSQL when TRAINER_TEST_DATABASE_URL is set.
test: lint test-sqlite
	@if [ -n "$$TRAINER_TEST_DATABASE_URL" ]; then $(MAKE) --no-print-directory test-postgres; \
	else echo "TRAINER_TEST_DATABASE_URL not set: PostgreSQL run skipped"; fi

test-sqlite: install
	TRAINER_TEST_BACKEND=sqlite $(BIN)/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

# tests/core never touches a database, so the PostgreSQL run leaves it out.
test-postgres: install
	TRAINER_TEST_BACKEND=postgresql $(BIN)/pytest -n $(TEST_WORKERS) -m "not browser" --ignore=tests/core $(PYTEST_ARGS)

bench: install
	@for module in $$(ls benchmarks/*.py 2>/dev/null | grep -v __init__ | xargs -rn1 basename | sed 's/\.py$$//'); do \
		echo "== benchmarks.$$module"; $(BIN)/python -m benchmarks.$$module || exit 1; done

messages: install
	$(BIN)/python scripts/i18n.py update

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache test-artifacts $(MO_FILES)
