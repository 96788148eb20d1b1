# Two commands for a newcomer: `make demo` and `make test`. Both bootstrap everything.
SHELL := /bin/bash
VENV := .venv
BIN := $(VENV)/bin
UV := python3 -m uv

# The Dagster instance config is ./dagster.yaml; its storage goes to .dagster/ (ignored).
export DAGSTER_HOME := $(CURDIR)
export KVARTER_DAGSTER_STORAGE := $(CURDIR)/.dagster
export GX_ANALYTICS_ENABLED := False
export DO_NOT_TRACK := 1

DBT_SOURCES := $(shell find dbt_project/models dbt_project/macros dbt_project/seeds -type f) \
	dbt_project/dbt_project.yml dbt_project/profiles.yml

.PHONY: install browser demo test test-fast lint ui dashboard clean

$(VENV)/.installed: pyproject.toml uv.lock
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --frozen
	@touch $@

install: $(VENV)/.installed

dbt_project/target/manifest.json: $(VENV)/.installed $(DBT_SOURCES)
	cd dbt_project && ../$(BIN)/dbt parse --quiet --profiles-dir .

# The browser tests drive Debian's Chromium (browser downloads at run time fail here).
browser:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq chromium >/dev/null)

demo: install dbt_project/target/manifest.json
	$(BIN)/kvarter demo

test: install browser dbt_project/target/manifest.json
	$(BIN)/ruff check .
	$(BIN)/pytest

# Everything but the end-to-end and browser tests (marker `slow`): about a minute.
test-fast: install dbt_project/target/manifest.json
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not slow"

# The UI is the demo's: its runs read the synthetic health API and housing database,
# unless KVARTER_HEALTH_API_URL / KVARTER_HOUSING_DB_URL name real ones.
ui: install dbt_project/target/manifest.json
	$(BIN)/kvarter ui --synthetic

# The departments' dashboard on the published copy (after `make demo`): http://127.0.0.1:8501
dashboard: install
	$(BIN)/python -m dashboard --server.port 8501 -- --published data/published/kvarter.duckdb

clean:
	rm -rf data .dagster dbt_project/target dbt_project/logs
