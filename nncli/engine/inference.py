"""A model in inference mode: outputs for any number of rows (in chunks), and the loss and
metrics of a split computed from them (what ``evaluate``, validation and a run's final metrics
use)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine import inputs
from nncli.engine import metrics as metrics_module
from nncli.engine import training
from nncli.errors import TrainingDivergedError


def predict_arrays(model: Any, x: np.ndarray, logits: np.ndarray | None = None) -> np.ndarray:
    """Outputs for every row of checked features, ``inputs.CHUNK_ROWS`` rows at a time; the last
    layer's pre-activations go into ``logits`` when given (a Dense last layer)."""
    outputs = np.empty((len(x), model.output_dim), dtype=model.dtype)
    last = model.layers[-1]
    for start in range(0, len(x), inputs.CHUNK_ROWS):
        rows = slice(start, start + inputs.CHUNK_ROWS)
        activations = x[rows]
        for layer in model.layers[:-1]:
            activations = layer.infer(activations)
        if logits is None:
            outputs[rows] = last.infer(activations)
        else:
            outputs[rows], logits[rows] = last.infer_with_logits(activations)
    return outputs


def evaluate_arrays(model: Any, x: np.ndarray, targets: np.ndarray, weights: np.ndarray | None) -> dict[str, float]:
    """Loss (with penalties) and metrics on checked arrays.

    Outputs that are NaN or infinite (a diverged model) raise ``TrainingDivergedError`` before
    any metric sees them.
    """
    logits = np.empty((len(x), model.output_dim), dtype=model.dtype) if model.fused_output() else None
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        outputs = predict_arrays(model, x, logits)
    if not np.isfinite(outputs).all():
        bad = int(np.count_nonzero(~np.isfinite(outputs).all(axis=1)))
        raise TrainingDivergedError(
            f"the model's outputs are NaN or infinite on {bad} of {len(outputs)} rows: its weights diverged "
            f"(try a lower learning rate) or the inputs are far outside what it was trained on")
    values = training.loss_values(model, targets, outputs, logits)
    if weights is not None:
        values = values * weights
    logs = {"loss": float(values.astype(np.float64).mean()) + model.penalty()}
    predictions = metrics_module.Predictions(targets, model.loss.probabilities(outputs), model.loss.target_kind)
    logs.update(metrics_module.compute(model.compiled_metrics, predictions))
    return logs
