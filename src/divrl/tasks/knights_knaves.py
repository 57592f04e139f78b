"""Knights and Knaves: logic puzzles with one solution, their answer parser and reward.

Knights always tell the truth and knaves always lie; each inhabitant makes one
statement, and the solver must name every inhabitant's role. Rows use the layout of
the K&K data set (Xie et al., hub `K-and-K/knights-and-knaves`, the DS paper's logic
task): `quiz` (text), `names` (list[str]), `solution` (list[bool], True = knight).

We generate puzzles ourselves instead of depending on reasoning-gym: the generator is
short (sample one statement per person, keep the puzzle if brute force over all 2^n
role assignments finds exactly one consistent one), and reasoning-gym would bring a
package with many unrelated generators and dependencies for it.

The reward follows the Countdown convention: 1.0 when every role is right, 0.1 when
every name got exactly one role but some are wrong, 0.0 when the answer does not
assign every name.
"""

from __future__ import annotations

import itertools
import random
import re

from divrl.tasks.answer_tags import last_answer_block
from divrl.tasks.scores import CORRECT, FORMATTED, WRONG

FORMAT = FORMATTED  # the name some callers use for the well-formed-but-wrong reward

MIN_PEOPLE, MAX_PEOPLE = 2, 12  # 2^12 assignments is still instant to brute-force
_MAX_TRIES = 10_000  # random statement sets tried per puzzle before giving up

NAMES = (
    "Zoey", "Oliver", "Emma", "Liam", "Ava", "Noah", "Mia", "Ethan", "Sofia", "Lucas",
    "Chloe", "Mason", "Grace", "Henry", "Lily", "Jack", "Aria", "Owen", "Ella", "Samuel",
    "Nora", "David", "Ruby", "James", "Isla", "Leo", "Hazel", "Caleb", "Iris", "Felix",
    "Stella", "Jacob", "Violet", "Daniel", "Alice", "Max", "Clara", "Hugo", "Maya", "Oscar",
)  # fmt: skip
_VERBS = ("said", "claimed", "stated", "remarked")
_ROLE = {True: "knight", False: "knave"}

# A statement is a tuple tree over person indices:
#   ("is", i, role) / ("not", i, role)     i is (not) a knight (role True) or knave
#   ("and" | "or" | "if", atom, atom)      two "is" atoms about different people
#   ("same" | "different", i, j)           i and j are the same / different types
Statement = tuple


# ------------------------------------------------------------------- semantics
def holds(statement: Statement, roles: tuple[bool, ...]) -> bool:
    """Truth of a statement when `roles[i]` is True for knights."""
    kind = statement[0]
    if kind == "is":
        return roles[statement[1]] == statement[2]
    if kind == "not":
        return roles[statement[1]] != statement[2]
    if kind == "same":
        return roles[statement[1]] == roles[statement[2]]
    if kind == "different":
        return roles[statement[1]] != roles[statement[2]]
    left, right = holds(statement[1], roles), holds(statement[2], roles)
    if kind == "and":
        return left and right
    if kind == "or":
        return left or right
    if kind == "if":
        return (not left) or right
    raise ValueError(f"unknown statement kind {kind!r}")


def solve(statements: list[Statement]) -> list[tuple[bool, ...]]:
    """Every consistent role assignment: knights' statements true, knaves' false."""
    n = len(statements)
    return [
        roles
        for roles in itertools.product((True, False), repeat=n)
        if all(roles[i] == holds(statements[i], roles) for i in range(n))
    ]


# ------------------------------------------------------------------ generation
def _atom(rng: random.Random, n: int, speaker: int, alone: bool) -> Statement:
    while True:
        kind, person, role = rng.choice(("is", "is", "not")), rng.randrange(n), rng.random() < 0.5
        says_i_am_a_knave = person == speaker and (kind == "is") != role
        if not (alone and says_i_am_a_knave):  # "I am a knave" alone has no solution
            return (kind if alone else "is", person, role)


def sample_statement(rng: random.Random, n: int, speaker: int) -> Statement:
    """One random statement by `speaker` about the `n` inhabitants."""
    kind = rng.choice(("atom", "atom", "and", "and", "or", "if", "if", "same", "different"))
    if kind == "atom":
        return _atom(rng, n, speaker, alone=True)
    if kind in ("same", "different"):
        i, j = sorted(rng.sample(range(n), 2))
        return (kind, i, j)
    left = _atom(rng, n, speaker, alone=False)
    right = _atom(rng, n, speaker, alone=False)
    while right[1] == left[1]:  # two claims about one person read oddly
        right = _atom(rng, n, speaker, alone=False)
    return (kind, left, right)


def render(statement: Statement, names: list[str]) -> str:
    """The statement as English, without final punctuation."""
    kind = statement[0]
    if kind == "is":
        return f"{names[statement[1]]} is a {_ROLE[statement[2]]}"
    if kind == "not":
        return f"{names[statement[1]]} is not a {_ROLE[statement[2]]}"
    if kind == "same":
        return f"{names[statement[1]]} and {names[statement[2]]} are the same type"
    if kind == "different":
        return f"{names[statement[1]]} and {names[statement[2]]} are different types"
    left, right = render(statement[1], names), render(statement[2], names)
    if kind == "if":
        return f"if {left} then {right}"
    return f"{left} {kind} {right}"


def _enumerate(items: list[str]) -> str:
    """'A', 'A, and B', 'A, B, and C': the K&K data set's list style."""
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + ", and " + items[-1]


def quiz(statements: list[Statement], names: list[str], rng: random.Random) -> str:
    """The puzzle in the K&K data set's words: setting, one quoted statement each, question."""
    lines = [
        "A very special island is inhabited only by knights and knaves.",
        "Knights always tell the truth, and knaves always lie.",
        f"You meet {len(names)} inhabitants: {_enumerate(names)}.",
    ]
    for name, statement in zip(names, statements):
        text = render(statement, names)
        lines.append(f'{name} {rng.choice(_VERBS)}, "{text[0].upper()}{text[1:]}."')
    lines.append("So who is a knight and who is a knave?")
    return " ".join(lines)


def solution_text(names: list[str], solution: list[bool]) -> str:
    """'Zoey is a knave, and Oliver is a knight.': the data set's solution_text."""
    _check(names, solution)
    return _enumerate([f"{name} is a {_ROLE[role]}" for name, role in zip(names, solution)]) + "."


def solution_text_format(names: list[str], solution: list[bool]) -> str:
    """'(1) Zoey is a knave\n(2) Oliver is a knight': the answer lines Logic-RL prompts ask for."""
    _check(names, solution)
    return "\n".join(f"({i}) {name} is a {_ROLE[role]}" for i, (name, role) in enumerate(zip(names, solution), 1))


def _people_range(n_people: int | tuple[int, int]) -> tuple[int, int]:
    lo, hi = (n_people, n_people) if isinstance(n_people, int) else tuple(n_people)
    if not MIN_PEOPLE <= lo <= hi <= MAX_PEOPLE:
        raise ValueError(f"n_people must be a count or (low, high) in [{MIN_PEOPLE}, {MAX_PEOPLE}], got {n_people}")
    return lo, hi


def generate(n_problems: int, n_people: int | tuple[int, int], seed: int) -> list[dict]:
    """`n_problems` distinct puzzles with exactly one solution each.

    `n_people` is a count or an inclusive (low, high) range drawn per puzzle. Rows are
    {"id", "quiz", "names", "solution"}; the same arguments give the same rows.
    """
    lo, hi = _people_range(n_people)
    if n_problems < 0:
        raise ValueError(f"n_problems must be >= 0, got {n_problems}")
    rng = random.Random(seed)
    seen: set[tuple[Statement, ...]] = set()
    rows: list[dict] = []
    for index in range(n_problems):
        n = rng.randint(lo, hi)
        statements, solution = _unique_puzzle(rng, n, seen)
        names = rng.sample(NAMES, n)
        rows.append(
            {"id": f"kk{index:06d}", "quiz": quiz(statements, names, rng), "names": names, "solution": list(solution)}
        )
    return rows


def _unique_puzzle(rng: random.Random, n: int, seen: set) -> tuple[list[Statement], tuple[bool, ...]]:
    """Random statement sets until one has a single solution and is new (by structure,
    so one logical puzzle never appears twice under different names)."""
    for _ in range(_MAX_TRIES):
        statements = [sample_statement(rng, n, speaker) for speaker in range(n)]
        key = tuple(statements)
        if key in seen:
            continue
        found = solve(statements)
        if len(found) == 1:
            seen.add(key)
            return statements, found[0]
    raise RuntimeError(f"no new {n}-person puzzle with one solution in {_MAX_TRIES} tries; ask for fewer problems")


# ------------------------------------------------------------- answer parsing
def _check(names: list[str], solution: list[bool] | None = None) -> None:
    if not names or any(not isinstance(n, str) or not n.strip() for n in names):
        raise ValueError(f"names must be non-empty strings, got {names!r}")
    if len({n.lower() for n in names}) != len(names):
        raise ValueError(f"names must be distinct (ignoring case), got {names!r}")
    if solution is not None and len(solution) != len(names):
        raise ValueError(f"names and solution differ in length: {len(names)} != {len(solution)}")


def _claims(names: list[str]) -> re.Pattern[str]:
    """'NAME is a knight', 'NAME: knave', 'NAME = knight', ... but not 'NAME is not a knight'."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    # No room for a "not". The second \s* sits inside the optional linking word: two
    # adjacent \s* would split a long run of spaces every possible way (quadratic time).
    link = r"\s*(?:(?:\bis\b|\bwas\b|:|=|-|–|—)\s*)?(?:\ban?\s+)?"
    return re.compile(rf"(?<!\w)(?P<name>{alternatives})(?!\w){link}(?P<role>knight|knave)(?!\w)", re.IGNORECASE)


def _merge(found: dict[str, bool], text: str, pattern: re.Pattern[str], by_lower: dict[str, str]) -> bool:
    """Add text's claims to `found`; False if a name would get two different roles."""
    for match in pattern.finditer(text.replace("*", "")):  # markdown bold around names
        name, role = by_lower[match["name"].lower()], match["role"].lower() == "knight"
        if found.setdefault(name, role) != role:
            return False
    return True


def extract_assignment(completion: str, names: list[str]) -> dict[str, bool] | None:
    """{name: is_knight} from the model's final answer, or None unless every name gets
    exactly one role.

    The answer is the last `<answer>…</answer>` block if there is one; otherwise the
    shortest run of final lines that assigns every name ("(1) Zoey is a knave" lines or
    one "Zoey is a knave, and Oliver is a knight" line).
    """
    _check(names)
    pattern, by_lower = _claims(names), {n.lower(): n for n in names}
    found: dict[str, bool] = {}
    block = last_answer_block(completion)
    if block is not None:
        ok = _merge(found, block, pattern, by_lower)
        return found if ok and len(found) == len(names) else None
    for line in reversed(completion.splitlines()):
        if not _merge(found, line, pattern, by_lower):
            return None
        if len(found) == len(names):
            return found
    return None


def reward(completion: str, names: list[str], solution: list[bool]) -> float:
    """1.0 if every role is right, 0.1 if all are assigned but some wrong, 0.0 otherwise."""
    _check(names, solution)
    found = extract_assignment(completion, names)
    if found is None:
        return WRONG
    right = all(found[name] == bool(role) for name, role in zip(names, solution))
    return CORRECT if right else FORMATTED


def is_correct(completion: str, names: list[str], solution: list[bool]) -> bool:
    return reward(completion, names, solution) == CORRECT


def canonical(completion: str, names: list[str]) -> str | None:
    """'Oliver=knight,Zoey=knave' (sorted by name) for the parsed answer, else None."""
    found = extract_assignment(completion, names)
    if found is None:
        return None
    return ",".join(f"{name}={_ROLE[found[name]]}" for name in sorted(found))
