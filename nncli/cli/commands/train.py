from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from nncli.cli import output


@output.handle_errors
def train(
    config: Annotated[Optional[Path], typer.Argument(help="The experiment's YAML config.")] = None,
    overrides: Annotated[Optional[list[str]], typer.Argument(
        help="key.path=value overrides, e.g. training.epochs=5 (relative paths count from the current folder).")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Run name (default: the config's name).")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder for run directories.")] = Path("runs"),
    resume: Annotated[Optional[Path], typer.Option(
        "--resume", help="Continue an interrupted run directory (then no CONFIG; training.epochs=N may raise the epochs).",
        show_default=False)] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but the run directory.")] = False,
    json_output: Annotated[bool, typer.Option(
        "--json", help="stdout: one JSON object (run_dir, status, final metrics, baseline, ...); progress stays on stderr.")] = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw curves.png and the other pictures.")] = False,
    debug: output.DebugOption = False,
) -> None:
    """Train a model from a config and save everything into a new run directory.

    stdout: the final metrics table, then the run directory as the last line (with --json: one
    JSON object holding run_dir). stderr: the progress and messages.

    \b
    Examples:
      nncli train configs/lfw.yaml training.optimizer.learning_rate=0.01 --name lfw-lr
      nncli train --resume runs/lfw
      nncli train --resume runs/lfw training.epochs=40
    """
    from nncli import experiment
    from nncli.cli.signals import Interrupts, StopAtOnce
    from nncli.config import load_config
    from nncli.errors import TrainingInterrupted, UsageError

    err = output.stderr()
    progress = [] if quiet else [_progress(err)]
    interrupts = Interrupts(live=bool(progress) and err.is_terminal)
    run_path: dict[str, Path] = {}
    try:
        with StopAtOnce():
            if resume is not None:
                if config is not None and "=" not in str(config):
                    raise UsageError("give either a CONFIG or --resume RUN, not both")
                extra = ([str(config)] if config is not None else []) + list(overrides or [])
                result = experiment.resume(resume, extra, callbacks=[*progress, interrupts], interrupt=interrupts.event)
            else:
                if config is None:
                    raise UsageError("missing CONFIG: nncli train configs/digits.yaml (or --resume runs/NAME)")
                loaded = load_config(config, list(overrides or []))
                prepared = experiment.prepare(loaded)
                if not quiet:
                    _report_columns(prepared)
                result = experiment.train(loaded, prepared=prepared, runs_dir=runs_dir, name=name,
                                          callbacks=[*progress, interrupts], interrupt=interrupts.event,
                                          on_run_dir=lambda path: run_path.setdefault("path", path))
    except (TrainingInterrupted, KeyboardInterrupt) as error:
        _close(progress)
        _report_interrupted(error, resume or run_path.get("path"), err)
    finally:
        _close(progress)
    pictures = [] if no_plots else _draw_pictures(result, err, quiet)
    _report(result, pictures, quiet, json_output, err)


def _report_columns(prepared: Any) -> None:
    """A table's column report, once, before training (and what applying it found)."""
    if prepared.columns is not None:
        for line in prepared.columns.lines():
            output.note(line)
    for notice in prepared.notices:
        output.note(notice)


def _progress(console: Any) -> Any:
    import sys

    from nncli.engine.progress import LiveProgress, PlainProgress

    return LiveProgress(console) if console.is_terminal else PlainProgress(sys.stderr)


def _close(progress: list) -> None:
    for callback in progress:
        getattr(callback, "close", lambda: None)()


def _report_interrupted(error: BaseException, path: Path | None, err: Any) -> None:
    from nncli.errors import TrainingInterrupted
    from nncli.experiment import epochs_saved

    if path is None:
        raise KeyboardInterrupt from None
    what = str(error) if isinstance(error, TrainingInterrupted) else "interrupted before training started"
    err.print(f"{what}; {epochs_saved(path)} saved in {path}/checkpoint.npz.", highlight=False)
    err.print(f"resume with: nncli train --resume {path}", highlight=False)
    print(path)
    raise typer.Exit(130)


def _draw_pictures(result: Any, err: Any, quiet: bool) -> list[Path]:
    from nncli.errors import NncliError
    from nncli.experiment import draw_pictures

    try:
        return draw_pictures(result.run_dir, result=result).drawn
    except NncliError as error:  # a picture never fails a finished run
        if not quiet:
            err.print(f"note: {error}", highlight=False)
        return []


def _report(result: Any, pictures: list[Path], quiet: bool, json_output: bool, err: Any) -> None:
    from nncli.cli import render

    metrics = result.metrics
    if json_output:
        output.print_json({"run_dir": str(result.run_dir), **metrics, "pictures": [str(p) for p in pictures]})
        return
    if not quiet:
        output.stdout().print(render.metrics_table(metrics["final"], metrics["baseline"],
                                                   title=f"{metrics['name']}: final metrics"))
        err.print(
            f"{metrics['epochs_completed']} epochs in {metrics['wall_time_s']:.2f}s"
            + (f" ({metrics['samples_per_s']:,.0f} samples/s)" if metrics.get("samples_per_s") else "")
            + (f", best epoch {metrics['best_epoch']}" if metrics.get("best_epoch") else ""), highlight=False)
        if pictures:
            err.print("pictures: " + ", ".join(p.name for p in pictures), highlight=False)
    print(result.run_dir)
