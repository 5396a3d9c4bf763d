# front-sync: `make demo` runs the main job on the embedded default, `make test` runs the tests.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
STAMP := $(VENV)/.installed

.PHONY: demo test lint airflow bench clean venv soak soak-short

# (Re)create the venv when it is missing or the pinned requirements / project metadata changed.
$(STAMP): requirements.txt pyproject.toml simulator/pyproject.toml
	@test -x $(VENV)/bin/python || $(PYTHON) -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check -U pip 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/pip install -q --disable-pip-version-check -r requirements.txt 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/pip install -q --disable-pip-version-check --no-deps -e . -e simulator 2>&1 | grep -v "is ignored" || true
	@$(VENV)/bin/python -c "import airflow, front_sync, front_simulator" || { echo "venv set-up failed"; exit 1; }
	@touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	@scripts/demo.sh

test: $(STAMP)
	$(VENV)/bin/python -m pytest tests

# The soak test under Airflow's real scheduler (tests/soak): full variant, under 15 minutes; `make test` runs the
# short one (tests/soak/test_soak.py). SOAK_ARGS="--keep-logs DIR --summary-json FILE --seed N" for more.
soak: $(STAMP)
	$(VENV)/bin/python scripts/soak.py --variant full $(SOAK_ARGS)

soak-short: $(STAMP)
	$(VENV)/bin/python scripts/soak.py --variant short $(SOAK_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check .

airflow: $(STAMP)
	@scripts/airflow_standalone.sh

bench: $(STAMP)
	@for b in bench/bench_*.py; do $(VENV)/bin/python $$b || exit 1; done

clean:
	rm -rf .airflow bench/results
