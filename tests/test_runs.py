"""Tests for nncli.runs: run folders, atomic writes, safe reads, history, status, listing."""

from __future__ import annotations

import errno
import math
import os
import socket
import stat
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from nncli import runs
from nncli.errors import DataError, NncliError, RunDirError, UsageError
from nncli.runs import (
    HistoryWriter,
    RunDir,
    atomic_write_bytes,
    atomic_write_text,
    create_run_dir,
    effective_status,
    list_runs,
    load_npz,
    read_history,
    read_json,
    save_npz,
    validate_run_name,
    write_json,
    write_yaml,
)

REPO_ROOT = Path(__file__).resolve().parents[1]
COLUMNS = ["epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate", "seconds"]


def temp_files(folder: Path) -> list[Path]:
    return [path for path in folder.iterdir() if path.name.startswith(".") and path.name.endswith(".tmp")]


def python_env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO_ROOT), env.get("PYTHONPATH", "")])
    return env


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
from nncli.runs import create_run_dir
go, ready, runs_dir = (pathlib.Path(arg) for arg in sys.argv[1:4])
ready.touch()
deadline = time.monotonic() + 60
while not go.exists():
    if time.monotonic() > deadline:
        sys.exit(3)
    time.sleep(0.0005)
print(create_run_dir(runs_dir, "race"))
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
            env=python_env(),
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


# --------------------------------------------------------------------------- atomic writers


def test_atomic_write_replaces_content_and_leaves_no_temp_files(tmp_path):
    target = tmp_path / "summary.txt"
    atomic_write_text(target, "first ü\n")
    atomic_write_text(target, "second\n")
    atomic_write_bytes(tmp_path / "raw.bin", b"\x00\x01")
    assert target.read_text(encoding="utf-8") == "second\n"
    assert (tmp_path / "raw.bin").read_bytes() == b"\x00\x01"
    assert temp_files(tmp_path) == []


def test_atomic_write_gives_files_the_usual_permissions(tmp_path):
    umask = os.umask(0o022)
    try:
        atomic_write_text(tmp_path / "a.txt", "x")
    finally:
        os.umask(umask)
    assert stat.S_IMODE((tmp_path / "a.txt").stat().st_mode) == 0o644


def test_failure_before_rename_keeps_the_old_file_and_removes_the_temp(tmp_path, monkeypatch):
    target = tmp_path / "metrics.json"
    target.write_text("old")

    def no_space(fd):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "fsync", no_space)
    with pytest.raises(RunDirError) as caught:
        write_json(target, {"status": "completed"})
    assert str(caught.value).startswith(f"could not write {target}: No space left on device")
    assert target.read_text() == "old"
    assert temp_files(tmp_path) == []


def test_failing_rename_onto_a_folder_removes_the_temp(tmp_path):
    target = tmp_path / "model.npz"
    target.mkdir()
    with pytest.raises(RunDirError, match="could not write"):
        save_npz(target, {"w": np.ones(3)})
    assert target.is_dir()
    assert temp_files(tmp_path) == []


def test_writing_into_a_missing_folder_is_a_run_dir_error(tmp_path):
    with pytest.raises(RunDirError, match="No such file or directory"):
        atomic_write_text(tmp_path / "missing" / "a.txt", "x")


def test_an_exception_inside_the_writer_removes_the_temp(tmp_path):
    class Unsaveable:
        pass

    with pytest.raises(RunDirError, match="Unsaveable at a.b"):
        write_json(tmp_path / "m.json", {"a": {"b": Unsaveable()}})
    assert list(tmp_path.iterdir()) == []


def test_write_json_converts_numpy_and_non_finite_values(tmp_path):
    target = tmp_path / "metrics.json"
    write_json(
        target,
        {
            "loss": np.float32(0.25),
            "count": np.int64(7),
            "ok": np.bool_(True),
            "bad": float("nan"),
            "big": np.float64("inf"),
            "neg": -math.inf,
            "shape": (3, 4),
            "weights": np.array([[1.5, np.nan]]),
            "where": tmp_path,
        },
    )
    text = target.read_text()
    assert text.splitlines()[1].startswith('  "loss"')  # indent 2
    assert "NaN" not in text and "Infinity" not in text
    assert read_json(target) == {
        "loss": 0.25,
        "count": 7,
        "ok": True,
        "bad": None,
        "big": None,
        "neg": None,
        "shape": [3, 4],
        "weights": [[1.5, None]],
        "where": str(tmp_path),
    }


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(), children, max_size=4),
    max_leaves=20,
)


def _expected_json(value):
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, list):
        return [_expected_json(item) for item in value]
    if isinstance(value, dict):
        return {key: _expected_json(item) for key, item in value.items()}
    return value


@settings(max_examples=60, deadline=None)
@given(value=json_values)
def test_json_round_trip(value):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "x.json"
        write_json(target, value)
        assert read_json(target) == _expected_json(value)


def test_read_json_errors(tmp_path):
    with pytest.raises(UsageError, match="file not found"):
        read_json(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text('{"a": 1,\n')
    with pytest.raises(RunDirError, match="not valid JSON .line 2"):
        read_json(broken)


def test_write_yaml_keeps_key_order_and_is_safe_yaml(tmp_path):
    target = tmp_path / "config.yaml"
    config = {"name": "lfw", "seed": np.int64(0), "data": {"test_size": np.float32(0.25), "source": "lfw"},
              "model": {"layers": [{"type": "Dense", "units": 20}]}, "shape": (31, 23)}
    write_yaml(target, config)
    text = target.read_text()
    assert "!!" not in text
    assert [line.split(":")[0] for line in text.splitlines() if not line.startswith(" ")][:4] == [
        "name", "seed", "data", "model"]
    assert yaml.safe_load(text) == {"name": "lfw", "seed": 0, "data": {"test_size": 0.25, "source": "lfw"},
                                    "model": {"layers": [{"type": "Dense", "units": 20}]}, "shape": [31, 23]}


# --------------------------------------------------------------------------- npz


def test_save_and_load_npz_round_trip(tmp_path):
    arrays = {
        "layers/0/kernel": np.arange(12, dtype=np.float32).reshape(3, 4),
        "epoch": np.array(5),
        "classes": np.array(["Colin Powell", "George W Bush"]),
        "mask": np.array([True, False]),
        "file": np.zeros((0, 2)),  # names that are also np.savez keywords must still work
        "allow_pickle": np.array([1, 2], dtype=np.int8),
    }
    target = tmp_path / "model.npz"
    save_npz(target, arrays)
    loaded = load_npz(target)
    assert list(loaded) == list(arrays)
    for key, array in arrays.items():
        assert loaded[key].dtype == array.dtype
        np.testing.assert_array_equal(loaded[key], array)
    assert set(np.load(target, allow_pickle=False).files) == set(arrays)  # a plain numpy archive
    assert temp_files(tmp_path) == []


@settings(max_examples=40, deadline=None)
@given(
    array=hnp.arrays(
        dtype=st.one_of(hnp.floating_dtypes(), hnp.integer_dtypes(), hnp.boolean_dtypes(), hnp.unicode_string_dtypes()),
        shape=hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
    )
)
def test_npz_round_trip_any_plain_array(array):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "a.npz"
        save_npz(target, {"a": array})
        loaded = load_npz(target)["a"]
        assert loaded.dtype == array.dtype and loaded.shape == array.shape
        np.testing.assert_array_equal(loaded, array)


def test_save_npz_refuses_object_arrays(tmp_path):
    target = tmp_path / "model.npz"
    with pytest.raises(RunDirError, match="'names' has dtype object"):
        save_npz(target, {"w": np.ones(2), "names": np.array(["a", None], dtype=object)})
    assert list(tmp_path.iterdir()) == []


class _CreatesMarkerWhenUnpickled:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (Path.touch, (self.marker,))


def _malicious_npz(target: Path, marker: Path) -> None:
    payload = np.empty(1, dtype=object)
    payload[0] = _CreatesMarkerWhenUnpickled(marker)
    np.savez(target, weights=np.ones(3), payload=payload, allow_pickle=True)


def test_pickled_objects_are_refused_and_never_run(tmp_path):
    archive, marker = tmp_path / "model.npz", tmp_path / "pwned"
    _malicious_npz(archive, marker)
    with pytest.raises(DataError) as caught:
        load_npz(archive)
    assert "pickled Python objects" in str(caught.value)
    assert "refuses" in str(caught.value)
    assert str(archive) in str(caught.value)
    assert not marker.exists()
    # The payload is live: numpy's unsafe loader does create the marker.
    np.load(archive, allow_pickle=True)["payload"]
    assert marker.exists()


def test_a_pickle_renamed_to_npz_is_not_unpickled(tmp_path):
    import pickle

    archive, marker = tmp_path / "model.npz", tmp_path / "pwned"
    archive.write_bytes(pickle.dumps(_CreatesMarkerWhenUnpickled(marker)))
    with pytest.raises(RunDirError, match="corrupt or truncated"):
        load_npz(archive)
    assert not marker.exists()


def test_load_npz_missing_file_names_the_path(tmp_path):
    with pytest.raises(UsageError, match="nope.npz"):
        load_npz(tmp_path / "nope.npz")


@pytest.fixture(scope="module")
def sample_npz_bytes() -> bytes:
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        save_npz(target, {"kernel": np.arange(20, dtype=np.float32).reshape(4, 5), "names": np.array(["a", "b"])})
        return target.read_bytes()


@settings(max_examples=60, deadline=None)
@given(fraction=st.floats(0.0, 0.999))
def test_truncated_npz_is_a_run_dir_error(sample_npz_bytes, fraction):
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        target.write_bytes(sample_npz_bytes[: int(fraction * len(sample_npz_bytes))])
        with pytest.raises(RunDirError, match="corrupt or truncated"):
            load_npz(target)


@settings(max_examples=80, deadline=None)
@given(data=st.data())
def test_corrupted_npz_never_escapes_as_a_foreign_exception(sample_npz_bytes, data):
    position = data.draw(st.integers(0, len(sample_npz_bytes) - 1))
    corrupted = bytearray(sample_npz_bytes)
    corrupted[position] ^= data.draw(st.integers(1, 255))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "c.npz"
        target.write_bytes(bytes(corrupted))
        try:
            load_npz(target)
        except NncliError as error:
            assert isinstance(error, (RunDirError, DataError))


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


def test_resume_keeps_exactly_the_first_rows_then_appends(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, ["epoch", "loss"]) as history:
        for epoch in range(1, 6):
            history.append({"epoch": epoch, "loss": float(epoch)})
    with open(target, "a") as stream:
        stream.write("6,6.")  # partial row after the last checkpoint
    with HistoryWriter(target, ["epoch", "loss"], resume_rows=3) as history:
        assert target.read_text() == "epoch,loss\n1,1.0\n2,2.0\n3,3.0\n"
        history.append({"epoch": 4, "loss": 40.0})
    assert read_history(target) == {"epoch": [1.0, 2.0, 3.0, 4.0], "loss": [1.0, 2.0, 3.0, 40.0]}
    assert temp_files(tmp_path) == []


def test_resume_errors(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, ["epoch", "loss"]) as history:
        history.append({"epoch": 1, "loss": 1.0})
    with pytest.raises(RunDirError, match="1 complete rows, the checkpoint expects 2"):
        HistoryWriter(target, ["epoch", "loss"], resume_rows=2)
    with pytest.raises(RunDirError, match="has columns \\['epoch', 'loss'\\], expected"):
        HistoryWriter(target, ["epoch", "loss", "accuracy"], resume_rows=1)
    with pytest.raises(RunDirError, match="missing"):
        HistoryWriter(tmp_path / "other.csv", ["epoch"], resume_rows=1)
    assert target.read_text() == "epoch,loss\n1,1.0\n"  # failed resumes change nothing


def test_resume_from_zero_rows_without_a_file_starts_fresh(tmp_path):
    target = tmp_path / "history.csv"
    with HistoryWriter(target, ["epoch", "loss"], resume_rows=0):
        pass
    assert target.read_text() == "epoch,loss\n"


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
              status: str = "completed") -> Path:
    run = RunDir.create(runs_dir, name)
    write_yaml(run.config, {"name": name})
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
              {"train": {"loss": 0.3, "accuracy": 0.9}, "val": {"loss": 0.5}, "test": {"accuracy": 0.8}}, [0.9, 0.3])
    _make_run(folder, "b", "2026-01-02T00:00:00+00:00",
              {"train": {"loss": 0.2}, "val": {"loss": 0.7}, "test": {"accuracy": 0.95, "loss": None}})
    _make_run(folder, "c", "", None, [1.0])  # killed before metrics.json
    (folder / "notes").mkdir()  # a folder that is not a run
    (folder / ".hidden").mkdir()
    (folder / ".hidden" / "config.yaml").write_text("x: 1\n")
    (folder / "README.txt").write_text("x")
    return folder


def test_list_runs_rows(runs_dir):
    rows = list_runs(runs_dir)
    assert [row["name"] for row in rows] == ["a", "b", "c"]  # creation order; c falls back to its folder time
    by_name = {row["name"]: row for row in rows}
    assert set(by_name) == {"a", "b", "c"}
    a = by_name["a"]
    assert a["status"] == "completed" and a["path"] == str(runs_dir / "a")
    assert (a["loss"], a["accuracy"], a["val_loss"], a["test_accuracy"]) == (0.3, 0.9, 0.5, 0.8)
    assert a["epochs_completed"] == 2 and a["epochs_planned"] == 2
    assert a["history_loss"] == [0.9, 0.3]
    assert by_name["b"]["created"] == "2026-01-02T00:00:00Z"
    assert by_name["b"]["test_loss"] is None and by_name["b"]["history_loss"] == []
    assert by_name["c"]["status"] == "interrupted" and by_name["c"]["epochs_completed"] is None
    assert by_name["c"]["history_loss"] == [1.0]


def test_list_runs_sorting(runs_dir):
    assert [row["name"] for row in list_runs(runs_dir, sort="test_accuracy")] == ["b", "a", "c"]  # best first
    assert [row["name"] for row in list_runs(runs_dir, sort="val_loss")] == ["a", "b", "c"]  # lowest first
    assert [row["name"] for row in list_runs(runs_dir, sort="loss")] == ["b", "a", "c"]
    assert [row["name"] for row in list_runs(runs_dir, sort="accuracy")] == ["a", "b", "c"]  # missing last
    assert [row["name"] for row in list_runs(runs_dir, sort="name")] == ["a", "b", "c"]


def test_list_runs_unknown_sort_key_suggests_the_closest(runs_dir):
    with pytest.raises(UsageError, match="unknown sort key 'test_acuracy'; did you mean 'test_accuracy'"):
        list_runs(runs_dir, sort="test_acuracy")
    with pytest.raises(UsageError, match="unknown sort key 'history_loss'"):
        list_runs(runs_dir, sort="history_loss")


def test_list_runs_survives_a_corrupt_metrics_file(runs_dir):
    (runs_dir / "a" / "metrics.json").write_text("{not json")
    (runs_dir / "a" / "history.csv").write_text("epoch,loss\n1\n")
    by_name = {row["name"]: row for row in list_runs(runs_dir)}
    assert by_name["a"]["status"] == "unknown" and by_name["a"]["history_loss"] == []


def test_list_runs_of_missing_or_file_runs_folder(tmp_path):
    assert list_runs(tmp_path / "missing") == []
    (tmp_path / "file").write_text("x")
    with pytest.raises(UsageError, match="not a folder"):
        list_runs(tmp_path / "file")


@pytest.mark.parametrize(
    ("key", "descending"),
    [("test_accuracy", True), ("val_auc", True), ("precision", True), ("f1", True), ("r2", True),
     ("recall", True), ("loss", False), ("val_mse", False), ("mae", False), ("name", False)],
)
def test_higher_is_better(key, descending):
    assert runs.higher_is_better(key) is descending


# --------------------------------------------------------------------------- import cost


def test_importing_runs_adds_no_heavy_modules():
    # Measured against the package itself, whose own imports are not this module's business.
    code = (
        "import sys, nncli; before = set(sys.modules); import nncli.runs; "
        "print(sorted(m for m in ('numpy', 'yaml', 'sklearn', 'matplotlib') if m in set(sys.modules) - before))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=python_env(), check=True)
    assert result.stdout.strip() == "[]"
