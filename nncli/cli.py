"""The ``nncli`` command: parse arguments, call the library, render the results.

stdout carries results only (tables, JSON, the run directory); progress and messages go to
stderr. Library errors (``NncliError``) become one line on stderr and their exit code: 2 for
usage and config errors, 1 for runtime failures, 130 for an interrupted training. No traceback
unless ``--debug``.
"""

from __future__ import annotations

import functools
import json
import math
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Annotated, Any, Callable, Optional

import typer

app = typer.Typer(
    name="nncli",
    help="Train dense neural networks from YAML configs, the Keras way, on NumPy.\n\n"
    "\b\nExamples:\n  nncli summary configs/lfw.yaml\n  nncli train configs/digits.yaml training.epochs=5\n"
    "  nncli evaluate runs/digits\n  nncli predict runs/digits --input rows.csv --proba\n  nncli runs --sort test_accuracy",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)

DebugOption = Annotated[bool, typer.Option("--debug", help="Show the full traceback on errors.")]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def _stderr():
    from rich.console import Console

    return Console(stderr=True, highlight=False, soft_wrap=True)


def _stdout():
    from rich.console import Console

    console = Console(highlight=False, soft_wrap=True)
    if not console.is_terminal:
        # Piped or captured: tables are read by scripts and people alike, so do not squeeze
        # them to Rich's 80-column default.
        console = Console(highlight=False, soft_wrap=True, width=200)
    return console


def _fail(message: str, code: int) -> None:
    from rich.markup import escape

    _stderr().print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(code)


def handle_errors(command: Callable) -> Callable:
    """Turn library errors into one message and an exit code (or a traceback with --debug)."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from nncli.errors import NncliError

        debug = kwargs.get("debug", False)
        try:
            return command(*args, **kwargs)
        except NncliError as error:
            if debug:
                raise
            _fail(str(error), error.exit_code)
        except KeyboardInterrupt:
            if debug:
                raise
            _stderr().print("interrupted")
            raise typer.Exit(130)
        except BrokenPipeError:
            # The reader of stdout went away (`nncli runs --json | head`): stop quietly.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1)
        except (typer.Exit, typer.Abort, SystemExit):
            raise
        except Exception as error:  # a bug: say so plainly, keep the traceback for --debug
            if debug:
                raise
            _fail(f"internal error: {type(error).__name__}: {error} (run again with --debug for the traceback)", 1)

    return wrapper


# -- summary ----------------------------------------------------------------------------------
@app.command()
@handle_errors
def summary(
    target: Annotated[Path, typer.Argument(help="A config file, an architecture file or a run directory.")],
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Show the Keras-style table of layers, output shapes and parameter counts.

    \b
    Example:
      nncli summary configs/lfw.yaml
    """
    from nncli import config as config_module
    from nncli.engine.model import Sequential

    if target.is_dir():
        from nncli.runs import RunDir

        target = RunDir.open(target).config
    loaded = config_module.load_any(target)
    model_config = loaded.model_dict()
    input_dim = model_config.get("input_dim")
    if input_dim is None and loaded.has_data():
        from nncli import experiment

        input_dim = experiment.source_n_features(loaded.to_dict(), loaded.base_dir)
        if input_dim is None:
            input_dim = experiment.prepare_data(loaded.to_dict(), loaded.base_dir).n_features
    if input_dim is None:
        from nncli.errors import ConfigError

        key = "input_dim" if loaded.kind == "architecture" else "model.input_dim"
        raise ConfigError(
            f"{target}: rule 1: the first layer needs the size of your input: set {key} "
            f"(or summarize a full config whose data section gives it)"
        )
    model = Sequential.from_config({**model_config, "input_dim": input_dim}, seed=0,
                                   dtype=loaded.dtype() if hasattr(loaded, "dtype") else "float32")
    if json_output:
        rows = [{"name": layer.name, "type": layer.type_name, "output_shape": [None, layer.output_dim],
                 "params": sum(layer.count_params())} for layer in model.layers]
        print(json.dumps({"model": model.name, "layers": rows, **model.param_totals()}, indent=2))
        return
    _print_summary(model)


def _print_summary(model: Any) -> None:
    from nncli.engine import summary as summary_module

    summary_module.render(model, _stdout())


# -- train ------------------------------------------------------------------------------------
def _interrupts(live: bool) -> Any:
    from nncli.engine.callbacks import Callback

    class Interrupts(Callback):
        """SIGINT/SIGTERM while training: the first asks training to stop after the current
        batch; a second one exits at once (the last epoch's checkpoint is already safe on disk).
        The handlers are installed when training starts, not while data loads, and say nothing
        over a live display (its last line tells how far the epoch got)."""

        def __init__(self) -> None:
            self.event = threading.Event()
            self.previous: dict[int, Any] = {}

        def on_train_begin(self, logs=None):
            if threading.current_thread() is threading.main_thread():
                for signum in (signal.SIGINT, signal.SIGTERM):
                    self.previous[signum] = signal.signal(signum, self._handle)

        def _handle(self, signum: int, frame: Any) -> None:
            if self.event.is_set():
                os.write(2, b"\x1b[?25h\ninterrupted again: exiting now; the last completed epoch's checkpoint is kept\n"
                         if live else b"\ninterrupted again: exiting now; the last completed epoch's checkpoint is kept\n")
                os._exit(130)
            self.event.set()
            if not live:
                os.write(2, b"\nstopping after this batch (press Ctrl-C again to exit at once)\n")

        def on_train_end(self, logs=None):
            self.close()

        def close(self) -> None:
            for signum, handler in self.previous.items():
                signal.signal(signum, handler)
            self.previous = {}

    return Interrupts()


@app.command()
@handle_errors
def train(
    config: Annotated[Optional[Path], typer.Argument(help="The experiment's YAML config.")] = None,
    overrides: Annotated[Optional[list[str]], typer.Argument(help="key.path=value overrides, e.g. training.epochs=5.")] = None,
    name: Annotated[Optional[str], typer.Option("--name", help="Run name (default: the config's name).")] = None,
    runs_dir: Annotated[Path, typer.Option("--runs-dir", help="Folder for run directories.")] = Path("runs"),
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue an interrupted run directory.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing but the run directory.")] = False,
    json_output: JsonOption = False,
    no_plots: Annotated[bool, typer.Option("--no-plots", help="Do not draw curves.png and the other pictures.")] = False,
    debug: DebugOption = False,
) -> None:
    """Train a model from a config and save everything into a new run directory.

    \b
    Example:
      nncli train configs/lfw.yaml training.optimizer.learning_rate=0.01 --name lfw-lr
    """
    from nncli import config as config_module
    from nncli import experiment
    from nncli.errors import TrainingInterrupted, UsageError

    err = _stderr()
    progress = [] if quiet else [_progress_callback(err)]
    interrupts = _interrupts(live=bool(progress) and err.is_terminal)
    progress.append(interrupts)
    run_path: dict[str, Path] = {}
    # Until training starts (loading data, say), SIGTERM stops at once, like Ctrl-C.
    previous_sigterm = None
    if threading.current_thread() is threading.main_thread():
        previous_sigterm = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        if resume is not None:
            if config is not None and "=" not in str(config):
                raise UsageError("give either a CONFIG or --resume RUN, not both")
            all_overrides = ([str(config)] if config is not None else []) + list(overrides or [])
            result = experiment.resume(resume, epochs=_epochs_override(all_overrides), callbacks=progress,
                                       interrupt=interrupts.event)
        else:
            if config is None:
                raise UsageError("missing CONFIG: nncli train configs/digits.yaml (or --resume runs/NAME)")
            loaded = config_module.load_config(config, list(overrides or []))
            result = experiment.train(loaded.to_dict(), base_dir=loaded.base_dir, runs_dir=runs_dir, name=name,
                                      callbacks=progress, interrupt=interrupts.event,
                                      on_run_dir=lambda path: run_path.setdefault("path", path))
    except (TrainingInterrupted, KeyboardInterrupt) as error:
        path = resume or run_path.get("path")
        _close_progress(progress)
        if path is None:
            raise KeyboardInterrupt from None
        what = str(error) if isinstance(error, TrainingInterrupted) else "interrupted before training started"
        err.print(f"{what}; {_epochs_saved(path)} saved in {path}/checkpoint.npz.")
        err.print(f"resume with: nncli train --resume {path}")
        print(path)
        raise typer.Exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm) if previous_sigterm is not None else None
        _close_progress(progress)
    pictures = [] if no_plots else _draw_pictures(result, err, quiet or json_output)
    _report_training(result, pictures, quiet, json_output)


def _epochs_saved(path: Path | None) -> str:
    from nncli.errors import NncliError
    from nncli.runs import RunDir

    try:
        completed = ((RunDir(Path(path)).read_metrics() or {}).get("epochs_completed") if path else None) or 0
    except NncliError:
        completed = 0
    return f"{completed} completed epoch{'s' if completed != 1 else ''}"


def _epochs_override(overrides: list[str]) -> int | None:
    from nncli.errors import UsageError

    epochs = None
    for override in overrides:
        key, _, value = override.partition("=")
        if key.strip() != "training.epochs":
            raise UsageError(
                f"--resume continues the saved config; override {override!r} would change the run "
                f"(only training.epochs=N may be raised)"
            )
        try:
            epochs = int(value)
        except ValueError:
            raise UsageError(f"training.epochs must be an integer. Received: {value!r}") from None
    return epochs


def _progress_callback(console: Any) -> Any:
    from nncli.engine.progress import LiveProgress, PlainProgress

    return LiveProgress(console) if console.is_terminal else PlainProgress(sys.stderr)


def _close_progress(progress: list) -> None:
    for callback in progress:
        close = getattr(callback, "close", None)
        if close:
            close()


def _draw_pictures(result: Any, console: Any, quiet: bool) -> list[Path]:
    from nncli import pictures

    from nncli.errors import NncliError

    try:
        return pictures.draw_run(result.run_dir, model=result.model, prepared=result.prepared)
    except NncliError as error:  # a picture never fails a finished run
        if not quiet:
            console.print(f"note: {error}")
        return []


def _report_training(result: Any, pictures: list[Path], quiet: bool, json_output: bool) -> None:
    metrics = result.metrics
    if json_output:
        print(json.dumps({"run_dir": str(result.run_dir), **_jsonable(metrics),
                          "pictures": [str(p) for p in pictures]}, indent=2))
        return
    if not quiet:
        console = _stdout()
        console.print(_metrics_table(metrics["final"], metrics["baseline"], title=f"{metrics['name']}: final metrics"))
        err = _stderr()
        err.print(
            f"{metrics['epochs_completed']} epochs in {metrics['wall_time_s']:.2f}s"
            + (f" ({metrics['samples_per_s']:,.0f} samples/s)" if metrics.get("samples_per_s") else "")
            + (f", best epoch {metrics['best_epoch']}" if metrics.get("best_epoch") else "")
        )
        if pictures:
            err.print("pictures: " + ", ".join(p.name for p in pictures))
    print(result.run_dir)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def _metrics_table(final: dict[str, dict[str, float]], baseline: dict[str, dict[str, Any]], title: str) -> Any:
    """Rows: metrics; columns: each split, with the baseline beside it."""
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    table.add_column("metric")
    splits = list(final)
    for split in splits:
        table.add_column(split, justify="right")
        table.add_column(f"{split} baseline", justify="right", style="dim")
    names: list[str] = []
    for split in splits:
        names += [n for n in final[split] if n not in names]
    for metric in names:
        row = [metric]
        for split in splits:
            value = final[split].get(metric)
            row.append("-" if value is None else f"{value:.4f}")
            base = baseline.get(split, {}).get(metric)
            row.append("" if base is None else f"{base:.4f}")
        table.add_row(*row)
    first = next((b for b in baseline.values() if b), None)
    if first:
        described = {"majority_class": "baseline: always predict the split's most frequent class",
                     "mean_predictor": "baseline: always predict the training targets' mean"}
        note = described.get(first.get("kind"), "")
        if len(baseline) == 1 and first.get("class"):
            note += f" ({first['class']})"
        table.caption = note
    return table


# -- evaluate ---------------------------------------------------------------------------------
@app.command()
@handle_errors
def evaluate(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    split: Annotated[str, typer.Option("--split", help="test, val or train (rebuilt from the saved config and seed).")] = "test",
    data: Annotated[Optional[Path], typer.Option("--data", help="Evaluate on a labelled CSV/.npz file instead.")] = None,
    target: Annotated[Optional[str], typer.Option("--target", help="Target column of --data (name or index; default: last).")] = None,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """Loss and every metric on a held-out split, beside the baseline.

    \b
    Example:
      nncli evaluate runs/lfw --split test
    """
    from nncli import experiment
    from nncli.errors import UsageError

    if split not in ("test", "val", "train"):
        raise UsageError(f"--split must be test, val or train. Received: {split!r}")
    column: Any = int(target) if target is not None and target.lstrip("-").isdigit() else target
    result = experiment.evaluate_run(run, split=split, data_file=data, target=column)
    if json_output:
        print(json.dumps(_jsonable(result), indent=2))
        return
    table = _metrics_table({result["split"]: result["metrics"]}, {result["split"]: result["baseline"]},
                           title=f"{run} on {result['split']} ({result['n_samples']} samples)")
    _stdout().print(table)


# -- predict ----------------------------------------------------------------------------------
@app.command()
@handle_errors
def predict(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    input: Annotated[str, typer.Option("--input", "-i", help="Raw rows: CSV, .npy or .npz (key X); - for CSV on stdin.")],
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write here instead of stdout.")] = None,
    output_format: Annotated[str, typer.Option("--format", help="csv or json.")] = "csv",
    proba: Annotated[bool, typer.Option("--proba", help="Add each class's probability.")] = False,
    debug: DebugOption = False,
) -> None:
    """Predict labels (class names when known) or values for new, unscaled rows.

    \b
    Example:
      nncli predict runs/lfw --input faces.csv --proba
    """
    from nncli import experiment, runs
    from nncli.errors import UsageError

    if output_format not in ("csv", "json"):
        raise UsageError(f"--format must be csv or json. Received: {output_format!r}")
    stream = sys.stdin if input == "-" else None
    result = experiment.predict_run(run, input, stream=stream)
    text = _format_predictions(result, output_format, proba)
    if output is None:
        sys.stdout.write(text)
    else:
        runs.atomic_write_text(output, text)
        _stderr().print(f"wrote {len(result['outputs'])} predictions to {output}")


def _format_predictions(result: dict[str, Any], output_format: str, proba: bool) -> str:
    import csv
    import io

    rows: list[dict[str, Any]] = []
    if result["task"] == "classification":
        names = result["class_names"]
        for label, probabilities in zip(result["labels"], result["probabilities"]):
            row: dict[str, Any] = {"label": label}
            if proba:
                row.update({f"p_{name}": float(p) for name, p in zip(names, probabilities)})
            rows.append(row)
    else:
        outputs = result["outputs"]
        for values in outputs:
            if len(values) == 1:
                rows.append({"prediction": float(values[0])})
            else:
                rows.append({f"prediction_{i}": float(v) for i, v in enumerate(values)})
    if output_format == "json":
        return json.dumps(rows, indent=2) + "\n"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]) if rows else ["label"], lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: (f"{v:.6g}" if isinstance(v, float) else v) for k, v in row.items()})
    return buffer.getvalue()


# -- runs -------------------------------------------------------------------------------------
@app.command("runs")
@handle_errors
def list_runs(
    directory: Annotated[Path, typer.Argument(help="The runs folder.")] = Path("runs"),
    sort: Annotated[Optional[str], typer.Option("--sort", help="Sort by a column, e.g. test_accuracy or val_loss.")] = None,
    json_output: JsonOption = False,
    debug: DebugOption = False,
) -> None:
    """One row per run directory: status, epochs, final metrics, created.

    \b
    Example:
      nncli runs runs --sort test_accuracy
    """
    from nncli import runs as runs_module

    rows = runs_module.list_runs(directory, sort=sort)
    if json_output:
        print(json.dumps(_jsonable(rows), indent=2))
        return
    from rich.table import Table

    from nncli.pictures import sparkline

    fixed = set(runs_module.BASE_KEYS) | {"history_loss"}
    metric_keys: list[str] = []
    for row in rows:
        metric_keys += [k for k in row if k not in fixed and k not in metric_keys]
    table = Table(title=f"runs in {directory}", title_justify="left")
    for column in ("name", "status", "epochs", *metric_keys, "loss curve", "created"):
        table.add_column(column, justify="right" if column in metric_keys or column == "epochs" else "left")
    for row in rows:
        epochs = f"{row.get('epochs_completed') or 0}/{row.get('epochs_planned') or '?'}"
        values = [_cell(row.get(k)) for k in metric_keys]
        table.add_row(row["name"], row["status"], epochs, *values, sparkline(row.get("history_loss") or [], 16),
                      str(row.get("created") or "").replace("T", " ").rstrip("Z")[:16])
    _stdout().print(table)


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else f"{value:.4f}"
    return str(value)


# -- plot -------------------------------------------------------------------------------------
@app.command()
@handle_errors
def plot(
    run: Annotated[Path, typer.Argument(help="A run directory made by nncli train.")],
    what: Annotated[Optional[str], typer.Option("--what", help="Comma-separated: curves,confusion,roc,boundary,residuals.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Folder for the PNG files (default: the run directory).")] = None,
    debug: DebugOption = False,
) -> None:
    """Draw a run's pictures again from its saved weights, history and config.

    \b
    Example:
      nncli plot runs/circle --what curves,boundary
    """
    from nncli import pictures

    chosen = None if what is None else {w.strip() for w in what.split(",") if w.strip()}
    written = pictures.draw_run(run, what=chosen, out_dir=out)
    for path in written:
        print(path)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
