# Every evaluation, by one family of rules: the base model on every test set (the reference row
# of every table; one per base seed), each trained run on every test set, and each published
# checkpoint (evaluate_models: no base model of ours, eval/NAME/seed0/SET) the same way.
#
# eval.shards S = 1: one job samples, scores and writes metrics.json (one process: a shard job
# plus a merge job would add a second start, ~4-7 s of imports, to every evaluation). S > 1:
# S shard jobs (GPU), each its chunk of the problems into samples/I-of-S.parquet only, then
# one CPU job merging them, in shard order, into metrics.json. Decided here, once:
ONE_JOB = SHARDS == 1
EVALUATE_SHELL = (
    "{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model:q}"
    " --problems {input.problems:q} --samples-out {output.samples:q} --metrics-out {output.metrics:q}"
    " --identity {params.identity} > {log:q} 2>&1"
)
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

# Who is evaluated: the name of the rule writing metrics.json (its shard jobs' adds _shard), the
# evaluation's folder, its log's name (RULE, NAME…: logs/RULE/NAME….log, benchmarks/ alike),
# the model as an input and as the argument, the identity, and wildcard constraints of its own.
EVALUATED = [
    dict(
        name="sample_base",
        folder=paths.base_eval_dir(),
        log=("sample_base", layout.base_name(), "{bench}"),
        model_input=base_input,
        model=base_model_arg,
        identity=base_identity,
        constraints={},
    ),
    dict(
        name="evaluate",
        folder=paths.eval_dir(),
        log=("evaluate", layout.run_name(), "{bench}"),
        model_input=trained_model,
        model=trained_model,
        identity=run_identity,
        constraints={},
    ),
]
if PUBLISHED:
    EVALUATED.append(
        dict(
            name="evaluate_published",
            folder=paths.published_dir(),
            log=("evaluate", layout.published_name(), "{bench}"),
            model_input=published_input,
            model=published_model,
            identity=published_identity,
            constraints=dict(method=PUBLISHED_NAMES),
        )
    )

for who in EVALUATED:

    # S = 1: the evaluation's one job. S > 1: shard I of S, its samples only.
    rule:
        name:
            who["name"] if ONE_JOB else f"{who['name']}_shard"
        input:
            model=who["model_input"],
            problems=problems_of,
        output:
            **(dict(metrics=layout.metrics(who["folder"])) if ONE_JOB else {}),
            samples=layout.samples(who["folder"], 0 if ONE_JOB else "{shard}", SHARDS),
        log:
            paths.log(*who["log"], *([] if ONE_JOB else ["shard{shard}"])),
        benchmark:
            paths.benchmark(*who["log"], *([] if ONE_JOB else ["shard{shard}"]))
        wildcard_constraints:
            **who["constraints"],
        conda:
            MODEL_ENV
        threads: CFG.eval.threads
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=runtime_minutes(CFG.cluster.eval_runtime),
            gpu=gpus(CFG.cluster.eval_gpus),
        params:
            **(dict(identity=who["identity"]) if ONE_JOB else {}),
            divrl=DIVRL,
            section=eval_section,
            model=who["model"],
        shell:
            EVALUATE_SHELL if ONE_JOB else SHARD_SHELL

    if not ONE_JOB:

        # S > 1: the merge, on CPU, one problem's samples in memory at a time
        rule:
            name:
                who["name"]
            input:
                samples=layout.shard_files(who["folder"], SHARDS),
                problems=problems_of,
            output:
                metrics=layout.metrics(who["folder"]),
            log:
                paths.log(*who["log"]),
            benchmark:
                paths.benchmark(*who["log"])
            wildcard_constraints:
                **who["constraints"],
            conda:
                MODEL_ENV
            threads: CFG.eval.threads
            resources:
                mem_mb=by_attempt(8000),  # one problem's samples (≤ 8192 long completions) + the embedder
                runtime=runtime_minutes(CFG.cluster.merge_runtime),
                gpu=0,
            params:
                divrl=DIVRL,
                section=merge_section,
                model=who["model"],
                identity=who["identity"],
            shell:
                MERGE_SHELL
