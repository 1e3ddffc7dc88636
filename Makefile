# Two commands on a fresh machine: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
export PIP_DISABLE_PIP_VERSION_CHECK := 1

.PHONY: run test install system-deps lint typecheck test-sqlite test-postgres bench clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# Debian packages and npm modules that only the tests need (independent iCalendar parsers,
# chromium for the browser tests).
# Skipped when already present, so a developer machine without root can still run `make test`
# once they are installed.
.stamp-system-deps:
	@# Only what is missing: a machine's Node may come from NodeSource, whose nodejs package
	@# ships npm and conflicts with Debian's npm package.
	@if ! /usr/bin/python3 -c 'import gi; gi.require_version("ICal", "3.0")' 2>/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends \
	    gir1.2-ical-3.0 python3-gi; \
	fi
	@if ! command -v node >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs; \
	fi
	@if ! command -v npm >/dev/null; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends npm; \
	fi
	@# Debian's chromium for the browser tests (Playwright drives it; never `playwright install`).
	@if [ ! -x /usr/bin/chromium ]; then \
	  apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	fi
	npm ci --silent --no-audit --no-fund --prefix tests/feeds_clients
	touch $@

system-deps: .stamp-system-deps

DEMO_PERIOD := chiv-summer-2026
DEMO_ADMIN := admin@example.org
DEMO_UPCOMING := chiv-upcoming

run: install
	$(BIN)/scheduler load --if-empty scenarios/$(DEMO_PERIOD).yaml
	$(BIN)/scheduler plan $(DEMO_PERIOD) --if-none --time-limit 20
	@# An upcoming period (its form open, its deadline ahead), dated from the day it is loaded.
	$(BIN)/scheduler load --if-absent --starting-in 21 --period-id $(DEMO_UPCOMING) \
	  --period-name "CHIV — période à venir (démonstration)" scenarios/$(DEMO_PERIOD).yaml
	$(BIN)/scheduler create-manager $(DEMO_ADMIN) --admin --generate-password --if-no-account
	@echo "Sign in at http://127.0.0.1:8000/ as $(DEMO_ADMIN) (its password was printed when the"
	@echo "account was created; 'scheduler reset-password $(DEMO_ADMIN) --generate-password' sets a new one)."
	@# A solve worker beside the web server; both stop together (Ctrl-C).
	$(BIN)/scheduler worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/scheduler serve

lint: install
	$(BIN)/ruff check scheduler tests scenarios benchmarks
	$(BIN)/mypy scheduler benchmarks

# One test process per core (pytest-xdist), each test file on one of them so that its fixtures
# are set up once: 9.8 min against 16.8 min in one process on 2 cores (2026-12-01).
test: install system-deps lint
	$(BIN)/pytest -q -n auto --dist loadfile

bench: install
	$(PY) -m benchmarks

clean:
	rm -rf $(VENV) .stamp-* tests/feeds_clients/node_modules scheduler.db
