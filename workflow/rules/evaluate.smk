# Trained runs, each on every test set; published checkpoints (evaluate_models) the same way in
# their own folders (no base model of ours: eval/NAME/seed0/SET), by the same rules under another name.
RUN = eval_dir()
RUN_LOG = f"{run_name()}/{{bench}}"  # below logs/evaluate/ and benchmarks/evaluate/
PUBLISHED_RUN = published_dir()
PUBLISHED_LOG = f"{{method}}/seed{PUBLISHED_SEED}/{{bench}}"

if SHARDS == 1:

    rule evaluate:
        input:
            model=eval_model,
            problems=problems_of,
        output:
            metrics=f"{RUN}/metrics.json",
            samples=f"{RUN}/samples/0-of-1.parquet",
        log:
            f"{R}/logs/evaluate/{RUN_LOG}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{RUN_LOG}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=runtime_minutes(config["cluster"]["eval_runtime"]),
            gpu=gpus(config["cluster"]["eval_gpus"]),
        params:
            divrl=DIVRL,
            section=eval_section,
            model=eval_model_arg,
            identity=run_identity,
        shell:
            EVALUATE_SHELL

    if PUBLISHED:

        use rule evaluate as evaluate_published with:
            output:
                metrics=f"{PUBLISHED_RUN}/metrics.json",
                samples=f"{PUBLISHED_RUN}/samples/0-of-1.parquet",
            log:
                f"{R}/logs/evaluate/{PUBLISHED_LOG}.log",
            benchmark:
                f"{R}/benchmarks/evaluate/{PUBLISHED_LOG}.tsv"
            wildcard_constraints:
                method=PUBLISHED_NAMES,

else:

    rule evaluate_shard:
        input:
            model=eval_model,
            problems=problems_of,
        output:
            samples=f"{RUN}/samples/{{shard}}-of-{SHARDS}.parquet",
        log:
            f"{R}/logs/evaluate/{RUN_LOG}/shard{{shard}}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{RUN_LOG}/shard{{shard}}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=runtime_minutes(config["cluster"]["eval_runtime"]),
            gpu=gpus(config["cluster"]["eval_gpus"]),
        params:
            divrl=DIVRL,
            section=eval_section,
            model=eval_model_arg,
        shell:
            SHARD_SHELL

    rule evaluate:
        input:
            samples=eval_shards,
            problems=problems_of,
        output:
            metrics=f"{RUN}/metrics.json",
        log:
            f"{R}/logs/evaluate/{RUN_LOG}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{RUN_LOG}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=by_attempt(8000),  # one problem's samples (≤ 8192 long completions) + the embedder
            runtime=runtime_minutes(config["cluster"]["merge_runtime"]),
            gpu=0,
        params:
            divrl=DIVRL,
            section=merge_section,
            model=eval_model_arg,
            identity=run_identity,
        shell:
            MERGE_SHELL

    if PUBLISHED:

        use rule evaluate_shard as evaluate_published_shard with:
            output:
                samples=f"{PUBLISHED_RUN}/samples/{{shard}}-of-{SHARDS}.parquet",
            log:
                f"{R}/logs/evaluate/{PUBLISHED_LOG}/shard{{shard}}.log",
            benchmark:
                f"{R}/benchmarks/evaluate/{PUBLISHED_LOG}/shard{{shard}}.tsv"
            wildcard_constraints:
                method=PUBLISHED_NAMES,

        use rule evaluate as evaluate_published with:
            output:
                metrics=f"{PUBLISHED_RUN}/metrics.json",
            log:
                f"{R}/logs/evaluate/{PUBLISHED_LOG}.log",
            benchmark:
                f"{R}/benchmarks/evaluate/{PUBLISHED_LOG}.tsv"
            wildcard_constraints:
                method=PUBLISHED_NAMES,
