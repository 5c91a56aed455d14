"""``BatchNormalization``: batch statistics in training, moving averages at prediction time."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine.layers.base import LAYERS, Layer
from nncli.errors import ConfigError


@LAYERS.register("BatchNormalization", "batch_normalization", "batchnormalization")
class BatchNormalization(Layer):
    """Normalise each feature with the batch's mean and variance in training, with moving
    averages of them at prediction time (Keras defaults: momentum 0.99, epsilon 1e-3).

    ``moving_mean`` and ``moving_variance`` are non-trainable weights, updated as
    ``moving = moving * momentum + batch_statistic * (1 - momentum)``.
    """


    def __init__(
        self,
        momentum: float = 0.99,
        epsilon: float = 1e-3,
        center: bool = True,
        scale: bool = True,
        name: str | None = None,
        input_dim: int | None = None,
        input_shape: Any = None,
    ) -> None:
        super().__init__(name=name, input_dim=input_dim, input_shape=input_shape)
        if not 0.0 <= float(momentum) < 1.0:
            raise ConfigError(f"momentum must be in [0, 1). Received: momentum={momentum!r}")
        if not float(epsilon) > 0.0:
            raise ConfigError(f"epsilon must be > 0. Received: epsilon={epsilon!r}")
        self.momentum = float(momentum)
        self.epsilon = float(epsilon)
        self.center = bool(center)
        self.scale = bool(scale)

    def weight_count(self, input_dim):
        return 4 * input_dim

    def make_weights(self, input_dim, rng):
        self.moving_mean = np.zeros(input_dim, dtype=self.dtype)
        self.moving_variance = np.ones(input_dim, dtype=self.dtype)
        weights = {}
        if self.scale:
            weights["gamma"] = np.ones(input_dim, dtype=self.dtype)
        if self.center:
            weights["beta"] = np.zeros(input_dim, dtype=self.dtype)
        return weights

    def non_trainable(self):
        return {"moving_mean": self.moving_mean, "moving_variance": self.moving_variance}

    def forward(self, x, training=True, out=None):
        if not training:
            return self.infer(x)
        mean = x.mean(axis=0)
        variance = x.var(axis=0)
        inv_std = 1.0 / np.sqrt(variance + self.epsilon)
        n_rows = x.shape[0]
        x_hat = self._buffer("_x_hat", n_rows, self.input_dim)
        np.subtract(x, mean, out=x_hat)
        x_hat *= inv_std
        y = self._buffer("_y", n_rows, self.input_dim) if out is None else out
        np.copyto(y, x_hat)
        if self.scale:
            y *= self.params["gamma"]
        if self.center:
            y += self.params["beta"]
        self.moving_mean *= self.momentum
        self.moving_mean += (1.0 - self.momentum) * mean
        self.moving_variance *= self.momentum
        self.moving_variance += (1.0 - self.momentum) * variance
        self._inv_std = inv_std
        self._x_hat_used = x_hat
        return y

    def backward(self, grad_output, need_input_grad=True, grad_is_preactivation=False):
        x_hat, inv_std = self._x_hat_used, self._inv_std
        grad_beta = grad_output.sum(axis=0)
        grad_gamma = (grad_output * x_hat).sum(axis=0)
        if self.center:
            np.copyto(self.grads["beta"], grad_beta)
        if self.scale:
            np.copyto(self.grads["gamma"], grad_gamma)
        if not need_input_grad:
            return None
        gamma = self.params["gamma"] if self.scale else 1.0
        n_rows = grad_output.shape[0]
        return (gamma * inv_std / n_rows) * (n_rows * grad_output - grad_beta - x_hat * grad_gamma)

    def infer(self, x):
        y = (x - self.moving_mean) / np.sqrt(self.moving_variance + self.epsilon)
        if self.scale:
            y = y * self.params["gamma"]
        if self.center:
            y = y + self.params["beta"]
        return y.astype(self.dtype, copy=False)

    def get_config(self):
        config = super().get_config()
        config.update(momentum=self.momentum, epsilon=self.epsilon, center=self.center, scale=self.scale)
        return config
