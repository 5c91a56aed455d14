"""A trained run at work: loading it (weights, saved preprocessing, config), its metrics on a
split or a labelled file beside the baseline, and predictions for raw rows.

Everything runs on the saved state: the preprocessing fitted at training time (never refitted),
the split rebuilt from the saved config and seed. An interrupted run is used through its last
checkpoint, with a notice saying so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nncli import runs
from nncli.config import Config, load_config
from nncli.engine.model import Sequential
from nncli.errors import UsageError
from nncli.experiment import checkpoint as checkpoints
from nncli.experiment.prepare import PreparedData, build_model, prepare, targets


def evaluate_split(model: Sequential, preprocessor: Any, X: np.ndarray, y_raw: np.ndarray,
                   y_train_raw: np.ndarray | None = None) -> tuple[dict[str, float], dict[str, Any]]:
    """(loss and metrics, baseline) of ``model`` on scaled ``X`` and raw labels ``y_raw``."""
    from nncli import data

    scores = model.evaluate(X, targets(preprocessor, y_raw, model.loss), return_dict=True, verbose=0)
    labels = y_raw if preprocessor.task == "regression" else preprocessor.encode_y(y_raw)
    train_labels = None
    if y_train_raw is not None and preprocessor.task == "regression":
        train_labels = preprocessor.encode_y(y_train_raw)
    baseline = data.baseline(labels, preprocessor.task, y_train=train_labels, class_names=preprocessor.class_names)
    return scores, baseline


def final_metrics(model: Sequential, prepared: PreparedData) -> tuple[dict, dict]:
    """(metrics, baseline) on every split the run has: train, val, test."""
    final, baseline = {}, {}
    train_raw = prepared.part("train")[1]
    for split in prepared.splits():
        X, y_raw = prepared.part(split)
        final[split], baseline[split] = evaluate_split(model, prepared.preprocessor, X, y_raw, train_raw)
    return final, baseline


@dataclass
class LoadedRun:
    """A trained run, ready to use: ``nncli.load_run("runs/lfw").predict(raw_rows)``.

    Attributes
    ----------
    run : RunDir
    config : Config
        The resolved config it was trained with.
    model : Sequential
        Compiled, with the trained weights.
    preprocessor : Preprocessor
        The scaling and label encoding fitted at training time.
    notices : list of str
        What the caller should know (an interrupted run used through its last checkpoint).
    """

    run: runs.RunDir
    config: Config
    model: Sequential
    preprocessor: Any
    notices: list[str] = field(default_factory=list)
    n_samples: int | None = None

    @property
    def class_names(self) -> list[str] | None:
        return self.preprocessor.class_names if self.preprocessor.task == "classification" else None

    def predict_proba(self, X_raw: Any, notices: list[str] | None = None) -> np.ndarray:
        """Probabilities for raw rows, shape (n_samples, n_classes) (two columns for a binary
        model with one sigmoid unit). Regression: the predicted values.

        ``X_raw``: an array (n_samples, n_features); for a run trained on a table also a mapping
        of column name to values (a dict, a pandas DataFrame), a 2-D array of its raw input
        columns, or the path of a CSV file, read as ``nncli predict --input`` reads it. A category
        never seen in training is encoded as zeros with a notice appended to ``notices`` (a
        ``UserWarning`` when it is None).
        """
        from nncli.data import read_features
        from nncli.data.preprocessing import warn

        if isinstance(X_raw, (str, Path)):
            X_raw = read_features(X_raw, self.preprocessor.request())
        found: list[str] = [] if notices is None else notices
        X = self.preprocessor.transform_X(X_raw, found)
        if notices is None:
            warn(found)
        outputs = self.model.predict(X, verbose=0)
        outputs = self.model.loss.probabilities(outputs.astype(np.float64))
        if self.preprocessor.task == "classification" and outputs.shape[1] == 1:
            return np.hstack([1.0 - outputs, outputs])
        return outputs

    def predict(self, X_raw: Any, notices: list[str] | None = None) -> np.ndarray:
        """Class names (as ``nncli predict`` prints them) for raw rows, or predicted values
        (``X_raw`` and ``notices`` as for ``predict_proba``)."""
        found: list[str] = [] if notices is None else notices
        outputs = self.predict_proba(X_raw, found)
        if notices is None:
            from nncli.data.preprocessing import warn

            warn(found)
        if self.preprocessor.task != "classification":
            return outputs
        return self.preprocessor.decode(outputs.argmax(axis=1))


def load_run(run_path: Path | str) -> LoadedRun:
    """The trained model, its preprocessing and config from a run directory (an interrupted run:
    from its last checkpoint, with a notice)."""
    run = runs.RunDir.open(run_path)
    config = load_config(run.config)
    model = build_model(config, config.model.input_dim)
    notices = []
    if run.model.exists():
        arrays = checkpoints.load(run.model, model, "model")
    elif run.checkpoint.exists():
        arrays = checkpoints.load(run.checkpoint, model, "checkpoint")
        epoch = int(arrays["epoch"])
        if epoch == 0:
            raise UsageError(f"{run.path} was interrupted before its first epoch ended: it has no trained weights; "
                             f"resume it with: nncli train --resume {run.path}")
        notices.append(f"note: {run.path} is {run.status()} at epoch {epoch} of {config.training.epochs}: "
                       f"using its last checkpoint (resume with: nncli train --resume {run.path})")
    else:
        raise UsageError(f"{run.path} has no model.npz and no checkpoint (status: {run.status()}); train it first")
    from nncli.data import Preprocessor

    preprocessor = Preprocessor.from_arrays(arrays)
    model.set_weights(checkpoints.weights(arrays))
    return LoadedRun(run, config, model, preprocessor, notices, checkpoints.meta(arrays).get("n_samples"))


def evaluate_run(run_path: Path | str, split: str = "test", data_file: Path | None = None,
                 target: Any = None) -> dict[str, Any]:
    """Loss, metrics and baseline of a trained run on a split rebuilt from its config and seed
    (preprocessed with the saved state), or on a labelled file."""
    from nncli import data

    loaded = load_run(run_path)
    preprocessor, notices = loaded.preprocessor, list(loaded.notices)
    if split not in ("test", "val", "train"):
        raise UsageError(f"--split must be test, val or train. Received: {split!r}")
    if data_file is not None:
        request = preprocessor.request(target, default_target=getattr(loaded.config.data, "target", None))
        X_raw, y_raw = data.read_labeled(data_file, request)
        notices += X_raw.notices if isinstance(X_raw, data.Frame) else []
        X, where, y_train_raw = preprocessor.transform_X(X_raw, notices), str(data_file), None
    else:
        prepared = prepare(loaded.config, preprocessor)
        if loaded.n_samples is not None and prepared.n_samples != loaded.n_samples:
            notices.append(f"note: the data has {prepared.n_samples} samples now, {loaded.n_samples} when the run "
                           f"trained: the {split} split is not the one it was trained beside")
        notices += prepared.notices
        X, y_raw = prepared.part(split)
        y_train_raw, where = prepared.part("train")[1], split
    scores, baseline = evaluate_split(loaded.model, preprocessor, X, y_raw, y_train_raw)
    return {"run": str(loaded.run.path), "split": where, "n_samples": int(len(X)), "metrics": scores,
            "baseline": baseline, "notices": notices}


def predict_run(run_path: Path | str, inputs: Path | str, stream: Any = None) -> dict[str, Any]:
    """Predictions for raw rows: class labels (names when known) and probabilities, or values."""
    from nncli import data

    from nncli.experiment import portable

    loaded = load_run(run_path)
    preprocessor, notices, row_names = loaded.preprocessor, list(loaded.notices), None
    if portable.is_photo_input(inputs):
        X_raw, row_names = portable.predict_photos(loaded, inputs)
    else:
        X_raw = data.read_features(inputs, preprocessor.request(), stream)
    outputs = loaded.predict_proba(X_raw, notices)
    result: dict[str, Any] = {"task": preprocessor.task, "outputs": outputs, "notices": notices,
                              "row_names": row_names}
    if preprocessor.task == "classification":
        result["probabilities"] = outputs
        result["labels"] = [str(label) for label in preprocessor.decode(outputs.argmax(axis=1))]
        result["class_names"] = list(preprocessor.class_names)
    return result
