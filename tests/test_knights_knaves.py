"""Knights and Knaves: generated puzzles have exactly one solution (checked by reading the
quiz text back and brute-forcing it here), and the answer parser and reward behave."""

import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from divrl.tasks.knights_knaves import (
    CORRECT,
    FORMATTED,
    WRONG,
    canonical,
    extract_assignment,
    generate,
    reward,
    solution_text,
    solution_text_format,
)

# ------------------------------------------- an independent reading of the quiz text
SAYS = re.compile(r'(\w+) (?:said|claimed|stated|remarked), "(.+?)\."')


def _clause(text, index):
    m = re.fullmatch(r"(\w+) is (not )?a (knight|knave)", text)
    assert m, text
    who, negated, knight = index[m[1]], bool(m[2]), m[3] == "knight"
    return lambda roles: (roles[who] == knight) != negated


def _meaning(content, index):
    """The statement in the quoted text as a predicate over role tuples."""
    if m := re.fullmatch(r"(\w+) and (\w+) are (the same type|different types)", content):
        i, j, same = index[m[1]], index[m[2]], m[3] == "the same type"
        return lambda roles: (roles[i] == roles[j]) == same
    if m := re.fullmatch(r"If (.+) then (.+)", content):
        a, b = _clause(m[1], index), _clause(m[2], index)
        return lambda roles: (not a(roles)) or b(roles)
    if m := re.fullmatch(r"(.+ a (?:knight|knave)) (and|or) (.+)", content):
        a, b = _clause(m[1], index), _clause(m[3], index)
        return (lambda r: a(r) and b(r)) if m[2] == "and" else (lambda r: a(r) or b(r))
    return _clause(content, index)


def read_back_solutions(row):
    names = row["names"]
    index = {name: i for i, name in enumerate(names)}
    said = SAYS.findall(row["quiz"])
    assert [speaker for speaker, _ in said] == names  # one statement each, in order
    meaning = [_meaning(content, index) for _, content in said]
    return [
        list(roles)
        for roles in itertools.product((True, False), repeat=len(names))
        if all(roles[i] == meaning[i](roles) for i in range(len(names)))
    ]


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.integers(2, 6))
def test_every_puzzle_has_exactly_its_one_solution(seed, n):
    rows = generate(4, n, seed)
    assert len(rows) == 4 and len({r["quiz"] for r in rows}) == 4
    for row in rows:
        assert set(row) == {"id", "quiz", "names", "solution"}
        assert len(row["names"]) == len(set(row["names"])) == n
        assert all(isinstance(x, bool) for x in row["solution"])
        assert read_back_solutions(row) == [row["solution"]]


def test_people_range_and_determinism():
    rows = generate(30, (2, 5), seed=3)
    assert {len(r["names"]) for r in rows} <= {2, 3, 4, 5} and len({len(r["names"]) for r in rows}) > 1
    assert rows == generate(30, (2, 5), seed=3)
    assert rows != generate(30, (2, 5), seed=4)
    assert [r["id"] for r in rows] == sorted({r["id"] for r in rows})
    assert all(read_back_solutions(r) == [r["solution"]] for r in generate(3, 8, seed=0))


@pytest.mark.parametrize("n_people", [1, 13, (3, 2), (1, 4)])
def test_bad_people_counts(n_people):
    with pytest.raises(ValueError, match="n_people"):
        generate(1, n_people, 0)


# ------------------------------------------------------------------- answers
puzzles = st.builds(lambda seed, n: generate(1, n, seed)[0], st.integers(0, 10**6), st.integers(2, 7))


@settings(max_examples=40, deadline=None)
@given(puzzles, st.randoms(use_true_random=False))
def test_rendered_solution_is_rewarded_and_a_flip_is_not(row, rnd):
    names, solution = row["names"], row["solution"]
    for answer in (
        solution_text(names, solution),
        f"<think>...</think><answer>{solution_text_format(names, solution)}</answer>",
        f"Let me think.\nCONCLUSION:\n{solution_text_format(names, solution)}",
    ):
        assert reward(answer, names, solution) == CORRECT, answer
    flipped = list(solution)
    k = rnd.randrange(len(flipped))
    flipped[k] = not flipped[k]
    assert reward(solution_text(names, flipped), names, solution) == FORMATTED
    missing = solution_text_format(names[:k] + names[k + 1 :], solution[:k] + solution[k + 1 :])
    assert reward(f"<answer>{missing}</answer>", names, solution) == WRONG


@settings(max_examples=40, deadline=None)
@given(puzzles, st.randoms(use_true_random=False), st.sampled_from(["\n", "\n\n", " \n  ", "; "]))
def test_order_whitespace_and_case_do_not_matter(row, rnd, sep):
    names, solution = row["names"], row["solution"]
    lines = solution_text_format(names, solution).splitlines()
    rnd.shuffle(lines)
    shuffled = f"<answer>\n  {sep.join(lines)}  \n</answer>"
    shouting = f"<answer>{solution_text(names, solution).upper()}</answer>"
    bold = ", ".join(f"**{n}** is a {'knight' if r else 'knave'}" for n, r in zip(names, solution))
    bold = f"<answer>{bold}</answer>"
    reference = canonical(solution_text(names, solution), names)
    for answer in (shuffled, shouting, bold):
        assert reward(answer, names, solution) == CORRECT, answer
        assert canonical(answer, names) == reference


NAMES = ["Zoey", "Oliver"]


@pytest.mark.parametrize(
    "text,expected",
    [
        ("(1) Zoey is a knave\n(2) Oliver is a knight", {"Zoey": False, "Oliver": True}),
        ("Zoey is a knave, and Oliver is a knight.", {"Zoey": False, "Oliver": True}),
        ("<answer>Zoey: knave\nOliver = Knight</answer>", {"Zoey": False, "Oliver": True}),
        # reasoning first, the conclusion in the last lines
        ("Suppose Zoey is a knight. Then Oliver is a knave, a contradiction.\nZoey is a knave.\nOliver is a knight.",
         {"Zoey": False, "Oliver": True}),
        ("<answer>Zoey is a knave</answer>", None),  # Oliver has no role
        ("<answer>Zoey is a knave, Zoey is a knight, Oliver is a knight</answer>", None),  # two roles
        ("<answer>Zoey is a knave, Zoey is a knave, Oliver is a knight</answer>", {"Zoey": False, "Oliver": True}),
        ("<answer>Zoey is not a knight, Oliver is a knight</answer>", None),  # negations are not answers
        ("<answer>Zoeyy is a knave, Oliver is a knight</answer>", None),  # not a name
        ("Zoey and Oliver are both knights", None),
        ("", None),
    ],
)
def test_extract_assignment(text, expected):
    assert extract_assignment(text, NAMES) == expected


def test_names_that_prefix_each_other():
    assert extract_assignment("Avery is a knight. Ava is a knave.", ["Ava", "Avery"]) == {"Ava": False, "Avery": True}


def test_canonical_form():
    assert canonical("Zoey is a knave, and Oliver is a knight.", NAMES) == "Oliver=knight,Zoey=knave"
    assert canonical("Oliver is a knight", NAMES) is None


def test_bad_names_and_solutions():
    with pytest.raises(ValueError, match="differ in length"):
        reward("Zoey is a knave", NAMES, [True])
    with pytest.raises(ValueError, match="distinct"):
        extract_assignment("x", ["Zoey", "zoey"])
    with pytest.raises(ValueError, match="non-empty"):
        canonical("x", [])


def test_long_garbage_is_unparseable_quickly():
    text = "Zoey is a knight or maybe " * 5000 + "\n" * 5000
    assert reward(text, NAMES, [True, False]) == WRONG


# ------------------------------------------- linear-time parsing, same answers as before
def _old_extract(completion, names):
    """extract_assignment with the regexes it had before they went linear (quadratic on
    unclosed <answer> tags and on a name followed by a long run of spaces)."""
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    link = r"\s*(?:\bis\b|\bwas\b|:|=|-|–|—)?\s*(?:\ban?\s+)?"
    pattern = re.compile(rf"(?<!\w)(?P<name>{alternatives})(?!\w){link}(?P<role>knight|knave)(?!\w)", re.IGNORECASE)
    by_lower, found = {n.lower(): n for n in names}, {}

    def merge(text):
        for m in pattern.finditer(text.replace("*", "")):
            name, role = by_lower[m["name"].lower()], m["role"].lower() == "knight"
            if found.setdefault(name, role) != role:
                return False
        return True

    blocks = re.findall(r"<answer>(.*?)</answer>", completion, re.DOTALL)
    if blocks:
        return found if merge(blocks[-1]) and len(found) == len(names) else None
    for line in reversed(completion.splitlines()):
        if not merge(line):
            return None
        if len(found) == len(names):
            return found
    return None


_PIECES = st.sampled_from(
    ["Zoey", "Oliver", "zoey", "Zoeyy", " ", "  ", "\t", "\n", "is", "was", "not", "a", "an", " a ", " an ", ":", "=", "-",
     "–", "*", "knight", "knave", "Knight", "knights", ",", ".", "<answer>", "</answer>", "and", "x"]
)


@settings(max_examples=3000, deadline=None)
@given(st.lists(_PIECES, max_size=16).map("".join))
def test_linear_parser_reads_answers_as_before(text):
    assert extract_assignment(text, NAMES) == _old_extract(text, NAMES)
