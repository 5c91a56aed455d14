"""CSV files as tables of text cells, with the file line of every row: the header, the target
column, numeric columns, each problem named by line and column."""

from __future__ import annotations

import csv
import io as text_io
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import numpy as np

from nncli import io
from nncli.errors import DataError
from nncli.registry import closest

#: The largest CSV read (files and standard input alike).
MAX_TABLE_BYTES = 2 * 1024 * 1024 * 1024


@dataclass
class Table:
    """A CSV file as text cells, with the file line of each row."""

    where: str
    cells: np.ndarray  # (n_rows, n_columns) of str
    lines: np.ndarray  # (n_rows,) file line numbers
    names: list[str] | None  # the header, when there is one

    def column_label(self, index: int) -> str:
        return repr(self.names[index]) if self.names else str(index)


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _parse_rows(text: str, delimiter: str, where: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(text_io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if len(row) == 0 or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise DataError(f"{where} line {reader.line_num}: {error}") from None
    if not rows:
        raise DataError(f"{where} is empty: no rows to read")
    return rows


def _detect_header(rows: list[tuple[int, list[str]]]) -> bool:
    """The first row is a header when none of its cells is a number.

    A first row that mixes numbers and text is data with a bad cell (``abc,1,2,3``), reported
    by line and column rather than silently dropped. Headers whose names are numbers
    (``0,1,2``) need ``header: true``.
    """
    return not any(is_number(cell) for cell in rows[0][1])


def read_table(
    source: str | Path | TextIO, *, delimiter: str = ",", header: bool | str = "auto", where: str | None = None
) -> Table:
    """Read a CSV file (or an open text stream) into text cells, checking it is rectangular."""
    if isinstance(source, (str, Path)):
        where = where or str(source)
        text = io.read_text(source, max_bytes=MAX_TABLE_BYTES, what="data file", error=DataError)
    else:
        where = where or "standard input"
        text = source.read(MAX_TABLE_BYTES + 1)
        if len(text) > MAX_TABLE_BYTES:
            raise DataError(f"{where} holds more than {MAX_TABLE_BYTES:,} characters; refused")
    rows = _parse_rows(text, delimiter, where)
    has_header = _detect_header(rows) if header == "auto" else bool(header)
    names = None
    if has_header:
        first_line, first = rows.pop(0)
        names = [cell or f"column {i}" for i, cell in enumerate(first)]
        if not rows:
            raise DataError(f"{where} has a header (line {first_line}) but no data rows")
    n_columns = len(names) if names else len(rows[0][1])
    expected_from = "the header" if names else f"line {rows[0][0]}"
    for line, cells in rows:
        if len(cells) != n_columns:
            raise DataError(f"{where} line {line}: expected {n_columns} columns (as in {expected_from}), got {len(cells)}")
    return Table(
        where=where,
        cells=np.array([cells for _, cells in rows], dtype=str).reshape(len(rows), n_columns),
        lines=np.array([line for line, _ in rows]),
        names=names,
    )


def numeric_columns(table: Table, columns: list[int]) -> np.ndarray:
    """The given columns as float64 ``(n_rows, len(columns))``; non-numbers and NaN/Inf are errors."""
    block = table.cells[:, columns]
    try:
        values = block.astype(np.float64)
    except ValueError:
        for j, column in enumerate(columns):
            for i, cell in enumerate(block[:, j].tolist()):
                if not is_number(cell):
                    shown = repr(cell) if cell else "an empty cell"
                    raise DataError(
                        f"{table.where} line {table.lines[i]}, column {table.column_label(column)}: "
                        f"{shown} is not a number (features must be numeric)"
                    ) from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"{table.where} line {table.lines[i]}, column {table.column_label(columns[j])}: "
            f"{str(table.cells[i, columns[j]])!r} is not a finite number (NaN and infinite features are not allowed; "
            "fill or drop that row)"
        )
    return values


def target_index(table: Table, target: int | str | None) -> int:
    n_columns = table.cells.shape[1]
    if target is None:
        return n_columns - 1
    if isinstance(target, str) and not table.names and target.lstrip("-").isdigit():
        target = int(target)
    if isinstance(target, int) and not isinstance(target, bool):
        if -n_columns <= target < n_columns:
            return target % n_columns
        raise DataError(
            f"{table.where}: target column index {target} is out of range; the file has {n_columns} columns "
            f"(0 to {n_columns - 1}, or -1 for the last)"
        )
    if not table.names:
        raise DataError(
            f"{table.where} has no header row, so the target column cannot be named ({target!r}); "
            f"give its index (0 to {n_columns - 1}) or set data.header: true"
        )
    if target in table.names:
        return table.names.index(target)
    suggestion = closest(str(target), table.names)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise DataError(f"{table.where}: no target column named {target!r}{hint} (columns: {', '.join(table.names)})")


def labels_from_cells(cells: np.ndarray, lines: np.ndarray, where: str) -> np.ndarray:
    """A target column as int64 (integral numbers), float64 (other numbers) or str (text)."""
    empty = np.flatnonzero(cells == "")
    if empty.size:
        raise DataError(f"{where} line {lines[empty[0]]}: the target cell is empty")
    try:
        values = cells.astype(np.float64)
    except ValueError:
        return cells.astype(str)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"{where} line {lines[np.flatnonzero(bad)[0]]}: the target is not a finite number")
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64)
    return values


def table_to_arrays(table: Table, target: int | str | None) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    target_column = target_index(table, target)
    feature_columns = [i for i in range(table.cells.shape[1]) if i != target_column]
    if not feature_columns:
        raise DataError(f"{table.where} has only the target column; features are missing{delimiter_hint(table)}")
    X = numeric_columns(table, feature_columns)
    y = labels_from_cells(table.cells[:, target_column], table.lines, table.where)
    names = [table.names[i] for i in feature_columns] if table.names else None
    return X, y, names




def delimiter_hint(table: Table) -> str:
    """``"; its lines contain ';': set data.delimiter=';'"`` for a one-column table that looks
    separated by something other than commas (else "")."""
    if table.cells.shape[1] != 1:
        return ""
    sample = " ".join(table.cells[:20, 0].tolist()) + " ".join(table.names or [])
    for delimiter, shown in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")):
        if delimiter in sample:
            value = "'\\t'" if delimiter == "\t" else repr(delimiter)
            return f"; its lines contain {shown}: set data.delimiter={value}"
    return ""


def named_columns(table: Table, feature_names: list[str] | None) -> list[int] | None:
    """The columns of ``feature_names`` when the header holds all of them, else None."""
    if not (table.names and feature_names and set(feature_names) <= set(table.names)):
        return None
    return [table.names.index(name) for name in feature_names]
