#!/usr/bin/env bash
# Install (if needed) and run the default workflow: results/ gets tables and figures.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
.venv/bin/snakemake --cores "${CORES:-2}" "$@"
.venv/bin/python benchmarks/rule_times.py results | tail -12
