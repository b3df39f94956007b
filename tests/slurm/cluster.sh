# A real single-node Slurm cluster for the tests, as ../shared/SCALE_OUT.md measured it: munged, slurmctld and
# slurmd started as this shell's own background processes under one folder, no systemd, custom ports; stopped
# again (only the processes started here, by PID). Sourced:
#
#   source tests/slurm/cluster.sh; start_cluster FOLDER; ...; stop_cluster
#
# start_cluster exports SLURM_CONF (every client needs it; jobs inherit it) and waits until the node is idle.
# shellcheck shell=bash

cluster_dir=""
cluster_pids=()

start_cluster() {
  cluster_dir=$1
  local host
  host=$(hostname -s 2>/dev/null || echo localhost)
  for tool in munged mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel; do
    command -v "$tool" >/dev/null || { echo "start_cluster: $tool not found (scripts/install-deps.sh installs Slurm)" >&2; return 1; }
  done
  mkdir -p "$cluster_dir"/{munge,state,spool,log}
  chmod 711 "$cluster_dir/munge"
  mungekey -c -k "$cluster_dir/munge/munge.key" 2>/dev/null || mungekey -c -f -k "$cluster_dir/munge/munge.key"
  chmod 600 "$cluster_dir/munge/munge.key"
  munged --socket="$cluster_dir/munge/munge.sock" --key-file="$cluster_dir/munge/munge.key" \
    --log-file="$cluster_dir/log/munged.log" --pid-file="$cluster_dir/munge/munged.pid" \
    --seed-file="$cluster_dir/munge/munged.seed" || { echo "start_cluster: munged did not start" >&2; return 1; }
  cat >"$cluster_dir/slurm.conf" <<CONF
ClusterName=ci
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$cluster_dir/munge/munge.sock
StateSaveLocation=$cluster_dir/state
SlurmdSpoolDir=$cluster_dir/spool
SlurmctldPidFile=$cluster_dir/slurmctld.pid
SlurmdPidFile=$cluster_dir/slurmd.pid
SlurmctldLogFile=$cluster_dir/log/slurmctld.log
SlurmdLogFile=$cluster_dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
MpiDefault=none
SwitchType=switch/none
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=$cluster_dir/log/jobcomp.txt
MailProg=/bin/true
ReturnToService=2
MinJobAge=300
KillWait=5
EnforcePartLimits=ALL
DependencyParameters=kill_invalid_depend
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
NodeName=$host NodeAddr=127.0.0.1 CPUs=4 RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
CONF
  export SLURM_CONF="$cluster_dir/slurm.conf"
  slurmctld -D -c -f "$SLURM_CONF" >"$cluster_dir/log/slurmctld.out" 2>&1 &
  cluster_pids+=($!)
  slurmd -D -f "$SLURM_CONF" >"$cluster_dir/log/slurmd.out" 2>&1 &
  cluster_pids+=($!)
  local waited=0
  until [ "$(sinfo -h -o %t 2>/dev/null)" = idle ]; do
    sleep 0.2
    waited=$((waited + 1))
    if [ "$waited" -gt 150 ]; then
      echo "start_cluster: the node did not become idle in 30 s: $(sinfo -h -o %t 2>&1); $(tail -5 "$cluster_dir/log/slurmctld.log" 2>/dev/null)" >&2
      return 1
    fi
  done
}

stop_cluster() {
  [ -n "$cluster_dir" ] || return 0
  scancel --user="$(id -un)" >/dev/null 2>&1
  scontrol shutdown >/dev/null 2>&1
  local pid waited
  for pid in "${cluster_pids[@]}"; do
    waited=0
    while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 50 ]; do sleep 0.2; waited=$((waited + 1)); done
    kill -9 "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
  done
  munged -s --socket="$cluster_dir/munge/munge.sock" >/dev/null 2>&1 ||
    { [ -f "$cluster_dir/munge/munged.pid" ] && kill "$(cat "$cluster_dir/munge/munged.pid")" 2>/dev/null; }
  cluster_pids=()
  cluster_dir=""
}

# Waits until none of the given jobs is pending or running (at most $2 seconds); returns 1 on timeout.
wait_for_jobs() {
  local jobs=$1 limit=${2:-120} waited=0
  while [ -n "$(squeue -h -j "$jobs" 2>/dev/null)" ]; do
    sleep 0.5
    waited=$((waited + 1))
    [ "$waited" -le $((limit * 2)) ] || return 1
  done
}
