# The README names two targets: `make run` (set up, then run the main job) and `make test`
# (set up, then run every check). Everything else here is a step of those two.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install

WORKSPACE ?= ./workspace
DATA_DIR  ?= ./data

.PHONY: run test setup lint typecheck unit bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "soulbeat needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP)

run: setup
	$(BIN)/soulbeat serve --workspace $(WORKSPACE) --data-dir $(DATA_DIR)

lint: setup
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: setup
	$(BIN)/mypy

unit: setup
	$(BIN)/pytest

test: lint typecheck unit

bench: setup
	$(BIN)/python bench/bench_schedule.py

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
