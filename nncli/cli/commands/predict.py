from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def predict(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    input: Annotated[str, typer.Option("--input", "-i", help=(
        "Raw rows: CSV, .npy or .npz (key X); - for CSV on stdin. For a run trained on lfw: face photos too (an "
        "image, a folder or a glob; a photo that is not 250x250 is centre-fitted to 250x250 first, then cropped "
        "and resized as scikit-learn's LFW loader does)."))],
    output_file: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    proba: Annotated[bool, typer.Option("--proba", help="Add each class's probability.")] = False,
    debug: output.DebugOption = False,
) -> None:
    """Predict labels (class names when known) or values for new, unscaled rows.

    \b
    Examples:
      nncli predict runs/iris_csv --input flowers.csv --proba
      cat rows.csv | nncli predict runs/digits --input -
      nncli predict runs/lfw --input "photos/*.jpg" --proba
    """
    from nncli import experiment, io
    from nncli.cli import render
    from nncli.errors import UsageError

    if output_format not in ("csv", "json"):
        raise UsageError(f"--format must be csv or json. Received: {output_format!r}")
    result = experiment.predict_run(run, input, stream=_stdin() if input == "-" else None)
    for notice in result.get("notices", []):
        output.note(notice)
    text = render.predictions(result, output_format, proba)
    if output_file is None:
        sys.stdout.write(text)
    else:
        io.atomic_write_text(output_file, text)
        output.note(f"wrote {len(result['outputs'])} predictions to {output_file}")


def _stdin():
    """Standard input as text, decoded as UTF-8 whatever the locale says (bounded)."""
    import io as text_io

    from nncli import io
    from nncli.data.tables import MAX_TABLE_BYTES
    from nncli.errors import DataError

    return text_io.StringIO(io.read_stream(sys.stdin.buffer, max_bytes=MAX_TABLE_BYTES, what="standard input",
                                           error=DataError))
