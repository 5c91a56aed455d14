"""TensorFlow Playground's data sets (circle, xor, gauss, spiral; regression plane and
multi_gaussian) and scikit-learn's moons, generated from the run's seed."""

from __future__ import annotations

from typing import Callable

import numpy as np
from pydantic import Field

from nncli.data.registry import SOURCES, Dataset, Source, SourceParams
from nncli.errors import ConfigError


class PlaygroundParams(SourceParams):
    """Keys of the playground sets.

    ``noise`` is the playground's noise slider divided by 100 (0 to 0.5; the playground's default
    is 0): circle and xor move each point's label position by up to ``noise`` times the data
    radius, gauss widens the clusters' variance from 0.5 (noise 0) to 4 (noise 0.5), spiral jitters
    points by up to ``noise``, plane and multi_gaussian blur the target; for moons it is
    scikit-learn's Gaussian noise standard deviation. ``extra_features`` adds the playground's
    x1², x2², x1·x2, sin x1, sin x2 (7 features instead of 2).
    """

    n_samples: int = Field(500, ge=2, description="Points drawn.")
    noise: float = Field(0.0, ge=0.0, le=0.5, description="The playground's noise slider divided by 100 "
                         "(0 to 0.5).")
    extra_features: bool = Field(False, description="Add x1², x2², x1·x2, sin x1, sin x2 (7 inputs instead of 2).")


def _halves(n_samples: int) -> tuple[int, int]:
    return n_samples // 2, n_samples - n_samples // 2


def _circle(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    n_inside, n_outside = _halves(n_samples)
    r = np.concatenate([rng.uniform(0.0, radius * 0.5, n_inside), rng.uniform(radius * 0.7, radius, n_outside)])
    angle = rng.uniform(0.0, 2 * np.pi, n_samples)
    points = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return points, labels


def _xor(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    padding = 0.3
    points = rng.uniform(-5.0, 5.0, (n_samples, 2))
    points += np.where(points > 0, padding, -padding)
    shifted = points + rng.uniform(-5.0, 5.0, (n_samples, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return points, labels


def _gauss(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5
    n_positive, n_negative = _halves(n_samples)
    positive = rng.normal(2.0, np.sqrt(variance), (n_positive, 2))
    negative = rng.normal(-2.0, np.sqrt(variance), (n_negative, 2))
    labels = np.concatenate([np.ones(n_positive, np.int64), np.zeros(n_negative, np.int64)])
    return np.vstack([positive, negative]), labels


def _spiral(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    arms = []
    for size, delta, label in zip(_halves(n_samples), (0.0, np.pi), (1, 0)):
        fraction = np.arange(size) / size
        r = fraction * 5.0
        t = 1.75 * fraction * 2 * np.pi + delta
        jitter = rng.uniform(-1.0, 1.0, (size, 2)) * noise
        arm = np.column_stack([r * np.sin(t), r * np.cos(t)]) + jitter
        arms.append((arm, np.full(size, label, np.int64)))
    return np.vstack([a for a, _ in arms]), np.concatenate([lab for _, lab in arms])


def _moons(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=n_samples, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return points, labels.astype(np.int64)


def _plane(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    points = rng.uniform(-radius, radius, (n_samples, 2))
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    return points, shifted.sum(axis=1) / 10.0  # x + y on [-10, 10] mapped linearly to [-1, 1]


_GAUSSIAN_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], float)


def _multi_gaussian(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    points = rng.uniform(-radius, radius, (n_samples, 2))
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    distances = np.hypot(shifted[:, :1] - _GAUSSIAN_BUMPS[:, 0], shifted[:, 1:] - _GAUSSIAN_BUMPS[:, 1])
    values = _GAUSSIAN_BUMPS[:, 2] * np.clip(1.0 - distances / 2.0, 0.0, 1.0)
    strongest = np.abs(values).argmax(axis=1)  # the bump with the largest |value| wins
    return points, values[np.arange(n_samples), strongest]


def _with_extra_features(points: np.ndarray) -> np.ndarray:
    x1, x2 = points[:, 0], points[:, 1]
    return np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])


PLAYGROUND_FEATURES = ["x1", "x2"]
PLAYGROUND_EXTRA_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]


def _add_playground(name: str, generate: Callable, task: str, summary: str) -> None:
    def load(params: PlaygroundParams, seed: int) -> Dataset:
        from nncli.io import check_fits

        features = len(PLAYGROUND_EXTRA_FEATURES) if params.extra_features else len(PLAYGROUND_FEATURES)
        check_fits(8 * params.n_samples * (features + 6), f"data.n_samples={params.n_samples:,}",
                   "use fewer samples", ConfigError)
        rng = np.random.default_rng(seed)
        points, y = generate(rng, params.n_samples, params.noise)
        order = rng.permutation(params.n_samples)  # the playground shuffles after generating
        points, y = points[order], y[order]
        X = _with_extra_features(points) if params.extra_features else points
        return Dataset(
            X=np.ascontiguousarray(X, dtype=np.float64),
            y=y,
            task=task,
            class_names=["0", "1"] if task == "classification" else None,
            feature_names=list(PLAYGROUND_EXTRA_FEATURES if params.extra_features else PLAYGROUND_FEATURES),
            description=f"{summary}; {params.n_samples} points, noise {params.noise}, seed {seed}",
        )

    def n_features(params: PlaygroundParams) -> int:
        return len(PLAYGROUND_EXTRA_FEATURES) if params.extra_features else len(PLAYGROUND_FEATURES)

    SOURCES.add(name, Source(PlaygroundParams, load, n_features, task, summary))


_add_playground("circle", _circle, "classification", "circle: class 1 inside radius 2.5, class 0 on a ring 3.5-5 (playground)")
_add_playground("xor", _xor, "classification", "xor: class 1 where x1 and x2 have the same sign (playground)")
_add_playground("gauss", _gauss, "classification", "gauss: two Gaussian clusters at (2, 2) (class 1) and (-2, -2) (playground)")
_add_playground("spiral", _spiral, "classification", "spiral: two interleaved spirals (playground)")
_add_playground("moons", _moons, "classification", "moons: two interleaving half circles (scikit-learn's make_moons)")
_add_playground("plane", _plane, "regression", "plane: target (x1 + x2) / 10 (playground regression)")
_add_playground(
    "multi_gaussian", _multi_gaussian, "regression",
    "multi_gaussian: six signed Gaussian bumps (playground regression)",
)
