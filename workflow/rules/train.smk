rule train:
    input:
        base=rules.base.output,
        problems=rules.data.output.train,
    output:
        model=directory(f"{R}/train/{{method}}/seed{{seed}}/model"),
        log_json=f"{R}/train/{{method}}/seed{{seed}}/train_log.json",
    params:
        section=as_json(with_device("train")),
        method_params=method_params,
        # not an output: Snakemake deletes outputs of failed jobs, checkpoints must survive
        checkpoints=f"{R}/checkpoints/{{method}}/seed{{seed}}",
    threads: config["train"]["threads"]
    log:
        f"{R}/logs/train/{{method}}/seed{{seed}}.log",
    benchmark:
        f"{R}/benchmarks/train/{{method}}/seed{{seed}}.tsv"
    resources:
        mem_mb=6000,
        runtime=240,
        gpu=gpus(),
    conda:
        "../../envs/train.yaml"
    shell:
        "divrl train --params {params.section} --threads {threads} --method {wildcards.method}"
        " --method-params {params.method_params} --seed {wildcards.seed} --base {input.base}"
        " --problems {input.problems} --out-dir $(dirname {output.log_json})"
        " --checkpoints {params.checkpoints} > {log} 2>&1"
