rule report:
    input:
        base=rules.sample_base.output.metrics,
        runs=run_metrics(),
        train_logs=train_logs(),
        data_stats=rules.data.output.stats,
    output:
        summary=report(f"{R}/tables/summary.md", caption="../report/summary.rst", category="Tables"),
        csv=f"{R}/tables/summary.csv",
        passk=report(f"{R}/figures/passk.png", caption="../report/passk.rst", category="Figures"),
        minus_base=report(
            f"{R}/figures/passk_minus_base.png", caption="../report/passk_minus_base.rst", category="Figures"
        ),
        scatter=report(
            f"{R}/figures/accuracy_vs_diversity.png",
            caption="../report/accuracy_vs_diversity.rst",
            category="Figures",
        ),
        curves=report(
            f"{R}/figures/training_curves.png", caption="../report/training_curves.rst", category="Figures"
        ),
        spearman=report(f"{R}/figures/spearman.png", caption="../report/spearman.rst", category="Figures"),
        dra_style=report(f"{R}/tables/dra_style.md", caption="../report/dra_style.rst", category="Tables"),
        r1zero_div_style=report(
            f"{R}/tables/r1zero_div_style.md", caption="../report/r1zero_div_style.rst", category="Tables"
        ),
        ds_style=report(f"{R}/tables/ds_style.md", caption="../report/ds_style.rst", category="Tables"),
        multiplicity=report(f"{R}/tables/multiplicity.md", caption="../report/multiplicity.rst", category="Tables"),
        paper_csv=expand(
            f"{R}/tables/{{name}}.csv", name=["dra_style", "r1zero_div_style", "ds_style", "multiplicity"]
        ),
        ci=f"{R}/tables/bootstrap_ci.csv",
    params:
        k_show=as_json(config["report"]["k_show"]),
        out_dir=lambda wildcards, output: os.path.dirname(os.path.dirname(output.summary)),
    log:
        f"{R}/logs/report.log",
    benchmark:
        f"{R}/benchmarks/report.tsv"
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../envs/report.yaml"
    shell:
        "divrl report --metrics {input.base} {input.runs} --k-show {params.k_show}"
        " --train-logs {input.train_logs} --data-stats {input.data_stats} --out-dir {params.out_dir} > {log} 2>&1"
