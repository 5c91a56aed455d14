"""Raw rows given from Python (``nncli.load_run(...).predict``): a ``Frame``, a mapping of column
name to values (a dict, a pandas DataFrame) or a 2-D array, as a ``Frame`` of a run's table
schema, with the gaps and categories a CSV of the same rows would give."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np

from nncli.data.columns import Frame, TableOptions, TableSchema
from nncli.data.tables import Text
from nncli.errors import DataError, ShapeError


def as_frame(rows: Any, schema: TableSchema) -> Frame:
    """Raw rows given as a ``Frame``, a mapping of column name to values (a dict, a pandas
    DataFrame) or a 2-D array of the input columns in order, as a ``Frame`` of ``schema``."""
    if isinstance(rows, Frame):
        missing = [name for name in schema.names if name not in rows.names]
        if missing:
            raise DataError(f"{rows.where} has no column {missing[0]!r}, which the run takes as an input")
        picked = [rows.columns[rows.names.index(name)] for name in schema.names]
        kinds = ["categorical" if isinstance(column, Text) else "numeric" for column in picked]
        if list(kinds) == list(schema.kinds):
            return replace(rows, names=list(schema.names), columns=picked)
        cells = {name: (column.values() if isinstance(column, Text) else column)
                 for name, column in zip(schema.names, picked)}
        return _from_cells(cells, schema, "the rows")
    if hasattr(rows, "keys") and hasattr(rows, "__getitem__"):
        names = [str(key) for key in rows.keys()]
        missing = [name for name in schema.names if name not in names]
        if missing:
            raise DataError(f"the rows have no column {missing[0]!r}, which the run takes as an input "
                            f"(its inputs: {', '.join(schema.names)})")
        return _from_cells({name: rows[name] for name in schema.names}, schema, "the rows")
    array = np.asarray(rows)
    if array.ndim != 2:
        raise ShapeError(f"expected rows of shape (n_samples, {len(schema.names)}), got shape {array.shape}")
    if array.shape[1] != len(schema.names):
        raise ShapeError(f"expected {len(schema.names)} columns ({', '.join(schema.names)}), got {array.shape[1]}")
    return _from_cells({name: array[:, j] for j, name in enumerate(schema.names)}, schema, "the rows")


def _from_cells(cells: dict[str, Any], schema: TableSchema, where: str) -> Frame:
    gaps = schema.gaps
    columns: list[np.ndarray | Text] = []
    n_rows = None
    for name, kind in zip(schema.names, schema.kinds):
        given = np.asarray(cells[name])
        if given.ndim != 1 and given.size != len(given):
            raise ShapeError(f"column {name!r} holds an array of shape {given.shape}; expected one value per row")
        if n_rows is not None and len(given) != n_rows:
            raise ShapeError(f"column {name!r} has {len(given)} values, the others {n_rows}")
        n_rows = len(given)
        if kind == "numeric" and given.dtype.kind in "biuf":  # numbers already: NaN is a gap
            columns.append(_checked_numbers(given.reshape(-1).astype(np.float64), name, where))
            continue
        values = given.reshape(-1).tolist()
        if kind == "numeric":
            columns.append(_numbers(values, gaps, name, where))
        else:
            texts = [None if _is_gap(value, gaps) else _text(value) for value in values]
            levels: dict[str, int] = {}
            codes = np.array([-1 if text is None else levels.setdefault(text, len(levels)) for text in texts],
                             dtype=np.int32).reshape(-1)
            columns.append(Text(codes, tuple(levels)))
    lines = np.arange(n_rows or 0, dtype=np.int64)
    return Frame(list(schema.names), columns, lines, where, schema.named,
                 TableOptions(na_values=schema.na_values, missing=schema.missing), row_word="row")


def _text(value: Any) -> str:
    """A category from a Python value: text stripped, an integral float as an integer (7.0 -> "7")."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _is_gap(value: Any, gaps: frozenset[str]) -> bool:
    if value is None:
        return True
    if isinstance(value, (float, np.floating)):
        return bool(np.isnan(value))
    return isinstance(value, str) and value.strip() in gaps


def _numbers(values: list[Any], gaps: frozenset[str], name: str, where: str) -> np.ndarray:
    numbers = np.empty(len(values), dtype=np.float64)
    for row, value in enumerate(values):
        if _is_gap(value, gaps):
            numbers[row] = np.nan
            continue
        try:
            numbers[row] = float(value.strip() if isinstance(value, str) else value)
        except (TypeError, ValueError):
            raise DataError(f"{where}, row {row}, column {name!r}: {value!r} is not a number (this column holds "
                            "numbers in the run)") from None
    return _checked_numbers(numbers, name, where)


def _checked_numbers(numbers: np.ndarray, name: str, where: str) -> np.ndarray:
    bad = np.isinf(numbers)
    if bad.any():
        row = int(np.flatnonzero(bad)[0])
        raise DataError(f"{where}, row {row}, column {name!r}: {numbers[row]} is not a finite number")
    return numbers
