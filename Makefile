# channelhub: `make run` starts the whole system on SQLite with the sandbox upstreams;
# `make test` runs the whole suite. Both create .venv and install requirements.txt first.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum requirements.txt | cut -d' ' -f1)

# The demo points the Connect and Cloud Channel clients at the sandbox started by `run_demo`
# (it writes Channel's service-account key beside its state, with token_uri on its /token).
DEMO_ENV := CONNECT_API_URL=http://127.0.0.1:8100/public/v1 CONNECT_API_KEY="ApiKey SU-000-000-000:sandbox" \
	CHANNEL_API_URL=http://127.0.0.1:8100 CHANNEL_ACCOUNT_ID=C01sandbx \
	CHANNEL_CREDENTIALS_FILE=$(CURDIR)/var/sandbox.sqlite3.channel-sa.json CHANNEL_ADMIN_EMAIL=admin@reseller.example

ST_VENV := .venv-schemathesis
ST_REQS := tests/channelhub/api/schemathesis/requirements.txt
ST_STAMP := $(ST_VENV)/.installed-$(shell cksum $(ST_REQS) | cut -d' ' -f1)

.PHONY: run test venv schemathesis chromium lint format bench clean

venv: $(STAMP)

$(STAMP): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip
	$(PY) -m pip install -q --disable-pip-version-check -r requirements.txt
	rm -f $(VENV)/.installed-*
	touch $@

# schemathesis has its own venv (its rich>=13 clashes with connect-openapi-client's rich<13);
# tests/channelhub/api/test_schemathesis.py runs it against a live server.
schemathesis: $(ST_STAMP)

$(ST_STAMP): $(ST_REQS)
	test -x $(ST_VENV)/bin/python || $(PYTHON) -m venv $(ST_VENV)
	$(ST_VENV)/bin/python -m pip install -q --disable-pip-version-check -r $(ST_REQS)
	rm -f $(ST_VENV)/.installed-*
	touch $@

run: venv
	$(DEMO_ENV) $(PY) manage.py migrate --noinput
	$(DEMO_ENV) $(PY) manage.py setup_schedules
	$(DEMO_ENV) $(PY) manage.py ensure_admin
	$(DEMO_ENV) $(PY) manage.py run_demo

test: venv schemathesis chromium
	$(PY) -m pytest $(PYTEST_ARGS)

# The browser tests (tests/browser) drive Debian's Chromium through Playwright; Playwright
# never downloads a browser of its own. Every machine (CI too) runs as root, so apt works.
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

lint: venv
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: venv
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: venv
	$(PY) bench/sync.py

clean:
	rm -rf $(VENV) $(ST_VENV) var
