"""Running ``nncli`` under a pseudo-terminal and reading the screen as a person sees it.

``run_in_terminal`` starts the command on a pty of the given size (the child sees a real
terminal: ``isatty()`` is true and the window size comes from the pty), feeds everything it
writes to pyte, a VT100 emulator, and calls ``watch(screen, seconds)`` after each burst of
output, so a test can check what the screen showed at every moment.
"""

from __future__ import annotations

import fcntl
import os
import pty
import select
import signal
import struct
import sys
import termios
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import pytest

from cli_helpers import REPO, process_env

pyte = pytest.importorskip("pyte", reason="pyte (a terminal emulator) is in the dev extra")


@dataclass
class TerminalRun:
    exit_code: int
    screen: list[str]  # the last screen, one string per row
    history: list[str] = field(default_factory=list)  # every line that scrolled off or stayed, in order
    output: bytes = b""


def run_in_terminal(args: Sequence[object], *, columns: int = 80, rows: int = 24, timeout: float = 120,
                    watch: Callable[[list[str], float], None] | None = None,
                    send: Callable[[float, list[str]], bytes | None] | None = None,
                    cwd: Path = REPO) -> TerminalRun:
    """Run ``python -m nncli.cli ARGS`` on a pty; ``send(seconds, screen)`` may return keys to type."""
    env = process_env(TERM="xterm-256color")
    for name in ("COLUMNS", "LINES"):
        env.pop(name, None)
    pid, fd = pty.fork()
    if pid == 0:  # the child: a terminal of the given size, then nncli (never back into pytest)
        try:
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
            os.chdir(cwd)
            os.execve(sys.executable, [sys.executable, "-m", "nncli.cli", *map(str, args)], env)
        finally:
            os._exit(127)
    screen = pyte.HistoryScreen(columns, rows, history=10_000)
    stream = pyte.ByteStream(screen)
    output = bytearray()
    started = time.monotonic()
    status = None
    try:
        while True:
            elapsed = time.monotonic() - started
            if elapsed > timeout:
                os.kill(pid, signal.SIGKILL)
                raise AssertionError(f"nncli did not finish in {timeout} s; screen:\n" + "\n".join(screen.display))
            ready, _, _ = select.select([fd], [], [], 0.05)
            if ready:
                chunk = _drain(fd)
                if not chunk:
                    break
                output += chunk
                stream.feed(chunk)
                if watch is not None:
                    watch([line.rstrip() for line in screen.display], time.monotonic() - started)
            if send is not None:
                keys = send(time.monotonic() - started, [line.rstrip() for line in screen.display])
                if keys:
                    os.write(fd, keys)
            done, code = os.waitpid(pid, os.WNOHANG)
            if done:
                status = code
                if not ready:
                    rest = _drain(fd)
                    output += rest
                    stream.feed(rest)
                    break
    finally:
        if status is None:
            _, status = os.waitpid(pid, 0)
        os.close(fd)
    lines = ["".join(row[x].data for x in range(columns)).rstrip() for row in screen.history.top]
    return TerminalRun(os.waitstatus_to_exitcode(status), [line.rstrip() for line in screen.display],
                       lines + [line.rstrip() for line in screen.display], bytes(output))


def _drain(fd: int) -> bytes:
    """Everything the child has written so far (one redraw arrives whole)."""
    data = bytearray()
    while True:
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child closed the terminal
            return bytes(data)
        data += chunk
        if not chunk or not select.select([fd], [], [], 0.005)[0]:
            return bytes(data)
