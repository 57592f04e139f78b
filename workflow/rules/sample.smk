rule sample_base:
    input:
        model=rules.base.output,
        problems=rules.data.output.test,
    output:
        metrics=f"{R}/eval/base/metrics.json",
        samples=f"{R}/eval/base/samples.jsonl",
    params:
        section=as_json(with_device("eval")),
    threads: config["eval"]["threads"]
    log:
        f"{R}/logs/sample_base.log",
    benchmark:
        f"{R}/benchmarks/sample_base.tsv"
    resources:
        mem_mb=4000,
        runtime=60,
        gpu=gpus(),
    conda:
        "../../envs/eval.yaml"
    shell:
        EVALUATE_SHELL
