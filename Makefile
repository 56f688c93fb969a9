# Buurtroute — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
AREA   ?=
# One password for every demo account, the same at every start (default: a new random one).
DEMO_PASSWORD ?=

# Every install comes from uv.lock, the exact versions the tests and benchmark figures were made
# with. uv itself is pinned and installed with pip into .tools/ (git-ignored) the first time;
# `make UV=uv ...` uses one you already have.
UV_VERSION := 0.13.9
UV_TOOL    := .tools/bin/uv
UV         ?= $(UV_TOOL)
export UV_PROJECT_ENVIRONMENT := $(VENV)
export UV_PYTHON_DOWNLOADS    := never

# What each command installs besides the runtime (`dependencies` in pyproject.toml).
EXTRAS_runtime :=
EXTRAS_test    := --extra test
EXTRAS_lint    := --extra lint
EXTRAS_bench   := --extra bench
EXTRAS_all     := --all-extras

.PHONY: setup run test lint bench osm lock clean messages

$(UV_TOOL):
	$(PYTHON) -m venv .tools
	.tools/bin/python -m pip install -q uv==$(UV_VERSION)

# --inexact: a later `make run` keeps what `make test` added instead of removing it again.
$(VENV)/.synced-%: uv.lock pyproject.toml | $(filter $(UV_TOOL),$(UV))
	$(UV) sync --locked --inexact --python $(PYTHON) $(EXTRAS_$*)
	touch $@

setup: $(VENV)/.synced-all

run: $(VENV)/.synced-runtime
	$(PY) -m routing.cli prepare $(if $(AREA),--area $(AREA))
	$(PY) -m web.cli serve --demo --port $(PORT) $(if $(AREA),--area $(AREA)) \
		$(if $(DEMO_PASSWORD),--demo-password '$(DEMO_PASSWORD)')

# On every core (pytest-xdist), each module's tests on one worker (their module-scoped servers
# and solved days are built once, and tests that follow on from each other stay in order).
# The API fuzzing runs on its own after the rest: see tests/conftest.py.
test: $(VENV)/.synced-test
	$(PY) -m pytest -q -n auto --dist loadfile --ignore=tests/test_hostile_api.py
	$(PY) -m pytest -q tests/test_hostile_api.py

lint: $(VENV)/.synced-lint
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: $(VENV)/.synced-bench
	$(PY) bench/run.py

# Texts to translate: extract from the code and templates into both catalogues (then fill in
# the Dutch msgstr; the app compiles the .po files itself at start).
messages: $(VENV)/.synced-runtime
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -k AddressNotFound:2 \
		-k Refused:2 -k translate:1 --sort-by-file --project=Buurtroute -o $(VENV)/messages.pot .
	$(VENV)/bin/pybabel update -i $(VENV)/messages.pot -d web/translations --no-fuzzy-matching \
		--ignore-obsolete

osm: setup
	$(PY) -m routing.cli download utrecht-oost

# After changing dependencies in pyproject.toml: resolve again and commit uv.lock.
lock: | $(filter $(UV_TOOL),$(UV))
	$(UV) lock

clean:
	rm -rf $(VENV) .tools data/osm/cache
