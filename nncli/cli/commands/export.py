from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def export(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    output_file: Annotated[Optional[Path], typer.Option("--output", "-o", help="The file to write (default: RUN/model.onnx).")] = None,
    export_format: Annotated[str, typer.Option("--format", help="onnx (the only format so far).")] = "onnx",
    opset: Annotated[Optional[int], typer.Option("--opset", help="ONNX opset, 13 or newer (default 17).")] = None,
    one_column: Annotated[bool, typer.Option(
        "--binary-one-column", help="A one-sigmoid model outputs probabilities of shape [N, 1] (p) instead of [N, 2].")] = False,
    debug: output.DebugOption = False,
) -> None:
    """Export a trained run as ONNX, its scaling folded in, checked before it is written.

    The exported graph takes raw rows (X, float32, [N, n_features]) and gives probabilities and
    label (classifiers; class names in the metadata) or predictions (regression). It is run on
    the run's test rows with onnxruntime (or onnx's reference evaluator) and compared with nncli's
    own predictions: a difference above 1e-5 is exit 1, and no file is written. Needs the export
    extra: pip install "nncli[export]".

    \b
    Examples:
      nncli export runs/lfw
      nncli export runs/digits --output digits.onnx --opset 20
    """
    from nncli import experiment
    from nncli.errors import UsageError

    if export_format != "onnx":
        raise UsageError(f"--format must be onnx. Received: {export_format!r}")
    exported = experiment.export_run(run, output=output_file, opset=opset, binary_two_columns=not one_column)
    for notice in exported.notices:
        output.note(notice)
    check = exported.verification
    output.note(f"checked on {check.n_rows} rows with {check.runtime}: max difference {check.max_difference:.2g} "
                f"against nncli predict (tolerance {check.tolerance:g})")
    print(exported.path)
