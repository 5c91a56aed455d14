"""The training loop behind ``Sequential.fit``.

Per batch: gather the batch's rows (one copy into a reused buffer), run each layer's
``forward`` into its reused buffers, compute the output gradient (fused with the sigmoid/softmax
when the loss allows), run ``backward`` in reverse into the flat gradient vector, and let the
optimizer update the flat parameter vector. The last layer writes its outputs straight into an
epoch-long prediction array (and, when the loss works from them, its logits into another), so
the epoch's loss and metrics are computed once per epoch from those predictions (each made with
the weights of its own batch, as Keras's running averages are) instead of once per batch.

The element-wise work runs in fused kernels (``engine/kernels``) once the training asked of the
process is long enough to pay for loading them; results are the same bits either way.

Randomness comes from the model's seed only: each epoch's shuffle and dropout masks from
``(seed, epoch)``, so a run restarted at an epoch continues exactly.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from nncli.engine import callbacks as callbacks_module
from nncli.engine import kernels
from nncli.engine import metrics as metrics_module
from nncli.errors import TrainingDivergedError, TrainingInterrupted

SHUFFLE_STREAM, DROPOUT_STREAM = 2, 3


@dataclass
class Validation:
    """Validation data, already checked: features, encoded targets, optional weights."""

    x: np.ndarray
    targets: np.ndarray
    weights: np.ndarray | None = None


@dataclass
class EpochPlan:
    """What every epoch of one ``fit`` reuses: the data, the buffers gathered into in each
    epoch's order, and which optional work (penalties, dropout, batch hooks) applies."""

    x: np.ndarray
    n_samples: int
    batch_size: int
    n_batches: int
    shuffle: bool
    fused: bool
    outputs: np.ndarray  # the last layer writes each batch's predictions straight in here
    logits: np.ndarray | None  # and its pre-activations, when the loss values come from them
    epoch_targets: np.ndarray
    epoch_fused: np.ndarray  # what the fused output gradient consumes (one-hot for sparse labels)
    epoch_weights: np.ndarray | None
    gathers: list[tuple[np.ndarray, np.ndarray]]  # (source, epoch-ordered copy) pairs
    batch_x: np.ndarray
    grad_output: np.ndarray
    penalized: bool
    random_layers: list
    batch_hooks: list

    @classmethod
    def make(cls, model: Any, x, targets, weights, batch_size, shuffle, callback_list) -> "EpochPlan":
        n_samples, units = len(x), model.output_dim
        fused = model.fused_output()
        fused_targets = model.loss.fused_targets(targets, units, model.dtype) if fused else targets
        epoch_targets = np.empty_like(targets)
        epoch_fused = epoch_targets if fused_targets is targets else np.empty_like(fused_targets)
        epoch_weights = None if weights is None else np.empty_like(weights)
        gathers = [(targets, epoch_targets)]
        if weights is not None:
            gathers.append((weights, epoch_weights))
        if epoch_fused is not epoch_targets:
            gathers.append((fused_targets, epoch_fused))
        rows = min(batch_size, n_samples)
        return cls(
            x=x, n_samples=n_samples, batch_size=batch_size, n_batches=-(-n_samples // batch_size),
            shuffle=shuffle, fused=fused, outputs=np.empty((n_samples, units), dtype=model.dtype),
            logits=np.empty((n_samples, units), dtype=model.dtype) if fused else None,
            epoch_targets=epoch_targets, epoch_fused=epoch_fused, epoch_weights=epoch_weights, gathers=gathers,
            batch_x=np.empty((rows, x.shape[1]), dtype=model.dtype),
            grad_output=np.empty((rows, units), dtype=model.dtype),
            penalized=any(layer.has_penalty() for layer in model.layers),
            random_layers=[layer for layer in model.layers if layer.uses_rng],
            batch_hooks=[c for c in callback_list if callbacks_module.overrides_batch_hook(c)],
        )


@dataclass
class EpochState:
    """The epoch in progress, for live displays: predictions so far and how many rows are done."""

    outputs: np.ndarray
    logits: np.ndarray | None
    targets: np.ndarray
    weights: np.ndarray | None
    done: int = 0


def run(model: Any, x, targets, weights, validation: Validation | None, batch_size: int, epochs: int,
        initial_epoch: int, shuffle: bool, callback_list: list, verbose: int) -> None:
    """Epochs ``initial_epoch .. epochs - 1`` with the callbacks' hooks around each."""
    plan = EpochPlan.make(model, x, targets, weights, batch_size, shuffle, callback_list)
    kernels.load_if_worth_it(plan.n_batches * max(epochs - initial_epoch, 0), model.flat_params.size)
    names = model.metrics_names
    params = {"epochs": epochs, "initial_epoch": initial_epoch, "steps": plan.n_batches,
              "samples": plan.n_samples, "batch_size": batch_size, "verbose": verbose,
              "metrics": names + ([f"val_{name}" for name in names] if validation is not None else [])}
    for callback in callback_list:
        callback.set_model(model)
        callback.set_params(params)
    for callback in callback_list:
        callback.on_train_begin()
    # Overflow is reported once, as TrainingDivergedError, not as a stream of NumPy warnings.
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        for epoch in range(initial_epoch, epochs):
            for callback in callback_list:
                callback.on_epoch_begin(epoch)
            logs = train_epoch(model, epoch, plan)
            if validation is not None:
                val_logs = model.evaluate_arrays(validation.x, validation.targets, validation.weights)
                logs.update({f"val_{key}": value for key, value in val_logs.items()})
            for callback in callback_list:
                callback.on_epoch_end(epoch, logs)
            if model.stop_training:
                break
    model.epoch_state = None
    for callback in callback_list:
        callback.on_train_end()


def _epoch_order(seed: int, epoch: int, plan: EpochPlan) -> np.ndarray | None:
    """This epoch's row order (None: no shuffling), and its dropout generator handed out."""
    if plan.random_layers:
        dropout_rng = np.random.default_rng([seed, DROPOUT_STREAM, epoch])
        for layer in plan.random_layers:
            layer.set_rng(dropout_rng)
    order = np.random.default_rng([seed, SHUFFLE_STREAM, epoch]).permutation(plan.n_samples) if plan.shuffle else None
    for source, target in plan.gathers:
        if order is None:
            target[...] = source
        else:
            np.take(source, order, axis=0, out=target)
    return order


def train_epoch(model: Any, epoch: int, plan: EpochPlan) -> dict[str, float]:
    """One pass over the training data in this epoch's order; the epoch's loss and metrics."""
    n_samples, batch_size = plan.n_samples, plan.batch_size
    order = _epoch_order(model.seed, epoch, plan)
    x, outputs, logits, weights = plan.x, plan.outputs, plan.logits, plan.epoch_weights
    step_targets = plan.epoch_fused if plan.fused else plan.epoch_targets
    penalty_sum = 0.0
    model.epoch_state = EpochState(outputs, logits, plan.epoch_targets, weights)
    for batch in range(plan.n_batches):
        start = batch * batch_size
        stop = min(start + batch_size, n_samples)
        rows = stop - start
        if order is None:
            xb = x[start:stop]
        else:
            xb = gather_rows(x, order, start, plan.batch_x[:rows])
        if plan.penalized:
            penalty_sum += model.penalty() * rows
        train_step(model, xb, step_targets[start:stop], None if weights is None else weights[start:stop],
                   outputs[start:stop], plan.grad_output[:rows], plan.fused,
                   None if logits is None else logits[start:stop])
        if plan.batch_hooks:
            model.epoch_state.done = stop
            for callback in plan.batch_hooks:
                callback.on_train_batch_end(batch)
        if model.interrupt is not None and model.interrupt.is_set():
            model.epoch_state = None
            raise TrainingInterrupted(f"training interrupted during epoch {epoch + 1}, after batch {batch + 1}")
    model.epoch_state.done = n_samples
    return epoch_logs(model, plan.epoch_targets, outputs, logits, weights, penalty_sum / n_samples, epoch,
                      batch_size)


def gather_rows(x: np.ndarray, order: np.ndarray, start: int, out: np.ndarray) -> np.ndarray:
    """``out[r] = x[order[start + r]]`` for every row of ``out``: the batch, in place."""
    compiled = kernels.compiled
    if compiled is None:
        return np.take(x, order[start:start + len(out)], axis=0, out=out)
    compiled.gather_rows(x, order, start, out)
    return out


def train_step(model: Any, xb, yb, wb, outputs, grad_output, fused: bool, logits=None) -> None:
    """Forward, output gradient, backward and one optimizer step for one batch (``logits``, if
    given, receives the last layer's pre-activations)."""
    activations = xb
    last = len(model.layers) - 1
    for layer in model.layers[:last]:
        activations = layer.forward(activations, training=True)
    if logits is None:
        model.layers[last].forward(activations, training=True, out=outputs)
    else:
        model.layers[last].forward(activations, training=True, out=outputs, z_out=logits)
    if fused:
        gradient = model.loss.logit_gradient(yb, outputs, wb, grad_output)
    else:
        np.copyto(grad_output, model.loss.gradient(yb, outputs, wb))
        gradient = grad_output
    for index in range(last, -1, -1):
        # The fused gradient is already the last layer's pre-activation gradient.
        gradient = model.layers[index].backward(gradient, need_input_grad=index > 0,
                                                grad_is_preactivation=fused and index == last)
    model.optimizer.apply(model.flat_params, model.flat_grads)


class _NoUpdate:
    """Stands in for the optimizer when gradients are wanted without a step."""

    learning_rate = 0.0

    def apply(self, params: np.ndarray, grads: np.ndarray) -> None:
        pass


def compute_gradients(model: Any, x: np.ndarray, targets: np.ndarray, weights: np.ndarray | None
                      ) -> tuple[float, np.ndarray]:
    """Loss (with penalties) and a copy of the flat gradient for one batch in training mode,
    with no optimizer step (``Sequential.compute_gradients``, gradient checks)."""
    outputs = np.empty((len(x), model.output_dim), dtype=model.dtype)
    grad_output = np.empty_like(outputs)
    fused = model.fused_output()
    logits = np.empty_like(outputs) if fused else None
    penalty = model.penalty()
    model.flat_grads.fill(0)
    optimizer, model.optimizer = model.optimizer, _NoUpdate()
    try:
        train_step(model, x, targets, weights, outputs, grad_output, fused, logits)
    finally:
        model.optimizer = optimizer
    values = loss_values(model, targets, outputs, logits)
    if weights is not None:
        values = values * weights
    return float(values.mean()) + penalty, model.flat_grads.copy()


def loss_values(model: Any, targets, outputs, logits) -> np.ndarray:
    """One loss per sample: from the logits when the model keeps them (the numerically better
    formula, and Keras's), else from the outputs."""
    return model.loss.values(targets, outputs) if logits is None else model.loss.values_from_logits(targets, logits)


def epoch_logs(model: Any, targets, outputs, logits, weights, penalty: float, epoch: int,
               batch_size: int) -> dict[str, float]:
    """The epoch's loss (penalties included) and metrics, after checking for divergence."""
    values = loss_values(model, targets, outputs, logits)
    if weights is not None:
        values = values * weights
    logs = {"loss": float(values.astype(np.float64).mean()) + penalty}
    # Before any metric: scikit-learn's metrics reject NaN predictions with their own error.
    check_finite(model, epoch, logs["loss"], values, batch_size)
    predictions = metrics_module.Predictions(targets, model.loss.probabilities(outputs), model.loss.target_kind)
    logs.update(metrics_module.compute(model.compiled_metrics, predictions))
    return logs


def running_logs(model: Any) -> dict[str, float]:
    """Loss and cheap metrics over the current epoch's batches so far (for progress displays)."""
    state = model.epoch_state
    if state is None or not state.done:
        return {}
    done = state.done
    targets, outputs = state.targets[:done], state.outputs[:done]
    values = loss_values(model, targets, outputs, None if state.logits is None else state.logits[:done])
    if state.weights is not None:
        values = values * state.weights[:done]
    logs = {"loss": float(values.mean())}
    cheap = [entry for entry in model.compiled_metrics if entry.cheap]
    if cheap:
        predictions = metrics_module.Predictions(targets, model.loss.probabilities(outputs), model.loss.target_kind)
        logs.update(metrics_module.compute(cheap, predictions))
    return logs


def check_finite(model: Any, epoch: int, loss: float, sample_losses: np.ndarray, batch_size: int) -> None:
    """Raise ``TrainingDivergedError`` naming the batch where the loss or a weight broke."""
    if math.isfinite(loss) and np.isfinite(model.flat_params).all():
        return
    bad = np.flatnonzero(~np.isfinite(sample_losses))
    if len(bad):
        where = f"epoch {epoch + 1}, batch {int(bad[0]) // batch_size + 1}"
    else:
        # Every prediction of the epoch was finite: the last batch's update broke the weights.
        where = f"epoch {epoch + 1}, batch {-(-len(sample_losses) // batch_size)}"
    learning_rate = model.optimizer.learning_rate
    raise TrainingDivergedError(
        f"training diverged: the loss or a weight became NaN/infinite at {where}. "
        f"The learning rate ({learning_rate:g}) is probably too high: try {learning_rate / 10:g} or lower, "
        f"and check that the inputs are scaled"
    )
