"""Reading YAML safely, with the line of every key.

``yaml.SafeLoader`` rules (no Python tags), plus: aliases are expanded by building their node
again and every value is counted (a "billion laughs" document stops early), nesting is bounded,
duplicate keys and non-mapping roots are refused, and ``1e-3`` reads as a number. A scalar that
cannot be built (``!!int abc``, an integer of more than 4,300 digits) is a located problem.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from nncli import io
from nncli.config.problems import ConfigValidationError, Lines, dotted, fail, short
from nncli.errors import NncliError

#: Largest number of values a document may expand to (aliases counted each time they are used).
MAX_NODES = 10_000
#: Deepest nesting of lists and mappings accepted.
MAX_DEPTH = 40
#: Largest config file read, in bytes.
MAX_FILE_BYTES = 1_000_000

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {_TAG + name for name in ("null", "bool", "int", "float", "str")}
_TIMESTAMP_TAG = _TAG + "timestamp"
_MERGE_TAG = _TAG + "merge"
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
            raise fail(self.file, self.top_line, f"the document expands to more than {MAX_NODES:,} values (through anchors "
                        "'&' and aliases '*'); refused. Write the values out, or use fewer aliases")
        if depth > MAX_DEPTH:
            raise fail(self.file, line, f"lists and mappings are nested more than {MAX_DEPTH} deep; refused")
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        if isinstance(node, yaml.SequenceNode):
            self._check_tag(node, _TAG + "seq")
            items = []
            for index, child in enumerate(node.value):
                self.lines[dotted(path + (index,))] = (self.file, child.start_mark.line + 1)
                items.append(self.build(child, path + (index,), depth + 1))
            return items
        self._check_tag(node, _TAG + "map")
        return self._mapping(node, path, depth)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag != expected:
            raise self._tag_error(node)

    def _tag_error(self, node: yaml.Node) -> ConfigValidationError:
        return fail(self.file, node.start_mark.line + 1, f"unsupported YAML tag {node.tag!r}: configs hold only plain "
                     "values, lists and mappings (yaml.safe_load rules); nothing was executed")

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        if node.tag == _TIMESTAMP_TAG:  # a date-like text stays text
            return node.value
        if node.tag not in _SCALAR_TAGS:
            raise self._tag_error(node)
        try:
            return self.loader.construct_object(node, deep=True)
        except (ValueError, KeyError, TypeError, OverflowError):  # !!int abc, !!bool maybe, 5,000 digits
            kind = node.tag[len(_TAG):]
            raise fail(self.file, node.start_mark.line + 1, f"{short(node.value)} is not a valid {kind} (the value "
                       f"is tagged !!{kind}{' and has more than 4,300 digits' if kind == 'int' and len(node.value) > 4300 else ''}); "
                       "write a plain value instead") from None

    def _mapping(self, node: yaml.MappingNode, path: tuple, depth: int) -> dict:
        result: dict = {}
        merged: list[dict] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE_TAG:
                merged.extend(self._merge_sources(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise fail(self.file, key_node.start_mark.line + 1, "mapping keys must be plain names, not lists or mappings")
            key = self._scalar(key_node)
            line = key_node.start_mark.line + 1
            if depth == 0:
                self.top_line = line
            if key in result:
                first = self.lines.get(dotted(path + (key,)), (self.file, line))[1]
                raise fail(self.file, line, f"duplicate key (first given on line {first}); keep one of them",
                            dotted(path + (key,)))
            self.lines[dotted(path + (key,))] = (self.file, line)
            result[key] = self.build(value_node, path + (key,), depth + 1)
        for source in merged:  # `<<: *base`: explicit keys win over merged ones
            for key, value in source.items():
                result.setdefault(key, value)
        return result

    def _merge_sources(self, node: yaml.Node, path: tuple, depth: int) -> list[dict]:
        value = self.build(node, path, depth + 1)
        sources = value if isinstance(value, list) else [value]
        if not all(isinstance(source, dict) for source in sources):
            raise fail(self.file, node.start_mark.line + 1, "'<<' merges mappings only (an alias of a mapping, or a list of them)")
        return sources


EMPTY = object()


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


def parse_yaml(text: str, file: str) -> tuple[Any, Lines]:
    """(value, lines) of one YAML document; ``EMPTY`` when the document holds nothing."""
    try:
        loader = _Loader(text)  # the reader checks the characters here already
    except yaml.YAMLError as error:
        raise fail(file, None, f"not readable as YAML: {' '.join(str(error).split())}") from None
    try:
        try:
            root = loader.get_single_node()
        except RecursionError:
            raise fail(file, None, "lists and mappings are nested too deeply; refused") from None
        except yaml.MarkedYAMLError as error:
            raise _syntax_error(file, error) from None
        except yaml.YAMLError as error:
            raise fail(file, None, f"not readable as YAML: {' '.join(str(error).split())}") from None
        if root is None:
            return EMPTY, {}
        builder = _TreeBuilder(loader, file)
        builder.lines[""] = (file, root.start_mark.line + 1)
        try:
            value = builder.build(root, ())
        except RecursionError:
            raise fail(file, None, "lists and mappings are nested too deeply; refused") from None
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
        return fail(file, None, f"YAML syntax error: {problem}{context}")
    return fail(file, mark.line + 1, f"YAML syntax error at column {mark.column + 1}: {problem}{context}")


def _read_text(path: Path, label: str) -> str:
    """The config file's text: a regular file of at most ``MAX_FILE_BYTES``, in UTF-8."""
    try:
        return io.read_text(path, max_bytes=MAX_FILE_BYTES, what="file", error=_Refused)
    except _Refused as error:
        raise fail(label, None, str(error).replace(f"file {path} ", "").replace(f": {path}", "")) from None


def status_or_problem(path: Path, file: str | None, line: int | None) -> Any:
    """``os.stat`` of ``path`` or None when missing; a located problem when it cannot be looked at."""
    try:
        return io.status(path, "file", _Refused)
    except _Refused as error:
        raise fail(file, line, str(error)) from None


class _Refused(NncliError):
    """What ``nncli.io`` raises here, turned into a located config problem."""


def read_mapping(path: Path, label: str, what: str) -> tuple[dict, Lines]:
    value, lines = parse_yaml(_read_text(path, label), label)
    if value is EMPTY:
        raise fail(label, None, f"the file is empty; expected {what}")
    if not isinstance(value, dict):
        line = lines.get("", (label, 1))[1]
        raise fail(label, line, f"the top level must be {what}; found {_kind_of(value)}")
    return value, lines


def _kind_of(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if value is None:
        return "null"
    # Not the value: a file that is not a config (say /etc/passwd) must not be echoed.
    return f"a single {type(value).__name__} (the file does not look like an nncli config)"
