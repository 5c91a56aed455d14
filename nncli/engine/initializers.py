"""Weight initializers with Keras's names and scaling rules.

An initializer is a function ``init(shape, rng, dtype) -> ndarray``. Kernels have shape
``(fan_in, fan_out)``. The normal variants use Keras's truncated normal: draws beyond two
standard deviations are redrawn, and the standard deviation is divided by 0.8796…, the
standard deviation of a unit normal truncated at ±2, so the variance comes out as intended.
"""

from __future__ import annotations

import math
from typing import Callable

import numpy as np

from nncli.registry import Registry

INITIALIZERS = Registry("initializer")

Initializer = Callable[..., np.ndarray]

_TRUNCATED_STD = 0.87962566103423978


def _fans(shape: tuple[int, ...]) -> tuple[int, int]:
    if len(shape) == 1:
        return shape[0], shape[0]
    return shape[0], shape[1]


def _truncated_normal(shape, rng: np.random.Generator, stddev: float, dtype) -> np.ndarray:
    values = rng.standard_normal(shape)
    outside = np.abs(values) > 2.0
    while outside.any():
        values[outside] = rng.standard_normal(int(outside.sum()))
        outside = np.abs(values) > 2.0
    return (values * stddev).astype(dtype)


def _uniform(shape, rng, limit: float, dtype) -> np.ndarray:
    return rng.uniform(-limit, limit, size=shape).astype(dtype)


@INITIALIZERS.register("glorot_uniform", "xavier_uniform")
def glorot_uniform(shape, rng, dtype=np.float32):
    fan_in, fan_out = _fans(shape)
    return _uniform(shape, rng, math.sqrt(6.0 / (fan_in + fan_out)), dtype)


@INITIALIZERS.register("glorot_normal", "xavier_normal")
def glorot_normal(shape, rng, dtype=np.float32):
    fan_in, fan_out = _fans(shape)
    return _truncated_normal(shape, rng, math.sqrt(2.0 / (fan_in + fan_out)) / _TRUNCATED_STD, dtype)


@INITIALIZERS.register("he_uniform")
def he_uniform(shape, rng, dtype=np.float32):
    fan_in, _ = _fans(shape)
    return _uniform(shape, rng, math.sqrt(6.0 / fan_in), dtype)


@INITIALIZERS.register("he_normal")
def he_normal(shape, rng, dtype=np.float32):
    fan_in, _ = _fans(shape)
    return _truncated_normal(shape, rng, math.sqrt(2.0 / fan_in) / _TRUNCATED_STD, dtype)


@INITIALIZERS.register("lecun_normal")
def lecun_normal(shape, rng, dtype=np.float32):
    fan_in, _ = _fans(shape)
    return _truncated_normal(shape, rng, math.sqrt(1.0 / fan_in) / _TRUNCATED_STD, dtype)


@INITIALIZERS.register("zeros")
def zeros(shape, rng=None, dtype=np.float32):
    return np.zeros(shape, dtype=dtype)


@INITIALIZERS.register("ones")
def ones(shape, rng=None, dtype=np.float32):
    return np.ones(shape, dtype=dtype)


def get(identifier: str | Initializer) -> Initializer:
    """An initializer from its name or a callable ``init(shape, rng, dtype)``."""
    if callable(identifier):
        return identifier
    return INITIALIZERS[identifier]


def name_of(initializer: Initializer) -> str:
    """The registry name of an initializer (for configs), or its function name."""
    for name, function in INITIALIZERS.items():
        if function is initializer:
            return name
    return getattr(initializer, "__name__", repr(initializer))
