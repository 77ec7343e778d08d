# The two commands: `make run` and `make test`. Both bootstrap .venv on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench soak lint messages letters clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/dsr db upgrade
	$(BIN)/dsr demo load
	$(BIN)/dsr serve

test: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/mypy
	$(BIN)/pytest

# Benchmarks (not timed tests): prints a table and rewrites bench/README.md.
bench: $(STAMP)
	$(BIN)/python bench/run.py

# The long checks: API fuzzing with 500 examples per operation and data mode, and 1000
# erasures through killed workers and a database restart (needs DSR_TEST_POSTGRES_URL).
soak: $(STAMP)
	DSR_FUZZ_EXAMPLES=500 DSR_CHAOS_REQUESTS=1000 $(BIN)/pytest -q -s \
		tests/e2e/test_api_fuzz.py tests/integration/test_chaos.py

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
