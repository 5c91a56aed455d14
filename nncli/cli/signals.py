"""Ctrl-C and SIGTERM while training: stop after the current batch, keeping a resumable run."""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from nncli.engine.callbacks import Callback

AGAIN = b"\ninterrupted again: exiting now; the last completed epoch's checkpoint is kept\n"
STOPPING = b"\nstopping after this batch (press Ctrl-C again to exit at once)\n"
SHOW_CURSOR = b"\x1b[?25h"


class Interrupts(Callback):
    """SIGINT/SIGTERM while training: the first asks training to stop after the current batch
    (``event`` is set; the trainer checks it after each batch); a second one exits at once (the
    last epoch's checkpoint is already safe on disk).

    The handlers are installed when training starts, not while data loads (a signal then stops
    at once), and write nothing over a live display, whose last line tells how far the epoch got.
    """

    def __init__(self, live: bool) -> None:
        self.live = live
        self.event = threading.Event()
        self.previous: dict[int, Any] = {}

    def on_train_begin(self, logs=None):
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self.previous[signum] = signal.signal(signum, self._handle)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.event.is_set():
            os.write(2, (SHOW_CURSOR if self.live else b"") + AGAIN)
            os._exit(130)
        self.event.set()
        if not self.live:
            os.write(2, STOPPING)

    def on_train_end(self, logs=None):
        self.close()

    def close(self) -> None:
        for signum, handler in self.previous.items():
            signal.signal(signum, handler)
        self.previous = {}


class StopAtOnce:
    """Until training starts (loading data, say), SIGTERM stops at once, as Ctrl-C does."""

    def __enter__(self) -> "StopAtOnce":
        self.previous = None
        if threading.current_thread() is threading.main_thread():
            self.previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGTERM, self.previous)
