# The README names two targets: `make run` (set up, then run the main job) and `make test`
# (set up, then run every check). Everything else here is a step of those two.
PYTHON ?= python3
NPM    ?= npm
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.stamp-install
PANEL  := src/soulbeat/api/static/index.html
WEBDEPS := web/node_modules/.package-lock.json

WORKSPACE ?= ./workspace
DATA_DIR  ?= ./data

.PHONY: run test setup panel lint typecheck unit web-test bench clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "soulbeat needs Python 3.11 or newer"'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

setup: $(STAMP) panel

# The panel: React + TypeScript, built by Vite into the package's static folder.
$(WEBDEPS): web/package.json web/package-lock.json
	$(NPM) --prefix web ci --no-audit --no-fund
	touch $(WEBDEPS)

$(PANEL): $(WEBDEPS) $(shell find web/src web/public web/index.html web/vite.config.ts web/tsconfig.json -type f 2>/dev/null)
	$(NPM) --prefix web run build

panel: $(PANEL)

run: setup
	$(BIN)/soulbeat serve --workspace $(WORKSPACE) --data-dir $(DATA_DIR)

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

web-test: $(WEBDEPS)
	$(NPM) --prefix web test -- --run

unit: setup
	$(BIN)/pytest

test: lint typecheck web-test unit

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/bench_schedule.py
	nice $(BIN)/python bench/bench_scale.py --sizes 1000,10000,100000 --reps 3 --window 6

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache web/node_modules src/soulbeat/api/static
