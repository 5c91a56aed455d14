"""The data source registry: a source turns its config keys and the run's seed into a ``Dataset``.

A source is one ``SOURCES`` entry: its keys (a pydantic model, validated with the rest of the
config), a ``load(params, seed)`` function, and what it knows without loading (its task, its
number of features). The sources register themselves in ``nncli.data.sources``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

import numpy as np
from pydantic import BaseModel, ConfigDict

from nncli.registry import Registry

TASKS = ("classification", "regression")


@dataclass
class Dataset:
    """Arrays of one data set, before splitting and preprocessing.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Features, images flattened.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Classification: raw labels (integers or strings). Regression: float targets.
    task : {"classification", "regression"}
    class_names : list of str or None
        When ``y`` holds integer codes ``0 .. n_classes - 1``, ``class_names[k]`` names code
        ``k`` (scikit-learn's ``target_names``). None when labels are their own names
        (strings or arbitrary numbers) and for regression.
    feature_names : list of str or None
    description : str
        One line saying what the data is.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    description: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


class SourceParams(BaseModel):
    """Base of every source's config keys: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, allow_inf_nan=False)


@dataclass
class Source:
    """One entry of ``SOURCES``.

    Attributes
    ----------
    params : type[SourceParams]
        The source-specific config keys, with their defaults.
    load : callable (params, seed) -> Dataset
    n_features : callable (params) -> int or None
        The number of features, computed without loading when it is known in advance.
    task : str or None
        "classification" or "regression" when fixed by the source; None for files.
    summary : str
        One line for help texts.
    path_fields : tuple of str
        Params holding paths, made absolute when the config is loaded (from the config file's
        folder, or the current folder for a path given on the command line).
    name : str
        The registry name (``data.source`` in a config), set by ``SOURCES.add``.
    """

    params: type[SourceParams]
    load: Callable[[Any, int], Dataset]
    n_features: Callable[[Any], int | None] = lambda params: None
    task: str | None = None
    summary: str = ""
    path_fields: tuple[str, ...] = ()
    name: str = ""


SOURCES = Registry("data source")
