"""From a config to arrays and a model: load the data source, split it, fit (or apply the saved)
preprocessing, encode the targets as the loss wants them, and build the compiled model after
the lecture's rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nncli.config import Config
from nncli.engine import losses as losses_module
from nncli.engine import optimizers as optimizers_module
from nncli.engine.callbacks import CALLBACKS, Callback
from nncli.engine.model import Sequential, validation_split_index
from nncli import io
from nncli.errors import UsageError
from nncli.experiment import rules


@dataclass
class PreparedData:
    """The split data of one config, raw and preprocessed, ready for the model.

    ``X_*`` are the network's inputs (encoded and scaled); ``X_*_raw`` the features as the source
    gave them (an array, or a ``Frame`` of a table's raw columns); ``y_*`` the raw labels or
    targets (encode them with ``targets``). The test part is None when ``data.test_size`` is 0.
    ``validation_split`` is where training's validation part starts. ``notices``: what applying
    the preprocessing found (a category of the test part never seen in training).
    """

    X_train_raw: Any
    y_train: np.ndarray
    X_test_raw: Any
    y_test: np.ndarray | None
    preprocessor: Any
    task: str
    validation_split: float = 0.0
    description: str = ""
    n_samples: int = 0
    X_train: np.ndarray = field(init=False)
    X_test: np.ndarray | None = field(init=False)
    notices: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.X_train = self.preprocessor.transform_X(self.X_train_raw, self.notices)
        self.X_test = None if self.X_test_raw is None else self.preprocessor.transform_X(self.X_test_raw, self.notices)

    @property
    def n_features(self) -> int:
        """The network's input size (a table's columns once encoded)."""
        return int(self.X_train.shape[1])

    @property
    def columns(self) -> Any:
        """What became of each column of a table (``nncli.data.ColumnReport``); None for arrays."""
        return self.preprocessor.report

    def part(self, split: str) -> tuple[np.ndarray, np.ndarray]:
        """Scaled features and raw labels of ``split``: train (without the validation part), val, test."""
        if split == "test":
            if self.X_test is None:
                raise UsageError("this run has no test split (data.test_size is 0); use --split train or val")
            return self.X_test, self.y_test
        cut = validation_split_index(len(self.X_train), self.validation_split) if self.validation_split \
            else len(self.X_train)
        if split == "train":
            return self.X_train[:cut], self.y_train[:cut]
        if split == "val":
            if not self.validation_split:
                raise UsageError("this run has no validation split (training.validation_split is 0); "
                                 "use --split test or train")
            return self.X_train[cut:], self.y_train[cut:]
        raise UsageError(f"unknown split {split!r} (choose from: test, val, train)")

    def splits(self) -> list[str]:
        """The splits this data has, in reporting order."""
        return ["train", *(["val"] if self.validation_split else []), *(["test"] if self.X_test is not None else [])]


def prepare(config: Config, preprocessor: Any = None) -> PreparedData:
    """Load and split the data of ``config``; fit the preprocessing on the training part, or
    apply ``preprocessor`` (a run's saved one) as it is."""
    from nncli import data

    dataset = config.data.entry.load(config.data.params, config.seed)
    parts = data.split(dataset, test_size=config.data.test_size, split_seed=config.data.split_seed,
                       stratify=config.data.stratify)
    if preprocessor is None:
        preprocessor = data.Preprocessor(config.data.scaler).fit(
            parts.X_train, parts.y_train, dataset.task, dataset.class_names, dataset.feature_names)
    return PreparedData(parts.X_train, parts.y_train, parts.X_test, parts.y_test, preprocessor, dataset.task,
                        validation_split=config.training.validation_split if config.training else 0.0,
                        description=dataset.description, n_samples=dataset.n_samples)


def targets(preprocessor: Any, y_raw: np.ndarray, loss: losses_module.Loss) -> np.ndarray:
    """Raw labels/targets in the encoding ``loss`` expects (indices, a 0/1 column or one-hot)."""
    if preprocessor.task == "regression":
        return preprocessor.encode_y(y_raw)
    indices = np.asarray(preprocessor.encode_y(y_raw)).reshape(-1).astype(np.intp)
    if loss.target_kind == "categorical":
        return losses_module.one_hot(indices, preprocessor.n_classes)
    if loss.target_kind == "binary":
        return indices.reshape(-1, 1).astype(np.float64)
    return indices


def build_model(config: Config, input_dim: int | None = None) -> Sequential:
    """The ``Sequential`` a config describes, compiled when the config has a training section
    (built when the input size is known: ``input_dim``, or the config's own)."""
    model_config = config.model.model_dump()
    if input_dim is not None:
        model_config["input_dim"] = input_dim
    model = Sequential.from_config(model_config, seed=config.seed, dtype=config.dtype)
    if config.training is not None:
        model.compile(optimizer=optimizers_module.get(dict(config.training.optimizer)),
                      loss=losses_module.get(dict(config.training.loss)), metrics=list(config.training.metrics))
    return model


def checked_model(config: Config, prepared: PreparedData) -> tuple[Sequential, Config]:
    """The compiled model for ``prepared`` after the lecture's rules, and the config with the
    input size the data gave."""
    input_dim = rules.check_input_size(config.model.input_dim, prepared.n_features)
    model = build_model(config, input_dim)
    pre = prepared.preprocessor
    rules.check_output(model, prepared.task, pre.n_classes if prepared.task == "classification" else None,
                       pre.n_targets if prepared.task == "regression" else None)
    return model, config.with_input_dim(input_dim)


def config_callbacks(config: Config) -> list[Callback]:
    """The callbacks the config switches on (``training.early_stopping``, ...), from ``CALLBACKS``."""
    return [CALLBACKS[key](**arguments) for key, arguments in config.training.callbacks().items()]


def class_weights(setting: Any, y_indices: np.ndarray, n_classes: int) -> dict[int, float] | None:
    """``None``, ``"balanced"`` (n_samples / (n_classes * count), as scikit-learn) or a mapping."""
    if setting is None:
        return None
    if setting == "balanced":
        counts = np.bincount(y_indices, minlength=n_classes).astype(float)
        return {k: float(len(y_indices) / (n_classes * c)) for k, c in enumerate(counts) if c > 0}
    return {int(k): float(v) for k, v in dict(setting).items()}


def summarize(target: Any) -> Sequential:
    """The built model of a config, an architecture file or a run directory (for ``nncli summary``);
    an input size the file does not give is taken from the data source (loaded only when the
    source cannot tell without loading)."""
    from pathlib import Path

    from nncli import config as config_module
    from nncli.errors import ConfigError
    from nncli.runs import RunDir

    target = Path(target)
    if io.is_folder(target, "summary target"):
        target = RunDir.open(target).config
    loaded = config_module.load_any(target)
    input_dim = loaded.model.input_dim
    if input_dim is None and loaded.data is not None:
        input_dim = loaded.data.n_features or prepare(loaded).n_features
    if input_dim is None:
        key = "input_dim" if loaded.kind == "architecture" else "model.input_dim"
        raise ConfigError(f"{target}: rule 1: the first layer needs the size of your input: set {key} "
                          f"(or summarize a full config whose data section gives it)")
    model_config = {**loaded.model.model_dump(), "input_dim": input_dim}
    return Sequential.from_config(model_config, seed=0, dtype=loaded.dtype)
