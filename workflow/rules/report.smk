# The report: one rule per kind of output, each calling a `divrl report-*` verb that writes
# exactly the files the rule declares (every option of its command line is one of them), so
# `snakemake --report` shows them all and a deleted table is rebuilt. `rule report` gathers them.
# Each rule's outputs, their captions (workflow/report/STEM.rst) and the verb's options come
# from one table, divrl.report.outputs.
#
# One test set: tables/ and figures/ directly. Several: tables/BENCH/, figures/BENCH/ per test
# set (rules with a {bench} wildcard), plus tables/benchmarks.{md,csv} (pass@1 per test set and
# their average, the layout of the DRA and R1-zero-Div tables). Figures: a PNG (what the HTML
# report shows) and a PDF (vector, for papers) each.
from divrl.report import outputs

MULTI = len(BENCHES) > 1
PER_SET = "_{bench}" if MULTI else ""  # log and benchmark files of the per-test-set rules
# The scorecard against the config's published numbers (paper:), at the top of tables/ and figures/.
PAPER = config["paper"] if CFG.paper.rows or CFG.paper.curves else {}  # as JSON for the scorecard
REFERENCE = CFG.report.reference


localrules:
    report_tables,
    report_figures,
    report_compare,


# (lambdas, not functions: `snakemake --lint` wants functions in common.smk)
set_name = lambda wildcards: wildcards.bench if MULTI else BENCHES[0]
# every base model's and every run's metrics.json on one test set (published checkpoints are runs)
set_metrics = lambda wildcards: [
    *base_metrics([set_name(wildcards)]),
    *run_metrics(sets=[set_name(wildcards)]),
    *published_metrics([set_name(wildcards)]),
]
ALL_METRICS = [*base_metrics(), *run_metrics(), *published_metrics()]
# the folders of an output's files: per test set with several ({bench}), else tables/ and figures/
folders = lambda out: (
    (paths.tables("{bench}"), paths.figures("{bench}"))
    if MULTI and out.per_test_set
    else (paths.tables(), paths.figures())
)
# the first file of an output the HTML report shows (a table, a figure's PNG) gets its caption
captioned = lambda out, path: report(
    path,
    caption=f"../report/{out.caption}",
    category=out.category,
    subcategory="{bench}" if "{bench}" in path else None,
)
shown = lambda out, files: [captioned(out, files[0]) if out.category else files[0], *files[1:]]
# a report rule's outputs from the table: a table's file, a figure's [PNG, PDF]
declared = lambda name, leave_out=(): {
    out.key: (lambda files: files if out.figure else files[0])(shown(out, out.files(*folders(out))))
    for out in outputs.of_rule(name)
    if out.key not in leave_out
}
# every named output as the verb's option: summary_md -> --summary-md PATH (a list of words: `:q` quotes each)
options = lambda wildcards, output: outputs.verb_words(output)
# what every report rule has besides its report env (no torch): the resources of a few seconds' work
RESOURCES = dict(mem_mb=by_attempt(2000), runtime=runtime_minutes(10))
PARAMS = dict(divrl=DIVRL, eval_specs=eval_specs(), outputs=options)


rule report_tables:
    input:
        metrics=set_metrics,
        data_stats=rules.data.output.stats,
    output:
        **declared("report_tables"),
    log:
        paths.log(f"report_tables{PER_SET}"),
    benchmark:
        paths.benchmark(f"report_tables{PER_SET}")
    conda:
        REPORT_ENV
    resources:
        **RESOURCES,
    params:
        **PARAMS,
        k_show=as_json(CFG.report.k_show),
        # the dra_style column and multiplicity label: the task with one test set, else the set
        task=lambda wildcards: wildcards.bench if MULTI else CFG.task,
        reference=REFERENCE,
    shell:
        "{params.divrl} report-tables --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
        " --data-stats {input.data_stats:q} --k-show {params.k_show} --task {params.task:q}"
        " --reference {params.reference:q} {params.outputs:q} > {log:q} 2>&1"


rule report_figures:
    input:
        metrics=set_metrics,
        train_logs=train_logs(),
    output:
        **declared("report_figures"),  # training_curves: has at least one trained method
    log:
        paths.log(f"report_figures{PER_SET}"),
    benchmark:
        paths.benchmark(f"report_figures{PER_SET}")
    conda:
        REPORT_ENV
    resources:
        **RESOURCES,
    params:
        **PARAMS,
        # the toy's generated problems, else the test set's name
        label=lambda wildcards: ("Countdown toy" if not DATASETS and CFG.task == "countdown" else set_name(wildcards)),
        reference=REFERENCE,
    shell:
        "{params.divrl} report-figures --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
        " --train-logs {input.train_logs:q} --label {params.label:q}"
        " --reference {params.reference:q} {params.outputs:q} > {log:q} 2>&1"


rule report_compare:
    input:
        metrics=set_metrics,
    output:
        **declared("report_compare"),
    log:
        paths.log(f"report_compare{PER_SET}"),
    benchmark:
        paths.benchmark(f"report_compare{PER_SET}")
    conda:
        REPORT_ENV
    resources:
        **RESOURCES,
    params:
        **PARAMS,
        k_show=as_json(CFG.report.k_show),
        reference=REFERENCE,
        # runs of one seed drew the same rollout random numbers (train.coupled_sampling): paired by seed
        coupled="--coupled-seeds" if CFG.train.coupled_sampling else "",
        alpha=CFG.report.alpha,
        effect=CFG.report.effect,
    shell:
        "{params.divrl} report-compare --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
        " --k-show {params.k_show} --reference {params.reference:q} --alpha {params.alpha:q}"
        " --effect {params.effect:q} {params.coupled:q} {params.outputs:q} > {log:q} 2>&1"


if MULTI:

    localrules:
        report_benchmarks,

    rule report_benchmarks:
        input:
            metrics=ALL_METRICS,
            data_stats=rules.data.output.stats,
        output:
            **declared("report_benchmarks"),
        log:
            paths.log("report_benchmarks"),
        benchmark:
            paths.benchmark("report_benchmarks")
        conda:
            REPORT_ENV
        resources:
            **RESOURCES,
        params:
            **PARAMS,
            reference=REFERENCE,
            not_averaged=["--not-averaged", *NOT_AVERAGED] if NOT_AVERAGED else [],
        shell:
            "{params.divrl} report-benchmarks --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
            " --data-stats {input.data_stats:q} --reference {params.reference:q} {params.not_averaged:q}"
            " {params.outputs:q} > {log:q} 2>&1"


if PAPER:

    localrules:
        report_paper,

    rule report_paper:
        input:
            metrics=ALL_METRICS,
        output:
            **declared("report_paper", leave_out=() if PAPER.get("curves") else ("vs_paper",)),
        log:
            paths.log("report_paper"),
        benchmark:
            paths.benchmark("report_paper")
        conda:
            REPORT_ENV
        resources:
            **RESOURCES,
        params:
            **PARAMS,
            paper=as_json(PAPER),
            reference=REFERENCE,
            not_averaged=["--not-averaged", *NOT_AVERAGED] if NOT_AVERAGED else [],
        shell:
            "{params.divrl} report-paper --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
            " --paper {params.paper} --reference {params.reference:q} {params.not_averaged:q}"
            " {params.outputs:q} > {log:q} 2>&1"


# Everything above, for every test set: `snakemake report` (and `rule all`) ask for this.
rule report:
    input:
        expand(rules.report_tables.output, bench=BENCHES),
        expand(rules.report_figures.output, bench=BENCHES),
        expand(rules.report_compare.output, bench=BENCHES),
        rules.report_benchmarks.output if MULTI else [],
        rules.report_paper.output if PAPER else [],


if SWEEP_RUNS:

    localrules:
        sweep_report,

    rule sweep_report:
        input:
            base=base_metrics(EVAL_SETS),
            runs=run_metrics(sets=EVAL_SETS),  # configured methods: drawn as references
            points=run_metrics(SWEEP_RUNS, EVAL_SETS),
        output:
            **declared("sweep_report"),
        log:
            paths.log("sweep_report"),
        conda:
            REPORT_ENV
        resources:
            **RESOURCES,
        params:
            **PARAMS,
            select_k=CFG.report.select_k,
            sweeps=as_json(SWEEPS),
        shell:
            "{params.divrl} sweep-report --metrics {input.base:q} {input.runs:q} --eval-specs {params.eval_specs}"
            " --points {input.points:q} --sweeps {params.sweeps} --select-k {params.select_k:q}"
            " {params.outputs:q} > {log:q} 2>&1"
