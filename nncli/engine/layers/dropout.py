"""``Dropout``: inverted dropout in training, the identity at prediction time."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine.layers.base import LAYERS, Layer
from nncli.errors import ConfigError


@LAYERS.register("Dropout", "dropout")
class Dropout(Layer):
    """Inverted dropout: in training, zero each input with probability ``rate`` and scale the
    rest by ``1 / (1 - rate)``; at prediction time, the identity."""

    uses_rng = True

    def __init__(self, rate: float, name: str | None = None, input_dim: int | None = None, input_shape: Any = None) -> None:
        super().__init__(name=name, input_dim=input_dim, input_shape=input_shape)
        if isinstance(rate, bool) or not isinstance(rate, (int, float)) or not 0.0 <= float(rate) < 1.0:
            raise ConfigError(f"rate must be a number in [0, 1). Received: rate={rate!r}")
        self.rate = float(rate)
        self._rng = np.random.default_rng(0)

    def set_rng(self, rng):
        self._rng = rng

    def forward(self, x, training=True, out=None):
        if not training or self.rate == 0.0:
            self._mask = None
            return x
        n_rows, n_cols = x.shape
        mask = self._buffer("_mask_buffer", n_rows, n_cols)
        self._rng.random(out=mask, dtype=mask.dtype)
        np.greater_equal(mask, self.rate, out=mask, casting="unsafe")
        mask *= 1.0 / (1.0 - self.rate)
        y = self._buffer("_y", n_rows, n_cols) if out is None else out
        np.multiply(x, mask, out=y)
        self._mask = mask
        return y

    def backward(self, grad_output, need_input_grad=True, grad_is_preactivation=False):
        if self._mask is None:
            return grad_output
        grad_output *= self._mask
        return grad_output

    def get_config(self):
        config = super().get_config()
        config["rate"] = self.rate
        return config
