#!/usr/bin/env bash
# Stop a server started by serve.sh:  tests/realvllm/stop.sh PORT
# Sends SIGTERM to its process group (server + engine core), SIGKILL after 20 s.
set -euo pipefail
PORT=${1:?usage: stop.sh PORT}
SCRATCH=${VLCREW_VLLM_SCRATCH:-${TMPDIR:-/tmp}/vlcrew-vllm-$PORT}
PIDFILE=$SCRATCH/server.pid
[[ -f $PIDFILE ]] || { echo "stop.sh: no $PIDFILE (not running?)" >&2; exit 0; }
PID=$(cat "$PIDFILE")
if kill -0 "$PID" 2>/dev/null; then
  kill -TERM -- -"$PID" 2>/dev/null || kill -TERM "$PID" 2>/dev/null || true
  for _ in $(seq 40); do
    pgrep -g "$PID" >/dev/null 2>&1 || break
    sleep 0.5
  done
  if pgrep -g "$PID" >/dev/null 2>&1; then
    kill -KILL -- -"$PID" 2>/dev/null || true
  fi
fi
rm -f "$PIDFILE"
echo "stop.sh: stopped process group $PID" >&2
