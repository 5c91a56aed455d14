"""``Sequential``: a stack of layers that is compiled, fitted, evaluated and used to predict.

Training loop, per batch: gather the batch's rows (one ``np.take`` into a reused buffer), run
each layer's ``forward`` into its reused buffers, compute the output gradient (fused with the
sigmoid/softmax when the loss allows), run ``backward`` in reverse into the flat gradient
vector, and let the optimizer update the flat parameter vector. The last layer writes its
outputs straight into an epoch-long prediction array, so the epoch's loss and metrics are
computed once per epoch from those predictions (each made with the weights of its own batch, as
Keras's running averages are) instead of once per batch.

Randomness comes from the model's seed only: weights from ``(seed, layer index)``, each epoch's
shuffle and dropout masks from ``(seed, epoch)``, so a run restarted at an epoch continues
exactly.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any, Iterable

import numpy as np

from nncli.engine import callbacks as callbacks_module
from nncli.engine import layers as layers_module
from nncli.engine import losses as losses_module
from nncli.engine import metrics as metrics_module
from nncli.engine import optimizers as optimizers_module
from nncli.errors import ConfigError, DataError, ShapeError, TrainingDivergedError, TrainingInterrupted, UsageError

_INIT_STREAM, _SHUFFLE_STREAM, _DROPOUT_STREAM = 1, 2, 3
_CLASSIFICATION_ONLY = {"accuracy", "precision", "recall", "f1", "auc"}
#: Rows per chunk at prediction time and in input checks: bounds the temporary memory of a
#: large evaluate/predict (60,000 x 784 inputs need ~3 MB per layer, not a copy per layer).
_PREDICT_CHUNK = 2048


def validation_split_index(n_samples: int, validation_split: float) -> int:
    """Where Keras cuts ``validation_split``: rows before the index train, the rest validate."""
    return int(math.floor(n_samples * (1.0 - float(validation_split))))


class _NoUpdate:
    """Stands in for the optimizer when gradients are wanted without a step."""

    learning_rate = 0.0

    def apply(self, params: np.ndarray, grads: np.ndarray) -> None:
        pass


def _readable_bytes(n_bytes: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.2f} {unit}"
        n_bytes /= 1024
    return f"{n_bytes:.2f} GB"


@dataclass
class _EpochPlan:
    """What every epoch of one ``fit`` reuses: the data, the buffers gathered into in each
    epoch's order, and which optional work (penalties, dropout, batch hooks) applies."""

    x: np.ndarray
    n_samples: int
    batch_size: int
    n_batches: int
    shuffle: bool
    fused: bool
    outputs: np.ndarray  # the last layer writes each batch's predictions straight in here
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
    def make(cls, model: "Sequential", x, targets, weights, batch_size, shuffle, callback_list) -> "_EpochPlan":
        n_samples, units = len(x), model.output_dim
        fused = model._fused_output()
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
            epoch_targets=epoch_targets, epoch_fused=epoch_fused, epoch_weights=epoch_weights, gathers=gathers,
            batch_x=np.empty((rows, x.shape[1]), dtype=model.dtype),
            grad_output=np.empty((rows, units), dtype=model.dtype),
            penalized=any(layer.has_penalty() for layer in model.layers),
            random_layers=[layer for layer in model.layers if layer.uses_rng],
            batch_hooks=[c for c in callback_list if callbacks_module.overrides_batch_hook(c)],
        )


class Sequential:
    """A linear stack of layers, with Keras's API.

    Parameters
    ----------
    layers : list of Layer, optional
    seed : int, optional
        Source of every random draw (initialisation, shuffling, dropout). ``None`` draws one,
        kept in ``model.seed`` so the run can be repeated.
    dtype : "float32" (default) or "float64"
    name : str
    """

    def __init__(self, layers: Iterable[layers_module.Layer] | None = None, seed: int | None = None,
                 dtype: str = "float32", name: str = "sequential") -> None:
        if dtype not in ("float32", "float64", np.float32, np.float64):
            raise ConfigError(f"dtype must be 'float32' or 'float64'. Received: dtype={dtype!r}")
        if seed is None:
            seed = int(np.random.SeedSequence().entropy % (2**31))
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise ConfigError(f"seed must be a non-negative integer. Received: seed={seed!r}")
        self.seed = int(seed)
        self.dtype = np.dtype(dtype).type
        self.name = name
        self.layers: list[layers_module.Layer] = []
        self.built = False
        self.loss: losses_module.Loss | None = None
        self.optimizer: optimizers_module.Optimizer | None = None
        self.metric_functions: list[tuple[str, Any]] = []
        self.stop_training = False
        self.history: callbacks_module.History | None = None
        self._params = np.zeros(0, dtype=self.dtype)
        self._grads = np.zeros(0, dtype=self.dtype)
        self._epoch_logs: dict[str, Any] | None = None
        #: An object with ``is_set()`` (e.g. ``threading.Event``); when set, ``fit`` stops after
        #: the current batch and raises ``TrainingInterrupted``.
        self.interrupt: Any = None
        for layer in layers or []:
            self.add(layer)

    # -- building ----------------------------------------------------------------------------
    def add(self, layer: layers_module.Layer) -> None:
        """Append a layer; the model is built as soon as the input size is known."""
        if not isinstance(layer, layers_module.Layer):
            raise ConfigError(f"Sequential.add expects a layer such as layers.Dense(10). Received: {layer!r}")
        if self.layers and layer.input_dim is not None:
            previous = self.layers[-1]
            out_dim = previous.output_dim if previous.built else getattr(previous, "units", None)
            if out_dim is not None and out_dim != layer.input_dim:
                raise ShapeError(
                    f"layer {len(self.layers)} ({layer.type_name}) expects input_dim={layer.input_dim} but the "
                    f"previous layer outputs {out_dim}; only the first layer needs input_dim"
                )
        self._name_layer(layer)
        self.layers.append(layer)
        input_dim = self.layers[0].input_dim
        if input_dim is not None:
            self.build(input_dim)

    def _name_layer(self, layer: layers_module.Layer) -> None:
        if layer.name:
            if any(existing.name == layer.name for existing in self.layers):
                raise ConfigError(f"two layers are named {layer.name!r}; layer names must be unique")
            return
        taken = {existing.name for existing in self.layers}
        base, index = layer.default_name, 0
        name = base
        while name in taken:
            index += 1
            name = f"{base}_{index}"
        layer.name = name

    def build(self, input_dim: int) -> None:
        """Create every layer's weights for inputs of ``input_dim`` features and pack them."""
        if not self.layers:
            raise ConfigError("the model has no layers: add at least one, e.g. layers.Dense(1, input_dim=4)")
        first = self.layers[0]
        if first.input_dim is not None and first.input_dim != input_dim:
            raise ShapeError(f"the first layer expects {first.input_dim} features, got {input_dim}")
        size = input_dim
        for index, layer in enumerate(self.layers):
            if not layer.built:
                rng = np.random.default_rng([self.seed, _INIT_STREAM, index])
                layer.build(size, rng, self.dtype)
            size = layer.output_dim
        self._pack()
        self.built = True
        if self.optimizer is not None:
            self.optimizer.build(self._params.size, self.dtype)

    def _pack(self) -> None:
        """Move every trainable weight into one flat vector; layers keep views into it."""
        total = sum(int(p.size) for layer in self.layers for p in layer.params.values())
        params = np.empty(total, dtype=self.dtype)
        grads = np.zeros(total, dtype=self.dtype)
        offset = 0
        for layer in self.layers:
            param_views, grad_views = {}, {}
            for key, value in layer.params.items():
                end = offset + value.size
                param_views[key] = params[offset:end].reshape(value.shape)
                param_views[key][...] = value
                grad_views[key] = grads[offset:end].reshape(value.shape)
                offset = end
            layer.bind(param_views, grad_views)
        self._params, self._grads = params, grads

    @property
    def input_dim(self) -> int | None:
        return self.layers[0].input_dim if self.layers else None

    @property
    def output_dim(self) -> int | None:
        return self.layers[-1].output_dim if self.layers and self.layers[-1].built else None

    def _require_built(self, n_features: int | None = None) -> None:
        if self.built:
            return
        if n_features is None:
            raise ShapeError(
                "the first layer needs the size of your input: give it input_dim=<number of features> "
                "(or input_shape=(n,)), or call fit/build with data first"
            )
        self.build(n_features)

    # -- compile -----------------------------------------------------------------------------
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: list | None = None) -> None:
        """Choose the optimizer, the loss and the metrics (names or objects, as in Keras)."""
        if loss is None:
            raise ConfigError("compile needs a loss, e.g. loss='binary_crossentropy'")
        self.loss = losses_module.get(loss)
        self.optimizer = optimizers_module.get(optimizer)
        self.metric_functions = []
        for identifier in metrics or []:
            name, function = metrics_module.get(identifier)
            if name in _CLASSIFICATION_ONLY and self.loss.target_kind == "regression":
                raise ConfigError(
                    f"metric {name!r} needs a classification loss, but the loss is {self.loss.name!r}; "
                    f"for regression use mse, mae or r2"
                )
            self.metric_functions.append((name, function))
        if self.built:
            self.optimizer.build(self._params.size, self.dtype)

    @property
    def metrics_names(self) -> list[str]:
        return ["loss"] + [name for name, _ in self.metric_functions]

    def _require_compiled(self) -> None:
        if self.loss is None or self.optimizer is None:
            raise UsageError("the model must be compiled first: model.compile(loss=..., optimizer=...)")

    # -- input checks ------------------------------------------------------------------------
    def _check_x(self, x: Any, what: str = "x") -> np.ndarray:
        try:
            array = np.asarray(x)
        except (ValueError, TypeError) as error:
            raise DataError(f"{what} could not be read as a numeric array: {error}") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
            raise DataError(f"{what} must be numeric; got values of type {array.dtype}")
        if array.ndim == 1:
            raise ShapeError(
                f"{what} must be 2-D (n_samples, n_features); got a 1-D array of shape {array.shape}. "
                f"Use x.reshape(-1, 1) for one feature or x.reshape(1, -1) for one sample"
            )
        if array.ndim != 2:
            raise ShapeError(
                f"{what} must be 2-D (n_samples, n_features); got shape {array.shape}. Flatten images first, "
                f"e.g. x.reshape(len(x), -1)"
            )
        if array.shape[0] == 0:
            raise DataError(f"{what} has no rows")
        array = np.ascontiguousarray(array, dtype=self.dtype)
        for start in range(0, len(array), _PREDICT_CHUNK):
            finite = np.isfinite(array[start : start + _PREDICT_CHUNK])
            if not finite.all():
                row, col = np.argwhere(~finite)[0]
                raise DataError(
                    f"{what} contains NaN or infinite values (first at row {start + row}, column {col}); "
                    f"clean or impute them before training"
                )
        self._require_built(array.shape[1])
        if array.shape[1] != self.input_dim:
            raise ShapeError(f"{what} has {array.shape[1]} features but the model expects {self.input_dim}")
        return array

    def _check_y(self, y: Any, n_samples: int, what: str = "y") -> np.ndarray:
        """Targets in the encoding the loss expects, checked against the output layer."""
        kind, units = self.loss.target_kind, self.output_dim
        array = np.asarray(y)
        if array.dtype == object or array.dtype.kind in "USV":
            raise DataError(
                f"{what} must be numeric; got values of type {array.dtype}. Encode string labels as integers "
                f"0..n_classes-1 first (nncli's CLI does this for you)"
            )
        if len(array) != n_samples:
            raise ShapeError(f"x has {n_samples} samples but {what} has {len(array)}")
        name = self.loss.name
        if kind == "sparse":
            flat = array.reshape(n_samples, -1)
            if flat.shape[1] != 1:
                raise ShapeError(
                    f"{name} expects integer class labels of shape (n_samples,); got {what} of shape {array.shape}. "
                    f"For one-hot labels use categorical_crossentropy"
                )
            flat = flat[:, 0]
            if not np.all(np.isfinite(flat.astype(float))) or np.any(flat != np.round(flat)):
                raise DataError(f"{name} expects integer class labels; {what} has non-integer values")
            labels = flat.astype(np.intp)
            if labels.min() < 0:
                raise ShapeError(f"{name} expects class labels 0..{units - 1}; {what} has the negative label {labels.min()}")
            if labels.max() >= units:
                raise ShapeError(
                    f"{what} has class labels {labels.min()}..{labels.max()} but the last layer has {units} units; "
                    f"{name} needs one softmax unit per class (Dense({int(labels.max()) + 1}, activation='softmax'))"
                )
            return labels
        values = array.astype(self.dtype).reshape(n_samples, -1)
        if not np.all(np.isfinite(values)):
            raise DataError(f"{what} contains NaN or infinite values")
        if values.shape[1] != units:
            if kind == "categorical" and values.shape[1] == 1:
                raise ShapeError(
                    f"{name} expects one-hot labels of shape (n_samples, {units}); got integer labels? "
                    f"Use sparse_categorical_crossentropy for integer labels"
                )
            raise ShapeError(f"{what} has {values.shape[1]} columns but the last layer has {units} units")
        if kind == "binary":
            distinct = np.unique(values)
            if np.any((distinct < 0) | (distinct > 1)):
                shown = ", ".join(f"{v:g}" for v in distinct[:6])
                raise ShapeError(
                    f"{name} expects labels 0 or 1; {what} has values {shown}{'...' if len(distinct) > 6 else ''}. "
                    f"For {len(distinct)} classes use sparse_categorical_crossentropy with "
                    f"Dense({len(distinct)}, activation='softmax')"
                )
        return values

    def _sample_weights(self, targets: np.ndarray, sample_weight: Any, class_weight: dict | None,
                        n_samples: int) -> np.ndarray | None:
        weights = None
        if sample_weight is not None:
            weights = np.asarray(sample_weight, dtype=self.dtype).reshape(-1)
            if len(weights) != n_samples:
                raise ShapeError(f"sample_weight has {len(weights)} values for {n_samples} samples")
            if not np.all(np.isfinite(weights)) or np.any(weights < 0):
                raise DataError("sample_weight must be finite and non-negative")
        if class_weight:
            if self.loss.target_kind == "regression":
                raise ConfigError("class_weight needs a classification loss")
            labels = metrics_module.Predictions(targets, np.zeros((n_samples, self.output_dim)), self.loss.target_kind).labels
            table = np.ones(max(int(labels.max()) + 1, max(int(k) for k in class_weight) + 1), dtype=self.dtype)
            for key, value in class_weight.items():
                table[int(key)] = float(value)
            per_sample = table[labels]
            weights = per_sample if weights is None else weights * per_sample
        return weights

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0) -> callbacks_module.History:
        """Train for ``epochs`` epochs; returns a ``History`` (``history.history["loss"]``...).

        ``validation_split`` takes the last fraction of ``x``/``y`` before any shuffling, as
        Keras does. ``verbose`` is accepted for Keras compatibility; the library never prints
        (progress is a callback's job).
        """
        self._require_compiled()
        batch_size = 32 if batch_size is None else batch_size
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size <= 0:
            raise ConfigError(f"batch_size must be a positive integer. Received: batch_size={batch_size!r}")
        if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ConfigError(f"epochs must be a non-negative integer. Received: epochs={epochs!r}")
        if not 0.0 <= float(validation_split) < 1.0:
            raise ConfigError(f"validation_split must be in [0, 1). Received: validation_split={validation_split!r}")
        if x is None or y is None:
            raise UsageError("fit needs x and y")
        x = self._check_x(x)
        targets = self._check_y(y, len(x))
        weights = self._sample_weights(targets, sample_weight, class_weight, len(x))
        val_x = val_targets = val_weights = None
        if validation_data is not None:
            if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
                raise UsageError("validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)")
            val_x = self._check_x(validation_data[0], "validation x")
            val_targets = self._check_y(validation_data[1], len(val_x), "validation y")
            if len(validation_data) == 3:
                val_weights = self._sample_weights(val_targets, validation_data[2], None, len(val_x))
        elif validation_split:
            split_at = validation_split_index(len(x), validation_split)
            if split_at == 0 or split_at == len(x):
                raise ConfigError(
                    f"validation_split={validation_split} leaves no samples for training or validation "
                    f"with {len(x)} samples"
                )
            x, val_x = x[:split_at], x[split_at:]
            targets, val_targets = targets[:split_at], targets[split_at:]
            if weights is not None:
                weights, val_weights = weights[:split_at], weights[split_at:]
        return self._train(x, targets, weights, val_x, val_targets, val_weights, int(batch_size),
                           int(epochs), int(initial_epoch), bool(shuffle), list(callbacks or []))

    def _train(self, x, targets, weights, val_x, val_targets, val_weights, batch_size, epochs,
               initial_epoch, shuffle, callbacks) -> callbacks_module.History:
        history = callbacks_module.History()
        callback_list = [callbacks_module.get(c) for c in callbacks] + [history]
        for callback in callback_list:
            callback.set_model(self)
        self.history = history
        self.stop_training = False
        plan = _EpochPlan.make(self, x, targets, weights, batch_size, shuffle, callback_list)
        self.train_info = {"n_samples": plan.n_samples, "batch_size": batch_size, "n_batches": plan.n_batches}
        self.train_plan_epochs = epochs
        for callback in callback_list:
            callback.on_train_begin()
        # Overflow is reported once, as TrainingDivergedError, not as a stream of NumPy warnings.
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            for epoch in range(initial_epoch, epochs):
                for callback in callback_list:
                    callback.on_epoch_begin(epoch)
                started = time.perf_counter()
                logs = self._train_epoch(epoch, plan)
                if val_x is not None:
                    val_logs = self._evaluate_arrays(val_x, val_targets, val_weights)
                    logs.update({f"val_{key}": value for key, value in val_logs.items()})
                self.last_epoch_seconds = time.perf_counter() - started
                for callback in callback_list:
                    callback.on_epoch_end(epoch, logs)
                if self.stop_training:
                    break
        self._epoch_logs = None
        for callback in callback_list:
            callback.on_train_end()
        return history

    def _train_epoch(self, epoch: int, plan: "_EpochPlan") -> dict[str, float]:
        """One pass over the training data in this epoch's order; the epoch's loss and metrics."""
        n_samples, batch_size = plan.n_samples, plan.batch_size
        order = np.random.default_rng([self.seed, _SHUFFLE_STREAM, epoch]).permutation(n_samples) if plan.shuffle else None
        if plan.random_layers:
            dropout_rng = np.random.default_rng([self.seed, _DROPOUT_STREAM, epoch])
            for layer in plan.random_layers:
                layer.set_rng(dropout_rng)
        for source, target in plan.gathers:
            if order is None:
                target[...] = source
            else:
                np.take(source, order, axis=0, out=target)
        x, outputs, weights, grad_output = plan.x, plan.outputs, plan.epoch_weights, plan.grad_output
        step_targets = plan.epoch_fused if plan.fused else plan.epoch_targets
        penalty_sum = 0.0
        self._epoch_logs = {"outputs": outputs, "targets": plan.epoch_targets, "weights": weights, "done": 0}
        for batch in range(plan.n_batches):
            start = batch * batch_size
            stop = min(start + batch_size, n_samples)
            rows = stop - start
            if order is None:
                xb = x[start:stop]
            else:
                xb = plan.batch_x[:rows]
                np.take(x, order[start:stop], axis=0, out=xb)
            if plan.penalized:
                penalty_sum += self._penalty() * rows
            self._train_step(xb, step_targets[start:stop], None if weights is None else weights[start:stop],
                             outputs[start:stop], grad_output[:rows], plan.fused)
            if self.interrupt is not None and self.interrupt.is_set():
                self._epoch_logs = None
                raise TrainingInterrupted(f"training interrupted during epoch {epoch + 1}, after batch {batch + 1}")
            if plan.batch_hooks:
                self._epoch_logs["done"] = stop
                for callback in plan.batch_hooks:
                    callback.on_train_batch_end(batch)
        self._epoch_logs["done"] = n_samples
        return self._epoch_results(plan.epoch_targets, outputs, weights, penalty_sum / n_samples,
                                   epoch=epoch, batch_size=batch_size)

    def _fused_output(self) -> bool:
        """True when the last activation and the loss combine into ``(p - y) / n``."""
        last = self.layers[-1]
        activation = getattr(last, "activation", None)
        return (
            activation is not None
            and not getattr(self.loss, "from_logits", False)
            and self.loss.fused_activation is not None
            and activation.name == self.loss.fused_activation
        )

    def _train_step(self, xb, yb, wb, outputs, grad_output, fused) -> None:
        activations = xb
        last = len(self.layers) - 1
        for index, layer in enumerate(self.layers):
            activations = layer.forward(activations, training=True, out=outputs if index == last else None)
        if fused:
            gradient = self.loss.logit_gradient(yb, outputs, wb, grad_output)
        else:
            np.copyto(grad_output, self.loss.gradient(yb, outputs, wb))
            gradient = grad_output
        for index in range(last, -1, -1):
            layer = self.layers[index]
            if index == last:
                gradient = layer.backward(gradient, need_input_grad=index > 0, grad_is_preactivation=fused)
            else:
                gradient = layer.backward(gradient, need_input_grad=index > 0)
        self.optimizer.apply(self._params, self._grads)

    def compute_gradients(self, x: Any, y: Any, sample_weight: Any = None) -> tuple[float, np.ndarray]:
        """Loss (with penalties) and the gradient of every trainable weight for one batch in
        training mode, without updating anything.

        Returns
        -------
        loss : float
        gradients : ndarray, shape (n_params,)
            In the order of ``flat_params`` (the packed trainable weights).
        """
        self._require_compiled()
        x = self._check_x(x)
        targets = self._check_y(y, len(x))
        weights = self._sample_weights(targets, sample_weight, None, len(x))
        outputs = np.empty((len(x), self.output_dim), dtype=self.dtype)
        grad_output = np.empty_like(outputs)
        penalty = self._penalty()
        self._grads.fill(0)
        optimizer, self.optimizer = self.optimizer, _NoUpdate()
        try:
            self._train_step(x, targets, weights, outputs, grad_output, self._fused_output())
        finally:
            self.optimizer = optimizer
        values = self.loss.values(targets, outputs)
        if weights is not None:
            values = values * weights
        return float(values.mean()) + penalty, self._grads.copy()

    @property
    def flat_params(self) -> np.ndarray:
        """The packed trainable weights (a live view: writing to it changes the model)."""
        return self._params

    def _penalty(self) -> float:
        return sum(layer.penalty() for layer in self.layers)

    def _as_probabilities(self, outputs: np.ndarray) -> np.ndarray:
        """Metrics see probabilities: convert logits when the loss works on logits."""
        if not getattr(self.loss, "from_logits", False):
            return outputs
        if self.loss.target_kind == "binary":
            return losses_module._sigmoid(outputs)
        return losses_module._softmax(outputs)

    def _epoch_results(self, targets, outputs, weights, penalty, epoch, batch_size) -> dict[str, float]:
        values = self.loss.values(targets, outputs)
        if weights is not None:
            values = values * weights
        self._last_sample_losses = values
        logs = {"loss": float(values.astype(np.float64).mean()) + penalty}
        # Before any metric: scikit-learn's metrics reject NaN predictions with their own error.
        self._check_finite(epoch, logs["loss"], batch_size)
        predictions = metrics_module.Predictions(targets, self._as_probabilities(outputs), self.loss.target_kind)
        logs.update(metrics_module.compute(self.metric_functions, predictions))
        return logs

    def running_logs(self) -> dict[str, float]:
        """Loss and cheap metrics over the current epoch so far (for progress displays)."""
        state = self._epoch_logs
        if not state or not state["done"]:
            return {}
        done = state["done"]
        weights = None if state["weights"] is None else state["weights"][:done]
        values = self.loss.values(state["targets"][:done], state["outputs"][:done])
        if weights is not None:
            values = values * weights
        logs = {"loss": float(values.mean())}
        if any(name == "accuracy" for name, _ in self.metric_functions):
            predictions = metrics_module.Predictions(state["targets"][:done], self._as_probabilities(state["outputs"][:done]),
                                                     self.loss.target_kind)
            logs["accuracy"] = metrics_module.accuracy(predictions)
        return logs

    def _check_finite(self, epoch: int, loss: float, batch_size: int) -> None:
        if math.isfinite(loss) and np.isfinite(self._params).all():
            return
        losses = self._last_sample_losses
        bad = np.flatnonzero(~np.isfinite(losses))
        if len(bad):
            where = f"epoch {epoch + 1}, batch {int(bad[0]) // batch_size + 1}"
        else:
            # Every prediction of the epoch was finite: the last batch's update broke the weights.
            where = f"epoch {epoch + 1}, batch {-(-len(losses) // batch_size)}"
        learning_rate = self.optimizer.learning_rate
        raise TrainingDivergedError(
            f"training diverged: the loss or a weight became NaN/infinite at {where}. "
            f"The learning rate ({learning_rate:g}) is probably too high: try {learning_rate / 10:g} or lower, "
            f"and check that the inputs are scaled"
        )

    # -- evaluate / predict ------------------------------------------------------------------
    def _forward_inference(self, x: np.ndarray) -> np.ndarray:
        outputs = np.empty((len(x), self.output_dim), dtype=self.dtype)
        for start in range(0, len(x), _PREDICT_CHUNK):
            activations = x[start : start + _PREDICT_CHUNK]
            for layer in self.layers:
                activations = layer.infer(activations)
            outputs[start : start + _PREDICT_CHUNK] = activations
        return outputs

    def _evaluate_arrays(self, x, targets, weights) -> dict[str, float]:
        outputs = self._forward_inference(x)
        values = self.loss.values(targets, outputs)
        if weights is not None:
            values = values * weights
        logs = {"loss": float(values.astype(np.float64).mean()) + self._penalty()}
        predictions = metrics_module.Predictions(targets, self._as_probabilities(outputs), self.loss.target_kind)
        logs.update(metrics_module.compute(self.metric_functions, predictions))
        return logs

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics in inference mode: ``[loss, *metrics]``, a float when there are no
        metrics, or a dict with ``return_dict=True``."""
        self._require_compiled()
        x = self._check_x(x)
        targets = self._check_y(y, len(x))
        weights = self._sample_weights(targets, sample_weight, None, len(x))
        logs = self._evaluate_arrays(x, targets, weights)
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto") -> np.ndarray:
        """Outputs of the last layer, shape (n_samples, units), in inference mode."""
        x = self._check_x(x)
        return self._forward_inference(x)

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight in Keras's order (per Dense: kernel, bias; per
        BatchNormalization: gamma, beta, moving_mean, moving_variance)."""
        return [w.copy() for layer in self.layers for w in layer.weights()]

    def set_weights(self, weights: list[Any]) -> None:
        self._require_built()
        expected = [(layer, name, w) for layer in self.layers for name, w in zip(layer.weight_names(), layer.weights())]
        if len(weights) != len(expected):
            raise ShapeError(f"set_weights expects {len(expected)} arrays ({self._weight_listing()}); got {len(weights)}")
        for (layer, name, target), value in zip(expected, weights):
            value = np.asarray(value)
            if value.shape != target.shape:
                raise ShapeError(
                    f"set_weights: {layer.name}.{name} has shape {target.shape}; got an array of shape {value.shape}"
                )
            target[...] = value

    def _weight_listing(self) -> str:
        return ", ".join(f"{layer.name}.{name} {tuple(w.shape)}" for layer in self.layers
                         for name, w in zip(layer.weight_names(), layer.weights()))

    def count_params(self) -> int:
        self._require_built()
        return sum(sum(layer.count_params()) for layer in self.layers)

    # -- summary -----------------------------------------------------------------------------
    def summary_rows(self) -> list[tuple[str, str, int]]:
        """One ``(name (type), output shape, params)`` row per layer."""
        self._require_built()
        return [(f"{layer.name} ({layer.type_name})", f"(None, {layer.output_dim})", sum(layer.count_params()))
                for layer in self.layers]

    def param_totals(self) -> dict[str, int]:
        self._require_built()
        trainable = sum(layer.count_params()[0] for layer in self.layers)
        non_trainable = sum(layer.count_params()[1] for layer in self.layers)
        return {"total": trainable + non_trainable, "trainable": trainable, "non_trainable": non_trainable}

    def summary_text(self) -> str:
        """The Keras 3 summary table as text."""
        rows = self.summary_rows()
        header = ("Layer (type)", "Output Shape", "Param #")
        widths = [max(31, *(len(r[0]) + 2 for r in rows)), 24, 15]

        def line(left, mid, right, fill):
            return left + mid.join(fill * w for w in widths) + right

        def cells(values, sep):
            first, second, third = values
            return (sep + " " + str(first).ljust(widths[0] - 1) + sep + " " + str(second).ljust(widths[1] - 1)
                    + sep + str(third).rjust(widths[2] - 1) + " " + sep)

        itemsize = np.dtype(self.dtype).itemsize
        totals = self.param_totals()
        out = [f'Model: "{self.name}"', line("┏", "┳", "┓", "━"), cells(header, "┃"), line("┡", "╇", "┩", "━")]
        for index, row in enumerate(rows):
            if index:
                out.append(line("├", "┼", "┤", "─"))
            out.append(cells((row[0], row[1], f"{row[2]:,}"), "│"))
        out.append(line("└", "┴", "┘", "─"))
        for label, key in (("Total", "total"), ("Trainable", "trainable"), ("Non-trainable", "non_trainable")):
            count = totals[key]
            out.append(f" {label} params: {count:,} ({_readable_bytes(count * itemsize)})")
        return "\n".join(out)

    def summary(self, print_fn: Any = None) -> None:
        """Print the summary table as Keras does (``print_fn`` receives the text instead)."""
        text = self.summary_text()
        (print_fn or print)(text)

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        layers = [layer.get_config() for layer in self.layers]
        return {"input_dim": self.input_dim, "layers": layers}

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: int | None = None, dtype: str = "float32") -> "Sequential":
        model = cls(seed=seed, dtype=dtype)
        for index, layer_config in enumerate(config.get("layers") or []):
            layer = layers_module.from_config(layer_config)
            if index == 0 and config.get("input_dim") is not None and layer.input_dim is None:
                layer.input_dim = layers_module._positive_int("input_dim", config["input_dim"])
            model.add(layer)
        return model
