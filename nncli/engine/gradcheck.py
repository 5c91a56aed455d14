"""Gradient check of a model: its analytic gradients against central finite differences.

``gradcheck(model, x, y)`` copies the model in float64, checks the gradient of its loss
(regularizer penalties included) on one fixed batch, and returns one row per layer and weight
tensor (kernel, bias, gamma, beta) with the largest absolute and relative errors. The copy is
the model as it trains, minus randomness:

- layers that draw random numbers in training (``uses_rng``: Dropout) and have no weights are
  left out, which is exactly "dropout off";
- BatchNormalization runs in training mode on the whole batch (batch statistics), as in ``fit``;
- the loss is the model's own loss object, evaluated by ``Sequential.compute_gradients``: the
  numerical side differentiates the very number the analytic side claims to differentiate.

The numbers: central differences ``(f(w + h) − f(w − h)) / 2h`` with ``h = 1e-6`` in float64 have
a truncation error of order ``h²`` (1e-12) and a rounding error of order ``1e-16·|f| / h``
(1e-10·|f|). An entry passes when ``|analytic − numeric| ≤ atol·max(1, |loss|) + rtol·max(|analytic|,
|numeric|)``, with ``rtol = 1e-5`` and ``atol = 1e-8`` in float64: three orders of magnitude
above that noise, and far below what a wrong derivative gives (a missing factor, a wrong sign
or constant shows up as a relative error of 1e-2 or more). With ``dtype="float32"`` the analytic
gradient comes from a float32 copy (the engine's default precision), checked against the same
float64 differences with ``rtol = 1e-3``, ``atol = 1e-5``: float32 keeps about 7 digits, and
gradients summed over a batch lose some to cancellation.

Where a cross-entropy clips a probability (``p`` within 1e-7 of 0 or 1, as Keras does), the loss
is flat but the fused sigmoid/softmax gradient ``(p − y) / n`` is not; such rows are left out of
the batch (and counted in the report) rather than reported as failures. Tensors with more than
``max_per_tensor`` entries are checked on a seeded sample of them (also in the report).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncli.engine import inputs
from nncli.engine.losses import EPSILON
from nncli.engine.model import Sequential
from nncli.errors import ShapeError, UsageError

STEP = 1e-6
DEFAULT_MAX_PER_TENSOR = 1000
#: (rtol, atol) by the dtype of the analytic gradient; see the module docstring for why.
TOLERANCES = {"float64": (1e-5, 1e-8), "float32": (1e-3, 1e-5)}


@dataclass(frozen=True)
class GradcheckRow:
    """The check of one weight tensor of one layer.

    ``max_rel_error`` is ``|analytic − numeric| / max(|analytic|, |numeric|)`` (0 where both are 0);
    it is large for entries whose gradient is tiny, which is why passing also allows ``atol``.
    """

    layer: str
    layer_type: str
    tensor: str
    shape: tuple[int, ...]
    n_checked: int
    n_entries: int
    max_abs_error: float
    max_rel_error: float
    passed: bool

    @property
    def sampled(self) -> bool:
        """True when only a seeded sample of the entries was checked."""
        return self.n_checked < self.n_entries


@dataclass(frozen=True)
class GradcheckReport:
    """Every row of one gradient check and how it was made."""

    rows: list[GradcheckRow]
    loss: float
    n_samples: int
    dtype: str
    rtol: float
    atol: float
    step: float
    seed: int
    removed_layers: list[str] = field(default_factory=list)
    excluded_rows: int = 0

    @property
    def passed(self) -> bool:
        return all(row.passed for row in self.rows)

    @property
    def failures(self) -> list[GradcheckRow]:
        return [row for row in self.rows if not row.passed]

    @property
    def tolerance(self) -> str:
        """The pass rule in words, for the table's caption."""
        return (
            f"|analytic - numeric| <= {self.atol:g}*max(1, |loss|) + {self.rtol:g}*max(|analytic|, |numeric|), "
            f"analytic in {self.dtype}, central differences in float64 with step {self.step:g}"
        )


def gradcheck(
    model: Sequential,
    x: Any,
    y: Any,
    *,
    sample_weight: Any = None,
    max_per_tensor: int | None = DEFAULT_MAX_PER_TENSOR,
    seed: int = 0,
    dtype: str = "float64",
    step: float = STEP,
) -> GradcheckReport:
    """Check the analytic gradient of ``model``'s loss against central finite differences.

    Parameters
    ----------
    model : Sequential
        Built and compiled (the loss is needed); left unchanged (the check runs on copies).
    x : array-like, shape (n_samples, n_features)
        The fixed batch, scaled as the model sees it.
    y : array-like
        Targets in the encoding the loss expects (0/1 column, one-hot, class indices, values).
    sample_weight : array-like, shape (n_samples,), optional
    max_per_tensor : int or None
        Check at most this many entries per tensor, a sample drawn from ``seed``; None checks all.
    seed : int
    dtype : {"float64", "float32"}
        Precision of the analytic gradient; the finite differences are always float64.
    step : float
        The finite-difference step ``h``.

    Returns
    -------
    GradcheckReport
        One row per (layer, weight tensor), in the model's order.
    """
    _check_arguments(model, max_per_tensor, dtype, step)
    numeric, removed = _training_copy(model, "float64")
    analytic = numeric if dtype == "float64" else _training_copy(model, dtype)[0]
    x, y, weights = _batch(model, x, y, sample_weight)
    keep = _unclipped_rows(numeric, x)
    x, y, weights = x[keep], y[keep], None if weights is None else weights[keep]
    loss, gradients = _analytic_gradients(analytic, x, y, weights)
    rtol, atol = TOLERANCES[dtype]
    scaled_atol = atol * max(1.0, abs(loss))
    rows = []
    tensors = [(layer, key) for layer in numeric.layers for key in layer.params]
    for index, ((layer, key), gradient) in enumerate(zip(tensors, gradients)):
        chosen = _entries(layer.params[key].size, max_per_tensor, np.random.default_rng([seed, index]))
        numerical = _central_differences(numeric, layer.params[key], chosen, x, y, weights, step)
        rows.append(_row(layer, key, gradient.reshape(-1)[chosen], numerical, rtol, scaled_atol))
    return GradcheckReport(rows, loss, int(len(x)), dtype, rtol, atol, step, seed, removed,
                           int(np.count_nonzero(~keep)))


def _check_arguments(model: Any, max_per_tensor: Any, dtype: Any, step: Any) -> None:
    if not isinstance(model, Sequential) or not model.built:
        raise UsageError("gradcheck needs a built Sequential (its input size known)")
    if model.loss is None:
        raise UsageError("gradcheck needs a compiled model: model.compile(loss=..., optimizer=...)")
    if max_per_tensor is not None and (isinstance(max_per_tensor, bool) or not isinstance(max_per_tensor, int)
                                       or max_per_tensor <= 0):
        raise UsageError(f"max_per_tensor must be a positive integer or None. Received: max_per_tensor={max_per_tensor!r}")
    if dtype not in TOLERANCES:
        raise UsageError(f"dtype must be one of {', '.join(TOLERANCES)}. Received: dtype={dtype!r}")
    if not isinstance(step, float) or not 0.0 < step < 1e-2:
        raise UsageError(f"step must be a float between 0 and 1e-2. Received: step={step!r}")


def _batch(model: Sequential, x: Any, y: Any, sample_weight: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """The batch as float64 features, targets and weights of matching lengths (checked before
    any row is picked, so a mistake reads as one, not as an indexing error)."""
    x = inputs.features(x, np.float64, "x")
    if x.shape[1] != model.input_dim:
        raise ShapeError(f"x has {x.shape[1]} features but the model expects {model.input_dim}")
    y = np.asarray(y)
    if y.ndim == 0 or len(y) != len(x):
        raise ShapeError(f"x has {len(x)} rows but y has {'none' if y.ndim == 0 else len(y)}")
    weights = inputs.sample_weights(sample_weight, len(x), np.float64)
    return x, y, weights


def _training_copy(model: Sequential, dtype: str) -> tuple[Sequential, list[str]]:
    """``model`` rebuilt in ``dtype`` with its weights and loss, without its random layers."""
    kept, removed = [], []
    for layer in model.layers:
        if layer.uses_rng and not layer.weights():
            removed.append(layer.name)
        elif layer.uses_rng:
            raise UsageError(f"layer {layer.name!r} ({layer.type_name}) draws random numbers and has weights: "
                             "its gradient cannot be checked deterministically")
        else:
            kept.append(layer)
    config = model.get_config()
    config["layers"] = [layer.get_config() for layer in kept]
    copy = Sequential.from_config(config, seed=model.seed, dtype=dtype)
    if not copy.built:
        copy.build(model.input_dim)
    copy.set_weights([weight for layer in kept for weight in layer.weights()])
    copy.compile(optimizer="sgd", loss=model.loss)
    return copy, removed


def _unclipped_rows(model: Sequential, x: np.ndarray) -> np.ndarray:
    """Which rows to keep: those whose probabilities are inside the cross-entropy's clip bounds
    (all of them when the output gradient is not the fused one, which zeroes clipped entries)."""
    keep = np.ones(len(x), dtype=bool)
    if not model.fused_output():
        return keep
    while keep.any():
        inside = _inside_clip(model, x[keep])
        if inside.all():
            return keep
        # Batch statistics (BatchNormalization) change with the rows, so look again.
        keep[np.flatnonzero(keep)[~inside]] = False
    raise UsageError(
        f"every one of the {len(x)} rows has a probability within {EPSILON:g} of 0 or 1, where the "
        "cross-entropy is clipped and has no gradient to check; use other rows or a fresh model"
    )


def _inside_clip(model: Sequential, x: np.ndarray) -> np.ndarray:
    outputs = x
    for layer in model.layers:
        outputs = layer.forward(outputs, training=True).copy()
    return np.all((outputs > EPSILON) & (outputs < 1.0 - EPSILON), axis=1)


def _analytic_gradients(model: Sequential, x: np.ndarray, y: np.ndarray,
                        weights: np.ndarray | None) -> tuple[float, list[np.ndarray]]:
    """The loss and each weight tensor's gradient (float64 copies), layer by layer."""
    loss, _ = model.compute_gradients(x, y, weights)
    return float(loss), [layer.grads[key].astype(np.float64) for layer in model.layers for key in layer.params]


def _entries(size: int, max_per_tensor: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_per_tensor is None or size <= max_per_tensor:
        return np.arange(size)
    return np.sort(rng.choice(size, size=max_per_tensor, replace=False))


def _central_differences(model: Sequential, values: np.ndarray, chosen: np.ndarray, x: np.ndarray, y: np.ndarray,
                         weights: np.ndarray | None, step: float) -> np.ndarray:
    """``(loss(w + h) − loss(w − h)) / 2h`` for the chosen entries of ``values`` (a view into
    the model's weights, perturbed in place and restored)."""
    flat = values.reshape(-1)
    numerical = np.empty(len(chosen))
    for position, entry in enumerate(chosen):
        original = flat[entry]
        flat[entry] = original + step
        above = model.compute_gradients(x, y, weights)[0]
        flat[entry] = original - step
        below = model.compute_gradients(x, y, weights)[0]
        flat[entry] = original
        numerical[position] = (above - below) / (2.0 * step)
    return numerical


def _row(layer: Any, key: str, analytic: np.ndarray, numerical: np.ndarray, rtol: float, atol: float) -> GradcheckRow:
    error = np.abs(analytic - numerical)
    magnitude = np.maximum(np.abs(analytic), np.abs(numerical))
    relative = np.divide(error, magnitude, out=np.zeros_like(error), where=magnitude > 0)
    passed = bool(np.all(error <= atol + rtol * magnitude))  # False for NaN
    return GradcheckRow(
        layer=layer.name, layer_type=layer.type_name, tensor=key, shape=tuple(layer.params[key].shape),
        n_checked=int(len(analytic)), n_entries=int(layer.params[key].size),
        max_abs_error=float(error.max()) if error.size else 0.0,
        max_rel_error=float(relative.max()) if relative.size else 0.0, passed=passed,
    )
