# RL of one run: method (or sweep point) × base model × RL seed.
rule train:
    input:
        base=base_input,
        problems=TRAIN_PROBLEMS,
    output:
        model=directory(paths.trained_model()),
        log_json=paths.train_log(),
    log:
        paths.log("train", layout.run_name()),
    benchmark:
        paths.benchmark("train", layout.run_name())
    # a training longer than one job's time limit: at Slurm's warning it saves a checkpoint
    # and exits (divrl.train.time_limit), Snakemake resubmits, the next job resumes
    retries: train_retries()
    conda:
        MODEL_ENV
    threads: CFG.train.threads
    resources:
        mem_mb=mem_mb("train"),
        runtime=runtime_minutes(CFG.cluster.train_runtime),
        slurm_extra=time_limit_warning(),
        gpu=gpus(CFG.cluster.train_gpus),
        nodes=1,  # accelerate launches on one machine; Slurm must not spread the GPUs
        cpus_per_task=lambda wildcards, threads: max(threads, gpus(CFG.cluster.train_gpus) * CFG.cluster.cpus_per_gpu),
    params:
        section=as_json(with_device("train")),
        method_name=method_name,
        method_params=method_params,
        base=base_model_arg,  # run (B, METHOD, S) trains from base model B with RL seed S
        launcher=train_launcher(),
        # not an output: Snakemake deletes outputs of failed jobs, checkpoints must survive
        checkpoints=paths.checkpoints_dir(),
    shell:
        "{params.launcher} train --params {params.section} --threads {threads} --method {params.method_name:q}"
        " --method-params {params.method_params} --seed {wildcards.seed:q} --base {params.base:q}"
        " --problems {input.problems:q} --model-out {output.model:q} --log-out {output.log_json:q}"
        " --checkpoints {params.checkpoints:q} > {log:q} 2>&1"
