"""What every command shares: the two consoles, and turning library errors into one message.

stdout carries results only (tables, JSON, the run directory); progress and messages go to
stderr. Library errors (``NncliError``) become one line on stderr and their exit code: 2 for
usage and config errors, 1 for runtime failures, 130 for an interrupted training. No traceback
unless ``--debug``.
"""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated, Any, Callable

import typer

DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def stderr() -> Any:
    from rich.console import Console

    return Console(stderr=True, highlight=False, emoji=False, soft_wrap=True)


def stdout() -> Any:
    from rich.console import Console

    console = Console(highlight=False, emoji=False, soft_wrap=True)
    if not console.is_terminal and "COLUMNS" not in os.environ:
        # Piped or captured: tables are read by scripts and people alike, so do not squeeze
        # them to Rich's 80-column default (COLUMNS, when set, says the width).
        console = Console(highlight=False, emoji=False, soft_wrap=True, width=200)
    return console


def note(message: str) -> None:
    """One line on stderr (a notice, not an error)."""
    from rich.markup import escape

    stderr().print(escape(message))


def fail(message: str, code: int) -> None:
    from rich.markup import escape

    stderr().print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def print_json(value: Any) -> None:
    """``value`` as indented JSON on stdout (NaN and infinities as null)."""
    import json

    from nncli.io import to_builtin

    print(json.dumps(to_builtin(value), indent=2, ensure_ascii=False))


def handle_errors(command: Callable) -> Callable:
    """Turn library errors into one message and an exit code (or a traceback with --debug)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nncli.errors import NncliError

        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except NncliError as error:
            if debug:
                raise
            fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            if debug:
                raise
            stderr().print("interrupted")
            raise typer.Exit(130)
        except BrokenPipeError:
            # The reader of stdout went away (`nncli runs --json | head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if debug:
                raise
            fail(f"internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)", 1)

    return wrapper
