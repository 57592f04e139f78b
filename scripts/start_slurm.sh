#!/usr/bin/env bash
# start_slurm.sh - single-node *real* Slurm (Debian 12 / slurm-wlm 22.05) for CI and
# for trying profiles/slurm on one machine (used by scripts/ci_slurm.sh).
#
# Idempotent: installs missing packages, (re)writes configs, (re)starts only the
# daemons that are not running or whose config changed, waits until the node
# is idle and a test job has completed. Run as root. No systemd needed.
# Every daemon this script starts is appended to $SLURM_STARTED_FILE (one name a
# line, plus `slurm.conf` when it wrote that file); scripts/stop_slurm.sh stops exactly
# those, by pidfile.
#
# Environment knobs:
#   SLURM_ACCOUNTING=none      (default) no slurmdbd; sacct does NOT work, so the
#                              Snakemake profile must use  slurm-status-command: squeue
#   SLURM_ACCOUNTING=slurmdbd  also install MariaDB + slurmdbd, so sacct works
#                              (plugin default status command) - adds ~10-15 s
#   SLURM_TASK_PLUGIN=task/affinity (default) or task/none
#   SLURM_PROCTRACK=proctrack/linuxproc (default; no cgroups needed)
#   SLURM_PARTITION=debug      partition name
#   SLURM_SHORT_PARTITION=short a second partition with a short MaxTime, for the
#   SLURM_SHORT_MAXTIME=1       time-limit test (tests/test_slurm.py): trainings that
#                               outlive their job's limit (minutes)
#   SLURM_STARTED_FILE=/run/divrl-slurm.started   record of the daemons started here
set -euo pipefail

ACCOUNTING=${SLURM_ACCOUNTING:-none}
TASK_PLUGIN=${SLURM_TASK_PLUGIN:-task/affinity}
PROCTRACK=${SLURM_PROCTRACK:-proctrack/linuxproc}
PARTITION=${SLURM_PARTITION:-debug}
SHORT_PARTITION=${SLURM_SHORT_PARTITION:-short}
SHORT_MAXTIME=${SLURM_SHORT_MAXTIME:-1}
DB_PASS=${SLURM_DB_PASS:-slurmdbpass}
STARTED_FILE=${SLURM_STARTED_FILE:-/run/divrl-slurm.started}
T0=$(date +%s)
log() { echo "[start_slurm +$(( $(date +%s) - T0 ))s] $*"; }

[ "$(id -u)" = 0 ] || { echo "must run as root" >&2; exit 1; }

# ---------------------------------------------------------------- packages
PKGS=(slurm-wlm munge)   # slurm-wlm = slurmctld + slurmd + slurm-client
[ "$ACCOUNTING" = slurmdbd ] && PKGS+=(slurmdbd mariadb-server)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # policy-rc.d (if present, as in Docker images) stops postinst from starting
  # daemons; we start them ourselves below either way.
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
log "packages ok: $(dpkg-query -W -f='${Version}' slurmctld) (slurm), $(dpkg-query -W -f='${Version}' munge) (munge)"

# ---------------------------------------------------------------- helpers
# pid_alive PIDFILE COMM : true if pidfile names a live process with that comm
pid_alive() {
  local f=$1 comm=$2 pid
  [ -s "$f" ] || return 1
  pid=$(cat "$f")
  [ -d "/proc/$pid" ] && [ "$(cat /proc/$pid/comm 2>/dev/null)" = "$comm" ]
}
# stop_pid PIDFILE COMM : stop that one process (by pid), wait for it to exit
stop_pid() {
  local f=$1 comm=$2 pid i
  pid_alive "$f" "$comm" || return 0
  pid=$(cat "$f")
  kill "$pid"
  for i in $(seq 100); do [ -d "/proc/$pid" ] || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
}
# started NAME : remember that this script started daemon NAME (for stop_slurm.sh)
started() {
  mkdir -p "$(dirname "$STARTED_FILE")"
  grep -qx "$1" "$STARTED_FILE" 2>/dev/null || echo "$1" >> "$STARTED_FILE"
}
# install_if_changed SRC DST : copy, return 0 if DST changed
install_if_changed() {
  if [ -f "$2" ] && cmp -s "$1" "$2"; then rm -f "$1"; return 1; fi
  mv "$1" "$2"; return 0
}

# ---------------------------------------------------------------- hostname
H=$(hostname -s)
# slurmd finds "its" NodeName via the short hostname; addresses are pinned to
# 127.0.0.1 below, but make the name resolvable anyway (sbatch/srun log it).
getent hosts "$H" >/dev/null || echo "127.0.0.1 $H" >> /etc/hosts

# ---------------------------------------------------------------- munge
if [ ! -s /etc/munge/munge.key ]; then
  log "creating munge key"
  mungekey --create --keyfile=/etc/munge/munge.key
fi
chown munge:munge /etc/munge /etc/munge/munge.key
chmod 700 /etc/munge; chmod 400 /etc/munge/munge.key
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if ! pid_alive /run/munge/munged.pid munged; then
  log "starting munged"
  runuser -u munge -- /usr/sbin/munged      # munged refuses to run as root
  started munged
fi
munge -n | unmunge >/dev/null

# ---------------------------------------------------------------- slurm.conf
install -d -o slurm -g slurm -m 0755 /var/spool/slurmctld /var/log/slurm
install -d -o root -g root -m 0755 /var/spool/slurmd
# CPU/socket layout and memory as slurmd sees them; declare ~95% of memory so
# the node is never drained for "Low RealMemory".
HW=$(slurmd -C | head -1)
get() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$HW"; }
CPUS=$(get CPUs); SOCK=$(get SocketsPerBoard); CORES=$(get CoresPerSocket)
THR=$(get ThreadsPerCore); MEM=$(get RealMemory); MEM=$(( MEM * 95 / 100 ))

if [ "$ACCOUNTING" = slurmdbd ]; then
  ACCT_LINES="AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=localhost
JobAcctGatherType=jobacct_gather/linux"
else
  ACCT_LINES="AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none"
fi

cat > /etc/slurm/slurm.conf.new <<EOF
# single-node CI cluster, generated by start_slurm.sh
ClusterName=ci
SlurmctldHost=${H}(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
SlurmUser=slurm
SlurmdUser=root
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
# no cgroups: works in containers/VMs without a delegated cgroup tree
ProctrackType=${PROCTRACK}
TaskPlugin=${TASK_PLUGIN}
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SchedulerType=sched/backfill
# reject (instead of queueing forever) jobs asking for more CPUs than the node has
EnforcePartLimits=ALL
MpiDefault=none
ReturnToService=2
# keep finished jobs visible to 'squeue --states=all' for 1 h
# (snakemake-executor-plugin-slurm needs MinJobAge >= 3 x init-seconds-before-status-checks)
MinJobAge=3600
${ACCT_LINES}
JobCompType=jobcomp/none
NodeName=${H} NodeAddr=127.0.0.1 CPUs=${CPUS} SocketsPerBoard=${SOCK} CoresPerSocket=${CORES} ThreadsPerCore=${THR} RealMemory=${MEM} State=UNKNOWN
PartitionName=${PARTITION} Nodes=${H} Default=YES MaxTime=INFINITE State=UP
PartitionName=${SHORT_PARTITION} Nodes=${H} MaxTime=${SHORT_MAXTIME} State=UP
EOF
CONF_CHANGED=0
install_if_changed /etc/slurm/slurm.conf.new /etc/slurm/slurm.conf && { CONF_CHANGED=1; started slurm.conf; }
chmod 644 /etc/slurm/slurm.conf

# ---------------------------------------------------------------- accounting (optional)
if [ "$ACCOUNTING" = slurmdbd ]; then
  if ! mysqladmin ping >/dev/null 2>&1; then
    log "starting mariadb"
    /etc/init.d/mariadb start >/dev/null   # no systemd needed
    started mariadb
  fi
  mysql -e "CREATE DATABASE IF NOT EXISTS slurm_acct_db;
            CREATE USER IF NOT EXISTS 'slurm'@'localhost' IDENTIFIED BY '${DB_PASS}';
            GRANT ALL ON slurm_acct_db.* TO 'slurm'@'localhost'; FLUSH PRIVILEGES;"
  cat > /etc/slurm/slurmdbd.conf.new <<EOF
AuthType=auth/munge
DbdHost=localhost
DbdAddr=127.0.0.1
SlurmUser=slurm
PidFile=/run/slurmdbd.pid
LogFile=/var/log/slurm/slurmdbd.log
StorageType=accounting_storage/mysql
StorageHost=localhost
StorageUser=slurm
StoragePass=${DB_PASS}
StorageLoc=slurm_acct_db
EOF
  DBD_CHANGED=0
  install_if_changed /etc/slurm/slurmdbd.conf.new /etc/slurm/slurmdbd.conf && DBD_CHANGED=1
  chown slurm:slurm /etc/slurm/slurmdbd.conf; chmod 600 /etc/slurm/slurmdbd.conf  # slurmdbd insists
  if [ $DBD_CHANGED = 1 ] || ! pid_alive /run/slurmdbd.pid slurmdbd; then
    stop_pid /run/slurmdbd.pid slurmdbd
    log "starting slurmdbd"
    /usr/sbin/slurmdbd
    started slurmdbd
  fi
  for i in $(seq 60); do sacctmgr -n list cluster >/dev/null 2>&1 && break; sleep 0.5; done
  sacctmgr -n list cluster >/dev/null || { tail -20 /var/log/slurm/slurmdbd.log; exit 1; }
else
  stop_pid /run/slurmdbd.pid slurmdbd   # switching back from slurmdbd mode
fi

# ---------------------------------------------------------------- slurmctld + slurmd
if [ $CONF_CHANGED = 1 ] || ! pid_alive /run/slurmctld.pid slurmctld; then
  stop_pid /run/slurmctld.pid slurmctld
  log "starting slurmctld"
  /usr/sbin/slurmctld
  started slurmctld
fi
if [ $CONF_CHANGED = 1 ] || ! pid_alive /run/slurmd.pid slurmd; then
  stop_pid /run/slurmd.pid slurmd
  log "starting slurmd"
  /usr/sbin/slurmd -N "$H"
  started slurmd
fi

# ---------------------------------------------------------------- wait for idle node
state=""
for i in $(seq 120); do
  state=$(sinfo -h -n "$H" -o %t 2>/dev/null || true)
  case "$state" in
    idle|mix|alloc) break ;;
    drain*|down*|drng) scontrol update NodeName="$H" State=RESUME 2>/dev/null || true ;;
  esac
  sleep 0.5
done
case "$state" in idle|mix|alloc) ;; *)
  echo "node not ready (state='$state')" >&2
  scontrol show node "$H" >&2 || true
  tail -n 30 /var/log/slurm/slurmctld.log /var/log/slurm/slurmd.log >&2
  exit 1 ;;
esac
log "node $H is $state"

# ---------------------------------------------------------------- smoke test
# (polling squeue ourselves: 'sbatch --wait' polls with growing sleeps, ~10 s)
out=$(mktemp -d)
jid=$(sbatch --parsable -p "$PARTITION" -t 1 --mem 100 -c 1 -o "$out/%j.out" --wrap "hostname -s")
jstate=""
for i in $(seq 240); do
  jstate=$(squeue -h -j "$jid" --states=all -o %T 2>/dev/null || true)
  case "$jstate" in COMPLETED|FAILED|CANCELLED|TIMEOUT|NODE_FAIL|OUT_OF_MEMORY|BOOT_FAIL) break ;; esac
  sleep 0.25
done
if [ "$jstate" != COMPLETED ] || ! grep -qx "$H" "$out/$jid.out" 2>/dev/null; then
  echo "smoke job $jid failed (state='$jstate')" >&2; cat "$out"/* >&2 || true
  tail -n 30 /var/log/slurm/slurmd.log >&2; exit 1
fi
rm -rf "$out"
sinfo
log "slurm ready (accounting=$ACCOUNTING) in $(( $(date +%s) - T0 ))s"
