"""Command-line overrides (``key.path=value``) and shorthands (``optimizer: adam``).

An override is checked against the schema as it is applied (not only against the file), so a
key that does not exist is an error naming the closest valid key; values are YAML scalars or
flow lists/mappings.
"""

from __future__ import annotations

import copy
import re
from typing import Any

from nncli.config.problems import ConfigValidationError, Origin, dotted, fail, short, unknown_key_message
from nncli.config.reader import EMPTY, parse_yaml
from nncli.config.schema import DataSchema, arguments_model, configurable_callbacks, data_module, section_models
from nncli.engine import layers as layers_module
from nncli.engine import losses as losses_module
from nncli.engine import optimizers as optimizers_module
from nncli.registry import Registry


def expand_shorthands(tree: dict) -> None:
    """``optimizer: adam`` → ``{name: adam}`` (same for loss), ``metrics: auc`` → ``[auc]``,
    ``early_stopping: true`` → ``{}`` (its defaults), ``false`` → null."""
    training = tree.get("training")
    if not isinstance(training, dict):
        return
    for key in ("optimizer", "loss"):
        if isinstance(training.get(key), str):
            training[key] = {"name": training[key]}
    if isinstance(training.get("metrics"), str):
        training["metrics"] = [training["metrics"]]
    for key in configurable_callbacks():
        if training.get(key) is True:
            training[key] = {}
        elif training.get(key) is False:
            training[key] = None


def _keys_at(tree: dict, path: list) -> tuple[list[str] | None, str]:
    """(the keys the schema allows in the mapping at ``path``, whose keys they are for messages);
    None where any key may appear."""
    key_path = dotted(path)
    if key_path in ("", "model", "training"):
        return list(section_models()[key_path].model_fields), ""
    node = _get(tree, path)
    if key_path == "data":
        sources = data_module().SOURCES
        source = node.get("source") if isinstance(node, dict) else None
        if not isinstance(source, str) or source not in sources:
            return None, ""
        canonical = sources.canonical(source)
        keys = list(DataSchema.model_fields) + list(sources[canonical].params.model_fields)
        return keys, f" for data source {canonical!r}"
    if len(path) == 3 and path[:2] == ["model", "layers"]:
        return _registry_keys(node, layers_module.LAYERS, "type")
    if key_path in ("training.loss", "training.optimizer"):
        registry = losses_module.LOSSES if path[1] == "loss" else optimizers_module.OPTIMIZERS
        return _registry_keys(node, registry, "name")
    if len(path) == 2 and path[0] == "training" and path[1] in configurable_callbacks():
        cls = configurable_callbacks()[path[1]]
        return list(arguments_model(cls).model_fields), f" for {cls.__name__}"
    return None, ""


def _registry_keys(node: Any, registry: Registry, name_key: str) -> tuple[list[str] | None, str]:
    name = node.get(name_key) if isinstance(node, dict) else None
    if not isinstance(name, str) or name not in registry:
        return None, ""
    canonical = registry.canonical(name)
    return [name_key] + list(arguments_model(registry[canonical]).model_fields), f" for {registry.kind} {canonical!r}"


def _creatable() -> dict[str, Any]:
    """Sections an override may create when they are absent or null, with what they start as."""
    optimizer = section_models()["training"].model_fields["optimizer"].get_default(call_default_factory=True)
    return {"data": {}, "model": {}, "training": {}, "training.loss": {}, "training.class_weight": {},
            "training.optimizer": optimizer, **{f"training.{key}": {} for key in configurable_callbacks()}}


def _get(tree: Any, path: list) -> Any:
    node = tree
    for part in path:
        node = node[part]
    return node


def parse_override(text: str) -> tuple[list[str], Any]:
    """Split ``"key.path=value"`` into its key parts and the value parsed as YAML.

    Raises
    ------
    ConfigValidationError
        When there is no ``=``, the key is empty or has an empty part, or the value is not
        plain YAML (a flow list/mapping or a scalar).
    """
    label = f"override {text!r}"
    if not isinstance(text, str) or "=" not in text:
        raise fail(label, None, "expected key.path=value, e.g. training.epochs=5 or model.layers.0.units=32")
    key, _, raw_value = text.partition("=")
    parts = key.strip().split(".")
    if not key.strip() or any(not part.strip() for part in parts):
        raise fail(label, None, "the key is empty or has an empty part; expected key.path=value, e.g. training.epochs=5")
    try:
        value, _ = parse_yaml(raw_value, label)
    except ConfigValidationError as error:  # the value's own line and column mean nothing here
        raise ConfigValidationError([p._replace(line=None, key=key.strip()) for p in error.errors]) from None
    return [part.strip() for part in parts], (None if value is EMPTY else value)


def apply_override(tree: dict, text: str, origin: Origin) -> None:
    parts, value = parse_override(text)
    label = f"override {text!r}"
    node: Any = tree
    walked: list = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        shown = dotted(walked + [part])
        if isinstance(node, list):
            if not re.fullmatch(r"-?\d+", part):
                raise fail(label, None, f"{dotted(walked)} is a list: expected an item number, not {part!r}", shown)
            position = int(part)
            if not -len(node) <= position < len(node):
                raise fail(label, None, f"index {position} is out of range: {dotted(walked)} has {len(node)} "
                            f"item{'s' if len(node) != 1 else ''}" + (f" (0 to {len(node) - 1})" if node else ""), shown)
            key: Any = position % len(node)
        elif isinstance(node, dict):
            allowed, owner = _keys_at(tree, walked)
            key = part
            if allowed is None and re.fullmatch(r"\d+", part):
                key = int(part)  # class_weight: {0: 1.0, 1: 3.0}
            if allowed is not None and key not in allowed:
                raise fail(label, None, unknown_key_message(part, allowed, owner), shown)
        else:
            raise fail(label, None, f"{dotted(walked)} holds {short(node)}, not a mapping or a list; set it whole "
                        f"instead, e.g. {dotted(walked)}={{...}}", shown)
        if last:
            node[key] = value
            origin.overridden(walked + [key], label)
            return
        child = node.get(key) if isinstance(node, dict) else node[key]
        if child is None:
            if dotted(walked + [key]) not in _creatable():
                state = "null" if isinstance(node, dict) and key in node else "not set"
                raise fail(label, None, f"{dotted(walked + [key])} is {state}; set it whole, e.g. "
                            f"{dotted(walked + [key])}={{...}}", shown)
            child = node[key] = copy.deepcopy(_creatable()[dotted(walked + [key])])
            origin.overridden(walked + [key], label)  # what is wrong in it comes from this override
        walked.append(key)
        node = child
