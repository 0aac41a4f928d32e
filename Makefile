# Two commands on a fresh clone with Python 3.11+ and make: `make demo`, `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: demo test lint typecheck pytest bench clean lock extract update compile

$(STAMP): requirements-dev.lock pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps -e .
	@touch $(STAMP)

demo: $(STAMP)
	$(BIN)/planner demo

test: lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff format --check planner tests
	$(BIN)/ruff check planner tests
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/planner bench

# Maintainers only: refresh the lock files (needs uv).
lock:
	uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock
	uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -c requirements-dev.lock -o requirements.lock

# Translations (planner/locale, see planner/i18n.py): extract the English texts into the
# template, merge it into each language's catalogue, compile the catalogues to .mo files.
# Compiling is optional (the .po files are compiled in memory when no newer .mo exists);
# .mo files are build output and not committed.
BABEL_KEYWORDS := -k count:1,2
extract: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg $(BABEL_KEYWORDS) --no-wrap --project planner \
	  --version 0.1.0 --copyright-holder planner -o planner/locale/planner.pot .

update: extract
	$(BIN)/pybabel update -i planner/locale/planner.pot -d planner/locale -D planner \
	  --no-wrap --no-fuzzy-matching

compile: $(STAMP)
	$(BIN)/pybabel compile -d planner/locale -D planner --statistics

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .mypy_cache .ruff_cache
