"""Where problems come from: the generated toy (`data`), real data sets (`datasets`), `validation`."""

from __future__ import annotations

from typing import Annotated, Optional

from pydantic import Field, create_model, model_validator
from pydantic_core import PydanticCustomError

from divrl.settings.evaluation import PER_TEST_SET, EvalCore
from divrl.settings.model import OPTIONAL, STRICT, default, optional, section, settings


@settings
class Validation:
    problems: int = Field(200, ge=0, description="Training problems held out as results/data/validation.jsonl (0: none; sweeps need some).")


@settings
class DataSpec:
    num_numbers: tuple[Annotated[int, Field(ge=2, le=4)], ...] = default(
        (3,), "How many numbers a problem has (a list mixes sizes).", min_length=1)
    min_number: int = Field(1, ge=1, description="Smallest number.")
    max_number: int = Field(20, ge=1, description="Largest number.")
    min_target: int = Field(1, ge=1, description="Smallest target.")
    max_target: int = Field(100, ge=1, description="Largest target.")
    n_test: int = Field(100, ge=1, description="Held-out test problems.")
    max_problems: int = Field(50_000, ge=2, description="Cap on generated problems (train + test).")
    seed: int = Field(0, ge=0, description="Seed of generation and split.")


@settings
class FilterSpec:
    dedupe: bool = Field(True, description="Drop repeated questions (whitespace/case normalised).")
    english_only: bool = Field(False, description="Drop questions with CJK or mostly non-Latin text (DAPO-17k English subset).")
    max_question_chars: Optional[int] = Field(None, ge=1, description="Drop longer questions.")
    max_prompt_tokens: Optional[int] = Field(None, ge=1, description="Drop prompts longer than this in base-model tokens.")
    max_rows: Optional[int] = Field(None, ge=1, description="Seeded subsample of the kept rows (e.g. open-rs 7000).")
    seed: int = Field(0, ge=0, description="Seed of the subsample.")


@settings
class DifficultySpec:
    samples: int = Field(0, ge=0, description="Base-model samples per training problem (0 = no difficulty filter).")
    min_pass: float = Field(0.0, ge=0, le=1, description="Lowest kept pass rate.")
    max_pass: float = Field(1.0, ge=0, le=1, description="Highest kept pass rate.")


def _per_test_set_eval():
    """The eval keys a test set may override, with the eval section's types and bounds
    (one definition: they are copied from EvalCore, not restated)."""
    fields = {}
    for name in PER_TEST_SET:
        info = EvalCore.__pydantic_fields__[name]
        bounds = {k: getattr(m, k) for m in info.metadata for k in ("ge", "gt", "le", "lt") if getattr(m, k, None) is not None}
        fields[name] = (Optional[info.annotation], Field(None, description=f"Replaces eval.{name} for this test set.", json_schema_extra={OPTIONAL: True}, **bounds))
    return create_model("SourceEval", __config__=STRICT, **fields)


SourceEval = _per_test_set_eval()


# Checks the config schema makes before any job (pydantic cannot express them): a url
# comes with its checksum, and a data set is named by exactly one of source and url.
_ONE_SOURCE = {
    "dependentRequired": {"url": ["sha256"], "sha256": ["url"]},
    "if": {"required": ["url"]},
    "then": {"properties": {"source": {"maxLength": 0}}},
    "else": {"required": ["source"], "properties": {"source": {"minLength": 1}}},
}


@settings(json_schema_extra=_ONE_SOURCE)
class Source:
    """One data set: each entry of datasets.train and each value of datasets.test."""

    format: str = Field(description="Column layout (`divrl formats` lists them: gsm8k, math, dapo17k, countdown_tasks, …).")
    source: str = Field("", description="Hub id (e.g. openai/gsm8k) or a local folder in hub layout, a save_to_disk folder, or a parquet/jsonl file. Leave it out with `url`.")
    url: Optional[str] = optional(
        "Instead of `source`, a file that is not on the hub (e.g. Qwen2.5-Math's College Math): a pinned URL (a commit, not a branch) that the workflow's `download` rule fetches to resources/downloads/ before the data job. Needs `sha256`.")
    sha256: Optional[str] = optional(
        "With `url`: the file's sha256 (64 lower-case hex digits); a download with other bytes is refused.",
        pattern=r"^[0-9a-f]{64}$")
    name: Optional[str] = Field(None, description="Hub config name (e.g. gsm8k's `main`).")
    split: str = Field("train", description="Split to read.")
    template: str = Field("r1_boxed", description="Prompt template (divrl/data/templates.py).")
    offset: int = Field(0, ge=0, description="Skip the first rows (TinyZero's Countdown test set is rows 327680… of the train split).")
    max_rows: Optional[int] = Field(None, ge=1, description="Rows after `offset` to read (null: all; the training subsample is datasets.filter.max_rows).")
    eval: Optional[SourceEval] = optional(
        "Test sets only: evaluation settings for this set that replace the eval section's (e.g. R1-zero-Div §3: MATH-500 with 16 samples at T 0.9 for Div-Equ and Potential@16). Changing them reruns only this set's evaluations.")
    in_average: Optional[bool] = optional(
        "Test sets only: count this set in tables/benchmarks.md's average and the scorecard's avg rows (default true; false for an analysis set such as a second evaluation of MATH-500).")

    @model_validator(mode="after")
    def _one_pinned_source(self):
        # the schema's checks again, for a hand-written `divrl data --params`
        if (self.url is None) != (self.sha256 is None):
            raise PydanticCustomError("unpinned_download", "url and sha256 go together: give both (or neither)")
        if bool(self.source) == (self.url is not None):
            raise PydanticCustomError("one_source", "name the data set by source or by url (with sha256), not both or neither")
        return self


@settings
class Datasets:
    train: list[Source] = Field(min_length=1, description="Training data sets (one or more; several are concatenated, then filtered together, e.g. DAPO-17k English + MATH12k).")
    test: dict[str, Source] = Field(min_length=1, description="Benchmark name -> source; each is evaluated separately (results/eval/METHOD/seedS/NAME/).")
    filter: FilterSpec = section(FilterSpec, "Filters applied to the training set (every dropped row is counted per reason).")
    chat_template: bool = Field(False, description="Wrap prompts with the base model's chat template (instruct models).")
    system_prompt: Optional[str] = Field(None, description="System message when chat_template is on.")
    difficulty: DifficultySpec = section(DifficultySpec, "Keep training problems whose base-model pass rate lies in [min_pass, max_pass] (samples = 0 turns it off).")
