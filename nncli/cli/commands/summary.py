from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from nncli.cli import output


@output.handle_errors
def summary(
    target: Annotated[Path, typer.Argument(help="A config file, an architecture file or a run directory.")],
    json_output: output.JsonOption = False,
    debug: output.DebugOption = False,
) -> None:
    """Show the Keras-style table of layers, output shapes and parameter counts.

    \b
    Example:
      nncli summary configs/lfw.yaml
      nncli summary configs/architectures/lecture_mnist.yaml
    """
    from nncli import experiment
    from nncli.engine import summary as summary_module

    model = experiment.summarize(target)
    if json_output:
        rows = [{"name": layer.name, "type": layer.type_name, "output_shape": [None, layer.output_dim],
                 "params": sum(layer.count_params())} for layer in model.layers]
        output.print_json({"model": model.name, "layers": rows, **model.param_totals()})
        return
    summary_module.render(model, output.stdout())
