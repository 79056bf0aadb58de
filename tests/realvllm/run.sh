#!/usr/bin/env bash
# The whole real-vLLM chain, timed: venv → tiny model → server → smoke → stop.
#
#   tests/realvllm/run.sh [PORT]        (default port 18311)
#
# Exit status is smoke.py's (0 = every check passed). The server is always stopped.
# Environment: as setup_venv.sh and serve.sh; VLCREW_VLLM_MODEL_DIR (default
# ${TMPDIR:-/tmp}/vlcrew-tiny-qwen3-vl), VLCREW_VLLM_FACTS (smoke facts JSON output,
# default <scratch>/smoke-facts.json).
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
PORT=${1:-18311}
export VLCREW_VLLM_VENV=${VLCREW_VLLM_VENV:-$REPO/.venv-vllm}
MODEL_DIR=${VLCREW_VLLM_MODEL_DIR:-${TMPDIR:-/tmp}/vlcrew-tiny-qwen3-vl}
SCRATCH=${VLCREW_VLLM_SCRATCH:-${TMPDIR:-/tmp}/vlcrew-vllm-$PORT}
FACTS=${VLCREW_VLLM_FACTS:-$SCRATCH/smoke-facts.json}
PY=$VLCREW_VLLM_VENV/bin/python

now() { date +%s.%N; }
since() { awk -v a="$(now)" -v b="$1" 'BEGIN{printf "%.1f", a-b}'; }

t_all=$(now)
t=$(now); "$HERE/setup_venv.sh"; s_venv=$(since "$t")
t=$(now); "$PY" "$HERE/build_tiny_model.py" "$MODEL_DIR" >/dev/null; s_model=$(since "$t")

trap '"$HERE/stop.sh" "$PORT" || true' EXIT
t=$(now); pid=$("$HERE/serve.sh" "$MODEL_DIR" "$PORT"); s_serve=$(since "$t")
mkdir -p "$(dirname "$FACTS")"
t=$(now); rc=0; "$PY" "$HERE/smoke.py" "http://127.0.0.1:$PORT" --json "$FACTS" || rc=$?; s_smoke=$(since "$t")
rss_kb=0
for p in $(pgrep -g "$pid" 2>/dev/null); do
  r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  rss_kb=$((rss_kb + ${r:-0}))
done

echo "run.sh: venv ${s_venv}s, model ${s_model}s, server start ${s_serve}s, smoke ${s_smoke}s," \
  "server RSS after smoke $((rss_kb / 1024)) MiB, total $(since "$t_all")s" >&2
exit "$rc"
