#!/usr/bin/env bash
# The Snakemake head job on Slurm: submits and watches every job of the workflow (profiles/slurm)
# from a batch job instead of a tmux session on a login node. From the repository root:
#   sbatch scripts/slurm_head.sh --configfile my.yaml [other snakemake options]
# Slurm ends a job at its time limit or on `scancel` with SIGTERM to every process of it, Snakemake
# included, which can hang Snakemake 9.27.1 for good (docs/troubleshooting.md). So Snakemake runs
# under scripts/snakemake_signals.py (this script *is* it, through exec): a TERM becomes SIGINT,
# Snakemake cancels its Slurm jobs and exits, the run's locks are removed, SIGKILL after
# DIVRL_STOP_GRACE_S (60) s. --signal=B:TERM@300 sends that TERM to this script alone 5 minutes
# before the time limit, well before Slurm's own TERM and SIGKILL. Resubmit to go on: finished jobs
# are kept and `train` resumes from its checkpoint.
#SBATCH --job-name=divrl-head
#SBATCH --time=2-00:00:00
#SBATCH --cpus-per-task=2
#SBATCH --mem=8G
#SBATCH --signal=B:TERM@300
#SBATCH --output=slurm-head-%j.log
set -euo pipefail
# sbatch runs a copy of this file from its spool folder: the checkout is where sbatch was called
cd "${SLURM_SUBMIT_DIR:-$(dirname "$0")/..}"
export HF_HUB_OFFLINE="${HF_HUB_OFFLINE:-1}" TOKENIZERS_PARALLELISM=false
exec .venv/bin/python scripts/snakemake_signals.py -- .venv/bin/snakemake --profile profiles/slurm "$@"
