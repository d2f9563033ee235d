# Two commands for a new user: `make run` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
PORT ?= 8000
# Test processes (pytest-xdist): one per core by default; `make test TEST_WORKERS=0` runs in one.
TEST_WORKERS ?= auto
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed messages lint bench clean

# pip's own notices (and the machine's index configuration) go to a log; it is shown on failure.
$(STAMP): pyproject.toml
	@mkdir -p var
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "Installing the project and its dependencies into $(VENV) (log: var/install.log) …"
	@( $(PY) -m pip install --quiet --upgrade pip && $(PY) -m pip install --quiet '.[dev]' ) \
		> var/install.log 2>&1 || { tail -n 40 var/install.log; exit 1; }
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@DEBUG=1 $(PY) manage.py migrate --noinput -v 0

seed: migrate
	@DEBUG=1 $(PY) manage.py seed_demo

# Web, Celery worker and beat together; one Ctrl-C stops all three (`make run PORT=8001`).
run: seed
	@DEBUG=1 $(PY) manage.py runportal --port $(PORT)

test: install
	@ALLOW_DEV_SECRET_KEY=1 $(PY) -m pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

messages: install
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# The production stack on loopback under load at two sizes: bench/RESULTS.md (`make bench
# BENCH_ARGS=--tiny` for a smoke run). The other benchmarks: bench/run.py (deadline scan),
# bench/lists.py, bench/stats.py, bench/export.py, bench/resident_import.py.
bench: install
	$(PY) bench/stack.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) var
