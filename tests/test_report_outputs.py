"""The report's outputs are one table (divrl.report.outputs): its captions are the .rst files of
workflow/report/, its options are what the verbs parse, and its file names are the ones the
workflow has always written."""

import pytest

from divrl import cli
from divrl.cli_args import build
from divrl.report import outputs


def test_every_caption_belongs_to_an_output_and_every_shown_output_has_its_caption(root):
    rst = {p.name for p in (root / "workflow/report").glob("*.rst")}
    captions = {o.caption for o in outputs.OUTPUTS if o.caption}
    assert rst == captions, f"captions without an output: {rst - captions}; outputs without one: {captions - rst}"


@pytest.mark.parametrize("out", outputs.OUTPUTS, ids=lambda o: o.key)
def test_each_option_lands_in_the_verbs_argument_named_by_its_key(out):
    verb = out.rule.replace("_", "-")
    needed = {"report-paper": ["--paper", "{}"], "sweep-report": ["--sweeps", "{}"],
              "report-figures": ["--label", "x"]}.get(verb, [])
    files = out.files("t", "f")
    args = build(cli).parse_args([verb, "--metrics", "m.json", *needed, out.flag, *files])
    assert getattr(args, out.key) == (files if out.figure else files[0])


def test_keys_and_file_names_agree_and_the_names_never_changed():
    # the key is the file's stem (+ _EXT for a table); bootstrap_ci alone keeps its old key
    for o in outputs.OUTPUTS:
        assert o.key in (o.stem if o.figure else f"{o.stem}_{o.ext}", "bootstrap_ci")
    assert outputs.files("accuracy_vs_diversity") == ["figures/accuracy_vs_diversity.png",
                                                       "figures/accuracy_vs_diversity.pdf"]
    assert outputs.files("passk_minus_base_csv", "r/tables") == ["r/tables/passk_minus_base.csv"]
    assert outputs.files("bootstrap_ci") == ["tables/bootstrap_ci.csv"]
    # the options the workflow's command lines have always passed
    flags = {o.key: o.flag for o in outputs.OUTPUTS}
    assert (flags["accuracy_vs_diversity"], flags["training_curves"], flags["passk_minus_base"]) == (
        "--scatter", "--curves", "--minus-base")
    assert (flags["benchmarks_md"], flags["vs_paper"], flags["sweeps_md"]) == ("--md", "--figure", "--table-md")
    assert len(flags) == len(outputs.OUTPUTS)  # one key, one output


def test_verb_words_spell_a_rules_outputs_as_its_options():
    words = outputs.verb_words({"summary_md": "t/summary.md", "accuracy_vs_diversity": ["f/a.png", "f/a.pdf"],
                                "vs_paper": []})
    assert words == ["--summary-md", "t/summary.md", "--scatter", "f/a.png", "f/a.pdf"]
