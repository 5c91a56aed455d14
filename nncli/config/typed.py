"""The resolved config, typed: what the rest of nncli reads (``config.training.batch_size``).

Every default lives in the schema (``nncli.config.schema``); a ``Config`` is built from a fully
validated mapping, so no reader re-states one. Data file paths are already absolute.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any

from nncli.config.schema import DataSchema, ModelSchema, TrainingBase, data_module, training_schema


@dataclass(frozen=True)
class DataConfig:
    """The ``data`` section: the keys every source shares and the source's own, typed.

    Attributes of both are read directly (``config.data.test_size``, ``config.data.path``);
    ``params`` is the source's own keys as its ``SourceParams`` model, ``entry`` the registry entry.
    """

    common: DataSchema
    params: Any

    @classmethod
    def from_values(cls, values: dict[str, Any]) -> "DataConfig":
        entry = data_module().SOURCES[values["source"]]
        common = DataSchema.model_validate({k: values[k] for k in DataSchema.model_fields if k in values})
        own = {k: v for k, v in values.items() if k not in DataSchema.model_fields}
        return cls(common, entry.params.model_validate(own))

    def __getattr__(self, name: str) -> Any:
        for part in ("common", "params"):
            section = self.__dict__.get(part)
            if section is not None and name in type(section).model_fields:
                return getattr(section, name)
        raise AttributeError(f"the data section has no key {name!r}")

    @property
    def entry(self) -> Any:
        """The data source (``nncli.data.SOURCES[source]``)."""
        return data_module().SOURCES[self.common.source]

    @cached_property
    def n_features(self) -> int | None:
        """The number of features, when the source knows it without loading the data."""
        return self.entry.n_features(self.params)

    def to_dict(self) -> dict[str, Any]:
        common = self.common.model_dump()
        return {"source": common.pop("source"), **self.params.model_dump(), **common}


@dataclass(frozen=True)
class Config:
    """A validated config with every default filled, shorthands expanded and the model inlined.

    Attributes
    ----------
    kind : {"experiment", "architecture"}
        A full config (name, seed, data, model, training) or an architecture file (model only).
    path : Path or None
        The file it was read from.
    overrides : tuple of str
        The ``key.path=value`` overrides applied, in order.
    """

    name: str
    seed: int
    model: ModelSchema
    data: DataConfig | None = None
    training: TrainingBase | None = None
    kind: str = "experiment"
    path: Path | None = None
    overrides: tuple[str, ...] = field(default_factory=tuple)

    @classmethod
    def from_values(cls, values: dict[str, Any], kind: str = "experiment", path: Path | None = None,
                    overrides: tuple[str, ...] | list[str] = ()) -> "Config":
        """A ``Config`` from a mapping the checks accepted (``{"name", "seed", "data", ...}``, or
        the model section alone for an architecture file)."""
        if kind == "architecture":
            return cls(name=path.stem if path else "model", seed=0, model=ModelSchema.model_validate(values),
                       kind=kind, path=path)
        return cls(name=values["name"], seed=values["seed"], model=ModelSchema.model_validate(values["model"]),
                   data=DataConfig.from_values(values["data"]),
                   training=training_schema().model_validate(values["training"]),
                   kind=kind, path=path, overrides=tuple(overrides))

    @property
    def base_dir(self) -> Path:
        """The config file's folder (relative paths written in the file start here)."""
        return self.path.resolve().parent if self.path is not None else Path.cwd()

    @property
    def dtype(self) -> str:
        return self.training.dtype if self.training is not None else "float32"

    def with_input_dim(self, input_dim: int) -> "Config":
        """The same config with ``model.input_dim`` set (the size taken from the data)."""
        return replace(self, model=self.model.model_copy(update={"input_dim": int(input_dim)}))

    def with_epochs(self, epochs: int) -> "Config":
        return replace(self, training=self.training.model_copy(update={"epochs": int(epochs)}))

    def to_dict(self) -> dict[str, Any]:
        """The full config: safe to ``yaml.safe_dump`` and load again to the same config."""
        model = copy.deepcopy(self.model.model_dump())
        if self.kind == "architecture":
            return model
        return {"name": self.name, "seed": self.seed, "data": self.data.to_dict(), "model": model,
                "training": copy.deepcopy(self.training.model_dump())}
