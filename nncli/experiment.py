"""One experiment from a resolved config: data → model → training → run directory.

This is the library behind ``nncli train``, ``evaluate``, ``predict`` and ``summary``: it never
prints; progress goes out through the callbacks the caller passes in. A config here is the
resolved mapping of ``nncli.config`` (every default filled, shorthands expanded).

The run directory gets ``config.yaml`` (resolved, with the input size and absolute data paths,
so training it again gives the same run), ``summary.txt``, ``history.csv`` (a row per epoch),
``checkpoint.npz`` (everything needed to resume exactly, each epoch), ``model.npz`` (weights,
preprocessing and class names) and ``metrics.json`` (status, final metrics, baseline, timing).
"""

from __future__ import annotations

import json
import math
import os
import platform
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncli import __version__
from nncli.engine import callbacks as callbacks_module
from nncli.engine import losses as losses_module
from nncli.engine import optimizers as optimizers_module
from nncli import runs
from nncli.errors import (
    ConfigError,
    RunDirError,
    TrainingDivergedError,
    TrainingInterrupted,
    UsageError,
)
from nncli.engine import summary
from nncli.engine.model import Sequential, validation_split_index

MODEL_FORMAT = 1


# -- data -------------------------------------------------------------------------------------
@dataclass
class PreparedData:
    """The split, preprocessed arrays of one config, ready for the model."""

    X_train: np.ndarray
    y_train: np.ndarray  # raw labels / targets (before encoding)
    X_test: np.ndarray | None
    y_test: np.ndarray | None
    preprocessor: Any
    task: str
    description: str = ""
    X_train_raw: np.ndarray | None = None
    X_test_raw: np.ndarray | None = None

    @property
    def n_features(self) -> int:
        return int(self.X_train.shape[1])


def data_parts(config: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(source name, source-specific params, common split/scaling keys) of ``config["data"]``."""
    from nncli.config import split_data_section

    return split_data_section(config["data"])


def prepare_data(config: dict[str, Any], base_dir: Path | None) -> PreparedData:
    """Load the data source, split it and fit the preprocessing on the training part only."""
    from nncli import data as data_module

    source, params, common = data_parts(config)
    dataset = data_module.load_dataset(source, params, seed=int(config.get("seed", 0)), base_dir=base_dir)
    parts = data_module.split(
        dataset,
        test_size=common.get("test_size", 0.25),
        split_seed=common.get("split_seed", 0),
        stratify=common.get("stratify", False),
    )
    preprocessor = data_module.Preprocessor(common.get("scaler", "standard")).fit(
        parts.X_train, parts.y_train, dataset.task, dataset.class_names, dataset.feature_names
    )
    return PreparedData(
        X_train=preprocessor.transform_X(parts.X_train),
        y_train=parts.y_train,
        X_test=None if parts.X_test is None else preprocessor.transform_X(parts.X_test),
        y_test=parts.y_test,
        preprocessor=preprocessor,
        task=dataset.task,
        description=dataset.description,
        X_train_raw=parts.X_train,
        X_test_raw=parts.X_test,
    )


def encode_targets(preprocessor: Any, y_raw: np.ndarray, loss: losses_module.Loss) -> np.ndarray:
    """Raw labels/targets in the encoding ``loss`` expects (indices, 0/1 column or one-hot)."""
    if preprocessor.task == "regression":
        return preprocessor.encode_y(y_raw)
    indices = np.asarray(preprocessor.encode_y(y_raw)).reshape(-1).astype(np.intp)
    if loss.target_kind == "categorical":
        one_hot = np.zeros((len(indices), preprocessor.n_classes))
        one_hot[np.arange(len(indices)), indices] = 1.0
        return one_hot
    if loss.target_kind == "binary":
        return indices.reshape(-1, 1).astype(np.float64)
    return indices


def source_n_features(config: dict[str, Any], base_dir: Path | None = None) -> int | None:
    """The number of features the data source gives, when known without loading it."""
    from nncli import data as data_module

    source, params, _ = data_parts(config)
    entry = data_module.SOURCES[source]
    parsed = data_module.resolve_paths(entry, data_module.parse_params(entry, params), base_dir)
    return entry.n_features(parsed)


def absolute_data_paths(config: dict[str, Any], base_dir: Path | None) -> dict[str, Any]:
    """A copy of ``config`` whose data file paths are absolute (so a saved config works anywhere)."""
    from nncli import data as data_module

    source, params, _ = data_parts(config)
    entry = data_module.SOURCES[source]
    parsed = data_module.resolve_paths(entry, data_module.parse_params(entry, params), base_dir)
    resolved = json.loads(json.dumps(config))
    for name in entry.path_fields:
        value = getattr(parsed, name)
        if value is not None:
            resolved["data"][name] = str(Path(value).resolve())
    return resolved


# -- model ------------------------------------------------------------------------------------
def build_model(config: dict[str, Any], input_dim: int | None = None) -> Sequential:
    """The compiled ``Sequential`` a config describes (built when the input size is known)."""
    model_config = dict(config["model"])
    if input_dim is not None:
        model_config["input_dim"] = input_dim
    training = config.get("training", {})
    model = Sequential.from_config(model_config, seed=int(config.get("seed", 0)), dtype=training.get("dtype", "float32"))
    if training:
        model.compile(
            optimizer=optimizers_module.get(dict(training["optimizer"])),
            loss=losses_module.get(dict(training["loss"])),
            metrics=list(training.get("metrics") or []),
        )
    return model


def check_rules(config: dict[str, Any], prepared: PreparedData) -> int:
    """The lecture's mandatory rules (input size; last layer fits task and loss)."""
    from nncli import data as data_module

    layers = config["model"]["layers"]
    if not layers:
        raise ConfigError("model.layers is empty: add at least the output layer, e.g. {type: Dense, units: 1}")
    last_dense = next((layer for layer in reversed(layers) if layer.get("type", "").lower() == "dense"), None)
    if last_dense is None:
        raise ConfigError("rule 2: the last layer must be a Dense layer that fits the task")
    loss = config["training"]["loss"]
    preprocessor = prepared.preprocessor
    return data_module.check_task(
        input_dim=config["model"].get("input_dim"),
        n_features=prepared.n_features,
        last_units=int(last_dense["units"]),
        last_activation=last_dense.get("activation"),
        loss=loss["name"],
        task=prepared.task,
        n_classes=preprocessor.n_classes if prepared.task == "classification" else None,
        n_targets=preprocessor.n_targets if prepared.task == "regression" else None,
        from_logits=bool(loss.get("from_logits", False)),
    )


def training_callbacks(training: dict[str, Any]) -> list[callbacks_module.Callback]:
    """EarlyStopping / ReduceLROnPlateau from the config's training section."""
    made = []
    if training.get("early_stopping"):
        made.append(callbacks_module.EarlyStopping(**training["early_stopping"]))
    if training.get("reduce_lr_on_plateau"):
        made.append(callbacks_module.ReduceLROnPlateau(**training["reduce_lr_on_plateau"]))
    return made


def class_weights(setting: Any, y_indices: np.ndarray, n_classes: int) -> dict[int, float] | None:
    """``None``, ``"balanced"`` (n_samples / (n_classes * count), as scikit-learn) or a mapping."""
    if setting is None:
        return None
    if setting == "balanced":
        counts = np.bincount(y_indices, minlength=n_classes).astype(float)
        return {k: float(len(y_indices) / (n_classes * c)) for k, c in enumerate(counts) if c > 0}
    return {int(k): float(v) for k, v in dict(setting).items()}


# -- checkpoints ------------------------------------------------------------------------------
def _pack_state(prefix: str, state: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    for key, value in state.items():
        if isinstance(value, list):
            arrays[f"{prefix}{key}__n"] = np.array(len(value))
            for index, item in enumerate(value):
                arrays[f"{prefix}{key}__{index}"] = np.asarray(item)
        else:
            arrays[f"{prefix}{key}"] = np.asarray(value)


def _unpack_state(prefix: str, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    state: dict[str, Any] = {}
    for name, value in arrays.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):]
        if key.endswith("__n"):
            base = key[:-3]
            state[base] = [arrays[f"{prefix}{base}__{i}"] for i in range(int(value))]
        elif "__" not in key:
            state[key] = value
    return state


class RunRecorder(callbacks_module.Callback):
    """Writes ``history.csv`` and ``checkpoint.npz`` at the end of every epoch."""

    def __init__(self, run: runs.RunDir, columns: list[str], stateful: list[callbacks_module.Callback],
                 history_rows: list[dict[str, float]]) -> None:
        self.run = run
        self.columns = columns
        self.stateful = stateful
        self.rows = list(history_rows)
        self.writer: runs.HistoryWriter | None = None
        self.metrics: dict[str, Any] | None = None
        self._epoch_started = time.perf_counter()

    def on_train_begin(self, logs=None):
        # A new history.csv holding exactly the checkpoint's rows (none for a new run); the
        # checkpoint, not the CSV, is the record of which epochs are done.
        self.writer = runs.HistoryWriter(self.run.history, self.columns)
        for row in self.rows:
            self.writer.append(row)
        if not self.rows:
            # The starting point is a checkpoint too: a run killed or diverged in its first
            # epoch still leaves one that loads and resumes.
            self._save_checkpoint(0)

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch + 1, **(logs or {})}
        row["learning_rate"] = self.model.optimizer.learning_rate
        row["seconds"] = time.perf_counter() - self._epoch_started
        row = {column: row.get(column, math.nan) for column in self.columns}
        self.rows.append(row)
        self._save_checkpoint(epoch + 1)
        self.writer.append(row)
        if self.metrics is not None:
            # A heartbeat: `nncli runs` tells a live run from one whose process is gone.
            self.metrics.update(epochs_completed=epoch + 1, updated=runs.utc_now_iso())
            runs.write_json(self.run.metrics, self.metrics)

    def _save_checkpoint(self, epochs_done: int) -> None:
        model = self.model
        arrays: dict[str, np.ndarray] = {"epoch": np.array(epochs_done)}
        for index, weight in enumerate(model.get_weights()):
            arrays[f"weight_{index:03d}"] = weight
        arrays.update(model.optimizer.get_state())
        for index, callback in enumerate(self.stateful):
            _pack_state(f"cb{index}_", callback.get_state(), arrays)
        for column in self.columns:
            arrays[f"history_{column}"] = np.array([row[column] for row in self.rows], dtype=np.float64)
        runs.save_npz(self.run.checkpoint, arrays)

    def on_train_end(self, logs=None):
        if self.writer is not None:
            self.writer.close()


def _weights_from(arrays: dict[str, np.ndarray]) -> list[np.ndarray]:
    names = sorted(name for name in arrays if name.startswith("weight_"))
    return [arrays[name] for name in names]


def _history_rows(arrays: dict[str, np.ndarray], columns: list[str]) -> list[dict[str, float]]:
    n_rows = int(arrays["epoch"])
    rows = [{column: float(arrays[f"history_{column}"][i]) for column in columns} for i in range(n_rows)]
    for row in rows:
        row["epoch"] = int(row["epoch"])
    return rows


# -- training ---------------------------------------------------------------------------------
@dataclass
class TrainResult:
    run_dir: Path
    metrics: dict[str, Any]
    history: dict[str, list[float]] = field(default_factory=dict)
    model: Sequential | None = None
    prepared: PreparedData | None = None


def _history_columns(model: Sequential, has_validation: bool) -> list[str]:
    names = model.metrics_names
    columns = ["epoch", *names]
    if has_validation:
        columns += [f"val_{name}" for name in names]
    return columns + ["learning_rate", "seconds"]


def _versions() -> dict[str, str]:
    import sklearn

    return {"nncli": __version__, "numpy": np.__version__, "scikit-learn": sklearn.__version__,
            "python": platform.python_version()}


def _base_metrics(config: dict[str, Any], run: runs.RunDir, epochs_planned: int) -> dict[str, Any]:
    now = runs.utc_now_iso()
    return {
        "status": "running", "reason": None, "name": run.name, "created": now, "updated": now,
        "pid": os.getpid(), "host": socket.gethostname(), "seed": int(config.get("seed", 0)),
        "epochs_completed": 0, "epochs_planned": epochs_planned, "best_epoch": None,
        "final": {}, "baseline": {}, "wall_time_s": 0.0, "samples_per_s": None, "versions": _versions(),
    }


def train(config: dict[str, Any], *, base_dir: Path | None, runs_dir: Path, name: str | None = None,
          callbacks: list[callbacks_module.Callback] | None = None, interrupt: Any = None,
          on_run_dir: Any = None) -> TrainResult:
    """Train the experiment ``config`` into a new run directory under ``runs_dir``."""
    prepared = prepare_data(config, base_dir)
    input_dim = check_rules(config, prepared)
    resolved = absolute_data_paths(config, base_dir)
    resolved["model"]["input_dim"] = input_dim
    model = build_model(resolved, input_dim)
    run = runs.RunDir.create(runs_dir, resolved["name"] if name is None else name)
    try:
        if on_run_dir is not None:
            on_run_dir(run.path)
        runs.write_yaml(run.config, resolved)
        runs.atomic_write_text(run.summary, summary.text(model) + "\n")
        return _fit_and_record(resolved, run, model, prepared, callbacks or [], interrupt, checkpoint=None)
    except KeyboardInterrupt:
        # Stopped between creating the folder and the first epoch: say so in the run itself.
        if (run.read_metrics() or {}).get("status") in (None, "running"):
            metrics = _base_metrics(resolved, run, int(resolved["training"]["epochs"]))
            metrics.update(status="interrupted", reason="interrupted before training started")
            runs.write_json(run.metrics, metrics)
        raise


def resume(run_path: Path, *, epochs: int | None = None, callbacks: list[callbacks_module.Callback] | None = None,
           interrupt: Any = None) -> TrainResult:
    """Continue an interrupted run from its checkpoint (same config; ``epochs`` may be raised)."""
    from nncli import config as config_module

    run = runs.RunDir.open(run_path)
    config = config_module.load_config(run.config).to_dict()
    planned = int(config["training"]["epochs"])
    if run.status() == "completed" and (epochs is None or epochs <= planned):
        raise UsageError(
            f"{run.path} already completed its {planned} epochs; to train it further, raise the epochs: "
            f"nncli train --resume {run.path} training.epochs={planned * 2}"
        )
    if epochs is not None:
        if epochs < int(config["training"]["epochs"]):
            raise UsageError(f"--epochs may only raise the number of epochs (the run planned {config['training']['epochs']})")
        config["training"]["epochs"] = int(epochs)
        runs.write_yaml(run.config, config)
    for stale in run.path.glob(".*.tmp"):  # a write cut short by kill -9; never a final file
        stale.unlink(missing_ok=True)
    checkpoint = runs.load_npz(run.checkpoint) if run.checkpoint.exists() else None
    prepared = prepare_data(config, None)
    model = build_model(config, check_rules(config, prepared))
    return _fit_and_record(config, run, model, prepared, callbacks or [], interrupt, checkpoint=checkpoint)


def _fit_and_record(config, run, model, prepared, extra_callbacks, interrupt, checkpoint) -> TrainResult:
    training = config["training"]
    loss = model.loss
    y_train = encode_targets(prepared.preprocessor, prepared.y_train, loss)
    weights_by_class = None
    if prepared.task == "classification":
        indices = np.asarray(prepared.preprocessor.encode_y(prepared.y_train)).reshape(-1).astype(np.intp)
        weights_by_class = class_weights(training.get("class_weight"), indices, prepared.preprocessor.n_classes)
    validation_split = float(training.get("validation_split", 0.0))
    stateful = training_callbacks(training)
    columns = _history_columns(model, validation_split > 0)
    history_rows: list[dict[str, float]] = []
    initial_epoch = 0
    metrics = _base_metrics(config, run, int(training["epochs"]))
    if checkpoint is not None:
        model.set_weights(_weights_from(checkpoint))
        model.optimizer.build(model.flat_params.size, model.dtype)
        model.optimizer.set_state(checkpoint)
        for index, callback in enumerate(stateful):
            callback.set_model(model)
            callback.set_state(_unpack_state(f"cb{index}_", checkpoint))
        initial_epoch = int(checkpoint["epoch"])
        history_rows = _history_rows(checkpoint, columns)
        previous = run.read_metrics() or {}
        metrics["created"] = previous.get("created", metrics["created"])
        metrics["wall_time_s"] = float(previous.get("wall_time_s") or 0.0)
    recorder = RunRecorder(run, columns, stateful, history_rows)
    recorder.metrics = metrics
    model.interrupt = interrupt
    metrics["epochs_completed"] = initial_epoch
    runs.write_json(run.metrics, metrics)
    started = time.perf_counter()
    previous_wall = metrics["wall_time_s"]
    try:
        model.fit(
            prepared.X_train, y_train, batch_size=int(training["batch_size"]), epochs=int(training["epochs"]),
            validation_split=validation_split, shuffle=bool(training.get("shuffle", True)),
            class_weight=weights_by_class, initial_epoch=initial_epoch, verbose=0,
            callbacks=[*stateful, recorder, *extra_callbacks],
        )
    except (TrainingInterrupted, TrainingDivergedError, KeyboardInterrupt) as error:
        status = "failed" if isinstance(error, TrainingDivergedError) else "interrupted"
        _finish_metrics(metrics, run, recorder, status, str(error) or "interrupted", previous_wall + time.perf_counter() - started)
        raise
    except Exception as error:  # any other failure: the run must not stay "running"
        _finish_metrics(metrics, run, recorder, "failed", str(error) or type(error).__name__,
                        previous_wall + time.perf_counter() - started)
        raise
    elapsed = time.perf_counter() - started
    epochs_run = len(recorder.rows) - initial_epoch
    n_train = validation_split_index(len(prepared.X_train), validation_split) if validation_split else len(prepared.X_train)
    metrics["samples_per_s"] = (n_train * epochs_run / elapsed) if elapsed > 0 and epochs_run else None
    final, baseline = final_metrics(model, prepared, config)
    metrics["final"], metrics["baseline"] = final, baseline
    save_model(run.model, model, prepared.preprocessor, config)
    _finish_metrics(metrics, run, recorder, "completed", None, previous_wall + elapsed)
    history = runs.read_history(run.history)
    return TrainResult(run.path, metrics, history, model, prepared)


def _finish_metrics(metrics, run, recorder, status, reason, wall_time) -> None:
    metrics["status"] = status
    metrics["reason"] = reason
    metrics["updated"] = runs.utc_now_iso()
    metrics["epochs_completed"] = len(recorder.rows)
    metrics["wall_time_s"] = wall_time
    metrics["best_epoch"] = best_epoch(recorder.rows, recorder.stateful)
    try:
        runs.write_json(run.metrics, metrics)
    except RunDirError:
        if status == "completed":
            raise


def best_epoch(rows: list[dict[str, float]], stateful: list[callbacks_module.Callback]) -> int | None:
    """1-based epoch of the best monitored value (EarlyStopping's monitor, else val_loss, else loss)."""
    if not rows:
        return None
    monitor = "val_loss" if "val_loss" in rows[0] else "loss"
    for callback in stateful:
        if isinstance(callback, callbacks_module.EarlyStopping):
            monitor = callback.monitor
    values = [row.get(monitor, math.nan) for row in rows]
    finite = [(v, i) for i, v in enumerate(values) if v is not None and math.isfinite(v)]
    if not finite:
        return None
    mode = callbacks_module.monitor_mode(monitor)
    best = min(finite) if mode == "min" else max(finite)
    return best[1] + 1


# -- evaluation -------------------------------------------------------------------------------
def split_arrays(prepared: PreparedData, config: dict[str, Any], split: str) -> tuple[np.ndarray, np.ndarray]:
    """Scaled features and raw labels of ``split``: train (without the validation part), val, test."""
    validation_split = float(config["training"].get("validation_split", 0.0))
    if split == "test":
        if prepared.X_test is None:
            raise UsageError("this run has no test split (data.test_size is 0); use --split train or val")
        return prepared.X_test, prepared.y_test
    cut = validation_split_index(len(prepared.X_train), validation_split) if validation_split else len(prepared.X_train)
    if split == "train":
        return prepared.X_train[:cut], prepared.y_train[:cut]
    if split == "val":
        if not validation_split:
            raise UsageError("this run has no validation split (training.validation_split is 0); use --split test or train")
        return prepared.X_train[cut:], prepared.y_train[cut:]
    raise UsageError(f"unknown split {split!r} (choose from: test, val, train)")


def evaluate_split(model: Sequential, preprocessor: Any, X: np.ndarray, y_raw: np.ndarray,
                   y_train_raw: np.ndarray | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """(loss and metrics, baseline) of ``model`` on scaled ``X`` and raw labels ``y_raw``."""
    from nncli import data as data_module

    targets = encode_targets(preprocessor, y_raw, model.loss)
    scores = model.evaluate(X, targets, return_dict=True)
    labels = y_raw if preprocessor.task == "regression" else preprocessor.encode_y(y_raw)
    train_labels = None
    if y_train_raw is not None and preprocessor.task == "regression":
        train_labels = preprocessor.encode_y(y_train_raw)
    baseline = data_module.baseline(labels, preprocessor.task, y_train=train_labels, class_names=preprocessor.class_names)
    return scores, baseline


def final_metrics(model: Sequential, prepared: PreparedData, config: dict[str, Any]) -> tuple[dict, dict]:
    final, baseline = {}, {}
    splits = ["train"]
    if float(config["training"].get("validation_split", 0.0)):
        splits.append("val")
    if prepared.X_test is not None:
        splits.append("test")
    train_raw = split_arrays(prepared, config, "train")[1]
    for split in splits:
        X, y_raw = split_arrays(prepared, config, split)
        final[split], baseline[split] = evaluate_split(model, prepared.preprocessor, X, y_raw, train_raw)
    return final, baseline


# -- saved models -----------------------------------------------------------------------------
def save_model(path: Path, model: Sequential, preprocessor: Any, config: dict[str, Any]) -> None:
    arrays = {f"weight_{i:03d}": w for i, w in enumerate(model.get_weights())}
    arrays.update(preprocessor.to_arrays())
    meta = {"format": MODEL_FORMAT, "nncli": __version__, "task": preprocessor.task, "dtype": np.dtype(model.dtype).name}
    arrays["meta"] = np.array(json.dumps(meta))
    runs.save_npz(path, arrays)


@dataclass
class LoadedRun:
    run: runs.RunDir
    config: dict[str, Any]
    model: Sequential
    preprocessor: Any


def load_run(run_path: Path) -> LoadedRun:
    """The trained model, its preprocessing and config from a run directory."""
    from nncli import config as config_module
    from nncli import data as data_module

    run = runs.RunDir.open(run_path)
    config = config_module.load_config(run.config).to_dict()
    if not run.model.exists():
        status = run.status()
        raise UsageError(
            f"{run.path} has no model.npz (status: {status}); "
            + ("resume it with: nncli train --resume " + str(run.path) if status == "interrupted" else "train it first")
        )
    arrays = runs.load_npz(run.model)
    preprocessor = data_module.Preprocessor.from_arrays(arrays)
    model = build_model(config, int(config["model"]["input_dim"]))
    model.set_weights(_weights_from(arrays))
    return LoadedRun(run, config, model, preprocessor)


def evaluate_run(run_path: Path, split: str = "test", data_file: Path | None = None,
                 target: Any = None) -> dict[str, Any]:
    """Loss, metrics and baseline of a trained run on a split rebuilt from its config and seed,
    or on a labelled file."""
    from nncli import data as data_module

    loaded = load_run(run_path)
    preprocessor = loaded.preprocessor
    if data_file is not None:
        X_raw, y_raw = data_module.read_labeled(data_file, target, preprocessor.n_features)
        X = preprocessor.transform_X(X_raw)
        where = str(data_file)
        y_train_raw = None
    else:
        prepared = prepare_data(loaded.config, None)
        X, y_raw = split_arrays(prepared, loaded.config, split)
        y_train_raw = split_arrays(prepared, loaded.config, "train")[1]
        where = split
    scores, baseline = evaluate_split(loaded.model, preprocessor, X, y_raw, y_train_raw)
    return {"run": str(loaded.run.path), "split": where, "n_samples": int(len(X)), "metrics": scores, "baseline": baseline}


def predict_run(run_path: Path, inputs: Path | str, stream: Any = None) -> dict[str, Any]:
    """Predictions for raw rows: class labels (names when known) and probabilities, or values."""
    from nncli import data as data_module

    loaded = load_run(run_path)
    preprocessor = loaded.preprocessor
    X_raw = data_module.read_inputs(inputs, preprocessor.n_features, stream=stream,
                                    feature_names=preprocessor.feature_names)
    outputs = loaded.model.predict(preprocessor.transform_X(X_raw)).astype(np.float64)
    result: dict[str, Any] = {"task": preprocessor.task, "outputs": outputs}
    if preprocessor.task == "classification":
        outputs = loaded.model.loss.probabilities(outputs)
        probabilities = np.hstack([1.0 - outputs, outputs]) if outputs.shape[1] == 1 else outputs
        indices = probabilities.argmax(axis=1)
        result["probabilities"] = probabilities
        result["labels"] = [str(label) for label in preprocessor.decode(indices)]
        result["class_names"] = list(preprocessor.class_names)
    return result
