# What each job asks of the machine or the cluster: GPUs, host memory, the launcher of
# multi-GPU training, more on a retry; and a dry run's cost estimate. (Rules read these;
# paths, sections and identities are in common.smk.)
import math


def gpus(n=1):
    """GPUs a job asks for: n on `device: cuda`, none on CPU machines."""
    return n if CFG.device == "cuda" else 0


def by_attempt(value):
    """value, twice as much from the second attempt on: with the Slurm profile's `retries`, a
    job killed for its memory or time limit is resubmitted with more instead of dying the same
    way again. Not more than twice: a training chained over many jobs (train_retries) would
    otherwise ask for ten times its memory on its tenth."""
    return lambda wildcards, attempt: value * min(attempt, 2)


def runtime_minutes(minutes):
    """A job's runtime (by_attempt), capped at cluster.partition_max_runtime: Slurm refuses
    a job asking more than the partition's MaxTime, or never starts it."""
    cap = CFG.cluster.partition_max_runtime
    grow = by_attempt(minutes)
    return lambda wildcards, attempt: grow(wildcards, attempt) if cap is None else min(grow(wildcards, attempt), cap)


def time_limit_warning():
    """sbatch's request for the warning signal before a train job's time limit (URG: USR1
    would kill the job's Snakemake; divrl.train.slurm_signal says why)."""
    from divrl.train.slurm_signal import sbatch_option

    return sbatch_option(CFG.cluster.time_limit_warning)


def _train_minutes_per_job():
    """Minutes a first train job trains before its warning comes."""
    c = CFG.cluster
    return runtime_minutes(c.train_runtime)(None, 1) - c.time_limit_warning / 60


if _train_minutes_per_job() <= 0:  # every job would be warned at once and train nothing
    sys.stderr.write(
        f"cluster.time_limit_warning: {CFG.cluster.time_limit_warning} s is not shorter than a train job's"
        f" runtime ({runtime_minutes(CFG.cluster.train_runtime)(None, 1)} min: cluster.train_runtime,"
        " cluster.partition_max_runtime)\n"
    )
    sys.exit(1)


def train_retries():
    """The train rule's `retries`: cluster.train_jobs - 1, or, when it is null, enough jobs
    for the estimated training (divrl.cost.estimate, cluster.train_tokens_per_second) at the
    first job's runtime less its warning, plus one spare. None when one job is enough:
    Snakemake's --retries then holds, as for every other rule. 0 in the Snakemake that
    runs the job inside Slurm: a retry there would restart the training in the seconds the
    job has left after its warning (measured); the resubmission is the main Snakemake's."""
    if not workflow.is_main_process:
        return 0
    jobs = CFG.cluster.train_jobs
    if jobs is None:
        from divrl.cost.estimate import estimate

        hours = next(row["hours_per_job"] for row in estimate(config) if row["rule"] == "train")
        needed = math.ceil(hours * 60 / _train_minutes_per_job())
        if needed <= 1:
            return None
        jobs = needed + 1
    return jobs - 1


def mem_mb(job):
    """Host memory of a job kind in MB, growing with the attempt (see by_attempt)."""
    return by_attempt(_mem_mb(job))


def _mem_mb(job):
    """Host memory per job in MB: measured toy sizes, or grown with base.params_b.

    Every training process loads the model on the host before it moves to its GPU
    (bf16 with train.bf16: 2 B/parameter, else 4), plus a reference model when beta > 0;
    ZeRO-2 with optimizer offload keeps fp32 Adam states and master weights on the host
    (12 B/parameter). Sampling jobs load one bf16 copy. ×1.25 and 16 GB for Python,
    data, CUDA context and vLLM's host side.
    """
    toy = {"data": 2000, "base": 4000, "train": 6000, "evaluate": 4000, "report": 2000}
    size = CFG.base.params_b
    if size is None or job in ("data", "report"):
        return toy[job] if size is None else toy[job] * 4
    if job != "train":
        return int(16_000 + 1.25 * size * 1000 * 2)
    t = CFG.train
    procs = max(1, gpus(CFG.cluster.train_gpus))
    models = 2 if t.beta > 0 else 1
    per_param = procs * models * (2 if t.bf16 else 4)
    if CFG.cluster.accelerate_config == "zero2_offload" and procs > 1:
        per_param += 12
    return int(16_000 + 1.25 * size * 1000 * per_param)


def train_launcher():
    """`divrl` for one process; `accelerate launch` over the job's GPUs for several."""
    n = gpus(CFG.cluster.train_gpus)
    if n <= 1:
        return DIVRL
    acc = os.path.join(ROOT, "config", "accelerate", f"{CFG.cluster.accelerate_config}.yaml")
    # train.bf16 stays the one precision switch (the accelerate file's would win otherwise);
    # a free port keeps two jobs on one node from colliding on accelerate's default 29500.
    precision = "bf16" if CFG.train.bf16 else "no"
    port = "$(python -c 'import socket; s = socket.socket(); s.bind((\"\", 0)); print(s.getsockname()[1])')"
    return (
        # accelerate does not die with its parent by itself: divrl.system.procs arms that, then execs it
        f"exec python -m divrl.system.procs accelerate launch --config_file {shlex.quote(acc)} --num_processes {n} --num_machines 1"
        f" --mixed_precision {precision} --main_process_port {port} -m divrl"
    )


# A dry run shows what the config will cost before anything is submitted (divrl.cost.estimate).
# (Snakemake decides on its dry-run executor after parsing: read the command line.)
DRY_RUN = any(
    a in ("--dry-run", "--dryrun", "--dry_run") or (a[:1] == "-" and a[1:2] != "-" and a[1:].isalpha() and "n" in a)
    for a in sys.argv[1:]
)
if DRY_RUN:
    from divrl.cost.estimate import table as cost_table

    sys.stderr.write(cost_table(config) + "\n")
