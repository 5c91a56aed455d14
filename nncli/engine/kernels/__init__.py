"""Fused element-wise kernels for training, compiled with numba, and when to load them.

The kernels (``fused.py``) do in one pass what the NumPy code of the optimizers, layers and
losses does in several: an optimizer step reads each parameter, gradient and state value once
and writes it once; a Dense layer adds its bias and applies relu in the same pass. They perform
the same IEEE operations in the same order as that NumPy code (numba without fastmath does not
reorder or contract ``a * b + c``), so both give the same bits; ``tests/engine/test_kernels.py``
checks every kernel against it. The NumPy code stays as the reference, for prediction, and for
fits too small to pay for numba.

Numba costs about 0.35 s per process (0.15 s to import, 0.2 s to set up its compiler on the
first call, even when every kernel is loaded from the on-disk cache) and about 130 MiB of
resident memory (``libllvmlite.so`` alone is 68 MiB). A fit whose kernels would save less than
that runs on NumPy (same results, bit for bit); once loaded they serve every later fit of the
process. ``nncli --help``, ``summary`` and ``runs`` never import numba.
"""

from __future__ import annotations

from types import ModuleType

#: The compiled kernels once loaded, else None. Read by the hot path on every call.
compiled: ModuleType | None = None
#: Why loading failed (numba missing or broken): training then stays on NumPy, same results.
unavailable: str | None = None

#: Seconds numba costs a process before the first kernel runs (import + compiler set-up,
#: kernels cached on disk), measured on the 2-core benchmark machine.
STARTUP_SECONDS = 0.35
#: Estimated seconds a kernel step saves over NumPy: a fixed part (about 25 NumPy calls of
#: ~0.5 us each become 5 kernel calls) and a part per parameter (the optimizer's 12 passes
#: become one), from benchmarks/bench.py's W1, W3 and W2.
SAVED_PER_STEP = 10e-6
SAVED_PER_PARAMETER = 1.5e-9

_expected_saving = 0.0


def load() -> ModuleType | None:
    """Load (and, the first time after an install, compile) the kernels; None if numba is
    unavailable."""
    global compiled, unavailable
    if compiled is None and unavailable is None:
        try:
            from nncli.engine.kernels import fused as module
        except ImportError as error:
            unavailable = f"{type(error).__name__}: {error}"
            return None
        compiled = module
    return compiled


def expected_saving(n_steps: int, n_parameters: int) -> float:
    """Seconds the kernels would save over ``n_steps`` training steps of a model of
    ``n_parameters`` trainable parameters (a rough, deliberately simple model)."""
    return n_steps * (SAVED_PER_STEP + SAVED_PER_PARAMETER * n_parameters)


def load_if_worth_it(n_steps: int, n_parameters: int) -> ModuleType | None:
    """Load the kernels once the training asked of this process (this fit and the earlier
    ones) would save more than numba's start-up costs; the kernels, or None."""
    global _expected_saving
    if compiled is None:
        _expected_saving += expected_saving(n_steps, n_parameters)
        if _expected_saving >= STARTUP_SECONDS:
            load()
    return compiled
