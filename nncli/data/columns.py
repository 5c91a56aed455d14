"""The columns of a real table: which cells are gaps, which columns are numeric or categorical,
which are left out and why, and the ``Frame`` that carries raw rows as named columns.

Roles are decided from the file, before any split: a column whose cells are not all numbers
(gaps aside) is categorical; ``data.categorical`` makes a numeric-looking one categorical; a text
column of nearly all distinct values (an identifier, a free-text comment) is left out with a
reason. Nothing here is fitted: medians, categories and their counts come from the training part
(``nncli.data.encoding``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, TextIO

import numpy as np

from nncli.data import tables
from nncli.data.report import ColumnReport
from nncli.data.tables import Text
from nncli.errors import DataError, ShapeError

#: Cells that mark a gap beside the empty cell (always a gap): ``data.na_values``'s default.
NA_VALUES = ("NA", "N/A", "NaN", "nan", "null", "None", "?")
#: A text column with more distinct values than this, and more than this fraction of its
#: cells distinct, is an identifier or free text: left out unless named in ``data.categorical``.
IDENTIFIER_MIN_DISTINCT = 20
IDENTIFIER_DISTINCT_FRACTION = 0.5
MISSING_MODES = ("impute", "drop")
KINDS = ("numeric", "categorical")


def gap_cells(na_values: tuple[str, ...] | list[str]) -> frozenset[str]:
    return frozenset(("", *na_values))


@dataclass(frozen=True)
class TableOptions:
    """How a table is read and encoded (the ``csv`` source's keys of the same names)."""

    na_values: tuple[str, ...] = NA_VALUES
    features: tuple[int | str, ...] | None = None
    drop: tuple[int | str, ...] = ()
    categorical: tuple[int | str, ...] = ()
    missing: str = "impute"
    missing_indicator: bool = False
    max_categories: int | None = None


@dataclass(frozen=True)
class TableSchema:
    """The raw input columns a run reads: names (from the header, or positions), kinds, the
    gap markers, and the missing-value mode it was trained with."""

    names: tuple[str, ...]
    kinds: tuple[str, ...]
    na_values: tuple[str, ...] = NA_VALUES
    named: bool = True
    missing: str = "impute"

    @property
    def gaps(self) -> frozenset[str]:
        return gap_cells(self.na_values)


@dataclass
class Frame:
    """Raw rows of a table as named columns, each float64 (NaN for a gap) or ``Text``.

    Array-like where that is unambiguous: ``len``, ``shape`` (n_rows, n_columns), row selection
    ``frame[rows]``, and ``np.asarray(frame)`` when every column is numeric.
    """

    names: list[str]
    columns: list[np.ndarray | Text]
    lines: np.ndarray
    where: str = "the table"
    named: bool = True
    options: TableOptions = field(default_factory=TableOptions)
    report: ColumnReport | None = None
    notices: list[str] = field(default_factory=list)
    row_word: str = "line"  # what ``lines`` count: file lines, or rows given from Python

    @property
    def kinds(self) -> list[str]:
        return ["categorical" if isinstance(column, Text) else "numeric" for column in self.columns]

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.lines), len(self.columns))

    def __len__(self) -> int:
        return len(self.lines)

    def __getitem__(self, rows: Any) -> Frame:
        if isinstance(rows, (int, np.integer)):
            rows = [rows]
        return replace(self, columns=[column.take(rows) if isinstance(column, Text) else column[rows]
                                      for column in self.columns], lines=self.lines[rows])

    take = __getitem__

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        if any(isinstance(column, Text) for column in self.columns):
            text = [name for name, column in zip(self.names, self.columns) if isinstance(column, Text)]
            raise DataError(f"{self.where} has text columns ({', '.join(text)}): it is no array of numbers")
        block = np.column_stack(self.columns) if self.columns else np.empty((len(self), 0))
        return block if dtype is None else block.astype(dtype)

    def schema(self) -> TableSchema:
        return TableSchema(tuple(self.names), tuple(self.kinds), tuple(self.options.na_values), self.named,
                           self.options.missing)


# -- reading a training table ------------------------------------------------------------------

def read_frame(path: str | Path, *, target: int | str | None, options: TableOptions, delimiter: str = ",",
               header: bool | str = "auto") -> tuple[Frame, np.ndarray]:
    """The input columns of a CSV with their roles decided, and the target column's labels.

    Rows whose target is a gap are dropped, and with ``missing: drop`` rows with a gap in an
    input column; both are counted in ``frame.report``.

    Returns
    -------
    frame : Frame
    y : ndarray (n_rows,), int64, float64 or str
    """
    table = _open(path, delimiter, header)
    target_column = tables.target_index(table, target)
    inputs, dropped = _chosen_inputs(table, target_column, options)
    forced = {tables.column_index(table, key, "categorical") for key in options.categorical}
    for column in forced - set(inputs):
        raise DataError(f"{table.where}: data.categorical names {_label(table, column)}, which is not an input "
                        "column" + (" (it is the target)" if column == target_column else ""))
    kinds = {column: "text" if column in forced else "infer" for column in inputs}
    kinds[target_column] = "text"
    gaps = gap_cells(options.na_values)
    while True:
        try:
            columns, lines = tables.read_columns(table, kinds, gaps, hint="")
            break
        except tables.LateText as late:  # text after the first chunk of numbers: read again with it as text
            kinds[late.column] = "text"
            table = table.reopen()
    names = [_name(table, column) for column in range(table.n_columns)]
    forced_names = {names[column] for column in forced}
    report = ColumnReport(where=table.where, n_rows=len(lines), target=names[target_column],
                          missing=options.missing, dropped=dropped)
    keep = _rows_with_a_target(columns[target_column], report, names[target_column])
    inputs = [column for column in inputs if _usable(table, column, columns[column], column in forced, report)]
    if not inputs:
        raise DataError(f"{table.where}: no input column is left" + (f" ({_dropped_words(report)})" if report.dropped
                                                                    else f"{tables.delimiter_hint(table)}"))
    if options.missing == "drop":
        keep &= _rows_without_gaps([columns[column] for column in inputs], report)
    if not keep.any():
        reasons = "; ".join(f"{count} row{'s' if count != 1 else ''}: {why}" for count, why in report.rows_dropped)
        raise DataError(f"{table.where}: no row is left to train on ({reasons})")
    rows = np.flatnonzero(keep) if not keep.all() else slice(None)
    frame = Frame([names[column] for column in inputs], [_take(columns[column], rows) for column in inputs],
                  lines[rows], table.where, table.names is not None, options, report)
    _describe_columns(frame, report, forced_names)
    y = tables.labels(_take(columns[target_column], rows), frame.lines, table.where)
    return frame, y


def _open(path: str | Path, delimiter: str, header: bool | str) -> tables.CsvFile:
    table = tables.CsvFile(path, delimiter=delimiter, header=header)
    if table.names and len(set(table.names)) != len(table.names):
        repeated = next(name for name in table.names if table.names.count(name) > 1)
        raise DataError(f"{table.where}: the header names column {repeated!r} twice; rename one so that every "
                        "column can be found by its name")
    return table


def _describe_columns(frame: Frame, report: ColumnReport, forced_names: set[str]) -> None:
    """Each kept column's kind, gaps and (for a categorical one) why, into the report."""
    for name, column, kind in zip(frame.names, frame.columns, frame.kinds):
        (report.categorical if kind == "categorical" else report.numeric).append(name)
        report.gaps[name] = int(_gaps(column).sum())
        if kind == "categorical" and name in forced_names:
            report.why_categorical[name] = "named in data.categorical"
        elif kind == "categorical":
            why = _why_text(column, frame.lines)
            if why:
                report.why_categorical[name] = why


def _name(table: tables.CsvFile, column: int) -> str:
    return table.names[column] if table.names else str(column)


def _label(table: tables.CsvFile, column: int) -> str:
    return f"column {table.column_label(column)}"


def _chosen_inputs(table: tables.CsvFile, target_column: int, options: TableOptions) -> tuple[list[int], list]:
    """The input columns ``data.features`` or ``data.drop`` leave, and the columns they leave out."""
    if options.features is not None and options.drop:
        raise DataError("give data.features (the inputs) or data.drop (the columns left out), not both")
    everything = [column for column in range(table.n_columns) if column != target_column]
    if not everything:
        raise DataError(f"{table.where} has only the target column; features are missing{tables.delimiter_hint(table)}")
    if options.features is not None:
        chosen = [tables.column_index(table, key, "feature") for key in options.features]
        if target_column in chosen:
            raise DataError(f"{table.where}: data.features names the target column {_name(table, target_column)!r}; "
                            "the target is never an input")
        _no_repeats(table, chosen, "data.features")
        left_out = [column for column in everything if column not in chosen]
        return chosen, [[_name(table, column), "not in data.features"] for column in left_out]
    dropped = [tables.column_index(table, key, "dropped") for key in options.drop]
    _no_repeats(table, dropped, "data.drop")
    if target_column in dropped:
        raise DataError(f"{table.where}: data.drop names the target column {_name(table, target_column)!r}")
    return ([column for column in everything if column not in dropped],
            [[_name(table, column), "named in data.drop"] for column in dropped])


def _no_repeats(table: tables.CsvFile, columns: list[int], key: str) -> None:
    if len(set(columns)) != len(columns):
        repeated = next(column for column in columns if columns.count(column) > 1)
        raise DataError(f"{key} names {_label(table, repeated)} twice")


def _rows_with_a_target(column: Text, report: ColumnReport, target: str) -> np.ndarray:
    keep = ~column.gaps
    if not keep.all():
        report.rows_dropped.append([int((~keep).sum()), f"the target {target!r} is missing"])
    return keep


def _rows_without_gaps(columns: list, report: ColumnReport) -> np.ndarray:
    gaps = np.zeros(len(columns[0]), dtype=bool)
    for column in columns:
        gaps |= _gaps(column)
    if gaps.any():
        report.rows_dropped.append([int(gaps.sum()), "a gap in an input column (data.missing: drop)"])
    return ~gaps


def _gaps(column: np.ndarray | Text) -> np.ndarray:
    return column.gaps if isinstance(column, Text) else np.isnan(column)


def _take(column: np.ndarray | Text, rows: Any) -> np.ndarray | Text:
    return column.take(rows) if isinstance(column, Text) else column[rows]


def _usable(table: tables.CsvFile, column: int, values: np.ndarray | Text, forced: bool,
            report: ColumnReport) -> bool:
    """False (the reason noted) for a column without values, or an identifier-like text column."""
    name = _name(table, column)
    present = ~_gaps(values)
    if not present.any():
        report.dropped.append([name, "no values (every cell is a gap)"])
        return False
    if isinstance(values, Text) and not forced:
        n_present = int(present.sum())
        n_distinct = int(np.unique(values.codes[present]).size)
        if n_distinct > IDENTIFIER_MIN_DISTINCT and n_distinct > IDENTIFIER_DISTINCT_FRACTION * n_present:
            report.dropped.append([name, f"looks like an identifier or free text ({n_distinct} distinct values in "
                                   f"{n_present} rows); to keep it, list it in data.categorical"])
            return False
    return True


def _why_text(column: Text, lines: np.ndarray) -> str | None:
    """For a mostly numeric column made categorical by a few words: which word, where."""
    numeric = np.array([tables.is_number(level) for level in column.levels], dtype=bool)
    present = column.codes[column.codes >= 0]
    if present.size == 0 or numeric[present].mean() < 0.5:
        return None
    words = np.flatnonzero((column.codes >= 0) & ~numeric[np.maximum(column.codes, 0)])
    if words.size == 0:  # its text was in rows left out
        return None
    row = int(words[0])
    return (f"{column.levels[column.codes[row]]!r} (line {lines[row]}) is not a number; if it marks a gap, "
            "add it to data.na_values")


def _dropped_words(report: ColumnReport) -> str:
    return "; ".join(f"{name}: {why}" for name, why in report.dropped)


# -- reading a run's inputs --------------------------------------------------------------------

def read_inputs(source: str | Path | TextIO, schema: TableSchema, *, delimiter: str = ",",
                header: bool | str = "auto", target: int | str | None = None, labeled: bool = False,
                default_target: str | None = None) -> tuple[Frame, np.ndarray | None]:
    """A run's raw input columns from a CSV (by name under a header, else by position), and with
    ``labeled`` the target's labels (rows without a target dropped, with a notice).

    A column the run needs that the file lacks is a ``DataError`` naming it.
    """
    table = tables.CsvFile(source, delimiter=delimiter, header=header,
                           header_names=list(schema.names) if schema.named else None)
    target_column = None
    if labeled:
        if target is None and default_target is not None and default_target in (table.names or []):
            target = default_target
        target_column = tables.target_index(table, target)
    positions = _input_positions(table, schema, target_column)
    kinds: dict[int, str] = {}
    for position, name, kind in zip(positions, schema.names, schema.kinds):
        kinds[position] = "text" if kind == "categorical" else "numeric"
    if target_column is not None:
        kinds[target_column] = "text"
    hint = " (a number or a gap was expected: this column holds numbers in the run)"
    columns, lines = tables.read_columns(table, kinds, schema.gaps, hint=hint)
    frame = Frame(list(schema.names), [columns[position] for position in positions], lines, table.where,
                  schema.named, TableOptions(na_values=schema.na_values, missing=schema.missing))
    if target_column is None:
        return frame, None
    keep = ~columns[target_column].gaps
    if schema.missing == "drop":
        for column in frame.columns:
            keep &= ~_gaps(column)
    if not keep.all():
        frame.notices.append(f"note: {table.where}: {int((~keep).sum())} rows left out: "
                             + ("their target is missing" if schema.missing == "impute"
                                else "their target is missing or an input has a gap (the run has data.missing: drop)"))
        if not keep.any():
            raise DataError(f"{table.where}: no row is left to evaluate")
        frame = frame[np.flatnonzero(keep)]
    y = tables.labels(columns[target_column].take(np.flatnonzero(keep)), frame.lines, table.where)
    return frame, y


def _input_positions(table: tables.CsvFile, schema: TableSchema, target_column: int | None) -> list[int]:
    if table.names and schema.named:
        missing = [name for name in schema.names if name not in table.names]
        if missing:
            raise DataError(f"{table.where} has no column {missing[0]!r}, which the run takes as an input "
                            f"(its inputs: {', '.join(schema.names)}; the file's columns: {', '.join(table.names)})")
        return [table.names.index(name) for name in schema.names]
    positions = [column for column in range(table.n_columns) if column != target_column]
    if len(positions) != len(schema.names):
        hint = tables.delimiter_hint(table)
        if not hint and target_column is None and len(positions) == len(schema.names) + 1:
            hint = " (does the input still contain the target column?)"
        raise ShapeError(f"{table.where}: expected {len(schema.names)} input columns ({', '.join(schema.names)}), "
                         f"got {len(positions)}{hint}")
    return positions
