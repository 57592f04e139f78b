"""Method registry. Importing this package registers every method module.

    >>> from divrl import methods
    >>> methods.get("dra_dapo").name      # DRA composes with any registered backbone
    'dra_dapo'
"""

from divrl.methods import backbones, div, dra, ds, entropy, passk, unlikeliness  # noqa: F401  (registration)
from divrl.methods.describe import describe, describe_markdown
from divrl.methods.hyperparameters import Hyperparameters
from divrl.methods.registry import GroupInputs, Method, get, names, register

__all__ = ["GroupInputs", "Hyperparameters", "Method", "describe", "describe_markdown", "get", "names", "register"]
