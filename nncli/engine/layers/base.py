"""The base ``Layer`` and the ``LAYERS`` registry every layer adds itself to."""

from __future__ import annotations

import re
from typing import Any

import numpy as np

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
