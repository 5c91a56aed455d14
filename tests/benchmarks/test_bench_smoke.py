"""Smoke tests of benchmarks/bench.py: its quick mode runs and reports sensible results.

Times are never asserted: they depend on the machine. What is checked is the structure of the
report, that every peer that should run did run, and that the models learned something.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

REPO_ROOT = Path(__file__).resolve().parents[2]
BENCH_PATH = REPO_ROOT / "benchmarks" / "bench.py"
ALWAYS_AVAILABLE = ("numpy", "sklearn", "matmul", "matmul-min")
# Held-out accuracy after the quick run (10 and 5 epochs) must beat these (majority class: 0.70, 0.12).
MINIMUM_ACCURACY = {"W1": 0.75, "W3": 0.85}


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    """bench.py imported as a module, without leaving its thread variables in this process."""
    saved = {name: os.environ.get(name) for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}
    spec = importlib.util.spec_from_file_location("nncli_bench", BENCH_PATH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the file executes
    spec.loader.exec_module(module)
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    return module


@pytest.fixture(scope="module")
def quick_report() -> dict[str, Any]:
    """The JSON report of the quick run the issue asks CI to make."""
    command = [sys.executable, str(BENCH_PATH), "--quick", "--json", "--workloads", "W1,W3",
               "--no-rss", "--no-startup"]
    completed = subprocess.run(command, capture_output=True, text=True, cwd=REPO_ROOT, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return json.loads(completed.stdout)


def test_quick_report_has_every_part(quick_report: dict[str, Any]) -> None:
    assert set(quick_report) == {"workloads", "rss", "startup", "targets", "environment"}
    assert list(quick_report["workloads"]) == ["W1", "W3"]
    assert quick_report["rss"] is None and quick_report["startup"] is None
    assert quick_report["environment"]["thread_variables"] == {
        "OMP_NUM_THREADS": "2", "OPENBLAS_NUM_THREADS": "2", "MKL_NUM_THREADS": "2"}


def test_quick_workloads_have_the_issue_shapes(quick_report: dict[str, Any]) -> None:
    w1, w3 = quick_report["workloads"]["W1"], quick_report["workloads"]["W3"]
    assert (w1["n_train"], w1["n_test"], w1["n_features"], w1["batch_size"]) == (574, 192, 713, 16)
    assert (w3["n_train"], w3["n_test"], w3["n_features"], w3["batch_size"]) == (1347, 450, 64, 32)
    assert w1["layers"] == [[20, "relu"], [10, "relu"], [1, "sigmoid"]]
    assert w3["layers"] == [[64, "relu"], [10, "softmax"]]


@pytest.mark.parametrize("workload", ["W1", "W3"])
def test_every_peer_runs_or_says_why_not(quick_report: dict[str, Any], workload: str) -> None:
    peers = quick_report["workloads"][workload]["peers"]
    assert list(peers) == ["nncli", "numpy", "sklearn", "torch", "matmul", "matmul-min"]
    for peer in ALWAYS_AVAILABLE:
        assert peers[peer]["status"] == "ok", peers[peer]["status"]
    assert peers["torch"]["status"] in ("ok", "not installed")
    # nncli must import, load its kernels and train: "not available" is a failure, not a skip.
    assert peers["nncli"]["status"] == "ok", peers["nncli"]["status"]


@pytest.mark.parametrize("workload", ["W1", "W3"])
def test_measured_peers_report_consistent_numbers(quick_report: dict[str, Any], workload: str) -> None:
    entry = quick_report["workloads"][workload]
    nncli_seconds = entry["peers"]["nncli"]["seconds_per_epoch"]
    for peer, result in entry["peers"].items():
        if result["status"] != "ok":
            assert result["seconds_per_epoch"] is None and result["test_accuracy"] is None
            continue
        assert len(result["all_seconds_per_epoch"]) == entry["repeats"] == 3
        assert result["seconds_per_epoch"] == pytest.approx(np.median(result["all_seconds_per_epoch"]))
        assert result["samples_per_second"] == pytest.approx(entry["n_train"] / result["seconds_per_epoch"])
        if nncli_seconds is None:
            assert result["ratio_to_nncli"] is None
        else:
            assert result["ratio_to_nncli"] == pytest.approx(result["seconds_per_epoch"] / nncli_seconds)


@pytest.mark.parametrize("workload", ["W1", "W3"])
def test_trained_peers_learn(quick_report: dict[str, Any], workload: str) -> None:
    entry = quick_report["workloads"][workload]
    assert entry["majority_class_accuracy"] < MINIMUM_ACCURACY[workload]
    for peer, result in entry["peers"].items():
        if result["status"] != "ok":
            continue
        if peer.startswith("matmul"):
            assert result["final_loss"] is None and result["test_accuracy"] is None
            continue
        assert result["test_accuracy"] > MINIMUM_ACCURACY[workload], peer
        assert math.isfinite(result["final_loss"]) and 0 < result["final_loss"] < 0.7, peer


def test_targets_cover_the_workloads_run(quick_report: dict[str, Any]) -> None:
    targets = {target["target"]: target for target in quick_report["targets"]}
    assert set(targets) == {"W1 nncli / numpy loop", "W2 nncli / matmul-only", "W2 nncli / fastest other trainer",
                            "W3 nncli / numpy loop"}
    for name in ("W2 nncli / matmul-only", "W2 nncli / fastest other trainer"):
        assert targets[name]["value"] is None and targets[name]["met"] is None
    for name in ("W1 nncli / numpy loop", "W3 nncli / numpy loop"):
        assert targets[name]["value"] == pytest.approx(
            quick_report["workloads"][name[:2]]["peers"]["nncli"]["seconds_per_epoch"]
            / quick_report["workloads"][name[:2]]["peers"]["numpy"]["seconds_per_epoch"])


def test_the_machine_is_named(quick_report: dict[str, Any]) -> None:
    environment = quick_report["environment"]
    assert isinstance(environment["cpu_model"], str) and environment["cpu_model"].strip()
    assert environment["cpu_count"] >= 1 and environment["numba"]


@settings(max_examples=50, deadline=None)
@given(n_samples=st.integers(1, 5000), batch_size=st.integers(1, 300))
def test_batches_of_an_epoch_cover_every_row_once(bench: ModuleType, n_samples: int, batch_size: int) -> None:
    sizes = bench.batch_sizes_per_epoch(n_samples, batch_size)
    assert sum(sizes) == n_samples
    assert len(sizes) == math.ceil(n_samples / batch_size)
    assert all(size == batch_size for size in sizes[:-1]) and 0 < sizes[-1] <= batch_size


def test_unknown_workload_names_the_closest(bench: ModuleType) -> None:
    assert bench.parse_workloads("w1, W3") == ["W1", "W3"]
    with pytest.raises(Exception, match="unknown workload 'W4'.*W1, W2, W3"):
        bench.parse_workloads("W1,W4")


def test_numpy_loop_fits_a_separable_problem(bench: ModuleType) -> None:
    rng = np.random.default_rng(1)
    features = rng.standard_normal((400, 5)).astype(np.float32)
    labels = (features[:, 0] + features[:, 1] > 0).astype(np.int64)
    data = bench.Dataset(features[:300], labels[:300], features[300:], labels[300:])
    workload = bench.WORKLOADS["W1"]
    first = bench.train_numpy(workload, data, epochs=1)
    later = bench.train_numpy(workload, data, epochs=15)
    assert later.final_loss < first.final_loss
    assert later.test_accuracy > 0.9


def test_rss_child_reports_a_peak_above_its_data(bench: ModuleType, tmp_path: Path) -> None:
    rng = np.random.default_rng(2)
    np.save(tmp_path / "x_train.npy", rng.standard_normal((256, 784)).astype(np.float32))
    np.save(tmp_path / "y_train.npy", rng.integers(0, 10, 256))
    record = bench.rss_child("matmul", tmp_path, epochs=1)
    assert record["status"] == "ok"
    assert record["data_bytes"] == 256 * 784 * 4 + 256 * 8
    assert record["peak_bytes"] >= record["peak_after_data_bytes"] >= record["peak_after_import_bytes"] > 0


def test_startup_timing_reports_failures_instead_of_raising(bench: ModuleType) -> None:
    succeeded = bench.time_command([sys.executable, "-c", "pass"], runs=1)
    assert succeeded["status"] == "ok" and succeeded["seconds"] > 0
    failed = bench.time_command([sys.executable, "-c", "import sys; sys.exit(3)"], runs=1)
    assert failed["status"].startswith("failed (exit 3)") and failed["seconds"] is None


def test_plain_text_rendering_without_rich(bench: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    bench._render_plain(["header line"], [("Title", ["peer", "s/epoch"], [["numpy", "3.00 ms"]])])
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "header line" and "Title" in lines
    assert lines[-1].split() == ["numpy", "3.00", "ms"]
