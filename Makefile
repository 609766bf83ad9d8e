# The two commands of the README: `make run` and `make test`. Each creates .venv and installs when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
HOST ?= 127.0.0.1
PORT ?= 7860

.PHONY: install run test lint chromium bench

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet torch==2.13.0   # first, so nothing pulls a CUDA build
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/newsrag ingest corpus/
	$(BIN)/newsrag chat --host $(HOST) --port $(PORT)

# The browser tests drive Debian's Chromium; install it when missing and we may (root with apt).
chromium:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) ; } || \
	  echo "chromium not installed: the browser tests will be skipped"

test: install chromium
	HF_HUB_OFFLINE=1 $(BIN)/pytest -q

lint: install
	$(BIN)/ruff check rag ingest ui tests bench

# Every bench, one JSON line per configuration on stdout (about 30 minutes on 2 cores the first time; the
# indexes are kept in $(BENCH_HOME) and reused).
BENCH_HOME ?= /tmp/newsrag-bench
bench: install
	HF_HUB_OFFLINE=1 $(BIN)/python bench/quality.py --home $(BENCH_HOME)/quality
	HF_HUB_OFFLINE=1 $(BIN)/python bench/fit.py --home $(BENCH_HOME)/quality
	HF_HUB_OFFLINE=1 $(BIN)/python bench/language.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/lemmas.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/ingest.py
	HF_HUB_OFFLINE=1 $(BIN)/python bench/query.py --home $(BENCH_HOME)/query
	HF_HUB_OFFLINE=1 $(BIN)/python bench/server.py --home $(BENCH_HOME)/query
	HF_HUB_OFFLINE=1 $(BIN)/python bench/load.py --home $(BENCH_HOME)/query
