# Two commands for a new user: `make run` and `make test`. Everything else is set-up they call.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test install migrate seed messages lint bench clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	DEBUG=1 $(PY) manage.py migrate --noinput

seed: migrate
	DEBUG=1 $(PY) manage.py seed_demo

# Web, Celery worker and beat together; one Ctrl-C stops all three.
run: seed
	@echo "Portal: http://127.0.0.1:8000/  (Ctrl-C stops web, worker and beat)"
	@trap 'kill 0' INT TERM EXIT; \
	DEBUG=1 $(VENV)/bin/celery -A governance worker --loglevel=INFO --concurrency=2 & \
	DEBUG=1 $(VENV)/bin/celery -A governance beat --loglevel=INFO & \
	DEBUG=1 $(PY) manage.py runserver 127.0.0.1:8000 & \
	wait

test: install
	ALLOW_DEV_SECRET_KEY=1 $(PY) -m pytest $(PYTEST_ARGS)

messages: install
	DEBUG=1 $(PY) manage.py makemessages -l zh_Hans --ignore=.venv --ignore=var --ignore=bench --ignore=tests --no-obsolete
	DEBUG=1 $(PY) manage.py compilemessages -l zh_Hans --ignore=.venv

lint: install
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

bench: install
	$(PY) bench/run.py

clean:
	rm -rf $(VENV) var
