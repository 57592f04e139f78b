rule evaluate:
    input:
        model=rules.train.output.model,
        problems=problems_of,
    output:
        metrics=f"{R}/eval/{{method}}/seed{{seed}}/{{bench}}/metrics.json",
        samples=f"{R}/eval/{{method}}/seed{{seed}}/{{bench}}/samples.jsonl",
    params:
        divrl=DIVRL,
        section=as_json(with_device("eval")),
        model=lambda wildcards, input: input.model,
    threads: config["eval"]["threads"]
    log:
        f"{R}/logs/evaluate/{{method}}/seed{{seed}}/{{bench}}.log",
    benchmark:
        f"{R}/benchmarks/evaluate/{{method}}/seed{{seed}}/{{bench}}.tsv"
    resources:
        mem_mb=mem_mb("evaluate"),
        runtime=by_attempt(config["cluster"]["eval_runtime"]),
        gpu=gpus(config["cluster"]["eval_gpus"]),
    conda:
        MODEL_ENV
    shell:
        EVALUATE_SHELL
