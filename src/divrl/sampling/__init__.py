"""Sampling backends behind one interface: `sample(model_dir, prompts, spec) -> [[str]]`."""

from divrl.sampling.hf import SampleSpec, sample

__all__ = ["SampleSpec", "sample"]
