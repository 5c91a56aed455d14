"""Sweep benchmark: the wall time of one 16-run digits sweep four ways.

- ``loop``: 16 sequential ``nncli train`` calls, the shell loop a sweep replaces (each pays the
  interpreter's start-up, the imports and loading the data);
- ``jobs 1``: ``nncli sweep --jobs 1`` (one process, the data prepared once);
- ``jobs 2``: ``nncli sweep --jobs 2`` (two worker processes, one BLAS thread each on 2 cores);
- ``dask 2``: ``nncli sweep --scheduler local:2`` (a Dask LocalCluster of 2 workers, started by
  the command itself: its start-up is counted). Left out when the dask extra is not installed.

The 16 runs: ``training.optimizer.learning_rate`` 0.01, 0.003, 0.001, 0.0003 × ``model.layers.0.units``
32, 64 × seeds 0, 1, each as ``configs/digits.yaml`` has it (30 epochs) unless ``--epochs``.
Every measurement is a fresh process in a fresh folder, wall time from start to exit; with
``--repeats N`` the methods are interleaved N times and the median is kept. Nothing is timed in a
test: the numbers depend on the machine.

Usage::

    python benchmarks/sweep.py                 # one round, the table on stdout
    python benchmarks/sweep.py --repeats 3 --json
    python benchmarks/sweep.py --override training.batch_size=4   # training-bound: --jobs 2 against --jobs 1
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CONFIG = REPO / "configs" / "digits.yaml"
RATES = ("0.01", "0.003", "0.001", "0.0003")
UNITS = ("32", "64")
SEEDS = ("0", "1")
EXTRA: list[str] = []  # --override KEY=VALUE, given to every run


def nncli_command() -> list[str]:
    script = Path(sys.executable).parent / "nncli"
    return [str(script)] if script.exists() else [sys.executable, "-m", "nncli.cli"]


def base_overrides(epochs: int | None) -> list[str]:
    return ([] if epochs is None else [f"training.epochs={epochs}"]) + EXTRA


def sweep_args(epochs: int | None) -> list[str]:
    return [str(CONFIG), *base_overrides(epochs), "--grid", f"training.optimizer.learning_rate={','.join(RATES)}",
            "--grid", f"model.layers.0.units={','.join(UNITS)}", "--seeds", ",".join(SEEDS)]


def timed(commands: list[list[str]]) -> float:
    started = time.perf_counter()
    for command in commands:
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    return time.perf_counter() - started


def method_commands(method: str, folder: Path, epochs: int | None) -> list[list[str]]:
    common = ["--runs-dir", str(folder), "--quiet", "--no-plots"]
    if method == "loop":
        return [[*nncli_command(), "train", str(CONFIG), *base_overrides(epochs), f"training.optimizer.learning_rate={rate}",
                 f"model.layers.0.units={units}", f"seed={seed}", "--name", f"lr{rate}-u{units}-s{seed}", *common]
                for rate, units, seed in itertools.product(RATES, UNITS, SEEDS)]
    runner = {"jobs 1": ["--jobs", "1"], "jobs 2": ["--jobs", "2"], "dask 2": ["--scheduler", "local:2"]}[method]
    return [[*nncli_command(), "sweep", *sweep_args(epochs), *runner, *common]]


def run_count(folder: Path) -> int:
    return sum(1 for path in folder.rglob("metrics.json") if '"completed"' in path.read_text())


def measure(methods: list[str], repeats: int, epochs: int | None) -> dict[str, list[float]]:
    seconds: dict[str, list[float]] = {method: [] for method in methods}
    for round_number in range(repeats):
        for method in methods:
            folder = Path(tempfile.mkdtemp(prefix="nncli-sweep-bench-"))
            try:
                seconds[method].append(timed(method_commands(method, folder, epochs)))
                completed = run_count(folder)
                if completed != 16:
                    raise SystemExit(f"{method}: {completed} of 16 runs completed")
            finally:
                shutil.rmtree(folder, ignore_errors=True)
            print(f"round {round_number + 1}/{repeats} {method}: {seconds[method][-1]:.2f} s", file=sys.stderr)
    return seconds


def report(seconds: dict[str, list[float]], epochs: int | None) -> dict:
    medians = {method: statistics.median(values) for method, values in seconds.items()}
    loop, jobs_1 = medians.get("loop"), medians.get("jobs 1")
    rows = {method: {"seconds": value, "all_seconds": seconds[method],
                     "speedup_vs_loop": loop / value if loop else None,
                     "speedup_vs_jobs_1": jobs_1 / value if jobs_1 else None}
            for method, value in medians.items()}
    return {"runs": 16, "epochs": epochs or "config (30)", "overrides": EXTRA, "cores": os.cpu_count(), "methods": rows,
            "goal_jobs_2_vs_loop": {"limit": 1.7, "value": rows.get("jobs 2", {}).get("speedup_vs_loop")}}


def print_table(result: dict) -> None:
    extra = f", {' '.join(result['overrides'])}" if result["overrides"] else ""
    print(f"16-run digits sweep, epochs {result['epochs']}{extra}, {result['cores']} cores (median wall time)")
    print(f"{'method':<8} {'seconds':>8} {'× loop':>8} {'× jobs 1':>9}")
    for method, row in result["methods"].items():
        ratio_loop = f"{row['speedup_vs_loop']:.2f}" if row["speedup_vs_loop"] else ""
        ratio_one = f"{row['speedup_vs_jobs_1']:.2f}" if row["speedup_vs_jobs_1"] else ""
        print(f"{method:<8} {row['seconds']:>8.2f} {ratio_loop:>8} {ratio_one:>9}")
    goal = result["goal_jobs_2_vs_loop"]
    if goal["value"] is not None:
        print(f"goal: jobs 2 >= {goal['limit']}x the loop: {goal['value']:.2f}x "
              f"({'met' if goal['value'] >= goal['limit'] else 'NOT met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=1, help="interleaved rounds; the median is kept")
    parser.add_argument("--epochs", type=int, default=None, help="training.epochs of every run (default: the config's)")
    parser.add_argument("--override", action="append", default=[], help="KEY=VALUE for every run, e.g. "
                        "training.batch_size=4 (a training-bound sweep)")
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--methods", default="loop,jobs 1,jobs 2,dask 2", help="comma-separated subset")
    args = parser.parse_args()
    EXTRA.extend(args.override)
    methods = [method.strip() for method in args.methods.split(",") if method.strip()]
    if "dask 2" in methods and importlib.util.find_spec("distributed") is None:
        print('dask 2: skipped (pip install "nncli[dask]")', file=sys.stderr)
        methods.remove("dask 2")
    result = report(measure(methods, args.repeats, args.epochs), args.epochs)
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print_table(result)


if __name__ == "__main__":
    main()
