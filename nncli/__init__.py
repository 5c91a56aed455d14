"""nncli: dense neural networks on NumPy, the Keras way, driven by YAML files.

``from nncli import Sequential, layers, callbacks, optimizers`` is the Python API (Keras's
``from tensorflow.keras import ...`` with the import line changed). The names are loaded on first
use, so that ``nncli --help`` does not pay for importing NumPy.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

#: The engine's modules, importable as ``from nncli import layers`` (Keras's spelling).
ENGINE_MODULES = ("activations", "initializers", "regularizers", "layers", "losses", "optimizers", "metrics",
                  "callbacks")
__all__ = ["Sequential", "load_run", "sweep", *ENGINE_MODULES, "__version__"]


def __getattr__(name: str) -> Any:
    if name == "Sequential":
        return importlib.import_module("nncli.engine.model").Sequential
    if name == "load_run":  # nncli.load_run("runs/lfw").predict(raw_rows)
        return importlib.import_module("nncli.experiment.evaluation").load_run
    if name == "sweep":  # nncli.sweep("configs/digits.yaml", grid=[...]) -> the table
        return importlib.import_module("nncli.experiment.sweep").sweep
    if name in ENGINE_MODULES:
        return importlib.import_module(f"nncli.engine.{name}")
    raise AttributeError(f"module 'nncli' has no attribute {name!r}")
