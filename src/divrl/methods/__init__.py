"""Method registry. Importing this package registers every method module.

    >>> from divrl import methods
    >>> methods.names()
    ['dr_grpo', 'dra_dr_grpo', 'dra_grpo', 'ds', 'grpo']
"""

from divrl.methods import backbones, dra, ds  # noqa: F401  (registration side effects)
from divrl.methods.registry import GroupInputs, Method, get, names, register

__all__ = ["GroupInputs", "Method", "get", "names", "register"]
