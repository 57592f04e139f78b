#!/usr/bin/env bash
# Install (if needed) and run the whole test suite, the tiny end-to-end workflow included.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/python -m pytest -q "$@"
