"""The reward scale every task shares (TinyZero's): a verified answer, a well-formed wrong
one, and no answer at all. Defined once; tasks import it."""

CORRECT, FORMATTED, WRONG = 1.0, 0.1, 0.0
