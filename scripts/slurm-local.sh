#!/usr/bin/env bash
# A one-node Slurm cluster on this machine, for tests and for trying `landscape slurm`:
#
#   scripts/slurm-local.sh start DIR   # munged + slurmctld + slurmd, all state in DIR; waits until
#                                      # the node is idle; prints `export SLURM_CONF=DIR/slurm.conf`
#   scripts/slurm-local.sh stop DIR    # stops the daemons started in DIR
#
# Needs root (slurmd runs jobs as their user) and Debian's slurm-wlm and munge
# (scripts/deps.sh installs them). Nothing outside DIR is written: the munge key, socket and
# logs, slurm.conf, the controller's state and slurmd's spool all live there. The ports are
# SLURMCTLD_PORT and SLURMD_PORT (default 6817 and 6818). The node is "localhost" with this
# machine's CPUs and memory as `slurmd -C` reports them, in partition "debug"; processes are
# tracked by /proc (proctrack/linuxproc) and not confined (task/none), so no cgroups are needed.
set -euo pipefail
export PATH=$PATH:/usr/sbin:/sbin # the daemons, for users whose PATH lacks them
cmd=${1:-}
dir=${2:-}
if [ -z "$dir" ] || { [ "$cmd" != start ] && [ "$cmd" != stop ]; }; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

stop() {
  for d in slurmd slurmctld munged; do
    local pf="$dir/$d.pid"
    [ -s "$pf" ] || continue
    local pid
    pid=$(cat "$pf")
    if kill -0 "$pid" 2>/dev/null; then
      kill "$pid"
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -0 "$pid" 2>/dev/null && kill -9 "$pid"
    fi
    rm -f "$pf"
  done
}

if [ "$cmd" = stop ]; then
  stop
  exit 0
fi

if [ "$(id -u)" != 0 ]; then
  echo "slurm-local: needs root (slurmd starts jobs as their user)" >&2
  exit 3
fi
for b in munged slurmctld slurmd sinfo; do
  if ! command -v $b >/dev/null; then
    echo "slurm-local: $b not found: install slurm-wlm and munge (scripts/deps.sh does)" >&2
    exit 3
  fi
done
stop # daemons left from an earlier run in the same folder

mkdir -p "$dir/munge" "$dir/state" "$dir/spool"
chmod 700 "$dir" "$dir/munge"
key=$dir/munge/munge.key
if [ ! -s "$key" ]; then
  head -c 1024 /dev/urandom > "$key"
fi
chmod 400 "$key"
sock=$dir/munge/munge.socket
munged --force --key-file="$key" --socket="$sock" --pid-file="$dir/munged.pid" \
  --log-file="$dir/munged.log" --seed-file="$dir/munge/munged.seed"

host=$(uname -n)
host=${host%%.*}
node=$(slurmd -C | head -n1 | sed 's/^NodeName=[^ ]*/NodeName=localhost NodeAddr=127.0.0.1/')
cat > "$dir/slurm.conf" <<EOF
# Written by scripts/slurm-local.sh: a one-node cluster for tests.
ClusterName=landscape-local
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=${SLURMCTLD_PORT:-6817}
SlurmdPort=${SLURMD_PORT:-6818}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$sock
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
MpiDefault=none
ReturnToService=2
MinJobAge=600
$node State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF" -i
slurmd -f "$SLURM_CONF" -N localhost

for _ in $(seq 120); do
  state=$(sinfo -h -n localhost -o %T 2>/dev/null || true)
  if [ "$state" = idle ]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.5
done
echo "slurm-local: the node did not become idle within 60 s (state: ${state:-unknown}); logs:" >&2
tail -n 20 "$dir/slurmctld.log" "$dir/slurmd.log" "$dir/munged.log" >&2 2>/dev/null || true
stop
exit 1
