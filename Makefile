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

help: ## List the targets (sim itself, after make install: .venv/bin/sim; README "First steps")
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "} \
		{name[NR] = $$1; text[NR] = $$2; if (length($$1) > width) width = length($$1)} \
		END {indent = width + 9; for (i = 1; i <= NR; i++) {line = sprintf("  make %-" width "s ", name[i]); \
		n = split(text[i], words, " "); for (j = 1; j <= n; j++) {if (length(line) + 1 + length(words[j]) > 80 \
		&& length(line) > indent) {print line; line = sprintf("%" indent - 1 "s", "")} line = line " " words[j]} \
		print line}}'

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
	@touch $(STAMP)

install: $(STAMP) ## Create .venv and install sim with its test tools
	@echo "installed: $(BIN)/sim"

run: $(STAMP) ## Run the main scenario with figures and report (SCENARIO=configs/kursk.toml, ARGS=...)
	$(BIN)/sim run $(SCENARIO) --report $(ARGS)

SCENARIO_NAME ?= $(or $(shell sed -n 's/^name *= *"\([^"]*\)".*/\1/p' $(SCENARIO) 2>/dev/null | head -1),$(basename $(notdir $(SCENARIO))))
REPORT_FIGURES := build/report-figures
.PHONY: report report-figures

report: $(STAMP) ## Redraw the figures and rewrite the report of SCENARIO's latest run (results/<name>/latest)
	$(BIN)/sim report results/$(SCENARIO_NAME)/latest

report-figures: $(STAMP) ## Regenerate docs/img/report-*.png for the README from a fresh Kursk run
	$(BIN)/sim run configs/kursk.toml --out $(REPORT_FIGURES)/kursk --force --quiet
	mkdir -p docs/img
	cp $(REPORT_FIGURES)/kursk/figures/glance.png docs/img/report-glance.png
	cp $(REPORT_FIGURES)/kursk/figures/toll.png docs/img/report-toll.png
	cp $(REPORT_FIGURES)/kursk/figures/exceedance.png docs/img/report-exceedance.png

SCENARIOS := $(filter-out configs/template.toml,$(wildcard configs/*.toml))
KURSK := configs/kursk.toml configs/kursk_article.toml configs/kursk_engineers.toml configs/kursk_engineers_items.toml configs/kursk_signals.toml
.PHONY: scenarios compare

scenarios: $(STAMP) ## Run every scenario in configs/ except the template, with figures and report, into results/<scenario>/
	@for config in $(SCENARIOS); do echo "sim run $$config"; $(BIN)/sim run $$config --report --quiet || exit 1; done

compare: $(STAMP) ## Compare the Kursk scenarios into docs/compare/ and the README's table (never edit those by hand)
	$(BIN)/sim compare $(KURSK) --out docs/compare --readme README.md

FINDINGS_DRAWS ?= 100000
.PHONY: findings

findings: $(STAMP) ## Write README's "What the Kursk scenarios say" from the Kursk scenarios' numbers (FINDINGS_DRAWS=100000)
	$(BIN)/python -m sim.findings --readme README.md --draws $(FINDINGS_DRAWS)

test: $(STAMP) ## Run the test suite (fast tier)
	$(BIN)/python -m pytest

test-all: $(STAMP) ## Run every test, including the slow statistical ones
	$(BIN)/python -m pytest -m ""

fuzz: $(STAMP) ## Fuzz the scenario loader with many more examples (FUZZ_EXAMPLES=5000)
	SIM_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/test_fuzz.py

MUTATE ?= priors
MUTATE_JOBS ?= 1
MUTATE_SAMPLE ?=
MUTATE_SEED ?= 20
.PHONY: mutate

mutate: $(STAMP) ## Mutation testing of core modules (MUTATE="priors summary"; MUTATE_SAMPLE=40 MUTATE_SEED=20: a random sample; docs/mutation.md)
	@$(BIN)/python -c "import mutmut" 2>/dev/null || $(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[mutate]'
ifneq ($(MUTATE_SAMPLE),)
	@# a sample is drawn from the generated mutants: on a fresh checkout, generate them first (a name that matches none)
	@test -d mutants/sim || $(BIN)/mutmut run --max-children $(MUTATE_JOBS) 'sim.generate_only' >/dev/null 2>&1 || test -d mutants/sim
	names=$$($(BIN)/python tests/mutation_score.py --sample $(MUTATE_SAMPLE) --seed $(MUTATE_SEED) $(MUTATE)) && $(BIN)/mutmut run --max-children $(MUTATE_JOBS) $$names
else
	$(BIN)/mutmut run --max-children $(MUTATE_JOBS) $(foreach module,$(MUTATE),'sim.$(module).*')
endif
	@# mutmut's timeouts are not kills (a wall-clock limit on a loaded machine): each runs again in a fresh pytest
	$(BIN)/python tests/mutation_score.py --timeouts $(if $(MUTATE_SAMPLE),--sample $(MUTATE_SAMPLE) --seed $(MUTATE_SEED)) $(MUTATE) > mutants/timeouts.txt
	$(BIN)/python tests/mutation_rerun.py mutants/timeouts.txt mutants/rerun.jsonl --jobs $(MUTATE_JOBS)
	$(BIN)/mutmut results | grep -E '^ *sim\.($(subst $(eval) ,|,$(strip $(MUTATE))))\..*: (survived|no tests)' || true
	$(BIN)/python tests/mutation_score.py $(if $(MUTATE_SAMPLE),--sample $(MUTATE_SAMPLE) --seed $(MUTATE_SEED) --score) $(MUTATE)

lint: $(STAMP) ## ruff
	$(BIN)/ruff check sim tests benchmarks
	$(BIN)/ruff format --check sim tests benchmarks

bench: $(STAMP) ## Throughput and peak memory of sim against a bare NumPy script (REPEATS=3, SIZES=1e6,1e7,1e8)
	$(BIN)/python benchmarks/bench.py
	$(BIN)/python benchmarks/startup.py

CALIBRATE_SCENARIOS ?= configs/kursk.toml configs/kursk_signals.toml configs/kursk_engineers.toml
CALIBRATE_DRAWS ?= 200000
CALIBRATE_SEEDS ?= 100
.PHONY: calibrate

calibrate: $(STAMP) ## Is each ± the spread across seeds? SD(z) per statistic (CALIBRATE_DRAWS=200000, CALIBRATE_SEEDS=100)
	$(BIN)/python -m sim.calibrate $(CALIBRATE_SCENARIOS) --draws $(CALIBRATE_DRAWS) --seeds $(CALIBRATE_SEEDS) $(ARGS)

PARAM ?= forces.combat.phases[0].daily_hazard
VALUES ?= 0.0003,0.0006,0.001,0.0015,0.0025,0.0035
RANGE ?=
OUTPUT ?= killed
CONDITION ?=
DRAWS ?= 200000
SOBOL_N ?= 16384
FIGURES_ROOT := build/sensitivity-figures
.PHONY: sweep tornado sobol sensitivity sensitivity-figures

sweep: $(STAMP) ## Sweep PARAM over VALUES or RANGE=LOW:HIGH:STEPS, same seed at each point (SCENARIO=, DRAWS=200000)
	$(BIN)/sim sweep $(SCENARIO) --param '$(PARAM)' $(if $(RANGE),--range '$(RANGE)',--values '$(VALUES)') \
		--draws $(DRAWS) $(if $(CONDITION),--condition '$(CONDITION)') $(ARGS)

tornado: $(STAMP) ## Pin each uncertain input at its 5% and 95% quantile (OUTPUT=killed, killed[combat] or claim:<id>)
	$(BIN)/sim tornado $(SCENARIO) --output '$(OUTPUT)' --draws $(DRAWS) $(if $(CONDITION),--condition '$(CONDITION)') $(ARGS)

sobol: $(STAMP) ## Sobol' indices of every uncertain input, binomial noise included (SOBOL_N=16384)
	$(BIN)/sim sobol $(SCENARIO) --n $(SOBOL_N) $(ARGS)

sensitivity: sweep tornado sobol ## Sweep, tornado and Sobol' indices of SCENARIO, into results/<scenario>/sensitivity/

sensitivity-figures: $(STAMP) ## Regenerate docs/img/sensitivity-*.png for the README (Kursk; the tornado on the priors alone)
	$(MAKE) --no-print-directory sweep sobol SCENARIO=configs/kursk.toml PARAM='$(PARAM)' RANGE= \
		CONDITION= ARGS='--results $(FIGURES_ROOT)'
	$(MAKE) --no-print-directory tornado SCENARIO=configs/kursk.toml OUTPUT=killed CONDITION=none \
		ARGS='--results $(FIGURES_ROOT)'
	mkdir -p docs/img
	cp '$(FIGURES_ROOT)/kursk/sensitivity/sweep-$(subst [,_,$(subst ],_,$(PARAM)))/sweep.png' docs/img/sensitivity-sweep.png
	cp $(FIGURES_ROOT)/kursk/sensitivity/tornado-killed/tornado.png docs/img/sensitivity-tornado.png
	cp $(FIGURES_ROOT)/kursk/sensitivity/sobol/sobol-killed.png docs/img/sensitivity-sobol.png

.PHONY: robust robust-figure
robust: $(STAMP) ## Refit every interval prior in the other families that suit it: each claim's range (SCENARIO=, DRAWS=200000)
	$(BIN)/sim robust $(SCENARIO) --draws $(DRAWS) $(if $(CONDITION),--condition '$(CONDITION)') $(ARGS)

robust-figure: $(STAMP) ## Regenerate docs/img/robust-kursk.png for docs/priors.md (Kursk, 200,000 draws per variant)
	$(BIN)/sim robust configs/kursk.toml --draws 200000 --results build/robust-figure --quiet
	mkdir -p docs/img
	cp build/robust-figure/kursk/robust/robust.png docs/img/robust-kursk.png

clean: ## Remove .venv and caches (keeps results/)
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache .hypothesis
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
