"""The config's schema, written once: the static sections as pydantic models (their defaults and
descriptions are the documentation), the arguments of layers, optimizers, losses and callbacks
derived from the engine classes' signatures, and the data sources' own keys from
``nncli.data.SOURCES[name].params``. Adding a component to its registry makes it configurable
with no edit here.
"""

from __future__ import annotations

import functools
import inspect
import re
import typing
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, create_model, field_validator

from nncli.engine import callbacks as callbacks_module

MAX_SEED = 2**32 - 1


STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
ClassIndex = Annotated[int, Strict(False), Field(ge=0)]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


class ExperimentSchema(BaseModel):
    """The top level of an experiment config."""

    model_config = STRICT

    name: str | None = Field(None, min_length=1, description="Run name (runs/<name>); default: the config file's stem.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of weight initialization, shuffling and dropout.")
    data: dict[str, Any] = Field(description="Where the data comes from and how it is split and scaled (DataSchema "
                                 "plus the source's own keys).")
    model: dict[str, Any] = Field(description="The architecture (ModelSchema), or the path of an architecture file "
                                  "(from this file's folder; from the current folder on the command line).")
    training: dict[str, Any] = Field(description="compile() and fit() arguments (TrainingSchema).")

    @field_validator("name")
    @classmethod
    def _usable_as_a_folder_name(cls, value: str | None) -> str | None:
        if value is not None and (value.strip(".") == "" or any(c in value for c in "/\\\x00")):
            raise ValueError("a run name is one folder name: no '/', '\\', '.' or '..'")
        return value


class DataSchema(BaseModel):
    """The ``data`` keys every source shares; the source's own keys sit beside them."""

    model_config = STRICT

    source: str = Field(description="A name from nncli.data.SOURCES (digits, iris, lfw, csv, ...).")
    test_size: Fraction = Field(0.25, description="Fraction held out as the test set, in [0, 1); 0 for none.")
    split_seed: int = Field(0, ge=0, le=MAX_SEED, description="random_state of train_test_split.")
    stratify: bool = Field(False, description="Keep class proportions equal in both parts (classification).")
    scaler: str = Field("standard", description="Feature scaling fit on the training part: standard, minmax or none.")


class ModelSchema(BaseModel):
    """The architecture: a ``Sequential`` of layers (each layer's keys are its class's arguments)."""

    model_config = STRICT

    input_dim: int | None = Field(None, gt=0, description="Number of input features; default: taken from the data.")
    layers: list[dict[str, Any]] = Field(min_length=1, description="Layers in order, each {type: Dense, units: 10, ...}.")


class TrainingBase(BaseModel):
    """``compile()`` and ``fit()`` arguments, with Keras's defaults (the callbacks a config can
    switch on are added by ``training_schema``, one key per ``CALLBACKS`` entry)."""

    model_config = STRICT

    loss: dict[str, Any] = Field(description="A loss name (binary_crossentropy, mse, ...) or {name: ..., from_logits: ...}.")
    optimizer: dict[str, Any] = Field(default_factory=lambda: {"name": "rmsprop"},
                                      description="An optimizer name or {name: adam, learning_rate: 0.001, ...}; "
                                      "Keras's compile() default is rmsprop.")
    metrics: list[str] = Field(default_factory=list, description="Metric names reported each epoch (accuracy, auc, ...).")
    batch_size: int = Field(32, gt=0, description="Samples per gradient step.")
    epochs: int = Field(1, gt=0, description="Passes over the training data (at least 1).")
    validation_split: Fraction = Field(0.0, description="Last fraction of the training data kept for validation, in [0, 1).")
    shuffle: bool = Field(True, description="Shuffle the training data before each epoch.")
    class_weight: None | Literal["balanced"] | dict[ClassIndex, Annotated[float, Field(ge=0.0)]] = Field(
        None, description="null, 'balanced', or {class_index: weight} scaling each sample's loss.")
    dtype: Literal["float32", "float64"] = Field("float32", description="Floating-point type of weights and data.")

    def callbacks(self) -> dict[str, dict[str, Any]]:
        """The configurable callbacks switched on, by their key: ``{"early_stopping": {...}}``."""
        return {key: getattr(self, key) for key in configurable_callbacks() if getattr(self, key, None) is not None}


def configurable_callbacks() -> dict[str, type]:
    """The callbacks a config can switch on: each ``CALLBACKS`` entry, by its YAML key."""
    return dict(callbacks_module.CALLBACKS.items())


def training_schema() -> type[TrainingBase]:
    """The ``training`` section's model: ``TrainingBase`` plus one key per callback entry."""
    return _training_schema(tuple(configurable_callbacks().items()))


@functools.lru_cache(maxsize=8)
def _training_schema(entries: tuple[tuple[str, type], ...]) -> type[TrainingBase]:
    fields = {}
    for key, cls in entries:
        summary = (inspect.getdoc(cls) or "").split("\n")[0].rstrip(".")
        fields[key] = (dict[str, Any] | None, Field(None, description=f"null or false: off; true: {cls.__name__} with its "
                                                    f"defaults; or its arguments, e.g. {{monitor: val_loss}}: {summary}."))
    return create_model("TrainingSchema", __base__=TrainingBase, **fields)


def section_models() -> dict[str, type[BaseModel]]:
    """The static sections' models, by their dotted prefix ("" for the top level)."""
    return {"": ExperimentSchema, "data": DataSchema, "model": ModelSchema, "training": training_schema()}


@functools.lru_cache(maxsize=None)
def arguments_model(cls: type) -> type[BaseModel]:
    """A pydantic model of ``cls.__init__``'s keyword arguments: names, types and defaults.

    This is how layers, optimizers, losses and callbacks become configurable without being
    declared twice: the engine's signature is the schema, its constructor checks the values.
    """
    try:
        hints = typing.get_type_hints(cls.__init__)
    except Exception:  # an annotation that does not evaluate: accept any value there
        hints = {}
    fields: dict[str, Any] = {}
    descriptions = _parameter_descriptions(cls)
    for parameter in inspect.signature(cls).parameters.values():
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        default = ... if parameter.default is parameter.empty else parameter.default
        annotation = hints.get(parameter.name, Any)
        fields[parameter.name] = (annotation, Field(default, description=descriptions.get(parameter.name)))
    return create_model(f"{cls.__name__}Arguments", __config__=STRICT, **fields)


def _parameter_descriptions(cls: type) -> dict[str, str]:
    """First description line of each parameter in a NumPy-style class docstring."""
    doc = inspect.getdoc(cls) or ""
    found: dict[str, str] = {}
    lines = doc.splitlines()
    for index, line in enumerate(lines):
        match = re.match(r"^([\w, ]+) : .+$", line)
        if match and index + 1 < len(lines) and lines[index + 1].startswith("    "):
            for name in match.group(1).split(","):
                found[name.strip()] = lines[index + 1].strip()
    return found


def markdown_rows() -> list[str]:
    """The README's config table, one ``| `key` | default | meaning |`` line per key."""
    def shown(default: Any) -> str:
        return default if default == "required" else f"`{default if isinstance(default, str) else repr(default)}`"

    return [f"| `{key}` | {shown(default)} | {description} |" for key, default, description in schema_rows()]


def schema_rows() -> list[tuple[str, Any, str]]:
    """(dotted key, default or "required", description) of every key of the static sections.

    Layer, optimizer, loss and callback arguments are those of the engine classes (see
    ``arguments_model``); data-source keys are those of ``nncli.data.SOURCES[name].params``.
    """
    rows = []
    for prefix, model in section_models().items():
        for name, info in model.model_fields.items():
            rows.append((f"{prefix}.{name}" if prefix else name, _default(info), info.description or ""))
        if prefix == "data":
            rows.extend(source_rows())
    return rows


def source_rows() -> list[tuple[str, Any, str]]:
    """The data sources' own keys: ``(data.key, default, "csv, npz: description")``, one row for
    the sources whose key has the same default and meaning."""
    sources = data_module().SOURCES
    users: dict[tuple[str, str, str], list[str]] = {}
    defaults: dict[tuple[str, str, str], Any] = {}
    for source in sources.names():
        for name, info in sources[source].params.model_fields.items():
            default = _default(info)
            key = (name, repr(default), info.description or "")
            users.setdefault(key, []).append(source)
            defaults[key] = default
    def lower_first(text: str) -> str:
        return text[:1].lower() + text[1:] if text[1:2].islower() else text

    return [(f"data.{name}", defaults[key], f"{', '.join(users[key])}: {lower_first(description)}")
            for key, (name, _, description) in ((key, key) for key in users)]


def _default(info: Any) -> Any:
    return "required" if info.is_required() else info.get_default(call_default_factory=True)


def data_module():
    from nncli import data  # imported on first use: it imports NumPy

    return data
