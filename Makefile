# Buurtroute — the two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3.11
VENV   := .venv
PY     := $(VENV)/bin/python
PORT   ?= 8000
AREA   ?=

.PHONY: setup run test bench osm clean messages

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

setup: $(VENV)/.installed

run: setup
	$(PY) -m routing.cli prepare $(if $(AREA),--area $(AREA))
	$(PY) -m web.cli serve --demo --port $(PORT) $(if $(AREA),--area $(AREA))

test: setup
	$(PY) -m pytest -q

bench: setup
	$(PY) bench/run.py

# Texts to translate: extract from the code and templates into both catalogues (then fill in
# the Dutch msgstr; the app compiles the .po files itself at start).
messages: setup
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ -k ngettext:1,2 -k AddressNotFound:2 \
		-k Refused:2 --sort-by-file --project=Buurtroute -o $(VENV)/messages.pot .
	$(VENV)/bin/pybabel update -i $(VENV)/messages.pot -d web/translations --no-fuzzy-matching \
		--ignore-obsolete

osm: setup
	$(PY) -m routing.cli download utrecht-oost

clean:
	rm -rf $(VENV) data/osm/cache
