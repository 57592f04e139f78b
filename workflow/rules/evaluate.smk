rule evaluate:
    input:
        model=rules.train.output.model,
        problems=rules.data.output.test,
    output:
        metrics=f"{R}/eval/{{method}}/seed{{seed}}/metrics.json",
        samples=f"{R}/eval/{{method}}/seed{{seed}}/samples.jsonl",
    params:
        section=as_json(with_device("eval")),
    threads: config["eval"]["threads"]
    log:
        f"{R}/logs/evaluate/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/evaluate/{{method}}/seed{{seed}}.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=gpus(),
    conda:
        "../../envs/eval.yaml"
    shell:
        EVALUATE_SHELL
