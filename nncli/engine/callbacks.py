"""Callbacks: hook methods the training loop calls, as in Keras.

``fit`` calls ``on_train_begin``, then per epoch ``on_epoch_begin`` and ``on_epoch_end(epoch,
logs)`` (``logs`` holds ``loss``, the metrics and their ``val_`` versions), and
``on_train_end``. ``on_train_batch_end(batch)`` is called only for callbacks that override it,
so the hot loop pays nothing for the others; such callbacks should throttle their own work.
Setting ``model.stop_training = True`` ends training after the current epoch.

Before training, ``set_params`` hands every callback what Keras hands it: ``epochs``,
``initial_epoch``, ``steps`` (batches per epoch), ``samples``, ``batch_size``, ``verbose`` and
``metrics`` (the names each epoch's logs will hold).
Callbacks that carry state across epochs implement ``get_state``/``set_state`` so a resumed run
continues exactly: a fit that starts at ``initial_epoch > 0`` keeps that state.
"""

from __future__ import annotations

import math
from typing import Any, Callable

import numpy as np

from nncli.engine import metrics as metrics_module
from nncli.errors import ConfigError, UnknownNameError
from nncli.registry import Registry

#: The callbacks a config can switch on, by their YAML key (``training.early_stopping``).
CALLBACKS = Registry("callback")


def monitor_mode(monitor: str, mode: str = "auto", compiled: list | None = None) -> str:
    """"min" or "max" for a monitored quantity: ``mode`` itself, or with "auto" the
    direction of the metric it names (Keras 3's ``_set_monitor_op``)."""
    if mode not in ("auto", "min", "max"):
        raise ConfigError(f"mode must be 'auto', 'min' or 'max'. Received: mode={mode!r}")
    if mode != "auto":
        return mode
    try:
        return metrics_module.direction(monitor, compiled or ())
    except UnknownNameError as error:
        raise ConfigError(f"monitor={monitor!r}: {error}") from None


class Callback:
    model: Any = None
    params: dict[str, Any] = {}

    def set_model(self, model: Any) -> None:
        self.model = model

    def set_params(self, params: dict[str, Any]) -> None:
        """What training will do: epochs, initial_epoch, steps, samples, batch_size, verbose,
        and ``metrics``, the names of the quantities each epoch logs."""
        self.params = dict(params)

    @property
    def continuing(self) -> bool:
        """True when this fit continues an earlier one (``initial_epoch > 0``): keep the state."""
        return int(self.params.get("initial_epoch", 0)) > 0

    def on_train_begin(self, logs: dict | None = None) -> None: ...

    def on_train_end(self, logs: dict | None = None) -> None: ...

    def on_epoch_begin(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None: ...

    def on_train_batch_end(self, batch: int, logs: dict | None = None) -> None: ...

    def get_state(self) -> dict[str, Any]:
        return {}

    def set_state(self, state: dict[str, Any]) -> None: ...


def overrides_batch_hook(callback: Callback) -> bool:
    return type(callback).on_train_batch_end is not Callback.on_train_batch_end


class History(Callback):
    """Records ``logs`` of every epoch: ``history.history["loss"]``, ``history.epoch``."""

    def __init__(self) -> None:
        self.history: dict[str, list[float]] = {}
        self.epoch: list[int] = []

    def on_epoch_end(self, epoch, logs=None):
        self.epoch.append(epoch)
        for key, value in (logs or {}).items():
            self.history.setdefault(key, []).append(value)


class _Monitor(Callback):
    """A callback that watches one logged quantity and knows which way is better."""

    def __init__(self, monitor: str, mode: str, min_delta: float) -> None:
        self.monitor = monitor
        self.mode_setting = mode
        try:
            self.mode: str | None = monitor_mode(monitor, mode)
        except ConfigError:
            if mode not in ("auto", "min", "max"):
                raise
            self.mode = None  # a custom metric: its direction is known once the model is compiled
        self.min_delta = abs(float(min_delta))

    def _resolve_mode(self) -> None:
        reported = self.params.get("metrics")
        if reported:
            self._check_monitor(dict.fromkeys(reported))
        if self.mode is None:
            self.mode = monitor_mode(self.monitor, self.mode_setting, getattr(self.model, "compiled_metrics", None))

    def _value(self, logs: dict | None) -> float | None:
        logs = logs or {}
        if self.monitor not in logs:
            return None
        return float(logs[self.monitor])

    def _improves(self, value: float, reference: float) -> bool:
        if self.mode == "min":
            return value < reference - self.min_delta
        return value > reference + self.min_delta

    def _worst(self) -> float:
        return math.inf if self.mode == "min" else -math.inf

    def _check_monitor(self, logs: dict | None) -> None:
        if logs and self.monitor not in logs:
            available = ", ".join(sorted(logs))
            from nncli.registry import closest

            suggestion = closest(self.monitor, sorted(logs))
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            raise ConfigError(
                f"{type(self).__name__} monitors {self.monitor!r}, which training does not produce{hint} "
                f"(available: {available}; val_* need validation data or validation_split)"
            )


@CALLBACKS.register("early_stopping", "EarlyStopping")
class EarlyStopping(_Monitor):
    """Stop when ``monitor`` has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the best epoch's weights are put back at the end of
    training (as Keras 3 does), whether or not training stopped early.
    """

    def __init__(
        self,
        monitor: str = "val_loss",
        min_delta: float = 0.0,
        patience: int = 0,
        verbose: int = 0,
        mode: str = "auto",
        baseline: float | None = None,
        restore_best_weights: bool = False,
        start_from_epoch: int = 0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        if int(patience) < 0:
            raise ConfigError(f"patience must be >= 0. Received: patience={patience}")
        self.patience = int(patience)
        self.baseline = baseline
        self.restore_best_weights = bool(restore_best_weights)
        self.start_from_epoch = int(start_from_epoch)
        self._reset()

    def _reset(self) -> None:
        self.wait = 0
        self.stopped_epoch = 0
        self.best = self._worst()
        self.best_epoch = 0
        self.best_weights: list[np.ndarray] | None = None

    def on_train_begin(self, logs=None):
        self._resolve_mode()
        if not self.continuing:
            self._reset()

    def on_epoch_end(self, epoch, logs=None):
        self._check_monitor(logs)
        current = self._value(logs)
        if current is None or epoch < self.start_from_epoch:
            return
        if self.restore_best_weights and self.best_weights is None:
            self.best_weights = self.model.get_weights()
        self.wait += 1
        if self._improves(current, self.best):
            self.best = current
            self.best_epoch = epoch
            if self.restore_best_weights:
                self.best_weights = self.model.get_weights()
            if self.baseline is None or self._improves(current, float(self.baseline)):
                self.wait = 0
            return
        if self.wait >= self.patience and epoch > 0:
            self.stopped_epoch = epoch
            self.model.stop_training = True

    def on_train_end(self, logs=None):
        if self.restore_best_weights and self.best_weights is not None:
            self.model.set_weights(self.best_weights)

    def get_state(self):
        state: dict[str, Any] = {
            "wait": self.wait,
            "best": self.best,
            "best_epoch": self.best_epoch,
            "stopped_epoch": self.stopped_epoch,
        }
        if self.best_weights is not None:
            state["best_weights"] = [w.copy() for w in self.best_weights]
        return state

    def set_state(self, state):
        self.wait = int(state["wait"])
        self.best = float(state["best"])
        self.best_epoch = int(state["best_epoch"])
        self.stopped_epoch = int(state["stopped_epoch"])
        weights = state.get("best_weights")
        self.best_weights = None if weights is None else [np.array(w) for w in weights]


@CALLBACKS.register("reduce_lr_on_plateau", "ReduceLROnPlateau")
class ReduceLROnPlateau(_Monitor):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""

    def __init__(
        self,
        monitor: str = "val_loss",
        factor: float = 0.1,
        patience: int = 10,
        verbose: int = 0,
        mode: str = "auto",
        min_delta: float = 1e-4,
        cooldown: int = 0,
        min_lr: float = 0.0,
    ) -> None:
        super().__init__(monitor, mode, min_delta)
        if not 0.0 < float(factor) < 1.0:
            raise ConfigError(f"factor must be in (0, 1). Received: factor={factor}")
        self.factor = float(factor)
        self.patience = int(patience)
        self.cooldown = int(cooldown)
        self.min_lr = float(min_lr)
        self.wait = 0
        self.cooldown_counter = 0
        self.best = self._worst()

    def on_train_begin(self, logs=None):
        self._resolve_mode()
        if not self.continuing:
            self.wait, self.cooldown_counter, self.best = 0, 0, self._worst()

    def on_epoch_end(self, epoch, logs=None):
        self._check_monitor(logs)
        current = self._value(logs)
        if current is None:
            return
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.wait = 0
        if self._improves(current, self.best):
            self.best = current
            self.wait = 0
        elif self.cooldown_counter <= 0:
            self.wait += 1
            if self.wait >= self.patience:
                old_lr = self.model.optimizer.learning_rate
                if old_lr > self.min_lr:
                    self.model.optimizer.learning_rate = max(old_lr * self.factor, self.min_lr)
                    self.cooldown_counter = self.cooldown
                    self.wait = 0

    def get_state(self):
        return {"wait": self.wait, "cooldown_counter": self.cooldown_counter, "best": self.best}

    def set_state(self, state):
        self.wait = int(state["wait"])
        self.cooldown_counter = int(state["cooldown_counter"])
        self.best = float(state["best"])


class LearningRateScheduler(Callback):
    """Set the learning rate at the start of each epoch to ``schedule(epoch, learning_rate)``."""

    def __init__(self, schedule: Callable[[int, float], float], verbose: int = 0) -> None:
        self.schedule = schedule

    def on_epoch_begin(self, epoch, logs=None):
        learning_rate = float(self.schedule(epoch, float(self.model.optimizer.learning_rate)))
        if not (learning_rate > 0 and math.isfinite(learning_rate)):
            raise ConfigError(f"the learning-rate schedule returned {learning_rate!r} at epoch {epoch}; expected a positive number")
        self.model.optimizer.learning_rate = learning_rate


def get(identifier: str | dict | Callback) -> Callback:
    """A callback from an object, a name, or ``{"name": "early_stopping", "patience": 3}``."""
    return CALLBACKS.build(identifier, Callback)
