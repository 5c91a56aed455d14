"""Tests for nncli.runs: run folders, atomic writes, safe reads, history, status, listing."""

from __future__ import annotations

import errno
import math
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from cli_helpers import process_env, temp_files
from hypothesis import given, settings
from hypothesis import strategies as st

from nncli import runs
from nncli.errors import RunDirError, UsageError
from nncli.io import write_json, write_yaml
from nncli.runs import (
    HistoryWriter,
    RunDir,
    aggregate,
    best_epoch,
    effective_status,
    list_runs,
    read_history,
    validate_run_name,
)


def create_run_dir(runs_dir, name):
    return RunDir.create(runs_dir, name).path

COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"]



# --------------------------------------------------------------------------- run names


@pytest.mark.parametrize("name", ["lfw", "exp 1", "lfw_ü-run", "a" * 100, "run.v2", "-x"])
def test_valid_names_are_returned_unchanged(name):
    assert validate_run_name(name) == name


@pytest.mark.parametrize(
    ("name", "rule"),
    [
        ("", "empty"),
        ("a" * 101, "at most 100"),
        ("a/b", "'/'"),
        ("a\\b", "'/'"),
        (".", "not folder names"),
        ("..", "not folder names"),
        (".hidden", "start with '.'"),
        ("a\x00b", "NUL"),
        ("a\nb", "control"),
        ("tab\there", "control"),
        ("del\x7f", "control"),
        ("line\u2028sep", "line breaks"),
        ("€" * 100, "bytes"),
    ],
)
def test_invalid_names_are_refused_with_the_name_and_the_rule(name, rule):
    with pytest.raises(UsageError) as caught:
        validate_run_name(name)
    message = str(caught.value)
    assert repr(name) in message
    assert rule in message


def test_a_non_string_name_is_a_usage_error():
    with pytest.raises(UsageError, match="expected a string"):
        validate_run_name(3)  # type: ignore[arg-type]


@settings(max_examples=150, deadline=None)
@given(name=st.text(min_size=0, max_size=120))
def test_any_accepted_name_makes_a_direct_child_of_the_runs_folder(name):
    with tempfile.TemporaryDirectory() as folder:
        runs_dir = Path(folder) / "runs"
        try:
            created = create_run_dir(runs_dir, name)
        except UsageError:
            return
        assert created.is_dir()
        assert created.resolve().parent == runs_dir.resolve()
        assert created.name == name
        assert list(runs_dir.iterdir()) == [created]


# --------------------------------------------------------------------------- create_run_dir


def test_runs_get_suffixes_in_order_and_the_runs_folder_is_created(tmp_path):
    runs_dir = tmp_path / "deep" / "runs"
    made = [create_run_dir(runs_dir, "lfw") for _ in range(4)]
    assert [path.name for path in made] == ["lfw", "lfw-2", "lfw-3", "lfw-4"]
    assert all(path.parent == runs_dir and path.is_dir() for path in made)


def test_a_file_with_the_name_is_skipped_not_overwritten(tmp_path):
    (tmp_path / "exp").write_text("keep")
    assert create_run_dir(tmp_path, "exp").name == "exp-2"
    assert (tmp_path / "exp").read_text() == "keep"


def test_an_existing_run_folder_is_never_reused(tmp_path):
    first = create_run_dir(tmp_path, "exp")
    (first / "config.yaml").write_text("a: 1\n")
    second = create_run_dir(tmp_path, "exp")
    assert second != first
    assert list(second.iterdir()) == []
    assert (first / "config.yaml").read_text() == "a: 1\n"


CONCURRENT_CREATE = """
import pathlib, sys, time
from nncli.runs import RunDir
go, ready, runs_dir = (pathlib.Path(arg) for arg in sys.argv[1:4])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit(3)
    time.sleep(0.0005)
print(RunDir.create(runs_dir, "race").path)
"""


def test_eight_processes_started_at_once_get_eight_folders(tmp_path):
    runs_dir, go = tmp_path / "runs", tmp_path / "go"
    ready_files = [tmp_path / f"ready-{index}" for index in range(8)]
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CONCURRENT_CREATE, str(go), str(ready), str(runs_dir)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=process_env(),
        )
        for ready in ready_files
    ]
    deadline = time.monotonic() + 60
    while not all(ready.exists() for ready in ready_files) and time.monotonic() < deadline:
        time.sleep(0.005)
    go.touch()  # all eight are importing-done and polling: they race for the same name now
    outputs = [process.communicate(timeout=60) for process in processes]
    assert [process.returncode for process in processes] == [0] * 8, outputs
    created = [Path(stdout.strip()) for stdout, _ in outputs]
    assert len(set(created)) == 8
    assert {path.name for path in created} == {"race"} | {f"race-{number}" for number in range(2, 9)}
    assert all(path.is_dir() and path.resolve().parent == runs_dir.resolve() for path in created)


def test_runs_folder_under_a_regular_file_is_a_run_dir_error(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    with pytest.raises(RunDirError) as caught:
        create_run_dir(blocker / "runs", "exp")
    assert str(blocker / "runs") in str(caught.value)
    assert "Not a directory" in str(caught.value)


def test_runs_folder_that_is_a_file_is_a_run_dir_error(tmp_path):
    runs_file = tmp_path / "runs"
    runs_file.write_text("x")
    with pytest.raises(RunDirError, match="not a folder"):
        create_run_dir(runs_file, "exp")


def _writes_are_blocked_by_permissions(folder: Path) -> bool:
    probe = folder / "probe"
    try:
        probe.mkdir()
    except PermissionError:
        return True
    probe.rmdir()
    return False


def test_read_only_folder_is_a_run_dir_error_naming_path_and_cause(tmp_path):
    runs_dir = tmp_path / "runs"
    runs_dir.mkdir()
    runs_dir.chmod(0o555)
    try:
        if not _writes_are_blocked_by_permissions(runs_dir):
            pytest.skip("running with root privileges: chmod 0o555 does not stop writes here "
                        "(the same error path is covered by the injected EACCES/EROFS/ENOSPC test)")
        with pytest.raises(RunDirError) as caught:
            create_run_dir(runs_dir, "exp")
        assert str(runs_dir / "exp") in str(caught.value)
        assert "Permission denied" in str(caught.value)
    finally:
        runs_dir.chmod(0o755)


@pytest.mark.parametrize(
    ("code", "words"),
    [(errno.EACCES, "Permission denied"), (errno.EROFS, "Read-only file system"), (errno.ENOSPC, "No space left")],
)
def test_mkdir_failures_become_run_dir_errors(tmp_path, monkeypatch, code, words):
    real_mkdir = os.mkdir

    def failing_mkdir(path, *args, **kwargs):
        if Path(path).name.startswith("exp"):
            raise OSError(code, os.strerror(code), str(path))
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", failing_mkdir)
    with pytest.raises(RunDirError) as caught:
        create_run_dir(tmp_path / "runs", "exp")
    assert str(tmp_path / "runs" / "exp") in str(caught.value)
    assert words in str(caught.value)
    assert caught.value.exit_code == 1


def test_invalid_name_creates_nothing(tmp_path):
    with pytest.raises(UsageError):
        create_run_dir(tmp_path / "runs", "../escape")
    assert not (tmp_path / "runs").exists()
    assert not (tmp_path / "escape").exists()



# --------------------------------------------------------------------------- history.csv


def test_history_rows_are_written_whole_and_read_back(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, COLUMNS) as history:
        assert target.read_text() == ",".join(COLUMNS) + "\n"
        history.append({"epoch": 1, "loss": 0.5, "accuracy": np.float32(0.75), "learning_rate": 0.001, "seconds": 1.25})
        assert target.read_text().endswith("\n")
        history.append({"epoch": 2, "loss": 0.25, "accuracy": 0.875, "val_loss": float("nan"), "seconds": 1.0})
    columns = read_history(target)
    assert list(columns) == COLUMNS
    assert columns["epoch"] == [1.0, 2.0]
    assert columns["loss"] == [0.5, 0.25]
    assert columns["accuracy"] == [0.75, 0.875]
    assert all(math.isnan(value) for value in columns["val_accuracy"])  # never given
    assert math.isnan(columns["val_loss"][1]) and math.isnan(columns["learning_rate"][1])


def test_history_refuses_unknown_columns(tmp_path):
    with HistoryWriter(tmp_path / "history.csv", ["epoch", "loss"]) as history:
        with pytest.raises(RunDirError, match="unknown columns \\['los'\\]"):
            history.append({"epoch": 1, "los": 0.1})


def test_read_history_ignores_a_truncated_last_line(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, ["epoch", "loss"]) as history:
        for epoch in range(1, 4):
            history.append({"epoch": epoch, "loss": 1.0 / epoch})
    with open(target, "a") as stream:
        stream.write("4,0.2")  # killed in the middle of a row
    assert read_history(target) == {"epoch": [1.0, 2.0, 3.0], "loss": [1.0, 0.5, 1.0 / 3]}


def test_read_history_of_a_file_with_only_a_partial_header_is_empty(tmp_path):
    target = tmp_path / "history.csv"
    target.write_text("epo")
    assert read_history(target) == {}


def test_read_history_refuses_a_malformed_complete_line(tmp_path):
    target = tmp_path / "history.csv"
    target.write_text("epoch,loss\n1,0.5\n2\n")
    with pytest.raises(RunDirError, match="line 3 has 1 fields, expected 2"):
        read_history(target)
    target.write_text("epoch,loss\n1,abc\n")
    with pytest.raises(RunDirError, match="'loss' is not a number"):
        read_history(target)


def test_a_history_starts_with_the_rows_a_resumed_run_already_has(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, ["epoch", "loss"]) as history:
        for epoch in range(1, 6):
            history.append({"epoch": epoch, "loss": float(epoch)})
    with open(target, "a") as stream:
        stream.write("6,6.")  # a partial row after the last checkpoint
    kept = [{"epoch": 1, "loss": 1.0}, {"epoch": 2, "loss": 2.0}, {"epoch": 3, "loss": 3.0}]
    with HistoryWriter(target, ["epoch", "loss"], kept) as history:
        assert target.read_text() == "epoch,loss\n1,1.0\n2,2.0\n3,3.0\n"
        history.append({"epoch": 4, "loss": 40.0})
    assert read_history(target) == {"epoch": [1.0, 2.0, 3.0, 4.0], "loss": [1.0, 2.0, 3.0, 40.0]}
    assert temp_files(tmp_path) == []


def test_a_history_cell_longer_than_a_number_is_refused(tmp_path):
    target = tmp_path / "history.csv"
    target.write_text("epoch,loss\n1," + "9" * 200_000 + "\n")
    with pytest.raises(RunDirError, match="line 2 has (a cell of )?200,00. characters"):
        read_history(target)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=1, max_size=10),
       singles=st.lists(st.floats(width=32, allow_nan=False), min_size=1, max_size=10))
def test_history_values_round_trip_exactly(values, singles):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "history.csv"
        with HistoryWriter(target, ["value"]) as history:
            for value in values:
                history.append({"value": value})
        read = read_history(target)["value"]
        assert len(read) == len(values)
        for got, expected in zip(read, values):
            assert got == expected or (math.isnan(got) and math.isnan(expected))
        with HistoryWriter(target, ["single"]) as history:
            for value in singles:
                history.append({"single": np.float32(value)})
        assert [np.float32(value) for value in read_history(target)["single"]] == [np.float32(v) for v in singles]


# --------------------------------------------------------------------------- best epoch


@pytest.mark.parametrize(
    ("history", "monitor", "expected"),
    [
        ({"loss": [0.5, 0.3, 0.4], "val_loss": [0.6, 0.5, 0.2]}, "val_loss", 3),
        ({"loss": [0.5, 0.3, 0.4]}, "val_loss", 2),  # falls back to loss
        ({"loss": [0.5, 0.3, 0.4], "val_accuracy": [0.7, 0.9, 0.8]}, "val_accuracy", 2),
        ({"loss": [0.5, 0.2, 0.2, 0.3]}, "loss", 2),  # the first of equal values
        ({"loss": [0.5, float("nan"), 0.4], "val_loss": [float("nan")] * 3}, "val_loss", 3),  # as read from a CSV
    ],
)
def test_best_epoch_is_the_monitored_quantity_s_best(history, monitor, expected):
    assert best_epoch(history, monitor)[0] == expected


def test_best_epoch_of_an_empty_history_is_none():
    assert best_epoch({"loss": []}) == (None, "loss")




def test_best_epoch_is_judged_in_the_metric_s_own_direction():
    history = {"loss": [0.5, 0.4, 0.3], "val_auc": [0.7, 0.9, 0.8], "val_mae": [3.0, 1.0, 2.0]}
    assert best_epoch(history, "val_auc") == (2, "val_auc")
    assert best_epoch(history, "val_mae") == (2, "val_mae")
    assert best_epoch(history, "val_mae", mode="max") == (1, "val_mae")


# --------------------------------------------------------------------------- RunDir


def test_run_dir_paths(tmp_path):
    run = RunDir.create(tmp_path, "exp")
    assert run.path == tmp_path / "exp" and run.name == "exp"
    assert [path.name for path in (run.config, run.summary, run.history, run.checkpoint, run.model, run.metrics)] == [
        "config.yaml", "summary.txt", "history.csv", "checkpoint.npz", "model.npz", "metrics.json"]
    assert all(path.parent == run.path for path in (run.config, run.metrics))


def test_open_run_dir(tmp_path):
    run_path = tmp_path / "exp"
    run_path.mkdir()
    with pytest.raises(UsageError, match="is not a run directory: no config.yaml"):
        RunDir.open(run_path)
    (run_path / "config.yaml").write_text("name: exp\n")
    assert RunDir.open(run_path).path == run_path
    with pytest.raises(UsageError, match="is not a run directory: it is a file .it looks like a config file"):
        RunDir.open(run_path / "config.yaml")
    with pytest.raises(UsageError, match="run directory not found"):
        RunDir.open(tmp_path / "missing")


# --------------------------------------------------------------------------- status


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_effective_status():
    here = socket.gethostname()
    now = runs.utc_now_iso()
    two_hours_ago = (datetime.now(timezone.utc) - timedelta(hours=2)).isoformat()
    assert effective_status(None) == "interrupted"
    assert effective_status({"status": "completed", "pid": _dead_pid(), "host": here}) == "completed"
    assert effective_status({"status": "failed"}) == "failed"
    assert effective_status({}) == "unknown"
    assert effective_status({"status": "running", "pid": os.getpid(), "host": here, "updated": now}) == "running"
    assert effective_status({"status": "running", "pid": _dead_pid(), "host": here, "updated": now}) == "interrupted"
    other = {"status": "running", "pid": 1, "host": here + "-elsewhere"}
    assert effective_status({**other, "updated": now}) == "running"
    assert effective_status({**other, "updated": two_hours_ago}) == "interrupted"
    assert effective_status({**other, "updated": two_hours_ago}, stale_after_s=3 * 3600) == "running"
    assert effective_status({**other, "updated": "not a time"}) == "interrupted"


def test_utc_now_iso_is_parseable_utc():
    stamp = runs.utc_now_iso()
    assert stamp.endswith("Z")
    parsed = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - parsed).total_seconds()) < 3600


# --------------------------------------------------------------------------- list_runs


def _make_run(runs_dir: Path, name: str, created: str, final: dict | None, losses: list[float] | None = None,
              status: str = "completed", config: dict | None = None) -> Path:
    run = RunDir.create(runs_dir, name)
    write_yaml(run.config, {"name": name, "seed": 0, "training": {"metrics": ["accuracy"]}, **(config or {})})
    if final is not None:
        write_json(run.metrics, {"status": status, "name": name, "created": created, "updated": created,
                                 "epochs_completed": 2, "epochs_planned": 2, "final": final})
    if losses is not None:
        with HistoryWriter(run.history, ["epoch", "loss"]) as history:
            for epoch, loss in enumerate(losses, start=1):
                history.append({"epoch": epoch, "loss": loss})
    return run.path


@pytest.fixture()
def runs_dir(tmp_path) -> Path:
    folder = tmp_path / "runs"
    _make_run(folder, "a", "2026-01-01T00:00:00Z",
              {"train": {"loss": 0.3, "accuracy": 0.9}, "val": {"loss": 0.5}, "test": {"accuracy": 0.8}}, [0.9, 0.3],
              config={"training": {"metrics": ["accuracy"], "optimizer": {"learning_rate": 0.01}}})
    _make_run(folder, "b", "2026-01-02T00:00:00+00:00",
              {"train": {"loss": 0.2}, "val": {"loss": 0.7}, "test": {"accuracy": 0.95, "loss": None}},
              config={"training": {"metrics": ["accuracy"], "optimizer": {"learning_rate": 0.001}}})
    _make_run(folder, "c", "", None, [1.0])  # killed before metrics.json
    (folder / "notes").mkdir()  # a folder that is not a run
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "config.yaml").write_text("x: 1\n")
    (folder / "README.txt").write_text("x")
    return folder


def _names(listing):
    return [row["name"] for row in listing.rows]


def test_list_runs_rows(runs_dir):
    listing = list_runs(runs_dir)
    assert _names(listing) == ["a", "b", "c"]  # creation order; c falls back to its folder time
    assert listing.skipped == [] and listing.metrics == ["accuracy"]
    by_name = {row["name"]: row for row in listing.rows}
    a = by_name["a"]
    assert a["status"] == "completed" and a["path"] == str(runs_dir / "a")
    assert (a["loss"], a["accuracy"], a["val_loss"], a["test_accuracy"]) == (0.3, 0.9, 0.5, 0.8)
    assert a["epochs_completed"] == 2 and a["epochs_planned"] == 2
    assert a["history_loss"] == [0.9, 0.3]
    assert a["training.optimizer.learning_rate"] == 0.01 and a["seed"] == 0  # the config, flattened
    assert by_name["b"]["created"] == "2026-01-02T00:00:00Z"
    assert by_name["b"]["test_loss"] is None and by_name["b"]["history_loss"] == []
    assert by_name["c"]["status"] == "interrupted" and by_name["c"]["epochs_completed"] is None
    assert by_name["c"]["history_loss"] == [1.0]


def test_list_runs_sorting_follows_each_metric_s_direction(runs_dir):
    assert _names(list_runs(runs_dir, sort="test_accuracy")) == ["b", "a", "c"]  # best first
    assert _names(list_runs(runs_dir, sort="val_loss")) == ["a", "b", "c"]  # lowest first
    assert _names(list_runs(runs_dir, sort="loss")) == ["b", "a", "c"]
    assert _names(list_runs(runs_dir, sort="accuracy")) == ["a", "b", "c"]  # missing last
    assert _names(list_runs(runs_dir, sort="name")) == ["a", "b", "c"]


def test_val_acc_sorts_like_early_stopping_maximises_it(tmp_path):
    # The first wave sorted val_acc ascending (a substring rule) while EarlyStopping maximised it.
    from nncli.engine.callbacks import monitor_mode

    for name, value in (("worse", 0.7), ("better", 0.9)):
        _make_run(tmp_path, name, "2026-01-01T00:00:00Z", {"val": {"acc": value}})
    assert monitor_mode("val_acc") == "max"
    assert _names(list_runs(tmp_path, sort="val_acc")) == ["better", "worse"]


def test_top_takes_the_best_by_the_sort_key_or_the_first_test_metric(runs_dir):
    assert _names(list_runs(runs_dir, top=1)) == ["b"]  # test_accuracy: the asked metric on the test split
    assert _names(list_runs(runs_dir, sort="val_loss", top=2)) == ["a", "b"]


@pytest.mark.parametrize(("condition", "expected"), [
    ("training.optimizer.learning_rate=0.01", ["a"]),
    ("training.optimizer.learning_rate<0.01", ["b"]),
    ("training.optimizer.learning_rate>=0.001", ["a", "b"]),
    ("test_accuracy>0.9", ["b"]),
    ("status!=completed", ["c"]),
    ("status=COMPLETED", ["a", "b"]),
])
def test_where_filters_on_config_and_metric_keys(runs_dir, condition, expected):
    assert _names(list_runs(runs_dir, where=[condition])) == expected


def test_where_and_sort_keys_that_no_run_has_name_the_closest(runs_dir):
    with pytest.raises(UsageError, match="unknown sort key 'test_acuracy'; did you mean 'test_accuracy'"):
        list_runs(runs_dir, sort="test_acuracy")
    with pytest.raises(UsageError, match="unknown sort key 'history_loss'"):
        list_runs(runs_dir, sort="history_loss")
    with pytest.raises(UsageError, match="did you mean 'training.optimizer.learning_rate'"):
        list_runs(runs_dir, where=["training.optimizer.learnig_rate<1"])
    with pytest.raises(UsageError, match="--where expects key=value"):
        list_runs(runs_dir, where=["test_accuracy"])


def test_aggregate_makes_one_row_per_configuration_with_mean_and_std(tmp_path):
    for seed, accuracy in enumerate((0.90, 0.92, 0.94)):
        _make_run(tmp_path, f"digits-s{seed}", "2026-01-01T00:00:00Z", {"test": {"accuracy": accuracy}},
                  config={"seed": seed})
    _make_run(tmp_path, "other", "2026-01-02T00:00:00Z", {"test": {"accuracy": 0.5}},
              config={"seed": 0, "training": {"metrics": ["accuracy"], "batch_size": 8}})
    rows = {row["name"]: row for row in aggregate(list_runs(tmp_path), "seed").rows}
    assert set(rows) == {"digits-s", "other"}
    group = rows["digits-s"]
    assert group["runs"] == 3 and group["seed"] == "0,1,2"
    assert group["test_accuracy"] == pytest.approx(0.92) and group["test_accuracy_std"] == pytest.approx(0.02)
    assert rows["other"]["runs"] == 1 and rows["other"]["test_accuracy_std"] == 0.0


def test_an_aggregated_group_is_named_without_the_key(tmp_path):
    """Sweep run names end in the key: lr=0.01,seed=0-ab12 and lr=0.01,seed=1-cd34 group as lr=0.01."""
    for seed in (0, 1):
        _make_run(tmp_path, f"lr=0.01,seed={seed}-{seed}f3a", "2026-01-01T00:00:00Z", {"test": {"accuracy": 0.9}},
                  config={"seed": seed})
    assert [row["name"] for row in aggregate(list_runs(tmp_path), "seed").rows] == ["lr=0.01"]


def test_a_hostile_run_is_skipped_and_named_every_other_run_is_listed(runs_dir):
    deep = _make_run(runs_dir, "deep", "2026-01-03T00:00:00Z", {})
    (deep / "metrics.json").write_text("[" * 5000 + "]" * 5000)
    wide = _make_run(runs_dir, "wide", "2026-01-03T00:00:00Z", {})
    (wide / "history.csv").write_text("epoch,loss\n1," + "9" * 200_000 + "\n")
    pipe = _make_run(runs_dir, "pipe", "2026-01-03T00:00:00Z", None)
    os.mkfifo(pipe / "metrics.json")
    broken = _make_run(runs_dir, "broken", "2026-01-03T00:00:00Z", {})
    (broken / "metrics.json").write_text("{not json")
    listing = list_runs(runs_dir)
    assert _names(listing) == ["a", "b", "c"]
    skipped = dict(listing.skipped)
    assert set(skipped) == {str(runs_dir / name) for name in ("deep", "wide", "pipe", "broken")}
    assert "more than 64 deep" in skipped[str(deep)] and "200,00" in skipped[str(wide)]
    assert "named pipe" in skipped[str(pipe)] and "not valid JSON" in skipped[str(broken)]


def test_list_runs_of_missing_or_file_runs_folder(tmp_path):
    with pytest.raises(UsageError, match="runs folder not found: .*missing"):
        list_runs(tmp_path / "missing")
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        list_runs(tmp_path / "file")


# --------------------------------------------------------------------------- import cost


def test_importing_runs_adds_no_heavy_modules():
    # Measured against the package itself, whose own imports are not this module's business.
    code = (
        "import sys, nncli; before = set(sys.modules); import nncli.runs; "
        "print(sorted(m for m in ('numpy', 'yaml', 'sklearn', 'matplotlib') if m in set(sys.modules) - before))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=process_env(), check=True)
    assert result.stdout.strip() == "[]"

