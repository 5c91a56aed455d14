"""Weight penalties added to the loss (Keras's ``l1``, ``l2``, ``l1_l2``)."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.errors import ConfigError
from nncli.registry import Registry

REGULARIZERS = Registry("regularizer")


class Regularizer:
    """``penalty(w)`` is added to the loss; ``gradient(w)`` to the weights' gradient."""

    name = ""

    def penalty(self, weights: np.ndarray) -> float:
        raise NotImplementedError

    def add_gradient(self, weights: np.ndarray, grad: np.ndarray) -> None:
        raise NotImplementedError

    def get_config(self) -> dict[str, Any]:
        return {"name": self.name, **vars(self)}

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


def _check_factor(name: str, value: float) -> float:
    value = float(value)
    if not value >= 0.0:
        raise ConfigError(f"regularization factor {name} must be >= 0. Received: {name}={value}")
    return value


@REGULARIZERS.register("l1")
class L1(Regularizer):
    def __init__(self, l1: float = 0.01) -> None:
        self.l1 = _check_factor("l1", l1)

    def penalty(self, weights):
        return self.l1 * float(np.abs(weights).sum())

    def add_gradient(self, weights, grad):
        grad += self.l1 * np.sign(weights)


@REGULARIZERS.register("l2")
class L2(Regularizer):
    """``l2 * sum(w**2)`` (no factor 1/2, as in Keras)."""

    def __init__(self, l2: float = 0.01) -> None:
        self.l2 = _check_factor("l2", l2)

    def penalty(self, weights):
        return self.l2 * float(np.dot(weights.ravel(), weights.ravel()))

    def add_gradient(self, weights, grad):
        grad += (2.0 * self.l2) * weights


@REGULARIZERS.register("l1_l2", "l1l2")
class L1L2(Regularizer):
    def __init__(self, l1: float = 0.0, l2: float = 0.0) -> None:
        self.l1 = _check_factor("l1", l1)
        self.l2 = _check_factor("l2", l2)

    def penalty(self, weights):
        flat = weights.ravel()
        return self.l1 * float(np.abs(flat).sum()) + self.l2 * float(np.dot(flat, flat))

    def add_gradient(self, weights, grad):
        grad += self.l1 * np.sign(weights) + (2.0 * self.l2) * weights


def get(identifier: str | dict | Regularizer | None) -> Regularizer | None:
    """A regularizer from a name, ``{"name": "l2", "l2": 1e-4}``, an object, or None."""
    return None if identifier is None else REGULARIZERS.build(identifier, Regularizer)
