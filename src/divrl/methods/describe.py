"""Method documentation generated from the registry and the hyperparameter classes, so the
`divrl methods` listing and config/README.md can never disagree with the code.
"""

from __future__ import annotations

from divrl.methods import hyperparameters as hps
from divrl.methods.registry import Method, composer_prefixes, get, names


def rows(method: Method) -> list[dict]:
    """One dict per hyperparameter: name, type, default, bounds, fixed, help."""
    cls = method.hyperparameters
    return [
        {
            "name": key,
            "type": hps.type_name(f.annotation),
            "default": f.default,
            "bounds": hps.bounds(f),
            "fixed": hps.is_fixed(cls, key),
            "help": f.description or "",
        }
        for key, f in cls.model_fields.items()
    ]


def _composers_line() -> str:
    return ", ".join(f"{p}<method>" for p in composer_prefixes())


def describe() -> str:
    """Plain text: every method, its summary, paper and loss, then its hyperparameters."""
    lines = []
    for name in names():
        m = get(name)
        lines.append(f"{name}: {m.summary}")
        lines.append(f"    paper: {m.paper}; loss: {m.loss_type}")
        for r in rows(m):
            extra = "; ".join(x for x in (r["bounds"], "fixed" if r["fixed"] else "") if x)
            extra = f" ({extra})" if extra else ""
            lines.append(f"    {r['name']}: {r['type']} = {r['default']!r}{extra} — {r['help']}")
        if not rows(m):
            lines.append("    (no hyperparameters)")
    lines.append(f"{_composers_line()}: DRA composed with any method above (e.g. dra_dapo): "
                 "that method's hyperparameters plus adjust_uniform_groups")
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|")


def describe_markdown() -> str:
    """A markdown section (one table per method) for config/README.md."""
    out = ["## Methods and their hyperparameters", "",
           "Set under `methods:` as `<method>: {<hyperparameter>: <value>}`; `{}` takes the defaults. "
           "Generated from `divrl.methods` (`divrl methods` prints the same).", ""]
    for name in names():
        m = get(name)
        out += [f"### `{name}`", "", f"{m.summary}. Paper: {m.paper}; TRL loss_type: `{m.loss_type}`.", ""]
        table = rows(m)
        if not table:
            out += ["No hyperparameters.", ""]
            continue
        out += ["| hyperparameter | type | default | bounds | help |", "|---|---|---|---|---|"]
        for r in table:
            bounds = "fixed" if r["fixed"] else (r["bounds"] or "-")
            out.append(f"| `{r['name']}` | {_cell(r['type'])} | `{r['default']!r}` | {_cell(bounds)} | {_cell(r['help'])} |")
        out.append("")
    out += [f"`{_composers_line()}`: DRA composed with any method above (e.g. `dra_dapo`): "
            "that method's hyperparameters plus `adjust_uniform_groups`.", ""]
    return "\n".join(out)
