"""Software environments: every rule has a conda env, the envs are exact pins that agree
with pyproject.toml, and the workflow passes `snakemake --lint`. Static checks plus two
Snakemake calls (~10 s). With DIVRL_TEST_NETWORK=1, every pip line is looked up on PyPI.
Conda channels are not reachable where this is developed: conda-forge lines are checked
for form and against pyproject.toml only."""

import os
import re
import subprocess
import sys
import tomllib

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Snakemake and its executor plugins run the workflow; they are not needed inside a job.
ENGINE = {"snakemake", "snakemake-executor-plugin-slurm"}
ACTIONS = ("shell", "run", "script", "notebook", "wrapper", "cwl", "template_engine")


def rule_files(root):
    return [root / "workflow/Snakefile", *sorted((root / "workflow/rules").glob("*.smk"))]


def parse_rules(path):
    """{rule: {"conda": str | None, "action": bool}} from one Snakefile, by indentation."""
    rules, current, expect_conda, indent = {}, None, False, ""
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        # rules may sit inside `if` blocks (rules that exist only for some configs)
        top = re.match(r"(\s*)(?:rule|checkpoint)\s+(\w+)\s*:", line)
        if top:
            indent = top[1]
            current = rules.setdefault(top[2], {"conda": None, "action": False})
            continue
        if not line.startswith(indent + " "):  # a statement at the rule's level ends it
            current = None
            continue
        if current is None:
            continue
        directive = re.match(re.escape(indent) + r"    (\w+):\s*(.*)$", line)
        if directive:
            name, rest = directive[1], directive[2]
            expect_conda = name == "conda" and not rest
            if name == "conda" and rest:
                current["conda"] = rest
            current["action"] |= name in ACTIONS
        elif expect_conda:
            current["conda"] = line.strip()
            expect_conda = False
    for info in rules.values():
        if info["conda"] is not None:
            info["conda"] = info["conda"].rstrip(",").strip().strip("\"'")
    return rules


def env_variables(root):
    """{NAME: [env file, ...]} for `NAME = "../envs/x.yaml" if ... else "../envs/y.yaml"` in common.smk."""
    text = (root / "workflow/rules/common.smk").read_text()
    return {m[1]: re.findall(r'"(\.\./envs/[\w.]+)"', m[2]) for m in re.finditer(r"^([A-Z_]+_ENV) = (.*)$", text, re.M)}


def all_rules(root):
    """Rules with the env files their conda: directive may pick (a literal path or a variable)."""
    variables = env_variables(root)
    out = {}
    for path in rule_files(root):
        for name, info in parse_rules(path).items():
            conda = info["conda"]
            envs = variables.get(conda, [conda]) if conda else []
            out[name] = {**info, "file": path, "envs": envs}
    return out


def env_pip(env):
    for dep in env["dependencies"]:
        if isinstance(dep, dict) and "pip" in dep:
            return dep["pip"]
    return []


def env_conda(env):
    """conda-forge lines as (name, version): `numpy=2.4.6` -> ("numpy", "2.4.6")."""
    return [tuple(d.split("=", 1)) if "=" in d else (d, None) for d in env["dependencies"] if isinstance(d, str)]


# conda-forge names for PyPI distributions (the rest are spelled alike)
CONDA_TO_PYPI = {"pytorch-cpu": "torch", "matplotlib-base": "matplotlib"}


def env_requirements(env):
    """Every pinned package of an env as {pypi name: version}, conda-forge and pip lines alike."""
    out = {canonicalize_name(CONDA_TO_PYPI.get(n, n)): v for n, v in env_conda(env) if n not in ("python", "pip", "setuptools")}
    for req in map(Requirement, env_pip(env)):
        out[canonicalize_name(req.name)] = next((s.version for s in req.specifier if s.operator == "=="), None)
    return out


@pytest.fixture(scope="module")
def envs(root):
    return {p.name: yaml.safe_load(p.read_text()) for p in sorted((root / "workflow/envs").glob("*.yaml"))}


@pytest.fixture(scope="module")
def pyproject_deps(root):
    deps = tomllib.loads((root / "pyproject.toml").read_text())["project"]["dependencies"]
    return {canonicalize_name(r.name): r for r in map(Requirement, deps)}


@pytest.fixture(scope="module")
def snakemake_calls(root):
    """`--list-rules` and `--lint`, run side by side (each spends ~4 s importing Snakemake)."""
    cmds = {
        "list": [sys.executable, "-m", "snakemake", "--list-rules"],
        "lint": [sys.executable, "-m", "snakemake", "--lint"],
    }
    procs = {k: subprocess.Popen(c, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for k, c in cmds.items()}
    out = {}
    for k, p in procs.items():
        stdout, stderr = p.communicate(timeout=120)
        out[k] = (p.returncode, stdout, stderr)
    return out


def test_rule_parser_finds_what_snakemake_lists(root, snakemake_calls):
    rc, stdout, stderr = snakemake_calls["list"]
    assert rc == 0, stderr
    listed = {line.strip() for line in stdout.splitlines() if re.fullmatch(r"\w+", line.strip())}
    # these exist only when the config asks for them (a difficulty filter, sweeps, shards)
    conditional = {"difficulty", "sweep_report", "sample_base_shard", "evaluate_shard",  # eval.shards > 1
                   "report_benchmarks", "report_paper",  # several test sets; a paper: section
                   "download"}  # a data set named by url (config/paper/r1_zero_div.yaml)
    assert listed and set(all_rules(root)) - conditional == listed


def test_every_rule_with_an_action_has_a_conda_env_in_envs(root):
    rules = all_rules(root)
    assert any(r["action"] for r in rules.values())
    for name, info in rules.items():
        if not info["action"]:  # e.g. `all`: nothing runs, nothing to deploy
            assert info["conda"] is None, name
            continue
        assert info["envs"], f"rule {name} ({info['file'].name}) has no conda: directive"
        for rel in info["envs"]:
            env = (info["file"].parent / rel).resolve()  # relative to the rule's file
            assert env.parent == (root / "workflow/envs").resolve(), f"rule {name}: {rel} is not in workflow/envs/"
            assert env.is_file(), f"rule {name}: {env} does not exist"


def test_every_env_is_used_parses_and_has_its_post_deploy_script(root, envs):
    used = {(info["file"].parent / rel).resolve().name for info in all_rules(root).values() for rel in info["envs"]}
    assert set(envs) == used == {"gpu.yaml", "cpu.yaml", "report.yaml"}
    for name, env in envs.items():
        assert isinstance(env, dict) and env.get("channels") == ["conda-forge", "nodefaults"], name
        assert ("python", "3.11") in env_conda(env), f"{name}: no python=3.11"
        for req in env_pip(env):
            Requirement(req)  # raises on anything that is not a plain PyPI requirement
        # divrl itself comes from the post-deploy script (conda cannot pip-install the checkout)
        script = root / "workflow/envs" / name.replace(".yaml", ".post-deploy.sh")
        assert "pip install --no-deps" in script.read_text() and "DIVRL_CHECKOUT" in script.read_text(), script


def test_envs_are_distinct_and_the_report_env_has_no_torch(envs):
    reqs = {name: env_requirements(env) for name, env in envs.items()}
    assert {"vllm", "deepspeed", "torch"} <= set(reqs["gpu.yaml"])
    assert "torch" in reqs["cpu.yaml"] and not {"vllm", "deepspeed"} & set(reqs["cpu.yaml"])
    assert not {"torch", "transformers", "trl", "vllm"} & set(reqs["report.yaml"])
    assert ("pytorch-cpu", "2.13.0") in env_conda(envs["cpu.yaml"])  # conda-forge's CPU build, not PyPI's CUDA wheel


def test_env_pip_sections_have_no_local_paths(envs):
    # Snakemake copies an env file to .snakemake/conda/<hash>.yaml and conda runs pip from
    # that folder: `-e ../` or `./pkg` would resolve inside .snakemake/, not the checkout.
    for name, env in envs.items():
        for req in env_pip(env):
            assert not re.match(r"(-e|--editable)\b|\.{0,2}/|file:", req.strip()), f"{name}: local path {req!r}"


def test_env_pins_are_exact_and_agree_with_pyproject(root, envs, pyproject_deps):
    install_sh = (root / "scripts/install.sh").read_text()
    torch_pin = re.search(r"torch==([\w.+]+)", install_sh)[1]
    extras = tomllib.loads((root / "pyproject.toml").read_text())["project"]["optional-dependencies"]["gpu"]
    pinned = {**pyproject_deps, **{canonicalize_name(r.name): r for r in map(Requirement, extras)}}
    for name, env in envs.items():
        for conda_name, version in env_conda(env):
            assert version and re.fullmatch(r"[\w.]+", version), f"{name}: {conda_name} is not pinned exactly"
        for key, version in env_requirements(env).items():
            assert version, f"{name}: {key} is not pinned with =="
            if key == "tensorboard":  # for train.report_to: tensorboard; not needed by the venv
                continue
            assert key in pinned, f"{name}: {key} is not a dependency in pyproject.toml"
            assert pinned[key].specifier.contains(version), f"{name}: {key}=={version} outside pyproject's {pinned[key]}"
            if key == "torch":  # pinned in envs and scripts/install.sh (the CPU wheel there)
                assert version == torch_pin, f"{name}: torch=={version} vs scripts/install.sh torch=={torch_pin}"


def test_model_envs_carry_every_runtime_dependency(envs, pyproject_deps):
    # divrl is installed with --no-deps: the env must hold everything it imports
    needed = set(pyproject_deps) - ENGINE
    for name in ("gpu.yaml", "cpu.yaml"):
        missing = needed - set(env_requirements(envs[name]))
        assert not missing, f"{name} lacks {sorted(missing)}"


@pytest.mark.skipif(os.environ.get("DIVRL_TEST_NETWORK") != "1", reason="needs PyPI: DIVRL_TEST_NETWORK=1")
def test_every_pip_pin_exists_on_pypi(envs, tmp_path):
    """Each pip line once, without dependencies, as pip would fetch it (metadata only, ~1 s a package)."""
    lines = sorted({req for env in envs.values() for req in env_pip(env)})
    failed = []
    for req in lines:
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--no-deps", "--ignore-installed", "--quiet",
               "--isolated", "--index-url", "https://pypi.org/simple", "--target", str(tmp_path), req]
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if proc.returncode:
            failed.append(f"{req}: {proc.stderr.strip().splitlines()[-1:]}")
    assert not failed, failed


def test_snakemake_lint_passes(snakemake_calls):
    rc, stdout, stderr = snakemake_calls["lint"]
    assert rc == 0, (stdout + stderr)[-3000:]
