from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from nncli.cli import output


@output.handle_errors
def runs(
    directory: Annotated[Path, typer.Argument(help="The runs folder (or a sweep's folder).")] = Path("runs"),
    sort: Annotated[Optional[str], typer.Option(
        "--sort", help="Sort by a key, best first for metrics (test_accuracy, val_loss, ...).")] = None,
    columns: Annotated[Optional[str], typer.Option(
        "--columns", help="Comma-separated keys to show, e.g. test_accuracy,training.optimizer.learning_rate.")] = None,
    where: Annotated[Optional[list[str]], typer.Option(
        "--where", help="Keep runs where a config or metric key =, !=, >, <, >=, <= a value; repeatable.")] = None,
    top: Annotated[Optional[int], typer.Option("--top", help="Only the N best (by --sort, else the first metric).")] = None,
    aggregate: Annotated[Optional[str], typer.Option(
        "--aggregate", help="Runs that differ only in this key (e.g. seed) become one row: mean ± std.")] = None,
    json_output: Annotated[bool, typer.Option("--json", help="Print every key of every run as JSON.")] = False,
    csv_output: Annotated[bool, typer.Option("--csv", help="Print every key of every run as CSV.")] = False,
    debug: output.DebugOption = False,
) -> None:
    """One row per run directory: status, epochs, the metrics its config asked for.

    \b
    Examples:
      nncli runs --sort test_accuracy
      nncli runs --where training.optimizer.learning_rate<0.01 --top 3
      nncli runs --aggregate seed --columns test_accuracy,test_loss
      nncli runs --csv > runs.csv
    """
    from nncli import runs as runs_module
    from nncli.cli import render

    listing = runs_module.list_runs(directory, where=where or [], sort=sort, top=top)
    chosen = None if columns is None else runs_module.listing.check_columns(columns.split(","), listing)
    if aggregate:
        listing = runs_module.aggregate(listing, aggregate)
    for path, reason in listing.skipped:
        output.note(f"warning: skipped {path}: {reason}")
    if json_output:
        output.print_json([{k: v for k, v in row.items()} for row in listing.rows])
        return
    if csv_output:
        sys.stdout.write(render.runs_csv(listing.rows, [k for k in listing.keys() if k != "history_loss"]))
        return
    console = output.stdout()
    table, left_out = render.runs_table(listing, console.width, chosen, title=f"runs in {directory}",
                                        aggregated=bool(aggregate))
    console.print(table)
    if left_out:
        shown = ", ".join(left_out[:3]) + (", ..." if len(left_out) > 3 else "")
        output.note(f"+{len(left_out)} columns ({shown}): choose with --columns")
