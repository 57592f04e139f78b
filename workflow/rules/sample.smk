rule sample_base:
    input:
        model=base_input,
        problems=problems_of,
    output:
        metrics=f"{R}/eval/base/{{bench}}/metrics.json",
        samples=f"{R}/eval/base/{{bench}}/samples.jsonl",
    params:
        divrl=DIVRL,
        section=as_json(with_device("eval")),
        model=BASE,
    threads: config["eval"]["threads"]
    log:
        f"{R}/logs/sample_base/{{bench}}.log",
    benchmark:
        f"{R}/benchmarks/sample_base/{{bench}}.tsv"
    resources:
        mem_mb=mem_mb("evaluate"),
        runtime=by_attempt(config["cluster"]["eval_runtime"]),
        gpu=gpus(config["cluster"]["eval_gpus"]),
    conda:
        MODEL_ENV
    shell:
        EVALUATE_SHELL
