"""#24: the config is validated once. load_config parses the whole config into the typed
Config in one pydantic call (settings.model.parse) and each run's hyperparameters into the
method's typed class once; the Snakefile then only reads them (CFG, config.hyperparameters)."""

import json

import divrl.config.load as load
from divrl.methods import hyperparameters as hps

TOY = {"methods": {"grpo": {}, "ds": {"gamma_p": 0.05}}, "validation": {"problems": 10},
       "sweeps": {"ds": {"gamma_p": [0.01, 0.1], "gamma_n": [0, 0.05]}}}


def test_one_parse_and_one_validation_per_run(monkeypatch):
    parses, validated = [], []
    parse, validate = load.parse, hps.validate
    monkeypatch.setattr(load, "parse", lambda *a: parses.append(a[0].__name__) or parse(*a))
    monkeypatch.setattr(hps, "validate", lambda *a: validated.append(a[1]) or validate(*a))
    cfg = load.load_config(TOY)
    assert parses == ["Config"]  # train.lr, eval.*, every section: one strict parse
    assert sorted(validated) == ["ds"] * 5 + ["grpo"]  # grpo, ds, and ds's 4 grid points: once each
    runs = cfg.hyperparameters
    assert sorted(runs) == ["ds", "ds/gamma_p=0.01,gamma_n=0", "ds/gamma_p=0.01,gamma_n=0.05",
                            "ds/gamma_p=0.1,gamma_n=0", "ds/gamma_p=0.1,gamma_n=0.05", "grpo"]
    point = runs["ds/gamma_p=0.1,gamma_n=0"]
    assert point.gamma_p == 0.1 and point.gamma_n == 0  # the typed instance the hooks read
    # what a job receives: the values as the config gives them (an int stays an int)
    assert json.dumps(point.resolved()["gamma_n"]) == "0"
    assert cfg.typed.train.lr == cfg["train"]["lr"] == 0.0001
    assert load.load_config(cfg) is cfg and parses == ["Config"]  # a loaded config is not parsed again
