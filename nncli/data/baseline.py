"""The baseline beside every result: the majority class, or the training mean for regression."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.data.preprocessing import as_label_vector, as_targets
from nncli.data.registry import TASKS
from nncli.errors import ConfigError, DataError


def baseline(
    y_true: np.ndarray, task: str, y_train: np.ndarray | None = None, class_names: list[str] | None = None
) -> dict[str, Any]:
    """The score of a model that ignores the features, on the split being evaluated.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Labels (raw or indices; one-hot rows are accepted) or targets of the evaluated split.
    task : {"classification", "regression"}
    y_train : ndarray, optional
        Regression: the mean predictor predicts the training targets' mean (else ``y_true``'s).
    class_names : list of str, optional
        Names of integer labels ``0 .. n_classes - 1``, for the reported class.

    Returns
    -------
    dict
        Classification: ``{"kind": "majority_class", "accuracy": 0.651, "class": "George W Bush"}``
        (accuracy of always predicting the most frequent class of ``y_true``).
        Regression: ``{"kind": "mean_predictor", "mse": ..., "mae": ...}`` averaged over targets.
    """
    y_true = np.asarray(y_true)
    if y_true.shape[0] == 0:
        raise DataError("cannot compute a baseline on an empty split")
    if task == "classification":
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else as_label_vector(y_true)
        values, counts = np.unique(labels, return_counts=True)
        top = int(counts.argmax())
        label = values[top].item()
        named = class_names is not None and isinstance(label, int) and 0 <= label < len(class_names)
        return {
            "kind": "majority_class",
            "accuracy": float(counts[top] / len(labels)),
            "class": class_names[label] if named else str(label),
        }
    if task == "regression":
        targets = as_targets(y_true)
        center = as_targets(y_train).mean(axis=0) if y_train is not None else targets.mean(axis=0)
        errors = targets - center
        return {"kind": "mean_predictor", "mse": float(np.mean(errors**2)), "mae": float(np.mean(np.abs(errors)))}
    raise ConfigError(f"unknown task {task!r} (choose from: {', '.join(TASKS)})")
