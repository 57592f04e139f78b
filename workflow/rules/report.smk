# The report: one rule per kind of output, each calling a `divrl report-*` verb that writes
# exactly the files the rule declares (every option of its command line is one of them), so
# `snakemake --report` shows them all and a deleted table is rebuilt. `rule report` gathers them.
#
# One test set: tables/ and figures/ directly. Several: tables/BENCH/, figures/BENCH/ per test
# set (rules with a {bench} wildcard), plus tables/benchmarks.{md,csv} (pass@1 per test set and
# their average, the layout of the DRA and R1-zero-Div tables). Figures: a PNG (what the HTML
# report shows) and a PDF (vector, for papers) each.
MULTI = len(BENCHES) > 1
T = f"{R}/tables/{{bench}}" if MULTI else f"{R}/tables"
F = f"{R}/figures/{{bench}}" if MULTI else f"{R}/figures"
PER_SET = "_{bench}" if MULTI else ""  # log and benchmark files of the per-test-set rules
# The scorecard against the config's published numbers (paper:), at the top of tables/ and figures/.
PAPER = config["paper"] if config["paper"].get("rows") or config["paper"].get("curves") else {}
REFERENCE = config["report"]["reference"]


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
# an output the HTML report shows, with its caption workflow/report/CAPTION.rst (per test set with several)
shown = lambda path, caption, category: report(
    path, caption=f"../report/{caption}.rst", category=category, subcategory="{bench}" if "{bench}" in path else None
)
# a figure's two files: the PNG the HTML report shows and a PDF
figure = lambda stem, caption, folder=F, category="Figures": [
    shown(f"{folder}/{stem}.png", caption, category),
    f"{folder}/{stem}.pdf",
]
# every named output as the verb's option: summary_md -> --summary-md PATH (a list of words: `:q` quotes each)
options = lambda wildcards, output: verb_words(output)


rule report_tables:
    input:
        metrics=set_metrics,
        data_stats=rules.data.output.stats,
    output:
        summary_md=shown(f"{T}/summary.md", "summary", "Tables"),
        summary_csv=f"{T}/summary.csv",
        runs_csv=f"{T}/runs.csv",
        minus_base_csv=f"{T}/passk_minus_base.csv",
        dra_style_md=shown(f"{T}/dra_style.md", "dra_style", "Tables"),
        dra_style_csv=f"{T}/dra_style.csv",
        r1zero_div_style_md=shown(f"{T}/r1zero_div_style.md", "r1zero_div_style", "Tables"),
        r1zero_div_style_csv=f"{T}/r1zero_div_style.csv",
        ds_style_md=shown(f"{T}/ds_style.md", "ds_style", "Tables"),
        ds_style_csv=f"{T}/ds_style.csv",
        multiplicity_md=shown(f"{T}/multiplicity.md", "multiplicity", "Tables"),
        multiplicity_csv=f"{T}/multiplicity.csv",
        bootstrap_ci=shown(f"{T}/bootstrap_ci.csv", "bootstrap_ci", "Tables"),
    log:
        f"{R}/logs/report_tables{PER_SET}.log",
    benchmark:
        f"{R}/benchmarks/report_tables{PER_SET}.tsv"
    conda:
        REPORT_ENV
    resources:
        mem_mb=by_attempt(2000),
        runtime=runtime_minutes(10),
    params:
        divrl=DIVRL,
        eval_specs=eval_specs(),
        k_show=as_json(config["report"]["k_show"]),
        # the dra_style column and multiplicity label: the task with one test set, else the set
        task=lambda wildcards: wildcards.bench if MULTI else config["task"],
        reference=REFERENCE,
        outputs=options,
    shell:
        "{params.divrl} report-tables --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
        " --data-stats {input.data_stats:q} --k-show {params.k_show} --task {params.task:q}"
        " --reference {params.reference:q} {params.outputs:q} > {log:q} 2>&1"


rule report_figures:
    input:
        metrics=set_metrics,
        train_logs=train_logs(),
    output:
        passk=figure("passk", "passk"),
        minus_base=figure("passk_minus_base", "passk_minus_base"),
        scatter=figure("accuracy_vs_diversity", "accuracy_vs_diversity"),
        curves=figure("training_curves", "training_curves"),  # methods: has at least one trained method
        spearman=figure("spearman", "spearman"),
    log:
        f"{R}/logs/report_figures{PER_SET}.log",
    benchmark:
        f"{R}/benchmarks/report_figures{PER_SET}.tsv"
    conda:
        REPORT_ENV
    resources:
        mem_mb=by_attempt(2000),
        runtime=runtime_minutes(10),
    params:
        divrl=DIVRL,
        eval_specs=eval_specs(),
        # the toy's generated problems, else the test set's name
        label=lambda wildcards: (
            "Countdown toy" if not DATASETS and config["task"] == "countdown" else set_name(wildcards)
        ),
        reference=REFERENCE,
        outputs=options,
    shell:
        "{params.divrl} report-figures --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
        " --train-logs {input.train_logs:q} --label {params.label:q}"
        " --reference {params.reference:q} {params.outputs:q} > {log:q} 2>&1"


rule report_compare:
    input:
        metrics=set_metrics,
    output:
        compare_md=shown(f"{T}/compare.md", "compare", "Comparisons"),
        compare_csv=f"{T}/compare.csv",
        power_md=shown(f"{T}/power.md", "power", "Comparisons"),
        replication_md=shown(f"{T}/replication.md", "replication", "Comparisons"),
        gains_losses_md=shown(f"{T}/gains_losses.md", "gains_losses", "Comparisons"),
        gains_losses_csv=f"{T}/gains_losses.csv",
        pass1_change=figure("pass1_change", "pass1_change", category="Comparisons"),
    log:
        f"{R}/logs/report_compare{PER_SET}.log",
    benchmark:
        f"{R}/benchmarks/report_compare{PER_SET}.tsv"
    conda:
        REPORT_ENV
    resources:
        mem_mb=by_attempt(2000),
        runtime=runtime_minutes(10),
    params:
        divrl=DIVRL,
        eval_specs=eval_specs(),
        k_show=as_json(config["report"]["k_show"]),
        reference=REFERENCE,
        # runs of one seed drew the same rollout random numbers (train.coupled_sampling): paired by seed
        coupled="--coupled-seeds" if config["train"].get("coupled_sampling") else "",
        alpha=config["report"]["alpha"],
        effect=config["report"]["effect"],
        outputs=options,
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
            md=report(f"{R}/tables/benchmarks.md", caption="../report/benchmarks.rst", category="Tables"),
            csv=f"{R}/tables/benchmarks.csv",
        log:
            f"{R}/logs/report_benchmarks.log",
        benchmark:
            f"{R}/benchmarks/report_benchmarks.tsv"
        conda:
            REPORT_ENV
        resources:
            mem_mb=by_attempt(2000),
            runtime=runtime_minutes(10),
        params:
            divrl=DIVRL,
            eval_specs=eval_specs(),
            reference=REFERENCE,
            not_averaged=["--not-averaged", *NOT_AVERAGED] if NOT_AVERAGED else [],
        shell:
            "{params.divrl} report-benchmarks --metrics {input.metrics:q} --eval-specs {params.eval_specs}"
            " --data-stats {input.data_stats:q} --reference {params.reference:q} {params.not_averaged:q}"
            " --md {output.md:q} --csv {output.csv:q} > {log:q} 2>&1"


if PAPER:

    localrules:
        report_paper,

    rule report_paper:
        input:
            metrics=ALL_METRICS,
        output:
            md=report(f"{R}/tables/vs_paper.md", caption="../report/vs_paper.rst", category="Published numbers"),
            csv=f"{R}/tables/vs_paper.csv",
            figure=(
                figure("vs_paper", "vs_paper", folder=f"{R}/figures", category="Published numbers")
                if PAPER.get("curves")
                else []
            ),
        log:
            f"{R}/logs/report_paper.log",
        benchmark:
            f"{R}/benchmarks/report_paper.tsv"
        conda:
            REPORT_ENV
        resources:
            mem_mb=by_attempt(2000),
            runtime=runtime_minutes(10),
        params:
            divrl=DIVRL,
            eval_specs=eval_specs(),
            paper=as_json(PAPER),
            reference=REFERENCE,
            not_averaged=["--not-averaged", *NOT_AVERAGED] if NOT_AVERAGED else [],
            outputs=options,
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
            table_md=report(f"{R}/tables/sweeps.md", caption="../report/sweeps.rst", category="Sweeps"),
            table_csv=f"{R}/tables/sweeps.csv",
            figure=figure("sweeps", "sweeps", folder=f"{R}/figures", category="Sweeps"),
        log:
            f"{R}/logs/sweep_report.log",
        conda:
            REPORT_ENV
        resources:
            mem_mb=by_attempt(2000),
            runtime=runtime_minutes(10),
        params:
            divrl=DIVRL,
            eval_specs=eval_specs(),
            select_k=config["report"]["select_k"],
            sweeps=as_json(SWEEPS),
            outputs=options,
        shell:
            "{params.divrl} sweep-report --metrics {input.base:q} {input.runs:q} --eval-specs {params.eval_specs}"
            " --points {input.points:q} --sweeps {params.sweeps} --select-k {params.select_k:q}"
            " {params.outputs:q} > {log:q} 2>&1"
