#!/usr/bin/env bash
# Creates bench/.cache/venv-gensim (gitignored, like all of bench/.cache) with gensim 4.4 from
# PyPI, the Python peer of `npm run bench -- word2vec`. Its own venv: gensim pins its numpy/scipy
# ranges, which need not agree with bench/.venv (torch). Idempotent: a venv that already imports
# gensim 4.4 with its compiled routines is left alone, so the bench driver calls this on every run.
#
#   bash bench/peers/setup_venv_gensim.sh      # create or check the venv
#   SEQLEARN_GENSIM_VENV=/path bash ...        # use another venv directory
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="${SEQLEARN_GENSIM_VENV:-$(cd "$here/.." && pwd)/.cache/venv-gensim}"
py="$venv/bin/python"

check() {
  "$py" - <<'PY' >/dev/null 2>&1
import gensim
from gensim.models.word2vec_inner import FAST_VERSION
assert gensim.__version__.startswith("4.4") and FAST_VERSION >= 0
PY
}

if [ -x "$py" ] && check; then
  exit 0
fi

echo "[bench] setting up Python venv for gensim in $venv (~150 MB with numpy and scipy, under a minute)" >&2
if [ ! -x "$py" ]; then
  mkdir -p "$(dirname "$venv")"
  python3 -m venv "$venv" >&2 || {
    echo "[bench] 'python3 -m venv' failed; on Debian: apt-get install python3-venv" >&2
    exit 1
  }
fi
"$py" -m pip install --disable-pip-version-check -q --upgrade pip >&2
"$py" -m pip install --disable-pip-version-check -q 'gensim==4.4.*' >&2
check || { echo "[bench] venv at $venv still cannot import gensim 4.4 with its compiled routines" >&2; exit 1; }
echo "[bench] venv ready: $("$py" -c 'import gensim, numpy; print("gensim", gensim.__version__, "numpy", numpy.__version__)')" >&2
