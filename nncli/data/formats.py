"""File formats: one ``FORMATS`` entry per kind of file (by suffix), serving ``nncli predict
--input``, ``nncli evaluate --data`` and the file sources alike.

An entry reads raw feature rows (``features``) and, when the format can hold them, features
with labels (``labeled``). A file whose suffix no entry claims is read as CSV. Adding a format is
one entry here and its test.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TextIO

import numpy as np

from nncli.data import arrays, columns, tables
from nncli.errors import DataError, ShapeError, UsageError
from nncli.registry import Registry

FORMATS = Registry("file format")


@dataclass
class Request:
    """What the reader needs to know: the features the model expects, by count and (when known)
    name; the target column asked for, and the run's own (used when the file's header has it);
    CSV's delimiter and header rule; for a table run, its raw input columns (``schema``: then a
    CSV is read as a ``Frame`` of those columns, text and gaps included)."""

    n_features: int
    feature_names: list[str] | None = None
    target: int | str | None = None
    default_target: int | str | None = None
    delimiter: str = ","
    header: bool | str = "auto"
    schema: columns.TableSchema | None = None

    @property
    def n_inputs(self) -> int:
        """Columns of a raw row: a table run's input columns, else the model's features."""
        return self.n_features if self.schema is None else len(self.schema.names)


@dataclass
class Format:
    """One entry of ``FORMATS``.

    Attributes
    ----------
    suffixes : tuple of str
        File name endings it claims (lower case, with the dot).
    features : callable (path or text stream, Request) -> ndarray (n_samples, n_features) or Frame
    labeled : callable (path, Request) -> (X, y), or None when the format holds no labels
    name : str
        Set by ``FORMATS.add``.
    """

    suffixes: tuple[str, ...]
    features: Callable[[Any, Request], np.ndarray]
    labeled: Callable[[Path, Request], tuple[np.ndarray, np.ndarray]] | None = None
    name: str = ""


def for_path(path: Path | str) -> Format:
    """The entry whose suffixes claim ``path``; CSV otherwise (``-`` is CSV on standard input)."""
    suffix = Path(str(path)).suffix.lower()
    for name, entry in FORMATS.items():
        if suffix in entry.suffixes:
            return entry
    return FORMATS["csv"]


def check_width(n_columns: int, expected: int, where: str | None, hint: str = "") -> None:
    """Raise ``ShapeError`` "expected 713 columns (features), got 712" when they differ."""
    if n_columns != expected:
        prefix = f"{where}: " if where else ""
        if not hint and n_columns == expected + 1:
            hint = " (does the input still contain the target column?)"
        raise ShapeError(f"{prefix}expected {expected} columns (features), got {n_columns}{hint}")


def check_features(X: np.ndarray, expected: int, *, where: str | None = None) -> None:
    """Raise ``ShapeError`` unless ``X`` has shape (n_samples, expected)."""
    X = np.asarray(X)
    if X.ndim != 2:
        prefix = f"{where}: " if where else ""
        raise ShapeError(f"{prefix}expected an array of shape (n_samples, {expected}), got shape {X.shape}")
    check_width(X.shape[1], expected, where)


# -- csv ---------------------------------------------------------------------------------------
def _csv_features(source: Path | TextIO, request: Request) -> np.ndarray | columns.Frame:
    if request.schema is not None:
        return columns.read_inputs(source, request.schema, delimiter=request.delimiter)[0]
    table = tables.CsvFile(source, delimiter=request.delimiter, header_names=request.feature_names)
    chosen = tables.named_columns(table, request.feature_names) or list(range(table.n_columns))
    check_width(len(chosen), request.n_features, table.where, tables.delimiter_hint(table))
    values, _ = tables.read_columns(table, {column: "numeric" for column in chosen})
    return tables.numeric_block(values, chosen)


def _csv_labeled(path: Path, request: Request) -> tuple[np.ndarray | columns.Frame, np.ndarray]:
    if request.schema is not None:
        return columns.read_inputs(path, request.schema, delimiter=request.delimiter, header=request.header,
                                   target=request.target, labeled=True, default_target=request.default_target)
    table = tables.CsvFile(path, delimiter=request.delimiter, header=request.header)
    target = request.target
    if target is None and isinstance(request.default_target, str) and request.default_target in (table.names or []):
        target = request.default_target
    target_column = tables.target_index(table, target)
    chosen = tables.named_columns(table, request.feature_names)
    if chosen is None or target_column in chosen:
        chosen = [column for column in range(table.n_columns) if column != target_column]
    if not chosen:
        raise DataError(f"{table.where} has only the target column; features are missing{tables.delimiter_hint(table)}")
    values, lines = tables.read_columns(table, {**{column: "numeric" for column in chosen}, target_column: "text"})
    X = tables.numeric_block(values, chosen)
    y = tables.labels(values[target_column], lines, table.where)
    check_width(X.shape[1], request.n_features, str(path), tables.delimiter_hint(table))
    return X, y


# -- npy / npz ---------------------------------------------------------------------------------
def _npy_features(path: Path, request: Request) -> np.ndarray:
    X = arrays.features_from_array(arrays.load_array(path), str(path), allow_nan=request.schema is not None)
    check_features(X, request.n_inputs, where=str(path))
    return X


def _npz_features(path: Path, request: Request) -> np.ndarray:
    X, _ = arrays.xy_from_archive(path, "X", None, allow_nan=request.schema is not None)
    check_features(X, request.n_inputs, where=str(path))
    return X


def _npz_labeled(path: Path, request: Request) -> tuple[np.ndarray, np.ndarray]:
    X, y = arrays.xy_from_archive(path, "X", "y", allow_nan=request.schema is not None)
    check_features(X, request.n_inputs, where=str(path))
    return X, y


FORMATS.add("csv", Format((".csv", ".tsv", ".txt"), _csv_features, _csv_labeled))
FORMATS.add("npy", Format((".npy",), _npy_features))
FORMATS.add("npz", Format((".npz",), _npz_features, _npz_labeled))


def read_features(path_or_stdin: str | Path, request: Request, stream: TextIO | None = None) -> np.ndarray:
    """Raw feature rows for ``nncli predict``: any ``FORMATS`` file, or ``-`` for CSV on ``stream``.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64; a ``Frame`` for a table run's CSV
    """
    if str(path_or_stdin) == "-":
        if stream is None:
            raise UsageError("reading inputs from '-' needs a text stream (standard input)")
        return FORMATS["csv"].features(stream, request)
    return for_path(path_or_stdin).features(Path(path_or_stdin), request)


def read_labeled(path: str | Path, request: Request) -> tuple[np.ndarray, np.ndarray]:
    """Features and raw labels for ``nncli evaluate --data FILE`` (a CSV with a target column,
    an ``.npz`` with arrays X and y, or any other format that holds labels)."""
    entry = for_path(path)
    if entry.labeled is None:
        labeled = [name for name, other in FORMATS.items() if other.labeled is not None]
        raise UsageError(f"{path}: a {entry.name} file holds no labels; use one that does ({', '.join(labeled)})")
    return entry.labeled(Path(path), request)
