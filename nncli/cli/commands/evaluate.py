from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def evaluate(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    split: Annotated[str, typer.Option("--split", help="test, val or train (rebuilt from the saved config and seed).")] = "test",
    data: Annotated[Optional[Path], typer.Option("--data", help="Evaluate on a labelled CSV/.npz file instead.")] = None,
    target: Annotated[Optional[str], typer.Option(
        "--target", help="Target column of --data (name or index; default: the run's own target column).")] = None,
    json_output: output.JsonOption = False,
    debug: output.DebugOption = False,
) -> None:
    """Loss and every metric on a held-out split, beside the baseline.

    The run's saved scaling and label encoding are applied; an interrupted run is evaluated on
    its last checkpoint.

    \b
    Examples:
      nncli evaluate runs/lfw
      nncli evaluate runs/lfw --split val
      nncli evaluate runs/iris_csv --data new_flowers.csv
    """
    from nncli import experiment
    from nncli.cli import render

    column = int(target) if target is not None and target.lstrip("-").isdigit() else target
    result = experiment.evaluate_run(run, split=split, data_file=data, target=column)
    for notice in result.get("notices", []):
        output.note(notice)
    if json_output:
        output.print_json(result)
        return
    title = f"{run} on {result['split']} ({result['n_samples']} samples)"
    output.stdout().print(render.metrics_table({result["split"]: result["metrics"]},
                                               {result["split"]: result["baseline"]}, title=title))
