"""Where nncli once differed from Keras 3 (issue 14 part B), checked against values computed
here by hand from Keras's rules.

1. ``class_weight`` with ``validation_split``: Keras splits ``(x, y, sample_weight)`` first and
   weighs the training part only (``trainers/data_adapters``), so ``val_loss`` is the plain mean.
2. ``metrics=["accuracy"]``: Keras 3 picks the accuracy from the shapes
   (``trainers/compile_utils.py``, ``is_binary_or_sparse_categorical``): binary accuracy only when
   the output has one unit; sparse categorical when the labels are integers; otherwise
   categorical (arg-max against arg-max), even for a multi-unit sigmoid output.
"""

from __future__ import annotations

import numpy as np
import pytest

from nncli import Sequential, layers


def bce(p: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per-sample binary cross-entropy of probabilities, averaged over the units."""
    return -np.mean(y * np.log(p) + (1 - y) * np.log(1 - p), axis=-1)


def identity_sigmoid(units: int) -> Sequential:
    """A Dense layer that passes its input through: the outputs are sigmoid(x)."""
    model = Sequential([layers.Dense(units, activation="sigmoid", input_dim=units)], seed=0, dtype="float64")
    model.set_weights([np.eye(units), np.zeros(units)])
    return model


# -- 1. class_weight weighs the training part only ----------------------------------------------
def test_validation_loss_is_unweighted_when_class_weight_and_validation_split_are_set():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(40, 3))
    y = (x[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(np.float64)
    model = Sequential([layers.Dense(1, activation="sigmoid", input_dim=3)], seed=1, dtype="float64")
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    history = model.fit(x, y, batch_size=40, epochs=1, validation_split=0.25, shuffle=False,
                        class_weight={0: 1.0, 1: 5.0}, verbose=0)

    x_val, y_val = x[30:], y[30:]
    p = model.predict(x_val, verbose=0)[:, 0]
    plain = np.mean(bce(p[:, None], y_val[:, None]))
    weights = np.where(y_val == 1, 5.0, 1.0)
    weighted = np.sum(weights * bce(p[:, None], y_val[:, None])) / len(y_val)   # Keras's sum over n
    assert abs(plain - weighted) > 0.05                  # the two readings are far apart here
    assert history.history["val_loss"][0] == pytest.approx(plain, rel=1e-9)
    assert model.evaluate(x_val, y_val, verbose=0) == pytest.approx(plain, rel=1e-9)


def test_class_weight_still_weighs_the_training_rows():
    """The one full-batch SGD step uses weighted gradients: the step equals the one taken with the
    matching sample weights on the training part alone."""
    rng = np.random.default_rng(5)
    x = rng.normal(size=(20, 2))
    y = (x[:, 1] > 0).astype(np.float64)

    def one_step(**fit_args) -> list[np.ndarray]:
        model = Sequential([layers.Dense(1, activation="sigmoid", input_dim=2)], seed=2, dtype="float64")
        model.compile(optimizer="sgd", loss="binary_crossentropy")
        model.fit(batch_size=100, epochs=1, shuffle=False, verbose=0, **fit_args)
        return model.get_weights()

    by_class = one_step(x=x, y=y, validation_split=0.5, class_weight={0: 1.0, 1: 4.0})
    by_sample = one_step(x=x[:10], y=y[:10], sample_weight=np.where(y[:10] == 1, 4.0, 1.0))
    for a, b in zip(by_class, by_sample):
        np.testing.assert_array_equal(a, b)


# -- 2. which accuracy "accuracy" means -------------------------------------------------------
LOGITS = np.array([[2.0, -1.0, 0.5],      # sigmoid ≈ [0.88, 0.27, 0.62]
                   [-2.0, 1.0, -0.5],     #         ≈ [0.12, 0.73, 0.38]
                   [0.2, 0.1, 3.0],       #         ≈ [0.55, 0.52, 0.95]
                   [-1.0, -2.0, -3.0]])   #         ≈ [0.27, 0.12, 0.05]
MULTI_HOT = np.array([[1.0, 0.0, 0.0],
                      [0.0, 1.0, 1.0],
                      [1.0, 0.0, 0.0],
                      [0.0, 1.0, 0.0]])
# Arg-max of outputs: 0, 1, 2, 0; of targets: 0, 1, 0, 1  → categorical accuracy 2/4.
# Thresholded outputs: [1,0,1] [0,1,0] [1,1,1] [0,0,0] against the targets: units right
# 2 + 2 + 1 + 2 = 7 of 12 → binary accuracy 7/12.


def test_accuracy_of_a_multi_unit_sigmoid_is_categorical_as_in_keras_3():
    model = identity_sigmoid(3)
    model.compile(optimizer="sgd", loss="binary_crossentropy",
                  metrics=["accuracy", "binary_accuracy", "categorical_accuracy"])
    logs = model.evaluate(LOGITS, MULTI_HOT, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(2 / 4)
    assert logs["categorical_accuracy"] == pytest.approx(2 / 4)
    assert logs["binary_accuracy"] == pytest.approx(7 / 12)


def test_accuracy_of_one_sigmoid_unit_is_binary():
    model = identity_sigmoid(1)
    model.compile(optimizer="sgd", loss="binary_crossentropy", metrics=["accuracy", "binary_accuracy"])
    x = np.array([[2.0], [-1.0], [0.3], [-0.2], [4.0]])
    y = np.array([1.0, 1.0, 0.0, 0.0, 1.0])       # right: yes, no, no, yes, yes → 3/5
    logs = model.evaluate(x, y, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(3 / 5)
    assert logs["binary_accuracy"] == pytest.approx(3 / 5)


def test_accuracy_with_integer_labels_is_sparse_categorical():
    model = Sequential([layers.Dense(3, activation="softmax", input_dim=3)], seed=0, dtype="float64")
    model.set_weights([np.eye(3), np.zeros(3)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy",
                  metrics=["accuracy", "sparse_categorical_accuracy"])
    labels = np.array([0, 1, 0, 0])               # arg-max of outputs: 0, 1, 2, 0 → 3/4
    logs = model.evaluate(LOGITS, labels, verbose=0, return_dict=True)
    assert logs["accuracy"] == pytest.approx(3 / 4)
    assert logs["sparse_categorical_accuracy"] == pytest.approx(3 / 4)
