"""scikit-learn's bundled data sets: digits, iris, wine, breast_cancer, diabetes (no network)."""

from __future__ import annotations

import numpy as np

from nncli.data.registry import SOURCES, Dataset, Source, SourceParams


class NoParams(SourceParams):
    """A source without keys of its own."""


def _add_bundled(name: str, loader: str, task: str, n_features: int, summary: str) -> None:
    def load(params: NoParams, seed: int) -> Dataset:
        from sklearn import datasets

        bunch = getattr(datasets, loader)()
        class_names = [str(n) for n in bunch.target_names] if task == "classification" else None
        feature_names = getattr(bunch, "feature_names", None)
        return Dataset(
            X=np.asarray(bunch.data, dtype=np.float64),
            y=np.asarray(bunch.target),
            task=task,
            class_names=class_names,
            feature_names=[str(n) for n in feature_names] if feature_names is not None else None,
            description=summary,
        )

    SOURCES.add(name, Source(NoParams, load, lambda params: n_features, task, summary))


_add_bundled("digits", "load_digits", "classification", 64, "digits: 1797 8x8 images of handwritten digits 0-9 (scikit-learn)")
_add_bundled("iris", "load_iris", "classification", 4, "iris: 150 flowers, 4 measurements, 3 species (scikit-learn)")
_add_bundled("wine", "load_wine", "classification", 13, "wine: 178 wines, 13 chemical measurements, 3 cultivars (scikit-learn)")
_add_bundled(
    "breast_cancer", "load_breast_cancer", "classification", 30,
    "breast_cancer: 569 tumours, 30 features, malignant or benign (scikit-learn)",
)
_add_bundled("diabetes", "load_diabetes", "regression", 10, "diabetes: 442 patients, 10 features, disease progression (regression, scikit-learn)")
