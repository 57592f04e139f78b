"""docs/paper_sources.md is where a user checks each paper-config value from the repository
alone: every number in a config/paper/*.yaml train, eval or methods section has a row there
(under its paper's heading, in the row of its key) or says on its own line that it is
`# ours` / `# inferred`; and nothing tracked cites the team's notes outside the repository."""

import math
import re
import subprocess

import pytest
import yaml

DOC = "docs/paper_sources.md"
# the team's notes beside the repository, spelled in two parts so this file does not cite them
TEAM_NOTES = "PAPER_" + "PARAMS"

# config/paper file name prefix -> the heading ("## <name> ...") of its table in the doc
PAPER_OF = {"dra_grpo": "DRA-GRPO", "r1_zero_div": "R1-zero-Div", "ds_countdown": "DS-GRPO Countdown", "ds_math": "DS-GRPO math"}
CHECKED = ("train", "eval", "methods")  # plus each test set's own `eval` overrides
STATUSES = ("follows", "differs", "inferred", "ours")
MARK = re.compile(r"\s#.*\b(ours|inferred)\b", re.IGNORECASE)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")
KEY = re.compile(r"`([A-Za-z_][\w.]*)`")


def heading_of(config_name: str) -> str:
    matches = [paper for prefix, paper in PAPER_OF.items() if config_name.startswith(prefix)]
    assert len(matches) == 1, f"config/paper/{config_name}.yaml: no paper heading for it in PAPER_OF (add one, and its table in {DOC})"
    return matches[0]


def section(doc: str, paper: str) -> str:
    """The text under `## <paper>` up to the next `## ` heading."""
    match = re.search(rf"^## {re.escape(paper)}\b.*?$(.*?)(?=^## |\Z)", doc, re.MULTILINE | re.DOTALL)
    assert match, f"{DOC} has no heading '## {paper}'"
    return match.group(1)


def rows(text: str) -> list[list[str]]:
    """Body rows (cells stripped) of the tables whose header starts with `Setting`."""
    out, in_table = [], False
    for line in text.splitlines():
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells[0] == "Setting":
            in_table = True
        elif in_table and not re.fullmatch(r"[\s:|-]+", line.strip()):
            out.append(cells)
    return out


def documented(text: str) -> dict[str, list[float]]:
    """key -> every number in the `Ours` cell (the second) of each row naming that key."""
    out: dict[str, list[float]] = {}
    for cells in rows(text):
        numbers = [float(n) for n in NUMBER.findall(cells[1])] if len(cells) > 1 else []
        for key in KEY.findall(cells[0]):
            out.setdefault(key, []).extend(numbers)
    return out


def numeric_leaves(node, path: str):
    """(key path, value, 0-based line) of every int/float scalar under a composed YAML node."""
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            yield from numeric_leaves(value, f"{path}.{key.value}" if path else key.value)
    elif isinstance(node, yaml.SequenceNode):
        for item in node.value:
            yield from numeric_leaves(item, path)
    elif node.tag.endswith((":int", ":float")):
        yield path, float(yaml.safe_load(node.value)), node.start_mark.line


def checked_leaves(text: str):
    """The numbers of the train, eval and methods sections and of each test set's eval."""
    root = yaml.compose(text)
    if root is None:
        return
    top = {key.value: value for key, value in root.value}
    for name in CHECKED:
        if name in top:
            yield from numeric_leaves(top[name], name)
    datasets = {key.value: value for key, value in getattr(top.get("datasets"), "value", [])}
    for name, test_set in getattr(datasets.get("test"), "value", []):
        for key, value in test_set.value if isinstance(test_set, yaml.MappingNode) else []:
            if key.value == "eval":
                yield from numeric_leaves(value, f"datasets.test.{name.value}.eval")


def unsourced(config_text: str, doc_section: str) -> list[str]:
    """Values neither in their key's row of the doc section nor marked `# ours`/`# inferred`."""
    lines, rows_of = config_text.splitlines(), documented(doc_section)
    return [
        f"line {line + 1}: {path} = {value:g}"
        for path, value, line in checked_leaves(config_text)
        if not MARK.search(lines[line]) and not any(math.isclose(value, v, rel_tol=1e-9, abs_tol=1e-15) for v in rows_of.get(path, []))
    ]


def paper_configs(root):
    return sorted((root / "config/paper").glob("*.yaml"))


def test_every_paper_config_has_its_paper_heading(root):
    doc = (root / DOC).read_text()
    for path in paper_configs(root):
        section(doc, heading_of(path.stem))


@pytest.mark.parametrize("paper", list(PAPER_OF.values()))
def test_every_row_has_a_status_and_a_source(root, paper):
    table = rows(section((root / DOC).read_text(), paper))
    assert len(table) >= 5, f"## {paper}: expected its table of settings"
    for cells in table:
        assert len(cells) == 5, f"## {paper}: row {cells} needs 5 cells (Setting | Ours | Source | Where | Status)"
        assert cells[3], f"## {paper}: row {cells[0]} says nowhere where its value comes from"
        assert cells[4].lower().startswith(STATUSES), f"## {paper}: row {cells[0]}: status {cells[4]!r} is none of {STATUSES}"


def test_every_paper_config_number_is_sourced_or_marked(root):
    doc = (root / DOC).read_text()
    missing = {
        path.name: bad
        for path in paper_configs(root)
        if (bad := unsourced(path.read_text(), section(doc, heading_of(path.stem))))
    }
    assert not missing, f"add a row to {DOC} (key in backticks, value in the Ours cell) or mark the line # ours / # inferred: {missing}"


def test_the_check_finds_a_value_without_a_row_or_mark():
    config = "train:\n  lr: 1.0e-6\n  steps: 500   # ours: not given\n  beta: 0.04\nmethods:\n  ds: {gamma_p: 0.03}\n"
    doc = ("| Setting | Ours | Source | Where | Status |\n|---|---|---|---|---|\n"
           "| `train.lr` | 1e-6 | 1e-6 | recipe line 25 | follows |\n"
           "| `train.beta` | 0.4 | 0.04 | grpo_config.py | follows |\n"   # the wrong number in Ours
           "| `train.lr_scheduler` | 0.03 | - | - | ours |\n")             # the right number, another key
    assert unsourced(config, doc) == ["line 4: train.beta = 0.04", "line 6: methods.ds.gamma_p = 0.03"]
    # marked lines and documented keys pass; a marker in a value, not a comment, does not count
    assert unsourced("train:\n  lr: 1.0e-6\n  steps: 500   # inferred: from 2 epochs\n", doc) == []
    assert unsourced("methods:\n  ds: {gamma_p: 0.03, tag: ours}\n", doc) == ["line 2: methods.ds.gamma_p = 0.03"]


def test_a_test_set_eval_override_is_checked():
    config = "datasets:\n  test:\n    m:\n      source: x\n      eval: {n_samples: 16, greedy: true}\n"
    assert unsourced(config, "") == ["line 5: datasets.test.m.eval.n_samples = 16"]
    doc = "| Setting | Ours | Source | Where | Status |\n|---|---|---|---|---|\n| `datasets.test.m.eval.n_samples` | 16 | 16 | §3 | follows |\n"
    assert unsourced(config, doc) == []


def test_no_tracked_file_but_docs_cites_the_team_notes(root):
    try:
        listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                                cwd=root, capture_output=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("not a git checkout")
    citing = []
    for name in filter(None, listed.decode().split("\0")):
        path = root / name
        if name.startswith("docs/") or not path.is_file():
            continue
        if TEAM_NOTES.encode() in path.read_bytes():
            citing.append(name)
    assert not citing, f"these cite notes a user cannot read; cite {DOC} instead: {citing}"
