"""`report` (tables and figures) and `paper` (published numbers set against ours)."""

from __future__ import annotations

from typing import Annotated, Literal, Optional

from pydantic import Field, model_validator
from pydantic_core import PydanticCustomError

from divrl.settings.model import default, optional, settings

PositiveInt = Annotated[int, Field(ge=1)]


@settings
class Report:
    k_show: list[PositiveInt] = default([1, 8, 32, 128], "pass@k columns of the markdown table, increasing, each k ≤ eval.n_samples and ≤ every test set's own n_samples (the csv has every k).")
    select_k: int = Field(1, ge=1, description="Sweeps: the best grid point maximises mean validation pass@select_k over seeds.")
    alpha: float = Field(0.05, gt=0, lt=1, description="Level of the comparisons in tables/compare.md: a difference is significant where its Holm-adjusted p is below it (two-sided), and CIs are at 1 − alpha.")
    effect: float = Field(0.02, gt=0, le=1, description="The smallest difference in pass@k worth detecting: power.md gives the runs it needs; a CI inside ±effect reads 'no difference beyond ±effect'.")
    reference: str = Field("grpo", description="The method every other one is compared with in tables/compare.md (and against base). Absent from the runs: every method is compared with base only. E.g. dr_grpo for DRA-Dr.GRPO.")

ROW_METRICS = Literal["pass_at_k", "mean_at_1", "greedy_at_1", "minus_base", "minus_grpo", "div_equ", "ngram_diversity", "self_bleu"]


@settings(json_schema_extra={"oneOf": [{"required": ["value"]}, {"required": ["range"]}]})
class Row:
    table: str = Field(description="Where it is printed (e.g. Table 1, §4.4).")
    method: str = Field(description="Our method name (a key of `methods`) or base.")
    bench: str = Field(description="Test-set name (a key of datasets.test, or the task for the toy) or avg (mean over every test set).")
    metric: ROW_METRICS = Field(description="pass_at_k: unbiased pass@k; mean_at_1: mean accuracy over the N samples (Avg@N); greedy_at_1: greedy-decode accuracy; minus_base / minus_grpo: pass@k minus the base model's / GRPO's; div_equ: Div-Equ; ngram_diversity: distinct 1–3-grams over the div_equ_samples, ×100 (Table 3 Div-N-gram); self_bleu: 100 − Self-BLEU over them (Table 3 Div-Self-BLEU).")
    k: int = Field(1, ge=1, description="k of pass@k (pass_at_k, minus_base, minus_grpo).")
    value: Optional[float] = optional("The published number (percent).")
    range: Optional[list[float]] = optional("A published range [low, high] (e.g. DS's 'Pass@1 gains of 0.2%–2.9%'); ours agrees when its CI overlaps it.", min_length=2, max_length=2)
    seed: Optional[int] = Field(None, description="Compare with our run at this seed only (the paper's recipe used it), or null for every seed.")
    note: str = Field("", description="Why this row reads as it does (inferred labels, variants).")

    @model_validator(mode="after")
    def _value_or_range(self):
        # the schema's oneOf, enforced by the class (the schema validates nothing)
        if (self.value is None) == (self.range is None):
            raise PydanticCustomError("value_or_range", "give the published number as `value` or as `range`, one of the two")
        return self


@settings
class Curve:
    table: str = Field(description="Where it is printed.")
    method: str = Field(description="Our method name.")
    bench: str = Field(description="Test-set name.")
    metric: Literal["pass_at_k", "minus_base"] = Field(description="The curve's quantity (percent).")
    k: list[PositiveInt] = Field(min_length=1, description="The printed k values.")
    value: list[float] = Field(min_length=1, description="The printed values, one per k (percent).")
    note: str = Field("", description="Caveats (e.g. a lost header).")


@settings
class Paper:
    source: str = Field("", description="The paper (arXiv id) and where its numbers were read (docs/paper_sources.md).")
    rows: list[Row] = default([], "Published single numbers (or ranges) to set against ours.")
    curves: list[Curve] = default([], "Published curves over k (e.g. DS's Pass@K − base), overlaid on ours in figures/vs_paper.png.")
