"""``history.csv``: one row per epoch, appended and fsynced whole; read back bounded; and the
run's one definition of its best epoch.

Columns: ``epoch``, ``loss``, the metrics, their ``val_`` versions, ``learning_rate`` and
``seconds``. A row is written with one ``write`` of the whole line, so a crash leaves at most an
unterminated last line, which readers ignore.
"""

from __future__ import annotations

import csv
import io
import math
import os
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from nncli.errors import RunDirError, UnknownNameError
from nncli.io import atomic_write_text, cause, read_text

#: The largest history.csv read (a 100,000-epoch run of 20 columns is about 20 MB).
MAX_HISTORY_BYTES = 64 * 1024 * 1024
#: The longest cell read: numbers are at most ~25 characters.
MAX_CELL_CHARS = 256


class HistoryWriter:
    """Append one CSV row per epoch to ``history.csv``, each row flushed and fsynced whole.

    Parameters
    ----------
    path : Path
        The CSV file, started (atomically) with the header and ``rows`` (the rows a resumed
        run already has, from its checkpoint).
    columns : list of str
        Header, e.g. ``["epoch", "loss", "accuracy", "val_loss", "val_accuracy",
        "learning_rate", "seconds"]``.
    rows : list of dict, optional

    Raises
    ------
    RunDirError
        The file cannot be written.
    """

    def __init__(self, path: Path | str, columns: list[str], rows: Sequence[Mapping[str, Any]] = ()) -> None:
        self._fd: int | None = None
        self.path = Path(path)
        self.columns = [str(column) for column in columns]
        if not self.columns:
            raise RunDirError(f"could not write {self.path}: a history needs at least one column")
        text = self._format_line(self.columns) + "".join(self._row_line(row) for row in rows)
        atomic_write_text(self.path, text)
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as error:
            raise RunDirError(f"could not write {self.path}: {cause(error)}") from error

    def append(self, row: Mapping[str, Any]) -> None:
        """Write one row (missing columns are left empty) and make it durable."""
        if self._fd is None:
            raise RunDirError(f"could not write {self.path}: the history writer is closed")
        data = self._row_line(row).encode("utf-8")
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
            os.fsync(self._fd)
        except OSError as error:
            raise RunDirError(f"could not write {self.path}: {cause(error)}") from error

    def _row_line(self, row: Mapping[str, Any]) -> str:
        unknown = [key for key in row if key not in self.columns]
        if unknown:
            raise RunDirError(f"could not write {self.path}: unknown columns {unknown} (columns are {self.columns})")
        return self._format_line([_format_value(row.get(column)) for column in self.columns])

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> HistoryWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __del__(self) -> None:
        self.close()

    @staticmethod
    def _format_line(fields: list[str]) -> str:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerow(fields)
        return buffer.getvalue()


def _format_value(value: Any) -> str:
    numpy = sys.modules.get("numpy")
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(int(value))
    if numpy is not None and isinstance(value, numpy.floating):
        return str(value)  # numpy's shortest repr for the value's own precision
    if numpy is not None and isinstance(value, numpy.integer):
        return str(int(value))
    if isinstance(value, float):
        return repr(value)
    return str(value)


def read_history(path: Path | str) -> dict[str, list[float]]:
    """Read ``history.csv`` into columns of floats (empty cells become NaN).

    A truncated last line (a crash in the middle of a write) is ignored.

    Raises
    ------
    UsageError
        The file does not exist.
    RunDirError
        The file is not a regular file, too large, has a cell longer than ``MAX_CELL_CHARS``, a
        complete line with the wrong number of fields, or a value that is not a number.
    """
    path = Path(path)
    text = read_text(path, max_bytes=MAX_HISTORY_BYTES, what="history", error=RunDirError)
    pieces = text.split("\n")
    lines = pieces[:-1]  # the last piece is "" or an unfinished line
    if not lines:
        return {}
    header = _fields(lines[0], path, 1)
    columns: dict[str, list[float]] = {column: [] for column in header}
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = _fields(line, path, number)
        if len(fields) != len(header):
            raise RunDirError(f"could not read {path}: line {number} has {len(fields)} fields, expected {len(header)}")
        for column, field in zip(header, fields):
            columns[column].append(_parse_float(field, path, number, column))
    return columns


def _fields(line: str, path: Path, number: int) -> list[str]:
    if len(line) > MAX_CELL_CHARS * 200:
        raise RunDirError(f"could not read {path}: line {number} has {len(line):,} characters")
    try:
        fields = next(csv.reader([line.rstrip("\r")]), [])
    except csv.Error as error:
        raise RunDirError(f"could not read {path}: line {number}: {error}") from None
    longest = max((len(field) for field in fields), default=0)
    if longest > MAX_CELL_CHARS:
        raise RunDirError(f"could not read {path}: line {number} has a cell of {longest:,} characters "
                          f"(at most {MAX_CELL_CHARS} are expected)")
    return fields


def _parse_float(field: str, path: Path, line_number: int, column: str) -> float:
    if not field.strip():
        return math.nan
    try:
        return float(field)
    except ValueError:
        raise RunDirError(
            f"could not read {path}: line {line_number}, column {column!r} is not a number: {field[:40]!r}"
        ) from None


def best_epoch(history: Mapping[str, Sequence[float]], monitor: str | None = None,
               mode: str = "auto") -> tuple[int | None, str]:
    """(1-based epoch with the best value, the quantity judged): the run's one best epoch.

    The quantity is ``monitor`` (EarlyStopping's, when the run has one), else ``val_loss``, else
    ``loss``; better is the metric's own direction (``nncli.engine.metrics.direction``) unless
    ``mode`` is "min" or "max". Ties go to the first epoch; None when no value is finite.
    """
    from nncli.engine import metrics

    candidates = [name for name in (monitor, "val_loss", "loss") if name]
    quantity = next((name for name in candidates if _finite(history.get(name, ()))), candidates[-1])
    values = [float(v) for v in history.get(quantity, ())]
    finite = [(value, index) for index, value in enumerate(values) if math.isfinite(value)]
    if not finite:
        return None, quantity
    if mode == "auto":
        try:
            mode = metrics.direction(quantity)
        except UnknownNameError:
            mode = "min"
    best = min(finite, key=lambda item: (item[0], item[1])) if mode == "min" else \
        min(finite, key=lambda item: (-item[0], item[1]))
    return best[1] + 1, quantity


def _finite(values: Sequence[float]) -> bool:
    return any(isinstance(v, (int, float)) and math.isfinite(v) for v in values)
