"""Training speed on a terminal against piped: does the live display cost anything?

Runs ``nncli train configs/digits.yaml training.epochs=150 --no-plots`` alternately with stderr
piped and on a pseudo-terminal of 80x24, ``--repeats`` times each, and reads the samples/s each
run recorded in its ``metrics.json``. Prints the medians and their ratio (terminal / piped; the
target is at least 0.9).

    python benchmarks/terminal.py [--repeats 5] [--epochs 150]
"""

from __future__ import annotations

import argparse
import fcntl
import json
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _command(epochs: int, runs_dir: Path) -> list[str]:
    return [sys.executable, "-m", "nncli.cli", "train", str(REPO / "configs" / "digits.yaml"),
            f"training.epochs={epochs}", "--no-plots", "--runs-dir", str(runs_dir)]


def _samples_per_second(runs_dir: Path) -> float:
    (run,) = [path for path in runs_dir.iterdir() if path.is_dir()]
    return float(json.loads((run / "metrics.json").read_text())["samples_per_s"])


def piped(epochs: int) -> float:
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(_command(epochs, Path(folder)), check=True, capture_output=True, cwd=REPO)
        return _samples_per_second(Path(folder))


def on_terminal(epochs: int, columns: int = 80, rows: int = 24) -> float:
    with tempfile.TemporaryDirectory() as folder:
        pid, fd = pty.fork()
        if pid == 0:
            try:
                fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
                os.chdir(REPO)
                env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
                os.execve(sys.executable, _command(epochs, Path(folder)), {**env, "TERM": "xterm-256color"})
            finally:
                os._exit(127)
        while True:  # read everything, as a terminal would, so the child never blocks on output
            ready, _, _ = select.select([fd], [], [], 0.1)
            if ready:
                try:
                    if not os.read(fd, 65536):
                        break
                except OSError:
                    break
            elif os.waitpid(pid, os.WNOHANG)[0]:
                break
        os.close(fd)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        return _samples_per_second(Path(folder))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=150)
    arguments = parser.parse_args(argv)
    results: dict[str, list[float]] = {"piped": [], "terminal": []}
    for repeat in range(arguments.repeats):
        results["piped"].append(piped(arguments.epochs))
        results["terminal"].append(on_terminal(arguments.epochs))
        print(f"round {repeat + 1}: piped {results['piped'][-1]:,.0f} samples/s, "
              f"terminal {results['terminal'][-1]:,.0f} samples/s", file=sys.stderr)
    medians = {name: statistics.median(values) for name, values in results.items()}
    print(f"digits, {arguments.epochs} epochs, median of {arguments.repeats}: piped {medians['piped']:,.0f} "
          f"samples/s, 80x24 terminal {medians['terminal']:,.0f} samples/s, "
          f"ratio {medians['terminal'] / medians['piped']:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
