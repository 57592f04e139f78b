#!/usr/bin/env bash
# Create .venv and install divrl with its pinned stack. torch first: the CPU wheel
# (a bare `torch` requirement would pull a multi-GB CUDA build).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
[ -x .venv/bin/python ] || "$PY" -m venv .venv
# pip here may warn about unreachable local index folders; hide only those lines
# (pipefail keeps pip's own exit status).
pip_q() { .venv/bin/pip install -q "$@" 2>&1 | { grep -v "^WARNING: Location" || true; }; }
pip_q torch==2.13.0
pip_q -e '.[test,dev]'
.venv/bin/python -c "import divrl, torch, trl; print(f'divrl installed: torch {torch.__version__}, trl {trl.__version__}')"
