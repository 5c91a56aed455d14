"""Loading a config: read the file, inline the architecture file, expand shorthands, apply the
overrides, check everything, make data paths absolute, and return the typed ``Config``."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

from nncli import io
from nncli.config.checks import check_experiment, check_model
from nncli.config.overrides import apply_override, expand_shorthands
from nncli.config.problems import ConfigValidationError, Lines, Origin, Problems, fail
from nncli.config.reader import read_mapping, status_or_problem
from nncli.config.schema import data_module
from nncli.config.typed import Config


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
    tree, lines = read_mapping(path, label, "a mapping with keys name, seed, data, model, training")
    return _resolve_experiment(tree, lines, path, list(overrides))


def load_architecture(path: str | Path) -> Config:
    """Read and validate an architecture file (``input_dim`` and ``layers``)."""
    path = Path(path)
    tree, lines = read_mapping(path, str(path), "a mapping with keys input_dim and layers")
    return _resolve_architecture(tree, lines, path)


def load_any(path: str | Path) -> Config:
    """An experiment config or an architecture file, told apart by their top-level keys."""
    path = Path(path)
    label = str(path)
    tree, lines = read_mapping(path, label, "an experiment config or an architecture file")
    if any(key in tree for key in ("data", "training", "model")):
        return _resolve_experiment(tree, lines, path, [])
    if "layers" in tree:
        return _resolve_architecture(tree, lines, path)
    raise fail(label, lines.get("", (label, 1))[1], "neither an experiment config (with data, model and training) "
                "nor an architecture file (with layers)")


def _resolve_architecture(tree: dict, lines: Lines, path: Path) -> Config:
    origin = Origin({f"model.{k}" if k else "model": v for k, v in lines.items()})
    problems: Problems = []
    model = check_model(tree, ("model",), problems)
    if problems:
        raise ConfigValidationError(origin.problems(problems, key_prefix="model"))
    return Config.from_values(model, kind="architecture", path=path)


def _resolve_experiment(tree: dict, lines: Lines, path: Path, overrides: list[str]) -> Config:
    origin = Origin(dict(lines))
    _inline_model(tree, origin, path)
    expand_shorthands(tree)
    for text in overrides:
        apply_override(tree, text, origin)
        expand_shorthands(tree)
        if isinstance(tree.get("model"), str):
            _inline_model(tree, origin, path)
    if tree.get("name") is None:  # absent or null (also `name=` on the command line): the file's stem
        tree["name"] = path.stem
    resolved, problems = check_experiment(tree)
    if problems:
        raise ConfigValidationError(origin.problems(problems))
    _absolute_paths(resolved["data"], origin, path)
    return Config.from_values(resolved, kind="experiment", path=path, overrides=list(overrides))


def _absolute_paths(data: dict[str, Any], origin: Origin, config_path: Path) -> None:
    """Make the data source's paths absolute: a path written in the config file counts from the
    file's folder, one given on the command line from the current folder (the shell's way)."""
    for name in data_module().SOURCES[data["source"]].path_fields:
        if data.get(name) is None:
            continue
        base = Path.cwd() if origin.from_override(f"data.{name}") else config_path.resolve().parent
        data[name] = str((base / io.expand_user(data[name])).resolve())


def _inline_model(tree: dict, origin: Origin, config_path: Path) -> None:
    """Replace ``model: path`` by the architecture file's content (a path in the file counts from
    the config's folder, one given on the command line from the current folder)."""
    reference = tree.get("model")
    if not isinstance(reference, str):
        return
    file, line = origin.locate("model")
    if not reference.strip():
        raise fail(file, line, "expected the model section, or the path of an architecture file", "model")
    from_command_line = origin.from_override("model")
    base = Path.cwd() if from_command_line else config_path.parent
    arch_path = base / io.expand_user(reference)
    counted = "the current folder" if from_command_line else "the config file's folder"
    info = status_or_problem(arch_path, file, line)
    if info is None or not stat.S_ISREG(info.st_mode):
        what = "not found" if info is None else "is not a file"
        raise fail(file, line, f"architecture file {str(arch_path)!r} {what} (relative paths count from {counted})",
                   "model")
    model, lines = read_mapping(arch_path, str(arch_path), "a mapping with keys input_dim and layers")
    tree["model"] = model
    origin.replace_subtree("model", lines)
