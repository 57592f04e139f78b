"""Paths the shell would split or interpret (spaces, quotes, `$`, `;`, unicode) reach every job
as one word: every path placeholder in every rule's shell command is quoted (`{output:q}`).

Issue #23, item 1: `results: 'victim.txt results'` passed validation and `> {log}` truncated the
user's file `victim.txt`."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
import yaml

# `{input}`, `{input.x}`, `{output.x:q}`, `{log}`, `{params.x}`, `{wildcards.x}`; doubled braces
# are the same placeholder inside a Python f-string (SHARD_SHELL).
PLACEHOLDER = re.compile(r"\{\{?((?:input|output|log|params|wildcards)(?:\.\w+)?)(:\w*)?\}\}?")
# params that are not one path or word: a command (`exec divrl …`) or a JSON blob that
# common.smk's as_json() already wraps in single quotes (a second quoting would pass the quotes on)
COMMANDS = {"params.divrl", "params.launcher"}
AS_JSON = {"params.section", "params.method_params", "params.identity", "params.k_show", "params.paper",
           "params.sweeps", "params.eval_specs"}
# the functions that rules name for those params, each returning as_json(…)
JSON_FUNCTIONS = {"eval_section", "merge_section", "base_params", "method_params", "base_identity",
                  "run_identity", "published_identity", "eval_specs"}
# the evaluation rules are made in a loop over records (eval.smk) holding those functions
RECORD_VALUES = {'who["identity"]'}


def shell_lines(text: str) -> list[tuple[int, str]]:
    """The lines of a Snakefile's shell commands: each `shell:` directive's block and each
    `NAME_SHELL = (…)` string that rules share (eval.smk)."""
    lines, out, inside = text.splitlines(), [], None
    for number, line in enumerate(lines, 1):
        indent = len(line) - len(line.lstrip())
        if inside is not None:
            if line.strip() and (indent <= inside if inside >= 0 else line.strip() == ")"):
                inside = None
            elif line.strip():
                out.append((number, line))
                continue
        if line.strip() == "shell:":
            inside = indent
        elif re.match(r"^\s*[A-Z_]*SHELL\s*=\s*\($", line):
            inside = -1
    return out


def unquoted(text: str) -> list[str]:
    """The placeholders of a Snakefile's shell commands that Snakemake would not quote."""
    bad = []
    for number, line in shell_lines(text):
        for literal in re.finditer(r'(f?)"((?:[^"\\]|\\.)*)"', line):
            fstring, body = literal.group(1), literal.group(2)
            for match in PLACEHOLDER.finditer(body):
                doubled = match.group(0).startswith("{{")
                if fstring and not doubled:
                    continue  # a Python expression of the f-string, not a placeholder
                name, spec = match.group(1), match.group(2) or ""
                if name in COMMANDS | AS_JSON:
                    continue
                if not spec.endswith("q"):
                    bad.append(f"{number}: {match.group(0)}")
    return bad


def rule_files(root):
    return sorted((root / "workflow/rules").glob("*.smk")) + [root / "workflow/Snakefile"]


def test_every_path_placeholder_is_quoted(root):
    found = {p.name: unquoted(p.read_text()) for p in rule_files(root)}
    assert not {k: v for k, v in found.items() if v}, found
    # the checker sees the shells at all (it would pass vacuously on a regex that matched nothing)
    shells = sum(len(PLACEHOLDER.findall(line)) for p in rule_files(root) for _, line in shell_lines(p.read_text()))
    assert shells > 50


def test_the_checker_flags_the_old_unquoted_shells():
    # the evaluation rules' EVALUATE_SHELL and SHARD_SHELL before the fix (then in sample.smk)
    old = "SHARED_SHELL = (\n" + (
        '"{params.divrl} evaluate --params {params.section} --threads {threads} --model {params.model}"\n'
        '" --problems {input.problems} --samples-out {output.samples} --metrics-out {output.metrics}"\n'
        '" --identity {params.identity} > {log} 2>&1"\n'
        'f" --problems {{input.problems}} --shard {{wildcards.shard}} --shards {SHARDS}"\n'
        '"--base {input} --out {output} --label {params.label}"\n'
    ) + ")\n"
    assert [b.split(": ")[1] for b in unquoted(old)] == [
        "{params.model}", "{input.problems}", "{output.samples}", "{output.metrics}", "{log}",
        "{{input.problems}}", "{{wildcards.shard}}", "{input}", "{output}", "{params.label}"]
    fixed = 'A_SHELL = (\n"--model {params.model:q} --problems {{input.problems:q}} --params {params.section} > {log:q}"\n)\n'
    assert unquoted(fixed) == []


def test_json_params_are_quoted_by_as_json(root):
    """The params the checker lets through unquoted are as_json(...) words in every rule."""
    names = {n.split(".")[1] for n in AS_JSON}
    text = "\n".join(p.read_text() for p in rule_files(root))
    defs = re.findall(r"^\s+(" + "|".join(names) + r")=(.+?),?$", text, flags=re.M)
    assert defs, "no JSON params found"
    for name, value in defs:
        assert value.startswith("as_json(") or value.removesuffix("()") in JSON_FUNCTIONS | RECORD_VALUES, f"{name}={value}"
    common = (root / "workflow/rules/common.smk").read_text()
    for fn in JSON_FUNCTIONS:
        body = re.search(rf"^def {fn}\(.*?(?=^\S)", common, flags=re.M | re.S)
        assert body and re.search(r"return (as_json|eval_section)\(", body.group(0)), fn


def snakemake(root, *args, timeout=1500):
    cmd = [sys.executable, "-m", "snakemake", "-s", str(root / "workflow/Snakefile"), *args]
    return subprocess.run(cmd, cwd=root, capture_output=True, text=True, timeout=timeout)


@pytest.mark.slow
def test_tiny_run_under_a_hostile_results_path(root, tmp_path):
    # issue #23's probe: the results path's first word is an existing file of the user's
    victim = tmp_path / "victim.txt"
    victim.write_text("the user's data\n")
    first = tmp_path / "r"
    first.write_text("also the user's\n")
    out = tmp_path / "victim.txt r e's $x;ü \"q\""
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg.update(results=str(out), seeds=[0], methods={"grpo": {}})
    path = tmp_path / "c.yaml"
    path.write_text(yaml.safe_dump(cfg, allow_unicode=True), encoding="utf-8")
    res = snakemake(root, "--cores", "2", "--configfile", str(path))
    assert res.returncode == 0, res.stderr[-3000:]
    assert victim.read_text() == "the user's data\n" and first.read_text() == "also the user's\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(["victim.txt", "r", out.name, "c.yaml"])
    for table in ("summary.md", "summary.csv", "compare.md", "bootstrap_ci.csv"):
        assert (out / "tables" / table).stat().st_size > 0
    for fig in ("passk.png", "passk.pdf", "training_curves.png"):
        assert (out / "figures" / fig).stat().st_size > 5000
    assert "| grpo |" in (out / "tables/summary.md").read_text()
    assert (out / "eval/grpo/base0/seed0/countdown/metrics.json").exists()
    assert (out / "logs/train/grpo/base0/seed0.log").stat().st_size > 0
