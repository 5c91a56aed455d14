"""One run folder: the paths of its files, its status, and reading its metrics.

A run lives in ``runs/<name>/`` and holds::

    config.yaml      resolved config                          written at start
    summary.txt      the summary table                        written at start
    history.csv      one row per epoch                        appended, fsynced each epoch
    checkpoint.npz   weights, optimizer and RNG state         atomically, each epoch
    model.npz        final weights + preprocessing state      atomically, at the end
    metrics.json     status, final metrics, timings, ...      atomically, at start and end

``metrics.json`` contract (written by the trainer, read here)::

    status            "running" | "completed" | "interrupted" | "failed"
    reason            why it stopped (str or null)
    name, created, updated   run name; ISO 8601 UTC times (see ``utc_now_iso``)
    pid, host         the training process, for ``effective_status``
    seed, epochs_completed, epochs_planned, best_epoch, best_quantity
    final             {"train": {metric: float}, "val": {...}, "test": {...}}
    baseline, wall_time_s, samples_per_s, versions
"""

from __future__ import annotations

import os
import socket
import stat
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from nncli.errors import RunDirError, UsageError
from nncli import io
from nncli.io import read_json
from nncli.runs.names import new_run_folder

# A "running" run on another host whose metrics.json is older than this is reported interrupted.
STALE_AFTER_S = 3600.0

CONFIG_FILE = "config.yaml"
#: The largest metrics.json read.
MAX_METRICS_BYTES = 4 * 1024 * 1024


class RunFile:
    """A file of every run folder: ``run.history`` is ``run.path / "history.csv"``."""

    def __init__(self, file_name: str) -> None:
        self.file_name = file_name

    def __get__(self, run: "RunDir | None", owner: type) -> Any:
        return self if run is None else run.path / self.file_name


@dataclass(frozen=True)
class RunDir:
    """One run folder and the paths of its files."""

    path: Path

    config = RunFile(CONFIG_FILE)
    summary = RunFile("summary.txt")
    history = RunFile("history.csv")
    checkpoint = RunFile("checkpoint.npz")
    model = RunFile("model.npz")
    metrics = RunFile("metrics.json")

    @classmethod
    def create(cls, runs_dir: Path | str, name: str) -> RunDir:
        """A new, empty run folder ``runs_dir/name`` (or ``name-2``, ...; see ``new_run_folder``)."""
        return cls(new_run_folder(runs_dir, name))

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
        info = io.status(path, "run directory")
        if info is None:
            raise UsageError(f"run directory not found: {path}")
        if not stat.S_ISDIR(info.st_mode):
            hint = " (it looks like a config file)" if path.suffix.lower() in (".yaml", ".yml") else ""
            raise UsageError(
                f"{path} is not a run directory: it is a file{hint}; a run directory is a folder "
                f"such as runs/<name>/ that contains {CONFIG_FILE}"
            )
        config = io.status(path / CONFIG_FILE, "run directory")
        if config is None or not stat.S_ISREG(config.st_mode):
            raise UsageError(f"{path} is not a run directory: no {CONFIG_FILE}")
        return cls(path)

    @property
    def name(self) -> str:
        return self.path.name

    def read_metrics(self) -> dict[str, Any] | None:
        """The content of ``metrics.json``, or None when it was never written."""
        if io.status(self.metrics, "metrics file", RunDirError) is None:
            return None
        content = read_json(self.metrics, max_bytes=MAX_METRICS_BYTES, what="metrics file")
        if not isinstance(content, dict):
            raise RunDirError(f"could not read {self.metrics}: expected a JSON object, got {type(content).__name__}")
        return content

    def status(self) -> str:
        """The run's status as it really is now (see ``effective_status``)."""
        return effective_status(self.read_metrics())


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


def parse_time(stamp: Any) -> datetime | None:
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
    moment = parse_time(stamp)
    if moment is None:
        return None
    return (datetime.now(timezone.utc) - moment).total_seconds()
