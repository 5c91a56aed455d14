"""Labeled Faces in the Wild through scikit-learn's ``fetch_lfw_people``: a real download when
online, scikit-learn's cache (or ``data.data_home``) otherwise, and a clear error offline."""

from __future__ import annotations

import math
import warnings
from pathlib import Path

import numpy as np
from pydantic import Field, field_validator

from nncli.data.registry import SOURCES, Dataset, Source, SourceParams
from nncli.errors import ConfigError, DataUnavailableError

LFW_IMAGE_SIZE = 250
LFW_DEFAULT_SLICE = [[70, 195], [78, 172]]


class LfwParams(SourceParams):
    """Keys of the ``lfw`` source: passed to ``sklearn.datasets.fetch_lfw_people``.

    ``slice_`` is the crop window as two ``[start, stop]`` pairs (rows, then columns) of the
    250x250 images; None keeps the whole image. ``data_home`` is scikit-learn's cache folder
    (the one that holds ``lfw_home/``); None uses scikit-learn's default (``~/scikit_learn_data``
    or ``$SCIKIT_LEARN_DATA``).
    """

    min_faces_per_person: int = Field(200, ge=0, description="Keep the people with at least this many photos.")
    resize: float | None = Field(0.25, gt=0, description="Scale of each photo (0.25: 125x94 crop to 31x23 "
                                 "pixels); null keeps the crop's size.")
    color: bool = Field(False, description="Three colour channels per pixel instead of grey.")
    slice_: list[list[int]] | None = Field(default_factory=lambda: [list(p) for p in LFW_DEFAULT_SLICE],
                                           description="Crop window [[row start, stop], [column start, stop]] of "
                                           "the 250x250 photos; null for the whole photo.")
    funneled: bool = Field(True, description="The aligned ('funneled') photos rather than the raw ones.")
    data_home: str | None = Field(None, description="scikit-learn's cache folder, the one holding lfw_home/ "
                                  "(from this file's folder); null: ~/scikit_learn_data or $SCIKIT_LEARN_DATA.")
    download_if_missing: bool = Field(True, description="Download when the cache lacks the photos; false: "
                                      "fail with a clear error instead.")

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
        LfwParams, _load_lfw, _lfw_n_features, "classification",
        "lfw: Labeled Faces in the Wild, people with many pictures (scikit-learn's downloader and cache)",
        path_fields=("data_home",),
    ),
)
