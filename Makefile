# sharedwatch: `make run` starts the local stack, `make test` runs every check CI runs.
SHELL := /bin/bash
comma := ,
# Python 3.13, what the functions run on Lambda (python3.13): python3.13 on PATH if it runs (a pyenv
# shim may not), else the newest ~/.pyenv/versions/3.13.*. PYTHON=/path/to/python3.13 chooses one.
PYTHON_VERSION := 3.13
ifeq ($(origin PYTHON),undefined)
PYTHON := $(shell for p in python$(PYTHON_VERSION) $$(ls -d $$HOME/.pyenv/versions/$(PYTHON_VERSION).*/bin/python$(PYTHON_VERSION) 2>/dev/null | sort -V -r); do \
  $$p -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))' 2>/dev/null && { command -v $$p; break; }; done)
endif
VENV := .venv
PY := $(VENV)/bin/python
LOCAL_STAMP := $(VENV)/.installed-local
DEV_STAMP := $(VENV)/.installed-dev
PYTEST_ARGS ?=

.PHONY: run demo test check future unit functional e2e lint typecheck format bench bench-smoke cost eval model package clean browser synth deploy native faketime catalogues extract doctor smoke python

GET_PYTHON := Python $(PYTHON_VERSION) is what Lambda runs here (python$(PYTHON_VERSION)). Get it with \
  pyenv install $(PYTHON_VERSION) (https://github.com/pyenv/pyenv), apt-get install python$(PYTHON_VERSION) \
  (Debian 13, Ubuntu 25.04+, or the deadsnakes PPA), brew install python@$(PYTHON_VERSION), or python.org; \
  then run make again (or PYTHON=/path/to/python$(PYTHON_VERSION) make ...)

$(PY):
	@[ -n "$(PYTHON)" ] || { echo "sharedwatch: no Python $(PYTHON_VERSION) found on PATH or under ~/.pyenv. $(GET_PYTHON)" >&2; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))' || { \
	  echo "sharedwatch: $(PYTHON) is Python $$($(PYTHON) -c 'import sys; print("%d.%d" % sys.version_info[:2])'), not $(PYTHON_VERSION). $(GET_PYTHON)" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

# A .venv made by another Python (3.11, before the move to 3.13) is refused with what to do.
python: | $(PY)
	@$(PY) -c 'import sys; sys.exit(sys.version_info[:2] != ($(subst .,$(comma),$(PYTHON_VERSION))))' || { \
	  echo "sharedwatch: .venv is Python $$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])'); sharedwatch runs on $(PYTHON_VERSION): rm -rf .venv and run make again. $(GET_PYTHON)" >&2; exit 1; }

$(LOCAL_STAMP): requirements.txt requirements-local.txt | $(PY) python
	$(PY) -m pip install --quiet -r requirements-local.txt
	touch $@

$(DEV_STAMP): requirements-dev.txt tests/oidc/package-lock.json tests/a11y/package-lock.json $(LOCAL_STAMP)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	# The sign-in tests' OpenID Provider (panva/oidc-provider), from npm with its lockfile.
	npm ci --prefix tests/oidc --no-audit --no-fund --loglevel=error
	# axe-core, which the browser tests inject to check every page's accessibility.
	npm ci --prefix tests/a11y --no-audit --no-fund --loglevel=error
	touch $@

# Triage's per-mention modules compiled to C by mypyc (infra/native.py), rebuilt when a source
# changes: every target below that runs the app runs what is deployed. Plain Python without a compiler.
NATIVE := build/native.json
$(NATIVE): $(wildcard chalicelib/triage/*.py) infra/native.py $(LOCAL_STAMP)
	$(PY) -m infra.native

native: $(NATIVE)

# The message catalogues (chalicelib/locale/<lang>/LC_MESSAGES/messages.po, written by
# translators) compiled to .mo files and the wall's JSON; `make extract` updates the .po files
# from the code and templates (babel.cfg), new messages empty until translated.
PO_FILES := $(wildcard chalicelib/locale/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)
$(MO_FILES) &: $(PO_FILES) infra/catalogues.py $(LOCAL_STAMP)
	$(PY) -m infra.catalogues --force

catalogues: $(MO_FILES)

extract: $(DEV_STAMP)
	$(PY) -m infra.catalogues --extract

run: $(LOCAL_STAMP) $(NATIVE) $(MO_FILES)
	$(PY) -m infra.local

# With `make run` going in another terminal: a small made-up stream, a report and an email.
demo: $(LOCAL_STAMP)
	$(PY) -m infra.local.demo_stream

# pytest exits 5 when it collected no tests: that is a failure here, not a pass.
define pytest
	@$(PY) -m pytest $(1) $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc
endef

# The real-browser tests drive Debian's chromium through Playwright (never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

browser:
	@command -v $(CHROMIUM) >/dev/null || { echo "installing Debian's chromium for the browser tests"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

test: lint typecheck browser synth $(NATIVE) $(MO_FILES)
	$(call pytest,tests)
	$(MAKE) --no-print-directory future bench-smoke

# The fast inner loop: lint, types and the unit and functional layers (no browsers, stack or synth).
check: lint typecheck $(DEV_STAMP) $(NATIVE) $(MO_FILES)
	$(call pytest,tests/unit tests/functional)

# A time bomb fails the day it is written, not the day it goes off: the unit and functional layers
# again with the clock about fourteen months ahead, a minute before midnight (Debian's faketime,
# installed as chromium is). FUTURE='2028-02-29 23:59:30' chooses the moment.
FUTURE ?= $(shell date -u -d '+14 months' '+%Y-%m-%d 23:59:30')

faketime:
	@command -v faketime >/dev/null || { echo "installing Debian's faketime for the future-clock run"; \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
	  $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq faketime >/dev/null; }

future: faketime $(DEV_STAMP) $(NATIVE) $(MO_FILES)
	@echo "unit and functional tests with the clock at $(FUTURE) UTC"
	@TZ=UTC faketime '$(FUTURE)' $(PY) -m pytest tests/unit tests/functional -q -p no:cacheprovider $(PYTEST_ARGS); \
	rc=$$?; if [ $$rc -eq 5 ]; then echo "pytest collected no tests: failing"; exit 1; fi; exit $$rc

unit: $(DEV_STAMP) $(NATIVE) $(MO_FILES)
	$(call pytest,tests/unit)

functional: $(DEV_STAMP) $(NATIVE) $(MO_FILES)
	$(call pytest,tests/functional)

e2e: $(DEV_STAMP) $(NATIVE) browser $(MO_FILES)
	$(call pytest,tests/e2e)

lint: $(DEV_STAMP)
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

typecheck: $(DEV_STAMP)
	$(PY) -m mypy

format: $(DEV_STAMP)
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

bench: $(DEV_STAMP) $(NATIVE)
	$(PY) -m bench $(ONLY)

# Every benchmark on small inputs, no figure asserted, results.json untouched: one that no longer
# runs fails `make test`.
bench-smoke: $(DEV_STAMP) $(NATIVE)
	$(PY) -m bench --short $(ONLY)

# What a day of mentions costs on AWS, counted request by request on the local stack and priced
# from infra/prices.json (bench/bench_cost.py): bench/results.json and docs/cost.md's table.
cost: $(DEV_STAMP) $(NATIVE)
	$(PY) -m bench cost

eval: $(DEV_STAMP) $(NATIVE)
	$(PY) -m bench --eval

# The GoEmotions sentiment model triage ships (chalicelib/triage/goemotions.json), fitted again
# from ../shared/data/goemotions; deterministic. scikit-learn is needed here only.
TRAIN_STAMP := $(VENV)/.installed-train
$(TRAIN_STAMP): requirements-train.txt $(DEV_STAMP)
	$(PY) -m pip install --quiet -r requirements-train.txt
	touch $@

model: $(TRAIN_STAMP)
	$(PY) -m bench.train_sentiment

package: $(LOCAL_STAMP) $(NATIVE) $(MO_FILES)
	$(PY) -m infra.package --stage $${STAGE:-dev} --out build/package

# AWS: the CDK app in infra/cdk (Python), its CLI from npm, installed here, pinned by the lock.
STAGE ?= dev
CDK := infra/cdk/node_modules/.bin/cdk
CDK_ENV := SHAREDWATCH_STAGE=$(STAGE) CDK_DISABLE_VERSION_CHECK=1 CDK_DISABLE_CLI_TELEMETRY=true

$(CDK): infra/cdk/package.json infra/cdk/package-lock.json
	cd infra/cdk && npm ci --no-audit --no-fund --silent
	touch $@

synth: $(DEV_STAMP) $(CDK)
	cd infra/cdk && $(CDK_ENV) node_modules/.bin/cdk synth --quiet --output cdk.out $(CDK_ARGS)

deploy: $(DEV_STAMP) $(CDK)
	cd infra/cdk && $(CDK_ENV) node_modules/.bin/cdk deploy --require-approval broadening $(CDK_ARGS)

# What would stop a message reaching a person on a stage (STAGE=local: the running `make run`),
# each with its fix; exits 1 while anything blocks. Your AWS credentials, read-only calls.
doctor: $(LOCAL_STAMP)
	$(PY) -m infra.doctor --stage $(STAGE)

# After a deploy: a signed mention through API Gateway, a report by the form, the notification
# in the delivery log and in INBOX, each timed (docs/deploying.md). BASE_URL=... for the local stack.
smoke: $(LOCAL_STAMP)
	$(PY) -m infra.smoke --stage $(STAGE) $(if $(BASE_URL),--base-url $(BASE_URL)) $(if $(INBOX),--inbox $(INBOX)) $(SMOKE_ARGS)

clean:
	rm -rf $(VENV) .local build chalicelib/triage/*.so chalicelib/locale/*/LC_MESSAGES/*.mo chalicelib/locale/*/LC_MESSAGES/wall.json .mypy_cache .ruff_cache .pytest_cache chalice.out infra/cdk/cdk.out infra/cdk/node_modules
