"""Optimizers with Keras's names, defaults and update rules, on one flat parameter vector.

The model keeps every trainable parameter in one contiguous 1-D array and every gradient in
another, so ``apply(params, grads)`` is a handful of vectorised operations per step, whatever
the number of layers (one call of a fused kernel once training has loaded them, the same bits). State (moments, step count) lives in flat arrays of the same size and can
be saved and restored exactly with ``get_state``/``set_state``.

Rules (``t`` is the 1-based step, ``g`` the gradient, ``lr`` the learning rate):

- SGD: ``w -= lr g``; with momentum ``m = μ m - lr g`` then ``w += m`` (nesterov:
  ``w += μ m - lr g``).
- Adam: ``m += (1-β1)(g-m)``, ``v += (1-β2)(g²-v)``,
  ``w -= lr √(1-β2^t)/(1-β1^t) · m / (√v + ε)`` (amsgrad keeps the running max of ``v``).
- AdamW: Adam after ``w -= w · weight_decay · lr``.
- RMSprop: ``v = ρ v + (1-ρ) g²``; ``w -= lr g / √(v + ε)`` (ε inside the root; ``centered``
  subtracts the square of the running mean gradient; ``momentum`` accumulates the increments).
- Adagrad: ``a += g²``; ``w -= lr g / √(a + ε)``.
- Nadam: Adam with Nesterov momentum and Keras 3's momentum schedule
  ``μ_t = β1 (1 - 0.5 · 0.96^t)``.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from nncli.engine import kernels
from nncli.errors import ConfigError
from nncli.registry import Registry

OPTIMIZERS = Registry("optimizer")

#: Parameter vectors at least this long are updated by the parallel kernel (both cores); below
#: it, the launch (~2 us) costs more than it saves (measured: 14,501 Adam parameters take 5.7 us
#: on one core, 5.3 on two; 235,146 take 126 and 51). Each element's arithmetic is the same.
PARALLEL_MIN_SIZE = 1 << 15


def _positive(name: str, value: float) -> float:
    value = float(value)
    if not value > 0 or not math.isfinite(value):
        raise ConfigError(f"{name} must be a positive number. Received: {name}={value}")
    return value


def _fraction(name: str, value: float, *, closed: bool = False) -> float:
    value = float(value)
    upper_ok = value <= 1.0 if closed else value < 1.0
    if not (value >= 0.0 and upper_ok):
        bound = "[0, 1]" if closed else "[0, 1)"
        raise ConfigError(f"{name} must be in {bound}. Received: {name}={value}")
    return value


class Optimizer:
    """Base class: holds the learning rate and the step count; subclasses hold moments.

    A subclass gives ``_constants(step)``, the scalars of one step (computed once),
    ``_update(params, grads, state, scratch, constants)``, the element-wise rule in NumPy, and
    ``_kernel(constants)``, the same rule as a call of a fused kernel (``kernels.compiled``,
    used once training has loaded it; the same bits, in one pass instead of about twelve).
    """

    name = ""
    #: Names of the state arrays, each the size of the parameter vector.
    slots: tuple[str, ...] = ()

    def __init__(self, learning_rate: float = 0.001) -> None:
        self.learning_rate = _positive("learning_rate", learning_rate)
        self.iterations = 0
        self._state: dict[str, np.ndarray] = {}
        self._scratch: np.ndarray | None = None

    def build(self, size: int, dtype=np.float32) -> None:
        """Allocate the state for ``size`` parameters (called once by the model)."""
        self._state = {slot: np.zeros(size, dtype=dtype) for slot in self.slots}
        self._scratch = np.zeros(size, dtype=dtype)
        self._init_state()
        self.iterations = 0

    def _init_state(self) -> None:
        """Hook for state that does not start at zero."""

    def apply(self, params: np.ndarray, grads: np.ndarray) -> None:
        """One update of ``params`` (flat, in place) from ``grads``."""
        if self._scratch is None or self._scratch.size != params.size:
            self.build(params.size, params.dtype)
        self.iterations += 1
        constants = self._constants(self.iterations)
        compiled = kernels.compiled
        if compiled is None:
            self._update(params, grads, self._state, self._scratch, constants)
        else:
            self._apply_kernel(compiled, params, grads, constants)

    def _apply_kernel(self, compiled: Any, params: np.ndarray, grads: np.ndarray, constants: tuple) -> None:
        name, state, values, flags = self._kernel(constants)
        # The kernels read scalars in the parameters' dtype, as NumPy casts Python floats.
        values = np.array(values, dtype=params.dtype)
        if params.size < PARALLEL_MIN_SIZE:
            getattr(compiled, name)(params, grads, *state, values, *flags)
            return
        with compiled.PARALLEL_LOCK:
            getattr(compiled, name + "_parallel")(params, grads, *state, values, *flags)

    def _constants(self, step: int) -> tuple:
        return (self.learning_rate,)

    def _update(self, params, grads, state, scratch, constants) -> None:
        raise NotImplementedError

    def _kernel(self, constants: tuple) -> tuple[str, tuple, tuple, tuple]:
        """(kernel name, state arrays, scalars in the kernel's order, flags) for one step."""
        raise NotImplementedError

    def get_state(self) -> dict[str, np.ndarray]:
        """Every number needed to continue exactly: slots, step count and learning rate."""
        state = {f"opt_{slot}": array.copy() for slot, array in self._state.items()}
        state["opt_iterations"] = np.array(self.iterations, dtype=np.int64)
        state["opt_learning_rate"] = np.array(self.learning_rate, dtype=np.float64)
        return state

    def set_state(self, state: dict[str, np.ndarray]) -> None:
        for slot in self.slots:
            np.copyto(self._state[slot], state[f"opt_{slot}"])
        self.iterations = int(state["opt_iterations"])
        self.learning_rate = float(state["opt_learning_rate"])

    def get_config(self) -> dict[str, Any]:
        config = {"name": self.name}
        config.update({k: v for k, v in vars(self).items() if not k.startswith("_") and k != "iterations"})
        return config

    def __repr__(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.get_config().items() if k != "name")
        return f"{type(self).__name__}({args})"


@OPTIMIZERS.register("sgd", "SGD")
class SGD(Optimizer):
    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0, nesterov: bool = False) -> None:
        super().__init__(learning_rate)
        self.momentum = _fraction("momentum", momentum, closed=True)
        self.nesterov = bool(nesterov)
        self.slots = ("momentum",) if self.momentum else ()

    def _update(self, params, grads, state, scratch, constants):
        (lr,) = constants
        np.multiply(grads, lr, out=scratch)
        if not self.momentum:
            params -= scratch
            return
        velocity = state["momentum"]
        velocity *= self.momentum
        velocity -= scratch
        if self.nesterov:
            params += self.momentum * velocity - scratch
        else:
            params += velocity

    def _kernel(self, constants):
        (lr,) = constants
        if not self.momentum:
            return "sgd", (), (lr,), ()
        name = "sgd_nesterov" if self.nesterov else "sgd_momentum"
        return name, (self._state["momentum"],), (lr, self.momentum), ()


@OPTIMIZERS.register("adam", "Adam")
class Adam(Optimizer):
    def __init__(
        self,
        learning_rate: float = 0.001,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _fraction("beta_1", beta_1)
        self.beta_2 = _fraction("beta_2", beta_2)
        self.epsilon = _positive("epsilon", epsilon)
        self.amsgrad = bool(amsgrad)
        self.slots = ("m", "v") + (("v_hat",) if self.amsgrad else ())

    def _constants(self, step):
        return (self.learning_rate * math.sqrt(1.0 - self.beta_2**step) / (1.0 - self.beta_1**step),)

    def _update(self, params, grads, state, scratch, constants):
        (alpha,) = constants
        m, v = state["m"], state["v"]
        # m += (1 - β1)(g - m); v += (1 - β2)(g² - v), through one scratch vector, no allocation.
        np.subtract(grads, m, out=scratch)
        scratch *= 1.0 - self.beta_1
        m += scratch
        np.multiply(grads, grads, out=scratch)
        scratch -= v
        scratch *= 1.0 - self.beta_2
        v += scratch
        if self.amsgrad:
            v_hat = state["v_hat"]
            np.maximum(v_hat, v, out=v_hat)
            np.sqrt(v_hat, out=scratch)
        else:
            np.sqrt(v, out=scratch)
        scratch += self.epsilon
        np.divide(m, scratch, out=scratch)
        scratch *= alpha
        params -= scratch

    def _kernel(self, constants):
        (alpha,) = constants
        state = (self._state["m"], self._state["v"]) + ((self._state["v_hat"],) if self.amsgrad else ())
        values = (1.0 - self.beta_1, 1.0 - self.beta_2, self.epsilon, alpha, self._decay_factor())
        return ("adam_amsgrad" if self.amsgrad else "adam"), state, values, ()

    def _decay_factor(self) -> float:
        """What the parameters are multiplied by before the step (AdamW's decoupled decay)."""
        return 1.0


@OPTIMIZERS.register("adamw", "AdamW")
class AdamW(Adam):
    def __init__(
        self,
        learning_rate: float = 0.001,
        weight_decay: float = 0.004,
        beta_1: float = 0.9,
        beta_2: float = 0.999,
        epsilon: float = 1e-7,
        amsgrad: bool = False,
    ) -> None:
        super().__init__(learning_rate, beta_1, beta_2, epsilon, amsgrad)
        self.weight_decay = float(weight_decay)
        if not self.weight_decay >= 0:
            raise ConfigError(f"weight_decay must be >= 0. Received: weight_decay={weight_decay}")

    def _update(self, params, grads, state, scratch, constants):
        params *= self._decay_factor()
        super()._update(params, grads, state, scratch, constants)

    def _decay_factor(self):
        return 1.0 - self.weight_decay * self.learning_rate


@OPTIMIZERS.register("rmsprop", "RMSprop")
class RMSprop(Optimizer):
    def __init__(
        self,
        learning_rate: float = 0.001,
        rho: float = 0.9,
        momentum: float = 0.0,
        epsilon: float = 1e-7,
        centered: bool = False,
    ) -> None:
        super().__init__(learning_rate)
        self.rho = _fraction("rho", rho)
        self.momentum = _fraction("momentum", momentum, closed=True)
        self.epsilon = _positive("epsilon", epsilon)
        self.centered = bool(centered)
        self.slots = ("velocity",) + (("average_gradient",) if centered else ()) + (("momentum",) if self.momentum else ())

    def _update(self, params, grads, state, scratch, constants):
        (lr,) = constants
        velocity = state["velocity"]
        velocity *= self.rho
        velocity += (1.0 - self.rho) * np.square(grads)
        denominator = velocity
        if self.centered:
            average = state["average_gradient"]
            average *= self.rho
            average += (1.0 - self.rho) * grads
            denominator = velocity - np.square(average)
        increment = lr * grads / np.sqrt(denominator + self.epsilon)
        if self.momentum:
            momentum = state["momentum"]
            momentum *= self.momentum
            momentum += increment
            params -= momentum
        else:
            params -= increment

    def _kernel(self, constants):
        (lr,) = constants
        velocity = self._state["velocity"]
        # Slots a variant does not use are given as the velocity, never touched.
        average = self._state.get("average_gradient", velocity)
        momentum = self._state.get("momentum", velocity)
        values = (lr, self.rho, 1.0 - self.rho, self.epsilon, self.momentum)
        return "rmsprop", (velocity, average, momentum), values, (self.centered, bool(self.momentum))


@OPTIMIZERS.register("adagrad", "Adagrad")
class Adagrad(Optimizer):
    def __init__(self, learning_rate: float = 0.001, initial_accumulator_value: float = 0.1, epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.initial_accumulator_value = float(initial_accumulator_value)
        if not self.initial_accumulator_value >= 0:
            raise ConfigError(
                f"initial_accumulator_value must be >= 0. Received: initial_accumulator_value={initial_accumulator_value}"
            )
        self.epsilon = _positive("epsilon", epsilon)
        self.slots = ("accumulator",)

    def _init_state(self):
        self._state["accumulator"].fill(self.initial_accumulator_value)

    def _update(self, params, grads, state, scratch, constants):
        (lr,) = constants
        accumulator = state["accumulator"]
        accumulator += np.square(grads)
        params -= lr * grads / np.sqrt(accumulator + self.epsilon)

    def _kernel(self, constants):
        (lr,) = constants
        return "adagrad", (self._state["accumulator"],), (lr, self.epsilon), ()


@OPTIMIZERS.register("nadam", "Nadam")
class Nadam(Optimizer):
    def __init__(self, learning_rate: float = 0.001, beta_1: float = 0.9, beta_2: float = 0.999, epsilon: float = 1e-7) -> None:
        super().__init__(learning_rate)
        self.beta_1 = _fraction("beta_1", beta_1)
        self.beta_2 = _fraction("beta_2", beta_2)
        self.epsilon = _positive("epsilon", epsilon)
        self.slots = ("m", "v")
        self._u_product = 1.0

    def build(self, size, dtype=np.float32):
        super().build(size, dtype)
        self._u_product = 1.0

    def _constants(self, step):
        decay = 0.96
        u_t = self.beta_1 * (1.0 - 0.5 * decay**step)
        u_t_next = self.beta_1 * (1.0 - 0.5 * decay ** (step + 1))
        u_product_t = self._u_product * u_t
        self._u_product = u_product_t
        return (self.learning_rate, u_t, u_t_next, u_product_t, u_product_t * u_t_next, 1.0 - self.beta_2**step)

    def _update(self, params, grads, state, scratch, constants):
        lr, u_t, u_t_next, u_product_t, u_product_t_next, v_correction = constants
        m, v = state["m"], state["v"]
        m += (1.0 - self.beta_1) * (grads - m)
        v += (1.0 - self.beta_2) * (np.square(grads) - v)
        m_hat = u_t_next * m / (1.0 - u_product_t_next) + (1.0 - u_t) * grads / (1.0 - u_product_t)
        v_hat = v / v_correction
        params -= lr * m_hat / (np.sqrt(v_hat) + self.epsilon)

    def _kernel(self, constants):
        lr, u_t, u_t_next, u_product_t, u_product_t_next, v_correction = constants
        values = (1.0 - self.beta_1, 1.0 - self.beta_2, u_t_next, 1.0 - u_product_t_next, 1.0 - u_t,
                  1.0 - u_product_t, v_correction, lr, self.epsilon)
        return "nadam", (self._state["m"], self._state["v"]), values, ()

    def get_state(self):
        state = super().get_state()
        state["opt_u_product"] = np.array(self._u_product, dtype=np.float64)
        return state

    def set_state(self, state):
        super().set_state(state)
        self._u_product = float(state["opt_u_product"])


def get(identifier: str | dict | Optimizer) -> Optimizer:
    """An optimizer from a name, ``{"name": "adam", "learning_rate": 0.01}`` or an object."""
    return OPTIMIZERS.build(identifier, Optimizer)
