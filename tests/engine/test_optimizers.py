"""Optimizers: the fused kernel of every rule gives the bits of its NumPy code, on short vectors
(one thread) and long ones (the parallel kernel), in float32 and float64, step after step."""

from __future__ import annotations

import inspect

import numpy as np
import pytest

from nncli.engine import kernels, optimizers
from nncli.engine.optimizers import OPTIMIZERS

VARIANTS = [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"amsgrad": True}, {"centered": True},
            {"centered": True, "momentum": 0.5}, {"weight_decay": 0.1, "amsgrad": True}]


def _cases():
    for name in OPTIMIZERS:
        accepted = inspect.signature(OPTIMIZERS[name].__init__).parameters
        for extra in VARIANTS:
            if all(key in accepted for key in extra):
                yield pytest.param(name, extra, id=f"{name}-{'-'.join(extra) or 'default'}")


def _run(name, extra, size, dtype, steps=5):
    rng = np.random.default_rng(0)
    params = (rng.standard_normal(size) * 10.0 ** rng.integers(-4, 3, size)).astype(dtype)
    params[:4] = [0.0, -0.0, 1e-40, 3e4]
    optimizer = OPTIMIZERS[name](**extra)
    optimizer.build(size, dtype)
    for step in range(steps):
        grads = (rng.standard_normal(size) * 10.0 ** rng.integers(-5, 3, size)).astype(dtype)
        grads[step % 4] = 0.0
        optimizer.learning_rate *= 0.9  # the constants are taken at each step
        optimizer.apply(params, grads)
    return params, optimizer.get_state()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("size", [5, 4801, optimizers.PARALLEL_MIN_SIZE + 1001])
@pytest.mark.parametrize("name, extra", list(_cases()))
def test_kernel_gives_the_bits_of_the_numpy_rule(monkeypatch, name, extra, size, dtype):
    assert kernels.load() is not None, kernels.unavailable
    fused, fused_state = _run(name, extra, size, dtype)
    monkeypatch.setattr(kernels, "compiled", None)
    plain, plain_state = _run(name, extra, size, dtype)
    assert fused.tobytes() == plain.tobytes()
    assert fused_state.keys() == plain_state.keys()
    for key in plain_state:
        assert fused_state[key].tobytes() == plain_state[key].tobytes(), key


def test_non_finite_gradients_propagate_as_in_numpy(monkeypatch):
    assert kernels.load() is not None
    grads = np.array([np.nan, np.inf, -np.inf, 1.0, 0.0], dtype=np.float32)

    def step():
        params = np.ones(5, dtype=np.float32)
        optimizer = OPTIMIZERS["adam"](amsgrad=True)
        optimizer.build(5, np.float32)
        optimizer.apply(params, grads)
        return params, optimizer.get_state()["opt_v_hat"]

    fused = step()
    monkeypatch.setattr(kernels, "compiled", None)
    plain = step()
    assert all(a.tobytes() == b.tobytes() for a, b in zip(fused, plain))
    assert np.isnan(fused[0][0]) and np.isnan(fused[1][0])
