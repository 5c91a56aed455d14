"""Optimizers on long parameter vectors: the two-thread update equals the one-thread update."""

from __future__ import annotations

import numpy as np
import pytest

from nncli import optimizers
from nncli.engine.optimizers import OPTIMIZERS

VARIANTS = [{}, {"momentum": 0.9}, {"momentum": 0.9, "nesterov": True}, {"amsgrad": True}, {"centered": True}]


def _cases():
    import inspect

    for name in OPTIMIZERS:
        accepted = inspect.signature(OPTIMIZERS[name].__init__).parameters
        for extra in VARIANTS:
            if all(key in accepted for key in extra):
                yield pytest.param(name, extra, id=f"{name}-{'-'.join(extra) or 'default'}")


def _run(name, extra, parallel_min, steps=4):
    rng = np.random.default_rng(0)
    size = 3 * optimizers.PARALLEL_MIN_SIZE // 2 + 7
    params = rng.standard_normal(size).astype(np.float32)
    optimizer = OPTIMIZERS[name](**extra)
    optimizer.build(size, np.float32)
    original = optimizers.PARALLEL_MIN_SIZE
    optimizers.PARALLEL_MIN_SIZE = parallel_min
    try:
        for _ in range(steps):
            optimizer.apply(params, rng.standard_normal(size).astype(np.float32))
    finally:
        optimizers.PARALLEL_MIN_SIZE = original
    return params, optimizer.get_state()


@pytest.mark.parametrize("name, extra", list(_cases()))
def test_two_threads_give_the_same_bits_as_one(name, extra):
    serial, serial_state = _run(name, extra, parallel_min=10**12)
    parallel, parallel_state = _run(name, extra, parallel_min=1)
    assert serial.tobytes() == parallel.tobytes()
    assert serial_state.keys() == parallel_state.keys()
    for key in serial_state:
        assert np.array_equal(serial_state[key], parallel_state[key]), key
