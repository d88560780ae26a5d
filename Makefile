# Two commands: `make run` serves the demo shop, `make test` runs every test.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
ADMIN_EMAIL ?= admin@example.com
ADMIN_PASSWORD ?= admin-demo-password

.PHONY: run test install translations extract-messages chromium wrk bench bench-quick soak loadtest migration clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Catalogs: shop/translations/<lang>/LC_MESSAGES/messages.po (committed) compile to .mo (gitignored).
LANGS := fi sv en
CATALOGS := shop/translations
PYBABEL := $(VENV)/bin/pybabel
# How strings are found: babel.cfg, the marker functions besides pybabel's defaults (_, gettext,
# ngettext, ...), N_ for history messages stored as msgids (shop/i18n_markers.py), and every directory
# but hidden ones (the default would also skip templates/_macros).
# tests/test_translations.py extracts with this same line.
EXTRACT_OPTIONS := -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 -k N_ --ignore-dirs=".* __pycache__"

translations: $(VENV)/.installed
	@if compgen -G "$(CATALOGS)/*/LC_MESSAGES/messages.po" >/dev/null; then \
	  $(PYBABEL) -q compile -d $(CATALOGS); fi

# Collects every marked string into messages.pot and merges it into each language's catalog (a missing
# catalog is created first). Then translate the new entries (empty msgstr) until tests/test_translations.py passes.
extract-messages: $(VENV)/.installed
	$(PYBABEL) -q extract $(EXTRACT_OPTIONS) -c "Translators:" --add-location=file --sort-by-file \
	  --project=nordshop --version=0.1.0 --copyright-holder=nordshop -o $(CATALOGS)/messages.pot .
	@for lang in $(LANGS); do \
	  test -f $(CATALOGS)/$$lang/LC_MESSAGES/messages.po || \
	    $(PYBABEL) -q init -i $(CATALOGS)/messages.pot -d $(CATALOGS) -l $$lang || exit 1; \
	done
	$(PYBABEL) -q update -N --ignore-obsolete -i $(CATALOGS)/messages.pot -d $(CATALOGS)

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

run: install
	$(FLASK) init-db
	SHOP_SIMULATOR_ENABLED=true $(FLASK) demo-data --admin-email "$(ADMIN_EMAIL)" --admin-password "$(ADMIN_PASSWORD)"
	@echo
	@echo "  Storefront:  http://$(HOST):$(PORT)/"
	@echo "  Admin:       http://$(HOST):$(PORT)/admin/  ($(ADMIN_EMAIL) / $(ADMIN_PASSWORD))"
	@echo "  Klarna simulator portal: http://$(HOST):$(PORT)/_klarna/portal/"
	@echo
	SHOP_PUBLIC_URL=$${SHOP_PUBLIC_URL:-http://$(HOST):$(PORT)} SHOP_SIMULATOR_ENABLED=true \
	  $(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --worker-class gthread --workers 1 --threads 8 \
	  --access-logfile - wsgi:app

test: install chromium
	$(VENV)/bin/pytest -q

# Load tool for `make bench` (Debian's wrk); without it the bench falls back to a slower Python loop.
wrk:
	@command -v wrk >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk)

# gunicorn (2 workers) on SQLite, or PostgreSQL when SHOP_DATABASE_URL is set; 100,000 orders (README "Performance").
bench: install wrk
	$(PY) -m tests.bench

bench-quick: install wrk
	$(PY) -m tests.bench --quick

# 1,000 random payment lives under Klarna faults (tests/proof); prints sequences, steps, faults, checks.
SEQUENCES ?= 1000
soak: install
	$(PY) -m tests.proof.soak --sequences $(SEQUENCES)

# gunicorn -w 4 on a scratch PostgreSQL database, SHOPPERS no-JS shoppers for DURATION seconds, then the database
# against the simulator. PostgreSQL at 127.0.0.1:5432 (or SHOP_TEST_DATABASE_URL's server).
SHOPPERS ?= 50
DURATION ?= 60
loadtest: install
	$(PY) -m tests.load --shoppers $(SHOPPERS) --seconds $(DURATION)

# New Alembic revision from the models: make migration MSG="add something"
migration: $(VENV)/.installed
	$(PY) -c "from shop.migrate_tools import autogenerate; autogenerate('$(MSG)')"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
