"""Gradient checks: every analytic derivative against central finite differences, in float64.

The tests iterate the registries (activations, losses, regularizers, layers), so a new entry is
checked as soon as it is registered. Inputs stay away from kinks (relu at 0, |error| at 0 or
at huber's delta, probabilities at the clip bounds), where a derivative is not defined.
Agreement is measured as ``|analytic - numeric| / (|analytic| + |numeric|)`` over the whole
gradient (vector norms) and must be at most 1e-6.
"""

from __future__ import annotations

import inspect
from typing import Any, Callable

import numpy as np
import pytest
from loss_cases import loss_variants

from nncli import activations, layers, losses, regularizers
from nncli.engine.model import Sequential

MAX_RELATIVE_ERROR = 1e-6
STEP = 1e-6


# -- helpers ----------------------------------------------------------------------------------
def numerical_gradient(function: Callable[[], float], values: np.ndarray, step: float = STEP) -> np.ndarray:
    """Central differences of ``function()`` with respect to ``values``, perturbed in place.

    ``values`` must be a contiguous float64 array that ``function`` reads (a live view).
    """
    gradient = np.zeros(values.shape, dtype=np.float64)
    flat = values.reshape(-1)
    assert np.shares_memory(flat, values), "values must be contiguous so that perturbing it is seen"
    for index in range(flat.size):
        original = flat[index]
        flat[index] = original + step
        above = function()
        flat[index] = original - step
        below = function()
        flat[index] = original
        gradient.reshape(-1)[index] = (above - below) / (2.0 * step)
    return gradient


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    analytic = np.asarray(analytic, dtype=np.float64).ravel()
    numeric = np.asarray(numeric, dtype=np.float64).ravel()
    scale = np.linalg.norm(analytic) + np.linalg.norm(numeric)
    return float(np.linalg.norm(analytic - numeric) / scale) if scale else 0.0


def assert_gradients_agree(analytic: np.ndarray, numeric: np.ndarray) -> None:
    assert analytic.shape == numeric.shape
    # A gradient that is zero everywhere would agree trivially; the checks are built so it is not.
    assert np.linalg.norm(numeric) > 1e-8, "degenerate check: the numerical gradient is zero"
    error = relative_error(analytic, numeric)
    assert error <= MAX_RELATIVE_ERROR, f"relative error {error:.3g} > {MAX_RELATIVE_ERROR:g}"


def away_from_zero(rng: np.random.Generator, shape: tuple[int, ...], low: float = 0.1, high: float = 3.0) -> np.ndarray:
    """Values with random signs and magnitudes in [low, high] (no kink at 0 within reach)."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(low, high, size=shape)


# -- activations ------------------------------------------------------------------------------
@pytest.mark.parametrize("name", activations.ACTIVATIONS.names())
def test_activation_backward_matches_finite_differences(name):
    rng = np.random.default_rng(0)
    activation = activations.get(name)
    z = away_from_zero(rng, (6, 5))
    upstream = rng.normal(size=z.shape)

    def weighted_output() -> float:
        return float(np.sum(upstream * activation(z)))

    numeric = numerical_gradient(weighted_output, z)
    a = activation(z)
    # backward may work in place on grad_a (the training loop hands it a scratch buffer).
    analytic = activation.backward(z.copy(), a, upstream.copy())
    assert_gradients_agree(np.asarray(analytic), numeric)


@pytest.mark.parametrize("name", activations.ACTIVATIONS.names())
def test_activation_forward_into_a_buffer_equals_call(name):
    # The training loop uses forward(z, out=...); the checks above use __call__.
    rng = np.random.default_rng(1)
    activation = activations.get(name)
    z = rng.normal(size=(4, 3))
    out = np.empty_like(z)
    result = activation.forward(z.copy(), out=out)
    np.testing.assert_array_equal(result, activation(z))


# -- losses -----------------------------------------------------------------------------------
LOSS_VARIANTS = loss_variants()
LOSS_IDS = [name + "".join(f"-{key}={value}" for key, value in options.items()) for name, options in LOSS_VARIANTS]


def _loss_inputs(loss: losses.Loss, rng: np.random.Generator, n_samples: int = 6, units: int = 3):
    """(y_true, y_pred) in the encoding the loss expects, away from kinks and clip bounds."""
    from_logits = getattr(loss, "from_logits", False)
    if loss.target_kind == "regression":
        y_true = rng.normal(size=(n_samples, units))
        # Errors in [0.1, 0.4] or [1.2, 2.0]: no kink of mae at 0 nor of huber at delta=1.
        magnitude = np.where(rng.random((n_samples, units)) < 0.5, rng.uniform(0.1, 0.4, (n_samples, units)),
                             rng.uniform(1.2, 2.0, (n_samples, units)))
        return y_true, y_true + rng.choice([-1.0, 1.0], size=y_true.shape) * magnitude
    if loss.target_kind == "binary":
        y_true = rng.integers(0, 2, size=(n_samples, units)).astype(np.float64)
        y_pred = rng.normal(size=(n_samples, units)) if from_logits else rng.uniform(0.05, 0.95, (n_samples, units))
        return y_true, y_pred
    labels = rng.integers(0, units, size=n_samples)
    y_true = labels if loss.target_kind == "sparse" else np.eye(units)[labels]
    # Probabilities need not sum to one: Keras renormalises them, and so must the gradient.
    y_pred = rng.normal(size=(n_samples, units)) if from_logits else rng.uniform(0.1, 1.0, (n_samples, units))
    return y_true, y_pred


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("name, options", LOSS_VARIANTS, ids=LOSS_IDS)
def test_loss_gradient_matches_finite_differences(name, options, weighted):
    rng = np.random.default_rng(2)
    loss = losses.LOSSES[name](**options)
    y_true, y_pred = _loss_inputs(loss, rng)
    sample_weight = rng.uniform(0.2, 3.0, size=len(y_pred)) if weighted else None

    numeric = numerical_gradient(lambda: loss(y_true, y_pred, sample_weight), y_pred)
    analytic = loss.gradient(y_true, y_pred.copy(), sample_weight)
    assert_gradients_agree(np.asarray(analytic), numeric)


FUSED_VARIANTS = [(name, options) for name, options in LOSS_VARIANTS
                  if losses.LOSSES[name].fused_activation is not None and not options.get("from_logits")]


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("name, options", FUSED_VARIANTS,
                         ids=[LOSS_IDS[LOSS_VARIANTS.index(v)] for v in FUSED_VARIANTS])
def test_fused_logit_gradient_matches_finite_differences_through_the_activation(name, options, weighted):
    rng = np.random.default_rng(3)
    loss = losses.LOSSES[name](**options)
    activation = activations.get(loss.fused_activation)
    y_true, _ = _loss_inputs(loss, rng)
    logits = rng.normal(size=(len(y_true), 3))
    sample_weight = rng.uniform(0.2, 3.0, size=len(logits)) if weighted else None

    numeric = numerical_gradient(lambda: loss(y_true, activation(logits), sample_weight), logits)
    out = np.empty_like(logits)
    analytic = loss.logit_gradient(y_true, activation(logits), sample_weight, out)
    assert_gradients_agree(np.asarray(analytic), numeric)


# -- regularizers and Dense -------------------------------------------------------------------
def _regularizer(name: str | None) -> regularizers.Regularizer | None:
    """The named regularizer with every factor set to 0.05 (defaults may be zero)."""
    if name is None:
        return None
    cls = regularizers.REGULARIZERS[name]
    factors = [p for p in inspect.signature(cls).parameters.values() if p.kind is p.POSITIONAL_OR_KEYWORD]
    return cls(**{p.name: 0.05 for p in factors})


def _float64_model(*stack: layers.Layer, loss: Any = "mse", seed: int = 0) -> Sequential:
    model = Sequential(list(stack), seed=seed, dtype="float64")
    model.compile(optimizer="sgd", loss=loss)
    return model


def _set_weights_away_from_zero(model: Sequential, rng: np.random.Generator) -> None:
    """Random trainable weights (biases too, which start at zero) clear of the L1 kink at 0."""
    model.flat_params[...] = away_from_zero(rng, model.flat_params.shape, 0.05, 1.0)


def _check_model_gradient(model: Sequential, x, y, sample_weight=None, before_each_call=None) -> None:
    def loss_value() -> float:
        if before_each_call is not None:
            before_each_call()
        return model.compute_gradients(x, y, sample_weight)[0]

    numeric = numerical_gradient(loss_value, model.flat_params)
    if before_each_call is not None:
        before_each_call()
    _, analytic = model.compute_gradients(x, y, sample_weight)
    assert analytic.shape == model.flat_params.shape
    assert_gradients_agree(analytic, numeric)


REGULARIZER_CHOICES = [None, *regularizers.REGULARIZERS.names()]


@pytest.mark.parametrize("bias_regularizer", REGULARIZER_CHOICES, ids=lambda n: f"bias={n}")
@pytest.mark.parametrize("kernel_regularizer", REGULARIZER_CHOICES, ids=lambda n: f"kernel={n}")
def test_dense_gradient_with_and_without_regularizers(kernel_regularizer, bias_regularizer):
    rng = np.random.default_rng(4)
    model = _float64_model(
        layers.Dense(3, activation="tanh", input_dim=4, kernel_regularizer=_regularizer(kernel_regularizer),
                     bias_regularizer=_regularizer(bias_regularizer)),
    )
    _set_weights_away_from_zero(model, rng)
    x, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 3))
    _check_model_gradient(model, x, y)


@pytest.mark.parametrize("name", regularizers.REGULARIZERS.names())
def test_regularizer_penalty_is_part_of_the_loss(name):
    rng = np.random.default_rng(5)
    x, y = rng.normal(size=(7, 4)), rng.normal(size=(7, 2))
    plain = _float64_model(layers.Dense(2, input_dim=4))
    penalised = _float64_model(layers.Dense(2, input_dim=4, kernel_regularizer=_regularizer(name)))
    _set_weights_away_from_zero(plain, rng)
    penalised.set_weights(plain.get_weights())
    kernel = plain.get_weights()[0]
    expected_penalty = _regularizer(name).penalty(kernel)
    assert expected_penalty > 0
    loss_plain, _ = plain.compute_gradients(x, y)
    loss_penalised, _ = penalised.compute_gradients(x, y)
    assert loss_penalised == pytest.approx(loss_plain + expected_penalty, rel=1e-12)


# -- every layer of the registry, inside a network --------------------------------------------
#: How to make one of each layer type for the check; a new layer type needs one line here.
LAYER_EXAMPLES: dict[str, Callable[[], layers.Layer]] = {
    "Dense": lambda: layers.Dense(4, activation="tanh"),
    "Dropout": lambda: layers.Dropout(0.3),
    "BatchNormalization": lambda: layers.BatchNormalization(),
}


def _reset_random_streams(model: Sequential) -> Callable[[], None]:
    """Give every layer the same generator before each pass, so dropout masks repeat."""

    def reset() -> None:
        for layer in model.layers:
            layer.set_rng(np.random.default_rng(11))

    return reset


@pytest.mark.parametrize("type_name", layers.LAYERS.names())
def test_every_registered_layer_backpropagates_correctly_in_training_mode(type_name):
    assert type_name in LAYER_EXAMPLES, f"add an example of {type_name} to LAYER_EXAMPLES"
    rng = np.random.default_rng(6)
    model = _float64_model(
        layers.Dense(5, activation="tanh", input_dim=3),
        LAYER_EXAMPLES[type_name](),
        layers.Dense(2),
    )
    _set_weights_away_from_zero(model, rng)
    x, y = rng.normal(size=(8, 3)), rng.normal(size=(8, 2))
    _check_model_gradient(model, x, y, before_each_call=_reset_random_streams(model))


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False)])
def test_batch_normalization_gradient_in_training_mode(center, scale):
    rng = np.random.default_rng(7)
    model = _float64_model(
        layers.Dense(4, activation="softplus", input_dim=3),
        layers.BatchNormalization(center=center, scale=scale),
        layers.Dense(2, activation="tanh"),
    )
    _set_weights_away_from_zero(model, rng)
    x, y = rng.normal(size=(9, 3)) * 2.0 + 1.0, rng.normal(size=(9, 2))
    _check_model_gradient(model, x, y)


def test_batch_normalization_as_first_layer():
    rng = np.random.default_rng(8)
    model = _float64_model(layers.BatchNormalization(input_dim=3), layers.Dense(2, activation="sigmoid"))
    _set_weights_away_from_zero(model, rng)
    x, y = rng.normal(size=(6, 3)) * 3.0, rng.normal(size=(6, 2))
    _check_model_gradient(model, x, y)


def test_batch_normalization_training_uses_batch_statistics():
    # In training the output of each feature has mean beta and (near) standard deviation gamma.
    rng = np.random.default_rng(9)
    model = _float64_model(layers.BatchNormalization(input_dim=3))
    x = rng.normal(loc=5.0, scale=4.0, size=(50, 3))
    outputs = np.empty_like(x)
    model.layers[0].forward(x, training=True, out=outputs)
    np.testing.assert_allclose(outputs.mean(axis=0), 0.0, atol=1e-12)
    np.testing.assert_allclose(outputs.std(axis=0), np.sqrt(x.var(axis=0) / (x.var(axis=0) + 1e-3)), rtol=1e-12)


# -- a 3-layer network end to end -------------------------------------------------------------
def _targets(loss: losses.Loss, rng: np.random.Generator, n_samples: int, units: int):
    if loss.target_kind == "regression":
        return rng.normal(size=(n_samples, units))
    if loss.target_kind == "binary":
        return rng.integers(0, 2, size=(n_samples, units)).astype(np.float64)
    labels = np.arange(n_samples) % units  # every class present
    return labels if loss.target_kind == "sparse" else np.eye(units)[labels]


END_TO_END_CASES = [
    # (output activation, loss, output units, the fused output gradient is used)
    ("sigmoid", "binary_crossentropy", 1, True),
    ("sigmoid", "binary_crossentropy", 3, True),
    ("sigmoid", {"name": "binary_crossentropy", "label_smoothing": 0.1}, 1, True),
    ("softmax", "categorical_crossentropy", 4, True),
    ("softmax", {"name": "categorical_crossentropy", "label_smoothing": 0.1}, 4, True),
    ("softmax", "sparse_categorical_crossentropy", 4, True),
    ("linear", {"name": "binary_crossentropy", "from_logits": True}, 2, False),
    ("linear", {"name": "categorical_crossentropy", "from_logits": True}, 3, False),
    ("linear", {"name": "sparse_categorical_crossentropy", "from_logits": True}, 3, False),
    ("linear", "mse", 2, False),
    ("sigmoid", "mse", 2, False),
    ("linear", "mae", 2, False),
    ("tanh", "huber", 2, False),
]


def _case_id(case) -> str:
    activation, loss, units, _ = case
    name = loss if isinstance(loss, str) else "-".join(f"{k}={v}" for k, v in loss.items())
    return f"{activation}+{name}x{units}"


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("case", END_TO_END_CASES, ids=[_case_id(c) for c in END_TO_END_CASES])
def test_three_layer_network_end_to_end(case, weighted):
    output_activation, loss, units, fused = case
    rng = np.random.default_rng(10)
    model = _float64_model(
        layers.Dense(6, activation="tanh", input_dim=4),
        layers.Dense(5, activation="softplus"),
        layers.Dense(units, activation=output_activation),
        loss=loss,
    )
    _set_weights_away_from_zero(model, rng)
    n_samples = 8
    x = rng.normal(size=(n_samples, 4))
    y = _targets(model.loss, rng, n_samples, units)
    sample_weight = rng.uniform(0.2, 3.0, size=n_samples) if weighted else None

    calls: list[int] = []
    if fused:
        original = model.loss.logit_gradient

        def spy(*args):
            calls.append(1)
            return original(*args)

        model.loss.logit_gradient = spy
    _check_model_gradient(model, x, y, sample_weight)
    assert bool(calls) == fused, "the fused sigmoid/softmax + cross-entropy gradient was (not) used"


def test_sample_weights_scale_the_gradient():
    rng = np.random.default_rng(12)
    model = _float64_model(layers.Dense(3, activation="tanh", input_dim=2), layers.Dense(1, activation="sigmoid"),
                           loss="binary_crossentropy")
    x = rng.normal(size=(5, 2))
    y = np.array([0, 1, 1, 0, 1], dtype=np.float64)
    loss_plain, grad_plain = model.compute_gradients(x, y)
    loss_doubled, grad_doubled = model.compute_gradients(x, y, sample_weight=np.full(5, 2.0))
    assert loss_doubled == pytest.approx(2.0 * loss_plain, rel=1e-12)
    np.testing.assert_allclose(grad_doubled, 2.0 * grad_plain, rtol=1e-12)
    # A zero weight removes the sample: same as training on the other four.
    only_four = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    loss_masked, grad_masked = model.compute_gradients(x, y, sample_weight=only_four)
    loss_four, grad_four = model.compute_gradients(x[:4], y[:4])
    assert loss_masked == pytest.approx(loss_four * 4 / 5, rel=1e-12)
    np.testing.assert_allclose(grad_masked, grad_four * 4 / 5, rtol=1e-12)


@pytest.mark.parametrize("name", activations.ACTIVATIONS.names())
def test_every_activation_inside_a_network(name):
    rng = np.random.default_rng(13)
    model = _float64_model(
        layers.Dense(5, activation=name, input_dim=4),
        layers.Dense(3, activation=name),
        layers.Dense(2),
    )
    _set_weights_away_from_zero(model, rng)
    x, y = rng.normal(size=(6, 4)), rng.normal(size=(6, 2))
    _check_model_gradient(model, x, y)


def test_compute_gradients_changes_nothing():
    rng = np.random.default_rng(14)
    model = Sequential([layers.Dense(3, activation="relu", input_dim=2), layers.Dense(1)], seed=0, dtype="float64")
    model.compile(optimizer="adam", loss="mse")
    before = model.get_weights()
    state_before = model.optimizer.get_state()
    model.compute_gradients(rng.normal(size=(4, 2)), rng.normal(size=(4, 1)))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)
    state_after = model.optimizer.get_state()
    assert state_before.keys() == state_after.keys()
    for key in state_before:
        np.testing.assert_array_equal(state_before[key], state_after[key])
