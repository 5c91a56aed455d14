"""Face photos as LFW feature rows, made exactly as scikit-learn's ``fetch_lfw_people`` makes them.

scikit-learn's loader (``sklearn/datasets/_lfw.py``, ``_load_imgs``) takes each 250x250 LFW
JPEG, crops it with ``slice_`` (``PIL.Image.crop``), resizes the crop by ``resize`` to
``(int(resize·w), int(resize·h))`` with Pillow's default filter, converts it to float32, divides
by 255 and, for grey faces, averages the three channels; the row is that array flattened. A
model trained on the ``lfw`` source has learned from those rows, so a photo must become the same
kind of row. Before the loader's steps, a photo is made to look like an LFW file:

1. EXIF orientation applied (``ImageOps.exif_transpose``): a phone photo stored sideways is
   turned upright, as any viewer shows it;
2. converted to RGB (``Image.convert``): greyscale is repeated in the three channels, palette
   and CMYK images are expanded, an alpha channel is dropped;
3. centre-fitted to 250x250 when it has another size (``ImageOps.fit``, bicubic): scaled to
   cover 250x250 and cropped in the middle, so that the loader's fixed crop window falls on
   the face as it does in LFW, whose pictures are 250x250 with the face in the middle.

A 250x250 RGB JPEG (every LFW file) passes steps 1-3 unchanged, so its row is bit for bit the
one scikit-learn's loader gives. Pillow is imported inside the functions that read images.

"""

from __future__ import annotations

import glob
from pathlib import Path
from typing import Any, Sequence

import numpy as np

from nncli import io
from nncli.errors import DataError, UsageError

#: The side of an LFW image, in pixels; photos of other sizes are centre-fitted to it.
LFW_SIZE = 250
#: scikit-learn's default crop window (rows, then columns) of the 250x250 images.
DEFAULT_SLICE = (slice(70, 195), slice(78, 172))
#: File endings looked for in a folder or a glob (any file named directly is tried).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".ppm", ".pgm", ".pnm")
#: One sentence for ``--help`` of the commands that read photos.
CENTRE_FIT_HELP = (
    f"Photos that are not {LFW_SIZE}x{LFW_SIZE} pixels are first centre-fitted to {LFW_SIZE}x{LFW_SIZE} "
    "(scaled to cover it, then cropped in the middle), the size of the LFW pictures, so the face "
    "should fill the middle of the photo as in LFW."
)


def read_faces(sources: str | Path | Sequence[str | Path], *, resize: float | None,
               slice_: Any, color: bool) -> tuple[np.ndarray, list[str]]:
    """Feature rows of face photos, as ``fetch_lfw_people(resize=, slice_=, color=)`` makes them.

    Parameters
    ----------
    sources : path, folder, glob pattern, or a sequence of them
        A folder gives its image files (by ending, sorted, not recursive); a pattern such as
        ``photos/*.jpg`` (``**`` reaches into subfolders) gives the image files it matches.
    resize : float or None
        The run's ``resize`` (None: no resizing).
    slice_ : pair of slices, pair of [start, stop] lists, or None
        The crop window, rows then columns, within the 250x250 frame (None: all of it).
    color : bool
        Keep the three channels (rows of ``h·w·3`` values) instead of their mean.

    Returns
    -------
    X : ndarray of float32, shape (n_images, n_features)
        Values in [0, 1]; ``n_features`` is the product of ``face_shape(...)``.
    names : list of str
        The image files, in the order of the rows.

    Raises
    ------
    DataError
        A path that does not exist, a folder or pattern without images, a file that is not an
        image, or an image that cannot be decoded (damaged, cut short); the message names the file.
    UsageError
        ``resize`` or ``slice_`` that make no crop of the 250x250 frame.
    """
    rows, columns = _window(slice_)
    height, width = face_shape(resize=resize, slice_=slice_, color=False)
    paths = image_paths(sources)
    X = np.empty((len(paths), height * width * (3 if color else 1)), dtype=np.float32)
    for index, path in enumerate(paths):
        X[index] = _face_row(path, rows, columns, (width, height) if resize is not None else None, color)
    return X, [str(path) for path in paths]


def face_shape(*, resize: float | None, slice_: Any, color: bool) -> tuple[int, ...]:
    """The shape of one face, ``(h, w)`` or ``(h, w, 3)``, computed as scikit-learn does."""
    rows, columns = _window(slice_)
    height, width = rows.stop - rows.start, columns.stop - columns.start
    if resize is not None:
        if isinstance(resize, bool) or not isinstance(resize, (int, float)) or not resize > 0:
            raise UsageError(f"resize must be a number > 0 or None. Received: resize={resize!r}")
        height, width = int(float(resize) * height), int(float(resize) * width)
    if height == 0 or width == 0:
        raise UsageError(f"resize={resize} leaves faces of {height}x{width} pixels; use a larger resize")
    return (height, width, 3) if color else (height, width)


def _window(slice_: Any) -> tuple[slice, slice]:
    """``slice_`` as two slices with explicit bounds inside the 250x250 frame."""
    if slice_ is None:
        return slice(0, LFW_SIZE), slice(0, LFW_SIZE)
    try:
        pairs = [part if isinstance(part, slice) else slice(*part) for part in slice_]
    except TypeError:
        pairs = []
    if len(pairs) != 2 or any(not _within_frame(part) for part in pairs):
        raise UsageError(
            f"slice_ must be two [start, stop] windows (rows, then columns) with 0 <= start < stop <= {LFW_SIZE}, "
            f"e.g. [[70, 195], [78, 172]]. Received: slice_={slice_!r}"
        )
    return pairs[0], pairs[1]


def _within_frame(part: slice) -> bool:
    bounds_are_ints = all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in (part.start, part.stop))
    return bounds_are_ints and part.step in (None, 1) and 0 <= part.start < part.stop <= LFW_SIZE


# -- finding the files ----------------------------------------------------------------------------
def image_paths(sources: str | Path | Sequence[str | Path]) -> list[Path]:
    """The image files that ``sources`` name, in order, each once.

    Raises
    ------
    DataError
        A source that names nothing, or a folder or pattern that holds no image file.
    """
    if isinstance(sources, (str, Path)):
        sources = [sources]
    found: dict[Path, None] = {}
    for source in sources:
        for path in _expand(source):
            found.setdefault(path, None)
    if not found:
        raise DataError("no image files given")
    return list(found)


def _expand(source: str | Path) -> list[Path]:
    path = Path(source)
    if io.is_folder(path, "input", DataError):
        images = sorted(child for child in path.iterdir() if child.is_file() and _looks_like_image(child))
        if not images:
            raise DataError(f"the folder {path} has no image files (looked for {', '.join(IMAGE_SUFFIXES)})")
        return images
    if path.exists():
        return [path]
    if any(character in str(source) for character in "*?["):
        matches = sorted(Path(p) for p in glob.glob(str(source), recursive=True))
        images = [match for match in matches if match.is_file() and _looks_like_image(match)]
        if not images:
            what = f"{len(matches)} file(s), none of them an image" if matches else "nothing"
            raise DataError(f"the pattern {source} matches {what} (looked for {', '.join(IMAGE_SUFFIXES)})")
        return images
    raise DataError(f"no such file or folder: {path}")


def _looks_like_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


# -- reading one face -----------------------------------------------------------------------------
def _face_row(path: Path, rows: slice, columns: slice, size: tuple[int, int] | None, color: bool) -> np.ndarray:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as opened:
            opened.load()
            face = _crop_and_scale(_as_lfw_frame(opened), rows, columns, size)
    except UnidentifiedImageError:
        raise DataError(f"{path} is not an image Pillow can read ({_first_bytes(path)}); give JPEG or PNG "
                        "photos") from None
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise DataError(f"{path} could not be decoded ({error}); is the file damaged or cut short?") from None
    if not color:
        # scikit-learn's grey level: the mean of the three channels, in float32.
        face = face.mean(axis=2)
    return face.reshape(-1)


def _as_lfw_frame(image: Any) -> Any:
    """Upright, RGB, 250x250: what every LFW file already is."""
    from PIL import Image, ImageOps

    image = ImageOps.exif_transpose(image)
    if image.mode != "RGB":
        image = image.convert("RGB")
    if image.size != (LFW_SIZE, LFW_SIZE):
        image = ImageOps.fit(image, (LFW_SIZE, LFW_SIZE), method=Image.Resampling.BICUBIC, centering=(0.5, 0.5))
    return image


def _crop_and_scale(image: Any, rows: slice, columns: slice, size: tuple[int, int] | None) -> np.ndarray:
    """scikit-learn's ``_load_imgs`` steps for one image: crop, resize, float32 / 255."""
    image = image.crop((columns.start, rows.start, columns.stop, rows.stop))
    if size is not None:
        image = image.resize(size)  # Pillow's default filter, as the loader calls it
    face = np.asarray(image, dtype=np.float32)
    face /= 255.0
    return face


def _first_bytes(path: Path) -> str:
    try:
        with open(path, "rb") as stream:
            head = stream.read(8)
        size = path.stat().st_size
    except OSError as error:
        return f"it cannot be read: {error.strerror or error}"
    return f"a file of {size} bytes starting with {head!r}"
