"""Metrics: unbiased pass@k, diversity, seed statistics."""

from divrl.metrics.passk import k_grid, pass_at_k, pass_at_k_many

__all__ = ["k_grid", "pass_at_k", "pass_at_k_many"]
