"""Shared helpers of the CLI tests: invoking ``nncli`` in-process (Typer's CliRunner) or as a
real process, with the terminal-detection environment pinned so results do not depend on
where the tests run."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any, Mapping, Sequence

from typer.testing import CliRunner, Result

from nncli.cli import app

REPO = Path(__file__).resolve().parents[1]
CONFIGS = REPO / "configs"
ARCHITECTURES = CONFIGS / "architectures"

# Rich decides "terminal or not" from these variables before looking at isatty().
_TERMINAL_VARIABLES = ("FORCE_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE", "NO_COLOR", "JUPYTER_COLUMNS")
PLAIN_ENV: dict[str, str | None] = {**{name: None for name in _TERMINAL_VARIABLES}, "COLUMNS": "200"}
TERMINAL_ENV: dict[str, str | None] = {**PLAIN_ENV, "FORCE_COLOR": "1", "TERM": "xterm-256color", "COLUMNS": "120"}

ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
#: One plain progress line: ``epoch 3/20 loss=0.4123 accuracy=0.8210 ...``.
#: A number in an epoch log line: four decimals, always (0.4123, 0.0000).
NUMBER = r"-?\d+\.\d{4}"
PLAIN_EPOCH_LINE = re.compile(rf"^epoch (\d+)/(\d+) loss={NUMBER}( \w+={NUMBER})*( time=\S+)?$")


def invoke(args: Sequence[Any], *, input: str | bytes | None = None,
           env: Mapping[str, str | None] | None = None) -> Result:
    """Run ``nncli ARGS`` in-process; stdout and stderr are captured separately."""
    return CliRunner().invoke(app, [str(arg) for arg in args], input=input, env={**PLAIN_ENV, **(env or {})})


def last_line(text: str) -> str:
    """The last non-empty line of ``text`` ('' when there is none)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""


def strip_ansi(text: str) -> str:
    return ANSI_ESCAPE.sub("", text)


def train_run(runs_dir: Path, config: str = "iris.yaml", *overrides: str, options: Sequence[str] = ()) -> Path:
    """Train ``configs/<config>`` for 2 epochs (quiet, no pictures) and return the run directory."""
    result = invoke(["train", CONFIGS / config, "training.epochs=2", *overrides, "--runs-dir", runs_dir,
                     "--quiet", "--no-plots", *options])
    assert result.exit_code == 0, result.stderr + result.stdout
    return Path(result.stdout.strip())


def write_config(folder: Path, text: str, name: str = "experiment.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def temp_files(folder: Path) -> list[Path]:
    """The atomic writers' temporary files (``.NAME.*.tmp``) left in ``folder``."""
    return [path for path in folder.iterdir() if path.name.startswith(".") and path.name.endswith(".tmp")]


# -- real processes -----------------------------------------------------------------------------
def process_env(**extra: str) -> dict[str, str]:
    """The current environment, the interpreter's bin folder first on PATH, no forced colours."""
    env = {key: value for key, value in os.environ.items() if key not in _TERMINAL_VARIABLES}
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + env.get("PATH", "")
    env["PYTHONUNBUFFERED"] = "1"
    env.update(extra)
    return env


def run_nncli(args: Sequence[Any], *, input: str | None = None, cwd: Path = REPO,
              timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """``python -m nncli.cli ARGS`` as a real process with pipes (so stderr is not a terminal)."""
    return subprocess.run([sys.executable, "-m", "nncli.cli", *[str(arg) for arg in args]], input=input,
                          capture_output=True, text=True, cwd=cwd, env=process_env(), timeout=timeout)
