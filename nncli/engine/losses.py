"""Loss functions with Keras's names, defaults and "sum over batch size" reduction.

A loss compares targets ``y_true`` with predictions ``y_pred`` of shape ``(n_samples, units)``
(sparse categorical targets are integer class indices of shape ``(n_samples,)``).

- ``values(y_true, y_pred)`` gives one loss per sample, shape ``(n_samples,)``;
- ``values_from_logits(y_true, logits)`` the same from the pre-activations of a sigmoid/softmax
  output layer, for the cross-entropies;
- ``loss(y_true, y_pred, sample_weight)`` is ``sum(values * sample_weight) / n_samples``;
- ``gradient(y_true, y_pred, sample_weight)`` is the gradient of that mean w.r.t. ``y_pred``.

When the model's last activation is the one a cross-entropy expects (sigmoid for binary,
softmax for categorical), the model works from that layer's pre-activations, the logits, as
Keras's TensorFlow backend does (it finds the logits behind the sigmoid/softmax op):
``values_from_logits`` computes the loss with log-sum-exp, without clipping, so a confidently
wrong sample costs its full -log p (24.6 for a logit of -24.6, not the clip's 16.1) and a
probability near 1 keeps its digits in float32; ``logit_gradient`` is the gradient with respect
to the logits, ``(p - y) / n``, exact, cheaper and stable. ``values`` on probabilities given
from outside clips them to ``[1e-7, 1 - 1e-7]``, as Keras does for probabilities it cannot
trace back to logits.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine import kernels
from nncli.engine.activations import sigmoid, softmax
from nncli.errors import ConfigError
from nncli.registry import Registry

LOSSES = Registry("loss")

EPSILON = 1e-7

#: The target encodings a loss may expect, by task (``Loss.target_kind`` is one of them).
TARGET_KINDS = {"classification": ("binary", "categorical", "sparse"), "regression": ("regression",)}


def one_hot(labels: np.ndarray, n_classes: int, dtype=np.float64) -> np.ndarray:
    """Class indices (n_samples,) → one-hot rows (n_samples, n_classes): nncli's one one-hot."""
    labels = np.asarray(labels).reshape(-1).astype(np.intp)
    encoded = np.zeros((len(labels), n_classes), dtype=dtype)
    encoded[np.arange(len(labels)), labels] = 1.0
    return encoded


def _weights(sample_weight, n_samples: int, dtype) -> np.ndarray | None:
    if sample_weight is None:
        return None
    return np.asarray(sample_weight, dtype=dtype).reshape(n_samples, 1)


def _scaled_difference(probabilities, targets, sample_weight, divisor: int, out) -> np.ndarray:
    """``out = (probabilities - targets) * sample_weight / divisor`` (one weight per row, or
    none), in one pass once training has loaded the kernels, else in NumPy (the same bits)."""
    compiled = kernels.compiled
    same_dtype = probabilities.dtype == targets.dtype == out.dtype and (
        sample_weight is None or sample_weight.dtype == out.dtype)
    if compiled is not None and same_dtype:
        if sample_weight is None:
            compiled.scaled_difference(probabilities, targets, np.array([1.0 / divisor], dtype=out.dtype), out)
        else:
            compiled.weighted_difference(probabilities, targets, sample_weight, np.array([divisor], dtype=out.dtype), out)
        return out
    np.subtract(probabilities, targets, out=out)
    if sample_weight is None:
        out *= 1.0 / divisor
    else:
        out *= sample_weight.reshape(len(out), 1) / divisor
    return out


class Loss:
    """Base class. Subclasses set ``name`` and ``target_kind`` and implement the math."""

    name = ""
    #: How targets are encoded: "binary" (n, units) 0/1, "categorical" (n, k) one-hot,
    #: "sparse" (n,) integer, "regression" (n, units) floats.
    target_kind = "regression"
    #: The output activation whose gradient this loss can fuse with ("sigmoid"/"softmax").
    fused_activation: str | None = None

    @property
    def task(self) -> str:
        """"classification" or "regression": what the targets this loss expects describe."""
        return next(task for task, kinds in TARGET_KINDS.items() if self.target_kind in kinds)

    def probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Model outputs as probabilities: the output activation applied when the loss works
        on logits (``from_logits``), else the outputs as they are."""
        if not getattr(self, "from_logits", False) or self.fused_activation is None:
            return outputs
        return sigmoid(outputs) if self.fused_activation == "sigmoid" else softmax(outputs)

    def __call__(self, y_true, y_pred, sample_weight=None) -> float:
        values = self.values(np.asarray(y_true), np.asarray(y_pred))
        if sample_weight is not None:
            values = values * np.asarray(sample_weight, dtype=values.dtype).reshape(-1)
        return float(values.sum() / max(len(values), 1))

    def values(self, y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def values_from_logits(self, y_true: np.ndarray, logits: np.ndarray) -> np.ndarray:
        """One loss per sample, shape ``(n_samples,)``, from the pre-activations ``logits`` of
        the output activation this loss fuses with (``fused_activation``)."""
        raise NotImplementedError(f"{self.name} is not computed from logits")

    def gradient(self, y_true, y_pred, sample_weight=None) -> np.ndarray:
        raise NotImplementedError

    def logit_gradient(self, y_true, probabilities, sample_weight, out) -> np.ndarray:
        raise NotImplementedError(f"{self.name} has no fused gradient")

    def fused_targets(self, y_true: np.ndarray, n_outputs: int, dtype) -> np.ndarray:
        """Targets in the form ``logit_gradient`` takes (computed once per ``fit``)."""
        return y_true

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **{k: v for k, v in vars(self).items() if not k.startswith("_")}}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items() if not k.startswith("_"))
        return f"{type(self).__name__}({args})"


@LOSSES.register("mse", "mean_squared_error", "MeanSquaredError")
class MeanSquaredError(Loss):
    def values(self, y_true, y_pred):
        return np.square(y_pred - y_true.reshape(y_pred.shape)).mean(axis=-1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples, units = y_pred.shape
        grad = (y_pred - y_true.reshape(y_pred.shape)) * (2.0 / (n_samples * units))
        weights = _weights(sample_weight, n_samples, y_pred.dtype)
        return grad if weights is None else grad * weights


@LOSSES.register("mae", "mean_absolute_error", "MeanAbsoluteError")
class MeanAbsoluteError(Loss):
    def values(self, y_true, y_pred):
        return np.abs(y_pred - y_true.reshape(y_pred.shape)).mean(axis=-1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples, units = y_pred.shape
        grad = np.sign(y_pred - y_true.reshape(y_pred.shape)) / (n_samples * units)
        weights = _weights(sample_weight, n_samples, y_pred.dtype)
        return grad if weights is None else grad * weights


@LOSSES.register("huber", "Huber")
class Huber(Loss):
    """Quadratic for errors up to ``delta``, linear beyond (Keras default ``delta=1.0``)."""

    def __init__(self, delta: float = 1.0) -> None:
        delta = float(delta)
        if not delta > 0:
            raise ConfigError(f"huber delta must be > 0. Received: delta={delta}")
        self.delta = delta

    def values(self, y_true, y_pred):
        error = np.abs(y_pred - y_true.reshape(y_pred.shape))
        quadratic = 0.5 * np.square(error)
        linear = self.delta * error - 0.5 * self.delta**2
        return np.where(error <= self.delta, quadratic, linear).mean(axis=-1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples, units = y_pred.shape
        error = y_pred - y_true.reshape(y_pred.shape)
        grad = np.clip(error, -self.delta, self.delta) / (n_samples * units)
        weights = _weights(sample_weight, n_samples, y_pred.dtype)
        return grad if weights is None else grad * weights


def _log_sigmoid(z: np.ndarray) -> np.ndarray:
    # log(sigmoid(z)) = -log(1 + exp(-z)), stable for both signs.
    return -np.logaddexp(0.0, -z)


def _binary_from_logits(targets: np.ndarray, logits: np.ndarray) -> np.ndarray:
    return -(targets * _log_sigmoid(logits) + (1.0 - targets) * _log_sigmoid(-logits)).mean(axis=-1)


def _log_softmax(logits: np.ndarray) -> np.ndarray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


@LOSSES.register("binary_crossentropy", "bce", "BinaryCrossentropy")
class BinaryCrossentropy(Loss):
    """Cross-entropy of 0/1 targets, mean over the last axis (Keras semantics)."""

    target_kind = "binary"
    fused_activation = "sigmoid"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)

    def _smooth(self, y_true, shape):
        y_true = y_true.reshape(shape)
        if self.label_smoothing:
            return y_true * (1.0 - self.label_smoothing) + 0.5 * self.label_smoothing
        return y_true

    def values(self, y_true, y_pred):
        if self.from_logits:
            return self.values_from_logits(y_true, y_pred)
        y_true = self._smooth(y_true, y_pred.shape)
        p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
        return -(y_true * np.log(p) + (1.0 - y_true) * np.log(1.0 - p)).mean(axis=-1)

    def values_from_logits(self, y_true, logits):
        return _binary_from_logits(self._smooth(y_true, logits.shape), logits)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples, units = y_pred.shape
        y_true = self._smooth(y_true, y_pred.shape)
        if self.from_logits:
            grad = (sigmoid(y_pred) - y_true) / (n_samples * units)
        else:
            p = np.clip(y_pred, EPSILON, 1.0 - EPSILON)
            inside = (y_pred > EPSILON) & (y_pred < 1.0 - EPSILON)
            grad = (p - y_true) / (p * (1.0 - p)) * inside / (n_samples * units)
        weights = _weights(sample_weight, n_samples, y_pred.dtype)
        return grad if weights is None else grad * weights

    def logit_gradient(self, y_true, probabilities, sample_weight, out):
        n_samples, units = probabilities.shape
        targets = self._smooth(y_true, probabilities.shape)
        return _scaled_difference(probabilities, targets, sample_weight, n_samples * units, out)


def _check_smoothing(value: float) -> float:
    value = float(value)
    if not 0.0 <= value <= 1.0:
        raise ConfigError(f"label_smoothing must be between 0 and 1. Received: label_smoothing={value}")
    return value


@LOSSES.register("categorical_crossentropy", "cce", "CategoricalCrossentropy")
class CategoricalCrossentropy(Loss):
    """Cross-entropy of one-hot targets, summed over classes (Keras semantics)."""

    target_kind = "categorical"
    fused_activation = "softmax"

    def __init__(self, from_logits: bool = False, label_smoothing: float = 0.0) -> None:
        self.from_logits = bool(from_logits)
        self.label_smoothing = _check_smoothing(label_smoothing)

    def _targets(self, y_true, y_pred):
        y_true = np.asarray(y_true, dtype=y_pred.dtype).reshape(y_pred.shape)
        if self.label_smoothing:
            n_classes = y_pred.shape[-1]
            return y_true * (1.0 - self.label_smoothing) + self.label_smoothing / n_classes
        return y_true

    def values(self, y_true, y_pred):
        if self.from_logits:
            return self.values_from_logits(y_true, y_pred)
        y_true = self._targets(y_true, y_pred)
        # Keras renormalises the rows before clipping.
        p = y_pred / y_pred.sum(axis=-1, keepdims=True)
        return -(y_true * np.log(np.clip(p, EPSILON, 1.0 - EPSILON))).sum(axis=-1)

    def values_from_logits(self, y_true, logits):
        return -(self._targets(y_true, logits) * _log_softmax(logits)).sum(axis=-1)

    def gradient(self, y_true, y_pred, sample_weight=None):
        n_samples = y_pred.shape[0]
        y_true = self._targets(y_true, y_pred)
        if self.from_logits:
            grad = (softmax(y_pred) * y_true.sum(axis=-1, keepdims=True) - y_true) / n_samples
        else:
            row_sum = y_pred.sum(axis=-1, keepdims=True)
            p = y_pred / row_sum
            inside = (p > EPSILON) & (p < 1.0 - EPSILON)
            # d/dy of -sum(t * log(y / s)) with s = sum(y): -t/y + sum(t)/s (zero where clipped).
            grad_p = -y_true * inside / np.clip(p, EPSILON, 1.0 - EPSILON)
            grad = (grad_p - (grad_p * p).sum(axis=-1, keepdims=True)) / row_sum / n_samples
        weights = _weights(sample_weight, n_samples, y_pred.dtype)
        return grad if weights is None else grad * weights

    def logit_gradient(self, y_true, probabilities, sample_weight, out):
        targets = self._targets(y_true, probabilities)
        return _scaled_difference(probabilities, targets, sample_weight, probabilities.shape[0], out)


@LOSSES.register("sparse_categorical_crossentropy", "scce", "SparseCategoricalCrossentropy")
class SparseCategoricalCrossentropy(Loss):
    """Cross-entropy of integer class targets of shape ``(n_samples,)``."""

    target_kind = "sparse"
    fused_activation = "softmax"

    def __init__(self, from_logits: bool = False) -> None:
        self.from_logits = bool(from_logits)
        self._dense = CategoricalCrossentropy(from_logits=from_logits)

    def values(self, y_true, y_pred):
        # The categorical formula with one-hot targets keeps one term per row: pick it directly.
        if self.from_logits:
            return self.values_from_logits(y_true, y_pred)
        labels = np.asarray(y_true).reshape(-1).astype(np.intp)
        picked = y_pred[np.arange(len(labels)), labels] / y_pred.sum(axis=-1)
        return -np.log(np.clip(picked, EPSILON, 1.0 - EPSILON))

    def values_from_logits(self, y_true, logits):
        labels = np.asarray(y_true).reshape(-1).astype(np.intp)
        shifted = logits - logits.max(axis=-1, keepdims=True)
        return np.log(np.exp(shifted).sum(axis=-1)) - shifted[np.arange(len(labels)), labels]

    def gradient(self, y_true, y_pred, sample_weight=None):
        return self._dense.gradient(one_hot(y_true, y_pred.shape[1], y_pred.dtype), y_pred, sample_weight)

    def fused_targets(self, y_true, n_outputs, dtype):
        # One-hot rows, so the per-batch gradient is one subtraction, not a fancy-indexed update.
        return one_hot(y_true, n_outputs, dtype)

    def logit_gradient(self, y_true, probabilities, sample_weight, out):
        """``y_true``: integer labels (n,) or the one-hot rows of ``fused_targets``."""
        n_samples = probabilities.shape[0]
        if y_true.ndim == 2:
            return _scaled_difference(probabilities, y_true, sample_weight, n_samples, out)
        np.copyto(out, probabilities)
        out[np.arange(n_samples), y_true] -= 1.0
        if sample_weight is None:
            out *= 1.0 / n_samples
        else:
            out *= sample_weight.reshape(n_samples, 1) / n_samples
        return out


def get(identifier: str | dict | Loss) -> Loss:
    """A loss from a name, ``{"name": ..., **kwargs}`` or a ``Loss`` object."""
    return LOSSES.build(identifier, Loss)
