from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def plot(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train, or a sweep folder (sweep.png).")],
    what: Annotated[Optional[str], typer.Option(
        "--what", help="Comma-separated: curves,confusion,roc,boundary,residuals (default: all that apply).")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the PNG files (default: the run directory).")] = None,
    debug: output.DebugOption = False,
) -> None:
    """Draw a run's pictures again from its saved weights, history and config.

    Says in one line why each requested picture that does not apply is left out.

    \b
    Examples:
      nncli plot runs/circle --what curves,boundary
      nncli plot runs/digits --out pictures/
      nncli plot runs/digits-sweep
    """
    from nncli import experiment
    from nncli.errors import UsageError

    drawing = experiment.draw_pictures(run, what=what, out_dir=out)
    for notice in drawing.notices:
        output.note(notice)
    for name, reason in drawing.not_drawn.items():
        output.note(f"{name}: not drawn: {reason}")
    if not drawing.drawn:
        raise UsageError("no picture drawn: none of the requested pictures applies to this run")
    for path in drawing.drawn:
        print(path)
