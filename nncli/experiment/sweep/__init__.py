"""Batch experiments: a sweep of one config over a grid, random draws and seeds, as one folder of
ordinary runs that a rerun completes without training any run twice.

``run(...)`` is what ``nncli sweep`` calls; ``sweep(...)`` (``nncli.sweep``) is the same from
Python and returns the table. Modules: ``points`` (the runs, their identities and names),
``layout`` (sweep.yaml, sweep.csv, claiming a run), ``task`` (one run as a unit of work),
``local`` (this process, or K worker processes), ``dask`` (a Dask cluster). Nothing here prints:
progress goes to the ``events`` object the caller passes (see ``SweepEvents``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from nncli.errors import UsageError
from nncli.experiment.sweep import layout, points
from nncli.experiment.sweep.task import Outcome, Task, data_key

__all__ = ["SweepEvents", "SweepResult", "run", "sweep"]


class SweepEvents:
    """What a sweep tells its caller; every method may be left as it is (does nothing)."""

    def planned(self, plan: "Plan") -> None:
        """The runs are known and valid; nothing has run yet."""

    def message(self, message: tuple) -> None:
        """``("start", slot, run, initial_epoch, epochs)`` or ``("epoch", slot, run, epoch, epochs)``."""

    def finished(self, outcome: Outcome, row: dict[str, Any], done: int, total: int) -> None:
        """A run ended (or was found completed or failed); ``row`` is its sweep.csv row."""


@dataclass
class Plan:
    """The runs of a sweep, validated, with their resolved configs and data keys."""

    directory: Path
    spec: dict[str, Any]
    base: Any
    keys: list[str]
    runs: list[points.SweepRun]
    n_points: int
    tasks: list[Task] = field(default_factory=list)
    to_train: list[Task] = field(default_factory=list)
    found: dict[str, str] = field(default_factory=dict)  # run name → "completed"/"failed" before this call


@dataclass
class SweepResult:
    """The sweep folder, its table (one dict per run, as sweep.csv), the swept keys, the metric
    the summary sorts by, how many runs this call trained, and why it stopped early if it did."""

    directory: Path
    rows: list[dict[str, Any]]
    keys: list[str]
    metric: str | None
    trained: int
    stopped: str | None = None

    @property
    def failed(self) -> list[dict[str, Any]]:
        return [row for row in self.rows if row["status"] == "failed"]


def sweep(config: Path | str | None = None, overrides: list[str] = (), **options: Any) -> list[dict[str, Any]]:
    """Run a sweep (see ``run``) and return its table: one dict per run, as in sweep.csv.

    >>> import nncli
    >>> rows = nncli.sweep("configs/digits.yaml", ["training.epochs=5"],
    ...                    grid=["training.optimizer.learning_rate=0.01,0.001"], seeds=[0, 1])
    """
    return run(config, overrides, **options).rows


def run(config: Path | str | None = None, overrides: list[str] = (), *, grid: list[str] = (), random: int = 0,
        params: list[str] = (), seeds: list[int] | None = None, name: str | None = None,
        runs_dir: Path | str = "runs", jobs: int = 1, scheduler: str | None = None, dashboard: str | None = None,
        retry_failed: bool = False, fail_fast: bool = False, resume: Path | str | None = None,
        events: SweepEvents | None = None, interrupt: Any = None) -> SweepResult:
    """Train every run of a sweep into ``runs_dir/name``, skipping the completed ones.

    Parameters
    ----------
    config, overrides : the base experiment (as ``nncli train CONFIG OVERRIDES``).
    grid : ``KEY=V1,V2,...`` strings; several make the cartesian product.
    random, params : draw ``random`` points from ``KEY=loguniform(a,b)`` / ``uniform`` / ``int`` /
        ``choice`` specs, with the base config's seed.
    seeds : every point is trained once per seed.
    name : the sweep folder's name (default ``<config name>-sweep``).
    jobs : runs at once in worker processes on this machine (1: in this process).
    scheduler : ``tcp://host:8786`` (a Dask cluster) or ``local[:N]`` (a Dask LocalCluster).
    dashboard : with ``local[:N]``, serve the cluster's dashboard at this address
        (``127.0.0.1:8787``; it needs bokeh); none by default.
    retry_failed : train failed runs once more; fail_fast : stop at the first failure.
    resume : a sweep folder: run its ``sweep.yaml`` spec again.
    events : a ``SweepEvents``; interrupt : an object whose ``is_set()`` asks the sweep to stop
        (running runs are checkpointed and marked interrupted).
    """
    events = events or SweepEvents()
    _check_runner(jobs, scheduler, dashboard)
    spec, directory = _spec(config, overrides, grid, random, params, seeds, name, runs_dir, resume)
    plan = make_plan(spec, directory, retry_failed)
    events.planned(plan)
    runner = _runner(plan, jobs, scheduler, dashboard, events, interrupt)  # workers start while the data loads
    try:
        prepared = _prepare(plan)
        layout.write_spec(directory, spec, plan.base.to_dict(), plan.runs)
        tally = Tally(plan, events)
        tally.report_found()
        stopped = None
        if runner is not None:
            from nncli.experiment.sweep import local

            runner.use(prepared)
            stopped = local.drive(plan.to_train, runner, tally.finished, interrupt, fail_fast)
    finally:
        if runner is not None:
            runner.close()
    rows = tally.write()
    return SweepResult(directory, rows, plan.keys, primary_metric(rows, plan.base.training.metrics), tally.trained, stopped)


class Tally:
    """Counts finished runs, rewrites sweep.csv after each, and tells the events."""

    def __init__(self, plan: "Plan", events: SweepEvents) -> None:
        self.plan, self.events = plan, events
        self.done = self.trained = 0
        self.by_name = {run.name: run for run in plan.runs}
        self.final: dict[str, dict[str, Any]] = {}  # rows of completed/failed runs: they no longer change

    def write(self) -> list[dict[str, Any]]:
        rows = [self.final.get(run.name) or self._row(run.name) for run in self.plan.runs]
        self.final.update((row["run"], row) for row in rows if row["status"] in ("completed", "failed"))
        layout.write_table(self.plan.directory, rows)
        return rows

    def report_found(self) -> None:
        """The runs not to train (completed, or failed and not retried), as finished ones."""
        self.write()
        for name, status in self.plan.found.items():
            row = self._row(name)
            self._tell(Outcome(name, status, False, row.get("reason")), row)

    def finished(self, outcome: Outcome) -> None:
        self.trained += outcome.trained
        self.final.pop(outcome.name, None)  # a failed run retried: read it again
        self.write()
        self._tell(outcome, self._row(outcome.name))

    def _row(self, name: str) -> dict[str, Any]:
        return layout.run_table_row(self.plan.directory / name, self.by_name[name], self.plan.keys)

    def _tell(self, outcome: Outcome, row: dict[str, Any]) -> None:
        self.done += 1
        self.events.finished(outcome, row, self.done, len(self.plan.runs))


def _check_runner(jobs: int, scheduler: str | None, dashboard: str | None) -> None:
    if jobs < 1:
        raise UsageError(f"--jobs expects a number of worker processes, 1 or more; received {jobs}")
    if dashboard is not None and not (scheduler or "").startswith("local"):
        raise UsageError("--dashboard goes with --scheduler local[:N] (a running cluster serves its own)")
    if scheduler is not None:
        from nncli.experiment.sweep import dask as dask_runner

        dask_runner.check_address(scheduler)


def _spec(config, overrides, grid, random, params, seeds, name, runs_dir, resume) -> tuple[dict, Path]:
    if resume is not None:
        if config is not None or grid or params or random or seeds is not None:
            raise UsageError("--resume runs the sweep folder's own spec again; give no CONFIG, --grid, --param, "
                             "--random or --seeds with it")
        directory = Path(resume)
        return layout.read_spec(directory)["spec"], directory
    if config is None:
        raise UsageError("missing CONFIG: nncli sweep configs/digits.yaml --grid ... (or --resume runs/NAME)")
    from nncli.config import load_config

    base = load_config(config, list(overrides))
    folder = name if name is not None else f"{base.name}-sweep"
    from nncli.runs import validate_run_name

    validate_run_name(folder)
    spec = {"config": str(Path(config).resolve()), "overrides": list(overrides), "grid": list(grid),
            "random": int(random), "params": list(params), "seeds": None if seeds is None else [int(s) for s in seeds],
            "name": folder}
    return spec, Path(runs_dir) / folder


def make_plan(spec: dict[str, Any], directory: Path, retry_failed: bool = False) -> Plan:
    """Parse the spec and check every run's config as an override would be (ConfigValidationError
    names the key and the closest valid one) before anything runs."""
    from nncli.config import load_config

    if spec["random"] < 0:
        raise UsageError(f"--random expects a number of points, 0 or more; received {spec['random']}")
    base = load_config(spec["config"], spec["overrides"])
    layout.check_base(directory, base.to_dict())
    grid = [points.parse_grid(text) for text in spec["grid"]]
    specs = [points.parse_param(text) for text in spec["params"]]
    point_list = points.points(grid, specs, spec["random"], base.seed)
    plan_runs = points.sweep_runs(point_list, spec["seeds"], base.seed)
    keys = [key for key, _ in grid] + [param.key for param in specs]
    plan = Plan(directory, spec, base, keys, plan_runs, len(point_list))
    for run in plan_runs:
        config = load_config(spec["config"], [*spec["overrides"], *run.overrides()])
        tree = config.to_dict()
        plan.tasks.append(Task(run.name, tree, data_key(tree), retry_failed))
    for task in plan.tasks:
        status = _final_status(directory / task.name)
        if status == "completed" or (status == "failed" and not retry_failed):
            plan.found[task.name] = status
        else:
            plan.to_train.append(task)
    return plan


def _final_status(run_path: Path) -> str | None:
    """"completed" or "failed" when the run ended so (final states: no lock needed to know)."""
    from nncli import runs

    if not (run_path / "metrics.json").exists():
        return None
    status = (runs.RunDir(run_path).read_metrics() or {}).get("status")
    return status if status in ("completed", "failed") else None


def _prepare(plan: Plan) -> dict[str, Any]:
    """Each distinct data section prepared once; every run to train checked against the
    lecture's rules on its data, and given its resolved config (with the input size)."""
    from nncli.config import Config
    from nncli.experiment.prepare import checked_model, prepare
    from nncli.experiment.sweep.task import for_run

    prepared: dict[str, Any] = {}
    for index, task in enumerate(plan.to_train):
        config = Config.from_values(task.config)
        if task.data_key not in prepared:
            prepared[task.data_key] = prepare(config)
        try:
            _, resolved = checked_model(config, for_run(prepared[task.data_key], config))
        except UsageError as error:
            raise type(error)(f"run {task.name}: {error}") from None
        plan.to_train[index] = Task(task.name, resolved.to_dict(), task.data_key, task.retry_failed)
    return prepared


def _runner(plan: Plan, jobs: int, scheduler: str | None, dashboard: str | None, events: SweepEvents,
            interrupt: Any) -> Any:
    """This process, K worker processes, or a Dask cluster (None when nothing is to train)."""
    from nncli.experiment.sweep import local

    if not plan.to_train:
        return None
    if scheduler is not None:
        from nncli.experiment.sweep import dask as dask_runner

        return dask_runner.DaskRunner(scheduler, plan.directory, events, dashboard)
    if jobs == 1:
        return local.InProcess(plan.directory, events, interrupt)
    return local.Pool(min(jobs, len(plan.to_train)), plan.directory, events)


def primary_metric(rows: list[dict[str, Any]], metrics: list[str]) -> str | None:
    """The first of ``metrics`` (the base config's, else the loss) on the test split if the runs
    have one, else validation, else training: what the summary sorts by and sweep.png shows."""
    metrics = list(metrics) + ["loss"]
    present = {key for row in rows for key, value in row.items() if value is not None}
    for prefix in ("test_", "val_", ""):
        for metric in metrics:
            if f"{prefix}{metric}" in present:
                return f"{prefix}{metric}"
    return None
