"""Evaluate a policy: N samples per test problem, then pass@k and diversity metrics.

Two steps, so that paper scale (512 problems × 8192 samples) splits over jobs:
- `sample_shard`: shard i of S takes a contiguous chunk of the problems, samples and
  scores them, and writes the samples file its rule names (the workflow's
  `samples/{i}-of-{S}.parquet`; eval.store: every completion with its reward and answer,
  zstd). Within a shard, every `chunk_problems` problems are saved as a part as they
  finish (in a hidden `.NAME.parts` folder beside the file, not a declared output), so a
  killed job resumes at the first missing part.
- `merge`: streams the S shard files, given in shard order, problem by problem into the
  metrics file, with the run's identity (method, run, seed, base seed, test set, hyperparameters,
  model) when the caller passes it: a metrics.json says whose it is wherever it lies.
Samples are keyed (sampling/keyed.py): a problem's samples depend only on (seed, its id,
sample index), so S = 1 and S = 3 write the same samples and the same metrics.
With `greedy` (default) one greedy decode per problem is added: R1-zero-Div reports
greedy Pass@1 and forms Potential@k from it.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from dataclasses import asdict
from pathlib import Path

from divrl.system import atomic

from divrl.eval import rounds, store
from divrl.eval.metrics_stream import Metrics
from divrl.sampling import SampleSpec, greedy as greedy_of, sampler
from divrl.settings.evaluation import EvalSpec
from divrl.settings.model import neutral_keys
from divrl.models.context import check_problems as check_prompts
from divrl.data.problems import task_of
from divrl.tasks.scores import CORRECT
log = logging.getLogger(__name__)


def _embedder(spec: EvalSpec):
    """texts -> unit vectors with the spec's encoder and device (loaded at the first call),
    each distinct text encoded once (Metrics.embed_ahead fills the cache a chunk at a time).
    Which texts share a call depends on the chunks, hence on the sharding: the embedding
    metrics agree across shardings to float precision (~1e-7), the others bit for bit."""
    from divrl.models import embedding

    return embedding.CachedEmbedder(spec.embedding_model, spec.device)


def shard_range(n_problems: int, shard: int, shards: int) -> tuple[int, int]:
    """Problems [lo, hi) of shard `shard` of `shards`: contiguous, sizes differ by at most one."""
    if not 0 <= shard < shards:
        raise ValueError(f"evaluate: shard {shard} is not in 0..{shards - 1}")
    return n_problems * shard // shards, n_problems * (shard + 1) // shards


def identity_section(ident: dict, model: str) -> dict:
    """The `identity` written into metrics.json, checked now as the report will read it
    (divrl.report.identity), so a bad one fails before sampling, not at report time.
    `params` defaults to {} (the base model, a published checkpoint), `base_seed` to null (no base
    model of ours), `model` to the model evaluated."""
    from divrl.workflow.layout import from_dict

    full = {"params": {}, "base_seed": None, **ident}  # base_seed null: a published checkpoint
    full.setdefault("model", str(model))
    from_dict(full, "--identity", who="evaluate")
    full.setdefault("run", full["method"])  # a run that is no sweep point is named after its method
    for key, kind in (("run", str), ("params", dict), ("model", str)):
        if key in full and not isinstance(full[key], kind):
            raise ValueError(f"evaluate: --identity: {key} must be a {kind.__name__} (got {full[key]!r})")
    return full


def remembered_rewards(task):
    """task.reward(text, problem), each distinct (problem, text) scored once: sequential
    evaluation decides who stops on the rewards the stored rows then reuse, and a problem's
    repeated completions (common once a model is sharp) are checked once."""
    seen: dict[tuple[str, str], float] = {}

    def reward(text: str, problem: dict) -> float:
        key = (problem["id"], text)
        if key not in seen:
            seen[key] = task.reward(text, problem)
        return seen[key]

    return reward


def score_problem(task, problem: dict, texts: list[str], m_answers: int, reward=None) -> tuple[list[float], list[bool], list[str | None]]:
    """Rewards, correctness and answer keys of one problem's samples (answers only where a
    metric reads them: correct samples and the first m_answers; each distinct text once).
    reward: task.reward or a remembered_rewards of it."""
    rewards = [(reward or task.reward)(t, problem) for t in texts]
    correct = [r == CORRECT for r in rewards]
    keys: dict[str, str | None] = {}
    answers = []
    for j, (t, ok) in enumerate(zip(texts, correct)):
        if ok or j < m_answers:
            if t not in keys:
                keys[t] = task.canonical(t, problem)
            answers.append(keys[t])
        else:
            answers.append(None)
    return rewards, correct, answers


def problem_table(task, pos: int, problem: dict, texts: list[str], m_answers: int,
                  greedy: list[str] | None = None, stats=None, reward=None):
    """One problem's stored rows: its scored samples, then (if given) its scored greedy decode.
    stats: the embedding metrics, fn(texts, rewards) -> (cosine, (rho, p)), or None."""
    scored = score_problem(task, problem, texts, m_answers, reward)
    values = None
    if stats is not None:
        cos, (rho, pval) = stats(texts, scored[0])
        values = (cos, rho, pval)
    table = store.table_of(pos, problem["id"], texts, *scored, stats=values)
    if greedy is None:
        return table
    row = store.table_of(pos, problem["id"], greedy, *score_problem(task, problem, greedy, 0, reward), first=store.GREEDY)
    return store.pa.concat_tables([table, row])


def _fingerprint(model_dir: str, spec: EvalSpec, rows: list[dict]) -> str:
    """What decides a part's samples: the model (and its files' sizes and times), the
    sampling settings (not the `neutral` keys: batch size, engine memory, chunks, shards), and the
    problems themselves — whole rows, not ids: a fixed template or gold keeps the ids."""
    stamp = []
    if Path(model_dir).is_dir():
        stamp = sorted((f.name, f.stat().st_size, int(f.stat().st_mtime)) for f in Path(model_dir).iterdir() if f.is_file())
    keep = {k: v for k, v in asdict(spec).items() if k not in neutral_keys(EvalSpec)}
    text = json.dumps([str(model_dir), stamp, keep, rows], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def sample_shard(model_dir: str, problems: list[dict], spec: EvalSpec, out: str | Path, shard: int = 0, shards: int = 1) -> Path:
    """Sample and score shard `shard` of `shards` into the samples file `out`."""
    t0 = time.time()
    lo, hi = shard_range(len(problems), shard, shards)
    out = Path(out)
    parts = out.with_name(f".{out.name}.parts")  # outside the declared output: survives a killed job
    task = task_of(problems)
    m_answers = min(spec.div_equ_samples, spec.n_samples)
    sample_spec = SampleSpec.of(spec)
    specs = [sample_spec, greedy_of(sample_spec)] if spec.greedy else [sample_spec]
    draw = None  # the model loads only if some part is missing
    # the embedding metrics per problem here, where the GPU is, so the merge is cheap
    metrics = Metrics(spec, task.equations_of, _embedder(spec))
    step = max(1, spec.chunk_problems)
    files = []
    for a in range(lo, hi, step):
        chunk = problems[a : min(hi, a + step)]
        ids = [str(p["id"]) for p in chunk]
        path, fp = parts / f"{a:07d}.parquet", _fingerprint(model_dir, spec, chunk)
        files.append(path)
        # a damaged part (a kill mid-copy, bit rot) is set aside and sampled again
        aside = out.parent / "set_aside" / f"{out.name}.part{a:07d}.parquet"
        if path.exists() and (store.readable_meta(path, aside) or {}).get("fingerprint") == fp:
            log.info("shard %d/%d: problems %d-%d already sampled", shard, shards, a, a + len(chunk) - 1)
            continue
        if draw is None:  # first part to sample: every prompt of the shard must fit the context, checked now
            check_prompts(model_dir, problems[lo:hi], spec.max_new_tokens, f"evaluate {out}", spec.max_model_len)
            draw = sampler(model_dir, specs)
        # fixed N: one call; eval.sequential: rounds until each problem has r correct (rounds.py)
        reward = remembered_rewards(task)
        completions, *rest = rounds.draw(draw, chunk, ids, spec, specs, lambda p, t: reward(t, p) == CORRECT)
        metrics.embed_ahead(completions)
        tables = [problem_table(task, a + j, p, texts, m_answers, rest[0][j] if rest else None, metrics.embedding_stats,
                                reward) for j, (p, texts) in enumerate(zip(chunk, completions))]
        store.write(path, tables, {"fingerprint": fp})
    meta = {"model": str(model_dir), "spec": asdict(spec), "shard": shard, "shards": shards, "problems": [lo, hi],
            "n_problems": len(problems), "seconds": time.time() - t0}
    store.write(out, (t for f in files for t in store.row_groups(f)), meta)
    shutil.rmtree(parts, ignore_errors=True)
    log.info("shard %d/%d: problems %d-%d -> %s (%.0fs)", shard, shards, lo, hi - 1, out, meta["seconds"])
    return out


def _damaged_shard(err: store.DamagedFile):
    """A shard file is a declared output of its own job: set it aside and stop, in one line; the
    next `snakemake` samples that shard again (rule all asks for every metrics.json)."""
    target = store.set_aside(err.path, str(err))
    raise ValueError(f"evaluate: {err}; set aside as {target}: rerun snakemake to sample that shard again") from None


def _shard_meta(path: Path) -> dict:
    try:
        return store.meta_of(path)
    except store.DamagedFile as err:
        _damaged_shard(err)


def merge(problems: list[dict], spec: EvalSpec, samples: list[str | Path], metrics_out: str | Path,
          model: str | None = None, identity: dict | None = None) -> dict:
    """The metrics file from the S shard files (shard 0 first), streamed one problem at a time.

    identity: who the run is (identity_section), written into the file; None writes none
    (by hand: the report then reads the run from the folder layout)."""
    t0 = time.time()
    paths, shards = [Path(p) for p in samples], len(samples)
    if not paths:
        raise ValueError("evaluate: no samples files given")
    metas = []
    for i, path in enumerate(paths):
        if not path.exists():
            raise ValueError(f"evaluate: {path} is missing (shard {i} of {shards} has not run)")
        metas.append(meta := _shard_meta(path))
        if (meta.get("shard"), meta.get("shards")) != (i, shards):
            raise ValueError(f"evaluate: {path} is shard {meta.get('shard')} of {meta.get('shards')}, "
                             f"given as file {i + 1} of {shards} (give the shards' files in order)")
        if (meta.get("problems"), meta.get("n_problems")) != (list(shard_range(len(problems), i, shards)), len(problems)):
            raise ValueError(f"evaluate: {path} holds problems {meta.get('problems')}, not shard {i} of {shards} of these {len(problems)}")
    model = str(model or metas[0].get("model"))
    if identity is not None:  # checked before the work, written first (where a reader of the file looks)
        identity = identity_section(identity, model)
    task = task_of(problems)
    acc = Metrics(spec, task.equations_of, _embedder(spec))  # used only where a shard left them out
    seen = 0
    try:
        for pos, (at, pid, cols) in enumerate(store.problems(paths)):
            if at != pos or pid != str(problems[pos]["id"]):
                raise ValueError(f"evaluate: samples hold problem {pid!r} at position {at}, expected {problems[pos]['id']!r} at {pos}")
            acc.add(problems[pos], cols)
            seen = pos + 1
    except store.DamagedFile as err:
        _damaged_shard(err)
    if seen != len(problems):
        raise ValueError(f"evaluate: the samples cover {seen} of {len(problems)} problems; rerun the evaluation's shards")
    metrics = acc.result()
    # the shard jobs' wall time (sampling, scoring and their embeddings), summed over shards
    sampling = sum(meta.get("seconds", 0.0) for meta in metas)
    metrics.update(model=model, spec=asdict(spec), seconds_sampling=sampling, seconds=sampling + time.time() - t0)
    if identity is not None:
        metrics = {"identity": identity, **metrics}
    atomic.write_text(metrics_out, json.dumps(metrics, indent=1))
    head = ", ".join(f"pass@{k}={v:.3f}" for k, v in zip(metrics["k"], metrics["pass_at_k"]) if k in (1, 8, 64, metrics["n"]))
    greedy_note = f"; greedy pass@1={metrics['greedy_pass1']:.3f}" if "greedy_pass1" in metrics else ""
    log.info("%s: %s%s; distinct correct %.2f", metrics["model"], head, greedy_note, metrics["distinct_correct"])
    return metrics


def evaluate(model_dir: str, problems: list[dict], spec: EvalSpec, samples_out: str | Path,
             metrics_out: str | Path, identity: dict | None = None) -> dict:
    """One job: sample every problem (shard 0 of 1) into samples_out, then the metrics file."""
    if identity is not None:
        identity = identity_section(identity, model_dir)  # a bad identity fails before the sampling
    sample_shard(model_dir, problems, spec, samples_out)
    return merge(problems, spec, [samples_out], metrics_out, model_dir, identity)


def score(problems: list[dict], completions: list[list[str]], spec: EvalSpec,
          greedy: list[str] | None = None) -> tuple[dict, list[list[float]]]:
    """Metrics of given completions (no model, no files: testable on fixed text)."""
    task = task_of(problems)
    acc = Metrics(spec, task.equations_of, _embedder(spec))
    m_answers = min(spec.div_equ_samples, spec.n_samples)
    rewards = []
    for i, (p, texts) in enumerate(zip(problems, completions)):
        cols = problem_table(task, i, p, texts, m_answers, None if greedy is None else [greedy[i]]).to_pydict()
        rewards.append([r for r, j in zip(cols["reward"], cols["sample"]) if j != store.GREEDY])
        acc.add(p, cols)
    return acc.result(), rewards
