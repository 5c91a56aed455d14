"""``fit`` end to end: it learns, it is reproducible, and it follows Keras's ``fit`` semantics
(validation_split, validation_data, class/sample weights, initial_epoch), resumes exactly,
and stops with a clear error when training diverges.

Keras's rule for ``validation_split`` (``keras/src/trainers/data_adapters/
data_adapter_utils.py``, ``train_validation_split``): ``split_at = floor(n * (1 -
validation_split))``; rows before ``split_at`` train, the rest validate, before any shuffling.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nncli import Sequential, layers, optimizers
from nncli.errors import ConfigError, DataError, ShapeError, TrainingDivergedError
from nncli.engine.model import validation_split_index
from nncli.engine.optimizers import SGD, Adam


# -- data -------------------------------------------------------------------------------------
def circle_data(n_samples: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Points spread uniformly over the unit disc; label 1 inside radius √½ (half the area)."""
    rng = np.random.default_rng(seed)
    radius = np.sqrt(rng.uniform(0.0, 1.0, n_samples))
    angle = rng.uniform(0.0, 2.0 * np.pi, n_samples)
    x = np.column_stack([radius * np.cos(angle), radius * np.sin(angle)])
    return x, (radius < math.sqrt(0.5)).astype(np.float64)


def blobs(n_samples: int = 60, n_features: int = 4, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A small, mostly separable binary problem."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n_samples)
    x = rng.normal(size=(n_samples, n_features)) + 1.5 * y[:, None]
    return x, y.astype(np.float64)


def small_classifier(seed: int = 0, dropout: float = 0.0, batch_norm: bool = False, dtype: str = "float32",
                     optimizer="adam") -> Sequential:
    stack: list[layers.Layer] = [layers.Dense(8, activation="relu", input_dim=4)]
    if batch_norm:
        stack.append(layers.BatchNormalization())
    if dropout:
        stack.append(layers.Dropout(dropout))
    stack.append(layers.Dense(1, activation="sigmoid"))
    model = Sequential(stack, seed=seed, dtype=dtype)
    model.compile(optimizer=optimizer, loss="binary_crossentropy", metrics=["accuracy"])
    return model


def assert_identical_weights(first: Sequential, second: Sequential) -> None:
    a, b = first.get_weights(), second.get_weights()
    assert len(a) == len(b)
    for left, right in zip(a, b):
        assert left.dtype == right.dtype
        assert np.array_equal(left, right)
        assert left.tobytes() == right.tobytes()


# -- it learns --------------------------------------------------------------------------------
def test_digits_reach_95_percent_test_accuracy():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x, y = load_digits(return_X_y=True)
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_size=0.25, random_state=3)
    scaler = StandardScaler().fit(x_train)
    x_train, x_test = scaler.transform(x_train), scaler.transform(x_test)
    model = Sequential([layers.Dense(64, activation="relu", input_dim=64), layers.Dense(10, activation="softmax")],
                       seed=0)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=30, verbose=0)
    _, accuracy = model.evaluate(x_test, y_test)
    assert accuracy >= 0.95


def _circle_accuracy(activation: str) -> float:
    x_train, y_train = circle_data(500, seed=0)
    x_test, y_test = circle_data(500, seed=1)
    model = Sequential([layers.Dense(16, activation=activation, input_dim=2), layers.Dense(16, activation=activation),
                        layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer=Adam(learning_rate=0.01), loss="binary_crossentropy", metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=16, epochs=150, verbose=0)
    return model.evaluate(x_test, y_test)[1]


def test_circle_is_learned_with_relu_hidden_layers():
    assert _circle_accuracy("relu") >= 0.95


def test_circle_is_not_learned_with_linear_activations_only():
    assert _circle_accuracy("linear") <= 0.70


# -- reproducibility --------------------------------------------------------------------------
def _train(seed: int, **model_options) -> Sequential:
    x, y = blobs()
    model = small_classifier(seed=seed, **model_options)
    model.fit(x, y, batch_size=8, epochs=4, shuffle=True, verbose=0)
    return model


@pytest.mark.parametrize("options", [{}, {"dropout": 0.5, "batch_norm": True}, {"dtype": "float64"}],
                         ids=["dense", "dropout+batchnorm", "float64"])
def test_same_seed_gives_byte_identical_weights(options):
    assert_identical_weights(_train(5, **options), _train(5, **options))


def test_different_seeds_give_different_weights():
    first, second = _train(5, dropout=0.5), _train(6, dropout=0.5)
    assert all(not np.array_equal(a, b) for a, b in zip(first.get_weights()[::2], second.get_weights()[::2]))


def test_shuffle_changes_training():
    x, y = blobs()
    shuffled, in_order = small_classifier(), small_classifier()
    shuffled.fit(x, y, batch_size=8, epochs=2, shuffle=True)
    in_order.fit(x, y, batch_size=8, epochs=2, shuffle=False)
    assert not np.array_equal(shuffled.get_weights()[0], in_order.get_weights()[0])


# -- dropout and batch normalization at inference --------------------------------------------
def test_dropout_is_off_at_predict_and_evaluate():
    x, y = blobs()
    with_dropout = _train(1, dropout=0.5)
    without = small_classifier(seed=1)
    without.set_weights(with_dropout.get_weights())  # Dropout has no weights: same list
    first = with_dropout.predict(x)
    np.testing.assert_array_equal(first, with_dropout.predict(x))
    np.testing.assert_array_equal(first, without.predict(x))
    assert with_dropout.evaluate(x, y) == without.evaluate(x, y)


def test_dropout_is_on_in_training():
    assert not np.array_equal(_train(1, dropout=0.5).get_weights()[0], _train(1).get_weights()[0])


def test_dropout_scales_kept_inputs_in_training():
    layer = layers.Dropout(0.25)
    model = Sequential([layer], seed=0)
    model.build(1000)
    layer.set_rng(np.random.default_rng(0))
    out = layer.forward(np.ones((20, 1000), dtype=np.float32), training=True)
    kept = out != 0
    np.testing.assert_allclose(out[kept], 1.0 / 0.75, rtol=1e-6)
    assert 0.72 < kept.mean() < 0.78


def test_batch_normalization_uses_moving_statistics_at_predict():
    x, y = blobs()
    model = _train(2, batch_norm=True)
    kernel, bias, gamma, beta, moving_mean, moving_variance, out_kernel, out_bias = model.get_weights()
    assert not np.allclose(moving_mean, 0.0)  # training moved them
    hidden = np.maximum(x.astype(np.float32) @ kernel + bias, 0.0)
    normalised = (hidden - moving_mean) / np.sqrt(moving_variance + 1e-3) * gamma + beta
    expected = 1.0 / (1.0 + np.exp(-(normalised @ out_kernel + out_bias)))
    np.testing.assert_allclose(model.predict(x), expected, rtol=1e-5, atol=1e-6)
    # One row alone predicts as inside a batch: no batch statistics at inference.
    np.testing.assert_allclose(model.predict(x[3:4]), model.predict(x)[3:4], rtol=1e-6)


def test_batch_normalization_moving_statistics_follow_keras_momentum():
    rng = np.random.default_rng(3)
    x = rng.normal(loc=2.0, scale=3.0, size=(16, 3))
    model = Sequential([layers.BatchNormalization(input_dim=3), layers.Dense(1)], seed=0, dtype="float64")
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros(16), batch_size=16, epochs=1, shuffle=False)
    _, _, moving_mean, moving_variance, _, _ = model.get_weights()
    np.testing.assert_allclose(moving_mean, 0.01 * x.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(moving_variance, 0.99 + 0.01 * x.var(axis=0), rtol=1e-12)


# -- validation ------------------------------------------------------------------------------
@settings(max_examples=200, deadline=None)
@given(n_samples=st.integers(2, 5000), fraction=st.floats(0.01, 0.99))
def test_validation_split_index_is_keras_floor_rule(n_samples, fraction):
    assert validation_split_index(n_samples, fraction) == int(math.floor(n_samples * (1.0 - fraction)))


@pytest.mark.parametrize("shuffle", [True, False])
def test_validation_split_takes_the_last_rows_before_shuffling(shuffle):
    # n = 10, split 0.33: Keras trains on floor(6.7) = 6 rows and validates on the last 4
    # (rounding or ceil would validate on 3).
    x, y = blobs(10)
    split = small_classifier()
    history = split.fit(x, y, batch_size=4, epochs=1, validation_split=0.33, shuffle=shuffle)
    first_six = small_classifier()
    first_six.fit(x[:6], y[:6], batch_size=4, epochs=1, shuffle=shuffle)
    assert_identical_weights(split, first_six)
    val_loss, val_accuracy = split.evaluate(x[6:], y[6:])
    assert history.history["val_loss"] == [val_loss]
    assert history.history["val_accuracy"] == [val_accuracy]
    assert split.evaluate(x[7:], y[7:])[0] != val_loss


@pytest.mark.parametrize("n_samples, fraction", [(2, 0.6), (10, 1e-17)], ids=["no-training-rows", "no-validation-rows"])
def test_validation_split_leaving_nothing_is_refused(n_samples, fraction):
    x, y = blobs(n_samples)
    with pytest.raises(ConfigError, match=f"validation_split={fraction}"):
        small_classifier().fit(x, y, validation_split=fraction)


@pytest.mark.parametrize("fraction", [-0.1, 1.0, 1.5])
def test_validation_split_out_of_range(fraction):
    x, y = blobs(10)
    with pytest.raises(ConfigError, match=r"\[0, 1\)"):
        small_classifier().fit(x, y, validation_split=fraction)


def test_validation_data_is_evaluated_after_each_epoch():
    x, y = blobs(40)
    x_val, y_val = blobs(15, seed=9)
    model = small_classifier()
    history = model.fit(x, y, batch_size=8, epochs=3, validation_data=(x_val, y_val))
    assert len(history.history["val_loss"]) == 3
    assert [history.history["val_loss"][-1], history.history["val_accuracy"][-1]] == model.evaluate(x_val, y_val)
    # validation data does not take part in training
    trained_alone = small_classifier()
    trained_alone.fit(x, y, batch_size=8, epochs=3)
    assert_identical_weights(model, trained_alone)


def test_validation_data_with_sample_weights():
    x, y = blobs(40)
    x_val, y_val = blobs(10, seed=9)
    weights = np.linspace(0.5, 2.0, 10)
    model = small_classifier()
    history = model.fit(x, y, batch_size=8, epochs=1, validation_data=(x_val, y_val, weights))
    assert history.history["val_loss"][0] == pytest.approx(model.evaluate(x_val, y_val, sample_weight=weights)[0],
                                                           rel=1e-6)


# -- weights of samples and classes -----------------------------------------------------------
def test_class_weight_equals_the_matching_sample_weight():
    x, y = blobs(40)
    by_class, by_sample = small_classifier(), small_classifier()
    by_class.fit(x, y, batch_size=8, epochs=2, class_weight={0: 1.0, 1: 3.0})
    by_sample.fit(x, y, batch_size=8, epochs=2, sample_weight=np.where(y == 1, 3.0, 1.0))
    assert_identical_weights(by_class, by_sample)
    unweighted = small_classifier()
    unweighted.fit(x, y, batch_size=8, epochs=2)
    assert not np.array_equal(unweighted.get_weights()[0], by_class.get_weights()[0])


def test_class_weight_with_one_hot_and_sparse_labels():
    rng = np.random.default_rng(4)
    x = rng.normal(size=(30, 4))
    labels = np.arange(30) % 3

    def fit(loss, y, class_weight):
        model = Sequential([layers.Dense(3, activation="softmax", input_dim=4)], seed=0, dtype="float64")
        model.compile(optimizer="sgd", loss=loss)
        return model.fit(x, y, batch_size=10, epochs=1, class_weight=class_weight)

    weights = {0: 0.5, 1: 1.0, 2: 4.0}
    sparse = fit("sparse_categorical_crossentropy", labels, weights).history["loss"]
    one_hot = fit("categorical_crossentropy", np.eye(3)[labels], weights).history["loss"]
    assert sparse == pytest.approx(one_hot, rel=1e-12)
    assert sparse != pytest.approx(fit("sparse_categorical_crossentropy", labels, None).history["loss"], rel=1e-6)


def test_sample_weight_scales_the_loss_like_keras():
    # Keras's reduction is sum(loss * weight) / n_samples; with SGD, doubling every weight
    # is the same as doubling the learning rate.
    x, y = blobs(32)
    doubled = small_classifier(dtype="float64", optimizer=SGD(learning_rate=0.05))
    plain = small_classifier(dtype="float64", optimizer=SGD(learning_rate=0.1))
    history_doubled = doubled.fit(x, y, batch_size=8, epochs=3, sample_weight=np.full(32, 2.0))
    history_plain = plain.fit(x, y, batch_size=8, epochs=3)
    np.testing.assert_allclose(history_doubled.history["loss"], 2.0 * np.array(history_plain.history["loss"]),
                               rtol=1e-10)
    for a, b in zip(doubled.get_weights(), plain.get_weights()):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13)


def test_evaluate_with_sample_weight_is_the_weighted_mean_over_samples():
    x, y = blobs(20)
    model = small_classifier(dtype="float64")
    weights = np.linspace(0.0, 3.0, 20)
    p = np.clip(model.predict(x)[:, 0], 1e-7, 1 - 1e-7)
    per_sample = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    assert model.evaluate(x, y, sample_weight=weights)[0] == pytest.approx(float(np.sum(per_sample * weights) / 20),
                                                                           rel=1e-12)


@pytest.mark.parametrize("weights, error, message", [(np.ones(5), ShapeError, "5 values for 20 samples"),
                                                     (-np.ones(20), DataError, "non-negative")])
def test_bad_sample_weights(weights, error, message):
    x, y = blobs(20)
    with pytest.raises(error, match=message):
        small_classifier().fit(x, y, sample_weight=weights)


# -- epochs, resuming, dtype ------------------------------------------------------------------
def test_initial_epoch_runs_the_remaining_epochs():
    x, y = blobs()
    model = small_classifier()
    history = model.fit(x, y, batch_size=8, epochs=5, initial_epoch=3)
    assert history.epoch == [3, 4]
    assert len(history.history["loss"]) == 2


def test_zero_epochs_changes_nothing():
    x, y = blobs()
    model = small_classifier()
    before = model.get_weights()
    history = model.fit(x, y, epochs=0)
    assert history.history == {}
    for a, b in zip(before, model.get_weights()):
        np.testing.assert_array_equal(a, b)


def _resume_model(name: str) -> Sequential:
    model = Sequential([layers.Dense(8, activation="relu", input_dim=4), layers.BatchNormalization(),
                        layers.Dropout(0.3), layers.Dense(1, activation="sigmoid")], seed=7)
    model.compile(optimizer=name, loss="binary_crossentropy", metrics=["accuracy"])
    return model


@pytest.mark.parametrize("optimizer_name", optimizers.OPTIMIZERS.names())
def test_resuming_at_an_epoch_reaches_the_same_weights_bit_for_bit(optimizer_name):
    x, y = blobs(50)
    uninterrupted = _resume_model(optimizer_name)
    full_history = uninterrupted.fit(x, y, batch_size=8, epochs=6)

    first_part = _resume_model(optimizer_name)
    first_part.fit(x, y, batch_size=8, epochs=3)
    resumed = _resume_model(optimizer_name)  # a fresh process would rebuild the model like this
    resumed.set_weights(first_part.get_weights())
    resumed.optimizer.set_state(first_part.optimizer.get_state())
    rest_history = resumed.fit(x, y, batch_size=8, epochs=6, initial_epoch=3)

    assert_identical_weights(uninterrupted, resumed)
    assert rest_history.history["loss"] == full_history.history["loss"][3:]


def test_optimizer_state_is_needed_to_resume_exactly():
    # Guards the test above: without the optimizer's moments the result differs.
    x, y = blobs(50)
    uninterrupted = _resume_model("adam")
    uninterrupted.fit(x, y, batch_size=8, epochs=6)
    first_part = _resume_model("adam")
    first_part.fit(x, y, batch_size=8, epochs=3)
    resumed = _resume_model("adam")
    resumed.set_weights(first_part.get_weights())
    resumed.fit(x, y, batch_size=8, epochs=6, initial_epoch=3)
    assert not np.array_equal(uninterrupted.get_weights()[0], resumed.get_weights()[0])


def test_float64_mode_trains_in_float64():
    x, y = blobs()
    model = _train(0, dtype="float64")
    assert model.flat_params.dtype == np.float64
    assert all(w.dtype == np.float64 for w in model.get_weights())
    assert model.predict(x).dtype == np.float64
    float32 = _train(0)
    assert float32.predict(x).dtype == np.float32
    # Same initial draws, so the two precisions end up close.
    np.testing.assert_allclose(model.get_weights()[0], float32.get_weights()[0], atol=1e-4)


def test_unknown_dtype_is_refused():
    with pytest.raises(ConfigError, match="float16"):
        Sequential(dtype="float16")


@pytest.mark.parametrize("argument, value", [("batch_size", 0), ("batch_size", 2.5), ("epochs", -1)])
def test_bad_fit_arguments(argument, value):
    x, y = blobs()
    with pytest.raises(ConfigError, match=f"{argument}={value}"):
        small_classifier().fit(x, y, **{argument: value})


def test_batch_larger_than_the_data_is_one_batch():
    x, y = blobs(10)
    large, exact = small_classifier(), small_classifier()
    large.fit(x, y, batch_size=100, epochs=2)
    exact.fit(x, y, batch_size=10, epochs=2)
    assert_identical_weights(large, exact)


# -- divergence -------------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_raises_a_clear_error():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 3)) * 1000.0  # unscaled
    y = x.sum(axis=1)
    model = Sequential([layers.Dense(4, input_dim=3), layers.Dense(1)], seed=0)
    model.compile(optimizer=SGD(learning_rate=1e6), loss="mse")
    with pytest.raises(TrainingDivergedError) as error:
        model.fit(x, y, batch_size=32, epochs=5)
    message = str(error.value)
    assert "NaN" in message
    assert "epoch 1, batch " in message
    assert "learning rate" in message and "1e+06" in message and "lower" in message
    assert error.value.exit_code == 1


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_divergence_in_the_weights_names_the_batch_too():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(64, 3)) * 1000.0
    model = Sequential([layers.Dense(4, input_dim=3), layers.Dense(1)], seed=0)
    model.compile(optimizer=SGD(learning_rate=1e36), loss="mse")
    with pytest.raises(TrainingDivergedError, match=r"epoch 1, batch 1\b"):
        model.fit(x, x.sum(axis=1), batch_size=64, epochs=3)  # one batch: its step makes the weights infinite
