"""The runs of a sweep: ``--grid`` values (a cartesian product), ``--random`` draws from
``--param`` specs, each point repeated for every ``--seeds`` value; a run's identity (a short
stable hash of its resolved overrides and seed) and its readable folder name.

The identity hashes canonical JSON of the point's key→value pairs (sorted by key, values as YAML
parsed them: ``0.01`` and ``1e-2`` are the same point) and the seed, so it is the same in every
invocation and every process. Random draws use only ``random.Random(seed).random()`` (whose
sequence Python keeps reproducible), so the first N draws are the same whatever N is: raising
``--random`` adds points and keeps the old ones.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re
import unicodedata
from dataclasses import dataclass
from typing import Any, Callable

from nncli.errors import UsageError

#: Hex digits of the identity in a folder name.
HASH_CHARS = 6
#: Folder names stay within ``nncli.runs.names``'s limit.
MAX_NAME_CHARS = 100
#: Shorter words in folder names (``lr=0.01`` rather than ``learning_rate=0.01``).
NAME_ABBREVIATIONS = {"learning_rate": "lr"}
#: Significant digits kept of a drawn float (configs and folder names stay readable).
DRAWN_DIGITS = 4


@dataclass(frozen=True)
class SweepRun:
    """One (point, seed) of a sweep.

    Attributes
    ----------
    values : tuple of (key, value)
        The swept keys and this point's values, in the order the keys were given.
    seed : int or None
        The ``--seeds`` value, or None when the sweep has no ``--seeds`` (the config's seed).
    identity : str
        ``HASH_CHARS`` hex digits of the hash of the values and the resolved seed.
    name : str
        The run folder's name: ``lr=0.01,units=32,seed=1-3f9a0c``.
    """

    values: tuple[tuple[str, Any], ...]
    seed: int | None
    identity: str
    name: str

    def overrides(self) -> list[str]:
        """The ``key=value`` overrides that make this run from the sweep's base config."""
        seed = [] if self.seed is None else [f"seed={self.seed}"]
        return [f"{key}={yaml_text(value)}" for key, value in self.values] + seed


def yaml_text(value: Any) -> str:
    """``value`` as one line of YAML that reads back as the same value (``1.0e-05``, ``[a, b]``)."""
    import yaml

    text = yaml.safe_dump(value, default_flow_style=True, width=math.inf, sort_keys=False).strip()
    return text[:-3].strip() if text.endswith("\n...") or text.endswith("...") else text


# --------------------------------------------------------------------------- parsing
def split_top_level(text: str) -> list[str]:
    """``"16,[a,b],'x,y'"`` → ``["16", "[a,b]", "'x,y'"]``: commas inside brackets or quotes stay."""
    parts, depth, quote, current = [], 0, None, []
    for char in text:
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "[{(":
            depth += 1
        elif char in "]})":
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    parts.append("".join(current))
    return [part.strip() for part in parts]


def _key_and_rest(text: str, option: str, example: str) -> tuple[str, str]:
    key, found, rest = text.partition("=")
    if not found or not key.strip() or not rest.strip():
        raise UsageError(f"{option} expects KEY=..., e.g. {option} {example}; received {text!r}")
    return key.strip(), rest.strip()


def parse_grid(text: str) -> tuple[str, list[Any]]:
    """``"model.layers.0.units=16,32,64"`` → (key, [16, 32, 64]); values are YAML scalars or
    flow lists (``training.metrics=[accuracy],[accuracy,auc]``)."""
    from nncli.config import ConfigValidationError, parse_override

    key, rest = _key_and_rest(text, "--grid", "training.optimizer.learning_rate=0.1,0.01")
    values = []
    for item in split_top_level(rest):
        if not item:
            raise UsageError(f"--grid {text!r}: an empty value (two commas, or one at the end)")
        try:
            values.append(parse_override(f"{key}={item}")[1])
        except ConfigValidationError as error:
            raise UsageError(f"--grid {text!r}: value {item!r} is not plain YAML: {error}") from None
    return key, _unique(values)


def _unique(values: list[Any]) -> list[Any]:
    seen, kept = set(), []
    for value in values:
        token = canonical(value)
        if token not in seen:
            seen.add(token)
            kept.append(value)
    return kept


@dataclass(frozen=True)
class ParamSpec:
    """One ``--param`` distribution: ``kind`` and its ``arguments``; ``draw(u)`` maps a uniform
    number in [0, 1) to a value."""

    key: str
    kind: str
    arguments: tuple[Any, ...]

    def draw(self, u: float) -> Any:
        return DISTRIBUTIONS[self.kind][1](self.arguments, u)


def _rounded(value: float) -> float:
    return float(f"{value:.{DRAWN_DIGITS}g}")


def _check_range(arguments: tuple, kind: str) -> str | None:
    if len(arguments) != 2 or not all(isinstance(a, (int, float)) and not isinstance(a, bool) for a in arguments):
        return f"{kind}(low,high) takes two numbers"
    low, high = arguments
    if not low < high and not (kind == "int" and low == high):
        return f"{kind}(low,high) needs low < high"
    if kind == "loguniform" and low <= 0:
        return "loguniform(low,high) needs 0 < low"
    if kind == "int" and not all(isinstance(a, int) for a in arguments):
        return "int(low,high) takes two integers (both included)"
    return None


DISTRIBUTIONS: dict[str, tuple[Callable[[tuple], str | None], Callable[[tuple, float], Any]]] = {
    "uniform": (lambda a: _check_range(a, "uniform"), lambda a, u: _rounded(a[0] + (a[1] - a[0]) * u)),
    "loguniform": (lambda a: _check_range(a, "loguniform"),
                   lambda a, u: _rounded(math.exp(math.log(a[0]) + (math.log(a[1]) - math.log(a[0])) * u))),
    "int": (lambda a: _check_range(a, "int"), lambda a, u: min(a[1], a[0] + math.floor(u * (a[1] - a[0] + 1)))),
    "choice": (lambda a: None if a else "choice(a,b,...) needs at least one value",
               lambda a, u: a[min(len(a) - 1, math.floor(u * len(a)))]),
}


def parse_param(text: str) -> ParamSpec:
    """``"training.optimizer.learning_rate=loguniform(1e-4,1e-1)"`` → a ``ParamSpec``."""
    import yaml

    key, rest = _key_and_rest(text, "--param", "training.optimizer.learning_rate=loguniform(1e-4,1e-1)")
    match = re.fullmatch(r"(\w+)\s*\((.*)\)", rest, re.S)
    kinds = ", ".join(f"{name}(...)" for name in DISTRIBUTIONS)
    if match is None or match.group(1) not in DISTRIBUTIONS:
        raise UsageError(f"--param {text!r}: expected one of {kinds}, e.g. loguniform(1e-4,1e-1)")
    kind = match.group(1)
    try:
        arguments = tuple(_number(yaml.safe_load(item)) for item in split_top_level(match.group(2)) if item)
    except yaml.YAMLError:
        raise UsageError(f"--param {text!r}: the arguments are not plain YAML values") from None
    problem = DISTRIBUTIONS[kind][0](arguments)
    if problem:
        raise UsageError(f"--param {text!r}: {problem}")
    return ParamSpec(key, kind, arguments)


def _number(value: Any) -> Any:
    """``1e-4`` (which YAML 1.1 reads as text) as the number it means."""
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value
    return value


def parse_seeds(text: str | None) -> list[int] | None:
    """``"0,1,2"`` → [0, 1, 2]; None when not given."""
    if text is None:
        return None
    try:
        seeds = [int(item) for item in split_top_level(text)]
    except ValueError:
        raise UsageError(f"--seeds expects integers separated by commas, e.g. --seeds 0,1,2; received {text!r}") \
            from None
    return list(dict.fromkeys(seeds))


# --------------------------------------------------------------------------- the runs
def canonical(value: Any) -> str:
    """The one JSON text of a value (keys sorted, no spaces): what identities hash."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def identity(values: tuple[tuple[str, Any], ...], seed: int) -> str:
    """``HASH_CHARS`` hex digits of the point's key→value pairs (order-free) and the seed."""
    text = canonical({"point": dict(sorted(values)), "seed": seed})
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_CHARS]


def points(grid: list[tuple[str, list[Any]]], params: list[ParamSpec], n_random: int,
           sweep_seed: int) -> list[tuple[tuple[str, Any], ...]]:
    """The grid's cartesian product, each combined with every random draw; duplicates dropped."""
    keys = [key for key, _ in grid] + [spec.key for spec in params]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise UsageError(f"key {repeated[0]!r} is swept twice (once per --grid or --param)")
    if params and n_random < 1:
        raise UsageError("--param needs --random N (the number of points to draw)")
    if n_random and not params:
        raise UsageError("--random N draws from --param specs: give at least one, e.g. "
                         "--param training.optimizer.learning_rate=loguniform(1e-4,1e-1)")
    rng = random.Random(sweep_seed)
    draws = [tuple((spec.key, spec.draw(rng.random())) for spec in params) for _ in range(n_random)] or [()]
    combos = itertools.product(*[[(key, value) for value in values] for key, values in grid]) if grid else [()]
    found: dict[str, tuple] = {}
    for combo in combos:
        for draw in draws:
            point = tuple(combo) + draw
            found.setdefault(canonical(point), point)
    return list(found.values())


def sweep_runs(point_list: list[tuple[tuple[str, Any], ...]], seeds: list[int] | None,
               config_seed: int) -> list[SweepRun]:
    """Every (point, seed), named and identified."""
    keys = [key for key, _ in point_list[0]] if point_list else []
    shorts = short_keys(keys)
    made = []
    for point in point_list:
        for seed in seeds if seeds is not None else [None]:
            ident = identity(point, config_seed if seed is None else seed)
            made.append(SweepRun(point, seed, ident, run_name(point, seed, ident, shorts)))
    names = [run.name for run in made]
    if len(set(names)) != len(names):  # only if the hash collides for points that read alike
        raise UsageError("two runs of this sweep would get the same folder name; change one value slightly")
    return made


def short_keys(keys: list[str]) -> dict[str, str]:
    """Each key by its last part (``units``), with more parts where two would read alike
    (``0.units``, ``1.units``)."""
    depth = {key: 1 for key in keys}
    while True:
        shorts = {key: ".".join(key.split(".")[-depth[key]:]) for key in keys}
        clashing = [key for key in keys if list(shorts.values()).count(shorts[key]) > 1
                    and depth[key] < len(key.split("."))]
        if not clashing:
            return {key: NAME_ABBREVIATIONS.get(short, short) for key, short in shorts.items()}
        for key in clashing:
            depth[key] += 1


def value_text(value: Any) -> str:
    """A value as a folder name shows it: ``0.01``, ``32``, ``adam``, ``[16,16]``."""
    if isinstance(value, float):
        return f"{value:.{DRAWN_DIGITS}g}"
    if isinstance(value, str):
        return value
    return yaml_text(value).replace(" ", "")


def run_name(point: tuple[tuple[str, Any], ...], seed: int | None, ident: str, shorts: dict[str, str]) -> str:
    parts = [f"{shorts[key]}={value_text(value)}" for key, value in point]
    parts += [] if seed is None else [f"seed={seed}"]
    readable = _safe(",".join(parts)) or "run"
    room = MAX_NAME_CHARS - HASH_CHARS - 1
    return f"{readable[:room].rstrip(',')}-{ident}"


def _safe(text: str) -> str:
    """Characters a folder name must not hold (``/``, control characters) become ``_``."""
    cleaned = "".join("_" if char in "/\\" or unicodedata.category(char).startswith("C") or char.isspace() else char
                      for char in text)
    return cleaned.lstrip(".")
