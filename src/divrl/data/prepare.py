"""Real data sets -> problem files: load, adapt columns, filter (counted), render prompts.

`divrl data` calls `prepare` when the config has `datasets:`. The training set goes
through every configured filter; test sets only lose rows that cannot be scored
(malformed, unparseable gold answer) — a benchmark is never de-duplicated or
subsampled behind the reader's back — and every loss is counted in stats.json. A prompt
that leaves the base model no room to answer (models/context.py) is refused, naming its row.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from divrl.settings.data import FilterSpec
from divrl.settings.model import parse
from divrl.settings.sections import DataSection
from divrl.models import context
from divrl.data import download, filters, formats, hub, templates
from divrl.data.problems import write_jsonl
from divrl.tasks.registry import Task, get

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DataPaths:
    """Every file `divrl data` writes, each named by its rule (nothing derived from a folder):
    train (the pool the difficulty filter reads, when there is one), stats, one file per
    test set, and the validation split when the config holds one out."""

    train: Path
    stats: Path
    tests: dict[str, Path]
    validation: Path | None = None

    def check(self, test_sets: list[str], n_val: int) -> None:
        """The paths name exactly what the section writes, before any data are loaded."""
        if sorted(self.tests) != sorted(test_sets):
            missing, unknown = sorted(set(test_sets) - set(self.tests)), sorted(set(self.tests) - set(test_sets))
            raise ValueError(f"data: --test must name each test set once ({', '.join(test_sets)}); "
                             f"missing: {', '.join(missing) or 'none'}, unknown: {', '.join(unknown) or 'none'}")
        if n_val and self.validation is None:
            raise ValueError(f"data: validation.problems is {n_val}: give --validation FILE for the split")
        if not n_val and self.validation is not None:
            raise ValueError("data: --validation given but validation.problems is 0 (no split to write)")


def data_section(section: DataSection | dict) -> DataSection:
    """A data section as its class: read once (a hand-written section with a typo is refused, not dropped)."""
    return section if isinstance(section, DataSection) else parse(DataSection, section, "")


def bench_names(section: DataSection) -> list[str]:
    """The test sets of a data section: the configured ones, or the toy's one named after its task."""
    return list(section.datasets.test) if section.datasets else [section.task]


def _tokenizer(base_model: str | None, needed: bool):
    """The named base model's tokenizer (chat templates, max_prompt_tokens and the context check use it)."""
    if needed and not base_model:
        raise ValueError("datasets: chat_template / max_prompt_tokens need base.model (a tokenizer to apply)")
    if not base_model:
        return None
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(base_model)


def model_context(section: DataSection, tok) -> tuple[context.Context | None, context.PromptMeter | None]:
    """The base model's context and a meter with its tokenizer: a named model's from its
    config.json; the toy's is base.max_positions (the section's `max_positions`), measured with
    the toy's tokenizer. Neither given (a hand-written section): (None, None), said in the log."""
    if section.base_model:
        return context.of_model(section.base_model, tok), context.PromptMeter(tok)
    if section.max_positions:
        from divrl.models.tokenizer import build_tokenizer

        toy = context.Context(section.max_positions, "base.max_positions of the toy model")
        return toy, context.PromptMeter(build_tokenizer())
    log.warning("data: the section names no base model and no max_positions: "
                "prompt lengths are checked only when sampled")
    return None, None


TRAIN_HINT = ("; drop such training rows with datasets.filter.max_prompt_tokens or max_question_chars "
              "(counted in stats.json)")
TEST_HINT = ("; a test set is never filtered: use a model with a longer context, or leave the row out of the source "
             "(offset, max_rows)")


def check_context(rows: list[dict], where: str, ctx: context.Context | None, meter: context.PromptMeter | None,
                  hint: str) -> None:
    """Refuse a problem file with a prompt that leaves the base model no room to answer, before
    it is written, naming the problem (id and line in the file). A giant row is judged by its
    characters without tokenizing it (models/context.py)."""
    if ctx is None:
        return
    names = [f"problem {row['id']!r} (line {i})" for i, row in enumerate(rows, 1)]
    context.fit(meter, [row["prompt"] for row in rows], names, ctx, f"data: {where}", hint=hint)


def label(source: dict) -> str:
    """A data set's name in logs, counts and ids: source, config name and split."""
    parts = [source["source"], source.get("name"), source.get("split")]
    return ":".join(str(p) for p in parts if p)


def _problem(row: dict, task: Task, prompt: str, source: dict, index: int) -> dict:
    """The internal problem row; the id (data set + kept-row index) is the same every run."""
    missing = [f for f in task.fields if f not in row]
    if missing:
        raise ValueError(f"{label(source)}: format gives no {missing[0]!r}, which task {task.name!r} needs")
    tag = "-".join(str(p) for p in (Path(source["source"]).name, source.get("name"), source.get("split")) if p)
    # a worked solution travels along for DRA-GRPO's official verifier (train.dra_official_code)
    solution = {"solution": row["solution"]} if isinstance(row.get("solution"), str) else {}
    return {"id": f"{tag}-{index:06d}", "task": task.name, "prompt": prompt, "question": row["question"],
            **{f: row[f] for f in task.fields}, **solution}


def _one(source: dict, task: Task, spec: FilterSpec, tok, system, chat: bool) -> tuple[list[dict], dict]:
    raw = hub.load_rows(source["source"], name=source["name"], split=source["split"])
    end = source["offset"] + source["max_rows"] if source.get("max_rows") else None
    raw = raw[source.get("offset", 0) : end]
    render = lambda row: templates.render(source["template"], row, tokenizer=tok if chat else None, system=system)  # noqa: E731
    n_tokens = (lambda row: len(tok(render(row))["input_ids"])) if spec.max_prompt_tokens else None
    kept, counts = filters.apply(raw, spec, adapter=formats.get(source["format"]), answer_ok=task.answer_ok, n_tokens=n_tokens)
    rows = [_problem(r, task, render(r), source, i) for i, r in enumerate(kept)]
    return rows, counts


def _train(ds: dict, task: Task, spec: FilterSpec, tok) -> tuple[list[dict], dict]:
    """Every training source filtered alone, then de-duplicated and subsampled together."""
    per_source = FilterSpec(**{**asdict(spec), "max_rows": None})
    rows, counts = [], {}
    for source in ds["train"]:
        got, counts[label(source)] = _one(source, task, per_source, tok, ds["system_prompt"], ds["chat_template"])
        rows += got
    if len(ds["train"]) > 1 or spec.max_rows:
        union = FilterSpec(dedupe=spec.dedupe, max_rows=spec.max_rows, seed=spec.seed)
        kept_idx, counts["combined"] = filters.apply(
            [{"question": r["question"], "answer": i} for i, r in enumerate(rows)], union
        )
        rows = [rows[r["answer"]] for r in kept_idx]
    return rows, counts


SAME_NAME = " (two sources with the same file name, config and split give the same ids)"


def check_unique_ids(rows: list[dict], where: str, why: str = SAME_NAME) -> None:
    """Refuse a problem file whose rows repeat an id, before it is written: every later step keys
    samples and comparisons by problem id (report_compare would refuse it only after all training)."""
    first: dict = {}
    for i, row in enumerate(rows, 1):
        if row["id"] in first:
            raise ValueError(f"data: {where}: problem id {row['id']!r} repeats (rows {first[row['id']]} and {i}); "
                             f"ids must be unique{why}")
        first[row["id"]] = i


def hold_out(train: list[dict], n: int) -> tuple[list[dict], list[dict]]:
    """(train without the validation split, the validation split): the first n problems.

    Sources are already shuffled (the toy) or in the publisher's order; taking the head
    keeps the split fixed when later rows change. n = 0: no validation split.
    """
    if n and n >= len(train):
        raise ValueError(f"validation.problems = {n} leaves no training problem ({len(train)} in all)")
    return train[n:], train[:n]


def _with_downloads(ds: dict) -> None:
    """A data set named by url reads the pinned file: the workflow's `download` rule fetched
    it already (fetch then only checks it); run by hand, it is fetched here."""
    for source in [*ds["train"], *ds["test"].values()]:
        if source["url"]:
            where = download.local_path(source["url"], source["sha256"])
            source["source"] = str(download.fetch(source["url"], source["sha256"], where))


def prepare(section: DataSection | dict, paths: DataPaths, n_val: int = 0) -> dict:
    """Write the training problems (the pool, when a difficulty filter follows), the validation
    split and each test set to `paths`; return stats (the caller writes them)."""
    section = data_section(section)
    paths.check(bench_names(section), n_val)
    ds = asdict(section.datasets)  # plain rows for the adapters (already validated)
    _with_downloads(ds)
    task = get(section.task)
    fspec = section.datasets.filter
    tok = _tokenizer(section.base_model, ds["chat_template"] or fspec.max_prompt_tokens is not None)
    ctx, meter = model_context(section, tok)
    stats: dict = {"filter": {}, "multiplicity": {}}
    train, stats["filter"]["train"] = _train(ds, task, fspec, tok)
    if not train:
        raise ValueError(f"datasets.train: no problem left after filtering ({stats['filter']['train']})")
    check_unique_ids(train, f"datasets.train -> {paths.train}")
    train, validation = hold_out(train, n_val)
    check_context(validation, f"datasets.train -> {paths.validation}", ctx, meter, TRAIN_HINT)
    check_context(train, f"datasets.train -> {paths.train}", ctx, meter, TRAIN_HINT)
    if validation:
        write_jsonl(validation, paths.validation)
        stats["validation_problems"] = len(validation)
    write_jsonl(train, paths.train)
    keep_all = FilterSpec(dedupe=False)
    for bench, source in ds["test"].items():
        rows, stats["filter"][bench] = _one(source, task, keep_all, tok, ds["system_prompt"], ds["chat_template"])
        if not rows:
            raise ValueError(f"datasets.test.{bench}: no usable row ({stats['filter'][bench]})")
        check_unique_ids(rows, f"datasets.test.{bench} -> {paths.tests[bench]}")
        check_context(rows, f"datasets.test.{bench} -> {paths.tests[bench]}", ctx, meter, TEST_HINT)
        write_jsonl(rows, paths.tests[bench])
    for split, counts in stats["filter"].items():
        for name, c in (counts.items() if split == "train" else [(split, counts)]):
            dropped = ", ".join(f"{k[8:]} {v}" for k, v in c.items() if k.startswith("dropped_") and v) or "none dropped"
            log.info("%s: kept %d of %d rows (%s)", name, c["kept"], c["input"], dropped)
    return stats
