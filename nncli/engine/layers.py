"""Layers: ``Dense``, ``Dropout``, ``BatchNormalization``.

Lifecycle, as in Keras: ``__init__`` checks the arguments, ``build(input_dim, rng, dtype)``
makes the weights, ``forward``/``backward`` do the math of one training batch, ``infer`` the
math at prediction time, ``get_config`` returns the arguments that rebuild the layer.

Trainable weights are handed to the model after ``build``; the model packs them into one flat
vector and gives each layer views into it (``bind``), so the optimizer updates all of them with a
few vector operations. Training buffers are allocated once per batch size and reused.
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np

from nncli.engine import activations as activations_module
from nncli.engine import initializers as initializers_module
from nncli.engine import kernels
from nncli.engine import regularizers as regularizers_module
from nncli.errors import ConfigError
from nncli.registry import Registry

LAYERS = Registry("layer", name_attribute="type_name")


def positive_int(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ConfigError(f"{name} must be a positive integer. Received: {name}={value!r}")
    return int(value)


def _input_dim_from(input_dim: Any, input_shape: Any) -> int | None:
    if input_dim is not None and input_shape is not None:
        raise ConfigError(
            f"give input_dim or input_shape, not both. Received: input_dim={input_dim!r}, input_shape={input_shape!r}"
        )
    if input_shape is not None:
        shape = tuple(input_shape) if isinstance(input_shape, (list, tuple)) else (input_shape,)
        if len(shape) != 1:
            raise ConfigError(
                f"dense networks take flat inputs: input_shape must have one dimension, like (713,). "
                f"Received: input_shape={input_shape!r} (flatten images first)"
            )
        return positive_int("input_shape[0]", shape[0])
    if input_dim is not None:
        return positive_int("input_dim", input_dim)
    return None


class Layer:
    """Base class for layers.

    Attributes
    ----------
    params : dict[str, ndarray]
        Trainable weights by name (views into the model's flat vector once bound).
    grads : dict[str, ndarray]
        Their gradients, filled by ``backward``.
    """

    type_name = "Layer"  # set to the registry name by LAYERS.register
    #: True for layers that draw random numbers in training (they get ``set_rng`` each epoch).
    uses_rng = False

    def __init__(self, name: str | None = None, input_dim: int | None = None, input_shape: Any = None) -> None:
        self.name = name
        self.input_dim = _input_dim_from(input_dim, input_shape)
        self.output_dim: int | None = None
        self.built = False
        self.params: dict[str, np.ndarray] = {}
        self.grads: dict[str, np.ndarray] = {}
        self.dtype = np.float32
        self._buffers: dict[tuple[str, int, int], np.ndarray] = {}

    @property
    def default_name(self) -> str:
        """The name Keras gives an unnamed layer of this type: ``BatchNormalization`` →
        ``batch_normalization`` (then ``_1``, ``_2``, ... in a model)."""
        return re.sub(r"(?<!^)(?=[A-Z])", "_", self.type_name).lower()

    # -- lifecycle ---------------------------------------------------------------------------
    def build(self, input_dim: int, rng: np.random.Generator, dtype=np.float32) -> None:
        if self.input_dim is not None and self.input_dim != input_dim:
            raise ConfigError(
                f"layer {self.name!r} expects {self.input_dim} inputs but the previous layer gives {input_dim}"
            )
        self.input_dim = input_dim
        self.dtype = np.dtype(dtype).type
        self._buffers = {}
        self.output_dim = self.compute_output_dim(input_dim)
        self.params = self.make_weights(input_dim, rng)
        self.built = True

    def compute_output_dim(self, input_dim: int) -> int:
        return input_dim

    def make_weights(self, input_dim: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
        return {}

    def weight_count(self, input_dim: int) -> int:
        """How many numbers ``build(input_dim)`` will allocate (checked before allocating)."""
        return 0

    def bind(self, params: dict[str, np.ndarray], grads: dict[str, np.ndarray]) -> None:
        """Use the model's flat-vector views for weights and gradients."""
        self.params = params
        self.grads = grads

    # -- training ----------------------------------------------------------------------------
    def forward(self, x: np.ndarray, training: bool = True, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, grad_output: np.ndarray, need_input_grad: bool = True,
                 grad_is_preactivation: bool = False) -> np.ndarray | None:
        """Fill ``grads`` from the gradient of the layer's output and return the gradient of its
        input (None when ``need_input_grad`` is false: the first layer's is never used).
        ``grad_is_preactivation`` says the gradient is already taken before the activation (the
        fused sigmoid/softmax + cross-entropy gradient of the last layer)."""
        raise NotImplementedError

    def infer(self, x: np.ndarray) -> np.ndarray:
        """Prediction-time output for any number of rows (allocates its result)."""
        return x

    # -- weights -----------------------------------------------------------------------------
    def non_trainable(self) -> dict[str, np.ndarray]:
        return {}

    def weight_names(self) -> list[str]:
        """Keras's order for ``get_weights``."""
        return list(self.params) + list(self.non_trainable())

    def weights(self) -> list[np.ndarray]:
        every = {**self.params, **self.non_trainable()}
        return [every[name] for name in self.weight_names()]

    def count_params(self) -> tuple[int, int]:
        """(trainable, non-trainable) parameter counts."""
        return (
            sum(int(p.size) for p in self.params.values()),
            sum(int(p.size) for p in self.non_trainable().values()),
        )

    def penalty(self) -> float:
        return 0.0

    def has_penalty(self) -> bool:
        return False

    def set_rng(self, rng: np.random.Generator) -> None:
        """Give the layer the generator of the current epoch (layers that draw randomness)."""

    # -- config ------------------------------------------------------------------------------
    def get_config(self) -> dict[str, Any]:
        config: dict[str, Any] = {"type": self.type_name}
        if self.name:
            config["name"] = self.name
        return config

    def _buffer(self, purpose: str, n_rows: int, n_cols: int) -> np.ndarray:
        """A reusable (n_rows, n_cols) scratch array, one per purpose and batch size (a training
        run sees two sizes: the batch size and the last, smaller batch)."""
        key = (purpose, n_rows, n_cols)
        buffer = self._buffers.get(key)
        if buffer is None:
            buffer = self._buffers[key] = np.empty((n_rows, n_cols), dtype=self.dtype)
        return buffer

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "type")
        return f"{self.type_name}({args})"


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


def from_config(config: dict[str, Any]) -> Layer:
    """A layer from ``{"type": "Dense", "units": 10, ...}`` (the YAML form)."""
    args = dict(config)
    type_name = args.pop("type", None)
    if type_name is None:
        raise ConfigError(f"a layer needs a 'type' such as 'Dense'. Received: {config!r}")
    cls = LAYERS[type_name]
    try:
        return cls(**args)
    except TypeError as error:
        raise ConfigError(f"bad arguments for layer {type_name!r}: {error}") from None
