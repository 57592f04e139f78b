# Problems: generated (the toy) or loaded from real data sets (`datasets:`), then the base model.
from divrl.data.download import pinned

TRAIN_PROBLEMS = paths.data("train.jsonl")  # what `train` reads (after the difficulty filter, if any)
# local path -> (url, sha256) of each data set named by url (not on the hub)
DOWNLOADS = pinned(DATASETS)

if DOWNLOADS:

    # A data file that is not on the hub, fetched from its pinned URL and kept only if its
    # sha256 matches (divrl.data.download). On the host Snakemake runs on, like `data`:
    # compute nodes often have no internet. Kept under resources/downloads/, named by its
    # checksum, so every results folder (and every config) shares one copy.
    rule download:
        output:
            "{download}",
        log:
            paths.log("download", "{download}"),
        wildcard_constraints:
            download="|".join(re.escape(path) for path in DOWNLOADS),
        localrule: True
        conda:
            REPORT_ENV
        params:
            url=lambda wildcards: DOWNLOADS[wildcards.download][0],
            sha256=lambda wildcards: DOWNLOADS[wildcards.download][1],
        shell:
            "exec python -m divrl.data.download --url {params.url:q} --sha256 {params.sha256:q}"
            " --out {output:q} > {log:q} 2>&1"


rule data:
    input:
        # files fetched by `download` (the job finds them at divrl.data.download.local_path;
        # hub data sets it reads itself)
        list(DOWNLOADS),
    output:
        # with a difficulty filter, the `difficulty` rule turns this pool into train.jsonl
        train=paths.data("train_pool.jsonl" if DIFFICULTY else "train.jsonl"),
        test=expand(paths.test_problems(), bench=BENCHES),
        stats=paths.data("stats.json"),
        validation=[paths.problems(layout.VALIDATION)] if VALIDATION else [],
    log:
        paths.log("data"),
    benchmark:
        paths.benchmark("data")
    conda:
        MODEL_ENV
    resources:
        mem_mb=mem_mb("data"),
        runtime=runtime_minutes(30),
    params:
        divrl=DIVRL,
        section=as_json(sections.data_section(config)),
        # each test set's name with its declared file: NAME=FILE … (one shell word each)
        tests=lambda wildcards, output: [f"{b}={f}" for b, f in zip(BENCHES, output.test)],
    shell:
        "{params.divrl} data --params {params.section} --train {output.train:q} --test {params.tests:q}"
        + (" --validation {output.validation:q}" if VALIDATION else "")
        + " --stats {output.stats:q} > {log:q} 2>&1"


if DIFFICULTY:

    # one base model (config validation refuses several base seeds with a difficulty filter)
    rule difficulty:
        input:
            pool=rules.data.output.train,
            base=[] if HUB_BASE else paths.base_model_dir(BASE_SEEDS[0]),
        output:
            train=TRAIN_PROBLEMS,
            stats=paths.data("difficulty.json"),
        log:
            paths.log("difficulty"),
        benchmark:
            paths.benchmark("difficulty")
        conda:
            MODEL_ENV
        threads: CFG.eval.threads
        resources:
            mem_mb=mem_mb("evaluate"),
            runtime=runtime_minutes(CFG.cluster.eval_runtime),
            gpu=gpus(CFG.cluster.eval_gpus),
        params:
            divrl=DIVRL,
            section=as_json(sections.difficulty_section(config)),
            base=base_model(BASE_SEEDS[0]),
        shell:
            "{params.divrl} difficulty --params {params.section} --threads {threads} --model {params.base:q}"
            " --problems {input.pool:q} --out {output.train:q} --stats {output.stats:q} > {log:q} 2>&1"


if not HUB_BASE:

    # one toy base model per base seed (base.seeds): the seed of its initialisation and SFT batches
    rule base:
        input:
            rules.data.output.train,
        output:
            directory(paths.base_model_dir()),
        log:
            paths.log("base", layout.base_name()),
        benchmark:
            paths.benchmark("base", layout.base_name())
        conda:
            MODEL_ENV
        threads: CFG.base.threads
        resources:
            mem_mb=mem_mb("base"),
            runtime=runtime_minutes(120),
            gpu=gpus(),
        params:
            divrl=DIVRL,
            section=base_params,
        shell:
            "{params.divrl} base --params {params.section} --threads {threads} --problems {input:q} --out {output:q} > {log:q} 2>&1"
