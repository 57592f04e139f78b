"""The report's outputs, one table: each file's key, file stem, caption and verb option.

A key is the rule's output name and the verb's argument name in Python (args.KEY); it is the
file stem, plus the extension for a table (summary_md: summary.md; a figure is a PNG, which
the HTML report shows, and a PDF). Its caption is workflow/report/STEM.rst where the HTML
report shows the file (under `category`). The option is what the workflow's command lines
have always said (`--scatter` writes accuracy_vs_diversity.png): the key with dashes unless
the table says otherwise. Everything else is generated from this table: report.smk's
outputs, the verbs' options (cli_args), the files `divrl report --out-dir` writes (build.py)
and the files scripts/ci_slurm.sh checks. Kept free of pandas: `divrl`'s parser reads it on
every call.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

FIGURE = ("png", "pdf")  # a figure's files: what the HTML report shows, and a vector copy for papers


@dataclass(frozen=True)
class Output:
    rule: str  # the report rule declaring it; its verb is the rule's name with dashes
    stem: str
    ext: str  # "md", "csv" or "figure" (png + pdf)
    category: str | None = None  # the HTML report's section; None: a file it does not show
    what: str | None = None  # the option's help
    option: str | None = None  # set only where it is not the key with dashes
    key: str = ""

    def __post_init__(self):
        if not self.key:
            object.__setattr__(self, "key", self.stem if self.ext == "figure" else f"{self.stem}_{self.ext}")

    @property
    def flag(self) -> str:
        return self.option or "--" + self.key.replace("_", "-")

    @property
    def caption(self) -> str | None:
        return f"{self.stem}.rst" if self.category else None

    @property
    def per_test_set(self) -> bool:
        """In tables/SET/ and figures/SET/ when there are several test sets (else tables/, figures/)."""
        return self.rule in PER_TEST_SET

    @property
    def figure(self) -> bool:
        return self.ext == "figure"

    def files(self, tables: str | Path = "tables", figures: str | Path = "figures") -> list[str]:
        """Its file (a table, in tables) or files (a figure: PNG first, in figures)."""
        if self.figure:
            return [f"{figures}/{self.stem}.{ext}" for ext in FIGURE]
        return [f"{tables}/{self.stem}.{self.ext}"]


_T, _F, _C = "report_tables", "report_figures", "report_compare"
PER_TEST_SET = (_T, _F, _C)  # the rules with a {bench} wildcard when there are several test sets
# in each rule's order: the order of its command line's options
OUTPUTS = (
    Output(_T, "summary", "md", "Tables", "the summary a person reads first"),
    Output(_T, "summary", "csv", what="mean and std over seeds"),
    Output(_T, "runs", "csv", what="one row per method × seed × k"),
    Output(_T, "passk_minus_base", "csv", what="pass@k − base per seed", option="--minus-base-csv"),
    Output(_T, "dra_style", "md", "Tables"),
    Output(_T, "dra_style", "csv"),
    Output(_T, "r1zero_div_style", "md", "Tables"),
    Output(_T, "r1zero_div_style", "csv"),
    Output(_T, "ds_style", "md", "Tables"),
    Output(_T, "ds_style", "csv"),
    Output(_T, "multiplicity", "md", "Tables"),
    Output(_T, "multiplicity", "csv"),
    Output(_T, "bootstrap_ci", "csv", "Tables", key="bootstrap_ci"),  # the one key without its extension
    Output(_F, "passk", "figure", "Figures", "pass@k against k"),
    Output(_F, "passk_minus_base", "figure", "Figures", "pass@k − base pass@k", option="--minus-base"),
    Output(_F, "accuracy_vs_diversity", "figure", "Figures", "pass@1 against distinct correct answers",
           option="--scatter"),
    Output(_F, "training_curves", "figure", "Figures", "training curves", option="--curves"),
    Output(_F, "spearman", "figure", "Figures", "Spearman(reward, diversity) per prompt"),
    Output(_C, "compare", "md", "Comparisons", "the verdicts"),
    Output(_C, "compare", "csv", what="one row per method, opponent and k"),
    Output(_C, "power", "md", "Comparisons", "power now and the seeds or base models an effect needs"),
    Output(_C, "replication", "md", "Comparisons", "each verdict on two halves of the seeds and per base model"),
    Output(_C, "gains_losses", "md", "Comparisons", "problems gained and lost against base"),
    Output(_C, "gains_losses", "csv"),
    Output(_C, "pass1_change", "figure", "Comparisons", "per-problem pass@1 change against base"),
    # one for all test sets: only with several (pass@1 per set and their average)
    Output("report_benchmarks", "benchmarks", "md", "Tables", option="--md"),
    Output("report_benchmarks", "benchmarks", "csv", option="--csv"),
    # the config's published numbers against ours (a paper: section; the figure with its curves)
    Output("report_paper", "vs_paper", "md", "Published numbers", option="--md"),
    Output("report_paper", "vs_paper", "csv", option="--csv"),
    Output("report_paper", "vs_paper", "figure", "Published numbers", "published curves against ours",
           option="--figure"),
    Output("sweep_report", "sweeps", "md", "Sweeps", option="--table-md"),
    Output("sweep_report", "sweeps", "csv", option="--table-csv"),
    Output("sweep_report", "sweeps", "figure", "Sweeps", "validation and test pass@k over the grid",
           option="--figure"),
)
BY_KEY = {o.key: o for o in OUTPUTS}
RULES = tuple(dict.fromkeys(o.rule for o in OUTPUTS))  # every report rule that writes files

# the papers' table layouts (report/paper_tables.py writes them), markdown + csv each
PAPER_TABLES = ("dra_style", "r1zero_div_style", "ds_style", "multiplicity")
PAPER_TABLE_OUTPUTS = tuple(o.key for o in OUTPUTS if o.rule == _T and o.stem in (*PAPER_TABLES, "bootstrap_ci"))


def of_rule(rule: str) -> list[Output]:
    return [o for o in OUTPUTS if o.rule == rule]


def files(key: str, tables: str | Path = "tables", figures: str | Path = "figures") -> list[str]:
    """The file(s) of one output below the given folders: files("passk") -> figures/passk.png, …pdf."""
    return BY_KEY[key].files(tables, figures)


def verb_words(outputs) -> list[str]:
    """A rule's named outputs as the options of its verb, one shell word each (the rule quotes
    each with `:q`): summary_md=PATH -> ["--summary-md", PATH], a figure's [PNG, PDF] ->
    ["--passk", PNG, PDF]; an empty (conditional) output is left out."""
    words = []
    for key, value in outputs.items():
        paths = [value] if isinstance(value, (str, Path)) else list(value)
        if paths:
            words += [BY_KEY[key].flag, *map(str, paths)]
    return words
