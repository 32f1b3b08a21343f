# Tongban: `make run` sets up and serves the demo on SQLite; `make test` runs every test.
# Both create .venv themselves and install the exact versions in requirements/.

PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
PY     := $(VENV)/bin/python
HOST   ?= 127.0.0.1
PORT   ?= 8000
export TONGBAN_DEMO ?= 1
# Test processes (pytest-xdist): one per core of the 2-core CI machine; TEST_WORKERS=0 runs
# in one process.
TEST_WORKERS ?= 2

.PHONY: run setup test lint lock clean

$(VENV)/.runtime: requirements/lock.txt pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/lock.txt
	touch $@

$(VENV)/.dev: $(VENV)/.runtime requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	touch $@

setup: $(VENV)/.runtime
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py load_demo

run: setup
	@echo "通办 演示站点：http://$(HOST):$(PORT)/  （接口文档：http://$(HOST):$(PORT)/api/v1/docs）"
	@# The background worker (SMS invitations) and the statistics fold (rollups of the case
	@# events, every 5 s) run beside the web server and stop with it.
	$(PY) manage.py db_worker --no-reload --interval 5 & WORKER=$$!; \
	$(PY) manage.py stats_fold --follow --interval 5 & FOLD=$$!; \
	trap 'kill $$WORKER $$FOLD 2>/dev/null' EXIT INT TERM; \
	$(VENV)/bin/gunicorn tongban.wsgi --bind $(HOST):$(PORT) --workers 2 --threads 4 \
	  --access-logfile - --forwarded-allow-ips=""

test: $(VENV)/.dev
	$(VENV)/bin/pytest -n $(TEST_WORKERS) $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy tongban tests
	$(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var
