#!/usr/bin/env bash
# Snakemake runs this once, inside the freshly created env, before any job uses it.
# It installs divrl from the checkout whose workflow created the env (common.smk exports
# DIVRL_CHECKOUT; this file is copied into the env folder, so $0 cannot tell).
# Editable: jobs run the checkout's current code, as the venv's `pip install -e .` does.
# --no-deps: the env file's pins stay the only source of dependencies (the report env
# stays without torch); --no-build-isolation: setuptools comes from the env file.
set -euo pipefail
python -m pip install --no-deps --no-build-isolation --quiet -e "${DIVRL_CHECKOUT:?run through snakemake}"
python -c "import divrl.cli" # fail the env's creation here, not in its first job
