# The two commands a new host needs: `make run` starts the bot, `make test` runs every test.
# Both create .venv and install what they need on first use (and again when pyproject.toml changes).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format check bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/python main.py

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(STAMP)
	$(BIN)/python -m bench.timeliness --runs 3
	$(BIN)/python -m bench.fanout --servers 10000 --runs 3
	$(BIN)/python -m bench.commands --runs 3
	$(BIN)/python -m bench.footprint --runs 3
	$(BIN)/python -m bench.tvmaze --runs 3

check: $(STAMP)
	$(BIN)/python main.py check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
