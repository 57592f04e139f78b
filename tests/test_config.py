import subprocess
import sys

import pytest
import yaml

from divrl.config.load import load, load_config



from divrl.system.errors import ConfigError
@pytest.mark.parametrize("path", ["config/config.yaml", ".test/config/config.yaml"])
def test_shipped_configs_validate(root, path):
    cfg = load(root / path)
    assert cfg["methods"] and cfg["seeds"]


def test_defaults_are_filled():
    cfg = load_config({"methods": {"grpo": {}}})
    assert cfg["train"]["num_generations"] == 8 and cfg["eval"]["n_samples"] == 128


@pytest.mark.parametrize(
    "bad,where",
    [
        ({"methods": {"nope": {}}}, "methods.nope: unknown method 'nope'; known methods:"),
        ({"methods": {"ds": {"gama": 0.1}}}, "methods.ds:"),
        ({"data": {"max_number": "twenty"}}, "data.max_number: Input should be a valid integer (got 'twenty')"),
        ({"train": {"stpes": 3}}, "train.stpes: unknown key (every key: config/README.md)"),
        ({"seeds": []}, "seeds:"),
        ({"eval": {"n_samples": 0}}, "eval.n_samples:"),
        ({"data": {"min_number": 9, "max_number": 3}}, "data.min_number (9) exceeds data.max_number (3)"),
        ({"device": "tpu"}, "device:"),
        ({"methods": {"pkpo": {"k": 9}}}, "methods.pkpo: pass@k training needs 1 ≤ k ≤ group size; got k=9 with a group of 8"),
        ({"methods": {"div": {"mask_by": "reward"}}}, "methods.div: method 'div': mask_by='reward' is not one of"),
        ({"datasets": {"train": [{"source": "x", "format": "nope"}], "test": {"t": {"source": "y", "format": "math"}}}},
         "datasets.train.0.format: unknown format 'nope'; known:"),
        ({"datasets": {"train": [{"source": "x", "format": "math"}], "test": {"a-b": {"source": "y", "format": "math"}}}},
         "datasets.test.a-b: test-set names may hold letters, digits and _ only"),
        ({"datasets": {"train": [{"source": "x", "format": "math", "template": "nope"}], "test": {"t": {"source": "y", "format": "math"}}}},
         "datasets.train.0.template: unknown template 'nope'"),
        ({"datasets": {"train": [{"source": "x", "format": "math"}], "test": {"t": {"source": "y", "format": "math"}}, "chat_template": True}},
         "datasets.chat_template / filter.max_prompt_tokens need base.model"),
        ({"datasets": {"train": [{"format": "math"}], "test": {"t": {"source": "y", "format": "math"}}}},
         "datasets.train.0: name the data set by source or by url (with sha256), not both or neither"),
        ({"train": {"per_device_batch_size": 4, "prompts_per_step": 8, "num_generations": 8}},
         "train.per_device_batch_size: 4 × 1 process(es) × 1 accumulation = 4 completions per step, but prompts_per_step × num_generations = 64"),
        ({"task": "chess"}, "task: Input should be 'countdown', 'countdown_tinyzero', 'math' or 'knights_knaves' (got 'chess')"),
        ({"task": "math"}, "task: the generated toy data are Countdown; task 'math' needs a datasets: block"),
    ],
)
def test_bad_values_name_the_key(bad, where):
    with pytest.raises(ConfigError) as err:
        load_config(bad)
    msg = str(err.value)
    assert where in msg and "\n" not in msg


def test_unreadable_files(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load(tmp_path / "missing.yaml")
    (tmp_path / "bad.yaml").write_text("methods: [grpo\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load(tmp_path / "bad.yaml")


def test_snakemake_rejects_bad_config_before_any_job(root, tmp_path):
    cfg = yaml.safe_load((root / ".test/config/config.yaml").read_text())
    cfg["methods"]["made_up"] = {}
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(cfg))
    res = subprocess.run(
        [sys.executable, "-m", "snakemake", "-n", "--configfile", str(bad), "-s", str(root / "workflow/Snakefile"), "-d", str(tmp_path)],
        cwd=root, capture_output=True, text=True, timeout=300,
    )
    assert res.returncode != 0
    assert "config: methods.made_up: unknown method 'made_up'" in res.stderr
    assert "Traceback" not in res.stderr


def test_evaluation_settings_belong_to_test_sets_only():
    src = {"source": "openai/gsm8k", "name": "main", "split": "train", "format": "gsm8k"}
    cfg = {"task": "math", "base": {"model": "org/model"}, "report": {"k_show": [1, 4]},  # k ≤ the set's own N (#23)
           "datasets": {"train": [{**src, "eval": {"n_samples": 4}}], "test": {"gsm8k": {**src, "split": "test"}}}}
    with pytest.raises(ConfigError, match=r"datasets.train.0.eval: only test sets take 'eval'"):
        load_config(cfg)
    cfg["datasets"]["train"] = [src]
    cfg["datasets"]["test"]["gsm8k"]["eval"] = {"n_samples": 4, "temperature": 0.0}
    with pytest.raises(ConfigError, match=r"datasets.test.gsm8k.eval.temperature"):
        load_config(cfg)
    cfg["datasets"]["test"]["gsm8k"]["eval"] = {"n_samples": 4, "temperature": 0.9}
    assert load_config(cfg)["datasets"]["test"]["gsm8k"]["eval"] == {"n_samples": 4, "temperature": 0.9}


def test_checkpoints_inside_a_generated_batch_are_refused(tmp_path):
    """ds_countdown generates every 2 optimizer steps (32 micro-steps over 16 accumulated): a
    checkpoint at step 25 would resume inside a batch TRL does not save, and train another model."""
    import yaml as _yaml

    from divrl.config.load import load

    path = tmp_path / "c.yaml"
    train = {"steps_per_generation": 2, "gradient_accumulation_steps": 1, "save_steps": 25}
    path.write_text(_yaml.safe_dump({"seeds": [0], "methods": {"grpo": {}}, "train": train}))
    with pytest.raises(ValueError, match=r"train\.save_steps = 25 saves inside a generated batch .*multiple of 2"):
        load(path)
    path.write_text(_yaml.safe_dump({"seeds": [0], "methods": {"grpo": {}}, "train": {**train, "save_steps": 24}}))
    load(path)
    path.write_text(_yaml.safe_dump({"seeds": [0], "methods": {"grpo": {}},
                                     "train": {"num_iterations": 3, "gradient_accumulation_steps": 2, "save_steps": 4}}))
    with pytest.raises(ValueError, match="multiple of 3"):
        load(path)
