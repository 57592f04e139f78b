# The base model on every test set (the reference row of every table).
BASE_RUN = f"{R}/eval/base/{{bench}}"

if SHARDS == 1:

    rule sample_base:
        input:
            model=base_input,
            problems=problems_of,
        output:
            metrics=f"{BASE_RUN}/metrics.json",
            samples=f"{BASE_RUN}/samples/0-of-1.parquet",
        log:
            f"{R}/logs/sample_base/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{{bench}}.tsv"
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
            model=BASE,
            identity=base_identity,
        shell:
            EVALUATE_SHELL

else:

    rule sample_base_shard:
        input:
            model=base_input,
            problems=problems_of,
        output:
            samples=f"{BASE_RUN}/samples/{{shard}}-of-{SHARDS}.parquet",
        log:
            f"{R}/logs/sample_base/{{bench}}/shard{{shard}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{{bench}}/shard{{shard}}.tsv"
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
            model=BASE,
        shell:
            SHARD_SHELL

    rule sample_base:
        input:
            samples=lambda wildcards: shard_files(BASE_RUN.format(bench=wildcards.bench)),
            problems=problems_of,
        output:
            metrics=f"{BASE_RUN}/metrics.json",
        log:
            f"{R}/logs/sample_base/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{{bench}}.tsv"
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
            model=BASE,
            identity=base_identity,
        shell:
            MERGE_SHELL
