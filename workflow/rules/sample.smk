# The base model on every test set (the reference row of every table), one per base seed.
# The jobs' shells, shared with evaluate.smk: sample_base and evaluate differ only in the model
# they sample from (and who they are).
EVALUATE_SHELL = (
    "{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model:q}"
    " --problems {input.problems:q} --samples-out {output.samples:q} --metrics-out {output.metrics:q}"
    " --identity {params.identity} > {log:q} 2>&1"
)
# a shard job writes samples/I-of-S.parquet only; the merge job reads them all, in shard order
SHARD_SHELL = (
    "{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model:q}"
    f" --problems {{input.problems:q}} --shard {{wildcards.shard:q}} --shards {SHARDS}"
    " --samples-out {output.samples:q} > {log:q} 2>&1"
)
MERGE_SHELL = (
    "{params.divrl} evaluate-merge --params {params.section} --threads {threads} --model {params.model:q}"
    " --problems {input.problems:q} --samples {input.samples:q} --metrics-out {output.metrics:q}"
    " --identity {params.identity} > {log:q} 2>&1"
)
BASE_RUN = base_eval_dir()

if SHARDS == 1:

    rule sample_base:
        input:
            model=base_input,
            problems=problems_of,
        output:
            metrics=f"{BASE_RUN}/metrics.json",
            samples=f"{BASE_RUN}/samples/0-of-1.parquet",
        log:
            f"{R}/logs/sample_base/{base_name()}/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{base_name()}/{{bench}}.tsv"
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
            model=base_model_arg,
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
            f"{R}/logs/sample_base/{base_name()}/{{bench}}/shard{{shard}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{base_name()}/{{bench}}/shard{{shard}}.tsv"
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
            model=base_model_arg,
        shell:
            SHARD_SHELL

    rule sample_base:
        input:
            samples=base_shards,
            problems=problems_of,
        output:
            metrics=f"{BASE_RUN}/metrics.json",
        log:
            f"{R}/logs/sample_base/{base_name()}/{{bench}}.log",
        benchmark:
            f"{R}/benchmarks/sample_base/{base_name()}/{{bench}}.tsv"
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
            model=base_model_arg,
            identity=base_identity,
        shell:
            MERGE_SHELL
