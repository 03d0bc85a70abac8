# sim — Monte Carlo casualty-uncertainty simulator.  `make help` lists the targets.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SCENARIO ?= configs/kursk.toml
ARGS ?=
FUZZ_EXAMPLES ?= 5000

.DEFAULT_GOAL := help
.PHONY: help install run test test-all fuzz lint bench clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} {printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install sim with its test tools
	@echo "installed: $(BIN)/sim"

run: $(STAMP) ## Run the main scenario (SCENARIO=configs/kursk.toml, ARGS=...)
	$(BIN)/sim run $(SCENARIO) $(ARGS)

SCENARIOS := $(filter-out configs/template.toml,$(wildcard configs/*.toml))
KURSK := configs/kursk.toml configs/kursk_article.toml configs/kursk_engineers.toml configs/kursk_signals.toml
.PHONY: scenarios compare

scenarios: $(STAMP) ## Run every scenario in configs/ except the template, with figures and report, into results/<scenario>/
	@for config in $(SCENARIOS); do echo "sim run $$config"; $(BIN)/sim run $$config --report --quiet || exit 1; done

compare: $(STAMP) ## Compare the Kursk scenarios into docs/compare/ and the README's table (never edit those by hand)
	$(BIN)/sim compare $(KURSK) --out docs/compare --readme README.md

test: $(STAMP) ## Run the test suite (fast tier)
	$(BIN)/python -m pytest

test-all: $(STAMP) ## Run every test, including the slow statistical ones
	$(BIN)/python -m pytest -m ""

fuzz: $(STAMP) ## Fuzz the scenario loader with many more examples (FUZZ_EXAMPLES=5000)
	SIM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py

lint: $(STAMP) ## ruff
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

bench: $(STAMP) ## Throughput and peak memory of sim against a bare NumPy script (REPEATS=3, SIZES=1e6,1e7,1e8)
	$(BIN)/python benchmarks/bench.py

clean: ## Remove .venv and caches (keeps results/)
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
