# The two commands: `make run` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench soak lint messages letters clean

# `make run PORT=8100 SMTP_PORT=2525`: the web app's port and the dev mail catcher's.
PORT ?= 8000
SMTP_PORT ?= 1025
RUN_ENV := DSR_BASE_URL=http://127.0.0.1:$(PORT) DSR_SMTP_URL=smtp://127.0.0.1:$(SMTP_PORT)

$(STAMP): pyproject.toml
	@echo "Installing dsr and its dependencies into $(VENV) (a few minutes the first time)..."
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --progress-bar off -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(RUN_ENV) $(BIN)/dsr db upgrade
	$(RUN_ENV) $(BIN)/dsr demo load
	$(RUN_ENV) $(BIN)/dsr serve --port $(PORT)

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest

# Benchmarks (not timed tests): prints a table and rewrites bench/README.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The long checks: API fuzzing with 500 examples per operation and data mode, and 1000
# erasures through killed workers and a database restart (needs DSR_TEST_POSTGRES_URL); then the
# tests marked soak (the browser walks of the DPO desk again on PostgreSQL).
soak: $(STAMP)
	DSR_FUZZ_EXAMPLES=500 DSR_CHAOS_REQUESTS=1000 $(BIN)/pytest -q -s --timeout=3600 -o session_timeout=0 \
		tests/e2e/test_api_fuzz.py tests/integration/test_chaos.py
	$(BIN)/pytest -q -m soak --timeout=900 -o session_timeout=0

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

# Extract translatable text and merge it into the German catalog (then translate the new entries).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-default-keywords -k N_ -k _ --no-location --sort-output --project dsr -o src/dsr/locale/messages.pot .
	$(BIN)/pybabel update -i src/dsr/locale/messages.pot -d src/dsr/locale --width 100 --ignore-obsolete

# Rebuild the shipped letter templates from src/dsr/letters/wording_*.py (their single source).
letters: $(STAMP)
	$(BIN)/python -c "from pathlib import Path; from dsr.letters.blueprints import write_templates; write_templates(Path('templates/letters'), overwrite=True)"

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
