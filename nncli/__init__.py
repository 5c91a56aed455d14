"""nncli: dense neural networks on NumPy, the Keras way, driven by YAML files.

``from nncli import Sequential, layers`` is the Python API. The names are loaded on first use,
so that ``nncli --help`` does not pay for importing NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"
__all__ = ["Sequential", "layers", "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Sequential":
        return importlib.import_module("nncli.model").Sequential
    if name in ("layers", "activations", "losses", "optimizers", "metrics", "callbacks", "initializers", "regularizers"):
        return importlib.import_module(f"nncli.{name}")
    raise AttributeError(f"module 'nncli' has no attribute {name!r}")
