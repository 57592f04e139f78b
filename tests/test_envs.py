"""Software environments: every rule has a conda env, the envs are exact pins that agree
with pyproject.toml, one post-deploy script serves them all, and the workflow passes
`snakemake --lint`. Static checks plus three Snakemake calls side by side (~15 s). With DIVRL_TEST_NETWORK=1, every pip line is looked up on PyPI.
Conda channels are not reachable where this is developed: conda-forge lines are checked
for form and against pyproject.toml only."""

import hashlib
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

# Snakemake and its executor plugins run the workflow; they are not needed inside a job.
ENGINE = {"snakemake", "snakemake-executor-plugin-slurm"}
# Rules that exist only for some configs; EVERY defines them all (on top of a paper config with a
# url data set, several test sets and a paper: section): shards, a published checkpoint, a sweep,
# a difficulty filter. The default config (a toy base model on CPU) adds `base` and the CPU env.
CONDITIONAL = {"download", "difficulty", "sample_base_shard", "evaluate_shard", "evaluate_published",
               "evaluate_published_shard", "report_benchmarks", "report_paper", "sweep_report"}
EVERY = {"eval": {"shards": 2}, "evaluate_models": {"pub": "some-org/some-model"}, "validation": {"problems": 100},
         "sweeps": {"div": {"lam": [0.01, 0.1]}}, "datasets": {"difficulty": {"samples": 4}}}
# Snakemake's own view of the rules (they are made in loops, rules/eval.smk: no file lists them
# all), and of each env's post-deploy script (found by the env's name, read through its link).
PROBE = """
import hashlib, json, sys
from pathlib import Path
from snakemake.api import SnakemakeApi
from snakemake.deployment.conda import Env
from snakemake.settings.types import ConfigSettings, OutputSettings, ResourceSettings, StorageSettings

out = {"rules": {}, "post_deploy": {}}
with SnakemakeApi(OutputSettings(quiet={"all"})) as api:
    for configs in json.loads(sys.argv[1]):
        wf = api.workflow(resource_settings=ResourceSettings(), storage_settings=StorageSettings(),
                          config_settings=ConfigSettings(configfiles=[Path(c) for c in configs]),
                          snakefile=Path("workflow/Snakefile"))
        for rule in wf._workflow.rules:
            env = str((Path(rule.snakefile).parent / rule.conda_env).resolve()) if rule.conda_env else None
            seen = out["rules"].setdefault(rule.name, {"envs": [], "action": not rule.norun, "file": rule.snakefile})
            seen["envs"] = sorted({*seen["envs"], *([env] if env else [])})
    for yaml in sorted(Path("workflow/envs").glob("*.yaml")):
        env = Env(wf._workflow, env_file=str(yaml.resolve()), envs_dir="unused")
        script = env.post_deploy_file
        out["post_deploy"][yaml.name] = script and [str(script.get_path_or_uri(secret_free=True)),
                                                    hashlib.md5(env._get_content_deploy()).hexdigest()]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def probe(root, tmp_path_factory):
    every = tmp_path_factory.mktemp("envs") / "every.yaml"
    every.write_text(yaml.safe_dump(EVERY))
    configs = [["config/config.yaml"], ["config/paper/r1_zero_div.yaml", str(every)]]
    res = subprocess.run([sys.executable, "-c", PROBE, json.dumps(configs)], cwd=root, capture_output=True, text=True,
                         timeout=300, env={**os.environ, "HF_HUB_OFFLINE": "1"})
    assert res.returncode == 0, res.stderr[-3000:]
    return json.loads(res.stdout.strip().splitlines()[-1])


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


def test_the_probe_sees_every_rule_snakemake_lists(probe, snakemake_calls):
    rc, stdout, stderr = snakemake_calls["list"]
    assert rc == 0, stderr
    listed = {line.strip() for line in stdout.splitlines() if re.fullmatch(r"\w+", line.strip())}
    assert listed and listed | CONDITIONAL == set(probe["rules"])


def test_every_rule_with_an_action_has_a_conda_env_in_envs(root, probe):
    rules = probe["rules"]
    assert any(r["action"] for r in rules.values())
    for name, info in rules.items():
        if not info["action"]:  # e.g. `all`: nothing runs, nothing to deploy
            assert not info["envs"], name
            continue
        assert info["envs"], f"rule {name} ({info['file']}) has no conda: directive"
        for env in map(Path, info["envs"]):
            assert env.parent == (root / "workflow/envs").resolve(), f"rule {name}: {env} is not in workflow/envs/"
            assert env.is_file(), f"rule {name}: {env} does not exist"


def test_every_env_is_used_parses_and_has_its_post_deploy_script(root, envs, probe):
    used = {Path(env).name for info in probe["rules"].values() for env in info["envs"]}
    assert set(envs) == used == {"gpu.yaml", "cpu.yaml", "report.yaml"}
    for name, env in envs.items():
        assert isinstance(env, dict) and env.get("channels") == ["conda-forge", "nodefaults"], name
        assert ("python", "3.11") in env_conda(env), f"{name}: no python=3.11"
        for req in env_pip(env):
            Requirement(req)  # raises on anything that is not a plain PyPI requirement


def test_one_post_deploy_script_serves_every_env(root, envs, probe):
    """Snakemake looks for ENV.post-deploy.sh beside ENV.yaml: each is a link to the one script, and
    Snakemake finds it and reads its content through the link (the content is part of the env's hash)."""
    one = root / "workflow/envs/post-deploy.sh"
    text = one.read_text()
    # divrl itself comes from the post-deploy script (conda cannot pip-install the checkout)
    assert "pip install --no-deps" in text and "DIVRL_CHECKOUT" in text
    for name in envs:
        link = root / "workflow/envs" / name.replace(".yaml", ".post-deploy.sh")
        assert link.is_symlink() and os.readlink(link) == one.name, link
        found, md5 = probe["post_deploy"][name]
        assert Path(found) == link and md5 == hashlib.md5(one.read_bytes()).hexdigest(), name


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
