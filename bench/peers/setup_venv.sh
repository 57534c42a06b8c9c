#!/usr/bin/env bash
# Creates bench/.venv (gitignored) with the Python peers of the benchmarks:
# PyTorch CPU (the reference we compare against) and onnx (for
# torch.onnx.export, whose model onnxruntime-node then runs). Idempotent: a
# venv that already imports everything is left alone, so the bench driver
# calls this on every run.
#
#   bash bench/peers/setup_venv.sh          # create or check bench/.venv
#   SEQLEARN_BENCH_VENV=/path bash ...      # use another venv directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SEQLEARN_BENCH_VENV:-$here/../.venv}"
py="$venv/bin/python"

check() {
  "$py" - <<'PY' >/dev/null 2>&1
import torch, onnx  # noqa: F401
PY
}

if [ -x "$py" ] && check; then
  exit 0
fi

echo "[bench] setting up Python venv for the peers in $venv (torch, onnx; a few GB, ~1-2 min)" >&2
if [ ! -x "$py" ]; then
  python3 -m venv "$venv" >&2 || {
    echo "[bench] 'python3 -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
  }
fi
"$py" -m pip install --disable-pip-version-check -q --upgrade pip >&2
# torch: the plain PyPI wheel (its CPU path uses MKL/oneDNN); onnx: the legacy
# (TorchScript) exporter needs it. The dynamo exporter would also need
# onnxscript, which we do not use.
"$py" -m pip install --disable-pip-version-check -q torch onnx >&2
check || { echo "[bench] venv at $venv still cannot import torch/onnx" >&2; exit 1; }
echo "[bench] venv ready: $("$py" -c 'import torch; print("torch", torch.__version__)')" >&2
