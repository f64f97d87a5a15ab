# Two entry points, as the README says: `make site` and `make test`.
# Both install what they need (Debian packages via apt-get, Python packages into .venv).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PYSPF_SDIST := .cache/pyspf-2.0.14.tar.gz
RFC7208 := .cache/rfc7208-tests.yml

.PHONY: site serve test bench deps dev-deps system-deps clean

site: deps
	$(VENV)/bin/mkdocs build --strict

serve: deps
	$(VENV)/bin/mkdocs serve

test: dev-deps system-deps $(RFC7208)
	$(PY) -m pytest

# The benchmark needs only the runtime packages; e.g. make bench BENCH_ARGS="--domains 300 --latency-ms 60"
bench: deps
	$(PY) bench/run.py $(BENCH_ARGS)

deps: $(VENV)/.deps

dev-deps: $(VENV)/.dev-deps

# Debian's own python3 needs python3-venv for this; install it if the first try fails.
$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV) || { rm -rf $(VENV); DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv && $(PYTHON) -m venv $(VENV); }

$(VENV)/.deps: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.txt
	touch $@

$(VENV)/.dev-deps: requirements-dev.txt requirements.txt $(VENV)/.deps
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# BIND 9 (named) serves the test zones; Chromium is the browser Playwright drives; openssl makes
# the test CA of the MTA-STS policy servers.
system-deps:
	@if ! command -v named >/dev/null || ! command -v chromium >/dev/null || ! command -v dig >/dev/null \
	    || ! command -v openssl >/dev/null; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get update -q && apt-get install -y -q --no-install-recommends bind9 bind9-dnsutils chromium \
	    fonts-dejavu-core openssl ca-certificates; \
	fi

# The official RFC 7208 test suite (openspf 2014.04) ships inside pyspf's source distribution on PyPI.
$(RFC7208): | $(VENV)/bin/python
	mkdir -p .cache
	$(PY) -m pip download -q --no-deps --no-binary :all: -d .cache pyspf==2.0.14
	tar -xzf $(PYSPF_SDIST) -C .cache --strip-components=2 pyspf-2.0.14/test/rfc7208-tests.yml
	touch $@

clean:
	rm -rf site .cache $(VENV)
