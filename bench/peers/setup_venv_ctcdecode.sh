#!/usr/bin/env bash
# Creates bench/.cache/venv-ctcdecode (gitignored, like all of bench/.cache) with
# pyctcdecode, the Python prefix beam search that `npm run bench -- ctc` times
# beside seqlearn's ctcBeamSearch. It gets its own venv because pyctcdecode
# pins numpy < 2 while bench/.venv (torch) has numpy 2. No KenLM: the bench
# decodes without a language model. Idempotent: a venv that already imports
# pyctcdecode is left alone, so the bench driver calls this on every run.
#
#   bash bench/peers/setup_venv_ctcdecode.sh      # create or check the venv
#   SEQLEARN_CTCDECODE_VENV=/path bash ...        # use another venv directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SEQLEARN_CTCDECODE_VENV:-$here/../.cache/venv-ctcdecode}"
py="$venv/bin/python"

check() {
  "$py" - <<'PY' >/dev/null 2>&1
import numpy, pyctcdecode  # noqa: F401
PY
}

if [ -x "$py" ] && check; then
  exit 0
fi

echo "[bench] setting up Python venv for pyctcdecode in $venv (~20 MB, a few seconds)" >&2
if [ ! -x "$py" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2 || {
    echo "[bench] 'python3 -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
  }
fi
"$py" -m pip install --disable-pip-version-check -q --upgrade pip >&2
# pyctcdecode 0.5 declares numpy>=1.15,<2; say so explicitly so that pip does not try a 2.x
"$py" -m pip install --disable-pip-version-check -q 'pyctcdecode==0.5.*' 'numpy<2' >&2
check || { echo "[bench] venv at $venv still cannot import pyctcdecode" >&2; exit 1; }
echo "[bench] venv ready: $("$py" -c 'import importlib.metadata as m; print("pyctcdecode", m.version("pyctcdecode"), "numpy", m.version("numpy"))')" >&2
