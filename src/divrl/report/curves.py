"""Training curves from the trainers' logs (train_log.json of every method × seed)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from divrl.system import textio

# logged key -> (panel title, y label)
PANELS = {
    "accuracy": ("Training accuracy", "share of rollouts correct"),
    "entropy": ("Token entropy", "nats per token"),
    "completions/mean_length": ("Completion length", "tokens"),
    "frac_reward_zero_std": ("Groups without signal", "share of all-equal groups"),
}


def load_logs(paths: list[str | Path]) -> pd.DataFrame:
    """One row per (method, seed, step) with the PANELS metrics."""
    rows = []
    for path in paths:
        log = json.loads(textio.read_text(path))
        # every train_log.json names its method and seed (divrl.train.run.train)
        if "method" not in log or "seed" not in log:
            raise ValueError(f"report: {path}: no method and seed recorded (written by an older divrl): rerun its train job")
        method, seed = log["method"], log["seed"]
        for entry in log["log_history"]:
            if "step" in entry and any(k in entry for k in PANELS):
                rows.append({"method": method, "seed": seed, "step": entry["step"],
                             **{k: entry.get(k) for k in PANELS}})
    return pd.DataFrame(rows)
