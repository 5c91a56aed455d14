"""Data: sources (a registry), splitting, preprocessing state, input files, baseline, task rules.

A *source* turns its config keys (a pydantic model, ``Source.params``) and the run's seed into a
``Dataset``: features ``X`` of shape ``(n_samples, n_features)`` and raw labels or targets ``y``.
Sources: scikit-learn's bundled sets (digits, iris, wine, breast_cancer, diabetes), ``lfw``
(scikit-learn's downloader and cache), the TensorFlow Playground sets (circle, xor, gauss, spiral,
moons, plane, multi_gaussian) and files (csv, npz, npy).

Relative paths in file sources are resolved by the caller with ``resolve_paths(source, params,
base_dir)`` (``base_dir`` = the config file's folder) before ``load``; ``load_dataset`` does both.

The preprocessing (scaling, label encoding) is fit on the training split only and round-trips
through plain arrays (``Preprocessor.to_arrays`` / ``from_arrays``), so a run's ``model.npz`` holds
it without pickle and ``predict`` takes raw rows.

scikit-learn is imported inside the functions that need it: importing this module stays cheap.
"""

from __future__ import annotations

import csv
import io
import math
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Literal, Mapping, TextIO

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from nncli.errors import (
    ConfigError,
    DataError,
    DataUnavailableError,
    RunDirError,
    ShapeError,
    UsageError,
)
from nncli.registry import Registry, closest

TASKS = ("classification", "regression")

#: Integer-valued targets with at most this many distinct values count as class labels
#: when a file source's ``task`` is ``auto``.
MAX_AUTO_CLASSES = 20


# --------------------------------------------------------------------------------------------
# Dataset and Source
# --------------------------------------------------------------------------------------------


@dataclass
class Dataset:
    """Arrays of one data set, before splitting and preprocessing.

    Attributes
    ----------
    X : ndarray of shape (n_samples, n_features), float64
        Features, images flattened.
    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Classification: raw labels (integers or strings). Regression: float targets.
    task : {"classification", "regression"}
    class_names : list of str or None
        When ``y`` holds integer codes ``0 .. n_classes - 1``, ``class_names[k]`` names code
        ``k`` (scikit-learn's ``target_names``). None when labels are their own names
        (strings or arbitrary numbers) and for regression.
    feature_names : list of str or None
    description : str
        One line saying what the data is.
    """

    X: np.ndarray
    y: np.ndarray
    task: str
    class_names: list[str] | None = None
    feature_names: list[str] | None = None
    description: str = ""

    @property
    def n_samples(self) -> int:
        return int(self.X.shape[0])

    @property
    def n_features(self) -> int:
        return int(self.X.shape[1])


class SourceParams(BaseModel):
    """Base of every source's config keys: unknown keys are errors, values are immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


@dataclass
class Source:
    """One entry of ``SOURCES``.

    Attributes
    ----------
    name : str
        The registry name (``data.source`` in a config).
    params : type[SourceParams]
        The source-specific config keys, with their defaults.
    load : callable (params, seed) -> Dataset
    n_features : callable (params) -> int or None
        The number of features, computed without loading when it is known in advance.
    task : str or None
        "classification" or "regression" when fixed by the source; None for files.
    summary : str
        One line for help texts.
    path_fields : tuple of str
        Params holding paths, resolved against the config file's folder by ``resolve_paths``.
    """

    name: str
    params: type[SourceParams]
    load: Callable[[Any, int], Dataset]
    n_features: Callable[[Any], int | None]
    task: str | None = None
    summary: str = ""
    path_fields: tuple[str, ...] = ()


SOURCES = Registry("data source")


def parse_params(source: Source | str, options: Mapping[str, Any] | None = None, *, prefix: str = "data") -> SourceParams:
    """Validate a source's config keys into its params model.

    Parameters
    ----------
    source : Source or str
        The source or its registry name.
    options : mapping or None
        The source-specific keys (without ``source``, ``test_size`` and the other common keys).
    prefix : str
        The config path of the keys, for messages (``data.resize: ...``).

    Raises
    ------
    ConfigError
        Naming the key, what was received and what is valid (the closest key for typos).
    """
    source = _as_source(source)
    try:
        return source.params.model_validate(dict(options or {}))
    except ValidationError as error:
        raise ConfigError(_validation_message(source, error, prefix)) from None


def resolve_paths(source: Source | str, params: SourceParams, base_dir: str | Path | None) -> SourceParams:
    """Return ``params`` with relative paths (``Source.path_fields``) made absolute.

    ``~`` is expanded; a relative path is joined to ``base_dir`` (the config file's folder), or
    left relative to the current directory when ``base_dir`` is None.
    """
    source = _as_source(source)
    updates = {}
    for name in source.path_fields:
        value = getattr(params, name)
        if value is None:
            continue
        path = Path(value).expanduser()
        if not path.is_absolute() and base_dir is not None:
            path = Path(base_dir) / path
        updates[name] = str(path)
    return params.model_copy(update=updates)


def load_dataset(
    source: Source | str,
    options: Mapping[str, Any] | None = None,
    *,
    seed: int = 0,
    base_dir: str | Path | None = None,
) -> Dataset:
    """Validate ``options``, resolve paths against ``base_dir`` and load the data set."""
    source = _as_source(source)
    params = resolve_paths(source, parse_params(source, options), base_dir)
    return source.load(params, seed)


def _as_source(source: Source | str) -> Source:
    return source if isinstance(source, Source) else SOURCES[source]


def _validation_message(source: Source, error: ValidationError, prefix: str) -> str:
    valid_keys = list(source.params.model_fields)
    problems = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"])
        if item["type"] == "extra_forbidden":
            suggestion = closest(key, valid_keys)
            hint = f"; did you mean {suggestion!r}?" if suggestion else ""
            valid = ", ".join(valid_keys) if valid_keys else "none"
            problems.append(f"unknown key {prefix}.{key} for source {source.name!r}{hint} (valid keys: {valid})")
        elif item["type"] == "missing":
            problems.append(f"{prefix}.{key} is required for source {source.name!r}")
        else:
            problems.append(f"{prefix}.{key}: {item['msg']} (received: {item.get('input')!r})")
    return "; ".join(problems)


# --------------------------------------------------------------------------------------------
# Bundled scikit-learn sets
# --------------------------------------------------------------------------------------------


class NoParams(SourceParams):
    """A source without keys of its own."""


def _add_bundled(name: str, loader: str, task: str, n_features: int, summary: str) -> None:
    def load(params: NoParams, seed: int) -> Dataset:
        from sklearn import datasets

        bunch = getattr(datasets, loader)()
        class_names = [str(n) for n in bunch.target_names] if task == "classification" else None
        feature_names = getattr(bunch, "feature_names", None)
        return Dataset(
            X=np.asarray(bunch.data, dtype=np.float64),
            y=np.asarray(bunch.target),
            task=task,
            class_names=class_names,
            feature_names=[str(n) for n in feature_names] if feature_names is not None else None,
            description=summary,
        )

    SOURCES.add(name, Source(name, NoParams, load, lambda params: n_features, task, summary))


_add_bundled("digits", "load_digits", "classification", 64, "digits: 1797 8x8 images of handwritten digits 0-9 (scikit-learn)")
_add_bundled("iris", "load_iris", "classification", 4, "iris: 150 flowers, 4 measurements, 3 species (scikit-learn)")
_add_bundled("wine", "load_wine", "classification", 13, "wine: 178 wines, 13 chemical measurements, 3 cultivars (scikit-learn)")
_add_bundled(
    "breast_cancer", "load_breast_cancer", "classification", 30,
    "breast_cancer: 569 tumours, 30 features, malignant or benign (scikit-learn)",
)
_add_bundled("diabetes", "load_diabetes", "regression", 10, "diabetes: 442 patients, 10 features, disease progression (regression, scikit-learn)")


# --------------------------------------------------------------------------------------------
# LFW faces
# --------------------------------------------------------------------------------------------

LFW_IMAGE_SIZE = 250
LFW_DEFAULT_SLICE = [[70, 195], [78, 172]]


class LfwParams(SourceParams):
    """Keys of the ``lfw`` source: passed to ``sklearn.datasets.fetch_lfw_people``.

    ``slice_`` is the crop window as two ``[start, stop]`` pairs (rows, then columns) of the
    250x250 images; None keeps the whole image. ``data_home`` is scikit-learn's cache folder
    (the one that holds ``lfw_home/``); None uses scikit-learn's default (``~/scikit_learn_data``
    or ``$SCIKIT_LEARN_DATA``).
    """

    min_faces_per_person: int = Field(200, ge=0)
    resize: float | None = Field(0.25, gt=0)
    color: bool = False
    slice_: list[list[int]] | None = Field(default_factory=lambda: [list(p) for p in LFW_DEFAULT_SLICE])
    funneled: bool = True
    data_home: str | None = None
    download_if_missing: bool = True

    @field_validator("slice_")
    @classmethod
    def _check_slice(cls, value: list[list[int]] | None) -> list[list[int]] | None:
        if value is None:
            return None
        if len(value) != 2 or any(len(pair) != 2 for pair in value):
            raise ValueError("expected two [start, stop] pairs (rows, then columns), e.g. [[70, 195], [78, 172]]")
        for start, stop in value:
            if not 0 <= start < stop <= LFW_IMAGE_SIZE:
                raise ValueError(f"each [start, stop] needs 0 <= start < stop <= {LFW_IMAGE_SIZE}")
        return value


def _lfw_image_shape(params: LfwParams) -> tuple[int, ...]:
    """The shape of one loaded face, computed as scikit-learn's loader does."""
    window = params.slice_ or [[0, LFW_IMAGE_SIZE], [0, LFW_IMAGE_SIZE]]
    height = window[0][1] - window[0][0]
    width = window[1][1] - window[1][0]
    if params.resize is not None:
        height = int(float(params.resize) * height)
        width = int(float(params.resize) * width)
    return (height, width, 3) if params.color else (height, width)


def _lfw_n_features(params: LfwParams) -> int:
    return math.prod(_lfw_image_shape(params))


def _load_lfw(params: LfwParams, seed: int) -> Dataset:
    from sklearn.datasets import fetch_lfw_people

    if _lfw_n_features(params) == 0:
        raise ConfigError(f"data.resize={params.resize} with slice_={params.slice_} leaves images of 0 pixels; use a larger resize")
    window = params.slice_ or [[0, LFW_IMAGE_SIZE], [0, LFW_IMAGE_SIZE]]
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message="Retry downloading")
            bunch = fetch_lfw_people(
                data_home=params.data_home,
                funneled=params.funneled,
                resize=params.resize,
                min_faces_per_person=params.min_faces_per_person,
                color=params.color,
                slice_=(slice(*window[0]), slice(*window[1])),
                download_if_missing=params.download_if_missing,
            )
    except OSError as error:  # URLError, socket errors, timeouts, missing cache files
        raise DataUnavailableError(_lfw_unavailable_message(params, error)) from None
    except ValueError as error:
        if "too restrictive" in str(error):
            raise ConfigError(
                f"data.min_faces_per_person={params.min_faces_per_person}: no person in the LFW data has that many "
                "pictures; lower it (the lecture uses 200)"
            ) from None
        raise
    images = np.asarray(bunch.images)
    return Dataset(
        X=images.reshape(len(images), -1).astype(np.float64),
        y=np.asarray(bunch.target),
        task="classification",
        class_names=[str(n) for n in bunch.target_names],
        description=(
            f"lfw: {len(images)} face images of {'x'.join(map(str, images.shape[1:]))} pixels, "
            f"{len(bunch.target_names)} people with at least {params.min_faces_per_person} pictures"
        ),
    )


def _lfw_unavailable_message(params: LfwParams, error: OSError) -> str:
    from sklearn.datasets import get_data_home

    lfw_home = Path(get_data_home(params.data_home)) / "lfw_home"
    reason = " ".join(str(error).split()) or type(error).__name__
    if params.download_if_missing:
        what = f"the LFW faces could not be downloaded ({reason})"
    else:
        what = f"the LFW faces are not in the cache and data.download_if_missing is false ({reason})"
    otherwise = (
        "otherwise connect to the internet once to download it (about 200 MB)" if params.download_if_missing
        else "otherwise set data.download_if_missing: true to download it (about 200 MB, needs the internet)"
    )
    if params.data_home is not None and Path(params.data_home).name == "lfw_home":
        parent = Path(params.data_home).parent
        return (
            f"{what}. data.data_home must be the folder that contains lfw_home/, not lfw_home itself: "
            f"set data.data_home={parent}"
        )
    return (
        f"{what}. scikit-learn looks for its cache in {lfw_home}. To use an existing copy, set "
        "data.data_home to the folder that contains lfw_home/ (in the config, or on the command line: "
        f"data.data_home=/path/to/folder); {otherwise}."
    )


SOURCES.add(
    "lfw",
    Source(
        "lfw", LfwParams, _load_lfw, _lfw_n_features, "classification",
        "lfw: Labeled Faces in the Wild, people with many pictures (scikit-learn's downloader and cache)",
        path_fields=("data_home",),
    ),
)


# --------------------------------------------------------------------------------------------
# TensorFlow Playground sets
# --------------------------------------------------------------------------------------------


class PlaygroundParams(SourceParams):
    """Keys of the playground sets.

    ``noise`` is the playground's noise slider divided by 100 (0 to 0.5; the playground's default
    is 0): circle and xor move each point's label position by up to ``noise`` times the data
    radius, gauss widens the clusters' variance from 0.5 (noise 0) to 4 (noise 0.5), spiral jitters
    points by up to ``noise``, plane and multi_gaussian blur the target; for moons it is
    scikit-learn's Gaussian noise standard deviation. ``extra_features`` adds the playground's
    x1², x2², x1·x2, sin x1, sin x2 (7 features instead of 2).
    """

    n_samples: int = Field(500, ge=2)
    noise: float = Field(0.0, ge=0.0, le=0.5)
    extra_features: bool = False


def _halves(n_samples: int) -> tuple[int, int]:
    return n_samples // 2, n_samples - n_samples // 2


def _circle(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 5.0
    n_inside, n_outside = _halves(n_samples)
    r = np.concatenate([rng.uniform(0.0, radius * 0.5, n_inside), rng.uniform(radius * 0.7, radius, n_outside)])
    angle = rng.uniform(0.0, 2 * np.pi, n_samples)
    points = np.column_stack([r * np.sin(angle), r * np.cos(angle)])
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    labels = (np.hypot(shifted[:, 0], shifted[:, 1]) < radius * 0.5).astype(np.int64)
    return points, labels


def _xor(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    padding = 0.3
    points = rng.uniform(-5.0, 5.0, (n_samples, 2))
    points += np.where(points > 0, padding, -padding)
    shifted = points + rng.uniform(-5.0, 5.0, (n_samples, 2)) * noise
    labels = (shifted[:, 0] * shifted[:, 1] >= 0).astype(np.int64)
    return points, labels


def _gauss(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    variance = 0.5 + noise * (4.0 - 0.5) / 0.5
    n_positive, n_negative = _halves(n_samples)
    positive = rng.normal(2.0, np.sqrt(variance), (n_positive, 2))
    negative = rng.normal(-2.0, np.sqrt(variance), (n_negative, 2))
    labels = np.concatenate([np.ones(n_positive, np.int64), np.zeros(n_negative, np.int64)])
    return np.vstack([positive, negative]), labels


def _spiral(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    arms = []
    for size, delta, label in zip(_halves(n_samples), (0.0, np.pi), (1, 0)):
        fraction = np.arange(size) / size
        r = fraction * 5.0
        t = 1.75 * fraction * 2 * np.pi + delta
        jitter = rng.uniform(-1.0, 1.0, (size, 2)) * noise
        arm = np.column_stack([r * np.sin(t), r * np.cos(t)]) + jitter
        arms.append((arm, np.full(size, label, np.int64)))
    return np.vstack([a for a, _ in arms]), np.concatenate([lab for _, lab in arms])


def _moons(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    from sklearn.datasets import make_moons

    points, labels = make_moons(n_samples=n_samples, noise=noise, random_state=int(rng.integers(2**31 - 1)))
    return points, labels.astype(np.int64)


def _plane(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    points = rng.uniform(-radius, radius, (n_samples, 2))
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    return points, shifted.sum(axis=1) / 10.0  # x + y on [-10, 10] mapped linearly to [-1, 1]


_GAUSSIAN_BUMPS = np.array([[-4, 2.5, 1], [0, 2.5, -1], [4, 2.5, 1], [-4, -2.5, -1], [0, -2.5, 1], [4, -2.5, -1]], float)


def _multi_gaussian(rng: np.random.Generator, n_samples: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    radius = 6.0
    points = rng.uniform(-radius, radius, (n_samples, 2))
    shifted = points + rng.uniform(-radius, radius, (n_samples, 2)) * noise
    distances = np.hypot(shifted[:, :1] - _GAUSSIAN_BUMPS[:, 0], shifted[:, 1:] - _GAUSSIAN_BUMPS[:, 1])
    values = _GAUSSIAN_BUMPS[:, 2] * np.clip(1.0 - distances / 2.0, 0.0, 1.0)
    strongest = np.abs(values).argmax(axis=1)  # the bump with the largest |value| wins
    return points, values[np.arange(n_samples), strongest]


def _with_extra_features(points: np.ndarray) -> np.ndarray:
    x1, x2 = points[:, 0], points[:, 1]
    return np.column_stack([x1, x2, x1**2, x2**2, x1 * x2, np.sin(x1), np.sin(x2)])


PLAYGROUND_FEATURES = ["x1", "x2"]
PLAYGROUND_EXTRA_FEATURES = ["x1", "x2", "x1^2", "x2^2", "x1*x2", "sin(x1)", "sin(x2)"]


def _add_playground(name: str, generate: Callable, task: str, summary: str) -> None:
    def load(params: PlaygroundParams, seed: int) -> Dataset:
        rng = np.random.default_rng(seed)
        points, y = generate(rng, params.n_samples, params.noise)
        order = rng.permutation(params.n_samples)  # the playground shuffles after generating
        points, y = points[order], y[order]
        X = _with_extra_features(points) if params.extra_features else points
        return Dataset(
            X=np.ascontiguousarray(X, dtype=np.float64),
            y=y,
            task=task,
            class_names=["0", "1"] if task == "classification" else None,
            feature_names=list(PLAYGROUND_EXTRA_FEATURES if params.extra_features else PLAYGROUND_FEATURES),
            description=f"{summary}; {params.n_samples} points, noise {params.noise}, seed {seed}",
        )

    def n_features(params: PlaygroundParams) -> int:
        return len(PLAYGROUND_EXTRA_FEATURES) if params.extra_features else len(PLAYGROUND_FEATURES)

    SOURCES.add(name, Source(name, PlaygroundParams, load, n_features, task, summary))


_add_playground("circle", _circle, "classification", "circle: class 1 inside radius 2.5, class 0 on a ring 3.5-5 (playground)")
_add_playground("xor", _xor, "classification", "xor: class 1 where x1 and x2 have the same sign (playground)")
_add_playground("gauss", _gauss, "classification", "gauss: two Gaussian clusters at (2, 2) (class 1) and (-2, -2) (playground)")
_add_playground("spiral", _spiral, "classification", "spiral: two interleaved spirals (playground)")
_add_playground("moons", _moons, "classification", "moons: two interleaving half circles (scikit-learn's make_moons)")
_add_playground("plane", _plane, "regression", "plane: target (x1 + x2) / 10 (playground regression)")
_add_playground(
    "multi_gaussian", _multi_gaussian, "regression",
    "multi_gaussian: six signed Gaussian bumps (playground regression)",
)


# --------------------------------------------------------------------------------------------
# Files: reading CSV and NumPy arrays
# --------------------------------------------------------------------------------------------

TaskChoice = Literal["auto", "classification", "regression"]


class CsvParams(SourceParams):
    """Keys of the ``csv`` source.

    ``target`` is a column name (needs a header) or an index (0-based, negative from the end);
    None means the last column. ``header: auto`` treats the first row as a header when it holds
    text where the data rows hold numbers. ``task: auto`` picks classification when the target
    holds text, or integers with at most 20 distinct values; regression otherwise.
    """

    path: str
    target: int | str | None = None
    header: bool | Literal["auto"] = "auto"
    delimiter: str = Field(",", min_length=1, max_length=1)
    task: TaskChoice = "auto"


class NpzParams(SourceParams):
    """Keys of the ``npz`` source: features under ``x_key``, labels or targets under ``y_key``."""

    path: str
    x_key: str = "X"
    y_key: str = "y"
    task: TaskChoice = "auto"


class NpyParams(SourceParams):
    """Keys of the ``npy`` source: one ``.npy`` file of features, one of labels or targets."""

    x_path: str
    y_path: str
    task: TaskChoice = "auto"


@dataclass
class _Table:
    """A CSV file as text cells, with the file line of each row."""

    where: str
    cells: np.ndarray  # (n_rows, n_columns) of str
    lines: np.ndarray  # (n_rows,) file line numbers
    names: list[str] | None  # the header, when there is one

    def column_label(self, index: int) -> str:
        return repr(self.names[index]) if self.names else str(index)


def _is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _read_text(path: str | Path) -> str:
    path = Path(path)
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"expected a data file, got a folder: {path}")
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(f"{path} is not a UTF-8 text file (is it a CSV file?)") from None
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror or error}") from None


def _parse_rows(text: str, delimiter: str, where: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    rows = []
    try:
        for row in reader:
            if len(row) == 0 or (len(row) == 1 and not row[0].strip()):
                continue  # blank line
            rows.append((reader.line_num, [cell.strip() for cell in row]))
    except csv.Error as error:
        raise DataError(f"{where} line {reader.line_num}: {error}") from None
    if not rows:
        raise DataError(f"{where} is empty: no rows to read")
    return rows


def _detect_header(rows: list[tuple[int, list[str]]]) -> bool:
    """The first row is a header when none of its cells is a number.

    A first row that mixes numbers and text is data with a bad cell (``abc,1,2,3``), reported
    by line and column rather than silently dropped. Headers whose names are numbers
    (``0,1,2``) need ``header: true``.
    """
    return not any(_is_number(cell) for cell in rows[0][1])


def _read_table(
    source: str | Path | TextIO, *, delimiter: str = ",", header: bool | str = "auto", where: str | None = None
) -> _Table:
    """Read a CSV file (or an open text stream) into text cells, checking it is rectangular."""
    if isinstance(source, (str, Path)):
        where = where or str(source)
        text = _read_text(source)
    else:
        where = where or "standard input"
        text = source.read()
    rows = _parse_rows(text, delimiter, where)
    has_header = _detect_header(rows) if header == "auto" else bool(header)
    names = None
    if has_header:
        first_line, first = rows.pop(0)
        names = [cell or f"column {i}" for i, cell in enumerate(first)]
        if not rows:
            raise DataError(f"{where} has a header (line {first_line}) but no data rows")
    n_columns = len(names) if names else len(rows[0][1])
    expected_from = "the header" if names else f"line {rows[0][0]}"
    for line, cells in rows:
        if len(cells) != n_columns:
            raise DataError(f"{where} line {line}: expected {n_columns} columns (as in {expected_from}), got {len(cells)}")
    return _Table(
        where=where,
        cells=np.array([cells for _, cells in rows], dtype=str).reshape(len(rows), n_columns),
        lines=np.array([line for line, _ in rows]),
        names=names,
    )


def _numeric_columns(table: _Table, columns: list[int]) -> np.ndarray:
    """The given columns as float64 ``(n_rows, len(columns))``; non-numbers and NaN/Inf are errors."""
    block = table.cells[:, columns]
    try:
        values = block.astype(np.float64)
    except ValueError:
        for j, column in enumerate(columns):
            for i, cell in enumerate(block[:, j].tolist()):
                if not _is_number(cell):
                    shown = repr(cell) if cell else "an empty cell"
                    raise DataError(
                        f"{table.where} line {table.lines[i]}, column {table.column_label(column)}: "
                        f"{shown} is not a number (features must be numeric)"
                    ) from None
        raise
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = np.argwhere(bad)[0]
        raise DataError(
            f"{table.where} line {table.lines[i]}, column {table.column_label(columns[j])}: "
            f"{str(table.cells[i, columns[j]])!r} is not a finite number (NaN and infinite features are not allowed; "
            "fill or drop that row)"
        )
    return values


def _target_index(table: _Table, target: int | str | None) -> int:
    n_columns = table.cells.shape[1]
    if target is None:
        return n_columns - 1
    if isinstance(target, str) and not table.names and target.lstrip("-").isdigit():
        target = int(target)
    if isinstance(target, int) and not isinstance(target, bool):
        if -n_columns <= target < n_columns:
            return target % n_columns
        raise DataError(
            f"{table.where}: target column index {target} is out of range; the file has {n_columns} columns "
            f"(0 to {n_columns - 1}, or -1 for the last)"
        )
    if not table.names:
        raise DataError(
            f"{table.where} has no header row, so the target column cannot be named ({target!r}); "
            f"give its index (0 to {n_columns - 1}) or set data.header: true"
        )
    if target in table.names:
        return table.names.index(target)
    suggestion = closest(str(target), table.names)
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise DataError(f"{table.where}: no target column named {target!r}{hint} (columns: {', '.join(table.names)})")


def _labels_from_cells(cells: np.ndarray, lines: np.ndarray, where: str) -> np.ndarray:
    """A target column as int64 (integral numbers), float64 (other numbers) or str (text)."""
    empty = np.flatnonzero(cells == "")
    if empty.size:
        raise DataError(f"{where} line {lines[empty[0]]}: the target cell is empty")
    try:
        values = cells.astype(np.float64)
    except ValueError:
        return cells.astype(str)
    bad = ~np.isfinite(values)
    if bad.any():
        raise DataError(f"{where} line {lines[np.flatnonzero(bad)[0]]}: the target is not a finite number")
    if np.all(values == np.round(values)) and np.all(np.abs(values) < 2**53):
        return values.astype(np.int64)
    return values


def _table_to_arrays(table: _Table, target: int | str | None) -> tuple[np.ndarray, np.ndarray, list[str] | None]:
    target_column = _target_index(table, target)
    feature_columns = [i for i in range(table.cells.shape[1]) if i != target_column]
    if not feature_columns:
        raise DataError(f"{table.where} has only the target column; features are missing")
    X = _numeric_columns(table, feature_columns)
    y = _labels_from_cells(table.cells[:, target_column], table.lines, table.where)
    names = [table.names[i] for i in feature_columns] if table.names else None
    return X, y, names


def infer_task(y: np.ndarray) -> str:
    """Classification for text labels, or integers with at most ``MAX_AUTO_CLASSES`` values."""
    y = np.asarray(y)
    if y.dtype.kind in "USOb":
        return "classification"
    if y.ndim == 2 and y.shape[1] > 1:
        return "regression"
    finite = y[np.isfinite(y)] if y.dtype.kind == "f" else y
    integral = y.dtype.kind in "iu" or bool(np.all(finite == np.round(finite)))
    if integral and len(np.unique(y)) <= MAX_AUTO_CLASSES:
        return "classification"
    return "regression"


def _finish_file_dataset(X: np.ndarray, y: np.ndarray, task: str, where: str, feature_names=None) -> Dataset:
    task = infer_task(y) if task == "auto" else task
    if task == "regression":
        if y.dtype.kind not in "iuf":
            example = y.ravel()[0]
            raise DataError(f"{where}: the target holds text ({example!r}), so it cannot be a regression target; set data.task: classification")
        y = y.astype(np.float64)
    else:
        if y.ndim == 2 and y.shape[1] == 1:
            y = y.ravel()
        if y.ndim != 1:
            raise DataError(f"{where}: classification needs one label per sample, got labels of shape {y.shape}")
        if y.dtype.kind == "f" and np.all(y == np.round(y)):
            y = y.astype(np.int64)
    n_outputs = _n_outputs(y, task)
    outputs = f"{n_outputs} classes" if task == "classification" else f"{n_outputs} target(s)"
    description = f"{where}: {X.shape[0]} samples, {X.shape[1]} features, {task} with {outputs}"
    return Dataset(X=X, y=y, task=task, class_names=None, feature_names=feature_names, description=description)


def _n_outputs(y: np.ndarray, task: str) -> int:
    if task == "classification":
        return len(np.unique(y))
    return 1 if y.ndim == 1 else int(y.shape[1])


def _load_csv(params: CsvParams, seed: int) -> Dataset:
    table = _read_table(params.path, delimiter=params.delimiter, header=params.header)
    X, y, names = _table_to_arrays(table, params.target)
    return _finish_file_dataset(X, y, params.task, table.where, names)


def _load_array(path: str | Path, where: str | None = None) -> np.ndarray:
    """One ``.npy`` array, read without pickle."""
    path = Path(path)
    where = where or str(path)
    _check_file(path)
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise DataError(_array_error(where, error)) from None
    except OSError as error:
        raise DataError(f"cannot read {where} as a .npy file: {error}") from None


def _load_archive(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of an ``.npz`` file, read without pickle."""
    path = Path(path)
    _check_file(path)
    arrays = {}
    try:
        with np.load(path, allow_pickle=False) as archive:
            if not hasattr(archive, "files"):
                raise DataError(f"{path} is a single .npy array, not an .npz archive; use the npy source")
            for key in archive.files:
                try:
                    arrays[key] = archive[key]
                except ValueError as error:
                    raise DataError(_array_error(f"{path} (array {key!r})", error)) from None
    except DataError:
        raise
    except Exception as error:  # ValueError, OSError, EOFError, zipfile.BadZipFile
        raise DataError(f"cannot read {path} as an .npz archive: {error}") from None
    return arrays


def _check_file(path: Path) -> None:
    if not path.exists():
        raise DataError(f"data file not found: {path}")
    if path.is_dir():
        raise DataError(f"expected a data file, got a folder: {path}")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")


def _array_error(where: str, error: ValueError) -> str:
    if "pickle" in str(error).lower() or "object arrays" in str(error).lower():
        return (
            f"{where} holds Python objects (pickled data); nncli does not load pickles. "
            "Save numbers or strings instead, e.g. np.save(path, X.astype(float))"
        )
    return f"cannot read {where}: {error}"


def _features_from_array(X: np.ndarray, where: str) -> np.ndarray:
    """Check an array of features: numeric, at least one row and column, finite; images flattened."""
    X = np.asarray(X)
    if X.dtype.kind not in "biuf":
        raise DataError(f"{where}: features must be numbers, got an array of dtype {X.dtype}")
    if X.ndim < 2:
        raise DataError(
            f"{where}: features need shape (n_samples, n_features), got shape {X.shape}; "
            "reshape a single feature with X.reshape(-1, 1)"
        )
    if X.shape[0] == 0:
        raise DataError(f"{where} has no samples (shape {X.shape})")
    X = X.reshape(X.shape[0], -1).astype(np.float64)
    if X.shape[1] == 0:
        raise DataError(f"{where} has no features (shape {X.shape})")
    _check_finite_rows(X, where)
    return X


def _check_finite_rows(X: np.ndarray, where: str) -> None:
    bad = ~np.isfinite(X)
    if bad.any():
        row, column = np.argwhere(bad)[0]
        raise DataError(
            f"{where} row {row}, column {column}: {X[row, column]} is not a finite number "
            "(NaN and infinite features are not allowed; fill or drop that row)"
        )


def _labels_from_array(y: np.ndarray, n_samples: int, where: str) -> np.ndarray:
    y = np.asarray(y)
    if y.dtype.kind == "S":
        y = y.astype(str)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    if y.dtype.kind not in "iufU":
        raise DataError(f"{where}: labels must be numbers or strings, got an array of dtype {y.dtype}")
    if y.ndim not in (1, 2):
        raise DataError(f"{where}: labels need shape (n_samples,) or (n_samples, n_targets), got shape {y.shape}")
    if y.shape[0] != n_samples:
        raise DataError(f"{where}: the features have {n_samples} rows but the labels have {y.shape[0]}")
    if y.dtype.kind == "f" and not np.all(np.isfinite(y)):
        row = int(np.argwhere(~np.isfinite(y))[0][0])
        raise DataError(f"{where} row {row}: the target is not a finite number")
    return y


def _load_npz(params: NpzParams, seed: int) -> Dataset:
    X, y = _xy_from_archive(params.path, params.x_key, params.y_key)
    return _finish_file_dataset(X, y, params.task, params.path)


def _xy_from_archive(path: str | Path, x_key: str = "X", y_key: str | None = "y") -> tuple[np.ndarray, np.ndarray | None]:
    arrays = _load_archive(path)
    found = ", ".join(repr(k) for k in arrays) or "none"
    if x_key not in arrays:
        raise DataError(f"{path} has no array {x_key!r} (the features); arrays found: {found}")
    X = _features_from_array(arrays[x_key], f"{path} (array {x_key!r})")
    if y_key is None:
        return X, None
    if y_key not in arrays:
        raise DataError(f"{path} has no array {y_key!r} (the labels); arrays found: {found}")
    return X, _labels_from_array(arrays[y_key], X.shape[0], f"{path} (array {y_key!r})")


def _load_npy(params: NpyParams, seed: int) -> Dataset:
    X = _features_from_array(_load_array(params.x_path), params.x_path)
    y = _labels_from_array(_load_array(params.y_path), X.shape[0], params.y_path)
    return _finish_file_dataset(X, y, params.task, params.x_path)


SOURCES.add("csv", Source("csv", CsvParams, _load_csv, lambda p: None, None, "csv: a CSV file with a target column", ("path",)))
SOURCES.add("npz", Source("npz", NpzParams, _load_npz, lambda p: None, None, "npz: arrays X and y in an .npz file", ("path",)))
SOURCES.add(
    "npy", Source("npy", NpyParams, _load_npy, lambda p: None, None, "npy: features and labels in two .npy files", ("x_path", "y_path"))
)


# --------------------------------------------------------------------------------------------
# Inputs for predict / evaluate
# --------------------------------------------------------------------------------------------


def read_inputs(
    path_or_stdin: str | Path,
    n_features: int,
    *,
    stream: TextIO | None = None,
    delimiter: str = ",",
    feature_names: list[str] | None = None,
) -> np.ndarray:
    """Read raw feature rows for ``nncli predict``.

    Parameters
    ----------
    path_or_stdin : str or Path
        A ``.npy`` file, an ``.npz`` file (array ``X``), any other file as CSV, or ``"-"`` for
        CSV read from ``stream``.
    n_features : int
        The number of features the model expects.
    stream : text stream, optional
        Where ``"-"`` reads from (the caller passes ``sys.stdin``).
    delimiter : str
        CSV delimiter.
    feature_names : list of str, optional
        The training features' names: when a CSV header contains all of them, those columns are
        taken in that order (extra columns such as the target are ignored).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features), float64

    Raises
    ------
    DataError
        Missing or empty input, ragged rows, non-numeric or non-finite cells, pickled arrays.
    ShapeError
        Wrong number of columns.
    """
    if str(path_or_stdin) == "-":
        if stream is None:
            raise UsageError("reading inputs from '-' needs a text stream (standard input)")
        table = _read_table(stream, delimiter=delimiter, where="standard input")
        return _features_from_table(table, n_features, feature_names)
    path = Path(path_or_stdin)
    suffix = path.suffix.lower()
    if suffix == ".npy":
        X = _features_from_array(_load_array(path), str(path))
    elif suffix == ".npz":
        X, _ = _xy_from_archive(path, "X", None)
    else:
        return _features_from_table(_read_table(path, delimiter=delimiter), n_features, feature_names)
    check_features(X, n_features, where=str(path))
    return X


def _features_from_table(table: _Table, n_features: int, feature_names: list[str] | None) -> np.ndarray:
    columns = _named_columns(table, feature_names) or list(range(table.cells.shape[1]))
    _check_width(len(columns), n_features, table.where)
    return _numeric_columns(table, columns)


def _named_columns(table: _Table, feature_names: list[str] | None) -> list[int] | None:
    """The columns of ``feature_names`` when the header holds all of them, else None."""
    if not (table.names and feature_names and set(feature_names) <= set(table.names)):
        return None
    return [table.names.index(name) for name in feature_names]


def read_labeled(
    path: str | Path,
    target: int | str | None,
    n_features: int,
    *,
    delimiter: str = ",",
    header: bool | str = "auto",
    feature_names: list[str] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Read features and labels for ``nncli evaluate --data FILE``.

    A CSV file with a ``target`` column (name or index; None = the last column), or an ``.npz``
    file with arrays ``X`` and ``y``. When a CSV header holds every name of ``feature_names``,
    those columns are the features, in that order. Returns ``X`` of shape (n_samples,
    n_features), float64, and the raw labels ``y`` (encode them with ``Preprocessor.encode_y``).
    """
    path = Path(path)
    if path.suffix.lower() == ".npz":
        X, y = _xy_from_archive(path, "X", "y")
    elif path.suffix.lower() == ".npy":
        raise UsageError(f"{path}: a single .npy array holds no labels; use a CSV file with a target column or an .npz with X and y")
    else:
        table = _read_table(path, delimiter=delimiter, header=header)
        target_column = _target_index(table, target)
        columns = _named_columns(table, feature_names)
        if columns is None or target_column in columns:
            X, y, _ = _table_to_arrays(table, target)
        else:
            X = _numeric_columns(table, columns)
            y = _labels_from_cells(table.cells[:, target_column], table.lines, table.where)
    check_features(X, n_features, where=str(path))
    return X, y


def check_features(X: np.ndarray, expected: int, *, where: str | None = None) -> None:
    """Raise ``ShapeError`` unless ``X`` has shape (n_samples, expected).

    The message reads "expected 713 columns (features), got 712".
    """
    X = np.asarray(X)
    if X.ndim != 2:
        prefix = f"{where}: " if where else ""
        raise ShapeError(f"{prefix}expected an array of shape (n_samples, {expected}), got shape {X.shape}")
    _check_width(X.shape[1], expected, where)


def _check_width(n_columns: int, expected: int, where: str | None) -> None:
    if n_columns != expected:
        prefix = f"{where}: " if where else ""
        hint = " (does the input still contain the target column?)" if n_columns == expected + 1 else ""
        raise ShapeError(f"{prefix}expected {expected} columns (features), got {n_columns}{hint}")


# --------------------------------------------------------------------------------------------
# Splitting
# --------------------------------------------------------------------------------------------


@dataclass
class Split:
    """Training and test parts of a data set; the test part is None when ``test_size`` is 0."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray | None = None
    y_test: np.ndarray | None = None


def split(dataset: Dataset, test_size: float | int = 0.25, split_seed: int = 0, stratify: bool = False) -> Split:
    """Split into training and test parts with ``sklearn.model_selection.train_test_split``.

    Parameters
    ----------
    dataset : Dataset
    test_size : float in [0, 1) or int
        Fraction (or number) of samples held out for testing. 0 means no test set: the whole data
        set is the training part, shuffled with ``split_seed`` as ``train_test_split`` would.
    split_seed : int
        ``random_state`` of the split (the lecture uses 3).
    stratify : bool
        Keep class proportions equal in both parts (classification only).

    Returns
    -------
    Split
    """
    n_samples = dataset.n_samples
    _check_test_size(test_size, n_samples)
    if stratify and dataset.task != "classification":
        raise ConfigError("data.stratify: true needs a classification task; this data is a regression task")
    if test_size == 0:
        order = np.random.RandomState(split_seed).permutation(n_samples)
        return Split(dataset.X[order], dataset.y[order])
    from sklearn.model_selection import train_test_split

    try:
        X_train, X_test, y_train, y_test = train_test_split(
            dataset.X, dataset.y, test_size=test_size, random_state=split_seed,
            stratify=dataset.y if stratify else None,
        )
    except ValueError as error:
        raise DataError(f"cannot split {n_samples} samples with test_size={test_size}: {error}") from None
    return Split(X_train, y_train, X_test, y_test)


def _check_test_size(test_size: float | int, n_samples: int) -> None:
    if isinstance(test_size, bool) or not isinstance(test_size, (int, float, np.integer, np.floating)):
        raise ConfigError(f"data.test_size must be a fraction in [0, 1) or a number of samples, received: {test_size!r}")
    if isinstance(test_size, (int, np.integer)):
        if not 0 <= test_size < n_samples:
            raise ConfigError(f"data.test_size={test_size} samples: expected 0 to {n_samples - 1} for {n_samples} samples")
    elif not 0.0 <= test_size < 1.0:
        raise ConfigError(f"data.test_size={test_size}: expected a fraction in [0, 1)")


# --------------------------------------------------------------------------------------------
# Preprocessing state
# --------------------------------------------------------------------------------------------


@dataclass
class Scaler:
    name = ""
    """A feature scaler: ``fit(X) -> state arrays`` and ``transform(X, state) -> X scaled``."""

    fit: Callable[[np.ndarray], dict[str, np.ndarray]]
    transform: Callable[[np.ndarray, Mapping[str, np.ndarray]], np.ndarray]


SCALERS = Registry("scaler")


def _fit_standard(X: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.preprocessing import StandardScaler

    scaler = StandardScaler().fit(X)
    return {"mean": scaler.mean_, "scale": scaler.scale_}


def _fit_minmax(X: np.ndarray) -> dict[str, np.ndarray]:
    from sklearn.preprocessing import MinMaxScaler

    scaler = MinMaxScaler().fit(X)
    return {"min": scaler.min_, "scale": scaler.scale_}


# The transforms repeat scikit-learn's formulas in NumPy, so predict needs no scikit-learn.
SCALERS.add("standard", Scaler(_fit_standard, lambda X, s: (X - s["mean"]) / s["scale"]))
SCALERS.add("minmax", Scaler(_fit_minmax, lambda X, s: X * s["scale"] + s["min"]))
SCALERS.add("none", Scaler(lambda X: {}, lambda X, s: X.copy()))

PREPROCESSOR_FORMAT = 1


class Preprocessor:
    """Feature scaling and label encoding, fit on the training part only.

    Parameters
    ----------
    scaler : {"standard", "minmax", "none"}
        scikit-learn's StandardScaler or MinMaxScaler, or no scaling.

    Notes
    -----
    Classes are the sorted distinct training labels (``np.unique``), or the codes
    ``0 .. n_classes - 1`` when the data set names its classes (``Dataset.class_names``). Class
    ``k`` is output ``k`` of the network. Regression targets become float64 of shape
    (n_samples, n_targets) and are not scaled.
    """

    def __init__(self, scaler: str = "standard") -> None:
        self.scaler = SCALERS.canonical(scaler)
        self.scaler_state: dict[str, np.ndarray] = {}
        self.task: str | None = None
        self.n_features: int | None = None
        self.classes: np.ndarray | None = None
        self.class_names: list[str] | None = None
        self.n_targets: int | None = None
        self.feature_names: list[str] | None = None

    # -- fitting ------------------------------------------------------------------------------

    def fit(
        self,
        X_train: np.ndarray,
        y_train: np.ndarray,
        task: str,
        class_names: list[str] | None = None,
        feature_names: list[str] | None = None,
    ) -> Preprocessor:
        """Fit the scaler on ``X_train`` (n_samples, n_features) and the labels on ``y_train``."""
        if task not in TASKS:
            raise ConfigError(f"unknown task {task!r} (choose from: {', '.join(TASKS)})")
        X_train = np.asarray(X_train, dtype=np.float64)
        if X_train.ndim != 2 or X_train.shape[0] == 0:
            raise ShapeError(f"training features need shape (n_samples, n_features) with n_samples > 0, got {X_train.shape}")
        self.task = task
        self.n_features = int(X_train.shape[1])
        self.feature_names = list(feature_names) if feature_names else None
        self.scaler_state = {k: np.asarray(v, dtype=np.float64) for k, v in SCALERS[self.scaler].fit(X_train).items()}
        if task == "classification":
            self._fit_classes(np.asarray(y_train), class_names)
        else:
            self.n_targets = int(_as_targets(y_train).shape[1])
        return self

    def _fit_classes(self, y: np.ndarray, class_names: list[str] | None) -> None:
        y = _as_label_vector(y)
        if class_names is not None:
            codes = np.arange(len(class_names))
            if y.dtype.kind not in "iu" or not np.isin(y, codes).all():
                raise DataError(f"labels must be class codes 0 to {len(class_names) - 1} when class names are given")
            self.classes, self.class_names = codes, [str(n) for n in class_names]
        else:
            self.classes = np.unique(y)
            self.class_names = [str(c) for c in self.classes]

    @property
    def n_classes(self) -> int | None:
        return None if self.classes is None else len(self.classes)

    @property
    def n_outputs(self) -> int:
        """Classes for classification, targets for regression."""
        self._check_fitted()
        return int(self.n_classes if self.task == "classification" else self.n_targets)

    # -- applying -----------------------------------------------------------------------------

    def transform_X(self, X: np.ndarray) -> np.ndarray:
        """Scale raw features (n_samples, n_features) as fit on the training part; float64."""
        self._check_fitted()
        X = np.asarray(X, dtype=np.float64)
        check_features(X, self.n_features)
        return SCALERS[self.scaler].transform(X, self.scaler_state)

    def encode_y(self, y: np.ndarray) -> np.ndarray:
        """Raw labels → class indices (n_samples,) int64; regression → targets (n_samples, n_targets).

        Labels may be given as the training labels, as numbers written as text ("3") or, when the
        classes are named codes, by their class names. An unknown label is a ``DataError``.
        """
        self._check_fitted()
        if self.task == "regression":
            targets = _as_targets(y)
            if targets.shape[1] != self.n_targets:
                raise ShapeError(f"expected {self.n_targets} target column(s), got {targets.shape[1]}")
            return targets
        return self._encode_labels(_as_label_vector(np.asarray(y)))

    def _encode_labels(self, y: np.ndarray) -> np.ndarray:
        if self.classes.dtype.kind in "iuf":
            numbers = _try_float(y)
            if numbers is not None:
                return self._lookup_sorted(self.classes.astype(np.float64), numbers, y)
            by_name = {name: i for i, name in enumerate(self.class_names)}
            return self._lookup_names(by_name, y)
        return self._lookup_sorted(self.classes, y.astype(str), y)

    def _lookup_sorted(self, classes: np.ndarray, values: np.ndarray, raw: np.ndarray) -> np.ndarray:
        positions = np.clip(np.searchsorted(classes, values), 0, len(classes) - 1)
        unknown = np.flatnonzero(classes[positions] != values)
        if unknown.size:
            self._unknown_label(raw, unknown[0])
        return positions.astype(np.int64)

    def _lookup_names(self, by_name: dict[str, int], y: np.ndarray) -> np.ndarray:
        indices = np.empty(len(y), dtype=np.int64)
        for row, label in enumerate(y):
            if str(label) not in by_name:
                self._unknown_label(y, row)
            indices[row] = by_name[str(label)]
        return indices

    def _unknown_label(self, y: np.ndarray, row: int) -> None:
        label = y[row].item() if hasattr(y[row], "item") else y[row]
        suggestion = closest(str(label), self.class_names)
        hint = f"; did you mean {suggestion!r}?" if suggestion else ""
        raise DataError(
            f"unknown label {label!r} in row {row}{hint} (the model knows: {', '.join(self.class_names)})"
        )

    def decode(self, indices: np.ndarray, *, as_names: bool = True) -> np.ndarray:
        """Class indices (n_samples,) → class names (str), or raw labels with ``as_names=False``.

        For regression the predictions are returned unchanged (targets are not scaled).
        """
        self._check_fitted()
        if self.task == "regression":
            return np.asarray(indices)
        indices = np.asarray(indices)
        if indices.dtype.kind not in "iu" or indices.ndim != 1:
            raise ShapeError(f"expected class indices of shape (n_samples,), got {indices.dtype} of shape {indices.shape}")
        if indices.size and (indices.min() < 0 or indices.max() >= self.n_classes):
            raise ShapeError(f"class indices must be 0 to {self.n_classes - 1}")
        table = np.array(self.class_names, dtype=str) if as_names else self.classes
        return table[indices]

    # -- saving -------------------------------------------------------------------------------

    def to_arrays(self) -> dict[str, np.ndarray]:
        """The fitted state as arrays with keys ``pre_*``: numbers and unicode only (no pickle)."""
        self._check_fitted()
        arrays = {
            "pre_format": np.array(PREPROCESSOR_FORMAT),
            "pre_task": np.array(self.task),
            "pre_scaler": np.array(self.scaler),
            "pre_n_features": np.array(self.n_features),
        }
        for key, value in self.scaler_state.items():
            arrays[f"pre_scaler_{key}"] = value
        if self.task == "classification":
            arrays["pre_classes"] = self.classes.copy()
            arrays["pre_class_names"] = np.array(self.class_names, dtype=str)
        else:
            arrays["pre_n_targets"] = np.array(self.n_targets)
        if self.feature_names:
            arrays["pre_feature_names"] = np.array(self.feature_names, dtype=str)
        return arrays

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> Preprocessor:
        """Rebuild from ``to_arrays`` output (e.g. an ``np.load``-ed ``model.npz``)."""
        keys = set(arrays.keys())
        required = {"pre_format", "pre_task", "pre_scaler", "pre_n_features"}
        missing = sorted(required - keys)
        if missing:
            raise RunDirError(f"the saved model has no preprocessing state (missing {', '.join(missing)})")
        fmt = int(arrays["pre_format"])
        if fmt != PREPROCESSOR_FORMAT:
            raise RunDirError(f"preprocessing state format {fmt} is not supported (expected {PREPROCESSOR_FORMAT})")
        pre = cls(str(arrays["pre_scaler"][()]))
        pre.task = str(arrays["pre_task"][()])
        pre.n_features = int(arrays["pre_n_features"])
        pre.scaler_state = {
            key[len("pre_scaler_"):]: np.asarray(arrays[key]) for key in keys if key.startswith("pre_scaler_")
        }
        if pre.task == "classification":
            pre.classes = np.asarray(arrays["pre_classes"])
            pre.class_names = [str(n) for n in arrays["pre_class_names"]]
        else:
            pre.n_targets = int(arrays["pre_n_targets"])
        if "pre_feature_names" in keys:
            pre.feature_names = [str(n) for n in arrays["pre_feature_names"]]
        return pre

    def _check_fitted(self) -> None:
        if self.task is None:
            raise UsageError("the preprocessor is not fitted yet: call fit(X_train, y_train, task) first")


def _as_label_vector(y: np.ndarray) -> np.ndarray:
    if y.ndim == 2 and y.shape[1] == 1:
        y = y.ravel()
    if y.ndim != 1:
        raise ShapeError(f"class labels need shape (n_samples,), got {y.shape}")
    if y.dtype.kind == "O" or y.dtype.kind == "S":
        y = y.astype(str)
    if y.dtype.kind == "b":
        y = y.astype(np.int64)
    return y


def _as_targets(y: np.ndarray) -> np.ndarray:
    y = np.asarray(y)
    try:
        targets = y.astype(np.float64)
    except ValueError:
        raise DataError("regression targets must be numbers") from None
    if targets.ndim == 1:
        targets = targets.reshape(-1, 1)
    if targets.ndim != 2:
        raise ShapeError(f"regression targets need shape (n_samples,) or (n_samples, n_targets), got {y.shape}")
    if not np.all(np.isfinite(targets)):
        row = int(np.argwhere(~np.isfinite(targets))[0][0])
        raise DataError(f"row {row}: the target is not a finite number")
    return targets


def _try_float(y: np.ndarray) -> np.ndarray | None:
    try:
        return y.astype(np.float64)
    except ValueError:
        return None


def one_hot(indices: np.ndarray, n_classes: int) -> np.ndarray:
    """Class indices (n_samples,) → one-hot rows (n_samples, n_classes), float64."""
    indices = np.asarray(indices, dtype=np.int64)
    encoded = np.zeros((len(indices), n_classes))
    encoded[np.arange(len(indices)), indices] = 1.0
    return encoded


# --------------------------------------------------------------------------------------------
# Baseline
# --------------------------------------------------------------------------------------------


def baseline(
    y_true: np.ndarray, task: str, y_train: np.ndarray | None = None, class_names: list[str] | None = None
) -> dict[str, Any]:
    """The score of a model that ignores the features, on the split being evaluated.

    Parameters
    ----------
    y_true : ndarray of shape (n_samples,) or (n_samples, n_targets)
        Labels (raw or indices; one-hot rows are accepted) or targets of the evaluated split.
    task : {"classification", "regression"}
    y_train : ndarray, optional
        Regression: the mean predictor predicts the training targets' mean (else ``y_true``'s).
    class_names : list of str, optional
        Names of integer labels ``0 .. n_classes - 1``, for the reported class.

    Returns
    -------
    dict
        Classification: ``{"kind": "majority_class", "accuracy": 0.651, "class": "George W Bush"}``
        (accuracy of always predicting the most frequent class of ``y_true``).
        Regression: ``{"kind": "mean_predictor", "mse": ..., "mae": ...}`` averaged over targets.
    """
    y_true = np.asarray(y_true)
    if y_true.shape[0] == 0:
        raise DataError("cannot compute a baseline on an empty split")
    if task == "classification":
        labels = y_true.argmax(axis=1) if y_true.ndim == 2 and y_true.shape[1] > 1 else _as_label_vector(y_true)
        values, counts = np.unique(labels, return_counts=True)
        top = int(counts.argmax())
        label = values[top].item()
        named = class_names is not None and isinstance(label, int) and 0 <= label < len(class_names)
        return {
            "kind": "majority_class",
            "accuracy": float(counts[top] / len(labels)),
            "class": class_names[label] if named else str(label),
        }
    if task == "regression":
        targets = _as_targets(y_true)
        center = _as_targets(y_train).mean(axis=0) if y_train is not None else targets.mean(axis=0)
        errors = targets - center
        return {"kind": "mean_predictor", "mse": float(np.mean(errors**2)), "mae": float(np.mean(np.abs(errors)))}
    raise ConfigError(f"unknown task {task!r} (choose from: {', '.join(TASKS)})")


# --------------------------------------------------------------------------------------------
# The lecture's mandatory rules
# --------------------------------------------------------------------------------------------

CLASSIFICATION_LOSSES = ("binary_crossentropy", "categorical_crossentropy", "sparse_categorical_crossentropy")
REGRESSION_LOSSES = ("mse", "mae", "huber")
_LOSS_ALIASES = {
    "mean_squared_error": "mse", "meansquarederror": "mse",
    "mean_absolute_error": "mae", "meanabsoluteerror": "mae",
    "huber_loss": "huber",
    "bce": "binary_crossentropy", "binarycrossentropy": "binary_crossentropy",
    "cce": "categorical_crossentropy", "categoricalcrossentropy": "categorical_crossentropy",
    "scce": "sparse_categorical_crossentropy", "sparsecategoricalcrossentropy": "sparse_categorical_crossentropy",
}
_LINEAR_NAMES = ("linear", "identity", "none")


def check_task(
    *,
    input_dim: int | None,
    n_features: int,
    last_units: int,
    last_activation: str | None,
    loss: str,
    task: str,
    n_classes: int | None = None,
    n_targets: int | None = None,
    from_logits: bool = False,
) -> int:
    """Check the lecture's mandatory rules before training; return the first layer's input size.

    Rule 1: the first layer's input size equals the number of features (None: taken from the data).
    Rule 2: the last layer fits the task and loss. Two classes: 1 sigmoid unit with
    binary_crossentropy (2 softmax units with (sparse_)categorical_crossentropy also work);
    N classes: N softmax units with (sparse_)categorical_crossentropy; regression: n_targets linear
    units with mse, mae or huber. With ``from_logits`` the last activation must be linear.

    Raises
    ------
    ConfigError
        Naming the rule, what was found and the fix.
    """
    if input_dim is not None and input_dim != n_features:
        raise ConfigError(
            f"rule 1: the first layer's input size must equal the number of features; model.input_dim is "
            f"{input_dim} but the data has {n_features} features. Set model.input_dim to {n_features} or remove it "
            "to take it from the data"
        )
    loss_name = _canonical_loss(loss)
    activation = "linear" if last_activation is None or str(last_activation).lower() in _LINEAR_NAMES else str(last_activation).lower()
    found = f"got Dense({last_units}, {activation})"
    if task == "classification":
        _check_classifier(loss_name, last_units, activation, n_classes, from_logits, found)
    elif task == "regression":
        _check_regressor(loss_name, last_units, activation, n_targets, found)
    else:
        raise ConfigError(f"unknown task {task!r} (choose from: {', '.join(TASKS)})")
    return n_features


def _canonical_loss(loss: str) -> str:
    name = str(loss).strip()
    if name in CLASSIFICATION_LOSSES + REGRESSION_LOSSES:
        return name
    key = name.lower()
    if key in CLASSIFICATION_LOSSES + REGRESSION_LOSSES:
        return key
    if key in _LOSS_ALIASES:
        return _LOSS_ALIASES[key]
    known = CLASSIFICATION_LOSSES + REGRESSION_LOSSES
    suggestion = closest(name, list(known))
    hint = f"; did you mean {suggestion!r}?" if suggestion else ""
    raise ConfigError(f"unknown loss {loss!r}{hint} (choose from: {', '.join(known)})")


def _layer_fix(units: int, activation: str) -> str:
    return f"model.layers.-1 to {{units: {units}, activation: {activation}}}"


def _check_classifier(loss: str, units: int, activation: str, n_classes: int | None, from_logits: bool, found: str) -> None:
    if n_classes is None or n_classes < 2:
        raise DataError(f"classification needs at least 2 classes; the training data has {n_classes or 0}")
    logits_note = " (from_logits: true)" if from_logits else ""
    sigmoid = "linear" if from_logits else "sigmoid"
    softmax = "linear" if from_logits else "softmax"
    if loss in REGRESSION_LOSSES:
        fix = (
            f"training.loss to binary_crossentropy and {_layer_fix(1, 'sigmoid')}" if n_classes == 2
            else f"training.loss to sparse_categorical_crossentropy and {_layer_fix(n_classes, 'softmax')}"
        )
        raise ConfigError(f"rule 2: classification with {n_classes} classes needs a cross-entropy loss, got {loss}. Set {fix}")
    if loss == "binary_crossentropy":
        if n_classes != 2:
            raise ConfigError(
                f"rule 2: binary_crossentropy is for 2 classes; the data has {n_classes}. Set training.loss to "
                f"sparse_categorical_crossentropy and {_layer_fix(n_classes, 'softmax')}"
            )
        if (units, activation) != (1, sigmoid):
            raise ConfigError(
                f"rule 2: 2 classes with binary_crossentropy{logits_note} need 1 {sigmoid} unit in the last layer; "
                f"{found}. Set {_layer_fix(1, sigmoid)}{_logits_hint(activation, from_logits)}"
            )
        return
    if (units, activation) == (n_classes, softmax):
        return
    if n_classes == 2 and units == 1 and activation in ("sigmoid", "linear"):
        raise ConfigError(
            f"rule 2: a last layer of 1 {activation} unit needs binary_crossentropy; got {loss}. Set training.loss to "
            f"binary_crossentropy, or {_layer_fix(2, softmax)}"
        )
    raise ConfigError(
        f"rule 2: {n_classes} classes with {loss}{logits_note} need {n_classes} {softmax} units in the last layer; "
        f"{found}. Set {_layer_fix(n_classes, softmax)}{_logits_hint(activation, from_logits)}"
    )


def _logits_hint(activation: str, from_logits: bool) -> str:
    if activation == "linear" and not from_logits:
        return " (or keep the linear output and set from_logits: true on the loss)"
    return ""


def _check_regressor(loss: str, units: int, activation: str, n_targets: int | None, found: str) -> None:
    if n_targets is None or n_targets < 1:
        raise DataError(f"regression needs at least 1 target; the training data has {n_targets or 0}")
    if loss not in REGRESSION_LOSSES:
        raise ConfigError(f"rule 2: regression needs mse, mae or huber as the loss; got {loss}. Set training.loss to mse")
    if (units, activation) != (n_targets, "linear"):
        plural = "s" if n_targets != 1 else ""
        raise ConfigError(
            f"rule 2: regression with {n_targets} target{plural} needs {n_targets} linear unit{plural} in the last "
            f"layer; {found}. Set {_layer_fix(n_targets, 'linear')}"
        )
