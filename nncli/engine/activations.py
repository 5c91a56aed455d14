"""Activation functions: name → object with a forward pass and its derivative.

Each activation maps pre-activations ``z`` of shape ``(n_samples, units)`` to outputs ``a`` of
the same shape. ``backward(z, a, grad_a)`` returns the gradient with respect to ``z`` given the
gradient with respect to ``a``; implementations use whichever of ``z`` and ``a`` is cheaper.
``forward(z, out)`` may write into ``out`` (which may be ``z`` itself) so the training loop
allocates nothing.

A Dense layer calls ``forward_with_bias`` and ``backward_with_bias``, which add the bias before
and sum the bias gradient after. Given the loaded kernels (``kernels.compiled``), an activation
may do that work in fewer passes with them (relu: one pass each way); they give the bits of the
NumPy code here, which stays the reference and the path without kernels.
"""

from __future__ import annotations

import math

import numpy as np

from nncli.registry import Registry

ACTIVATIONS = Registry("activation")

_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class Activation:
    """Base class: ``__call__(z)`` returns a new array; subclasses define forward/backward."""

    name = ""
    #: True when ``backward`` needs the pre-activation ``z`` (False: the output ``a`` suffices).
    needs_z = False

    def __call__(self, z: np.ndarray) -> np.ndarray:
        z = np.asarray(z, dtype=np.result_type(z, np.float32))
        return self.forward(z, out=np.empty_like(z))

    def forward(self, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        raise NotImplementedError

    def backward(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray) -> np.ndarray:
        raise NotImplementedError

    def forward_with_bias(self, z: np.ndarray, bias: np.ndarray, out: np.ndarray, compiled=None) -> np.ndarray:
        """``forward(z + bias)`` into ``out`` (``z`` itself or another array of its shape),
        leaving ``z + bias`` in ``z``. ``compiled``: the loaded kernels, or None."""
        z += bias
        return self.forward(z, out=out)

    def backward_with_bias(self, z: np.ndarray, a: np.ndarray, grad_a: np.ndarray, grad_bias: np.ndarray | None,
                           compiled=None) -> tuple[np.ndarray, bool]:
        """``backward(z, a, grad_a)`` (``grad_a`` may be overwritten), and whether the column
        sums of the result are already in ``grad_bias`` (a kernel does both in one pass)."""
        return self.backward(z, a, grad_a), False

    def get_config(self) -> str:
        return self.name

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


def _target(z: np.ndarray, out: np.ndarray | None) -> np.ndarray:
    return z if out is None else out


def _fused_backward(kernel, a: np.ndarray, grad_a: np.ndarray, grad_bias: np.ndarray | None) -> tuple[np.ndarray, bool]:
    """Run ``kernel(grad_a, a, one, grad_bias)``: ``grad_a`` becomes the pre-activation
    gradient in place, its column sums go into ``grad_bias``. One column is left to NumPy,
    which sums a contiguous run pairwise."""
    summed = grad_bias is not None and grad_bias.size > 1
    kernel(grad_a, a, a.dtype.type(1), grad_bias if summed else grad_a[0, :0])
    return grad_a, summed


@ACTIVATIONS.register("linear", "identity", "none")
class Linear(Activation):
    def forward(self, z, out=None):
        if out is None or out is z:
            return z
        np.copyto(out, z)
        return out

    def backward(self, z, a, grad_a):
        return grad_a


@ACTIVATIONS.register("relu")
class ReLU(Activation):
    def forward(self, z, out=None):
        # z * (z > 0) is about 40% faster than np.maximum(z, 0) on float32 here (measured
        # 6.2 vs 10.3 us for 128x256); negatives become -0.0, which computes like 0.0.
        return np.multiply(z, z > 0, out=_target(z, out))

    def backward(self, z, a, grad_a):
        # In place: grad_a is a scratch buffer owned by the caller.
        grad_a *= a > 0
        return grad_a

    def forward_with_bias(self, z, bias, out, compiled=None):
        if compiled is None or out is not z:
            return super().forward_with_bias(z, bias, out)
        compiled.bias_relu(z, bias)
        return z

    def backward_with_bias(self, z, a, grad_a, grad_bias, compiled=None):
        if compiled is None:
            return super().backward_with_bias(z, a, grad_a, grad_bias)
        return _fused_backward(compiled.relu_backward, a, grad_a, grad_bias)


def sigmoid(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """The logistic function, stable for large |z|; a new array unless ``out`` is given.

    The one sigmoid of nncli: the activation, the losses on logits and the probabilities of a
    ``from_logits`` model all call it.
    """
    # SciPy (a scikit-learn dependency) has the stable logistic ufunc; imported on first use.
    from scipy.special import expit

    return expit(z, out=out)


def softmax(z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """Softmax over the last axis, shifted by the row maximum; a new array unless ``out``."""
    if out is None:
        out = np.empty_like(z)
    np.subtract(z, z.max(axis=-1, keepdims=True), out=out)
    np.exp(out, out=out)
    out /= out.sum(axis=-1, keepdims=True)
    return out


@ACTIVATIONS.register("sigmoid")
class Sigmoid(Activation):
    """Logistic sigmoid, stable for large |z| (no overflow in exp).

    No fused forward: a kernel's exp is not SciPy's, so it would not give the same bits.
    """

    def forward(self, z, out=None):
        return sigmoid(z, out=_target(z, out))

    def backward(self, z, a, grad_a):
        return grad_a * a * (1.0 - a)

    def backward_with_bias(self, z, a, grad_a, grad_bias, compiled=None):
        if compiled is None:
            return super().backward_with_bias(z, a, grad_a, grad_bias)
        return _fused_backward(compiled.sigmoid_backward, a, grad_a, grad_bias)


@ACTIVATIONS.register("tanh")
class Tanh(Activation):
    def forward(self, z, out=None):
        return np.tanh(z, out=_target(z, out))

    def backward(self, z, a, grad_a):
        return grad_a * (1.0 - a * a)

    def backward_with_bias(self, z, a, grad_a, grad_bias, compiled=None):
        if compiled is None:
            return super().backward_with_bias(z, a, grad_a, grad_bias)
        return _fused_backward(compiled.tanh_backward, a, grad_a, grad_bias)


@ACTIVATIONS.register("softmax")
class Softmax(Activation):
    """Softmax over the last axis, shifted by the row maximum for stability."""

    def forward(self, z, out=None):
        return softmax(z, out=_target(z, out))

    def backward(self, z, a, grad_a):
        return a * (grad_a - (grad_a * a).sum(axis=-1, keepdims=True))

    def forward_with_bias(self, z, bias, out, compiled=None):
        # exp stays NumPy's; the kernels add the bias and shift by the row maximum in one pass,
        # then sum each row the way NumPy does (pairwise, up to 128 classes) and divide.
        if compiled is None or z.shape[1] > compiled.PAIRWISE_BLOCK:
            return super().forward_with_bias(z, bias, out)
        compiled.bias_shift_by_row_max(z, bias, out)
        np.exp(out, out=out)
        compiled.divide_by_row_sum(out)
        return out


@ACTIVATIONS.register("leaky_relu")
class LeakyReLU(Activation):
    """Keras 3 default ``negative_slope=0.2``."""

    needs_z = True
    negative_slope = 0.2

    def forward(self, z, out=None):
        values = np.where(z > 0, z, self.negative_slope * z)
        return values if out is None else _into(values, out)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(z > 0, 1.0, self.negative_slope)


def _into(values: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.copyto(out, values)
    return out


@ACTIVATIONS.register("elu")
class ELU(Activation):
    needs_z = True
    alpha = 1.0

    def forward(self, z, out=None):
        values = np.where(z > 0, z, self.alpha * np.expm1(np.minimum(z, 0)))
        return values if out is None else _into(values, out)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(z > 0, 1.0, a + self.alpha)


@ACTIVATIONS.register("selu")
class SELU(Activation):
    needs_z = True

    def forward(self, z, out=None):
        values = _SELU_SCALE * np.where(z > 0, z, _SELU_ALPHA * np.expm1(np.minimum(z, 0)))
        return values if out is None else _into(values, out)

    def backward(self, z, a, grad_a):
        return grad_a * np.where(z > 0, _SELU_SCALE, a + _SELU_SCALE * _SELU_ALPHA)


@ACTIVATIONS.register("softplus")
class Softplus(Activation):
    """log(1 + exp(z)), computed as logaddexp(0, z) so large z does not overflow."""

    needs_z = True

    def forward(self, z, out=None):
        return np.logaddexp(0.0, z, out=_target(z, out))

    def backward(self, z, a, grad_a):
        return grad_a * sigmoid(z)


def _erf(x: np.ndarray) -> np.ndarray:
    # SciPy comes with scikit-learn; imported here so that other activations do not pay for it.
    from scipy.special import erf

    return erf(x)


@ACTIVATIONS.register("gelu")
class GELU(Activation):
    """Gaussian error linear unit, the exact erf form (Keras's default ``approximate=False``)."""

    needs_z = True

    def forward(self, z, out=None):
        values = 0.5 * z * (1.0 + _erf(z / math.sqrt(2.0)))
        return values if out is None else _into(values, out)

    def backward(self, z, a, grad_a):
        cdf = 0.5 * (1.0 + _erf(z / math.sqrt(2.0)))
        pdf = np.exp(-0.5 * z * z) / math.sqrt(2.0 * math.pi)
        return grad_a * (cdf + z * pdf)


@ACTIVATIONS.register("swish", "silu")
class Swish(Activation):
    """z · sigmoid(z) (Keras's ``silu``/``swish``)."""

    needs_z = True

    def forward(self, z, out=None):
        values = z * sigmoid(z)
        return values if out is None else _into(values, out)

    def backward(self, z, a, grad_a):
        s = sigmoid(z)
        return grad_a * (s + z * s * (1.0 - s))


def get(identifier: str | Activation | None) -> Activation:
    """An activation from its name (``None`` means linear) or an ``Activation`` object."""
    if identifier is None:
        return Linear()
    if isinstance(identifier, Activation):
        return identifier
    return ACTIVATIONS[identifier]()
