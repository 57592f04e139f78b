"""Which run a metrics file belongs to: method, base model, seed, test set (and hyperparameters).

The evaluate step writes them into metrics.json as
    "identity": {"method": str ("base" for the base model), "run": str (the run's folder
                 name: METHOD, or METHOD/P=V,… for a sweep grid point), "seed": int | null,
                 "base_seed": int | null (the base model a run was trained from, and which
                 base model a "base" row is; null for published checkpoints and files
                 written before the base model became a factor), "test_set": str,
                 "params": {hyperparameters}, "model": str}
(workflow/rules/common.smk builds it; divrl.eval.evaluate.identity_section checks it with
`from_dict` below before writing), so a file says what it is wherever it lies. Result folders written before that have no
`identity`; for them alone the layout the workflow writes is read instead, by the one
pattern below (the report tables, the scorecard and the sweep report all come here).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

from divrl.system import textio

# …/eval/METHOD[/baseB]/seedS[/SET]/FILE or …/eval/base[/baseB/SET | /SET]/FILE (train/ for training
# logs; baseB of the base model always has a SET below it, so an old test set named base0 stays
# a test set); a sweep grid point's METHOD is two folders, METHOD/P=V,… (its second holds "=").
# The last eval/ or train/ counts, so a results folder that itself lies below a folder named
# eval/ is harmless.
_LAYOUT = re.compile(
    r"(?:^|/)(?:eval|train)/(?:base(?:/base(?P<base_model>\d+)(?=/[^/]+/[^/]+$))?|(?P<run>[^/]+(?:/[^/]*=[^/]*)?)"
    r"(?:/base(?P<base>\d+))?/seed(?P<seed>\d+))(?:/(?P<set>[^/]+))?/[^/]+$"
)
# the test set of the first layout, which had no SET folder
OLD_TEST_SET = "test"


@dataclass(frozen=True)
class Identity:
    """method: registry name, "base" or a published checkpoint's name; run: the run's folder name
    (METHOD, or METHOD/P=V,… for a sweep grid point); base_seed: the base model (None: published,
    or unknown in old files); params: None when unknown (old files)."""

    method: str
    seed: int | None
    test_set: str
    run: str
    params: dict | None = field(default=None, compare=False)
    base_seed: int | None = None


def of(path: str | Path, metrics: dict | None = None) -> Identity:
    """The identity of a metrics.json (read from `metrics` when the caller already loaded it)."""
    if metrics is None:
        try:
            metrics = json.loads(textio.read_text(path))
        except json.JSONDecodeError as err:
            raise ValueError(f"report: {path}: not JSON ({err.msg}, line {err.lineno}); rerun its evaluate job") from None
    ident = metrics.get("identity") if isinstance(metrics, dict) else None
    return from_dict(ident, path) if ident is not None else from_layout(path)


def from_dict(ident, path: str | Path = "metrics.json", who: str = "report") -> Identity:
    """An `identity` section, checked: a wrong type names the file and the key.
    who: the verb named in errors (the writer checks with the same rules)."""
    if not isinstance(ident, dict):
        raise ValueError(f"{who}: {path}: 'identity' must be an object (got {type(ident).__name__})")
    for key, kinds in (("method", str), ("test_set", str), ("seed", (int, type(None)))):
        if key not in ident:
            raise ValueError(f"{who}: {path}: identity lacks {key!r} (rerun its evaluate job)")
        if not isinstance(ident[key], kinds) or isinstance(ident[key], bool):
            raise ValueError(f"{who}: {path}: identity.{key} has the wrong type ({ident[key]!r})")
    base_seed = ident.get("base_seed")  # absent in files written before it existed: unknown
    if base_seed is not None and (not isinstance(base_seed, int) or isinstance(base_seed, bool) or base_seed < 0):
        raise ValueError(f"{who}: {path}: identity.base_seed must be a non-negative integer or null (got {base_seed!r})")
    if (ident["method"] == "base") != (ident["seed"] is None):
        raise ValueError(f"{who}: {path}: identity gives seed {ident['seed']} to method {ident['method']!r} "
                         "(the base model has no seed; a trained run has one)")
    params = ident.get("params")
    return Identity(ident["method"], ident["seed"], ident["test_set"], ident.get("run") or ident["method"],
                    dict(params) if isinstance(params, dict) else None, base_seed)


def from_layout(path: str | Path) -> Identity:
    """For files without `identity` only: read method, seed and test set from the folder layout."""
    m = _LAYOUT.search(Path(path).as_posix())
    if not m:
        raise ValueError(f"report: cannot tell method and seed from path {path} (no 'identity' in the file and not "
                         "…/eval/METHOD/baseB/seedS/SET/metrics.json or …/eval/base/baseB/SET/metrics.json)")
    test_set = m["set"] or OLD_TEST_SET
    if m["run"] is None:
        b = m["base_model"]
        return Identity("base", None, test_set, "base", base_seed=None if b is None else int(b))
    b = m["base"]
    return Identity(m["run"].split("/")[0], int(m["seed"]), test_set, m["run"], base_seed=None if b is None else int(b))
