"""config/README.md: every configuration key with its type, default, bounds and meaning.

    python -m divrl.settings.docs > config/README.md

Written from the same schema Snakemake validates against (settings.schema), so the
reference cannot drift from the keys; tests/test_settings_schema.py keeps the checked-in
file equal to this output.
"""

from __future__ import annotations

import json
import sys

from divrl.settings.schema import schema

INTRO = """# Configuration keys

<!-- GENERATED from src/divrl/settings/ by `python -m divrl.settings.docs > config/README.md`: do not edit by hand. -->

Every key of a workflow config (config/config.yaml is the embedded toy; config/paper/ holds
the paper setups, config/sweeps/ overlays). Unknown keys are errors. Defaults equal the
toy's values, so a config that sets one key leaves the others as the toy has them.
"""

BOUNDS = [("minimum", "≥ {}"), ("exclusiveMinimum", "> {}"), ("maximum", "≤ {}"), ("exclusiveMaximum", "< {}"),
          ("minItems", "at least {} items"), ("maxItems", "at most {} items"), ("minProperties", "at least {} entries"),
          ("minLength", "not empty"), ("uniqueItems", "no repeats")]


def _type(node: dict) -> str:
    if "$ref" in node:
        return "source (below)"
    kinds = node.get("type", "any")
    kinds = kinds if isinstance(kinds, list) else [kinds]
    words = []
    for kind in kinds:
        if kind == "array":
            items = node.get("items")
            words.append(f"list of {_type(items)}" if items else "list")
        elif kind == "object" and isinstance(node.get("additionalProperties"), dict):
            words.append(f"map of name → {_type(node['additionalProperties'])}")
        else:
            words.append(kind)
    text = " or ".join(words)
    if "enum" in node:
        text += ": " + ", ".join(json.dumps(v) if not isinstance(v, str) else v for v in node["enum"])
    return text


def _bounds(node: dict) -> str:
    out = [fmt.format(node[key]) for key, fmt in BOUNDS if key in node and node[key] is not False]
    items = node.get("items") or {}
    out += [f"each {fmt.format(items[key])}" for key, fmt in BOUNDS[:4] if key in items]
    if "propertyNames" in node:
        out.append(f"names match `{node['propertyNames']['pattern']}`")
    return ", ".join(out)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _default(node: dict, required: bool) -> str:
    if "default" in node:
        return f"`{json.dumps(node['default'], ensure_ascii=False)}`"
    return "required" if required else "(unset)"


def _sections(path: str, node: dict, out: list) -> None:
    """One table per object with keys of its own, then its sub-sections in key order."""
    props = node.get("properties", {})
    rows, nested = [], []
    for key, sub in props.items():
        if "properties" in sub:
            nested.append((f"{path}.{key}" if path else key, sub))
        elif isinstance(sub.get("items"), dict) and "properties" in sub["items"]:
            nested.append((f"{path}.{key}[]" if path else f"{key}[]", {**sub["items"], "description": sub.get("description")}))
        rows.append(f"| `{key}` | {_cell(_type(sub))} | {_cell(_default(sub, key in node.get('required', [])))} | "
                    f"{_cell(_bounds(sub))} | {_cell(sub.get('description', ''))} |")
    out.append(f"\n## {path or 'Top level'}\n")
    if path and node.get("description"):
        out.append(node["description"].strip() + "\n")
    out += ["| key | type | default | bounds | description |", "|---|---|---|---|---|", *rows]
    for sub_path, sub in nested:
        _sections(sub_path, sub, out)


def text() -> str:
    sch = schema()
    out = [INTRO]
    _sections("", sch, out)
    for name, node in sch.get("$defs", {}).items():
        _sections(name, node, out)
    # what `methods.NAME` takes comes from each method's own hyperparameter class
    from divrl.methods import describe_markdown

    out.append("\n" + describe_markdown().strip())
    return "\n".join(out) + "\n"


def main() -> None:
    sys.stdout.write(text())


if __name__ == "__main__":
    main()
