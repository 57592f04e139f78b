"""The checked-in schema and key reference are generated from divrl.settings, never edited."""

import re
import pytest

from divrl.config.load import load_config


from divrl.system.errors import ConfigError
REGENERATE = {
    "workflow/schemas/config.schema.yaml": ("divrl.settings.schema", "python -m divrl.settings.schema > workflow/schemas/config.schema.yaml"),
    "config/README.md": ("divrl.settings.docs", "python -m divrl.settings.docs > config/README.md"),
}


@pytest.mark.parametrize("path", list(REGENERATE))
def test_checked_in_file_is_the_generated_one(root, path):
    import importlib

    module, command = REGENERATE[path]
    want = importlib.import_module(module).text()
    assert (root / path).read_text() == want, f"{path} is stale: run `{command}`"


def test_the_package_schema_is_the_workflow_schema(root):
    # Snakemake validates against workflow/schemas/; the package reads its link
    assert (root / "src/divrl/config.schema.yaml").resolve() == (root / "workflow/schemas/config.schema.yaml").resolve()


def test_generated_schema_keeps_the_shapes_config_py_relies_on():
    from divrl.settings.schema import schema

    sch = schema()
    text = repr(sch)
    assert "title" not in sch["properties"]["train"] and "anyOf" not in text
    assert sch["properties"]["train"]["properties"]["loss_type"]["type"] == ["string", "null"]
    assert None in sch["properties"]["train"]["properties"]["loss_type"]["enum"]  # null is a value of it
    assert list(sch["$defs"]) == ["source"]
    assert sch["properties"]["datasets"]["type"] == ["object", "null"]


@pytest.mark.parametrize("bad,message", [
    ({"train": {"loss_type": None}}, None),
    ({"train": {"loss_type": "nope"}}, "train.loss_type: Input should be 'grpo', 'dr_grpo', 'dapo', 'bnpo' or 'cispo' (got 'nope')"),
    ({"train": {"steps": 10.0}}, "train.steps: Input should be a valid integer (got 10.0)"),  # strict: 10.0 is no int
    ({"paper": {"rows": [{"table": "T", "method": "grpo", "bench": "countdown", "metric": "pass_at_k"}]}}, "paper.rows.0: give the published number as `value` or as `range`"),
    ({"paper": {"rows": [{"table": "T", "method": "grpo", "bench": "countdown", "metric": "pass_at_k", "value": 1}]}}, None),
    ({"evaluate_models": {"Bad-Name": "org/model"}}, "evaluate_models.Bad-Name.[key]: String should match pattern"),
])
def test_generated_schema_accepts_and_refuses(bad, message):
    if message is None:
        load_config(bad)
        return
    with pytest.raises(ConfigError, match=re.escape(message)):
        load_config(bad)


def test_a_key_that_may_be_absent_gets_no_default():
    cfg = load_config({"task": "math", "datasets": {"train": [{"source": "a/b", "format": "math"}],
                                                 "test": {"t": {"source": "a/b", "format": "math"}}}})
    assert "eval" not in cfg["datasets"]["test"]["t"] and "in_average" not in cfg["datasets"]["test"]["t"]
    assert cfg["datasets"]["test"]["t"]["template"] == "r1_boxed"  # the $defs source's defaults are filled
