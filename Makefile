# The two commands a new host needs: `make run` starts the bot, `make test` runs every test.
# Both check the Python version, create .venv and install the pinned versions in requirements/ on
# first use (and again whenever those files change). `make run` installs only what the bot needs;
# `make test` adds the test and lint tools.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PIP := $(BIN)/python -m pip --disable-pip-version-check
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev
# `make lock LOCK_FLAGS=--upgrade` moves every pin to the newest release; `--upgrade-package ruff` one.
LOCK_FLAGS ?=
SERVICE_DIR := /opt/cliffhanger
SERVICE_USER := cliffhanger

.DEFAULT_GOAL := venv
.PHONY: venv run test lint format check bench lock install-service clean

# Before make looks at .venv: stop with one line on a Python older than pyproject.toml's
# requires-python, and remove a .venv that another interpreter made so that it is built again.
ifneq ($(filter-out clean,$(or $(MAKECMDGOALS),$(.DEFAULT_GOAL))),)
PYTHON_CHECK := $(shell command -v $(PYTHON) >/dev/null 2>&1 && $(PYTHON) deploy/check_python.py $(VENV))
ifneq ($(PYTHON_CHECK),ok)
$(error $(or $(PYTHON_CHECK),$(PYTHON) was not found: install Python 3.11 or newer (Debian/Ubuntu: sudo apt install python3.11 python3.11-venv) and run make PYTHON=python3.11 run))
endif
endif

$(RUN_STAMP): requirements/run.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --no-deps -r requirements/run.txt
	touch $@

$(DEV_STAMP): requirements/dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --no-deps -r requirements/dev.txt
	touch $@

venv: $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/python main.py

check: $(RUN_STAMP)
	$(BIN)/python main.py check

test: $(DEV_STAMP)
	$(BIN)/python -m pytest

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(DEV_STAMP)
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(DEV_STAMP)
	$(BIN)/python -m bench.timeliness --runs 3
	$(BIN)/python -m bench.fanout --servers 10000 --runs 3
	$(BIN)/python -m bench.commands --runs 3
	$(BIN)/python -m bench.commands --sweep --seconds 10 --runs 3
	$(BIN)/python -m bench.restart --runs 3
	$(BIN)/python -m bench.footprint --runs 3
	$(BIN)/python -m bench.footprint --memory --runs 3 --census
	$(BIN)/python -m bench.tvmaze --runs 3

# Pin what pyproject.toml asks for: requirements/run.txt for the bot, requirements/dev.txt for the
# tests and tools (the same versions of what they share). Existing pins stay unless LOCK_FLAGS says.
lock: $(DEV_STAMP)
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 $(LOCK_FLAGS) \
		pyproject.toml -o requirements/run.txt
	$(BIN)/uv pip compile --quiet --universal --python-version 3.11 $(LOCK_FLAGS) \
		pyproject.toml --extra dev -c requirements/run.txt -o requirements/dev.txt

# Run the bot as a systemd service (deploy/cliffhanger.service), from a checkout in $(SERVICE_DIR)
# owned by the user $(SERVICE_USER). Run it again after `git pull` to upgrade: it reinstalls the pins,
# reinstalls the unit and restarts the bot, which backs up the database and migrates it.
install-service:
	@test "$$(id -u)" = 0 || { echo "error: installing a service needs root: sudo make install-service" >&2; exit 2; }
	@test "$(CURDIR)" = "$(SERVICE_DIR)" || { echo "error: the service runs the checkout in $(SERVICE_DIR), not $(CURDIR): sudo git clone <this repository> $(SERVICE_DIR)" >&2; exit 2; }
	@test -f .env || { echo "error: .env is missing: cp .env.example .env, paste the token after DISCORD_TOKEN=, then run this again" >&2; exit 2; }
	id -u $(SERVICE_USER) >/dev/null 2>&1 || useradd --system --home-dir $(SERVICE_DIR) --no-create-home --shell /usr/sbin/nologin $(SERVICE_USER)
	chown -R $(SERVICE_USER):$(SERVICE_USER) .
	chmod 600 .env
	runuser -u $(SERVICE_USER) -- env HOME=$(SERVICE_DIR) make --no-print-directory venv PYTHON=$(PYTHON)
	runuser -u $(SERVICE_USER) -- $(BIN)/python -m compileall -q bot cogs main.py
	install -m 644 deploy/cliffhanger.service /etc/systemd/system/cliffhanger.service
	systemctl daemon-reload
	systemctl enable cliffhanger
	systemctl restart cliffhanger
	@echo "cliffhanger is running; its log: journalctl -u cliffhanger -f"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis *.egg-info
