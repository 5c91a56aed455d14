from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def schema(
    output_file: Annotated[Optional[Path], typer.Option("--output", "-o", metavar="FILE",
                                                        help="Write the schema to FILE instead of stdout.")] = None,
    debug: output.DebugOption = False,
) -> None:
    """Print the JSON Schema (draft-07) of the config, for editors: completion, hover and checks
    of every key, with its description and default.

    configs/nncli.schema.json is this output; a config opts in with the first line
    "# yaml-language-server: $schema=nncli.schema.json" (the path counts from the config's folder).

    \b
    Examples:
      nncli schema --output configs/nncli.schema.json
      nncli schema | head
    """
    from nncli import io
    from nncli.config.jsonschema import schema_text

    text = schema_text()
    if output_file is None:
        sys.stdout.write(text)
        return
    io.atomic_write_text(output_file, text)
    output.note(f"wrote the config's JSON Schema to {output_file}")
