"""Training progress for people (Rich, on a terminal) and for logs (one plain line per epoch).

Both are callbacks the CLI hands to the trainer; both write to stderr, so stdout keeps only
results. The Rich display redraws at most ten times a second, whatever the batch rate.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, TextIO

from nncli.engine.callbacks import Callback


def format_logs(logs: dict[str, float]) -> str:
    """``loss=0.4123 accuracy=0.8210 val_loss=...`` in a stable order."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, float) and not math.isnan(value):
            parts.append(f"{key}={value:.4f}")
    return " ".join(parts)


class PlainProgress(Callback):
    """One greppable line per epoch: ``epoch 3/20 loss=0.4123 accuracy=0.8210 ... 0.12s``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        self._started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("epochs", "?")
        seconds = time.perf_counter() - self._started
        duration = f"{seconds * 1000:.1f}ms" if seconds < 1 else f"{seconds:.2f}s"
        self.stream.write(f"epoch {epoch + 1}/{total} {format_logs(logs or {})} time={duration}\n")
        self.stream.flush()


class RichProgress(Callback):
    """A live bar over the batches of each epoch with loss, metrics and ETA."""

    refresh_seconds = 0.1

    def __init__(self, console: Any) -> None:
        self.console = console
        self._progress = None
        self._last_refresh = 0.0

    def on_train_begin(self, logs=None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("[bold]epoch {task.fields[epoch]}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[logs]}"),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=self.console,
            transient=False,
            auto_refresh=False,
        )
        self._progress.start()
        self._task = None

    def on_epoch_begin(self, epoch, logs=None):
        total = self.params.get("epochs", "?")
        n_batches = self.params["steps"]
        self._task = self._progress.add_task("", total=n_batches, epoch=f"{epoch + 1}/{total}", logs="")
        self._progress.refresh()

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if now - self._last_refresh < self.refresh_seconds:
            return
        self._last_refresh = now
        self._progress.update(self._task, completed=batch + 1, logs=format_logs(self.model.running_logs()))
        self._progress.refresh()

    def on_epoch_end(self, epoch, logs=None):
        self._progress.update(self._task, completed=self.params["steps"], logs=format_logs(logs or {}))
        self._progress.refresh()

    def on_train_end(self, logs=None):
        if self._progress is not None:
            self._progress.stop()
            self._progress = None

    def close(self) -> None:
        self.on_train_end()
