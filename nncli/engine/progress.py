"""Training progress for people (a live display on a terminal or in Jupyter) and for logs (one
plain line per epoch), as callbacks; Keras's ``verbose`` chooses between them.

The live display has a constant height: one line for the run (epoch N/M, a bar, elapsed time,
the ETA of the whole run, the last epoch's metrics) and one for the epoch in progress (batch
counter, a bar, its ETA, running loss and metrics). Each finished epoch leaves its plain log line
above the live area, so the scrollback holds the whole history. Every redraw is throttled to at
most ten a second and costs the same whatever the number of epochs. Lines are fitted to the
width: metrics are abbreviated, then cut; then the elapsed time and the bar go; the counters and
the ETA always stay.
"""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Callable, TextIO

from nncli.engine.callbacks import Callback

#: Seconds between two redraws of the live display, at least.
REFRESH_SECONDS = 0.1
BAR_WIDTH, BAR_MIN = 20, 6
#: Shorter names for metrics when the full line does not fit.
ABBREVIATIONS = (("val_", "v_"), ("accuracy", "acc"), ("precision", "prec"), ("recall", "rec"))


def format_number(value: float) -> str:
    """The one format of a number in tables and pictures: Keras's progress-bar rule, four
    decimals, and four in scientific notation below 0.001 in size (``5.3012e-05``, not
    ``0.0001``); zero stays ``0.0000``, NaN is ``nan``. (Epoch log lines keep ``.4f``: scripts
    read them as the first wave wrote them.)"""
    return f"{value:.4e}" if 0 < abs(value) < 1e-3 else f"{value:.4f}"


def format_logs(logs: dict[str, Any]) -> str:
    """``loss=0.4123 accuracy=0.8210 val_loss=...`` in a stable order (undefined values left out)."""
    parts = []
    for key, value in logs.items():
        if isinstance(value, float) and not math.isnan(value):
            parts.append(f"{key}={value:.4f}")  # the first wave's log lines, byte for byte
    return " ".join(parts)


def epoch_line(epoch: int, total: Any, logs: dict[str, Any], seconds: float) -> str:
    """The plain log line of one finished epoch: ``epoch 3/20 loss=0.4123 ... time=6.8ms``."""
    duration = f"{seconds * 1000:.1f}ms" if seconds < 1 else f"{seconds:.2f}s"
    return f"epoch {epoch + 1}/{total} {format_logs(logs)} time={duration}"


def short_duration(seconds: float | None) -> str:
    """Keras's ETA format: ``7s``, ``2:05``, ``1:02:05``; ``-`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "-"
    seconds = int(round(seconds))
    if seconds >= 3600:
        return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
    if seconds >= 60:
        return f"{seconds // 60}:{seconds % 60:02d}"
    return f"{seconds}s"


def _abbreviated(text: str) -> str:
    for long, short in ABBREVIATIONS:
        text = text.replace(long, short)
    return text


def fit_line(counter: str, eta: str, elapsed: str, fraction: float, metrics: str, width: int) -> str:
    """``counter bar elapsed ETA eta  metrics`` in at most ``width - 3`` characters (room for the
    terminal's own ``^C`` echo, which would otherwise wrap the line and shift the redraw).

    What does not fit goes in this order: the bar shrinks (to ``BAR_MIN``); metrics are
    abbreviated; the elapsed time goes; metrics are cut with an ellipsis; the bar goes.
    ``counter`` and ``eta`` always stay.
    """
    budget = width - 3 - len(counter) - 1 - len(eta)
    room = budget - (BAR_MIN + 1) - 2  # for the metrics, beside the smallest bar
    text = metrics if len(metrics) <= room - len(elapsed) - 1 else _abbreviated(metrics)
    if len(text) > room - len(elapsed) - 1:
        elapsed = ""  # the ETA says more than the elapsed time; the metrics say more than both
    room -= len(elapsed) + 1 if elapsed else 0
    if len(text) > room:
        text = text[: room - 1] + "…" if room >= 4 else ""
    budget -= len(elapsed) + 1 if elapsed else 0
    bar_width = min(BAR_WIDTH, budget - 1 - (len(text) + 2 if text else 0))
    pieces = [counter, _bar(fraction, bar_width) if bar_width >= BAR_MIN else "", elapsed, eta]
    line = " ".join(piece for piece in pieces if piece)
    return f"{line}  {text}" if text else line


def _bar(fraction: float, width: int) -> str:
    done = max(0, min(width, int(round(fraction * width))))
    return "━" * done + "╺" * (width > done) + " " * max(0, width - done - 1)


class PlainProgress(Callback):
    """One greppable line per epoch: ``epoch 3/20 loss=0.4123 accuracy=0.8210 ... time=6.8ms``."""

    def __init__(self, stream: TextIO | None = None) -> None:
        self.stream = stream
        self._started = 0.0

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        stream = self.stream or sys.stderr
        seconds = time.perf_counter() - self._started
        stream.write(epoch_line(epoch, self.params.get("epochs", "?"), logs or {}, seconds) + "\n")
        stream.flush()


class LiveProgress(Callback):
    """The live display on a Rich console (a terminal or a Jupyter notebook).

    Parameters
    ----------
    console : rich.console.Console
    clock : callable, optional
        Seconds as a float (``time.perf_counter``); tests pass their own.
    """

    def __init__(self, console: Any, clock: Callable[[], float] = time.perf_counter) -> None:
        self.console = console
        self.clock = clock
        self._live: Any = None
        self._train_started = self._epoch_started = self._epoch_ended = clock()
        self._done_epochs = 0
        self._pending: list[str] = []
        self._last_refresh = -math.inf
        self._epoch: int | None = None
        self._batch = 0
        self._last_logs: dict[str, Any] = {}
        self._running: dict[str, Any] = {}

    # -- hooks -------------------------------------------------------------------------------
    def on_train_begin(self, logs=None):
        from rich.live import Live

        self._train_started = self.clock()
        self._done_epochs = 0
        self._live = Live(console=self.console, auto_refresh=False, transient=True, redirect_stdout=False,
                          redirect_stderr=False, get_renderable=self._renderable)
        self._live.start()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch, self._batch, self._running = epoch, 0, {}
        self._epoch_started = self.clock()
        self._refresh()

    def on_train_batch_end(self, batch, logs=None):
        self._batch = batch + 1
        if self.clock() - self._last_refresh >= REFRESH_SECONDS:
            self._running = self.model.running_logs() if self.model is not None else {}
            self._refresh()

    def on_epoch_end(self, epoch, logs=None):
        self._pending.append(epoch_line(epoch, self.params.get("epochs", "?"), logs or {},
                                        self.clock() - self._epoch_started))
        self._last_logs = dict(logs or {})
        self._epoch_ended = self.clock()
        self._done_epochs += 1
        self._epoch = None
        self._refresh()

    def on_train_end(self, logs=None):
        self._stop(None)

    def close(self) -> None:
        """Stop the display; an epoch still in progress (Ctrl-C) leaves a line saying how far it got."""
        if self._live is None:
            return
        note = None
        if self._epoch is not None:
            steps = self.params.get("steps", "?")
            note = (f"epoch {self._epoch + 1}/{self.params.get('epochs', '?')} interrupted after batch "
                    f"{self._batch}/{steps} {format_logs(self.model.running_logs() if self.model else {})}").rstrip()
        self._stop(note)

    # -- drawing -----------------------------------------------------------------------------
    def _refresh(self, force: bool = False) -> None:
        now = self.clock()
        if self._live is None or (not force and now - self._last_refresh < REFRESH_SECONDS):
            return
        self._last_refresh = now
        self._flush()
        self._live.refresh()

    def _flush(self) -> None:
        if self._pending:
            from rich.text import Text

            self._live.console.print(Text("\n".join(self._pending)), soft_wrap=True, highlight=False)
            self._pending = []

    def _stop(self, note: str | None) -> None:
        if self._live is None:
            return
        if note:
            self._pending.append(note)
        self._flush()
        self._live.stop()
        self._live = None

    def _renderable(self) -> Any:
        from rich.text import Text

        width = self.console.width
        return Text("\n".join(self.lines(width)), no_wrap=True, overflow="ellipsis")

    def lines(self, width: int) -> list[str]:
        """The two live lines at ``width`` columns (the run, then the epoch in progress)."""
        epochs = int(self.params.get("epochs", 0)) or 1
        first = int(self.params.get("initial_epoch", 0))
        steps = int(self.params.get("steps", 0)) or 1
        now = self.clock()
        in_epoch = self._batch / steps
        done = self._done_epochs + (in_epoch if self._epoch is not None else 0.0)
        planned = max(epochs - first, 1)
        elapsed = now - self._train_started
        run_eta = elapsed * (planned - done) / done if done > 0 else None
        current = (self._epoch + 1) if self._epoch is not None else first + self._done_epochs
        run = fit_line(f"epoch {current}/{epochs}", f"ETA {short_duration(run_eta)}", short_duration(elapsed),
                       (first + done) / epochs, format_logs(self._last_logs), width)
        epoch_elapsed = (now if self._epoch is not None else self._epoch_ended) - self._epoch_started
        epoch_eta = epoch_elapsed * (steps - self._batch) / self._batch if self._batch else None
        batch = fit_line(f"  batch {self._batch}/{steps}", f"ETA {short_duration(epoch_eta)}",
                         short_duration(epoch_elapsed), in_epoch, format_logs(self._running), width)
        return [run, batch]


def callbacks_for(verbose: Any, stream: TextIO | None = None) -> list[Callback]:
    """The progress callbacks of Keras's ``verbose``: 0 none; 2 one line per epoch; 1 the live
    display (one line per epoch where nothing is live); "auto" the live display on a terminal or
    in Jupyter, one line per epoch otherwise. Output goes to ``stream`` (stdout by default)."""
    if verbose == 0:
        return []
    stream = stream or sys.stdout
    if verbose == 2:
        return [PlainProgress(stream)]
    from rich.console import Console

    console = Console(file=stream, highlight=False, emoji=False)
    if console.is_terminal or console.is_jupyter:
        return [LiveProgress(console)]
    return [PlainProgress(stream)]
