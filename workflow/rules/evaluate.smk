# Trained runs and published checkpoints (evaluate_models), each on every test set.
RUN = f"{R}/eval/{{method}}/seed{{seed}}/{{bench}}"

if SHARDS == 1:

    rule evaluate:
        input:
            model=eval_model,
            problems=problems_of,
        output:
            metrics=f"{RUN}/metrics.json",
            samples=f"{RUN}/samples/0-of-1.parquet",
        log:
            f"{R}/logs/evaluate/{{method}}/seed{{seed}}/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{{method}}/seed{{seed}}/{{bench}}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=by_attempt(config["cluster"]["eval_runtime"]),
            gpu=gpus(config["cluster"]["eval_gpus"]),
        params:
            divrl=DIVRL,
            section=eval_section,
            model=eval_model_arg,
            identity=run_identity,
        shell:
            EVALUATE_SHELL

else:

    rule evaluate_shard:
        input:
            model=eval_model,
            problems=problems_of,
        output:
            samples=f"{RUN}/samples/{{shard}}-of-{SHARDS}.parquet",
        log:
            f"{R}/logs/evaluate/{{method}}/seed{{seed}}/{{bench}}/shard{{shard}}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{{method}}/seed{{seed}}/{{bench}}/shard{{shard}}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=by_attempt(config["cluster"]["eval_runtime"]),
            gpu=gpus(config["cluster"]["eval_gpus"]),
        params:
            divrl=DIVRL,
            section=eval_section,
            model=eval_model_arg,
        shell:
            SHARD_SHELL

    rule evaluate:
        input:
            samples=lambda wildcards: shard_files(
                RUN.format(method=wildcards.method, seed=wildcards.seed, bench=wildcards.bench)
            ),
            problems=problems_of,
        output:
            metrics=f"{RUN}/metrics.json",
        log:
            f"{R}/logs/evaluate/{{method}}/seed{{seed}}/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/evaluate/{{method}}/seed{{seed}}/{{bench}}.tsv"
        conda:
            MODEL_ENV
        threads: config["eval"]["threads"]
        resources:
            mem_mb=by_attempt(8000),  # one problem's samples (≤ 8192 long completions) + the embedder
            runtime=by_attempt(config["cluster"]["merge_runtime"]),
            gpu=0,
        params:
            divrl=DIVRL,
            section=merge_section,
            model=eval_model_arg,
            identity=run_identity,
        shell:
            MERGE_SHELL
