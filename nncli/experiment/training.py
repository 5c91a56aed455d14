"""Training an experiment into a run directory, and resuming one exactly.

The run directory gets ``config.yaml`` (resolved: every default, the input size, absolute data
paths, so training it again gives the same run), ``summary.txt``, ``history.csv`` (a row per
epoch), ``checkpoint.npz`` (each epoch), ``model.npz`` and ``metrics.json`` (status, final
metrics, baseline, timing). The process that writes a run holds its lock. Progress goes out
through the callbacks the caller passes in; nothing here prints.
"""

from __future__ import annotations

import math
import os
import platform
import socket
import stat
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncli import __version__, io, runs
from nncli.config import Config, load_config
from nncli.engine import summary
from nncli.engine.callbacks import Callback
from nncli.engine.model import Sequential
from nncli.errors import RunDirError, TrainingInterrupted, UsageError
from nncli.experiment import checkpoint as checkpoints
from nncli.experiment.evaluation import final_metrics
from nncli.experiment.prepare import PreparedData, checked_model, class_weights, config_callbacks, prepare, targets


@dataclass
class TrainResult:
    run_dir: Path
    metrics: dict[str, Any]
    history: dict[str, list[float]] = field(default_factory=dict)
    model: Sequential | None = None
    prepared: PreparedData | None = None
    config: Config | None = None


class RunRecorder(Callback):
    """Writes ``history.csv``, ``checkpoint.npz`` and a ``metrics.json`` heartbeat each epoch."""

    def __init__(self, run: runs.RunDir, columns: list[str], stateful: list[Callback], rows: list[dict[str, float]],
                 metrics: dict[str, Any], preprocessor: Any) -> None:
        self.run = run
        self.columns = columns
        self.stateful = stateful
        self.rows = list(rows)
        self.metrics = metrics
        self.preprocessor = preprocessor
        self.writer: runs.HistoryWriter | None = None
        self._epoch_started = time.perf_counter()

    def on_train_begin(self, logs=None):
        # A new history.csv holding exactly the checkpoint's rows (none for a new run); the
        # checkpoint, not the CSV, is the record of which epochs are done.
        self.writer = runs.HistoryWriter(self.run.history, self.columns, self.rows)
        if not self.rows:
            # The starting point is a checkpoint too: a run killed or diverged in its first
            # epoch still leaves one that loads and resumes.
            self._save_checkpoint(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **(logs or {})}
        row["learning_rate"] = self.model.optimizer.learning_rate
        row["seconds"] = time.perf_counter() - self._epoch_started
        row = {column: row.get(column, math.nan) for column in self.columns}
        self.rows.append(row)
        self._save_checkpoint(epoch + 1)
        self.writer.append(row)
        # A heartbeat: `nncli runs` tells a live run from one whose process is gone.
        self.metrics.update(epochs_completed=epoch + 1, updated=runs.utc_now_iso())
        io.write_json(self.run.metrics, self.metrics)

    def _save_checkpoint(self, epochs_done: int) -> None:
        checkpoints.save_checkpoint(self.run.checkpoint, self.model, epochs_done, self.stateful, self.rows,
                                    self.columns, self.preprocessor)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()


def history_columns(model: Sequential, has_validation: bool) -> list[str]:
    names = model.metrics_names
    return ["epoch", *names, *([f"val_{name}" for name in names] if has_validation else []), "learning_rate", "seconds"]


def _versions() -> dict[str, str]:
    import sklearn

    return {"nncli": __version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "python": platform.python_version()}


def base_metrics(config: Config, run: runs.RunDir) -> dict[str, Any]:
    now = runs.utc_now_iso()
    return {
        "status": "running", "reason": None, "name": run.name, "created": now, "updated": now,
        "pid": os.getpid(), "host": socket.gethostname(), "seed": config.seed,
        "epochs_completed": 0, "epochs_planned": config.training.epochs, "best_epoch": None, "best_quantity": None,
        "final": {}, "baseline": {}, "wall_time_s": 0.0, "samples_per_s": None, "versions": _versions(),
    }


def train_config(path: Path | str, overrides: list[str] = (), **options: Any) -> TrainResult:
    """Load the config at ``path`` with ``overrides`` and train it (see ``train``)."""
    return train(load_config(path, list(overrides)), **options)


def train(config: Config, *, runs_dir: Path | str, name: str | None = None, callbacks: list[Callback] = (),
          interrupt: Any = None, on_run_dir: Any = None, prepared: PreparedData | None = None) -> TrainResult:
    """Train ``config`` into a new run directory under ``runs_dir`` (``prepared``: its data, when
    the caller has prepared it already)."""
    prepared = prepared or prepare(config)
    model, resolved = checked_model(config, prepared)
    run = runs.RunDir.create(runs_dir, resolved.name if name is None else name)
    with runs.RunLock(run.path):
        if on_run_dir is not None:
            on_run_dir(run.path)
        return _train_new(resolved, run, model, prepared, list(callbacks), interrupt)


def train_claimed(config: Config, run_path: Path | str, *, callbacks: list[Callback] = (), interrupt: Any = None,
                  prepared: PreparedData | None = None) -> TrainResult:
    """Train ``config`` afresh into ``run_path``, an existing folder whose ``RunLock`` the caller
    holds (a sweep's claimed run: its name is its identity, so no ``-2`` suffix); files a
    killed earlier attempt left there are replaced."""
    prepared = prepared or prepare(config)
    model, resolved = checked_model(config, prepared)
    return _train_new(resolved, runs.RunDir(Path(run_path)), model, prepared, list(callbacks), interrupt)


def _train_new(resolved: Config, run: runs.RunDir, model: Sequential, prepared: PreparedData,
               callbacks: list[Callback], interrupt: Any) -> TrainResult:
    try:
        io.write_yaml(run.config, resolved.to_dict())
        io.atomic_write_text(run.summary, summary.text(model) + "\n")
        return _fit_and_record(resolved, run, model, prepared, callbacks, interrupt, checkpoint=None)
    except KeyboardInterrupt:
        # Stopped between creating the folder and the first epoch: say so in the run itself.
        if (run.read_metrics() or {}).get("status") in (None, "running"):
            metrics = base_metrics(resolved, run)
            metrics.update(status="interrupted", reason="interrupted before training started")
            io.write_json(run.metrics, metrics)
        raise


def resume(run_path: Path | str, overrides: list[str] = (), *, callbacks: list[Callback] = (),
           interrupt: Any = None, prepared: PreparedData | None = None) -> TrainResult:
    """Continue an interrupted run from its checkpoint, with the same config; only
    ``training.epochs=N`` may be given, to raise the epochs (``prepared``: its data, when the
    caller has prepared it already from the same data section)."""
    run = runs.RunDir.open(run_path)
    with runs.RunLock(run.path):
        return resume_claimed(run.path, overrides, callbacks=callbacks, interrupt=interrupt, prepared=prepared)


def resume_claimed(run_path: Path | str, overrides: list[str] = (), *, callbacks: list[Callback] = (),
                   interrupt: Any = None, prepared: PreparedData | None = None) -> TrainResult:
    """``resume`` for a run whose ``RunLock`` the caller already holds (a sweep's claimed run)."""
    run = runs.RunDir.open(run_path)
    saved = load_config(run.config)
    config = _resume_config(run, saved, list(overrides))
    if config is not saved:
        io.write_yaml(run.config, config.to_dict())
    for stale in run.path.glob(".*.tmp"):  # a write cut short by kill -9; never a final file
        if stat.S_ISREG(stale.lstat().st_mode):
            stale.unlink(missing_ok=True)
    prepared = prepared or prepare(config)
    model, _ = checked_model(config, prepared)
    state = checkpoints.load(run.checkpoint, model, "checkpoint") if run.checkpoint.exists() else None
    return _fit_and_record(config, run, model, prepared, list(callbacks), interrupt, checkpoint=state)


def _resume_config(run: runs.RunDir, saved: Config, overrides: list[str]) -> Config:
    epochs = None
    for override in overrides:
        key, _, value = override.partition("=")
        if key.strip() != "training.epochs":
            raise UsageError(f"--resume continues the saved config; override {override!r} would change the run "
                             f"(only training.epochs=N may be given, to raise the epochs)")
        epochs = load_config(run.config, [override]).training.epochs
    planned = saved.training.epochs
    if run.status() == "completed" and (epochs is None or epochs <= planned):
        raise UsageError(f"{run.path} already completed its {planned} epochs; to train it further, raise the epochs: "
                         f"nncli train --resume {run.path} training.epochs={planned * 2}")
    if epochs is None or epochs == planned:
        return saved
    if epochs < planned:
        raise UsageError(
            f"training.epochs={epochs} is lower than the {planned} epochs this run planned; --resume can only raise "
            f"it. To finish early, use the run as it is: nncli evaluate {run.path} works on its last checkpoint")
    return saved.with_epochs(epochs)


def _restore(model: Sequential, stateful: list[Callback], state: dict[str, np.ndarray]) -> int:
    model.set_weights(checkpoints.weights(state))
    model.optimizer.build(model.flat_params.size, model.dtype)
    model.optimizer.set_state(state)
    for index, callback in enumerate(stateful):
        callback.set_model(model)
        callback.set_state(checkpoints.unpack_state(f"cb{index}_", state))
    return int(state["epoch"])


def _fit_and_record(config: Config, run: runs.RunDir, model: Sequential, prepared: PreparedData,
                    extra_callbacks: list[Callback], interrupt: Any, checkpoint: dict | None) -> TrainResult:
    training = config.training
    stateful = config_callbacks(config)
    columns = history_columns(model, training.validation_split > 0)
    metrics = base_metrics(config, run)
    rows: list[dict[str, float]] = []
    initial_epoch = 0
    if checkpoint is not None:
        initial_epoch = _restore(model, stateful, checkpoint)
        rows = checkpoints.history_rows(checkpoint, columns)
        previous = run.read_metrics() or {}
        metrics["created"] = previous.get("created", metrics["created"])
        metrics["wall_time_s"] = float(previous.get("wall_time_s") or 0.0)
    recorder = RunRecorder(run, columns, stateful, rows, metrics, prepared.preprocessor)
    model.interrupt = interrupt
    metrics["epochs_completed"] = initial_epoch
    io.write_json(run.metrics, metrics)
    started, previous_wall = time.perf_counter(), metrics["wall_time_s"]
    try:
        _fit(model, prepared, config, initial_epoch, [*stateful, recorder, *extra_callbacks])
        elapsed = time.perf_counter() - started
        epochs_run = len(recorder.rows) - initial_epoch
        n_train = len(prepared.part("train")[0])
        metrics["samples_per_s"] = (n_train * epochs_run / elapsed) if elapsed > 0 and epochs_run else None
        metrics["final"], metrics["baseline"] = final_metrics(model, prepared)
        checkpoints.save_model(run.model, model, prepared.preprocessor, prepared.n_samples)
    except (TrainingInterrupted, KeyboardInterrupt) as error:
        _finish(metrics, run, recorder, config, "interrupted", str(error) or "interrupted",
                previous_wall + time.perf_counter() - started)
        raise
    except Exception as error:  # diverged, disk full, anything: the run must not stay "running"
        _finish(metrics, run, recorder, config, "failed", str(error) or type(error).__name__,
                previous_wall + time.perf_counter() - started)
        raise
    _finish(metrics, run, recorder, config, "completed", None, previous_wall + elapsed)
    return TrainResult(run.path, metrics, runs.read_history(run.history), model, prepared, config)


def _fit(model: Sequential, prepared: PreparedData, config: Config, initial_epoch: int, callbacks: list) -> None:
    training = config.training
    weights_by_class = None
    if prepared.task == "classification" and training.class_weight is not None:
        indices = np.asarray(prepared.preprocessor.encode_y(prepared.part("train")[1])).reshape(-1).astype(np.intp)
        weights_by_class = class_weights(training.class_weight, indices, prepared.preprocessor.n_classes)
    model.fit(prepared.X_train, targets(prepared.preprocessor, prepared.y_train, model.loss),
              batch_size=training.batch_size, epochs=training.epochs, validation_split=training.validation_split,
              shuffle=training.shuffle, class_weight=weights_by_class, initial_epoch=initial_epoch, verbose=0,
              callbacks=callbacks)


def _finish(metrics: dict, run: runs.RunDir, recorder: RunRecorder, config: Config, status: str,
            reason: str | None, wall_time: float) -> None:
    history = {column: [row[column] for row in recorder.rows] for column in recorder.columns}
    monitor = (config.training.callbacks().get("early_stopping") or {}).get("monitor")
    best, quantity = runs.best_epoch(history, monitor) if recorder.rows else (None, None)
    metrics.update(status=status, reason=reason, updated=runs.utc_now_iso(), epochs_completed=len(recorder.rows),
                   wall_time_s=wall_time, best_epoch=best, best_quantity=quantity)
    try:
        io.write_json(run.metrics, metrics)
    except RunDirError:
        if status == "completed":
            raise


def epochs_saved(path: Path | str) -> str:
    """``"3 completed epochs"`` as the run's metrics.json says (for the interrupted message)."""
    from nncli.errors import NncliError

    try:
        completed = (runs.RunDir(Path(path)).read_metrics() or {}).get("epochs_completed") or 0
    except NncliError:
        completed = 0
    return f"{completed} completed epoch{'s' if completed != 1 else ''}"
