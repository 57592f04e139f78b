# One test set: tables/ and figures/ directly. Several: tables/BENCH/, figures/BENCH/
# per test set, plus tables/benchmarks.md (pass@1 per test set and their average,
# the layout of the DRA and R1-zero-Div tables).
T = f"{R}/tables" if len(BENCHES) == 1 else f"{R}/tables/{BENCHES[0]}"
F = f"{R}/figures" if len(BENCHES) == 1 else f"{R}/figures/{BENCHES[0]}"
# The scorecard against the config's published numbers (paper:), at the top of tables/ and figures/.
PAPER = config["paper"] if config["paper"].get("rows") or config["paper"].get("curves") else {}


rule report:
    input:
        base=base_metrics(),
        runs=[*run_metrics(), *published_metrics()],  # published checkpoints are rows like runs
        train_logs=train_logs(),
        data_stats=rules.data.output.stats,
    output:
        summary=report(f"{T}/summary.md", caption="../report/summary.rst", category="Tables"),
        csv=f"{T}/summary.csv",
        passk=report(f"{F}/passk.png", caption="../report/passk.rst", category="Figures"),
        minus_base=report(
            f"{F}/passk_minus_base.png", caption="../report/passk_minus_base.rst", category="Figures"
        ),
        scatter=report(
            f"{F}/accuracy_vs_diversity.png",
            caption="../report/accuracy_vs_diversity.rst",
            category="Figures",
        ),
        curves=report(
            f"{F}/training_curves.png", caption="../report/training_curves.rst", category="Figures"
        ),
        spearman=report(f"{F}/spearman.png", caption="../report/spearman.rst", category="Figures"),
        dra_style=report(f"{T}/dra_style.md", caption="../report/dra_style.rst", category="Tables"),
        r1zero_div_style=report(
            f"{T}/r1zero_div_style.md", caption="../report/r1zero_div_style.rst", category="Tables"
        ),
        ds_style=report(f"{T}/ds_style.md", caption="../report/ds_style.rst", category="Tables"),
        multiplicity=report(f"{T}/multiplicity.md", caption="../report/multiplicity.rst", category="Tables"),
        paper_csv=expand(
            f"{T}/{{name}}.csv", name=["dra_style", "r1zero_div_style", "ds_style", "multiplicity"]
        ),
        ci=f"{T}/bootstrap_ci.csv",
        benchmarks=[] if len(BENCHES) == 1 else f"{R}/tables/benchmarks.md",
        per_bench=[] if len(BENCHES) == 1 else expand(f"{R}/tables/{{bench}}/summary.csv", bench=BENCHES),
        vs_paper=expand(f"{R}/tables/vs_paper.{{ext}}", ext=["md", "csv"]) if PAPER else [],
        vs_paper_figure=f"{R}/figures/vs_paper.png" if PAPER.get("curves") else [],
    params:
        divrl=DIVRL,
        k_show=as_json(config["report"]["k_show"]),
        out_dir=lambda wildcards, output: R,  # tables/ and figures/ go below it
        task=config["task"],
        paper=f"--paper {as_json(PAPER)}" if PAPER else "",
        not_averaged=f"--not-averaged {' '.join(NOT_AVERAGED)}" if NOT_AVERAGED else "",
        reference=config["report"]["reference"],
    log:
        f"{R}/logs/report.log",
    benchmark:
        f"{R}/benchmarks/report.tsv"
    resources:
        mem_mb=by_attempt(2000),
        runtime=by_attempt(10),
    conda:
        REPORT_ENV
    shell:
        "{params.divrl} report --metrics {input.base} {input.runs} --k-show {params.k_show}"
        " --train-logs {input.train_logs} --data-stats {input.data_stats} --task {params.task}"
        " --out-dir {params.out_dir} {params.paper} {params.not_averaged} --reference {params.reference} > {log} 2>&1"


if SWEEP_RUNS:

    localrules:
        sweep_report,

    rule sweep_report:
        input:
            base=base_metrics(EVAL_SETS),
            runs=sweep_metrics(),
        output:
            table=report(f"{R}/tables/sweeps.md", caption="../report/sweeps.rst", category="Sweeps"),
            csv=f"{R}/tables/sweeps.csv",
            figure=report(f"{R}/figures/sweeps.png", caption="../report/sweeps.rst", category="Sweeps"),
        params:
            divrl=DIVRL,
            select_k=config["report"]["select_k"],
            sweeps=as_json(SWEEPS),
            out_dir=lambda wildcards, output: R,  # tables/ and figures/ go below it
        log:
            f"{R}/logs/sweep_report.log",
        resources:
            mem_mb=by_attempt(2000),
            runtime=by_attempt(10),
        conda:
            REPORT_ENV
        shell:
            "{params.divrl} sweep-report --metrics {input.base} {input.runs} --sweeps {params.sweeps}"
            " --select-k {params.select_k} --out-dir {params.out_dir} > {log} 2>&1"
