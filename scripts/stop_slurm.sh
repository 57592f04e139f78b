#!/usr/bin/env bash
# stop_slurm.sh - stop the daemons that scripts/start_slurm.sh started, by pidfile.
#
# Reads $SLURM_STARTED_FILE (default /run/divrl-slurm.started; start_slurm.sh appends
# one daemon name a line) and stops those daemons, slurmd first and munged last, each by
# the pid in its pidfile (checked against the process name, so a stale pidfile never
# kills an unrelated process). Daemons that were already running before start_slurm.sh
# are not in the file and keep running. If start_slurm.sh wrote /etc/slurm/slurm.conf,
# it is renamed to slurm.conf.stopped (see below). Idempotent: a second call does nothing.
#
#   bash scripts/stop_slurm.sh          # what start_slurm.sh started
#   bash scripts/stop_slurm.sh --all    # every Slurm/munge daemon that has a pidfile
#
# Jobs: slurmctld keeps its state (queued and finished jobs) in /var/spool/slurmctld;
# job steps already running (slurmstepd) are not killed here - scancel them first.
set -euo pipefail

STARTED_FILE=${SLURM_STARTED_FILE:-/run/divrl-slurm.started}
ALL=0
case "${1:-}" in
  --all) ALL=1 ;;
  "") ;;
  *) echo "usage: $0 [--all]" >&2; exit 2 ;;
esac

# name -> "pidfile comm"
declare -A PIDFILE=(
  [slurmd]="/run/slurmd.pid slurmd"
  [slurmctld]="/run/slurmctld.pid slurmctld"
  [slurmdbd]="/run/slurmdbd.pid slurmdbd"
  [mariadb]="/run/mysqld/mysqld.pid mariadbd"
  [munged]="/run/munge/munged.pid munged"
)
ORDER=(slurmd slurmctld slurmdbd mariadb munged)   # reverse of start order

wanted() {
  [ $ALL = 1 ] && return 0
  [ -f "$STARTED_FILE" ] && grep -qx "$1" "$STARTED_FILE"
}

# stop_pid PIDFILE COMM : SIGTERM the process named in PIDFILE if its comm matches,
# wait up to 10 s, then SIGKILL. Returns 0 if it is gone (or was never there).
stop_pid() {
  local f=$1 comm=$2 pid i
  [ -s "$f" ] || return 0
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$comm" ] || return 0
  echo "[stop_slurm] stopping $comm (pid $pid)"
  kill "$pid" 2>/dev/null || true
  for i in $(seq 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  echo "[stop_slurm] $comm (pid $pid) ignored SIGTERM, sending SIGKILL"
  kill -9 "$pid" 2>/dev/null || true
}

for name in "${ORDER[@]}"; do
  wanted "$name" || continue
  read -r f comm <<<"${PIDFILE[$name]}"
  stop_pid "$f" "$comm"
done

# Park the slurm.conf that start_slurm.sh wrote. With a slurm.conf but no slurmctld,
# every Slurm client command waits ~9 s for the controller - and so does every
# `snakemake` call on this machine, local runs included: snakemake-executor-plugin-slurm
# runs `scontrol show config` when it is imported. start_slurm.sh writes it anew.
if wanted slurm.conf && [ -f /etc/slurm/slurm.conf ] && ! [ -d "/proc/$(cat /run/slurmctld.pid 2>/dev/null || echo none)" ]; then
  mv /etc/slurm/slurm.conf /etc/slurm/slurm.conf.stopped
  echo "[stop_slurm] moved /etc/slurm/slurm.conf to slurm.conf.stopped"
fi
rm -f "$STARTED_FILE"
