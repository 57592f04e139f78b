"""One sampling budget per test set: the report never puts N = 512 beside N = 1,024.

Every metrics.json records the eval spec it was sampled with (`spec`, and `n`). A file made
by hand (`divrl evaluate` with other settings) onto a path the workflow owns looks up to date
to Snakemake (only its time changed), so the report would mix budgets under one caption.
`check` refuses that in one line naming the files, in two ways:
- against the config (the workflow passes each test set's eval settings as --eval-specs):
  a file sampled otherwise is named with the key, its value and the config's;
- among the files themselves (by hand, without --eval-specs): one test set, one budget.
Only keys that change the samples or the metrics count; batch size, engine memory,
shards and device change no number.
"""

from __future__ import annotations

import json
from pathlib import Path

from divrl.report import identity
from divrl.settings.evaluation import PER_TEST_SET

# what decides a file's samples and metrics (PER_TEST_SET: the keys a test set may set itself)
BUDGET_KEYS = (*PER_TEST_SET, "seed", "embedding_model", "sequential", "first_round")
FIX = "delete the file(s) and rerun snakemake to evaluate them again with the config's eval section"


def budget_of(path: str | Path, metrics: dict) -> dict:
    """The budget keys a metrics file records (`n` always; old files may lack `spec`)."""
    spec = metrics.get("spec") if isinstance(metrics.get("spec"), dict) else {}
    out = {key: spec[key] for key in BUDGET_KEYS if key in spec}
    if "n" in metrics:
        out["n_samples"] = metrics["n"]  # what was drawn, whatever the spec says
    return out


def _read(path: str | Path) -> dict:
    from divrl.report.collect import read_metrics

    return read_metrics(path, ("n",))


def _words(budget: dict, keys) -> str:
    return ", ".join(f"{key}={budget.get(key)!r}" for key in keys)


def _files(paths: list, shown: int = 2) -> str:
    names = ", ".join(str(p) for p in paths[:shown])
    return names + (f" and {len(paths) - shown} more" if len(paths) > shown else "")


def check(paths: list[str | Path], expected: dict[str, dict] | None = None) -> None:
    """ValueError (one line) if a test set's files differ in budget, or differ from `expected`
    ({test set: eval section}; a set it does not name is checked among its files only)."""
    by_set: dict[str, list[tuple[Path, dict]]] = {}
    for path in paths:
        m = _read(path)
        by_set.setdefault(identity.of(path, m).test_set, []).append((Path(path), budget_of(path, m)))
    for name, files in by_set.items():
        want = (expected or {}).get(name)
        if want is not None:
            _against_config(name, files, {k: want[k] for k in BUDGET_KEYS if k in want})
        _among_files(name, files)


def _against_config(name: str, files: list[tuple[Path, dict]], want: dict) -> None:
    odd = [(p, [k for k in want if k in b and b[k] != want[k]]) for p, b in files]
    odd = [(p, keys) for p, keys in odd if keys]
    if odd:
        path, keys = odd[0]
        got = dict(files)[path]
        raise ValueError(
            f"report: test set {name}: {_files([p for p, _ in odd])} sampled with {_words(got, keys)} where the config "
            f"says {_words(want, keys)} (evaluated by hand or under another config): {FIX}")


def _among_files(name: str, files: list[tuple[Path, dict]]) -> None:
    keys = [k for k in BUDGET_KEYS if all(k in b for _, b in files)]  # compare what every file records
    groups: dict[str, list[Path]] = {}
    for path, budget in files:
        groups.setdefault(json.dumps({k: budget[k] for k in keys}, sort_keys=True, default=str), []).append(path)
    if len(groups) > 1:
        budgets = {g: json.loads(g) for g in groups}
        differ = [k for k in keys if len({json.dumps(b[k]) for b in budgets.values()}) > 1]
        parts = [f"{_words(budgets[g], differ)} in {_files(ps)}" for g, ps in groups.items()]
        raise ValueError(f"report: test set {name} mixes sampling budgets: {'; '.join(parts)}: {FIX}")
