"""The sweep folder: ``sweep.yaml`` (the spec as given, the resolved base config, the runs),
one ordinary run directory per (point, seed), ``sweep.csv`` (one row per run, rewritten
atomically from the runs' own ``metrics.json``, so it is always valid and always agrees with
them), and claiming a run.

Claiming is the run directory's two existing mechanisms: the folder is made with one
``os.mkdir`` and the process that trains it holds its ``RunLock`` (flock, released by the OS
even on kill -9). Whoever holds the lock looks at the run and decides: completed → skip;
failed → skip (or retry with ``retry_failed``); a checkpoint → resume; nothing usable → train
afresh. A second process finds the lock held and waits; it never trains the run too.
"""

from __future__ import annotations

import csv
import io as text_io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nncli import io, runs
from nncli.errors import RunDirError, UsageError
from nncli.experiment.sweep.points import SweepRun
from nncli.runs.names import make_run_dir

SWEEP_FILE = "sweep.yaml"
TABLE_FILE = "sweep.csv"
PICTURE_FILE = "sweep.png"
MAX_SPEC_BYTES = 16 * 1024 * 1024
SPLIT_PREFIXES = (("train", ""), ("val", "val_"), ("test", "test_"))


def is_sweep(path: Path | str) -> bool:
    """Whether ``path`` is a sweep folder (it holds ``sweep.yaml``); a path that cannot be looked
    at (a name too long, no permission) is a ``UsageError`` naming it."""
    import stat

    info = io.status(Path(path) / SWEEP_FILE, "sweep file")
    return info is not None and stat.S_ISREG(info.st_mode)


def read_spec(sweep_dir: Path | str) -> dict[str, Any]:
    """The content of ``sweep.yaml``: ``spec``, ``base`` and ``runs``."""
    import yaml

    path = Path(sweep_dir) / SWEEP_FILE
    if io.status(path, "sweep file") is None:
        raise UsageError(f"{sweep_dir} is not a sweep folder: no {SWEEP_FILE} (start one with nncli sweep CONFIG ...)")
    tree = yaml.safe_load(io.read_text(path, max_bytes=MAX_SPEC_BYTES, what="sweep file", error=RunDirError))
    if not isinstance(tree, dict) or not isinstance(tree.get("spec"), dict):
        raise RunDirError(f"could not read {path}: expected a mapping with spec, base and runs")
    return tree


def check_base(sweep_dir: Path, base: dict[str, Any]) -> None:
    """``UsageError`` when the folder already holds a sweep of a different base config (a run's
    identity would then name a different experiment)."""
    if not (sweep_dir / SWEEP_FILE).exists():
        return
    difference = first_difference(read_spec(sweep_dir).get("base"), io.to_builtin(base, keep_nonfinite=True))
    if difference is not None:
        raise UsageError(f"{sweep_dir} holds a sweep of a different base config ({difference}); its runs would "
                         f"not be this sweep's: choose another --name, or run the same CONFIG and OVERRIDES")


def write_spec(sweep_dir: Path, spec: dict[str, Any], base: dict[str, Any], plan: list[SweepRun]) -> None:
    """Write ``sweep.yaml`` (checking the base config first, see ``check_base``)."""
    try:
        sweep_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise RunDirError(f"could not create sweep folder {sweep_dir}: {io.cause(error)}") from error
    check_base(sweep_dir, base)
    runs_list = [{"name": run.name, "identity": run.identity, "seed": run.seed, "overrides": run.overrides()}
                 for run in plan]
    io.write_yaml(sweep_dir / SWEEP_FILE, {"spec": spec, "base": base, "runs": runs_list})


def first_difference(old: Any, new: Any, at: str = "") -> str | None:
    """``"training.epochs: 30 → 10"`` for the first key where two trees differ; None if equal."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in list(old) + [k for k in new if k not in old]:
            found = first_difference(old.get(key), new.get(key), f"{at}.{key}" if at else str(key))
            if found:
                return found
        return None
    if old != new:
        return f"{at or 'config'}: {old!r} → {new!r}"
    return None


# --------------------------------------------------------------------------- claiming
@dataclass
class Claim:
    """What the holder of a run's lock is to do: ``train``, ``resume``, or nothing because it is
    ``completed``, ``failed`` (and not to be retried) or ``busy`` (another process holds it)."""

    action: str
    lock: runs.RunLock | None = None
    reason: str | None = None

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None


def claim(run_path: Path, retry_failed: bool = False) -> Claim:
    """Create ``run_path`` (one ``os.mkdir``) if it is new, take its lock, and say what to do."""
    make_run_dir(run_path)
    lock = runs.RunLock(run_path)
    try:
        lock.acquire()
    except runs.RunBusyError as error:
        return Claim("busy", reason=str(error))
    metrics = runs.RunDir(run_path).read_metrics() or {}
    status = metrics.get("status")
    if status == "completed" or (status == "failed" and not retry_failed):
        lock.release()
        return Claim(status, reason=metrics.get("reason"))
    run = runs.RunDir(run_path)
    action = "resume" if run.checkpoint.exists() and run.config.exists() else "train"
    return Claim(action, lock)


# --------------------------------------------------------------------------- sweep.csv
def table_rows(sweep_dir: Path, plan: list[SweepRun], keys: list[str]) -> list[dict[str, Any]]:
    """One row per run of ``plan``, from its ``metrics.json`` (``pending`` when it has none)."""
    return [run_table_row(sweep_dir / run.name, run, keys) for run in plan]


def run_table_row(path: Path, run: SweepRun, keys: list[str]) -> dict[str, Any]:
    try:
        metrics = runs.RunDir(path).read_metrics() if path.is_dir() else None
    except RunDirError as error:
        metrics = {"status": "unreadable", "reason": str(error)}
    values = dict(run.values)
    row: dict[str, Any] = {"run": run.name, **{key: values.get(key) for key in keys}}
    saved = metrics or {}
    row["seed"] = saved.get("seed", run.seed)
    row["status"] = "pending" if metrics is None else runs.effective_status(metrics)
    row["reason"] = saved.get("reason")
    row["epochs"] = saved.get("epochs_completed")
    row.update(flat_metrics(saved.get("final"), ""))
    row.update(flat_metrics(saved.get("baseline"), "baseline_"))
    row["seconds"] = saved.get("wall_time_s")
    return row


def flat_metrics(by_split: Any, prefix: str) -> dict[str, float]:
    """``{"test": {"accuracy": 0.9}}`` → ``{"test_accuracy": 0.9}`` (``baseline_`` prefixed for the baseline;
    numbers only)."""
    flat: dict[str, float] = {}
    if not isinstance(by_split, dict):
        return flat
    for split, split_prefix in SPLIT_PREFIXES:
        for name, value in (by_split.get(split) or {}).items():
            if isinstance(value, (int, float)) and not isinstance(value, bool) and name != "kind":
                flat[f"{split_prefix}{prefix}{name}"] = float(value)
    return flat


def write_table(sweep_dir: Path, rows: list[dict[str, Any]]) -> Path:
    """Rewrite ``sweep.csv`` atomically: the union of the rows' columns, in first-seen order."""
    columns: list[str] = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    columns = [column for column in columns if column != "seconds"] + ["seconds"]  # metrics before it, always
    buffer = text_io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    path = sweep_dir / TABLE_FILE
    io.atomic_write_text(path, buffer.getvalue())
    return path


def _cell(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, (list, dict, bool)):
        from nncli.experiment.sweep.points import yaml_text

        return yaml_text(value)
    return str(value)


def read_table(sweep_dir: Path | str) -> list[dict[str, str]]:
    """The rows of ``sweep.csv`` as text cells."""
    text = io.read_text(Path(sweep_dir) / TABLE_FILE, what="sweep table", error=RunDirError)
    return list(csv.DictReader(text_io.StringIO(text)))
