"""Validating each part of a config and collecting every problem (never stopping at the first).

Static sections go through their pydantic models (``schema``); a layer, loss, optimizer or
callback entry is type-checked against its engine class's signature and then built once, so its
own constructor checks the values (and an argument it refuses is named). Arguments that name an
activation, initializer or regularizer are looked up in those registries.
"""

from __future__ import annotations

import re
from typing import Any

from pydantic import ValidationError

from nncli.config.problems import Problems, dotted, pydantic_problems, short, validate_section
from nncli.config.schema import (
    DataSchema,
    ExperimentSchema,
    ModelSchema,
    arguments_model,
    configurable_callbacks,
    data_module,
    training_schema,
)
from nncli.engine import layers as layers_module
from nncli.engine import losses as losses_module
from nncli.engine import metrics as metrics_module
from nncli.engine import optimizers as optimizers_module
from nncli.errors import ConfigError, UnknownNameError
from nncli.registry import Registry, closest


def _blame(prefix: tuple, args: dict, message: str) -> str:
    """The key an engine error message is about (an argument it names, or whose value it quotes)."""
    leaves: list[tuple[tuple, Any]] = []
    for name, value in args.items():
        leaves.append(((name,), value))
        if isinstance(value, dict):
            leaves.extend(((name, key), inner) for key, inner in value.items())
    tests = (
        lambda path, value: re.search(rf"\b{re.escape(str(path[-1]))}=", message),
        lambda path, value: re.search(rf"\b{re.escape(str(path[-1]))}\b", message),
        lambda path, value: isinstance(value, str) and repr(value) in message,
    )
    for test in tests:
        for path, value in leaves:
            if test(path, value):
                return dotted(prefix + path)
    return dotted(prefix)


def name_registries() -> list[tuple[str, Registry, Any]]:
    """(argument-name suffix, registry, getter) for arguments that name a component.

    Any engine argument called ``activation``/``*_activation``, ``*initializer`` or
    ``*regularizer`` is checked against that registry, so a new layer's arguments get the same
    checks (and closest-name suggestions) with no edit here.
    """
    from nncli.engine import activations, initializers, regularizers

    return [("activation", activations.ACTIVATIONS, activations.get),
            ("initializer", initializers.INITIALIZERS, initializers.get),
            ("regularizer", regularizers.REGULARIZERS, regularizers.get)]


def _check_component_names(args: dict, prefix: tuple, problems: Problems) -> set[str]:
    """Check arguments that name an activation, initializer or regularizer; return the bad ones."""
    bad: set[str] = set()
    for name, value in args.items():
        for suffix, registry, getter in name_registries():
            if not name.endswith(suffix) or value is None:
                continue
            try:
                getter(value)
            except ConfigError as error:
                inner = value if isinstance(value, dict) else {}
                problems.append((_blame(prefix + (name,), inner, str(error)), str(error)))
                bad.add(name)
            except Exception as error:
                problems.append((dotted(prefix + (name,)), f"invalid {registry.kind}: {type(error).__name__}: {error}"))
                bad.add(name)
    return bad


def _check_arguments(cls: type, args: dict, prefix: tuple, problems: Problems, owner: str,
                     name_key: str | None) -> dict | None:
    """Type-check ``args`` against ``cls``'s signature, then let its constructor check values.

    When the constructor refuses an optional argument, that argument is reported and set back
    to its default, and the constructor runs again, so one call reports every bad argument.
    """
    extra = (name_key,) if name_key else ()
    model = arguments_model(cls)
    validated = validate_section(model, args, prefix, problems, owner, extra)
    if validated is None:
        return None
    bad = _check_component_names(validated, prefix, problems)
    trial = {key: (model.model_fields[key].get_default() if key in bad else value) for key, value in validated.items()}
    for _ in range(len(trial) + 1):
        try:
            cls(**trial)
            break
        except ConfigError as error:
            key = _blame(prefix, trial, str(error))
            problems.append((key, str(error)))
            argument = key[len(dotted(prefix)) + 1:].split(".")[0] if key != dotted(prefix) else None
            if argument not in trial or model.model_fields[argument].is_required():
                return None
            bad.add(argument)
            trial[argument] = model.model_fields[argument].get_default()
        except Exception as error:  # the engine refused the values in some other way
            problems.append((dotted(prefix), f"invalid arguments{owner}: {type(error).__name__}: {error}"))
            return None
    return None if bad else validated


def _check_named(raw: Any, prefix: tuple, registry: Registry, problems: Problems, name_key: str = "name") -> dict | None:
    """A ``{name: ..., **arguments}`` entry of ``registry`` (a loss, optimizer or layer)."""
    if not isinstance(raw, dict):
        example = registry.names()[0]
        problems.append((dotted(prefix), f"expected a {registry.kind} name such as {example!r} or a mapping with "
                         f"{name_key!r}; received {short(raw)}"))
        return None
    if name_key not in raw or raw[name_key] is None:
        problems.append((dotted(prefix + (name_key,)), f"missing required key {name_key!r}: the {registry.kind} "
                         f"(choose from: {', '.join(registry.names())})"))
        return None
    try:
        canonical = registry.canonical(raw[name_key])
    except UnknownNameError as error:
        problems.append((dotted(prefix + (name_key,)), str(error)))
        return None
    args = {key: value for key, value in raw.items() if key != name_key}
    checked = _check_arguments(registry[canonical], args, prefix, problems, f" for {registry.kind} {canonical!r}", name_key)
    return None if checked is None else {name_key: canonical, **checked}


def _check_data(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    """The common keys (DataSchema) and the source's own keys (``SOURCES[source].params``)."""
    scalers = data_module().SCALERS
    common_keys = list(DataSchema.model_fields)
    common = validate_section(DataSchema, {k: v for k, v in raw.items() if k in common_keys}, prefix, problems)
    if common is not None and common["scaler"] not in scalers:
        problems.append((dotted(prefix + ("scaler",)), scalers.unknown_message(common["scaler"])))
        common = None
    params = _check_source_params(raw, prefix, problems, common_keys)
    if common is None or params is None:
        return None
    source, own = params
    common["scaler"] = scalers.canonical(common["scaler"])
    return {"source": source, **own, **{k: common[k] for k in common_keys if k != "source"}}


def _check_source_params(raw: dict, prefix: tuple, problems: Problems,
                         common_keys: list[str]) -> tuple[str, dict] | None:
    """(canonical source name, its validated keys), or None (problems appended)."""
    sources = data_module().SOURCES
    source_name = raw.get("source")
    if not isinstance(source_name, str):  # missing or not text: DataSchema reports it
        return None
    if source_name not in sources:
        problems.append((dotted(prefix + ("source",)), sources.unknown_message(source_name)))
        return None
    canonical = sources.canonical(source_name)
    params_model = sources[canonical].params
    own = {k: v for k, v in raw.items() if k not in common_keys}
    try:
        return canonical, params_model.model_validate(own).model_dump()
    except ValidationError as error:
        problems.extend(pydantic_problems(error, own, prefix, list(params_model.model_fields) + common_keys,
                                           f" for data source {canonical!r}"))
    except Exception as error:  # a source's own validator failing in some other way
        problems.append((dotted(prefix), f"invalid keys for data source {canonical!r}: {error}"))
    return None


def check_model(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    section = validate_section(ModelSchema, raw, prefix, problems)
    layers_raw = raw.get("layers")
    layers: list[dict | None] = []
    if isinstance(layers_raw, list):
        for index, layer in enumerate(layers_raw):
            if isinstance(layer, dict):
                layers.append(_check_named(layer, prefix + ("layers", index), layers_module.LAYERS, problems, "type"))
    if section is None or any(layer is None for layer in layers):
        return None
    first = layers[0]
    given = first.get("input_dim") or (first.get("input_shape") and _first_dim(first["input_shape"]))
    if section["input_dim"] is not None and given and given != section["input_dim"]:
        problems.append((dotted(prefix + ("input_dim",)), f"model.input_dim={section['input_dim']} but the first layer "
                         f"says {given}; give the input size once"))
        return None
    return {"input_dim": section["input_dim"], "layers": layers}


def _first_dim(shape: Any) -> Any:
    return shape[0] if isinstance(shape, (list, tuple)) and shape else shape


def _check_training(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    section = validate_section(training_schema(), raw, prefix, problems)
    resolved: dict[str, Any] = {}
    ok = section is not None
    for key, registry in (("loss", losses_module.LOSSES), ("optimizer", optimizers_module.OPTIMIZERS)):
        value = raw.get(key, training_schema().model_fields[key].get_default(call_default_factory=True))
        if isinstance(value, dict):  # other types are reported by the section model
            resolved[key] = _check_named(value, prefix + (key,), registry, problems)
            ok = ok and resolved[key] is not None
    metrics_raw = raw.get("metrics")
    if isinstance(metrics_raw, list):
        resolved["metrics"] = []
        for index, name in enumerate(metrics_raw):
            if isinstance(name, str):
                try:
                    resolved["metrics"].append(metrics_module.METRICS.canonical(name))
                except UnknownNameError as error:
                    problems.append((dotted(prefix + ("metrics", index)), str(error)))
                    ok = False
    for key, cls in configurable_callbacks().items():
        if isinstance(raw.get(key), dict):
            resolved[key] = _check_arguments(cls, raw[key], prefix + (key,), problems, f" for {cls.__name__}", None)
            ok = ok and resolved[key] is not None
    if not ok:
        return None
    section.update(resolved)
    fits = _check_metrics_fit_the_loss(section, prefix, problems)
    monitors_ok = _check_monitors(section, prefix, problems)
    return section if monitors_ok and fits else None


def _check_metrics_fit_the_loss(training: dict, prefix: tuple, problems: Problems) -> bool:
    """A metric that needs classes (its entry says so) with a regression loss is a located problem."""
    loss = losses_module.LOSSES[training["loss"]["name"]]
    if loss.target_kind in losses_module.TARGET_KINDS["classification"]:
        return True
    wrong = [(index, name) for index, name in enumerate(training["metrics"]) if metrics_module.METRICS[name].needs_classes]
    for index, name in wrong:
        problems.append((dotted(prefix + ("metrics", index)),
                         f"metric {name!r} needs a classification loss, but the loss is {loss.name!r}; for regression "
                         f"use {', '.join(metrics_module.regression_metrics())}"))
    return not wrong


def _check_monitors(training: dict, prefix: tuple, problems: Problems) -> bool:
    """A callback's ``monitor`` must be a quantity training reports (val_* need validation data)."""
    reported = ["loss", *training["metrics"]]
    has_validation = training["validation_split"] > 0
    ok = True
    for key in configurable_callbacks():
        settings = training.get(key)
        if not settings or "monitor" not in settings:  # only callbacks that watch a quantity
            continue
        monitor = settings["monitor"]
        base = monitor[4:] if monitor.startswith("val_") else monitor
        where = dotted(prefix + (key, "monitor"))
        if base not in reported:
            choices = reported + ([f"val_{name}" for name in reported] if has_validation else [])
            suggestion = closest(monitor, choices)
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            problems.append((where, f"training does not report {monitor!r}{hint} (reported: {', '.join(choices)})"))
            ok = False
        elif monitor.startswith("val_") and not has_validation:
            problems.append((where, f"{monitor!r} needs validation data: set training.validation_split (e.g. 0.2), "
                             f"or monitor {base!r}"))
            ok = False
    return ok


def check_experiment(tree: dict) -> tuple[dict | None, Problems]:
    problems: Problems = []
    top = validate_section(ExperimentSchema, tree, (), problems)
    sections: dict[str, Any] = {}
    for key, check in (("data", _check_data), ("model", check_model), ("training", _check_training)):
        if isinstance(tree.get(key), dict):
            sections[key] = check(tree[key], (key,), problems)
    if problems or top is None:
        return None, problems
    return {"name": top["name"], "seed": top["seed"], **sections}, problems
