"""The ``nncli`` command: a Typer app with one thin function per command (``nncli.cli.commands``)."""

from __future__ import annotations

from typing import Annotated, Optional

import typer

from nncli.cli.commands import evaluate, export, gradcheck, plot, predict, runs, schema, summary, sweep, train

app = typer.Typer(
    name="nncli",
    help="Train dense neural networks from YAML configs, the Keras way, on NumPy.\n\n"
    "\b\nExamples:\n  nncli summary configs/lfw.yaml\n  nncli train configs/digits.yaml training.epochs=5\n"
    "  nncli evaluate runs/digits\n  nncli predict runs/digits --input rows.csv --proba\n  nncli runs --sort test_accuracy",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)

for command in (summary.summary, train.train, evaluate.evaluate, predict.predict, runs.runs, plot.plot,
                export.export, gradcheck.gradcheck, schema.schema, sweep.sweep):
    app.command()(command)


def _version(value: bool) -> None:
    if value:
        from nncli import __version__

        print(f"nncli {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", help="Show the version and exit.",
                                                    callback=_version, is_eager=True)] = None,
) -> None:
    """Train dense neural networks from YAML configs, the Keras way, on NumPy."""


def main() -> None:
    app()
