"""``Dense``: ``activation(x @ kernel + bias)``, the lecture's neuron, many at once."""

from __future__ import annotations

from typing import Any

import numpy as np

from nncli.engine import activations as activations_module
from nncli.engine import initializers as initializers_module
from nncli.engine import kernels
from nncli.engine import regularizers as regularizers_module
from nncli.engine.layers.base import LAYERS, Layer, positive_int


@LAYERS.register("Dense", "dense")
class Dense(Layer):
    """A fully connected layer: ``activation(x @ kernel + bias)``.

    Parameters
    ----------
    units : int
        Number of neurons (output columns).
    activation : str or Activation, optional
        Name from the activation registry; ``None`` means linear.
    use_bias : bool
    kernel_initializer, bias_initializer : str
        Names from the initializer registry (Keras defaults: glorot_uniform, zeros).
    kernel_regularizer, bias_regularizer : str, dict or Regularizer, optional
        ``"l2"``, ``{"name": "l1_l2", "l1": 0.0, "l2": 1e-4}``, ...
    input_dim, input_shape : optional
        Size of the input, for the first layer: ``input_dim=713`` or ``input_shape=(713,)``.
    """


    def __init__(
        self,
        units: int,
        activation: str | None = None,
        use_bias: bool = True,
        kernel_initializer: str = "glorot_uniform",
        bias_initializer: str = "zeros",
        kernel_regularizer: str | dict | None = None,
        bias_regularizer: str | dict | None = None,
        input_dim: int | None = None,
        input_shape: Any = None,
        name: str | None = None,
    ) -> None:
        super().__init__(name=name, input_dim=input_dim, input_shape=input_shape)
        self.units = positive_int("units", units)
        self.activation = activations_module.get(activation)
        self.use_bias = bool(use_bias)
        self.kernel_initializer = initializers_module.get(kernel_initializer)
        self.bias_initializer = initializers_module.get(bias_initializer)
        self.kernel_regularizer = regularizers_module.get(kernel_regularizer)
        self.bias_regularizer = regularizers_module.get(bias_regularizer)

    def compute_output_dim(self, input_dim):
        return self.units

    def weight_count(self, input_dim):
        return (input_dim + int(self.use_bias)) * self.units

    def make_weights(self, input_dim, rng):
        weights = {"kernel": self.kernel_initializer((input_dim, self.units), rng, self.dtype)}
        if self.use_bias:
            weights["bias"] = self.bias_initializer((self.units,), rng, self.dtype)
        return weights

    def bind(self, params, grads):
        super().bind(params, grads)
        self.kernel = params["kernel"]
        self.bias = params.get("bias")
        self.grad_kernel = grads["kernel"]
        self.grad_bias = grads.get("bias")

    def forward(self, x, training=True, out=None, z_out=None):
        """``activation(x @ kernel + bias)`` into ``out`` (or a reused buffer); ``z_out``, when
        given, receives the pre-activation (the logits of an output layer) and keeps it."""
        n_rows = x.shape[0]
        separate = self.activation.needs_z or z_out is not None
        if z_out is not None:
            z = z_out
        else:
            z = self._buffer("_z", n_rows, self.units) if out is None or separate else out
        np.matmul(x, self.kernel, out=z)
        a = (out if out is not None else self._buffer("_a", n_rows, self.units)) if separate else z
        if self.use_bias:
            a = self.activation.forward_with_bias(z, self.bias, a, kernels.compiled)
        else:
            a = self.activation.forward(z, out=a)
        self._x, self._z_used, self._a_used = x, z, a
        return a

    def backward(self, grad_output, need_input_grad=True, grad_is_preactivation=False):
        compiled = kernels.compiled
        if grad_is_preactivation:
            grad_z, bias_done = grad_output, False
        else:
            grad_z, bias_done = self.activation.backward_with_bias(
                self._z_used, self._a_used, grad_output, self.grad_bias, compiled)
        np.matmul(self._x.T, grad_z, out=self.grad_kernel)
        if self.kernel_regularizer is not None:
            self.kernel_regularizer.add_gradient(self.kernel, self.grad_kernel)
        if self.use_bias:
            if not bias_done:
                self._bias_gradient(grad_z, compiled)
            if self.bias_regularizer is not None:
                self.bias_regularizer.add_gradient(self.bias, self.grad_bias)
        if not need_input_grad:
            return None
        grad_x = self._buffer("_grad_x", grad_z.shape[0], self.input_dim)
        np.matmul(grad_z, self.kernel.T, out=grad_x)
        return grad_x

    def _bias_gradient(self, grad_z: np.ndarray, compiled: Any) -> None:
        # NumPy sums one column pairwise, and a float64 grad_z in a float32 layer (leaky_relu,
        # elu and selu's backward widens) with its own roundings: the kernel repeats neither.
        if compiled is not None and self.units > 1 and grad_z.dtype == self.grad_bias.dtype:
            compiled.bias_gradient(grad_z, self.grad_bias)
        else:
            np.add.reduce(grad_z, axis=0, out=self.grad_bias)

    def infer(self, x):
        z = x @ self.kernel
        if self.use_bias:
            z += self.bias
        return self.activation.forward(z, out=z) if not self.activation.needs_z else self.activation.forward(z)

    def infer_with_logits(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``infer(x)`` and the pre-activations it came from, both (n_rows, units)."""
        z = x @ self.kernel
        if self.use_bias:
            z += self.bias
        return self.activation.forward(z, out=np.empty_like(z)), z

    def has_penalty(self):
        return self.kernel_regularizer is not None or self.bias_regularizer is not None

    def penalty(self):
        total = 0.0
        if self.kernel_regularizer is not None:
            total += self.kernel_regularizer.penalty(self.kernel)
        if self.bias_regularizer is not None and self.use_bias:
            total += self.bias_regularizer.penalty(self.bias)
        return total

    def get_config(self):
        config = super().get_config()
        config.update(
            units=self.units,
            activation=self.activation.get_config(),
            use_bias=self.use_bias,
            kernel_initializer=initializers_module.name_of(self.kernel_initializer),
            bias_initializer=initializers_module.name_of(self.bias_initializer),
            kernel_regularizer=None if self.kernel_regularizer is None else self.kernel_regularizer.get_config(),
            bias_regularizer=None if self.bias_regularizer is None else self.bias_regularizer.get_config(),
        )
        return config
