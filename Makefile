# Everything a fresh clone needs: `make run` and `make test` create the environment themselves.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

# Prefect's own ephemeral server, without telemetry (no network beyond the data sources).
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false

.PHONY: setup run test test-fast test-production lint lock clean bench

setup: $(STAMP)

$(STAMP): pyproject.toml requirements.lock
	@$(PYTHON) -c 'import sys; sys.exit("Python >= 3.11 is required, found " + sys.version.split()[0]) if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	@touch $(STAMP)

run: setup
	$(BIN)/smallcap run

# Tests run on one worker per CPU (pytest-xdist); each worker starts its own Prefect test server.
# The production setup has its own target (below).
test: setup
	$(BIN)/ruff check .
	$(BIN)/lint-imports
	$(BIN)/pytest -n logical --dist worksteal -m "not production"

# The production setup end to end: PostgreSQL in a temporary folder, a Prefect server on it, the work
# pool, prefect deploy, a process worker, a completed run (≈ 35 s; skips without Debian's postgresql).
test-production: setup
	$(BIN)/pytest -m production

# The quick loop: ruff and every test that needs no Prefect server (no whole flow run, no CLI end to end).
test-fast: setup
	$(BIN)/ruff check .
	$(BIN)/pytest -m "not flow" -n logical --dist worksteal

# Measures the weekly run and a 10 M-row warehouse rebuild; writes bench/RESULTS.md (≈ 10 min).
bench: setup
	$(BIN)/python -m bench

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Re-resolve the direct dependencies (pyproject.toml) into exact pins.
lock:
	rm -rf .lock-venv && $(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet -e '.[dev]'
	{ echo "# Exact versions for make setup (pip install -r requirements.lock). Regenerate: make lock"; \
	  .lock-venv/bin/python -m pip freeze --exclude-editable; } > requirements.lock
	rm -rf .lock-venv

clean:
	rm -rf $(VENV) data .pytest_cache .ruff_cache
