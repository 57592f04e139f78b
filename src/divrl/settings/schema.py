"""The config's JSON schema, generated from the settings, for the workflow catalog, editors
and `--lint` (divrl validates with the settings classes themselves: divrl.config.load).

    python -m divrl.settings.schema > workflow/schemas/config.schema.yaml

Pydantic's own schema is made readable: no `title`s; `anyOf: [X, {type: null}]` becomes
`type: [X, "null"]`; classes used once are inlined, and only `source` (both train and test sets) stays under
$defs; keys that may be absent (model.optional) lose the default and the null pydantic
gives them. tests/test_settings_schema.py keeps the checked-in file equal to this output.
"""

from __future__ import annotations

import sys

import yaml
from pydantic import TypeAdapter

from divrl.settings.model import ARGUMENT, NEUTRAL, OPTIONAL
from divrl.settings.run import Config

HEADER = (
    "# GENERATED from src/divrl/settings/ (one definition per key): do not edit by hand.\n"
    "# Regenerate: python -m divrl.settings.schema > workflow/schemas/config.schema.yaml\n"
)
# reading order of a key's keywords: what it is, its bounds, its default and meaning, then its parts
ORDER = ["$schema", "type", "enum", "minItems", "maxItems", "uniqueItems", "minimum", "exclusiveMinimum", "maximum",
         "exclusiveMaximum", "minLength", "minProperties", "propertyNames", "default", "description",
         "additionalProperties", "required", "oneOf", "items", "properties", "$ref", "$defs"]


def _refs(node, counts: dict) -> dict:
    if isinstance(node, dict):
        if "$ref" in node:
            name = node["$ref"].rsplit("/", 1)[-1]
            counts[name] = counts.get(name, 0) + 1
        for value in node.values():
            _refs(value, counts)
    elif isinstance(node, list):
        for value in node:
            _refs(value, counts)
    return counts


def _inline(node: dict, defs: dict, keep: set) -> dict:
    """A $ref to a class used once replaced by the class (the use's description and default win)."""
    name = node.get("$ref", "").rsplit("/", 1)[-1]
    if not name or name in keep:
        return node
    return {**{k: v for k, v in defs[name].items() if k != "title"}, **{k: v for k, v in node.items() if k != "$ref"}}


def _clean(node, defs: dict, keep: set):
    """One node, recursively: refs inlined or renamed, titles dropped, nullables folded."""
    if isinstance(node, list):
        return [_clean(v, defs, keep) for v in node]
    if not isinstance(node, dict):
        return node
    node = _inline({k: v for k, v in node.items() if k != "title"}, defs, keep)
    optional = node.pop(OPTIONAL, False)
    node.pop(NEUTRAL, None), node.pop(ARGUMENT, None)  # properties of the key for the code, not the schema
    branches = node.get("anyOf")
    if branches and len(branches) == 2 and {"type": "null"} in branches:
        other = _inline(next(b for b in branches if b != {"type": "null"}), defs, keep)
        del node["anyOf"]
        if optional:  # may be absent, but null is no value of it
            node = {**other, **node}
        else:
            node = {**other, **node, "type": [other["type"], "null"]}
            if "enum" in node:
                node["enum"] = [*node["enum"], None]
    if optional:
        node.pop("default", None)
    if "$ref" in node:
        node["$ref"] = "#/$defs/" + node["$ref"].rsplit("/", 1)[-1].lower()
    if len(node.get("patternProperties", {})) == 1 and "propertyNames" in node:
        # a map whose keys have a pattern (typed keys): the pattern is already propertyNames'
        node["additionalProperties"] = node.pop("patternProperties").popitem()[1]
    if node.get("additionalProperties") is True:
        del node["additionalProperties"]
    if node.get("items") == {}:
        del node["items"]
    out = {k: _clean(v, defs, keep) if k not in ("default", "enum", "required") else v for k, v in node.items()}
    return {k: out[k] for k in sorted(out, key=lambda k: ORDER.index(k) if k in ORDER else len(ORDER))}


def schema() -> dict:
    raw = TypeAdapter(Config).json_schema()
    defs = raw.pop("$defs", {})
    keep = {name for name, n in _refs([raw, defs], {}).items() if n > 1}
    out = {"$schema": "https://json-schema.org/draft/2020-12/schema", **_clean(raw, defs, keep)}
    if keep:
        out["$defs"] = {name.lower(): _clean(defs[name], defs, keep) for name in sorted(keep)}
    return out


class _Dumper(yaml.SafeDumper):
    pass


def _mapping(dumper, data):
    # a key on one line ({type: integer, minimum: 1, default: 1, description: …}) unless it has keys of its own
    leaf = "properties" not in data and not any(isinstance(v, dict) and ("properties" in v or "additionalProperties" in v)
                                                for v in data.values()) and "type" in data
    return dumper.represent_mapping("tag:yaml.org,2002:map", data.items(), flow_style=leaf)


def _sequence(dumper, data):
    flat = all(not isinstance(v, (dict, list)) for v in data)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=flat)


_Dumper.add_representer(dict, _mapping)
_Dumper.add_representer(list, _sequence)


def text() -> str:
    body = yaml.dump(schema(), Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100_000)
    return HEADER + body


def main() -> None:
    sys.stdout.write(text())


if __name__ == "__main__":
    main()
