# newsarchive: `make demo` and `make test` set everything up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test setup system-deps lint bench clean

demo: setup system-deps
	$(BIN)/newsarchive demo

test: setup system-deps
	$(BIN)/ruff check crawler spiders archive tests
	$(BIN)/pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Debian's Chromium (Playwright's bundled browsers cannot be downloaded here).
system-deps:
	@if [ ! -x "$(CHROMIUM)" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian's chromium ..."; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium; \
	  else \
	    echo "newsarchive needs Debian's chromium at $(CHROMIUM): run 'sudo apt-get install chromium' (or set CHROMIUM=/path)"; \
	    exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check crawler spiders archive tests

clean:
	rm -rf $(VENV) output .pytest_cache
