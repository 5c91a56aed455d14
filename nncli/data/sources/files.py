"""Your own files as data sources: ``csv`` (a target column), ``npz`` (arrays X and y) and
``npy`` (two arrays); the task is inferred from the target unless ``task`` says it."""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from nncli.data import arrays, columns
from nncli.data.registry import SOURCES, Dataset, Source, SourceParams
from nncli.errors import DataError

#: Integer-valued targets with at most this many distinct values count as class labels
#: when a file source's ``task`` is ``auto``.
MAX_AUTO_CLASSES = 20

TaskChoice = Literal["auto", "classification", "regression"]


ColumnKey = int | str
TASK_DESCRIPTION = ("classification, regression, or auto: classification when the target holds text, or "
                    f"integers with at most {MAX_AUTO_CLASSES} distinct values.")


class CsvParams(SourceParams):
    """Keys of the ``csv`` source.

    ``target`` is a column name (needs a header) or an index (0-based, negative from the end);
    None means the last column. ``header: auto`` treats the first row as a header when it holds
    text where the data rows hold numbers. ``task: auto`` picks classification when the target
    holds text, or integers with at most 20 distinct values; regression otherwise.

    The other keys say how a real table's columns become the network's input (see
    ``nncli.data.columns``): every column but the target is an input unless ``features`` or
    ``drop`` says otherwise; a column whose cells are not all numbers is categorical (one-hot
    encoded); gaps are imputed or their rows dropped. All of it is fitted on the training part.
    """

    path: str = Field(description="The data file (from this file's folder; from the current folder on the "
                      "command line).")
    target: int | str | None = Field(None, description="The target column: a name (needs a header) or an "
                                     "index (0-based, negative from the end); null: the last column.")
    header: bool | Literal["auto"] = Field("auto", description="Whether the first row names the columns; auto: "
                                           "when it holds text where the data rows hold numbers.")
    delimiter: str = Field(",", min_length=1, max_length=1, description="The one character between cells.")
    task: TaskChoice = Field("auto", description=TASK_DESCRIPTION)
    features: list[ColumnKey] | None = Field(
        None, description="The input columns (names or indices); default: every column but the target.")
    drop: list[ColumnKey] = Field(
        default_factory=list, description="Columns left out of the inputs (instead of features).")
    categorical: list[ColumnKey] = Field(
        default_factory=list, description="Columns one-hot encoded even though their cells are numbers "
        "(a code); a text column is categorical anyway.")
    na_values: list[str] = Field(
        default_factory=lambda: list(columns.NA_VALUES), description="Cells that mark a gap, beside the "
        "empty cell (always a gap).")
    missing: Literal["impute", "drop"] = Field(
        "impute", description="Gaps in inputs: impute (training median, or most frequent value) or drop "
        "the row; a row without a target is dropped either way.")
    missing_indicator: bool = Field(
        False, description="With impute, add a 0/1 column per numeric column that had gaps in training.")
    max_categories: int | None = Field(
        None, ge=2, description="At most this many one-hot columns per categorical column, an 'other' "
        "column (the rarest categories folded in) included; null for no limit.")

    @model_validator(mode="after")
    def _features_or_drop(self) -> "CsvParams":
        if self.features is not None and self.drop:
            raise ValueError("give features (the inputs) or drop (the columns left out), not both")
        if self.features is not None and not self.features:
            raise ValueError("features: [] leaves no input; list the input columns, or remove the key")
        return self

    def table_options(self) -> columns.TableOptions:
        return columns.TableOptions(
            na_values=tuple(self.na_values), features=None if self.features is None else tuple(self.features),
            drop=tuple(self.drop), categorical=tuple(self.categorical), missing=self.missing,
            missing_indicator=self.missing_indicator, max_categories=self.max_categories)


class NpzParams(SourceParams):
    """Keys of the ``npz`` source: features under ``x_key``, labels or targets under ``y_key``."""

    path: str = Field(description="The data file (from this file's folder; from the current folder on the "
                      "command line).")
    x_key: str = Field("X", description="The archive's array of features.")
    y_key: str = Field("y", description="The archive's array of labels or targets.")
    task: TaskChoice = Field("auto", description=TASK_DESCRIPTION)


class NpyParams(SourceParams):
    """Keys of the ``npy`` source: one ``.npy`` file of features, one of labels or targets."""

    x_path: str = Field(description="The .npy file of features, (n_samples, n_features).")
    y_path: str = Field(description="The .npy file of labels or targets, (n_samples,) or (n_samples, n).")
    task: TaskChoice = Field("auto", description=TASK_DESCRIPTION)


def infer_task(y: np.ndarray) -> str:
    """Classification for text labels, or integers with at most ``MAX_AUTO_CLASSES`` values."""
    y = np.asarray(y)
    if y.dtype.kind in "USOb":
        return "classification"
    if y.ndim == 2 and y.shape[1] > 1:
        return "regression"
    finite = y[np.isfinite(y)] if y.dtype.kind == "f" else y
    integral = y.dtype.kind in "iu" or bool(np.all(finite == np.round(finite)))
    if integral and len(np.unique(y)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def _finish_file_dataset(X: np.ndarray | columns.Frame, y: np.ndarray, task: str, where: str,
                         feature_names=None) -> Dataset:
    task = infer_task(y) if task == "auto" else task
    if task == "regression":
        if y.dtype.kind not in "iuf":
            example = y.ravel()[0]
            raise DataError(f"{where}: the target holds text ({example!r}), so it cannot be a regression target; set data.task: classification")
        y = y.astype(np.float64)
    else:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise DataError(f"{where}: classification needs one label per sample, got labels of shape {y.shape}")
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
    n_outputs = _n_outputs(y, task)
    outputs = f"{n_outputs} classes" if task == "classification" else f"{n_outputs} target(s)"
    description = f"{where}: {X.shape[0]} samples, {X.shape[1]} features, {task} with {outputs}"
    return Dataset(X=X, y=y, task=task, class_names=None, feature_names=feature_names, description=description)


def _n_outputs(y: np.ndarray, task: str) -> int:
    if task == "classification":
        return len(np.unique(y))
    return 1 if y.ndim == 1 else int(y.shape[1])


def _load_csv(params: CsvParams, seed: int) -> Dataset:
    frame, y = columns.read_frame(params.path, target=params.target, options=params.table_options(),
                                  delimiter=params.delimiter, header=params.header)
    return _finish_file_dataset(frame, y, params.task, frame.where, list(frame.names) if frame.named else None)


def _load_npz(params: NpzParams, seed: int) -> Dataset:
    X, y = arrays.xy_from_archive(params.path, params.x_key, params.y_key)
    return _finish_file_dataset(X, y, params.task, params.path)


def _load_npy(params: NpyParams, seed: int) -> Dataset:
    X = arrays.features_from_array(arrays.load_array(params.x_path), params.x_path)
    y = arrays.labels_from_array(arrays.load_array(params.y_path), X.shape[0], params.y_path)
    return _finish_file_dataset(X, y, params.task, params.x_path)


SOURCES.add("csv", Source(CsvParams, _load_csv, summary="csv: a CSV file with a target column", path_fields=("path",)))
SOURCES.add("npz", Source(NpzParams, _load_npz, summary="npz: arrays X and y in an .npz file", path_fields=("path",)))
SOURCES.add("npy", Source(NpyParams, _load_npy, summary="npy: features and labels in two .npy files",
                          path_fields=("x_path", "y_path")))
