"""Independent reference check of the engine's components against Keras 3.

Every expected value here is computed by hand in float64 NumPy from the update rules and formulas
of Keras 3 (``keras/src/optimizers/*.py``, ``base_optimizer.py``, ``losses/losses.py``, the NumPy
backend's ``nn.py``, ``activations/activations.py``, ``initializers/random_initializers.py``,
``regularizers/regularizers.py``). The reference functions are written out here, in the plainest
form, on purpose differently from the engine (loops over steps, explicit state dictionaries), so
that a shared mistake is unlikely.
"""

from __future__ import annotations

import importlib
import math
from types import ModuleType
from typing import Callable

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

KERAS_EPSILON = 1e-7  # keras.backend.epsilon(): the clip of probabilities in cross-entropies
PARAMS_RTOL = 1e-12
# Updates (new - old) are compared too: an epsilon in the wrong place changes an update by a
# relative 1e-7 or more, while rounding differences stay below 1e-12 of the update.
UPDATE_RTOL = 1e-9


def _module(name: str) -> ModuleType:
    """Import an engine module inside a test, so a missing module fails only its own tests."""
    return importlib.import_module(f"nncli.engine.{name}")


# ---------------------------------------------------------------------------------------------
# Optimizers: reference update rules (keras/src/optimizers/<name>.py, update_step)
# ---------------------------------------------------------------------------------------------


def reference_sgd(params, grads_per_step, learning_rate=0.01, momentum=0.0, nesterov=False):
    """Keras SGD: ``v = momentum*v - lr*g``; ``w += v`` (or ``w += momentum*v - lr*g`` with Nesterov)."""
    w = np.array(params, dtype=np.float64)
    velocity = np.zeros_like(w)
    history = []
    for g in grads_per_step:
        if momentum == 0.0:
            w = w - learning_rate * g
        else:
            velocity = momentum * velocity - learning_rate * g
            if nesterov:
                w = w + (momentum * velocity - learning_rate * g)
            else:
                w = w + velocity
        history.append(w.copy())
    return history


def reference_adam(
    params,
    grads_per_step,
    learning_rate=0.001,
    beta_1=0.9,
    beta_2=0.999,
    epsilon=1e-7,
    amsgrad=False,
    weight_decay=None,
):
    """Keras Adam (and AdamW when ``weight_decay`` is set).

    Step t (1-based): ``alpha = lr*sqrt(1-beta_2**t)/(1-beta_1**t)``, ``m += (g-m)(1-beta_1)``,
    ``v += (g**2-v)(1-beta_2)``, with AMSGrad ``v_hat = max(v_hat, v)`` replaces ``v``, then
    ``w -= alpha*m/(sqrt(v)+epsilon)``. Decoupled weight decay (base_optimizer
    ``_apply_weight_decay``) runs first: ``w -= w*weight_decay*lr``.
    """
    w = np.array(params, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    v_hat = np.zeros_like(w)
    history = []
    for step, g in enumerate(grads_per_step, start=1):
        if weight_decay is not None:
            w = w - w * weight_decay * learning_rate
        alpha = learning_rate * math.sqrt(1.0 - beta_2**step) / (1.0 - beta_1**step)
        m = m + (g - m) * (1.0 - beta_1)
        v = v + (g * g - v) * (1.0 - beta_2)
        denominator_v = v
        if amsgrad:
            v_hat = np.maximum(v_hat, v)
            denominator_v = v_hat
        w = w - alpha * m / (np.sqrt(denominator_v) + epsilon)
        history.append(w.copy())
    return history


def reference_rmsprop(
    params, grads_per_step, learning_rate=0.001, rho=0.9, momentum=0.0, epsilon=1e-7, centered=False
):
    """Keras RMSprop: epsilon inside the square root, optional centring and plain momentum."""
    w = np.array(params, dtype=np.float64)
    velocity = np.zeros_like(w)
    average_grad = np.zeros_like(w)
    moment = np.zeros_like(w)
    history = []
    for g in grads_per_step:
        velocity = rho * velocity + (1.0 - rho) * g * g
        if centered:
            average_grad = rho * average_grad + (1.0 - rho) * g
            denominator = velocity - average_grad**2 + epsilon
        else:
            denominator = velocity + epsilon
        increment = learning_rate * g / np.sqrt(denominator)
        if momentum > 0:
            moment = momentum * moment + increment
            w = w - moment
        else:
            w = w - increment
        history.append(w.copy())
    return history


def reference_adagrad(
    params, grads_per_step, learning_rate=0.001, initial_accumulator_value=0.1, epsilon=1e-7
):
    """Keras Adagrad: ``acc += g**2``; ``w -= lr*g/sqrt(acc + epsilon)``."""
    w = np.array(params, dtype=np.float64)
    accumulator = np.full_like(w, initial_accumulator_value)
    history = []
    for g in grads_per_step:
        accumulator = accumulator + g * g
        w = w - learning_rate * g / np.sqrt(accumulator + epsilon)
        history.append(w.copy())
    return history


def reference_nadam(params, grads_per_step, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
    """Keras Nadam with Dozat's momentum schedule ``u_t = beta_1*(1 - 0.5*0.96**t)``.

    The running product of the ``u`` is updated before the step (``_backend_update_step``), so at
    step t it already includes ``u_t``.
    """
    w = np.array(params, dtype=np.float64)
    m = np.zeros_like(w)
    v = np.zeros_like(w)
    u_product = 1.0
    history = []
    for step, g in enumerate(grads_per_step, start=1):
        u_t = beta_1 * (1.0 - 0.5 * 0.96**step)
        u_next = beta_1 * (1.0 - 0.5 * 0.96 ** (step + 1))
        u_product = u_product * u_t
        u_product_next = u_product * u_next
        m = m + (g - m) * (1.0 - beta_1)
        v = v + (g * g - v) * (1.0 - beta_2)
        m_hat = u_next * m / (1.0 - u_product_next) + (1.0 - u_t) * g / (1.0 - u_product)
        v_hat = v / (1.0 - beta_2**step)
        w = w - learning_rate * m_hat / (np.sqrt(v_hat) + epsilon)
        history.append(w.copy())
    return history


def _start_params() -> np.ndarray:
    return np.array([0.5, -1.25, 2.0, 0.0, 3.5, -0.75, 1e-3, -2.5])


def _gradient_steps() -> list[np.ndarray]:
    """Three steps of gradients mixing large, unit, tiny (epsilon-sensitive) and zero entries."""
    return [
        np.array([0.3, -2.0, 1e-6, 0.0, 5.0, -0.01, 1.0, -1e-5]),
        np.array([-0.7, 1.5, 2e-6, 0.2, -4.0, 0.03, -1.0, 3e-5]),
        np.array([0.1, -0.4, -1e-6, -0.1, 6.0, 0.02, 0.5, -2e-5]),
    ]


def _run_engine(optimizer, params: np.ndarray, grads_per_step: list[np.ndarray]) -> list[np.ndarray]:
    engine_params = np.array(params, dtype=np.float64)
    optimizer.build(engine_params.size, dtype=np.float64)
    history = []
    for g in grads_per_step:
        optimizer.apply(engine_params, np.array(g, dtype=np.float64))
        history.append(engine_params.copy())
    return history


def _assert_same_trajectory(engine_history, reference_history, start) -> None:
    previous_got, previous_expected = start, start
    for step, (got, expected) in enumerate(zip(engine_history, reference_history), start=1):
        np.testing.assert_allclose(got, expected, rtol=PARAMS_RTOL, atol=1e-15, err_msg=f"params after step {step}")
        got_update, expected_update = got - previous_got, expected - previous_expected
        # a few ulps of the parameters are rounding, not a different rule
        allowed = UPDATE_RTOL * np.abs(expected_update) + 8 * np.finfo(np.float64).eps * np.abs(expected)
        worst = np.max(np.abs(got_update - expected_update) - allowed)
        assert worst <= 0, f"update of step {step}: got {got_update}, Keras rule gives {expected_update}"
        previous_got, previous_expected = got, expected


# (engine class name, constructor kwargs, reference function, reference kwargs)
OPTIMIZER_CASES = [
    ("SGD", {}, reference_sgd, {}),
    ("SGD", {"learning_rate": 0.1}, reference_sgd, {"learning_rate": 0.1}),
    ("SGD", {"learning_rate": 0.05, "momentum": 0.9}, reference_sgd, {"learning_rate": 0.05, "momentum": 0.9}),
    (
        "SGD",
        {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
        reference_sgd,
        {"learning_rate": 0.05, "momentum": 0.9, "nesterov": True},
    ),
    ("Adam", {}, reference_adam, {}),
    (
        "Adam",
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
        reference_adam,
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99, "epsilon": 1e-4},
    ),
    ("Adam", {"learning_rate": 0.01, "amsgrad": True}, reference_adam, {"learning_rate": 0.01, "amsgrad": True}),
    ("AdamW", {}, reference_adam, {"weight_decay": 0.004}),
    (
        "AdamW",
        {"learning_rate": 0.01, "weight_decay": 0.1},
        reference_adam,
        {"learning_rate": 0.01, "weight_decay": 0.1},
    ),
    ("RMSprop", {}, reference_rmsprop, {}),
    ("RMSprop", {"learning_rate": 0.01, "rho": 0.8}, reference_rmsprop, {"learning_rate": 0.01, "rho": 0.8}),
    ("RMSprop", {"momentum": 0.9}, reference_rmsprop, {"momentum": 0.9}),
    ("RMSprop", {"centered": True}, reference_rmsprop, {"centered": True}),
    (
        "RMSprop",
        {"centered": True, "momentum": 0.5, "epsilon": 1e-3},
        reference_rmsprop,
        {"centered": True, "momentum": 0.5, "epsilon": 1e-3},
    ),
    ("Adagrad", {}, reference_adagrad, {}),
    (
        "Adagrad",
        {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3},
        reference_adagrad,
        {"learning_rate": 0.1, "initial_accumulator_value": 0.0, "epsilon": 1e-3},
    ),
    ("Nadam", {}, reference_nadam, {}),
    (
        "Nadam",
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99},
        reference_nadam,
        {"learning_rate": 0.01, "beta_1": 0.8, "beta_2": 0.99},
    ),
]


def _case_id(case) -> str:
    name, kwargs, _, _ = case
    return name + ("(" + ",".join(f"{k}={v}" for k, v in kwargs.items()) + ")" if kwargs else "()")


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(c) for c in OPTIMIZER_CASES])
@pytest.mark.parametrize("n_steps", [1, 2, 3])
def test_optimizer_steps_match_keras_update_rule(case, n_steps):
    class_name, kwargs, reference, reference_kwargs = case
    optimizer = getattr(_module("optimizers"), class_name)(**kwargs)
    start = _start_params()
    grads = _gradient_steps()[:n_steps]
    engine_history = _run_engine(optimizer, start, grads)
    reference_history = reference(start, grads, **reference_kwargs)
    _assert_same_trajectory(engine_history, reference_history, start)
    assert optimizer.iterations == n_steps


@pytest.mark.parametrize("case", OPTIMIZER_CASES, ids=[_case_id(c) for c in OPTIMIZER_CASES])
def test_optimizer_works_in_place_on_the_given_buffer(case):
    class_name, kwargs, _, _ = case
    optimizer = getattr(_module("optimizers"), class_name)(**kwargs)
    params = _start_params()
    optimizer.build(params.size, dtype=np.float64)
    buffer_address = params.__array_interface__["data"][0]
    optimizer.apply(params, _gradient_steps()[0])
    assert params.__array_interface__["data"][0] == buffer_address
    assert not np.array_equal(params, _start_params())


_finite_floats = st.floats(min_value=-10.0, max_value=10.0, allow_nan=False, allow_infinity=False)


@settings(max_examples=30, deadline=None)
@given(
    case=st.sampled_from(OPTIMIZER_CASES),
    params=arrays(np.float64, 5, elements=_finite_floats),
    grads=arrays(np.float64, (3, 5), elements=_finite_floats),
)
def test_optimizer_matches_keras_on_random_gradients(case, params, grads):
    class_name, kwargs, reference, reference_kwargs = case
    optimizer = getattr(_module("optimizers"), class_name)(**kwargs)
    steps = list(grads)
    engine_history = _run_engine(optimizer, params, steps)
    reference_history = reference(params, steps, **reference_kwargs)
    for step, (got, expected) in enumerate(zip(engine_history, reference_history), start=1):
        np.testing.assert_allclose(got, expected, rtol=PARAMS_RTOL, atol=1e-15, err_msg=f"step {step}")


KERAS_DEFAULTS = {
    "SGD": {"learning_rate": 0.01, "momentum": 0.0, "nesterov": False},
    "Adam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7, "amsgrad": False},
    "AdamW": {"learning_rate": 0.001, "weight_decay": 0.004, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
    "RMSprop": {"learning_rate": 0.001, "rho": 0.9, "momentum": 0.0, "epsilon": 1e-7, "centered": False},
    "Adagrad": {"learning_rate": 0.001, "initial_accumulator_value": 0.1, "epsilon": 1e-7},
    "Nadam": {"learning_rate": 0.001, "beta_1": 0.9, "beta_2": 0.999, "epsilon": 1e-7},
}


@pytest.mark.parametrize("class_name", sorted(KERAS_DEFAULTS))
def test_optimizer_defaults_are_keras_defaults(class_name):
    optimizer = getattr(_module("optimizers"), class_name)()
    for attribute, expected in KERAS_DEFAULTS[class_name].items():
        assert getattr(optimizer, attribute) == expected, f"{class_name}().{attribute}"


@pytest.mark.parametrize(
    "name, class_name",
    [("sgd", "SGD"), ("adam", "Adam"), ("adamw", "AdamW"), ("rmsprop", "RMSprop"), ("adagrad", "Adagrad"), ("nadam", "Nadam")],
)
def test_optimizer_get_by_keras_name(name, class_name):
    optimizers = _module("optimizers")
    optimizer = optimizers.get(name)
    assert type(optimizer) is getattr(optimizers, class_name)


def test_optimizer_get_returns_the_given_object():
    optimizers = _module("optimizers")
    adam = optimizers.Adam(learning_rate=0.1)
    assert optimizers.get(adam) is adam
    assert adam.learning_rate == 0.1


def test_optimizer_get_from_a_config_mapping():
    optimizers = _module("optimizers")
    optimizer = optimizers.get({"name": "rmsprop", "learning_rate": 0.01, "centered": True})
    assert type(optimizer) is optimizers.RMSprop
    assert optimizer.learning_rate == 0.01 and optimizer.centered is True and optimizer.rho == 0.9


def test_optimizer_get_unknown_name_suggests_the_closest():
    optimizers = _module("optimizers")
    errors = importlib.import_module("nncli.errors")
    with pytest.raises(errors.UnknownNameError, match="did you mean 'adam'"):
        optimizers.get("adma")


# ---------------------------------------------------------------------------------------------
# Losses: reference per-sample values (keras/src/losses/losses.py + backend nn.py)
# ---------------------------------------------------------------------------------------------


def _sigmoid64(z):
    return 1.0 / (1.0 + np.exp(-z))


def _log_softmax64(z):
    shifted = z - z.max(axis=-1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def reference_mse(y_true, y_pred):
    return np.mean((y_true - y_pred) ** 2, axis=-1)


def reference_mae(y_true, y_pred):
    return np.mean(np.abs(y_true - y_pred), axis=-1)


def reference_huber(y_true, y_pred, delta=1.0):
    error = y_pred - y_true
    per_element = np.where(np.abs(error) <= delta, 0.5 * error**2, delta * np.abs(error) - 0.5 * delta**2)
    return per_element.mean(axis=-1)


def reference_binary_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    target = y_true * (1.0 - label_smoothing) + 0.5 * label_smoothing if label_smoothing else y_true
    output = _sigmoid64(y_pred) if from_logits else y_pred
    output = np.clip(output, KERAS_EPSILON, 1.0 - KERAS_EPSILON)
    return np.mean(-(target * np.log(output) + (1.0 - target) * np.log(1.0 - output)), axis=-1)


def reference_categorical_crossentropy(y_true, y_pred, from_logits=False, label_smoothing=0.0):
    n_classes = y_true.shape[-1]
    target = y_true * (1.0 - label_smoothing) + label_smoothing / n_classes if label_smoothing else y_true
    if from_logits:
        log_prob = _log_softmax64(y_pred)
    else:
        output = y_pred / y_pred.sum(axis=-1, keepdims=True)
        log_prob = np.log(np.clip(output, KERAS_EPSILON, 1.0 - KERAS_EPSILON))
    return -np.sum(target * log_prob, axis=-1)


def reference_sparse_categorical_crossentropy(labels, y_pred, from_logits=False):
    return reference_categorical_crossentropy(np.eye(y_pred.shape[-1])[labels], y_pred, from_logits=from_logits)


def reference_reduction(per_sample, sample_weight=None):
    """Keras "sum_over_batch_size": weighted sum divided by the number of samples."""
    weights = np.ones_like(per_sample) if sample_weight is None else sample_weight
    return float(np.sum(per_sample * weights) / per_sample.size)


def _regression_data(units: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    y_true = rng.normal(size=(7, units))
    y_pred = y_true + rng.normal(scale=1.5, size=(7, units))
    return y_true, y_pred


def _binary_data():
    rng = np.random.default_rng(1)
    y_true = rng.integers(0, 2, size=(9, 1)).astype(np.float64)
    y_pred = rng.uniform(0.02, 0.98, size=(9, 1))
    return y_true, y_pred


def _categorical_data(n_classes: int = 4):
    rng = np.random.default_rng(2)
    labels = rng.integers(0, n_classes, size=8)
    logits = rng.normal(scale=2.0, size=(8, n_classes))
    probabilities = np.exp(_log_softmax64(logits))
    return labels, np.eye(n_classes)[labels], logits, probabilities


SAMPLE_WEIGHTS = [None, "random"]


def _sample_weight(kind, n_samples):
    if kind is None:
        return None
    return np.random.default_rng(3).uniform(0.0, 3.0, size=n_samples)


@pytest.mark.parametrize("weights", SAMPLE_WEIGHTS)
@pytest.mark.parametrize("units", [1, 3])
@pytest.mark.parametrize(
    "name, reference",
    [("mse", reference_mse), ("mae", reference_mae), ("huber", reference_huber)],
)
def test_regression_loss_values_match_keras(name, reference, units, weights):
    y_true, y_pred = _regression_data(units)
    sample_weight = _sample_weight(weights, len(y_true))
    loss = _module("losses").get(name)
    expected = reference_reduction(reference(y_true, y_pred), sample_weight)
    assert loss(y_true, y_pred, sample_weight=sample_weight) == pytest.approx(expected, rel=1e-12)


def test_mse_of_several_outputs_averages_over_the_last_axis_first():
    y_true = np.array([[0.0, 0.0], [1.0, 1.0]])
    y_pred = np.array([[1.0, 3.0], [1.0, 1.0]])
    # sample 0: (1 + 9)/2 = 5, sample 1: 0; weights 2 and 1 -> (2*5 + 0)/2 = 5.
    loss = _module("losses").get("mse")
    assert loss(y_true, y_pred) == pytest.approx(2.5, rel=1e-15)
    assert loss(y_true, y_pred, sample_weight=np.array([2.0, 1.0])) == pytest.approx(5.0, rel=1e-15)


def test_huber_delta_and_keras_docstring_value():
    losses = _module("losses")
    # Keras's huber docstring: y_true [[0, 1], [0, 0]], y_pred [[0.6, 0.4], [0.4, 0.6]] -> 0.155.
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    y_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
    assert losses.get("huber")(y_true, y_pred) == pytest.approx(0.155, rel=1e-12)
    y_true, y_pred = _regression_data(2, seed=4)
    huber = losses.Huber(delta=0.3)
    expected = reference_reduction(reference_huber(y_true, y_pred, delta=0.3))
    assert huber(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weights", SAMPLE_WEIGHTS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1, 0.3])
def test_binary_crossentropy_on_probabilities_matches_keras(label_smoothing, weights):
    y_true, y_pred = _binary_data()
    sample_weight = _sample_weight(weights, len(y_true))
    loss = _module("losses").BinaryCrossentropy(label_smoothing=label_smoothing)
    expected = reference_reduction(
        reference_binary_crossentropy(y_true, y_pred, label_smoothing=label_smoothing), sample_weight
    )
    assert loss(y_true, y_pred, sample_weight=sample_weight) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("label_smoothing", [0.0, 0.2])
def test_binary_crossentropy_from_logits_matches_keras(label_smoothing):
    rng = np.random.default_rng(5)
    y_true = rng.integers(0, 2, size=(9, 1)).astype(np.float64)
    logits = rng.uniform(-8.0, 8.0, size=(9, 1))
    loss = _module("losses").BinaryCrossentropy(from_logits=True, label_smoothing=label_smoothing)
    expected = reference_reduction(
        reference_binary_crossentropy(y_true, logits, from_logits=True, label_smoothing=label_smoothing)
    )
    assert loss(y_true, logits) == pytest.approx(expected, rel=1e-12)


def test_binary_crossentropy_clips_probabilities_like_keras():
    y_true = np.array([[1.0], [0.0], [1.0], [0.0]])
    y_pred = np.array([[0.0], [1.0], [1.0], [0.0]])
    loss = _module("losses").get("binary_crossentropy")
    # Confident mistakes cost -log(1e-7) and -log(1 - (1 - 1e-7)) (the latter is not exactly
    # 1e-7 in float64), confident hits -log(1 - 1e-7) each.
    upper = 1.0 - KERAS_EPSILON
    expected = (-math.log(KERAS_EPSILON) - math.log(1.0 - upper) - 2 * math.log(upper)) / 4
    assert loss(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


def test_binary_crossentropy_keras_docstring_value():
    # keras.losses.binary_crossentropy([[0, 1], [0, 0]], [[0.6, 0.4], [0.4, 0.6]]) -> [0.916, 0.714]
    y_true = np.array([[0.0, 1.0], [0.0, 0.0]])
    y_pred = np.array([[0.6, 0.4], [0.4, 0.6]])
    loss = _module("losses").get("binary_crossentropy")
    expected = (-(math.log(0.4) + math.log(0.4)) / 2 - (math.log(0.6) + math.log(0.4)) / 2) / 2
    assert loss(y_true, y_pred) == pytest.approx(expected, rel=1e-12)
    assert loss(y_true, y_pred) == pytest.approx((0.916 + 0.714) / 2, abs=1e-3)


@pytest.mark.parametrize("weights", SAMPLE_WEIGHTS)
@pytest.mark.parametrize("label_smoothing", [0.0, 0.1])
@pytest.mark.parametrize("from_logits", [False, True])
def test_categorical_crossentropy_matches_keras(from_logits, label_smoothing, weights):
    _, one_hot, logits, probabilities = _categorical_data()
    y_pred = logits if from_logits else probabilities
    sample_weight = _sample_weight(weights, len(one_hot))
    loss = _module("losses").CategoricalCrossentropy(from_logits=from_logits, label_smoothing=label_smoothing)
    expected = reference_reduction(
        reference_categorical_crossentropy(one_hot, y_pred, from_logits=from_logits, label_smoothing=label_smoothing),
        sample_weight,
    )
    assert loss(one_hot, y_pred, sample_weight=sample_weight) == pytest.approx(expected, rel=1e-12)


def test_categorical_crossentropy_keras_docstring_value_and_clipping():
    # keras.losses.categorical_crossentropy([[0, 1, 0], [0, 0, 1]], [[0.05, 0.95, 0], [0.1, 0.8, 0.1]])
    # -> [0.0513, 2.303]; a zero probability for the true class costs -log(1e-7).
    losses = _module("losses")
    y_true = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    y_pred = np.array([[0.05, 0.95, 0.0], [0.1, 0.8, 0.1], [0.0, 0.5, 0.5]])
    expected = (-math.log(0.95) - math.log(0.1) - math.log(KERAS_EPSILON)) / 3
    assert losses.get("categorical_crossentropy")(y_true, y_pred) == pytest.approx(expected, rel=1e-12)
    assert losses.get("categorical_crossentropy")(y_true[:2], y_pred[:2]) == pytest.approx(
        (0.0513 + 2.303) / 2, abs=1e-3
    )


def test_categorical_crossentropy_renormalises_rows_like_keras():
    # Keras divides probabilities by their row sum before clipping.
    y_true = np.array([[0.0, 1.0], [1.0, 0.0]])
    y_pred = np.array([[0.2, 0.6], [1.0, 3.0]])
    expected = (-math.log(0.75) - math.log(0.25)) / 2
    assert _module("losses").get("categorical_crossentropy")(y_true, y_pred) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("weights", SAMPLE_WEIGHTS)
@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_matches_keras(from_logits, weights):
    labels, _, logits, probabilities = _categorical_data()
    y_pred = logits if from_logits else probabilities
    sample_weight = _sample_weight(weights, len(labels))
    loss = _module("losses").SparseCategoricalCrossentropy(from_logits=from_logits)
    expected = reference_reduction(
        reference_sparse_categorical_crossentropy(labels, y_pred, from_logits=from_logits), sample_weight
    )
    assert loss(labels, y_pred, sample_weight=sample_weight) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "name, class_name",
    [
        ("huber", "Huber"),
        ("binary_crossentropy", "BinaryCrossentropy"),
        ("categorical_crossentropy", "CategoricalCrossentropy"),
        ("sparse_categorical_crossentropy", "SparseCategoricalCrossentropy"),
    ],
)
def test_loss_names_give_keras_default_objects(name, class_name):
    losses = _module("losses")
    loss = losses.get(name)
    assert type(loss) is getattr(losses, class_name)
    if name == "huber":
        assert loss.delta == 1.0
    else:
        assert loss.from_logits is False
    if name in ("binary_crossentropy", "categorical_crossentropy"):
        assert loss.label_smoothing == 0.0


@pytest.mark.parametrize(
    "module_name, typo, suggestion",
    [
        ("losses", "binary_crossentropyy", "binary_crossentropy"),
        ("activations", "sigmod", "sigmoid"),
        ("initializers", "glorot_unifrom", "glorot_uniform"),
        ("regularizers", "l22", "l2"),
    ],
)
def test_unknown_names_suggest_the_closest(module_name, typo, suggestion):
    errors = importlib.import_module("nncli.errors")
    with pytest.raises(errors.UnknownNameError, match=f"did you mean '{suggestion}'"):
        _module(module_name).get(typo)


@pytest.mark.parametrize("name", ["mse", "mae", "huber", "binary_crossentropy"])
def test_one_dimensional_targets_are_read_as_one_column_like_keras(name):
    # Keras's squeeze_or_expand_to_same_rank: y_true (n,) against y_pred (n, 1).
    y_true, y_pred = _binary_data()
    loss = _module("losses").get(name)
    assert loss(y_true.ravel(), y_pred) == pytest.approx(loss(y_true, y_pred), rel=1e-15)


# Loss gradients: the analytic derivative of the reference formulas above (with reduction).


def reference_gradient(name, y_true, y_pred, sample_weight=None, **options):
    n_samples, units = y_pred.shape
    weights = np.ones((n_samples, 1)) if sample_weight is None else sample_weight.reshape(-1, 1)
    error = y_pred - y_true
    if name == "mse":
        per_sample = 2.0 * error / units
    elif name == "mae":
        per_sample = np.sign(error) / units
    elif name == "huber":
        delta = options.get("delta", 1.0)
        per_sample = np.where(np.abs(error) <= delta, error, delta * np.sign(error)) / units
    elif name == "binary_crossentropy":
        smoothing = options.get("label_smoothing", 0.0)
        target = y_true * (1.0 - smoothing) + 0.5 * smoothing
        if options.get("from_logits", False):
            per_sample = (_sigmoid64(y_pred) - target) / units
        else:
            per_sample = (-target / y_pred + (1.0 - target) / (1.0 - y_pred)) / units
    elif name == "categorical_crossentropy":
        smoothing = options.get("label_smoothing", 0.0)
        target = y_true * (1.0 - smoothing) + smoothing / units
        if options.get("from_logits", False):
            softmax = np.exp(_log_softmax64(y_pred))
            per_sample = softmax * target.sum(axis=-1, keepdims=True) - target
        else:
            # d/dy of -sum(t*log(y/s)) with s = sum(y): -t/y + sum(t)/s
            per_sample = -target / y_pred + target.sum(axis=-1, keepdims=True) / y_pred.sum(axis=-1, keepdims=True)
    else:
        raise ValueError(name)
    return per_sample * weights / n_samples


GRADIENT_CASES = [
    ("mse", "mse", {}),
    ("mae", "mae", {}),
    ("huber", "huber", {}),
    ("huber(delta=0.5)", {"name": "huber", "delta": 0.5}, {"delta": 0.5}),
    ("bce", "binary_crossentropy", {}),
    ("bce(smoothing)", {"name": "binary_crossentropy", "label_smoothing": 0.2}, {"label_smoothing": 0.2}),
    ("bce(logits)", {"name": "binary_crossentropy", "from_logits": True}, {"from_logits": True}),
    ("cce", "categorical_crossentropy", {}),
    (
        "cce(smoothing)",
        {"name": "categorical_crossentropy", "label_smoothing": 0.1},
        {"label_smoothing": 0.1},
    ),
    ("cce(logits)", {"name": "categorical_crossentropy", "from_logits": True}, {"from_logits": True}),
]


def _gradient_inputs(reference_name, options):
    if reference_name in ("mse", "mae", "huber"):
        return _regression_data(3, seed=6)
    if reference_name == "binary_crossentropy":
        y_true, y_pred = _binary_data()
        if options.get("from_logits"):
            y_pred = np.log(y_pred / (1.0 - y_pred))
        return y_true, y_pred
    _, one_hot, logits, probabilities = _categorical_data()
    return one_hot, logits if options.get("from_logits") else probabilities


def _loss_object(identifier):
    losses = _module("losses")
    if isinstance(identifier, dict):
        args = dict(identifier)
        name = args.pop("name")
        return type(losses.get(name))(**args)
    return losses.get(identifier)


@pytest.mark.parametrize("weights", SAMPLE_WEIGHTS)
@pytest.mark.parametrize("label, identifier, options", GRADIENT_CASES, ids=[c[0] for c in GRADIENT_CASES])
def test_loss_gradient_matches_derivative_of_keras_formula(label, identifier, options, weights):
    name = identifier["name"] if isinstance(identifier, dict) else identifier
    y_true, y_pred = _gradient_inputs(name, options)
    sample_weight = _sample_weight(weights, len(y_true))
    loss = _loss_object(identifier)
    got = loss.gradient(y_true, y_pred, sample_weight=sample_weight)
    expected = reference_gradient(name, y_true, y_pred, sample_weight, **options)
    assert got.shape == y_pred.shape
    np.testing.assert_allclose(got, expected, rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("from_logits", [False, True])
def test_sparse_categorical_crossentropy_gradient_equals_dense_one(from_logits):
    labels, one_hot, logits, probabilities = _categorical_data()
    y_pred = logits if from_logits else probabilities
    loss = _module("losses").SparseCategoricalCrossentropy(from_logits=from_logits)
    expected = reference_gradient("categorical_crossentropy", one_hot, y_pred, from_logits=from_logits)
    np.testing.assert_allclose(loss.gradient(labels, y_pred), expected, rtol=1e-10, atol=1e-14)


# ---------------------------------------------------------------------------------------------
# Activations (keras/src/activations/activations.py, backend/numpy/nn.py)
# ---------------------------------------------------------------------------------------------

SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946
_erf = np.vectorize(math.erf, otypes=[np.float64])


def _reference_softmax(z):
    exp = np.exp(z - z.max(axis=-1, keepdims=True))
    return exp / exp.sum(axis=-1, keepdims=True)


REFERENCE_ACTIVATIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "linear": lambda z: z,
    "relu": lambda z: np.maximum(z, 0.0),
    "sigmoid": lambda z: 1.0 / (1.0 + np.exp(-z)),
    "tanh": np.tanh,
    "softmax": _reference_softmax,
    "leaky_relu": lambda z: np.where(z >= 0, z, 0.2 * z),
    "elu": lambda z: np.where(z >= 0, z, np.expm1(np.minimum(z, 0.0))),
    "selu": lambda z: SELU_SCALE * np.where(z >= 0, z, SELU_ALPHA * np.expm1(np.minimum(z, 0.0))),
    "softplus": lambda z: np.logaddexp(z, 0.0),
    "gelu": lambda z: z * (1.0 + _erf(z / math.sqrt(2.0))) / 2.0,
    "swish": lambda z: z / (1.0 + np.exp(-z)),
}


def _activation_inputs() -> np.ndarray:
    grid = np.linspace(-6.0, 6.0, 25)
    return np.concatenate([grid, [-30.0, -1e-3, 0.0, 1e-3, 30.0]]).reshape(5, 6)


@pytest.mark.parametrize("name", sorted(REFERENCE_ACTIVATIONS))
def test_activation_values_match_keras(name):
    z = _activation_inputs()
    original = z.copy()
    got = _module("activations").get(name)(z)
    np.testing.assert_allclose(got, REFERENCE_ACTIVATIONS[name](z), rtol=1e-12, atol=1e-300)
    np.testing.assert_array_equal(z, original)  # __call__ returns a new array
    assert got.shape == z.shape


def test_silu_is_swish():
    activations = _module("activations")
    z = _activation_inputs()
    np.testing.assert_allclose(activations.get("silu")(z), activations.get("swish")(z), rtol=0, atol=0)


def test_gelu_is_the_exact_erf_form_not_the_tanh_approximation():
    z = np.array([[1.0, -1.5, 2.0]])
    tanh_form = 0.5 * z * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (z + 0.044715 * z**3)))
    got = _module("activations").get("gelu")(z)
    np.testing.assert_allclose(got, [[0.8413447460685429, -0.10021080190328713, 1.9544997361036416]], rtol=1e-12)
    assert np.all(np.abs(got - tanh_form) > 1e-5)


@pytest.mark.parametrize("name", sorted(REFERENCE_ACTIVATIONS))
def test_activation_is_finite_for_extreme_inputs(name):
    z = np.array([[-1000.0, -50.0, 0.0, 50.0, 1000.0], [1000.0, 999.0, -1000.0, 0.0, 1.0]])
    with np.errstate(invalid="raise"):  # no NaN on the way (overflow to inf inside is Keras's way too)
        got = _module("activations").get(name)(z)
    assert np.all(np.isfinite(got)), got


def test_sigmoid_and_softmax_saturate_correctly_at_extremes():
    activations = _module("activations")
    sigmoid = activations.get("sigmoid")(np.array([[-1000.0, 1000.0, -40.0, 40.0]]))
    np.testing.assert_allclose(sigmoid, [[0.0, 1.0, math.exp(-40.0), 1.0]], rtol=1e-12, atol=1e-30)
    softmax = activations.get("softmax")(np.array([[1000.0, 0.0, -1000.0], [-1000.0, -1000.0, -1000.0]]))
    np.testing.assert_allclose(softmax, [[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]], rtol=1e-12, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (4, 5), elements=st.floats(-500.0, 500.0, allow_nan=False)))
def test_softmax_rows_sum_to_one_and_match_reference(z):
    got = _module("activations").get("softmax")(z)
    np.testing.assert_allclose(got.sum(axis=-1), 1.0, rtol=1e-12)
    np.testing.assert_allclose(got, _reference_softmax(z), rtol=1e-10, atol=1e-300)


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, (3, 4), elements=st.floats(-35.0, 35.0, allow_nan=False)))
def test_sigmoid_matches_reference_on_random_inputs(z):
    got = _module("activations").get("sigmoid")(z)
    np.testing.assert_allclose(got, REFERENCE_ACTIVATIONS["sigmoid"](z), rtol=1e-12)


# ---------------------------------------------------------------------------------------------
# Initializers (keras/src/initializers/random_initializers.py, VarianceScaling)
# ---------------------------------------------------------------------------------------------

TRUNCATION_STD = 0.87962566103423978  # std of a unit normal truncated to [-2, 2]
FAN_IN, FAN_OUT = 400, 300

# name -> (distribution, target standard deviation of the drawn values)
INITIALIZER_TARGETS = {
    "glorot_uniform": ("uniform", math.sqrt(2.0 / (FAN_IN + FAN_OUT))),
    "he_uniform": ("uniform", math.sqrt(2.0 / FAN_IN)),
    "glorot_normal": ("truncated_normal", math.sqrt(2.0 / (FAN_IN + FAN_OUT))),
    "he_normal": ("truncated_normal", math.sqrt(2.0 / FAN_IN)),
    "lecun_normal": ("truncated_normal", math.sqrt(1.0 / FAN_IN)),
}


def _draw(name: str, seed: int = 1234) -> np.ndarray:
    init = _module("initializers").get(name)
    return init((FAN_IN, FAN_OUT), np.random.default_rng(seed), dtype=np.float64)


@pytest.mark.parametrize("name", sorted(INITIALIZER_TARGETS))
def test_random_initializer_statistics_match_keras(name):
    distribution, target_std = INITIALIZER_TARGETS[name]
    values = _draw(name)
    assert values.shape == (FAN_IN, FAN_OUT)
    assert values.dtype == np.float64
    # 120,000 draws: the sample std is within ~0.3 % of the truth and the mean within ~0.3 % of
    # a std (1 sigma), so these 2 % bounds are more than 6 sigma away.
    assert abs(values.std() / target_std - 1.0) < 0.02, (values.std(), target_std)
    assert abs(values.mean()) < 0.02 * target_std
    if distribution == "uniform":
        limit = math.sqrt(3.0) * target_std  # glorot: sqrt(6/(fan_in+fan_out)), he: sqrt(6/fan_in)
        assert values.max() <= limit and values.min() >= -limit
        assert values.max() > 0.99 * limit and values.min() < -0.99 * limit
        # uniform: a quarter of the values beyond half the limit on each side
        assert abs(np.mean(values > limit / 2) - 0.25) < 0.01
    else:
        stddev = target_std / TRUNCATION_STD  # the std before truncation
        assert np.abs(values).max() <= 2.0 * stddev
        assert np.abs(values).max() > 1.95 * stddev
        # truncated normal: P(|x| < stddev | |x| < 2 stddev) = 0.6827 / 0.9545 = 0.7153
        assert abs(np.mean(np.abs(values) < stddev) - 0.7153) < 0.01


def test_glorot_uniform_limit_formula():
    values = _draw("glorot_uniform", seed=7)
    limit = math.sqrt(6.0 / (FAN_IN + FAN_OUT))
    assert np.abs(values).max() <= limit
    assert np.abs(values).max() > 0.999 * limit


@pytest.mark.parametrize("name", sorted(INITIALIZER_TARGETS))
def test_random_initializer_is_reproducible_from_the_generator(name):
    np.testing.assert_array_equal(_draw(name, seed=5), _draw(name, seed=5))
    assert not np.array_equal(_draw(name, seed=5), _draw(name, seed=6))


@pytest.mark.parametrize("name, value", [("zeros", 0.0), ("ones", 1.0)])
def test_constant_initializers(name, value):
    init = _module("initializers").get(name)
    values = init((3, 4), np.random.default_rng(0), dtype=np.float64)
    assert values.shape == (3, 4) and values.dtype == np.float64
    assert np.all(values == value)


# ---------------------------------------------------------------------------------------------
# Regularizers (keras/src/regularizers/regularizers.py)
# ---------------------------------------------------------------------------------------------


def _weights_for_penalty() -> np.ndarray:
    return np.array([[0.5, -1.5, 2.0], [0.0, -0.25, 3.0]])


def test_l2_default_is_keras_001_times_sum_of_squares():
    w = _weights_for_penalty()
    l2 = _module("regularizers").get("l2")
    assert l2.penalty(w) == pytest.approx(0.01 * np.sum(w**2), rel=1e-14)


def test_l1_default_is_keras_001_times_sum_of_absolute_values():
    w = _weights_for_penalty()
    l1 = _module("regularizers").get("l1")
    assert l1.penalty(w) == pytest.approx(0.01 * np.sum(np.abs(w)), rel=1e-14)


def test_l1_l2_defaults_to_no_penalty_and_combines_both_terms():
    regularizers = _module("regularizers")
    w = _weights_for_penalty()
    assert regularizers.get("l1_l2").penalty(w) == 0.0
    combined = regularizers.get({"name": "l1_l2", "l1": 0.3, "l2": 0.02})
    assert combined.penalty(w) == pytest.approx(0.3 * np.sum(np.abs(w)) + 0.02 * np.sum(w**2), rel=1e-14)


@pytest.mark.parametrize(
    "identifier, derivative",
    [
        ("l1", lambda w: 0.01 * np.sign(w)),
        ("l2", lambda w: 0.02 * w),
        ({"name": "l1_l2", "l1": 0.3, "l2": 0.02}, lambda w: 0.3 * np.sign(w) + 0.04 * w),
    ],
    ids=["l1", "l2", "l1_l2"],
)
def test_regularizer_gradient_is_the_derivative_of_the_keras_penalty(identifier, derivative):
    regularizer = _module("regularizers").get(identifier)
    w = _weights_for_penalty()
    grad = np.full_like(w, 0.5)  # added to, not overwritten
    regularizer.add_gradient(w, grad)
    np.testing.assert_allclose(grad, 0.5 + derivative(w), rtol=1e-14)
