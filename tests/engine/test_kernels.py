"""The fused kernels give the bits of the NumPy code they replace, and training with them gives
the same weights as training without them.

Each kernel is compared with NumPy expressions written here, in the order of operations of the
engine's NumPy path, on random values with the awkward ones mixed in (NaN, ±inf, -0.0, huge and
subnormal numbers), in float32 and float64.
"""

from __future__ import annotations

import numpy as np
import pytest

from nncli import Sequential, layers
from nncli.engine import activations, kernels

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NaN and inf on purpose

DTYPES = [np.float32, np.float64]
SHAPES = [(1, 1), (16, 1), (5, 2), (16, 20), (32, 64), (7, 130), (128, 256)]


@pytest.fixture(scope="module")
def compiled():
    module = kernels.load()
    assert module is not None, f"the kernels must load (numba is a dependency): {kernels.unavailable}"
    return module


@pytest.fixture
def without_kernels(monkeypatch):
    monkeypatch.setattr(kernels, "compiled", None)


def awkward(shape, dtype, seed=0, special=True):
    """Random values spanning many magnitudes, with NaN, ±inf, -0.0 and subnormals sprinkled in."""
    rng = np.random.default_rng(seed)
    values = rng.standard_normal(shape) * 10.0 ** rng.integers(-6, 6, shape)
    if special and values.size >= 8:
        flat = values.reshape(-1)
        picks = rng.choice(flat.size, size=min(6, flat.size // 4), replace=False)
        specials = [np.nan, np.inf, -np.inf, -0.0, 1e-40, -1e-310]
        flat[picks] = specials[: len(picks)]
    return np.ascontiguousarray(values.astype(dtype))


def same_bits(first: np.ndarray, second: np.ndarray) -> bool:
    return first.dtype == second.dtype and first.shape == second.shape and first.tobytes() == second.tobytes()


# -- Dense layers ---------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_bias_relu_is_relu_of_z_plus_bias(compiled, shape, dtype):
    z, bias = awkward(shape, dtype), awkward(shape[1:], dtype, seed=1)
    expected = z + bias
    expected = expected * (expected > 0)
    compiled.bias_relu(z, bias)
    assert same_bits(z, expected)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
def test_bias_gradient_sums_columns_as_numpy_does(compiled, shape, dtype):
    if shape[1] == 1:
        pytest.skip("one column is left to NumPy (it sums a contiguous run pairwise)")
    grad, grad_bias = awkward(shape, dtype, special=False), np.empty(shape[1], dtype)
    compiled.bias_gradient(grad, grad_bias)
    assert same_bits(grad_bias, np.add.reduce(grad, axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("name, derivative", [
    ("relu", lambda a, grad: grad * (a > 0)),
    ("tanh", lambda a, grad: grad * (1.0 - a * a)),
    ("sigmoid", lambda a, grad: grad * a * (1.0 - a)),
])
def test_backward_kernels_give_the_gradient_and_its_column_sums(compiled, name, derivative, shape, dtype):
    a, grad = awkward(shape, dtype, seed=2), awkward(shape, dtype, seed=3, special=False)
    expected = derivative(a, grad)
    grad_bias = np.full(shape[1], 7.0, dtype)
    activation = activations.get(name)
    result, summed = activation.backward_with_bias(None, a, grad, grad_bias, compiled)
    assert same_bits(result, expected)
    assert summed == (shape[1] > 1)
    if summed:
        assert same_bits(grad_bias, np.add.reduce(expected, axis=0))


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("units", [1, 2, 7, 8, 9, 10, 15, 16, 17, 64, 127, 128])
def test_softmax_with_bias_matches_numpy_softmax(compiled, units, dtype):
    z, bias = awkward((33, units), dtype, special=False) / 1e5, awkward((units,), dtype, seed=1, special=False) / 1e5
    shifted = z + bias
    expected = np.exp(shifted - shifted.max(axis=-1, keepdims=True))
    expected /= expected.sum(axis=-1, keepdims=True)
    for out_is_z in (True, False):
        logits = z.copy()
        out = logits if out_is_z else np.empty_like(z)
        result = activations.get("softmax").forward_with_bias(logits, bias, out, compiled)
        assert result is out and same_bits(result, expected)
        if not out_is_z:
            assert same_bits(logits, shifted)


def test_softmax_row_max_propagates_nan_like_numpy(compiled):
    z = np.array([[1.0, np.nan, 3.0], [np.nan, 0.0, 1.0], [-np.inf, 2.0, np.inf]], dtype=np.float32)
    bias = np.zeros(3, np.float32)
    out = np.empty_like(z)
    compiled.bias_shift_by_row_max(z.copy(), bias, out)
    assert same_bits(out, z - z.max(axis=-1, keepdims=True))


# -- losses ---------------------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("shape", [(1, 1), (16, 1), (32, 10), (128, 10)])
def test_loss_gradient_kernels_are_the_numpy_formula(compiled, shape, dtype):
    probabilities, targets = awkward(shape, dtype), awkward(shape, dtype, seed=1)
    weights = np.abs(awkward(shape[:1], dtype, seed=2, special=False))
    out = np.empty_like(probabilities)
    compiled.scaled_difference(probabilities, targets, np.array([1.0 / shape[0]], dtype), out)
    expected = np.subtract(probabilities, targets)
    expected *= 1.0 / shape[0]
    assert same_bits(out, expected)
    compiled.weighted_difference(probabilities, targets, weights, np.array([shape[0]], dtype), out)
    expected = np.subtract(probabilities, targets)
    expected *= weights.reshape(-1, 1) / shape[0]
    assert same_bits(out, expected)


# -- the batch gather -----------------------------------------------------------------------------
@pytest.mark.parametrize("dtype", DTYPES)
def test_gather_rows_is_take(compiled, dtype):
    source = awkward((300, 37), dtype)
    order = np.random.default_rng(4).permutation(300)
    out = np.empty((64, 37), dtype)
    compiled.gather_rows(source, order, 100, out)
    assert same_bits(out, np.take(source, order[100:164], axis=0))


# -- training end to end --------------------------------------------------------------------------
def _fit(optimizer, dtype, hidden="relu", output="softmax", loss="sparse_categorical_crossentropy",
         units=300, **fit_args):
    rng = np.random.default_rng(5)
    x = rng.normal(size=(203, 7))
    y = np.digitize(x[:, 2], [-0.5, 0.5]) if output == "softmax" else (x[:, 0] > 0).astype(float)
    stack = [layers.Dense(units, activation=hidden, input_dim=7), layers.Dense(120, activation=hidden),
             layers.Dense(3 if output == "softmax" else 1, activation=output)]
    model = Sequential(stack, seed=3, dtype=dtype)
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    history = model.fit(x, y, batch_size=16, epochs=2, verbose=0, **fit_args)
    return model.flat_params.copy(), history.history["loss"]


CASES = [
    ("adam", "float32", {}), ("adam", "float64", {}),
    ({"name": "adam", "amsgrad": True}, "float32", {}), ("adamw", "float64", {}),
    ({"name": "sgd", "momentum": 0.9, "nesterov": True}, "float32", {"hidden": "tanh"}),
    ({"name": "rmsprop", "centered": True, "momentum": 0.5}, "float64", {"hidden": "sigmoid"}),
    ("nadam", "float32", {"output": "sigmoid", "loss": "binary_crossentropy"}),
    ("adagrad", "float32", {"units": 4, "sample_weight": np.linspace(0.5, 2.0, 203)}),
]


@pytest.mark.parametrize("optimizer, dtype, options", CASES)
def test_training_with_kernels_gives_the_weights_of_training_without(compiled, monkeypatch, optimizer, dtype,
                                                                     options):
    with_kernels = _fit(optimizer, dtype, **options)
    monkeypatch.setattr(kernels, "compiled", None)
    without = _fit(optimizer, dtype, **options)
    assert same_bits(with_kernels[0], without[0])
    assert with_kernels[1] == without[1]


# -- when the kernels are loaded ------------------------------------------------------------------
def test_kernels_load_once_the_expected_saving_exceeds_the_start_up(monkeypatch, compiled):
    loads = []
    monkeypatch.setattr(kernels, "compiled", None)
    monkeypatch.setattr(kernels, "_expected_saving", 0.0)
    monkeypatch.setattr(kernels, "load", lambda: loads.append(1))
    steps_per_fit = int(0.4 * kernels.STARTUP_SECONDS / kernels.expected_saving(1, 10_000))
    kernels.load_if_worth_it(steps_per_fit, 10_000)
    kernels.load_if_worth_it(steps_per_fit, 10_000)
    assert loads == []  # 80 % of the start-up cost so far
    kernels.load_if_worth_it(steps_per_fit, 10_000)
    assert loads == [1]


def test_a_small_fit_in_a_fresh_process_stays_on_numpy():
    import subprocess
    import sys

    program = (
        "import sys, numpy as np; from nncli import Sequential, layers; from nncli.engine import kernels\n"
        "m = Sequential([layers.Dense(4, activation='relu', input_dim=3), layers.Dense(1, activation='sigmoid')])\n"
        "m.compile(optimizer='adam', loss='binary_crossentropy')\n"
        "m.fit(np.random.rand(64, 3), np.random.rand(64) > 0.5, epochs=3, verbose=0)\n"
        "print(kernels.compiled is None, 'numba' in sys.modules)\n"
    )
    completed = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["True", "False"]
