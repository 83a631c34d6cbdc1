# Two commands on a fresh machine: `make test` and `make crawl URL=...`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
URL ?=
ARGS ?=
ARCHIVE ?= archive

.PHONY: test crawl fetch lint bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

crawl: $(STAMP)
	@test -n "$(URL)" || { echo "usage: make crawl URL=https://outlet.example/ [ARGS=--allow-private]"; exit 2; }
	$(BIN)/storyvault fetch --archive $(ARCHIVE) $(ARGS) $(URL)

lint: $(STAMP)
	$(BIN)/ruff check workers tasks tests
	$(BIN)/mypy

clean:
	rm -rf $(VENV) .venv-pywb .pytest_cache
