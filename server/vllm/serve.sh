#!/usr/bin/env bash
# Launch a vLLM OpenAI-compatible server running Qwen3-VL for vlcrew (production, GPUs).
#
#   server/vllm/serve.sh [--dry-run] [PROFILE] [-- EXTRA_VLLM_ARGS...]
#
# PROFILE (or env PROFILE): small | thinking | fp8 | moe | default
#   small     Qwen/Qwen3-VL-4B-Instruct          1 GPU, 24 GB class
#   thinking  Qwen/Qwen3-VL-8B-Thinking          1 GPU, 40 GB+ (planner model; qwen3 reasoning parser)
#   fp8       Qwen/Qwen3-VL-8B-Instruct-FP8      1 GPU, 24 GB Ada/Hopper/Blackwell
#   moe       Qwen/Qwen3-VL-30B-A3B-Instruct     2 GPUs, tensor parallel 2
#   default   Qwen/Qwen3-VL-8B-Instruct          1 GPU, 40 GB+
#
# Environment (each overrides the profile; see server/vllm/README.md for why each flag):
#   MODEL            HF id or local dir                       SERVED_NAME  name in /v1/models (default MODEL)
#   HOST=127.0.0.1   PORT=8000                                TP / DP      tensor / data parallel size
#   MAX_MODEL_LEN    context length (always set: default 262144 does not fit small GPUs)
#   GPU_MEM          --gpu-memory-utilization (0.45 each for two servers on one GPU)
#   MAX_IMAGES=4     MAX_VIDEOS=0                             --limit-mm-per-prompt
#   REASONING_PARSER auto | qwen3 | deepseek_r1 | none  (auto: qwen3 for *Thinking* models, none otherwise)
#   TOOL_PARSER      hermes | none                            MAX_NUM_SEQS  --max-num-seqs
#   MAX_PIXELS       server-side per-image pixel cap (--mm-processor-kwargs size); empty = none
#   MIN_PIXELS=65536 lower bound that goes with MAX_PIXELS    VIDEO_FPS     server-wide video sampling fps
#   MM_ENCODER_TP    auto | data | weights (auto: data when TP > 1)
#   EXPERT_PARALLEL  0 | 1 (MoE only)      ASYNC_SCHED  0 | 1 (pass --async-scheduling; see README)
#   LOCAL_MEDIA_DIR  --allowed-local-media-path (trusted clients only)
#   API_KEY          --api-key (clients then send it as VLCREW_API_KEY)
#   VLLM_BIN=vllm    the vLLM command (`vllm serve` is run)
#
# Prints the command it runs (on stderr). --dry-run prints it on stdout and exits, so this
# script can be checked on a machine without a GPU or vLLM.
set -euo pipefail

usage() { sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//'; }
die() { echo "serve.sh: $*" >&2; exit 2; }

dry_run=0
pos_profile=''
extra=()
while [[ $# -gt 0 ]]; do
  case $1 in
    --dry-run) dry_run=1; shift ;;
    -h|--help) usage; exit 0 ;;
    --) shift; extra=("$@"); break ;;
    -*) die "unknown option $1 (vLLM flags go after --)" ;;
    *) [[ -z $pos_profile ]] || die "two profiles given ($pos_profile, $1)"
       pos_profile=$1; shift ;;
  esac
done
profile=${pos_profile:-${PROFILE:-default}}

# Profile defaults: only used for variables the environment does not set.
case $profile in
  small)    p_model=Qwen/Qwen3-VL-4B-Instruct;      p_tp=1; p_len=32768 ;;
  thinking) p_model=Qwen/Qwen3-VL-8B-Thinking;      p_tp=1; p_len=32768 ;;
  fp8)      p_model=Qwen/Qwen3-VL-8B-Instruct-FP8;  p_tp=1; p_len=32768 ;;
  moe)      p_model=Qwen/Qwen3-VL-30B-A3B-Instruct; p_tp=2; p_len=32768 ;;
  default)  p_model=Qwen/Qwen3-VL-8B-Instruct;      p_tp=1; p_len=32768 ;;
  *) die "unknown profile '$profile' (small, thinking, fp8, moe, default)" ;;
esac

MODEL=${MODEL:-$p_model}
SERVED_NAME=${SERVED_NAME:-$MODEL}
HOST=${HOST:-127.0.0.1}
PORT=${PORT:-8000}
TP=${TP:-$p_tp}
DP=${DP:-1}
MAX_MODEL_LEN=${MAX_MODEL_LEN:-$p_len}
GPU_MEM=${GPU_MEM:-0.90}
MAX_IMAGES=${MAX_IMAGES:-4}
MAX_VIDEOS=${MAX_VIDEOS:-0}
REASONING_PARSER=${REASONING_PARSER:-auto}
TOOL_PARSER=${TOOL_PARSER:-hermes}
MAX_PIXELS=${MAX_PIXELS:-}
MIN_PIXELS=${MIN_PIXELS:-65536}
VIDEO_FPS=${VIDEO_FPS:-}
MM_ENCODER_TP=${MM_ENCODER_TP:-auto}
EXPERT_PARALLEL=${EXPERT_PARALLEL:-0}
ASYNC_SCHED=${ASYNC_SCHED:-0}
LOCAL_MEDIA_DIR=${LOCAL_MEDIA_DIR:-}
API_KEY=${API_KEY:-}
MAX_NUM_SEQS=${MAX_NUM_SEQS:-}
VLLM_BIN=${VLLM_BIN:-vllm}

is_uint() { [[ $1 =~ ^[0-9]+$ ]]; }
for v in PORT TP DP MAX_MODEL_LEN MAX_IMAGES MAX_VIDEOS MIN_PIXELS; do
  is_uint "${!v}" || die "$v must be a whole number, not '${!v}'"
done
for v in MAX_PIXELS MAX_NUM_SEQS; do
  [[ -z ${!v} ]] || is_uint "${!v}" || die "$v must be a whole number, not '${!v}'"
done
(( TP >= 1 && DP >= 1 )) || die "TP and DP must be at least 1"
if [[ ! $GPU_MEM =~ ^(0?\.[0-9]+|1(\.0+)?)$ || $GPU_MEM =~ ^0?\.0+$ ]]; then
  die "GPU_MEM must be a fraction in (0, 1], not '$GPU_MEM'"
fi
[[ -z $VIDEO_FPS || $VIDEO_FPS =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "VIDEO_FPS must be a number"
[[ $EXPERT_PARALLEL == [01] && $ASYNC_SCHED == [01] ]] || die "EXPERT_PARALLEL and ASYNC_SCHED are 0 or 1"
if [[ -n $MAX_PIXELS ]] && (( MAX_PIXELS < MIN_PIXELS )); then
  die "MAX_PIXELS ($MAX_PIXELS) is below MIN_PIXELS ($MIN_PIXELS)"
fi

if [[ $REASONING_PARSER == auto ]]; then
  # Thinking models need a parser to split reasoning from the answer. Instruct models get
  # none: with the qwen3 parser an Instruct answer that never closes </think> is returned
  # as `reasoning` with content null (vLLM >= early 2026), unless every request sends
  # chat_template_kwargs {"enable_thinking": false}.
  case $MODEL in *[Tt]hinking*) REASONING_PARSER=qwen3 ;; *) REASONING_PARSER=none ;; esac
fi
case $REASONING_PARSER in qwen3|deepseek_r1|none) ;; *) die "REASONING_PARSER: auto, qwen3, deepseek_r1 or none" ;; esac
case $TOOL_PARSER in hermes|none) ;; *) die "TOOL_PARSER: hermes or none" ;; esac
if [[ $MM_ENCODER_TP == auto ]]; then
  if (( TP > 1 )); then MM_ENCODER_TP=data; else MM_ENCODER_TP=weights; fi
fi
case $MM_ENCODER_TP in data|weights) ;; *) die "MM_ENCODER_TP: auto, data or weights" ;; esac

# Every flag below is documented: https://docs.vllm.ai/en/latest/cli/serve/ and
# https://docs.vllm.ai/projects/recipes/en/latest/Qwen/Qwen3-VL.html (README cites each one).
cmd=("$VLLM_BIN" serve "$MODEL"
  --served-model-name "$SERVED_NAME"
  --host "$HOST" --port "$PORT"
  --tensor-parallel-size "$TP"
  --max-model-len "$MAX_MODEL_LEN"
  --gpu-memory-utilization "$GPU_MEM"
  --limit-mm-per-prompt "{\"image\": $MAX_IMAGES, \"video\": $MAX_VIDEOS}")
(( DP > 1 )) && cmd+=(--data-parallel-size "$DP")
[[ $MM_ENCODER_TP == data ]] && cmd+=(--mm-encoder-tp-mode data)
[[ $REASONING_PARSER != none ]] && cmd+=(--reasoning-parser "$REASONING_PARSER")
[[ $TOOL_PARSER != none ]] && cmd+=(--enable-auto-tool-choice --tool-call-parser "$TOOL_PARSER")

mm_kwargs=()
[[ -n $MAX_PIXELS ]] && mm_kwargs+=("\"size\": {\"longest_edge\": $MAX_PIXELS, \"shortest_edge\": $MIN_PIXELS}")
[[ -n $VIDEO_FPS ]] && mm_kwargs+=("\"fps\": $VIDEO_FPS, \"do_sample_frames\": true")
if (( ${#mm_kwargs[@]} )); then
  joined=${mm_kwargs[0]}
  for part in "${mm_kwargs[@]:1}"; do joined+=", $part"; done
  cmd+=(--mm-processor-kwargs "{$joined}")
fi
# Let the HF video processor sample by fps: vLLM's loader then hands it every frame.
[[ -n $VIDEO_FPS ]] && cmd+=(--media-io-kwargs '{"video": {"num_frames": -1}}')
[[ $EXPERT_PARALLEL == 1 ]] && cmd+=(--enable-expert-parallel)
[[ $ASYNC_SCHED == 1 ]] && cmd+=(--async-scheduling)
[[ -n $MAX_NUM_SEQS ]] && cmd+=(--max-num-seqs "$MAX_NUM_SEQS")
[[ -n $LOCAL_MEDIA_DIR ]] && cmd+=(--allowed-local-media-path "$LOCAL_MEDIA_DIR")
[[ -n $API_KEY ]] && cmd+=(--api-key "$API_KEY")
cmd+=("${extra[@]}")

# Shell-quote for display; the API key is masked.
quote() {
  local a=$1
  if [[ $a =~ ^[A-Za-z0-9_./:=,@%+-]+$ ]]; then printf '%s' "$a"
  else printf "'%s'" "${a//\'/\'\\\'\'}"; fi
}
show() {
  local out='' prev='' a
  for a in "${cmd[@]}"; do
    [[ $prev == --api-key ]] && a='***'
    out+="$(quote "$a") "
    prev=$a
  done
  printf '%s\n' "${out% }"
}

client_host=$HOST
[[ $client_host == 0.0.0.0 || $client_host == :: ]] && client_host=127.0.0.1
hint="vlcrew: VLCREW_BASE_URL=http://$client_host:$PORT/v1 VLCREW_PLANNER_MODEL=$SERVED_NAME VLCREW_EXPERT_MODEL=$SERVED_NAME"

if (( dry_run )); then
  show
  echo "# $hint"
  exit 0
fi

command -v "$VLLM_BIN" >/dev/null 2>&1 || die "'$VLLM_BIN' not found (pip install 'vllm>=0.11', or set VLLM_BIN)"
echo "serve.sh: profile $profile; running:" >&2
show >&2
echo "serve.sh: $hint" >&2
exec "${cmd[@]}"
