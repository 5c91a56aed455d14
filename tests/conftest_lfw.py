"""Fixtures for the LFW source: a tiny fake cache and a copy of the shared offline cache.

scikit-learn's ``fetch_lfw_people(download_if_missing=False)`` reads ``<data_home>/lfw_home``:
the three pair files must exist (only their presence is checked), and
``lfw_funneled/<First_Last>/<First_Last>_NNNN.jpg`` holds the 250x250 JPEG images, one folder
per person. ``fake_lfw`` builds that with a few generated images; ``shared_lfw_data_home`` copies
the offline copy of the real data (``../shared/data/lfw`` or ``$NNCLI_SHARED/data/lfw``).
"""

from __future__ import annotations

import os
import shutil
import stat
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

LFW_PAIR_FILES = ("pairsDevTrain.txt", "pairsDevTest.txt", "pairs.txt")

#: Fake people, their number of pictures and the gray level of their pictures.
FAKE_PEOPLE = {"Ada_Lovelace": (4, 40), "Alan_Turing": (3, 200), "Grace_Hopper": (1, 120)}


@dataclass(frozen=True)
class FakeLfw:
    """A fake scikit-learn data home: ``data_home/lfw_home/...``."""

    data_home: Path
    counts: dict[str, int]  # person name as scikit-learn reports it ("Ada Lovelace") -> pictures
    gray_levels: dict[str, int]  # person name -> the pixel value (0-255) of their pictures


def _write_face(path: Path, gray: int, rng: np.random.Generator) -> None:
    from PIL import Image

    pixels = np.full((250, 250, 3), gray, dtype=np.int16) + rng.integers(-3, 4, (250, 250, 3))
    Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB").save(path, format="JPEG", quality=95)


def build_fake_lfw(data_home: Path) -> FakeLfw:
    """Write a fake ``lfw_home`` into ``data_home`` and describe it."""
    pytest.importorskip("PIL", reason="Pillow is needed to write JPEG files")
    lfw_home = data_home / "lfw_home"
    folder = lfw_home / "lfw_funneled"
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for person, (n_pictures, gray) in FAKE_PEOPLE.items():
        (folder / person).mkdir()
        for index in range(1, n_pictures + 1):
            _write_face(folder / person / f"{person}_{index:04d}.jpg", gray, rng)
    (folder / "notes.txt").write_text("a stray file the loader must ignore\n")
    for name in LFW_PAIR_FILES:
        (lfw_home / name).write_text("10\n")
    return FakeLfw(
        data_home=data_home,
        counts={person.replace("_", " "): n for person, (n, _) in FAKE_PEOPLE.items()},
        gray_levels={person.replace("_", " "): gray for person, (_, gray) in FAKE_PEOPLE.items()},
    )


@pytest.fixture
def fake_lfw(tmp_path: Path) -> FakeLfw:
    """A tiny fake LFW cache (3 people: 4, 3 and 1 pictures) in a temporary data home."""
    return build_fake_lfw(tmp_path / "scikit_learn_data")


def shared_folder() -> Path:
    """The shared folder beside the repository, or ``$NNCLI_SHARED``."""
    configured = os.environ.get("NNCLI_SHARED")
    return Path(configured) if configured else Path(__file__).resolve().parents[2] / "shared"


def copy_shared_lfw(destination: Path) -> Path:
    """A writable copy of the shared offline LFW cache under ``destination`` (the loader writes a
    joblib cache into it, so the shared folder itself is never used); skips without it."""
    source = shared_folder() / "data" / "lfw" / "lfw_home"
    if not (source / "lfw_funneled").is_dir():
        pytest.skip(f"no offline LFW copy at {source} (set NNCLI_SHARED to the folder holding data/lfw)")
    data_home = destination / "lfw_data"
    shutil.copytree(source, data_home / "lfw_home", ignore=shutil.ignore_patterns("joblib"))
    for folder, _, files in os.walk(data_home):
        os.chmod(folder, os.stat(folder).st_mode | stat.S_IWUSR)
        for name in files:
            path = os.path.join(folder, name)
            os.chmod(path, os.stat(path).st_mode | stat.S_IWUSR)
    return data_home


@pytest.fixture
def shared_lfw_data_home(tmp_path: Path) -> Path:
    """A copy of the offline LFW cache for one test."""
    return copy_shared_lfw(tmp_path)


@pytest.fixture(scope="module")
def shared_lfw_data_home_for_module(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the offline LFW cache shared by one test module's LFW runs."""
    return copy_shared_lfw(tmp_path_factory.mktemp("lfw"))
