"""CSV files read as columns, streamed: the header, then each wanted column converted chunk by
chunk, numbers to float64 (NaN for a gap) and text to codes into its distinct values, so memory
stays near that of the numbers; every problem named by file, line and column."""

from __future__ import annotations

import csv
import itertools
from array import array
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator, TextIO

import numpy as np

from nncli import io
from nncli.errors import DataError
from nncli.registry import closest

#: The largest CSV read (files and standard input alike).
MAX_TABLE_BYTES = 2 * 1024 * 1024 * 1024
#: Cells converted at a time (whole rows, at least one): the text cells of one chunk are all that
#: is held as Python strings (about 75 bytes each).
CHUNK_CELLS = 262_144
#: Rows kept as text for messages (the delimiter hint).
SAMPLE_ROWS = 20


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


@dataclass(frozen=True)
class Text:
    """A text column: ``codes[i]`` indexes ``levels`` (the distinct values, in order of first
    appearance); -1 is a gap."""

    codes: np.ndarray  # (n_rows,) int32
    levels: tuple[str, ...]

    def __len__(self) -> int:
        return int(self.codes.shape[0])

    def take(self, rows: np.ndarray | slice) -> Text:
        return Text(self.codes[rows], self.levels)

    @property
    def gaps(self) -> np.ndarray:
        return self.codes < 0

    def values(self) -> np.ndarray:
        """The cells as str, ``""`` for a gap."""
        table = np.array([*self.levels, ""], dtype=str)
        return table[self.codes]


class CsvFile:
    """An open CSV file (or text stream): the header decided, data rows streamed.

    Parameters
    ----------
    source : path or text stream
    delimiter : str
    header : True, False or "auto"
        "auto": the first row is a header when none of its cells is a number, or when it holds
        every name of ``header_names``.
    header_names : list of str, optional
        Column names the caller expects (a run's inputs).
    """

    def __init__(self, source: str | Path | TextIO, *, delimiter: str = ",", header: bool | str = "auto",
                 where: str | None = None, header_names: list[str] | None = None) -> None:
        self.source = source
        self.delimiter = delimiter
        if isinstance(source, (str, Path)):
            self.where = where or str(source)
            path = io.regular_file(source, "data file", DataError)
            size = path.stat().st_size
            if size > MAX_TABLE_BYTES:
                raise DataError(f"data file {path} is larger than {MAX_TABLE_BYTES:,} bytes; refused")
        else:
            self.where = where or "standard input"
        self._stream: TextIO | None = None
        rows = self._open()
        first = next(rows, None)
        if first is None:
            raise DataError(f"{self.where} is empty: no rows to read")
        self.has_header = _is_header(first[1], header_names) if header == "auto" else bool(header)
        self.names: list[str] | None = None
        if self.has_header:
            self.header_line = first[0]
            self.names = [cell or f"column {i}" for i, cell in enumerate(first[1])]
            first = next(rows, None)
            if first is None:
                self.close()
                raise DataError(f"{self.where} has a header (line {self.header_line}) but no data rows")
        self.n_columns = len(self.names) if self.names else len(first[1])
        self._expected_from = "the header" if self.names else f"line {first[0]}"
        buffered = [first, *itertools.islice(rows, SAMPLE_ROWS - 1)]
        self.sample = [cells for _, cells in buffered]
        self._rows = itertools.chain(buffered, rows)

    def _open(self) -> Iterator[tuple[int, list[str]]]:
        if isinstance(self.source, (str, Path)):
            try:
                self._stream = open(self.source, encoding="utf-8-sig", newline="")
            except OSError as failure:
                raise DataError(f"cannot read data file {self.source}: {io.cause(failure)}") from None
            lines: Iterator[str] = self._stream
        else:
            lines = _bounded(self.source, self.where)
        return self._parse(lines)

    def _parse(self, lines: Iterator[str]) -> Iterator[tuple[int, list[str]]]:
        reader = csv.reader(lines, delimiter=self.delimiter)
        try:
            for row in reader:
                if len(row) == 0 or (len(row) == 1 and not row[0].strip()):
                    continue  # blank line
                yield reader.line_num, [cell.strip() for cell in row]
        except csv.Error as error:
            raise DataError(f"{self.where} line {reader.line_num}: {error}") from None
        except UnicodeDecodeError as failure:
            raise DataError(f"{self.where} is not UTF-8 text (after line {reader.line_num}: byte "
                            f"{failure.object[failure.start:failure.start + 1]!r}); save it as UTF-8") from None
        finally:
            self.close()

    def close(self) -> None:
        if self._stream is not None:
            self._stream.close()
            self._stream = None

    def column_label(self, index: int) -> str:
        return repr(self.names[index]) if self.names else str(index)

    def rows(self) -> Iterator[tuple[int, list[str]]]:
        """The data rows (file line, stripped cells), each checked to have ``n_columns`` cells."""
        for line, cells in self._rows:
            if len(cells) != self.n_columns:
                raise DataError(f"{self.where} line {line}: expected {self.n_columns} columns (as in "
                                f"{self._expected_from}), got {len(cells)}")
            yield line, cells

    def reopen(self) -> CsvFile:
        """The same file read again from its start (files only)."""
        if not isinstance(self.source, (str, Path)):
            raise DataError(f"{self.where}: cannot be read twice")
        return CsvFile(self.source, delimiter=self.delimiter, header=self.has_header, where=self.where)


def _is_header(cells: list[str], header_names: list[str] | None) -> bool:
    """A first row without numbers is a header; so is one holding every expected name.

    A first row that mixes numbers and text is data (``abc,1,2,3``), reported by line and column
    rather than silently dropped. Headers whose names are numbers (``0,1,2``) need ``header: true``.
    """
    if header_names and set(header_names) <= set(cells):
        return True
    return not any(is_number(cell) for cell in cells)


def _bounded(stream: TextIO, where: str) -> Iterator[str]:
    read = 0
    for line in stream:
        read += len(line)
        if read > MAX_TABLE_BYTES:
            raise DataError(f"{where} holds more than {MAX_TABLE_BYTES:,} characters; refused")
        yield line


# -- columns -----------------------------------------------------------------------------------

class LateText(Exception):
    """An inferred column met text after its first chunk had been stored as numbers."""

    def __init__(self, column: int) -> None:
        super().__init__(column)
        self.column = column


class _Numbers:
    """Float64 chunks of a column; gaps (``na`` cells) become NaN."""

    def __init__(self, table: CsvFile, column: int, na: frozenset[str], hint: str, infer: bool) -> None:
        self.table, self.column, self.na, self.hint, self.infer = table, column, na, hint, infer
        self.chunks: list[np.ndarray] = []

    def add(self, cells: tuple[str, ...], lines: array) -> bool:
        """Convert one chunk; False when an inferred column holds text (nothing stored then)."""
        gaps = np.fromiter((cell in self.na for cell in cells), bool, len(cells))
        if gaps.any():
            cells = tuple("nan" if gap else cell for cell, gap in zip(cells, gaps))
        try:
            values = np.array(cells, dtype=np.float64)
        except ValueError:
            if self.infer:
                return False
            row = next(i for i, cell in enumerate(cells) if not gaps[i] and not is_number(cell))
            shown = repr(cells[row]) if cells[row] else "an empty cell"
            raise DataError(f"{self._at(lines[row])}: {shown} is not a number{self.hint}") from None
        bad = ~np.isfinite(values) & ~gaps
        if bad.any():
            row = int(np.flatnonzero(bad)[0])
            raise DataError(f"{self._at(lines[row])}: {cells[row]!r} is not a finite number (NaN and infinite "
                            "features are not allowed; fill or drop that row)")
        self.chunks.append(values)
        return True

    def _at(self, line: int) -> str:
        return f"{self.table.where} line {line}, column {self.table.column_label(self.column)}"

    def result(self) -> np.ndarray:
        return np.concatenate(self.chunks) if self.chunks else np.empty(0)


class _Text:
    """Codes into the distinct cells of a column, in order of first appearance; -1 for a gap."""

    def __init__(self, na: frozenset[str]) -> None:
        self.index: dict[str, int] = {cell: -1 for cell in na}
        self.n_levels = 0
        self.codes = array("i")

    def add(self, cells: tuple[str, ...], lines: array) -> bool:
        index = self.index
        for cell in cells:
            code = index.get(cell)
            if code is None:
                code = index[cell] = self.n_levels
                self.n_levels += 1
            self.codes.append(code)
        return True

    def result(self) -> Text:
        levels = [""] * self.n_levels
        for cell, code in self.index.items():
            if code >= 0:
                levels[code] = cell
        return Text(np.frombuffer(self.codes, dtype=np.int32).copy() if self.codes else np.empty(0, np.int32),
                    tuple(levels))


def read_columns(table: CsvFile, kinds: dict[int, str], gaps: frozenset[str] = frozenset(),
                 hint: str = " (features must be numeric)") -> tuple[dict[int, np.ndarray | Text], np.ndarray]:
    """The columns ``kinds`` names, streamed from ``table``, and the file line of every row.

    Parameters
    ----------
    kinds : dict of column index -> "numeric", "text" or "infer"
        "infer" stores numbers while every cell is a number or a gap, else text. An inferred
        column that meets text after its first chunk raises ``LateText`` (read again with it as
        "text").
    gaps : frozenset of str
        Cells that mark a gap (none by default: then an empty cell is not a number).
    hint : str
        Appended to "'x' is not a number" in a numeric column.

    Returns
    -------
    columns : dict of column index -> ndarray (n_rows,) float64 or Text
    lines : ndarray (n_rows,) int64
    """
    na = gaps
    builders: dict[int, _Numbers | _Text] = {
        column: _Text(na) if kind == "text" else _Numbers(table, column, na, hint, kind == "infer")
        for column, kind in kinds.items()
    }
    lines = array("q")
    chunk: list[list[str]] = []
    first_chunk = True
    chunk_rows = max(1, CHUNK_CELLS // max(1, table.n_columns))

    def flush() -> None:
        nonlocal first_chunk
        chunk_lines = lines[len(lines) - len(chunk):]
        by_column = list(zip(*chunk)) if chunk else []
        for column, builder in builders.items():
            if not builder.add(by_column[column], chunk_lines):
                if not first_chunk:
                    raise LateText(column)
                builders[column] = _Text(na)
                builders[column].add(by_column[column], chunk_lines)
        chunk.clear()
        first_chunk = False

    for line, cells in table.rows():
        lines.append(line)
        chunk.append(cells)
        if len(chunk) == chunk_rows:
            flush()
    if chunk or first_chunk:
        flush()
    return ({column: builder.result() for column, builder in builders.items()},
            np.frombuffer(lines, dtype=np.int64).copy() if lines else np.empty(0, np.int64))


def column_index(table: CsvFile, key: int | str, what: str) -> int:
    """The index of a column given by name (needs a header) or index (negative from the end)."""
    n_columns = table.n_columns
    if isinstance(key, str) and not table.names and key.lstrip("-").isdigit():
        key = int(key)
    if isinstance(key, int) and not isinstance(key, bool):
        if -n_columns <= key < n_columns:
            return key % n_columns
        raise DataError(
            f"{table.where}: {what} column index {key} is out of range; the file has {n_columns} columns "
            f"(0 to {n_columns - 1}, or -1 for the last)"
        )
    if not table.names:
        raise DataError(
            f"{table.where} has no header row, so the {what} column cannot be named ({key!r}); "
            f"give its index (0 to {n_columns - 1}) or set data.header: true"
        )
    if key in table.names:
        return table.names.index(key)
    suggestion = closest(str(key), table.names)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise DataError(f"{table.where}: no {what} column named {key!r}{hint} (columns: {', '.join(table.names)})")


def target_index(table: CsvFile, target: int | str | None) -> int:
    return table.n_columns - 1 if target is None else column_index(table, target, "target")


def labels(column: Text, lines: np.ndarray, where: str) -> np.ndarray:
    """A target column without gaps as int64 (integral numbers), float64 (other numbers) or str."""
    empty = column.gaps | (column.codes == (column.levels.index("") if "" in column.levels else -2))
    if empty.any():
        raise DataError(f"{where} line {lines[np.flatnonzero(empty)[0]]}: the target cell is empty")
    used = np.unique(column.codes)
    codes = np.searchsorted(used, column.codes)
    levels = [column.levels[code] for code in used]
    try:
        numbers = np.array(levels, dtype=np.float64)
    except ValueError:
        return np.array(levels, dtype=str)[codes]
    values = numbers[codes] if levels else np.empty(0)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"{where} line {lines[np.flatnonzero(bad)[0]]}: the target is not a finite number")
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64)
    return values


def delimiter_hint(table: CsvFile) -> str:
    """``"; its lines contain ';': set data.delimiter=';'"`` for a one-column table that looks
    separated by something other than commas (else "")."""
    if table.n_columns != 1:
        return ""
    sample = " ".join(cells[0] for cells in table.sample) + " ".join(table.names or [])
    for delimiter, shown in ((";", "';'"), ("\t", "a tab"), ("|", "'|'")):
        if delimiter in sample:
            value = "'\\t'" if delimiter == "\t" else repr(delimiter)
            return f"; its lines contain {shown}: set data.delimiter={value}"
    return ""


def named_columns(table: CsvFile, feature_names: list[str] | None) -> list[int] | None:
    """The columns of ``feature_names`` when the header holds all of them, else None."""
    if not (table.names and feature_names and set(feature_names) <= set(table.names)):
        return None
    return [table.names.index(name) for name in feature_names]


def numeric_block(columns: dict[int, np.ndarray], order: list[int]) -> np.ndarray:
    """Numeric columns side by side, float64 (n_rows, len(order))."""
    n_rows = len(next(iter(columns.values()))) if columns else 0
    block = np.empty((n_rows, len(order)), dtype=np.float64)
    for j, column in enumerate(order):
        block[:, j] = columns[column]
    return block

