"""A run is locked while a process writes it: an exclusive ``flock`` on ``RUN/.lock``, held for
as long as the process writes (released by the OS when the process dies, even by kill -9).

A second writer (two ``nncli train --resume RUN`` at once, a sweep runner and a resume) is
refused with the holder's pid and host. Readers never take the lock.
"""

from __future__ import annotations

import errno
import fcntl
import os
import socket
import time
from pathlib import Path

from nncli.errors import RunDirError
from nncli.io import cause

LOCK_FILE = ".lock"
#: How long a refused writer waits for the holder to have written its pid.
HOLDER_WAIT_S = 1.0


class RunBusyError(RunDirError):
    """Another process holds the run's lock (its pid and host are in the message)."""


class RunLock:
    """``with RunLock(run_path): ...`` writes the run alone, or raises ``RunDirError`` at once."""

    def __init__(self, run_path: Path | str) -> None:
        self.path = Path(run_path) / LOCK_FILE
        self._fd: int | None = None

    def acquire(self) -> "RunLock":
        try:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as error:
            raise RunDirError(f"could not lock {self.path.parent}: {cause(error)}") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            holder = _read_holder(fd)
            os.close(fd)
            if error.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RunBusyError(f"{self.path.parent} is being written by {holder}; wait for it to finish "
                                  f"(or stop it), then try again") from None
            raise RunDirError(f"could not lock {self.path.parent}: {cause(error)}") from None
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()}\n".encode())
        self._fd = fd
        return self

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)  # closing the descriptor releases the lock
            self._fd = None

    def __enter__(self) -> "RunLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()


def _read_holder(fd: int) -> str:
    """``pid N on HOST`` from the lock file. The holder writes it just after taking the lock, so
    a writer refused in between finds it empty: look again for up to a second."""
    deadline = time.monotonic() + HOLDER_WAIT_S
    while True:
        try:
            text = os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
        except OSError:
            return "another process"
        if text or time.monotonic() > deadline:
            return text or "another process"
        time.sleep(0.01)
