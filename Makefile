# Two commands: `make run` serves the demo shop, `make test` runs every test.
SHELL := /bin/bash
HOST ?= 127.0.0.1
PORT ?= 5000
VENV := .venv
PY := $(VENV)/bin/python
FLASK := $(VENV)/bin/flask --app wsgi
ADMIN_EMAIL ?= admin@example.com
ADMIN_PASSWORD ?= admin-demo-password

.PHONY: run test install translations extract-messages chromium bench migration clean

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

install: $(VENV)/.installed translations

# Compiles the catalogs in shop/translations (none yet: nothing to do).
translations: $(VENV)/.installed
	@if compgen -G "shop/translations/*/LC_MESSAGES/messages.po" >/dev/null; then \
	  $(VENV)/bin/pybabel -q compile -d shop/translations; fi

extract-messages: $(VENV)/.installed
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -o shop/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -N -i shop/translations/messages.pot -d shop/translations

chromium:
	@test -x /usr/bin/chromium || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)

run: install
	$(FLASK) init-db
	$(FLASK) demo-data --admin-email "$(ADMIN_EMAIL)" --admin-password "$(ADMIN_PASSWORD)"
	@echo
	@echo "  Storefront:  http://$(HOST):$(PORT)/"
	@echo "  Admin:       http://$(HOST):$(PORT)/admin/  ($(ADMIN_EMAIL) / $(ADMIN_PASSWORD))"
	@echo "  Klarna simulator portal: http://$(HOST):$(PORT)/_klarna/portal/"
	@echo
	SHOP_PUBLIC_URL=$${SHOP_PUBLIC_URL:-http://$(HOST):$(PORT)} \
	  $(VENV)/bin/gunicorn --bind $(HOST):$(PORT) --worker-class gthread --workers 1 --threads 8 \
	  --access-logfile - wsgi:app

test: install chromium
	$(VENV)/bin/pytest -q

bench: install
	$(PY) -m tests.bench

# New Alembic revision from the models: make migration MSG="add something"
migration: $(VENV)/.installed
	$(PY) -c "from shop.migrate_tools import autogenerate; autogenerate('$(MSG)')"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
