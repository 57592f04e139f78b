#!/usr/bin/env bash
# Install (if needed) and run the default workflow: results/ gets tables and figures.
# A TERM, INT or HUP (`timeout`, Ctrl-C, a closed terminal) stops Snakemake through
# scripts/snakemake_signals.py: SIGINT to Snakemake, SIGKILL after DIVRL_STOP_GRACE_S (60) seconds,
# its lock removed, exit status 128 + the signal (docs/troubleshooting.md says why).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
export HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false
# --- run ---
# bash runs a trap only once its foreground child has ended, so the wrapper runs in the background
# and a signal sent to this script alone is passed on to it at once.
.venv/bin/python scripts/snakemake_signals.py -- .venv/bin/snakemake --cores "${CORES:-2}" "$@" &
child=$!
for sig in TERM INT HUP; do trap "kill -s $sig $child 2>/dev/null || true" "$sig"; done
while kill -0 "$child" 2>/dev/null; do wait "$child" || true; done
status=0
wait "$child" || status=$?  # bash keeps the status of a child it has already reaped
trap - TERM INT HUP
[ "$status" = 0 ] || exit "$status"
# --- end run ---
.venv/bin/python benchmarks/rule_times.py results | tail -12
