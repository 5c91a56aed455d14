"""Splitting a data set into training and test parts (scikit-learn's ``train_test_split``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nncli.data.registry import Dataset
from nncli.errors import ConfigError, DataError


@dataclass
class Split:
    """Training and test parts of a data set; the test part is None when ``test_size`` is 0."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def split(dataset: Dataset, *, test_size: float | int, split_seed: int, stratify: bool) -> Split:
    """Split into training and test parts with ``sklearn.model_selection.train_test_split``.

    Parameters
    ----------
    dataset : Dataset
    test_size : float in [0, 1) or int
        Fraction (or number) of samples held out for testing. 0 means no test set: the whole data
        set is the training part, shuffled with ``split_seed`` as ``train_test_split`` would.
    split_seed : int
        ``random_state`` of the split (the lecture uses 3).
    stratify : bool
        Keep class proportions equal in both parts (classification only).

    Returns
    -------
    Split
    """
    n_samples = dataset.n_samples
    _check_test_size(test_size, n_samples)
    if stratify and dataset.task != "classification":
        raise ConfigError("data.stratify: true needs a classification task; this data is a regression task")
    if test_size == 0:
        order = np.random.RandomState(split_seed).permutation(n_samples)
        return Split(dataset.X[order], dataset.y[order])
    from sklearn.model_selection import train_test_split

    # A table's columns are split through row indices: the same rows train_test_split would pick.
    X = dataset.X if isinstance(dataset.X, np.ndarray) else np.arange(n_samples)
    try:
        X_train, X_test, y_train, y_test = train_test_split(
            X, dataset.y, test_size=test_size, random_state=split_seed,
            stratify=dataset.y if stratify else None,
        )
    except ValueError as error:
        raise DataError(f"cannot split {n_samples} samples with test_size={test_size}: {error}") from None
    if not isinstance(dataset.X, np.ndarray):
        X_train, X_test = dataset.X[X_train], dataset.X[X_test]
    return Split(X_train, y_train, X_test, y_test)


def _check_test_size(test_size: float | int, n_samples: int) -> None:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise ConfigError(f"data.test_size must be a fraction in [0, 1) or a number of samples, received: {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        if not 0 <= test_size < n_samples:
            raise ConfigError(f"data.test_size={test_size} samples: expected 0 to {n_samples - 1} for {n_samples} samples")
    elif not 0.0 <= test_size < 1.0:
        raise ConfigError(f"data.test_size={test_size}: expected a fraction in [0, 1)")
