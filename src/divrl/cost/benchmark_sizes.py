"""Problems in each test set, for the cost estimate, before anything is downloaded.

In order: the data step's file (results/data/test/NAME.jsonl, once `data` has run), the
set's max_rows, the known size of the standard benchmarks below, else unknown (the
estimate names it as not counted). Filters (dedupe, max_prompt_tokens) may drop a few rows.
"""

from __future__ import annotations

import os

# (hub id, config name, split) or the pinned file's sha256 -> rows, from each data set's hub page
# (row count of the split) or, for the pinned file, its line count.
STANDARD = {
    ("HuggingFaceH4/aime_2024", None, "train"): 30,
    ("math-ai/aime25", None, "test"): 30,
    ("knoveleng/AMC-23", None, "train"): 40,
    ("math-ai/amc23", None, "test"): 40,
    ("HuggingFaceH4/MATH-500", None, "test"): 500,
    ("knoveleng/Minerva-Math", None, "train"): 272,
    ("knoveleng/OlympiadBench", None, "train"): 675,
    ("Hothan/OlympiadBench", "OE_TO_maths_en_COMP", "train"): 675,
    ("openai/gsm8k", "main", "test"): 1319,
    ("Jiayi-Pan/Countdown-Tasks-3to4", None, "train"): 490364,
    # Qwen2.5-Math evaluation/data/college_math/test.jsonl at a45202bd (config/paper/r1_zero_div.yaml)
    "91131bc4a355b884fc63ef7c4f048c35adb030004a4cb07b1475698f120aa4a6": 2818,
}


def _standard_rows(spec: dict) -> int | None:
    if spec.get("sha256") in STANDARD:
        return STANDARD[spec["sha256"]]
    return STANDARD.get((spec.get("source"), spec.get("name"), spec.get("split")))


def problems_per_test_set(cfg: dict) -> dict[str, tuple[int | None, str]]:
    """Test set name -> (problems or None, where the number comes from)."""
    if not cfg["datasets"]:
        return {cfg["task"]: (cfg["data"]["n_test"], "data.n_test")}
    out = {}
    for name, spec in cfg["datasets"]["test"].items():
        path = os.path.join(cfg["results"], "data", "test", f"{name}.jsonl")
        if os.path.isfile(path):
            with open(path, "rb") as fh:
                out[name] = (sum(1 for line in fh if line.strip()), "data step")
            continue
        known = _standard_rows(spec)
        if known is not None:
            known = max(0, known - (spec.get("offset") or 0))
        if spec.get("max_rows") is not None:
            rows = spec["max_rows"] if known is None else min(spec["max_rows"], known)
            out[name] = (rows, "max_rows")
        else:
            out[name] = (known, "standard size" if known is not None else "unknown")
    return out
