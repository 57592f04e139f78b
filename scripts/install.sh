#!/usr/bin/env bash
# Create .venv and install divrl with its pinned stack. torch first, from PyTorch's CPU
# index when it answers: on a plain PyPI, torch==2.13.0 is the multi-GB CUDA build, which
# the toy (CPU) does not need. DIVRL_TORCH_INDEX=URL picks another index (e.g. a CUDA one);
# DIVRL_TORCH_INDEX=none installs torch from pip's configured index as it is.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# pip here may warn about unreachable local index folders; hide only those lines
# (pipefail keeps pip's own exit status).
pip_q() { .venv/bin/pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
CPU_INDEX=https://download.pytorch.org/whl/cpu
INDEX=${DIVRL_TORCH_INDEX:-$CPU_INDEX}
answers() { .venv/bin/python -c "import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + '/torch/', timeout=5)" "$1" 2>/dev/null; }
if [ "$INDEX" != none ] && answers "$INDEX"; then
    pip_q torch==2.13.0 --index-url "$INDEX"
else
    [ "$INDEX" = none ] || echo "install: $INDEX does not answer; torch from pip's configured index (on plain PyPI: the CUDA build)"
    pip_q torch==2.13.0
fi
pip_q -e '.[test,dev]'
.venv/bin/python -c "import divrl, torch, trl; print(f'divrl installed: torch {torch.__version__} ' + (f'(CUDA {torch.version.cuda} build)' if torch.version.cuda else '(CPU build)') + f', trl {trl.__version__}')"
