from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nncli.cli import output


@output.handle_errors
def gradcheck(
    target: Annotated[Path, typer.Argument(help="A config (its fresh model) or a run directory (its trained weights).")],
    samples: Annotated[int, typer.Option("--samples", help="Training rows to check the gradient on.")] = 32,
    dtype: Annotated[str, typer.Option("--dtype", help="float64 (exact check) or float32 (the engine's default).")] = "float64",
    json_output: output.JsonOption = False,
    debug: output.DebugOption = False,
) -> None:
    """Check the analytic gradient of every weight against central finite differences.

    On N rows of the training data: the loss with its regularizers, dropout off, batch
    normalization in training mode on that fixed batch. One row per layer and weight tensor with
    the largest absolute and relative errors; exit 1 when one fails the stated tolerance.

    \b
    Examples:
      nncli gradcheck configs/lfw.yaml
      nncli gradcheck runs/digits --samples 64
    """
    from nncli import experiment
    from nncli.cli import render

    report = experiment.gradcheck_target(target, samples=samples, dtype=dtype)
    if json_output:
        output.print_json({"passed": report.passed, "tolerance": report.tolerance, "n_samples": report.n_samples,
                           "rows": [vars(row) for row in report.rows]})
    else:
        output.stdout().print(render.gradcheck_table(report, title=f"gradient check of {target}"))
    if not report.passed:
        raise typer.Exit(1)
