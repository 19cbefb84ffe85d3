# One task file: `make run` builds the warehouse from the bundled sample, `make test` tests.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export PREFECT_SERVER_ANALYTICS_ENABLED ?= false
export DO_NOT_TRACK ?= 1
export PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS ?= 120

.PHONY: run test lint bench accuracy install lock clean

# requirements.lock pins every dependency; pyproject.toml stays the source of truth (`make lock`).
$(BIN)/cables: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade uv
	$(BIN)/uv pip install --quiet --python $(BIN)/python -r requirements.lock -e ".[dev]"
	touch $(BIN)/cables

install: $(BIN)/cables

run: install
	$(BIN)/cables build
	$(BIN)/cables sql "select tag_a, tag_b, cables, round(lift, 1) as lift from tag_cooccurrence limit 10"

test: install
	$(BIN)/python -m pytest -n 2 --dist loadfile

lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

bench: install
	$(BIN)/python bench/run.py --source $(or $(SOURCE),data/sample)

accuracy: install
	$(BIN)/python bench/accuracy.py

lock:
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --upgrade -o requirements.lock

clean:
	rm -rf warehouse/* warehouse/.staging warehouse/.trash
