"""Hub-layout fixtures of the evaluation sets DRA-GRPO loads; written by make_hub_fixtures.py."""

from __future__ import annotations

import pyarrow as pa
from make_hub_fixtures import ROOT, default_config, parquet, readme


def knoveleng_evals() -> None:
    """The three evaluation sets DRA-GRPO's evaluate.py loads (split train, default config)."""
    olympiad = ROOT / "knoveleng" / "OlympiadBench"
    readme(olympiad, default_config(("train", "data/train-*")))
    schema = pa.schema([("id", pa.int64()), ("question", pa.string()), ("solution", pa.string()), ("answer", pa.string())])
    parquet(olympiad / "data" / "train-00000-of-00001.parquet", [
        {"id": 1606, "question": "Find the smallest positive integer $n$ such that $n^2 > 50$.",
         "solution": "Since $7^2 = 49$ and $8^2 = 64$, $n = 8$.", "answer": "$8$"},
        {"id": 1609, "question": "Compute $\\sin^2 30^\\circ$.", "solution": "$\\sin 30^\\circ = 1/2$.",
         "answer": "$\\frac{1}{4}$."},
        {"id": 1610, "question": "Find $x$ with $3x = 1$.", "solution": "$x = 1/3$.", "answer": "$\\frac{1}{3}$"},
    ], schema)
    amc = ROOT / "knoveleng" / "AMC-23"
    readme(amc, default_config(("train", "data/train-*")))
    schema = pa.schema([("id", pa.int64()), ("problem", pa.string()), ("answer", pa.float64()),
                        ("url", pa.string()), ("question", pa.string())])
    parquet(amc / "data" / "train-00000-of-00001.parquet", [
        {"id": 0, "problem": "What is $3 + 4 \\cdot 6$?", "answer": 27.0, "url": "https://example.org/amc/0",
         "question": "What is $3 + 4 \\cdot 6$?"},
        {"id": 1, "problem": "What is $\\frac{3}{4}$ of $2$?", "answer": 1.5, "url": "https://example.org/amc/1",
         "question": "What is $\\frac{3}{4}$ of $2$?"},
        {"id": 2, "problem": "A square has area $49$. What is its perimeter?", "answer": 28.0,
         "url": "https://example.org/amc/2", "question": "A square has area $49$. What is its perimeter?"},
    ], schema)
    minerva = ROOT / "knoveleng" / "Minerva-Math"
    readme(minerva, default_config(("train", "data/train-*")))
    schema = pa.schema([("problem", pa.string()), ("solution", pa.string()), ("type", pa.string()), ("idx", pa.int64())])
    parquet(minerva / "data" / "train-00000-of-00001.parquet", [
        {"problem": "A ratio of slopes is $-2/6$. Give it as a decimal fraction.",
         "solution": "The ratio is $\\boxed{-1./3}$.", "type": "Physical Chemistry (3.091)", "idx": 0},
        {"problem": "What is the frequency, in Hz, of a wave with period $0.5$ s?",
         "solution": "$f = 1/T = \\boxed{2}$.", "type": "Physics", "idx": 1},
        {"problem": "Compute the kinetic energy, in J, of a $2$ kg mass moving at $3$ m/s.",
         "solution": "$\\frac{1}{2} m v^2 = \\boxed{9.}$", "type": "Physics", "idx": 2},
    ], schema)
