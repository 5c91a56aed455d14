"""Face photos as LFW rows: scikit-learn's loader is the reference for the LFW files (bit for
bit), synthetic images of other sizes and modes for the steps that make a photo an LFW frame,
and damaged or wrong files for the errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from nncli.errors import DataError, UsageError
from nncli.data.faces import CENTRE_FIT_HELP, DEFAULT_SLICE, LFW_SIZE, face_shape, image_paths, read_faces

Image = pytest.importorskip("PIL.Image")

REPO = Path(__file__).resolve().parents[2]
LECTURE = {"resize": 0.25, "slice_": [[70, 195], [78, 172]], "color": False}  # the lfw config's keys


# -- helpers ----------------------------------------------------------------------------------
def pattern(width: int = LFW_SIZE, height: int = LFW_SIZE, seed: int = 0) -> np.ndarray:
    """A smooth, asymmetric RGB picture (uint8): gradients plus a few blobs, no two rows alike."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:height, 0:width] / max(width, height)
    channels = [120 * xx + 90 * yy ** 2, 200 * (1 - xx) * yy, 60 + 150 * np.sin(3 * xx + 2 * yy) ** 2]
    for _ in range(4):
        cx, cy, r = rng.uniform(0.2, 0.8), rng.uniform(0.2, 0.8), rng.uniform(0.05, 0.15)
        blob = 80 * np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / r ** 2)
        channels = [c + blob * rng.uniform(-1, 1) for c in channels]
    return np.clip(np.stack(channels, axis=-1), 0, 255).astype(np.uint8)


def save(path: Path, pixels: np.ndarray, mode: str | None = None, **options) -> Path:
    image = Image.fromarray(pixels)
    if mode is not None:
        image = image.convert(mode)
    image.save(path, **options)
    return path


def row(path: Path, **keys) -> np.ndarray:
    X, _ = read_faces(path, **{**LECTURE, **keys})
    return X[0]


# -- LFW files: exactly scikit-learn's rows -----------------------------------------------------
def lfw_files_in_loader_order(data_home: Path, min_faces: int) -> list[str]:
    """The files behind ``fetch_lfw_people``'s rows: people and files sorted, then the loader's
    fixed shuffle (``np.random.RandomState(42)``), as ``sklearn/datasets/_lfw.py`` does."""
    folder = data_home / "lfw_home" / "lfw_funneled"
    files = []
    for person in sorted(os.listdir(folder)):
        if (folder / person).is_dir() and len(os.listdir(folder / person)) >= min_faces:
            files += [str(folder / person / name) for name in sorted(os.listdir(folder / person))]
    order = np.arange(len(files))
    np.random.RandomState(42).shuffle(order)
    return [files[i] for i in order]


@pytest.fixture(scope="module")
def lfw(shared_lfw_data_home_for_module):
    from sklearn.datasets import fetch_lfw_people

    data_home = shared_lfw_data_home_for_module
    bunch = fetch_lfw_people(data_home=data_home, resize=0.25, min_faces_per_person=200, download_if_missing=False)
    return data_home, bunch, lfw_files_in_loader_order(data_home, 200)


def test_lfw_images_give_exactly_the_loaders_rows(lfw):
    _, bunch, files = lfw
    X, names = read_faces(files, **LECTURE)
    assert X.dtype == np.float32 and X.shape == (766, 713)
    np.testing.assert_array_equal(X, bunch.images.reshape(766, -1))  # bit for bit
    assert names == files


def test_lfw_colour_rows_and_the_full_frame_match_the_loader(lfw):
    from sklearn.datasets import fetch_lfw_people

    data_home, _, files = lfw
    for keys in ({"resize": 0.3, "slice_": None, "color": True}, {"resize": None, "slice_": DEFAULT_SLICE, "color": False}):
        bunch = fetch_lfw_people(data_home=data_home, min_faces_per_person=200, download_if_missing=False, **keys)
        X, _ = read_faces(files[:20], **keys)
        assert X.shape[1] == int(np.prod(face_shape(**keys)))
        np.testing.assert_array_equal(X, bunch.images[:20].reshape(20, -1))


def test_a_photo_gets_the_label_predict_gives_its_loader_row(lfw, tmp_path):
    from cli_helpers import CONFIGS, invoke

    data_home, bunch, files = lfw
    trained = invoke(["train", CONFIGS / "lfw.yaml", f"data.data_home={data_home}", "--runs-dir", tmp_path / "runs",
                      "--quiet", "--no-plots"])
    assert trained.exit_code == 0, trained.stderr + trained.stdout
    run = trained.stdout.strip().splitlines()[-1]
    photos, _ = read_faces(files[:40], **LECTURE)
    for name, rows in (("photos.csv", photos), ("loader.csv", bunch.images[:40].reshape(40, -1))):
        np.savetxt(tmp_path / name, rows.astype(np.float64), delimiter=",", fmt="%.17g")
    labels = {}
    for name in ("photos.csv", "loader.csv"):
        result = invoke(["predict", run, "--input", tmp_path / name])
        assert result.exit_code == 0, result.stderr
        labels[name] = result.stdout.splitlines()[1:]
    assert labels["photos.csv"] == labels["loader.csv"]
    assert set(labels["photos.csv"]) == {"Colin Powell", "George W Bush"}


# -- photos: sizes, modes, orientation ----------------------------------------------------------
def test_a_250x250_png_is_read_without_resampling(tmp_path):
    pixels = pattern()
    expected = pixels[70:195, 78:172].astype(np.float32) / 255.0
    X, _ = read_faces(save(tmp_path / "face.png", pixels), resize=None, slice_=DEFAULT_SLICE, color=True)
    np.testing.assert_array_equal(X[0], expected.reshape(-1))


@pytest.mark.parametrize("width, height", [(500, 500), (125, 125), (640, 480), (300, 800)])
def test_photos_of_other_sizes_are_centre_fitted(tmp_path, width, height):
    # The 250x250 pattern stretched to a square of the photo's longer side, then cut to the
    # photo's frame: centre-fitting must show the middle square of the pattern, zoomed to cover.
    frame = Image.fromarray(pattern())
    side = max(width, height)
    big = np.asarray(frame.resize((side, side), Image.Resampling.BICUBIC))
    top, left = (side - height) // 2, (side - width) // 2
    photo = save(tmp_path / "photo.png", np.ascontiguousarray(big[top:top + height, left:left + width]))
    shown = LFW_SIZE * min(width, height) / side  # the side of the pattern's middle square still in view
    margin = (LFW_SIZE - shown) / 2
    middle = frame.resize((LFW_SIZE, LFW_SIZE), Image.Resampling.BICUBIC,
                          box=(margin, margin, LFW_SIZE - margin, LFW_SIZE - margin))
    X = row(photo)
    assert X.shape == (713,) and np.all((X >= 0) & (X <= 1))
    to_middle = np.abs(X - row(save(tmp_path / "middle.png", np.asarray(middle)))).mean()
    to_frame = np.abs(X - row(save(tmp_path / "frame.png", pattern()))).mean()
    assert to_middle < 0.003  # resampling blur only
    if shown < LFW_SIZE:
        assert to_frame > 3 * to_middle  # the zoomed middle, not the whole frame squeezed in


def test_centre_fitting_keeps_the_middle(tmp_path):
    # 400 wide, 250 high: the middle 250 columns are the pattern, the sides are noise.
    rng = np.random.default_rng(1)
    wide = rng.integers(0, 256, (250, 400, 3)).astype(np.uint8)
    wide[:, 75:325] = pattern()
    X = row(save(tmp_path / "wide.png", wide))
    np.testing.assert_allclose(X, row(save(tmp_path / "frame.png", pattern())), atol=1e-6)


@pytest.mark.parametrize("mode", ["L", "LA", "RGBA", "P", "CMYK", "1", "I;16"])
def test_other_modes_become_rgb(tmp_path, mode):
    pixels = pattern()
    suffix = ".tif" if mode in ("CMYK",) else ".png"
    image = Image.fromarray(pixels).convert("L" if mode in ("I;16", "1") else "RGB").convert(mode)
    path = tmp_path / f"face{suffix}"
    image.save(path)
    X = row(path)
    expected = row(save(tmp_path / "rgb.png", np.asarray(image.convert("RGB"))))
    assert X.shape == (713,) and np.all(np.isfinite(X))
    if mode != "I;16":  # Pillow maps 16-bit grey to RGB by clipping, which loses the picture
        np.testing.assert_allclose(X, expected, atol=1e-6)


def test_greyscale_is_the_grey_of_the_rgb(tmp_path):
    grey = np.asarray(Image.fromarray(pattern()).convert("L"))
    from_grey = row(save(tmp_path / "grey.png", grey))
    from_rgb = row(save(tmp_path / "rgb.png", np.repeat(grey[:, :, None], 3, axis=2)))
    np.testing.assert_allclose(from_grey, from_rgb, atol=1e-6)


def test_rgba_drops_the_alpha_channel(tmp_path):
    pixels = pattern()
    rgba = np.dstack([pixels, np.full(pixels.shape[:2], 40, dtype=np.uint8)])
    np.testing.assert_array_equal(row(save(tmp_path / "a.png", rgba)), row(save(tmp_path / "b.png", pixels)))


def test_exif_orientation_is_applied(tmp_path):
    upright = Image.fromarray(pattern(seed=3))
    stored = upright.transpose(Image.Transpose.ROTATE_90)  # as a camera held sideways stores it
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90° clockwise to display"
    stored.save(tmp_path / "sideways.png", exif=exif)
    upright.save(tmp_path / "upright.png")
    np.testing.assert_array_equal(row(tmp_path / "sideways.png"), row(tmp_path / "upright.png"))
    assert not np.array_equal(row(tmp_path / "sideways.png"), row(save(tmp_path / "raw.png", np.asarray(stored))))


def test_jpeg_photos_of_another_size(tmp_path):
    X, names = read_faces(save(tmp_path / "photo.jpg", pattern(320, 240), quality=90), **LECTURE)
    assert X.shape == (1, 713) and names == [str(tmp_path / "photo.jpg")]


# -- paths: files, folders, globs ---------------------------------------------------------------
def photo_folder(folder: Path) -> Path:
    folder.mkdir()
    for index, name in enumerate(["b.jpg", "a.PNG", "c.jpeg"]):
        save(folder / name, pattern(seed=index))
    (folder / "notes.txt").write_text("not a picture\n")
    (folder / "sub").mkdir()
    save(folder / "sub" / "d.png", pattern(seed=9))
    return folder


def test_a_folder_gives_its_images_sorted(tmp_path):
    folder = photo_folder(tmp_path / "photos")
    X, names = read_faces(folder, **LECTURE)
    assert [Path(n).name for n in names] == ["a.PNG", "b.jpg", "c.jpeg"]
    assert X.shape == (3, 713) and len({tuple(r) for r in X}) == 3


def test_a_glob_gives_the_images_it_matches(tmp_path):
    folder = photo_folder(tmp_path / "photos")
    assert [p.name for p in image_paths(str(folder / "*.jp*g"))] == ["b.jpg", "c.jpeg"]
    assert [p.name for p in image_paths(str(folder / "**" / "*.png"))] == ["d.png"]
    assert [p.name for p in image_paths(str(folder / "*"))] == ["a.PNG", "b.jpg", "c.jpeg"]  # notes.txt left out


def test_several_sources_keep_their_order_and_each_file_once(tmp_path):
    folder = photo_folder(tmp_path / "photos")
    paths = image_paths([folder / "c.jpeg", folder, str(folder / "sub" / "*.png")])
    assert [p.name for p in paths] == ["c.jpeg", "a.PNG", "b.jpg", "d.png"]


# -- errors ---------------------------------------------------------------------------------------
def test_a_file_that_is_not_an_image_is_a_clear_error(tmp_path):
    folder = photo_folder(tmp_path / "photos")
    with pytest.raises(DataError, match=r"notes\.txt is not an image Pillow can read \(a file of 14 bytes starting with b'not a pi'\)"):
        read_faces(folder / "notes.txt", **LECTURE)


def test_a_corrupt_jpeg_is_a_clear_error(tmp_path):
    good = save(tmp_path / "good.jpg", pattern(), quality=95).read_bytes()
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(good[: len(good) // 2])  # cut short, as an interrupted download
    with pytest.raises(DataError, match=r"broken\.jpg could not be decoded \(.*\); is the file damaged or cut short\?"):
        read_faces(broken, **LECTURE)
    garbled = tmp_path / "garbled.jpg"
    garbled.write_bytes(good[:200] + bytes(range(256)) * 20)
    with pytest.raises(DataError, match=r"garbled\.jpg"):
        read_faces(garbled, **LECTURE)


def test_a_folder_without_images_is_a_clear_error(tmp_path):
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "readme.md").write_text("faces go here\n")
    with pytest.raises(DataError, match=r"the folder .*empty has no image files \(looked for \.jpg, \.jpeg, \.png"):
        read_faces(tmp_path / "empty", **LECTURE)


def test_missing_paths_and_empty_globs_are_clear_errors(tmp_path):
    with pytest.raises(DataError, match=r"no such file or folder: .*nobody\.jpg"):
        read_faces(tmp_path / "nobody.jpg", **LECTURE)
    with pytest.raises(DataError, match=r"the pattern .*\*\.jpg matches nothing"):
        read_faces(str(tmp_path / "*.jpg"), **LECTURE)
    (tmp_path / "a.txt").write_text("x")
    with pytest.raises(DataError, match=r"matches 1 file\(s\), none of them an image"):
        read_faces(str(tmp_path / "*.txt"), **LECTURE)
    with pytest.raises(DataError, match="no image files given"):
        read_faces([], **LECTURE)


@pytest.mark.parametrize("keys, message", [
    ({"resize": 0}, r"resize must be a number > 0 or None. Received: resize=0"),
    ({"resize": 0.001}, r"leaves faces of 0x0 pixels"),
    ({"slice_": [[70, 300], [78, 172]]}, r"0 <= start < stop <= 250"),
    ({"slice_": (slice(70, 195, 2), slice(78, 172))}, r"Received: slice_="),
    ({"slice_": [[70, 195]]}, r"two \[start, stop\] windows"),
])
def test_windows_outside_the_frame_are_refused(tmp_path, keys, message):
    with pytest.raises(UsageError, match=message):
        read_faces(save(tmp_path / "f.png", pattern()), **{**LECTURE, **keys})


# -- shapes, help, import cost --------------------------------------------------------------------
def test_face_shape_is_the_loaders():
    assert face_shape(resize=0.25, slice_=DEFAULT_SLICE, color=False) == (31, 23)  # 713 features
    assert face_shape(resize=0.5, slice_=None, color=True) == (125, 125, 3)
    assert face_shape(resize=None, slice_=[[0, 10], [5, 25]], color=False) == (10, 20)


def test_the_help_sentence_says_photos_are_centre_fitted():
    assert "250x250" in CENTRE_FIT_HELP and "centre-fitted" in CENTRE_FIT_HELP


def test_importing_faces_does_not_import_pillow():
    code = "import sys, nncli.data.faces, nncli.cli; print('PIL' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert result.stdout.strip() == "False"
