"""The run directory: created race-free, written atomically, read back safely.

A run lives in ``runs/<name>/`` (then ``<name>-2``, ``<name>-3``, ...) and holds::

    config.yaml      resolved config                          written at start
    summary.txt      the summary table                        written at start
    history.csv      one row per epoch                        appended, fsynced each epoch
    checkpoint.npz   weights, optimizer and RNG state         atomically, each epoch
    model.npz        final weights + preprocessing state      atomically, at the end
    metrics.json     status, final metrics, timings, ...      atomically, at start and end

Every file except ``history.csv`` is written to a hidden temporary file in the same folder,
flushed, fsynced and moved into place with ``os.replace``, so a reader sees the old file or the
new one, never half of one. Arrays are read with ``allow_pickle=False`` and JSON/YAML with safe
loaders: opening a run never runs code from it.

``metrics.json`` contract (written by the trainer, read here)::

    status            "running" | "completed" | "interrupted" | "failed"
    reason            why it stopped (str or null)
    name, created, updated   run name; ISO 8601 UTC times (see ``utc_now_iso``)
    pid, host         the training process, for ``effective_status``
    seed, epochs_completed, epochs_planned, best_epoch
    final             {"train": {metric: float}, "val": {...}, "test": {...}}
    baseline, wall_time_s, samples_per_s, versions

numpy and yaml are imported inside the functions that need them, so importing this module (and
``nncli --help``) stays cheap.
"""

from __future__ import annotations

import csv
import difflib
import errno
import io
import json
import math
import os
import secrets
import socket
import sys
import unicodedata
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from nncli.errors import DataError, RunDirError, UsageError

if TYPE_CHECKING:
    import numpy as np

MAX_RUN_NAME_CHARS = 100
# Room for a "-NNNNN" suffix under the usual 255-byte limit on one path component.
MAX_RUN_NAME_BYTES = 200
MAX_SUFFIX = 100_000
# A "running" run on another host whose metrics.json is older than this is reported interrupted.
STALE_AFTER_S = 3600.0

CONFIG_FILE = "config.yaml"
SUMMARY_FILE = "summary.txt"
HISTORY_FILE = "history.csv"
CHECKPOINT_FILE = "checkpoint.npz"
MODEL_FILE = "model.npz"
METRICS_FILE = "metrics.json"

HIGHER_IS_BETTER = ("accuracy", "auc", "precision", "recall", "f1", "r2")


# --------------------------------------------------------------------------- run names, mkdir


def validate_run_name(name: str) -> str:
    """Return ``name`` if it can be used as one folder name inside the runs folder.

    Raises
    ------
    UsageError
        Naming the received name and the rule it breaks: empty, longer than 100 characters
        (or 200 bytes in UTF-8), contains ``/`` or ``\\``, is ``.`` or ``..``, starts with ``.``,
        or contains a control character, NUL or line break.
    """
    if not isinstance(name, str):
        raise UsageError(f"invalid run name {name!r}: expected a string, got {type(name).__name__}")
    rule = _broken_name_rule(name)
    if rule:
        raise UsageError(f"invalid run name {name!r}: {rule}")
    return name


def _broken_name_rule(name: str) -> str | None:
    if not name:
        return "it must not be empty"
    if len(name) > MAX_RUN_NAME_CHARS:
        return f"it has {len(name)} characters, at most {MAX_RUN_NAME_CHARS} are allowed"
    if "\x00" in name:
        return "it must not contain a NUL character"
    if "/" in name or "\\" in name:
        return "it must not contain '/' or '\\' (a run name is one folder name, not a path)"
    if name in (".", ".."):
        return "'.' and '..' are not folder names"
    if name.startswith("."):
        return "it must not start with '.' (hidden folders are not listed as runs)"
    for char in name:
        if unicodedata.category(char) in ("Cc", "Zl", "Zp", "Cs"):
            return f"it must not contain control characters or line breaks (found {char!r})"
    if len(name.encode("utf-8")) > MAX_RUN_NAME_BYTES:
        return f"it is longer than {MAX_RUN_NAME_BYTES} bytes in UTF-8"
    return None


def create_run_dir(runs_dir: Path | str, name: str) -> Path:
    """Create a new, empty run folder ``runs_dir/name`` (or ``name-2``, ``name-3``, ...).

    Each candidate is made with one ``os.mkdir``, which either creates the folder or fails
    because it exists, so processes started at the same moment never share a folder.

    Parameters
    ----------
    runs_dir : Path
        The folder holding all runs; created with its parents if missing.
    name : str
        The run name (see ``validate_run_name``).

    Returns
    -------
    Path
        ``runs_dir / <folder name>``, a direct child of ``runs_dir``.

    Raises
    ------
    UsageError
        The name is not a valid folder name.
    RunDirError
        A folder cannot be created (permission denied, read-only file system, disk full, a
        path component is a file, ...); the message names the path and the cause.
    """
    validate_run_name(name)
    runs_dir = Path(runs_dir)
    try:
        runs_dir.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise RunDirError(f"could not create runs folder {runs_dir}: it exists and is not a folder") from None
    except OSError as error:
        raise RunDirError(f"could not create runs folder {runs_dir}: {_cause(error)}") from error
    for number in range(1, MAX_SUFFIX + 1):
        candidate = runs_dir / (name if number == 1 else f"{name}-{number}")
        try:
            os.mkdir(candidate)
        except FileExistsError:
            continue
        except OSError as error:
            raise RunDirError(f"could not create run directory {candidate}: {_cause(error)}") from error
        _check_inside(candidate, runs_dir)
        return candidate
    raise RunDirError(f"could not create run directory {runs_dir / name}: names up to -{MAX_SUFFIX} are all taken")


def _check_inside(created: Path, runs_dir: Path) -> None:
    # Unreachable with a validated name; kept so a future change to naming cannot write elsewhere.
    if created.resolve().parent != runs_dir.resolve():
        os.rmdir(created)
        raise RunDirError(f"run directory {created} would lie outside the runs folder {runs_dir}")


def _cause(error: OSError) -> str:
    """The reason of an OSError, as a person reads it, with a hint for the common ones."""
    reason = error.strerror or str(error)
    hints = {
        errno.EACCES: "check the folder's permissions or choose another runs folder",
        errno.EPERM: "check the folder's permissions or choose another runs folder",
        errno.EROFS: "the file system is read-only; choose another runs folder",
        errno.ENOSPC: "the disk is full; free some space",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
    }
    hint = hints.get(error.errno)
    return f"{reason} ({hint})" if hint else reason


# --------------------------------------------------------------------------- atomic writers


def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same folder, fsync, rename).

    Raises
    ------
    RunDirError
        "could not write <path>: <cause>"; the temporary file is removed and an existing
        ``path`` is left as it was.
    """
    _atomic_write(Path(path), lambda stream: stream.write(data))


def atomic_write_text(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; see ``atomic_write_bytes``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically.

    NaN and infinities become ``null``; numpy scalars and arrays become numbers and lists;
    tuples become lists, paths strings.
    """
    path = Path(path)
    plain = _to_builtin(obj, path, where="", keep_nonfinite=False)
    atomic_write_text(path, json.dumps(plain, indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def write_yaml(path: Path | str, obj: Any) -> None:
    """Write ``obj`` with ``yaml.safe_dump`` (keys in the given order), atomically."""
    import yaml

    path = Path(path)
    plain = _to_builtin(obj, path, where="", keep_nonfinite=True)
    text = yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=False)
    atomic_write_text(path, text)


def save_npz(path: Path | str, arrays: dict[str, np.ndarray]) -> None:
    """Save named arrays as an uncompressed ``.npz`` archive, atomically.

    Parameters
    ----------
    path : Path
        The archive to write (``checkpoint.npz``, ``model.npz``).
    arrays : dict of str to ndarray
        Any shapes and numeric, boolean, string or bytes dtypes; read back with ``load_npz``.

    Raises
    ------
    RunDirError
        An array has an object dtype (it could only be stored pickled), or the write fails.
    """
    import numpy as np
    from numpy.lib import format as npy_format

    path = Path(path)
    prepared = {}
    for key, value in arrays.items():
        array = np.asarray(value)
        if array.dtype.hasobject:
            raise RunDirError(
                f"could not write {path}: array {key!r} has dtype object, which can only be stored "
                "pickled; nncli never writes pickles (convert it to a numeric or string dtype)"
            )
        prepared[str(key)] = array

    def write_archive(stream: BinaryIO) -> None:
        with zipfile.ZipFile(stream, mode="w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
            for key, array in prepared.items():
                with archive.open(key + ".npy", mode="w", force_zip64=True) as member:
                    npy_format.write_array(member, array, allow_pickle=False)

    _atomic_write(path, write_archive)


def _atomic_write(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    folder = path.parent
    try:
        temp_path, fd = _create_temp(path)
    except OSError as error:
        raise RunDirError(f"could not write {path}: {_cause(error)}") from error
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_path, path)
    except OSError as error:
        _remove_quietly(temp_path)
        raise RunDirError(f"could not write {path}: {_cause(error)}") from error
    except BaseException:
        _remove_quietly(temp_path)
        raise
    _fsync_folder(folder)


def _create_temp(path: Path) -> tuple[Path, int]:
    # O_EXCL + the process umask gives the same permissions a plain open() would.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp_path = path.with_name(f".{path.name[:100]}.{secrets.token_hex(6)}.tmp")
        try:
            return temp_path, os.open(temp_path, flags, 0o666)
        except FileExistsError:
            continue


def _remove_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def _fsync_folder(folder: Path) -> None:
    # Makes the rename itself durable. The file is already in place at this point, so a file
    # system that cannot fsync a folder is not a failure of the write.
    try:
        fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _to_builtin(value: Any, path: Path, where: str, keep_nonfinite: bool) -> Any:
    """``value`` with numpy types, tuples and paths replaced by plain Python (JSON/YAML-safe)."""
    numpy = sys.modules.get("numpy")
    if numpy is not None:
        if isinstance(value, numpy.ndarray):
            value = value.tolist()
        elif isinstance(value, numpy.generic):
            value = value.item()
    if isinstance(value, float):
        return value if keep_nonfinite or math.isfinite(value) else None
    if value is None or isinstance(value, (str, bool, int)):
        return value
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        plain = {}
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            plain[_plain_key(key, path, where)] = _to_builtin(item, path, inner, keep_nonfinite)
        return plain
    if isinstance(value, (list, tuple)):
        return [_to_builtin(item, path, f"{where}[{index}]", keep_nonfinite) for index, item in enumerate(value)]
    location = f" at {where}" if where else ""
    raise RunDirError(f"could not write {path}: value of type {type(value).__name__}{location} cannot be saved")


def _plain_key(key: Any, path: Path, where: str) -> str | int | float | bool | None:
    plain = _to_builtin(key, path, where, keep_nonfinite=True)
    if plain is None or isinstance(plain, (str, int, float, bool)):
        return plain
    raise RunDirError(f"could not write {path}: key {key!r} of type {type(key).__name__} cannot be saved")


# --------------------------------------------------------------------------- safe readers


def load_npz(path: Path | str) -> dict[str, np.ndarray]:
    """Read every array of an ``.npz`` archive, never unpickling anything.

    Returns
    -------
    dict of str to ndarray
        Keyed as saved (the member names without ``.npy``).

    Raises
    ------
    UsageError
        The file does not exist.
    DataError
        The archive holds pickled Python objects (object arrays); nncli refuses to load them.
    RunDirError
        The file is not an ``.npz`` archive, is corrupt or truncated, or cannot be read.
    """
    path = _existing_file(path)
    corrupt = f"could not read {path}: the file is corrupt or truncated"
    try:
        with zipfile.ZipFile(path) as archive:
            return {_array_key(name, path): _read_member(archive, name, path) for name in archive.namelist()}
    except (RunDirError, DataError):
        raise
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, NotImplementedError) as error:
        raise RunDirError(f"{corrupt} ({error})") from error
    except OSError as error:
        raise RunDirError(f"{corrupt} ({_cause(error)})") from error


def _array_key(member: str, path: Path) -> str:
    if not member.endswith(".npy"):
        raise RunDirError(f"could not read {path}: member {member!r} is not a .npy array (not an nncli archive)")
    return member[: -len(".npy")]


def _read_member(archive: zipfile.ZipFile, member: str, path: Path) -> np.ndarray:
    # Reading each member with numpy's .npy reader (rather than np.load on the archive) means no
    # file content can route the load to the pickle module.
    from numpy.lib import format as npy_format

    with archive.open(member) as stream:
        try:
            return npy_format.read_array(stream, allow_pickle=False)
        except ValueError as error:
            if "allow_pickle" not in str(error):  # numpy's words for "this array is pickled"
                raise
    raise DataError(
        f"{path} contains pickled Python objects (array {member[:-4]!r}); nncli refuses to load "
        "them because unpickling can run arbitrary code"
    )


def read_json(path: Path | str) -> Any:
    """Read a JSON file.

    Raises
    ------
    UsageError
        The file does not exist.
    RunDirError
        The file cannot be read or is not valid JSON.
    """
    path = _existing_file(path)
    text = _read_text(path)
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise RunDirError(
            f"could not read {path}: not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None


def _existing_file(path: Path | str) -> Path:
    path = Path(path)
    if not path.exists():
        raise UsageError(f"file not found: {path}")
    if path.is_dir():
        raise UsageError(f"expected a file but {path} is a folder")
    return path


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise RunDirError(f"could not read {path}: not UTF-8 text ({error.reason} at byte {error.start})") from None
    except OSError as error:
        raise RunDirError(f"could not read {path}: {_cause(error)}") from error


# --------------------------------------------------------------------------- history.csv


class HistoryWriter:
    """Append one CSV row per epoch to ``history.csv``, each row flushed and fsynced whole.

    Parameters
    ----------
    path : Path
        The CSV file.
    columns : list of str
        Header, e.g. ``["epoch", "loss", "accuracy", "val_loss", "val_accuracy",
        "learning_rate", "seconds"]``.
    resume_rows : int, optional
        None starts a new file holding only the header. ``k`` continues an existing file: it is
        rewritten atomically with its header and exactly its first ``k`` complete rows (a partial
        last line and any rows after the ``k``-th, written after the last checkpoint, are dropped).

    Raises
    ------
    RunDirError
        The file cannot be written; when resuming, the file is missing, has other columns, or has
        fewer than ``k`` complete rows.
    """

    def __init__(self, path: Path | str, columns: list[str], resume_rows: int | None = None) -> None:
        self._fd: int | None = None
        self.path = Path(path)
        self.columns = [str(column) for column in columns]
        if not self.columns:
            raise RunDirError(f"could not write {self.path}: a history needs at least one column")
        if resume_rows is None:
            atomic_write_text(self.path, self._format_line(self.columns))
        else:
            atomic_write_text(self.path, self._kept_text(int(resume_rows)))
        try:
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND)
        except OSError as error:
            raise RunDirError(f"could not write {self.path}: {_cause(error)}") from error

    def append(self, row: dict[str, Any]) -> None:
        """Write one row (missing columns are left empty) and make it durable."""
        unknown = [key for key in row if key not in self.columns]
        if unknown:
            raise RunDirError(f"could not write {self.path}: unknown columns {unknown} (columns are {self.columns})")
        if self._fd is None:
            raise RunDirError(f"could not write {self.path}: the history writer is closed")
        line = self._format_line([_format_value(row.get(column)) for column in self.columns])
        data = line.encode("utf-8")
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
            os.fsync(self._fd)
        except OSError as error:
            raise RunDirError(f"could not write {self.path}: {_cause(error)}") from error

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

    def _kept_text(self, rows_to_keep: int) -> str:
        if rows_to_keep < 0:
            raise RunDirError(f"could not resume {self.path}: resume_rows must be >= 0, got {rows_to_keep}")
        if not self.path.exists():
            if rows_to_keep == 0:
                return self._format_line(self.columns)
            raise RunDirError(f"could not resume {self.path}: the file is missing but {rows_to_keep} rows are expected")
        header, rows = _complete_lines(_read_text(self.path), self.path)
        if header != self.columns:
            raise RunDirError(f"could not resume {self.path}: it has columns {header}, expected {self.columns}")
        if len(rows) < rows_to_keep:
            raise RunDirError(
                f"could not resume {self.path}: it has {len(rows)} complete rows, the checkpoint expects {rows_to_keep}"
            )
        return self._format_line(header) + "".join(line for line, _ in rows[:rows_to_keep])


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


def _complete_lines(text: str, path: Path) -> tuple[list[str], list[tuple[str, list[str]]]]:
    """Header and complete data rows (line text, fields); an unterminated last line is ignored."""
    pieces = text.split("\n")
    lines = [piece + "\n" for piece in pieces[:-1]]  # the last piece is "" or an unfinished line
    if not lines:
        return [], []
    header = _parse_line(lines[0])
    rows = []
    for number, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = _parse_line(line)
        if len(fields) != len(header):
            raise RunDirError(f"could not read {path}: line {number} has {len(fields)} fields, expected {len(header)}")
        rows.append((line, fields))
    return header, rows


def _parse_line(line: str) -> list[str]:
    return next(csv.reader([line.rstrip("\r\n")]), [])


def read_history(path: Path | str) -> dict[str, list[float]]:
    """Read ``history.csv`` into columns of floats (empty cells become NaN).

    A truncated last line (a crash in the middle of a write) is ignored.

    Raises
    ------
    UsageError
        The file does not exist.
    RunDirError
        A complete line has the wrong number of fields or a value is not a number.
    """
    path = _existing_file(path)
    header, rows = _complete_lines(_read_text(path), path)
    columns: dict[str, list[float]] = {column: [] for column in header}
    for number, (_, fields) in enumerate(rows, start=2):
        for column, field in zip(header, fields):
            columns[column].append(_parse_float(field, path, number, column))
    return columns


def _parse_float(field: str, path: Path, line_number: int, column: str) -> float:
    if not field.strip():
        return math.nan
    try:
        return float(field)
    except ValueError:
        raise RunDirError(
            f"could not read {path}: line {line_number}, column {column!r} is not a number: {field!r}"
        ) from None


# --------------------------------------------------------------------------- the run folder


@dataclass(frozen=True)
class RunDir:
    """One run folder and the paths of its files."""

    path: Path

    @classmethod
    def create(cls, runs_dir: Path | str, name: str) -> RunDir:
        """A new, empty run folder (see ``create_run_dir``)."""
        return cls(create_run_dir(runs_dir, name))

    @classmethod
    def open(cls, path: Path | str) -> RunDir:
        """An existing run folder.

        Raises
        ------
        UsageError
            ``path`` does not exist, is a file (for example a config passed by mistake), or is a
            folder without ``config.yaml``.
        """
        path = Path(path)
        if not path.exists():
            raise UsageError(f"run directory not found: {path}")
        if not path.is_dir():
            hint = " (it looks like a config file)" if path.suffix.lower() in (".yaml", ".yml") else ""
            raise UsageError(
                f"{path} is not a run directory: it is a file{hint}; a run directory is a folder "
                f"such as runs/<name>/ that contains {CONFIG_FILE}"
            )
        if not (path / CONFIG_FILE).is_file():
            raise UsageError(f"{path} is not a run directory: no {CONFIG_FILE}")
        return cls(path)

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def config(self) -> Path:
        return self.path / CONFIG_FILE

    @property
    def summary(self) -> Path:
        return self.path / SUMMARY_FILE

    @property
    def history(self) -> Path:
        return self.path / HISTORY_FILE

    @property
    def checkpoint(self) -> Path:
        return self.path / CHECKPOINT_FILE

    @property
    def model(self) -> Path:
        return self.path / MODEL_FILE

    @property
    def metrics(self) -> Path:
        return self.path / METRICS_FILE

    def read_metrics(self) -> dict[str, Any] | None:
        """The content of ``metrics.json``, or None when it was never written."""
        if not self.metrics.exists():
            return None
        content = read_json(self.metrics)
        if not isinstance(content, dict):
            raise RunDirError(f"could not read {self.metrics}: expected a JSON object, got {type(content).__name__}")
        return content

    def status(self) -> str:
        """The run's status as it really is now (see ``effective_status``)."""
        return effective_status(self.read_metrics())


# --------------------------------------------------------------------------- status


def utc_now_iso() -> str:
    """The current time as ISO 8601 UTC with seconds, e.g. ``2026-11-27T07:33:01Z``."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def effective_status(metrics: dict[str, Any] | None, *, stale_after_s: float = STALE_AFTER_S) -> str:
    """The status a run really has, correcting ``running`` for processes that are gone.

    Parameters
    ----------
    metrics : dict or None
        The content of ``metrics.json``; None when the run has none (it was killed before the
        first write), which counts as ``interrupted``.
    stale_after_s : float
        For runs on another host: seconds since ``updated`` after which a ``running`` run is
        taken as interrupted.

    Returns
    -------
    str
        The stored status, except ``running`` becomes ``interrupted`` when its process no longer
        exists on this host, or when it ran on another host and ``updated`` is older than
        ``stale_after_s`` (or missing).
    """
    if metrics is None:
        return "interrupted"
    status = metrics.get("status")
    if not isinstance(status, str) or not status:
        return "unknown"
    if status != "running":
        return status
    pid = metrics.get("pid")
    if metrics.get("host") == socket.gethostname() and isinstance(pid, int) and not isinstance(pid, bool):
        return "running" if _process_alive(pid) else "interrupted"
    age = _age_seconds(metrics.get("updated") or metrics.get("created"))
    return "running" if age is not None and age <= stale_after_s else "interrupted"


def _process_alive(pid: int) -> bool:
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # exists, owned by someone else
    except (OSError, OverflowError):
        return False
    return True


def _parse_time(stamp: Any) -> datetime | None:
    if not isinstance(stamp, str):
        return None
    text = stamp.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _age_seconds(stamp: Any) -> float | None:
    moment = _parse_time(stamp)
    if moment is None:
        return None
    return (datetime.now(timezone.utc) - moment).total_seconds()


# --------------------------------------------------------------------------- listing runs

BASE_KEYS = ("name", "path", "status", "created", "epochs_completed", "epochs_planned", "best_epoch", "wall_time_s")
SPLIT_PREFIXES = {"train": "", "val": "val_", "test": "test_"}


def list_runs(runs_dir: Path | str, sort: str | None = None) -> list[dict[str, Any]]:
    """One summary dict per run folder in ``runs_dir`` (folders without config.yaml are skipped).

    Each dict has ``name``, ``path``, ``status`` (effective), ``created``, ``epochs_completed``,
    ``epochs_planned``, ``best_epoch``, ``wall_time_s``, the final metrics flattened Keras-style
    (``loss``, ``accuracy``, ``val_loss``, ``test_accuracy``, ...) and ``history_loss`` (the
    per-epoch training loss, for sparklines). Missing values are None.

    Parameters
    ----------
    runs_dir : Path
        The runs folder; a missing folder has no runs.
    sort : str, optional
        A key to sort by. Accuracy-like metrics (names containing accuracy, auc, precision,
        recall, f1 or r2) sort best first (descending), everything else ascending; runs without
        the key come last. By default runs are in creation order.

    Returns
    -------
    list of dict
        Runs whose files cannot be read still appear, with status ``unknown`` or empty values.

    Raises
    ------
    UsageError
        ``runs_dir`` is a file, or ``sort`` is not a key of these runs (with the closest key).
    RunDirError
        ``runs_dir`` cannot be listed.
    """
    runs_dir = Path(runs_dir)
    if not runs_dir.exists():
        return []
    if not runs_dir.is_dir():
        raise UsageError(f"runs folder {runs_dir} is not a folder")
    try:
        folders = sorted(runs_dir.iterdir())
    except OSError as error:
        raise RunDirError(f"could not read runs folder {runs_dir}: {_cause(error)}") from error
    runs = [_run_row(folder) for folder in folders if _looks_like_run(folder)]
    runs.sort(key=lambda run: (run["created"] or "", run["name"]))
    if sort is None or not runs:
        return runs
    _check_sort_key(sort, runs)
    return _sorted_by(runs, sort)


def _looks_like_run(folder: Path) -> bool:
    return not folder.name.startswith(".") and folder.is_dir() and (folder / CONFIG_FILE).is_file()


def _run_row(folder: Path) -> dict[str, Any]:
    run = RunDir(folder)
    try:
        metrics = run.read_metrics()
        status = effective_status(metrics)
    except (RunDirError, UsageError):
        metrics, status = {}, "unknown"
    metrics = metrics or {}
    row: dict[str, Any] = {"name": folder.name, "path": str(folder), "status": status}
    row["created"] = _normalized_time(metrics.get("created")) or _folder_time(folder)
    for key in ("epochs_completed", "epochs_planned", "best_epoch", "wall_time_s"):
        row[key] = metrics.get(key)
    row.update(_flat_final_metrics(metrics.get("final")))
    row["history_loss"] = _history_loss(run.history)
    return row


def _flat_final_metrics(final: Any) -> dict[str, float | None]:
    flat: dict[str, float | None] = {}
    if not isinstance(final, dict):
        return flat
    for split, prefix in SPLIT_PREFIXES.items():
        values = final.get(split)
        if not isinstance(values, dict):
            continue
        for metric, value in values.items():
            is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
            flat[f"{prefix}{metric}"] = float(value) if is_number else None
    return flat


def _history_loss(path: Path) -> list[float]:
    if not path.exists():
        return []
    try:
        return read_history(path).get("loss", [])
    except (RunDirError, UsageError):
        return []


def _normalized_time(stamp: Any) -> str | None:
    moment = _parse_time(stamp)
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _folder_time(folder: Path) -> str | None:
    try:
        stamp = folder.stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def sort_keys(runs: list[dict[str, Any]]) -> list[str]:
    """The keys ``list_runs`` can sort these runs by (lists such as history_loss excluded)."""
    keys = list(BASE_KEYS)
    for run in runs:
        keys += [key for key, value in run.items() if key not in keys and not isinstance(value, list)]
    return keys


def _check_sort_key(sort: str, runs: list[dict[str, Any]]) -> None:
    valid = sort_keys(runs)
    if sort in valid:
        return
    matches = difflib.get_close_matches(sort, valid, n=1, cutoff=0.5)
    hint = f"; did you mean {matches[0]!r}?" if matches else ""
    raise UsageError(f"unknown sort key {sort!r}{hint} (choose from: {', '.join(valid)})")


def higher_is_better(key: str) -> bool:
    """True for accuracy-like keys (accuracy, auc, precision, recall, f1, r2), sorted descending."""
    lowered = key.lower()
    return any(word in lowered for word in HIGHER_IS_BETTER)


def _sorted_by(runs: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    def usable(value: Any) -> bool:
        if isinstance(value, bool) or value is None:
            return False
        if isinstance(value, (int, float)):
            return not math.isnan(value)
        return isinstance(value, str)

    present = [run for run in runs if usable(run.get(key))]
    missing = [run for run in runs if not usable(run.get(key))]
    numbers = [run for run in present if not isinstance(run[key], str)]
    texts = [run for run in present if isinstance(run[key], str)]
    descending = higher_is_better(key)
    numbers.sort(key=lambda run: run[key], reverse=descending)  # stable: ties keep creation order
    texts.sort(key=lambda run: run[key], reverse=descending)
    return numbers + texts + missing
