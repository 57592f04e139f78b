#!/usr/bin/env bash
# ci_slurm.sh - run the tiny test workflow through profiles/slurm on a real Slurm.
#
# Starts a single-node Slurm (scripts/start_slurm.sh; installs slurm-wlm + munge with
# apt-get the first time; run as root), then proves three things:
#   (a) the tiny config (.test/config/config.yaml, results in a temp dir) runs to the
#       end through `snakemake --profile profiles/slurm` and writes its tables/figures.
#       By default it is cut to its first seed and first two methods (every rule still
#       runs, 8 Slurm jobs, ~3 min); CI_SLURM_FULL=1 runs all of it (20 jobs, ~4.5 min);
#   (b) every job of every rule (except `all` and the localrules data, report) ran as its own Slurm job that
#       COMPLETED, without GPU requests (config device: cpu), one plugin log per job;
#   (c) a deliberately failing job is reported FAILED by Slurm (and retried once, as
#       the profile's `retries: 1` says) and snakemake exits non-zero without hanging.
# CI-only overrides (partition `debug`, small mem/runtime, fast status checks) are in
# profiles/slurm-ci, given as a second --profile. Every snakemake call runs under
# `timeout -k 30`. On exit (success, failure or signal) it cancels its own Slurm jobs
# and stops the daemons start_slurm.sh started in this run (scripts/stop_slurm.sh).
# Idempotent: all files go to a fresh temp dir (removed on success; kept on failure,
# or always with CI_SLURM_KEEP=1), nothing is written into the repository.
#
#   sudo bash scripts/ci_slurm.sh        # 3.6 min on 2 idle cores (5.3 with CI_SLURM_FULL=1)
#
# Knobs: CI_SLURM_FULL=1, CI_SLURM_TIMEOUT (s, default 900, for the workflow run),
#        CI_SLURM_KEEP=1, PYTHON (default .venv/bin/python).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
PY=${PYTHON:-$ROOT/.venv/bin/python}
TIMEOUT=${CI_SLURM_TIMEOUT:-900}
T0=$(date +%s)
log() { echo "[ci_slurm +$(( $(date +%s) - T0 ))s] $*"; }
fail() { echo "[ci_slurm] FAIL: $*" >&2; exit 1; }

[ -x "$PY" ] || fail "no python at $PY (run scripts/install.sh first)"
WORK=$(mktemp -d /tmp/divrl-ci-slurm.XXXXXX)
# stop_slurm.sh stops only what start_slurm.sh records here, i.e. what this run
# started; a Slurm that was already up before stays up.
export SLURM_STARTED_FILE=$WORK/started
# jobs inherit this environment (sbatch --export=ALL): the venv's divrl and offline hub
export PATH="$(dirname "$PY"):$PATH" HF_HUB_OFFLINE=1 TOKENIZERS_PARALLELISM=false

# bounded LIMIT LOG CMD... : run CMD under `timeout -k 30 LIMIT`, output to LOG. In the
# background, so that a signal to this script runs the traps at once (bash defers traps
# while a foreground command runs); returns CMD's exit status (124/137: time limit).
CHILD=
bounded() {
  local limit=$1 out=$2 rc=0
  shift 2
  timeout -k 30 "$limit" "$@" > "$out" 2>&1 &
  CHILD=$!
  wait "$CHILD" || rc=$?
  CHILD=
  return $rc
}

cleanup() {
  local rc=$? ids i
  trap - EXIT INT TERM
  if [ -n "$CHILD" ] && kill -0 "$CHILD" 2>/dev/null; then
    # interrupted mid-run: SIGTERM reaches snakemake through timeout; snakemake then
    # waits for its running jobs, so after 20 s kill it (its jobs are cancelled below)
    echo "[ci_slurm] stopping snakemake (timeout pid $CHILD)"
    kill -TERM "$CHILD" 2>/dev/null || true
    for i in $(seq 40); do kill -0 "$CHILD" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$CHILD" 2>/dev/null; then
      for i in $(ps -o pid= --ppid "$CHILD"); do kill -KILL "$i" 2>/dev/null || true; done
      kill -KILL "$CHILD" 2>/dev/null || true
    fi
  fi
  # cancel our jobs that may still be queued or running (after a timeout or Ctrl-C)
  ids=$(cat "$WORK"/*.log 2>/dev/null | sed -n 's/.*submitted with SLURM jobid \([0-9]*\).*/\1/p' | sort -un | paste -sd, -)
  live() { squeue -h -j "$1" -t PENDING,RUNNING,CONFIGURING,COMPLETING -o %i 2>/dev/null | paste -sd, -; }
  if [ -n "$ids" ] && command -v squeue >/dev/null; then
    ids=$(live "$ids")
    if [ -n "$ids" ]; then
      echo "[ci_slurm] cancelling jobs $ids"
      scancel ${ids//,/ } || true   # digits and spaces only
      # let slurmd deliver the cancel to the job steps before the daemons go down
      for i in $(seq 60); do [ -z "$(live "$ids")" ] && break; sleep 0.5; done
    fi
  fi
  bash "$ROOT/scripts/stop_slurm.sh" || rc=1
  if [ $rc = 0 ] && [ -z "${CI_SLURM_KEEP:-}" ]; then rm -rf "$WORK"; else echo "[ci_slurm] files kept in $WORK"; fi
  exit $rc
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---------------------------------------------------------------- slurm
bash scripts/start_slurm.sh > "$WORK/start_slurm.out" 2>&1 || { cat "$WORK/start_slurm.out"; fail "start_slurm.sh"; }
T_SLURM=$(( $(date +%s) - T0 ))
NCPU=$(sinfo -h -p debug -o %c | head -1)
log "slurm up in ${T_SLURM}s (partition debug, $NCPU CPUs)"

SMK=("$PY" -m snakemake --profile "$ROOT/profiles/slurm" --profile "$ROOT/profiles/slurm-ci")

# ---------------------------------------------------------------- (a) tiny workflow
"$PY" - "$ROOT/.test/config/config.yaml" "$WORK/config.yaml" "$WORK/results" "${CI_SLURM_FULL:-0}" <<'EOF'
import sys, yaml
src, dst, results, full = sys.argv[1:]
cfg = yaml.safe_load(open(src))
cfg["results"] = results
if full != "1":  # every rule, fewer train/evaluate jobs: Slurm adds ~10 s of snakemake start-up per job
    cfg["seeds"] = cfg["seeds"][:1]
    cfg["methods"] = dict(list(cfg["methods"].items())[:2])
yaml.safe_dump(cfg, open(dst, "w"), sort_keys=False)
print(f"config: seeds {cfg['seeds']}, methods {list(cfg['methods'])}")
EOF
WF=(-s "$ROOT/workflow/Snakefile" -d "$WORK/run" --configfile "$WORK/config.yaml")
# the plan: jobs per rule (the dry run submits nothing)
bounded 120 "$WORK/plan.txt" "$PY" -m snakemake "${WF[@]}" -n --quiet rules \
  || { cat "$WORK/plan.txt"; fail "dry run"; }
log "workflow: ${WF[*]}"
T1=$(date +%s)
# --max-threads: a rule's threads become --cpus-per-task; never more than the node has
rc=0
bounded "$TIMEOUT" "$WORK/workflow.log" "${SMK[@]}" "${WF[@]}" --max-threads "$NCPU" || rc=$?
T_WF=$(( $(date +%s) - T1 ))
if [ $rc != 0 ]; then
  tail -n 60 "$WORK/workflow.log"
  [ $rc = 124 ] || [ $rc = 137 ] && fail "workflow run timed out after ${TIMEOUT}s"
  fail "workflow run exited $rc"
fi
log "workflow finished in ${T_WF}s"

# ---------------------------------------------------------------- (c) a failing job
mkdir -p "$WORK/fail"
cat > "$WORK/fail/Snakefile" <<'EOF'
# throwaway workflow: `ok` succeeds, `boom` fails on purpose
rule all:
    input:
        "ok.txt",
        "boom.txt",


rule ok:
    output:
        "ok.txt",
    shell:
        "echo fine > {output}"


rule boom:
    output:
        "boom.txt",
    shell:
        "echo 'failing on purpose' >&2; exit 3"
EOF
T2=$(date +%s)
frc=0
bounded 300 "$WORK/fail.log" "${SMK[@]}" -s "$WORK/fail/Snakefile" -d "$WORK/fail" || frc=$?
T_FAIL=$(( $(date +%s) - T2 ))
[ $frc = 124 ] || [ $frc = 137 ] && { tail -n 40 "$WORK/fail.log"; fail "failing workflow hung (killed after 300 s)"; }
[ $frc != 0 ] || { tail -n 40 "$WORK/fail.log"; fail "failing workflow exited 0"; }
log "failing workflow exited $frc in ${T_FAIL}s"

# ---------------------------------------------------------------- checks (a)-(c)
"$PY" - "$WORK" <<'EOF'
import collections, math, re, subprocess, sys
from pathlib import Path

import pandas as pd
import yaml

from divrl.report import outputs  # the report's files and rules, one table

work = Path(sys.argv[1])
cfg = yaml.safe_load((work / "config.yaml").read_text())
errors = []


def check(ok, msg):
    if not ok:
        errors.append(msg)
    return ok


def slurm_jobs(logfile):
    """jobid -> plugin log path, from snakemake's 'submitted with SLURM jobid' lines"""
    text = logfile.read_text()
    return {m[1]: Path(m[2]) for m in re.finditer(r"submitted with SLURM jobid (\d+) \(log: (.*?)\)\.?$", text, re.M)}


def squeue(ids):
    """jobid -> (rule, state, cpus, gres) as slurmctld knows them (MinJobAge=3600)"""
    if not ids:
        return {}
    out = subprocess.run(
        ["squeue", "-h", "--states=all", "-j", ",".join(ids), "-o", "%i|%k|%T|%C|%b"],
        capture_output=True, text=True, check=True,
    ).stdout
    jobs = {}
    for line in out.splitlines():
        jid, comment, state, cpus, gres = line.split("|")
        rule = re.match(r"rule_(.+?)(_wildcards_.*)?$", comment)[1]
        jobs[jid] = (rule, state, int(cpus), gres)
    return jobs


# (a) results
res = Path(cfg["results"])
for f in [*outputs.files("summary_md"), *outputs.files("summary_csv"), outputs.files("passk")[0],
          outputs.files("passk_minus_base")[0]]:
    check((res / f).is_file() and (res / f).stat().st_size > 0, f"(a) missing or empty: {res / f}")
if (res / outputs.files("summary_csv")[0]).is_file():
    summary = pd.read_csv(res / outputs.files("summary_csv")[0], index_col=0)
    check(set(summary.index) == {"base", *cfg["methods"]}, f"(a) summary rows {sorted(summary.index)}")
    check(summary.filter(like="mean").map(math.isfinite).all().all(), "(a) non-finite means in summary.csv")

# (b) one Slurm job per planned job
plan, inside = {}, False
for line in (work / "plan.txt").read_text().splitlines():
    parts = line.split()
    if line.startswith("job") and "count" in line:
        inside = True
    elif inside and len(parts) == 2 and parts[1].isdigit() and parts[0] != "total":
        plan[parts[0]] = int(parts[1])
    elif inside and parts and parts[0] == "total":
        break
plan.pop("all", None)  # the target rule has no action and runs locally
# localrules (workflow/rules/common.smk, report.smk): data and the reports run beside Snakemake, never in Slurm
LOCAL = {"data", *outputs.RULES}
check("data" in plan and "report_tables" in plan, f"(b) the plan lacks the local rules: {plan}")
plan = {rule: n for rule, n in plan.items() if rule not in LOCAL}
check(len(plan) >= 4, f"(b) could not read the plan: {plan}")
submitted = slurm_jobs(work / "workflow.log")
jobs = squeue(submitted)
check(len(jobs) == len(submitted), f"(b) squeue knows {len(jobs)} of {len(submitted)} submitted jobs")
per_rule = collections.Counter(rule for rule, *_ in jobs.values())
check(dict(per_rule) == plan, f"(b) Slurm jobs per rule {dict(per_rule)} != plan {plan}")
for jid, (rule, state, cpus, gres) in sorted(jobs.items(), key=lambda kv: int(kv[0])):
    check(state == "COMPLETED", f"(b) job {jid} ({rule}) is {state}")
    check(gres in ("N/A", "(null)", ""), f"(b) job {jid} ({rule}) requested GPUs/GRES: {gres}")
    log = submitted[jid]  # .snakemake/slurm_logs/rule_<rule>/<wildcards>/<jobid>.log
    if check(log.is_file() and f"rule_{rule}" in log.parts, f"(b) job {jid} ({rule}): no plugin log at {log}"):
        threads = re.search(r"^\s+threads: (\d+)$", log.read_text(), re.M)  # absent when 1
        threads = int(threads[1]) if threads else 1
        check(cpus == threads, f"(b) job {jid} ({rule}): {cpus} CPUs for {threads} threads")

# (c) the failing workflow
fail_text = (work / "fail.log").read_text()
fjobs = squeue(slurm_jobs(work / "fail.log"))
fstates = collections.defaultdict(list)
for rule, state, *_ in fjobs.values():
    fstates[rule].append(state)
check(fstates.get("ok") == ["COMPLETED"], f"(c) rule ok: {fstates.get('ok')}")
check(fstates.get("boom") == ["FAILED", "FAILED"], f"(c) rule boom (retries: 1 -> 2 attempts): {fstates.get('boom')}")
check(re.search(r"Error in rule boom", fail_text) is not None, "(c) snakemake did not report 'Error in rule boom'")
check(not (work / "fail/boom.txt").exists(), "(c) boom.txt exists")

cpus = collections.defaultdict(set)
for rule, _, c, _ in jobs.values():
    cpus[rule].add(c)
print("rule          slurm jobs  state      cpus/job")
for rule in plan:
    states = sorted({s for r, s, *_ in jobs.values() if r == rule})
    print(f"{rule:<13} {per_rule[rule]:>3} / {plan[rule]:<4}  {','.join(states):<10} {','.join(map(str, sorted(cpus[rule])))}")
print(f"failing run:  ok {fstates.get('ok')}, boom {fstates.get('boom')}")
if errors:
    print("\n".join(errors), file=sys.stderr)
    sys.exit(1)
EOF

log "PASS: slurm start ${T_SLURM}s, tiny workflow ${T_WF}s, failing workflow ${T_FAIL}s (exit $frc), total $(( $(date +%s) - T0 ))s"
