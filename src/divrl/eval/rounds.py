"""The round schedule of sequential evaluation (eval.sequential = r > 0).

Every problem first gets `first_round` samples (at least the prefixes the diversity metrics
read); a problem with fewer than r correct samples then doubles what it has drawn, round
after round, up to n_samples. All problems still sampling have drawn the same number, so a
round is one sampler call with one sample-index offset: samples stay keyed by (seed,
problem, index), and the estimator counts N as the index of the r-th correct sample
(metrics/sequential.stop_index), so the schedule changes which samples exist beyond N, never
a number. r = 0: one round of n_samples (fixed-N evaluation).
"""

from __future__ import annotations

from dataclasses import replace


def prefix(spec) -> int:
    """Samples every problem gets: the first round (the diversity metrics' prefix lies inside it)."""
    if not getattr(spec, "sequential", 0):
        return spec.n_samples
    return min(spec.n_samples, max(spec.first_round, spec.diversity_samples, spec.div_equ_samples))


def ends(spec) -> list[int]:
    """Cumulative samples per problem after each round: [prefix, 2·prefix, 4·prefix, …, n_samples]."""
    out = [prefix(spec)]
    while out[-1] < spec.n_samples:
        out.append(min(spec.n_samples, 2 * out[-1]))
    return out


def needs_more(correct: int, drawn: int, spec) -> bool:
    """Whether a problem with `correct` of `drawn` samples gets another round."""
    return bool(getattr(spec, "sequential", 0)) and correct < spec.sequential and drawn < spec.n_samples


def draw(sample, problems: list[dict], ids: list[str], spec, specs: list, is_correct) -> list:
    """`sample(prompts, ids, specs)`'s result for these problems, drawn round by round
    (sampling.sampler's function; `specs` are the ones it was made with, for fixed N).

    specs: [the sampling spec, the greedy spec (optional)]; the greedy decode is drawn in the
    first round. is_correct(problem, text) -> bool decides who stops. Returns [completions per
    problem (a problem's list ends at its last round), greedy per problem (when asked)], the
    shape `sample` returns for fixed N.
    """
    if not getattr(spec, "sequential", 0):
        return sample([p["prompt"] for p in problems], ids)  # the sampler's own specs
    texts: list[list[str]] = [[] for _ in problems]
    correct = [0] * len(problems)
    greedy, active, start = None, list(range(len(problems))), 0
    for end in ends(spec):
        round_specs = [replace(specs[0], n=end - start, first=start), *(specs[1:] if greedy is None else [])]
        got, *rest = sample([problems[j]["prompt"] for j in active], [ids[j] for j in active], round_specs)
        greedy = rest[0] if rest and greedy is None else greedy  # (every problem is active in round one)
        for j, new in zip(active, got):
            texts[j].extend(new)
            correct[j] += sum(bool(is_correct(problems[j], t)) for t in new)
        active = [j for j in active if needs_more(correct[j], len(texts[j]), spec)]
        start = end
        if not active:
            break
    return [texts, greedy] if greedy is not None else [texts]
