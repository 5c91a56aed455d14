"""``Sequential``: a stack of layers that is compiled, fitted, evaluated and used to predict.

The API is Keras's (``add``, ``compile``, ``fit``, ``evaluate``, ``predict``, ``summary``,
``get_weights``/``set_weights``, ``count_params``, ``get_config``). Every trainable parameter
lives in one flat vector and every gradient in another (``engine/weights.py``); layers hold
views into them, so the optimizer updates the whole model in one pass. ``engine/training.py``
has the loop, ``engine/inference.py`` evaluation and prediction. Weights are drawn from ``(seed, layer index)``, so the same seed gives the same model.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterable

import numpy as np

from nncli.engine import callbacks as callbacks_module
from nncli.engine import inputs
from nncli.engine import layers as layers_module
from nncli.engine import losses as losses_module
from nncli.engine import metrics as metrics_module
from nncli.engine import optimizers as optimizers_module
from nncli.engine import progress
from nncli.engine import saving
from nncli.engine import summary as summary_module
from nncli.engine import inference, training
from nncli.engine import weights as weights_module
from nncli.errors import ConfigError, ShapeError, UsageError

INIT_STREAM = 1


def validation_split_index(n_samples: int, validation_split: float) -> int:
    """Where Keras cuts ``validation_split``: rows before the index train, the rest validate."""
    return int(np.floor(n_samples * (1.0 - float(validation_split))))


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
        self.compiled_metrics: list[metrics_module.Metric] = []
        self.stop_training = False
        self.history: callbacks_module.History | None = None
        self._params = np.zeros(0, dtype=self.dtype)
        self._grads = np.zeros(0, dtype=self.dtype)
        #: The epoch in progress (``training.EpochState``), read by progress displays.
        self.epoch_state: training.EpochState | None = None
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
        weights_module.check_size(self.layers, input_dim, self.dtype)
        size = input_dim
        for index, layer in enumerate(self.layers):
            if not layer.built:
                rng = np.random.default_rng([self.seed, INIT_STREAM, index])
                layer.build(size, rng, self.dtype)
            size = layer.output_dim
        self._params, self._grads = weights_module.pack(self.layers, self.dtype)
        self.built = True
        if self.optimizer is not None:
            self.optimizer.build(self._params.size, self.dtype)

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
    def compile(self, optimizer: Any = "rmsprop", loss: Any = None, metrics: Any = None) -> None:
        """Choose the optimizer, the loss and the metrics (names or objects, as in Keras).

        ``metrics`` is a list of names (``["accuracy"]``) or one name (``"accuracy"``, as
        tf.keras 2 and the lecture write it).
        """
        if loss is None:
            raise ConfigError("compile needs a loss, e.g. loss='binary_crossentropy'")
        self.loss = losses_module.get(loss)
        self.optimizer = optimizers_module.get(optimizer)
        self.compiled_metrics = [metrics_module.get(identifier) for identifier in inputs.metric_list(metrics)]
        for entry in self.compiled_metrics:
            if entry.needs_classes and self.loss.task == "regression":
                raise ConfigError(
                    f"metric {entry.name!r} needs a classification loss, but the loss is {self.loss.name!r}; "
                    f"for regression use {', '.join(metrics_module.regression_metrics())}"
                )
        if self.built:
            self.optimizer.build(self._params.size, self.dtype)

    @property
    def metrics_names(self) -> list[str]:
        return ["loss"] + [entry.name for entry in self.compiled_metrics]

    def _require_compiled(self) -> None:
        if self.loss is None or self.optimizer is None:
            raise UsageError("the model must be compiled first: model.compile(loss=..., optimizer=...)")

    def fused_output(self) -> bool:
        """True when the last activation and the loss combine into ``(p - y) / n``."""
        activation = getattr(self.layers[-1], "activation", None)
        return (
            activation is not None
            and not getattr(self.loss, "from_logits", False)
            and self.loss.fused_activation is not None
            and activation.name == self.loss.fused_activation
        )

    # -- inputs ------------------------------------------------------------------------------
    def _features(self, x: Any, what: str = "x") -> np.ndarray:
        array = inputs.features(x, self.dtype, what)
        self._require_built(array.shape[1])
        if array.shape[1] != self.input_dim:
            raise ShapeError(f"{what} has {array.shape[1]} features but the model expects {self.input_dim}")
        return array

    def _targets(self, y: Any, n_samples: int, what: str = "y") -> np.ndarray:
        return inputs.targets(y, self.loss, self.output_dim, n_samples, self.dtype, what)

    def _class_weights(self, class_weight: dict | None, targets: np.ndarray) -> np.ndarray | None:
        if not class_weight:
            return None
        if self.loss.task == "regression":
            raise ConfigError("class_weight needs a classification loss")
        predictions = metrics_module.Predictions(targets, np.zeros((len(targets), self.output_dim)),
                                                 self.loss.target_kind)
        return inputs.class_weights(class_weight, predictions.labels, predictions.n_classes, self.dtype)

    # -- fit ---------------------------------------------------------------------------------
    def fit(self, x: Any = None, y: Any = None, batch_size: int | None = None, epochs: int = 1,
            verbose: Any = "auto", callbacks: list | None = None, validation_split: float = 0.0,
            validation_data: tuple | None = None, shuffle: bool = True, class_weight: dict | None = None,
            sample_weight: Any = None, initial_epoch: int = 0) -> callbacks_module.History:
        """Train for ``epochs`` epochs; returns a ``History`` (``history.history["loss"]``...).

        ``validation_split`` takes the last fraction of ``x``/``y`` (and ``sample_weight``)
        before any shuffling, as Keras does; ``class_weight`` then weighs the training part only.
        ``verbose`` is Keras's: "auto" (default) shows a live display on a terminal or in
        Jupyter and one line per epoch otherwise; 1 the live display; 2 one line per epoch; 0
        nothing. Progress goes to stdout, as Keras prints it.
        """
        self._require_compiled()
        batch_size = 32 if batch_size is None else batch_size
        inputs.check_fit_arguments(batch_size, epochs, validation_split, verbose)
        if x is None or y is None:
            raise UsageError("fit needs x and y")
        x = self._features(x)
        targets = self._targets(y, len(x))
        weights = inputs.sample_weights(sample_weight, len(x), self.dtype)
        validation = None
        if validation_data is not None:
            validation = self._validation_data(validation_data)
        elif validation_split:
            split_at = validation_split_index(len(x), validation_split)
            if split_at == 0 or split_at == len(x):
                raise ConfigError(
                    f"validation_split={validation_split} leaves no samples for training or validation "
                    f"with {len(x)} samples"
                )
            validation = training.Validation(x[split_at:], targets[split_at:],
                                             None if weights is None else weights[split_at:])
            x, targets = x[:split_at], targets[:split_at]
            weights = None if weights is None else weights[:split_at]
        weights = inputs.combine(weights, self._class_weights(class_weight, targets))
        history = callbacks_module.History()
        shown = progress.callbacks_for(verbose)
        callback_list = [callbacks_module.get(c) for c in callbacks or []] + shown + [history]
        self.history, self.stop_training = history, False
        try:
            training.run(self, x, targets, weights, validation, int(batch_size), int(epochs), int(initial_epoch),
                         bool(shuffle), callback_list, verbose)
        finally:
            for display in shown:
                getattr(display, "close", lambda: None)()
        return history

    def _validation_data(self, validation_data: Any) -> training.Validation:
        if not isinstance(validation_data, (tuple, list)) or len(validation_data) not in (2, 3):
            raise UsageError("validation_data must be (x_val, y_val) or (x_val, y_val, sample_weight)")
        val_x = self._features(validation_data[0], "validation x")
        val_targets = self._targets(validation_data[1], len(val_x), "validation y")
        val_weights = None
        if len(validation_data) == 3:
            val_weights = inputs.sample_weights(validation_data[2], len(val_x), self.dtype)
        return training.Validation(val_x, val_targets, val_weights)

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
        x = self._features(x)
        targets = self._targets(y, len(x))
        return training.compute_gradients(self, x, targets, inputs.sample_weights(sample_weight, len(x), self.dtype))

    @property
    def flat_params(self) -> np.ndarray:
        """The packed trainable weights (a live view: writing to it changes the model)."""
        return self._params

    @property
    def flat_grads(self) -> np.ndarray:
        """The packed gradients, filled by each training step."""
        return self._grads

    def penalty(self) -> float:
        """The regularizers' penalty on the current weights."""
        return sum(layer.penalty() for layer in self.layers)

    def running_logs(self) -> dict[str, float]:
        """Loss and cheap metrics over the current epoch's batches so far (progress displays)."""
        return training.running_logs(self)

    # -- evaluate / predict ------------------------------------------------------------------
    def evaluate_arrays(self, x: np.ndarray, targets: np.ndarray, weights: np.ndarray | None) -> dict[str, float]:
        """Loss and metrics on checked arrays, in inference mode (``TrainingDivergedError`` when
        the outputs are not finite)."""
        return inference.evaluate_arrays(self, x, targets, weights)

    def evaluate(self, x: Any = None, y: Any = None, batch_size: int | None = None, verbose: Any = "auto",
                 sample_weight: Any = None, return_dict: bool = False) -> float | list[float] | dict[str, float]:
        """Loss and metrics in inference mode: ``[loss, *metrics]``, a float when there are no
        metrics, or a dict with ``return_dict=True``. With ``verbose`` other than 0 (Keras's
        "auto" by default) it also prints them on one line: ``loss=0.2875 accuracy=0.9271``."""
        self._require_compiled()
        inputs.check_verbose(verbose)
        x = self._features(x)
        targets = self._targets(y, len(x))
        weights = inputs.sample_weights(sample_weight, len(x), self.dtype)
        logs = self.evaluate_arrays(x, targets, weights)
        if verbose != 0:
            print(progress.format_logs(logs))
        if return_dict:
            return logs
        values = [logs[name] for name in self.metrics_names]
        return values[0] if len(values) == 1 else values

    def predict(self, x: Any, batch_size: int | None = None, verbose: Any = "auto") -> np.ndarray:
        """Outputs of the last layer, shape (n_samples, units), in inference mode."""
        return inference.predict_arrays(self, self._features(x))

    def predict_proba(self, x: Any) -> np.ndarray:
        """Probabilities for a classifier: the outputs, through the output activation when the
        loss works on logits (``from_logits``)."""
        self._require_compiled()
        return self.loss.probabilities(self.predict(x).astype(np.float64))

    # -- weights -----------------------------------------------------------------------------
    def get_weights(self) -> list[np.ndarray]:
        """Copies of every weight in Keras's order (per Dense: kernel, bias; per
        BatchNormalization: gamma, beta, moving_mean, moving_variance)."""
        return [w.copy() for layer in self.layers for w in layer.weights()]

    def set_weights(self, weights: list[Any]) -> None:
        self._require_built()
        weights_module.set_weights(self.layers, weights)

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

    def summary(self, print_fn: Any = None) -> None:
        """Print the summary table as Keras does (``print_fn`` receives the text instead)."""
        (print_fn or print)(summary_module.text(self))

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        layers = [layer.get_config() for layer in self.layers]
        return {"input_dim": self.input_dim, "layers": layers}

    def save(self, path: str | Path) -> Path:
        """Write the model to an ``.npz`` file: its layers, compile settings and weights (plain
        arrays and JSON, no pickle; the same weight arrays as a run's ``model.npz``)."""
        return saving.save(self, path)

    @classmethod
    def load(cls, path: str | Path) -> "Sequential":
        """A model written by ``save``: built, compiled as it was, with its weights."""
        return saving.load(cls, path)

    @classmethod
    def from_config(cls, config: dict[str, Any], seed: int | None = None, dtype: str = "float32") -> "Sequential":
        model = cls(seed=seed, dtype=dtype)
        for index, layer_config in enumerate(config.get("layers") or []):
            layer = layers_module.from_config(layer_config)
            if index == 0 and config.get("input_dim") is not None and layer.input_dim is None:
                layer.input_dim = layers_module.positive_int("input_dim", config["input_dim"])
            model.add(layer)
        return model
