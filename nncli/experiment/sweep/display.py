"""A sweep's progress for people: on a terminal a live area of one line per running worker and an
overall bar (runs done/total, ETA), each finished run printed once above it; off a terminal one
plain line per finished run. Redraws at most ten a second; lines fit the width (``fit_line``).
"""

from __future__ import annotations

import math
import time
from typing import Any, Callable

from nncli.engine.progress import REFRESH_SECONDS, fit_line, format_number, short_duration
from nncli.experiment.sweep import SweepEvents


def finished_line(outcome: Any, row: dict[str, Any], done: int, total: int, metric: str | None) -> str:
    """``[3/12] completed lr=0.01,units=32,seed=1-3f9a0c test_accuracy=0.9644 2.1s``."""
    status = outcome.status if outcome.trained else f"{outcome.status} before"
    parts = [f"[{done}/{total}]", status, outcome.name]
    value = row.get(metric) if metric else None
    if isinstance(value, float) and not math.isnan(value):
        parts.append(f"{metric}={format_number(value)}")
    seconds = row.get("seconds")
    if outcome.trained and isinstance(seconds, (int, float)):
        parts.append(f"{seconds:.2f}s" if seconds < 60 else short_duration(seconds))
    if outcome.status in ("failed", "interrupted") and outcome.reason:
        parts.append(f"({' '.join(str(outcome.reason).split())})")
    return " ".join(parts)


def planned_line(plan: Any) -> str:
    """``digits-sweep: 6 points × 2 seeds = 12 runs, 12 to train, in runs/digits-sweep``."""
    seeds = plan.spec["seeds"]
    points = f"{plan.n_points} point{'s' if plan.n_points != 1 else ''}"
    shape = f"{points} × {len(seeds)} seed{'s' if len(seeds) != 1 else ''} = " if seeds else f"{points} = "
    runs = len(plan.runs)
    before = [f"{n} {status} before" for status in ("completed", "failed")
              if (n := list(plan.found.values()).count(status))]
    return (f"{plan.directory.name}: {shape}{runs} run{'s' if runs != 1 else ''}, {len(plan.to_train)} to train"
            f"{''.join(', ' + text for text in before)}, in {plan.directory}")


def first_metric(base: Any) -> str:
    """The first asked metric (else the loss) on the split a finished line shows."""
    name = (list(base.training.metrics) or ["loss"])[0]
    if base.data.test_size > 0:
        return f"test_{name}"
    return f"val_{name}" if base.training.validation_split > 0 else name


class SweepDisplay(SweepEvents):
    """The sweep's progress on a Rich console: ``live`` for the terminal's live area, else plain lines."""

    def __init__(self, console: Any, live: bool, clock: Callable[[], float] = time.perf_counter) -> None:
        self.console, self.live, self.clock = console, live, clock
        self.slots: dict[Any, dict[str, Any]] = {}
        self.order: list[Any] = []
        self.metric: str | None = None
        self.done = self.total = self.trained = self.failed = 0
        self.to_train = 0
        self.started = clock()
        self._live: Any = None
        self._pending: list[str] = []
        self._last_refresh = -math.inf

    def planned(self, plan: Any) -> None:
        self.metric, self.total, self.to_train = first_metric(plan.base), len(plan.runs), len(plan.to_train)
        self._print(planned_line(plan))
        if self.live and plan.to_train:
            from rich.live import Live

            self._live = Live(console=self.console, auto_refresh=False, transient=True, redirect_stdout=False,
                              redirect_stderr=False, get_renderable=self._renderable)
            self._live.start()
        self.started = self.clock()

    def message(self, message: tuple) -> None:
        kind, slot, name, epoch, epochs = message
        if slot not in self.order:
            self.order.append(slot)
        if kind == "start":
            self.slots[slot] = {"name": name, "epoch": epoch, "first": epoch, "epochs": epochs, "since": self.clock()}
        elif slot in self.slots:
            self.slots[slot]["epoch"] = epoch
        self._refresh()

    def finished(self, outcome: Any, row: dict[str, Any], done: int, total: int) -> None:
        self.done, self.total = done, total
        self.trained += outcome.trained
        self.failed += outcome.status == "failed"
        for slot, state in list(self.slots.items()):
            if state["name"] == outcome.name:
                del self.slots[slot]
        if outcome.trained or outcome.status not in ("completed", "failed"):  # those found are in the plan line
            self._pending.append(finished_line(outcome, row, done, total, self.metric))
        self._refresh(force=not self.live)

    def close(self) -> None:
        if self._live is not None:
            self._flush()
            self._live.stop()
            self._live = None
        self._flush()

    # -- drawing -------------------------------------------------------------------------------
    def _print(self, text: str) -> None:
        from rich.text import Text

        self.console.print(Text(text), soft_wrap=True, highlight=False)

    def _flush(self) -> None:
        if self._pending:
            self._print("\n".join(self._pending))
            self._pending = []

    def _refresh(self, force: bool = False) -> None:
        now = self.clock()
        if self._live is None:
            self._flush()
            return
        if not force and now - self._last_refresh < REFRESH_SECONDS:
            return
        self._last_refresh = now
        self._flush()
        self._live.refresh()

    def _renderable(self) -> Any:
        from rich.text import Text

        return Text("\n".join(self.lines(self.console.width)), no_wrap=True, overflow="ellipsis")

    def lines(self, width: int) -> list[str]:
        """One line per running worker (in the order they first ran), then the overall bar."""
        now = self.clock()
        lines = [self._worker_line(self.slots[slot], now, width) for slot in self.order if slot in self.slots]
        elapsed = now - self.started
        remaining = self.total - self.done
        eta = elapsed * remaining / self.trained if self.trained else None
        failed = f"{self.failed} failed" if self.failed else ""
        lines.append(fit_line(f"runs {self.done}/{self.total}", f"ETA {short_duration(eta)}",
                              short_duration(elapsed), self.done / max(self.total, 1), failed, width))
        return lines

    @staticmethod
    def _worker_line(state: dict[str, Any], now: float, width: int) -> str:
        epochs = state["epochs"] or 1
        counter = f"epoch {state['epoch']}/{epochs}" if state["epochs"] else "starting"
        done = state["epoch"] - state["first"]
        elapsed = now - state["since"]
        eta = elapsed * (epochs - state["epoch"]) / done if done > 0 else None
        room = max(8, width - 3 - len(counter) - 1 - 10 - 8)
        name = state["name"] if len(state["name"]) <= room else state["name"][: room - 1] + "…"
        return fit_line(f"{name} {counter}", f"ETA {short_duration(eta)}", "", state["epoch"] / epochs, "", width)
