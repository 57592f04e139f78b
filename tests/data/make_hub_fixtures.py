"""Write tiny copies of the papers' hub data sets, in each hub repository's own layout.

Each fixture under tests/data/hub/<org>/<dataset>/ has the hub repo's file names, its
README YAML `configs:` block (where the hub repo has one) and its exact column names
and Arrow types, but 3-6 rows of our own text. Some rows are deliberately malformed
or duplicated so the filters' counts are exercised. What is confirmed about each
layout and what is guessed is documented in divrl.data.formats.

Re-run after editing:  .venv/bin/python tests/data/make_hub_fixtures.py
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

ROOT = Path(__file__).resolve().parent / "hub"

MESSAGES = pa.list_(pa.struct([("content", pa.string()), ("role", pa.string())]))
REWARD_MODEL = pa.struct([("ground_truth", pa.string()), ("style", pa.string())])
EXTRA_INFO = pa.struct([("index", pa.string())])
DAPO_PREFIX = (
    "Solve the following math problem step by step. The last line of your response should be of "
    "the form Answer: $Answer (without quotes) where $Answer is the answer to the problem.\n\n"
)
DAPO_SUFFIX = '\n\nRemember to put your answer on its own line after "Answer:".'


def parquet(path: Path, rows: list[dict], schema: pa.Schema) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist(rows, schema=schema)
    pq.write_table(table, path, compression="zstd", write_statistics=False)


def jsonl(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def readme(folder: Path, yaml: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "README.md").write_text(f"---\n{yaml.strip()}\n---\n\nTest fixture in the hub layout.\n")


def default_config(*splits: tuple[str, str]) -> str:
    lines = ["configs:", "- config_name: default", "  data_files:"]
    for split, path in splits:
        lines += [f"  - split: {split}", f"    path: {path}"]
    return "\n".join(lines)


def gsm8k() -> None:
    d = ROOT / "openai" / "gsm8k"
    readme(d, """
configs:
- config_name: main
  data_files:
  - split: train
    path: main/train-*
  - split: test
    path: main/test-*
""")
    schema = pa.schema([("question", pa.string()), ("answer", pa.string())])
    train = [
        {"question": "Tom has 3 apples and buys 4 more. How many apples does he have?",
         "answer": "Tom has 3 + 4 = <<3+4=7>>7 apples.\n#### 7"},
        {"question": "A box holds 12 pens. How many pens are in 100 boxes?",
         "answer": "100 boxes hold 12 * 100 = <<12*100=1200>>1200 pens.\n#### 1,200"},
        {"question": "Sara reads 5 pages a day. How many pages does she read in a week?",
         "answer": "She reads 5 * 7 = 35 pages."},  # malformed: no '####'
        {"question": "tom has 3 apples and buys 4 more.  How many apples does he have?",
         "answer": "3 + 4 = 7\n#### 7"},  # duplicate of row 0 up to case/whitespace
        {"question": "A train travels 60 km per hour for 2 hours. How far does it go?",
         "answer": "60 * 2 = <<60*2=120>>120 km.\n#### 120"},
    ]
    test = [
        {"question": "Ann has 10 coins and spends 4. How many are left?", "answer": "10 - 4 = 6\n#### 6"},
        {"question": "Each of 3 cats eats 2 fish. How many fish in total?", "answer": "3 * 2 = 6\n#### 6"},
    ]
    parquet(d / "main" / "train-00000-of-00001.parquet", train, schema)
    parquet(d / "main" / "test-00000-of-00001.parquet", test, schema)


def math500() -> None:
    d = ROOT / "HuggingFaceH4" / "MATH-500"
    readme(d, default_config(("test", "test.jsonl")))
    jsonl(d / "test.jsonl", [
        {"problem": "What is $\\frac{1}{2} + \\frac{1}{3}$?", "solution": "The sum is $\\boxed{\\frac{5}{6}}$.",
         "answer": "\\frac{5}{6}", "subject": "Prealgebra", "level": 1, "unique_id": "test/prealgebra/1.json"},
        {"problem": "Solve $2x + 3 = 11$ for $x$.", "solution": "So $x = \\boxed{4}$.",
         "answer": "4", "subject": "Algebra", "level": 2, "unique_id": "test/algebra/2.json"},
        {"problem": "How many positive divisors does $12$ have?", "solution": "They are 1,2,3,4,6,12: $\\boxed{6}$.",
         "answer": "6", "subject": "Number Theory", "level": 2, "unique_id": "test/number_theory/3.json"},
    ])


def math12k() -> None:
    d = ROOT / "hiyouga" / "math12k"
    readme(d, default_config(("train", "data/train-*"), ("test", "data/test-*")))
    schema = pa.schema([("problem", pa.string()), ("answer", pa.string())])
    parquet(d / "data" / "train-00000-of-00001.parquet", [
        {"problem": "Compute $7 \\cdot 8$.", "answer": "56"},
        {"problem": "What is the square root of $81$?", "answer": "9"},
        {"problem": "Simplify $\\frac{6}{8}$.", "answer": "\\frac{3}{4}"},
    ], schema)
    parquet(d / "data" / "test-00000-of-00001.parquet", [
        {"problem": "Evaluate $2^5$.", "answer": "32"},
    ], schema)


def open_rs() -> None:
    d = ROOT / "knoveleng" / "open-rs"
    readme(d, default_config(("train", "data/train-*")))
    schema = pa.schema([("problem", pa.string()), ("solution", pa.string()),
                        ("answer", pa.string()), ("level", pa.string())])
    parquet(d / "data" / "train-00000-of-00001.parquet", [
        {"problem": "Find the remainder when $2^{10}$ is divided by $7$.",
         "solution": "$2^3 \\equiv 1$, so $2^{10} \\equiv 2$. $\\boxed{2}$", "answer": "2", "level": "3"},
        {"problem": "What is the sum of the interior angles of a hexagon, in degrees?",
         "solution": "$(6-2) \\cdot 180 = \\boxed{720}$", "answer": "720", "level": "2"},
        {"problem": "Let $f(x) = x^2$. Find $f(3)$.", "solution": "$\\boxed{9}$", "answer": "", "level": "1"},  # malformed: empty answer
    ], schema)


def aime24() -> None:
    d = ROOT / "HuggingFaceH4" / "aime_2024"
    readme(d, default_config(("train", "data/train-*")))
    schema = pa.schema([("id", pa.int64()), ("problem", pa.string()), ("solution", pa.string()),
                        ("answer", pa.string()), ("url", pa.string()), ("year", pa.string())])
    parquet(d / "data" / "train-00000-of-00001.parquet", [
        {"id": 60, "problem": "Find the number of ordered pairs of positive integers $(a,b)$ with $a+b=10$.",
         "solution": "$a$ ranges over $1..9$, so $\\boxed{009}$.", "answer": "009",
         "url": "https://example.org/aime/1", "year": "2024"},
        {"id": 61, "problem": "Find the last three digits of $5^{5}$.", "solution": "$3125$, so $\\boxed{125}$.",
         "answer": "125", "url": "https://example.org/aime/2", "year": "2024"},
        {"id": 62, "problem": "How many subsets does a $4$-element set have?", "solution": "$2^4=\\boxed{016}$",
         "answer": "016", "url": "https://example.org/aime/3", "year": "2024"},
    ], schema)


def amc23() -> None:
    d = ROOT / "math-ai" / "amc23"
    readme(d, "language:\n- en\n" + default_config(("test", "test-*")))
    schema = pa.schema([("id", pa.int64()), ("question", pa.string()), ("answer", pa.float64())])
    parquet(d / "test-00000-of-00001.parquet", [
        {"id": 0, "question": "What is $3 + 4 \\cdot 6$?", "answer": 27.0},
        {"id": 1, "question": "A square has area $49$. What is its perimeter?", "answer": 28.0},
        {"id": 2, "question": "What is $\\frac{3}{4}$ of $2$?", "answer": 1.5},
    ], schema)


def minerva() -> None:
    d = ROOT / "math-ai" / "minervamath"
    readme(d, "language:\n- en\n" + default_config(("test", "test*")))
    jsonl(d / "test.jsonl", [
        {"question": "A ball falls from rest for $2$ s with $g = 10\\,\\mathrm{m/s^2}$. What speed does it reach, in m/s?",
         "answer": "20"},
        {"question": "What is the frequency, in Hz, of a wave with period $0.5$ s?", "answer": "2"},
        {"question": "Compute the kinetic energy, in J, of a $2$ kg mass moving at $3$ m/s.", "answer": "9"},
    ])


def olympiadbench() -> None:
    d = ROOT / "Hothan" / "OlympiadBench"
    config = "OE_TO_maths_en_COMP"
    readme(d, f"configs:\n- config_name: {config}\n  data_files: OlympiadBench/{config}/{config}.parquet")
    schema = pa.schema([
        ("id", pa.int64()), ("question", pa.string()), ("solution", pa.list_(pa.string())),
        ("final_answer", pa.list_(pa.string())), ("context", pa.string()), ("modality", pa.string()),
        ("difficulty", pa.string()), ("is_multiple_answer", pa.bool_()), ("unit", pa.string()),
        ("answer_type", pa.string()), ("error", pa.string()), ("question_type", pa.string()),
        ("subfield", pa.string()), ("subject", pa.string()), ("language", pa.string()),
    ])
    common = {"context": None, "modality": "Text-only", "difficulty": "Competition", "unit": None,
              "error": None, "question_type": "Open-ended", "subject": "Math", "language": "English"}
    parquet(d / "OlympiadBench" / config / f"{config}.parquet", [
        {**common, "id": 1606, "question": "Find the smallest positive integer $n$ such that $n^2 > 50$.",
         "solution": ["Since $7^2 = 49$ and $8^2 = 64$, $n = 8$."], "final_answer": ["$8$."],  # "$.": as some golds end
         "is_multiple_answer": False, "answer_type": "Numerical", "subfield": "Number Theory"},
        {**common, "id": 1607, "question": "Find all real $x$ with $x^2 = 4$.",
         "solution": ["$x = 2$ or $x = -2$."], "final_answer": ["$2$", "$-2$"],
         "is_multiple_answer": True, "answer_type": "Numerical", "subfield": "Algebra"},
        {**common, "id": 1608, "question": "Prove nothing; this row lost its answer.",
         "solution": [], "final_answer": [], "is_multiple_answer": False,  # malformed: no final answer
         "answer_type": "Numerical", "subfield": "Algebra"},
    ], schema)


def college_math() -> None:
    # Qwen2.5-Math's evaluation folder (a GitHub repo, not a hub data set): no README.
    d = ROOT / "QwenLM" / "Qwen2.5-Math" / "evaluation" / "data" / "college_math"
    jsonl(d / "test.jsonl", [
        {"data_source": "college_math.calculus", "question_number": "1", "license": "fixture",
         "data_topic": "college_math.calculus", "question": "Compute $\\int_0^1 2x\\,dx$.", "answer": "$1$"},
        {"data_source": "college_math.linear_algebra", "question_number": "2", "license": "fixture",
         "data_topic": "college_math.linear_algebra",
         "question": "What is the determinant of the $2\\times 2$ identity matrix?", "answer": "$1$"},
        {"data_source": "college_math.calculus", "question_number": "3", "license": "fixture",
         "data_topic": "college_math.calculus", "question": "Find $\\frac{d}{dx} x^3$ at $x = 1$.", "answer": "$3$"},
    ])


def aime25() -> None:
    d = ROOT / "math-ai" / "aime25"
    readme(d, default_config(("test", "test*")))
    jsonl(d / "test.jsonl", [
        {"problem": "Find the number of positive divisors of $2025$.", "answer": "15", "id": "0"},
        {"problem": "Find the remainder when $3^{7}$ is divided by $1000$.", "answer": "187", "id": "1"},
        {"problem": "How many two-digit primes end in $7$?", "answer": "5", "id": "2"},
    ])


def _dapo_row(problem: str, answer: str, index: str) -> dict:
    return {
        "data_source": "math_dapo",
        "prompt": [{"content": DAPO_PREFIX + problem + DAPO_SUFFIX, "role": "user"}],
        "ability": "MATH",
        "reward_model": {"ground_truth": answer, "style": "rule-lighteval/MATH_v2"},
        "extra_info": {"index": index},
    }


DAPO_PROBLEMS = [
    ("Find the largest integer $n$ with $n^2 < 30$.", "5"),
    ("What is $1 + 2 + \\cdots + 10$?", "55"),
    ("\u6c42 $1+1$ \u7684\u503c\u3002", "2"),  # a Chinese problem: non_english
]


def dapo_original() -> None:
    d = ROOT / "BytedTsinghua-SIA" / "DAPO-Math-17k"
    # The hub card carries metadata only; the single data/ file becomes the train split.
    readme(d, "license: apache-2.0\ntask_categories:\n- text-generation\nlanguage:\n- en\ntags:\n- math")
    schema = pa.schema([("data_source", pa.string()), ("prompt", MESSAGES), ("ability", pa.string()),
                        ("reward_model", REWARD_MODEL), ("extra_info", EXTRA_INFO)])
    (a, ans_a), (b, ans_b), (c, ans_c) = DAPO_PROBLEMS
    rows = [_dapo_row(a, ans_a, "id-a1"), _dapo_row(b, ans_b, "id-b1"), _dapo_row(a, ans_a, "id-a2"),
            _dapo_row(c, ans_c, "id-c1"), _dapo_row(b, ans_b, "id-b2"), _dapo_row(a, ans_a, "id-a3")]
    parquet(d / "data" / "dapo-math-17k.parquet", rows, schema)


def dapo_processed() -> None:
    d = ROOT / "open-r1" / "DAPO-Math-17k-Processed"
    readme(d, "\n".join(
        ["configs:"] + [f"- config_name: {c}\n  data_files:\n  - split: train\n    path: {c}/train-*"
                        for c in ("all", "cn", "en")]))
    schema = pa.schema([("prompt", pa.string()), ("solution", pa.string()), ("data_source", pa.string()),
                        ("source_prompt", MESSAGES), ("ability", pa.string()),
                        ("reward_model", REWARD_MODEL), ("extra_info", EXTRA_INFO)])

    def row(problem: str, answer: str, index: str) -> dict:
        raw = _dapo_row(problem, answer, index)
        return {"prompt": problem, "solution": answer, "data_source": raw["data_source"],
                "source_prompt": raw["prompt"], "ability": raw["ability"],
                "reward_model": raw["reward_model"], "extra_info": raw["extra_info"]}

    (a, ans_a), (b, ans_b), (c, ans_c) = DAPO_PROBLEMS
    en = [row(a, ans_a, "id-a1"), row(b, ans_b, "id-b1"),
          row("Compute $12 \\cdot 12$.", "144", "id-d1")]
    cn = [row(c, ans_c, "id-c1")]
    parquet(d / "en" / "train-00000-of-00001.parquet", en, schema)
    parquet(d / "cn" / "train-00000-of-00001.parquet", cn, schema)
    parquet(d / "all" / "train-00000-of-00001.parquet", en + cn, schema)


def countdown() -> None:
    d = ROOT / "Jiayi-Pan" / "Countdown-Tasks-3to4"
    readme(d, default_config(("train", "data/train-*")))
    schema = pa.schema([("target", pa.int64()), ("nums", pa.list_(pa.int64()))])
    parquet(d / "data" / "train-00000-of-00001.parquet", [
        {"target": 98, "nums": [44, 19, 35]},
        {"target": 64, "nums": [63, 95, 96]},
        {"target": 28, "nums": [2, 3, 4, 5]},
        {"target": 50, "nums": None},  # malformed: no numbers
        {"target": None, "nums": [1, 2, 3]},  # malformed: no target
    ], schema)


def _kk_row(quiz: str, names: list[str], solution: list[bool], statements: str, index: int) -> dict:
    roles = ["knight" if s else "knave" for s in solution]
    return {
        "quiz": quiz,
        "names": names,
        "knight_knave": {"Knave": "Knave", "Knight": "Knight", "a_knave": "a knave",
                         "a_knight": "a knight", "knave": "knave", "knight": "knight"},
        "solution": solution,
        "solution_text": ", ".join(f"{n} is a {r}" for n, r in zip(names, roles)) + ".",
        "solution_text_format": "\n".join(f"({k}) {n} is a {r}" for k, (n, r) in enumerate(zip(names, roles), 1)),
        "cot_head": "Let us think step by step, by considering whether each person is lying and if that leads to contradiction.",
        "cot_repeat_steps": [f"Assume {n} is a {r}." for n, r in zip(names, roles)],
        "cot_foot": "This leads to a feasible solution.",
        "statements": statements,
        "index": index,
    }


def knights_knaves() -> None:
    d = ROOT / "K-and-K" / "knights-and-knaves"
    readme(d, """
configs:
- config_name: train
  data_files:
  - split: 2ppl
    path:
    - train/people2_num200.jsonl
  - split: 3ppl
    path:
    - train/people3_num1000.jsonl
- config_name: test
  data_files:
  - split: 2ppl
    path:
    - test/people2_num100.jsonl
""")
    island = ("A very special island is inhabited only by knights and knaves. Knights always tell the "
              "truth, and knaves always lie. ")
    zoey = _kk_row(island + "You meet 2 inhabitants: Zoey, and Oliver. Zoey said, \"Oliver is a knave.\" "
                   "Oliver said, \"Zoey is a knave and Oliver is a knave.\" So who is a knight and who is a knave?",
                   ["Zoey", "Oliver"], [True, False],
                   "(('lying', 1), ('and', ('lying', 0), ('lying', 1)))", 0)
    broken = _kk_row(island + "You meet 2 inhabitants: Noah, and Emma. Noah said, \"Emma is a knight.\" "
                     "Emma said, \"Noah is a knight.\" So who is a knight and who is a knave?",
                     ["Noah", "Emma"], [True, True], "(('telling-truth', 1), ('telling-truth', 0))", 1)
    broken["solution"] = [True]  # malformed: one verdict for two people
    ava = _kk_row(island + "You meet 3 inhabitants: Ava, Ben, and Cal. Ava said, \"Ben is a knave.\" "
                  "Ben said, \"Ava is a knight and Cal is a knight.\" Cal said, \"Ben is a knight or Ava is "
                  "a knave.\" So who is a knight and who is a knave?",
                  ["Ava", "Ben", "Cal"], [True, False, False],
                  "(('lying', 1), ('and', ('telling-truth', 0), ('telling-truth', 2)), "
                  "('or', ('telling-truth', 1), ('lying', 0)))", 0)
    mia = _kk_row(island + "You meet 2 inhabitants: Mia, and Leo. Mia said, \"Leo is a knight.\" "
                  "Leo said, \"Mia is a knight and Leo is a knave.\" So who is a knight and who is a knave?",
                  ["Mia", "Leo"], [False, False],
                  "(('telling-truth', 1), ('and', ('telling-truth', 0), ('lying', 1)))", 0)
    jsonl(d / "train" / "people2_num200.jsonl", [zoey, broken])
    jsonl(d / "train" / "people3_num1000.jsonl", [ava])
    jsonl(d / "test" / "people2_num100.jsonl", [mia])


def main() -> None:
    if ROOT.exists():
        shutil.rmtree(ROOT)  # stale files from an older layout must not linger
    from make_eval_fixtures import knoveleng_evals  # split out for length; it uses the helpers above

    for make in (gsm8k, math500, math12k, open_rs, aime24, amc23, minerva, olympiadbench, knoveleng_evals,
                 college_math, aime25, dapo_original, dapo_processed, countdown, knights_knaves):
        make()
    total = sum(p.stat().st_size for p in ROOT.rglob("*") if p.is_file())
    print(f"wrote {sum(1 for p in ROOT.rglob('*') if p.is_file())} files, {total / 1024:.1f} KiB under {ROOT}")


if __name__ == "__main__":
    main()
