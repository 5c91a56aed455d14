"""Preprocessing fitted on the training part only: for a table (a ``Frame``), imputation and
one-hot encoding of its columns (``nncli.data.encoding``); feature scaling (``SCALERS``); label
encoding. Saved as plain arrays (no pickle) so a run's ``model.npz`` holds it and ``predict``
takes raw rows. scikit-learn fits; the transforms are its formulas in NumPy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from nncli.data.columns import Frame, TableSchema
from nncli.data.encoding import TableEncoder
from nncli.data.formats import Request, check_features
from nncli.data.registry import TASKS
from nncli.data.report import ColumnReport
from nncli.errors import ConfigError, DataError, RunDirError, ShapeError, UsageError
from nncli.registry import Registry, closest


@dataclass
class Scaler:
    """A feature scaler: ``fit(X) -> state arrays`` and ``transform(X, state) -> X scaled``."""

    fit: Callable[[np.ndarray], dict[str, np.ndarray]]
    transform: Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]
    name: str = ""


SCALERS = Registry("scaler")


def _fit_standard(X: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    return {"mean": scaler.mean_, "scale": scaler.scale_}


def _fit_minmax(X: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(X)
    return {"min": scaler.min_, "scale": scaler.scale_}


# The transforms repeat scikit-learn's formulas in NumPy, so predict needs no scikit-learn.
SCALERS.add("standard", Scaler(_fit_standard, lambda X, s: (X - s["mean"]) / s["scale"]))
SCALERS.add("minmax", Scaler(_fit_minmax, lambda X, s: X * s["scale"] + s["min"]))
SCALERS.add("none", Scaler(lambda X: {}, lambda X, s: X.copy()))

#: 2 added the table encoding (``pre_table_*``); format-1 runs (no table) are still read.
PREPROCESSOR_FORMAT = 2
READABLE_FORMATS = (1, 2)
TABLE_PREFIX = "pre_table_"


class Preprocessor:
    """Column encoding (tables), feature scaling and label encoding, fit on the training part only.

    Parameters
    ----------
    scaler : {"standard", "minmax", "none"}
        scikit-learn's StandardScaler or MinMaxScaler, or no scaling.

    Notes
    -----
    Features are a float array (n_samples, n_features), scaled as they are, or a ``Frame`` (a
    table's raw columns, with text and gaps): its gaps are imputed and its categories one-hot
    encoded (``table``, a ``TableEncoder``), then the encoded matrix is scaled. ``n_features`` is
    the network's input size either way; ``feature_names`` the raw input columns.

    Classes are the sorted distinct training labels (``np.unique``), or the codes
    ``0 .. n_classes - 1`` when the data set names its classes (``Dataset.class_names``). Class
    ``k`` is output ``k`` of the network. Regression targets become float64 of shape
    (n_samples, n_targets) and are not scaled.
    """

    def __init__(self, scaler: str) -> None:
        self.scaler = SCALERS.canonical(scaler)
        self.scaler_state: dict[str, np.ndarray] = {}
        self.task: str | None = None
        self.n_features: int | None = None
        self.classes: np.ndarray | None = None
        self.class_names: list[str] | None = None
        self.n_targets: int | None = None
        self.feature_names: list[str] | None = None
        self.table: TableEncoder | None = None

    # -- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        task: str,
        class_names: list[str] | None = None,
        feature_names: list[str] | None = None,
    ) -> Preprocessor:
        """Fit on ``X_train`` (n_samples, n_features) or a ``Frame``, and the labels on ``y_train``."""
        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r} (choose from: {', '.join(TASKS)})")
        if isinstance(X_train, Frame):
            if len(X_train) == 0:
                raise ShapeError("the training part has no rows")
            options = X_train.options
            self.table = TableEncoder.fit(X_train, options.max_categories, options.missing_indicator)
            feature_names = list(self.table.schema.names) if self.table.schema.named else None
            X_train = self.table.transform(X_train)
        X_train = np.asarray(X_train, dtype=np.float64)
        if X_train.ndim != 2 or X_train.shape[0] == 0:
            raise ShapeError(f"training features need shape (n_samples, n_features) with n_samples > 0, got {X_train.shape}")
        self.task = task
        self.n_features = int(X_train.shape[1])
        self.feature_names = list(feature_names) if feature_names else None
        self.scaler_state = {k: np.asarray(v, dtype=np.float64) for k, v in SCALERS[self.scaler].fit(X_train).items()}
        if task == "classification":
            self._fit_classes(np.asarray(y_train), class_names)
        else:
            self.n_targets = int(as_targets(y_train).shape[1])
        return self

    def _fit_classes(self, y: np.ndarray, class_names: list[str] | None) -> None:
        y = as_label_vector(y)
        if class_names is not None:
            codes = np.arange(len(class_names))
            if y.dtype.kind not in "iu" or not np.isin(y, codes).all():
                raise DataError(f"labels must be class codes 0 to {len(class_names) - 1} when class names are given")
            self.classes, self.class_names = codes, [str(n) for n in class_names]
        else:
            self.classes = np.unique(y)
            self.class_names = [str(c) for c in self.classes]

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    @property
    def n_outputs(self) -> int:
        """Classes for classification, targets for regression."""
        self._check_fitted()
        return int(self.n_classes if self.task == "classification" else self.n_targets)

    @property
    def report(self) -> ColumnReport | None:
        """What became of each column of a table (None for array data)."""
        return None if self.table is None else self.table.report

    @property
    def schema(self) -> TableSchema | None:
        """The raw input columns a table run reads (None for array data)."""
        return None if self.table is None else self.table.schema

    @property
    def encoding_steps(self) -> list[str]:
        """The steps before scaling that turn raw columns into other columns (one-hot encoding,
        missing indicators); empty when the network's input is the raw numeric columns, scaled.

        A table of numbers only has none, but its gaps (NaN) are imputed with
        ``table.fill_values()`` before scaling.
        """
        if self.table is None:
            return []
        steps = []
        categorical = [name for name, kind in zip(self.table.schema.names, self.table.schema.kinds)
                       if kind == "categorical"]
        if categorical:
            steps.append(f"one-hot encoding of the categorical column{'s' if len(categorical) > 1 else ''} "
                         + ", ".join(categorical))
        if self.table.indicators:
            steps.append("missing-value indicator columns for " + ", ".join(self.table.indicators))
        return steps

    def request(self, target: int | str | None = None, default_target: int | str | None = None) -> Request:
        """What a file reader needs to give this preprocessor raw rows (``nncli.data.read_features``)."""
        self._check_fitted()
        return Request(self.n_features, self.feature_names, target, default_target, schema=self.schema)

    # -- applying -----------------------------------------------------------------------------

    def transform_X(self, X: Any, notices: list[str] | None = None) -> np.ndarray:
        """Raw features as the network's input, float64 (n_samples, n_features): a table's gaps
        imputed and categories one-hot encoded, then scaled as fit on the training part.

        ``X`` is an array (n_samples, n_features); for a table run also a ``Frame``, a mapping of
        column name to values, or a 2-D array of its raw input columns. A category never seen in
        training is encoded as zeros, with a notice appended to ``notices`` (a ``UserWarning``
        when ``notices`` is None).
        """
        self._check_fitted()
        if self.table is not None:
            found: list[str] = [] if notices is None else notices
            X = self.table.transform(X, found)
            if notices is None:
                warn(found)
        X = np.asarray(X, dtype=np.float64)
        check_features(X, self.n_features)
        return SCALERS[self.scaler].transform(X, self.scaler_state)

    def encode_y(self, y: np.ndarray) -> np.ndarray:
        """Raw labels → class indices (n_samples,) int64; regression → targets (n_samples, n_targets).

        Labels may be given as the training labels, as numbers written as text ("3") or, when the
        classes are named codes, by their class names. An unknown label is a ``DataError``.
        """
        self._check_fitted()
        if self.task == "regression":
            targets = as_targets(y)
            if targets.shape[1] != self.n_targets:
                raise ShapeError(f"expected {self.n_targets} target column(s), got {targets.shape[1]}")
            return targets
        return self._encode_labels(as_label_vector(np.asarray(y)))

    def _encode_labels(self, y: np.ndarray) -> np.ndarray:
        if self.classes.dtype.kind in "iuf":
            numbers = _try_float(y)
            if numbers is not None:
                return self._lookup_sorted(self.classes.astype(np.float64), numbers, y)
            by_name = {name: i for i, name in enumerate(self.class_names)}
            return self._lookup_names(by_name, y)
        return self._lookup_sorted(self.classes, y.astype(str), y)

    def _lookup_sorted(self, classes: np.ndarray, values: np.ndarray, raw: np.ndarray) -> np.ndarray:
        positions = np.clip(np.searchsorted(classes, values), 0, len(classes) - 1)
        unknown = np.flatnonzero(classes[positions] != values)
        if unknown.size:
            self._unknown_label(raw, unknown[0])
        return positions.astype(np.int64)

    def _lookup_names(self, by_name: dict[str, int], y: np.ndarray) -> np.ndarray:
        indices = np.empty(len(y), dtype=np.int64)
        for row, label in enumerate(y):
            if str(label) not in by_name:
                self._unknown_label(y, row)
            indices[row] = by_name[str(label)]
        return indices

    def _unknown_label(self, y: np.ndarray, row: int) -> None:
        label = y[row].item() if hasattr(y[row], "item") else y[row]
        suggestion = closest(str(label), self.class_names)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        raise DataError(
            f"unknown label {label!r} in row {row}{hint} (the model knows: {', '.join(self.class_names)})"
        )

    def decode(self, indices: np.ndarray, *, as_names: bool = True) -> np.ndarray:
        """Class indices (n_samples,) → class names (str), or raw labels with ``as_names=False``.

        For regression the predictions are returned unchanged (targets are not scaled).
        """
        self._check_fitted()
        if self.task == "regression":
            return np.asarray(indices)
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise ShapeError(f"expected class indices of shape (n_samples,), got {indices.dtype} of shape {indices.shape}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.n_classes):
            raise ShapeError(f"class indices must be 0 to {self.n_classes - 1}")
        table = np.array(self.class_names, dtype=str) if as_names else self.classes
        return table[indices]

    # -- saving -------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as arrays with keys ``pre_*``: numbers and unicode only (no pickle)."""
        self._check_fitted()
        arrays = {
            "pre_format": np.array(PREPROCESSOR_FORMAT),
            "pre_task": np.array(self.task),
            "pre_scaler": np.array(self.scaler),
            "pre_n_features": np.array(self.n_features),
        }
        for key, value in self.scaler_state.items():
            arrays[f"pre_scaler_{key}"] = value
        if self.task == "classification":
            arrays["pre_classes"] = self.classes.copy()
            arrays["pre_class_names"] = np.array(self.class_names, dtype=str)
        else:
            arrays["pre_n_targets"] = np.array(self.n_targets)
        if self.feature_names:
            arrays["pre_feature_names"] = np.array(self.feature_names, dtype=str)
        if self.table is not None:
            arrays.update(self.table.to_arrays(TABLE_PREFIX))
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Preprocessor:
        """Rebuild from ``to_arrays`` output (e.g. an ``np.load``-ed ``model.npz``)."""
        keys = set(arrays.keys())
        required = {"pre_format", "pre_task", "pre_scaler", "pre_n_features"}
        missing = sorted(required - keys)
        if missing:
            raise RunDirError(f"the saved model has no preprocessing state (missing {', '.join(missing)})")
        fmt = int(arrays["pre_format"])
        if fmt not in READABLE_FORMATS:
            raise RunDirError(f"preprocessing state format {fmt} is not supported (this nncli reads formats "
                              f"{', '.join(map(str, READABLE_FORMATS))})")
        pre = cls(str(arrays["pre_scaler"][()]))
        pre.task = str(arrays["pre_task"][()])
        pre.n_features = int(arrays["pre_n_features"])
        pre.scaler_state = {
            key[len("pre_scaler_"):]: np.asarray(arrays[key]) for key in keys if key.startswith("pre_scaler_")
        }
        if pre.task == "classification":
            pre.classes = np.asarray(arrays["pre_classes"])
            pre.class_names = [str(n) for n in arrays["pre_class_names"]]
        else:
            pre.n_targets = int(arrays["pre_n_targets"])
        if "pre_feature_names" in keys:
            pre.feature_names = [str(n) for n in arrays["pre_feature_names"]]
        if fmt >= 2 and f"{TABLE_PREFIX}columns" in keys:
            pre.table = TableEncoder.from_arrays(arrays, TABLE_PREFIX)
            if pre.table.width != pre.n_features:
                raise RunDirError(f"the saved table encoding gives {pre.table.width} columns but the model takes "
                                  f"{pre.n_features}; the run's model.npz is damaged")
        return pre

    def _check_fitted(self) -> None:
        if self.task is None:
            raise UsageError("the preprocessor is not fitted yet: call fit(X_train, y_train, task) first")


def warn(notices: list[str], stacklevel: int = 3) -> None:
    """Notices as ``UserWarning``s, for callers from Python that passed no list to collect them."""
    import warnings

    for notice in notices:
        warnings.warn(notice.removeprefix("warning: "), UserWarning, stacklevel=stacklevel)


def as_label_vector(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ShapeError(f"class labels need shape (n_samples,), got {y.shape}")
    if y.dtype.kind == "O" or y.dtype.kind == "S":
        y = y.astype(str)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    return y


def as_targets(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    try:
        targets = y.astype(np.float64)
    except ValueError:
        raise DataError("regression targets must be numbers") from None
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    if targets.ndim != 2:
        raise ShapeError(f"regression targets need shape (n_samples,) or (n_samples, n_targets), got {y.shape}")
    if not np.all(np.isfinite(targets)):
        row = int(np.argwhere(~np.isfinite(targets))[0][0])
        raise DataError(f"row {row}: the target is not a finite number")
    return targets


def _try_float(y: np.ndarray) -> np.ndarray | None:
    try:
        return y.astype(np.float64)
    except ValueError:
        return None
