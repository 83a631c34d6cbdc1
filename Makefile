# Two commands on a fresh machine: `make test` and `make crawl URL=...`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
URL ?=
ARGS ?=
ARCHIVE ?= archive

.PHONY: install test crawl fetch lint bench bench-extract bench-crawl bench-delay chaos clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# .venv with the project and its dev extra (what `make test` and `make crawl` set up first)
install: $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

crawl: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make crawl URL=https://outlet.example/ [ARGS=--allow-private]"; exit 2; }
	$(BIN)/storyvault crawl --archive $(ARCHIVE) $(ARGS) $(URL)

# The crawl at three sizes (1k, 10k, 50k articles, 4 cited hosts on 127.0.0.2-5, one
# citation an article, concurrency 16, per-host delay 0, loopback): pages/s and MB/s of
# `storyvault crawl` against a bare aiohttp loop on the same URLs, `wget -r --warc-file`
# and the service with 1 and 2 worker processes (private redis-server); peak RSS; Redis
# memory per queued URL; WARC bytes of an unchanged re-crawl. Writes BENCHMARKS.md (every
# figure beside its ratio to the bare loop and the issue's targets). About 19 min on 2
# cores, 20 at most (every process has its own timeout). Options: BENCH_ARGS="--sizes
# 1000 --cited-hosts N --cites-per-article N --bare-repeats N --recrawl-max N --wget-max N
# --service-max N --service-workers 1,2 --timeout S --deadline S --json-out FILE --keep".
bench: $(STAMP)
	timeout --signal=TERM 1200 $(BIN)/python bench/scale_bench.py $(BENCH_ARGS)

# Story extraction time per article page of the corpus: the parse as baseline, the previous
# extractor from git history, today's with and without trafilatura (about 10 s).
# Options: EXTRACT_BENCH_ARGS="--repeat N --before REV --json-out FILE".
bench-extract: $(STAMP)
	timeout --signal=TERM 600 $(BIN)/python bench/extract_bench.py $(EXTRACT_BENCH_ARGS)

# Throughput at one size with a profile: `storyvault crawl` (log INFO and WARNING) against a
# bare aiohttp loop and wget, and the service against the embedded crawl, on a synthetic
# outlet on loopback (about 12 min on 2 cores; every process has a timeout). Options:
# CRAWL_BENCH_ARGS="--pages 3000 --concurrency 16 --json-out FILE --profile py-spy|cprofile
# --no-service --service-cited-hosts N".
bench-crawl: $(STAMP)
	timeout --signal=TERM 1200 $(BIN)/python bench/crawl_bench.py $(CRAWL_BENCH_ARGS)

# Politeness: the service against the embedded crawl of the test outlet (calendar trap on,
# 2 cited hosts) at per-host delays 0.25 and 1 s, wall time from the first to the last
# request the servers saw, and whether both fetched the same URLs (about 5 min, 10 at
# most). Options: DELAY_BENCH_ARGS="--delays 0.25,1 --json-out FILE --no-service
# --worker-concurrency 2 --dispatch-every S --service-env STORYVAULT_NAME=VALUE".
bench-delay: $(STAMP)
	timeout --signal=TERM 660 $(BIN)/python bench/delay_bench.py $(DELAY_BENCH_ARGS)

# Fuzz the parsers (hypothesis, 3,000 cases each), then bench/chaos.py: SIGKILL an
# embedded crawl at 20 random points and resume it each time; run the service (private
# redis-server with an append-only file, two `storyvault worker` and `storyvault beat`)
# and SIGKILL a Celery pool process, Celery main process or whole worker group at 20
# random points, restarting it as systemd would, and restart Redis twice mid-crawl; the
# outlets cut some first responses mid-body. After each: every WARC passes `warcio check`,
# every article and cited source is captured whole, every clean.jsonl line or `clean`
# queue message points to its record, every version has one; then a crawl into a full
# 2 MiB tmpfs (root only, else skipped). About 5 min on 2 cores; 20 min at most. Options:
# CHAOS_ARGS="--kills N --service-kills N --redis-restarts N --cut-rate R --seed S
# --no-embedded --no-service --no-enospc --keep DIR".
chaos: $(STAMP)
	HYPOTHESIS_PROFILE=chaos timeout --signal=TERM 300 $(BIN)/python -m pytest -q tests/test_fuzz_parsers.py
	timeout --signal=TERM 900 $(BIN)/python bench/chaos.py $(CHAOS_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check workers tasks tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-pywb .replaywebpage .pytest_cache
