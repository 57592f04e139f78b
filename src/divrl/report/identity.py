"""Which run a metrics file belongs to: method, base model, seed, test set (and hyperparameters).

The evaluate step writes them into metrics.json as its `identity` (divrl.workflow.layout builds
it for the rules and defines its keys; divrl.eval.evaluate.identity_section checks it with
`layout.from_dict` before writing), so a file says what it is wherever it lies: the report
tables, the scorecard and the sweep report all come here, and never read a path.
"""

from __future__ import annotations

import json
from pathlib import Path

from divrl.system import textio
from divrl.workflow.layout import Identity, from_dict


def of(path: str | Path, metrics: dict | None = None) -> Identity:
    """The identity of a metrics.json (read from `metrics` when the caller already loaded it)."""
    if metrics is None:
        try:
            metrics = json.loads(textio.read_text(path))
        except json.JSONDecodeError as err:
            raise ValueError(f"report: {path}: not JSON ({err.msg}, line {err.lineno}); rerun its evaluate job") from None
    ident = metrics.get("identity") if isinstance(metrics, dict) else None
    if ident is None:
        raise ValueError(f"report: {path}: no 'identity' (written by a divrl without one): rerun its evaluate job")
    return from_dict(ident, path)

