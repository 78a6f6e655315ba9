# rmdesk — the developer's and operator's entry points.
PYTHON ?= python3.11
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
HOST   ?= 127.0.0.1
PORT   ?= 8000
# The demo keeps its data and generated secret under var/ (ignored by git).
export RMDESK_VAR_DIR ?= $(CURDIR)/var

.PHONY: install demo serve serve-prod worker test test-sqlite test-postgres harden lint format lock clean browser messages screenshots

install: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "rmdesk needs $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements.lock
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $(STAMP)

# Install, migrate, load the demo bank (once), run the nightly work (today's contact
# plans, signals and scorecards, so the first look has them) and serve it.
demo: install
	$(BIN)/rmdesk migrate --no-input
	$(BIN)/rmdesk seed --scale demo --if-empty
	$(BIN)/rmdesk contact-plan
	$(BIN)/rmdesk signals
	$(BIN)/rmdesk score
	$(BIN)/rmdesk demo-logins
	$(BIN)/rmdesk serve --host $(HOST) --port $(PORT)

serve: install
	$(BIN)/rmdesk serve --host $(HOST) --port $(PORT)

# Production: gunicorn behind your proxy (see docs/production.md), and a task worker.
WORKER_CONCURRENCY ?= 2
serve-prod: install
	$(BIN)/rmdesk serve --prod --host $(HOST) --port $(PORT)

worker: install
	$(BIN)/rmdesk worker --concurrency $(WORKER_CONCURRENCY)

# The whole suite, on the database DATABASE_URL names (SQLite when unset). The load test
# (G1, G2: latency targets in milliseconds) runs alone afterwards: beside the other
# tests it would measure them, not the server.
LOAD_TEST := tests/ops/test_ops_load.py
test: install
	$(BIN)/rmdesk makemigrations --check --dry-run
	$(BIN)/pytest -n 2 --dist loadfile --ignore=$(LOAD_TEST)
	$(BIN)/pytest $(LOAD_TEST)

# The hardening suite's long settings (docs/reliability.md): many fuzzing examples per API
# operation and more roles, 200 timed sign-ins each way, 200 random banks for the
# visibility policy, many kill -9 trials of an import, 200 signed-in sessions for two
# minutes of mixed load (G1, G2; PostgreSQL).
# CI runs the same tests with short settings on every change. On DATABASE_URL, as `test`.
# HARDEN_LOAD_BANK=<database URL of a seeded bank, e.g. the bench bank> also runs
# bench/load.py's 200 sessions for five minutes on it, failing on a missed target.
HARDEN_EXAMPLES ?= 100
HARDEN_ROLES    ?= manager,branch_head,analyst,admin,ops_officer
HARDEN_TRIALS   ?= 200
HARDEN_KILLS    ?= 25
HARDEN_SESSIONS ?= 200
HARDEN_LOAD_SECONDS ?= 120
HARDEN_LOAD_BANK ?=
harden: install
	RMDESK_FUZZ_EXAMPLES=$(HARDEN_EXAMPLES) RMDESK_FUZZ_ROLES=$(HARDEN_ROLES) \
	RMDESK_HARDEN_TRIALS=$(HARDEN_TRIALS) RMDESK_POLICY_EXAMPLES=200 RMDESK_KILL_TRIALS=$(HARDEN_KILLS) RMDESK_KILL_ROWS=10000 \
	RMDESK_LOAD_SESSIONS=$(HARDEN_SESSIONS) RMDESK_LOAD_SECONDS=$(HARDEN_LOAD_SECONDS) \
	$(BIN)/pytest -s -p no:cacheprovider \
	  src/rmdesk/api/tests/test_openapi_fuzz.py src/rmdesk/api/tests/test_enumeration.py \
	  src/rmdesk/ingest/tests/test_kill_trials.py tests/ops/test_ops_database_outage.py \
	  src/rmdesk/org/tests/test_policy_machine.py $(LOAD_TEST) \
	  src/rmdesk/web/tests
	if [ -n "$(HARDEN_LOAD_BANK)" ]; then \
	  $(BIN)/python bench/load.py --database-url "$(HARDEN_LOAD_BANK)" \
	    --sessions $(HARDEN_SESSIONS) --seconds 300 --check; \
	fi

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy src

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The README's screenshots of the account manager's and the branch head's home pages,
# taken from the server `make demo` runs (start it first, in another terminal).
screenshots: install
	$(BIN)/rmdesk screenshots --url http://$(HOST):$(PORT) --out docs/screenshots

# Refresh the Chinese catalogues (each app with a locale/ folder keeps its own), then
# fill in the new msgstr lines and run `make messages` again to compile them.
messages: install
	cd src/rmdesk && ../../$(BIN)/rmdesk makemessages -l zh_Hans --no-location
	cd src/rmdesk && ../../$(BIN)/rmdesk compilemessages

# Regenerate requirements.lock from pyproject.toml (needs network access to PyPI).
lock:
	$(BIN)/python -m pip install --quiet uv
	$(BIN)/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements.lock

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
