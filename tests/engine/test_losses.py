"""Cross-entropy values of sigmoid/softmax models come from the logits, as Keras computes them.

Keras's TensorFlow backend, given the output of a sigmoid or softmax op and ``from_logits=False``,
takes the op's input (``keras/src/backend/tensorflow/nn.py``, ``binary_crossentropy`` and
``categorical_crossentropy``: ``output.op.type == "Sigmoid"`` → ``from_logits = True``) and calls
``tf.nn.sigmoid_cross_entropy_with_logits`` (documented as ``max(z, 0) - z * y + log(1 +
exp(-|z|))``) or ``tf.nn.softmax_cross_entropy_with_logits`` (``-sum(y * log_softmax(z))``):
no 1e-7 clip. The expected values below are those formulas, computed by hand with ``math``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from nncli import Sequential, layers
from nncli.engine import losses

CLIPPED = -math.log(1e-7)  # 16.118...: what the clipped formula charges a confident mistake


def keras_sigmoid_cross_entropy(logit: float, label: float) -> float:
    return max(logit, 0.0) - logit * label + math.log1p(math.exp(-abs(logit)))


def keras_softmax_cross_entropy(logits: list[float], label: int) -> float:
    peak = max(logits)
    return peak + math.log(sum(math.exp(z - peak) for z in logits)) - logits[label]


def one_layer(units: int, activation: str, loss, kernel, bias, dtype="float64") -> Sequential:
    """Dense(units) on one input feature, with the weights given, so the logits are known."""
    model = Sequential([layers.Dense(units, activation=activation, input_dim=1)], seed=0, dtype=dtype)
    model.compile(optimizer={"name": "sgd", "learning_rate": 1e-12}, loss=loss)
    model.set_weights([np.array([kernel], dtype=float), np.array(bias, dtype=float)])
    return model


@pytest.mark.parametrize("logit, label", [(-24.6, 1.0), (24.6, 0.0), (3.0, 1.0), (-0.5, 0.0), (40.0, 0.0)])
def test_binary_crossentropy_of_a_sigmoid_model_is_keras_value_from_logits(logit, label):
    model = one_layer(1, "sigmoid", "binary_crossentropy", [1.0], [0.0])
    x, y = np.array([[logit]]), np.array([label])
    expected = keras_sigmoid_cross_entropy(logit, label)
    assert model.evaluate(x, y) == pytest.approx(expected, rel=1e-12)
    assert model.compute_gradients(x, y)[0] == pytest.approx(expected, rel=1e-12)
    # One batch with (almost) no update: the epoch's loss is the loss of the initial weights.
    assert model.fit(x, y, epochs=1, verbose=0).history["loss"][0] == pytest.approx(expected, rel=1e-12)


def test_a_confident_mistake_costs_its_full_loss_not_the_clip():
    model = one_layer(1, "sigmoid", "binary_crossentropy", [1.0], [0.0])
    loss = model.evaluate(np.array([[-24.6]]), np.array([1.0]))
    assert loss == pytest.approx(24.6, rel=1e-10) and loss > CLIPPED + 8
    # Probabilities given from outside keep Keras's clip.
    probability = 1.0 / (1.0 + math.exp(24.6))
    assert losses.get("binary_crossentropy").values(np.array([[1.0]]), np.array([[probability]]))[0] == \
        pytest.approx(CLIPPED, rel=1e-6)


def test_float32_keeps_the_digits_of_a_probability_near_one():
    # A sample of class 0 whose sigmoid is 0.93: -log(1 - p) through float32 probabilities loses
    # about six digits of relative precision to the cancellation in 1 - p; the logits do not.
    model = one_layer(1, "sigmoid", "binary_crossentropy", [1.0], [0.0], dtype="float32")
    logits = np.linspace(2.0, 9.0, 50)
    expected = np.mean([keras_sigmoid_cross_entropy(float(np.float32(z)), 0.0) for z in logits])
    assert model.evaluate(logits.reshape(-1, 1), np.zeros(50)) == pytest.approx(expected, rel=1e-6)


@pytest.mark.parametrize("loss, targets", [
    ("categorical_crossentropy", np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])),
    ("sparse_categorical_crossentropy", np.array([0, 2])),
])
def test_softmax_cross_entropy_is_keras_value_from_logits(loss, targets):
    # Logits 30 x + [0, 1, -5] for x = 1 and -1: the first row is a confident mistake.
    model = one_layer(3, "softmax", loss, [0.0, 30.0, 0.0], [0.0, 1.0, -5.0])
    x = np.array([[1.0], [-1.0]])
    rows = [[0.0, 31.0, -5.0], [0.0, -29.0, -5.0]]
    expected = (keras_softmax_cross_entropy(rows[0], 0) + keras_softmax_cross_entropy(rows[1], 2)) / 2
    assert model.evaluate(x, targets) == pytest.approx(expected, rel=1e-12)
    assert model.compute_gradients(x, targets)[0] == pytest.approx(expected, rel=1e-12)
    assert model.fit(x, targets, batch_size=2, epochs=1, verbose=0).history["loss"][0] == \
        pytest.approx(expected, rel=1e-12)


def test_label_smoothing_applies_to_the_targets_before_the_logit_formula():
    loss = losses.BinaryCrossentropy(label_smoothing=0.2)
    model = one_layer(1, "sigmoid", loss, [1.0], [0.0])
    smoothed = 1.0 * 0.8 + 0.5 * 0.2
    assert model.evaluate(np.array([[-7.0]]), np.array([1.0])) == \
        pytest.approx(keras_sigmoid_cross_entropy(-7.0, smoothed), rel=1e-12)


def test_validation_loss_comes_from_the_logits_too():
    model = one_layer(1, "sigmoid", "binary_crossentropy", [1.0], [0.0])
    history = model.fit(np.array([[0.0]]), np.array([1.0]), validation_data=(np.array([[-30.0]]), np.array([1.0])),
                        epochs=1, verbose=0).history
    assert history["val_loss"][0] == pytest.approx(keras_sigmoid_cross_entropy(-30.0, 1.0), rel=1e-9)
