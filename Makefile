# Two commands on a fresh machine: `make test` and `make crawl URL=...`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
URL ?=
ARGS ?=
ARCHIVE ?= archive

.PHONY: test crawl fetch lint bench chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

crawl: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make crawl URL=https://outlet.example/ [ARGS=--allow-private]"; exit 2; }
	$(BIN)/storyvault crawl --archive $(ARCHIVE) $(ARGS) $(URL)

# Story extraction time per article page of the corpus (parse as baseline, the previous
# extractor from git history, today's with and without trafilatura), then throughput of
# `storyvault crawl` against a bare aiohttp loop and wget, and of the
# distributed service (private redis-server, `storyvault worker --concurrency 2` + beat)
# against the embedded crawl, on a synthetic outlet on loopback (about 12 min on 2 cores;
# every process has a timeout). Options: BENCH_ARGS="--pages 3000 --concurrency 16
# --json-out FILE --profile py-spy|cprofile --no-service --service-cited-hosts N".
# Last, politeness: the service against the embedded crawl of the test outlet (calendar
# trap on, 2 cited hosts) at per-host delays 0.25 and 1 s, wall time from the first to the
# last request the servers saw, and whether both fetched the same URLs (about 5 min, 10 at
# most). Options: DELAY_BENCH_ARGS="--delays 0.25,1 --json-out FILE --no-service
# --worker-concurrency 2 --dispatch-every S --service-env STORYVAULT_NAME=VALUE".
bench: $(STAMP)
	$(BIN)/python bench/extract_bench.py
	$(BIN)/python bench/crawl_bench.py $(BENCH_ARGS)
	timeout --signal=TERM 660 $(BIN)/python bench/delay_bench.py $(DELAY_BENCH_ARGS)

# SIGKILL an embedded crawl at 20 random points, resume it each time, then check every WARC
# (`warcio check`), every article captured and every clean.jsonl line's record; then a
# crawl into a full 2 MiB tmpfs (root only, else skipped). About 2 min; 20 min at most.
# Options: CHAOS_ARGS="--kills N --seed S --no-enospc".
chaos: $(STAMP)
	HYPOTHESIS_PROFILE=chaos timeout --signal=TERM 300 $(BIN)/python -m pytest -q tests/test_fuzz_parsers.py
	timeout --signal=TERM 1200 $(BIN)/python bench/chaos.py $(CHAOS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check workers tasks tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-pywb .pytest_cache
