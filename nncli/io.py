"""Reading and writing files safely: every read bounded, every write atomic, nothing unpickled.

Writes go to a hidden temporary file in the same folder, are flushed and fsynced, then moved into
place with ``os.replace``: a reader sees the old file or the new one, never half of one. Reads
first check what the path is (a FIFO or a device is refused before it is opened, so nothing
blocks or streams forever), then read at most a stated number of bytes. Arrays are read with
NumPy's ``.npy`` reader without pickle, after checking each member's header against the
expected shapes and a size limit (so a small archive cannot inflate to gigabytes). JSON is read
with a depth limit; YAML is read by ``nncli.config`` with its own limits.

Each function takes the error class to raise (``DataError`` for data, ``RunDirError`` for run
files, ...) and a label naming the file for messages.
"""

from __future__ import annotations

import errno
import json
import math
import os
import secrets
import stat
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable

from nncli.errors import DataError, NncliError, RunDirError, UsageError

if TYPE_CHECKING:
    import numpy as np

#: Default read limits, in bytes.
MAX_TEXT_BYTES = 64 * 1024 * 1024
MAX_JSON_BYTES = 16 * 1024 * 1024
MAX_JSON_DEPTH = 64
#: The largest array an archive member may hold (elements), unless the caller expects more.
MAX_ARRAY_ELEMENTS = 500_000_000


def cause(error: OSError) -> str:
    """The reason of an OSError, as a person reads it, with a hint for the common ones."""
    reason = error.strerror or str(error)
    hints = {
        errno.EACCES: "check the folder's permissions or choose another folder",
        errno.EPERM: "check the folder's permissions or choose another folder",
        errno.EROFS: "the file system is read-only; choose another folder",
        errno.ENOSPC: "the disk is full; free some space",
        errno.ENOTDIR: "a part of the path is a file, not a folder",
        errno.ENAMETOOLONG: "a part of the path is longer than the file system allows (usually 255 bytes)",
    }
    hint = hints.get(error.errno)
    return f"{reason} ({hint})" if hint and hint not in reason else reason


# --------------------------------------------------------------------------- memory
def available_memory() -> int | None:
    """Bytes of memory this machine can give a new allocation now (``MemAvailable``), or None
    where the system does not say."""
    try:
        with open("/proc/meminfo", "rb") as stream:
            for line in stream.read(64_000).decode("ascii", "replace").splitlines():
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    try:
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def readable_size(n_bytes: float) -> str:
    """``1.9 GiB``: a size as a person reads it."""
    n_bytes = float(min(n_bytes, 1e300))  # an integer of 400 digits does not fit a float
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if n_bytes < 1024 or unit == "PiB":
            return f"{n_bytes:.1f} {unit}" if unit != "B" else f"{int(n_bytes)} B"
        n_bytes /= 1024
    return f"{n_bytes:.1f} PiB"


def check_fits(n_bytes: float, what: str, fix: str, error: type[NncliError] = UsageError) -> None:
    """Refuse, before allocating, what would not fit in the memory available now."""
    available = available_memory()
    if available is not None and n_bytes > available:
        raise error(f"{what} needs about {readable_size(n_bytes)}, more than the {readable_size(available)} this "
                    f"machine has available; {fix}")


# --------------------------------------------------------------------------- checks and reads
def expand_user(path: Path | str) -> Path:
    """``~`` and ``~user`` expanded as the shell does; a path naming no known user (``~0``) or
    written where there is no home folder stays as written (and is then not found, by name)."""
    try:
        return Path(path).expanduser()
    except RuntimeError:
        return Path(path)


def status(path: Path | str, what: str = "file", error: type[NncliError] = UsageError) -> os.stat_result | None:
    """``os.stat(path)``, or None when nothing is there; other failures (a name too long, no
    permission, a loop of links) are ``error`` naming the path and the cause."""
    try:
        return os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as failure:
        shown = str(path) if len(str(path)) <= 120 else str(path)[:117] + "..."
        raise error(f"cannot read {what} {shown}: {cause(failure)}") from None
    except ValueError:  # a NUL byte in the path
        raise error(f"cannot read {what} {path!r}: the path contains a NUL character") from None


def is_folder(path: Path | str, what: str = "path", error: type[NncliError] = UsageError) -> bool:
    """True for an existing folder; False for anything else or nothing (a name the file system
    refuses, such as a component over 255 bytes, is ``error``, not an exception)."""
    info = status(path, what, error)
    return info is not None and stat.S_ISDIR(info.st_mode)


def regular_file(path: Path | str, what: str = "file", error: type[NncliError] = UsageError) -> Path:
    """``path`` if it names an existing regular file; otherwise ``error`` saying what it is.

    Uses ``stat`` only, which never blocks: a FIFO, a socket or a device is refused before any
    ``open`` could wait for a writer or read without end.
    """
    path = Path(path)
    info = status(path, what, error)
    if info is None:
        raise error(f"{what} not found: {path}")
    if stat.S_ISDIR(info.st_mode):
        raise error(f"{what} {path} is a folder, not a file")
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise error(f"{what} {path} is {kind}; nncli reads regular files only")
    return path


def read_bytes(path: Path | str, *, max_bytes: int, what: str = "file", error: type[NncliError] = UsageError) -> bytes:
    """The content of a regular file of at most ``max_bytes`` bytes."""
    path = regular_file(path, what, error)
    try:
        with open(path, "rb") as stream:
            data = stream.read(max_bytes + 1)
    except OSError as failure:
        raise error(f"cannot read {what} {path}: {cause(failure)}") from None
    if len(data) > max_bytes:
        raise error(f"{what} {path} is larger than {max_bytes:,} bytes; refused")
    return data


def read_text(path: Path | str, *, max_bytes: int = MAX_TEXT_BYTES, what: str = "file",
              error: type[NncliError] = UsageError) -> str:
    """A UTF-8 text file (a byte-order mark is dropped) of at most ``max_bytes`` bytes."""
    data = read_bytes(path, max_bytes=max_bytes, what=what, error=error)
    return decode(data, f"{what} {path}", error)


def read_stream(stream: BinaryIO, *, max_bytes: int, what: str, error: type[NncliError] = UsageError) -> str:
    """UTF-8 text from a byte stream (standard input), at most ``max_bytes`` of it."""
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise error(f"{what} holds more than {max_bytes:,} bytes; refused")
    return decode(data, what, error)


def decode(data: bytes, where: str, error: type[NncliError] = UsageError) -> str:
    """UTF-8 text from bytes, whatever the locale, with the offending byte named."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as failure:
        raise error(f"{where} is not UTF-8 text (byte {failure.start}: {data[failure.start:failure.start + 1]!r}); "
                    "save it as UTF-8") from None


def read_json(path: Path | str, *, max_bytes: int = MAX_JSON_BYTES, what: str = "JSON file",
              error: type[NncliError] = RunDirError) -> Any:
    """A JSON document nested at most ``MAX_JSON_DEPTH`` deep."""
    text = read_text(path, max_bytes=max_bytes, what=what, error=error)
    _check_json_depth(text, f"{what} {path}", error)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as failure:
        detail = f"line {failure.lineno}, column {failure.colno}: {failure.msg}" if hasattr(failure, "lineno") else "too deep"
        raise error(f"could not read {path}: not valid JSON ({detail})") from None


def _check_json_depth(text: str, where: str, error: type[NncliError]) -> None:
    depth = deepest = 0
    in_string = escaped = False
    for char in text:
        if in_string:
            escaped = not escaped and char == "\\"
            in_string = escaped or char != '"'
        elif char == '"':
            in_string = True
        elif char in "[{":
            depth += 1
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_DEPTH:
                raise error(f"{where} nests lists or objects more than {MAX_JSON_DEPTH} deep; refused")
        elif char in "]}":
            depth -= 1


# --------------------------------------------------------------------------- arrays
def load_npz(path: Path | str, *, expected: dict[str, tuple[int, ...]] | None = None,
             max_elements: int = MAX_ARRAY_ELEMENTS, what: str = "archive",
             error: type[NncliError] = RunDirError) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` archive, never unpickling anything.

    Each member's ``.npy`` header is read first: a member whose shape differs from
    ``expected[name]`` (when given) or that would hold more than ``max_elements`` elements, or
    whose stored size disagrees with its header, is refused before any data is inflated.

    Raises
    ------
    error
        Missing or not a regular file, not an ``.npz`` archive, corrupt, truncated, or holding
        pickled objects (``DataError`` then, whatever ``error`` is).
    """
    path = regular_file(path, what, error)
    try:
        with zipfile.ZipFile(path) as archive:
            return {_array_key(info.filename, path, error): _read_member(archive, info, path, expected, max_elements,
                                                                       error)
                    for info in archive.infolist()}
    except NncliError:
        raise
    except RuntimeError as failure:  # zipfile's word for an encrypted member
        raise error(f"could not read {path}: not an nncli archive ({failure})") from None
    except (zipfile.BadZipFile, ValueError, EOFError, KeyError, NotImplementedError, OverflowError) as failure:
        raise error(f"could not read {path}: the file is corrupt or truncated ({failure})") from None
    except OSError as failure:
        raise error(f"could not read {path}: the file is corrupt or truncated ({cause(failure)})") from None


def pickle_refused(where: str) -> DataError:
    """The one answer to an array that could only be read by unpickling it."""
    return DataError(f"{where} holds pickled Python objects; nncli refuses to load them because unpickling can run "
                     "arbitrary code. Save numbers or strings instead, e.g. np.save(path, X.astype(float))")


def _array_key(member: str, path: Path, error: type[NncliError]) -> str:
    if not member.endswith(".npy"):
        raise error(f"could not read {path}: member {member!r} is not a .npy array (not an nncli archive)")
    return member[: -len(".npy")]


def _read_member(archive: zipfile.ZipFile, info: zipfile.ZipInfo, path: Path, expected: dict | None,
                 max_elements: int, error: type[NncliError]) -> np.ndarray:
    import numpy as np
    from numpy.lib import format as npy_format

    name = info.filename[:-4]
    with archive.open(info) as stream:
        version = npy_format.read_magic(stream)
        shape, fortran, dtype = (npy_format.read_array_header_1_0(stream) if version == (1, 0)
                                 else npy_format.read_array_header_2_0(stream))
        if dtype.hasobject:
            raise pickle_refused(f"{path} (array {name!r})")
        elements = math.prod(shape)
        if expected is not None and name in expected and tuple(shape) != tuple(expected[name]):
            raise error(f"could not read {path}: array {name!r} has shape {tuple(shape)}, expected "
                        f"{tuple(expected[name])}")
        if elements > max_elements:
            raise error(f"could not read {path}: array {name!r} claims {elements:,} elements (shape {tuple(shape)}), "
                        f"more than the {max_elements:,} allowed")
        if elements * dtype.itemsize > info.file_size:
            raise error(f"could not read {path}: array {name!r} is truncated ({info.file_size:,} bytes stored for "
                        f"{elements * dtype.itemsize:,})")
        data = stream.read(elements * dtype.itemsize)
    array = np.frombuffer(data, dtype=dtype, count=elements).copy()
    return array.reshape(shape[::-1]).T if fortran else array.reshape(shape)


def save_npz(path: Path | str, arrays: dict[str, Any]) -> None:
    """Save named arrays as an uncompressed ``.npz`` archive, atomically (object arrays refused)."""
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


# --------------------------------------------------------------------------- atomic writers
def atomic_write_bytes(path: Path | str, data: bytes) -> None:
    """Replace ``path`` with ``data`` atomically (temp file in the same folder, fsync, rename).

    Raises ``RunDirError`` "could not write <path>: <cause>"; the temporary file is removed and an
    existing ``path`` is left as it was.
    """
    _atomic_write(Path(path), lambda stream: stream.write(data))


def atomic_write_text(path: Path | str, text: str) -> None:
    """Replace ``path`` with ``text`` (UTF-8) atomically; see ``atomic_write_bytes``."""
    atomic_write_bytes(path, text.encode("utf-8"))


def write_json(path: Path | str, obj: Any) -> None:
    """Write ``obj`` as indented JSON, atomically (see ``to_builtin``: NaN becomes null)."""
    path = Path(path)
    plain = to_builtin(obj, keep_nonfinite=False, where=path)
    atomic_write_text(path, json.dumps(plain, indent=2, allow_nan=False, ensure_ascii=False) + "\n")


def write_yaml(path: Path | str, obj: Any) -> None:
    """Write ``obj`` with ``yaml.safe_dump`` (keys in the given order), atomically."""
    import yaml

    path = Path(path)
    plain = to_builtin(obj, keep_nonfinite=True, where=path)
    atomic_write_text(path, yaml.safe_dump(plain, sort_keys=False, allow_unicode=True, default_flow_style=False))


def temp_name(path: Path) -> str:
    """The name pattern of ``path``'s temporary files: hidden, ending in ``.tmp``."""
    return f".{path.name[:100]}.{secrets.token_hex(6)}.tmp"


def _atomic_write(path: Path, write: Callable[[BinaryIO], Any]) -> None:
    try:
        temp_path, fd = _create_temp(path)
    except OSError as failure:
        raise RunDirError(f"could not write {path}: {cause(failure)}") from failure
    try:
        with os.fdopen(fd, "wb") as stream:
            write(stream)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temp_path, path)
    except OSError as failure:
        _remove_quietly(temp_path)
        raise RunDirError(f"could not write {path}: {cause(failure)}") from failure
    except BaseException:
        _remove_quietly(temp_path)
        raise
    _fsync_folder(path.parent)


def _create_temp(path: Path) -> tuple[Path, int]:
    # O_EXCL + the process umask gives the same permissions a plain open() would.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        temp_path = path.with_name(temp_name(path))
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


def to_builtin(value: Any, *, keep_nonfinite: bool = False, where: Any = "value", _at: str = "") -> Any:
    """``value`` with NumPy types, tuples and paths replaced by plain Python (JSON/YAML-safe).

    Non-finite floats become None unless ``keep_nonfinite``. Anything else is a ``RunDirError``
    naming where it sits.
    """
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
            inner = f"{_at}.{key}" if _at else str(key)
            plain_key = to_builtin(key, keep_nonfinite=True, where=where, _at=inner)
            if not (plain_key is None or isinstance(plain_key, (str, int, float, bool))):
                raise RunDirError(f"could not write {where}: key {key!r} of type {type(key).__name__} cannot be saved")
            plain[plain_key] = to_builtin(item, keep_nonfinite=keep_nonfinite, where=where, _at=inner)
        return plain
    if isinstance(value, (list, tuple)):
        return [to_builtin(item, keep_nonfinite=keep_nonfinite, where=where, _at=f"{_at}[{index}]")
                for index, item in enumerate(value)]
    location = f" at {_at}" if _at else ""
    raise RunDirError(f"could not write {where}: value of type {type(value).__name__}{location} cannot be saved")
