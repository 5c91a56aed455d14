from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from nncli.cli import output


@output.handle_errors
def sweep(
    config: Annotated[Optional[Path], typer.Argument(help="The base experiment's YAML config.")] = None,
    overrides: Annotated[Optional[list[str]], typer.Argument(
        help="key.path=value overrides of the base config, e.g. training.epochs=10.")] = None,
    grid: Annotated[Optional[list[str]], typer.Option(
        "--grid", help="KEY=V1,V2,... (YAML scalars or flow lists); several --grid make the cartesian product, "
                       "e.g. --grid model.layers.0.units=16,32,64.")] = None,
    random: Annotated[int, typer.Option(
        "--random", help="Draw N points from the --param specs (with the config's seed), e.g. --random 20.")] = 0,
    param: Annotated[Optional[list[str]], typer.Option(
        "--param", help="KEY=loguniform(a,b) | uniform(a,b) | int(a,b) | choice(a,b,...), "
                        "e.g. --param training.optimizer.learning_rate=loguniform(1e-4,1e-1).")] = None,
    seeds: Annotated[Optional[str], typer.Option(
        "--seeds", help="Train every point once per seed, e.g. --seeds 0,1,2,3,4.")] = None,
    name: Annotated[Optional[str], typer.Option(
        "--name", help="The sweep folder, runs-dir/NAME (default: <config name>-sweep), e.g. --name lr-units.")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder of the sweep folder, e.g. --runs-dir runs.")] = Path("runs"),
    jobs: Annotated[int, typer.Option(
        "--jobs", "-j", help="Runs at once in worker processes on this machine, e.g. --jobs 2.")] = 1,
    scheduler: Annotated[Optional[str], typer.Option(
        "--scheduler", help="Run on Dask: tcp://HOST:8786 (a running cluster) or local[:N] (a LocalCluster of N "
                            "workers on 127.0.0.1), e.g. --scheduler local:2. Needs pip install \"nncli[dask]\".")] = None,
    dashboard: Annotated[Optional[str], typer.Option(
        "--dashboard", help="With --scheduler local[:N]: serve Dask's dashboard here (needs bokeh), "
                            "e.g. --dashboard 127.0.0.1:8787.")] = None,
    resume: Annotated[Optional[Path], typer.Option(
        "--resume", help="Run a sweep folder's own spec again (no CONFIG), e.g. --resume runs/digits-sweep.",
        show_default=False)] = None,
    retry_failed: Annotated[bool, typer.Option(
        "--retry-failed", help="Train the failed runs once more (by default a rerun skips them).")] = False,
    fail_fast: Annotated[bool, typer.Option("--fail-fast", help="Stop at the first failed run.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", help="stdout: one JSON object (directory, trained, metric, rows: the sweep.csv rows).")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress; only the summary and the folder.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw sweep.png.")] = False,
    debug: output.DebugOption = False,
) -> None:
    """Train a config over a grid, random draws and seeds: one folder of ordinary runs.

    Rerunning the same command (or --resume) skips completed runs, resumes interrupted ones from
    their checkpoint and never trains a run twice, even with two sweeps at once on one folder.
    stdout: the best runs and the sweep folder as the last line; stderr: progress. Exit 1 if a
    run failed, 130 when interrupted (resume it with the command printed).

    \b
    Examples:
      nncli sweep configs/digits.yaml --grid model.layers.0.units=16,32,64 --seeds 0,1 --jobs 2
      nncli sweep configs/digits.yaml --random 8 --param 'model.layers.0.units=int(8,64)'
      nncli sweep --resume runs/digits-sweep --retry-failed
      nncli sweep configs/digits.yaml --grid training.batch_size=16,32 --fail-fast --no-plots
      nncli sweep configs/digits.yaml --grid training.epochs=5,10 --name epochs --quiet --json
      nncli sweep configs/digits.yaml --grid model.layers.0.units=16,32 --scheduler local:2
      nncli sweep configs/iris.yaml --scheduler local --dashboard 127.0.0.1:8787
    """
    from nncli.cli.signals import Interrupts
    from nncli.experiment import sweep as sweeps
    from nncli.experiment.sweep.display import SweepDisplay
    from nncli.experiment.sweep.points import parse_seeds

    err = output.stderr()
    display = SweepDisplay(err, live=err.is_terminal) if not quiet else None
    interrupts = Interrupts(live=display is not None and err.is_terminal)
    interrupts.on_train_begin()
    try:
        result = sweeps.run(config, list(overrides or []), grid=list(grid or []), random=random,
                            params=list(param or []), seeds=parse_seeds(seeds), name=name, runs_dir=runs_dir,
                            jobs=jobs, scheduler=scheduler, dashboard=dashboard, retry_failed=retry_failed,
                            fail_fast=fail_fast, resume=resume, events=display, interrupt=interrupts.event)
    finally:
        interrupts.close()
        if display is not None:
            display.close()
    if result.stopped != "interrupted" and not no_plots:
        _draw(result, err, quiet)
    _report(result, json_output, err)


def _draw(result: Any, err: Any, quiet: bool) -> None:
    from nncli.errors import NncliError
    from nncli.experiment import draw_pictures

    try:
        drawn = draw_pictures(result.directory).drawn
    except NncliError as error:  # a picture never fails a finished sweep
        drawn = []
        if not quiet:
            err.print(f"note: {error}", highlight=False)
    if drawn and not quiet:
        err.print("picture: " + ", ".join(str(path) for path in drawn), highlight=False)


def _report(result: Any, json_output: bool, err: Any) -> None:
    from nncli.experiment.sweep.summary import best_table

    if json_output:
        output.print_json({"directory": str(result.directory), "trained": result.trained, "stopped": result.stopped,
                           "metric": result.metric, "rows": result.rows})
    else:
        output.stdout().print(best_table(result))
    for row in result.failed:
        err.print(f"failed: {row['run']}: {' '.join(str(row.get('reason') or 'no reason recorded').split())}",
                  highlight=False, soft_wrap=True)
    if result.stopped == "interrupted":
        err.print(f"sweep interrupted; running runs were checkpointed. Resume with: nncli sweep --resume "
                  f"{result.directory}", highlight=False, soft_wrap=True)
    if not json_output:
        print(result.directory)
    if result.stopped == "interrupted":
        raise typer.Exit(130)
    if result.failed or result.stopped == "failed":
        raise typer.Exit(1)
