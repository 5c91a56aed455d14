"""``gradcheck``: every component passes it, and deliberately wrong gradients fail it.

The components come from the registries (activations, losses with their options, regularizers),
so a new entry is checked as soon as it is registered. The wrong gradients are test doubles
registered for one test: a layer, an activation, a regularizer and a loss, each with a backward
that is off by a factor, as a real bug would be.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from loss_cases import loss_variants

from nncli import Sequential, activations, layers, losses, regularizers
from nncli.engine.gradcheck import DEFAULT_MAX_PER_TENSOR, TOLERANCES, gradcheck
from nncli.errors import DataError, ShapeError, UsageError

N_FEATURES, N_SAMPLES = 4, 12
REPO = Path(__file__).resolve().parents[2]


# -- helpers ----------------------------------------------------------------------------------
def batch(seed: int = 0, n_samples: int = N_SAMPLES) -> np.ndarray:
    return np.random.default_rng(seed).normal(size=(n_samples, N_FEATURES))


def randomize(model: Sequential, seed: int = 1, scale: float = 1.0) -> Sequential:
    """Random weights (biases and BN parameters included, so no tensor sits at a special value)."""
    rng = np.random.default_rng(seed)
    weights = []
    for name, value in ((n, w) for layer in model.layers for n, w in zip(layer.weight_names(), layer.weights())):
        if name in ("gamma", "moving_variance"):
            weights.append(rng.uniform(0.5, 2.0, value.shape))
        else:
            weights.append(scale * rng.normal(size=value.shape) / np.sqrt(value.shape[0]))
    model.set_weights(weights)
    return model


def compiled(*stack: layers.Layer, loss="mse", seed: int = 1) -> Sequential:
    model = Sequential(list(stack), seed=seed)
    model.compile(loss=loss, optimizer="adam")
    return randomize(model, seed)


def targets(loss: losses.Loss, units: int, seed: int = 3, n_samples: int = N_SAMPLES) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if loss.target_kind == "regression":
        return rng.normal(size=(n_samples, units)) * 2.0
    if loss.target_kind == "binary":
        return rng.integers(0, 2, size=(n_samples, units)).astype(float)
    labels = rng.integers(0, units, size=n_samples)
    return labels if loss.target_kind == "sparse" else np.eye(units)[labels]


def failing(report) -> list[tuple[str, str]]:
    return [(row.layer, row.tensor) for row in report.failures]


def assert_passes(report) -> None:
    assert report.passed, "\n".join(str(row) for row in report.failures)
    assert report.rows and all(row.n_checked > 0 for row in report.rows)


# -- every component passes ---------------------------------------------------------------------
@pytest.mark.parametrize("name", activations.ACTIVATIONS.names())
def test_every_activation_passes(name):
    model = compiled(layers.Dense(6, activation=name, input_dim=N_FEATURES), layers.Dense(5, activation=name),
                     layers.Dense(2))
    assert_passes(gradcheck(model, batch(), targets(model.loss, 2)))


LOSS_VARIANTS = loss_variants()


def _output_activation(loss: losses.Loss) -> str:
    if getattr(loss, "from_logits", False) or loss.task == "regression":
        return "linear"
    return loss.fused_activation


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "sample_weight"])
@pytest.mark.parametrize("name, options", LOSS_VARIANTS,
                         ids=[n + "".join(f"-{k}" for k in o) for n, o in LOSS_VARIANTS])
def test_every_loss_passes(name, options, weighted):
    loss = losses.LOSSES[name](**options)
    units = 3
    model = compiled(layers.Dense(6, activation="tanh", input_dim=N_FEATURES),
                     layers.Dense(units, activation=_output_activation(loss)), loss=loss)
    weights = np.random.default_rng(5).uniform(0.2, 3.0, N_SAMPLES) if weighted else None
    report = gradcheck(model, batch(), targets(loss, units), sample_weight=weights)
    assert_passes(report)
    assert report.excluded_rows == 0


@pytest.mark.parametrize("loss, activation, units", [("binary_crossentropy", "softmax", 2),
                                                     ("categorical_crossentropy", "sigmoid", 3)])
def test_cross_entropies_on_an_activation_they_do_not_fuse_with(loss, activation, units):
    # The plain (non-fused) gradient path of the loss, through the activation's own backward.
    model = compiled(layers.Dense(5, activation="relu", input_dim=N_FEATURES), layers.Dense(units, activation=activation),
                     loss=loss)
    assert not model.fused_output()
    assert_passes(gradcheck(model, batch(), targets(model.loss, units)))


@pytest.mark.parametrize("name", regularizers.REGULARIZERS.names())
def test_every_regularizer_passes(name):
    factors = {"l1": {"l1": 0.05}, "l2": {"l2": 0.05}, "l1_l2": {"l1": 0.03, "l2": 0.04}}[name]
    regularizer = {"name": name, **factors}
    model = compiled(layers.Dense(5, activation="relu", kernel_regularizer=regularizer, bias_regularizer=regularizer,
                                  input_dim=N_FEATURES),
                     layers.Dense(1, kernel_regularizer=regularizer))
    report = gradcheck(model, batch(), targets(model.loss, 1))
    assert_passes(report)
    assert report.loss > model.loss(targets(model.loss, 1), model.predict(batch()))  # the penalty is in


@pytest.mark.parametrize("center, scale", [(True, True), (False, True), (True, False), (False, False)])
def test_batch_norm_in_training_mode_passes(center, scale):
    model = compiled(layers.BatchNormalization(center=center, scale=scale, input_dim=N_FEATURES),
                     layers.Dense(6, activation="relu"), layers.BatchNormalization(center=center, scale=scale),
                     layers.Dense(3, activation="softmax"), loss="sparse_categorical_crossentropy")
    report = gradcheck(model, batch(), targets(model.loss, 3))
    assert_passes(report)
    expected = ["gamma"] * scale + ["beta"] * center
    assert [row.tensor for row in report.rows if row.layer_type == "BatchNormalization"] == expected * 2


def test_batch_norm_is_checked_with_batch_statistics():
    # With moving statistics (inference mode) the gradient of gamma would differ; the check uses
    # the batch's, as fit does, and the model's moving statistics are left as they were.
    model = compiled(layers.Dense(6, input_dim=N_FEATURES), layers.BatchNormalization(), layers.Dense(1))
    before = [w.copy() for w in model.get_weights()]
    assert_passes(gradcheck(model, batch(), targets(model.loss, 1)))
    for old, new in zip(before, model.get_weights()):
        np.testing.assert_array_equal(old, new)


def test_dropout_is_taken_out():
    model = compiled(layers.Dense(6, activation="relu", input_dim=N_FEATURES), layers.Dropout(0.5),
                     layers.Dense(4, activation="relu"), layers.Dropout(0.3, name="late_dropout"), layers.Dense(1))
    report = gradcheck(model, batch(), targets(model.loss, 1))
    assert_passes(report)
    assert report.removed_layers == ["dropout", "late_dropout"]
    assert [row.layer for row in report.rows] == ["dense", "dense", "dense_1", "dense_1", "dense_2", "dense_2"]


def test_a_dropout_first_layer_is_taken_out_too():
    model = compiled(layers.Dropout(0.2, input_dim=N_FEATURES), layers.Dense(3, activation="elu"), layers.Dense(1))
    assert_passes(gradcheck(model, batch(), targets(model.loss, 1)))


def test_float32_gradients_pass_their_own_tolerance():
    model = compiled(layers.Dense(16, activation="relu", input_dim=N_FEATURES), layers.BatchNormalization(),
                     layers.Dense(8, activation="gelu"), layers.Dense(1, activation="sigmoid"),
                     loss="binary_crossentropy")
    report = gradcheck(model, batch(), targets(model.loss, 1), dtype="float32")
    assert_passes(report)
    assert (report.dtype, report.rtol, report.atol) == ("float32", *TOLERANCES["float32"])
    errors = max(row.max_abs_error for row in report.rows)
    float64 = gradcheck(model, batch(), targets(model.loss, 1))
    assert max(row.max_abs_error for row in float64.rows) < errors  # float32 is visibly less exact


# -- reporting ----------------------------------------------------------------------------------
def test_one_row_per_layer_and_tensor_with_shapes():
    model = compiled(layers.Dense(5, activation="relu", input_dim=N_FEATURES), layers.Dense(2, use_bias=False))
    report = gradcheck(model, batch(), targets(model.loss, 2))
    assert [(r.layer, r.layer_type, r.tensor, r.shape, r.n_entries) for r in report.rows] == [
        ("dense", "Dense", "kernel", (4, 5), 20), ("dense", "Dense", "bias", (5,), 5),
        ("dense_1", "Dense", "kernel", (5, 2), 10)]
    assert all(0 <= r.max_abs_error < 1e-8 and r.max_rel_error < 1e-4 for r in report.rows)
    assert report.n_samples == N_SAMPLES and report.dtype == "float64" and report.step == 1e-6
    assert "1e-05*max(|analytic|, |numeric|)" in report.tolerance


def test_large_tensors_are_sampled_with_the_seed():
    model = compiled(layers.Dense(40, activation="tanh", input_dim=N_FEATURES), layers.Dense(1))
    report = gradcheck(model, batch(), targets(model.loss, 1), max_per_tensor=25, seed=7)
    kernel = report.rows[0]
    assert (kernel.n_checked, kernel.n_entries, kernel.sampled) == (25, 160, True)
    assert not report.rows[-1].sampled  # the last bias has one entry
    assert gradcheck(model, batch(), targets(model.loss, 1), max_per_tensor=25, seed=7) == report
    other = gradcheck(model, batch(), targets(model.loss, 1), max_per_tensor=25, seed=8)
    assert other.rows[0].max_abs_error != kernel.max_abs_error
    assert DEFAULT_MAX_PER_TENSOR == 1000
    assert gradcheck(model, batch(), targets(model.loss, 1), max_per_tensor=None).rows[0].n_checked == 160


def test_rows_where_the_cross_entropy_clips_are_left_out():
    # Large weights push some probabilities beyond 1 - 1e-7, where the loss is flat (clipped) but
    # the fused gradient is not: those rows are excluded and counted, the rest passes.
    model = compiled(layers.Dense(4, activation="relu", input_dim=N_FEATURES), layers.Dense(1, activation="sigmoid"),
                     loss="binary_crossentropy")
    randomize(model, seed=4, scale=12.0)
    x = batch(n_samples=40)
    p = model.predict(x)[:, 0]
    assert ((p < 1e-7) | (p > 1 - 1e-7)).any() and ((p > 1e-7) & (p < 1 - 1e-7)).any()
    report = gradcheck(model, x, targets(model.loss, 1, n_samples=40))
    assert_passes(report)
    assert report.excluded_rows == int(((p <= 1e-7) | (p >= 1 - 1e-7)).sum()) and report.n_samples == 40 - report.excluded_rows


def test_a_batch_that_only_clips_is_refused():
    model = compiled(layers.Dense(1, activation="sigmoid", input_dim=N_FEATURES), loss="binary_crossentropy")
    model.set_weights([np.full((N_FEATURES, 1), 50.0), np.array([100.0])])
    with pytest.raises(UsageError, match="every one of the 12 rows has a probability within 1e-07 of 0 or 1"):
        gradcheck(model, np.abs(batch()), targets(model.loss, 1))


@pytest.mark.parametrize("arguments, message", [
    ({"max_per_tensor": 0}, "max_per_tensor must be a positive integer or None. Received: max_per_tensor=0"),
    ({"dtype": "float16"}, "dtype must be one of float64, float32. Received: dtype='float16'"),
    ({"step": 0.5}, "step must be a float between 0 and 1e-2"),
])
def test_bad_arguments_are_refused(arguments, message):
    model = compiled(layers.Dense(1, input_dim=N_FEATURES))
    with pytest.raises(UsageError, match=message):
        gradcheck(model, batch(), targets(model.loss, 1), **arguments)


def test_a_batch_that_does_not_fit_is_refused():
    model = compiled(layers.Dense(1, activation="sigmoid", input_dim=N_FEATURES), loss="binary_crossentropy")
    y = targets(model.loss, 1)
    with pytest.raises(ShapeError, match="x has 3 features but the model expects 4"):
        gradcheck(model, batch()[:, :3], y)
    with pytest.raises(ShapeError, match="x has 12 rows but y has 5"):
        gradcheck(model, batch(), y[:5])
    with pytest.raises(ShapeError, match="sample_weight has 2 values for 12 samples"):
        gradcheck(model, batch(), y, sample_weight=[1.0, 2.0])
    with pytest.raises(DataError, match="x contains NaN"):
        gradcheck(model, np.full((N_SAMPLES, N_FEATURES), np.nan), y)


def test_a_model_must_be_built_and_compiled():
    with pytest.raises(UsageError, match="built Sequential"):
        gradcheck(Sequential([layers.Dense(1)]), batch(), np.zeros((N_SAMPLES, 1)))
    with pytest.raises(UsageError, match="compiled model"):
        gradcheck(Sequential([layers.Dense(1, input_dim=N_FEATURES)]), batch(), np.zeros((N_SAMPLES, 1)))


# -- deliberately wrong gradients fail ------------------------------------------------------------
def test_a_layer_with_a_wrong_backward_fails_on_that_tensor_only():
    @layers.LAYERS.register("SloppyDense")
    class SloppyDense(layers.Dense):
        """A Dense whose kernel gradient is 10% too large (its input gradient is right)."""

        def backward(self, grad_output, need_input_grad=True, grad_is_preactivation=False):
            grad_x = super().backward(grad_output, need_input_grad, grad_is_preactivation)
            self.grad_kernel *= 1.1
            return grad_x

    try:
        model = compiled(layers.Dense(5, activation="relu", input_dim=N_FEATURES),
                         SloppyDense(4, activation="tanh", name="sloppy"), layers.Dense(1))
        report = gradcheck(model, batch(), targets(model.loss, 1))
    finally:
        layers.LAYERS.remove("SloppyDense")
    assert not report.passed
    assert failing(report) == [("sloppy", "kernel")]
    assert report.failures[0].max_rel_error == pytest.approx(0.1 / 1.1, rel=1e-3)


def test_an_activation_with_a_wrong_derivative_fails():
    @activations.ACTIVATIONS.register("sloppy_tanh")
    class SloppyTanh(activations.Tanh):
        def backward(self, z, a, grad_a):
            return grad_a * (1.0 - a)  # should be 1 - a**2

    try:
        model = compiled(layers.Dense(5, activation="sloppy_tanh", input_dim=N_FEATURES), layers.Dense(1))
        report = gradcheck(model, batch(), targets(model.loss, 1))
    finally:
        activations.ACTIVATIONS.remove("sloppy_tanh")
    assert failing(report) == [("dense", "kernel"), ("dense", "bias")]


def test_a_regularizer_with_a_wrong_gradient_fails():
    @regularizers.REGULARIZERS.register("sloppy_l2")
    class SloppyL2(regularizers.L2):
        def add_gradient(self, weights, grad):
            grad += self.l2 * weights  # the factor 2 is missing

    try:
        model = compiled(layers.Dense(3, activation="relu", input_dim=N_FEATURES,
                                      kernel_regularizer={"name": "sloppy_l2", "l2": 0.1}), layers.Dense(1))
        report = gradcheck(model, batch(), targets(model.loss, 1))
    finally:
        regularizers.REGULARIZERS.remove("sloppy_l2")
    assert failing(report) == [("dense", "kernel")]


def test_a_loss_with_a_wrong_gradient_fails_everywhere():
    class SloppyMSE(losses.MeanSquaredError):
        def gradient(self, y_true, y_pred, sample_weight=None):
            return super().gradient(y_true, y_pred, sample_weight) / 2.0

    model = compiled(layers.Dense(3, activation="relu", input_dim=N_FEATURES), layers.Dense(2), loss=SloppyMSE())
    report = gradcheck(model, batch(), targets(model.loss, 2))
    assert len(report.failures) == len(report.rows) == 4


def test_a_random_layer_with_weights_cannot_be_checked():
    @layers.LAYERS.register("NoisyScale")
    class NoisyScale(layers.Layer):
        uses_rng = True

        def make_weights(self, input_dim, rng):
            return {"scale": np.ones(input_dim, dtype=self.dtype)}

    try:
        model = compiled(layers.Dense(3, input_dim=N_FEATURES), NoisyScale())
        with pytest.raises(UsageError, match="layer 'noisy_scale' \\(NoisyScale\\) draws random numbers and has weights"):
            gradcheck(model, batch(), targets(model.loss, 3))
    finally:
        layers.LAYERS.remove("NoisyScale")
