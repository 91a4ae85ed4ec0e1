# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: run test check lint bench clean

# Start-up (issue 13): the bytecode and the message catalogs are compiled ahead, as an installed
# package has them (an editable install compiles nothing, and PYTHONDONTWRITEBYTECODE keeps
# Python from doing it on the first start); both are checked against their sources at each start.
COMPILE = $(BIN)/python -m compileall -q app screens >/dev/null && $(BIN)/python -m app.i18n >/dev/null

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(COMPILE)
	$(BIN)/qinzi demo

# The tests keep their bytecode and pytest's rewritten test modules between runs, whatever the
# shell says (PYTHONDONTWRITEBYTECODE): each worker compiled every test module again, a third of
# the fast tier's time on two cores.
PYTEST = env -u PYTHONDONTWRITEBYTECODE $(BIN)/python -m pytest

test: $(STAMP)
	$(BIN)/ruff check .
	$(PYTEST) -n auto $(PYTEST_ARGS)

# The fast tier: no test that starts a process or a browser, SQLite only (see README). Its snapshot
# tests spend about half their time waiting for Textual's screen to go idle, so two workers per
# core keep the cores busy, and work stealing evens out the last tests between them.
FAST_WORKERS = $(shell $(BIN)/python -c 'import os; print(2 * (len(os.sched_getaffinity(0)) \
	if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1))')
check: $(STAMP)
	$(BIN)/ruff check .
	env -u QINZI_TEST_PG QINZI_FAST_TIER=1 $(PYTEST) -n $(FAST_WORKERS) --dist worksteal -m "not slow" $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .

# One table: start-up, city seed, queue and search at city size, a submission, the forms
# (bench_forms.py) and the 8-process stress on SQLite and PostgreSQL ($QINZI_TEST_PG).
# BENCH_ARGS="--json bench.json" also writes JSON; see tests/bench/bench_scale.py --help.
bench: $(STAMP)
	$(COMPILE)
	$(BIN)/python tests/bench/bench_scale.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) build dist .pytest_cache .ruff_cache .hypothesis
