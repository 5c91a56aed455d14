"""Run names and new run folders: ``runs/<name>``, then ``<name>-2``, ``<name>-3``, ...

Each candidate is made with one ``os.mkdir``, which either creates the folder or fails because it
exists, so processes started at the same moment never share a folder.
"""

from __future__ import annotations

import os
import unicodedata
from pathlib import Path

from nncli.errors import RunDirError, UsageError
from nncli.io import cause

MAX_RUN_NAME_CHARS = 100
# Room for a "-NNNNN" suffix under the usual 255-byte limit on one path component.
MAX_RUN_NAME_BYTES = 200
MAX_SUFFIX = 100_000


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


def new_run_folder(runs_dir: Path | str, name: str) -> Path:
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
        raise RunDirError(f"could not create runs folder {runs_dir}: {cause(error)}") from error
    for number in range(1, MAX_SUFFIX + 1):
        candidate = runs_dir / (name if number == 1 else f"{name}-{number}")
        if not make_run_dir(candidate):
            continue
        _check_inside(candidate, runs_dir)
        return candidate
    raise RunDirError(f"could not create run directory {runs_dir / name}: names up to -{MAX_SUFFIX} are all taken")


def make_run_dir(path: Path) -> bool:
    """Create the run directory ``path`` with one ``os.mkdir``: True if this call made it, False if
    it existed; any other failure is a :class:`RunDirError` naming the path and the cause."""
    try:
        os.mkdir(path)
    except FileExistsError:
        return False
    except OSError as error:
        raise RunDirError(f"could not create run directory {path}: {cause(error)}") from error
    return True


def _check_inside(created: Path, runs_dir: Path) -> None:
    # Unreachable with a validated name; kept so a future change to naming cannot write elsewhere.
    if created.resolve().parent != runs_dir.resolve():
        os.rmdir(created)
        raise RunDirError(f"run directory {created} would lie outside the runs folder {runs_dir}")
