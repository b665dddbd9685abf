# The two commands: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cksum < requirements.lock | cut -d' ' -f1)
HOST   ?= 127.0.0.1
PORT   ?= 8000
PYTEST_ARGS ?=

.PHONY: run test install translations migrate demo lint format lock messages browsers system-packages bench clean

$(STAMP): requirements.lock
	@$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "Python 3.11+ is needed"'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

translations: install
	$(BIN)/python manage.py compile_translations

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: translations demo system-packages
	@echo ""
	@echo "  Resident (front page with the chatbot): http://$(HOST):$(PORT)/"
	@echo "  Staff dashboard:                        http://$(HOST):$(PORT)/staff/"
	@echo "  Administration:                         http://$(HOST):$(PORT)/admin/"
	@echo ""
	$(BIN)/daphne -b $(HOST) -p $(PORT) chatservice.asgi:application

# Debian packages some features need: xmlsec1 (SAML signatures and encryption,
# pysaml2), clamd (the attachment scanner's tests start their own) and coturn
# (the video tests' TURN server). Installed
# when missing and this is root with apt; otherwise the tests that need them say
# so (and fail under REQUIRE_SERVICES=1).
SYSTEM_PACKAGES := xmlsec1:xmlsec1 clamd:clamav-daemon turnserver:coturn
system-packages:
	@missing=""; for pair in $(SYSTEM_PACKAGES); do \
	  command -v $${pair%%:*} >/dev/null 2>&1 || PATH="$$PATH:/usr/sbin" command -v $${pair%%:*} >/dev/null 2>&1 || missing="$$missing $${pair##*:}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing Debian packages:$$missing"; \
	    (DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null 2>&1 || \
	     (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null)) \
	    || echo "could not install$$missing: the tests that need them will say so"; \
	  else \
	    echo "missing Debian packages:$$missing (apt-get install$$missing as root); the tests that need them will say so"; \
	  fi; \
	fi

# DB_CONN_MAX_AGE=0: tests close connections after each use so PostgreSQL can
# drop the test database at the end.
test: translations system-packages
	DB_CONN_MAX_AGE=0 $(BIN)/pytest $(PYTEST_ARGS)

# What the browser tests need: Debian's Chromium (root, apt) and axe-core (npm).
# Without them those tests skip, with the reason, unless REQUIRE_SERVICES=1.
browsers:
	command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium)
	npm ci --prefix tests/browser --no-audit --no-fund

# The standard benchmark set (docs/benchmarks.md); needs PostgreSQL and Redis on
# their standard local ports (BENCH_DATABASE_URL, BENCH_REDIS_URL to change).
bench: install
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r bench/requirements.lock
	$(BIN)/python -m bench.run all
	$(BIN)/python -m bench.report

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# Re-resolve the pinned dependencies after editing pyproject.toml.
lock: install
	$(BIN)/pip-compile --extra dev --strip-extras --no-emit-index-url --no-emit-find-links \
		--quiet --output-file requirements.lock pyproject.toml
	$(BIN)/pip-compile --extra dev --extra bench --strip-extras --no-emit-index-url --no-emit-find-links \
		--quiet --output-file bench/requirements.lock pyproject.toml

# Extract strings into locale/*/LC_MESSAGES/django.po (needs GNU gettext's xgettext).
messages: install
	$(BIN)/python manage.py makemessages --locale sv --locale fi --locale en \
		--ignore '.venv/*' --ignore "bench/*" --ignore "tests/*" --ignore "staticfiles/*" --no-obsolete

clean:
	rm -rf $(VENV) db.sqlite3* var staticfiles .pytest_cache .mypy_cache .ruff_cache
