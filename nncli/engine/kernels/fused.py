"""The numba kernels: optimizer updates, Dense element-wise work, loss gradients, batch gather.

Every kernel repeats, element by element, the IEEE operations of the NumPy code it replaces, in
the same order and in the array's dtype (scalars arrive as a ``constants`` array of that dtype,
as NumPy casts Python floats to it), so the two give the same bits. Compiled without fastmath
(no reordering, no fused multiply-add) and with NumPy's error model (division by zero gives
inf/nan instead of raising, which also lets the loops vectorise). Compiled code is cached on
disk (``cache=True``): the first training after an install compiles, later ones load.

A ``*_parallel`` kernel splits the same loop over the threads of numba's pool, each element
computed by one thread as in the serial kernel (same bits); callers use it for long vectors
only, where it beats the launch cost of a few microseconds, and hold ``PARALLEL_LOCK`` while it
runs (numba's default "workqueue" pool must not be entered by two Python threads at once).
"""

from __future__ import annotations

import os
import threading

#: Numba's pool size unless the user set NUMBA_NUM_THREADS: the parallel kernels are
#: memory-bound passes of a few MB, and the BLAS threads need the same cores right after.
MAX_THREADS = 2
os.environ.setdefault("NUMBA_NUM_THREADS", str(max(1, min(os.cpu_count() or 1, MAX_THREADS))))
# Numba picks GNU OpenMP when libgomp loads (PyTorch and scikit-learn bring it), whose threads
# keep spinning after each parallel loop and take the cores OpenBLAS needs for the next matrix
# product: W2 epochs took 5.5 s instead of ~0.6. The workqueue pool sleeps between loops.
os.environ.setdefault("NUMBA_THREADING_LAYER", "workqueue")

import numba  # noqa: E402
import numpy as np  # noqa: E402

PARALLEL_LOCK = threading.Lock()

_OPTIONS = {"cache": True, "nogil": True, "error_model": "numpy"}
kernel = numba.njit(**_OPTIONS)
parallel_kernel = numba.njit(parallel=True, **_OPTIONS)
element = numba.njit(inline="always", error_model="numpy")


# -- optimizers: one element of one step --------------------------------------------------------
# ``c`` holds the step's constants in the parameters' dtype, in the order each rule documents.


@element
def _sgd_at(i, params, grads, c):
    # c: learning_rate
    params[i] = params[i] - grads[i] * c[0]


@element
def _sgd_momentum_at(i, params, grads, velocity, c):
    # c: learning_rate, momentum
    step = grads[i] * c[0]
    speed = velocity[i] * c[1] - step
    velocity[i] = speed
    params[i] = params[i] + speed


@element
def _sgd_nesterov_at(i, params, grads, velocity, c):
    # c: learning_rate, momentum
    step = grads[i] * c[0]
    speed = velocity[i] * c[1] - step
    velocity[i] = speed
    params[i] = params[i] + (c[1] * speed - step)


@element
def _adam_at(i, params, grads, m, v, c):
    # c: 1 - beta_1, 1 - beta_2, epsilon, step size, decay factor (AdamW; 1 for Adam: x * 1 == x)
    g = grads[i]
    m_i = m[i] + (g - m[i]) * c[0]
    v_i = v[i] + (g * g - v[i]) * c[1]
    m[i] = m_i
    v[i] = v_i
    params[i] = params[i] * c[4] - (m_i / (np.sqrt(v_i) + c[2])) * c[3]


@element
def _adam_amsgrad_at(i, params, grads, m, v, v_hat, c):
    g = grads[i]
    m_i = m[i] + (g - m[i]) * c[0]
    v_i = v[i] + (g * g - v[i]) * c[1]
    peak = v_hat[i]
    if not (peak >= v_i or peak != peak):  # np.maximum: the larger, NaN if either is NaN
        peak = v_i
    m[i] = m_i
    v[i] = v_i
    v_hat[i] = peak
    params[i] = params[i] * c[4] - (m_i / (np.sqrt(peak) + c[2])) * c[3]


@element
def _rmsprop_at(i, params, grads, velocity, average, momentum, c, centered, with_momentum):
    # c: learning_rate, rho, 1 - rho, epsilon, momentum
    g = grads[i]
    v_i = velocity[i] * c[1] + c[2] * (g * g)
    velocity[i] = v_i
    denominator = v_i
    if centered:
        a_i = average[i] * c[1] + c[2] * g
        average[i] = a_i
        denominator = v_i - a_i * a_i
    increment = c[0] * g / np.sqrt(denominator + c[3])
    if with_momentum:
        increment = momentum[i] * c[4] + increment
        momentum[i] = increment
    params[i] = params[i] - increment


@element
def _adagrad_at(i, params, grads, accumulator, c):
    # c: learning_rate, epsilon
    g = grads[i]
    total = accumulator[i] + g * g
    accumulator[i] = total
    params[i] = params[i] - c[0] * g / np.sqrt(total + c[1])


@element
def _nadam_at(i, params, grads, m, v, c):
    # c: 1 - beta_1, 1 - beta_2, u_next, 1 - u_product_next, 1 - u, 1 - u_product,
    #    1 - beta_2^t, learning_rate, epsilon
    g = grads[i]
    m_i = m[i] + c[0] * (g - m[i])
    v_i = v[i] + c[1] * (g * g - v[i])
    m[i] = m_i
    v[i] = v_i
    m_hat = c[2] * m_i / c[3] + c[4] * g / c[5]
    params[i] = params[i] - c[7] * m_hat / (np.sqrt(v_i / c[6]) + c[8])


# -- optimizers: the loops ----------------------------------------------------------------------


@kernel
def sgd(params, grads, c):
    for i in range(params.size):
        _sgd_at(i, params, grads, c)


@parallel_kernel
def sgd_parallel(params, grads, c):
    for i in numba.prange(params.size):
        _sgd_at(i, params, grads, c)


@kernel
def sgd_momentum(params, grads, velocity, c):
    for i in range(params.size):
        _sgd_momentum_at(i, params, grads, velocity, c)


@parallel_kernel
def sgd_momentum_parallel(params, grads, velocity, c):
    for i in numba.prange(params.size):
        _sgd_momentum_at(i, params, grads, velocity, c)


@kernel
def sgd_nesterov(params, grads, velocity, c):
    for i in range(params.size):
        _sgd_nesterov_at(i, params, grads, velocity, c)


@parallel_kernel
def sgd_nesterov_parallel(params, grads, velocity, c):
    for i in numba.prange(params.size):
        _sgd_nesterov_at(i, params, grads, velocity, c)


@kernel
def adam(params, grads, m, v, c):
    for i in range(params.size):
        _adam_at(i, params, grads, m, v, c)


@parallel_kernel
def adam_parallel(params, grads, m, v, c):
    for i in numba.prange(params.size):
        _adam_at(i, params, grads, m, v, c)


@kernel
def adam_amsgrad(params, grads, m, v, v_hat, c):
    for i in range(params.size):
        _adam_amsgrad_at(i, params, grads, m, v, v_hat, c)


@parallel_kernel
def adam_amsgrad_parallel(params, grads, m, v, v_hat, c):
    for i in numba.prange(params.size):
        _adam_amsgrad_at(i, params, grads, m, v, v_hat, c)


@kernel
def rmsprop(params, grads, velocity, average, momentum, c, centered, with_momentum):
    for i in range(params.size):
        _rmsprop_at(i, params, grads, velocity, average, momentum, c, centered, with_momentum)


@parallel_kernel
def rmsprop_parallel(params, grads, velocity, average, momentum, c, centered, with_momentum):
    for i in numba.prange(params.size):
        _rmsprop_at(i, params, grads, velocity, average, momentum, c, centered, with_momentum)


@kernel
def adagrad(params, grads, accumulator, c):
    for i in range(params.size):
        _adagrad_at(i, params, grads, accumulator, c)


@parallel_kernel
def adagrad_parallel(params, grads, accumulator, c):
    for i in numba.prange(params.size):
        _adagrad_at(i, params, grads, accumulator, c)


@kernel
def nadam(params, grads, m, v, c):
    for i in range(params.size):
        _nadam_at(i, params, grads, m, v, c)


@parallel_kernel
def nadam_parallel(params, grads, m, v, c):
    for i in numba.prange(params.size):
        _nadam_at(i, params, grads, m, v, c)


# -- Dense layers -------------------------------------------------------------------------------
# z, grad: (n_rows, units) C-contiguous; bias, grad_bias: (units,). Relu is ``z * (z > 0)`` as in
# activations.ReLU (negatives give -0.0, NaN stays NaN); the float64 literals are exact here.


@kernel
def bias_relu(z, bias):
    """``z = relu(z + bias)`` in place."""
    n_rows, units = z.shape
    for row in range(n_rows):
        for unit in range(units):
            value = z[row, unit] + bias[unit]
            z[row, unit] = value * (1.0 if value > 0 else 0.0)


@kernel
def bias_gradient(grad, grad_bias):
    """``grad_bias = np.add.reduce(grad, axis=0)`` for two columns or more, with NumPy's order
    of additions: from 0, row after row. (One column is a contiguous run, which NumPy sums
    pairwise: callers leave that case to NumPy.)"""
    n_rows, units = grad.shape
    grad_bias[:] = 0
    for row in range(n_rows):
        for unit in range(units):
            grad_bias[unit] += grad[row, unit]


@kernel
def relu_backward(grad, a, one, grad_bias):
    """``grad *= a > 0`` in place (the pre-activation gradient), and its column sums into
    ``grad_bias`` (skipped when ``grad_bias`` is empty: no bias, or one column). ``one``, unused
    here, keeps the signature of the other activations' backward kernels."""
    n_rows, units = grad.shape
    for row in range(n_rows):
        for unit in range(units):
            grad[row, unit] = grad[row, unit] * (1.0 if a[row, unit] > 0 else 0.0)
    if grad_bias.size:
        bias_gradient(grad, grad_bias)


@kernel
def tanh_backward(grad, a, one, grad_bias):
    """``grad = grad * (1 - a * a)`` in place, then the bias gradient as ``relu_backward``
    (``one`` is 1 in the arrays' dtype, as NumPy reads the literal)."""
    n_rows, units = grad.shape
    for row in range(n_rows):
        for unit in range(units):
            value = a[row, unit]
            grad[row, unit] = grad[row, unit] * (one - value * value)
    if grad_bias.size:
        bias_gradient(grad, grad_bias)


@kernel
def sigmoid_backward(grad, a, one, grad_bias):
    """``grad = grad * a * (1 - a)`` in place, then the bias gradient as ``relu_backward``."""
    n_rows, units = grad.shape
    for row in range(n_rows):
        for unit in range(units):
            value = a[row, unit]
            grad[row, unit] = grad[row, unit] * value * (one - value)
    if grad_bias.size:
        bias_gradient(grad, grad_bias)


# -- softmax (exp stays NumPy's: its bits are not libm's) ---------------------------------------

#: Rows of at most this many values are summed by NumPy as one block (eight partial sums); the
#: softmax kernels repeat that order and leave longer rows to NumPy.
PAIRWISE_BLOCK = 128


@kernel
def bias_shift_by_row_max(z, bias, out):
    """``z += bias``, then ``out = z - z.max(axis=-1, keepdims=True)`` (``out`` may be ``z``)."""
    n_rows, units = z.shape
    for row in range(n_rows):
        peak = z[row, 0] + bias[0]
        for unit in range(units):
            value = z[row, unit] + bias[unit]
            z[row, unit] = value
            if not (peak >= value or peak != peak):  # np.maximum: NaN if either is NaN
                peak = value
        for unit in range(units):
            out[row, unit] = z[row, unit] - peak


@element
def _row_sum(values, row, zero):
    """NumPy's ``values[row].sum()`` for a contiguous row of at most PAIRWISE_BLOCK values: from
    0, one by one below 8 values, else 8 partial sums combined as a tree, then the rest."""
    units = values.shape[1]
    if units < 8:
        total = zero
        for unit in range(units):
            total += values[row, unit]
        return total
    r0, r1, r2, r3 = values[row, 0], values[row, 1], values[row, 2], values[row, 3]
    r4, r5, r6, r7 = values[row, 4], values[row, 5], values[row, 6], values[row, 7]
    unit = 8
    while unit < units - units % 8:
        r0 += values[row, unit]
        r1 += values[row, unit + 1]
        r2 += values[row, unit + 2]
        r3 += values[row, unit + 3]
        r4 += values[row, unit + 4]
        r5 += values[row, unit + 5]
        r6 += values[row, unit + 6]
        r7 += values[row, unit + 7]
        unit += 8
    total = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while unit < units:
        total += values[row, unit]
        unit += 1
    return zero + total


@kernel
def divide_by_row_sum(values):
    """``values /= values.sum(axis=-1, keepdims=True)`` for rows of at most PAIRWISE_BLOCK."""
    zero = np.zeros(1, values.dtype)[0]
    for row in range(values.shape[0]):
        total = _row_sum(values, row, zero)
        for unit in range(values.shape[1]):
            values[row, unit] = values[row, unit] / total


# -- losses -------------------------------------------------------------------------------------


@kernel
def scaled_difference(probabilities, targets, scale, out):
    """``out = (probabilities - targets) * scale[0]``: the fused cross-entropy gradient."""
    n_rows, units = out.shape
    for row in range(n_rows):
        for unit in range(units):
            out[row, unit] = (probabilities[row, unit] - targets[row, unit]) * scale[0]


@kernel
def weighted_difference(probabilities, targets, weights, divisor, out):
    """``out = (probabilities - targets) * (weights / divisor[0])`` per row."""
    n_rows, units = out.shape
    for row in range(n_rows):
        factor = weights[row] / divisor[0]
        for unit in range(units):
            out[row, unit] = (probabilities[row, unit] - targets[row, unit]) * factor


# -- the batch gather ---------------------------------------------------------------------------


@kernel
def gather_rows(source, order, start, out):
    """``out[r] = source[order[start + r]]`` for every row of ``out`` (``np.take`` on axis 0).

    One thread: on W2's shuffled 128 x 784 batches from 188 MB of rows the copy is bound by
    memory (60 us, np.take 64), and a second thread gained nothing; on W1's 16 x 713, 1.5 us
    against np.take's 4.3. The explicit loop vectorises; a slice assignment per row did not.
    """
    n_columns = out.shape[1]
    for row in range(out.shape[0]):
        source_row = order[start + row]
        for column in range(n_columns):
            out[row, column] = source[source_row, column]
