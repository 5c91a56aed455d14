"""A sweep in this process (--jobs 1): the folder, sweep.csv against each run's metrics.json,
reruns that train nothing twice, resuming an interrupted run bit for bit, failures, claiming."""

from __future__ import annotations

import csv
import json
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from nncli import experiment, runs
from nncli.experiment.sweep.summary import best_table
from nncli.config import ConfigValidationError, load_config
from nncli.errors import UsageError
from nncli.experiment import sweep as sweeps
from nncli.experiment.sweep import layout
from nncli.io import load_npz

REPO = Path(__file__).resolve().parents[2]
DIGITS = REPO / "configs" / "digits.yaml"
BASE = ["training.epochs=2"]
GRID = ["training.optimizer.learning_rate=0.01,0.001,0.0001", "model.layers.0.units=8,16"]


def weights(run_dir: Path) -> dict[str, np.ndarray]:
    return {key: value for key, value in load_npz(run_dir / "model.npz").items() if key.startswith("weight")}


def same_weights(a: Path, b: Path) -> bool:
    first, second = weights(a), weights(b)
    return first.keys() == second.keys() and all(np.array_equal(first[k], second[k]) for k in first)


def read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


@pytest.fixture(scope="module")
def grid_sweep(tmp_path_factory):
    runs_dir = tmp_path_factory.mktemp("sweep")
    result = sweeps.run(DIGITS, BASE, grid=GRID, seeds=[0, 1], name="g", runs_dir=runs_dir)
    return runs_dir, result


def test_a_grid_times_seeds_gives_one_run_folder_each_and_a_matching_table(grid_sweep):
    runs_dir, result = grid_sweep
    folder = runs_dir / "g"
    run_dirs = sorted(path for path in folder.iterdir() if path.is_dir())
    assert len(run_dirs) == 12 and result.trained == 12 and result.stopped is None
    rows = read_csv(folder / "sweep.csv")
    assert len(rows) == 12 and {row["run"] for row in rows} == {path.name for path in run_dirs}
    for row in rows:
        metrics = json.loads((folder / row["run"] / "metrics.json").read_text())
        assert row["status"] == metrics["status"] == "completed"
        assert float(row["test_accuracy"]) == metrics["final"]["test"]["accuracy"]
        assert float(row["val_loss"]) == metrics["final"]["val"]["loss"]
        assert float(row["test_baseline_accuracy"]) == metrics["baseline"]["test"]["accuracy"]
        assert int(row["epochs"]) == 2 and int(row["seed"]) == metrics["seed"]
        assert float(row["seconds"]) == metrics["wall_time_s"]
    spec = layout.read_spec(folder)
    assert spec["spec"]["grid"] == GRID and len(spec["runs"]) == 12
    assert spec["base"]["training"]["epochs"] == 2
    assert list(rows[0])[:4] == ["run", "training.optimizer.learning_rate", "model.layers.0.units", "seed"]


def test_every_run_has_the_weights_of_nncli_train_with_the_same_overrides(grid_sweep, tmp_path):
    runs_dir, result = grid_sweep
    spec = layout.read_spec(runs_dir / "g")
    for entry in spec["runs"][::3]:
        reference = experiment.train_config(DIGITS, BASE + entry["overrides"], runs_dir=tmp_path, name="ref")
        assert same_weights(reference.run_dir, runs_dir / "g" / entry["name"]), entry["name"]


def test_a_rerun_trains_nothing_and_a_new_grid_value_trains_only_the_new_points(grid_sweep):
    runs_dir, _ = grid_sweep
    again = sweeps.run(DIGITS, BASE, grid=GRID, seeds=[0, 1], name="g", runs_dir=runs_dir)
    assert again.trained == 0 and len(again.rows) == 12
    wider = [GRID[0], "model.layers.0.units=8,16,4"]
    more = sweeps.run(DIGITS, BASE, grid=wider, seeds=[0, 1], name="g", runs_dir=runs_dir)
    assert more.trained == 6 and len(more.rows) == 18
    assert len([path for path in (runs_dir / "g").iterdir() if path.is_dir()]) == 18
    resumed = sweeps.run(resume=runs_dir / "g", runs_dir=runs_dir)
    assert resumed.trained == 0 and len(resumed.rows) == 18


def test_the_runs_listing_works_on_a_sweep_folder_and_aggregates_over_seeds(grid_sweep):
    runs_dir, result = grid_sweep
    listing = runs.list_runs(runs_dir / "g")
    assert len(listing.rows) >= 12 and not listing.skipped
    per_point = runs.aggregate(listing, "seed")
    assert len(per_point.rows) == len(listing.rows) // 2
    table = {row["run"]: float(row["test_accuracy"]) for row in read_csv(runs_dir / "g" / "sweep.csv")}
    for row in per_point.rows:
        assert row["runs"] == 2 and row["seed"] == "0,1"
        members = [name for name in table if name.startswith(row["name"])]
        assert len(members) == 2
        assert row["test_accuracy"] == pytest.approx(np.mean([table[m] for m in members]))
        assert row["test_accuracy_std"] == pytest.approx(np.std([table[m] for m in members], ddof=1))


def test_nncli_plot_draws_sweep_png_for_a_sweep_folder(grid_sweep, tmp_path):
    runs_dir, _ = grid_sweep
    drawing = experiment.draw_pictures(runs_dir / "g", out_dir=tmp_path)
    assert [path.name for path in drawing.drawn] == ["sweep.png"]
    assert drawing.drawn[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_nncli_sweep_from_python_returns_the_table(tmp_path):
    import nncli

    rows = nncli.sweep(DIGITS, BASE, grid=["model.layers.0.units=4,8"], runs_dir=tmp_path)
    assert [row["status"] for row in rows] == ["completed", "completed"]
    assert rows[0]["model.layers.0.units"] == 4 and isinstance(rows[0]["test_accuracy"], float)
    assert (tmp_path / "digits-sweep" / "sweep.csv").is_file()


def test_a_diverging_point_fails_and_the_others_complete(tmp_path):
    result = sweeps.run(DIGITS, [*BASE, "training.optimizer.name=sgd"],
                        grid=["training.optimizer.learning_rate=1e9,0.01,0.001"], runs_dir=tmp_path, name="d")
    statuses = {row["training.optimizer.learning_rate"]: row["status"] for row in result.rows}
    assert statuses == {1e9: "failed", 0.01: "completed", 0.001: "completed"}
    assert "diverged" in result.failed[0]["reason"]
    again = sweeps.run(DIGITS, [*BASE, "training.optimizer.name=sgd"],
                       grid=["training.optimizer.learning_rate=1e9,0.01,0.001"], runs_dir=tmp_path, name="d")
    assert again.trained == 0  # a failed run is not retried unless asked
    retried = sweeps.run(resume=tmp_path / "d", retry_failed=True)
    assert retried.trained == 1 and len(retried.failed) == 1


def test_fail_fast_stops_at_the_first_failure(tmp_path):
    result = sweeps.run(DIGITS, [*BASE, "training.optimizer.name=sgd"],
                        grid=["training.optimizer.learning_rate=1e9,0.01"], runs_dir=tmp_path, fail_fast=True)
    assert result.stopped == "failed"
    assert [row["status"] for row in result.rows] == ["failed", "pending"]


class InterruptAfter:
    """Asks to stop once it has been looked at ``n`` times (after as many batches)."""

    def __init__(self, n: int) -> None:
        self.n = n

    def is_set(self) -> bool:
        self.n -= 1
        return self.n < 0


def test_an_interrupted_sweep_resumes_each_run_bit_for_bit(tmp_path):
    options = dict(grid=["model.layers.0.units=8,16"], runs_dir=tmp_path, name="i")
    stopped = sweeps.run(DIGITS, ["training.epochs=4"], interrupt=InterruptAfter(60), **options)
    assert stopped.stopped == "interrupted"
    assert [row["status"] for row in stopped.rows] == ["interrupted", "pending"]
    assert layout.read_table(tmp_path / "i")[0]["status"] == "interrupted"
    assert best_table(stopped) == "i: 2 runs, none completed (1 interrupted, 1 pending)"
    finished = sweeps.run(DIGITS, ["training.epochs=4"], **options)
    assert finished.trained == 2 and [row["status"] for row in finished.rows] == ["completed", "completed"]
    for row in finished.rows:
        units = row["model.layers.0.units"]
        reference = experiment.train_config(DIGITS, ["training.epochs=4", f"model.layers.0.units={units}"],
                                            runs_dir=tmp_path / "ref", name=str(units))
        assert same_weights(reference.run_dir, tmp_path / "i" / row["run"])


def test_a_run_held_by_another_process_is_waited_for_not_trained_twice(tmp_path):
    plan = sweeps.make_plan(sweeps._spec(DIGITS, BASE, ["model.layers.0.units=8"], 0, [], None, "b", tmp_path,
                                         None)[0], tmp_path / "b")
    held = tmp_path / "b" / plan.runs[0].name
    held.mkdir(parents=True)
    lock = runs.RunLock(held).acquire()
    assert layout.claim(held).action == "busy"

    def finish_elsewhere() -> None:  # the other process trains it, then lets go
        time.sleep(0.5)
        experiment.training.train_claimed(load_config(DIGITS, BASE + plan.runs[0].overrides()), held)
        lock.release()

    other = threading.Thread(target=finish_elsewhere)
    other.start()
    result = sweeps.run(DIGITS, BASE, grid=["model.layers.0.units=8"], runs_dir=tmp_path, name="b")
    other.join()
    assert result.trained == 0 and result.rows[0]["status"] == "completed"


def test_a_bad_key_or_a_broken_rule_stops_before_anything_runs(tmp_path):
    with pytest.raises(ConfigValidationError, match="did you mean 'units'"):
        sweeps.run(DIGITS, BASE, grid=["model.layers.0.unit=8,16"], runs_dir=tmp_path)
    with pytest.raises(UsageError, match="run units=3"):
        sweeps.run(DIGITS, BASE, grid=["model.layers.1.units=10,3"], runs_dir=tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_sweep_folder_of_another_base_config_is_refused(tmp_path):
    sweeps.run(DIGITS, BASE, grid=["model.layers.0.units=4"], runs_dir=tmp_path, name="s")
    with pytest.raises(UsageError, match="training.epochs: 2 → 3"):
        sweeps.run(DIGITS, ["training.epochs=3"], grid=["model.layers.0.units=4"], runs_dir=tmp_path, name="s")


def test_resume_takes_no_new_spec(tmp_path):
    with pytest.raises(UsageError, match="not a sweep folder"):
        sweeps.run(resume=tmp_path)
    with pytest.raises(UsageError, match="--resume runs the sweep folder's own spec"):
        sweeps.run(DIGITS, resume=tmp_path)
