"""Config problems: where each one is (file and line, or the override), the key, the message;
and turning pydantic's validation errors into such messages.

Every problem of a config is collected first and reported together, one ``file:line key:
message`` line each, in one ``ConfigValidationError`` (exit code 2).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, NamedTuple

from pydantic import BaseModel, ValidationError

from nncli.errors import ConfigError
from nncli.registry import closest

# Keras 1/2 spellings a Keras user may still type.
OLD_KERAS_NAMES = {"lr": "learning_rate", "nb_epoch": "epochs", "output_dim": "units", "init": "kernel_initializer"}
Lines = dict[str, tuple[str, int]]  # dotted key ("" for the root) -> (file, 1-based line)


def dotted(path: tuple | list) -> str:
    return ".".join(str(part) for part in path)


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


def fail(file: str | None, line: int | None, message: str, key: str | None = None) -> ConfigValidationError:
    return ConfigValidationError([ConfigProblem(file, line, key, message)])


def short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


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


def pydantic_problems(error: ValidationError, data: Any, prefix: tuple, valid_keys: list[str], owner: str) -> Problems:
    grouped: dict[str, list[dict]] = {}
    for item in error.errors(include_url=False):
        path = prefix + tuple(_real_path(data, item["loc"], item["type"] == "missing"))
        grouped.setdefault(dotted(path), []).append(item)
    problems: Problems = []
    # "unknown key 'unit'; did you mean 'units'?" already says what "missing key 'units'" would.
    suggested = {dotted(prefix + tuple(item["loc"][:-1]) + (closest(str(item["loc"][-1]), valid_keys),))
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
        return unknown_key_message(str(first["loc"][-1]), valid_keys, owner)
    if kind == "missing":
        return f"missing required key {first['loc'][-1]!r}{owner}"
    expected = []
    for item in items:
        if item["type"] in _TYPE_NOUNS:
            expected.append(_TYPE_NOUNS[item["type"]])
        elif item["type"] == "literal_error":
            expected.append(item["ctx"]["expected"])
    received = f"; received {short(first.get('input'))}"
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


def unknown_key_message(key: str, valid_keys: list[str], owner: str) -> str:
    suggestion = OLD_KERAS_NAMES.get(key) if OLD_KERAS_NAMES.get(key) in valid_keys else closest(key, valid_keys)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    listed = ", ".join(valid_keys) if valid_keys else "none"
    return f"unknown key {key!r}{owner}{hint} (valid keys: {listed})"


def validate_section(model: type[BaseModel], data: dict, prefix: tuple, problems: Problems,
                      owner: str = "", extra_keys: tuple[str, ...] = ()) -> dict | None:
    """``model`` validated on ``data``: the dumped values, or None (problems appended)."""
    try:
        return model.model_validate(data).model_dump()
    except ValidationError as error:
        problems.extend(pydantic_problems(error, data, prefix, list(extra_keys) + list(model.model_fields), owner))
        return None


@dataclass
class Origin:
    """The file and line of each key, and which keys overrides set."""

    lines: Lines
    overrides: dict[str, str] = field(default_factory=dict)
    order: dict[str, int] = field(default_factory=dict)  # override label -> position on the command line

    def overridden(self, path: list, label: str) -> None:
        key_path = dotted(path)
        for table in (self.lines, self.overrides):
            for key in [k for k in table if k == key_path or k.startswith(key_path + ".")]:
                del table[key]
        self.overrides[key_path] = label
        self.order.setdefault(label, len(self.order))

    def replace_subtree(self, prefix: str, lines: Lines) -> None:
        for key in [k for k in self.lines if k == prefix or k.startswith(prefix + ".")]:
            del self.lines[key]
        for key, where in lines.items():
            self.lines[f"{prefix}.{key}" if key else prefix] = where

    def from_override(self, key: str) -> bool:
        """True when ``key`` (or a section holding it) was set on the command line."""
        parts = key.split(".") if key else []
        for length in range(len(parts), -1, -1):
            prefix = ".".join(parts[:length])
            if prefix in self.overrides:
                return True
            if prefix in self.lines:
                return False
        return False

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
