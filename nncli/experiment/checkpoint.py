"""The two array files of a run: ``checkpoint.npz`` (everything needed to resume exactly, each
epoch) and ``model.npz`` (the final weights with the preprocessing), both plain ``.npz``
archives of numbers and text, read back with their shapes checked before anything is inflated.

checkpoint.npz: ``epoch``, ``weight_000`` ..., the optimizer's ``opt_*`` state, each stateful
callback's ``cb<i>_*`` state, the history so far (``history_<column>``) and the preprocessing
(``pre_*``), so an interrupted run can be evaluated, predicted with and plotted too.
model.npz: ``weight_000`` ..., ``pre_*`` and ``meta`` (JSON: format, nncli version, task, dtype,
number of samples the data had).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from nncli import __version__, io
from nncli.errors import RunDirError

MODEL_FORMAT = 1


def _pack_state(prefix: str, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    for key, value in state.items():
        if isinstance(value, list):
            arrays[f"{prefix}{key}__n"] = np.array(len(value))
            for index, item in enumerate(value):
                arrays[f"{prefix}{key}__{index}"] = np.asarray(item)
        else:
            arrays[f"{prefix}{key}"] = np.asarray(value)


def unpack_state(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """A callback's state from ``cb<i>_*`` arrays (lists of arrays kept as lists)."""
    state: dict[str, Any] = {}
    for name, value in arrays.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        if key.endswith("__n"):
            base = key[:-3]
            state[base] = [arrays[f"{prefix}{base}__{i}"] for i in range(int(value))]
        elif "__" not in key:
            state[key] = value
    return state


def weight_arrays(model: Any) -> dict[str, np.ndarray]:
    return {f"weight_{index:03d}": weight for index, weight in enumerate(model.get_weights())}


def save_checkpoint(path: Path, model: Any, epochs_done: int, stateful: list, rows: list[dict[str, float]],
                    columns: list[str], preprocessor: Any) -> None:
    arrays: dict[str, np.ndarray] = {"epoch": np.array(epochs_done), **weight_arrays(model)}
    arrays.update(model.optimizer.get_state())
    for index, callback in enumerate(stateful):
        _pack_state(f"cb{index}_", callback.get_state(), arrays)
    for column in columns:
        arrays[f"history_{column}"] = np.array([row[column] for row in rows], dtype=np.float64)
    arrays.update(preprocessor.to_arrays())
    io.save_npz(path, arrays)


def save_model(path: Path, model: Any, preprocessor: Any, n_samples: int) -> None:
    meta = {"format": MODEL_FORMAT, "nncli": __version__, "task": preprocessor.task,
            "dtype": np.dtype(model.dtype).name, "n_samples": int(n_samples)}
    io.save_npz(path, {**weight_arrays(model), **preprocessor.to_arrays(), "meta": np.array(json.dumps(meta))})


def expected_shapes(model: Any) -> dict[str, tuple[int, ...]]:
    """The shape of every ``weight_NNN`` array of a model (checked before an archive is read)."""
    return {name: tuple(weight.shape) for name, weight in weight_arrays(model).items()}


def load(path: Path, model: Any, what: str) -> dict[str, np.ndarray]:
    """The arrays of a run's ``.npz`` file, with the weights' shapes checked against ``model``."""
    arrays = io.load_npz(path, expected=expected_shapes(model), what=what, error=RunDirError)
    missing = [name for name in expected_shapes(model) if name not in arrays]
    if missing:
        raise RunDirError(f"could not read {path}: it lacks {', '.join(missing[:3])} (not this run's model)")
    return arrays


def weights(arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    return [arrays[name] for name in sorted(name for name in arrays if name.startswith("weight_"))]


def history_rows(arrays: dict[str, np.ndarray], columns: list[str]) -> list[dict[str, float]]:
    """The history a checkpoint holds, one dict per epoch (``epoch`` as an int)."""
    n_rows = int(arrays["epoch"])
    rows = [{column: float(arrays[f"history_{column}"][i]) for column in columns} for i in range(n_rows)]
    for row in rows:
        row["epoch"] = int(row["epoch"])
    return rows


def meta(arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """``model.npz``'s metadata (empty for a checkpoint)."""
    if "meta" not in arrays:
        return {}
    try:
        value = json.loads(str(arrays["meta"][()]))
    except (ValueError, TypeError):
        raise RunDirError("the saved model's metadata is not valid JSON") from None
    return value if isinstance(value, dict) else {}
