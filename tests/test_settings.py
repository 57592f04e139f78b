"""divrl.settings: one definition per key — defaults, refusals, the specs the verbs build."""

import dataclasses
import json

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from divrl.config.load import load_config

from divrl.system.errors import ConfigError
from divrl.settings import sections
from divrl.settings.base_model import BaseSpec, TinySpec
from divrl.settings.data import DifficultySpec, FilterSpec, SourceEval
from divrl.settings.evaluation import PER_TEST_SET, EvalSpec
from divrl.settings.model import names, narrow, parse
from divrl.settings.run import Config
from divrl.settings.train import Train, TrainSpec, check_batch, per_device_batch


def test_defaults_are_the_toy_config(root):
    # every key the toy sets is its default: a config setting one key changes only that key
    toy = yaml.safe_load((root / "config/config.yaml").read_text())
    empty = load_config({})
    # but base.seeds: the toy's four base models; the default is the one a named base.model allows
    assert toy["base"].pop("seeds") == [0, 1, 2, 3] and empty["base"]["seeds"] == [0]
    # and train.coupled_sampling: on for the toy, off by default (TRL's vLLM rollouts cannot couple)
    assert toy["train"].pop("coupled_sampling") is True and empty["train"]["coupled_sampling"] is False
    for key, value in toy.items():
        if isinstance(value, dict) and key != "methods":
            for sub, v in value.items():
                assert empty[key][sub] == v, f"{key}.{sub}: default {empty[key][sub]!r}, toy {v!r}"
        else:
            assert empty[key] == value, key
    assert load_config(toy) == empty


def test_schema_defaults_equal_the_classes():
    # the filled-in config (from the generated schema) and the classes' own defaults agree
    cfg = load_config({})
    built = dataclasses.asdict(Config())
    for key, value in built.items():
        assert json.loads(json.dumps(cfg[key])) == json.loads(json.dumps(value)), key


@pytest.mark.parametrize("cls,section", [(TrainSpec, "train"), (EvalSpec, "eval"), (BaseSpec, "base")])
def test_each_rule_section_is_exactly_its_spec(cls, section):
    # what a rule passes (--params) has every key its spec has, and no other
    cfg = load_config({})
    got = sections.base_section(cfg) if section == "base" else sections.section(cfg, section)
    assert set(got) == set(names(cls))
    assert json.loads(json.dumps(dataclasses.asdict(parse(cls, got, section)))) == got


@pytest.mark.parametrize("cls,where", [(TrainSpec, "train"), (EvalSpec, "eval"), (DifficultySpec, "datasets.difficulty"),
                                       (FilterSpec, "datasets.filter"), (TinySpec, "base")])
def test_unknown_key_is_one_line_naming_it(cls, where):
    with pytest.raises(ValueError, match=rf"^{where}\.stpes: unknown key \(known: ") as err:
        parse(cls, {"stpes": 3}, where)
    assert "\n" not in str(err.value)


def test_bad_value_names_the_key():
    with pytest.raises(ValueError, match=r"^train\.steps: .*greater than or equal to 1 \(got 0\)$"):
        parse(TrainSpec, {"steps": 0}, "train")


def test_per_test_set_eval_keys_share_the_eval_bounds():
    assert set(SourceEval.model_fields) == set(PER_TEST_SET)
    with pytest.raises(ConfigError, match="datasets.test.t.eval.n_samples: Input should be greater than or equal to 1 \\(got 0\\)"):
        load_config({"task": "math", "datasets": {"train": [{"source": "a/b", "format": "math"}],
                                               "test": {"t": {"source": "a/b", "format": "math", "eval": {"n_samples": 0}}}}})


def test_narrow_keeps_only_the_target_keys():
    spec = parse(BaseSpec, {"hidden_size": 32, "model": None, "device": "cpu"}, "base")
    tiny = narrow(spec, TinySpec)
    assert type(tiny) is TinySpec and tiny.hidden_size == 32 and not hasattr(tiny, "device")


@given(prompts=st.integers(1, 16), group=st.integers(2, 16), procs=st.integers(1, 8), acc=st.integers(1, 8))
def test_derived_batch_is_whole_groups_or_a_named_error(prompts, group, procs, acc):
    t = Train(prompts_per_step=prompts, num_generations=group, gradient_accumulation_steps=acc)
    want = prompts * group
    if want % (procs * acc):
        with pytest.raises(ValueError, match="train.per_device_batch_size: .* do not split over"):
            per_device_batch(t, procs)
        return
    per_device = per_device_batch(t, procs)
    assert per_device * procs * acc == want
    if (per_device * procs) % group:
        with pytest.raises(ValueError, match="not a multiple of num_generations"):
            check_batch(t, procs)
    else:
        check_batch(t, procs)


@given(explicit=st.integers(1, 64), procs=st.integers(1, 4))
def test_explicit_batch_wins_and_the_check_counts_it(explicit, procs):
    t = Train(per_device_batch_size=explicit)  # 8 prompts × 8 = 64 completions per step
    assert per_device_batch(t, procs) == explicit
    if explicit * procs != 64:
        with pytest.raises(ValueError, match=f"{explicit} × {procs} process"):
            check_batch(t, procs)


def test_sampling_spec_takes_every_shared_key():
    from divrl.sampling import SampleSpec

    spec = EvalSpec(top_k=50, top_p=0.7, seed=9, max_model_len=77, backend="vllm", tensor_parallel_size=2, dtype="bfloat16")
    got = SampleSpec.of(spec, n=8)
    assert got.n == 8 and SampleSpec.of(spec).n == spec.n_samples
    for f in dataclasses.fields(SampleSpec):
        if f.name == "first":  # where a call starts (sequential rounds), not a setting
            assert got.first == 0
        elif f.name != "n":
            assert getattr(got, f.name) == getattr(spec, f.name), f.name


def test_old_spec_names_are_the_settings_classes():
    from divrl.data.difficulty import DifficultySpec as D
    from divrl.eval.evaluate import EvalSpec as E
    from divrl.settings.base_model import TinySpec as T
    from divrl.settings.data import DataSpec
    from divrl.settings.data import FilterSpec as F
    from divrl.settings.train import TrainSpec as R
    assert (D, E, T, F, R) == (DifficultySpec, EvalSpec, TinySpec, FilterSpec, TrainSpec)
    assert DataSpec().num_numbers == (3,) and DifficultySpec().samples == 0


PAPER = ["config/config.yaml", "config/all_methods.yaml", "config/paper/ds_math.yaml", "config/paper/ds_countdown.yaml",
         "config/paper/dra_grpo.yaml", "config/paper/r1_zero_div.yaml"]


@pytest.mark.parametrize("path", PAPER)
def test_every_shipped_rule_section_builds_its_spec(root, path, monkeypatch):
    # the keys a rule sends are the keys its verb accepts: no job fails (or drops a key) at start
    import divrl.config.load as config
    from divrl.settings.data import DataSpec
    monkeypatch.setattr(config, "check_runnable", lambda cfg: None)  # local data folders absent here
    cfg = config.load(root / path)
    parse(TrainSpec, sections.section(cfg, "train"), "train")
    for seed in cfg["base"]["seeds"]:
        assert parse(BaseSpec, sections.base_section(cfg, seed), "base").seed == seed
    parse(DataSpec, sections.data_section(cfg)["data"], "data")
    for bench in (cfg["datasets"] or {}).get("test", [cfg["task"]]):
        parse(EvalSpec, sections.eval_section(cfg, bench), "eval")
    if cfg["datasets"]:
        own, sampling = sections.split_difficulty(sections.difficulty_section(cfg))
        assert parse(DifficultySpec, own, "datasets.difficulty") == parse(DifficultySpec, cfg["datasets"]["difficulty"], "d")
        parse(EvalSpec, sampling, "eval")
        parse(FilterSpec, cfg["datasets"]["filter"], "datasets.filter")


def test_a_base_job_gets_its_own_seed_and_not_the_list():
    # one section per base model: its seed in place of base.seeds (base B reruns only when B changes)
    cfg = load_config({"base": {"seeds": [3, 7]}})
    assert sections.base_section(cfg)["seed"] == 3 and sections.base_section(cfg, 7)["seed"] == 7
    assert "seeds" not in sections.base_section(cfg, 7)
    assert narrow(parse(BaseSpec, sections.base_section(cfg, 7), "base"), TinySpec).seed == 7


@pytest.mark.parametrize("base,message", [
    ({"seeds": [0, 1], "model": "org/model"}, r"^config: base\.seeds: \[0, 1\] asks for 2 base models, but base\.model "
                                              r"names one \(org/model\); keep one seed \(e\.g\. base\.seeds: \[0\]\)$"),
    ({"seeds": [2, 2]}, r"^config: base\.seeds: seed 2 is listed twice"),
    ({"seeds": []}, r"^config: base\.seeds: "),
    ({"seeds": [-1]}, r"^config: base\.seeds\.0: "),
    ({"seed": 3}, r"^config: base\.seed: unknown key"),  # the old key: base.seeds replaced it
])
def test_base_seeds_refused_in_one_line(base, message):
    with pytest.raises(ConfigError, match=message) as err:
        load_config({"base": base})
    assert "\n" not in str(err.value)


def test_a_hub_base_model_takes_one_base_seed():
    cfg = load_config({"base": {"model": "org/model", "seeds": [4]}})
    assert cfg["base"]["seeds"] == [4] and load_config({})["base"]["seeds"] == [0]
