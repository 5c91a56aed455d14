"""A config fuzzer (issue 14): random mutations of the shipped configs and random overrides go
through the real loading and a one-epoch training in-process, and a sample through the command
line; every failure must be an nncli error (exit 1 or 2), never "internal error".

The suite runs a bounded number of cases (``NNCLI_FUZZ_EXAMPLES``, 150 by default, per test);
set it higher for a long hunt, e.g. ``NNCLI_FUZZ_EXAMPLES=5000 pytest tests/config/test_fuzz.py``.
Training is kept cheap: at most 2 epochs, and configs whose data or model would take long (more
than 3,000 samples, more than 300,000 weights) are loaded and built but not trained.
"""

from __future__ import annotations

import copy
import math
import os
import random
import traceback
from pathlib import Path

import pytest
import yaml

from cli_helpers import CONFIGS, invoke
from nncli.errors import NncliError

EXAMPLES = int(os.environ.get("NNCLI_FUZZ_EXAMPLES", "150"))
BASES = sorted(path for path in CONFIGS.glob("*.yaml") if path.stem != "lfw")  # lfw needs a download
VALUES = [None, True, False, 0, -1, 1, 3, 2**63, 10**12, -1e308, 1e308, math.inf, -0.5, 0.5, "", "relu", "adam",
          "nonsense", "1e-3", "sigmoid", "softmax", [], {}, [1, "a"], {"name": "adam"}, {"name": "rellu"},
          "../../../etc/passwd", "x" * 300, "val_accuracy", [{"type": "Dense", "units": 2}], "\x00", "ü" * 5,
          {"type": "Dropout", "rate": 2}, "!!python/object:os.system", 10**400]
KEYS = ["units", "activation", "type", "rate", "name", "learning_rate", "epochs", "batch_size", "metrics", "loss",
        "optimizer", "source", "test_size", "validation_split", "early_stopping", "monitor", "class_weight",
        "scaler", "seed", "input_dim", "n_samples", "noise", "path", "target", "momentum", "from_logits",
        "kernel_regularizer", "unit", "lr", "nb_epoch", "layers", "dtype", "shuffle", "patience", "mode"]


def _paths(tree, prefix=()):
    yield prefix
    if isinstance(tree, dict):
        for key, value in tree.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from _paths(value, prefix + (index,))


def _mutate(tree, rng: random.Random):
    tree = copy.deepcopy(tree)
    for _ in range(rng.randint(1, 3)):
        paths = [path for path in _paths(tree) if path]
        path = rng.choice(paths)
        parent = tree
        for part in path[:-1]:
            parent = parent[part]
        action = rng.random()
        if action < 0.55:
            parent[path[-1]] = copy.deepcopy(rng.choice(VALUES))
        elif action < 0.7 and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[rng.choice(KEYS)] = copy.deepcopy(rng.choice(VALUES))
        else:
            parent.append(copy.deepcopy(rng.choice(VALUES)))
    return tree


def _affordable(config) -> bool:
    n_samples = getattr(config.data, "n_samples", 0) or 0
    weights, size = 0, config.data.n_features or 64
    for layer in config.model.layers:
        units = layer.get("units", size) if isinstance(layer.get("units", size), int) else size
        weights += (size + 1) * units
        size = units
    return n_samples <= 3000 and weights <= 300_000


def _load_and_train(path: Path, overrides: list[str], runs_dir: Path) -> None:
    from nncli import experiment
    from nncli.config import load_config

    config = load_config(path, overrides)
    if config.training.epochs > 2:
        config = config.with_epochs(2)
    if _affordable(config):
        experiment.train(config, runs_dir=runs_dir)
    else:
        experiment.summarize(path)


def _check(case: str, path: Path, overrides: list[str], runs_dir: Path) -> None:
    try:
        _load_and_train(path, overrides, runs_dir)
    except NncliError as error:
        assert str(error).strip(), f"{case}: an nncli error without a message"
    except Exception:  # noqa: BLE001 - exactly what the fuzzer looks for
        pytest.fail(f"{case} ended in a non-nncli error:\n{traceback.format_exc()}\n--- config:\n{path.read_text()}"
                    f"\n--- overrides: {overrides}")


def _base_tree(path: Path) -> dict:
    tree = yaml.safe_load(path.read_text())
    if isinstance(tree.get("model"), str):
        tree["model"] = yaml.safe_load((path.parent / tree["model"]).read_text())
    if tree.get("data", {}).get("path"):
        tree["data"]["path"] = str(path.parent / tree["data"]["path"])
    return tree


def test_mutated_configs_end_in_nncli_errors_or_train(tmp_path):
    rng = random.Random(20261202)
    for case in range(EXAMPLES):
        base = rng.choice(BASES)
        mutated = _mutate(_base_tree(base), rng)
        path = tmp_path / f"case{case}.yaml"
        try:
            path.write_text(yaml.safe_dump(mutated, allow_unicode=True))
        except (yaml.YAMLError, ValueError, OverflowError):
            continue
        _check(f"case {case} (from {base.name})", path, [], tmp_path / "runs")


def _random_override(rng: random.Random, tree: dict) -> str:
    paths = [".".join(map(str, path)) for path in _paths(tree) if path]
    key = rng.choice(paths) if rng.random() < 0.8 else rng.choice(paths) + "." + rng.choice(KEYS)
    if rng.random() < 0.1:
        key = key.replace(".", "..", 1) if rng.random() < 0.5 else key + "." + str(rng.randint(-3, 99))
    value = rng.choice(["", "[", "{a: 1", "!!int x", "[1, 2]", "{name: sgd}", "null", "1e-3", "-0", "adam", "relu",
                        "9" * 5000, "*alias", "&anchor x", "'quoted'", "1.5", "true", "[accuracy, auc]", "0x10"])
    return f"{key}={value}"


def test_random_overrides_end_in_nncli_errors_or_train(tmp_path):
    rng = random.Random(7)
    for case in range(EXAMPLES):
        base = rng.choice(BASES)
        overrides = [_random_override(rng, _base_tree(base)) for _ in range(rng.randint(1, 3))]
        _check(f"case {case} (on {base.name})", base, overrides, tmp_path / "runs")


def test_a_sample_through_the_command_line(tmp_path):
    rng = random.Random(99)
    for case in range(max(10, EXAMPLES // 10)):
        base = rng.choice(BASES)
        path = tmp_path / f"cli{case}.yaml"
        try:
            path.write_text(yaml.safe_dump(_mutate(_base_tree(base), rng), allow_unicode=True))
        except (yaml.YAMLError, ValueError, OverflowError):
            continue
        result = invoke(["train", path, "training.epochs=1", "--runs-dir", tmp_path / "runs", "--quiet",
                         "--no-plots"])
        assert result.exit_code in (0, 1, 2), (case, result.exit_code, result.stderr)
        assert "internal error" not in result.stderr and "Traceback" not in result.stderr, (path.read_text(),
                                                                                            result.stderr)
