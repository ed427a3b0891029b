# newsarchive: `make demo` and `make test` set everything up from a fresh clone.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CHROMIUM ?= /usr/bin/chromium

.PHONY: demo test setup system-deps lint bench bench-warc bench-redis bench-extract bench-extract-speed bench-language bench-render bench-verdicts clean

demo: setup
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="chromium:$(CHROMIUM)"
	$(BIN)/newsarchive demo

test: setup system-deps
	$(BIN)/ruff check crawler spiders archive tests
	$(BIN)/pytest

setup: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/python -m archive.replayenv  # pywb in its own venv (.venv/replay): see archive/replayenv.py
	touch $(STAMP)

# Debian packages: chromium (Playwright's bundled browsers cannot be downloaded here), wget (the
# audit tests read a WARC written by `wget --warc-file`) and redis-server (tests/test_redis.py and
# bench-redis start their own on a free port). One `apt-get update`, only when one is missing.
DEBIAN_PACKAGES ?= chromium:$(CHROMIUM) wget:/usr/bin/wget redis-server:/usr/bin/redis-server
system-deps:
	@missing=""; for entry in $(DEBIAN_PACKAGES); do \
	  [ -x "$${entry#*:}" ] || missing="$$missing $${entry%%:*}"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = "0" ]; then \
	    echo "installing Debian packages:$$missing"; \
	    apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q $$missing; \
	  else \
	    echo "newsarchive needs Debian packages:$$missing (run: sudo apt-get install$$missing)"; \
	    exit 1; \
	  fi; \
	fi

lint: setup
	$(BIN)/ruff check crawler spiders archive tests

clean:
	rm -rf $(VENV) output .pytest_cache

# The crawl benchmark suite (bench/suite.py; not part of `make test`): a generated news site of 5,000, then
# 50,000 articles served by Debian's nginx, crawled by plain Scrapy, WARC-only, the full pipeline and
# `wget --warc-file`; prints pages/s, CPU per 1,000 pages, peak RSS, full/plain, and writes
# bench/results.json. Quick run: make bench BENCH_ARGS="--pages 500". Profiling (--profile DIR) uses
# py-spy, from the [bench] extra, installed here when missing.
BENCH_ARGS ?=
bench: setup
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="nginx:/usr/sbin/nginx wget:/usr/bin/wget"
	@[ -x $(BIN)/py-spy ] || $(BIN)/pip install --quiet -e '.[bench]'
	$(BIN)/python bench/suite.py $(BENCH_ARGS)

# WARC writing overhead: a generated 5,000-page site crawled with plain Scrapy, then with WARC writing.
bench-warc: setup
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="nginx:/usr/sbin/nginx"
	$(BIN)/python bench/warc_overhead.py

# Shared frontier: a generated 5,000-page site crawled by one worker, then by two sharing Redis (pages/s, speed-up).
bench-redis: setup
	@$(MAKE) --no-print-directory system-deps DEBIAN_PACKAGES="redis-server:/usr/bin/redis-server nginx:/usr/sbin/nginx"
	$(BIN)/python bench/redis_workers.py

# Extraction quality on 212 real pages (../shared/data/fundus-dev): body P/R/F1 (Zyte metric), title,
# date, authors and ms/page, per language, `newsarchive extract` on a WARC of the pages vs plain trafilatura.
bench-extract: setup
	$(BIN)/python -m bench.extract_quality

# Extraction speed: ms per article, ours (crawler.page.analyse_page) vs plain trafilatura.extract.
bench-extract-speed: setup
	$(BIN)/python bench/extract_speed.py

# Language detection accuracy (Turkish vs Azerbaijani) on the replica and ../shared/data/fundus-tr.
bench-language: setup
	$(BIN)/python bench/language_detection.py

# Page verdicts: precision and recall of soft404+error+blocked against article, per language, on
# tests/verdict_eval (and the real article pages of ../shared/data when present); fails below target.
bench-verdicts: setup
	$(BIN)/newsarchive eval-verdicts --check --real

# Rendering: pages/s and peak memory (Scrapy + Playwright driver + Chromium) for 200 generated JS pages.
bench-render: setup system-deps
	$(BIN)/python bench/render_speed.py
