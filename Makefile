# The two commands a newcomer needs: `make run` (local stack with demo data) and `make test`.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
export PYTHONPATH := $(CURDIR):$(CURDIR)/layers
# The console's browser tests and bench drive Debian's Chromium: browsers that download themselves
# (`playwright install`) cannot be fetched here, the OS package can.
CHROMIUM := /usr/bin/chromium
# and a Korean font, without which the Korean console (and its screenshots) shows empty boxes
KOREAN_FONT := /usr/share/fonts/truetype/nanum/NanumGothic.ttf
SUDO := $(if $(filter 0,$(shell id -u)),,sudo)

.PHONY: run test unit integration e2e infra-test lint bench package invoke clean screenshots

$(STAMP): requirements.txt requirements-dev.txt constraints.txt
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt -c constraints.txt
	touch $(STAMP)

$(CHROMIUM) $(KOREAN_FONT):
	$(SUDO) apt-get update -qq
	$(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-nanum

run: $(STAMP)  ## local stack with demo data on http://127.0.0.1:8000 (Ctrl-C stops it)
	$(PY) -m infra.local.stack

test: $(STAMP) $(CHROMIUM) $(KOREAN_FONT) lint  ## the whole suite, two processes (each with its own moto server); a test file stays in one
	$(PY) -m pytest -q -n 2 --dist loadfile --no-loadscope-reorder

unit: $(STAMP)
	$(PY) -m pytest -q tests/unit

lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy layers functions app.py infra

bench: $(STAMP) $(CHROMIUM) $(KOREAN_FONT)  ## one `name: value` line per figure
	$(PY) -m tests.bench.bench

screenshots: $(STAMP) $(CHROMIUM) $(KOREAN_FONT)  ## the README's screenshots of the console, taken by its browser tests
	HELPDESK_SCREENSHOTS=docs/screenshots $(PY) -m pytest -q tests/browser -k "wrong_password or bulk_close or main_screens"

package: $(STAMP)  ## build/template.json (SAM) and build/translated.json: chalice package, merge, cfn-lint, SAM translate, cfn-lint
	$(PY) -m infra.build

invoke: $(STAMP)  ## make invoke FN=sms_webhook EVENT=events/sms/inbound.json (against a running `make run`)
	$(PY) -m infra.local.invoke $(FN) $(EVENT)

clean:
	rm -rf build .local .pytest_cache .ruff_cache .mypy_cache
