"""NumPy files as data: ``.npy`` arrays and ``.npz`` archives, read without pickle, checked
(numeric or text labels, finite features, matching row counts; images flattened)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.lib import format as npy_format

from nncli import io
from nncli.errors import DataError


def load_array(path: str | Path, where: str | None = None) -> np.ndarray:
    """One ``.npy`` array, read without pickle."""
    path = io.regular_file(path, "data file", DataError)
    where = where or str(path)
    _check_not_empty(path)
    try:
        with open(path, "rb") as stream:
            version = npy_format.read_magic(stream)
            shape, _, dtype = (npy_format.read_array_header_1_0(stream) if version == (1, 0)
                               else npy_format.read_array_header_2_0(stream))
            if dtype.hasobject:
                raise _array_error(where, ValueError("Object arrays cannot be loaded"))
            if math.prod(shape) * dtype.itemsize > path.stat().st_size:
                raise DataError(f"{where} is truncated: its header claims shape {tuple(shape)}")
        return np.load(path, allow_pickle=False)
    except DataError:
        raise
    except ValueError as error:
        raise _array_error(where, error) from None
    except OSError as error:
        raise DataError(f"cannot read {where} as a .npy file: {error}") from None


def load_archive(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read without pickle."""
    path = io.regular_file(path, "data file", DataError)
    _check_not_empty(path)
    with open(path, "rb") as stream:
        if stream.read(6) == b"\x93NUMPY":
            raise DataError(f"{path} is a single .npy array, not an .npz archive; use the npy source")
    try:
        return io.load_npz(path, what="data file", error=DataError)
    except DataError as error:
        raise DataError(str(error).replace("could not read", "cannot read").replace(
            "the file is corrupt or truncated", "not a readable .npz archive")) from None


def _check_not_empty(path: Path) -> None:
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")


def _array_error(where: str, error: ValueError) -> DataError:
    if "pickle" in str(error).lower() or "object arrays" in str(error).lower():
        return io.pickle_refused(where)
    return DataError(f"cannot read {where}: {error}")


def features_from_array(X: np.ndarray, where: str, allow_nan: bool = False) -> np.ndarray:
    """Check an array of features: numeric, at least one row and column, finite (NaN, a gap, allowed
    with ``allow_nan``); images flattened."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise DataError(f"{where}: features must be numbers, got an array of dtype {X.dtype}")
    if X.ndim < 2:
        raise DataError(
            f"{where}: features need shape (n_samples, n_features), got shape {X.shape}; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    if X.shape[0] == 0:
        raise DataError(f"{where} has no samples (shape {X.shape})")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if X.shape[1] == 0:
        raise DataError(f"{where} has no features (shape {X.shape})")
    _check_finite_rows(np.nan_to_num(X, nan=0.0, posinf=np.inf, neginf=-np.inf) if allow_nan else X, where)
    return X


def _check_finite_rows(X: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"{where} row {row}, column {column}: {X[row, column]} is not a finite number "
            "(NaN and infinite features are not allowed; fill or drop that row)"
        )


def labels_from_array(y: np.ndarray, n_samples: int, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind == "S":
        y = y.astype(str)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind not in "iufU":
        raise DataError(f"{where}: labels must be numbers or strings, got an array of dtype {y.dtype}")
    if y.ndim not in (1, 2):
        raise DataError(f"{where}: labels need shape (n_samples,) or (n_samples, n_targets), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise DataError(f"{where}: the features have {n_samples} rows but the labels have {y.shape[0]}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        row = int(np.argwhere(~np.isfinite(y))[0][0])
        raise DataError(f"{where} row {row}: the target is not a finite number")
    return y


def xy_from_archive(path: str | Path, x_key: str = "X", y_key: str | None = "y",
                    allow_nan: bool = False) -> tuple[np.ndarray, np.ndarray | None]:
    arrays = load_archive(path)
    found = ", ".join(repr(k) for k in arrays) or "none"
    if x_key not in arrays:
        raise DataError(f"{path} has no array {x_key!r} (the features); arrays found: {found}")
    X = features_from_array(arrays[x_key], f"{path} (array {x_key!r})", allow_nan)
    if y_key is None:
        return X, None
    if y_key not in arrays:
        raise DataError(f"{path} has no array {y_key!r} (the labels); arrays found: {found}")
    return X, labels_from_array(arrays[y_key], X.shape[0], f"{path} (array {y_key!r})")


