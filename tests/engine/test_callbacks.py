"""Callbacks, tested the Keras way: hooks called directly on a stand-in model, then through fit.

Expected behaviour follows Keras 3 (``keras/src/callbacks/early_stopping.py``,
``reduce_lr_on_plateau.py``): an epoch improves when ``value < best - min_delta`` (``>`` and
``+`` in max mode); EarlyStopping counts ``wait`` up on every epoch and resets it only on an
improvement that also beats ``baseline``; it stops when ``wait >= patience`` (never at epoch
0) and, with ``restore_best_weights``, puts the best epoch's weights back at the end of
training whether or not it stopped early. ReduceLROnPlateau multiplies the learning rate by
``factor`` after ``patience`` epochs without improvement, never below ``min_lr``, then waits
``cooldown`` epochs.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from nncli import Sequential, layers
from nncli.engine.callbacks import Callback, EarlyStopping, History, LearningRateScheduler, ReduceLROnPlateau, monitor_mode
from nncli.errors import ConfigError, UnknownNameError
from nncli.engine.optimizers import SGD, Adam


# -- a stand-in model for calling hooks directly ----------------------------------------------
class StandInModel:
    """What callbacks use of a model: weights, ``stop_training`` and the optimizer's rate."""

    def __init__(self, learning_rate: float = 1.0) -> None:
        self.weights = [np.zeros(3)]
        self.stop_training = False
        self.optimizer = SimpleNamespace(learning_rate=learning_rate)

    def get_weights(self) -> list[np.ndarray]:
        return [w.copy() for w in self.weights]

    def set_weights(self, weights: list[np.ndarray]) -> None:
        self.weights = [np.array(w) for w in weights]


def drive(callback: Callback, values: list[float], monitor: str = "val_loss", model: StandInModel | None = None,
          first_epoch: int = 0, begin: bool = True, end: bool = True) -> tuple[StandInModel, list[float]]:
    """Feed one monitored value per epoch, as fit would; the weights at epoch e are all e.

    Returns the model and the learning rate after each epoch that ran.
    """
    model = model or StandInModel()
    callback.set_model(model)
    if begin:
        callback.on_train_begin()
    learning_rates = []
    for offset, value in enumerate(values):
        epoch = first_epoch + offset
        callback.on_epoch_begin(epoch)
        model.weights = [np.full(3, float(epoch))]
        callback.on_epoch_end(epoch, {"loss": 0.0, monitor: value})
        learning_rates.append(model.optimizer.learning_rate)
        if model.stop_training:
            break
    if end:
        callback.on_train_end()
    return model, learning_rates


def epochs_run(callback: Callback, values: list[float], monitor: str = "val_loss") -> int:
    return len(drive(callback, values, monitor)[1])


# -- EarlyStopping, hooks called directly -----------------------------------------------------
def test_early_stopping_patience():
    callback = EarlyStopping(patience=2)
    # best at epoch 1; epochs 2 and 3 do not improve: wait reaches 2 at epoch 3.
    assert epochs_run(callback, [1.0, 0.9, 0.95, 0.96, 0.5]) == 4
    assert callback.stopped_epoch == 3
    assert callback.best == 0.9 and callback.best_epoch == 1


def test_early_stopping_patience_zero_stops_at_the_first_epoch_without_improvement():
    assert epochs_run(EarlyStopping(patience=0), [1.0, 0.9, 0.9, 0.8]) == 3


def test_early_stopping_keeps_going_while_improving():
    callback = EarlyStopping(patience=0)
    assert epochs_run(callback, [5.0, 4.0, 3.0, 2.0, 1.0]) == 5
    assert callback.stopped_epoch == 0


def test_early_stopping_min_delta():
    # 0.95 is better than 1.0 but not by min_delta=0.1: no improvement.
    assert epochs_run(EarlyStopping(patience=1, min_delta=0.1), [1.0, 0.95, 0.5]) == 2
    assert epochs_run(EarlyStopping(patience=1), [1.0, 0.95, 0.5]) == 3
    # The sign of min_delta does not matter (Keras takes its absolute value).
    assert epochs_run(EarlyStopping(patience=1, min_delta=-0.1), [1.0, 0.95, 0.5]) == 2


@pytest.mark.parametrize("monitor, expected", [
    ("loss", "min"), ("val_loss", "min"), ("accuracy", "max"), ("val_accuracy", "max"), ("val_auc", "max"),
    ("precision", "max"), ("val_recall", "max"), ("f1", "max"), ("val_r2", "max"), ("val_mae", "min"), ("mse", "min"),
])
def test_mode_auto_infers_the_direction(monitor, expected):
    assert monitor_mode(monitor) == expected
    assert EarlyStopping(monitor=monitor).mode == expected


def test_early_stopping_on_accuracy_maximises():
    assert epochs_run(EarlyStopping(monitor="val_accuracy", patience=0), [0.5, 0.6, 0.7, 0.8], "val_accuracy") == 4
    assert epochs_run(EarlyStopping(monitor="val_accuracy", patience=0), [0.8, 0.7, 0.9], "val_accuracy") == 2


def test_explicit_mode_overrides_auto():
    # mode="min" on accuracy: a rising accuracy is "no improvement".
    assert epochs_run(EarlyStopping(monitor="val_accuracy", mode="min", patience=0), [0.5, 0.6], "val_accuracy") == 2


def test_unknown_mode_is_refused():
    with pytest.raises(ConfigError, match="mode"):
        EarlyStopping(mode="maximum")


def test_early_stopping_baseline():
    # Improving but never below the baseline 0.5: wait is not reset, so patience runs out.
    assert epochs_run(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.9, 0.95]) == 3
    assert epochs_run(EarlyStopping(patience=2), [1.0, 0.9, 0.95, 0.8]) == 4
    assert epochs_run(EarlyStopping(patience=2, baseline=0.5), [1.0, 0.9, 0.95, 0.8]) == 3
    # Beating the baseline resets wait as usual.
    assert epochs_run(EarlyStopping(patience=2, baseline=0.5), [0.4, 0.3, 0.35, 0.2]) == 4


def test_early_stopping_start_from_epoch():
    callback = EarlyStopping(patience=0, start_from_epoch=2)
    # Epochs 0 and 1 are warm-up, whatever their values.
    assert epochs_run(callback, [1.0, 9.0, 3.0, 4.0, 1.0]) == 4
    assert callback.best == 3.0


def test_restore_best_weights_after_an_early_stop():
    callback = EarlyStopping(patience=2, restore_best_weights=True)
    model, _ = drive(callback, [1.0, 0.5, 0.7, 0.8, 0.1])
    assert callback.stopped_epoch == 3
    np.testing.assert_array_equal(model.weights[0], np.full(3, 1.0))


def test_restore_best_weights_at_the_end_even_without_an_early_stop():
    # Keras 3 restores in on_train_end whether or not training stopped early.
    callback = EarlyStopping(patience=10, restore_best_weights=True)
    model, _ = drive(callback, [1.0, 0.5, 0.7, 0.8])
    assert callback.stopped_epoch == 0
    np.testing.assert_array_equal(model.weights[0], np.full(3, 1.0))


def test_without_restore_best_weights_the_last_weights_stay():
    model, _ = drive(EarlyStopping(patience=2), [1.0, 0.5, 0.7, 0.8])
    np.testing.assert_array_equal(model.weights[0], np.full(3, 3.0))


def test_early_stopping_can_be_reused_for_a_second_fit():
    callback = EarlyStopping(patience=1)
    assert epochs_run(callback, [1.0, 2.0, 3.0]) == 2
    assert epochs_run(callback, [1.0, 0.9, 0.8, 0.7]) == 4
    assert callback.stopped_epoch == 0


# -- ReduceLROnPlateau, hooks called directly -------------------------------------------------
def test_reduce_lr_factor_patience_cooldown_and_min_lr():
    callback = ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=2, cooldown=2, min_lr=0.2)
    _, learning_rates = drive(callback, [1.0] * 12)
    # Reduced at epochs 2, 5 and 8 (two epochs of patience after two of cooldown); the third
    # reduction would give 0.125 and stops at min_lr; at min_lr nothing changes any more.
    assert learning_rates == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.2, 0.2, 0.2, 0.2])


def test_reduce_lr_without_cooldown():
    _, learning_rates = drive(ReduceLROnPlateau(factor=0.5, patience=2), [1.0] * 7)
    assert learning_rates == pytest.approx([1.0, 1.0, 0.5, 0.5, 0.25, 0.25, 0.125])


def test_reduce_lr_improvement_resets_the_wait():
    _, learning_rates = drive(ReduceLROnPlateau(factor=0.5, patience=2), [1.0, 1.0, 0.5, 0.5, 0.5])
    assert learning_rates == pytest.approx([1.0, 1.0, 1.0, 1.0, 0.5])


def test_reduce_lr_min_delta():
    # Each epoch is 5e-5 better: below the default min_delta of 1e-4, so not an improvement.
    values = [1.0 - 5e-5 * epoch for epoch in range(4)]
    assert drive(ReduceLROnPlateau(factor=0.5, patience=2), values)[1][-1] == pytest.approx(0.5)
    assert drive(ReduceLROnPlateau(factor=0.5, patience=2, min_delta=1e-5), values)[1][-1] == pytest.approx(1.0)


def test_reduce_lr_on_accuracy_maximises():
    _, rising = drive(ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1), [0.5, 0.6, 0.7],
                      "val_accuracy")
    assert rising == pytest.approx([1.0, 1.0, 1.0])
    _, falling = drive(ReduceLROnPlateau(monitor="val_accuracy", factor=0.5, patience=1), [0.7, 0.6, 0.5],
                       "val_accuracy")
    assert falling == pytest.approx([1.0, 0.5, 0.25])


@pytest.mark.parametrize("factor", [1.0, 1.5, 0.0])
def test_reduce_lr_factor_must_reduce(factor):
    with pytest.raises(ConfigError, match="factor"):
        ReduceLROnPlateau(factor=factor)


# -- state round trip (resuming) --------------------------------------------------------------
def test_early_stopping_state_round_trip():
    values = [1.0, 0.6, 0.7, 0.65, 0.9, 0.95, 0.97]
    whole = EarlyStopping(patience=3, restore_best_weights=True)
    whole_model, _ = drive(whole, values)

    first = EarlyStopping(patience=3, restore_best_weights=True)
    drive(first, values[:3], end=False)
    second = EarlyStopping(patience=3, restore_best_weights=True)
    second.set_state(first.get_state())
    resumed_model, _ = drive(second, values[3:], first_epoch=3, begin=False)

    assert second.stopped_epoch == whole.stopped_epoch == 4
    assert second.get_state().keys() == whole.get_state().keys()
    assert (second.wait, second.best, second.best_epoch) == (whole.wait, whole.best, whole.best_epoch)
    np.testing.assert_array_equal(resumed_model.weights[0], whole_model.weights[0])
    np.testing.assert_array_equal(resumed_model.weights[0], np.full(3, 1.0))


def test_early_stopping_state_is_a_copy():
    callback = EarlyStopping(patience=3, restore_best_weights=True)
    drive(callback, [1.0, 0.5], end=False)
    state = callback.get_state()
    state["best_weights"][0][...] = 99.0
    assert not np.any(callback.best_weights[0] == 99.0)


def test_reduce_lr_state_round_trip():
    values = [1.0, 1.0, 1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]
    options = dict(factor=0.5, patience=2, cooldown=1)
    _, whole_rates = drive(ReduceLROnPlateau(**options), values)

    first = ReduceLROnPlateau(**options)
    model, first_rates = drive(first, values[:4], end=False)
    second = ReduceLROnPlateau(**options)
    second.set_state(first.get_state())
    _, rest_rates = drive(second, values[4:], model=model, first_epoch=4, begin=False)
    assert first_rates + rest_rates == whole_rates


# -- through fit ------------------------------------------------------------------------------
class Recorder(Callback):
    """Keeps, per epoch, the weights and learning rate at the end of the epoch, and the hooks."""

    def __init__(self) -> None:
        self.weights: list[list[np.ndarray]] = []
        self.learning_rates: list[float] = []
        self.calls: list[Any] = []

    def on_train_begin(self, logs=None):
        self.calls.append("train_begin")

    def on_epoch_begin(self, epoch, logs=None):
        self.calls.append(("epoch_begin", epoch))

    def on_epoch_end(self, epoch, logs=None):
        self.calls.append(("epoch_end", epoch))
        self.weights.append(self.model.get_weights())
        self.learning_rates.append(self.model.optimizer.learning_rate)

    def on_train_end(self, logs=None):
        self.calls.append("train_end")


class BatchCounter(Callback):
    def __init__(self) -> None:
        self.batches: list[int] = []

    def on_train_batch_end(self, batch, logs=None):
        self.batches.append(batch)


def noisy_problem():
    """Random labels: validation loss is lowest early (epoch 1 with the seed below), then rises."""
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 4)), rng.integers(0, 2, 30).astype(float)
    x_val, y_val = rng.normal(size=(30, 4)), rng.integers(0, 2, 30).astype(float)
    return x, y, (x_val, y_val)


def overfitting_model(learning_rate: float = 0.05) -> Sequential:
    model = Sequential([layers.Dense(32, activation="relu", input_dim=4), layers.Dense(1, activation="sigmoid")],
                       seed=0)
    model.compile(optimizer=Adam(learning_rate=learning_rate), loss="binary_crossentropy", metrics=["accuracy"])
    return model


def _assert_weights_equal(first, second):
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_fit_restores_the_best_epochs_weights_after_an_early_stop():
    x, y, validation = noisy_problem()
    recorder = Recorder()
    stopper = EarlyStopping(monitor="val_loss", patience=3, restore_best_weights=True)
    model = overfitting_model()
    history = model.fit(x, y, batch_size=10, epochs=30, validation_data=validation, callbacks=[recorder, stopper])
    val_losses = history.history["val_loss"]
    best = int(np.argmin(val_losses))
    assert 0 < best < len(val_losses) - 1, "the problem no longer overfits: the test would prove nothing"
    assert stopper.best_epoch == best
    assert len(val_losses) == best + 4  # three epochs of patience after the best
    assert stopper.stopped_epoch == best + 3
    _assert_weights_equal(model.get_weights(), recorder.weights[best])
    assert model.evaluate(*validation)[0] == pytest.approx(val_losses[best], rel=1e-6)


def test_fit_restores_the_best_weights_when_training_runs_to_the_end():
    x, y, validation = noisy_problem()
    recorder = Recorder()
    model = overfitting_model()
    history = model.fit(x, y, batch_size=10, epochs=8, validation_data=validation,
                        callbacks=[recorder, EarlyStopping(patience=100, restore_best_weights=True)])
    assert len(history.history["loss"]) == 8
    best = int(np.argmin(history.history["val_loss"]))
    assert best < 7
    _assert_weights_equal(model.get_weights(), recorder.weights[best])


def test_fit_early_stopping_on_training_loss_stops_training():
    x, y, _ = noisy_problem()
    model = overfitting_model(learning_rate=5.0)  # absurd: the training loss cannot keep falling
    history = model.fit(x, y, batch_size=10, epochs=50, callbacks=[EarlyStopping(monitor="loss", patience=2)])
    assert len(history.history["loss"]) < 50


def test_fit_reduce_lr_on_plateau_changes_the_optimizer_rate():
    x, y, _ = noisy_problem()
    recorder = Recorder()
    model = overfitting_model(learning_rate=0.04)
    # min_delta so large that no epoch after the first counts as an improvement.
    reducer = ReduceLROnPlateau(monitor="loss", factor=0.5, patience=1, min_delta=100.0)
    model.fit(x, y, batch_size=10, epochs=4, callbacks=[reducer, recorder])
    assert recorder.learning_rates == pytest.approx([0.04, 0.02, 0.01, 0.005])
    assert model.optimizer.learning_rate == pytest.approx(0.005)


def test_fit_learning_rate_scheduler_sets_the_rate_each_epoch():
    x, y, _ = noisy_problem()
    seen: list[tuple[int, float]] = []

    def schedule(epoch: int, learning_rate: float) -> float:
        seen.append((epoch, learning_rate))
        return 0.1 * 0.5**epoch

    recorder = Recorder()
    model = overfitting_model(learning_rate=0.3)
    model.fit(x, y, batch_size=10, epochs=5, initial_epoch=2, callbacks=[LearningRateScheduler(schedule), recorder])
    assert [epoch for epoch, _ in seen] == [2, 3, 4]
    assert [rate for _, rate in seen] == pytest.approx([0.3, 0.025, 0.0125])
    assert recorder.learning_rates == pytest.approx([0.025, 0.0125, 0.00625])


def test_learning_rate_scheduler_rate_is_the_one_used_for_training():
    x, y, _ = noisy_problem()

    def sgd_model(learning_rate):
        model = Sequential([layers.Dense(4, activation="tanh", input_dim=4), layers.Dense(1, activation="sigmoid")],
                           seed=0, dtype="float64")
        model.compile(optimizer=SGD(learning_rate=learning_rate), loss="binary_crossentropy")
        return model

    scheduled, constant = sgd_model(0.01), sgd_model(0.2)
    scheduled.fit(x, y, batch_size=10, epochs=2, callbacks=[LearningRateScheduler(lambda epoch, rate: 0.2)])
    constant.fit(x, y, batch_size=10, epochs=2)
    _assert_weights_equal(scheduled.get_weights(), constant.get_weights())


@pytest.mark.parametrize("bad_rate", [0.0, -1.0, float("nan")])
def test_learning_rate_scheduler_rejects_a_bad_rate(bad_rate):
    x, y, _ = noisy_problem()
    with pytest.raises(ConfigError, match="epoch 1"):
        overfitting_model().fit(x, y, epochs=3,
                                callbacks=[LearningRateScheduler(lambda epoch, rate: rate if epoch == 0 else bad_rate)])


def test_history_contents():
    x, y, _ = noisy_problem()
    model = overfitting_model()
    model.compile(optimizer="adam", loss="binary_crossentropy", metrics=["accuracy", "auc"])
    history = model.fit(x, y, batch_size=10, epochs=3, validation_split=0.2)
    assert isinstance(history, History)
    assert model.history is history
    assert history.epoch == [0, 1, 2]
    assert set(history.history) == {"loss", "accuracy", "auc", "val_loss", "val_accuracy", "val_auc"}
    for key, values in history.history.items():
        assert len(values) == 3, key
        assert all(isinstance(value, float) and np.isfinite(value) for value in values), key
    # Validation values are those of the model at the end of the epoch, on the last 20 %.
    val_loss, val_accuracy, val_auc = model.evaluate(x[24:], y[24:])
    assert history.history["val_loss"][-1] == pytest.approx(val_loss, rel=1e-6)
    assert history.history["val_accuracy"][-1] == val_accuracy
    assert history.history["val_auc"][-1] == pytest.approx(val_auc, rel=1e-6)


def test_history_training_loss_of_an_unshuffled_full_batch_epoch_is_the_loss_before_the_step():
    # One batch per epoch: Keras's epoch loss is the loss of that batch, computed before the update.
    x, y, _ = noisy_problem()
    model = overfitting_model()
    before = model.evaluate(x, y)
    history = model.fit(x, y, batch_size=30, epochs=1, shuffle=False)
    assert history.history["loss"][0] == pytest.approx(before[0], rel=1e-6)
    assert history.history["accuracy"][0] == before[1]


def test_hooks_are_called_in_keras_order():
    x, y, _ = noisy_problem()
    recorder, counter = Recorder(), BatchCounter()
    overfitting_model().fit(x, y, batch_size=8, epochs=2, callbacks=[recorder, counter])
    assert recorder.calls == ["train_begin", ("epoch_begin", 0), ("epoch_end", 0), ("epoch_begin", 1),
                              ("epoch_end", 1), "train_end"]
    assert counter.batches == [0, 1, 2, 3] * 2  # 30 samples in batches of 8


def test_a_callback_can_stop_training():
    class StopAfterTwo(Callback):
        def on_epoch_end(self, epoch, logs=None):
            if epoch == 1:
                self.model.stop_training = True

    x, y, _ = noisy_problem()
    history = overfitting_model().fit(x, y, epochs=10, callbacks=[StopAfterTwo()])
    assert history.epoch == [0, 1]


def test_callbacks_by_name_and_mapping():
    x, y, _ = noisy_problem()
    history = overfitting_model(learning_rate=5.0).fit(
        x, y, batch_size=10, epochs=50, callbacks=[{"name": "early_stopping", "monitor": "loss", "patience": 1}])
    assert len(history.history["loss"]) < 50
    with pytest.raises(UnknownNameError, match="early_stopping"):
        overfitting_model().fit(x, y, epochs=1, callbacks=["early_stoping"])


# -- a monitor that does not exist ------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda monitor: EarlyStopping(monitor=monitor),
    lambda monitor: ReduceLROnPlateau(monitor=monitor),
], ids=["EarlyStopping", "ReduceLROnPlateau"])
def test_unknown_monitor_names_the_closest(make):
    x, y, validation = noisy_problem()
    with pytest.raises(ConfigError) as error:
        overfitting_model().fit(x, y, epochs=2, validation_data=validation, callbacks=[make("val_acuracy")])
    message = str(error.value)
    assert "'val_acuracy'" in message and "did you mean 'val_accuracy'" in message


def test_val_monitor_without_validation_data_says_what_is_missing():
    x, y, _ = noisy_problem()
    with pytest.raises(ConfigError) as error:
        overfitting_model().fit(x, y, epochs=2, callbacks=[EarlyStopping(monitor="val_loss")])
    message = str(error.value)
    assert "'val_loss'" in message and "validation_split" in message
