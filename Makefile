# Every target the README mentions.  `make run` and `make test` set everything
# up on a fresh machine: a virtualenv, torch's CPU build, then the project.
PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
# torch 2.13.0 is the CPU wheel on our machines.  Elsewhere, point pip at the
# CPU wheels, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH ?= torch==2.13.0
TORCH_PIP_ARGS ?=
STAMP := $(VENV)/.installed

.PHONY: install run test index bench clean eval

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet $(TORCH_PIP_ARGS) "$(TORCH)"
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

## Build the index if missing, then start the Discord bot (DISCORD_TOKEN set) or answer locally.
run: $(STAMP)
	$(BIN)/crisisbot run

## The whole test suite, as CI runs it.
test: $(STAMP)
	$(BIN)/python -m pytest

## Rebuild the index from the bundled corpus and added sources.
index: $(STAMP)
	$(BIN)/crisisbot index build

## Answer quality: every retrieval mode side by side on the dev set (bundled corpus) and on corpus2, then
## a year of war news (tests/eval/war) per kind of question, on its dev set and its held-out set.
eval: $(STAMP)
	$(BIN)/crisisbot eval tests/eval/dev.jsonl --compare --source index/corpus
	$(BIN)/crisisbot eval tests/eval/corpus2/qa.jsonl --compare --source tests/eval/corpus2/articles.jsonl
	$(BIN)/crisisbot eval tests/eval/war/dev.jsonl --source tests/eval/war/corpus
	$(BIN)/crisisbot eval tests/eval/war/holdout.jsonl --source tests/eval/war/corpus

## Speed: crisisbot vs LangChain FAISS and Chroma (build, query p50/p95, add, cold start, RSS), the systems
## interleaved in 3 rounds (medians; ratios as median (min-max) of the per-round ratios), then concurrency.
## Needs the bench extra (installed here).  Scale and backends: bench/scale.py, bench/backends.py (docs/readme-bench.md).
bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e ".[bench,dev]"
	$(BIN)/python bench/compare.py --systems crisisbot,langchain,chroma,crisisbot-torch
	$(BIN)/python bench/concurrency.py

clean:
	rm -rf $(VENV) .crisisbot .pytest_cache *.egg-info
