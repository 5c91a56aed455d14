"""YAML configs: read safely, apply ``key.path=value`` overrides, validate, fill every default.

One pipeline, in this order:

1. read the file with ``yaml.SafeLoader`` rules, remembering the line of every key (python tags,
   alias bombs, duplicate keys, non-mapping roots and syntax errors are refused here);
2. inline ``model: path/to/architecture.yaml`` (relative to the config file);
3. expand the shorthands (``optimizer: adam`` → ``{name: adam}``, ``loss: mse`` → ``{name: mse}``);
4. apply the overrides, each checked against the schema (not only the file);
5. validate everything and collect *all* problems, then raise one ``ConfigValidationError``
   whose message has one ``file:line key: message`` line per problem.

The schema is written once. The static sections are the pydantic models below (their field
defaults and descriptions are the documentation); the arguments of layers, optimizers, losses
and callbacks are derived from the engine classes' ``__init__`` signatures, and the engine's
own constructor then checks the values. Adding a layer or an optimizer to its registry makes it
configurable with no edit here. Data-source keys come from ``nncli.data.SOURCES[...].params``.
"""

from __future__ import annotations

import copy
import functools
import inspect
import re
import typing
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple

import yaml
from pydantic import BaseModel, ConfigDict, Field, Strict, ValidationError, create_model, field_validator

from nncli.engine import callbacks as callbacks_module
from nncli.engine import layers as layers_module
from nncli.engine import losses as losses_module
from nncli.engine import metrics as metrics_module
from nncli.engine import optimizers as optimizers_module
from nncli.errors import ConfigError, UnknownNameError
from nncli.registry import Registry, closest

#: Largest number of values a document may expand to (aliases counted each time they are used).
MAX_NODES = 10_000
#: Deepest nesting of lists and mappings accepted.
MAX_DEPTH = 40
#: Largest config file read, in bytes.
MAX_FILE_BYTES = 1_000_000
MAX_SEED = 2**32 - 1

# Keras 1/2 spellings a Keras user may still type.
_OLD_KERAS_NAMES = {"lr": "learning_rate", "nb_epoch": "epochs", "output_dim": "units", "init": "kernel_initializer"}


# ============================================================================================
# Errors
# ============================================================================================
class ConfigProblem(NamedTuple):
    """One problem: where (file and line, or ``override 'k=v'`` with no line), key and message."""

    file: str | None
    line: int | None
    key: str | None
    message: str

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        if where and self.key:
            return f"{where} {self.key}: {self.message}"
        if where or self.key:
            return f"{where or self.key}: {self.message}"
        return self.message


class ConfigValidationError(ConfigError):
    """Every problem found in a config, one per line of the message (``.errors`` lists them)."""

    def __init__(self, errors: list[ConfigProblem]) -> None:
        self.errors = list(errors)
        super().__init__("\n".join(str(problem) for problem in self.errors))


def _fail(file: str | None, line: int | None, message: str, key: str | None = None) -> ConfigValidationError:
    return ConfigValidationError([ConfigProblem(file, line, key, message)])


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


# ============================================================================================
# Reading YAML safely, with the line of every key
# ============================================================================================
_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("null", "bool", "int", "float", "str")}
_TIMESTAMP_TAG = _TAG + "timestamp"
_MERGE_TAG = _TAG + "merge"
Lines = dict[str, tuple[str, int]]  # dotted key ("" for the root) -> (file, 1-based line)


def _dotted(path: tuple | list) -> str:
    return ".".join(str(part) for part in path)


class _TreeBuilder:
    """Turns composed YAML nodes into plain Python values, recording the line of each key.

    Aliases are expanded by building their node again (so no two places share an object) and
    every built value is counted, which stops "billion laughs" documents early.
    """

    def __init__(self, loader: yaml.SafeLoader, file: str) -> None:
        self.loader = loader
        self.file = file
        self.count = 0
        self.lines: Lines = {}
        self.top_line = 1  # the line of the top-level key being read (where an alias bomb goes off)

    def build(self, node: yaml.Node, path: tuple, depth: int = 0) -> Any:
        self.count += 1
        line = node.start_mark.line + 1
        if self.count > MAX_NODES:
            raise _fail(self.file, self.top_line, f"the document expands to more than {MAX_NODES:,} values (through anchors "
                        "'&' and aliases '*'); refused. Write the values out, or use fewer aliases")
        if depth > MAX_DEPTH:
            raise _fail(self.file, line, f"lists and mappings are nested more than {MAX_DEPTH} deep; refused")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _TAG + "seq")
            items = []
            for index, child in enumerate(node.value):
                self.lines[_dotted(path + (index,))] = (self.file, child.start_mark.line + 1)
                items.append(self.build(child, path + (index,), depth + 1))
            return items
        self._check_tag(node, _TAG + "map")
        return self._mapping(node, path, depth)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise self._tag_error(node)

    def _tag_error(self, node: yaml.Node) -> ConfigValidationError:
        return _fail(self.file, node.start_mark.line + 1, f"unsupported YAML tag {node.tag!r}: configs hold only plain "
                     "values, lists and mappings (yaml.safe_load rules); nothing was executed")

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TIMESTAMP_TAG:  # a date-like text stays text
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise self._tag_error(node)
        return self.loader.construct_object(node, deep=True)

    def _mapping(self, node: yaml.MappingNode, path: tuple, depth: int) -> dict:
        result: dict = {}
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _fail(self.file, key_node.start_mark.line + 1, "mapping keys must be plain names, not lists or mappings")
            key = self._scalar(key_node)
            line = key_node.start_mark.line + 1
            if depth == 0:
                self.top_line = line
            if key in result:
                first = self.lines.get(_dotted(path + (key,)), (self.file, line))[1]
                raise _fail(self.file, line, f"duplicate key (first given on line {first}); keep one of them",
                            _dotted(path + (key,)))
            self.lines[_dotted(path + (key,))] = (self.file, line)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for source in merged:  # `<<: *base`: explicit keys win over merged ones
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: tuple, depth: int) -> list[dict]:
        value = self.build(node, path, depth + 1)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise _fail(self.file, node.start_mark.line + 1, "'<<' merges mappings only (an alias of a mapping, or a list of them)")
        return sources


_EMPTY = object()


class _Loader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that also reads ``1e-3`` and ``1e6`` as floats.

    YAML 1.1 (PyYAML) wants a dot (``1.0e-3``) and would read ``1e-3`` as the string "1e-3";
    every Keras user writes ``learning_rate: 1e-3``.
    """


_Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _parse_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """(value, lines) of one YAML document; ``_EMPTY`` when the document holds nothing."""
    try:
        loader = _Loader(text)  # the reader checks the characters here already
    except yaml.YAMLError as error:
        raise _fail(file, None, f"not readable as YAML: {' '.join(str(error).split())}") from None
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            raise _fail(file, None, "lists and mappings are nested too deeply; refused") from None
        except yaml.MarkedYAMLError as error:
            raise _syntax_error(file, error) from None
        except yaml.YAMLError as error:
            raise _fail(file, None, f"not readable as YAML: {' '.join(str(error).split())}") from None
        if root is None:
            return _EMPTY, {}
        builder = _TreeBuilder(loader, file)
        builder.lines[""] = (file, root.start_mark.line + 1)
        try:
            value = builder.build(root, ())
        except RecursionError:
            raise _fail(file, None, "lists and mappings are nested too deeply; refused") from None
        except yaml.MarkedYAMLError as error:  # a scalar that does not construct
            raise _syntax_error(file, error) from None
        return value, builder.lines
    finally:
        loader.dispose()


def _syntax_error(file: str, error: yaml.MarkedYAMLError) -> ConfigValidationError:
    mark = error.problem_mark or error.context_mark
    problem = error.problem or "invalid YAML"
    context = f" ({error.context}" if error.context else ""
    if context and error.context_mark is not None and error.context_mark.line != (mark and mark.line):
        context += f" started on line {error.context_mark.line + 1}"
    context += ")" if context else ""
    if mark is None:
        return _fail(file, None, f"YAML syntax error: {problem}{context}")
    return _fail(file, mark.line + 1, f"YAML syntax error at column {mark.column + 1}: {problem}{context}")


def _read_text(path: Path, label: str) -> str:
    if not path.exists():
        raise _fail(label, None, "file not found")
    if path.is_dir():
        raise _fail(label, None, "is a directory; expected a YAML file")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise _fail(label, None, f"is {size:,} bytes; a config is at most {MAX_FILE_BYTES:,} bytes")
        data = path.read_bytes()
    except OSError as error:
        raise _fail(label, None, f"cannot be read: {error.strerror or error}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise _fail(label, None, f"is not UTF-8 text (byte {error.start}); save it as UTF-8") from None


def _read_mapping(path: Path, label: str, what: str) -> tuple[dict, Lines]:
    value, lines = _parse_yaml(_read_text(path, label), label)
    if value is _EMPTY:
        raise _fail(label, None, f"the file is empty; expected {what}")
    if not isinstance(value, dict):
        line = lines.get("", (label, 1))[1]
        raise _fail(label, line, f"the top level must be {what}; found {_kind_of(value)}")
    return value, lines


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    return f"the value {_short(value)}"


# ============================================================================================
# The schema: static sections (pydantic), engine arguments (derived from signatures)
# ============================================================================================
_STRICT = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)
ClassIndex = Annotated[int, Strict(False), Field(ge=0)]
Fraction = Annotated[float, Field(ge=0.0, lt=1.0)]


class ExperimentSchema(BaseModel):
    """The top level of an experiment config."""

    model_config = _STRICT

    name: str | None = Field(None, min_length=1, description="Run name (runs/<name>); default: the config file's stem.")
    seed: int = Field(0, ge=0, le=MAX_SEED, description="Seed of weight initialization, shuffling and dropout.")
    data: dict[str, Any] = Field(description="Where the data comes from and how it is split and scaled (DataSchema "
                                 "plus the source's own keys).")
    model: dict[str, Any] = Field(description="The architecture (ModelSchema), or a path to an architecture file "
                                  "relative to this config file.")
    training: dict[str, Any] = Field(description="compile() and fit() arguments (TrainingSchema).")

    @field_validator("name")
    @classmethod
    def _usable_as_a_folder_name(cls, value: str | None) -> str | None:
        if value is not None and (value.strip(".") == "" or any(c in value for c in "/\\\x00")):
            raise ValueError("a run name is one folder name: no '/', '\\', '.' or '..'")
        return value


class DataSchema(BaseModel):
    """The ``data`` keys every source shares; the source's own keys sit beside them."""

    model_config = _STRICT

    source: str = Field(description="A name from nncli.data.SOURCES (digits, iris, lfw, csv, ...).")
    test_size: Fraction = Field(0.25, description="Fraction held out as the test set, in [0, 1); 0 for none.")
    split_seed: int = Field(0, ge=0, le=MAX_SEED, description="random_state of train_test_split.")
    stratify: bool = Field(False, description="Keep class proportions equal in both parts (classification).")
    scaler: str = Field("standard", description="Feature scaling fit on the training part: standard, minmax or none.")


class ModelSchema(BaseModel):
    """The architecture: a ``Sequential`` of layers (each layer's keys are its class's arguments)."""

    model_config = _STRICT

    input_dim: int | None = Field(None, gt=0, description="Number of input features; default: taken from the data.")
    layers: list[dict[str, Any]] = Field(min_length=1, description="Layers in order, each {type: Dense, units: 10, ...}.")


class TrainingSchema(BaseModel):
    """``compile()`` and ``fit()`` arguments, with Keras's defaults."""

    model_config = _STRICT

    loss: dict[str, Any] = Field(description="A loss name (binary_crossentropy, mse, ...) or {name: ..., from_logits: ...}.")
    optimizer: dict[str, Any] = Field(default_factory=lambda: {"name": "rmsprop"},
                                      description="An optimizer name or {name: adam, learning_rate: 0.001, ...}; "
                                      "Keras's compile() default is rmsprop.")
    metrics: list[str] = Field(default_factory=list, description="Metric names reported each epoch (accuracy, auc, ...).")
    batch_size: int = Field(32, gt=0, description="Samples per gradient step.")
    epochs: int = Field(1, ge=0, description="Passes over the training data.")
    validation_split: Fraction = Field(0.0, description="Last fraction of the training data kept for validation, in [0, 1).")
    shuffle: bool = Field(True, description="Shuffle the training data before each epoch.")
    class_weight: None | Literal["balanced"] | dict[ClassIndex, Annotated[float, Field(ge=0.0)]] = Field(
        None, description="null, 'balanced', or {class_index: weight} scaling each sample's loss.")
    early_stopping: dict[str, Any] | None = Field(
        None, description="null, or EarlyStopping's arguments ({monitor: val_loss, patience: 3, ...}).")
    reduce_lr_on_plateau: dict[str, Any] | None = Field(
        None, description="null, or ReduceLROnPlateau's arguments ({monitor: val_loss, factor: 0.1, ...}).")
    dtype: Literal["float32", "float64"] = Field("float32", description="Floating-point type of weights and data.")


_SECTION_MODELS: dict[str, type[BaseModel]] = {"": ExperimentSchema, "data": DataSchema, "model": ModelSchema,
                                               "training": TrainingSchema}
_CALLBACK_CLASSES = {"early_stopping": callbacks_module.EarlyStopping,
                     "reduce_lr_on_plateau": callbacks_module.ReduceLROnPlateau}


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
    return create_model(f"{cls.__name__}Arguments", __config__=_STRICT, **fields)


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


def schema_rows() -> list[tuple[str, Any, str]]:
    """(dotted key, default or "required", description) of every key of the static sections.

    Layer, optimizer, loss and callback arguments are those of the engine classes (see
    ``arguments_model``); data-source keys are those of ``nncli.data.SOURCES[name].params``.
    """
    rows = []
    for prefix, model in _SECTION_MODELS.items():
        for name, info in model.model_fields.items():
            default = "required" if info.is_required() else info.get_default(call_default_factory=True)
            rows.append((f"{prefix}.{name}" if prefix else name, default, info.description or ""))
    return rows


def _data_module():
    from nncli import data  # imported on first use: the module is large and being extended

    return data


# ============================================================================================
# Turning pydantic errors into located messages
# ============================================================================================
_TYPE_NOUNS = {"int_type": "an integer", "float_type": "a number", "bool_type": "true or false",
               "string_type": "a string", "dict_type": "a mapping", "list_type": "a list",
               "none_required": "null", "int_parsing": "an integer", "float_parsing": "a number",
               "finite_number": "a finite number"}

Problems = list[tuple[str, str]]  # (dotted key, message)


def _real_path(data: Any, loc: tuple, missing: bool) -> list:
    """The part of a pydantic ``loc`` that exists in ``data`` (drops union member tags)."""
    real: list = []
    current = data
    for index, part in enumerate(loc):
        if isinstance(current, dict) and part in current:
            real.append(part)
            current = current[part]
        elif isinstance(current, list) and isinstance(part, int) and 0 <= part < len(current):
            real.append(part)
            current = current[part]
        elif missing and index == len(loc) - 1:
            real.append(part)
    return real


def _pydantic_problems(error: ValidationError, data: Any, prefix: tuple, valid_keys: list[str], owner: str) -> Problems:
    grouped: dict[str, list[dict]] = {}
    for item in error.errors(include_url=False):
        path = prefix + tuple(_real_path(data, item["loc"], item["type"] == "missing"))
        grouped.setdefault(_dotted(path), []).append(item)
    problems: Problems = []
    # "unknown key 'unit'; did you mean 'units'?" already says what "missing key 'units'" would.
    suggested = {_dotted(prefix + tuple(item["loc"][:-1]) + (closest(str(item["loc"][-1]), valid_keys),))
                 for items in grouped.values() for item in items if item["type"] == "extra_forbidden"}
    for key, items in grouped.items():
        if key in suggested and all(item["type"] == "missing" for item in items):
            continue
        deeper = any(other.startswith(key + ".") for other in grouped if other != key)
        if deeper and all(item["type"] in _TYPE_NOUNS or item["type"] == "literal_error" for item in items):
            continue  # a union member that did not match the type; the real problem is deeper
        problems.append((key, _describe(items, valid_keys, owner)))
    return problems


def _describe(items: list[dict], valid_keys: list[str], owner: str) -> str:
    first = items[0]
    kind = first["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(str(first["loc"][-1]), valid_keys, owner)
    if kind == "missing":
        return f"missing required key {first['loc'][-1]!r}{owner}"
    expected = []
    for item in items:
        if item["type"] in _TYPE_NOUNS:
            expected.append(_TYPE_NOUNS[item["type"]])
        elif item["type"] == "literal_error":
            expected.append(item["ctx"]["expected"])
    received = f"; received {_short(first.get('input'))}"
    if len(expected) == len(items):
        unique = list(dict.fromkeys(expected))
        wanted = unique[0] if len(unique) == 1 else ", ".join(unique[:-1]) + " or " + unique[-1]
        return f"expected {wanted}{received}"
    messages = [item["msg"] for item in items if item["type"] not in _TYPE_NOUNS and item["type"] != "literal_error"]
    text = "; ".join(dict.fromkeys(messages))
    for old, new in (("Value error, ", ""), ("Input should be", "must be"), ("String should", "must"),
                     ("List should", "must"), (" after validation", "")):
        text = text.replace(old, new)
    return text + received


def _unknown_key_message(key: str, valid_keys: list[str], owner: str) -> str:
    suggestion = _OLD_KERAS_NAMES.get(key) if _OLD_KERAS_NAMES.get(key) in valid_keys else closest(key, valid_keys)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    listed = ", ".join(valid_keys) if valid_keys else "none"
    return f"unknown key {key!r}{owner}{hint} (valid keys: {listed})"


def _validate_section(model: type[BaseModel], data: dict, prefix: tuple, problems: Problems,
                      owner: str = "", extra_keys: tuple[str, ...] = ()) -> dict | None:
    """``model`` validated on ``data``: the dumped values, or None (problems appended)."""
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, data, prefix, list(extra_keys) + list(model.model_fields), owner))
        return None


# ============================================================================================
# Validating each part
# ============================================================================================
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
                return _dotted(prefix + path)
    return _dotted(prefix)


def _name_registries() -> list[tuple[str, Registry, Any]]:
    """(argument-name suffix, registry, getter) for arguments that name a component.

    Any engine argument called ``activation``/``*_activation``, ``*initializer`` or
    ``*regularizer`` is checked against that registry, so a new layer's arguments get the same
    checks (and closest-name suggestions) with no edit here.
    """
    from nncli import activations, initializers, regularizers

    return [("activation", activations.ACTIVATIONS, activations.get),
            ("initializer", initializers.INITIALIZERS, initializers.get),
            ("regularizer", regularizers.REGULARIZERS, regularizers.get)]


def _check_component_names(args: dict, prefix: tuple, problems: Problems) -> set[str]:
    """Check arguments that name an activation, initializer or regularizer; return the bad ones."""
    bad: set[str] = set()
    for name, value in args.items():
        for suffix, registry, getter in _name_registries():
            if not name.endswith(suffix) or value is None:
                continue
            try:
                getter(value)
            except ConfigError as error:
                inner = value if isinstance(value, dict) else {}
                problems.append((_blame(prefix + (name,), inner, str(error)), str(error)))
                bad.add(name)
            except Exception as error:
                problems.append((_dotted(prefix + (name,)), f"invalid {registry.kind}: {type(error).__name__}: {error}"))
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
    validated = _validate_section(model, args, prefix, problems, owner, extra)
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
            argument = key[len(_dotted(prefix)) + 1:].split(".")[0] if key != _dotted(prefix) else None
            if argument not in trial or model.model_fields[argument].is_required():
                return None
            bad.add(argument)
            trial[argument] = model.model_fields[argument].get_default()
        except Exception as error:  # the engine refused the values in some other way
            problems.append((_dotted(prefix), f"invalid arguments{owner}: {type(error).__name__}: {error}"))
            return None
    return None if bad else validated


def _check_named(raw: Any, prefix: tuple, registry: Registry, problems: Problems, name_key: str = "name") -> dict | None:
    """A ``{name: ..., **arguments}`` entry of ``registry`` (a loss, optimizer or layer)."""
    if not isinstance(raw, dict):
        example = registry.names()[0]
        problems.append((_dotted(prefix), f"expected a {registry.kind} name such as {example!r} or a mapping with "
                         f"{name_key!r}; received {_short(raw)}"))
        return None
    if name_key not in raw or raw[name_key] is None:
        problems.append((_dotted(prefix + (name_key,)), f"missing required key {name_key!r}: the {registry.kind} "
                         f"(choose from: {', '.join(registry.names())})"))
        return None
    try:
        canonical = registry.canonical(raw[name_key])
    except UnknownNameError as error:
        problems.append((_dotted(prefix + (name_key,)), str(error)))
        return None
    args = {key: value for key, value in raw.items() if key != name_key}
    checked = _check_arguments(registry[canonical], args, prefix, problems, f" for {registry.kind} {canonical!r}", name_key)
    return None if checked is None else {name_key: canonical, **checked}


def _check_data(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    """The common keys (DataSchema) and the source's own keys (``SOURCES[source].params``)."""
    data_module = _data_module()
    common_keys = list(DataSchema.model_fields)
    common = _validate_section(DataSchema, {k: v for k, v in raw.items() if k in common_keys}, prefix, problems)
    if common is not None and common["scaler"] not in data_module.SCALERS:
        problems.append((_dotted(prefix + ("scaler",)), data_module.SCALERS.unknown_message(common["scaler"])))
        common = None
    params = _check_source_params(raw, prefix, problems, common_keys)
    if common is None or params is None:
        return None
    source, own = params
    common["scaler"] = data_module.SCALERS.canonical(common["scaler"])
    return {"source": source, **own, **{k: common[k] for k in common_keys if k != "source"}}


def _check_source_params(raw: dict, prefix: tuple, problems: Problems,
                         common_keys: list[str]) -> tuple[str, dict] | None:
    """(canonical source name, its validated keys), or None (problems appended)."""
    sources = _data_module().SOURCES
    source_name = raw.get("source")
    if not isinstance(source_name, str):  # missing or not text: DataSchema reports it
        return None
    if source_name not in sources:
        problems.append((_dotted(prefix + ("source",)), sources.unknown_message(source_name)))
        return None
    canonical = sources.canonical(source_name)
    params_model = sources[canonical].params
    own = {k: v for k, v in raw.items() if k not in common_keys}
    try:
        return canonical, params_model.model_validate(own).model_dump()
    except ValidationError as error:
        problems.extend(_pydantic_problems(error, own, prefix, list(params_model.model_fields) + common_keys,
                                           f" for data source {canonical!r}"))
    except Exception as error:  # a source's own validator failing in some other way
        problems.append((_dotted(prefix), f"invalid keys for data source {canonical!r}: {error}"))
    return None


def _check_model(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    section = _validate_section(ModelSchema, raw, prefix, problems)
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
        problems.append((_dotted(prefix + ("input_dim",)), f"model.input_dim={section['input_dim']} but the first layer "
                         f"says {given}; give the input size once"))
        return None
    return {"input_dim": section["input_dim"], "layers": layers}


def _first_dim(shape: Any) -> Any:
    return shape[0] if isinstance(shape, (list, tuple)) and shape else shape


def _check_training(raw: dict, prefix: tuple, problems: Problems) -> dict | None:
    section = _validate_section(TrainingSchema, raw, prefix, problems)
    resolved: dict[str, Any] = {}
    ok = section is not None
    for key, registry in (("loss", losses_module.LOSSES), ("optimizer", optimizers_module.OPTIMIZERS)):
        value = raw.get(key, TrainingSchema.model_fields[key].get_default(call_default_factory=True))
        if isinstance(value, dict):  # other types are reported by TrainingSchema
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
                    problems.append((_dotted(prefix + ("metrics", index)), str(error)))
                    ok = False
    for key, cls in _CALLBACK_CLASSES.items():
        if isinstance(raw.get(key), dict):
            resolved[key] = _check_arguments(cls, raw[key], prefix + (key,), problems, f" for {cls.__name__}", None)
            ok = ok and resolved[key] is not None
    if not ok:
        return None
    section.update(resolved)
    monitors_ok = _check_monitors(section, prefix, problems)
    return section if monitors_ok else None


def _check_monitors(training: dict, prefix: tuple, problems: Problems) -> bool:
    """A callback's ``monitor`` must be a quantity training reports (val_* need validation data)."""
    reported = ["loss", *training["metrics"]]
    has_validation = training["validation_split"] > 0
    ok = True
    for key in _CALLBACK_CLASSES:
        settings = training.get(key)
        if not settings:
            continue
        monitor = settings["monitor"]
        base = monitor[4:] if monitor.startswith("val_") else monitor
        where = _dotted(prefix + (key, "monitor"))
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


def _check_experiment(tree: dict) -> tuple[dict | None, Problems]:
    problems: Problems = []
    top = _validate_section(ExperimentSchema, tree, (), problems)
    sections: dict[str, Any] = {}
    for key, check in (("data", _check_data), ("model", _check_model), ("training", _check_training)):
        if isinstance(tree.get(key), dict):
            sections[key] = check(tree[key], (key,), problems)
    if problems or top is None:
        return None, problems
    return {"name": top["name"], "seed": top["seed"], **sections}, problems


# ============================================================================================
# Shorthands and overrides
# ============================================================================================
def _expand_shorthands(tree: dict) -> None:
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
    for key in _CALLBACK_CLASSES:
        if training.get(key) is True:
            training[key] = {}
        elif training.get(key) is False:
            training[key] = None


def _keys_at(tree: dict, path: list) -> tuple[list[str] | None, str]:
    """(the keys the schema allows in the mapping at ``path``, whose keys they are for messages);
    None where any key may appear."""
    dotted = _dotted(path)
    if dotted in ("", "model", "training"):
        return list(_SECTION_MODELS[dotted].model_fields), ""
    node = _get(tree, path)
    if dotted == "data":
        data_module = _data_module()
        source = node.get("source") if isinstance(node, dict) else None
        if not isinstance(source, str) or source not in data_module.SOURCES:
            return None, ""
        canonical = data_module.SOURCES.canonical(source)
        keys = list(DataSchema.model_fields) + list(data_module.SOURCES[canonical].params.model_fields)
        return keys, f" for data source {canonical!r}"
    if len(path) == 3 and path[:2] == ["model", "layers"]:
        return _registry_keys(node, layers_module.LAYERS, "type")
    if dotted in ("training.loss", "training.optimizer"):
        registry = losses_module.LOSSES if path[1] == "loss" else optimizers_module.OPTIMIZERS
        return _registry_keys(node, registry, "name")
    if len(path) == 2 and path[0] == "training" and path[1] in _CALLBACK_CLASSES:
        cls = _CALLBACK_CLASSES[path[1]]
        return list(arguments_model(cls).model_fields), f" for {cls.__name__}"
    return None, ""


def _registry_keys(node: Any, registry: Registry, name_key: str) -> tuple[list[str] | None, str]:
    name = node.get(name_key) if isinstance(node, dict) else None
    if not isinstance(name, str) or name not in registry:
        return None, ""
    canonical = registry.canonical(name)
    return [name_key] + list(arguments_model(registry[canonical]).model_fields), f" for {registry.kind} {canonical!r}"


# Sections an override may create when they are absent or null, with what they start as.
_CREATABLE: dict[str, Any] = {
    "data": {}, "model": {}, "training": {}, "training.loss": {}, "training.class_weight": {},
    "training.optimizer": TrainingSchema.model_fields["optimizer"].get_default(call_default_factory=True),
    **{f"training.{key}": {} for key in _CALLBACK_CLASSES},
}


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
        raise _fail(label, None, "expected key.path=value, e.g. training.epochs=5 or model.layers.0.units=32")
    key, _, raw_value = text.partition("=")
    parts = key.strip().split(".")
    if not key.strip() or any(not part.strip() for part in parts):
        raise _fail(label, None, "the key is empty or has an empty part; expected key.path=value, e.g. training.epochs=5")
    try:
        value, _ = _parse_yaml(raw_value, label)
    except ConfigValidationError as error:  # the value's own line and column mean nothing here
        raise ConfigValidationError([p._replace(line=None, key=key.strip()) for p in error.errors]) from None
    return [part.strip() for part in parts], (None if value is _EMPTY else value)


def _apply_override(tree: dict, text: str, origin: "_Origin") -> None:
    parts, value = parse_override(text)
    label = f"override {text!r}"
    node: Any = tree
    walked: list = []
    for index, part in enumerate(parts):
        last = index == len(parts) - 1
        shown = _dotted(walked + [part])
        if isinstance(node, list):
            if not re.fullmatch(r"-?\d+", part):
                raise _fail(label, None, f"{_dotted(walked)} is a list: expected an item number, not {part!r}", shown)
            position = int(part)
            if not -len(node) <= position < len(node):
                raise _fail(label, None, f"index {position} is out of range: {_dotted(walked)} has {len(node)} "
                            f"item{'s' if len(node) != 1 else ''}" + (f" (0 to {len(node) - 1})" if node else ""), shown)
            key: Any = position % len(node)
        elif isinstance(node, dict):
            allowed, owner = _keys_at(tree, walked)
            key = part
            if allowed is None and re.fullmatch(r"\d+", part):
                key = int(part)  # class_weight: {0: 1.0, 1: 3.0}
            if allowed is not None and key not in allowed:
                raise _fail(label, None, _unknown_key_message(part, allowed, owner), shown)
        else:
            raise _fail(label, None, f"{_dotted(walked)} holds {_short(node)}, not a mapping or a list; set it whole "
                        f"instead, e.g. {_dotted(walked)}={{...}}", shown)
        if last:
            node[key] = value
            origin.overridden(walked + [key], label)
            return
        child = node.get(key) if isinstance(node, dict) else node[key]
        if child is None:
            if _dotted(walked + [key]) not in _CREATABLE:
                state = "null" if isinstance(node, dict) and key in node else "not set"
                raise _fail(label, None, f"{_dotted(walked + [key])} is {state}; set it whole, e.g. "
                            f"{_dotted(walked + [key])}={{...}}", shown)
            child = node[key] = copy.deepcopy(_CREATABLE[_dotted(walked + [key])])
            origin.overridden(walked + [key], label)  # what is wrong in it comes from this override
        walked.append(key)
        node = child


# ============================================================================================
# Where each key came from
# ============================================================================================
@dataclass
class _Origin:
    """The file and line of each key, and which keys overrides set."""

    lines: Lines
    overrides: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)  # override label -> position on the command line

    def overridden(self, path: list, label: str) -> None:
        dotted = _dotted(path)
        for table in (self.lines, self.overrides):
            for key in [k for k in table if k == dotted or k.startswith(dotted + ".")]:
                del table[key]
        self.overrides[dotted] = label
        self.order.setdefault(label, len(self.order))

    def replace_subtree(self, prefix: str, lines: Lines) -> None:
        for key in [k for k in self.lines if k == prefix or k.startswith(prefix + ".")]:
            del self.lines[key]
        for key, where in lines.items():
            self.lines[f"{prefix}.{key}" if key else prefix] = where

    def locate(self, key: str) -> tuple[str | None, int | None]:
        parts = key.split(".") if key else []
        for length in range(len(parts), -1, -1):
            prefix = ".".join(parts[:length])
            if prefix in self.overrides:
                return self.overrides[prefix], None
            if prefix in self.lines:
                return self.lines[prefix]
        return None, None

    def problems(self, found: Problems, key_prefix: str = "") -> list[ConfigProblem]:
        located = []
        for key, message in found:
            file, line = self.locate(key)
            shown = key[len(key_prefix) + 1:] if key_prefix and key.startswith(key_prefix + ".") else key
            located.append(ConfigProblem(file, line, shown or None, message))
        unique = list(dict.fromkeys(located))
        return sorted(unique, key=lambda p: (p.line is None, p.line or 0, self.order.get(p.file, 0)))


# ============================================================================================
# The resolved config
# ============================================================================================
@dataclass(frozen=True)
class Config:
    """A validated config with every default filled, shorthands expanded and the model inlined.

    Attributes
    ----------
    kind : {"experiment", "architecture"}
        A full config (name, seed, data, model, training) or an architecture file (model only).
    path : Path or None
        The file it was read from.
    overrides : list of str
        The ``key.path=value`` overrides applied, in order.
    """

    values: dict[str, Any]
    kind: str = "experiment"
    path: Path | None = None
    overrides: list[str] = field(default_factory=list)

    @property
    def base_dir(self) -> Path:
        """The config file's folder (relative data paths and ``model:`` paths start here)."""
        return self.path.resolve().parent if self.path is not None else Path.cwd()

    def to_dict(self) -> dict[str, Any]:
        """The full config: safe to ``yaml.safe_dump`` and load again to the same config."""
        return copy.deepcopy(self.values)

    @property
    def name(self) -> str:
        return self.values.get("name") or (self.path.stem if self.path else "model")

    @property
    def seed(self) -> int:
        return int(self.values.get("seed", 0))

    def has_data(self) -> bool:
        return "data" in self.values

    def has_training(self) -> bool:
        return "training" in self.values

    def model_dict(self) -> dict[str, Any]:
        """``{"input_dim": ..., "layers": [...]}`` for ``Sequential.from_config``."""
        model = self.values if self.kind == "architecture" else self.values["model"]
        return copy.deepcopy(model)

    def layer_dicts(self) -> list[dict[str, Any]]:
        """Each layer as a dict for ``nncli.layers.from_config``."""
        return self.model_dict()["layers"]

    def training_dict(self) -> dict[str, Any]:
        return copy.deepcopy(self.values.get("training", {}))

    def optimizer_dict(self) -> dict[str, Any]:
        """``{"name": "adam", "learning_rate": 0.001, ...}`` for ``nncli.optimizers.get``."""
        return self.training_dict()["optimizer"]

    def loss_dict(self) -> dict[str, Any]:
        """``{"name": "binary_crossentropy", "from_logits": False, ...}`` for ``nncli.losses.get``."""
        return self.training_dict()["loss"]

    def metric_names(self) -> list[str]:
        return self.training_dict().get("metrics", [])

    def callback_dicts(self) -> dict[str, dict[str, Any]]:
        """``{"early_stopping": {...}}`` etc. for the callbacks that are switched on."""
        training = self.training_dict()
        return {key: training[key] for key in _CALLBACK_CLASSES if training.get(key) is not None}

    def dtype(self) -> str:
        return self.values.get("training", {}).get("dtype", "float32")

    def data_parts(self) -> tuple[str, dict[str, Any], dict[str, Any]]:
        """(source name, the source's own keys, the common split/scaling keys) of ``data``."""
        return split_data_section(self.values["data"])


def split_data_section(data: dict[str, Any]) -> tuple[str, dict[str, Any], dict[str, Any]]:
    """(source name, the source's own keys, the keys every source shares) of a ``data`` section."""
    data = copy.deepcopy(data)
    source = data.pop("source")
    common = {key: data.pop(key) for key in DataSchema.model_fields if key != "source" and key in data}
    return source, data, common


# ============================================================================================
# Public entry points
# ============================================================================================
def load_config(path: str | Path, overrides: list[str] | tuple[str, ...] = ()) -> Config:
    """Read, override and validate an experiment config.

    Parameters
    ----------
    path : str or Path
        The YAML file (``name``, ``seed``, ``data``, ``model``, ``training``).
    overrides : list of str
        ``key.path=value`` strings applied after the file (values parsed as YAML).

    Returns
    -------
    Config

    Raises
    ------
    ConfigValidationError
        With every problem found, each naming the file and line (or the override) and the key.
    """
    path = Path(path)
    label = str(path)
    tree, lines = _read_mapping(path, label, "a mapping with keys name, seed, data, model, training")
    return _resolve_experiment(tree, lines, path, list(overrides))


def load_architecture(path: str | Path) -> Config:
    """Read and validate an architecture file (``input_dim`` and ``layers``)."""
    path = Path(path)
    tree, lines = _read_mapping(path, str(path), "a mapping with keys input_dim and layers")
    return _resolve_architecture(tree, lines, path)


def load_any(path: str | Path) -> Config:
    """An experiment config or an architecture file, told apart by their top-level keys."""
    path = Path(path)
    label = str(path)
    tree, lines = _read_mapping(path, label, "an experiment config or an architecture file")
    if any(key in tree for key in ("data", "training", "model")):
        return _resolve_experiment(tree, lines, path, [])
    if "layers" in tree:
        return _resolve_architecture(tree, lines, path)
    raise _fail(label, lines.get("", (label, 1))[1], "neither an experiment config (with data, model and training) "
                "nor an architecture file (with layers)")


def _resolve_architecture(tree: dict, lines: Lines, path: Path) -> Config:
    origin = _Origin({f"model.{k}" if k else "model": v for k, v in lines.items()})
    problems: Problems = []
    model = _check_model(tree, ("model",), problems)
    if problems:
        raise ConfigValidationError(origin.problems(problems, key_prefix="model"))
    return Config(values=model, kind="architecture", path=path)


def _resolve_experiment(tree: dict, lines: Lines, path: Path, overrides: list[str]) -> Config:
    origin = _Origin(dict(lines))
    _inline_model(tree, origin, path)
    _expand_shorthands(tree)
    for text in overrides:
        _apply_override(tree, text, origin)
        _expand_shorthands(tree)
        if isinstance(tree.get("model"), str):
            _inline_model(tree, origin, path)
    if tree.get("name") is None:  # absent or null (also `name=` on the command line): the file's stem
        tree["name"] = path.stem
    resolved, problems = _check_experiment(tree)
    if problems:
        raise ConfigValidationError(origin.problems(problems))
    return Config(values=resolved, kind="experiment", path=path, overrides=list(overrides))


def _inline_model(tree: dict, origin: _Origin, config_path: Path) -> None:
    """Replace ``model: path`` by the architecture file's content (path relative to the config)."""
    reference = tree.get("model")
    if not isinstance(reference, str):
        return
    file, line = origin.locate("model")
    if not reference.strip():
        raise _fail(file, line, "expected the model section, or the path of an architecture file", "model")
    arch_path = Path(reference).expanduser()
    if not arch_path.is_absolute():
        arch_path = config_path.parent / arch_path
    if not arch_path.is_file():
        what = "is a directory" if arch_path.is_dir() else "not found"
        raise _fail(file, line, f"architecture file {str(arch_path)!r} {what} (paths are relative to the config file)",
                    "model")
    model, lines = _read_mapping(arch_path, str(arch_path), "a mapping with keys input_dim and layers")
    tree["model"] = model
    origin.replace_subtree("model", lines)
