"""Listing run folders: one flat row per run, filtered, sorted, cut, or aggregated over a key.

A row holds the run's ``name``, ``path``, effective ``status``, ``created``, epochs, best epoch,
wall time and samples/s, its final metrics flattened Keras-style (``loss``, ``val_accuracy``,
``test_accuracy``, ...), its resolved config flattened to dotted keys
(``training.optimizer.learning_rate``, ``seed``, ``model.layers.0.units``) and ``history_loss``
(the per-epoch training loss, for sparklines). A run whose files cannot be read is skipped with
the reason, never allowed to break the list.
"""

from __future__ import annotations

import math
import statistics
import stat
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Iterable

from nncli import io
from nncli.errors import NncliError, RunDirError, UnknownNameError, UsageError
from nncli.registry import closest
from nncli.runs.history import read_history
from nncli.runs.rundir import CONFIG_FILE, RunDir, effective_status, parse_time

BASE_KEYS = ("name", "path", "status", "created", "epochs_completed", "epochs_planned", "best_epoch",
             "wall_time_s", "samples_per_s")
SPLIT_PREFIXES = {"test": "test_", "val": "val_", "train": ""}
OPERATORS = ("!=", ">=", "<=", "==", "=", ">", "<")
MAX_CONFIG_BYTES = 1_000_000


@dataclass
class Listing:
    """The rows of a runs folder, the runs skipped (with why) and the metrics their configs ask for."""

    rows: list[dict[str, Any]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    metrics: list[str] = field(default_factory=list)

    def keys(self) -> list[str]:
        """Every key a row has (for ``--columns``, ``--sort``, ``--where``), lists left out."""
        keys = list(BASE_KEYS)
        for row in self.rows:
            keys += [key for key, value in row.items() if key not in keys and not isinstance(value, list)]
        return keys


def list_runs(runs_dir: Path | str, *, where: Iterable[str] = (), sort: str | None = None,
              top: int | None = None) -> Listing:
    """The runs in ``runs_dir`` (creation order), filtered by ``where`` (``key=value``,
    ``key>value``, ...), sorted by ``sort`` (best first for metrics, by their direction), then
    the first ``top``.

    Raises
    ------
    UsageError
        ``runs_dir`` does not exist or is not a folder; a key of ``where``/``sort`` that no run has
        (the closest key named); a malformed ``where``.
    """
    runs_dir = Path(runs_dir)
    info = io.status(runs_dir, "runs folder")
    if info is None:
        raise UsageError(f"runs folder not found: {runs_dir}")
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"runs folder {runs_dir} is not a folder")
    try:
        folders = sorted(runs_dir.iterdir())
    except OSError as error:
        raise RunDirError(f"could not read runs folder {runs_dir}: {io.cause(error)}") from error
    listing = Listing(rows=[])
    for folder in folders:
        if _looks_like_run(folder):
            _add_run(listing, folder)
    listing.rows.sort(key=lambda row: (row["created"] or "", row["name"]))
    for condition in where:
        listing.rows = [row for row in listing.rows if _matches(row, *parse_condition(condition, listing))]
    if sort is not None or top is not None:
        key = sort or primary_metric(listing)
        if key is not None:
            _check_key(key, listing, "sort key")
            listing.rows = sorted_rows(listing.rows, key)
    if top is not None:
        listing.rows = listing.rows[: max(0, top)]
    return listing


def _looks_like_run(folder: Path) -> bool:
    if folder.name.startswith("."):
        return False
    try:
        return folder.is_dir() and (folder / CONFIG_FILE).exists()
    except OSError:
        return False


def _add_run(listing: Listing, folder: Path) -> None:
    try:
        row, asked = run_row(folder)
    except NncliError as error:
        listing.skipped.append((str(folder), str(error)))
        return
    listing.rows.append(row)
    listing.metrics += [name for name in asked if name not in listing.metrics]


def run_row(folder: Path) -> tuple[dict[str, Any], list[str]]:
    """(the row of one run, the metric names its config asks for); ``NncliError`` if unreadable."""
    run = RunDir(folder)
    saved = run.read_metrics()
    metrics = saved or {}
    config = _config_tree(run.config)
    row: dict[str, Any] = {"name": folder.name, "path": str(folder), "status": effective_status(saved)}
    row["created"] = _normalized_time(metrics.get("created")) or _folder_time(folder)
    for key in BASE_KEYS[4:]:
        value = metrics.get(key)
        row[key] = value if isinstance(value, (int, float, str)) and not isinstance(value, bool) else None
    row.update(_flat_final_metrics(metrics.get("final")))
    row.update({key: value for key, value in flatten(config).items() if key != "name"})
    history = read_history(run.history) if run.history.exists() else {}
    row["history_loss"] = history.get("loss", [])
    training = config.get("training") if isinstance(config.get("training"), dict) else {}
    asked = [str(name) for name in training.get("metrics") or [] if isinstance(name, str)]
    return row, asked


def _config_tree(path: Path) -> dict[str, Any]:
    import yaml

    text = io.read_text(path, max_bytes=MAX_CONFIG_BYTES, what="config", error=RunDirError)
    try:
        tree = yaml.safe_load(text)
    except (yaml.YAMLError, RecursionError) as error:
        raise RunDirError(f"could not read {path}: not valid YAML ({' '.join(str(error).split())[:120]})") from None
    return tree if isinstance(tree, dict) else {}


def flatten(tree: Any, prefix: str = "") -> dict[str, Any]:
    """``{"training": {"optimizer": {"learning_rate": 0.01}}}`` → ``{"training.optimizer.learning_rate": 0.01}``
    (list items by index: ``model.layers.0.units``)."""
    items = tree.items() if isinstance(tree, dict) else enumerate(tree) if isinstance(tree, list) else None
    if items is None:
        return {prefix: tree}
    flat: dict[str, Any] = {}
    for key, value in items:
        flat.update(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
    return flat


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


def _normalized_time(stamp: Any) -> str | None:
    moment = parse_time(stamp)
    if moment is None:
        return None
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _folder_time(folder: Path) -> str | None:
    try:
        stamp = folder.stat().st_mtime
    except OSError:
        return None
    return datetime.fromtimestamp(stamp, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


# --------------------------------------------------------------------------- choosing and ordering
def primary_metric(listing: Listing) -> str | None:
    """The key that says most about these runs: the first asked metric on the test split (else
    validation, else training), else the test loss, else the loss."""
    keys = listing.keys()
    for prefix in SPLIT_PREFIXES.values():
        for name in [*listing.metrics, "loss"]:
            if f"{prefix}{name}" in keys:
                return f"{prefix}{name}"
    return None


def metric_columns(listing: Listing) -> list[str]:
    """The metrics of these runs in order of importance: the asked metrics and the loss on the
    test split, then on the validation split, then on training."""
    keys = listing.keys()
    return [f"{prefix}{name}" for prefix in SPLIT_PREFIXES.values() for name in [*listing.metrics, "loss"]
            if f"{prefix}{name}" in keys]


def direction(key: str) -> str:
    """"max" for metrics where higher is better, "min" for the others and for non-metric keys."""
    from nncli.engine import metrics

    try:
        return metrics.direction(key)
    except UnknownNameError:
        return "min"


def sorted_rows(rows: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """Rows with ``key`` best first (a metric's direction; ascending otherwise), missing last."""
    def usable(value: Any) -> bool:
        if isinstance(value, bool) or value is None:
            return False
        return not (isinstance(value, float) and math.isnan(value)) and isinstance(value, (int, float, str))

    present = [row for row in rows if usable(row.get(key))]
    missing = [row for row in rows if not usable(row.get(key))]
    numbers = [row for row in present if not isinstance(row[key], str)]
    texts = [row for row in present if isinstance(row[key], str)]
    descending = direction(key) == "max"
    numbers.sort(key=lambda row: row[key], reverse=descending)  # stable: ties keep creation order
    texts.sort(key=lambda row: row[key])
    return numbers + texts + missing


def check_columns(columns: Iterable[str], listing: Listing) -> list[str]:
    """``columns`` if every one is a key of these runs; else ``UsageError`` with the closest key."""
    chosen = [column.strip() for column in columns if column.strip()]
    for column in chosen:
        _check_key(column, listing, "column")
    return chosen


def _check_key(key: str, listing: Listing, what: str) -> None:
    keys = listing.keys()
    if key in keys:
        return
    suggestion = closest(key, keys)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    shown = ", ".join(keys[:40]) + (", ..." if len(keys) > 40 else "")
    raise UsageError(f"unknown {what} {key!r}{hint} (keys of these runs: {shown})")


# --------------------------------------------------------------------------- --where
def parse_condition(text: str, listing: Listing) -> tuple[str, str, Any]:
    """``"training.optimizer.learning_rate<0.01"`` → (key, operator, value parsed as YAML)."""
    import yaml

    for operator in OPERATORS:
        key, found, raw = text.partition(operator)
        if found and key.strip():
            _check_key(key.strip(), listing, "--where key")
            try:
                value = yaml.safe_load(raw) if raw.strip() else ""
            except yaml.YAMLError:
                value = raw.strip()
            return key.strip(), "=" if operator == "==" else operator, value
    raise UsageError(f"--where expects key=value, key!=value, key>value, key<value, key>=value or key<=value; "
                     f"received {text!r}")


def _matches(row: dict[str, Any], key: str, operator: str, value: Any) -> bool:
    actual = row.get(key)
    numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (actual, value))
    if operator in ("=", "!="):
        same = actual == value if numbers else str(actual).lower() == str(value).lower()
        return same if operator == "=" else not same
    if not numbers:
        return False
    return {">": actual > value, "<": actual < value, ">=": actual >= value, "<=": actual <= value}[operator]


# --------------------------------------------------------------------------- --aggregate
def aggregate(listing: Listing, key: str) -> Listing:
    """Runs whose configs differ only in ``key`` (``seed``, say) become one row: ``runs`` (how
    many), the ``key`` values, each metric's mean, and its standard deviation as ``<metric>_std``."""
    _check_key(key, listing, "--aggregate key")
    metrics = [column for column in listing.keys() if _is_metric(column, listing)]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in listing.rows:
        identity = tuple(sorted((k, repr(v)) for k, v in row.items() if ("." in k or k == "seed") and k != key))
        groups.setdefault(identity, []).append(row)
    rows = []
    for members in groups.values():
        merged: dict[str, Any] = {k: v for k, v in members[0].items() if k not in metrics and k != key}
        merged.update(name=_group_name([row["name"] for row in members], key), runs=len(members),
                      status=_group_status(members), path=None, created=members[0]["created"])
        merged[key] = ",".join(str(row.get(key)) for row in members)
        for metric in metrics:
            values = [row[metric] for row in members if isinstance(row.get(metric), (int, float))
                      and not math.isnan(row[metric])]
            merged[metric] = statistics.fmean(values) if values else None
            merged[f"{metric}_std"] = statistics.stdev(values) if len(values) > 1 else (0.0 if values else None)
        rows.append(merged)
    return Listing(rows=rows, skipped=listing.skipped, metrics=listing.metrics)


def _is_metric(key: str, listing: Listing) -> bool:
    base = next((key[len(p):] for p in ("test_", "val_") if key.startswith(p)), key)
    return base in (*listing.metrics, "loss") or key in ("wall_time_s", "samples_per_s", "best_epoch",
                                                         "epochs_completed")


def _group_name(names: list[str], key: str) -> str:
    """The names' common beginning, without a trailing separator or the aggregated key's own name
    (``lr=0.01,seed=0`` and ``lr=0.01,seed=1`` give ``lr=0.01``), else the first name."""
    prefix = names[0]
    for name in names[1:]:
        while not name.startswith(prefix):
            prefix = prefix[:-1]
    prefix = prefix.rstrip("-_,=. ")
    last = key.rsplit(".", 1)[-1]
    if prefix.endswith(last):
        prefix = prefix[: -len(last)].rstrip("-_,=. ")
    return prefix if len(names) > 1 and len(prefix) >= 3 else names[0]


def _group_status(rows: list[dict[str, Any]]) -> str:
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["status"]] = counts.get(row["status"], 0) + 1
    return next(iter(counts)) if len(counts) == 1 else ", ".join(f"{n} {status}" for status, n in counts.items())
