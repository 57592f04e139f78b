"""Metrics: unbiased pass@k, Potential@k, Div-Equ, diversity, seed statistics."""

from divrl.metrics.passk import k_grid, pass_at_k, pass_at_k_many
from divrl.metrics.potential import div_equ, mean_at_k, potential_at_k
from divrl.metrics.stats import bootstrap_ci, seed_summary, share_uncorrelated, spearman_reward_diversity

__all__ = [
    "bootstrap_ci",
    "div_equ",
    "k_grid",
    "mean_at_k",
    "pass_at_k",
    "pass_at_k_many",
    "potential_at_k",
    "seed_summary",
    "share_uncorrelated",
    "spearman_reward_diversity",
]
