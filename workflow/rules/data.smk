rule data:
    output:
        train=f"{R}/data/train.jsonl",
        test=f"{R}/data/test.jsonl",
        stats=f"{R}/data/stats.json",
    params:
        section=as_json(config["data"]),
    log:
        f"{R}/logs/data.log",
    benchmark:
        f"{R}/benchmarks/data.tsv"
    resources:
        mem_mb=2000,
        runtime=30,
    conda:
        "../../envs/train.yaml"
    shell:
        "divrl data --params {params.section} --out-dir $(dirname {output.train}) > {log} 2>&1"


rule base:
    input:
        rules.data.output.train,
    output:
        directory(f"{R}/base/model"),
    params:
        section=as_json(with_device("base")),
    threads: config["base"]["threads"]
    log:
        f"{R}/logs/base.log",
    benchmark:
        f"{R}/benchmarks/base.tsv"
    resources:
        mem_mb=4000,
        runtime=120,
        gpu=gpus(),
    conda:
        "../../envs/train.yaml"
    shell:
        "divrl base --params {params.section} --threads {threads} --problems {input} --out {output} > {log} 2>&1"
