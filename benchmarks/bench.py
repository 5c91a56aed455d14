"""Speed benchmark: nncli against a plain NumPy loop, scikit-learn, PyTorch and bare matmuls.

Every peer trains the same dense network on the same float32 data in this one process,
interleaved (nncli, numpy, sklearn, torch, matmul, nncli, ...) over several repeats after one
untimed warm-up round, with 2 BLAS threads for everyone. The table shows the median seconds per
epoch, samples per second, the ratio to nncli, the final training loss and held-out accuracy.
Peak memory (W2, one fresh process per peer) and command start-up times follow.

Usage::

    python benchmarks/bench.py                      # full run (W2 takes a few minutes)
    python benchmarks/bench.py --quick              # under a minute
    python benchmarks/bench.py --quick --json --workloads W1,W3 --no-rss --no-startup

See benchmarks/README.md for what each column means.
"""

from __future__ import annotations

import os

# Thread counts must be fixed before NumPy (and its BLAS) is loaded. OPENBLAS_CORETYPE and
# OPENBLAS_L2_SIZE, when the machine sets them, are deliberately left as they are.
BLAS_THREADS = 2
THREAD_VARIABLES = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")
for _variable in THREAD_VARIABLES:
    os.environ[_variable] = str(BLAS_THREADS)

import argparse  # noqa: E402
import difflib  # noqa: E402
import gc  # noqa: E402
import importlib.util  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import shutil  # noqa: E402
import statistics  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import warnings  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any, Callable  # noqa: E402

import numpy as np  # noqa: E402

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))  # benchmark the working tree, installed or not

PEERS = ("nncli", "numpy", "sklearn", "torch", "matmul", "matmul-min")
RSS_PEERS = ("nncli", "numpy", "sklearn", "torch", "matmul")
SEED = 0
LEARNING_RATE = 0.001
ADAM_BETA_1 = 0.9
ADAM_BETA_2 = 0.999
ADAM_EPSILON = 1e-7  # Keras's default, used by every peer
OPENBLAS_HINTS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")

_THREADPOOL_LIMITER: Any = None  # kept alive so the limits stay applied


# --------------------------------------------------------------------------------------------
# Workloads and data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Workload:
    """One benchmark problem: data, network and training settings.

    ``layers`` lists ``(units, activation)`` from the first hidden layer to the output layer;
    ``loss`` is the Keras loss name, which also says whether labels are binary or integer classes.
    """

    name: str
    description: str
    layers: tuple[tuple[int, str], ...]
    loss: str
    batch_size: int
    epochs: int
    repeats: int
    quick_epochs: int
    quick_repeats: int


@dataclass
class Dataset:
    """Standardized float32 features and labels (int64), split into train and held-out parts."""

    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray | None
    y_test: np.ndarray | None

    @property
    def n_features(self) -> int:
        return int(self.x_train.shape[1])

    @property
    def n_train(self) -> int:
        return int(self.x_train.shape[0])

    @property
    def n_classes(self) -> int:
        return int(self.y_train.max()) + 1

    @property
    def nbytes(self) -> int:
        arrays = (self.x_train, self.y_train, self.x_test, self.y_test)
        return sum(array.nbytes for array in arrays if array is not None)


WORKLOADS: dict[str, Workload] = {
    "W1": Workload(
        "W1", "synthetic, 713 features, 2 classes, Dense 20-10-1 (relu, relu, sigmoid), batch 16",
        ((20, "relu"), (10, "relu"), (1, "sigmoid")), "binary_crossentropy", 16,
        epochs=20, repeats=5, quick_epochs=10, quick_repeats=3,
    ),
    "W2": Workload(
        "W2", "synthetic, 784 features, 10 classes, Dense 256-128-10 (relu, relu, softmax), batch 128",
        ((256, "relu"), (128, "relu"), (10, "softmax")), "sparse_categorical_crossentropy", 128,
        epochs=3, repeats=3, quick_epochs=2, quick_repeats=3,
    ),
    "W3": Workload(
        "W3", "scikit-learn digits, 64 features, 10 classes, Dense 64-10 (relu, softmax), batch 32",
        ((64, "relu"), (10, "softmax")), "sparse_categorical_crossentropy", 32,
        epochs=20, repeats=5, quick_epochs=5, quick_repeats=3,
    ),
}
W2_ROWS_FULL = 60_000
W2_ROWS_QUICK = 6_000
W2_TEST_ROWS = 10_000
W2_TEST_ROWS_QUICK = 2_000


def _standardized_split(
    features: np.ndarray, labels: np.ndarray, test_size: float | int
) -> Dataset:
    """Split with random_state 3, fit a StandardScaler on the training part only, cast to float32."""
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    x_train, x_test, y_train, y_test = train_test_split(
        features, labels, test_size=test_size, random_state=3
    )
    scaler = StandardScaler().fit(x_train)
    return Dataset(
        x_train=np.ascontiguousarray(scaler.transform(x_train), dtype=np.float32),
        y_train=np.asarray(y_train, dtype=np.int64),
        x_test=np.ascontiguousarray(scaler.transform(x_test), dtype=np.float32),
        y_test=np.asarray(y_test, dtype=np.int64),
    )


def make_w1() -> Dataset:
    """766 synthetic rows like the lecture's LFW set (713 features, 69 % majority), 574 for training."""
    from sklearn.datasets import make_classification

    features, labels = make_classification(
        n_samples=766, n_features=713, n_informative=50, n_redundant=0, weights=[0.31],
        class_sep=2.0, flip_y=0.01, random_state=SEED,
    )
    return _standardized_split(features, labels, test_size=0.25)


def make_w2(n_train: int, n_test: int) -> Dataset:
    """``n_train + n_test`` synthetic rows of 784 features in 10 classes."""
    from sklearn.datasets import make_classification

    features, labels = make_classification(
        n_samples=n_train + n_test, n_features=784, n_informative=60, n_redundant=0,
        n_classes=10, n_clusters_per_class=1, class_sep=2.0, random_state=SEED,
    )
    return _standardized_split(features.astype(np.float32), labels, test_size=n_test)


def make_w3() -> Dataset:
    """scikit-learn's digits, 75/25 split (1,347 training rows of 64 pixels)."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    return _standardized_split(digits.data, digits.target, test_size=0.25)


def load_dataset(name: str, quick: bool) -> Dataset:
    """The data of workload ``name`` (W2 is smaller with ``quick``)."""
    if name == "W1":
        return make_w1()
    if name == "W2":
        if quick:
            return make_w2(W2_ROWS_QUICK, W2_TEST_ROWS_QUICK)
        return make_w2(W2_ROWS_FULL, W2_TEST_ROWS)
    return make_w3()


def batch_sizes_per_epoch(n_samples: int, batch_size: int) -> list[int]:
    """Sizes of the batches of one epoch: full batches, then the remainder if any."""
    sizes = [batch_size] * (n_samples // batch_size)
    if n_samples % batch_size:
        sizes.append(n_samples % batch_size)
    return sizes


# --------------------------------------------------------------------------------------------
# Peers: each trains a fresh model for some epochs and returns what it measured
# --------------------------------------------------------------------------------------------


@dataclass
class TrainResult:
    """Wall time of ``fit`` alone, the last epoch's training loss and held-out accuracy."""

    seconds: float
    final_loss: float | None
    test_accuracy: float | None


def _accuracy(predicted: np.ndarray, labels: np.ndarray) -> float:
    return float(np.mean(predicted == labels))


def train_nncli(workload: Workload, data: Dataset, epochs: int) -> TrainResult:
    """nncli through its public, Keras-like API."""
    from nncli import Sequential, layers

    model = Sequential(seed=SEED)
    for index, (units, activation) in enumerate(workload.layers):
        first_layer_args = {"input_dim": data.n_features} if index == 0 else {}
        model.add(layers.Dense(units, activation=activation, **first_layer_args))
    model.compile(loss=workload.loss, optimizer="adam", metrics=["accuracy"])
    started = time.perf_counter()
    history = model.fit(
        data.x_train, data.y_train, batch_size=workload.batch_size, epochs=epochs,
        shuffle=True, verbose=0,
    )
    seconds = time.perf_counter() - started
    losses = getattr(history, "history", {}).get("loss") if history is not None else None
    if losses:
        final_loss = float(losses[-1])
    else:
        final_loss = float(model.evaluate(data.x_train, data.y_train, verbose=0)[0])
    accuracy = None
    if data.x_test is not None:
        accuracy = float(model.evaluate(data.x_test, data.y_test, verbose=0)[1])
    return TrainResult(seconds, final_loss, accuracy)


def _glorot_uniform(rng: np.random.Generator, fan_in: int, fan_out: int) -> np.ndarray:
    limit = math.sqrt(6.0 / (fan_in + fan_out))
    return rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(np.float32)


def _numpy_forward(
    batch: np.ndarray, weights: list[np.ndarray], biases: list[np.ndarray], softmax_output: bool
) -> list[np.ndarray]:
    """Activations of every layer, the input batch first."""
    activations = [batch]
    last = len(weights) - 1
    for index, (kernel, bias) in enumerate(zip(weights, biases)):
        pre_activation = activations[-1] @ kernel + bias
        if index < last:
            activations.append(np.maximum(pre_activation, 0))
        elif softmax_output:
            exponentials = np.exp(pre_activation - pre_activation.max(axis=1, keepdims=True))
            activations.append(exponentials / exponentials.sum(axis=1, keepdims=True))
        else:
            activations.append(1 / (1 + np.exp(-pre_activation)))
    return activations


def _cross_entropy(probabilities: np.ndarray, targets: np.ndarray, softmax_output: bool) -> float:
    clipped = np.clip(probabilities, 1e-7, 1 - 1e-7)
    if softmax_output:
        return float(-np.mean(np.sum(targets * np.log(clipped), axis=1)))
    return float(-np.mean(targets * np.log(clipped) + (1 - targets) * np.log(1 - clipped)))


def _numpy_targets(labels: np.ndarray, n_classes: int, softmax_output: bool) -> np.ndarray:
    if softmax_output:
        return np.eye(n_classes, dtype=np.float32)[labels]
    return labels.astype(np.float32).reshape(-1, 1)


def train_numpy(workload: Workload, data: Dataset, epochs: int) -> TrainResult:
    """What a careful person writes without tricks: fancy-indexed batches, Adam per array."""
    rng = np.random.default_rng(SEED)
    softmax_output = workload.layers[-1][1] == "softmax"
    sizes = [data.n_features] + [units for units, _ in workload.layers]
    weights = [_glorot_uniform(rng, fan_in, fan_out) for fan_in, fan_out in zip(sizes, sizes[1:])]
    biases = [np.zeros(fan_out, dtype=np.float32) for fan_out in sizes[1:]]
    parameters = weights + biases
    first_moments = [np.zeros_like(p) for p in parameters]
    second_moments = [np.zeros_like(p) for p in parameters]
    targets = _numpy_targets(data.y_train, data.n_classes, softmax_output)
    step = 0
    started = time.perf_counter()
    for _ in range(epochs):
        order = rng.permutation(data.n_train)
        loss_sum = 0.0
        for start in range(0, data.n_train, workload.batch_size):
            indices = order[start:start + workload.batch_size]
            batch, batch_targets = data.x_train[indices], targets[indices]
            activations = _numpy_forward(batch, weights, biases, softmax_output)
            loss_sum += _cross_entropy(activations[-1], batch_targets, softmax_output) * len(indices)
            delta = (activations[-1] - batch_targets) / len(indices)
            kernel_grads: list[np.ndarray] = [np.empty(0)] * len(weights)
            bias_grads: list[np.ndarray] = [np.empty(0)] * len(weights)
            for index in range(len(weights) - 1, -1, -1):
                kernel_grads[index] = activations[index].T @ delta
                bias_grads[index] = delta.sum(axis=0)
                if index > 0:
                    delta = (delta @ weights[index].T) * (activations[index] > 0)
            step += 1
            step_size = LEARNING_RATE * math.sqrt(1 - ADAM_BETA_2**step) / (1 - ADAM_BETA_1**step)
            for parameter, gradient, first, second in zip(
                parameters, kernel_grads + bias_grads, first_moments, second_moments
            ):
                first *= ADAM_BETA_1
                first += (1 - ADAM_BETA_1) * gradient
                second *= ADAM_BETA_2
                second += (1 - ADAM_BETA_2) * gradient * gradient
                parameter -= step_size * first / (np.sqrt(second) + ADAM_EPSILON)
    seconds = time.perf_counter() - started
    accuracy = None
    if data.x_test is not None:
        probabilities = _numpy_forward(data.x_test, weights, biases, softmax_output)[-1]
        if softmax_output:
            predicted = probabilities.argmax(axis=1)
        else:
            predicted = (probabilities[:, 0] > 0.5).astype(np.int64)
        accuracy = _accuracy(predicted, data.y_test)
    return TrainResult(seconds, loss_sum / data.n_train, accuracy)


def train_sklearn(workload: Workload, data: Dataset, epochs: int) -> TrainResult:
    """scikit-learn's MLPClassifier, adam, no L2 penalty, all epochs run."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPClassifier

    hidden = tuple(units for units, _ in workload.layers[:-1])
    model = MLPClassifier(
        hidden_layer_sizes=hidden, activation="relu", solver="adam", alpha=0.0,
        batch_size=workload.batch_size, learning_rate_init=LEARNING_RATE, max_iter=epochs,
        tol=0.0, n_iter_no_change=10**9, shuffle=True, epsilon=ADAM_EPSILON, random_state=SEED,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        started = time.perf_counter()
        model.fit(data.x_train, data.y_train)
        seconds = time.perf_counter() - started
    if model.n_iter_ != epochs:
        raise RuntimeError(f"MLPClassifier stopped after {model.n_iter_} of {epochs} epochs")
    accuracy = None
    if data.x_test is not None:
        accuracy = _accuracy(model.predict(data.x_test), data.y_test)
    return TrainResult(seconds, float(model.loss_), accuracy)


def _torch_model(workload: Workload, n_features: int) -> Any:
    """nn.Sequential of Linear+ReLU, the output layer left linear (the loss applies sigmoid/softmax)."""
    import torch

    modules: list[Any] = []
    fan_in = n_features
    for units, activation in workload.layers:
        modules.append(torch.nn.Linear(fan_in, units))
        if activation == "relu":
            modules.append(torch.nn.ReLU())
        fan_in = units
    return torch.nn.Sequential(*modules)


def train_torch(workload: Workload, data: Dataset, epochs: int) -> TrainResult:
    """PyTorch CPU eager: nn.Sequential, Adam, manual batching over a shuffled index."""
    import torch

    torch.set_num_threads(BLAS_THREADS)
    torch.manual_seed(SEED)
    softmax_output = workload.layers[-1][1] == "softmax"
    model = _torch_model(workload, data.n_features)
    optimizer = torch.optim.Adam(
        model.parameters(), lr=LEARNING_RATE, betas=(ADAM_BETA_1, ADAM_BETA_2), eps=ADAM_EPSILON
    )
    if softmax_output:
        loss_function: Any = torch.nn.CrossEntropyLoss()
        targets = torch.from_numpy(data.y_train)
    else:
        loss_function = torch.nn.BCEWithLogitsLoss()
        targets = torch.from_numpy(data.y_train.astype(np.float32).reshape(-1, 1))
    features = torch.from_numpy(data.x_train)
    generator = torch.Generator().manual_seed(SEED)
    started = time.perf_counter()
    for _ in range(epochs):
        order = torch.randperm(data.n_train, generator=generator)
        loss_sum = 0.0
        for start in range(0, data.n_train, workload.batch_size):
            indices = order[start:start + workload.batch_size]
            optimizer.zero_grad()
            loss = loss_function(model(features[indices]), targets[indices])
            loss.backward()
            optimizer.step()
            loss_sum += loss.item() * len(indices)
    seconds = time.perf_counter() - started
    accuracy = None
    if data.x_test is not None:
        with torch.no_grad():
            logits = model(torch.from_numpy(data.x_test)).numpy()
        predicted = logits.argmax(axis=1) if softmax_output else (logits[:, 0] > 0).astype(np.int64)
        accuracy = _accuracy(predicted, data.y_test)
    return TrainResult(seconds, loss_sum / data.n_train, accuracy)


def train_matmul_only(
    workload: Workload, data: Dataset, epochs: int, first_input_gradient: bool = True
) -> TrainResult:
    """Only the matrix products: per batch and layer, forward, weight gradient and input gradient.

    With ``first_input_gradient=False`` the gradient with respect to the network's input is left
    out, as every trainer here leaves it out: that is the true lower bound ("matmul-min"). The
    default, three products per layer, is the issue's definition that its W2 target refers to.
    """
    rng = np.random.default_rng(SEED)
    sizes = [data.n_features] + [units for units, _ in workload.layers]
    kernels = [rng.standard_normal((a, b), dtype=np.float32) * 0.05 for a, b in zip(sizes, sizes[1:])]
    kernel_grads = [np.empty_like(kernel) for kernel in kernels]
    epoch_batches = batch_sizes_per_epoch(data.n_train, workload.batch_size)
    buffers = {}
    for rows in set(epoch_batches):
        activations = [rng.standard_normal((rows, width), dtype=np.float32) for width in sizes]
        deltas = [rng.standard_normal((rows, width), dtype=np.float32) for width in sizes]
        buffers[rows] = (activations, deltas)
    started = time.perf_counter()
    for _ in range(epochs):
        for rows in epoch_batches:
            activations, deltas = buffers[rows]
            for layer, kernel in enumerate(kernels):
                np.matmul(activations[layer], kernel, out=activations[layer + 1])
            for layer in range(len(kernels) - 1, -1, -1):
                np.matmul(activations[layer].T, deltas[layer + 1], out=kernel_grads[layer])
                if layer > 0 or first_input_gradient:
                    np.matmul(deltas[layer + 1], kernels[layer].T, out=deltas[layer])
    return TrainResult(time.perf_counter() - started, None, None)


def train_matmul_minimum(workload: Workload, data: Dataset, epochs: int) -> TrainResult:
    """Matrix products only, without the input gradient of the first layer (the true lower bound)."""
    return train_matmul_only(workload, data, epochs, first_input_gradient=False)


TRAINERS: dict[str, Callable[[Workload, Dataset, int], TrainResult]] = {
    "nncli": train_nncli,
    "numpy": train_numpy,
    "sklearn": train_sklearn,
    "torch": train_torch,
    "matmul": train_matmul_only,
    "matmul-min": train_matmul_minimum,
}


def peer_status(peer: str) -> str:
    """'ok' when the peer's library imports, else why it cannot run (imports it as a side effect)."""
    try:
        if peer == "nncli":
            from nncli import Sequential, layers  # noqa: F401
            from nncli.engine import kernels

            # Loaded up front like torch's libraries, so no timed run pays numba's start-up
            # (nncli itself loads them once a process's training is long enough to pay).
            if kernels.load() is None:
                return f"not available: the fused kernels do not load ({kernels.unavailable})"
        elif peer == "sklearn":
            import sklearn.neural_network  # noqa: F401
        elif peer == "torch":
            if importlib.util.find_spec("torch") is None:
                return "not installed"
            import torch  # noqa: F401
    except Exception as error:  # any import failure means "cannot run", whatever its kind
        return f"not available: {type(error).__name__}: {error}"
    return "ok"


# --------------------------------------------------------------------------------------------
# Timing: interleaved repeats after one warm-up round
# --------------------------------------------------------------------------------------------


@dataclass
class PeerTimings:
    """Everything measured for one peer on one workload."""

    status: str
    seconds_per_epoch: list[float] = field(default_factory=list)
    last: TrainResult | None = None


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _run_once(peer: str, timings: PeerTimings, workload: Workload, data: Dataset, epochs: int) -> None:
    """Train once; record seconds per epoch, or turn the peer's status into the error."""
    gc.collect()
    try:
        result = TRAINERS[peer](workload, data, epochs)
    except Exception as error:  # a failing peer must not end the whole benchmark
        timings.status = f"error: {type(error).__name__}: {error}"
        return
    timings.seconds_per_epoch.append(result.seconds / epochs)
    timings.last = result


def time_workload(
    workload: Workload, data: Dataset, peers: list[str], epochs: int, repeats: int,
    statuses: dict[str, str],
) -> dict[str, PeerTimings]:
    """One untimed 1-epoch warm-up round, then ``repeats`` interleaved rounds of ``epochs`` epochs."""
    timings = {peer: PeerTimings(status=statuses[peer]) for peer in peers}
    runnable = [peer for peer in peers if timings[peer].status == "ok"]
    for peer in runnable:
        _run_once(peer, timings[peer], workload, data, 1)
        timings[peer].seconds_per_epoch.clear()
    for repeat in range(repeats):
        _progress(f"{workload.name}: repeat {repeat + 1}/{repeats}")
        for peer in runnable:
            if timings[peer].status == "ok":
                _run_once(peer, timings[peer], workload, data, epochs)
    return timings


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or denominator is None or denominator == 0:
        return None
    return numerator / denominator


def _spread(samples: list[float]) -> float | None:
    """(slowest − fastest) / median of the repeats: how noisy the machine was for this row."""
    if len(samples) < 2:
        return None
    return (max(samples) - min(samples)) / statistics.median(samples)


def summarize_workload(
    workload: Workload, data: Dataset, timings: dict[str, PeerTimings], epochs: int, repeats: int
) -> dict[str, Any]:
    """The JSON-ready record of one workload: settings and one entry per peer."""
    medians = {
        peer: statistics.median(t.seconds_per_epoch) if t.status == "ok" and t.seconds_per_epoch else None
        for peer, t in timings.items()
    }
    nncli_median = medians.get("nncli")
    peers: dict[str, Any] = {}
    for peer, peer_timings in timings.items():
        median = medians[peer]
        last = peer_timings.last
        peers[peer] = {
            "status": peer_timings.status,
            "seconds_per_epoch": median,
            "samples_per_second": data.n_train / median if median else None,
            "ratio_to_nncli": _ratio(median, nncli_median),
            "spread": _spread(peer_timings.seconds_per_epoch),
            "final_loss": last.final_loss if last and peer_timings.status == "ok" else None,
            "test_accuracy": last.test_accuracy if last and peer_timings.status == "ok" else None,
            "all_seconds_per_epoch": peer_timings.seconds_per_epoch,
        }
    majority = float(np.bincount(data.y_test).max() / len(data.y_test)) if data.y_test is not None else None
    return {
        "description": workload.description,
        "n_train": data.n_train,
        "n_test": 0 if data.x_test is None else int(data.x_test.shape[0]),
        "n_features": data.n_features,
        "layers": [list(layer) for layer in workload.layers],
        "loss": workload.loss,
        "batch_size": workload.batch_size,
        "batches_per_epoch": len(batch_sizes_per_epoch(data.n_train, workload.batch_size)),
        "epochs": epochs,
        "repeats": repeats,
        "majority_class_accuracy": majority,
        "peers": peers,
    }


# --------------------------------------------------------------------------------------------
# Peak memory: one fresh process per peer on W2
# --------------------------------------------------------------------------------------------


def max_rss_bytes() -> int:
    """Peak resident set size of this process so far.

    On Linux ``ru_maxrss`` survives ``exec``: a child started from a big parent reports at least
    the parent's size at the fork. ``VmHWM`` in /proc/self/status is the peak of this program's
    own address space, so it is read first; ``ru_maxrss`` (KiB on Linux, bytes on macOS) is the
    fallback elsewhere.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) * 1024
    import resource

    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def rss_child(peer: str, data_path: Path, epochs: int) -> dict[str, Any]:
    """Body of ``--rss-child``: import the peer, load W2's training data, train, report peaks."""
    status = peer_status(peer)
    after_import = max_rss_bytes()
    # Two .npy files rather than one .npz: np.load reads a .npy straight into its array, while
    # an .npz member passes through a temporary buffer that would inflate the peak.
    data = Dataset(
        np.load(data_path / "x_train.npy", allow_pickle=False),
        np.load(data_path / "y_train.npy", allow_pickle=False), None, None,
    )
    after_data = max_rss_bytes()
    record: dict[str, Any] = {
        "peer": peer, "status": status, "data_bytes": data.nbytes,
        "peak_after_import_bytes": after_import, "peak_after_data_bytes": after_data,
        "peak_bytes": None,
    }
    if status == "ok":
        try:
            TRAINERS[peer](WORKLOADS["W2"], data, epochs)
        except Exception as error:  # reported in the table, not raised
            record["status"] = f"error: {type(error).__name__}: {error}"
        record["peak_bytes"] = max_rss_bytes()
    return record


def measure_rss(peers: list[str], data: Dataset, epochs: int) -> dict[str, Any]:
    """Run ``bench.py --rss-child PEER`` for each peer in a fresh process; collect their reports."""
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="nncli-bench-") as folder:
        data_path = Path(folder)
        np.save(data_path / "x_train.npy", data.x_train)
        np.save(data_path / "y_train.npy", data.y_train)
        for peer in peers:
            _progress(f"peak RSS: {peer}")
            command = [sys.executable, str(Path(__file__).resolve()), "--rss-child", peer,
                       "--rss-data", str(data_path), "--epochs", str(epochs)]
            completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
            if completed.returncode != 0:
                last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
                results[peer] = {"peer": peer, "status": f"failed (exit {completed.returncode}): {last_line}",
                                 "peak_bytes": None, "data_bytes": data.x_train.nbytes + data.y_train.nbytes}
                continue
            record = json.loads(completed.stdout.strip().splitlines()[-1])
            record["peak_over_data"] = _ratio(record["peak_bytes"], record["data_bytes"])
            if record["peak_bytes"] is not None:
                record["peak_above_import_bytes"] = record["peak_bytes"] - record["peak_after_import_bytes"]
            results[peer] = record
    return {"workload": "W2", "n_train": data.n_train, "epochs": epochs, "peers": results}


# --------------------------------------------------------------------------------------------
# Start-up times of commands
# --------------------------------------------------------------------------------------------


def nncli_executable() -> str | None:
    """The ``nncli`` command next to this Python (the venv), else the one on PATH, else None."""
    beside_python = Path(sys.executable).parent / "nncli"
    if beside_python.exists():
        return str(beside_python)
    return shutil.which("nncli")


def startup_commands() -> list[tuple[str, list[str] | None, str]]:
    """(label, command or None, why it cannot run) for every start-up measurement."""
    python = sys.executable
    commands: list[tuple[str, list[str] | None, str]] = [
        ("python -c pass", [python, "-c", "pass"], ""),
        ("python -c 'import numpy'", [python, "-c", "import numpy"], ""),
        ("python -c 'import sklearn.neural_network'", [python, "-c", "import sklearn.neural_network"], ""),
    ]
    has_torch = importlib.util.find_spec("torch") is not None
    commands.append(("python -c 'import torch'", [python, "-c", "import torch"] if has_torch else None,
                     "" if has_torch else "torch not installed"))
    commands.append(("python -c 'import nncli'", [python, "-c", "import nncli"], ""))
    executable = nncli_executable()
    missing_command = "" if executable else "`nncli` command not installed"
    commands.append(("nncli --help", [executable, "--help"] if executable else None, missing_command))
    config = REPO_ROOT / "configs" / "lfw.yaml"
    if executable and not config.exists():
        missing_command = "configs/lfw.yaml does not exist yet"
    summary = [executable, "summary", "configs/lfw.yaml"] if not missing_command else None
    commands.append(("nncli summary configs/lfw.yaml", summary, missing_command))
    return commands


def time_command(command: list[str], runs: int) -> dict[str, Any]:
    """Median wall time of ``runs`` runs after one untimed run (which warms the file cache)."""
    samples = []
    for attempt in range(runs + 1):
        started = time.perf_counter()
        completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT)
        elapsed = time.perf_counter() - started
        if completed.returncode != 0:
            last_line = (completed.stderr.strip().splitlines() or ["no output"])[-1]
            return {"status": f"failed (exit {completed.returncode}): {last_line}", "seconds": None}
        if attempt > 0:
            samples.append(elapsed)
    return {"status": "ok", "seconds": statistics.median(samples), "all_seconds": samples}


def measure_startup(runs: int) -> dict[str, Any]:
    results = {}
    for label, command, reason in startup_commands():
        _progress(f"start-up: {label}")
        results[label] = time_command(command, runs) if command else {"status": reason, "seconds": None}
    return {"runs": runs, "commands": results}


# --------------------------------------------------------------------------------------------
# Environment, targets, output
# --------------------------------------------------------------------------------------------


def limit_threads() -> None:
    """Cap every BLAS/OpenMP pool loaded so far at BLAS_THREADS (threadpoolctl, if installed)."""
    global _THREADPOOL_LIMITER
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return
    _THREADPOOL_LIMITER = threadpool_limits(limits=BLAS_THREADS)


def blas_info() -> list[dict[str, Any]]:
    """Loaded BLAS/OpenMP libraries (threadpoolctl), else NumPy's build configuration."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        try:
            config = np.show_config(mode="dicts")
            return [dict(config.get("Build Dependencies", {}).get("blas", {}))]
        except (TypeError, AttributeError):
            return []
    keys = ("internal_api", "prefix", "version", "num_threads", "architecture", "threading_layer")
    return [{key: pool.get(key) for key in keys if key in pool} for pool in threadpool_info()]


def _version(module: str) -> str | None:
    if importlib.util.find_spec(module) is None:
        return None
    try:
        return str(__import__(module).__version__)
    except Exception:  # a broken package is reported as such, not raised
        return "import failed"


def cpu_model() -> str:
    """The processor's name (Linux: /proc/cpuinfo's "model name"), so that figures from
    different machines are never mixed."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine() or "unknown"


def environment_info(arguments: argparse.Namespace) -> dict[str, Any]:
    return {
        "command": " ".join([Path(sys.executable).name, *sys.argv]),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu_model": cpu_model(),
        "cpu_count": os.cpu_count(),
        "numba": _version("numba"),
        "numpy": np.__version__,
        "sklearn": _version("sklearn"),
        "torch": _version("torch"),
        "nncli": _version("nncli"),
        "thread_variables": {name: os.environ.get(name) for name in THREAD_VARIABLES},
        "openblas_hints": {name: os.environ.get(name) for name in OPENBLAS_HINTS},
        "blas": blas_info(),
        "quick": arguments.quick,
    }


def _target(name: str, value: float | None, limit: float) -> dict[str, Any]:
    return {"target": name, "value": value, "limit": limit, "met": None if value is None else value <= limit}


TRAINER_PEERS = ("numpy", "sklearn", "torch")  # the peers that really train (not the matmul bounds)
#: Issue 15: on W2 nncli must be faster than every other trainer by at least 1.3x.
PEER_MARGIN = 1.3


def evaluate_targets(report: dict[str, Any]) -> list[dict[str, Any]]:
    """Issues 5 and 15's targets as ratios from this run (value None when a part was not measured)."""
    def seconds(workload: str, peer: str) -> float | None:
        return report["workloads"].get(workload, {}).get("peers", {}).get(peer, {}).get("seconds_per_epoch")

    peer_seconds = [seconds("W2", peer) for peer in TRAINER_PEERS if seconds("W2", peer) is not None]
    fastest_peer = min(peer_seconds) if peer_seconds else None
    targets = [
        _target("W1 nncli / numpy loop", _ratio(seconds("W1", "nncli"), seconds("W1", "numpy")), 0.5),
        _target("W2 nncli / matmul-only", _ratio(seconds("W2", "nncli"), seconds("W2", "matmul")), 1.3),
        _target("W2 nncli / fastest other trainer", _ratio(seconds("W2", "nncli"), fastest_peer),
                round(1 / PEER_MARGIN, 3)),
        _target("W3 nncli / numpy loop", _ratio(seconds("W3", "nncli"), seconds("W3", "numpy")), 0.5),
    ]
    if report.get("rss"):
        nncli_rss = report["rss"]["peers"].get("nncli", {})
        targets.append(_target("W2 nncli peak RSS / data", nncli_rss.get("peak_over_data"), 1.25))
    if report.get("startup"):
        commands = report["startup"]["commands"]
        targets.append(_target("nncli --help (s)", commands["nncli --help"]["seconds"], 0.1))
        targets.append(_target("nncli summary configs/lfw.yaml (s)",
                               commands["nncli summary configs/lfw.yaml"]["seconds"], 0.5))
    return targets


def _format(value: float | None, spec: str) -> str:
    return "–" if value is None else format(value, spec)


def _megabytes(value: int | None) -> str:
    return "–" if value is None else f"{value / 2**20:,.1f} MiB"


PEER_LABELS = {"matmul": "matmul-only", "matmul-min": "matmul-min (no input grad)"}


def workload_rows(report: dict[str, Any], name: str) -> list[list[str]]:
    rows = []
    for peer, entry in report["workloads"][name]["peers"].items():
        if entry["status"] != "ok":
            rows.append([name, peer, short_status(entry["status"]), "", "", "", "", ""])
            continue
        seconds = entry["seconds_per_epoch"]
        time_text = f"{seconds * 1000:.2f} ms" if seconds < 1 else f"{seconds:.3f} s"
        rows.append([
            name, PEER_LABELS.get(peer, peer), time_text,
            _format(None if entry["spread"] is None else entry["spread"] * 100, ".0f") + " %",
            _format(entry["samples_per_second"], ",.0f"), _format(entry["ratio_to_nncli"], ".2f"),
            _format(entry["final_loss"], ".4f"), _format(entry["test_accuracy"], ".3f"),
        ])
    return rows


def short_status(status: str) -> str:
    """The first words of a status ("not available", "error", ...); the full text goes in the notes."""
    return status.split(":", 1)[0]


def status_notes(report: dict[str, Any]) -> list[str]:
    """Full texts of every status that is not 'ok', once each."""
    statuses = [entry["status"] for workload in report["workloads"].values()
                for entry in workload["peers"].values()]
    if report.get("rss"):
        statuses += [entry["status"] for entry in report["rss"]["peers"].values()]
    if report.get("startup"):
        statuses += [entry["status"] for entry in report["startup"]["commands"].values()]
    notes: dict[str, None] = {}
    for status in statuses:
        if status != "ok" and ":" in status:
            notes[status] = None
    return list(notes)


def rss_rows(rss: dict[str, Any]) -> list[list[str]]:
    rows = []
    for peer, entry in rss["peers"].items():
        rows.append([
            peer, short_status(entry["status"]), _megabytes(entry.get("peak_after_import_bytes")),
            _megabytes(entry.get("peak_bytes")), _megabytes(entry.get("peak_above_import_bytes")),
            _megabytes(entry.get("data_bytes")),
            _format(entry.get("peak_over_data"), ".2f"),
        ])
    return rows


def startup_rows(startup: dict[str, Any]) -> list[list[str]]:
    return [[label, short_status(entry["status"]) if entry["seconds"] is None else f"{entry['seconds']:.3f} s"]
            for label, entry in startup["commands"].items()]


def target_rows(targets: list[dict[str, Any]]) -> list[list[str]]:
    verdict = {True: "met", False: "MISSED", None: "not measured"}
    return [[t["target"], _format(t["value"], ".3f"), f"≤ {t['limit']}", verdict[t["met"]]] for t in targets]


def header_lines(environment: dict[str, Any]) -> list[str]:
    lines = [
        f"command: {environment['command']}",
        f"CPU: {environment['cpu_model']}, {environment['cpu_count']} CPUs",
        f"python {environment['python']} on {environment['platform']}",
        f"numpy {environment['numpy']}, numba {environment['numba']}, scikit-learn {environment['sklearn']}, "
        f"torch {environment['torch'] or 'not installed'}, nncli {environment['nncli']}",
        "threads: " + ", ".join(f"{k}={v}" for k, v in environment["thread_variables"].items()),
        "OpenBLAS hints (left untouched): "
        + ", ".join(f"{k}={v if v is not None else 'unset'}" for k, v in environment["openblas_hints"].items()),
    ]
    for pool in environment["blas"]:
        lines.append("BLAS/OpenMP: " + ", ".join(f"{k}={v}" for k, v in pool.items()))
    return lines


def render(report: dict[str, Any]) -> None:
    """Print the report as tables (Rich when installed, aligned plain text otherwise)."""
    tables: list[tuple[str, list[str], list[list[str]]]] = []
    for name, entry in report["workloads"].items():
        title = (f"{name}: {entry['description']} — {entry['n_train']:,} train / {entry['n_test']:,} test rows, "
                 f"{entry['epochs']} epochs × {entry['repeats']} repeats, majority class "
                 f"{_format(entry['majority_class_accuracy'], '.3f')}")
        columns = ["workload", "peer", "s/epoch (median)", "spread", "samples/s", "× nncli", "final loss",
                   "test acc"]
        tables.append((title, columns, workload_rows(report, name)))
    if report.get("rss"):
        rss = report["rss"]
        title = f"Peak RSS on W2 ({rss['n_train']:,} train rows, {rss['epochs']} epoch, fresh process per peer)"
        columns = ["peer", "status", "after import", "peak", "peak − import", "data", "peak / data"]
        tables.append((title, columns, rss_rows(rss)))
    if report.get("startup"):
        title = f"Start-up (median of {report['startup']['runs']} runs)"
        tables.append((title, ["command", "wall time"], startup_rows(report["startup"])))
    targets_title = "Targets (issues 5 and 15)"
    if report["environment"]["quick"]:
        targets_title += " — quick mode: W2 is 10× smaller, so its ratios are only indicative"
    tables.append((targets_title, ["target", "value", "limit", "verdict"], target_rows(report["targets"])))
    notes = status_notes(report)
    if notes:
        tables.append(("Notes", ["status"], [[note] for note in notes]))
    try:
        _render_rich(header_lines(report["environment"]), tables)
    except ImportError:
        _render_plain(header_lines(report["environment"]), tables)


def _render_rich(header: list[str], tables: list[tuple[str, list[str], list[list[str]]]]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console() if sys.stdout.isatty() else Console(width=150)  # files keep whole rows
    for line in header:
        console.print(line, highlight=False, markup=False)
    for title, columns, rows in tables:
        table = Table(title=title, title_justify="left")
        for index, column in enumerate(columns):
            table.add_column(column, justify="left" if index < 2 else "right")
        for row in rows:
            table.add_row(*row)
        console.print(table)


def _render_plain(header: list[str], tables: list[tuple[str, list[str], list[list[str]]]]) -> None:
    print("\n".join(header))
    for title, columns, rows in tables:
        widths = [max(len(str(cell)) for cell in column) for column in zip(columns, *rows)]
        print(f"\n{title}")
        for row in [columns, *rows]:
            print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths)))


# --------------------------------------------------------------------------------------------
# Command line
# --------------------------------------------------------------------------------------------


def parse_workloads(text: str) -> list[str]:
    names = [name.strip().upper() for name in text.split(",") if name.strip()]
    for name in names:
        if name not in WORKLOADS:
            close = difflib.get_close_matches(name, list(WORKLOADS), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise argparse.ArgumentTypeError(
                f"unknown workload {name!r}: expected a comma-separated list of {', '.join(WORKLOADS)}{hint}"
            )
    return names


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, received {text!r}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Time nncli against a plain NumPy loop, scikit-learn, PyTorch and bare matmuls.",
        epilog="Example: python benchmarks/bench.py --quick --workloads W1,W3 --no-rss",
    )
    parser.add_argument("--quick", action="store_true", help="smaller W2, fewer epochs and repeats (< 1 min)")
    parser.add_argument("--workloads", type=parse_workloads, default=list(WORKLOADS),
                        help="comma-separated subset of W1,W2,W3 (default: all)")
    parser.add_argument("--repeats", type=positive_int, help="timed repeats per peer (default per workload)")
    parser.add_argument("--epochs", type=positive_int, help="epochs per timed run (default per workload)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON only")
    parser.add_argument("--no-rss", action="store_true", help="skip the peak-memory measurement")
    parser.add_argument("--no-startup", action="store_true", help="skip the start-up measurement")
    parser.add_argument("--rss-child", choices=RSS_PEERS, help=argparse.SUPPRESS)
    parser.add_argument("--rss-data", type=Path, help=argparse.SUPPRESS)
    return parser


def run_benchmark(arguments: argparse.Namespace) -> dict[str, Any]:
    """Measure everything asked for and return the report (no printing besides progress)."""
    limit_threads()
    statuses = {peer: peer_status(peer) for peer in PEERS}
    limit_threads()  # again: the peers' imports may have loaded more thread pools
    report: dict[str, Any] = {"workloads": {}, "rss": None, "startup": None}
    datasets: dict[str, Dataset] = {}
    for name in arguments.workloads:
        workload = WORKLOADS[name]
        epochs = arguments.epochs or (workload.quick_epochs if arguments.quick else workload.epochs)
        repeats = arguments.repeats or (workload.quick_repeats if arguments.quick else workload.repeats)
        _progress(f"{name}: preparing data")
        data = datasets[name] = load_dataset(name, arguments.quick)
        timings = time_workload(workload, data, list(PEERS), epochs, repeats, statuses)
        report["workloads"][name] = summarize_workload(workload, data, timings, epochs, repeats)
    if not arguments.no_rss:
        w2_data = datasets.pop("W2", None) or load_dataset("W2", arguments.quick)
        datasets.clear()  # let the other workloads' arrays go before the children start
        report["rss"] = measure_rss(list(RSS_PEERS), w2_data, epochs=1)
    if not arguments.no_startup:
        report["startup"] = measure_startup(runs=3 if arguments.quick else 7)
    report["targets"] = evaluate_targets(report)
    report["environment"] = environment_info(arguments)
    return report


def main(argv: list[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    if arguments.rss_child:
        if arguments.rss_data is None:
            build_parser().error("--rss-child needs --rss-data")
        limit_threads()
        print(json.dumps(rss_child(arguments.rss_child, arguments.rss_data, arguments.epochs or 1)))
        return 0
    report = run_benchmark(arguments)
    if arguments.json:
        print(json.dumps(report, indent=2))
    else:
        render(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
