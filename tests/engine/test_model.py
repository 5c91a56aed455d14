"""``Sequential`` as a Keras user meets it: building, weights, summary, compile, evaluate,
predict, and the errors that bad input gets.

Figures come from the lecture (DESIGN.md §3) and from Keras 3's summary
(``keras/src/utils/summary_utils.py``: `` Total params: {count:,} ({size})`` with the size in
B/KB/MB at two decimals, 1 KB = 1024 bytes).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nncli import Sequential, activations, initializers, layers, losses
from nncli.errors import ConfigError, DataError, NncliError, ShapeError, UnknownNameError
from nncli.engine.optimizers import SGD, Adam

# -- the lecture's hand-made network ----------------------------------------------------------
LECTURE_X = np.array([[1.0, -3.1, -7.2, 2.1]])
LECTURE_HIDDEN_WEIGHTS = np.array([[2.1, -1.2, 0.3, 1.3], [-0.1, 1.2, 4.9, -3.1], [0.4, 2.6, -2.5, 3.8]])
LECTURE_HIDDEN_BIASES = np.array([-3.0, -5.0, -8.0])
LECTURE_OUTPUT_WEIGHTS = np.array([1.1, -4.1, -0.7])
LECTURE_OUTPUT_BIAS = 5.1
LECTURE_PREDICTION = 0.832716044461517


def lecture_weights() -> list[np.ndarray]:
    """Keras order and shapes: kernel (n_in, units), bias (units,), per Dense layer."""
    return [LECTURE_HIDDEN_WEIGHTS.T, LECTURE_HIDDEN_BIASES, LECTURE_OUTPUT_WEIGHTS.reshape(3, 1),
            np.array([LECTURE_OUTPUT_BIAS])]


def lecture_model(dtype: str = "float32") -> Sequential:
    model = Sequential([layers.Dense(3, activation="relu", input_dim=4), layers.Dense(1, activation="sigmoid")],
                       seed=0, dtype=dtype)
    model.set_weights(lecture_weights())
    return model


@pytest.mark.parametrize("dtype, tolerance", [("float32", 1e-6), ("float64", 1e-12)])
def test_lecture_network_predicts_the_lecture_value(dtype, tolerance):
    prediction = lecture_model(dtype).predict(LECTURE_X)
    assert prediction.shape == (1, 1)
    assert prediction.dtype == np.dtype(dtype)
    assert abs(float(prediction[0, 0]) - LECTURE_PREDICTION) <= tolerance


def test_lecture_value_is_what_the_formula_gives():
    # The constant above, recomputed from the neuron-by-neuron description.
    hidden = np.maximum(LECTURE_HIDDEN_WEIGHTS @ LECTURE_X[0] + LECTURE_HIDDEN_BIASES, 0.0)
    z = LECTURE_OUTPUT_BIAS + LECTURE_OUTPUT_WEIGHTS @ hidden
    assert 1.0 / (1.0 + np.exp(-z)) == pytest.approx(LECTURE_PREDICTION, abs=1e-15)


# -- parameter counts and the summary ---------------------------------------------------------
def small_lecture_model() -> Sequential:
    return Sequential([layers.Dense(10, input_dim=4), layers.Dense(1)], seed=0)


def mnist_lecture_model() -> Sequential:
    return Sequential([layers.Dense(64, input_shape=(784,)), layers.Dense(64), layers.Dense(10)], seed=0)


def summary_lines(model: Sequential) -> list[str]:
    printed: list[str] = []
    model.summary(print_fn=printed.append)
    return "\n".join(printed).splitlines()


def test_parameter_counts_of_the_lecture_models():
    assert small_lecture_model().count_params() == 61
    assert [row[2] for row in small_lecture_model().summary_rows()] == [50, 11]
    assert mnist_lecture_model().count_params() == 55_050
    assert [row[2] for row in mnist_lecture_model().summary_rows()] == [50_240, 4_160, 650]


def test_summary_totals_use_keras_3_wording():
    lines = summary_lines(mnist_lecture_model())
    # float32: 4 bytes per parameter, 220,200 bytes = 215.04 KB (1 KB = 1024 B).
    assert lines[-3:] == [
        " Total params: 55,050 (215.04 KB)",
        " Trainable params: 55,050 (215.04 KB)",
        " Non-trainable params: 0 (0.00 B)",
    ]
    assert summary_lines(small_lecture_model())[-3:] == [
        " Total params: 61 (244.00 B)",
        " Trainable params: 61 (244.00 B)",
        " Non-trainable params: 0 (0.00 B)",
    ]


def test_summary_table_has_keras_columns_and_rows():
    text = "\n".join(summary_lines(mnist_lecture_model()))
    assert text.startswith('Model: "sequential"')
    for header in ("Layer (type)", "Output Shape", "Param #"):
        assert header in text
    for layer_name, shape, params in [("dense (Dense)", "(None, 64)", "50,240"), ("dense_1 (Dense)", "(None, 64)", "4,160"),
                                      ("dense_2 (Dense)", "(None, 10)", "650")]:
        row = next(line for line in text.splitlines() if layer_name in line)
        assert shape in row and row.rstrip(" │").endswith(params)


def test_summary_prints_to_stdout_by_default(capsys):
    small_lecture_model().summary()
    assert " Total params: 61 (244.00 B)" in capsys.readouterr().out


def test_summary_sizes_follow_the_dtype():
    model = Sequential([layers.Dense(10, input_dim=4), layers.Dense(1)], seed=0, dtype="float64")
    assert summary_lines(model)[-3] == " Total params: 61 (488.00 B)"


@pytest.mark.parametrize("n_features", [1, 7])
def test_batch_normalization_has_four_parameters_per_feature_two_non_trainable(n_features):
    model = Sequential([layers.Dense(n_features, input_dim=3), layers.BatchNormalization()], seed=0)
    dense_params = 3 * n_features + n_features
    assert model.layers[1].count_params() == (2 * n_features, 2 * n_features)
    assert model.count_params() == dense_params + 4 * n_features
    assert model.param_totals() == {"total": dense_params + 4 * n_features, "trainable": dense_params + 2 * n_features,
                                    "non_trainable": 2 * n_features}
    non_trainable = 2 * n_features
    assert summary_lines(model)[-1] == f" Non-trainable params: {non_trainable} ({non_trainable * 4:.2f} B)"


def test_dropout_has_no_parameters():
    model = Sequential([layers.Dense(5, input_dim=3), layers.Dropout(0.5), layers.Dense(1)], seed=0)
    assert model.layers[1].count_params() == (0, 0)
    assert model.count_params() == 20 + 6
    assert [row[2] for row in model.summary_rows()] == [20, 0, 6]


# -- weights ----------------------------------------------------------------------------------
def test_get_weights_order_and_shapes_are_keras():
    model = Sequential([layers.Dense(5, input_dim=3), layers.BatchNormalization(), layers.Dense(2)], seed=0)
    assert [w.shape for w in model.get_weights()] == [(3, 5), (5,), (5,), (5,), (5,), (5,), (5, 2), (2,)]
    _, _, gamma, beta, moving_mean, moving_variance, _, bias = model.get_weights()
    np.testing.assert_array_equal(gamma, np.ones(5))
    np.testing.assert_array_equal(beta, np.zeros(5))
    np.testing.assert_array_equal(moving_mean, np.zeros(5))
    np.testing.assert_array_equal(moving_variance, np.ones(5))
    np.testing.assert_array_equal(bias, np.zeros(2))  # bias_initializer defaults to zeros


def test_set_weights_then_get_weights_round_trips():
    model = Sequential([layers.Dense(5, input_dim=3), layers.BatchNormalization(), layers.Dense(2)], seed=0)
    rng = np.random.default_rng(0)
    new = [rng.normal(size=w.shape).astype(np.float32) for w in model.get_weights()]
    new[5] = np.abs(new[5])  # moving_variance
    model.set_weights(new)
    for expected, got in zip(new, model.get_weights()):
        np.testing.assert_array_equal(got, expected)


def test_get_weights_returns_copies():
    model = small_lecture_model()
    weights = model.get_weights()
    weights[0][...] = 123.0
    assert not np.any(model.get_weights()[0] == 123.0)


def test_set_weights_reports_the_expected_list():
    model = small_lecture_model()
    with pytest.raises(ShapeError, match=r"expects 4 arrays") as error:
        model.set_weights(model.get_weights()[:2])
    assert "kernel (4, 10)" in str(error.value)
    wrong = model.get_weights()
    wrong[0] = wrong[0].T
    with pytest.raises(ShapeError, match=r"\(4, 10\).*\(10, 4\)"):
        model.set_weights(wrong)


def test_set_weights_changes_predictions_live():
    model = lecture_model("float64")
    model.set_weights([w * 0 for w in lecture_weights()])
    np.testing.assert_array_equal(model.predict(LECTURE_X), [[0.5]])


# -- building the model -----------------------------------------------------------------------
def test_list_constructor_and_add_build_the_same_model():
    listed = Sequential([layers.Dense(6, activation="relu", input_dim=4), layers.Dense(1, activation="sigmoid")],
                        seed=0)
    added = Sequential(seed=0)
    added.add(layers.Dense(6, activation="relu", input_dim=4))
    added.add(layers.Dense(1, activation="sigmoid"))
    for a, b in zip(listed.get_weights(), added.get_weights()):
        assert a.tobytes() == b.tobytes()
    assert [layer.name for layer in added.layers] == ["dense", "dense_1"]


def test_input_shape_is_input_dim():
    by_shape = Sequential([layers.Dense(6, input_shape=(4,)), layers.Dense(1)], seed=3)
    by_dim = Sequential([layers.Dense(6, input_dim=4), layers.Dense(1)], seed=3)
    assert by_shape.input_dim == 4
    for a, b in zip(by_shape.get_weights(), by_dim.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_input_shape_with_more_than_one_dimension_is_refused():
    with pytest.raises(ConfigError, match="flatten"):
        layers.Dense(3, input_shape=(28, 28))


def test_model_without_input_size_is_built_by_the_first_data():
    model = Sequential([layers.Dense(3), layers.Dense(2)], seed=0)
    assert model.predict(np.ones((5, 4))).shape == (5, 2)
    assert model.count_params() == 4 * 3 + 3 + 3 * 2 + 2


def test_seed_decides_the_initial_weights():
    def weights(seed):
        return Sequential([layers.Dense(5, input_dim=3), layers.Dense(2)], seed=seed).get_weights()

    assert all(np.array_equal(a, b) for a, b in zip(weights(1), weights(1)))
    assert not np.array_equal(weights(1)[0], weights(2)[0])


def test_unseeded_model_draws_and_keeps_a_seed():
    model = Sequential([layers.Dense(2, input_dim=2)])
    again = Sequential([layers.Dense(2, input_dim=2)], seed=model.seed)
    np.testing.assert_array_equal(model.get_weights()[0], again.get_weights()[0])


# -- names or objects -------------------------------------------------------------------------
def _trained_weights(optimizer, loss, activation="relu", kernel_initializer="glorot_uniform"):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] > 0).astype(float)
    model = Sequential([layers.Dense(4, activation=activation, input_dim=3, kernel_initializer=kernel_initializer),
                        layers.Dense(1, activation="sigmoid")], seed=0)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    model.fit(x, y, batch_size=8, epochs=2, verbose=0)
    return model.get_weights()


def _assert_same(first, second):
    for a, b in zip(first, second):
        np.testing.assert_array_equal(a, b)


def test_names_and_objects_are_interchangeable():
    reference = _trained_weights("adam", "binary_crossentropy")
    _assert_same(reference, _trained_weights(Adam(learning_rate=1e-3), "binary_crossentropy"))
    _assert_same(reference, _trained_weights({"name": "adam", "learning_rate": 0.001}, "binary_crossentropy"))
    _assert_same(reference, _trained_weights("adam", losses.BinaryCrossentropy()))
    _assert_same(reference, _trained_weights("adam", "binary_crossentropy", activation=activations.get("relu")))
    _assert_same(reference, _trained_weights("adam", "binary_crossentropy",
                                             kernel_initializer=initializers.get("glorot_uniform")))


def test_optimizer_object_is_used_as_given():
    model = small_lecture_model()
    optimizer = SGD(learning_rate=0.5, momentum=0.9)
    model.compile(optimizer=optimizer, loss="mse")
    assert model.optimizer is optimizer
    before = model.get_weights()
    model.fit(np.ones((4, 4)), np.zeros(4), epochs=1, batch_size=4, shuffle=False)
    assert optimizer.iterations == 1
    assert not np.array_equal(before[0], model.get_weights()[0])


def test_other_optimizer_settings_change_training():
    assert not np.array_equal(_trained_weights("adam", "binary_crossentropy")[0],
                              _trained_weights(Adam(learning_rate=0.01), "binary_crossentropy")[0])


def test_default_optimizer_is_keras_rmsprop():
    model = small_lecture_model()
    model.compile(loss="mse")
    assert type(model.optimizer).__name__ == "RMSprop"


def test_compile_without_loss_is_refused():
    with pytest.raises(ConfigError, match="loss"):
        small_lecture_model().compile(optimizer="adam")


# -- evaluate and predict ---------------------------------------------------------------------
def _regression_model():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(20, 4))
    y = rng.normal(size=(20, 2))
    model = Sequential([layers.Dense(5, activation="tanh", input_dim=4), layers.Dense(2)], seed=0, dtype="float64")
    return model, x, y


def test_evaluate_returns_a_bare_float_without_metrics():
    model, x, y = _regression_model()
    model.compile(optimizer="sgd", loss="mse")
    result = model.evaluate(x, y)
    assert isinstance(result, float)
    assert result == pytest.approx(float(np.mean((model.predict(x) - y) ** 2)), rel=1e-12)


def test_evaluate_returns_loss_then_metrics_in_order():
    model, x, y = _regression_model()
    model.compile(optimizer="sgd", loss="mse", metrics=["mae", "mse"])
    assert model.metrics_names == ["loss", "mae", "mse"]
    result = model.evaluate(x, y)
    predictions = model.predict(x)
    assert isinstance(result, list) and len(result) == 3
    assert result[0] == pytest.approx(float(np.mean((predictions - y) ** 2)), rel=1e-12)
    assert result[1] == pytest.approx(float(np.mean(np.abs(predictions - y))), rel=1e-12)
    assert result[2] == pytest.approx(result[0], rel=1e-12)
    assert model.evaluate(x, y, return_dict=True) == dict(zip(model.metrics_names, result))


def test_evaluate_accuracy_of_a_classifier():
    model = lecture_model("float64")
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy"])
    loss, accuracy = model.evaluate(LECTURE_X, [1])
    assert accuracy == 1.0
    assert loss == pytest.approx(-np.log(LECTURE_PREDICTION), rel=1e-12)
    assert model.evaluate(LECTURE_X, [0])[1] == 0.0


def test_evaluate_needs_compile():
    with pytest.raises(NncliError, match="compile"):
        lecture_model().evaluate(LECTURE_X, [1])


@pytest.mark.parametrize("units, n_samples", [(1, 1), (3, 17), (10, 9000)])
def test_predict_shape_is_samples_by_units(units, n_samples):
    model = Sequential([layers.Dense(4, input_dim=2), layers.Dense(units, activation="softmax")], seed=0)
    predictions = model.predict(np.zeros((n_samples, 2)))
    assert predictions.shape == (n_samples, units)
    assert predictions.dtype == np.float32


def test_predict_in_pieces_equals_predict_at_once():
    model = Sequential([layers.Dense(4, activation="relu", input_dim=2), layers.Dense(3)], seed=0)
    x = np.random.default_rng(2).normal(size=(9000, 2))
    whole = model.predict(x)
    np.testing.assert_allclose(np.vstack([model.predict(x[:4000]), model.predict(x[4000:])]), whole, rtol=1e-6)


def test_predict_accepts_lists():
    np.testing.assert_allclose(lecture_model().predict([[1.0, -3.1, -7.2, 2.1]]), [[LECTURE_PREDICTION]], atol=1e-6)


# -- the README example of issue 2, as written ------------------------------------------------
def test_readme_example_runs_as_written(capsys):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 4))
    y = (X[:, 0] + X[:, 1] > 0).astype(int)
    X_test, y_test, X_new = X[:50], y[:50], X[:7]

    from nncli import Sequential, layers  # noqa: F811  (exactly the README's imports)
    from nncli.engine.callbacks import EarlyStopping
    from nncli.engine.optimizers import SGD, Adam  # noqa: F401, F811

    model = Sequential(seed=0)
    model.add(layers.Dense(10, activation="relu", input_dim=4))
    model.add(layers.Dense(1, activation="sigmoid"))
    model.compile(loss="binary_crossentropy", optimizer="adam", metrics=["accuracy"])
    history = model.fit(X, y, batch_size=16, epochs=20, validation_split=0.2,
                        shuffle=True, verbose=0, callbacks=[EarlyStopping(patience=50)], class_weight=None)
    assert len(history.history["loss"]) == 20
    assert len(history.history["val_accuracy"]) == 20
    assert history.history["loss"][-1] < history.history["loss"][0]
    result = model.evaluate(X_test, y_test)
    assert isinstance(result, list) and len(result) == 2
    assert model.predict(X_new).shape == (7, 1)
    model.summary()
    assert "Total params: 61" in capsys.readouterr().out
    assert model.count_params() == 61
    model.set_weights(model.get_weights())


# -- bad input --------------------------------------------------------------------------------
def _compiled(loss="mse", units=1, activation=None, input_dim=4):
    model = Sequential([layers.Dense(3, activation="relu", input_dim=input_dim),
                        layers.Dense(units, activation=activation)], seed=0)
    model.compile(optimizer="sgd", loss=loss)
    return model


@pytest.mark.parametrize("action", ["summary", "count_params", "summary_rows", "set_weights"])
def test_first_layer_without_input_size_and_no_data(action):
    model = Sequential([layers.Dense(3), layers.Dense(1)], seed=0)
    call = {"summary": lambda: model.summary(print_fn=lambda text: None), "count_params": model.count_params,
            "summary_rows": model.summary_rows, "set_weights": lambda: model.set_weights([])}[action]
    with pytest.raises(ShapeError, match="input_dim") as error:
        call()
    assert "input_shape" in str(error.value)


def test_empty_model_is_refused():
    with pytest.raises(ConfigError, match="no layers"):
        Sequential(seed=0).build(4)


def test_one_dimensional_x():
    with pytest.raises(ShapeError, match=r"2-D.*1-D") as error:
        _compiled().fit(np.arange(10.0), np.zeros(10))
    assert "reshape(-1, 1)" in str(error.value)


def test_three_dimensional_x():
    with pytest.raises(ShapeError, match=r"\(5, 2, 2\)") as error:
        _compiled().predict(np.zeros((5, 2, 2)))
    assert "Flatten" in str(error.value) or "flatten" in str(error.value)


@pytest.mark.parametrize("method", ["fit", "evaluate", "predict"])
def test_wrong_number_of_features(method):
    model = _compiled()
    x = np.zeros((6, 5))
    call = {"fit": lambda: model.fit(x, np.zeros(6)), "evaluate": lambda: model.evaluate(x, np.zeros(6)),
            "predict": lambda: model.predict(x)}[method]
    with pytest.raises(ShapeError, match=r"5 features.*expects 4"):
        call()


def test_wrong_number_of_features_in_validation_data():
    with pytest.raises(ShapeError, match=r"validation x has 3 features"):
        _compiled().fit(np.zeros((6, 4)), np.zeros(6), validation_data=(np.zeros((2, 3)), np.zeros(2)))


def test_x_and_y_of_different_lengths():
    with pytest.raises(ShapeError, match=r"6 samples.*5"):
        _compiled().fit(np.zeros((6, 4)), np.zeros(5))


def test_three_classes_with_binary_crossentropy():
    model = _compiled("binary_crossentropy", activation="sigmoid")
    with pytest.raises(ShapeError, match=r"0 or 1") as error:
        model.fit(np.zeros((6, 4)), np.array([0, 1, 2, 0, 1, 2]))
    message = str(error.value)
    assert "0, 1, 2" in message and "sparse_categorical_crossentropy" in message and "Dense(3" in message


def test_sparse_labels_beyond_the_output_units():
    model = _compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ShapeError, match=r"3 units") as error:
        model.fit(np.zeros((5, 4)), np.array([0, 1, 2, 3, 4]))
    assert "Dense(5" in str(error.value)


def test_negative_sparse_labels():
    model = _compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ShapeError, match="-1") as error:
        model.fit(np.zeros((3, 4)), np.array([0, -1, 1]))
    assert "Dense(2" not in str(error.value)


def test_one_hot_labels_with_sparse_categorical_crossentropy():
    model = _compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ShapeError, match="categorical_crossentropy") as error:
        model.fit(np.zeros((3, 4)), np.eye(3))
    assert "(3, 3)" in str(error.value)


def test_integer_labels_with_categorical_crossentropy():
    model = _compiled("categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(ShapeError, match="sparse_categorical_crossentropy"):
        model.fit(np.zeros((3, 4)), np.array([0, 1, 2]))


def test_non_integer_sparse_labels():
    model = _compiled("sparse_categorical_crossentropy", units=3, activation="softmax")
    with pytest.raises(DataError, match="integer"):
        model.fit(np.zeros((3, 4)), np.array([0.0, 1.5, 2.0]))


def test_string_labels():
    model = _compiled("binary_crossentropy", activation="sigmoid")
    with pytest.raises(DataError, match="numeric"):
        model.fit(np.zeros((4, 4)), np.array(["cat", "dog", "cat", "dog"]))


def test_string_labels_of_object_dtype():
    model = _compiled("binary_crossentropy", activation="sigmoid")
    with pytest.raises(DataError, match="numeric"):
        model.fit(np.zeros((4, 4)), np.array(["cat", "dog", "cat", 1], dtype=object))


@pytest.mark.parametrize("kind, typo, suggestion", [
    ("activation", "rellu", "relu"),
    ("activation", "sigmoyd", "sigmoid"),
    ("loss", "binary_crossentropi", "binary_crossentropy"),
    ("loss", "sparse_categorical_crosentropy", "sparse_categorical_crossentropy"),
    ("optimizer", "adamm", "adam"),
    ("optimizer", "rmsprob", "rmsprop"),
    ("metric", "acuracy", "accuracy"),
    ("initializer", "glorot_unifrom", "glorot_uniform"),
])
def test_unknown_names_suggest_the_closest(kind, typo, suggestion):
    def attempt():
        if kind == "activation":
            layers.Dense(3, activation=typo)
        elif kind == "initializer":
            layers.Dense(3, kernel_initializer=typo)
        elif kind == "loss":
            small_lecture_model().compile(optimizer="sgd", loss=typo)
        elif kind == "optimizer":
            small_lecture_model().compile(optimizer=typo, loss="mse")
        else:
            small_lecture_model().compile(optimizer="sgd", loss="mse", metrics=[typo])

    with pytest.raises(UnknownNameError) as error:
        attempt()
    message = str(error.value)
    assert repr(typo) in message and f"did you mean {suggestion!r}" in message


def test_unknown_layer_type_in_a_config():
    with pytest.raises(UnknownNameError, match="did you mean 'Dense'"):
        layers.from_config({"type": "Dence", "units": 3})


def test_uninterpretable_identifiers():
    with pytest.raises(ConfigError, match="loss identifier: 3"):
        small_lecture_model().compile(optimizer="sgd", loss=3)
    with pytest.raises(ConfigError, match="optimizer identifier: 3"):
        small_lecture_model().compile(optimizer=3, loss="mse")


@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_non_finite_x(bad_value):
    x = np.zeros((5, 4))
    x[3, 2] = bad_value
    with pytest.raises(DataError, match=r"NaN or infinite.*row 3, column 2"):
        _compiled().fit(x, np.zeros(5))
    with pytest.raises(DataError, match="NaN or infinite"):
        _compiled().predict(x)


def test_non_finite_y():
    with pytest.raises(DataError, match="NaN or infinite"):
        _compiled().fit(np.zeros((3, 4)), np.array([0.0, np.nan, 1.0]))


@pytest.mark.parametrize("x", [
    np.array([["a", "b", "c", "d"]]),
    [[1.0, 2.0, "three", 4.0]],
    np.array([[1, 2, 3, None]], dtype=object),
    [[1.0, 2.0], [3.0]],
], ids=["str-array", "mixed-list", "object-array", "ragged"])
def test_x_that_is_not_numbers(x):
    with pytest.raises(DataError) as error:
        _compiled().predict(x)
    assert "numeric" in str(error.value)


def test_empty_x():
    with pytest.raises(DataError, match="no rows"):
        _compiled().predict(np.zeros((0, 4)))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(shape=st.lists(st.integers(0, 6), min_size=0, max_size=4),
       dtype=st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.str_]))
def test_any_array_either_predicts_or_raises_an_nncli_error(shape, dtype):
    x = np.ones(shape, dtype=dtype)
    model = _compiled()
    try:
        predictions = model.predict(x)
    except NncliError:
        return
    assert predictions.shape == (shape[0], 1)
    assert x.ndim == 2 and x.shape[1] == 4 and dtype is not np.str_
