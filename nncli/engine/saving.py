"""Saving a bare ``Sequential`` (no run directory): its layers and compile settings as JSON and
its weights as ``weight_NNN`` arrays, in one ``.npz`` archive read back without pickle."""

from __future__ import annotations

import inspect
import json
from pathlib import Path
from typing import Any

import numpy as np

from nncli.engine import metrics as metrics_module
from nncli.errors import UsageError

SAVE_FORMAT = 1


def save(model: Any, path: str | Path) -> Path:
    from nncli import io

    model._require_built()
    described = {"format": SAVE_FORMAT, "config": model.get_config(), "seed": model.seed, "name": model.name,
                 "dtype": np.dtype(model.dtype).name, "compile": compile_config(model)}
    arrays = {f"weight_{index:03d}": weight for index, weight in enumerate(model.get_weights())}
    io.save_npz(path, {**arrays, "sequential": np.array(json.dumps(io.to_builtin(described)))})
    return Path(path)


def load(cls: type, path: str | Path) -> Any:
    from nncli import io

    arrays = io.load_npz(path, what="model file", error=UsageError)
    if "sequential" not in arrays:
        raise UsageError(f"{path} is not a model saved by Sequential.save (a run's model.npz loads with "
                         f"nncli.load_run(run_folder))")
    described = json.loads(str(arrays["sequential"][()]))
    model = cls.from_config(described["config"], seed=described["seed"], dtype=described["dtype"])
    model.name = described["name"]
    if described.get("compile"):
        model.compile(**described["compile"])
    model.set_weights([arrays[name] for name in sorted(arrays) if name.startswith("weight_")])
    return model


def compile_config(model: Any) -> dict[str, Any] | None:
    """``compile``'s arguments as plain values (None for a model not compiled)."""
    if model.loss is None or model.optimizer is None:
        return None
    if any(entry.name not in metrics_module.METRICS or metrics_module.METRICS[entry.name] is not entry
           for entry in model.compiled_metrics):
        raise UsageError("save keeps registered metrics only; compile with metric names to save the model")
    accepted = inspect.signature(type(model.optimizer)).parameters
    optimizer = {key: value for key, value in model.optimizer.get_config().items() if key == "name" or key in accepted}
    return {"loss": model.loss.get_config(), "optimizer": optimizer,
            "metrics": [entry.name for entry in model.compiled_metrics]}
