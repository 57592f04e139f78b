"""What a deployment needs: the workflow parses without torch (a login node needs only
Snakemake and the light config modules), `divrl report` runs without torch (the report
env has none), and a config's YAML syntax error names the file and line."""

import json
import subprocess
import sys

# The heavy stack the model envs carry; none of it may load in these two processes.
HEAVY = ("torch", "transformers", "trl", "accelerate", "datasets", "sentence_transformers", "vllm", "deepspeed")

BLOCKER = f"""
import sys
class Block:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {HEAVY!r}:
            raise ImportError(name + " is blocked: the report env has no torch")
sys.meta_path.insert(0, Block())
"""


def test_workflow_parse_imports_no_torch(root, tmp_path):
    code = (
        "import atexit, sys\n"
        f"atexit.register(lambda: print('LOADED', [m for m in {HEAVY!r} if m in sys.modules]))\n"
        "from snakemake.cli import main\n"
        f"sys.argv = ['snakemake', '-n', '--quiet', 'all', '--config', 'results={tmp_path}']\n"
        "main()\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "LOADED []" in proc.stdout, proc.stdout[-500:]


def test_report_runs_without_torch(tmp_path):
    paths = []
    for rel, passk, method, seed in [("eval/base/metrics.json", [0.2, 0.4], "base", None),
                                     ("eval/grpo/seed0/metrics.json", [0.3, 0.5], "grpo", 0)]:
        path = tmp_path / rel
        path.parent.mkdir(parents=True)
        per_problem = [{"id": f"p{i}", "c": i, "spearman_rho": 0.1, "spearman_p": 0.2} for i in range(3)]
        path.write_text(json.dumps({
            "identity": {"method": method, "seed": seed, "test_set": "test", "params": {}, "model": "m"},
            "n": 4, "k": [1, 2], "pass_at_k": passk, "potential_at_k": [0.0, 0.3], "mean_at_1": passk[0],
            "distinct_correct": 1.0, "distinct_canonical": 1.0, "embedding_cosine": 0.5, "format_rate": 1.0,
            "div_equ": 0.5, "spearman_share_p_gt_005": 0.5, "per_problem": per_problem,
        }))
        paths.append(str(path))
    code = BLOCKER + "from divrl.cli import main\nsys.exit(main(sys.argv[1:]))\n"
    cmd = [sys.executable, "-c", code, "report", "--metrics", *paths, "--out-dir", str(tmp_path / "out"), "--k-show", "[1, 2]"]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert (tmp_path / "out/tables/summary.md").is_file() and (tmp_path / "out/figures/passk.png").is_file()


def test_yaml_syntax_error_names_file_and_line(tmp_path):
    from divrl.cli import main

    bad = tmp_path / "my.yaml"
    bad.write_text("results: out\nmethods:\n  grpo: {\n  - oops\n")
    proc = subprocess.run([sys.executable, "-m", "divrl", "validate", str(bad)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and main is not None
    assert proc.stderr.strip().splitlines() == [f"divrl validate: error: config: {bad}:4: not valid YAML "
                                                "(while parsing a flow node; expected the node content, but found '-')"]


def test_version():
    proc = subprocess.run([sys.executable, "-m", "divrl", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.startswith("divrl 0."), proc
