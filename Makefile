# Xixian Portal — the two commands: `make run` and `make test`. See README.md.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8000
STAMP  := $(VENV)/.installed

.PHONY: install run test lint bench clean-var

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	$(BIN)/python -m pip install -q -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

# Migrate, import the seed plan, load demo accounts and the demo's history (the seed plan's
# monthly dispatch, then its inspections and the escalation ladder; the 【演示】 plan in force
# today with today's work in every state; the dashboards' month summary and the dispatch
# reports), then serve on 127.0.0.1:$(PORT) with a Celery
# worker and beat on the embedded broker (or on REDIS_URL when it is set).
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py seed_supervision_demo
	$(BIN)/python manage.py seed_demo_present
	$(BIN)/python manage.py refresh_standings --rebuild
	$(BIN)/python manage.py seed_reports_demo
	@bash -c 'set -m; \
	  $(BIN)/celery -A xixian_portal worker --loglevel=INFO --concurrency=2 & worker=$$!; \
	  $(BIN)/celery -A xixian_portal beat --loglevel=INFO --schedule=var/celerybeat-schedule & beat=$$!; \
	  trap "kill $$worker $$beat 2>/dev/null; wait" EXIT INT TERM; \
	  echo "门户地址：http://127.0.0.1:$(PORT)/  （演示账号见 README.md）"; \
	  $(BIN)/python manage.py runserver 127.0.0.1:$(PORT)'

# The suite runs on pytest-xdist, one process per core (WORKERS=auto), each on a test database
# of its own and, with REDIS_URL, on Redis databases n, n+1 … (tests/conftest.py). A whole file
# stays on one worker (--dist loadfile): module fixtures are built once. WORKERS=0 runs the
# tests in this process (for --pdb, or a single test).
WORKERS ?= auto
test: install
	$(BIN)/python -m pytest -n $(WORKERS) --dist loadfile $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/python manage.py makemigrations --check --dry-run

# Benchmarks at 1x/10x/100x of the seed plan; needs DATABASE_URL (PostgreSQL).
bench: install
	$(BIN)/python -m reports.bench $(BENCH_ARGS)
