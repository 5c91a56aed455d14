"""Per-shape timings of nncli's fused kernels against the NumPy code they replace.

For the shapes of the benchmark's workloads (W1: batch 16, Dense 20-10-1; W3: batch 32, Dense
64-10; W2: batch 128, Dense 256-128-10, 235,146 parameters), each fused kernel and the NumPy
calls it stands for are timed in this process, interleaved, best of several rounds of many
calls (the minimum is the figure least disturbed by a busy machine). The two must give the same
bits; tests/engine/test_kernels.py checks that, this script only times.

Usage::

    python benchmarks/kernels.py            # about 20 s
"""

from __future__ import annotations

import os

os.environ.setdefault("OPENBLAS_NUM_THREADS", "2")

import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Callable  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from nncli.engine import activations, kernels, optimizers  # noqa: E402

ROUNDS, CALLS = 7, 300


def best_microseconds(function: Callable[[], object], calls: int = CALLS) -> float:
    function()
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.perf_counter()
        for _ in range(calls):
            function()
        best = min(best, (time.perf_counter() - started) / calls)
    return best * 1e6


def layer_cases(compiled) -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    rng = np.random.default_rng(0)
    relu, softmax = activations.get("relu"), activations.get("softmax")
    cases = []
    for rows, units in ((16, 20), (32, 64), (128, 256), (128, 128)):
        z = rng.standard_normal((rows, units)).astype(np.float32)
        bias, grad_bias = np.zeros(units, np.float32), np.empty(units, np.float32)
        grad = rng.standard_normal((rows, units)).astype(np.float32)
        cases.append((f"bias + relu {rows}x{units}", lambda z=z, b=bias: relu.forward_with_bias(z, b, z),
                      lambda z=z, b=bias: relu.forward_with_bias(z, b, z, compiled)))
        cases.append((f"relu backward + bias grad {rows}x{units}",
                      lambda g=grad, a=z, gb=grad_bias: (relu.backward(None, a, g), np.add.reduce(g, axis=0, out=gb)),
                      lambda g=grad, a=z, gb=grad_bias: relu.backward_with_bias(None, a, g, gb, compiled)))
    for rows, units in ((32, 10), (128, 10)):
        z = rng.standard_normal((rows, units)).astype(np.float32)
        out, bias = np.empty_like(z), np.zeros(units, np.float32)
        cases.append((f"bias + softmax {rows}x{units}", lambda z=z, o=out, b=bias: softmax.forward_with_bias(z, b, o),
                      lambda z=z, o=out, b=bias: softmax.forward_with_bias(z, b, o, compiled)))
    for rows, features, n_samples in ((16, 713, 574), (32, 64, 1347), (128, 784, 60_000)):
        source = rng.standard_normal((n_samples, features)).astype(np.float32)
        order, out = rng.permutation(n_samples), np.empty((rows, features), np.float32)
        starts = range(0, n_samples - rows, rows)
        cases.append((f"epoch of batch gathers {rows}x{features}",
                      lambda s=source, o=order, b=out, r=starts: [np.take(s, o[i:i + len(b)], axis=0, out=b) for i in r],
                      lambda s=source, o=order, b=out, r=starts: [compiled.gather_rows(s, o, i, b) for i in r]))
    return cases


def optimizer_cases() -> list[tuple[str, Callable[[], object], Callable[[], object]]]:
    cases = []
    for size in (14_501, 235_146):
        params = np.zeros(size, np.float32)
        grads = np.random.default_rng(1).standard_normal(size).astype(np.float32)
        optimizer = optimizers.get("adam")
        optimizer.build(size)

        def step(on: bool, optimizer=optimizer, params=params, grads=grads, module=kernels.compiled) -> None:
            kernels.compiled = module if on else None
            optimizer.apply(params, grads)

        cases.append((f"adam step, {size:,} parameters", lambda s=step: s(False), lambda s=step: s(True)))
    return cases


def main() -> int:
    compiled = kernels.load()
    if compiled is None:
        print(f"the kernels do not load: {kernels.unavailable}", file=sys.stderr)
        return 1
    print(f"{'work':40s} {'NumPy':>10s} {'kernel':>10s} {'ratio':>7s}")
    for name, numpy_version, kernel_version in layer_cases(compiled) + optimizer_cases():
        calls = 3 if name.startswith("epoch") else CALLS
        numpy_us, kernel_us = best_microseconds(numpy_version, calls), best_microseconds(kernel_version, calls)
        print(f"{name:40s} {numpy_us:8.2f}us {kernel_us:8.2f}us {numpy_us / kernel_us:6.1f}x")
    kernels.compiled = compiled
    return 0


if __name__ == "__main__":
    sys.exit(main())
